//! Hostile headers found by the reliability tests: names of megabytes and
//! headers of thousands of columns compile in linear time, and the messages
//! about them stay short.

use std::time::{Duration, Instant};

use tsload_csv::record::{Issue, OwnedRecord, Position};
use tsload_mapper::{CheckContext, ChunkChecker, Duplicates, FileMerger, Plan};
use tsload_model::diag::{Location, MAX_VALUE_CHARS};
use tsload_model::effective::{CsvDialect, DataModel};

fn model() -> DataModel {
    let wire = serde_json::from_str(
        r#"{"TimeColumn":"time","TimeUnit":"MILLISECONDS",
          "DimensionMappings":[{"SourceColumn":"host"}],
          "MultiMeasureMappings":{"TargetMultiMeasureName":"m",
            "MultiMeasureAttributeMappings":[{"SourceColumn":"cpu","MeasureValueType":"DOUBLE"}]}}"#,
    )
    .unwrap();
    DataModel::from_wire(&wire).unwrap()
}

/// Every text a diagnostic carries stays well under `limit` bytes.
#[track_caller]
fn assert_short(d: &tsload_model::Diagnostic, limit: usize) {
    let column = match &d.location {
        Location::Data { column, .. } => column.as_deref().unwrap_or(""),
        _ => "",
    };
    for (what, text) in [
        ("message", d.message.as_str()),
        ("hint", d.hint.as_deref().unwrap_or("")),
        ("value", d.value.as_deref().unwrap_or("")),
        ("column", column),
    ] {
        assert!(
            text.len() < limit,
            "{} {what} of {} bytes: {}…",
            d.rule.code,
            text.len(),
            &text[..200]
        );
    }
}

/// A header name of 10 MB (under the 16 MiB record limit): the missing
/// mapped columns are reported at once (the did-you-mean search compared
/// every name with Jaro-Winkler: 56 s for this header), with short hints.
#[test]
fn a_name_of_10_mb_compiles_fast_with_short_messages() {
    let huge = "x".repeat(10 << 20);
    let start = Instant::now();
    let errors = Plan::compile(
        &model(),
        &CsvDialect::default(),
        &[huge.as_str(), "tme"],
        &CheckContext::default(),
    )
    .unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    let codes: Vec<&str> = errors.iter().map(|d| d.rule.code).collect();
    assert_eq!(codes, ["H001", "H001", "H001"]);
    assert_eq!(
        errors[0].hint.as_deref(),
        Some("did you mean `tme`? Header names match exactly, case and spaces included")
    );
    for d in &errors {
        assert_short(d, 1000);
    }
}

/// A usable plan with a 10 MB unmapped column and a row finding in that
/// column: the column name in the location and the message is cut.
#[test]
fn findings_in_a_column_with_a_huge_name_are_short() {
    let huge = "y".repeat(10 << 20);
    let plan = Plan::compile(
        &model(),
        &CsvDialect::default(),
        &["time", "host", "cpu", huge.as_str()],
        &CheckContext {
            reference_time_ns: 1_800_000_000_000_000_000,
            ..CheckContext::default()
        },
    )
    .unwrap();
    for d in plan.diagnostics() {
        assert_eq!(d.rule.code, "H003");
        assert_short(d, 1000);
    }
    let mut checker = ChunkChecker::new(&plan);
    for i in 0..2000u64 {
        let mut r = OwnedRecord::from_fields(&["1700000000000", "h", "1.5", "a\0b"]);
        r.push_issue(Issue {
            rule: &tsload_csv::rules::NUL_BYTE,
            field: Some(3),
            offset: 1,
        });
        r.position = Position {
            byte: 0,
            line: 2 + i,
            record: 1 + i,
        };
        checker.check_row(&r.as_record());
    }
    let mut dups = Duplicates::default();
    let mut m = FileMerger::new(&plan, "huge.csv", &mut dups);
    m.push(checker.finish(), Position::default());
    let res = m.finish(0);
    assert!(res.diagnostics.iter().any(|d| d.rule.code == "C004"));
    for d in &res.diagnostics {
        assert_short(d, 1000);
        if let Location::Data {
            column: Some(c), ..
        } = &d.location
        {
            assert!(c.chars().count() <= MAX_VALUE_CHARS + 1, "{}", c.len());
        }
    }
}

/// 10,000 unknown columns: the hint lists the first names, not all of them.
#[test]
fn ten_thousand_unknown_columns_are_listed_briefly() {
    let names: Vec<String> = (0..10_000).map(|i| format!("c{i}")).collect();
    let errors = Plan::compile(
        &model(),
        &CsvDialect::default(),
        &names,
        &CheckContext::default(),
    )
    .unwrap_err();
    assert_eq!(errors.len(), 3);
    let hint = errors[0].hint.as_deref().unwrap();
    assert!(hint.starts_with("the header has: `c0`, `c1`"), "{hint}");
    assert!(hint.ends_with(" and 9980 more"), "{hint}");
    for d in &errors {
        assert_short(d, 1000);
    }
}
