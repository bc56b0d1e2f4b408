//! [`BatchLoadApi`] over `aws-sdk-timestreamwrite`, and the conversion of
//! the task JSON between tsload-model's `wire` types and the SDK's types.
//!
//! The SDK's model types do not derive serde (aws-sdk-rust #645), so the
//! task is read into our own serde types, checked there, and converted to
//! SDK builders member for member at this boundary ([`to_sdk`]). The reverse
//! ([`request_from_sdk`], [`description_from_sdk`]) serves `status` and the
//! round-trip tests: `from_sdk(to_sdk(x)) == x` for every fixture, and the
//! JSON body the SDK puts on the wire equals the task file's JSON.

use aws_sdk_timestreamwrite as tsw;
use tsload_model::wire;
use tsw::operation::create_batch_load_task::CreateBatchLoadTaskInput;
use tsw::primitives::DateTime;
use tsw::types as sdk;

use super::api::{ApiError, BatchLoadApi, ErrorKind, TableSpec, TaskSummary};
use crate::timestream::{TableInfo, TimestreamSettings, table_info};

/// A member the SDK's builders refused (a required member is missing; the
/// static checks report these first, so this is a safety net).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot convert `{member}` for the SDK: {message}")]
pub struct ConvertError {
    /// The member, e.g. `DataModelConfiguration.DataModel`.
    pub member: &'static str,
    /// The builder's message.
    pub message: String,
}

fn built<T>(
    member: &'static str,
    r: Result<T, aws_smithy_types::error::operation::BuildError>,
) -> Result<T, ConvertError> {
    r.map_err(|e| ConvertError {
        member,
        message: e.to_string(),
    })
}

fn attribute(
    a: &wire::MultiMeasureAttributeMapping,
) -> Result<sdk::MultiMeasureAttributeMapping, ConvertError> {
    built(
        "MultiMeasureAttributeMapping",
        sdk::MultiMeasureAttributeMapping::builder()
            .set_source_column(a.source_column.clone())
            .set_target_multi_measure_attribute_name(a.target_multi_measure_attribute_name.clone())
            .set_measure_value_type(
                a.measure_value_type
                    .as_ref()
                    .map(|t| sdk::ScalarMeasureValueType::from(t.as_str())),
            )
            .build(),
    )
}

fn attributes(
    list: Option<&Vec<wire::MultiMeasureAttributeMapping>>,
) -> Result<Option<Vec<sdk::MultiMeasureAttributeMapping>>, ConvertError> {
    list.map(|l| l.iter().map(attribute).collect()).transpose()
}

