//! Batch loads end to end: CSV objects in the in-process S3 server, tasks
//! through the SDK, records in the store, reports in S3, faults.

use std::time::Duration;

use aws_sdk_timestreamwrite as tsw;
use tsload_emulator::s3::S3Server;
use tsload_emulator::{Config, Faults, S3Source, Server};
use tsw::types::BatchLoadStatus;

use crate::common::{client, code, create, csv, database, now_ms, put, table, wait};

struct Env {
    _dir: tempfile::TempDir,
    s3: S3Server,
    server: Server,
    c: tsw::Client,
}

async fn env(faults: Faults) -> Env {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("s3")).unwrap();
    let s3 = S3Server::start(dir.path().join("s3")).unwrap();
    s3.create_bucket("input").unwrap();
    s3.create_bucket("reports").unwrap();
    let server = Server::start(Config {
        s3: S3Source::Endpoint(s3.endpoint().to_owned()),
        faults,
        ..Config::default()
    })
    .unwrap();
    let c = client(server.endpoint());
    database(&c, "dbb").await;
    table(&c, "dbb", "tbl", false).await;
    Env {
        _dir: dir,
        s3,
        server,
        c,
    }
}

fn count_records(server: &Server) -> i64 {
    server
        .emulator()
        .store()
        .read(|c| {
            c.query_row(
                "SELECT count(*) FROM records WHERE table_name = 'tbl'",
                [],
                |r| r.get(0),
            )
        })
        .unwrap()
}

#[tokio::test]
async fn a_batch_load_succeeds_and_its_records_are_stored() {
    let e = env(Faults::default()).await;
    let t = now_ms();
    put(
        &e.s3,
        "loads/a.csv",
        csv(&[("h1", t, "1.5"), ("h2", t, "2.5")]),
    )
    .await;
    put(&e.s3, "loads/b.csv", csv(&[("h3", t - 1000, "3")])).await;
    let id = create(&e.c, "loads/")
        .client_token("tok-1")
        .send()
        .await
        .unwrap()
        .task_id()
        .to_owned();
    // The same ClientToken gives the same task.
    let again = create(&e.c, "loads/")
        .client_token("tok-1")
        .send()
        .await
        .unwrap();
    assert_eq!(again.task_id(), id);
    let d = wait(
        &e.c,
        &id,
        &[BatchLoadStatus::Succeeded, BatchLoadStatus::Failed],
    )
    .await;
    assert_eq!(d.task_status(), Some(&BatchLoadStatus::Succeeded), "{d:?}");
    let p = d.progress_report().unwrap();
    assert_eq!(p.records_processed(), 3);
    assert_eq!(p.records_ingested(), 3);
    assert_eq!(
        p.parse_failures() + p.record_ingestion_failures() + p.file_failures(),
        0
    );
    assert_eq!(d.record_version(), 1);
    assert_eq!(count_records(&e.server), 3);
    let cpu: f64 = e
        .server
        .emulator()
        .store()
        .read(|c| {
            c.query_row(
                "SELECT json_extract(measures, '$.cpu') FROM records
                 WHERE json_extract(dimensions, '$.host') = 'h2'",
                [],
                |r| r.get(0),
            )
        })
        .unwrap();
    assert!((cpu - 2.5).abs() < 1e-9);
    // Listing: filter and pages.
    let listed =
        e.c.list_batch_load_tasks()
            .task_status(BatchLoadStatus::Succeeded)
            .send()
            .await
            .unwrap();
    assert_eq!(listed.batch_load_tasks().len(), 1);
    let none =
        e.c.list_batch_load_tasks()
            .task_status(BatchLoadStatus::Failed)
            .send()
            .await
            .unwrap();
    assert!(none.batch_load_tasks().is_empty());
}

