//! `tsload submit`, `wait`, `status`, `list`, `resume` and `explain` end to
//! end: the binary against the emulator (tsload-emulator) and an S3 server,
//! both started by the test on loopback. Small files, fast polling.

#![expect(
    clippy::many_single_char_names,
    reason = "short names for the many short-lived values of end-to-end tests"
)]

use std::fmt::Write as _;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use tsload_emulator::s3::S3Server;
use tsload_emulator::{Config, Faults, S3Source, Server};

use crate::util::{block, tsload};

const TASK: &str = "fixtures/submit/task.json";
const BUCKET: &str = "tsload-input";
const PREFIX: &str = "loads/hosts/";

struct Env {
    dir: tempfile::TempDir,
    _s3: S3Server,
    server: Server,
    s3_endpoint: String,
}

impl Env {
    fn start(faults: Faults) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("s3")).unwrap();
        std::fs::create_dir_all(dir.path().join("data")).unwrap();
        let s3 = S3Server::start(dir.path().join("s3")).unwrap();
        s3.create_bucket(BUCKET).unwrap();
        s3.create_bucket("tsload-reports").unwrap();
        let server = Server::start(Config {
            s3: S3Source::Endpoint(s3.endpoint().to_owned()),
            faults,
            ..Config::default()
        })
        .unwrap();
        Self {
            s3_endpoint: s3.endpoint().to_owned(),
            dir,
            _s3: s3,
            server,
        }
    }

    /// `tsload ARGS` against this environment.
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = tsload(args);
        c.arg("--endpoint-url")
            .arg(self.server.endpoint())
            .env("AWS_ENDPOINT_URL_S3", &self.s3_endpoint)
            .env("AWS_ACCESS_KEY_ID", "AKIDSUBMITTEST")
            .env("AWS_SECRET_ACCESS_KEY", "submit-test-secret")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_SESSION_TOKEN");
        c
    }

    /// `tsload submit TASK INPUTS... --yes --poll-interval 0.2 EXTRA...`.
    fn submit(&self, inputs: &[&Path], extra: &[&str]) -> (i32, String, Option<Value>) {
        let mut args: Vec<String> = vec!["submit".into(), TASK.into()];
        args.extend(inputs.iter().map(|p| p.display().to_string()));
        args.extend(
            [
                "--yes",
                "--poll-interval",
                "0.2",
                "--create-table",
                "--magnetic-writes",
            ]
            .iter()
            .map(|s| (*s).to_owned()),
        );
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = self.cmd(&refs).output().unwrap();
        let json = serde_json::from_slice(&out.stdout).ok();
        (out.status.code().unwrap_or(-1), block(&out), json)
    }

    fn data(&self, name: &str) -> PathBuf {
        self.dir.path().join("data").join(name)
    }

    fn write(&self, name: &str, rows: &[(&str, i64, &str, &str)]) -> PathBuf {
        let mut s = String::from("host,time,cpu,mem\n");
        for (h, t, c, m) in rows {
            let _ = writeln!(s, "{h},{t},{c},{m}");
        }
        let p = self.data(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, s).unwrap();
        p
    }

    /// Keys under the input bucket (the S3 server keeps objects as files).
    fn objects(&self) -> Vec<String> {
        let root = self.dir.path().join("s3").join(BUCKET);
        let mut out = Vec::new();
        walk(&root, &root, &mut out);
        out.sort();
        out
    }

    fn sql_count(&self, sql: &str) -> i64 {
        self.server
            .emulator()
            .store()
            .read(|c| c.query_row(sql, [], |r| r.get(0)))
            .unwrap()
    }

    fn tasks(&self) -> i64 {
        self.sql_count("SELECT count(*) FROM batch_load_tasks")
    }

    fn records(&self) -> i64 {
        self.sql_count("SELECT count(*) FROM records")
    }
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with('.') || name.contains(".s3s") {
            continue; // the S3 server's own bookkeeping
        }
        if p.is_dir() {
            walk(root, &p, out);
        } else {
            out.push(p.strip_prefix(root).unwrap().display().to_string());
        }
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn seeded() -> Faults {
    Faults {
        seed: Some(7),
        ..Faults::default()
    }
}

