//! `tsload validate`: the shipped scenarios, AWS's published samples, the
//! benchmark generator's injected defects, every output file, inputs from
//! directories, globs, stdin and an S3 server started by the test.

use std::path::Path;

use crate::util::{root, run, tsload};

const SCENARIOS: &[(&str, &str)] = &[
    ("multi-measure-hosts", "task.json"),
    ("crlf-no-final-newline", "model.json"),
    ("empty-measures", "task.json"),
    ("mixed-measures", "model.json"),
    ("tab-separated-nulls", "task.json"),
];

#[test]
fn shipped_scenarios_are_clean() {
    for (dir, task) in SCENARIOS {
        let task = format!("fixtures/valid/{dir}/{task}");
        let data = format!("fixtures/valid/{dir}/data.csv");
        let (code, out) = run(&["validate", &task, &data]);
        assert_eq!(code, 0, "{out}");
        insta::assert_snapshot!(format!("validate-{dir}"), out);
    }
}

/// `v[array][*][key]` as strings.
fn column<'a>(v: &'a serde_json::Value, array: &str, key: &str) -> Vec<&'a str> {
    v[array]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x[key].as_str().unwrap())
        .collect()
}

fn json(args: &[&str]) -> (i32, serde_json::Value) {
    let out = tsload(args).output().unwrap();
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code().unwrap(), v)
}

#[test]
fn json_document_has_the_service_counters() {
    let (code, v) = json(&[
        "validate",
        "fixtures/valid/multi-measure-hosts/task.json",
        "fixtures/valid/multi-measure-hosts/data.csv",
        "--format",
        "json",
        "--now",
        "2024-05-07T00:00:00Z",
    ]);
    assert_eq!(code, 0);
    let pr = v["ProgressReport"].as_object().unwrap();
    let keys: Vec<&str> = pr.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "BytesMetered",
            "FileFailures",
            "ParseFailures",
            "RecordIngestionFailures",
            "RecordsIngested",
            "RecordsProcessed"
        ]
    );
    assert_eq!(v["version"], 1);
    assert_eq!(pr["RecordsProcessed"], 24);
    insta::assert_json_snapshot!("validate-json-clean", v);
}

/// AWS's own sample files validate clean with their own data models.
#[test]
fn aws_samples_validate_clean() {
    let samples = root().join("../shared/aws-samples");
    assert!(
        samples.is_dir(),
        "../shared/aws-samples is missing: CI lays shared/ beside the clone"
    );
    for (model, data) in [
        ("datamodel_details.json", "sensor_details.csv"),
        ("datamodel_events.json", "sensor_events.csv"),
    ] {
        let m = samples.join(model);
        let d = samples.join(data);
        let (code, out) = run(&["validate", m.to_str().unwrap(), d.to_str().unwrap()]);
        assert_eq!(code, 0, "{model} {data}: {out}");
        assert!(out.contains("No problems found"), "{out}");
    }
}

fn counts(stderr: &str) -> std::collections::HashMap<String, u64> {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("rows="))
        .expect("generator summary");
    line.split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.parse().unwrap()))
        .collect()
}

/// Every defect that `gen_csv.py --bad-rate` injects is found, with the
/// generator's own counts, and no other error.
#[test]
fn benchmark_generator_defects_are_found_with_their_counts() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("bad.csv");
    let gen_out = std::process::Command::new("python3")
        .arg(root().join("../shared/bench/gen_csv.py"))
        .args(["--rows", "30000", "--bad-rate", "0.002", "--out"])
        .arg(&csv)
        .output()
        .expect("python3 runs the generator");
    assert!(
        gen_out.status.success(),
        "{}",
        String::from_utf8_lossy(&gen_out.stderr)
    );
    let want = counts(&String::from_utf8_lossy(&gen_out.stderr));
    let task = root().join("../shared/bench/task.json");
    let (code, v) = json(&[
        "validate",
        task.to_str().unwrap(),
        csv.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code, 1);
    let pr = &v["ProgressReport"];
    assert_eq!(pr["RecordsProcessed"], want["rows"]);
    let parse = want["bad_double"]
        + want["bad_bigint"]
        + want["bad_bool"]
        + want["bad_time"]
        + want["empty_time"]
        + want["short_row"];
    assert_eq!(pr["ParseFailures"], parse);
    assert_eq!(pr["RecordIngestionFailures"], want["empty_dim"]);
    assert_eq!(pr["FileFailures"], 0);
    assert_eq!(pr["RecordsIngested"], want["rows"] - want["bad_rows"]);
    let mut errors = std::collections::BTreeMap::new();
    for r in v["rules"].as_array().unwrap() {
        if r["severity"] == "error" {
            errors.insert(
                r["code"].as_str().unwrap().to_owned(),
                r["count"].as_u64().unwrap(),
            );
        } else {
            // The only warnings: undocumented doubled quotes in the quoted
            // statuses, and same-key rows the generator makes by chance.
            assert!(
                ["C009", "R050"].contains(&r["code"].as_str().unwrap()),
                "unexpected warning {r}"
            );
        }
    }
    let expected: std::collections::BTreeMap<String, u64> = [
        ("C008", want["short_row"]),
        ("R001", want["empty_time"]),
        ("R002", want["bad_time"]),
        ("R010", want["bad_double"]),
        ("R012", want["bad_bigint"]),
        ("R014", want["bad_bool"]),
        ("R024", want["empty_dim"]),
    ]
    .into_iter()
    .map(|(k, n)| (k.to_owned(), n))
    .collect();
    assert_eq!(errors, expected);
}

