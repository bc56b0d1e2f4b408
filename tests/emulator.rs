//! `tsload emulate` as users run it: a child process on a free port with an
//! S3 directory, driven through the AWS SDK for Rust (discovery off,
//! `endpoint_url`), stopped with SIGINT or SIGTERM, started again on the
//! same `--data-dir`; and its usage errors.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use aws_sdk_timestreamwrite as tsw;
use tsw::types::{
    BatchLoadStatus, DataModel, DataModelConfiguration, DataSourceConfiguration,
    DataSourceS3Configuration, DimensionMapping, MagneticStoreWriteProperties,
    MultiMeasureAttributeMapping, MultiMeasureMappings, ReportConfiguration, ReportS3Configuration,
    ScalarMeasureValueType, TimeUnit,
};

use crate::util::{root, run, tsload};

/// The fixture tree served as S3: `<bucket>/<key>`.
const REHEARSAL: &str = "fixtures/emulator/rehearsal";
const INPUT_BUCKET: &str = "tsload-rehearsal-input";
const REPORT_BUCKET: &str = "tsload-rehearsal-reports";

/// A running `tsload emulate`; killed if a test fails before stopping it.
struct Emulate {
    child: Child,
    stderr: PathBuf,
    timestream: String,
    s3: Option<String>,
}

impl Emulate {
    /// Starts `tsload emulate --port 0 ARGS` and reads the addresses it
    /// prints on stdout (`s3 URL` with `--serve-s3`, then `timestream URL`).
    fn start(args: &[&str], stderr: PathBuf) -> Self {
        let mut cmd = tsload(&["emulate", "--port", "0"]);
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap());
        let mut child = cmd.spawn().expect("tsload emulate starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let mut s3 = None;
        let timestream = loop {
            let Ok(line) = rx.recv_timeout(Duration::from_mins(1)) else {
                let _ = child.kill();
                panic!(
                    "no address on stdout; stderr:\n{}",
                    std::fs::read_to_string(&stderr).unwrap_or_default()
                );
            };
            match line.split_once(' ') {
                Some(("s3", url)) => s3 = Some(url.to_owned()),
                Some(("timestream", url)) => break url.to_owned(),
                _ => panic!("unexpected stdout line {line:?}"),
            }
        };
        Self {
            child,
            stderr,
            timestream,
            s3,
        }
    }

    /// Sends `signal` (`INT`, `TERM`) with kill(1) and waits for the exit.
    fn stop(mut self, signal: &str) -> (ExitStatus, String) {
        let sent = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "tsload emulate did not stop");
            std::thread::sleep(Duration::from_millis(20));
        };
        (status, std::fs::read_to_string(&self.stderr).unwrap())
    }
}