#[test]
fn submit_uploads_creates_polls_and_succeeds() {
    let env = Env::start(seeded());
    let t = now_ms();
    let a = env.write("a.csv", &[("h1", t, "1.5", "10"), ("h2", t, "2.5", "20")]);
    let b = env.write("sub/b.csv", &[("h3", t - 1000, "3", "30")]);
    let (code, out, json) = env.submit(&[&a, &b], &["--format", "json"]);
    assert_eq!(code, 0, "{out}");
    let v = json.unwrap();
    assert_eq!(v["command"], "submit");
    assert_eq!(v["ok"], true);
    let task = &v["tasks"][0];
    assert_eq!(task["TaskStatus"], "SUCCEEDED", "{out}");
    assert_eq!(task["ProgressReport"]["RecordsIngested"], 3);
    assert_eq!(task["prefix"], PREFIX);
    assert!(
        task["ClientToken"]
            .as_str()
            .unwrap()
            .starts_with("tsload1-")
    );
    let uploads: Vec<&str> = v["uploads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["key"].as_str().unwrap())
        .collect();
    assert_eq!(uploads, ["loads/hosts/a.csv", "loads/hosts/sub/b.csv"]);
    assert_eq!(
        env.objects(),
        ["loads/hosts/a.csv", "loads/hosts/sub/b.csv"]
    );
    assert_eq!(env.records(), 3);
    assert!(out.contains("created database `tsload_e2e`"), "{out}");
    assert!(out.contains("Pre-flight validation:"), "{out}");
    let id = task["TaskId"].as_str().unwrap().to_owned();

    // status: the service's describe shape, readable as a task again.
    let o = env
        .cmd(&["status", &id, "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", block(&o));
    let d: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(d["BatchLoadTaskDescription"]["TaskStatus"], "SUCCEEDED");
    let described = env.dir.path().join("described.json");
    std::fs::write(&described, &o.stdout).unwrap();
    let o = tsload(&["check", described.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", block(&o));
    let o = env.cmd(&["status", &id]).output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains(&format!("task {id}: SUCCEEDED")), "{text}");
    assert!(text.contains("RecordsIngested"), "{text}");

    // list: all pages, filtered by status.
    let o = env
        .cmd(&["list", "--status", "SUCCEEDED", "--format", "json"])
        .output()
        .unwrap();
    let l: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(l["BatchLoadTasks"][0]["TaskId"], id.as_str());
    // The service's shape: its member order, no `null` for what it omits.
    let raw = String::from_utf8_lossy(&o.stdout);
    assert!(
        raw.starts_with("{\n  \"BatchLoadTasks\": [\n    {\n      \"TaskId\": "),
        "{raw}"
    );
    assert!(!raw.contains("null"), "{raw}");
    let o = env.cmd(&["list", "--status", "failed"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout), "no batch load tasks\n");

    // wait on a finished task returns at once; resume refuses.
    let o = env.cmd(&["wait", &id]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", block(&o));
    let o = env.cmd(&["resume", &id]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("is SUCCEEDED, not PROGRESS_STOPPED"),
        "{}",
        block(&o)
    );

    // A rerun uploads nothing and attaches to the same task.
    let (code, out, json) = env.submit(&[&a, &b], &["--format", "json"]);
    assert_eq!(code, 0, "{out}");
    let v = json.unwrap();
    assert_eq!(v["tasks"][0]["TaskId"], id.as_str());
    assert!(
        v["uploads"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["action"] == "skipped")
    );
    assert_eq!(v["tasks"][0]["created_before_this_run"], false, "{v}");
    assert_eq!(env.tasks(), 1);

    // A rerun long after (the task's clock moved back an hour) says that
    // it follows the earlier run's task and loads nothing new...
    env.server
        .emulator()
        .store()
        .read(|c| {
            c.execute(
                "UPDATE batch_load_tasks SET creation_time = creation_time - 3600",
                [],
            )
        })
        .unwrap();
    let (code, out, _) = env.submit(&[&a, &b], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!("note: task {id} was created at "))
            && out.contains("by an earlier run of this task and data (the same ClientToken)")
            && out.contains("nothing new was loaded by this run"),
        "{out}"
    );
    assert_eq!(env.tasks(), 1);
    // ... and `--new-task` creates another task for the same data.
    let (code, out, json) = env.submit(&[&a, &b], &["--format", "json", "--new-task"]);
    assert_eq!(code, 0, "{out}");
    let v = json.unwrap();
    assert_ne!(v["tasks"][0]["TaskId"], id.as_str(), "{v}");
    assert_eq!(v["tasks"][0]["created_before_this_run"], false, "{v}");
    assert_eq!(env.tasks(), 2);
}

#[test]
fn submit_failed_downloads_and_explains_the_report() {
    let env = Env::start(seeded());
    let t = now_ms();
    let old = t - 30 * 24 * 3600 * 1000; // older than the 1 h memory store
    let a = env.write(
        "a.csv",
        &[
            ("h1", t, "1", "1"),
            ("h2", t, "x", "2"),
            ("h3", t, "y", "3"),
            ("h4", old, "4", "4"),
            ("h5", t, "5", "5"),
        ],
    );
    // Refused without --force.
    let (code, out, _) = env.submit(&[&a], &["--memory-retention-hours", "1"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("nothing was uploaded or submitted"), "{out}");
    assert!(out.contains("--force"), "{out}");
    assert!(env.objects().is_empty());
    assert_eq!(env.tasks(), 0);
    let (code, _, json) = env.submit(&[&a], &["--format", "json"]);
    assert_eq!(code, 1);
    let v = json.unwrap();
    assert_eq!(v["refused"], "preflight");
    assert_eq!(v["preflight"]["ProgressReport"]["ParseFailures"], 2);
    // With --force the task runs and FAILS; the report is explained.
    let (code, out, _) = env.submit(&[&a], &["--force", "--memory-retention-hours", "1"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(": FAILED"), "{out}");
    assert!(
        out.contains("error report s3://tsload-reports/errors/"),
        "{out}"
    );
    assert!(out.contains("lines 3-4"), "{out}");
    assert!(out.contains("h2,"), "{out}");
    assert!(
        out.contains("likely cause [INF]: the local check agrees"),
        "{out}"
    );
    assert_eq!(env.tasks(), 1);
    // The same through `explain`, from the report file.
    let reports = env.dir.path().join("s3").join("tsload-reports");
    let mut found = Vec::new();
    walk(&reports, &reports, &mut found);
    let report = found
        .iter()
        .find(|k| k.ends_with("error-report.json"))
        .unwrap_or_else(|| panic!("{found:?}"));
    let report = reports.join(report);
    let o = env
        .cmd(&[
            "explain",
            report.to_str().unwrap(),
            TASK,
            a.to_str().unwrap(),
            "--format",
            "json",
            "--memory-retention-hours",
            "1",
            "--magnetic-writes",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", block(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let ranges = v["explanation"]["files"][0]["ranges"].as_array().unwrap();
    let parse = ranges
        .iter()
        .find(|r| r["lines"] == serde_json::json!([3, 4]))
        .unwrap_or_else(|| panic!("{ranges:?}"));
    assert_eq!(parse["agreement"], "agrees");
    assert_eq!(parse["rows"][0]["line"], 3);
    assert_eq!(parse["findings"][0]["value"], "x");
    assert_eq!(
        v["explanation"]["files"][0]["file_name"],
        "loads/hosts/a.csv"
    );
}

#[test]
fn a_stopped_task_is_resumed_until_it_succeeds() {
    let env = Env::start(Faults {
        stop_after_files: Some(1),
        ..seeded()
    });
    let t = now_ms();
    let a = env.write("1.csv", &[("h1", t, "1", "1")]);
    let b = env.write("2.csv", &[("h2", t, "2", "2")]);
    let (code, out, json) = env.submit(&[&a, &b], &["--format", "json"]);
    assert_eq!(code, 0, "{out}");
    let v = json.unwrap();
    assert_eq!(v["tasks"][0]["TaskStatus"], "SUCCEEDED");
    assert_eq!(v["tasks"][0]["resumes"], 1);
    assert!(out.contains("resuming it"), "{out}");
    assert_eq!(env.records(), 2);
}

#[test]
fn with_no_resume_a_stopped_task_is_left_stopped_and_resume_continues_it() {
    let env = Env::start(Faults {
        stop_after_files: Some(1),
        ..seeded()
    });
    let t = now_ms();
    let a = env.write("1.csv", &[("h1", t, "1", "1")]);
    let b = env.write("2.csv", &[("h2", t, "2", "2")]);
    let (code, out, _) = env.submit(&[&a, &b], &["--no-resume"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("left in PROGRESS_STOPPED"), "{out}");
    let id = out
        .lines()
        .find_map(|l| {
            l.strip_prefix("task ")
                .and_then(|r| r.split([':', ' ']).next())
        })
        .unwrap()
        .to_owned();
    let o = env.cmd(&["resume", &id]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", block(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains(&format!("tsload wait {id}")));
    let o = env
        .cmd(&["wait", &id, "--poll-interval", "0.2", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", block(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["tasks"][0]["TaskStatus"], "SUCCEEDED");
}

#[test]
fn a_rerun_after_a_crash_attaches_to_the_same_task() {
    let env = Env::start(Faults {
        step_delay: Duration::from_millis(400),
        ..seeded()
    });
    let t = now_ms();
    let files: Vec<PathBuf> = (0..3)
        .map(|i| env.write(&format!("{i}.csv"), &[("h", t - i, "1", "1")]))
        .collect();
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    // Start, and kill the process as soon as the task exists.
    let mut args: Vec<String> = vec!["submit".into(), TASK.into()];
    args.extend(refs.iter().map(|p| p.display().to_string()));
    args.extend(["--yes", "--create-table", "--poll-interval", "0.2"].map(String::from));
    let refs_args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut child = env
        .cmd(&refs_args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_mins(1);
    while env.tasks() == 0 {
        assert!(std::time::Instant::now() < deadline, "no task was created");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    let _ = child.wait();
    let first: String = env
        .server
        .emulator()
        .store()
        .read(|c| c.query_row("SELECT task_id FROM batch_load_tasks", [], |r| r.get(0)))
        .unwrap();
    let (code, out, json) = env.submit(&refs, &["--format", "json"]);
    assert_eq!(code, 0, "{out}");
    let v = json.unwrap();
    assert_eq!(v["tasks"][0]["TaskId"], first.as_str());
    assert_eq!(env.tasks(), 1);
    assert_eq!(env.records(), 3);
}

#[test]
fn more_than_100_files_are_split_into_several_tasks() {
    let env = Env::start(seeded());
    let t = now_ms();
    let files: Vec<PathBuf> = (0..101)
        .map(|i| env.write(&format!("many/f{i:03}.csv"), &[("h", t - i, "1", "1")]))
        .collect();
    let dir = env.data("many");
    let (code, out, json) = env.submit(&[&dir], &["--format", "json"]);
    assert_eq!(code, 0, "{out}");
    let v = json.unwrap();
    let tasks = v["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 2, "{out}");
    assert_eq!(tasks[0]["prefix"], "loads/hosts/part-001/");
    assert_eq!(tasks[1]["prefix"], "loads/hosts/part-002/");
    assert_eq!(tasks[0]["ProgressReport"]["RecordsProcessed"], 100);
    assert_eq!(tasks[1]["ProgressReport"]["RecordsProcessed"], 1);
    assert!(tasks.iter().all(|t| t["TaskStatus"] == "SUCCEEDED"));
    assert_ne!(tasks[0]["ClientToken"], tasks[1]["ClientToken"]);
    assert!(out.contains("101 files in 2 parts"), "{out}");
    assert_eq!(env.tasks(), 2);
    assert_eq!(env.records(), files.len() as i64);
    let objects = env.objects();
    assert_eq!(objects.len(), 101);
    assert_eq!(objects[100], "loads/hosts/part-002/f100.csv");
}

#[test]
fn a_foreign_object_under_the_prefix_is_refused() {
    let env = Env::start(seeded());
    let t = now_ms();
    let a = env.write("a.csv", &[("h1", t, "1", "1")]);
    let foreign = env
        .dir
        .path()
        .join("s3")
        .join(BUCKET)
        .join("loads/hosts/old.csv");
    std::fs::create_dir_all(foreign.parent().unwrap()).unwrap();
    std::fs::write(&foreign, format!("host,time,cpu,mem\nh9,{t},9,9\n")).unwrap();
    let (code, out, _) = env.submit(&[&a], &[]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("`loads/hosts/old.csv`"), "{out}");
    assert!(out.contains("--allow-existing"), "{out}");
    assert_eq!(env.objects(), ["loads/hosts/old.csv"]);
    assert_eq!(env.tasks(), 0);
    // Allowed: the service loads both.
    let (code, out, json) = env.submit(&[&a], &["--allow-existing", "--format", "json"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        json.unwrap()["tasks"][0]["ProgressReport"]["RecordsIngested"],
        2
    );
}

#[test]
fn without_inputs_the_objects_under_the_prefix_are_loaded() {
    let env = Env::start(seeded());
    let t = now_ms();
    let key = env
        .dir
        .path()
        .join("s3")
        .join(BUCKET)
        .join("loads/hosts/x.csv");
    std::fs::create_dir_all(key.parent().unwrap()).unwrap();
    std::fs::write(&key, format!("host,time,cpu,mem\nh1,{t},1,1\nh2,{t},2,2\n")).unwrap();
    let (code, out, json) = env.submit(&[], &["--format", "json"]);
    assert_eq!(code, 0, "{out}");
    let v = json.unwrap();
    assert_eq!(v["tasks"][0]["ProgressReport"]["RecordsIngested"], 2);
    assert!(v["uploads"].as_array().unwrap().is_empty());
}

#[test]
fn confirmation_needs_a_terminal_or_yes_and_no_wait_returns_after_creating() {
    let env = Env::start(seeded());
    let t = now_ms();
    let a = env.write("a.csv", &[("h1", t, "1", "1")]);
    let o = env
        .cmd(&[
            "submit",
            TASK,
            a.to_str().unwrap(),
            "--create-table",
            "--confirm-above",
            "0",
        ])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", block(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("pass --yes"));
    assert_eq!(env.tasks(), 0);
    let (code, out, json) = env.submit(&[&a], &["--no-wait", "--format", "json"]);
    assert_eq!(code, 0, "{out}");
    let v = json.unwrap();
    assert_eq!(v["waited"], false);
    assert_eq!(env.tasks(), 1);
    let id = v["tasks"][0]["TaskId"].as_str().unwrap().to_owned();
    let o = env
        .cmd(&["wait", &id, "--poll-interval", "0.2"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", block(&o));
}

#[test]
fn verbose_shows_endpoints_but_never_credentials_and_errors_name_the_resource() {
    let env = Env::start(seeded());
    let o = env
        .cmd(&["status", "ABCDEF0123", "--verbose"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("region: us-east-1"), "{err}");
    assert!(
        err.contains(&format!(
            "timestream endpoint: {} (endpoint discovery off)",
            env.server.endpoint()
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("s3 endpoint: {}", env.s3_endpoint)),
        "{err}"
    );
    assert!(!err.contains("submit-test-secret"), "{err}");
    assert!(!err.contains("AKIDSUBMITTEST"), "{err}");
    assert!(
        err.contains("DescribeBatchLoadTask: not found: task `ABCDEF0123`"),
        "{err}"
    );
    // A missing table without --create-table.
    let t = now_ms();
    let mut s = String::from("host,time,cpu,mem\n");
    let _ = writeln!(s, "h,{t},1,1");
    let p = env.data("a.csv");
    std::fs::write(&p, s).unwrap();
    let o = env
        .cmd(&["submit", TASK, p.to_str().unwrap(), "--yes"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("table `tsload_e2e`.`host_metrics`"), "{err}");
    assert!(err.contains("--create-table"), "{err}");
}

/// Multipart uploads verify every part's checksum, and a rerun skips what
/// is already there.
#[test]
fn multipart_upload_and_resume_through_the_runner() {
    use tsload_runner::submit::upload::{
        LocalObject, NoUploadProgress, UploadOptions, Uploaded, sha256_file, upload_all,
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("s3/bucket-b")).unwrap();
    let s3 = S3Server::start(dir.path().join("s3")).unwrap();
    let big = dir.path().join("big.csv");
    let mut body = Vec::with_capacity(11 << 20);
    let mut i = 0u64;
    while body.len() < (11 << 20) {
        body.extend_from_slice(format!("h{i},{i},1\n").as_bytes());
        i += 1;
    }
    std::fs::write(&big, &body).unwrap();
    let small = dir.path().join("small.csv");
    std::fs::write(&small, b"a,b\n1,2\n").unwrap();
    let obj = |p: &Path, key: &str| LocalObject {
        path: p.to_path_buf(),
        key: key.into(),
        size: std::fs::metadata(p).unwrap().len(),
        sha256: sha256_file(p).unwrap(),
        piece: None,
    };
    let objects = vec![obj(&big, "p/big.csv"), obj(&small, "p/small.csv")];
    let options = UploadOptions {
        multipart_threshold: 5 << 20,
        part_size: 5 << 20,
        concurrency: 2,
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = s3.client();
    let done = rt
        .block_on(upload_all(
            &client,
            "bucket-b",
            &objects,
            &options,
            &NoUploadProgress,
        ))
        .unwrap();
    assert_eq!(done, [Uploaded::Multipart(3), Uploaded::Put]);
    assert_eq!(
        std::fs::read(dir.path().join("s3/bucket-b/p/big.csv")).unwrap(),
        body
    );
    let again = rt
        .block_on(upload_all(
            &client,
            "bucket-b",
            &objects,
            &options,
            &NoUploadProgress,
        ))
        .unwrap();
    assert_eq!(again, [Uploaded::Skipped, Uploaded::Skipped]);
    // A changed file is sent again.
    std::fs::write(&small, b"a,b\n3,4\n").unwrap();
    let objects = vec![obj(&small, "p/small.csv")];
    let third = rt
        .block_on(upload_all(
            &client,
            "bucket-b",
            &objects,
            &options,
            &NoUploadProgress,
        ))
        .unwrap();
    assert_eq!(third, [Uploaded::Put]);
}

/// `tsload explain` on a fixed report and file: rows, local findings and
/// the likely cause per range, for people and as JSON.
#[test]
fn explain_maps_ranges_to_rows_and_causes() {
    let args = [
        "explain",
        "fixtures/submit/explain/report.json",
        TASK,
        "fixtures/submit/explain/data.csv",
        "--now",
        "2024-05-01T00:10:00Z",
        "--memory-retention-hours",
        "24",
    ];
    let (code, out) = crate::util::run(&args);
    assert_eq!(code, 0, "{out}");
    insta::assert_snapshot!("explain-human", out);
    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let o = tsload(&json_args).output().unwrap();
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    insta::assert_json_snapshot!("explain-json", v);
}

/// Runs `tsload submit TASK INPUTS --yes --poll-interval 0.2 EXTRA`, and
/// once the emulator holds `tasks` tasks (the loop is then polling, with
/// its handler on) sends it `signal` (`-INT`, `-TERM`) with `kill`.
#[cfg(unix)]
fn submit_then_signal(
    env: &Env,
    inputs: &[PathBuf],
    extra: &[&str],
    tasks: i64,
    signal: &str,
) -> std::process::Output {
    let mut args: Vec<String> = vec!["submit".into(), TASK.into()];
    args.extend(inputs.iter().map(|p| p.display().to_string()));
    args.extend(["--yes", "--poll-interval", "0.2"].map(String::from));
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut child = env
        .cmd(&refs)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_mins(1);
    while env.tasks() < tasks {
        assert!(
            child.try_wait().unwrap().is_none(),
            "ended early: {}",
            block(&child.wait_with_output().unwrap())
        );
        assert!(std::time::Instant::now() < deadline, "no task was created");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Past CreateBatchLoadTask the loop is polling, with the handler on.
    std::thread::sleep(Duration::from_millis(300));
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    child.wait_with_output().unwrap()
}

/// Ctrl-C while polling detaches without cancelling and prints the command
/// that re-attaches; `wait` then follows the task to its end.
#[cfg(unix)]
#[test]
fn ctrl_c_detaches_and_prints_the_reattach_command() {
    let env = Env::start(Faults {
        step_delay: Duration::from_millis(500),
        ..seeded()
    });
    let t = now_ms();
    let files: Vec<PathBuf> = (0..3)
        .map(|i| env.write(&format!("{i}.csv"), &[("h", t - i, "1", "1")]))
        .collect();
    let out = submit_then_signal(&env, &files, &["--create-table"], 1, "-INT");
    let text = block(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    let id: String = env
        .server
        .emulator()
        .store()
        .read(|c| c.query_row("SELECT task_id FROM batch_load_tasks", [], |r| r.get(0)))
        .unwrap();
    assert!(
        text.contains(&format!(
            "detached; the task(s) go on. Re-attach with: tsload wait {id}"
        )),
        "{text}"
    );
    let o = env
        .cmd(&["wait", &id, "--poll-interval", "0.2"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", block(&o));
    assert_eq!(env.records(), 3);

    // SIGTERM (a CI job's timeout) detaches too; with `--format json`,
    // stdout says so and names the task.
    // The same prefix again, with one more file: another task.
    let more = env.write("3.csv", &[("h", t - 9, "1", "1")]);
    let inputs: Vec<PathBuf> = files.iter().chain([&more]).cloned().collect();
    let out = submit_then_signal(&env, &inputs, &["--format", "json"], 2, "-TERM");
    assert_eq!(out.status.code(), Some(2), "{}", block(&out));
    let v: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", block(&out)));
    assert_eq!(
        (&v["detached"], &v["ok"]),
        (&true.into(), &false.into()),
        "{v}"
    );
    let second = v["tasks"][0]["TaskId"].as_str().unwrap();
    assert_ne!(second, id);
    assert!(
        v["reattach"]
            .as_str()
            .unwrap()
            .starts_with(&format!("tsload wait {second} --endpoint-url ")),
        "{v}"
    );
}

/// Throttling and server errors on a share of the calls are retried (the
/// SDK's retries, then the loop's backoff) and the load still succeeds.
#[test]
fn throttling_and_server_errors_are_retried() {
    let env = Env::start(Faults {
        throttle_rate: 0.15,
        error_rate: 0.1,
        ..seeded()
    });
    let t = now_ms();
    let a = env.write("a.csv", &[("h1", t, "1", "1"), ("h2", t, "2", "2")]);
    let (code, out, json) = env.submit(&[&a], &["--format", "json"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(json.unwrap()["tasks"][0]["TaskStatus"], "SUCCEEDED");
    assert_eq!(env.tasks(), 1);
}

/// `wait` explains a failed task's report against the objects under its
/// prefix, with the data model of its own description.
#[test]
fn wait_explains_a_failed_task_from_its_description() {
    let env = Env::start(seeded());
    let t = now_ms();
    let a = env.write("a.csv", &[("h1", t, "1", "1"), ("h2", t, "bad", "2")]);
    let (code, out, json) = env.submit(&[&a], &["--force", "--no-wait", "--format", "json"]);
    assert_eq!(code, 0, "{out}");
    let json = json.unwrap();
    assert_eq!(json["ok"], true, "{json}");
    let id = json["tasks"][0]["TaskId"].as_str().unwrap().to_owned();
    let o = env
        .cmd(&["wait", &id, "--poll-interval", "0.2", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", block(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let task = &v["tasks"][0];
    assert_eq!(task["TaskStatus"], "FAILED");
    let file = &task["reports"][0]["explanation"]["files"][0];
    assert_eq!(file["input"], "s3://tsload-input/loads/hosts/a.csv");
    assert_eq!(file["ranges"][0]["lines"], serde_json::json!([3, 3]));
    assert_eq!(file["ranges"][0]["agreement"], "agrees");
    assert_eq!(
        file["ranges"][0]["rows"][0]["text"],
        format!("h2,{t},bad,2")
    );
    assert_eq!(task["reports"][0]["warnings"], serde_json::json!([]));

    // A report entry that cannot be explained as written is named, by
    // `wait` (and `submit`) as by `explain`, not dropped.
    let url = task["reports"][0]["url"].as_str().unwrap();
    let path = env
        .dir
        .path()
        .join("s3")
        .join(url.strip_prefix("s3://").unwrap());
    let mut report: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    report["fileErrors"][0]["errors"][0]["lineRanges"] = serde_json::json!([[3, 3], [-1, 0]]);
    std::fs::write(&path, serde_json::to_vec(&report).unwrap()).unwrap();
    // The S3 server's records of checksums (by object, in files named by
    // encoded keys) go with it.
    let root = env.dir.path().join("s3");
    for e in std::fs::read_dir(&root).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".internal.json") || name.ends_with(".metadata.json") {
            std::fs::remove_file(root.join(name)).unwrap();
        }
    }
    let o = env
        .cmd(&["wait", &id, "--format", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let warnings = &v["tasks"][0]["reports"][0]["warnings"];
    assert_eq!(warnings[0]["range"], "[-1,0]", "{v}");
    let o = env.cmd(&["wait", &id]).output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("warning: `fileErrors[0]`"), "{text}");
}

/// `list` reads every page.
#[test]
fn list_reads_every_page() {
    let env = Env::start(seeded());
    let t = now_ms();
    for i in 0..3 {
        let a = env.write(&format!("{i}.csv"), &[("h", t - i, "1", "1")]);
        let (code, out, _) = env.submit(&[&a], &["--no-wait", "--allow-existing"]);
        assert_eq!(code, 0, "{out}");
        // The answer does not tell a new task from a repeat's: both said.
        assert!(
            out.contains("(created now, or earlier with the same ClientToken)"),
            "{out}"
        );
    }
    assert_eq!(env.tasks(), 3);
    let o = env
        .cmd(&["list", "--page-size", "1", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", block(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["BatchLoadTasks"].as_array().unwrap().len(), 3);
    let o = env.cmd(&["list", "--page-size", "0"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
}

/// A file over `--split-above` is uploaded as pieces cut at record
/// boundaries; a failure in a piece is explained in the file's own lines.
#[test]
fn large_files_are_uploaded_as_pieces_and_explained_in_their_own_lines() {
    let env = Env::start(seeded());
    let t = now_ms();
    let big = env.write(
        "big.csv",
        &[
            ("h1", t, "1", "1"),
            ("h2", t, "2", "2"),
            ("h3", t, "3", "3"),
            ("h4", t, "4", "4"),
            ("h5", t, "bad", "5"),
            ("h6", t, "6", "6"),
        ],
    );
    let (code, out, json) = env.submit(
        &[&big],
        &[
            "--force",
            "--split-above",
            "100",
            "--piece-size",
            "60",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("uploaded as 2 pieces"), "{out}");
    assert_eq!(
        env.objects(),
        [
            "loads/hosts/big.part-001.csv",
            "loads/hosts/big.part-002.csv"
        ]
    );
    let v = json.unwrap();
    let task = &v["tasks"][0];
    assert_eq!(task["ProgressReport"]["RecordsProcessed"], 6);
    let file = &task["reports"][0]["explanation"]["files"][0];
    assert_eq!(file["file_name"], "loads/hosts/big.part-002.csv");
    assert!(
        file["input"]
            .as_str()
            .unwrap()
            .ends_with("big.csv (piece 2 of 2, from line 5)"),
        "{file}"
    );
    let range = &file["ranges"][0];
    assert_eq!(range["lines"], serde_json::json!([6, 6]));
    assert_eq!(range["rows"][0]["line"], 6);
    assert_eq!(range["rows"][0]["text"], format!("h5,{t},bad,5"));
    assert_eq!(range["findings"][0]["line"], 6);
    assert_eq!(range["agreement"], "agrees");
}

/// The pre-flight's summary hints at `--duplicate-keys`, so `submit` takes
/// it: a table of 1 key leaves the repeat after it unnoticed and says so,
/// with the size that would track every key.
#[test]
fn submit_takes_the_duplicate_table_size_its_preflight_hints_at() {
    let env = Env::start(seeded());
    let t = now_ms();
    let a = env.write(
        "a.csv",
        &[
            ("h1", t, "1", "1"),
            ("h2", t + 1, "1", "1"),
            ("h2", t + 1, "2", "1"),
        ],
    );
    let (code, out, _) = env.submit(&[&a], &["--no-wait", "--duplicate-keys", "1"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Duplicate detection was partial"), "{out}");
    assert!(
        out.contains("hint: --duplicate-keys 3 tracks them all"),
        "{out}"
    );
    assert!(!out.contains("R050"), "{out}");
}

/// A file name that is not UTF-8 cannot be an S3 key as it is: it is
/// refused, named, before anything is uploaded (it used to go up under a
/// U+FFFD spelling that two such names could share).
#[cfg(unix)]
#[test]
fn a_file_name_that_is_not_utf8_is_refused_before_uploading() {
    use std::os::unix::ffi::OsStrExt as _;
    let env = Env::start(seeded());
    let t = now_ms();
    let a = env.write("a.csv", &[("h1", t, "1", "1")]);
    let odd = a
        .parent()
        .unwrap()
        .join(std::ffi::OsStr::from_bytes(b"caf\xe9.csv"));
    std::fs::rename(&a, &odd).unwrap();
    // Through its folder: arguments must be UTF-8, names read from a
    // folder need not.
    let (code, out, _) = env.submit(&[odd.parent().unwrap()], &[]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("caf\u{fffd}.csv`: the file name is not UTF-8, and S3 keys are"),
        "{out}"
    );
    assert!(env.objects().is_empty(), "{:?}", env.objects());
}
