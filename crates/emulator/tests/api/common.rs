//! Helpers: an emulator on loopback and an SDK client for it, the way the
//! README tells users to build one (endpoint_url, discovery off).

use aws_sdk_timestreamwrite as tsw;
use tsload_emulator::{Config, Server};

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
