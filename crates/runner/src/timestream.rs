//! Timestream Write calls.
//!
//! Endpoint discovery [SDK; spec §7.3]: against AWS every data-plane call
//! must go to the cell endpoint that `DescribeEndpoints` returns, so the
//! client is built with `with_endpoint_discovery_enabled()`. When the
//! endpoint is overridden (`--endpoint-url`, or
//! `AWS_ENDPOINT_URL_TIMESTREAM_WRITE`), discovery is turned off and every
//! call goes straight to that URL: the Rust SDK would otherwise send every
//! call after the first to `https://<discovered address>`, which a local
//! emulator over plain HTTP cannot serve.

use aws_sdk_timestreamwrite as tsw;
use tsload_mapper::TableRetention;

use crate::aws::{AwsSettings, sdk_config};

/// Settings of the Timestream client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimestreamSettings {
    /// Profile, region, S3 endpoint.
    pub aws: AwsSettings,
    /// `--endpoint-url` (overrides `AWS_ENDPOINT_URL_TIMESTREAM_WRITE`).
    pub endpoint_url: Option<String>,
}

impl TimestreamSettings {
    /// The endpoint override in force, if any: `--endpoint-url`, then
    /// `AWS_ENDPOINT_URL_TIMESTREAM_WRITE`, then `AWS_ENDPOINT_URL`.
    /// Endpoint discovery is off whenever there is one.
    pub fn endpoint(&self) -> Option<String> {
        crate::aws::endpoint_override(
            self.endpoint_url.as_deref(),
            "AWS_ENDPOINT_URL_TIMESTREAM_WRITE",
        )
    }
}

/// A Timestream call that failed, with the service's code and message.
#[derive(Debug, thiserror::Error)]
#[error("{operation}: {message}")]
pub struct TimestreamError {
    /// The operation, e.g. `DescribeTable`.
    pub operation: &'static str,
    /// `Code: message` from the service, or the transport error chain.
    pub message: String,
    /// The service's error code, when it sent one.
    pub code: Option<String>,
}

impl TimestreamError {
    /// From an SDK error, without the raw response dump.
    pub fn from_sdk<E, R>(operation: &'static str, e: &tsw::error::SdkError<E, R>) -> Self
    where
        E: tsw::error::ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + 'static,
    {
        use tsw::error::ProvideErrorMetadata;
        let code = e.code().map(str::to_owned);
        Self {
            operation,
            message: crate::aws::sdk_error_text(e),
            code,
        }
    }
}

/// How long a Timestream Write call may wait for its answer, per attempt
/// (the SDK retries it). Its requests and answers are small JSON documents;
/// without a limit, an endpoint that accepts the connection and never
/// answers hangs the command for ever.
pub const READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// Builds a Timestream Write client (async; call inside a tokio runtime).
pub async fn client(settings: &TimestreamSettings) -> Result<tsw::Client, TimestreamError> {
    let config = sdk_config(&settings.aws)
        .await
        .map_err(|e| TimestreamError {
            operation: "configuration",
            message: e.to_string(),
            code: None,
        })?
        .into_builder()
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(std::time::Duration::from_secs(10))
                .read_timeout(READ_TIMEOUT)
                .build(),
        )
        .build();
    if let Some(url) = settings.endpoint() {
        let conf = tsw::config::Builder::from(&config)
            .endpoint_url(url)
            .build();
        return Ok(tsw::Client::from_conf(conf));
    }
    let (client, _reload) = tsw::Client::new(&config)
        .with_endpoint_discovery_enabled()
        .await
        .map_err(|e| TimestreamError {
            operation: "DescribeEndpoints",
            message: crate::aws::error_chain(&*e),
            code: None,
        })?;
    Ok(client)
}

/// What `--describe-table` learns about the target table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableInfo {
    /// Retention and magnetic-store writes.
    pub retention: TableRetention,
    /// Names of REQUIRED dimension partition keys.
    pub required_dimensions: Vec<String>,
}

/// `DescribeTable` (blocking: runs its own small runtime).
pub fn describe_table(
    settings: &TimestreamSettings,
    database: &str,
    table: &str,
) -> Result<TableInfo, TimestreamError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| TimestreamError {
            operation: "DescribeTable",
            message: e.to_string(),
            code: None,
        })?;
    rt.block_on(async {
        let c = client(settings).await?;
        let out = c
            .describe_table()
            .database_name(database)
            .table_name(table)
            .send()
            .await
            .map_err(|e| TimestreamError::from_sdk("DescribeTable", &e))?;
        Ok(table_info(out.table()))
    })
}

/// Extracts the settings the validator needs from a table description.
pub fn table_info(t: Option<&tsw::types::Table>) -> TableInfo {
    let d = TableRetention::default();
    let retention = t.and_then(|t| t.retention_properties());
    let writes = t
        .and_then(|t| t.magnetic_store_write_properties())
        .is_some_and(tsw::types::MagneticStoreWriteProperties::enable_magnetic_store_writes);
    let required_dimensions = t
        .and_then(|t| t.schema())
        .map(|s| {
            s.composite_partition_key()
                .iter()
                .filter(|k| {
                    *k.r#type() == tsw::types::PartitionKeyType::Dimension
                        && k.enforcement_in_record()
                            == Some(&tsw::types::PartitionKeyEnforcementLevel::Required)
                })
                .filter_map(|k| k.name().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    TableInfo {
        retention: TableRetention {
            memory_store_retention_hours: retention.map_or(d.memory_store_retention_hours, |r| {
                r.memory_store_retention_period_in_hours() as u64
            }),
            magnetic_store_retention_days: retention.map_or(d.magnetic_store_retention_days, |r| {
                r.magnetic_store_retention_period_in_days() as u64
            }),
            magnetic_store_writes: writes,
        },
        required_dimensions,
    }
}
