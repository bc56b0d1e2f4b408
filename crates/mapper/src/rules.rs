//! The rules of tsload-mapper: `H` for the header and the plan, `R` for
//! rows, values and records.
//!
//! Each rule also has a *service-style reason* ([`service_reason`]): the
//! sentence under which its failed rows are grouped in the local rendering
//! of the service's error report (`fileErrors[].errors[].reason`,
//! batchload-spec §6.1). Only the ingestion-window sentence is documented
//! \[DOC: ERR\]; every other sentence is ours, phrased in the same style.

use tsload_model::diag::{Evidence, Rule, Severity};

macro_rules! rule {
    ($name:ident, $code:literal, $slug:literal, $sev:ident, $ev:ident, $summary:literal) => {
        #[doc = concat!("`", $code, "` ", $summary)]
        pub static $name: Rule = Rule {
            code: $code,
            slug: $slug,
            severity: Severity::$sev,
            evidence: Evidence::$ev,
            summary: $summary,
        };
    };
}

// Header and plan.
rule!(
    MISSING_MAPPED_COLUMN,
    "H001",
    "missing-mapped-column",
    Error,
    Inf,
    "a column the data model maps is not in the CSV header; the file fails"
);
rule!(
    DUPLICATE_MAPPED_COLUMN,
    "H002",
    "duplicate-mapped-column",
    Error,
    Inf,
    "a column the data model maps appears more than once in the header"
);
rule!(
    UNMAPPED_COLUMN,
    "H003",
    "unmapped-column",
    Warning,
    Inf,
    "a header column is not used by the data model and is ignored"
);
rule!(
    DUPLICATE_UNMAPPED_COLUMN,
    "H004",
    "duplicate-unmapped-column",
    Warning,
    Inf,
    "an unmapped header name appears more than once"
);
rule!(
    PARTITION_KEY_NOT_MAPPED,
    "H005",
    "partition-key-not-mapped",
    Error,
    Inf,
    "the table's REQUIRED partition-key dimension is not among the dimension mappings"
);

// Time.
rule!(
    TIME_NULL,
    "R001",
    "time-null",
    Error,
    Inf,
    "the time value is empty or null"
);
rule!(
    TIME_NOT_EPOCH,
    "R002",
    "time-not-epoch-integer",
    Error,
    Doc,
    "the time value is not an integer epoch in the data model's TimeUnit"
);
rule!(
    TIME_OVERFLOW,
    "R003",
    "time-overflow",
    Error,
    Inf,
    "the time value is past 2262-04-11T23:47:16.854775807Z once scaled to nanoseconds"
);
rule!(
    TIME_NOT_PLAIN_DIGITS,
    "R008",
    "time-signed-or-padded",
    Error,
    Inf,
    "the time value is an integer with a sign or surrounding spaces; only plain digits are assumed accepted"
);
rule!(
    TIME_ZERO,
    "R004",
    "time-zero",
    Warning,
    Inf,
    "the time value is 0, the Unix epoch itself (usually a missing value; the ingestion window decides whether it fails)"
);
rule!(
    TIME_IN_FUTURE,
    "R005",
    "time-in-future",
    Error,
    Doc,
    "the time is more than 15 minutes after the reference time"
);
rule!(
    TIME_BEFORE_RETENTION,
    "R006",
    "time-before-retention",
    Error,
    Inf,
    "the time is older than the table's retention allows for ingestion"
);
rule!(
    TIME_UNIT_SUSPECT,
    "R007",
    "time-unit-suspect",
    Warning,
    Inf,
    "the time values look like a different TimeUnit than the data model's"
);

