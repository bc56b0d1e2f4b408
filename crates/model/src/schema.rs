//! The member names of every shape the loader reads, for finding unknown
//! members and suggesting the right name.
//!
//! `serde` ignores members it does not know (the wire types deliberately do
//! not use `deny_unknown_fields`, which would stop at the first one), so the
//! loader walks the document against these tables and reports *every*
//! unknown member with its position. A unit test checks that each table
//! lists exactly the members its wire type serialises, so the two cannot
//! drift apart.

/// What a member holds.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Child {
    /// A string, number or boolean.
    Leaf,
    /// An object of a known shape.
    Object(&'static Shape),
    /// A list of objects of a known shape.
    List(&'static Shape),
    /// Anything: members are not checked (service output that may grow).
    Open,
}

/// A structure of the service model.
#[derive(Debug)]
pub(crate) struct Shape {
    /// The shape's name in the service model.
    pub(crate) name: &'static str,
    /// Its members, in model order.
    pub(crate) members: &'static [(&'static str, Child)],
}

impl Shape {
    /// The child kind of member `name`, if the shape has it.
    pub(crate) fn member(&self, name: &str) -> Option<Child> {
        self.members
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(_, c)| c)
    }

    /// The member names.
    pub(crate) fn names(&self) -> impl Iterator<Item = &'static str> {
        self.members.iter().map(|&(n, _)| n)
    }
}

use Child::{Leaf, List, Object, Open};

pub(crate) static REQUEST: Shape = Shape {
    name: "CreateBatchLoadTaskRequest",
    members: &[
        ("ClientToken", Leaf),
        ("DataModelConfiguration", Object(&DATA_MODEL_CONFIGURATION)),
        (
            "DataSourceConfiguration",
            Object(&DATA_SOURCE_CONFIGURATION),
        ),
        ("ReportConfiguration", Object(&REPORT_CONFIGURATION)),
        ("TargetDatabaseName", Leaf),
        ("TargetTableName", Leaf),
        ("RecordVersion", Leaf),
    ],
};

pub(crate) static DATA_MODEL_CONFIGURATION: Shape = Shape {
    name: "DataModelConfiguration",
    members: &[
        ("DataModel", Object(&DATA_MODEL)),
        (
            "DataModelS3Configuration",
            Object(&DATA_MODEL_S3_CONFIGURATION),
        ),
    ],
};

pub(crate) static DATA_MODEL: Shape = Shape {
    name: "DataModel",
    members: &[
        ("TimeColumn", Leaf),
        ("TimeUnit", Leaf),
        ("DimensionMappings", List(&DIMENSION_MAPPING)),
        ("MultiMeasureMappings", Object(&MULTI_MEASURE_MAPPINGS)),
        ("MixedMeasureMappings", List(&MIXED_MEASURE_MAPPING)),
        ("MeasureNameColumn", Leaf),
    ],
};

pub(crate) static DIMENSION_MAPPING: Shape = Shape {
    name: "DimensionMapping",
    members: &[("SourceColumn", Leaf), ("DestinationColumn", Leaf)],
};

pub(crate) static MULTI_MEASURE_MAPPINGS: Shape = Shape {
    name: "MultiMeasureMappings",
    members: &[
        ("TargetMultiMeasureName", Leaf),
        (
            "MultiMeasureAttributeMappings",
            List(&MULTI_MEASURE_ATTRIBUTE_MAPPING),
        ),
    ],
};

pub(crate) static MULTI_MEASURE_ATTRIBUTE_MAPPING: Shape = Shape {
    name: "MultiMeasureAttributeMapping",
    members: &[
        ("SourceColumn", Leaf),
        ("TargetMultiMeasureAttributeName", Leaf),
        ("MeasureValueType", Leaf),
    ],
};

