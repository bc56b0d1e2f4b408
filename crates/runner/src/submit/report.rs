//! Finding and reading a failed task's error report.
//!
//! Where the service writes the report under
//! `ReportS3Configuration.ObjectKeyPrefix` is undocumented (spec §6.1, §10
//! q13) \[INF\]. tsload looks, in order:
//!
//! 1. for an `s3://bucket/key` URL in the task's `ErrorMessage` (the
//!    emulator writes one there), in the report bucket: the message may
//!    name other objects too, such as an input it could not read;
//! 2. for `.json` objects under the report prefix whose key contains the
//!    task id (`<prefix>/<TaskId>/…` in the emulator);
//!
//! and reads every one found. The report's own layout is documented
//! \[DOC: ERR\]; entries of `taskErrors` are read as strings or as objects
//! with a `reason` (or `message`) member, since their shape is not \[INF\].
//!
//! Every reason of `fileErrors` is kept. A `lineRanges` entry that is not
//! two positive integers in order is never dropped or rewritten in silence:
//! [`parse`] names it, as written, in a [`RangeWarning`]. Only a
//! reversed pair is still explained, as its normalised range, and its
//! warning says so.

use std::fmt;

use aws_sdk_s3::Client;
use serde::Serialize;
use serde_json::Value;
use tsload_model::wire::BatchLoadTaskDescription;

use super::plan::join;
use super::upload::{UploadError, list};
use crate::error_report::{ErrorReport, FileError, FileErrors, TaskError};

/// A report and where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundReport {
    /// `s3://bucket/key`.
    pub url: String,
    /// The report.
    pub report: ErrorReport,
    /// Its entries that are not explained as written ([`parse`]).
    pub warnings: Vec<RangeWarning>,
}

/// Why no report could be read.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// S3 failed.
    #[error(transparent)]
    S3(#[from] UploadError),
    /// A report given on the command line cannot be read.
    #[error("cannot read `{location}`: {message}")]
    Read {
        /// The file or URL.
        location: String,
        /// Why.
        message: String,
    },
    /// The object is not a report.
    #[error("`{url}` is not an error report: {message}")]
    Parse {
        /// Where.
        url: String,
        /// Why.
        message: String,
    },
}

/// The first `s3://bucket/key` URL in `text` that can be the report: in
/// `bucket` and under `prefix` when given, a `.json` key. An input named in
/// the same message (a prefix that could not be read) may share the bucket.
pub fn url_in(text: &str, bucket: Option<&str>, prefix: Option<&str>) -> Option<(String, String)> {
    text.match_indices("s3://").find_map(|(start, _)| {
        let rest = &text[start + 5..];
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == ')')
            .unwrap_or(rest.len());
        let url = rest[..end].trim_end_matches(['.', ',', ';', ':']);
        let (b, key) = url.split_once('/')?;
        let fits = !b.is_empty()
            && is_json(key)
            && bucket.is_none_or(|want| want == b)
            && prefix.is_none_or(|p| key.starts_with(p));
        fits.then(|| (b.to_owned(), key.to_owned()))
    })
}

/// Whether an object key names a `.json` file, as reports are.
fn is_json(key: &str) -> bool {
    std::path::Path::new(key)
        .extension()
        .is_some_and(|x| x.eq_ignore_ascii_case("json"))
}

fn reason_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Object(o) => o
            .get("reason")
            .or_else(|| o.get("message"))
            .and_then(Value::as_str)
            .map_or_else(|| v.to_string(), str::to_owned),
        other => other.to_string(),
    }
}

/// What is wrong with a `lineRanges` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RangeProblem {
    /// The error entry has no `lineRanges`.
    Missing,
    /// `lineRanges` is not a list.
    NotAList,
    /// `lineRanges` is an empty list: the reason names no line.
    Empty,
    /// The entry is not a list of two entries.
    NotAPair,
    /// One of the two is not a positive integer (lines counted from 1, as
    /// tsload reads the report \[INF\]).
    NotPositiveIntegers,
    /// The first line is after the last.
    Reversed,
}

/// A `lineRanges` entry of the report that is not two positive integers in
/// order, or an error entry without ranges to explain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RangeWarning {
    /// The file entry: its index in `fileErrors`, from 0.
    pub file_entry: usize,
    /// Its `fileName`.
    pub file_name: String,
    /// The reason the range belongs to.
    pub reason: String,
    /// The offending entry as written (compact JSON): a range, or the
    /// whole `lineRanges` when that is not a list; `None` when missing.
    pub range: Option<String>,
    /// What is wrong with it.
    pub problem: RangeProblem,
    /// The range explained in its place (a reversed pair, in order);
    /// `None`: the entry is not explained.
    pub explained_as: Option<[u64; 2]>,
}

