//! The rules of tsload-model: task and data-model checks (`T` codes).
//!
//! Numbering: `T0xx` the JSON document itself, `T1xx` request members
//! (service model constraints, spec §7.4 and §9), `T2xx` the data model
//! (spec §1.1, §1.4, §1.5 V1–V16), `T3xx` target names and limits (spec §4.2,
//! §4.3), `T4xx` `CsvConfiguration` (spec §2.2). Codes are never reused.
//!
//! Evidence follows `batchload-spec.md`: a rule tagged [`Evidence::Inf`]
//! is our hypothesis and its messages never claim the service documents it.

use crate::diag::{Evidence, Rule, Severity};

macro_rules! rules {
    ($($(#[$doc:meta])* $name:ident = $code:literal, $slug:literal, $sev:ident, $ev:ident, $summary:literal;)+) => {
        $(
            $(#[$doc])*
            pub static $name: Rule = Rule {
                code: $code,
                slug: $slug,
                severity: Severity::$sev,
                evidence: Evidence::$ev,
                summary: $summary,
            };
        )+

        /// Every rule of this crate, in code order.
        pub static RULES: &[&Rule] = &[$(&$name),+];
    };
}

rules! {
    /// A member the service model does not have (typos, misplaced members).
    UNKNOWN_MEMBER = "T001", "unknown-member", Error, Model,
        "a member that the service model does not define";
    /// The same member twice in one object; JSON readers keep the last one.
    DUPLICATE_MEMBER = "T002", "duplicate-member", Warning, Inf,
        "a member written twice in one object (only the last one counts)";

    /// A member the service model marks required is absent.
    MISSING_REQUIRED_MEMBER = "T101", "missing-required-member", Error, Model,
        "a member the service model requires is missing";
    /// A string or list outside the model's length bounds.
    LENGTH_OUT_OF_RANGE = "T102", "length-out-of-range", Error, Model,
        "a string or list is shorter or longer than the service model allows";
    /// An enumeration value the model does not list.
    UNKNOWN_ENUM_VALUE = "T103", "unknown-enum-value", Error, Model,
        "a value outside the enumeration of the service model";
    /// `S3BucketName`: 3..63, `[a-z0-9][\.\-a-z0-9]{1,61}[a-z0-9]`.
    INVALID_BUCKET_NAME = "T104", "invalid-bucket-name", Error, Model,
        "an S3 bucket name that does not match the service model's pattern";
    /// `S3ObjectKey` / `S3ObjectKeyPrefix` length and pattern (full match).
    INVALID_OBJECT_KEY = "T105", "invalid-object-key", Error, Model,
        "an S3 object key or prefix that does not match the service model's pattern";
    /// `ResourceCreateAPIName`: `[a-zA-Z0-9_.-]+` (full match).
    INVALID_RESOURCE_NAME = "T106", "invalid-resource-name", Error, Model,
        "a database or table name with characters outside `[a-zA-Z0-9_.-]`";
    /// Database and table names are 3..256 characters (CreateTable docs).
    RESOURCE_NAME_LENGTH = "T107", "resource-name-length", Error, Doc,
        "a database or table name shorter than 3 or longer than 256 characters";
    /// `RecordVersion` below 1, by analogy with WriteRecords' `Version`.
    RECORD_VERSION_BELOW_ONE = "T108", "record-version-below-one", Error, Inf,
        "`RecordVersion` is below 1";
    /// `SSE_KMS` without `KmsKeyId`: "an error is thrown".
    KMS_KEY_MISSING = "T109", "kms-key-missing", Error, Doc,
        "`EncryptionOption` `SSE_KMS` without a `KmsKeyId`";
    /// `KmsKeyId` with an encryption option that does not use it.
    KMS_KEY_UNUSED = "T110", "kms-key-unused", Warning, Inf,
        "`KmsKeyId` is set but `EncryptionOption` is not `SSE_KMS`";
    /// `ReportConfiguration` without `ReportS3Configuration`.
    NO_REPORT_LOCATION = "T111", "no-report-location", Warning, Inf,
        "`ReportConfiguration` has no `ReportS3Configuration`, so the error report has nowhere to go";
    /// A database or table named like a system identifier.
    SYSTEM_IDENTIFIER_RESOURCE_NAME = "T112", "system-identifier-resource-name", Warning, Doc,
        "a database or table name that is a Timestream system identifier";

    /// V1: `DataModelConfiguration` with neither `DataModel` nor `DataModelS3Configuration`.
    NO_DATA_MODEL = "T201", "no-data-model", Error, Inf,
        "the task has no data model (neither `DataModel` nor `DataModelS3Configuration`)";
    /// V1: both an inline model and an S3 location.
    DATA_MODEL_INLINE_AND_S3 = "T202", "data-model-inline-and-s3", Warning, Inf,
        "both `DataModel` and `DataModelS3Configuration` are set";
    /// A model kept in S3 cannot be checked offline.
    DATA_MODEL_IN_S3 = "T203", "data-model-in-s3", Warning, Model,
        "the data model is in S3 and cannot be checked offline";
    /// V2: at least one dimension.
    NO_DIMENSIONS = "T204", "no-dimensions", Error, Model,
        "`DimensionMappings` is missing or empty";
    /// V3: neither measure mapping.
    NO_MEASURE_MAPPINGS = "T205", "no-measure-mappings", Error, Doc,
        "neither `MultiMeasureMappings` nor `MixedMeasureMappings` is set";
    /// V3: both measure mappings.
    BOTH_MEASURE_MAPPINGS = "T206", "both-measure-mappings", Error, Inf,
        "both `MultiMeasureMappings` and `MixedMeasureMappings` are set";
    /// V4: `MultiMeasureAttributeMappings` ≥ 1.
    NO_MULTI_MEASURE_ATTRIBUTES = "T207", "no-multi-measure-attributes", Error, Model,
        "`MultiMeasureMappings` has no `MultiMeasureAttributeMappings`";
    /// V5: `TargetMultiMeasureName` without `MeasureNameColumn`.
    MISSING_TARGET_MULTI_MEASURE_NAME = "T208", "missing-target-multi-measure-name", Error, Doc,
        "`MultiMeasureMappings` without `MeasureNameColumn` needs `TargetMultiMeasureName`";
    /// V6: both `MeasureNameColumn` and `TargetMultiMeasureName`.
    MEASURE_NAME_COLUMN_AND_TARGET = "T209", "measure-name-column-and-target-name", Warning, Inf,
        "both `MeasureNameColumn` and `TargetMultiMeasureName` are set; which wins is undocumented";
    /// V7: a `MULTI` mixed mapping needs attributes.
    MULTI_MAPPING_WITHOUT_ATTRIBUTES = "T210", "multi-mapping-without-attributes", Error, Doc,
        "a `MULTI` mixed mapping has no `MultiMeasureAttributeMappings`";
    /// V7: `SourceColumn` on a `MULTI` mixed mapping is not read.
    SOURCE_COLUMN_ON_MULTI_MAPPING = "T211", "source-column-on-multi-mapping", Warning, Inf,
        "`SourceColumn` on a `MULTI` mixed mapping is not used";
    /// V8: a scalar mixed mapping needs `SourceColumn`.
    SCALAR_MAPPING_WITHOUT_SOURCE = "T212", "scalar-mapping-without-source", Error, Inf,
        "a scalar mixed mapping has no `SourceColumn`";
    /// V8: a scalar mixed mapping must not have attributes.
    SCALAR_MAPPING_WITH_ATTRIBUTES = "T213", "scalar-mapping-with-attributes", Error, Inf,
        "a scalar mixed mapping has `MultiMeasureAttributeMappings`";
    /// V9: with `MeasureNameColumn`, every mixed mapping needs `MeasureName`.
    MIXED_MAPPING_WITHOUT_MEASURE_NAME = "T214", "mixed-mapping-without-measure-name", Error, Inf,
        "with `MeasureNameColumn`, a mixed mapping has no `MeasureName`";
    /// V10: `TIMESTAMP` is only valid inside multi-measure records.
    SCALAR_TIMESTAMP_MEASURE = "T215", "scalar-timestamp-measure", Error, Doc,
        "a single-measure record of type `TIMESTAMP`";
    /// A `MULTI` mixed mapping with no name for its records.
    MULTI_MAPPING_WITHOUT_NAME = "T216", "multi-mapping-without-name", Error, Inf,
        "a `MULTI` mixed mapping has neither `TargetMeasureName` nor `MeasureName`";
    /// §1.1: `TimeColumn` is optional in the model but data needs a time.
    MISSING_TIME_COLUMN = "T217", "missing-time-column", Error, Inf,
        "the data model has no `TimeColumn`";
    /// §1.1: a dimension mapping without `SourceColumn` maps nothing.
    DIMENSION_WITHOUT_SOURCE = "T218", "dimension-without-source", Error, Inf,
        "a dimension mapping has no `SourceColumn`";
    /// §1.4: the default `MeasureValueType` of an attribute is undocumented.
    MISSING_MEASURE_VALUE_TYPE = "T219", "missing-measure-value-type", Error, Inf,
        "a multi-measure attribute has no `MeasureValueType`";
    /// V16: one source column in two roles.
    SOURCE_COLUMN_MULTIPLE_ROLES = "T220", "source-column-multiple-roles", Warning, Inf,
        "a source column is used for two roles (time, dimension, measure name, measure)";
    /// A data model location in S3 without a bucket or key.
    INCOMPLETE_DATA_MODEL_LOCATION = "T221", "incomplete-data-model-location", Error, Inf,
        "`DataModelS3Configuration` lacks `BucketName` or `ObjectKey`";

    /// V13: column names are unique; a dimension is not named like a measure.
    DUPLICATE_TARGET_NAME = "T301", "duplicate-target-name", Error, Doc,
        "a target name used twice (dimensions, attributes and measure names; case-sensitive)";
    /// §4.3: `time`, `measure_value`, `measure_name`, `ts_non_existent_col`.
    RESERVED_NAME = "T302", "reserved-name", Error, Doc,
        "a target name that is a reserved system identifier";
    /// §4.3: column names may not start with `ts_` or `measure_name`, and
    /// dimension names not with `measure_value` either.
    RESERVED_PREFIX = "T303", "reserved-prefix", Error, Doc,
        "a target name that starts with a reserved prefix";
    /// §4.3: dimension names cannot contain `:`.
    COLON_IN_DIMENSION_NAME = "T304", "colon-in-dimension-name", Error, Doc,
        "a dimension name containing `:`";
    /// §4.3 practical rule set: no `:` in measure names either.
    COLON_IN_MEASURE_NAME = "T305", "colon-in-measure-name", Error, Inf,
        "a measure or attribute name containing `:`";
    /// §4.2: dimension names are at most 60 bytes.
    DIMENSION_NAME_TOO_LONG = "T306", "dimension-name-too-long", Error, Doc,
        "a dimension name longer than 60 bytes";
    /// §4.2: measure names are at most 256 bytes.
    MEASURE_NAME_TOO_LONG = "T307", "measure-name-too-long", Error, Doc,
        "a measure or attribute name longer than 256 bytes";
    /// §4.3: SQL reserved words must be quoted in queries.
    SQL_RESERVED_WORD = "T308", "sql-reserved-word", Warning, Doc,
        "a target name that is a reserved word of Timestream's query language";
    /// §4.2: at most 128 dimensions per table.
    TOO_MANY_DIMENSIONS = "T309", "too-many-dimensions", Error, Doc,
        "more than 128 dimensions";
    /// §4.2: at most 256 measures per multi-measure record.
    TOO_MANY_ATTRIBUTES = "T310", "too-many-attributes", Error, Doc,
        "more than 256 attributes in one multi-measure record";
    /// §3: a column's type is fixed on first ingestion.
    MEASURE_TYPE_CONFLICT = "T311", "measure-type-conflict", Error, ThirdParty,
        "the same measure or attribute name with two different types";
    /// §4.3 practical rule set: the `measure_value` prefix, documented for
    /// dimension names, for measure and attribute names too.
    MEASURE_VALUE_PREFIX = "T312", "measure-value-prefix", Error, Inf,
        "a measure or attribute name that starts with `measure_value` (forbidden for dimension names; assumed for measures)";

    /// §2.2: `ColumnSeparator`, `EscapeChar`, `QuoteChar` are one character.
    CSV_CHAR_NOT_SINGLE = "T401", "csv-char-not-single", Error, Model,
        "a `CsvConfiguration` character that is not exactly one character";
    /// §2.2: the documented `'/t'` is a typo for a literal TAB.
    TAB_TYPO = "T402", "tab-typo", Error, Model,
        "`/t` or `\\t` written where a literal TAB is meant";
    /// §2.2: separators other than `,` `|` `;` TAB and space are undocumented.
    UNDOCUMENTED_SEPARATOR = "T403", "undocumented-separator", Warning, Model,
        "a `ColumnSeparator` outside the documented comma, pipe, semicolon, TAB and blank";
    /// §2.2: quote characters other than `"` and `'` are undocumented.
    UNDOCUMENTED_QUOTE = "T404", "undocumented-quote", Warning, Model,
        "a `QuoteChar` other than the documented `\"` and `'`";
    /// A dialect character outside ASCII.
    NON_ASCII_CSV_CHAR = "T405", "non-ascii-csv-char", Error, Inf,
        "a `CsvConfiguration` character outside ASCII";
    /// Records are separated by new lines.
    LINE_BREAK_CSV_CHAR = "T406", "line-break-csv-char", Error, Doc,
        "a `CsvConfiguration` character that is a line break";
    /// Separator equal to the quote or escape character.
    SEPARATOR_COLLISION = "T407", "separator-collision", Error, Inf,
        "`ColumnSeparator` equals `QuoteChar` or `EscapeChar`";
    /// Escape equal to quote: doubled quotes, undocumented.
    ESCAPE_EQUALS_QUOTE = "T408", "escape-equals-quote", Warning, Inf,
        "`EscapeChar` equals `QuoteChar`";
    /// Trimming white space with a blank separator.
    TRIM_WITH_BLANK_SEPARATOR = "T409", "trim-with-blank-separator", Warning, Inf,
        "`TrimWhiteSpace` with a blank or TAB `ColumnSeparator`";
}

/// The rule with `code`, if this crate has one.
pub fn by_code(code: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|r| r.code == code)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn codes_and_slugs_are_unique_and_well_formed() {
        let mut codes = HashSet::new();
        let mut slugs = HashSet::new();
        for r in RULES {
            assert!(codes.insert(r.code), "duplicate code {}", r.code);
            assert!(slugs.insert(r.slug), "duplicate slug {}", r.slug);
            assert!(r.code.starts_with('T') && r.code.len() == 4, "{}", r.code);
            assert!(r.code[1..].bytes().all(|b| b.is_ascii_digit()));
            assert!(
                r.slug
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            );
            assert!(!r.summary.ends_with('.'), "{}", r.code);
        }
        let mut sorted: Vec<_> = RULES.iter().map(|r| r.code).collect();
        sorted.sort_unstable();
        assert_eq!(sorted, RULES.iter().map(|r| r.code).collect::<Vec<_>>());
        assert_eq!(by_code("T104"), Some(&INVALID_BUCKET_NAME));
    }
}