#[tokio::test]
async fn a_failing_load_ends_failed_with_its_report_in_s3() {
    let e = env(Faults::default()).await;
    let t = now_ms();
    let old = t - 30 * 24 * 3600 * 1000;
    put(
        &e.s3,
        "bad/a.csv",
        csv(&[
            ("h1", t, "1"),
            ("h2", old, "2"),
            ("h3", old, "3"),
            ("h4", t, "x"),
        ]),
    )
    .await;
    let (id, d) = run_to_end(&e.c, create(&e.c, "bad/")).await;
    assert_eq!(d.task_status(), Some(&BatchLoadStatus::Failed), "{d:?}");
    let p = d.progress_report().unwrap();
    assert_eq!(p.records_processed(), 4);
    assert_eq!(p.records_ingested(), 1);
    assert!(
        d.error_message().unwrap().contains("s3://reports/errors/"),
        "{:?}",
        d.error_message()
    );
    let report = report(&e.s3, &id).await;
    assert_eq!(report["taskId"], id.as_str());
    assert_eq!(report["fileErrors"][0]["fileName"], "bad/a.csv");
    let window = report["fileErrors"][0]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| {
            e["reason"]
                .as_str()
                .unwrap()
                .contains("data ingestion window")
        })
        .expect("a window error");
    assert_eq!(window["lineRanges"], serde_json::json!([[3, 4]]));
    assert_eq!(count_records(&e.server), 1);
}

/// A source that cannot be listed fails the task with one sentence in
/// `ErrorMessage` (the S3 error's code and message, not the SDK's dump),
/// the report's URL after it.
#[tokio::test]
async fn an_unreadable_source_fails_the_task_with_a_sentence() {
    use tsw::types::{BatchLoadDataFormat, DataSourceConfiguration, DataSourceS3Configuration};
    let e = env(Faults::default()).await;
    let source = DataSourceConfiguration::builder()
        .data_source_s3_configuration(
            DataSourceS3Configuration::builder()
                .bucket_name("nobucket")
                .object_key_prefix("in/")
                .build()
                .unwrap(),
        )
        .data_format(BatchLoadDataFormat::Csv)
        .build()
        .unwrap();
    let (id, d) = run_to_end(
        &e.c,
        create(&e.c, "unused/").data_source_configuration(source),
    )
    .await;
    assert_eq!(d.task_status(), Some(&BatchLoadStatus::Failed), "{d:?}");
    let message = d.error_message().unwrap();
    assert!(
        message.starts_with("cannot list s3://nobucket/in/: NoSuchBucket"),
        "{message}"
    );
    assert!(!message.contains("ServiceError"), "{message}");
    assert!(
        message.contains(&format!(
            ". Error report: s3://reports/errors/{id}/error-report.json"
        )),
        "{message}"
    );
    assert!(!message.contains('\n'), "{message}");
}

/// A report bucket that does not exist fails the task before it reads
/// anything (a task-level error, spec §2.4 [INF]): nothing is stored, the
/// message names the bucket and says it is inferred, and no bucket appears.
#[tokio::test]
async fn a_missing_report_bucket_fails_the_task_before_it_reads() {
    use tsw::types::{ReportConfiguration, ReportS3Configuration};
    let e = env(Faults::default()).await;
    put(&e.s3, "loads/a.csv", csv(&[("h1", now_ms(), "1.5")])).await;
    let report = ReportConfiguration::builder()
        .report_s3_configuration(
            ReportS3Configuration::builder()
                .bucket_name("no-report-bucket")
                .build()
                .unwrap(),
        )
        .build();
    let (_id, d) = run_to_end(&e.c, create(&e.c, "loads/").report_configuration(report)).await;
    assert_eq!(d.task_status(), Some(&BatchLoadStatus::Failed), "{d:?}");
    let message = d.error_message().unwrap();
    assert!(
        message.starts_with("The report bucket no-report-bucket does not exist (S3 NoSuchBucket)"),
        "{message}"
    );
    assert!(message.ends_with("[INF]"), "{message}");
    assert_eq!(d.progress_report().unwrap().records_processed(), 0);
    assert_eq!(count_records(&e.server), 0);
    assert!(!e.s3.root().join("no-report-bucket").exists());
}

