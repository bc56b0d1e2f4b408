//! `--data-dir`: what one run stores, the next run on the same directory
//! finds, and tasks a run left unfinished are carried on by the next.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use aws_sdk_timestreamwrite as tsw;
use tsload_emulator::s3::S3Server;
use tsload_emulator::store::Store;
use tsload_emulator::{Config, Faults, S3Source};
use tsw::types::{BatchLoadStatus, MeasureValueType, Record, RetentionProperties, Tag};

use crate::common::{create, csv, database, now_ms, put, start_with, wait};

/// A data directory and an S3 server that outlive the emulators started on
/// them.
struct Dirs {
    _root: tempfile::TempDir,
    data: PathBuf,
    s3: S3Server,
}

fn dirs() -> Dirs {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir(root.path().join("s3")).unwrap();
    let s3 = S3Server::start(root.path().join("s3")).unwrap();
    s3.create_bucket("input").unwrap();
    s3.create_bucket("reports").unwrap();
    Dirs {
        data: root.path().join("data"),
        _root: root,
        s3,
    }
}

fn config(d: &Dirs, faults: Faults) -> Config {
    Config {
        data_dir: Some(d.data.clone()),
        s3: S3Source::Endpoint(d.s3.endpoint().to_owned()),
        faults,
        ..Config::default()
    }
}

async fn tags(c: &tsw::Client, arn: &str) -> Vec<(String, String)> {
    let mut t: Vec<(String, String)> = c
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap()
        .tags()
        .iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect();
    t.sort();
    t
}

