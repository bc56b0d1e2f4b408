//! Explaining an error report: each `lineRanges` entry mapped back to the
//! rows of the input, those rows re-checked with the local validator, and
//! the likely cause per range.
//!
//! `lineRanges` are read as inclusive, 1-based physical line numbers with
//! the header as line 1 [INF: spec §6.1; the local validator counts lines
//! the same way, so its findings line up]. A report's `fileName` is matched
//! to an input by the caller (the S3 key, or a local file uploaded to that
//! key, or one with the same name) [INF: whether `fileName` is the key or
//! the base name is undocumented].

use std::io::{BufRead, BufReader};

use serde::Serialize;
use tsload_model::diag::{Evidence, Location, Severity};

use crate::error_report::ErrorReport;
use crate::input::Input;
use crate::progress::NoProgress;
use crate::validate::{FileOutcome, Opener, Pipeline, PipelineError};

/// Rows shown per range.
pub const ROWS_PER_RANGE: u64 = 3;
/// Findings shown per range.
pub const FINDINGS_PER_RANGE: usize = 5;
/// Characters of a row shown.
const ROW_CHARS: usize = 200;

/// One local finding inside a range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Rule code.
    pub code: &'static str,
    /// Rule slug.
    pub slug: &'static str,
    /// Severity.
    pub severity: Severity,
    /// Evidence of the rule (`INF` = inferred).
    pub evidence: Evidence,
    /// Physical line.
    pub line: u64,
    /// Column name, when the finding has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// The offending value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// What is wrong.
    pub message: String,
}

/// One row of the input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    /// Physical line.
    pub line: u64,
    /// Its text (cut to 200 characters).
    pub text: String,
}

/// Whether the local validator saw the problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Agreement {
    /// Local findings in the range.
    Agrees,
    /// No local findings: the cause is something only the service sees.
    LocalClean,
    /// The input was not available locally.
    NotChecked,
    /// The lines are not in the input (line 0, or past its end): the report
    /// is not of this input, or not of this version of it.
    NotInInput,
}

/// One `lineRanges` entry explained.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RangeExplanation {
    /// The service's reason.
    pub reason: String,
    /// `[first, last]`, inclusive.
    pub lines: [u64; 2],
    /// The first rows of the range.
    pub rows: Vec<Row>,
    /// The first local findings in the range.
    pub findings: Vec<Finding>,
    /// Local findings in the range, all of them (kept or not).
    pub finding_count: u64,
    /// Whether the local validator agrees.
    pub agreement: Agreement,
    /// The likely cause, for people.
    pub likely_cause: String,
    /// Whether the cause rests on inference.
    pub inferred: bool,
}

/// One file of the report explained.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileExplanation {
    /// `fileName` from the report.
    pub file_name: String,
    /// The input it was matched to.
    pub input: Option<String>,
    /// Why it could not be checked, if it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Per range.
    pub ranges: Vec<RangeExplanation>,
}

/// A whole report explained.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// The report's task id.
    pub task_id: String,
    /// Task-level reasons.
    pub task_errors: Vec<String>,
    /// Per file.
    pub files: Vec<FileExplanation>,
}

