//! `tsload check` and the task model behind it: valid fixtures in all three
//! forms, one failing fixture per rule code, round trips, the effective
//! model, AWS's published data models, and the CLI's output (insta).

use std::path::{Path, PathBuf};
use std::process::Command;

use tsload_model::check::{check, has_errors};
use tsload_model::{Form, effective, load, rules};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn root() -> &'static Path {
    Path::new(ROOT)
}

/// `*.json` files directly in `dir` (relative to the repository root),
/// sorted, as paths relative to the root.
fn json_files(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs_err::read_dir(root().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| p.strip_prefix(root()).unwrap().to_path_buf())
        .collect();
    v.sort();
    v
}

fn valid_fixtures() -> Vec<PathBuf> {
    json_files("fixtures/models")
}

fn rule_fixtures() -> Vec<PathBuf> {
    json_files("fixtures/invalid")
        .into_iter()
        .filter(|p| p.file_name().unwrap().to_str().unwrap().starts_with('T'))
        .collect()
}

fn load_fixture(path: &Path) -> tsload_model::Loaded {
    let bytes = fs_err::read(root().join(path)).unwrap();
    tsload_model::load_bytes(&bytes, &path.display().to_string()).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs the binary from the repository root, so file names in the output
/// are the relative paths given and snapshots need no path filters.
fn tsload(args: &[&str]) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("tsload"));
    cmd.current_dir(root())
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CLICOLOR");
    cmd
}