/// The data model as the SDK's type.
pub fn data_model_to_sdk(m: &wire::DataModel) -> Result<sdk::DataModel, ConvertError> {
    let multi = m
        .multi_measure_mappings
        .as_ref()
        .map(|mm| {
            built(
                "MultiMeasureMappings",
                sdk::MultiMeasureMappings::builder()
                    .set_target_multi_measure_name(mm.target_multi_measure_name.clone())
                    .set_multi_measure_attribute_mappings(attributes(
                        mm.multi_measure_attribute_mappings.as_ref(),
                    )?)
                    .build(),
            )
        })
        .transpose()?;
    let mixed = m
        .mixed_measure_mappings
        .as_ref()
        .map(|list| {
            list.iter()
                .map(|x| {
                    built(
                        "MixedMeasureMapping",
                        sdk::MixedMeasureMapping::builder()
                            .set_measure_name(x.measure_name.clone())
                            .set_source_column(x.source_column.clone())
                            .set_target_measure_name(x.target_measure_name.clone())
                            .set_measure_value_type(
                                x.measure_value_type
                                    .as_ref()
                                    .map(|t| sdk::MeasureValueType::from(t.as_str())),
                            )
                            .set_multi_measure_attribute_mappings(attributes(
                                x.multi_measure_attribute_mappings.as_ref(),
                            )?)
                            .build(),
                    )
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;
    let dims = m.dimension_mappings.as_ref().map(|l| {
        l.iter()
            .map(|d| {
                sdk::DimensionMapping::builder()
                    .set_source_column(d.source_column.clone())
                    .set_destination_column(d.destination_column.clone())
                    .build()
            })
            .collect::<Vec<_>>()
    });
    built(
        "DataModelConfiguration.DataModel",
        sdk::DataModel::builder()
            .set_time_column(m.time_column.clone())
            .set_time_unit(
                m.time_unit
                    .as_ref()
                    .map(|u| sdk::TimeUnit::from(u.as_str())),
            )
            .set_dimension_mappings(dims)
            .set_multi_measure_mappings(multi)
            .set_mixed_measure_mappings(mixed)
            .set_measure_name_column(m.measure_name_column.clone())
            .build(),
    )
}

fn model_config_to_sdk(
    c: &wire::DataModelConfiguration,
) -> Result<sdk::DataModelConfiguration, ConvertError> {
    Ok(sdk::DataModelConfiguration::builder()
        .set_data_model(c.data_model.as_ref().map(data_model_to_sdk).transpose()?)
        .set_data_model_s3_configuration(c.data_model_s3_configuration.as_ref().map(|s| {
            sdk::DataModelS3Configuration::builder()
                .set_bucket_name(s.bucket_name.clone())
                .set_object_key(s.object_key.clone())
                .build()
        }))
        .build())
}

fn source_to_sdk(
    c: &wire::DataSourceConfiguration,
) -> Result<sdk::DataSourceConfiguration, ConvertError> {
    let s3 = c
        .data_source_s3_configuration
        .as_ref()
        .map(|s| {
            built(
                "DataSourceConfiguration.DataSourceS3Configuration",
                sdk::DataSourceS3Configuration::builder()
                    .set_bucket_name(s.bucket_name.clone())
                    .set_object_key_prefix(s.object_key_prefix.clone())
                    .build(),
            )
        })
        .transpose()?;
    let csv = c.csv_configuration.as_ref().map(|x| {
        sdk::CsvConfiguration::builder()
            .set_column_separator(x.column_separator.clone())
            .set_escape_char(x.escape_char.clone())
            .set_quote_char(x.quote_char.clone())
            .set_null_value(x.null_value.clone())
            .set_trim_white_space(x.trim_white_space)
            .build()
    });
    built(
        "DataSourceConfiguration",
        sdk::DataSourceConfiguration::builder()
            .set_data_source_s3_configuration(s3)
            .set_csv_configuration(csv)
            .set_data_format(
                c.data_format
                    .as_ref()
                    .map(|f| sdk::BatchLoadDataFormat::from(f.as_str())),
            )
            .build(),
    )
}

fn report_to_sdk(c: &wire::ReportConfiguration) -> Result<sdk::ReportConfiguration, ConvertError> {
    let s3 = c
        .report_s3_configuration
        .as_ref()
        .map(|s| {
            built(
                "ReportConfiguration.ReportS3Configuration",
                sdk::ReportS3Configuration::builder()
                    .set_bucket_name(s.bucket_name.clone())
                    .set_object_key_prefix(s.object_key_prefix.clone())
                    .set_encryption_option(
                        s.encryption_option
                            .as_ref()
                            .map(|e| sdk::S3EncryptionOption::from(e.as_str())),
                    )
                    .set_kms_key_id(s.kms_key_id.clone())
                    .build(),
            )
        })
        .transpose()?;
    Ok(sdk::ReportConfiguration::builder()
        .set_report_s3_configuration(s3)
        .build())
}

/// The request as the SDK's operation input, member for member.
pub fn to_sdk(
    r: &wire::CreateBatchLoadTaskRequest,
) -> Result<CreateBatchLoadTaskInput, ConvertError> {
    built(
        "CreateBatchLoadTask",
        CreateBatchLoadTaskInput::builder()
            .set_client_token(r.client_token.clone())
            .set_data_model_configuration(
                r.data_model_configuration
                    .as_ref()
                    .map(model_config_to_sdk)
                    .transpose()?,
            )
            .set_data_source_configuration(
                r.data_source_configuration
                    .as_ref()
                    .map(source_to_sdk)
                    .transpose()?,
            )
            .set_report_configuration(
                r.report_configuration
                    .as_ref()
                    .map(report_to_sdk)
                    .transpose()?,
            )
            .set_target_database_name(r.target_database_name.clone())
            .set_target_table_name(r.target_table_name.clone())
            .set_record_version(r.record_version)
            .build(),
    )
}

fn attribute_from_sdk(a: &sdk::MultiMeasureAttributeMapping) -> wire::MultiMeasureAttributeMapping {
    wire::MultiMeasureAttributeMapping {
        source_column: Some(a.source_column().to_owned()),
        target_multi_measure_attribute_name: a
            .target_multi_measure_attribute_name()
            .map(str::to_owned),
        measure_value_type: a
            .measure_value_type()
            .map(|t| wire::MeasureValueType::from(t.as_str().to_owned())),
    }
}

/// Keeps `None` for an absent list and `Some` for a present one (the SDK
/// accessors give `&[]` for both, its `get_` builders do not exist on
/// built types, so presence is read from the `Option` fields directly).
fn list<T, U>(v: Option<&Vec<T>>, f: impl Fn(&T) -> U) -> Option<Vec<U>> {
    v.map(|l| l.iter().map(f).collect())
}

/// The SDK's data model as a wire value.
pub fn data_model_from_sdk(m: &sdk::DataModel) -> wire::DataModel {
    wire::DataModel {
        time_column: m.time_column().map(str::to_owned),
        time_unit: m
            .time_unit()
            .map(|u| wire::TimeUnit::from(u.as_str().to_owned())),
        dimension_mappings: Some(
            m.dimension_mappings()
                .iter()
                .map(|d| wire::DimensionMapping {
                    source_column: d.source_column().map(str::to_owned),
                    destination_column: d.destination_column().map(str::to_owned),
                })
                .collect(),
        ),
        multi_measure_mappings: m
            .multi_measure_mappings()
            .map(|mm| wire::MultiMeasureMappings {
                target_multi_measure_name: mm.target_multi_measure_name().map(str::to_owned),
                multi_measure_attribute_mappings: Some(
                    mm.multi_measure_attribute_mappings()
                        .iter()
                        .map(attribute_from_sdk)
                        .collect(),
                ),
            }),
        mixed_measure_mappings: list(m.mixed_measure_mappings.as_ref(), |x| {
            wire::MixedMeasureMapping {
                measure_name: x.measure_name().map(str::to_owned),
                source_column: x.source_column().map(str::to_owned),
                target_measure_name: x.target_measure_name().map(str::to_owned),
                measure_value_type: Some(wire::MeasureValueType::from(
                    x.measure_value_type().as_str().to_owned(),
                )),
                multi_measure_attribute_mappings: list(
                    x.multi_measure_attribute_mappings.as_ref(),
                    attribute_from_sdk,
                ),
            }
        }),
        measure_name_column: m.measure_name_column().map(str::to_owned),
    }
}

fn model_config_from_sdk(c: &sdk::DataModelConfiguration) -> wire::DataModelConfiguration {
    wire::DataModelConfiguration {
        data_model: c.data_model().map(data_model_from_sdk),
        data_model_s3_configuration: c.data_model_s3_configuration().map(|s| {
            wire::DataModelS3Configuration {
                bucket_name: s.bucket_name().map(str::to_owned),
                object_key: s.object_key().map(str::to_owned),
            }
        }),
    }
}

fn source_from_sdk(c: &sdk::DataSourceConfiguration) -> wire::DataSourceConfiguration {
    wire::DataSourceConfiguration {
        data_source_s3_configuration: c.data_source_s3_configuration().map(|s| {
            wire::DataSourceS3Configuration {
                bucket_name: Some(s.bucket_name().to_owned()),
                object_key_prefix: s.object_key_prefix().map(str::to_owned),
            }
        }),
        csv_configuration: c.csv_configuration().map(|x| wire::CsvConfiguration {
            column_separator: x.column_separator().map(str::to_owned),
            escape_char: x.escape_char().map(str::to_owned),
            quote_char: x.quote_char().map(str::to_owned),
            null_value: x.null_value().map(str::to_owned),
            trim_white_space: x.trim_white_space(),
        }),
        data_format: Some(wire::DataFormat::from(c.data_format().as_str().to_owned())),
    }
}

fn report_from_sdk(c: &sdk::ReportConfiguration) -> wire::ReportConfiguration {
    wire::ReportConfiguration {
        report_s3_configuration: c
            .report_s3_configuration()
            .map(|s| wire::ReportS3Configuration {
                bucket_name: Some(s.bucket_name().to_owned()),
                object_key_prefix: s.object_key_prefix().map(str::to_owned),
                encryption_option: s
                    .encryption_option()
                    .map(|e| wire::EncryptionOption::from(e.as_str().to_owned())),
                kms_key_id: s.kms_key_id().map(str::to_owned),
            }),
    }
}

/// The SDK's operation input as a wire request (for round-trip tests).
pub fn request_from_sdk(i: &CreateBatchLoadTaskInput) -> wire::CreateBatchLoadTaskRequest {
    wire::CreateBatchLoadTaskRequest {
        client_token: i.client_token().map(str::to_owned),
        data_model_configuration: i.data_model_configuration().map(model_config_from_sdk),
        data_source_configuration: i.data_source_configuration().map(source_from_sdk),
        report_configuration: i.report_configuration().map(report_from_sdk),
        target_database_name: i.target_database_name().map(str::to_owned),
        target_table_name: i.target_table_name().map(str::to_owned),
        record_version: i.record_version(),
    }
}

fn secs(t: Option<&DateTime>) -> Option<f64> {
    t.map(DateTime::as_secs_f64)
}

/// The SDK's task description as a wire value (the service's JSON shape).
pub fn description_from_sdk(d: &sdk::BatchLoadTaskDescription) -> wire::BatchLoadTaskDescription {
    wire::BatchLoadTaskDescription {
        task_id: d.task_id().map(str::to_owned),
        error_message: d.error_message().map(str::to_owned),
        data_source_configuration: d.data_source_configuration().map(source_from_sdk),
        progress_report: d.progress_report().map(|p| wire::ProgressReport {
            records_processed: p.records_processed(),
            records_ingested: p.records_ingested(),
            parse_failures: p.parse_failures(),
            record_ingestion_failures: p.record_ingestion_failures(),
            file_failures: p.file_failures(),
            bytes_metered: p.bytes_metered(),
        }),
        report_configuration: d.report_configuration().map(report_from_sdk),
        data_model_configuration: d.data_model_configuration().map(model_config_from_sdk),
        target_database_name: d.target_database_name().map(str::to_owned),
        target_table_name: d.target_table_name().map(str::to_owned),
        task_status: d
            .task_status()
            .map(|s| wire::BatchLoadStatus::from(s.as_str().to_owned())),
        record_version: Some(d.record_version()),
        creation_time: secs(d.creation_time()),
        last_updated_time: secs(d.last_updated_time()),
        resumable_until: secs(d.resumable_until()),
    }
}

/// An SDK error as an [`ApiError`]: the service's code and message, or the
/// transport error chain (never the raw response dump).
pub fn api_error<E>(
    operation: &'static str,
    e: &tsw::error::SdkError<E, tsw::config::http::HttpResponse>,
) -> ApiError
where
    E: tsw::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    use tsw::error::{ProvideErrorMetadata, SdkError};
    if let Some(code) = e.code() {
        return ApiError {
            operation,
            kind: ErrorKind::from_code(code),
            code: Some(code.to_owned()),
            message: e.message().unwrap_or("").to_owned(),
            resource: None,
        };
    }
    let mut message = crate::aws::error_chain(e);
    let status = e.raw_response().map(|r| r.status().as_u16());
    let kind = match e {
        SdkError::DispatchFailure(_)
        | SdkError::TimeoutError(_)
        | SdkError::ConstructionFailure(_) => ErrorKind::Transport,
        _ if status.is_some_and(|s| s >= 500) => ErrorKind::InternalServer,
        _ => ErrorKind::Other,
    };
    if let Some(s) = status {
        message = format!("HTTP {s}: {message}");
    }
    ApiError::new(operation, kind, message)
}

/// [`BatchLoadApi`] over the SDK client.
#[derive(Debug, Clone)]
pub struct SdkApi {
    client: tsw::Client,
    page_size: i32,
}

impl SdkApi {
    /// Over `client` (built by [`crate::timestream::client`]: discovery on
    /// against AWS, off when the endpoint is overridden).
    pub fn new(client: tsw::Client) -> Self {
        Self {
            client,
            page_size: 100,
        }
    }

    /// Connects with `settings`.
    pub async fn connect(settings: &TimestreamSettings) -> Result<Self, ApiError> {
        let client = crate::timestream::client(settings)
            .await
            .map_err(|e| ApiError {
                operation: e.operation,
                kind: match e.code.as_deref() {
                    Some(c) => ErrorKind::from_code(c),
                    None => ErrorKind::Transport,
                },
                code: e.code,
                message: e.message,
                resource: None,
            })?;
        Ok(Self::new(client))
    }

    /// `MaxResults` of each ListBatchLoadTasks page (1..=100; tests use
    /// small pages to exercise paging).
    pub fn with_page_size(mut self, n: i32) -> Self {
        self.page_size = n.clamp(1, 100);
        self
    }

    /// The SDK client.
    pub fn client(&self) -> &tsw::Client {
        &self.client
    }
}

fn task(id: &str) -> String {
    format!("task `{id}`")
}

fn table_name(db: &str, table: &str) -> String {
    format!("table `{db}`.`{table}`")
}

impl BatchLoadApi for SdkApi {
    async fn create_task(
        &self,
        request: &wire::CreateBatchLoadTaskRequest,
    ) -> Result<String, ApiError> {
        let input = to_sdk(request).map_err(|e| {
            ApiError::new("CreateBatchLoadTask", ErrorKind::Validation, e.to_string())
        })?;
        let target = table_name(
            input.target_database_name().unwrap_or(""),
            input.target_table_name().unwrap_or(""),
        );
        let out = self
            .client
            .create_batch_load_task()
            .set_client_token(input.client_token)
            .set_data_model_configuration(input.data_model_configuration)
            .set_data_source_configuration(input.data_source_configuration)
            .set_report_configuration(input.report_configuration)
            .set_target_database_name(input.target_database_name)
            .set_target_table_name(input.target_table_name)
            .set_record_version(input.record_version)
            .send()
            .await
            .map_err(|e| api_error("CreateBatchLoadTask", &e).about(target))?;
        Ok(out.task_id().to_owned())
    }

    async fn describe_task(
        &self,
        task_id: &str,
    ) -> Result<wire::BatchLoadTaskDescription, ApiError> {
        let out = self
            .client
            .describe_batch_load_task()
            .task_id(task_id)
            .send()
            .await
            .map_err(|e| api_error("DescribeBatchLoadTask", &e).about(task(task_id)))?;
        out.batch_load_task_description()
            .map(description_from_sdk)
            .ok_or_else(|| {
                ApiError::new(
                    "DescribeBatchLoadTask",
                    ErrorKind::Other,
                    "the answer has no BatchLoadTaskDescription",
                )
                .about(task(task_id))
            })
    }

    async fn list_tasks(
        &self,
        status: Option<&wire::BatchLoadStatus>,
    ) -> Result<Vec<TaskSummary>, ApiError> {
        let mut pages = self
            .client
            .list_batch_load_tasks()
            .set_task_status(status.map(|s| sdk::BatchLoadStatus::from(s.as_str())))
            .max_results(self.page_size)
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| api_error("ListBatchLoadTasks", &e))?;
            for t in page.batch_load_tasks() {
                out.push(TaskSummary {
                    task_id: t.task_id().unwrap_or_default().to_owned(),
                    task_status: wire::BatchLoadStatus::from(
                        t.task_status()
                            .map(|s| s.as_str().to_owned())
                            .unwrap_or_default(),
                    ),
                    database_name: t.database_name().map(str::to_owned),
                    table_name: t.table_name().map(str::to_owned),
                    creation_time: secs(t.creation_time()),
                    last_updated_time: secs(t.last_updated_time()),
                    resumable_until: secs(t.resumable_until()),
                });
            }
        }
        Ok(out)
    }

    async fn resume_task(&self, task_id: &str) -> Result<(), ApiError> {
        self.client
            .resume_batch_load_task()
            .task_id(task_id)
            .send()
            .await
            .map_err(|e| api_error("ResumeBatchLoadTask", &e).about(task(task_id)))?;
        Ok(())
    }

    async fn describe_table(&self, database: &str, table: &str) -> Result<TableInfo, ApiError> {
        let out = self
            .client
            .describe_table()
            .database_name(database)
            .table_name(table)
            .send()
            .await
            .map_err(|e| api_error("DescribeTable", &e).about(table_name(database, table)))?;
        Ok(table_info(out.table()))
    }

    async fn create_database(&self, database: &str) -> Result<bool, ApiError> {
        match self
            .client
            .create_database()
            .database_name(database)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) => {
                let e = api_error("CreateDatabase", &e).about(format!("database `{database}`"));
                if e.kind == ErrorKind::Conflict {
                    Ok(false)
                } else {
                    Err(e)
                }
            }
        }
    }

    async fn create_table(
        &self,
        database: &str,
        table: &str,
        spec: &TableSpec,
    ) -> Result<bool, ApiError> {
        let mut req = self
            .client
            .create_table()
            .database_name(database)
            .table_name(table)
            .magnetic_store_write_properties(
                sdk::MagneticStoreWriteProperties::builder()
                    .enable_magnetic_store_writes(spec.magnetic_writes)
                    .build()
                    .map_err(|e| {
                        ApiError::new("CreateTable", ErrorKind::Validation, e.to_string())
                    })?,
            );
        if spec.memory_retention_hours.is_some() || spec.magnetic_retention_days.is_some() {
            // Both members are required in RetentionProperties [MODEL]; an
            // unset one gets the service's default (6 h, 73000 d [3P]).
            req = req.retention_properties(
                sdk::RetentionProperties::builder()
                    .memory_store_retention_period_in_hours(
                        spec.memory_retention_hours.unwrap_or(6),
                    )
                    .magnetic_store_retention_period_in_days(
                        spec.magnetic_retention_days.unwrap_or(73000),
                    )
                    .build()
                    .map_err(|e| {
                        ApiError::new("CreateTable", ErrorKind::Validation, e.to_string())
                    })?,
            );
        }
        match req.send().await {
            Ok(_) => Ok(true),
            Err(e) => {
                let e = api_error("CreateTable", &e).about(table_name(database, table));
                if e.kind == ErrorKind::Conflict {
                    Ok(false)
                } else {
                    Err(e)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixtures() -> Vec<(String, wire::CreateBatchLoadTaskRequest)> {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures");
        let mut out = Vec::new();
        let mut paths: Vec<std::path::PathBuf> = Vec::new();
        for dir in [
            "models",
            "valid/multi-measure-hosts",
            "valid/tab-separated-nulls",
            "valid/empty-measures",
        ] {
            for e in std::fs::read_dir(format!("{root}/{dir}")).unwrap() {
                let p = e.unwrap().path();
                if p.extension().is_some_and(|x| x == "json") {
                    paths.push(p);
                }
            }
        }
        paths.sort();
        for p in paths {
            let text = std::fs::read_to_string(&p).unwrap();
            let Ok(loaded) = tsload_model::load(&text, &p.display().to_string()) else {
                continue;
            };
            if loaded.form == tsload_model::Form::Request {
                out.push((p.display().to_string(), loaded.request));
            }
        }
        assert!(out.len() >= 5, "{}", out.len());
        out
    }

    #[test]
    fn wire_to_sdk_and_back_is_the_identity() {
        for (name, mut req) in fixtures() {
            req.client_token = Some("tok".into());
            let sdk = to_sdk(&req).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(request_from_sdk(&sdk), req, "{name}");
        }
    }

    /// Captures the serialised request body and stops the call before it
    /// leaves the process.
    #[derive(Debug, Default, Clone)]
    struct Capture(std::sync::Arc<std::sync::Mutex<Option<Vec<u8>>>>);

    impl tsw::config::Intercept for Capture {
        fn name(&self) -> &'static str {
            "capture"
        }

        fn read_before_transmit(
            &self,
            context: &tsw::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
            _rc: &tsw::config::RuntimeComponents,
            _cfg: &mut tsw::config::ConfigBag,
        ) -> Result<(), tsw::error::BoxError> {
            let body = context
                .request()
                .body()
                .bytes()
                .unwrap_or_default()
                .to_vec();
            *self.0.lock().unwrap() = Some(body);
            Err("captured".into())
        }
    }

    /// What the SDK puts on the wire is the task file's JSON, member for
    /// member: what `submit` sends is what `check` saw.
    #[tokio::test]
    async fn the_body_on_the_wire_is_the_task_json() {
        for (name, mut req) in fixtures() {
            req.client_token = Some("tsload-test-token".into());
            let capture = Capture::default();
            let conf = tsw::Config::builder()
                .behavior_version(tsw::config::BehaviorVersion::latest())
                .region(tsw::config::Region::new("us-east-1"))
                .endpoint_url("http://127.0.0.1:9")
                .credentials_provider(tsw::config::Credentials::for_tests())
                .interceptor(capture.clone())
                .build();
            let api = SdkApi::new(tsw::Client::from_conf(conf));
            let err = api.create_task(&req).await.unwrap_err();
            assert_eq!(err.operation, "CreateBatchLoadTask");
            let body = capture.0.lock().unwrap().take().expect("captured");
            let sent: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(sent, serde_json::to_value(&req).unwrap(), "{name}");
        }
    }
}
