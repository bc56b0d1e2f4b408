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
//!
//! The local check *agrees* with a range only when one of its findings on
//! those lines has the service's reason: the reason a finding's rule is
//! reported under ([`service_reason`], the one mapping of rules to reasons),
//! compared without case and a final period. Other findings on the lines
//! are named as such and never called agreement. Whatever rests on matching
//! the range to lines is marked inferred, since the numbering is.

use std::io::{BufRead, BufReader};

use serde::Serialize;
use tsload_mapper::ReasonLines;
use tsload_mapper::rules::service_reason;
use tsload_model::Diagnostic;
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
    /// A local finding on these lines has the service's reason.
    Agrees,
    /// Local findings on these lines, none with the service's reason: the
    /// local check does not predict it.
    OtherFindings,
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
    /// Whether the cause rests on inference: on the numbering of
    /// `lineRanges` (every cause that matches the range to lines) or on an
    /// inferred rule.
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

/// Whether the service's `reason` is the sentence `local` (a
/// [`service_reason`]): the same without case, surrounding spaces and a
/// final period.
fn same_reason(reason: &str, local: &str) -> bool {
    fn bare(s: &str) -> &str {
        s.trim().trim_end_matches('.').trim_end()
    }
    bare(reason).eq_ignore_ascii_case(bare(local))
}

/// How many of the local failed rows `e` are on `lines`.
fn rows_in(e: &ReasonLines, lines: [u64; 2]) -> u64 {
    e.line_ranges
        .iter()
        .map(|r| {
            let lo = r[0].max(lines[0]);
            let hi = r[1].min(lines[1]);
            if lo <= hi { hi - lo + 1 } else { 0 }
        })
        .sum()
}

/// The distinct rule codes of `findings`, in order, joined.
fn codes(findings: &[&Diagnostic]) -> String {
    let mut codes: Vec<&'static str> = Vec::new();
    for d in findings {
        if !codes.contains(&d.rule.code) {
            codes.push(d.rule.code);
        }
    }
    codes.join(", ")
}