/// The service model makes `DataModelConfiguration` optional: a task
/// without a data model is refused with a sentence that says the
/// requirement is the emulator's inference, not a framework constraint.
#[tokio::test]
async fn a_task_without_a_data_model_is_refused_as_inferred() {
    use tsw::types::DataModelConfiguration;
    let e = env(Faults::default()).await;
    let (c1, m1) = refused(create(&e.c, "x/").set_data_model_configuration(None)).await;
    assert_eq!(c1, "ValidationException");
    assert!(
        m1.starts_with("The request has no DataModelConfiguration: add one with a DataModel"),
        "{m1}"
    );
    assert!(m1.ends_with("the emulator's inference [INF]"), "{m1}");
    assert!(!m1.contains("must not be null"), "{m1}");
    let empty = DataModelConfiguration::builder().build();
    let (c2, m2) = refused(create(&e.c, "x/").data_model_configuration(empty)).await;
    assert_eq!(c2, "ValidationException");
    assert!(
        m2.starts_with(
            "DataModelConfiguration has neither a DataModel nor a DataModelS3Configuration"
        ),
        "{m2}"
    );
    assert!(m2.ends_with("[INF]"), "{m2}");
    // Constraints of the service model still come first, in its wording.
    let bad_prefix = create(&e.c, "year=2024/").set_data_model_configuration(None);
    let (_, m3) = refused(bad_prefix).await;
    assert!(m3.starts_with("1 validation error detected: "), "{m3}");
    let listed = e.c.list_batch_load_tasks().send().await.unwrap();
    assert!(listed.batch_load_tasks().is_empty());
}

/// The error code and message of a CreateBatchLoadTask that must fail.
async fn refused(
    create: tsw::operation::create_batch_load_task::builders::CreateBatchLoadTaskFluentBuilder,
) -> (String, String) {
    code(create.send().await.unwrap_err())
}

/// Creates the task and waits until it ends: its id and last description.
async fn run_to_end(
    c: &tsw::Client,
    create: tsw::operation::create_batch_load_task::builders::CreateBatchLoadTaskFluentBuilder,
) -> (String, tsw::types::BatchLoadTaskDescription) {
    let id = create.send().await.unwrap().task_id().to_owned();
    let d = wait(
        c,
        &id,
        &[BatchLoadStatus::Succeeded, BatchLoadStatus::Failed],
    )
    .await;
    (id, d)
}

/// The task's error report, read back from the S3 server.
async fn report(s3: &S3Server, id: &str) -> serde_json::Value {
    let got = s3
        .client()
        .get_object()
        .bucket("reports")
        .key(format!("errors/{id}/error-report.json"))
        .send()
        .await
        .unwrap();
    serde_json::from_slice(&got.body.collect().await.unwrap().into_bytes()).unwrap()
}

