//! The Timestream calls of an orchestrated import, behind a narrow trait
//! (the awsdocs `traits.rs` pattern, style anchors §5 and Lessons G), with
//! our own result types and errors.

use std::future::Future;

use serde::Serialize;
use tsload_model::wire::{BatchLoadStatus, BatchLoadTaskDescription, CreateBatchLoadTaskRequest};

use crate::timestream::TableInfo;

/// One entry of `ListBatchLoadTasks` (spec §7.4 `BatchLoadTask`), with the
/// service's member names; times are epoch seconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TaskSummary {
    /// The task id.
    pub task_id: String,
    /// Its status.
    pub task_status: BatchLoadStatus,
    /// Target database.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_name: Option<String>,
    /// Target table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table_name: Option<String>,
    /// When it was created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creation_time: Option<f64>,
    /// When it last changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_updated_time: Option<f64>,
    /// Until when a stopped task can be resumed (absent, as in the
    /// service's answer, when it cannot be).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resumable_until: Option<f64>,
}

/// The table `--create-table` creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TableSpec {
    /// `MemoryStoreRetentionPeriodInHours` (service default 6 when unset).
    pub memory_retention_hours: Option<i64>,
    /// `MagneticStoreRetentionPeriodInDays` (service default 73000 when unset).
    pub magnetic_retention_days: Option<i64>,
    /// `EnableMagneticStoreWrites`.
    pub magnetic_writes: bool,
}

/// The Timestream Write calls tsload makes. Implemented over the SDK by
/// [`SdkApi`](super::sdk::SdkApi) and by scripted fakes in tests.
pub trait BatchLoadApi: Send + Sync {
    /// `CreateBatchLoadTask`; the task id. The request is sent as given,
    /// `ClientToken` included.
    fn create_task(
        &self,
        request: &CreateBatchLoadTaskRequest,
    ) -> impl Future<Output = Result<String, ApiError>> + Send;

    /// `DescribeBatchLoadTask`.
    fn describe_task(
        &self,
        task_id: &str,
    ) -> impl Future<Output = Result<BatchLoadTaskDescription, ApiError>> + Send;

    /// `ListBatchLoadTasks`, every page, optionally of one status.
    fn list_tasks(
        &self,
        status: Option<&BatchLoadStatus>,
    ) -> impl Future<Output = Result<Vec<TaskSummary>, ApiError>> + Send;

    /// `ResumeBatchLoadTask`.
    fn resume_task(&self, task_id: &str) -> impl Future<Output = Result<(), ApiError>> + Send;

    /// `DescribeTable`: retention, magnetic writes, partition key.
    fn describe_table(
        &self,
        database: &str,
        table: &str,
    ) -> impl Future<Output = Result<TableInfo, ApiError>> + Send;

    /// `CreateDatabase`; `Ok(false)` when it already exists.
    fn create_database(
        &self,
        database: &str,
    ) -> impl Future<Output = Result<bool, ApiError>> + Send;

    /// `CreateTable`; `Ok(false)` when it already exists.
    fn create_table(
        &self,
        database: &str,
        table: &str,
        spec: &TableSpec,
    ) -> impl Future<Output = Result<bool, ApiError>> + Send;
}

/// What kind of failure a call ended in (spec §7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ErrorKind {
    /// `AccessDeniedException`.
    AccessDenied,
    /// `ResourceNotFoundException`.
    ResourceNotFound,
    /// `ValidationException`.
    Validation,
    /// `ServiceQuotaExceededException`.
    ServiceQuotaExceeded,
    /// `ThrottlingException`.
    Throttling,
    /// `ConflictException`.
    Conflict,
    /// `InternalServerException` (5xx).
    InternalServer,
    /// `InvalidEndpointException`.
    InvalidEndpoint,
    /// No answer: connection, DNS, TLS, timeout, credentials.
    Transport,
    /// Any other service error.
    Other,
}

