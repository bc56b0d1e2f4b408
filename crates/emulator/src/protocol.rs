//! The awsJson1_0 protocol of Timestream Write: errors, request decoding and
//! the model's constraints (spec §7.1, §7.2, §7.4).

use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// The namespace of the service's error `__type` (spec §7.2 \[3P\]).
pub const ERROR_NAMESPACE: &str = "com.amazonaws.timestream.v20181101";
/// The `X-Amz-Target` prefix (spec §7.1 \[MODEL\]).
pub const TARGET_PREFIX: &str = "Timestream_20181101.";
/// The content type of requests and responses (spec §7.1 \[SDK\]).
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.0";

/// The service's error shapes (spec §7.2 \[MODEL\]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// 400.
    AccessDenied,
    /// 400: the resource exists, or a quota of active tasks is reached.
    Conflict,
    /// 400.
    InvalidEndpoint,
    /// 400.
    ResourceNotFound,
    /// 400.
    ServiceQuotaExceeded,
    /// 400.
    Throttling,
    /// 400: the request breaks the model's constraints.
    Validation,
    /// 500.
    InternalServer,
    /// 419 (WriteRecords only), with `RejectedRecords`.
    RejectedRecords,
    /// 404 from a wrong endpoint (spec §7.2 \[3P\]), namespace `com.amazon.coral.service`.
    UnknownOperation,
}

impl ErrorKind {
    /// The shape name, as in `__type`.
    pub fn name(self) -> &'static str {
        match self {
            Self::AccessDenied => "AccessDeniedException",
            Self::Conflict => "ConflictException",
            Self::InvalidEndpoint => "InvalidEndpointException",
            Self::ResourceNotFound => "ResourceNotFoundException",
            Self::ServiceQuotaExceeded => "ServiceQuotaExceededException",
            Self::Throttling => "ThrottlingException",
            Self::Validation => "ValidationException",
            Self::InternalServer => "InternalServerException",
            Self::RejectedRecords => "RejectedRecordsException",
            Self::UnknownOperation => "UnknownOperationException",
        }
    }

    /// The HTTP status code (spec §7.2 \[DOC: APIREF\], 419 \[3P\]).
    pub fn status(self) -> u16 {
        match self {
            Self::InternalServer => 500,
            Self::RejectedRecords => 419,
            Self::UnknownOperation => 404,
            _ => 400,
        }
    }
}

/// An error answer of the service.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// Which error shape.
    pub kind: ErrorKind,
    /// The `message`.
    pub message: String,
    /// Extra members of the error body (`RejectedRecords`).
    pub extra: Option<Value>,
}

impl ApiError {
    /// An error without extra members.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            extra: None,
        }
    }

    /// A `ValidationException`.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Validation, message)
    }

    /// A `ResourceNotFoundException`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::ResourceNotFound, message)
    }

    /// A `ConflictException`.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, message)
    }

    /// An `InternalServerException` (storage failures).
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InternalServer, message)
    }

    /// The JSON body: `{"__type": "<namespace>#<Name>", "message": …}`.
    pub fn body(&self) -> Value {
        let namespace = if self.kind == ErrorKind::UnknownOperation {
            "com.amazon.coral.service"
        } else {
            ERROR_NAMESPACE
        };
        let mut body = json!({
            "__type": format!("{namespace}#{}", self.kind.name()),
            "message": self.message,
        });
        if let (Some(Value::Object(extra)), Value::Object(map)) = (&self.extra, &mut body) {
            for (k, v) in extra {
                map.insert(k.clone(), v.clone());
            }
        }
        body
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> Self {
        Self::internal(format!("storage error: {e}"))
    }
}

/// Decodes a request body into `T`. A member of the wrong JSON type is a
/// `ValidationException` that names the member (the real service answers
/// `SerializationException` there; the SDKs never send such bodies).
pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path.is_empty() || path == "." {
            ApiError::validation(format!("the request body is not a JSON object: {inner}"))
        } else {
            ApiError::validation(format!("Value at '{path}' is not valid: {inner}"))
        }
    })
}

