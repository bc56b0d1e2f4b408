//! Serde types that mirror the `CreateBatchLoadTask` request and the
//! `DescribeBatchLoadTask` response member for member (PascalCase names).
//!
//! Every member is an `Option`, even the ones the service model marks as
//! required: a missing required member is a *diagnostic* of the static checks
//! (with a code, a JSON pointer and a position), not a deserialisation error.
//! Enumerations keep values they do not know in an `Unknown` variant, as the
//! AWS SDK does, for the same reason. Serialising a value back gives the same
//! JSON members that were read (absent members stay absent), so what `submit`
//! sends is exactly what `check` saw.
//!
//! Shapes and constraints: `batchload-spec.md` §7.4 \[MODEL\].

use serde::{Deserialize, Serialize};

/// `CreateBatchLoadTaskRequest`: the document given to
/// `aws timestream-write create-batch-load-task --cli-input-json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateBatchLoadTaskRequest {
    /// Idempotency token, 1..64 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
    /// Where the data model is: inline or in S3.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_model_configuration: Option<DataModelConfiguration>,
    /// Required: the S3 source and the CSV dialect.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_source_configuration: Option<DataSourceConfiguration>,
    /// Required: where the error report goes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report_configuration: Option<ReportConfiguration>,
    /// Required: pattern `[a-zA-Z0-9_.-]+`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_database_name: Option<String>,
    /// Required: pattern `[a-zA-Z0-9_.-]+`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_table_name: Option<String>,
    /// Version applied to every record written by the task (≥ 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_version: Option<i64>,
}

/// `DataModelConfiguration`: one of an inline model or an S3 location.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DataModelConfiguration {
    /// The inline data model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_model: Option<DataModel>,
    /// The S3 object holding the data model.
    #[serde(
        rename = "DataModelS3Configuration",
        skip_serializing_if = "Option::is_none"
    )]
    pub data_model_s3_configuration: Option<DataModelS3Configuration>,
}

/// `DataModel`: how CSV columns map to time, dimensions and measures.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DataModel {
    /// Source column mapped to `time`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_column: Option<String>,
    /// Unit of the time column; default `MILLISECONDS`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_unit: Option<TimeUnit>,
    /// Required, at least one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dimension_mappings: Option<Vec<DimensionMapping>>,
    /// Multi-measure records.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multi_measure_mappings: Option<MultiMeasureMappings>,
    /// Single-measure and multi-measure records.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mixed_measure_mappings: Option<Vec<MixedMeasureMapping>>,
    /// Column whose value becomes the record's `measure_name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub measure_name_column: Option<String>,
}

/// `DimensionMapping`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DimensionMapping {
    /// CSV header name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_column: Option<String>,
    /// Dimension name in the table; defaults to `SourceColumn` \[EX\].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_column: Option<String>,
}

/// `MultiMeasureMappings`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MultiMeasureMappings {
    /// The `measure_name` of every record when `MeasureNameColumn` is absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_multi_measure_name: Option<String>,
    /// Required, at least one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multi_measure_attribute_mappings: Option<Vec<MultiMeasureAttributeMapping>>,
}

/// `MultiMeasureAttributeMapping`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MultiMeasureAttributeMapping {
    /// Required: CSV header name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_column: Option<String>,
    /// Attribute name in the table; defaults to `SourceColumn` \[EX\].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_multi_measure_attribute_name: Option<String>,
    /// Optional in the model; its default is undocumented, so tsload requires it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub measure_value_type: Option<MeasureValueType>,
}

/// `MixedMeasureMapping`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MixedMeasureMapping {
    /// Value of `MeasureNameColumn` that selects this mapping.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub measure_name: Option<String>,
    /// Source column of a scalar measure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_column: Option<String>,
    /// `measure_name` of the records this mapping writes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_measure_name: Option<String>,
    /// Required: a scalar type or `MULTI`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub measure_value_type: Option<MeasureValueType>,
    /// Required when `MeasureValueType` is `MULTI`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multi_measure_attribute_mappings: Option<Vec<MultiMeasureAttributeMapping>>,
}