// Values.
rule!(
    DOUBLE_INVALID,
    "R010",
    "double-invalid",
    Error,
    Inf,
    "a DOUBLE value is not a decimal number"
);
rule!(
    DOUBLE_NOT_FINITE,
    "R011",
    "double-not-finite",
    Error,
    Doc,
    "a DOUBLE value is NaN, infinite or overflows binary64"
);
rule!(
    BIGINT_INVALID,
    "R012",
    "bigint-invalid",
    Error,
    Inf,
    "a BIGINT value is not an integer (decimals and exponents are not accepted)"
);
rule!(
    BIGINT_OUT_OF_RANGE,
    "R013",
    "bigint-out-of-range",
    Error,
    Doc,
    "a BIGINT value does not fit a 64-bit signed integer"
);
rule!(
    BOOLEAN_INVALID,
    "R014",
    "boolean-invalid",
    Error,
    Inf,
    "a BOOLEAN value is not `true` or `false`"
);
rule!(
    BOOLEAN_CASE,
    "R015",
    "boolean-case",
    Warning,
    Inf,
    "a BOOLEAN value is `true`/`false` in another letter case; accepted, undocumented"
);
rule!(
    BOOLEAN_SHORT,
    "R041",
    "boolean-short",
    Warning,
    Inf,
    "a BOOLEAN value is `1`/`0` or `t`/`f`; counted as true/false, undocumented (the service may reject it)"
);
rule!(
    VARCHAR_TOO_LONG,
    "R016",
    "varchar-too-long",
    Error,
    Doc,
    "a VARCHAR value is longer than 2 KB (2048 bytes)"
);
rule!(
    TIMESTAMP_INVALID,
    "R017",
    "timestamp-invalid",
    Error,
    Inf,
    "a TIMESTAMP value is not an integer epoch in the TimeUnit within 1970..2262"
);
rule!(
    VARCHAR_EMPTY,
    "R019",
    "varchar-empty",
    Error,
    Model,
    "a VARCHAR value is a quoted empty string; a measure value has at least 1 character"
);
rule!(
    INVALID_UTF8,
    "R018",
    "invalid-utf8",
    Error,
    Inf,
    "a string value is not valid UTF-8"
);

// Dimensions.
rule!(
    DIMENSION_NULL,
    "R020",
    "dimension-null",
    Warning,
    Inf,
    "a dimension value equals `NullValue`; the dimension is left out of the record"
);
rule!(
    DIMENSION_TOO_LONG,
    "R021",
    "dimension-too-long",
    Error,
    Doc,
    "a dimension name and value together exceed 2 KB (2048 bytes)"
);
rule!(
    NO_DIMENSIONS,
    "R022",
    "no-dimensions",
    Error,
    ThirdParty,
    "every dimension of the row is null; a record needs at least one"
);
rule!(
    DIMENSION_EMPTY,
    "R024",
    "dimension-empty-string",
    Error,
    ThirdParty,
    "a dimension value is empty; WriteRecords rejects empty dimension values"
);
rule!(
    PARTITION_KEY_MISSING,
    "R023",
    "partition-key-missing",
    Error,
    Inf,
    "the REQUIRED partition-key dimension is null or not mapped"
);

// Measures and records.
rule!(
    NO_MEASURES,
    "R031",
    "no-measures",
    Error,
    Inf,
    "every measure of the record is null; the record has nothing to write"
);
rule!(
    TOO_MANY_MEASURES,
    "R032",
    "too-many-measures",
    Error,
    Doc,
    "a multi-measure record has more than 256 measures"
);
rule!(
    RECORD_TOO_LARGE,
    "R033",
    "record-too-large",
    Error,
    Inf,
    "the record is larger than 2 KB (2048 bytes) by the metering size formula"
);
rule!(
    MEASURE_NAME_NULL,
    "R034",
    "measure-name-null",
    Error,
    Inf,
    "the MeasureNameColumn value is empty or null"
);
rule!(
    MEASURE_NAME_TOO_LONG,
    "R035",
    "measure-name-too-long",
    Error,
    Doc,
    "the measure name is longer than 256 bytes"
);
rule!(
    MEASURE_NAME_UNMATCHED,
    "R036",
    "measure-name-unmatched",
    Error,
    Inf,
    "the MeasureNameColumn value matches no MixedMeasureMappings entry"
);
rule!(
    MEASURE_NAME_RESERVED,
    "R037",
    "measure-name-reserved",
    Error,
    Doc,
    "the MeasureNameColumn value is a reserved system identifier or starts with `ts_` or `measure_name`"
);
rule!(
    MEASURE_NAME_VALUE_PREFIX,
    "R038",
    "measure-name-measure-value-prefix",
    Error,
    Inf,
    "the MeasureNameColumn value starts with `measure_value` (forbidden for dimension names; assumed for measure names)"
);
rule!(
    MEASURE_NAME_IS_DIMENSION,
    "R039",
    "measure-name-is-dimension",
    Error,
    Doc,
    "the MeasureNameColumn value is the name of one of the record's dimensions"
);