impl fmt::Display for RangeWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`fileErrors[{}]` (`{}`), reason \"{}\": ",
            self.file_entry, self.file_name, self.reason
        )?;
        let range = self.range.as_deref().unwrap_or_default();
        let what = match self.problem {
            RangeProblem::Missing => "it has no `lineRanges`".to_owned(),
            RangeProblem::NotAList => format!("`lineRanges` is `{range}`, not a list of ranges"),
            RangeProblem::Empty => "`lineRanges` is empty: no line to explain".to_owned(),
            RangeProblem::NotAPair => format!("the range `{range}` is not a pair `[first, last]`"),
            RangeProblem::NotPositiveIntegers => {
                format!(
                    "the range `{range}` is not two positive integers (lines counted from 1, as tsload reads the report [INF])"
                )
            }
            RangeProblem::Reversed => format!("the range `{range}` is reversed"),
        };
        f.write_str(&what)?;
        match self.explained_as {
            Some([a, b]) => write!(f, "; it is explained as lines {a}-{b}"),
            None if self.range.is_some() && self.problem != RangeProblem::Empty => {
                f.write_str("; it is not explained")
            }
            None => Ok(()),
        }
    }
}

/// A report read by [`parse`], with what it could not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The report: every reason, with its readable ranges.
    pub report: ErrorReport,
    /// The ranges that are not two positive integers in order.
    pub warnings: Vec<RangeWarning>,
}

/// The ranges of one error entry: pairs of positive integers in order, and
/// a reversed pair in order; a warning for every other entry.
fn line_ranges(
    lines: Option<&Value>,
    warn: &mut dyn FnMut(Option<String>, RangeProblem, Option<[u64; 2]>),
) -> Vec<[u64; 2]> {
    let entries = match lines {
        None => {
            warn(None, RangeProblem::Missing, None);
            return Vec::new();
        }
        Some(Value::Array(a)) if a.is_empty() => {
            warn(Some("[]".to_owned()), RangeProblem::Empty, None);
            return Vec::new();
        }
        Some(Value::Array(a)) => a,
        Some(other) => {
            warn(Some(other.to_string()), RangeProblem::NotAList, None);
            return Vec::new();
        }
    };
    let line = |v: &Value| v.as_u64().filter(|n| *n > 0);
    let mut out = Vec::with_capacity(entries.len());
    for r in entries {
        let problem = match r.as_array().map(Vec::as_slice) {
            Some([a, b]) => match (line(a), line(b)) {
                (Some(a), Some(b)) if a <= b => {
                    out.push([a, b]);
                    continue;
                }
                (Some(a), Some(b)) => {
                    warn(Some(r.to_string()), RangeProblem::Reversed, Some([b, a]));
                    out.push([b, a]);
                    continue;
                }
                _ => RangeProblem::NotPositiveIntegers,
            },
            _ => RangeProblem::NotAPair,
        };
        warn(Some(r.to_string()), problem, None);
    }
    out
}

/// Reads a report, tolerating what the documentation leaves open: every
/// reason is kept, and every range that is not two positive integers in
/// order gets a [`RangeWarning`].
pub fn parse(bytes: &[u8]) -> Result<Checked, String> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let obj = value.as_object().ok_or("not a JSON object")?;
    if !obj.contains_key("fileErrors") && !obj.contains_key("taskErrors") {
        return Err("it has neither `fileErrors` nor `taskErrors`".into());
    }
    let task_errors = obj
        .get("taskErrors")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|e| TaskError {
                    reason: reason_of(e),
                })
                .collect()
        })
        .unwrap_or_default();
    let mut file_errors = Vec::new();
    let mut warnings = Vec::new();
    for (file_entry, f) in obj
        .get("fileErrors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let file_name = f
            .get("fileName")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let mut errors = Vec::new();
        for e in f
            .get("errors")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let reason = reason_of(e);
            let line_ranges =
                line_ranges(e.get("lineRanges"), &mut |range, problem, explained_as| {
                    warnings.push(RangeWarning {
                        file_entry,
                        file_name: file_name.clone(),
                        reason: reason.clone(),
                        range,
                        problem,
                        explained_as,
                    });
                });
            errors.push(FileError {
                reason,
                line_ranges,
            });
        }
        file_errors.push(FileErrors { file_name, errors });
    }
    let report = ErrorReport {
        task_id: obj
            .get("taskId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        task_errors,
        file_errors,
    };
    Ok(Checked { report, warnings })
}

async fn get(client: &Client, bucket: &str, key: &str) -> Result<Vec<u8>, UploadError> {
    let err = |message: String| UploadError {
        what: "cannot read",
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        message,
    };
    let out = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| err(crate::aws::sdk_error_text(&e)))?;
    let body = out.body.collect().await.map_err(|e| err(e.to_string()))?;
    Ok(body.into_bytes().to_vec())
}