impl ErrorKind {
    /// From the service's error code (`__type` without its namespace).
    pub fn from_code(code: &str) -> Self {
        match code.trim_end_matches("Exception") {
            "AccessDenied" => Self::AccessDenied,
            "ResourceNotFound" => Self::ResourceNotFound,
            "Validation" => Self::Validation,
            "ServiceQuotaExceeded" => Self::ServiceQuotaExceeded,
            "Throttling" => Self::Throttling,
            "Conflict" => Self::Conflict,
            "InternalServer" => Self::InternalServer,
            "InvalidEndpoint" => Self::InvalidEndpoint,
            _ => Self::Other,
        }
    }

    /// Whether waiting and trying again may help.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            Self::Throttling | Self::InternalServer | Self::Transport
        )
    }
}

/// A failed call, with what people need to fix it: the operation (so the
/// IAM action), the resource it was about, the service's code and message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct ApiError {
    /// The operation, e.g. `CreateBatchLoadTask`.
    pub operation: &'static str,
    /// The kind of failure.
    pub kind: ErrorKind,
    /// The service's error code, when it sent one.
    pub code: Option<String>,
    /// The service's message, or the transport error chain.
    pub message: String,
    /// What the call was about, e.g. ``task `ABC` `` or ``table `db`.`t` ``.
    pub resource: Option<String>,
}