/// The cause of a range inside the input, from the local findings on its
/// `lines` (`in_range`) and the local failed-row ranges (`local`, which
/// count rows past the diagnostics cap too): agreement only with a finding
/// of the same reason.
fn local_cause(
    reason: &str,
    in_range: &[&Diagnostic],
    local: &[ReasonLines],
    lines: [u64; 2],
    finding_count: u64,
) -> (Agreement, String, bool) {
    let rows_of = |e: &ReasonLines| rows_in(e, lines);
    let (same, other): (Vec<&Diagnostic>, Vec<&Diagnostic>) = in_range
        .iter()
        .partition(|d| service_reason(d.rule).is_some_and(|s| same_reason(reason, s)));
    let same_rows: u64 = local
        .iter()
        .filter(|e| same_reason(reason, e.reason))
        .map(rows_of)
        .sum();
    let other_reasons: Vec<&str> = local
        .iter()
        .filter(|e| !same_reason(reason, e.reason) && rows_of(e) > 0)
        .map(|e| e.reason)
        .collect();
    // Matching a range to findings rests on the numbering of `lineRanges`
    // (spec §6.1 [INF]) as soon as a finding is placed on a line.
    let on_lines = |ds: &[&Diagnostic]| {
        ds.iter()
            .any(|d| matches!(d.location, Location::Data { .. }) || d.rule.evidence.is_inferred())
    };
    let count = if finding_count > 1 {
        format!(", {finding_count} findings in these lines")
    } else {
        String::new()
    };
    if let Some(first) = same.first() {
        let also = if other.is_empty() {
            String::new()
        } else {
            format!(
                "; it also found other problems on these lines ({})",
                codes(&other)
            )
        };
        let cause = format!(
            "the local check agrees: {} ({}){count}{also}",
            first.rule.summary,
            codes(&same)
        );
        (Agreement::Agrees, cause, on_lines(in_range))
    } else if same_rows > 0 {
        let cause = format!("the local check agrees: {reason} ({same_rows} rows)");
        (Agreement::Agrees, cause, true)
    } else if let Some(first) = other.first() {
        let cause = format!(
            "the local check found other problems on these lines: {} ({}){count}; their reasons, as tsload words them, differ from this one (only the service's window reason is documented: it may still be one of them)",
            first.rule.summary,
            codes(&other)
        );
        (Agreement::OtherFindings, cause, on_lines(in_range))
    } else if !other_reasons.is_empty() {
        let cause = format!(
            "the local check found other problems on these lines: {}; their reasons, as tsload words them, differ from this one (only the service's window reason is documented: it may still be one of them)",
            other_reasons.join(" ")
        );
        (Agreement::OtherFindings, cause, true)
    } else {
        (Agreement::LocalClean, service_side_cause(reason), true)
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
            let in_range: Vec<&Diagnostic> = result
                .diagnostics
                .iter()
                .filter(|d| match d.location {
                    Location::Data { line, .. } => inside(line),
                    // A file that failed as a whole explains every range.
                    _ => file_failed,
                })
                .collect();
            // Failed rows the cap did not keep as diagnostics still count.
            let local_lines: u64 = result.errors.iter().map(|e| rows_in(e, [*a, *b])).sum();
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
            } else {
                local_cause(reason, &in_range, &result.errors, [*a, *b], finding_count)
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

    const NOW_MS: i64 = 1_700_000_000_000;
    const WINDOW: &str =
        "The record timestamp is outside the time range of the data ingestion window.";
    const DOUBLE: &str = "A measure value cannot be converted to DOUBLE.";
    const BIGINT: &str = "A measure value cannot be converted to BIGINT.";

    fn error(reason: &str, line_ranges: &[[u64; 2]]) -> FileError {
        FileError {
            reason: reason.into(),
            line_ranges: line_ranges.to_vec(),
        }
    }

    /// `report` explained against `rows` (after a `host,time,cpu,mem`
    /// header, `{now}` the reference time) as the input `loads/a.csv`, with
    /// `host` a dimension, `cpu` DOUBLE and `mem` BIGINT.
    fn explained(rows: &str, file_errors: Vec<FileErrors>) -> Explanation {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        let rows = rows.replace("{now}", &NOW_MS.to_string());
        std::fs::write(&path, format!("host,time,cpu,mem\n{rows}")).unwrap();
        let text = r#"{"TimeColumn": "time", "DimensionMappings": [{"SourceColumn": "host"}],
          "MultiMeasureMappings": {"TargetMultiMeasureName": "m",
            "MultiMeasureAttributeMappings": [{"SourceColumn": "cpu", "MeasureValueType": "DOUBLE"},
              {"SourceColumn": "mem", "MeasureValueType": "BIGINT"}]}}"#;
        let loaded = tsload_model::load(text, "m.json").unwrap();
        let model = DataModel::from_wire(loaded.data_model().unwrap()).unwrap();
        let dialect = CsvDialect::from_wire(None).unwrap();
        let options = Options {
            threads: 1,
            context: CheckContext {
                reference_time_ns: NOW_MS * 1_000_000,
                max_findings: 10_000,
                ..CheckContext::default()
            },
            ..Options::default()
        };
        let pipeline = Pipeline::new(&model, &dialect, options).unwrap();
        let report = ErrorReport {
            task_id: "T".into(),
            task_errors: vec![],
            file_errors,
        };
        let file = path.clone();
        let resolve = move |name: &str| {
            (name == "loads/a.csv").then(|| Input::File {
                path: file.clone(),
                size: std::fs::metadata(&file).unwrap().len(),
            })
        };
        explain(&report, &pipeline, &LocalOpener, &resolve).unwrap()
    }

    fn file(name: &str, errors: Vec<FileError>) -> FileErrors {
        FileErrors {
            file_name: name.into(),
            errors,
        }
    }

    #[test]
    fn ranges_map_to_rows_and_local_findings() {
        let got = explained(
            "h1,{now},1,1\nh2,{now},x,1\nh3,{now},y,1\nh4,{now},2,1\n",
            vec![
                file(
                    "loads/a.csv",
                    vec![
                        error(DOUBLE, &[[3, 4]]),
                        error(WINDOW, &[[5, 5]]),
                        // Not lines of this input: the file has 5.
                        error("r", &[[6, 9], [0, 0]]),
                    ],
                ),
                file("loads/missing.csv", vec![error("r", &[[2, 2]])]),
            ],
        );
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

    /// Findings on a range's lines agree only when their rule is reported
    /// under the service's reason; other findings are named as such. Every
    /// cause that matches lines is inferred, whatever the rule's evidence.
    #[test]
    fn only_a_finding_with_the_same_reason_agrees() {
        // Line 3 and 6: an empty dimension (R024, evidence 3P); line 4: a
        // DOUBLE that is text (R010); line 5: a BIGINT with decimals (R012).
        let got = explained(
            "h1,{now},1,1\n\"\",{now},1,1\nh3,{now},x,1\nh4,{now},1,2.5\n\"\",{now},1,1\n",
            vec![file(
                "loads/a.csv",
                vec![
                    error(WINDOW, &[[3, 3]]),
                    error(BIGINT, &[[3, 5]]),
                    error(DOUBLE, &[[5, 5]]),
                    // Our sentence, in other case and without its period.
                    error("a dimension value is EMPTY", &[[6, 6]]),
                    error(DOUBLE, &[[2, 2]]),
                ],
            )],
        );
        let r = &got.files[0].ranges;
        assert_eq!(r.len(), 5);
        let window = &r[0];
        assert_eq!(window.agreement, Agreement::OtherFindings);
        assert_eq!(
            window.likely_cause,
            "the local check found other problems on these lines: a dimension value is empty; \
             WriteRecords rejects empty dimension values (R024); their reasons, as tsload words them, differ from this one (only the service's window reason is documented: it may still be one of them)"
        );
        assert!(window.inferred);
        let bigint = &r[1];
        assert_eq!(bigint.agreement, Agreement::Agrees);
        assert_eq!(
            bigint.likely_cause,
            "the local check agrees: a BIGINT value is not an integer (decimals and exponents are \
             not accepted) (R012), 3 findings in these lines; it also found other problems on \
             these lines (R024, R010)"
        );
        assert!(bigint.inferred);
        let double = &r[2];
        assert_eq!(double.agreement, Agreement::OtherFindings, "{double:?}");
        assert!(
            double.likely_cause.contains("(R012)"),
            "{}",
            double.likely_cause
        );
        let empty = &r[3];
        assert_eq!(empty.agreement, Agreement::Agrees);
        assert_eq!(empty.findings[0].evidence, Evidence::ThirdParty);
        assert!(empty.inferred, "the numbering of lineRanges is inferred");
        assert_eq!(r[4].agreement, Agreement::LocalClean);
    }

    #[test]
    fn reasons_compare_without_case_spaces_or_final_period() {
        assert!(same_reason(
            " A dimension value is empty ",
            "A dimension value is empty."
        ));
        assert!(same_reason(
            "a DIMENSION value is empty.",
            "A dimension value is empty."
        ));
        assert!(!same_reason(
            "A dimension value is",
            "A dimension value is empty."
        ));
        assert!(!same_reason(WINDOW, DOUBLE));
    }
}