/// The report in `bytes`, read from `url`, and its warnings.
fn found(url: String, bytes: &[u8]) -> Result<FoundReport, ReportError> {
    let checked = parse(bytes).map_err(|message| ReportError::Parse {
        url: url.clone(),
        message,
    })?;
    Ok(FoundReport {
        url,
        report: checked.report,
        warnings: checked.warnings,
    })
}

/// Reads the object at `s3://bucket/key` as a report, with its warnings.
async fn fetch_one(client: &Client, bucket: &str, key: &str) -> Result<FoundReport, ReportError> {
    let bytes = get(client, bucket, key).await?;
    found(format!("s3://{bucket}/{key}"), &bytes)
}

/// Reads the report at `location`, a local file or an `s3://bucket/key`
/// URL (read with `client`), with the warnings of [`parse`].
pub async fn read(client: Option<&Client>, location: &str) -> Result<FoundReport, ReportError> {
    let unreadable = |message: &str| ReportError::Read {
        location: location.to_owned(),
        message: message.to_owned(),
    };
    let Some(rest) = location.strip_prefix("s3://") else {
        let bytes = std::fs::read(location).map_err(|e| unreadable(&e.to_string()))?;
        return found(location.to_owned(), &bytes);
    };
    let (bucket, key) = rest
        .split_once('/')
        .filter(|(b, k)| !b.is_empty() && !k.is_empty())
        .ok_or_else(|| unreadable("give s3://bucket/key"))?;
    let client = client.ok_or_else(|| unreadable("no S3 client"))?;
    fetch_one(client, bucket, key).await
}