impl ApiError {
    /// An error of `kind` from `operation`.
    pub fn new(operation: &'static str, kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            operation,
            kind,
            code: None,
            message: message.into(),
            resource: None,
        }
    }

    /// Names the resource the call was about.
    pub fn about(mut self, resource: impl Into<String>) -> Self {
        self.resource = Some(resource.into());
        self
    }

    /// The member a `ValidationException` names, when its message says
    /// (`… at 'member' failed to satisfy …`, or a member in backticks or
    /// quotes as the emulator writes it).
    pub fn member(&self) -> Option<&str> {
        let m = &self.message;
        if let Some(i) = m.find(" at '") {
            let rest = &m[i + 5..];
            return rest.find('\'').map(|j| &rest[..j]);
        }
        for q in ['\'', '`'] {
            if let Some(i) = m.find(q) {
                let rest = &m[i + 1..];
                if let Some(j) = rest.find(q) {
                    let name = &rest[..j];
                    if !name.is_empty()
                        && name
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
                    {
                        return Some(name);
                    }
                }
            }
        }
        None
    }

    /// The message for people: what failed, why, and what to do.
    pub fn describe(&self) -> String {
        let about = self
            .resource
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        let code = self.code.as_deref().unwrap_or("");
        let msg = &self.message;
        let op = self.operation;
        match self.kind {
            ErrorKind::AccessDenied => format!(
                "{op}{about}: access denied: {msg}\n  hint: the caller needs the IAM action `timestream:{op}` (and `timestream:DescribeEndpoints`); \
                 the service itself needs `s3:GetObject`, `s3:GetBucketAcl`, `s3:ListBucket` on the source bucket and `s3:PutObject`, `s3:GetBucketAcl` on the report bucket"
            ),
            ErrorKind::ResourceNotFound => format!(
                "{op}: not found{}: {msg}\n  hint: check the name, the region and the account{}",
                self.resource
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default(),
                if op == "DescribeTable" || op == "CreateBatchLoadTask" {
                    "; `tsload submit --create-table` creates a missing database and table"
                } else {
                    ""
                }
            ),
            ErrorKind::Validation => match self.member() {
                Some(member) => {
                    format!("{op}{about}: the service rejected member `{member}`: {msg}")
                }
                None => format!("{op}{about}: the service rejected the request: {msg}"),
            },
            ErrorKind::ServiceQuotaExceeded => format!(
                "{op}{about}: service quota exceeded: {msg}\n  hint: at most 5 active batch load tasks per table and 10 per account [DOC: LIMITS]; \
                 wait for running tasks (`tsload list --status IN_PROGRESS`) or ask AWS for a higher quota"
            ),
            ErrorKind::Throttling => format!(
                "{op}{about}: throttled by the service after retries: {msg}\n  hint: other clients share the account's rate (5 Describe/List and 1 Create per second for the Timestream API [DOC: LIMITS]; that batch-load calls count against them is inferred [INF]); try again later"
            ),
            ErrorKind::Conflict => format!("{op}{about}: conflict: {msg}"),
            ErrorKind::InternalServer => match &self.code {
                Some(code) => format!("{op}{about}: the service failed ({code}): {msg}"),
                None => format!(
                    "{op}{about}: the endpoint failed: {msg}\n  hint: the answer carries no Timestream error; check that the endpoint is a Timestream Write endpoint"
                ),
            },
            ErrorKind::InvalidEndpoint => format!(
                "{op}{about}: invalid endpoint: {msg}\n  hint: against AWS leave the endpoint unset so discovery picks the cell endpoint"
            ),
            ErrorKind::Transport => format!(
                "{op}{about}: no answer from the service: {msg}\n  hint: check the region, the endpoint, the network and the credentials (`--verbose` shows what is used)"
            ),
            ErrorKind::Other if code.is_empty() => format!("{op}{about}: {msg}"),
            ErrorKind::Other => format!("{op}{about}: {code}: {msg}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_from_codes() {
        assert_eq!(
            ErrorKind::from_code("AccessDeniedException"),
            ErrorKind::AccessDenied
        );
        assert_eq!(
            ErrorKind::from_code("ThrottlingException"),
            ErrorKind::Throttling
        );
        assert_eq!(ErrorKind::from_code("Weird"), ErrorKind::Other);
        assert!(ErrorKind::Throttling.is_retryable());
        assert!(!ErrorKind::Validation.is_retryable());
    }

    #[test]
    fn a_failure_without_a_code_is_not_named_as_one() {
        let e = ApiError::new(
            "ListBatchLoadTasks",
            ErrorKind::InternalServer,
            "HTTP 501: unhandled error",
        );
        let text = e.describe();
        assert!(!text.contains("InternalServerException"), "{text}");
        assert!(text.contains("the endpoint failed: HTTP 501"), "{text}");
        let mut coded = ApiError::new("ListBatchLoadTasks", ErrorKind::InternalServer, "boom");
        coded.code = Some("InternalServerException".into());
        assert!(
            coded
                .describe()
                .contains("the service failed (InternalServerException): boom")
        );
    }

    #[test]
    fn validation_names_the_member() {
        let e = ApiError::new(
            "CreateBatchLoadTask",
            ErrorKind::Validation,
            "1 validation error detected: Value 'year=2024/' at 'dataSourceConfiguration.dataSourceS3Configuration.objectKeyPrefix' failed to satisfy constraint",
        );
        assert_eq!(
            e.member(),
            Some("dataSourceConfiguration.dataSourceS3Configuration.objectKeyPrefix")
        );
        assert!(
            e.describe()
                .contains("rejected member `dataSourceConfiguration")
        );
        let e = ApiError::new(
            "CreateBatchLoadTask",
            ErrorKind::Validation,
            "Invalid 'ObjectKeyPrefix': does not match",
        );
        assert_eq!(e.member(), Some("ObjectKeyPrefix"));
    }

    #[test]
    fn access_denied_names_the_action() {
        let e = ApiError::new("ResumeBatchLoadTask", ErrorKind::AccessDenied, "nope")
            .about("task `ABC`");
        let s = e.to_string();
        assert!(s.contains("`timestream:ResumeBatchLoadTask`"), "{s}");
        assert!(s.contains("(task `ABC`)"), "{s}");
        let e = ApiError::new("DescribeTable", ErrorKind::ResourceNotFound, "gone")
            .about("table `db`.`t`");
        assert!(e.to_string().contains("not found: table `db`.`t`"));
    }
}
