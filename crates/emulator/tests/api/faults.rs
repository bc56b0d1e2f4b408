//! Fault injection as a client sees it through the SDK: throttling and
//! server errors with the service's codes and HTTP statuses, repeatable
//! with a seed, retried by the SDK's standard retry, and slow tasks whose
//! ProgressReport grows from poll to poll.

use std::time::{Duration, Instant};

use aws_sdk_timestreamwrite as tsw;
use tsload_emulator::s3::S3Server;
use tsload_emulator::{Config, Faults, S3Source, Server};
use tsw::config::retry::RetryConfig;
use tsw::types::BatchLoadStatus;

use crate::common::{create, csv, database, now_ms, put, table, wait};

/// A client that does not retry, so every injected fault is seen.
fn no_retry(server: &Server) -> tsw::Client {
    let base = crate::common::client(server.endpoint());
    let config = base
        .config()
        .to_builder()
        .retry_config(RetryConfig::disabled())
        .build();
    tsw::Client::from_conf(config)
}

fn faulty(seed: u64, throttle: f64, error: f64) -> Server {
    Server::start(Config {
        faults: Faults {
            seed: Some(seed),
            throttle_rate: throttle,
            error_rate: error,
            ..Faults::default()
        },
        ..Config::default()
    })
    .unwrap()
}

/// The outcome of one ListDatabases call: `ok`, or the error code with
/// the HTTP status.
async fn outcome(c: &tsw::Client) -> String {
    match c.list_databases().send().await {
        Ok(_) => "ok".to_owned(),
        Err(e) => {
            let status = e.raw_response().map(|r| r.status().as_u16());
            let e = e.into_service_error();
            use tsw::error::ProvideErrorMetadata as _;
            format!("{} {}", e.code().unwrap_or("?"), status.unwrap_or(0))
        }
    }
}

#[tokio::test]
async fn throttling_is_a_400_throttling_exception() {
    let server = faulty(1, 1.0, 0.0);
    let c = no_retry(&server);
    let err = c
        .create_database()
        .database_name("never")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.raw_response().unwrap().status().as_u16(), 400);
    let err = err.into_service_error();
    assert!(err.is_throttling_exception(), "{err:?}");
    assert_eq!(
        tsw::error::ProvideErrorMetadata::message(&err),
        Some("Rate exceeded (injected fault)")
    );
    // The faulted call did nothing; discovery is never faulted.
    let endpoints = c.describe_endpoints().send().await.unwrap();
    assert_eq!(endpoints.endpoints().len(), 1);
    let stored: i64 = server
        .emulator()
        .store()
        .read(|c| c.query_row("SELECT count(*) FROM databases", [], |r| r.get(0)))
        .unwrap();
    assert_eq!(stored, 0);
}

#[tokio::test]
async fn server_errors_are_500_internal_server_exceptions() {
    let server = faulty(1, 0.0, 1.0);
    let c = no_retry(&server);
    let err = c.list_databases().send().await.unwrap_err();
    assert_eq!(err.raw_response().unwrap().status().as_u16(), 500);
    let err = err.into_service_error();
    assert!(err.is_internal_server_exception(), "{err:?}");
    // Every operation is subject to it, batch loads included.
    let err = c
        .describe_batch_load_task()
        .task_id("ABC")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_internal_server_exception(), "{err:?}");
}

#[tokio::test]
async fn seeded_faults_repeat_call_for_call() {
    async fn run(seed: u64) -> Vec<String> {
        let server = faulty(seed, 0.25, 0.25);
        let c = no_retry(&server);
        let mut out = Vec::new();
        for _ in 0..40 {
            out.push(outcome(&c).await);
        }
        out
    }
    let first = run(42).await;
    assert_eq!(first, run(42).await);
    assert_ne!(first, run(43).await);
    for kind in [
        "ok",
        "ThrottlingException 400",
        "InternalServerException 500",
    ] {
        assert!(first.iter().any(|o| o == kind), "no {kind} in {first:?}");
    }
}

#[tokio::test]
async fn the_sdk_retries_through_injected_faults() {
    let server = faulty(7, 0.3, 0.2);
    let base = crate::common::client(server.endpoint());
    let config = base
        .config()
        .to_builder()
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(20)
                .with_initial_backoff(Duration::from_millis(1))
                .with_max_backoff(Duration::from_millis(5)),
        )
        .build();
    let c = tsw::Client::from_conf(config);
    for i in 0..10 {
        c.create_database()
            .database_name(format!("db{i}"))
            .send()
            .await
            .unwrap();
    }
    let stored: i64 = server
        .emulator()
        .store()
        .read(|c| c.query_row("SELECT count(*) FROM databases", [], |r| r.get(0)))
        .unwrap();
    assert_eq!(stored, 10);
}

#[tokio::test]
async fn slow_progress_shows_in_describe_batch_load_task() {
    let dir = tempfile::tempdir().unwrap();
    let s3 = S3Server::start(dir.path()).unwrap();
    s3.create_bucket("input").unwrap();
    s3.create_bucket("reports").unwrap();
    let server = Server::start(Config {
        s3: S3Source::Endpoint(s3.endpoint().to_owned()),
        faults: Faults {
            step_delay: Duration::from_millis(250),
            ..Faults::default()
        },
        ..Config::default()
    })
    .unwrap();
    let c = crate::common::client(server.endpoint());
    database(&c, "dbb").await;
    table(&c, "dbb", "tbl", false).await;
    let t = now_ms();
    for i in 0..5 {
        put(
            &s3,
            &format!("slow/{i}.csv"),
            csv(&[(&format!("h{i}"), t, "1")]),
        )
        .await;
    }
    let id = create(&c, "slow/")
        .send()
        .await
        .unwrap()
        .task_id()
        .to_owned();
    // Poll as a client would, and keep what each poll saw.
    let mut seen: Vec<(BatchLoadStatus, i64)> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let d = c
            .describe_batch_load_task()
            .task_id(&id)
            .send()
            .await
            .unwrap();
        let d = d.batch_load_task_description().unwrap();
        let status = d.task_status().unwrap().clone();
        let ingested = d.progress_report().unwrap().records_ingested();
        if seen.last() != Some(&(status.clone(), ingested)) {
            seen.push((status.clone(), ingested));
        }
        if status == BatchLoadStatus::Succeeded || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let in_progress: Vec<i64> = seen
        .iter()
        .filter(|(s, _)| *s == BatchLoadStatus::InProgress)
        .map(|(_, n)| *n)
        .collect();
    assert!(in_progress.len() >= 3, "{seen:?}");
    assert!(in_progress.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    assert_eq!(seen.first().map(|s| &s.0), Some(&BatchLoadStatus::Created));
    assert_eq!(
        seen.last(),
        Some(&(BatchLoadStatus::Succeeded, 5)),
        "{seen:?}"
    );
    let done = wait(&c, &id, &[BatchLoadStatus::Succeeded]).await;
    assert_eq!(done.progress_report().unwrap().records_processed(), 5);
}