/// Collects constraint violations the way the service's framework reports
/// them: `N validation error(s) detected: Value 'v' at 'member' failed to
/// satisfy constraint: …` (spec §7.2 \[3P\]); members are named by their path
/// in the request (`Tags.1.Key`).
#[derive(Debug, Default)]
pub struct Checks {
    errors: Vec<String>,
}

impl Checks {
    /// No violations yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a violation with a free-form text.
    pub fn fail(&mut self, text: String) {
        self.errors.push(text);
    }

    fn value_text(value: &str) -> String {
        let mut v: String = value.chars().take(64).collect();
        if v.len() < value.len() {
            v.push('…');
        }
        v
    }

    /// A required member.
    pub fn required<T>(&mut self, member: &str, value: Option<&T>) {
        if value.is_none() {
            self.fail(format!(
                "Value null at '{member}' failed to satisfy constraint: Member must not be null"
            ));
        }
    }

    /// String length in characters, `min..=max` (`max` optional).
    pub fn length(&mut self, member: &str, value: Option<&str>, min: usize, max: Option<usize>) {
        let Some(v) = value else { return };
        let n = v.chars().count();
        if n < min {
            self.fail(format!(
                "Value '{}' at '{member}' failed to satisfy constraint: Member must have length greater than or equal to {min}",
                Self::value_text(v)
            ));
        } else if let Some(max) = max
            && n > max
        {
            self.fail(format!(
                "Value '{}' at '{member}' failed to satisfy constraint: Member must have length less than or equal to {max}",
                Self::value_text(v)
            ));
        }
    }

    /// A whole-string pattern.
    pub fn pattern(&mut self, member: &str, value: Option<&str>, pattern: Pattern) {
        let Some(v) = value else { return };
        if !pattern.matches(v) {
            self.fail(format!(
                "Value '{}' at '{member}' failed to satisfy constraint: Member must satisfy regular expression pattern: {}",
                Self::value_text(v),
                pattern.text()
            ));
        }
    }

    /// A numeric range.
    pub fn range(&mut self, member: &str, value: Option<i64>, min: i64, max: Option<i64>) {
        let Some(v) = value else { return };
        if v < min {
            self.fail(format!(
                "Value '{v}' at '{member}' failed to satisfy constraint: Member must have value greater than or equal to {min}"
            ));
        } else if let Some(max) = max
            && v > max
        {
            self.fail(format!(
                "Value '{v}' at '{member}' failed to satisfy constraint: Member must have value less than or equal to {max}"
            ));
        }
    }

    /// An enumeration.
    pub fn one_of(&mut self, member: &str, value: Option<&str>, allowed: &[&str]) {
        let Some(v) = value else { return };
        if !allowed.contains(&v) {
            self.fail(format!(
                "Value '{}' at '{member}' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                Self::value_text(v),
                allowed.join(", ")
            ));
        }
    }

    /// A list length.
    pub fn count(&mut self, member: &str, len: Option<usize>, min: usize, max: Option<usize>) {
        let Some(n) = len else { return };
        if n < min {
            self.fail(format!(
                "Value at '{member}' failed to satisfy constraint: Member must have length greater than or equal to {min}"
            ));
        } else if let Some(max) = max
            && n > max
        {
            self.fail(format!(
                "Value at '{member}' failed to satisfy constraint: Member must have length less than or equal to {max}"
            ));
        }
    }

    /// `Ok` when nothing failed, else one `ValidationException` listing all.
    pub fn finish(self) -> Result<(), ApiError> {
        match self.errors.len() {
            0 => Ok(()),
            1 => Err(ApiError::validation(format!(
                "1 validation error detected: {}",
                self.errors[0]
            ))),
            n => Err(ApiError::validation(format!(
                "{n} validation errors detected: {}",
                self.errors.join("; ")
            ))),
        }
    }
}

/// The string patterns of the service model (spec §7.4), matched against
/// the whole value \[INF: §10 q19\].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    /// `ResourceCreateAPIName`: `[a-zA-Z0-9_.-]+`.
    ResourceName,
    /// `S3BucketName`: `[a-z0-9][\.\-a-z0-9]{1,61}[a-z0-9]`.
    BucketName,
    /// `S3ObjectKey` and `S3ObjectKeyPrefix`.
    ObjectKey,
    /// `BatchLoadTaskId`: `[A-Z0-9]+`.
    TaskId,
}