#[test]
fn report_diagnostics_and_emit_files() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data.csv");
    let mut text =
        std::fs::read_to_string(root().join("fixtures/valid/multi-measure-hosts/data.csv"))
            .unwrap();
    text.push_str("1715000100000,us-east-1,web-01,n/a,2,3,true,OK\n");
    text.push_str("1715000100001,us-east-1,web-01,1.5,2,3,maybe,OK\n");
    text.push_str("1715000100002,us-east-1,web-01,1.5,2,3,true,OK\n");
    std::fs::write(&data, text).unwrap();
    let report = dir.path().join("report.json");
    let diags = dir.path().join("diagnostics.jsonl");
    let emit = dir.path().join("records.jsonl");
    let out = tsload(&[
        "validate",
        "fixtures/valid/multi-measure-hosts/task.json",
        data.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
        "--diagnostics",
        diags.to_str().unwrap(),
        "--emit",
        emit.to_str().unwrap(),
        "--memory-retention-hours",
        "24",
        "--magnetic-retention-days",
        "3650",
        "--magnetic-writes",
        "--now",
        "2024-05-07T00:00:00Z",
    ])
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", crate::util::block(&out));
    let report = std::fs::read_to_string(&report)
        .unwrap()
        .replace(data.to_str().unwrap(), "[DATA]");
    insta::assert_snapshot!("validate-report", report);
    let diags = std::fs::read_to_string(&diags)
        .unwrap()
        .replace(data.to_str().unwrap(), "[DATA]");
    insta::assert_snapshot!("validate-diagnostics-jsonl", diags);
    let emitted = std::fs::read_to_string(&emit).unwrap();
    assert_eq!(emitted.lines().count(), 25);
    let stdout = String::from_utf8_lossy(&out.stdout)
        .replace(data.to_str().unwrap(), "[DATA]")
        .replace(dir.path().to_str().unwrap(), "[TMP]");
    insta::assert_snapshot!("validate-failures-human", stdout);
}

/// An output onto an input, the task or another output is refused before
/// anything is read or written (exit 2), and every file stays as it was.
#[test]
fn outputs_never_overwrite_inputs_or_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data.csv");
    let task = dir.path().join("task.json");
    std::fs::copy(
        root().join("fixtures/valid/multi-measure-hosts/data.csv"),
        &data,
    )
    .unwrap();
    std::fs::copy(
        root().join("fixtures/valid/multi-measure-hosts/task.json"),
        &task,
    )
    .unwrap();
    let (d, t) = (data.to_str().unwrap(), task.to_str().unwrap());
    let before = (std::fs::read(&data).unwrap(), std::fs::read(&task).unwrap());
    let same = dir.path().join("out.jsonl");
    let same = same.to_str().unwrap();
    let dir_s = dir.path().to_str().unwrap();
    for (extra, message) in [
        (
            vec!["--report", d],
            format!("`--report {d}` would overwrite `{d}`, which this run reads"),
        ),
        (
            vec!["--emit", t],
            format!("`--emit {t}` would overwrite `{t}`"),
        ),
        (
            vec!["--diagnostics", same, "--emit", same],
            format!("`--diagnostics {same}` and `--emit {same}` are the same file"),
        ),
    ] {
        // The input also through its folder.
        let mut args = vec!["validate", t, dir_s, "--quiet"];
        args.extend(extra);
        let out = tsload(&args).output().unwrap();
        let text = crate::util::block(&out);
        assert_eq!(out.status.code(), Some(2), "{text}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(&message),
            "{text}"
        );
        assert!(out.stdout.is_empty(), "{text}");
        assert_eq!(
            (std::fs::read(&data).unwrap(), std::fs::read(&task).unwrap()),
            before
        );
        assert!(!Path::new(same).exists());
    }
}

/// `tsload ARGS` is a usage error (exit 2) whose message holds `message`.
fn usage_error(args: &[&str], message: &str) {
    let out = tsload(args).output().unwrap();
    let text = crate::util::block(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(message),
        "{text}"
    );
}