/// The rows of `ranges` (the first [`ROWS_PER_RANGE`] of each), read from
/// the input again, and the input's line count when it ends before the
/// first line of a range.
fn rows(input: &Input, opener: &dyn Opener, ranges: &[[u64; 2]]) -> (Vec<Vec<Row>>, Option<u64>) {
    let mut out: Vec<Vec<Row>> = vec![Vec::new(); ranges.len()];
    let Ok(src) = opener.open(input) else {
        return (out, None);
    };
    // Up to the first line of every range, at least: whether it exists.
    let last = ranges
        .iter()
        .map(|r| r[0].saturating_add(ROWS_PER_RANGE - 1).min(r[1]).max(r[0]))
        .max()
        .unwrap_or(0);
    let mut ended = None;
    let mut reader = BufReader::new(src);
    let mut buf = Vec::new();
    let mut line = 0u64;
    while line < last {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) => {
                ended = Some(line);
                break;
            }
            Err(_) => break,
            Ok(_) => {}
        }
        line += 1;
        for (i, r) in ranges.iter().enumerate() {
            if line >= r[0] && line <= r[1] && line < r[0].saturating_add(ROWS_PER_RANGE) {
                let text = String::from_utf8_lossy(&buf);
                let text = text.trim_end_matches(['\n', '\r']);
                let cut: String = text.chars().take(ROW_CHARS).collect();
                let text = if cut.len() < text.len() {
                    format!("{cut}…")
                } else {
                    cut
                };
                out[i].push(Row { line, text });
            }
        }
    }
    (out, ended)
}

fn service_side_cause(reason: &str) -> String {
    let r = reason.to_ascii_lowercase();
    if r.contains("time range") || r.contains("ingestion window") {
        "the local check finds these rows inside the window it was given, so the table's window at load time must differ: \
         check its retention and magnetic-store writes (`tsload validate --describe-table`), and whether the rows aged past \
         the memory-store retention before the load ran"
            .to_owned()
    } else if r.contains("type") || r.contains("schema") {
        "the local check accepts these values, so the table probably holds the same measure or dimension with another type \
         from an earlier load (column types are fixed by the first write)"
            .to_owned()
    } else if r.contains("version") || r.contains("duplicate") || r.contains("already exists") {
        "the local check finds no conflict inside the load, so these rows probably collide with records already in the \
         table: raise `RecordVersion` to overwrite them"
            .to_owned()
    } else {
        "the local validator finds nothing wrong in these rows; the cause is something only the service sees \
         (data already in the table, throttling, concurrent writes)"
            .to_owned()
    }
}

fn explain_file(
    file_name: &str,
    errors: &[crate::error_report::FileError],
    outcome: &FileOutcome,
    input: &Input,
    opener: &dyn Opener,
) -> FileExplanation {
    let ranges: Vec<([u64; 2], &str)> = errors
        .iter()
        .flat_map(|e| e.line_ranges.iter().map(move |r| (*r, e.reason.as_str())))
        .collect();
    let plain: Vec<[u64; 2]> = ranges.iter().map(|(r, _)| *r).collect();
    let (mut shown, line_count) = rows(input, opener, &plain);
    let result = &outcome.result;
    let file_failed = result.counters.file_failures > 0;
    let explained = ranges
        .iter()
        .zip(shown.iter_mut())
        .map(|(([a, b], reason), rows)| {
            let inside = |line: u64| line >= *a && line <= *b;
            let in_range: Vec<&tsload_model::Diagnostic> = result
                .diagnostics
                .iter()
                .filter(|d| match d.location {
                    Location::Data { line, .. } => inside(line),
                    // A file that failed as a whole explains every range.
                    _ => file_failed,
                })
                .collect();
            // Failed rows the cap did not keep as diagnostics still count.
            let local_lines: u64 = result
                .errors
                .iter()
                .flat_map(|e| e.line_ranges.iter())
                .map(|r| {
                    let lo = r[0].max(*a);
                    let hi = r[1].min(*b);
                    if lo <= hi { hi - lo + 1 } else { 0 }
                })
                .sum();
            let finding_count = (in_range.len() as u64).max(local_lines);
            let findings: Vec<Finding> = in_range
                .iter()
                .take(FINDINGS_PER_RANGE)
                .map(|d| Finding {
                    code: d.rule.code,
                    slug: d.rule.slug,
                    severity: d.severity,
                    evidence: d.rule.evidence,
                    line: match d.location {
                        Location::Data { line, .. } => line,
                        _ => 0,
                    },
                    column: match &d.location {
                        Location::Data { column, .. } => column.clone(),
                        _ => None,
                    },
                    value: d.value.clone(),
                    message: d.message.clone(),
                })
                .collect();
            let (agreement, likely_cause, inferred) = if *a == 0 {
                (
                    Agreement::NotInInput,
                    "line 0 does not exist (lines count from 1, the header is line 1): the report does not match this input".to_owned(),
                    // The numbering of `lineRanges` is inferred (spec §6.1).
                    true,
                )
            } else if let Some(n) = line_count.filter(|n| a > n) {
                (
                    Agreement::NotInInput,
                    format!(
                        "the input has {n} lines, so these are past its end: the report is of another file, or of another version of this one"
                    ),
                    true,
                )
            } else if let Some(first) = in_range.first() {
                let mut codes: Vec<&'static str> = Vec::new();
                for d in &in_range {
                    if !codes.contains(&d.rule.code) {
                        codes.push(d.rule.code);
                    }
                }
                (
                    Agreement::Agrees,
                    format!(
                        "the local check agrees: {} ({}){}",
                        first.rule.summary,
                        codes.join(", "),
                        if finding_count > 1 {
                            format!(", {finding_count} findings in these lines")
                        } else {
                            String::new()
                        }
                    ),
                    in_range.iter().any(|d| d.rule.evidence.is_inferred()),
                )
            } else if local_lines > 0 {
                let local = result
                    .errors
                    .iter()
                    .find(|e| e.line_ranges.iter().any(|r| r[0].max(*a) <= r[1].min(*b)))
                    .map_or("", |e| e.reason);
                (
                    Agreement::Agrees,
                    format!("the local check agrees: {local} ({local_lines} rows)"),
                    false,
                )
            } else {
                (Agreement::LocalClean, service_side_cause(reason), true)
            };
            RangeExplanation {
                reason: (*reason).to_owned(),
                lines: [*a, *b],
                rows: std::mem::take(rows),
                findings,
                finding_count,
                agreement,
                likely_cause,
                inferred,
            }
        })
        .collect();
    FileExplanation {
        file_name: file_name.to_owned(),
        input: Some(input.name()),
        note: None,
        ranges: explained,
    }
}