// Rows.
rule!(
    ROW_TOO_SHORT,
    "R040",
    "row-too-short",
    Error,
    Inf,
    "the row has fewer fields than a mapped column's index"
);

// Load-wide.
rule!(
    DUPLICATE_KEY,
    "R050",
    "duplicate-key",
    Warning,
    Inf,
    "two records share dimensions, time and measure name but differ in values"
);
rule!(
    COLUMN_NEVER_PARSES,
    "R051",
    "column-never-parses",
    Warning,
    Inf,
    "no value of a mapped column converts to its type"
);

/// Every rule of this crate, in code order.
pub static RULES: &[&Rule] = &[
    &MISSING_MAPPED_COLUMN,
    &DUPLICATE_MAPPED_COLUMN,
    &UNMAPPED_COLUMN,
    &DUPLICATE_UNMAPPED_COLUMN,
    &PARTITION_KEY_NOT_MAPPED,
    &TIME_NULL,
    &TIME_NOT_EPOCH,
    &TIME_OVERFLOW,
    &TIME_ZERO,
    &TIME_IN_FUTURE,
    &TIME_BEFORE_RETENTION,
    &TIME_UNIT_SUSPECT,
    &TIME_NOT_PLAIN_DIGITS,
    &DOUBLE_INVALID,
    &DOUBLE_NOT_FINITE,
    &BIGINT_INVALID,
    &BIGINT_OUT_OF_RANGE,
    &BOOLEAN_INVALID,
    &BOOLEAN_CASE,
    &VARCHAR_TOO_LONG,
    &TIMESTAMP_INVALID,
    &INVALID_UTF8,
    &VARCHAR_EMPTY,
    &DIMENSION_NULL,
    &DIMENSION_TOO_LONG,
    &NO_DIMENSIONS,
    &PARTITION_KEY_MISSING,
    &DIMENSION_EMPTY,
    &NO_MEASURES,
    &TOO_MANY_MEASURES,
    &RECORD_TOO_LARGE,
    &MEASURE_NAME_NULL,
    &MEASURE_NAME_TOO_LONG,
    &MEASURE_NAME_UNMATCHED,
    &MEASURE_NAME_RESERVED,
    &MEASURE_NAME_VALUE_PREFIX,
    &MEASURE_NAME_IS_DIMENSION,
    &ROW_TOO_SHORT,
    &BOOLEAN_SHORT,
    &DUPLICATE_KEY,
    &COLUMN_NEVER_PARSES,
];

/// The documented reason of the service's report for records outside the
/// ingestion window \[DOC: ERR\].
pub const WINDOW_REASON: &str =
    "The record timestamp is outside the time range of the data ingestion window.";

/// Reason used for rows the CSV reader could not split (its `C…` rules).
pub const FRAMING_REASON: &str = "The row could not be parsed as CSV.";

/// How a failing rule counts in the service's `ProgressReport`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureClass {
    /// The file fails as a whole (`FileFailures`).
    File,
    /// The row cannot be converted (`ParseFailures`).
    Parse,
    /// The record is rejected when written (`RecordIngestionFailures`).
    RecordIngestion,
    /// Not a failure (warnings).
    None,
}