/// Exit code, stdout and stderr as one block (uv's layout).
fn run(args: &[&str]) -> (i32, String) {
    let out = tsload(args).output().unwrap();
    let code = out.status.code().unwrap_or(-1);
    let text = format!(
        "exit code: {code}\n----- stdout -----\n{}----- stderr -----\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (code, text)
}

#[test]
fn there_are_fixtures_for_all_forms_of_examples_a_to_d() {
    let names: Vec<String> = valid_fixtures()
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for example in [
        "a-multi-measure-hosts",
        "b-vehicle-cli",
        "c-sensor-details",
        "d-mixed-measures",
    ] {
        for form in ["request", "model", "describe"] {
            let name = format!("{example}.{form}.json");
            assert!(names.contains(&name), "missing fixtures/models/{name}");
        }
    }
}

#[test]
fn valid_fixtures_are_clean_round_trip_and_convert() {
    for path in valid_fixtures() {
        let name = path.display().to_string();
        let loaded = load_fixture(&path);
        let expected_form = if name.ends_with(".model.json") {
            Form::DataModel
        } else if name.ends_with(".data-model-configuration.json") {
            Form::DataModelConfiguration
        } else if name.ends_with(".describe.json") {
            Form::Describe
        } else {
            Form::Request
        };
        assert_eq!(loaded.form, expected_form, "{name}");

        let diagnostics = check(&loaded);
        assert!(diagnostics.is_empty(), "{name}: {diagnostics:#?}");

        // Serialising what was loaded gives back the input, member for member.
        let text = fs_err::read_to_string(root().join(&path)).unwrap();
        let input: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(loaded.to_json(), input, "{name} does not round-trip");

        let model = loaded.data_model().expect("valid fixtures have a model");
        effective::DataModel::from_wire(model).unwrap_or_else(|e| panic!("{name}: {e}"));
        if expected_form.is_whole_task() {
            effective::request_with_defaults(&loaded.request)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}

#[test]
fn the_three_forms_of_an_example_hold_the_same_model() {
    for example in [
        "a-multi-measure-hosts",
        "b-vehicle-cli",
        "c-sensor-details",
        "d-mixed-measures",
    ] {
        let models: Vec<effective::DataModel> = ["model", "request", "describe"]
            .iter()
            .map(|form| {
                let l = load_fixture(Path::new(&format!("fixtures/models/{example}.{form}.json")));
                effective::DataModel::from_wire(l.data_model().unwrap()).unwrap()
            })
            .collect();
        assert_eq!(models[0], models[1], "{example}: model vs request");
        assert_eq!(models[0], models[2], "{example}: model vs describe");
    }
}

#[test]
fn every_rule_has_a_fixture_that_triggers_it() {
    let fixtures = rule_fixtures();
    for rule in rules::RULES {
        let path = PathBuf::from(format!("fixtures/invalid/{}-{}.json", rule.code, rule.slug));
        assert!(fixtures.contains(&path), "no fixture {}", path.display());
        let diagnostics = check(&load_fixture(&path));
        assert!(
            diagnostics.iter().any(|d| d.rule.code == rule.code),
            "{} does not produce {}: {diagnostics:#?}",
            path.display(),
            rule.code
        );
    }
    // And no fixture is named after a rule that does not exist.
    for path in fixtures {
        let name = path.file_stem().unwrap().to_str().unwrap();
        let (code, slug) = name.split_once('-').unwrap();
        let rule = rules::by_code(code).unwrap_or_else(|| panic!("{name}: unknown code"));
        assert_eq!(rule.slug, slug, "{name}: slug does not match the rule");
    }
}

/// A task without error diagnostics always converts to the effective model
/// (the mapper relies on it); checked over every fixture, including the
/// warning-only ones.
#[test]
fn no_errors_means_the_effective_model_converts() {
    let mut converted = 0;
    for path in valid_fixtures().into_iter().chain(rule_fixtures()) {
        let loaded = load_fixture(&path);
        if has_errors(&check(&loaded)) {
            continue;
        }
        if let Some(m) = loaded.data_model() {
            effective::DataModel::from_wire(m)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
        if loaded.form.is_whole_task() {
            effective::request_with_defaults(&loaded.request)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
        converted += 1;
    }
    assert!(converted > 20, "only {converted} fixtures without errors");
}

/// AWS's published data models (`../shared/aws-samples`, beside the clone)
/// load and check without errors, and `tsload check` exits 0 on them.
#[test]
fn aws_published_models_check_clean() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/aws-samples");
    let mut samples: Vec<PathBuf> = fs_err::read_dir(dir)
        .unwrap_or_else(|e| panic!("AWS samples are expected beside the clone: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    samples.sort();
    assert!(
        samples.len() >= 3,
        "expected AWS's sample data models in {dir}"
    );
    for path in &samples {
        let bytes = fs_err::read(path).unwrap();
        let loaded = tsload_model::load_bytes(&bytes, &path.display().to_string()).unwrap();
        assert_eq!(loaded.form, Form::DataModel, "{}", path.display());
        let diagnostics = check(&loaded);
        assert!(
            !has_errors(&diagnostics),
            "{}: {diagnostics:#?}",
            path.display()
        );

        let out = tsload(&["check", path.to_str().unwrap()]).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn snapshot_rule_fixtures() {
    insta::glob!("../fixtures/invalid", "T*.json", |path| {
        let rel = path.strip_prefix(root()).unwrap().to_str().unwrap();
        let (code, text) = run(&["check", rel]);
        assert!(code == 0 || code == 1, "{text}");
        insta::assert_snapshot!(text);
    });
}

#[test]
fn snapshot_valid_fixtures_with_effective() {
    insta::glob!("../fixtures/models", "*.json", |path| {
        let rel = path.strip_prefix(root()).unwrap().to_str().unwrap();
        let (code, text) = run(&["check", "--effective", rel]);
        assert_eq!(code, 0, "{text}");
        insta::assert_snapshot!(text);
    });
}

#[test]
fn snapshot_unloadable_files() {
    insta::glob!("../fixtures/models/unloadable", "*.json", |path| {
        let rel = path.strip_prefix(root()).unwrap().to_str().unwrap();
        let (code, text) = run(&["check", rel]);
        assert_eq!(code, 2, "{text}");
        insta::assert_snapshot!(text);
    });
}

#[test]
fn json_format() {
    let (code, text) = run(&[
        "check",
        "--format",
        "json",
        "fixtures/invalid/T001-unknown-member.json",
    ]);
    assert_eq!(code, 1);
    insta::assert_snapshot!("json_errors", text);

    let (code, text) = run(&[
        "check",
        "--format",
        "json",
        "--effective",
        "fixtures/models/b-vehicle-cli.model.json",
    ]);
    assert_eq!(code, 0);
    insta::assert_snapshot!("json_clean_effective", text);

    let (code, text) = run(&[
        "check",
        "--format",
        "json",
        "fixtures/models/unloadable/wrong-type.json",
    ]);
    assert_eq!(code, 2);
    insta::assert_snapshot!("json_load_error", text);
}

#[test]
fn json_document_is_valid_json_with_the_documented_fields() {
    for path in [
        "fixtures/invalid/T203-data-model-in-s3.json",
        "fixtures/invalid/T104-invalid-bucket-name.json",
    ] {
        let out = tsload(&["check", "--format", "json", path])
            .output()
            .unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(doc["version"], 1);
        assert_eq!(doc["command"], "check");
        assert_eq!(doc["file"], path);
        assert_eq!(doc["form"], "request");
        let d = &doc["diagnostics"][0];
        for field in [
            "code", "slug", "severity", "evidence", "file", "location", "message", "hint",
        ] {
            assert!(!d[field].is_null(), "{path}: diagnostic has no `{field}`");
        }
        assert_eq!(d["location"]["kind"], "json");
        assert_eq!(doc["ok"], out.status.success());
        // Nothing but the document on stdout; nothing at all on stderr.
        assert!(out.stderr.is_empty());
    }
}

#[test]
fn deny_warnings_turns_warnings_into_failure() {
    let path = "fixtures/invalid/T203-data-model-in-s3.json";
    assert_eq!(tsload(&["check", path]).status().unwrap().code(), Some(0));
    let (code, text) = run(&["check", "--deny-warnings", path]);
    assert_eq!(code, 1);
    assert!(text.contains("warnings are denied"), "{text}");
    let out = tsload(&["check", "--deny-warnings", "--format", "json", path])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["ok"], false);
}

#[test]
fn effective_is_withheld_when_the_task_has_errors() {
    let (code, text) = run(&[
        "check",
        "--effective",
        "fixtures/invalid/T204-no-dimensions.json",
    ]);
    assert_eq!(code, 1);
    assert!(
        text.contains("----- stdout -----\n----- stderr -----"),
        "{text}"
    );
    assert!(
        text.contains("note: no effective task: fix the errors first"),
        "{text}"
    );
}

#[test]
fn unreadable_files_exit_2_naming_the_file() {
    let (code, text) = run(&["check", "fixtures/models/does-not-exist.json"]);
    assert_eq!(code, 2);
    assert!(
        text.contains("error: failed to open file `fixtures/models/does-not-exist.json`"),
        "{text}"
    );
    let (code, text) = run(&["check", "fixtures/models"]);
    assert_eq!(code, 2);
    assert!(text.contains("`fixtures/models`"), "{text}");
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let path = "fixtures/invalid/T104-invalid-bucket-name.json";
    let plain = tsload(&["check", path]).output().unwrap();
    assert!(!plain.stderr.contains(&0x1b), "auto colour on a pipe");
    let forced = tsload(&["--color", "always", "check", path])
        .output()
        .unwrap();
    assert!(forced.stderr.contains(&0x1b), "--color always");
    let never = tsload(&["--color", "never", "check", path])
        .env("CLICOLOR_FORCE", "1")
        .output()
        .unwrap();
    assert!(!never.stderr.contains(&0x1b), "--color never");
}

#[test]
fn bom_and_crlf_inputs() {
    // CRLF line endings give the same positions as LF.
    let dir = tempfile::tempdir().unwrap();
    let lf = fs_err::read_to_string(root().join("fixtures/invalid/T104-invalid-bucket-name.json"))
        .unwrap();
    let crlf_path = dir.path().join("crlf.json");
    fs_err::write(&crlf_path, lf.replace('\n', "\r\n")).unwrap();
    let loaded = load(&lf.replace('\n', "\r\n"), "crlf.json").unwrap();
    let from_lf = check(&load(&lf, "crlf.json").unwrap());
    assert_eq!(check(&loaded), from_lf);
    let out = tsload(&["check", crlf_path.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("crlf.json:6:21: error[T104]"));
}
