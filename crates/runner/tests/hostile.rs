//! Hostile headers through the pipeline: findings about the header stay
//! small however long the header's fields are.

use std::path::PathBuf;

use tsload_model::diag::{Location, MAX_VALUE_CHARS};
use tsload_model::effective::{CsvDialect, DataModel};
use tsload_runner::input::Input;
use tsload_runner::progress::NoProgress;
use tsload_runner::validate::{LocalOpener, Options, Pipeline};

fn model() -> DataModel {
    let wire = serde_json::from_str(
        r#"{"TimeColumn":"time","DimensionMappings":[{"SourceColumn":"host"}],
          "MultiMeasureMappings":{"TargetMultiMeasureName":"m",
            "MultiMeasureAttributeMappings":[{"SourceColumn":"cpu","MeasureValueType":"DOUBLE"}]}}"#,
    )
    .unwrap();
    DataModel::from_wire(&wire).unwrap()
}

/// A header field of 300 KB holding 100,000 stray quotes (a JSON document
/// given as the CSV input): each header finding used to copy the whole
/// field as its column name, 100,000 × 300 KB.
#[test]
fn header_findings_quote_a_cut_column_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested.json");
    let n = 50_000;
    let text = format!("{}1{}\n", "{\"a\":".repeat(n), "}".repeat(n));
    std::fs::write(&path, &text).unwrap();
    let model = model();
    let dialect = CsvDialect::default();
    let v = Pipeline::new(&model, &dialect, Options::default())
        .unwrap()
        .run(
            &[Input::File {
                path: PathBuf::from(&path),
                size: text.len() as u64,
            }],
            &LocalOpener,
            None,
            &NoProgress,
        )
        .unwrap();
    let res = &v.files[0].result;
    assert_eq!(res.counters.file_failures, 1);
    assert!(res.diagnostics.iter().any(|d| d.rule.code == "C010"));
    let mut bytes = 0;
    for d in &res.diagnostics {
        if let Location::Data {
            column: Some(c), ..
        } = &d.location
        {
            assert!(c.chars().count() <= MAX_VALUE_CHARS + 1, "{}", c.len());
        }
        bytes += d.message.len() + d.hint.as_ref().map_or(0, String::len);
    }
    assert!(bytes < 100 << 20, "{bytes} bytes of messages");
}