pub(crate) static MIXED_MEASURE_MAPPING: Shape = Shape {
    name: "MixedMeasureMapping",
    members: &[
        ("MeasureName", Leaf),
        ("SourceColumn", Leaf),
        ("TargetMeasureName", Leaf),
        ("MeasureValueType", Leaf),
        (
            "MultiMeasureAttributeMappings",
            List(&MULTI_MEASURE_ATTRIBUTE_MAPPING),
        ),
    ],
};

pub(crate) static DATA_MODEL_S3_CONFIGURATION: Shape = Shape {
    name: "DataModelS3Configuration",
    members: &[("BucketName", Leaf), ("ObjectKey", Leaf)],
};

pub(crate) static DATA_SOURCE_CONFIGURATION: Shape = Shape {
    name: "DataSourceConfiguration",
    members: &[
        (
            "DataSourceS3Configuration",
            Object(&DATA_SOURCE_S3_CONFIGURATION),
        ),
        ("CsvConfiguration", Object(&CSV_CONFIGURATION)),
        ("DataFormat", Leaf),
    ],
};

pub(crate) static DATA_SOURCE_S3_CONFIGURATION: Shape = Shape {
    name: "DataSourceS3Configuration",
    members: &[("BucketName", Leaf), ("ObjectKeyPrefix", Leaf)],
};

pub(crate) static CSV_CONFIGURATION: Shape = Shape {
    name: "CsvConfiguration",
    members: &[
        ("ColumnSeparator", Leaf),
        ("EscapeChar", Leaf),
        ("QuoteChar", Leaf),
        ("NullValue", Leaf),
        ("TrimWhiteSpace", Leaf),
    ],
};

pub(crate) static REPORT_CONFIGURATION: Shape = Shape {
    name: "ReportConfiguration",
    members: &[("ReportS3Configuration", Object(&REPORT_S3_CONFIGURATION))],
};

pub(crate) static REPORT_S3_CONFIGURATION: Shape = Shape {
    name: "ReportS3Configuration",
    members: &[
        ("BucketName", Leaf),
        ("ObjectKeyPrefix", Leaf),
        ("EncryptionOption", Leaf),
        ("KmsKeyId", Leaf),
    ],
};

pub(crate) static DESCRIBE_RESPONSE: Shape = Shape {
    name: "DescribeBatchLoadTaskResponse",
    members: &[(
        "BatchLoadTaskDescription",
        Object(&BATCH_LOAD_TASK_DESCRIPTION),
    )],
};

pub(crate) static BATCH_LOAD_TASK_DESCRIPTION: Shape = Shape {
    name: "BatchLoadTaskDescription",
    members: &[
        ("TaskId", Leaf),
        ("ErrorMessage", Leaf),
        (
            "DataSourceConfiguration",
            Object(&DATA_SOURCE_CONFIGURATION),
        ),
        // The service's counters; AWS's own examples use names the model
        // does not have (`FileParseFailures`, `BytesIngested`, spec §1.7),
        // so members here are not checked.
        ("ProgressReport", Open),
        ("ReportConfiguration", Object(&REPORT_CONFIGURATION)),
        ("DataModelConfiguration", Object(&DATA_MODEL_CONFIGURATION)),
        ("TargetDatabaseName", Leaf),
        ("TargetTableName", Leaf),
        ("TaskStatus", Leaf),
        ("RecordVersion", Leaf),
        ("CreationTime", Leaf),
        ("LastUpdatedTime", Leaf),
        ("ResumableUntil", Leaf),
    ],
};