/// `--threads` takes 1..=256: 0 used to become 1 silently, and a huge value
/// spawned that many threads.
#[test]
fn threads_out_of_range_are_usage_errors() {
    for command in ["validate", "submit"] {
        for n in ["0", "257", "100000"] {
            usage_error(
                &[
                    command,
                    "fixtures/valid/multi-measure-hosts/task.json",
                    "fixtures/valid/multi-measure-hosts/data.csv",
                    "-j",
                    n,
                ],
                &format!("{n} is not in 1..=256"),
            );
        }
    }
}

/// A row with the wrong number of fields says how many, and what to fix.
#[test]
fn field_count_mismatch_gives_the_counts_and_a_fix() {
    let (_dir, data) = hosts_csv(
        "time,region,hostname,cpu,mem,requests,healthy,status\n\
         1715000000250,us-east-1,web-01,1,1,1,true,OK,extra\n\
         1715000000250,us-east-1,web-01,1,1,1,true\n",
    );
    let text = validate_hosts(&data);
    for line in [
        ":2: the row has 9 fields where the header has 8",
        "hint: a value probably holds the separator: quote it, or remove the extra separators",
        ":3: the row has 7 fields where the header has 8",
        "hint: a value is probably missing, or the row was cut: check the separators of this line",
    ] {
        assert!(text.contains(line), "{line}\n{text}");
    }
}

/// `--sample 0` would check nothing; `--upload-concurrency 0` would upload
/// nothing: both are usage errors.
#[test]
fn zero_counts_are_usage_errors() {
    let (task, data) = (
        "fixtures/valid/multi-measure-hosts/task.json",
        "fixtures/valid/multi-measure-hosts/data.csv",
    );
    usage_error(
        &["validate", task, data, "--sample", "0"],
        "0 is not in 1..",
    );
    usage_error(
        &["submit", task, data, "--upload-concurrency", "0"],
        "0 is not in 1..=64",
    );
}

/// An endpoint that is not an http(s) URL with a host is a usage error,
/// not a failed call with the SDK's request dump.
#[test]
fn endpoints_must_be_urls() {
    for (args, message) in [
        (
            &["list", "--endpoint-url", "notaurl"][..],
            "`notaurl` is not an http:// or https:// URL",
        ),
        (
            &[
                "status",
                "0123456789ABCDEF0123456789ABCDEF",
                "--s3-endpoint-url",
                "http://",
            ][..],
            "`http://` has no host",
        ),
    ] {
        usage_error(args, message);
    }
}