/// `(host, cpu, version)` of every stored record of `dbb.tbl`, read from
/// the SQLite file with a plain read-only connection, the way the crate
/// docs tell users to (it works while an emulator runs).
fn records(data: &Path) -> Vec<(String, f64, i64)> {
    let conn = rusqlite::Connection::open_with_flags(
        data.join(tsload_emulator::store::DB_FILE),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    conn.prepare(
        "SELECT json_extract(dimensions, '$.host'),
                coalesce(json_extract(measures, '$.cpu'), CAST(measure_value AS REAL)),
                version
         FROM records_readable
         WHERE database_name = 'dbb' AND table_name = 'tbl' ORDER BY 1",
    )
    .unwrap()
    .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
    .unwrap()
    .collect::<rusqlite::Result<_>>()
    .unwrap()
}

#[tokio::test]
async fn a_restart_on_the_same_data_dir_keeps_everything() {
    let d = dirs();
    let t = now_ms();
    put(
        &d.s3,
        "keep/a.csv",
        csv(&[("h1", t, "1.5"), ("h2", t, "2.5")]),
    )
    .await;
    put(&d.s3, "keep/b.csv", csv(&[("h3", t - 1000, "3")])).await;

    let (server, c) = start_with(config(&d, Faults::default()));
    database(&c, "dbb").await;
    c.create_table()
        .database_name("dbb")
        .table_name("tbl")
        .retention_properties(
            RetentionProperties::builder()
                .memory_store_retention_period_in_hours(48)
                .magnetic_store_retention_period_in_days(365)
                .build()
                .unwrap(),
        )
        .tags(Tag::builder().key("team").value("ops").build().unwrap())
        .send()
        .await
        .unwrap();
    database(&c, "other").await;
    let db_arn = c
        .describe_database()
        .database_name("dbb")
        .send()
        .await
        .unwrap()
        .database()
        .unwrap()
        .arn()
        .unwrap()
        .to_owned();
    c.tag_resource()
        .resource_arn(&db_arn)
        .tags(Tag::builder().key("env").value("test").build().unwrap())
        .send()
        .await
        .unwrap();
    let id = create(&c, "keep/")
        .client_token("keep-token")
        .send()
        .await
        .unwrap()
        .task_id()
        .to_owned();
    let done = wait(
        &c,
        &id,
        &[BatchLoadStatus::Succeeded, BatchLoadStatus::Failed],
    )
    .await;
    assert_eq!(
        done.task_status(),
        Some(&BatchLoadStatus::Succeeded),
        "{done:?}"
    );
    // A record through WriteRecords too, with a version above the default.
    c.write_records()
        .database_name("dbb")
        .table_name("tbl")
        .records(
            Record::builder()
                .dimensions(
                    tsw::types::Dimension::builder()
                        .name("host")
                        .value("h4")
                        .build()
                        .unwrap(),
                )
                .measure_name("cpu")
                .measure_value("4.5")
                .measure_value_type(MeasureValueType::Double)
                .time(t.to_string())
                .version(7)
                .build(),
        )
        .send()
        .await
        .unwrap();

    let before_db = c
        .describe_database()
        .database_name("dbb")
        .send()
        .await
        .unwrap();
    let before_table = c
        .describe_table()
        .database_name("dbb")
        .table_name("tbl")
        .send()
        .await
        .unwrap();
    let table_arn = before_table.table().unwrap().arn().unwrap().to_owned();
    let before_task = c
        .describe_batch_load_task()
        .task_id(&id)
        .send()
        .await
        .unwrap();
    let old_endpoint = server.endpoint().to_owned();
    drop(server);

    let stored = records(&d.data);
    assert_eq!(
        stored,
        vec![
            ("h1".into(), 1.5, 1),
            ("h2".into(), 2.5, 1),
            ("h3".into(), 3.0, 1),
            ("h4".into(), 4.5, 7),
        ]
    );

    // Another run, another port, the same directory.
    let (server, c) = start_with(config(&d, Faults::default()));
    assert_ne!(server.endpoint(), old_endpoint);
    let after_db = c
        .describe_database()
        .database_name("dbb")
        .send()
        .await
        .unwrap();
    assert_eq!(after_db.database(), before_db.database());
    let after_table = c
        .describe_table()
        .database_name("dbb")
        .table_name("tbl")
        .send()
        .await
        .unwrap();
    assert_eq!(after_table.table(), before_table.table());
    let retention = after_table.table().unwrap().retention_properties().unwrap();
    assert_eq!(retention.memory_store_retention_period_in_hours(), 48);
    assert_eq!(retention.magnetic_store_retention_period_in_days(), 365);
    let names: Vec<String> = c
        .list_databases()
        .send()
        .await
        .unwrap()
        .databases()
        .iter()
        .filter_map(|d| d.database_name().map(str::to_owned))
        .collect();
    assert_eq!(names, ["dbb", "other"]);
    assert_eq!(tags(&c, &db_arn).await, [("env".into(), "test".into())]);
    assert_eq!(tags(&c, &table_arn).await, [("team".into(), "ops".into())]);

    let after_task = c
        .describe_batch_load_task()
        .task_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        after_task.batch_load_task_description(),
        before_task.batch_load_task_description()
    );
    let p = after_task
        .batch_load_task_description()
        .unwrap()
        .progress_report()
        .unwrap();
    assert_eq!((p.records_processed(), p.records_ingested()), (3, 3));
    let listed = c.list_batch_load_tasks().send().await.unwrap();
    assert_eq!(listed.batch_load_tasks().len(), 1);
    // The ClientToken is remembered across runs.
    let again = create(&c, "keep/")
        .client_token("keep-token")
        .send()
        .await
        .unwrap();
    assert_eq!(again.task_id(), id);
    // DescribeEndpoints gives the new address.
    let endpoints = c.describe_endpoints().send().await.unwrap();
    assert_eq!(
        format!("http://{}", endpoints.endpoints()[0].address()),
        server.endpoint()
    );
    // The records are still there, and the upsert rule sees them: the same
    // key with another value and no higher version is refused.
    let rejected = c
        .write_records()
        .database_name("dbb")
        .table_name("tbl")
        .records(
            Record::builder()
                .dimensions(
                    tsw::types::Dimension::builder()
                        .name("host")
                        .value("h4")
                        .build()
                        .unwrap(),
                )
                .measure_name("cpu")
                .measure_value("9")
                .measure_value_type(MeasureValueType::Double)
                .time(t.to_string())
                .version(7)
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    let rejected = rejected.into_service_error();
    assert!(rejected.is_rejected_records_exception(), "{rejected:?}");
    drop(server);
    assert_eq!(records(&d.data), stored);
}

#[tokio::test]
async fn a_task_running_at_shutdown_is_finished_by_the_next_run() {
    let d = dirs();
    let t = now_ms();
    for (i, host) in ["h1", "h2", "h3"].iter().enumerate() {
        put(&d.s3, &format!("slow/{i}.csv"), csv(&[(host, t, "1")])).await;
    }
    let slow = Faults {
        step_delay: Duration::from_millis(400),
        ..Faults::default()
    };
    let (server, c) = start_with(config(&d, slow));
    database(&c, "dbb").await;
    crate::common::table(&c, "dbb", "tbl", false).await;
    let id = create(&c, "slow/")
        .send()
        .await
        .unwrap()
        .task_id()
        .to_owned();
    // Wait until the first file is done, then stop the emulator.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let got = c
            .describe_batch_load_task()
            .task_id(&id)
            .send()
            .await
            .unwrap();
        let got = got.batch_load_task_description().unwrap();
        if got.progress_report().unwrap().records_ingested() >= 1 {
            assert_eq!(got.task_status(), Some(&BatchLoadStatus::InProgress));
            break;
        }
        assert!(Instant::now() < deadline, "the task never started");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    drop(server);

    let (status, files_done): (String, i64) = Store::open(Some(&d.data))
        .unwrap()
        .read(|c| {
            c.query_row(
                "SELECT task_status, files_done FROM batch_load_tasks WHERE task_id = ?1",
                [&id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        })
        .unwrap();
    assert_eq!(status, "IN_PROGRESS");
    assert!((1..=3).contains(&files_done), "{files_done}");
    // As if the emulator had died within the next file: the live counters
    // are ahead of the last file boundary. The next run starts from the
    // boundary, so nothing is counted twice.
    Store::open(Some(&d.data))
        .unwrap()
        .read(|c| {
            c.execute(
                "UPDATE batch_load_tasks SET progress_report =
                     json_set(progress_report, '$.RecordsProcessed', 1000, '$.RecordsIngested', 1000)
                 WHERE task_id = ?1",
                [&id],
            )
        })
        .unwrap();

    let (_server, c) = start_with(config(&d, Faults::default()));
    let done = wait(
        &c,
        &id,
        &[BatchLoadStatus::Succeeded, BatchLoadStatus::Failed],
    )
    .await;
    assert_eq!(
        done.task_status(),
        Some(&BatchLoadStatus::Succeeded),
        "{done:?}"
    );
    let p = done.progress_report().unwrap();
    assert_eq!(
        (
            p.records_processed(),
            p.records_ingested(),
            p.record_ingestion_failures()
        ),
        (3, 3, 0)
    );
    let hosts: Vec<String> = records(&d.data).into_iter().map(|r| r.0).collect();
    assert_eq!(hosts, ["h1", "h2", "h3"]);
}

#[tokio::test]
async fn a_shutdown_does_not_wait_for_a_paused_task() {
    let d = dirs();
    put(&d.s3, "wait/a.csv", csv(&[("h1", now_ms(), "1")])).await;
    let stuck = Faults {
        step_delay: Duration::from_mins(1),
        ..Faults::default()
    };
    let (server, c) = start_with(config(&d, stuck));
    database(&c, "dbb").await;
    crate::common::table(&c, "dbb", "tbl", false).await;
    let id = create(&c, "wait/")
        .send()
        .await
        .unwrap()
        .task_id()
        .to_owned();
    let stopping = Instant::now();
    drop(server);
    // The minute-long pause is cut short.
    assert!(
        stopping.elapsed() < Duration::from_secs(5),
        "{:?}",
        stopping.elapsed()
    );
    // The task never started; the next run starts it.
    let (_server, c) = start_with(config(&d, Faults::default()));
    let done = wait(
        &c,
        &id,
        &[BatchLoadStatus::Succeeded, BatchLoadStatus::Failed],
    )
    .await;
    assert_eq!(
        done.task_status(),
        Some(&BatchLoadStatus::Succeeded),
        "{done:?}"
    );
    assert_eq!(done.progress_report().unwrap().records_ingested(), 1);
}