/// Every shape of a task, with the JSON pointer of where it sits in a
/// request (`None` for shapes that appear in several places or only in a
/// response). Used to say where a misplaced member belongs.
pub(crate) static PLACES: &[(&Shape, Option<&str>)] = &[
    (&REQUEST, Some("")),
    (&DATA_MODEL_CONFIGURATION, Some("/DataModelConfiguration")),
    (&DATA_MODEL, Some("/DataModelConfiguration/DataModel")),
    (&DIMENSION_MAPPING, None),
    (&MULTI_MEASURE_MAPPINGS, None),
    (&MULTI_MEASURE_ATTRIBUTE_MAPPING, None),
    (&MIXED_MEASURE_MAPPING, None),
    (
        &DATA_MODEL_S3_CONFIGURATION,
        Some("/DataModelConfiguration/DataModelS3Configuration"),
    ),
    (&DATA_SOURCE_CONFIGURATION, Some("/DataSourceConfiguration")),
    (
        &DATA_SOURCE_S3_CONFIGURATION,
        Some("/DataSourceConfiguration/DataSourceS3Configuration"),
    ),
    (
        &CSV_CONFIGURATION,
        Some("/DataSourceConfiguration/CsvConfiguration"),
    ),
    (&REPORT_CONFIGURATION, Some("/ReportConfiguration")),
    (
        &REPORT_S3_CONFIGURATION,
        Some("/ReportConfiguration/ReportS3Configuration"),
    ),
];

/// Where a member named `name` belongs in a request, when exactly one
/// shape has it: `(shape name, pointer of that shape)`.
pub(crate) fn home_of(name: &str) -> Option<(&'static str, &'static str)> {
    let mut homes = PLACES
        .iter()
        .filter(|(shape, _)| shape.member(name).is_some());
    let (shape, place) = homes.next()?;
    if homes.next().is_some() {
        return None;
    }
    place.map(|p| (shape.name, p))
}