#[tokio::test]
async fn records_the_store_refuses_are_reported_with_their_lines() {
    let e = env(Faults::default()).await;
    let t = now_ms();
    put(&e.s3, "dup/a.csv", csv(&[("h1", t, "1.5")])).await;
    // Line 1 is the header. Lines 2 and 3 conflict with a.csv (same key,
    // another value, version not higher), line 5 repeats line 4 exactly
    // (accepted), line 6 conflicts with line 4.
    put(
        &e.s3,
        "dup/b.csv",
        csv(&[
            ("h1", t, "2.5"),
            ("h1", t, "3.5"),
            ("h2", t, "1"),
            ("h2", t, "1"),
            ("h2", t, "2"),
        ]),
    )
    .await;
    let (id, d) = run_to_end(&e.c, create(&e.c, "dup/")).await;
    assert_eq!(d.task_status(), Some(&BatchLoadStatus::Failed), "{d:?}");
    let p = d.progress_report().unwrap();
    assert_eq!(p.records_processed(), 6);
    assert_eq!(p.records_ingested(), 3);
    assert_eq!(p.record_ingestion_failures(), 3);
    assert_eq!(p.parse_failures(), 0);
    let report = report(&e.s3, &id).await;
    assert_eq!(report["taskErrors"], serde_json::json!([]));
    let files = report["fileErrors"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{report:#}");
    assert_eq!(files[0]["fileName"], "dup/b.csv");
    let errors = files[0]["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{report:#}");
    assert!(
        errors[0]["reason"]
            .as_str()
            .unwrap()
            .contains("same dimensions, time and measure name"),
        "{report:#}"
    );
    assert_eq!(errors[0]["lineRanges"], serde_json::json!([[2, 3], [6, 6]]));
    // The first writer won: h1 keeps 1.5, h2 keeps 1.
    let values: Vec<(String, f64)> = e
        .server
        .emulator()
        .store()
        .read(|c| {
            c.prepare(
                "SELECT json_extract(dimensions, '$.host'), json_extract(measures, '$.cpu')
                 FROM records ORDER BY 1",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect()
        })
        .unwrap();
    assert_eq!(values, vec![("h1".into(), 1.5), ("h2".into(), 1.0)]);
}

#[tokio::test]
async fn a_stopped_task_resumes_and_finishes() {
    let e = env(Faults {
        stop_after_files: Some(1),
        seed: Some(1),
        ..Faults::default()
    })
    .await;
    let t = now_ms();
    put(&e.s3, "two/1.csv", csv(&[("h1", t, "1")])).await;
    put(&e.s3, "two/2.csv", csv(&[("h2", t, "2")])).await;
    let id = create(&e.c, "two/")
        .send()
        .await
        .unwrap()
        .task_id()
        .to_owned();
    let d = wait(
        &e.c,
        &id,
        &[BatchLoadStatus::ProgressStopped, BatchLoadStatus::Succeeded],
    )
    .await;
    assert_eq!(d.task_status(), Some(&BatchLoadStatus::ProgressStopped));
    assert!(d.resumable_until().is_some());
    assert_eq!(d.progress_report().unwrap().records_ingested(), 1);
    let listed =
        e.c.list_batch_load_tasks()
            .task_status(BatchLoadStatus::ProgressStopped)
            .send()
            .await
            .unwrap();
    assert!(listed.batch_load_tasks()[0].resumable_until().is_some());
    e.c.resume_batch_load_task()
        .task_id(&id)
        .send()
        .await
        .unwrap();
    let d = wait(
        &e.c,
        &id,
        &[BatchLoadStatus::Succeeded, BatchLoadStatus::Failed],
    )
    .await;
    assert_eq!(d.task_status(), Some(&BatchLoadStatus::Succeeded), "{d:?}");
    assert_eq!(d.progress_report().unwrap().records_ingested(), 2);
    assert_eq!(count_records(&e.server), 2);
    // A finished task cannot be resumed.
    let (code_, _) = code(
        e.c.resume_batch_load_task()
            .task_id(&id)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(code_, "ValidationException");
}

#[tokio::test]
async fn task_api_errors_and_quotas() {
    let e = env(Faults {
        step_delay: Duration::from_secs(30),
        ..Faults::default()
    })
    .await;
    let (c1, _) = code(
        e.c.describe_batch_load_task()
            .task_id("ABCDEF")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(c1, "ResourceNotFoundException");
    let (c2, m2) = code(
        e.c.describe_batch_load_task()
            .task_id("lower")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(c2, "ValidationException");
    assert!(m2.contains("'TaskId'"), "{m2}");
    let (c3, _) = code(
        e.c.resume_batch_load_task()
            .task_id("ABCDEF")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(c3, "ResourceNotFoundException");
    let (c4, m4) = code(create(&e.c, "year=2024/").send().await.unwrap_err());
    assert_eq!(c4, "ValidationException");
    assert!(m4.contains("ObjectKeyPrefix"), "{m4}");
    let (c5, _) = code(
        create(&e.c, "x/")
            .target_table_name("nope")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(c5, "ResourceNotFoundException");
    let (c6, m6) = code(
        e.c.list_batch_load_tasks()
            .max_results(101)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(c6, "ValidationException");
    assert!(m6.contains("'MaxResults'"), "{m6}");
    // The step delay keeps tasks CREATED: the sixth on one table is refused.
    for _ in 0..5 {
        create(&e.c, "x/").send().await.unwrap();
    }
    let (c7, m7) = code(create(&e.c, "x/").send().await.unwrap_err());
    assert_eq!(c7, "ServiceQuotaExceededException");
    assert!(m7.contains("[INF]"), "{m7}");
    // Pagination of ListBatchLoadTasks.
    let pages =
        e.c.list_batch_load_tasks()
            .max_results(2)
            .into_paginator()
            .send()
            .try_collect()
            .await
            .unwrap();
    assert_eq!(pages.len(), 3);
    assert_eq!(
        pages
            .iter()
            .map(|p| p.batch_load_tasks().len())
            .sum::<usize>(),
        5
    );
}
