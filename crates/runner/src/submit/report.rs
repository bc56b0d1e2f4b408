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

use aws_sdk_s3::Client;
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
}

/// Why no report could be read.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// S3 failed.
    #[error(transparent)]
    S3(#[from] UploadError),
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

/// Reads a report, tolerating what the documentation leaves open.
pub fn parse(bytes: &[u8]) -> Result<ErrorReport, String> {
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
    for f in obj
        .get("fileErrors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let errors = f
            .get("errors")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|e| FileError {
                reason: reason_of(e),
                line_ranges: e
                    .get("lineRanges")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|r| {
                        let pair = r.as_array()?;
                        let first = pair.first()?.as_u64()?;
                        let last = pair.get(1).and_then(Value::as_u64).unwrap_or(first);
                        Some([first.min(last), first.max(last)])
                    })
                    .collect(),
            })
            .collect();
        file_errors.push(FileErrors {
            file_name: f
                .get("fileName")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            errors,
        });
    }
    Ok(ErrorReport {
        task_id: obj
            .get("taskId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        task_errors,
        file_errors,
    })
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

/// Reads the object at `s3://bucket/key` as a report.
pub async fn fetch_one(
    client: &Client,
    bucket: &str,
    key: &str,
) -> Result<FoundReport, ReportError> {
    let url = format!("s3://{bucket}/{key}");
    let bytes = get(client, bucket, key).await?;
    let report = parse(&bytes).map_err(|message| ReportError::Parse {
        url: url.clone(),
        message,
    })?;
    Ok(FoundReport { url, report })
}

/// Finds and reads the reports of a task (empty when none is found).
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
        let r = parse(doc).unwrap();
        assert_eq!(r.file_errors[0].errors[0].line_ranges, [[2, 3]]);
        let odd = br#"{"taskId": "X", "taskErrors": ["boom", {"message": "m"}],
          "fileErrors": [{"fileName": "a", "errors": [{"reason": "r", "lineRanges": [[5], [9, 7]]}]}]}"#;
        let r = parse(odd).unwrap();
        assert_eq!(r.task_errors[0].reason, "boom");
        assert_eq!(r.task_errors[1].reason, "m");
        assert_eq!(r.file_errors[0].errors[0].line_ranges, [[5, 5], [7, 9]]);
        assert!(parse(b"{}").is_err());
        assert!(parse(b"[]").is_err());
    }
}