/// `DataModelS3Configuration`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DataModelS3Configuration {
    /// Bucket of the data model object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bucket_name: Option<String>,
    /// Key of the data model object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_key: Option<String>,
}

/// `DataSourceConfiguration`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DataSourceConfiguration {
    /// Required: the bucket and prefix to read.
    #[serde(
        rename = "DataSourceS3Configuration",
        skip_serializing_if = "Option::is_none"
    )]
    pub data_source_s3_configuration: Option<DataSourceS3Configuration>,
    /// The CSV dialect.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csv_configuration: Option<CsvConfiguration>,
    /// Required: `CSV`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_format: Option<DataFormat>,
}

/// `DataSourceS3Configuration`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DataSourceS3Configuration {
    /// Required: source bucket.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bucket_name: Option<String>,
    /// Every object under this prefix is loaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_key_prefix: Option<String>,
}

/// `CsvConfiguration`: the dialect of every source file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CsvConfiguration {
    /// One character; default `,` \[INF\].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column_separator: Option<String>,
    /// One character; no default \[INF: none\].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub escape_char: Option<String>,
    /// One character; default `"` \[INF\].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quote_char: Option<String>,
    /// 1..256 characters: a field equal to it is null \[INF\].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub null_value: Option<String>,
    /// Trim leading and trailing white space.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trim_white_space: Option<bool>,
}

/// `ReportConfiguration`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReportConfiguration {
    /// Where the error report is written.
    #[serde(
        rename = "ReportS3Configuration",
        skip_serializing_if = "Option::is_none"
    )]
    pub report_s3_configuration: Option<ReportS3Configuration>,
}

/// `ReportS3Configuration`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReportS3Configuration {
    /// Required: report bucket.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bucket_name: Option<String>,
    /// Key prefix of the report, 1..928.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_key_prefix: Option<String>,
    /// `SSE_S3` or `SSE_KMS`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_option: Option<EncryptionOption>,
    /// Needed with `SSE_KMS`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
}

/// `DescribeBatchLoadTaskResponse`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeBatchLoadTaskResponse {
    /// The task.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_load_task_description: Option<BatchLoadTaskDescription>,
}

/// `BatchLoadTaskDescription`. Timestamps are epoch seconds with fractions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchLoadTaskDescription {
    /// Task id, `[A-Z0-9]{3,32}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_id: Option<String>,
    /// Why the task failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// As in the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_source_configuration: Option<DataSourceConfiguration>,
    /// Counters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress_report: Option<ProgressReport>,
    /// As in the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report_configuration: Option<ReportConfiguration>,
    /// As in the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_model_configuration: Option<DataModelConfiguration>,
    /// As in the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_database_name: Option<String>,
    /// As in the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_table_name: Option<String>,
    /// Lifecycle state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_status: Option<BatchLoadStatus>,
    /// As in the request (the service echoes 1 when it was not set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_version: Option<i64>,
    /// Epoch seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creation_time: Option<f64>,
    /// Epoch seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_updated_time: Option<f64>,
    /// Epoch seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resumable_until: Option<f64>,
}

/// `BatchLoadProgressReport`: the service's six counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProgressReport {
    /// Data rows read.
    #[serde(default)]
    pub records_processed: i64,
    /// Records written.
    #[serde(default)]
    pub records_ingested: i64,
    /// Rows that could not be parsed or converted.
    #[serde(default)]
    pub parse_failures: i64,
    /// Records rejected by storage.
    #[serde(default)]
    pub record_ingestion_failures: i64,
    /// Files that failed as a whole.
    #[serde(default)]
    pub file_failures: i64,
    /// Billable bytes.
    #[serde(default)]
    pub bytes_metered: i64,
}

macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        ///
        /// Values the service model does not list are kept in `Unknown`, so
        /// the static checks can report them with a position.
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(from = "String", into = "String")]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
            /// A value outside the enumeration, as written.
            Unknown(String),
        }

        impl $name {
            /// Every value the service model allows, in model order.
            pub const VALUES: &'static [&'static str] = &[$($text),+];

            /// The value as written in JSON.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)+
                    Self::Unknown(s) => s,
                }
            }

            /// Whether the value is one the service model allows.
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Unknown(_))
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                match s.as_str() {
                    $($text => Self::$variant,)+
                    _ => Self::Unknown(s),
                }
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.as_str().to_owned()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum! {
    /// `TimeUnit` of the time column.
    TimeUnit {
        /// Epoch milliseconds (the default).
        Milliseconds = "MILLISECONDS",
        /// Epoch seconds.
        Seconds = "SECONDS",
        /// Epoch microseconds.
        Microseconds = "MICROSECONDS",
        /// Epoch nanoseconds.
        Nanoseconds = "NANOSECONDS",
    }
}

wire_enum! {
    /// `MeasureValueType` (`MULTI` is valid only in `MixedMeasureMapping`).
    MeasureValueType {
        /// IEEE-754 binary64, finite.
        Double = "DOUBLE",
        /// 64-bit signed integer.
        Bigint = "BIGINT",
        /// UTF-8 string, at most 2 KB.
        Varchar = "VARCHAR",
        /// `true` or `false`.
        Boolean = "BOOLEAN",
        /// Epoch integer in the task's `TimeUnit`; multi-measure only.
        Timestamp = "TIMESTAMP",
        /// A multi-measure record.
        Multi = "MULTI",
    }
}

wire_enum! {
    /// `BatchLoadDataFormat`.
    DataFormat {
        /// The only format.
        Csv = "CSV",
    }
}

wire_enum! {
    /// `S3EncryptionOption` of the report.
    EncryptionOption {
        /// S3-managed keys.
        SseS3 = "SSE_S3",
        /// KMS keys; needs `KmsKeyId`.
        SseKms = "SSE_KMS",
    }
}

wire_enum! {
    /// `BatchLoadStatus`.
    BatchLoadStatus {
        /// Task is created.
        Created = "CREATED",
        /// Task is in progress.
        InProgress = "IN_PROGRESS",
        /// Completed with one or more errors.
        Failed = "FAILED",
        /// Completed with no errors.
        Succeeded = "SUCCEEDED",
        /// Stopped but not completed; may be resumed.
        ProgressStopped = "PROGRESS_STOPPED",
        /// Pending resume.
        PendingResume = "PENDING_RESUME",
    }
}

impl TimeUnit {
    /// Nanoseconds in one unit (`None` for an unknown unit).
    pub fn nanos_per_unit(&self) -> Option<i64> {
        match self {
            Self::Seconds => Some(1_000_000_000),
            Self::Milliseconds => Some(1_000_000),
            Self::Microseconds => Some(1_000),
            Self::Nanoseconds => Some(1),
            Self::Unknown(_) => None,
        }
    }
}

impl BatchLoadStatus {
    /// `SUCCEEDED` or `FAILED`: nothing more will happen.
    pub fn is_terminal(&self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_keep_unknown_values() {
        let u: TimeUnit = serde_json::from_str("\"MINUTES\"").unwrap();
        assert_eq!(u, TimeUnit::Unknown("MINUTES".into()));
        assert!(!u.is_known());
        assert_eq!(serde_json::to_string(&u).unwrap(), "\"MINUTES\"");
        let s: TimeUnit = serde_json::from_str("\"SECONDS\"").unwrap();
        assert_eq!(s, TimeUnit::Seconds);
    }

    #[test]
    fn absent_members_stay_absent() {
        let text = r#"{"TargetDatabaseName":"db","DataSourceConfiguration":{"DataFormat":"CSV","CsvConfiguration":{}}}"#;
        let req: CreateBatchLoadTaskRequest = serde_json::from_str(text).unwrap();
        let back = serde_json::to_value(&req).unwrap();
        let orig: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(back, orig);
    }
}