/// An input given twice (stdin twice, a file also inside a given folder)
/// is a usage error: its rows would be counted twice.
#[test]
fn inputs_given_twice_are_refused() {
    let (task, dir) = (
        "fixtures/valid/multi-measure-hosts/task.json",
        "fixtures/valid/multi-measure-hosts",
    );
    let data = "fixtures/valid/multi-measure-hosts/data.csv";
    usage_error(
        &["validate", task, "-", "-"],
        "`-` (standard input) is given more than once",
    );
    usage_error(
        &["validate", task, data, dir],
        "are the same file; give each input once",
    );
    // `-` and `/dev/stdin` read one pipe; `-` redirected from a file
    // also given reads that file twice.
    let piped = {
        use std::io::Write as _;
        use std::process::Stdio;
        let mut child = tsload(&["validate", task, "-", "/dev/stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The refusal comes before any read: the pipe may be closed.
        let _ = child
            .stdin
            .take()
            .unwrap()
            .write_all(&std::fs::read(data).unwrap());
        child.wait_with_output().unwrap()
    };
    let redirected = tsload(&["validate", task, data, "-"])
        .stdin(std::fs::File::open(data).unwrap())
        .output()
        .unwrap();
    for (out, message) in [
        (piped, "`-` and `/dev/stdin` are the same file".to_owned()),
        (redirected, format!("`{data}` and `-` are the same file")),
    ] {
        let text = crate::util::block(&out);
        assert_eq!(out.status.code(), Some(2), "{text}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(&message),
            "{text}"
        );
    }
}

/// A trailing separator in the header is one warning (C015), placed by the
/// column's number since it has no name.
#[test]
fn a_trailing_separator_in_the_header_is_one_warning() {
    let (_dir, data) = hosts_csv(
        "time,region,hostname,cpu,mem,requests,healthy,status,\n\
         1715000000250,us-east-1,web-01,1,1,1,true,OK,\n",
    );
    let task = "fixtures/valid/multi-measure-hosts/task.json";
    let (code, v) = json(&["validate", task, data.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(column(&v, "rules", "code"), ["C015"]);
    assert!(validate_hosts(&data).contains("data.csv:1:column #9: header:"));
}

/// A CSV file holding `text`, in a folder of its own.
fn hosts_csv(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data.csv");
    std::fs::write(&data, text).unwrap();
    (dir, data)
}

/// The human output of validating `data` against the hosts scenario's task.
fn validate_hosts(data: &Path) -> String {
    let task = "fixtures/valid/multi-measure-hosts/task.json";
    let out = tsload(&["validate", task, data.to_str().unwrap()])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `--null-value` takes what a task's `NullValue` takes: 1..=256 characters.
#[test]
fn null_value_flag_has_the_task_constraint() {
    let long = "n".repeat(257);
    for (v, message) in [
        ("", "must not be empty"),
        (long.as_str(), "at most 256 characters"),
    ] {
        usage_error(
            &[
                "validate",
                "fixtures/valid/mixed-measures/model.json",
                "fixtures/valid/mixed-measures/data.csv",
                "--null-value",
                v,
            ],
            message,
        );
    }
}

/// `--report /dev/stdout` with stdout appended to a file writes the report
/// into that stream: what the file held stays, and the summary follows.
#[cfg(target_os = "linux")]
#[test]
fn report_to_stdout_redirected_to_a_file_appends() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log.txt");
    std::fs::write(&log, "PRE-EXISTING LOG\n").unwrap();
    let out = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    let status = tsload(&[
        "validate",
        "fixtures/valid/multi-measure-hosts/task.json",
        "fixtures/valid/multi-measure-hosts/data.csv",
        "--report",
        "/dev/stdout",
    ])
    .stdout(out)
    .status()
    .unwrap();
    assert_eq!(status.code(), Some(0));
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.starts_with("PRE-EXISTING LOG\n{"), "{text}");
    assert!(text.contains("\"taskId\": \"LOCAL\""), "{text}");
    assert!(text.contains("Result: clean"), "{text}");
}

/// With `--format json`, a run that cannot start still prints a document:
/// `"ok": false` and the `error` (exit 2), as `check` does.
#[test]
fn json_runs_that_cannot_start_print_an_error_document() {
    for (command, task, input, named) in [
        (
            "validate",
            "fixtures/valid/multi-measure-hosts/task.json",
            "no/such.csv",
            "no/such.csv",
        ),
        (
            "submit",
            "/dev/null",
            "fixtures/valid/multi-measure-hosts/data.csv",
            "/dev/null",
        ),
    ] {
        let (code, v) = json(&[command, task, input, "--format", "json"]);
        assert_eq!(code, 2, "{command}: {v}");
        assert_eq!(v["command"], command);
        assert_eq!(v["ok"], false);
        let message = v["error"]["message"].as_str().unwrap();
        assert!(message.contains(named), "{command}: {message}");
    }
}

/// A result that cannot be written (stdout on a full disk) is a failure,
/// exit 2, not a clean run whose JSON went nowhere.
#[cfg(target_os = "linux")]
#[test]
fn a_failed_write_to_stdout_is_an_error() {
    for args in [
        &[
            "validate",
            "fixtures/valid/multi-measure-hosts/task.json",
            "fixtures/valid/multi-measure-hosts/data.csv",
            "--format",
            "json",
        ][..],
        &[
            "check",
            "fixtures/valid/multi-measure-hosts/task.json",
            "--format",
            "json",
        ],
    ] {
        let out = tsload(args)
            .stdout(std::fs::File::create("/dev/full").unwrap())
            .output()
            .unwrap();
        let text = crate::util::block(&out);
        assert_eq!(out.status.code(), Some(2), "{text}");
        assert!(
            String::from_utf8_lossy(&out.stderr)
                .contains("error: cannot write to standard output: No space left on device"),
            "{text}"
        );
    }
}

#[test]
fn directories_globs_and_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let src = std::fs::read(root().join("fixtures/valid/multi-measure-hosts/data.csv")).unwrap();
    for name in ["b.csv", "a.csv"] {
        std::fs::write(dir.path().join(name), &src).unwrap();
    }
    let task = "fixtures/valid/multi-measure-hosts/task.json";
    let (code, v) = json(&[
        "validate",
        task,
        dir.path().to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code, 0);
    let files = column(&v, "files", "file");
    assert!(
        files[0].ends_with("a.csv") && files[1].ends_with("b.csv"),
        "{files:?}"
    );
    assert_eq!(v["ProgressReport"]["RecordsProcessed"], 48);
    let pattern = format!("{}/*.csv", dir.path().display());
    let (code, v) = json(&["validate", task, &pattern, "--format", "json"]);
    assert_eq!((code, v["files"].as_array().unwrap().len()), (0, 2));
    let out = tsload(&["validate", task, "-", "--format", "json"])
        .stdin(
            std::fs::File::open(root().join("fixtures/valid/multi-measure-hosts/data.csv"))
                .unwrap(),
        )
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["files"][0]["file"], "<stdin>");
    assert_eq!(v["ProgressReport"]["RecordsProcessed"], 24);
}

#[test]
fn usage_and_input_errors_exit_2_naming_the_input() {
    let task = "fixtures/valid/multi-measure-hosts/task.json";
    let (code, out) = run(&["validate", task, "no/such/file.csv"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("no/such/file.csv"), "{out}");
    let (code, out) = run(&["validate", "no/such/task.json", "x.csv"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("no/such/task.json"), "{out}");
    let (code, out) = run(&["validate", "fixtures/valid/mixed-measures/model.json"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("no inputs"), "{out}");
    let (code, out) = run(&[
        "validate",
        task,
        "fixtures/valid/multi-measure-hosts/data.csv",
        "--separator",
        ";",
    ]);
    assert_eq!(code, 2, "{out}");
    let (code, out) = run(&[
        "validate",
        task,
        "fixtures/valid/multi-measure-hosts/data.csv",
        "--now",
        "yesterday",
    ]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("RFC 3339"), "{out}");
    let dir = tempfile::tempdir().unwrap();
    let (code, out) = run(&[
        "validate",
        task,
        "fixtures/valid/multi-measure-hosts/data.csv",
        "--report",
        dir.path().join("missing/report.json").to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("report.json"), "{out}");
}

#[test]
fn bare_model_dialect_flags() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("semi.csv");
    let text =
        std::fs::read_to_string(root().join("fixtures/valid/mixed-measures/data.csv")).unwrap();
    std::fs::write(&data, text.replace(',', ";")).unwrap();
    let model = "fixtures/valid/mixed-measures/model.json";
    let (code, out) = run(&["validate", model, data.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    let (code, out) = run(&[
        "validate",
        model,
        data.to_str().unwrap(),
        "--separator",
        ";",
    ]);
    assert_eq!(code, 0, "{out}");
}

fn write_tree(root: &Path, files: &[(&str, &[u8])]) {
    for (name, data) in files {
        let p = root.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, data).unwrap();
    }
}

/// S3 inputs, listed and streamed from an S3 server the test starts.
#[test]
fn s3_inputs_and_the_tasks_own_source() {
    let store = tempfile::tempdir().unwrap();
    let data = std::fs::read(root().join("fixtures/valid/multi-measure-hosts/data.csv")).unwrap();
    write_tree(
        store.path(),
        &[
            ("tsload-example-input/hosts/2024-05/part-1.csv", &data),
            ("tsload-example-input/hosts/2024-05/part-2.csv", &data),
            ("tsload-example-input/other/ignored.csv", b"x\n"),
        ],
    );
    let server = tsload_emulator::s3::S3Server::start(store.path()).unwrap();
    let with_s3 = |args: &[&str]| {
        let mut c = tsload(args);
        c.env("AWS_ENDPOINT_URL_S3", server.endpoint())
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true");
        c.output().unwrap()
    };
    let task = "fixtures/valid/multi-measure-hosts/task.json";
    // No inputs: the task's own DataSourceS3Configuration.
    let out = with_s3(
        &[task, "--format", "json"]
            .iter()
            .fold(vec!["validate"], |mut v, a| {
                v.push(a);
                v
            }),
    );
    assert_eq!(out.status.code(), Some(0), "{}", crate::util::block(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let files = column(&v, "files", "file");
    assert_eq!(
        files,
        [
            "s3://tsload-example-input/hosts/2024-05/part-1.csv",
            "s3://tsload-example-input/hosts/2024-05/part-2.csv"
        ]
    );
    assert_eq!(v["ProgressReport"]["RecordsProcessed"], 48);
    // An explicit URL, and a report that names S3 keys like the service.
    let out = with_s3(&[
        "validate",
        task,
        "s3://tsload-example-input/other/",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", crate::util::block(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ProgressReport"]["FileFailures"], 1);
    // A prefix with nothing under it.
    let out = with_s3(&["validate", task, "s3://tsload-example-input/nothing/"]);
    assert_eq!(out.status.code(), Some(2), "{}", crate::util::block(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no objects"));
}

/// `--describe-table` reads retention, magnetic-store writes and REQUIRED
/// partition keys from the table, here in the emulator.
#[test]
fn describe_table_sets_the_window_and_partition_keys() {
    use aws_sdk_timestreamwrite as tsw;
    let server = tsload_emulator::Server::start(tsload_emulator::Config::default()).unwrap();
    let endpoint = server.endpoint().to_owned();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let conf = tsw::Config::builder()
            .behavior_version(tsw::config::BehaviorVersion::latest())
            .endpoint_url(&endpoint)
            .region(tsw::config::Region::new("us-east-1"))
            .credentials_provider(tsw::config::Credentials::new(
                "AKID", "secret", None, None, "test",
            ))
            .build();
        let c = tsw::Client::from_conf(conf);
        c.create_database()
            .database_name("telemetry")
            .send()
            .await
            .unwrap();
        let retention = |hours, days| {
            tsw::types::RetentionProperties::builder()
                .memory_store_retention_period_in_hours(hours)
                .magnetic_store_retention_period_in_days(days)
                .build()
                .unwrap()
        };
        // "hosts": 1 h in memory, magnetic writes off.
        c.create_table()
            .database_name("telemetry")
            .table_name("hosts")
            .retention_properties(retention(1, 1))
            .send()
            .await
            .unwrap();
        // "keyed": magnetic writes on and a REQUIRED key the model never writes.
        let key = tsw::types::PartitionKey::builder()
            .r#type(tsw::types::PartitionKeyType::Dimension)
            .name("az")
            .enforcement_in_record(tsw::types::PartitionKeyEnforcementLevel::Required)
            .build()
            .unwrap();
        c.create_table()
            .database_name("telemetry")
            .table_name("keyed")
            .retention_properties(retention(1, 30))
            .magnetic_store_write_properties(
                tsw::types::MagneticStoreWriteProperties::builder()
                    .enable_magnetic_store_writes(true)
                    .build()
                    .unwrap(),
            )
            .schema(
                tsw::types::Schema::builder()
                    .composite_partition_key(key)
                    .build(),
            )
            .send()
            .await
            .unwrap();
    });
    let dir = tempfile::tempdir().unwrap();
    let run_for = |table: &str| {
        let mut task: serde_json::Value = serde_json::from_slice(
            &std::fs::read(root().join("fixtures/valid/multi-measure-hosts/task.json")).unwrap(),
        )
        .unwrap();
        task["TargetTableName"] = table.into();
        let path = dir.path().join(format!("{table}.json"));
        std::fs::write(&path, serde_json::to_vec(&task).unwrap()).unwrap();
        let out = tsload(&[
            "validate",
            path.to_str().unwrap(),
            "fixtures/valid/multi-measure-hosts/data.csv",
            "--describe-table",
            "--endpoint-url",
            &endpoint,
            "--now",
            "2024-05-07T00:00:00Z",
            "--format",
            "json",
        ])
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .output()
        .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", crate::util::block(&out)));
        (out.status.code().unwrap(), v)
    };
    // Rows of 2024-05-06 are older than 1 h, and magnetic writes are off.
    let (code, v) = run_for("hosts");
    assert_eq!(code, 1);
    assert_eq!(v["window"]["retention_checked"], true);
    assert_eq!(v["ProgressReport"]["RecordIngestionFailures"], 24);
    // With magnetic writes (30 days) they fit, but the REQUIRED key `az` is never written.
    let (code, v) = run_for("keyed");
    assert_eq!(code, 1);
    let codes = column(&v, "rules", "code");
    assert!(codes.contains(&"H005"), "{codes:?}");
    // A table that does not exist: exit 2, naming it.
    let mut task: serde_json::Value = serde_json::from_slice(
        &std::fs::read(root().join("fixtures/valid/multi-measure-hosts/task.json")).unwrap(),
    )
    .unwrap();
    task["TargetTableName"] = "missing".into();
    let missing = dir.path().join("missing.json");
    std::fs::write(&missing, serde_json::to_vec(&task).unwrap()).unwrap();
    let out = tsload(&[
        "validate",
        missing.to_str().unwrap(),
        "fixtures/valid/multi-measure-hosts/data.csv",
        "--describe-table",
        "--endpoint-url",
        &endpoint,
    ])
    .env("AWS_ACCESS_KEY_ID", "test")
    .env("AWS_SECRET_ACCESS_KEY", "test")
    .env("AWS_REGION", "us-east-1")
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("ResourceNotFound") && err.contains("telemetry"),
        "{err}"
    );
}

/// Five records, the last one repeating the fourth's key (time and
/// dimensions) with another value: a duplicate the table finds only if it
/// tracks the fourth key.
const REPEATED_KEY: &str = "\
time,region,hostname,cpu,mem,requests,healthy,status
1715000000250,us-east-1,web-01,20.05,30.00,100,false,OK
1715000000537,us-east-1,web-02,33.15,37.30,117,true,OK
1715000000861,eu-west-1,db-01,46.25,44.60,134,true,OK
1715000001222,eu-west-1,db-02,59.35,51.90,151,true,OK
1715000001222,eu-west-1,db-02,61.00,51.90,151,true,OK
";

/// `tsload validate` of [`REPEATED_KEY`] from stdin with `args` added.
fn repeated_key(args: &[&str]) -> (i32, String) {
    use std::io::Write;
    let mut child = tsload(
        &[
            &[
                "validate",
                "fixtures/valid/multi-measure-hosts/task.json",
                "-",
                "--now",
                "2024-05-07T00:00:00Z",
            ],
            args,
        ]
        .concat(),
    )
    .stdin(std::process::Stdio::piped())
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(REPEATED_KEY.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (out.status.code().unwrap(), crate::util::block(&out))
}

#[test]
fn duplicate_keys_bounds_the_table_and_the_hint_gives_the_size_that_tracks_all() {
    // The default table finds the repeated key.
    let (code, out) = repeated_key(&[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("R050"), "{out}");
    assert!(!out.contains("Duplicate detection"), "{out}");
    // Two keys: the last three records come after the tracked times, so
    // they are only counted, and the summary says how many keys would do.
    let (code, out) = repeated_key(&["--duplicate-keys", "2"]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("R050"), "{out}");
    insta::assert_snapshot!("validate-duplicate-keys-partial", out);
    // The hinted size finds the duplicate again.
    let (_, out) = repeated_key(&["--duplicate-keys", "5"]);
    assert!(out.contains("R050") && !out.contains("partial"), "{out}");
    // 0: no detection at all, and the summary says so.
    let (code, out) = repeated_key(&["--duplicate-keys", "0"]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("R050"), "{out}");
    assert!(
        out.contains("Duplicate detection was off (--duplicate-keys 0)."),
        "{out}"
    );
    // JSON says the same: no capacity, nothing tracked or untracked.
    let (_, out) = repeated_key(&["--duplicate-keys", "0", "--format", "json"]);
    let json = &out[out.find('{').unwrap()..=out.rfind('}').unwrap()];
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(v["duplicates"]["capacity"], 0, "{out}");
    assert_eq!(v["duplicates"]["untracked_records"], 0, "{out}");
    // Past the largest table: a usage error naming the bound.
    let (code, out) = repeated_key(&["--duplicate-keys", "99999999999"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("67108864"), "{out}");
}

/// `validate` takes the AWS arguments of the task commands, `--verbose`
/// included: the settings on stderr, the summary on stdout unchanged.
#[test]
fn verbose_prints_the_aws_settings_on_stderr() {
    let args = [
        "validate",
        "fixtures/valid/multi-measure-hosts/task.json",
        "fixtures/valid/multi-measure-hosts/data.csv",
        "--now",
        "2024-05-07T00:00:00Z",
        "--region",
        "eu-west-1",
        "--s3-endpoint-url",
        "http://127.0.0.1:9",
    ];
    let plain = tsload(&args).output().unwrap();
    let verbose = tsload(&[&args[..], &["--verbose"]].concat())
        .output()
        .unwrap();
    assert_eq!(verbose.status.code(), Some(0));
    assert_eq!(verbose.stdout, plain.stdout);
    let stderr = String::from_utf8_lossy(&verbose.stderr);
    assert!(stderr.contains("region: eu-west-1\n"), "{stderr}");
    assert!(
        stderr.contains("s3 endpoint: http://127.0.0.1:9\n"),
        "{stderr}"
    );
    assert!(!String::from_utf8_lossy(&plain.stderr).contains("region:"));
}

/// A file that fails (a mapped column missing from the header) lists only
/// its errors' reasons: the header's warnings (a name with spaces, an
/// empty name) give none, in `--report` as in `files[].errors`.
#[test]
fn a_failed_files_reasons_come_from_errors_only() {
    let (dir, data) = hosts_csv(
        "time, region ,hostname,cpu,mem,requests,healthy,status,\n\
         1715000000250,us-east-1,web-01,1,1,1,true,OK,\n",
    );
    let report = dir.path().join("report.json");
    let task = "fixtures/valid/multi-measure-hosts/task.json";
    let (code, v) = json(&[
        "validate",
        task,
        data.to_str().unwrap(),
        "--format",
        "json",
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{v}");
    let mut rules = column(&v, "rules", "code");
    rules.sort_unstable();
    assert_eq!(rules, ["C015", "C017", "H001"], "{v}");
    let reasons = |errors: &serde_json::Value| -> Vec<String> {
        errors
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["reason"].as_str().unwrap().to_owned())
            .collect()
    };
    let in_json = reasons(&v["files"][0]["errors"]);
    assert_eq!(in_json.len(), 1, "{v}");
    assert!(!in_json[0].contains("could not be read"), "{v}");
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(
        reasons(&written["fileErrors"][0]["errors"]),
        in_json,
        "{written}"
    );
}

/// A quote left open on the last line takes the file's final line break
/// into its record: the record ends on that line, not on one past the end,
/// and that break is not a line break inside a field (C012). A quoted line
/// break inside a record still extends its range.
#[test]
fn an_open_quote_at_the_end_ends_on_the_last_line() {
    let task = "fixtures/valid/multi-measure-hosts/task.json";
    for (text, want, rules) in [
        (
            "time,region,hostname,cpu,mem,requests,healthy,status\n\
             1715000000250,us-east-1,web-01,1,1,1,true,OK\n\
             1715000000250,us-east-1,web-02,1,1,1,true,\"open\n",
            serde_json::json!([[3, 3]]),
            &["C006"][..],
        ),
        (
            "time,region,hostname,cpu,mem,requests,healthy,status\n\
             1715000000250,us-east-1,web-01,1,1,1,true,OK\n\
             1715000000250,us-east-1,web-02,1,1,1,true,\"open\n\n",
            serde_json::json!([[3, 4]]),
            &["C006", "C012"][..],
        ),
        (
            "time,region,hostname,cpu,mem,requests,healthy,status\n\
             1715000000250,us-east-1,web-01,x,1,1,true,\"two\nlines\"\n",
            serde_json::json!([[2, 3]]),
            &["R010", "C012"][..],
        ),
    ] {
        let (_dir, data) = hosts_csv(text);
        let (code, v) = json(&["validate", task, data.to_str().unwrap(), "--format", "json"]);
        assert_eq!(code, 1, "{v}");
        assert_eq!(
            v["files"][0]["errors"][0]["lineRanges"], want,
            "{text:?}: {v}"
        );
        assert_eq!(column(&v, "rules", "code"), rules, "{text:?}: {v}");
    }
}

/// A finding about a field after a quoted line break is placed on the
/// field's own line; its record keeps its number and its range.
#[test]
fn a_field_after_a_quoted_line_break_is_on_its_own_line() {
    let (_dir, data) = hosts_csv(
        "time,region,hostname,cpu,mem,requests,healthy,status\n\
         1715000000250,us-east-1,\"web\n01\",x,1,1,true,OK\n",
    );
    let task = "fixtures/valid/multi-measure-hosts/task.json";
    let (code, v) = json(&["validate", task, data.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 1, "{v}");
    let f = v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == "R010")
        .unwrap_or_else(|| panic!("no R010: {v}"));
    let at = &f["examples"][0]["location"];
    assert_eq!(
        (&at["line"], &at["record"], &at["field"]),
        (&3.into(), &1.into(), &3.into()),
        "{v}"
    );
    assert_eq!(
        v["files"][0]["errors"][0]["lineRanges"],
        serde_json::json!([[2, 3]]),
        "{v}"
    );
}

/// With warnings only, `--deny-warnings` fails the run, and the summary
/// says so: `"ok": false` and its own verdict, as `check` says it.
#[test]
fn denied_warnings_are_not_called_clean() {
    let (_dir, data) = hosts_csv(
        "time,region,hostname,cpu,mem,requests,healthy,status,extra\n\
         1715000000250,us-east-1,web-01,1,1,1,true,OK,1\n",
    );
    let task = "fixtures/valid/multi-measure-hosts/task.json";
    let data = data.to_str().unwrap();
    let (code, v) = json(&["validate", task, data, "--format", "json"]);
    assert_eq!((code, &v["ok"]), (0, &true.into()), "{v}");
    assert_eq!(column(&v, "rules", "code"), ["H003"]);
    let (code, v) = json(&[
        "validate",
        task,
        data,
        "--format",
        "json",
        "--deny-warnings",
    ]);
    assert_eq!((code, &v["ok"]), (1, &false.into()), "{v}");
    let out = tsload(&["validate", task, data, "--deny-warnings"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Result: warnings found, denied by --deny-warnings"),
        "{text}"
    );
}

/// Blank lines before the header: the service reads the first line as the
/// header [INF], finds none of the mapped columns and fails the file; a
/// clean prediction would be wrong.
#[test]
fn blank_lines_before_the_header_fail_the_file() {
    let (_dir, data) = hosts_csv(
        "\n\ntime,region,hostname,cpu,mem,requests,healthy,status\n\
         1715000000250,us-east-1,web-01,1,1,1,true,OK\n",
    );
    let task = "fixtures/valid/multi-measure-hosts/task.json";
    let (code, v) = json(&["validate", task, data.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["ProgressReport"]["FileFailures"], 1, "{v}");
    assert_eq!(v["ProgressReport"]["RecordsIngested"], 0, "{v}");
    let rule = &v["rules"][0];
    assert_eq!(
        (&rule["code"], &rule["evidence"]),
        (&"C022".into(), &"INF".into()),
        "{v}"
    );
    assert!(
        rule["examples"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("the header is on line 3, after 2 blank lines;"),
        "{v}"
    );
    assert_eq!(
        v["files"][0]["errors"][0]["reason"],
        "The first line of the file, read as the header, is blank.",
        "{v}"
    );
}

/// A line break in a name or value from the data is shown escaped in the
/// human summary, so that each entry keeps its line.
#[test]
fn line_breaks_from_the_data_stay_on_one_line() {
    let (_dir, data) = hosts_csv(
        "time,region,hostname,cpu,mem,requests,healthy,status,\"ex\ntra\"\n\
         1715000000250,us-east-1,web-01,1,1,1,maybe,OK,1\n",
    );
    let text = validate_hosts(&data);
    assert!(text.contains("`ex\\u{a}tra`"), "{text}");
    assert!(!text.lines().any(|l| l.starts_with("tra")), "{text}");
}