impl Pattern {
    fn text(self) -> &'static str {
        match self {
            Self::ResourceName => "[a-zA-Z0-9_.-]+",
            Self::BucketName => "[a-z0-9][\\.\\-a-z0-9]{1,61}[a-z0-9]",
            Self::ObjectKey => "[a-zA-Z0-9|!\\-_*'\\(\\)]([a-zA-Z0-9]|[!\\-_*'\\(\\)\\/.])+",
            Self::TaskId => "[A-Z0-9]+",
        }
    }

    /// Whether `v` matches the whole pattern.
    pub fn matches(self, v: &str) -> bool {
        let b = v.as_bytes();
        match self {
            Self::ResourceName => {
                !b.is_empty()
                    && b.iter()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
            }
            Self::BucketName => {
                let edge = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
                (3..=63).contains(&b.len())
                    && edge(&b[0])
                    && edge(&b[b.len() - 1])
                    && b.iter().all(|c| edge(c) || matches!(c, b'.' | b'-'))
            }
            Self::ObjectKey => {
                let first = |c: &u8| c.is_ascii_alphanumeric() || b"|!-_*'()".contains(c);
                let rest = |c: &u8| c.is_ascii_alphanumeric() || b"!-_*'()/.".contains(c);
                b.len() >= 2 && first(&b[0]) && b[1..].iter().all(rest)
            }
            Self::TaskId => {
                !b.is_empty()
                    && b.iter()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_the_whole_value() {
        assert!(Pattern::ResourceName.matches("db_1.x-y"));
        assert!(!Pattern::ResourceName.matches("db 1"));
        assert!(!Pattern::ResourceName.matches(""));
        assert!(Pattern::BucketName.matches("my-bucket.1"));
        assert!(!Pattern::BucketName.matches("My-bucket"));
        assert!(!Pattern::BucketName.matches("-bucket"));
        assert!(!Pattern::BucketName.matches("ab"));
        assert!(Pattern::ObjectKey.matches("loads/2024-01-01/"));
        assert!(Pattern::ObjectKey.matches("|x"));
        assert!(!Pattern::ObjectKey.matches("year=2024/"));
        assert!(!Pattern::ObjectKey.matches("/loads"));
        assert!(!Pattern::ObjectKey.matches("a"));
        assert!(!Pattern::ObjectKey.matches("a|b"));
        assert!(Pattern::TaskId.matches("9367BE28418C5EF902676482220B631C"));
        assert!(!Pattern::TaskId.matches("abc"));
    }

    #[test]
    fn checks_name_the_member() {
        let mut c = Checks::new();
        c.required::<String>("DatabaseName", None);
        let err = c.finish().unwrap_err();
        assert_eq!(err.kind, ErrorKind::Validation);
        assert_eq!(
            err.message,
            "1 validation error detected: Value null at 'DatabaseName' failed to satisfy constraint: Member must not be null"
        );
        let mut c = Checks::new();
        c.length("TableName", Some("ab"), 3, Some(256));
        c.pattern("TableName", Some("ab"), Pattern::ResourceName);
        c.range("MaxResults", Some(0), 1, Some(20));
        let err = c.finish().unwrap_err();
        assert!(
            err.message
                .starts_with("2 validation errors detected: Value 'ab' at 'TableName'")
        );
        assert!(err.message.contains("'MaxResults'"));
    }

    #[test]
    fn error_bodies_carry_the_namespaced_type() {
        let e = ApiError::not_found("The database x does not exist.");
        assert_eq!(
            e.body(),
            json!({"__type": "com.amazonaws.timestream.v20181101#ResourceNotFoundException",
                   "message": "The database x does not exist."})
        );
        assert_eq!(ErrorKind::RejectedRecords.status(), 419);
        assert_eq!(ErrorKind::InternalServer.status(), 500);
        assert_eq!(ErrorKind::Throttling.status(), 400);
    }
}
