//! Helpers: an emulator on loopback and an SDK client for it, the way the
//! README tells users to build one (endpoint_url, discovery off).

use std::time::Duration;

use aws_sdk_timestreamwrite as tsw;
use tsload_emulator::s3::S3Server;
use tsload_emulator::{Config, Server};
use tsw::types::{
    BatchLoadStatus, DataModel, DataModelConfiguration, DataSourceConfiguration,
    DataSourceS3Configuration, DimensionMapping, MultiMeasureAttributeMapping,
    MultiMeasureMappings, ReportConfiguration, ReportS3Configuration, ScalarMeasureValueType,
    TimeUnit,
};

pub(crate) fn client(endpoint: &str) -> tsw::Client {
    let config = tsw::Config::builder()
        .behavior_version(tsw::config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(tsw::config::Region::new("us-east-1"))
        .credentials_provider(tsw::config::Credentials::new(
            "AKID", "secret", None, None, "test",
        ))
        .build();
    tsw::Client::from_conf(config)
}

pub(crate) fn start() -> (Server, tsw::Client) {
    start_with(Config::default())
}

pub(crate) fn start_with(config: Config) -> (Server, tsw::Client) {
    let server = Server::start(config).unwrap();
    let client = client(server.endpoint());
    (server, client)
}

/// The service error's code and message.
pub(crate) fn code<E, R>(err: tsw::error::SdkError<E, R>) -> (String, String)
where
    E: tsw::error::ProvideErrorMetadata,
{
    use tsw::error::ProvideErrorMetadata as _;
    (
        err.code().unwrap_or("<none>").to_owned(),
        err.message().unwrap_or("").to_owned(),
    )
}

pub(crate) async fn database(c: &tsw::Client, name: &str) {
    c.create_database()
        .database_name(name)
        .send()
        .await
        .unwrap();
}

pub(crate) async fn table(c: &tsw::Client, db: &str, name: &str, magnetic_writes: bool) {
    c.create_table()
        .database_name(db)
        .table_name(name)
        .magnetic_store_write_properties(
            tsw::types::MagneticStoreWriteProperties::builder()
                .enable_magnetic_store_writes(magnetic_writes)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

// ------------------------------------------------------------ batch loads

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

pub(crate) async fn put(s3: &S3Server, key: &str, body: String) {
    s3.client()
        .put_object()
        .bucket("input")
        .key(key)
        .body(body.into_bytes().into())
        .send()
        .await
        .unwrap();
}

pub(crate) fn csv(rows: &[(&str, i64, &str)]) -> String {
    let mut s = String::from("host,time,cpu\n");
    for (h, t, v) in rows {
        s.push_str(&format!("{h},{t},{v}\n"));
    }
    s
}

pub(crate) fn create(
    c: &tsw::Client,
    prefix: &str,
) -> tsw::operation::create_batch_load_task::builders::CreateBatchLoadTaskFluentBuilder {
    let model = DataModel::builder()
        .time_column("time")
        .time_unit(TimeUnit::Milliseconds)
        .dimension_mappings(DimensionMapping::builder().source_column("host").build())
        .multi_measure_mappings(
            MultiMeasureMappings::builder()
                .target_multi_measure_name("metrics")
                .multi_measure_attribute_mappings(
                    MultiMeasureAttributeMapping::builder()
                        .source_column("cpu")
                        .measure_value_type(ScalarMeasureValueType::Double)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    c.create_batch_load_task()
        .target_database_name("dbb")
        .target_table_name("tbl")
        .data_model_configuration(DataModelConfiguration::builder().data_model(model).build())
        .data_source_configuration(
            DataSourceConfiguration::builder()
                .data_source_s3_configuration(
                    DataSourceS3Configuration::builder()
                        .bucket_name("input")
                        .object_key_prefix(prefix)
                        .build()
                        .unwrap(),
                )
                .data_format(tsw::types::BatchLoadDataFormat::Csv)
                .build()
                .unwrap(),
        )
        .report_configuration(
            ReportConfiguration::builder()
                .report_s3_configuration(
                    ReportS3Configuration::builder()
                        .bucket_name("reports")
                        .object_key_prefix("errors")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
}

pub(crate) async fn wait(
    c: &tsw::Client,
    id: &str,
    until: &[BatchLoadStatus],
) -> tsw::types::BatchLoadTaskDescription {
    for _ in 0..600 {
        let d = c
            .describe_batch_load_task()
            .task_id(id)
            .send()
            .await
            .unwrap();
        let d = d.batch_load_task_description().unwrap().clone();
        if until.contains(d.task_status().unwrap()) {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("task {id} never reached {until:?}");
}