impl Drop for Emulate {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A client as the README builds one: `endpoint_url`, no endpoint
/// discovery, any credentials.
fn client(endpoint: &str) -> tsw::Client {
    let config = tsw::Config::builder()
        .behavior_version(tsw::config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(tsw::config::Region::new("us-east-1"))
        .credentials_provider(tsw::config::Credentials::new(
            "AKIDEXAMPLE",
            "any-secret",
            None,
            None,
            "tests",
        ))
        .build();
    tsw::Client::from_conf(config)
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The request of `fixtures/emulator/rehearsal/task.json`, through the
/// SDK's builders.
fn create_task(
    c: &tsw::Client,
) -> tsw::operation::create_batch_load_task::builders::CreateBatchLoadTaskFluentBuilder {
    let attr = |source: &str, target: Option<&str>, ty: ScalarMeasureValueType| {
        MultiMeasureAttributeMapping::builder()
            .source_column(source)
            .set_target_multi_measure_attribute_name(target.map(str::to_owned))
            .measure_value_type(ty)
            .build()
            .unwrap()
    };
    let model = DataModel::builder()
        .time_column("time")
        .time_unit(TimeUnit::Milliseconds)
        .dimension_mappings(DimensionMapping::builder().source_column("region").build())
        .dimension_mappings(
            DimensionMapping::builder()
                .source_column("hostname")
                .build(),
        )
        .multi_measure_mappings(
            MultiMeasureMappings::builder()
                .target_multi_measure_name("host_metrics")
                .multi_measure_attribute_mappings(attr(
                    "cpu",
                    Some("cpu_utilization"),
                    ScalarMeasureValueType::Double,
                ))
                .multi_measure_attribute_mappings(attr(
                    "mem",
                    Some("memory_utilization"),
                    ScalarMeasureValueType::Double,
                ))
                .multi_measure_attribute_mappings(attr(
                    "requests",
                    None,
                    ScalarMeasureValueType::Bigint,
                ))
                .multi_measure_attribute_mappings(attr(
                    "healthy",
                    None,
                    ScalarMeasureValueType::Boolean,
                ))
                .multi_measure_attribute_mappings(attr(
                    "status",
                    None,
                    ScalarMeasureValueType::Varchar,
                ))
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    c.create_batch_load_task()
        .target_database_name("rehearsal")
        .target_table_name("hosts")
        .data_model_configuration(DataModelConfiguration::builder().data_model(model).build())
        .data_source_configuration(
            DataSourceConfiguration::builder()
                .data_source_s3_configuration(
                    DataSourceS3Configuration::builder()
                        .bucket_name(INPUT_BUCKET)
                        .object_key_prefix("hosts/")
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
                        .bucket_name(REPORT_BUCKET)
                        .object_key_prefix("hosts")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
}

async fn wait_done(c: &tsw::Client, id: &str) -> tsw::types::BatchLoadTaskDescription {
    let deadline = Instant::now() + Duration::from_mins(1);
    loop {
        let d = c
            .describe_batch_load_task()
            .task_id(id)
            .send()
            .await
            .unwrap();
        let d = d.batch_load_task_description().unwrap().clone();
        if let Some(BatchLoadStatus::Succeeded | BatchLoadStatus::Failed) = d.task_status() {
            return d;
        }
        assert!(Instant::now() < deadline, "task {id} did not finish: {d:?}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The task JSON of the README's rehearsal is a valid request.
#[test]
fn the_rehearsal_task_checks_clean() {
    let (code, block) = run(&["check", &format!("{REHEARSAL}/task.json")]);
    assert_eq!(code, 0, "{block}");
}

#[cfg(unix)]
#[test]
fn a_batch_load_through_the_binary_survives_a_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let s3_dir = tmp.path().join("s3");
    copy_tree(&root().join(REHEARSAL).join("s3"), &s3_dir);
    std::fs::create_dir(s3_dir.join(REPORT_BUCKET)).unwrap();
    let data = tmp.path().join("data");
    let args = [
        "--serve-s3",
        s3_dir.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
    ];
    let rt = tokio::runtime::Runtime::new().unwrap();

    let emu = Emulate::start(&args, tmp.path().join("stderr-1.txt"));
    assert!(
        emu.timestream.starts_with("http://127.0.0.1:"),
        "{}",
        emu.timestream
    );
    let s3_url = emu.s3.clone().expect("an s3 line with --serve-s3");
    assert_ne!(s3_url, emu.timestream);
    let c = client(&emu.timestream);
    let id = rt.block_on(async {
        // The fixtures are from May 2024: the table takes them into its
        // magnetic store.
        c.create_database()
            .database_name("rehearsal")
            .send()
            .await
            .unwrap();
        c.create_table()
            .database_name("rehearsal")
            .table_name("hosts")
            .magnetic_store_write_properties(
                MagneticStoreWriteProperties::builder()
                    .enable_magnetic_store_writes(true)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        // A third object, uploaded through the served S3.
        let part = std::fs::read(s3_dir.join(INPUT_BUCKET).join("hosts/part-1.csv")).unwrap();
        let shifted = String::from_utf8(part)
            .unwrap()
            .replace("17150000", "17150100");
        let s3 = tsload_emulator::s3::client(&s3_url);
        s3.put_object()
            .bucket(INPUT_BUCKET)
            .key("hosts/part-3.csv")
            .body(shifted.clone().into_bytes().into())
            .send()
            .await
            .unwrap();
        // A mistyped bucket is NoSuchBucket, as on AWS, and no directory
        // appears for it.
        let err = s3
            .put_object()
            .bucket("no-report-bucket")
            .key("hosts/part-3.csv")
            .body(shifted.into_bytes().into())
            .send()
            .await
            .unwrap_err();
        use aws_sdk_s3::error::ProvideErrorMetadata as _;
        assert_eq!(err.code(), Some("NoSuchBucket"), "{err:?}");
        assert!(!s3_dir.join("no-report-bucket").exists());
        let id = create_task(&c).send().await.unwrap().task_id().to_owned();
        let d = wait_done(&c, &id).await;
        assert_eq!(d.task_status(), Some(&BatchLoadStatus::Succeeded), "{d:?}");
        let p = d.progress_report().unwrap();
        assert_eq!((p.records_processed(), p.records_ingested()), (36, 36));
        id
    });
    // One emulator per data directory.
    let (code, block) = run(&[
        "emulate",
        "--port",
        "0",
        "--data-dir",
        data.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{block}");
    assert!(
        block.contains("is in use by another tsload emulate"),
        "{block}"
    );
    let (status, stderr) = emu.stop("INT");
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("note: shutting down"), "{stderr}");
    assert!(stderr.contains("signatures are not checked"), "{stderr}");

    // Offline, from the SQLite file.
    let store = tsload_emulator::store::Store::open(Some(&data)).unwrap();
    let (n, hosts): (i64, i64) = store
        .read(|c| {
            c.query_row(
                "SELECT count(*), count(DISTINCT json_extract(dimensions, '$.hostname'))
                 FROM records_readable WHERE database_name = 'rehearsal' AND table_name = 'hosts'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        })
        .unwrap();
    assert_eq!((n, hosts), (36, 4));
    drop(store);

    // Started again on the same directory: the task, its table and its
    // records are all there; SIGTERM stops it as cleanly.
    let emu = Emulate::start(&args, tmp.path().join("stderr-2.txt"));
    let c = client(&emu.timestream);
    rt.block_on(async {
        let listed = c.list_batch_load_tasks().send().await.unwrap();
        let ids: Vec<&str> = listed
            .batch_load_tasks()
            .iter()
            .filter_map(|t| t.task_id())
            .collect();
        assert_eq!(ids, [id.as_str()]);
        let d = wait_done(&c, &id).await;
        assert_eq!(d.progress_report().unwrap().records_ingested(), 36);
        let table = c
            .describe_table()
            .database_name("rehearsal")
            .table_name("hosts")
            .send()
            .await
            .unwrap();
        let magnetic = table
            .table()
            .unwrap()
            .magnetic_store_write_properties()
            .unwrap();
        assert!(magnetic.enable_magnetic_store_writes());
    });
    let (status, stderr) = emu.stop("TERM");
    assert_eq!(status.code(), Some(0), "{stderr}");
}

#[test]
fn a_port_in_use_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let (code, block) = run(&["emulate", "--port", &port]);
    assert_eq!(code, 2, "{block}");
    assert!(
        block.contains(&format!("error: cannot listen on 127.0.0.1:{port}: ")),
        "{block}"
    );
    assert!(block.contains("0 picks a free one"), "{block}");
    // Nothing on stdout: scripts never see an address that does not work.
    assert!(
        block.contains("----- stdout -----\n----- stderr -----"),
        "{block}"
    );
}

#[test]
fn bad_flags_exit_2_with_a_clear_message() {
    let cases: &[(&str, &[&str])] = &[
        ("port_out_of_range", &["emulate", "--port", "70000"]),
        ("share_above_1", &["emulate", "--fault-throttle", "2"]),
        ("share_not_a_number", &["emulate", "--fault-error", "often"]),
        (
            "s3_endpoint_without_scheme",
            &["emulate", "--s3-endpoint", "localhost:9000"],
        ),
        (
            "s3_port_without_serve_s3",
            &["emulate", "--s3-port", "9000"],
        ),
        (
            "serve_s3_missing_dir",
            &[
                "emulate",
                "--port",
                "0",
                "--serve-s3",
                "fixtures/emulator/no-such-dir",
            ],
        ),
        (
            "data_dir_is_a_file",
            &[
                "emulate",
                "--port",
                "0",
                "--data-dir",
                "fixtures/emulator/rehearsal/task.json",
            ],
        ),
    ];
    for (name, args) in cases {
        let (code, block) = run(args);
        assert_eq!(code, 2, "{name}: {block}");
        insta::assert_snapshot!(*name, block);
    }
}

/// The fault flags reach the endpoint: every call but DescribeEndpoints is
/// answered with a 500 InternalServerException.
#[cfg(unix)]
#[test]
fn fault_flags_reach_the_endpoint() {
    let tmp = tempfile::tempdir().unwrap();
    let emu = Emulate::start(
        &["--fault-error", "1", "--fault-seed", "3"],
        tmp.path().join("stderr.txt"),
    );
    let base = client(&emu.timestream);
    let c = tsw::Client::from_conf(
        base.config()
            .to_builder()
            .retry_config(tsw::config::retry::RetryConfig::disabled())
            .build(),
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let err = c.list_databases().send().await.unwrap_err();
        assert_eq!(err.raw_response().unwrap().status().as_u16(), 500);
        assert!(err.into_service_error().is_internal_server_exception());
        let endpoints = c.describe_endpoints().send().await.unwrap();
        assert_eq!(
            format!("http://{}", endpoints.endpoints()[0].address()),
            emu.timestream
        );
    });
    let (status, stderr) = emu.stop("INT");
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("store: in memory"), "{stderr}");
}