/// The known name closest to `unknown`, if one is close enough to be a
/// likely typo (same name in another case, or Jaro-Winkler similarity of at
/// least 0.9 ignoring case).
pub(crate) fn closest<'a>(
    unknown: &str,
    known: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = unknown.to_ascii_lowercase();
    let mut best: Option<(f64, &'a str)> = None;
    for k in known {
        let score = if k.eq_ignore_ascii_case(unknown) {
            2.0
        } else {
            strsim::jaro_winkler(&lower, &k.to_ascii_lowercase())
        };
        if score >= 0.9 && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, k));
        }
    }
    best.map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde::Serialize;

    use super::*;
    use crate::wire;

    fn keys(v: impl Serialize) -> BTreeSet<String> {
        serde_json::to_value(v)
            .unwrap()
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    }

    fn names(s: &Shape) -> BTreeSet<String> {
        s.names().map(str::to_owned).collect()
    }

    /// Every table lists exactly the members its wire type has.
    #[test]
    fn tables_match_the_wire_types() {
        let s = || Some("x".to_owned());
        let attr = wire::MultiMeasureAttributeMapping {
            source_column: s(),
            target_multi_measure_attribute_name: s(),
            measure_value_type: Some(wire::MeasureValueType::Double),
        };
        let model = wire::DataModel {
            time_column: s(),
            time_unit: Some(wire::TimeUnit::Seconds),
            dimension_mappings: Some(vec![]),
            multi_measure_mappings: Some(wire::MultiMeasureMappings::default()),
            mixed_measure_mappings: Some(vec![]),
            measure_name_column: s(),
        };
        let dmc = wire::DataModelConfiguration {
            data_model: Some(wire::DataModel::default()),
            data_model_s3_configuration: Some(wire::DataModelS3Configuration::default()),
        };
        let dsc = wire::DataSourceConfiguration {
            data_source_s3_configuration: Some(wire::DataSourceS3Configuration::default()),
            csv_configuration: Some(wire::CsvConfiguration::default()),
            data_format: Some(wire::DataFormat::Csv),
        };
        let rc = wire::ReportConfiguration {
            report_s3_configuration: Some(wire::ReportS3Configuration::default()),
        };
        let req = wire::CreateBatchLoadTaskRequest {
            client_token: s(),
            data_model_configuration: Some(dmc.clone()),
            data_source_configuration: Some(dsc.clone()),
            report_configuration: Some(rc.clone()),
            target_database_name: s(),
            target_table_name: s(),
            record_version: Some(1),
        };
        let desc = wire::BatchLoadTaskDescription {
            task_id: s(),
            error_message: s(),
            data_source_configuration: Some(dsc.clone()),
            progress_report: Some(wire::ProgressReport::default()),
            report_configuration: Some(rc.clone()),
            data_model_configuration: Some(dmc.clone()),
            target_database_name: s(),
            target_table_name: s(),
            task_status: Some(wire::BatchLoadStatus::Created),
            record_version: Some(1),
            creation_time: Some(1.0),
            last_updated_time: Some(1.0),
            resumable_until: Some(1.0),
        };
        let cases: Vec<(&Shape, BTreeSet<String>)> = vec![
            (&REQUEST, keys(&req)),
            (&DATA_MODEL_CONFIGURATION, keys(&dmc)),
            (&DATA_MODEL, keys(&model)),
            (
                &DIMENSION_MAPPING,
                keys(wire::DimensionMapping {
                    source_column: s(),
                    destination_column: s(),
                }),
            ),
            (
                &MULTI_MEASURE_MAPPINGS,
                keys(wire::MultiMeasureMappings {
                    target_multi_measure_name: s(),
                    multi_measure_attribute_mappings: Some(vec![]),
                }),
            ),
            (&MULTI_MEASURE_ATTRIBUTE_MAPPING, keys(&attr)),
            (
                &MIXED_MEASURE_MAPPING,
                keys(wire::MixedMeasureMapping {
                    measure_name: s(),
                    source_column: s(),
                    target_measure_name: s(),
                    measure_value_type: Some(wire::MeasureValueType::Multi),
                    multi_measure_attribute_mappings: Some(vec![]),
                }),
            ),
            (
                &DATA_MODEL_S3_CONFIGURATION,
                keys(wire::DataModelS3Configuration {
                    bucket_name: s(),
                    object_key: s(),
                }),
            ),
            (&DATA_SOURCE_CONFIGURATION, keys(&dsc)),
            (
                &DATA_SOURCE_S3_CONFIGURATION,
                keys(wire::DataSourceS3Configuration {
                    bucket_name: s(),
                    object_key_prefix: s(),
                }),
            ),
            (
                &CSV_CONFIGURATION,
                keys(wire::CsvConfiguration {
                    column_separator: s(),
                    escape_char: s(),
                    quote_char: s(),
                    null_value: s(),
                    trim_white_space: Some(true),
                }),
            ),
            (&REPORT_CONFIGURATION, keys(&rc)),
            (
                &REPORT_S3_CONFIGURATION,
                keys(wire::ReportS3Configuration {
                    bucket_name: s(),
                    object_key_prefix: s(),
                    encryption_option: Some(wire::EncryptionOption::SseS3),
                    kms_key_id: s(),
                }),
            ),
            (
                &DESCRIBE_RESPONSE,
                keys(wire::DescribeBatchLoadTaskResponse {
                    batch_load_task_description: Some(desc.clone()),
                }),
            ),
            (&BATCH_LOAD_TASK_DESCRIPTION, keys(&desc)),
        ];
        for (shape, wire_keys) in cases {
            assert_eq!(names(shape), wire_keys, "{}", shape.name);
        }
    }

    #[test]
    fn suggests_close_names_only() {
        let dm = || DATA_MODEL.names();
        assert_eq!(closest("Timecolumn", dm()), Some("TimeColumn"));
        assert_eq!(closest("DimensionMaping", dm()), Some("DimensionMappings"));
        assert_eq!(closest("timeunit", dm()), Some("TimeUnit"));
        assert_eq!(closest("Banana", dm()), None);
    }

    #[test]
    fn homes_are_unique_names_only() {
        assert_eq!(
            home_of("TimeColumn"),
            Some(("DataModel", "/DataModelConfiguration/DataModel"))
        );
        assert_eq!(home_of("BucketName"), None);
        assert_eq!(home_of("SourceColumn"), None);
        assert_eq!(home_of("Nope"), None);
    }
}
