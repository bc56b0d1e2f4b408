//! The error report in the service's own layout (`batchload-spec.md` §6.1
//! [DOC: ERR]):
//!
//! ```json
//! { "taskId": "…", "taskErrors": [],
//!   "fileErrors": [ { "fileName": "example.csv",
//!                     "errors": [ { "reason": "…", "lineRanges": [[2, 3]] } ] } ] }
//! ```
//!
//! `lineRanges` are inclusive, 1-based physical line numbers with the header
//! as line 1 \[INF: the only documented example is `[[2, 3]]` for the first two
//! data rows\]. The shape of `taskErrors` entries is undocumented; tsload
//! writes `{"reason": "…"}` \[INF\].

use serde::{Deserialize, Serialize};

/// The whole report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorReport {
    /// The task id (tsload writes `LOCAL` for a dry run).
    pub task_id: String,
    /// Errors of the task as a whole.
    pub task_errors: Vec<TaskError>,
    /// Errors per file.
    pub file_errors: Vec<FileErrors>,
}

/// A task-level error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskError {
    /// Why.
    pub reason: String,
}

/// The errors of one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileErrors {
    /// The file (tsload writes the input's name as given, or the S3 key).
    pub file_name: String,
    /// One entry per reason.
    pub errors: Vec<FileError>,
}

/// One reason and the lines it affected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileError {
    /// The reason, in the service's words where it has any.
    pub reason: String,
    /// Inclusive `[first, last]` physical line ranges, ascending.
    pub line_ranges: Vec<[u64; 2]>,
}

/// Coalesces line ranges: sorts them and merges ranges that overlap or touch.
pub fn coalesce(ranges: &mut Vec<[u64; 2]>) {
    ranges.sort_unstable();
    let mut out: Vec<[u64; 2]> = Vec::with_capacity(ranges.len());
    for &[a, b] in ranges.iter() {
        match out.last_mut() {
            Some(last) if a <= last[1].saturating_add(1) => last[1] = last[1].max(b),
            _ => out.push([a, b]),
        }
    }
    *ranges = out;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_in_the_service_layout() {
        let r = ErrorReport {
            task_id: "9367BE28418C5EF902676482220B631C".into(),
            task_errors: vec![],
            file_errors: vec![FileErrors {
                file_name: "example.csv".into(),
                errors: vec![FileError {
                    reason: "The record timestamp is outside the time range of the data ingestion window.".into(),
                    line_ranges: vec![[2, 3]],
                }],
            }],
        };
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "taskId": "9367BE28418C5EF902676482220B631C",
                "taskErrors": [],
                "fileErrors": [{"fileName": "example.csv", "errors": [{
                    "reason": "The record timestamp is outside the time range of the data ingestion window.",
                    "lineRanges": [[2, 3]]}]}]
            })
        );
    }

    #[test]
    fn coalesces_touching_and_overlapping_ranges() {
        let mut r = vec![[7, 7], [2, 3], [4, 4], [10, 12], [11, 15]];
        coalesce(&mut r);
        assert_eq!(r, vec![[2, 4], [7, 7], [10, 15]]);
    }
}