/// Explains `report`: `resolve` finds the input of each `fileName`; the
/// pipeline (give it a generous `max_findings`) re-checks each found input.
pub fn explain(
    report: &ErrorReport,
    pipeline: &Pipeline<'_>,
    opener: &dyn Opener,
    resolve: &dyn Fn(&str) -> Option<Input>,
) -> Result<Explanation, PipelineError> {
    let mut files = Vec::new();
    for f in &report.file_errors {
        let Some(input) = resolve(&f.file_name) else {
            files.push(FileExplanation {
                file_name: f.file_name.clone(),
                input: None,
                note: Some(
                    "no input matches this file name; give the file (or its S3 prefix) as an input"
                        .to_owned(),
                ),
                ranges: f
                    .errors
                    .iter()
                    .flat_map(|e| {
                        e.line_ranges.iter().map(|r| RangeExplanation {
                            reason: e.reason.clone(),
                            lines: *r,
                            rows: Vec::new(),
                            findings: Vec::new(),
                            finding_count: 0,
                            agreement: Agreement::NotChecked,
                            likely_cause: "not checked: the input is not available".to_owned(),
                            inferred: false,
                        })
                    })
                    .collect(),
            });
            continue;
        };
        let v = pipeline.run(std::slice::from_ref(&input), opener, None, &NoProgress)?;
        let outcome = &v.files[0];
        files.push(explain_file(
            &f.file_name,
            &f.errors,
            outcome,
            &input,
            opener,
        ));
    }
    Ok(Explanation {
        task_id: report.task_id.clone(),
        task_errors: report
            .task_errors
            .iter()
            .map(|t| t.reason.clone())
            .collect(),
        files,
    })
}

#[cfg(test)]
mod tests {
    use tsload_mapper::CheckContext;
    use tsload_model::effective::{CsvDialect, DataModel};