/// How `rule` counts: the classification of batchload-spec §2.4 \[INF\].
/// Rules of other crates count as [`FailureClass::Parse`] when they are
/// errors (a framing problem of the reader) and [`FailureClass::None`]
/// otherwise.
pub fn failure_class(rule: &Rule) -> FailureClass {
    if rule.severity == Severity::Warning {
        return FailureClass::None;
    }
    match rule.code {
        "H001" | "H002" => FailureClass::File,
        "H005" | "R005" | "R006" | "R016" | "R019" | "R021" | "R024" | "R022" | "R023" | "R031"
        | "R032" | "R033" | "R034" | "R035" | "R036" | "R037" | "R038" | "R039" => {
            FailureClass::RecordIngestion
        }
        _ => FailureClass::Parse,
    }
}

/// The sentence under which rows failing `rule` are grouped in the
/// service-layout error report. Only [`WINDOW_REASON`] is the service's own
/// documented text; the others are ours. Rules of other crates (framing)
/// get [`FRAMING_REASON`]. `None` for warnings.
pub fn service_reason(rule: &Rule) -> Option<&'static str> {
    if rule.severity == Severity::Warning {
        return None;
    }
    Some(match rule.code {
        "H001" => "The CSV header does not contain a column mapped by the data model.",
        "H002" => "The CSV header contains a mapped column more than once.",
        "H005" => "The record does not contain the required partition key dimension.",
        "R001" => "The record time value is empty or null.",
        "R002" | "R008" => {
            "The record time value is not an epoch integer in the configured time unit."
        }
        "R003" => "The record time value is outside the supported range of 1970 to 2262.",
        "R005" | "R006" => WINDOW_REASON,
        "R010" | "R011" => "A measure value cannot be converted to DOUBLE.",
        "R012" | "R013" => "A measure value cannot be converted to BIGINT.",
        "R014" => "A measure value cannot be converted to BOOLEAN.",
        "R016" => "A VARCHAR measure value exceeds the maximum size of 2 KB.",
        "R017" => "A measure value cannot be converted to TIMESTAMP.",
        "R019" => "A VARCHAR measure value is empty.",
        "R018" => "A value is not valid UTF-8.",
        "R021" => "A dimension name and value exceed the maximum size of 2 KB.",
        "R022" => "The record has no dimensions.",
        "R023" => "The record does not contain the required partition key dimension.",
        "R024" => "A dimension value is empty.",
        "R031" => "The record has no measure values.",
        "R032" => "The record has more than 256 measures.",
        "R033" => "The record exceeds the maximum record size of 2 KB.",
        "R034" => "The measure name value is empty or null.",
        "R035" => "The measure name exceeds the maximum length of 256 bytes.",
        "R036" => "The measure name matches no measure mapping of the data model.",
        "R037" | "R038" => "The measure name is a reserved name or starts with a reserved prefix.",
        "R039" => "The measure name is the same as the name of a dimension.",
        "R040" => "The row has fewer columns than the header.",
        _ => FRAMING_REASON,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_sorted_and_prefixed() {
        let codes: Vec<&str> = RULES.iter().map(|r| r.code).collect();
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(codes, sorted, "RULES must be unique and in code order");
        assert!(
            codes
                .iter()
                .all(|c| c.starts_with('H') || c.starts_with('R'))
        );
        let mut slugs: Vec<&str> = RULES.iter().map(|r| r.slug).collect();
        slugs.sort_unstable();
        slugs.dedup();
        assert_eq!(slugs.len(), RULES.len());
    }

    #[test]
    fn every_error_has_a_class_and_a_reason_and_warnings_have_none() {
        for r in RULES {
            let class = failure_class(r);
            match r.severity {
                Severity::Error => {
                    assert_ne!(class, FailureClass::None, "{r}");
                    let reason = service_reason(r).unwrap();
                    assert!(reason.ends_with('.'), "{r}");
                    if class == FailureClass::Parse {
                        assert_ne!(reason, FRAMING_REASON, "{r} needs its own reason");
                    }
                }
                Severity::Warning => {
                    assert_eq!(class, FailureClass::None, "{r}");
                    assert!(service_reason(r).is_none());
                }
            }
        }
    }

    #[test]
    fn window_rules_use_the_documented_sentence() {
        for r in [&TIME_IN_FUTURE, &TIME_BEFORE_RETENTION] {
            assert_eq!(service_reason(r), Some(WINDOW_REASON));
        }
    }
}
