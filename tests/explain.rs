//! `tsload explain` on fixed reports: agreement only where a local finding
//! has the service's reason, and report entries that are not ranges named
//! in warnings rather than dropped or rewritten.

use serde_json::Value;

use crate::util::{block, run, tsload};

const TASK: &str = "fixtures/submit/task.json";

/// `tsload explain REPORT TASK DATA` at a fixed time, for people and as
/// JSON, both exiting with `code`; snapshots `NAME-human` and `NAME-json`.
fn explain(name: &str, report: &str, data: &str, code: i32) -> (String, Value) {
    let args = [
        "explain",
        report,
        TASK,
        data,
        "--now",
        "2024-05-01T00:10:00Z",
        "--memory-retention-hours",
        "24",
    ];
    let (human_code, out) = run(&args);
    assert_eq!(human_code, code, "{out}");
    insta::assert_snapshot!(format!("{name}-human"), out);
    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let o = tsload(&json_args).output().unwrap();
    assert_eq!(o.status.code(), Some(code), "{}", block(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    insta::assert_json_snapshot!(format!("{name}-json"), v);
    (out, v)
}

/// A reason is explained by the local findings on its lines only when one
/// of them is reported under that reason; findings for other reasons are
/// named as such; every cause that matches lines is `[INF]`.
#[test]
fn explain_agrees_only_on_the_same_reason() {
    let (out, v) = explain(
        "explain-reasons",
        "fixtures/submit/explain-reasons/report.json",
        "fixtures/submit/explain-reasons/data.csv",
        0,
    );
    let ranges = v["explanation"]["files"][0]["ranges"].as_array().unwrap();
    let agreement: Vec<&str> = ranges
        .iter()
        .map(|r| r["agreement"].as_str().unwrap())
        .collect();
    assert_eq!(
        agreement,
        ["other_findings", "agrees", "agrees", "local_clean"]
    );
    assert!(ranges.iter().all(|r| r["inferred"] == true), "{v}");
    // The window reason is not called agreement with an empty dimension.
    let window = &ranges[0]["likely_cause"];
    assert!(
        window
            .as_str()
            .unwrap()
            .contains("their reasons, as tsload words them, differ from this one"),
        "{window}"
    );
    // The BIGINT reason agrees through R012 alone.
    let bigint = ranges[1]["likely_cause"].as_str().unwrap();
    assert!(
        bigint.starts_with("the local check agrees: a BIGINT value is not an integer"),
        "{bigint}"
    );
    assert!(!out.contains("likely cause: the local check"), "{out}");
}

/// `lineRanges` entries that are not two positive integers in order: each
/// named with its file entry and reason, none silently rewritten, every
/// reason kept; a reversed pair is explained as its normalised range, and
/// the exit code is 1 (the report has errors), not a crash.
#[test]
fn explain_names_malformed_ranges() {
    let (out, v) = explain(
        "explain-malformed-ranges",
        "fixtures/submit/explain-malformed-ranges/report.json",
        "fixtures/submit/explain/data.csv",
        1,
    );
    let written: Vec<&str> = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["range"].as_str().unwrap())
        .collect();
    assert_eq!(written, ["[-1,0]", "[2.0,3]", "[4]", "[2,3,4]", "[6,5]"]);
    for reason in [
        "A measure value cannot be converted to DOUBLE.",
        "A measure value cannot be converted to BIGINT.",
        "The record timestamp is outside the time range of the data ingestion window.",
    ] {
        assert!(out.contains(&format!("reason \"{reason}\"")), "{out}");
    }
    let lines: Vec<&Value> = v["explanation"]["files"][0]["ranges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["lines"])
        .collect();
    assert_eq!(
        lines,
        [&serde_json::json!([7, 7]), &serde_json::json!([5, 6])]
    );
    assert!(
        out.contains("the range `[6,5]` is reversed; it is explained as lines 5-6"),
        "{out}"
    );
}

/// A report that cannot be read is exit 2, and with `--format json` the
/// error document is on stdout, as for the other commands.
#[test]
fn an_unreadable_report_is_an_error_document() {
    let o = tsload(&[
        "explain",
        "fixtures/submit/explain/no-such-report.json",
        TASK,
        "fixtures/submit/explain/data.csv",
        "--format",
        "json",
    ])
    .output()
    .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", block(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (&v["command"], &v["ok"]),
        (&"explain".into(), &false.into()),
        "{v}"
    );
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no-such-report.json"),
        "{v}"
    );
}