    use super::*;
    use crate::error_report::{FileError, FileErrors};
    use crate::validate::{LocalOpener, Options};

    #[test]
    fn ranges_map_to_rows_and_local_findings() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        let now_ms = 1_700_000_000_000i64;
        std::fs::write(
            &path,
            format!("host,time,cpu\nh1,{now_ms},1\nh2,{now_ms},x\nh3,{now_ms},y\nh4,{now_ms},2\n"),
        )
        .unwrap();
        let text = r#"{"TimeColumn": "time", "DimensionMappings": [{"SourceColumn": "host"}],
          "MultiMeasureMappings": {"TargetMultiMeasureName": "m",
            "MultiMeasureAttributeMappings": [{"SourceColumn": "cpu", "MeasureValueType": "DOUBLE"}]}}"#;
        let loaded = tsload_model::load(text, "m.json").unwrap();
        let model = DataModel::from_wire(loaded.data_model().unwrap()).unwrap();
        let dialect = CsvDialect::from_wire(None).unwrap();
        let options = Options {
            threads: 1,
            context: CheckContext {
                reference_time_ns: now_ms * 1_000_000,
                max_findings: 10_000,
                ..CheckContext::default()
            },
            ..Options::default()
        };
        let pipeline = Pipeline::new(&model, &dialect, options).unwrap();
        let report = ErrorReport {
            task_id: "T".into(),
            task_errors: vec![],
            file_errors: vec![
                FileErrors {
                    file_name: "loads/a.csv".into(),
                    errors: vec![
                        FileError {
                            reason: "Could not parse".into(),
                            line_ranges: vec![[3, 4]],
                        },
                        FileError {
                            reason: "The record timestamp is outside the time range of the data ingestion window.".into(),
                            line_ranges: vec![[5, 5]],
                        },
                        // Not lines of this input: the file has 5.
                        FileError {
                            reason: "r".into(),
                            line_ranges: vec![[6, 9], [0, 0]],
                        },
                    ],
                },
                FileErrors {
                    file_name: "loads/missing.csv".into(),
                    errors: vec![FileError {
                        reason: "r".into(),
                        line_ranges: vec![[2, 2]],
                    }],
                },
            ],
        };
        let file = path.clone();
        let resolve = move |name: &str| {
            (name == "loads/a.csv").then(|| Input::File {
                path: file.clone(),
                size: std::fs::metadata(&file).unwrap().len(),
            })
        };
        let got = explain(&report, &pipeline, &LocalOpener, &resolve).unwrap();
        let first = &got.files[0];
        assert_eq!(first.ranges.len(), 4);
        let past = &first.ranges[2];
        assert_eq!(past.agreement, Agreement::NotInInput);
        assert!(
            past.likely_cause.starts_with("the input has 5 lines"),
            "{}",
            past.likely_cause
        );
        assert!(past.rows.is_empty() && past.inferred);
        let zero = &first.ranges[3];
        assert_eq!(zero.agreement, Agreement::NotInInput);
        assert!(
            zero.likely_cause.starts_with("line 0 does not exist"),
            "{}",
            zero.likely_cause
        );
        let range = &first.ranges[0];
        assert_eq!(range.agreement, Agreement::Agrees);
        assert_eq!(
            range.rows.iter().map(|r| r.line).collect::<Vec<_>>(),
            [3, 4]
        );
        assert!(range.rows[0].text.starts_with("h2,"));
        assert_eq!(range.finding_count, 2);
        assert_eq!(range.findings[0].value.as_deref(), Some("x"));
        let window = &first.ranges[1];
        assert_eq!(window.agreement, Agreement::LocalClean);
        assert!(
            window.likely_cause.contains("retention"),
            "{}",
            window.likely_cause
        );
        assert!(window.inferred);
        assert_eq!(got.files[1].ranges[0].agreement, Agreement::NotChecked);
        assert!(got.files[1].note.is_some());
    }
}