/// Finds and reads the reports of a task (empty when none is found),
/// each with the warnings of [`parse`].
pub async fn fetch(
    client: &Client,
    description: &BatchLoadTaskDescription,
) -> Result<Vec<FoundReport>, ReportError> {
    let loc = description
        .report_configuration
        .as_ref()
        .and_then(|r| r.report_s3_configuration.as_ref());
    let report_bucket = loc.and_then(|l| l.bucket_name.as_deref());
    // The folder the reports go in (`hosts` → `hosts/`), for the URL in
    // the message and for the listing alike.
    let prefix = loc
        .and_then(|l| l.object_key_prefix.as_deref())
        .map(|p| join(p, ""));
    if let Some((bucket, key)) = description
        .error_message
        .as_deref()
        .and_then(|m| url_in(m, report_bucket, prefix.as_deref()))
    {
        return Ok(vec![fetch_one(client, &bucket, &key).await?]);
    }
    let Some(loc) = loc else {
        return Ok(Vec::new());
    };
    let (Some(bucket), Some(id)) = (&loc.bucket_name, &description.task_id) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for o in list(client, bucket, prefix.as_deref().unwrap_or_default()).await? {
        if o.key.contains(id.as_str()) && is_json(&o.key) {
            out.push(fetch_one(client, bucket, &o.key).await?);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_in_error_messages() {
        assert_eq!(
            url_in(
                "The task completed with errors. Error report: s3://rep/errors/ABC/error-report.json",
                None,
                None
            ),
            Some(("rep".into(), "errors/ABC/error-report.json".into()))
        );
        assert_eq!(
            url_in("see (s3://b/k.json).", None, None),
            Some(("b".into(), "k.json".into()))
        );
        assert_eq!(url_in("no url", None, None), None);
        assert_eq!(url_in("s3://bucket-only", None, None), None);
        // An input named first is not the report.
        let failed = "cannot list s3://nobucket/in/: NoSuchBucket. Error report: s3://rep/E1/error-report.json";
        assert_eq!(
            url_in(failed, Some("rep"), None),
            Some(("rep".into(), "E1/error-report.json".into()))
        );
        assert_eq!(url_in(failed, Some("other"), None), None);
        // The input and the reports in one bucket, under two prefixes.
        let same = "No objects were found under s3://bkt/in/x.json. Error report: s3://bkt/reports/F2/error-report.json";
        assert_eq!(
            url_in(same, Some("bkt"), Some("reports/")),
            Some(("bkt".into(), "reports/F2/error-report.json".into()))
        );
        // The prefix is a folder, as in the listing: `reports-old/` is not
        // under `reports/`.
        let sibling = "Error report: s3://bkt/reports-old/F2/error-report.json";
        assert_eq!(url_in(sibling, Some("bkt"), Some("reports/")), None);
        assert_eq!(
            url_in(
                "cannot list s3://bkt/in/. Error report: s3://bkt/F2/error-report.json",
                Some("bkt"),
                None
            ),
            Some(("bkt".into(), "F2/error-report.json".into()))
        );
    }

    #[test]
    fn parses_the_documented_example_and_tolerates_the_undocumented() {
        let doc = br#"{"taskId": "9367BE28418C5EF902676482220B631C", "taskErrors": [],
          "fileErrors": [{"fileName": "example.csv", "errors": [{
            "reason": "The record timestamp is outside the time range of the data ingestion window.",
            "lineRanges": [[2, 3]]}]}]}"#;
        let Checked {
            report: r,
            warnings,
        } = parse(doc).unwrap();
        assert_eq!(r.file_errors[0].errors[0].line_ranges, [[2, 3]]);
        assert!(warnings.is_empty());
        let odd = br#"{"taskId": "X", "taskErrors": ["boom", {"message": "m"}],
          "fileErrors": [{"fileName": "a", "errors": [{"reason": "r", "lineRanges": [[2, 2]]}]}]}"#;
        let r = parse(odd).unwrap().report;
        assert_eq!(r.task_errors[0].reason, "boom");
        assert_eq!(r.task_errors[1].reason, "m");
        assert_eq!(r.file_errors[0].errors[0].line_ranges, [[2, 2]]);
        assert!(parse(b"{}").is_err());
        assert!(parse(b"[]").is_err());
    }

    /// Every reason is kept; a range that is not two positive integers in
    /// order is named as written, and only a reversed pair is explained.
    #[test]
    fn malformed_ranges_are_named_never_dropped_or_rewritten() {
        let text = br#"{"taskId": "X", "taskErrors": [], "fileErrors": [
          {"fileName": "ok.csv", "errors": [{"reason": "fine", "lineRanges": [[2, 3]]}]},
          {"fileName": "data.csv", "errors": [
            {"reason": "negative", "lineRanges": [[-1, 0]]},
            {"reason": "float", "lineRanges": [[2.0, 3], [4, 4]]},
            {"reason": "three", "lineRanges": [[2, 3, 4]]},
            {"reason": "one", "lineRanges": [[5]]},
            {"reason": "reversed", "lineRanges": [[5, 3]]},
            {"reason": "zero", "lineRanges": [[0, 2]]},
            {"reason": "text", "lineRanges": ["2-3"]},
            {"reason": "empty", "lineRanges": []},
            {"reason": "scalar", "lineRanges": 7},
            {"reason": "missing"}]}]}"#;
        let Checked { report, warnings } = parse(text).unwrap();
        let errors = &report.file_errors[1].errors;
        let reasons: Vec<&str> = errors.iter().map(|e| e.reason.as_str()).collect();
        assert_eq!(
            reasons,
            [
                "negative", "float", "three", "one", "reversed", "zero", "text", "empty", "scalar",
                "missing"
            ]
        );
        let ranges: Vec<&[[u64; 2]]> = errors.iter().map(|e| e.line_ranges.as_slice()).collect();
        let none: &[[u64; 2]] = &[];
        assert_eq!(
            ranges,
            [
                none,
                &[[4, 4]],
                none,
                none,
                &[[3, 5]],
                none,
                none,
                none,
                none,
                none
            ]
        );
        let got: Vec<_> = warnings
            .iter()
            .map(|w| {
                (
                    w.file_entry,
                    w.reason.as_str(),
                    w.range.as_deref(),
                    w.problem,
                    w.explained_as,
                )
            })
            .collect();
        use RangeProblem::*;
        assert_eq!(
            got,
            [
                (1, "negative", Some("[-1,0]"), NotPositiveIntegers, None),
                (1, "float", Some("[2.0,3]"), NotPositiveIntegers, None),
                (1, "three", Some("[2,3,4]"), NotAPair, None),
                (1, "one", Some("[5]"), NotAPair, None),
                (1, "reversed", Some("[5,3]"), Reversed, Some([3, 5])),
                (1, "zero", Some("[0,2]"), NotPositiveIntegers, None),
                (1, "text", Some("\"2-3\""), NotAPair, None),
                (1, "empty", Some("[]"), Empty, None),
                (1, "scalar", Some("7"), NotAList, None),
                (1, "missing", None, Missing, None),
            ]
        );
        assert!(warnings.iter().all(|w| w.file_name == "data.csv"));
        assert_eq!(
            warnings[0].to_string(),
            "`fileErrors[1]` (`data.csv`), reason \"negative\": the range `[-1,0]` is not two \
             positive integers (lines counted from 1, as tsload reads the report [INF]); it is \
             not explained"
        );
        assert_eq!(
            warnings[4].to_string(),
            "`fileErrors[1]` (`data.csv`), reason \"reversed\": the range `[5,3]` is reversed; \
             it is explained as lines 3-5"
        );
        assert_eq!(
            warnings[9].to_string(),
            "`fileErrors[1]` (`data.csv`), reason \"missing\": it has no `lineRanges`"
        );
    }
}
