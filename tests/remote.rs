//! Remote faults and secrets: an endpoint that never answers, an answer
//! lost after the service acted, and credentials that must never be
//! printed. The binary runs against the emulator and an S3 server started
//! here, behind small TCP stand-ins where a fault needs one.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use tsload_emulator::s3::S3Server;
use tsload_emulator::{Config, Faults, S3Source, Server};

use crate::util::{block, tsload};

const TASK: &str = "fixtures/submit/task.json";

/// Runs `cmd` with a time limit; the test fails if it is exceeded.
fn run_limited(mut cmd: Command, limit: Duration) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = r.read_to_end(&mut v);
            v
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("tsload hung: still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// The emulator with an S3 server for its sources and reports.
struct Env {
    dir: tempfile::TempDir,
    _s3: S3Server,
    server: Server,
    s3_endpoint: String,
}

impl Env {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("s3")).unwrap();
        let s3 = S3Server::start(dir.path().join("s3")).unwrap();
        s3.create_bucket("tsload-input").unwrap();
        s3.create_bucket("tsload-reports").unwrap();
        let server = Server::start(Config {
            s3: S3Source::Endpoint(s3.endpoint().to_owned()),
            faults: Faults {
                seed: Some(11),
                ..Faults::default()
            },
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

    fn tasks(&self) -> i64 {
        self.server
            .emulator()
            .store()
            .read(|c| c.query_row("SELECT count(*) FROM batch_load_tasks", [], |r| r.get(0)))
            .unwrap()
    }

    /// A small input file of the submit fixture's shape, with current times.
    fn data(&self, name: &str, bad_row: bool) -> PathBuf {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis();
        let mut s = format!("host,time,cpu,mem\nh1,{now},1.5,2\nh2,{now},2.5,3\n");
        if bad_row {
            writeln!(s, "h3,{now},n/a,3").unwrap();
        }
        let p = self.dir.path().join(name);
        std::fs::write(&p, s).unwrap();
        p
    }
}

/// Fake credentials that must never reach stdout or stderr.
const ACCESS_KEY: &str = "AKIAMARKERACCESS0001";
const SECRET_KEY: &str = "marker-secret-key-do-not-print";
const SESSION_TOKEN: &str = "marker-session-token-do-not-print";

/// `tsload ARGS` with the marker credentials and the environment's endpoints.
fn with_markers(args: &[&str], env: Option<&Env>) -> Command {
    let mut c = tsload(args);
    c.env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("AWS_SESSION_TOKEN", SESSION_TOKEN)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    if let Some(env) = env {
        c.env("AWS_ENDPOINT_URL_S3", &env.s3_endpoint)
            .env("AWS_ENDPOINT_URL_TIMESTREAM_WRITE", env.server.endpoint());
    }
    c
}

#[track_caller]
fn assert_no_secrets(out: &Output, what: &str) {
    let text = block(out);
    for secret in [
        ACCESS_KEY,
        SECRET_KEY,
        SESSION_TOKEN,
        "X-Amz-Signature",
        "X-Amz-Security-Token",
    ] {
        assert!(!text.contains(secret), "{what} printed `{secret}`:\n{text}");
    }
    assert!(!text.contains("panicked"), "{what}:\n{text}");
}

/// Credentials and session tokens are never printed, with `--verbose`, on
/// success, on failure, in human and JSON output; nor are signatures or
/// presigned URL parameters.
#[test]
fn credentials_are_never_printed() {
    let env = Env::start();
    let good = env.data("good.csv", false);
    let bad = env.data("bad.csv", true);
    let (good, bad) = (good.to_str().unwrap(), bad.to_str().unwrap());
    let limit = Duration::from_mins(2);
    // (what, arguments, expected exit code)
    let runs: Vec<(&str, Vec<&str>, i32)> = vec![
        ("check", vec!["check", TASK], 0),
        (
            "check json",
            vec!["check", TASK, "--format", "json", "--effective"],
            0,
        ),
        ("validate", vec!["validate", TASK, bad], 1),
        (
            "validate json",
            vec!["validate", TASK, bad, "--format", "json"],
            1,
        ),
        (
            "submit --verbose",
            vec![
                "submit",
                TASK,
                good,
                "--yes",
                "--verbose",
                "--poll-interval",
                "0.2",
                "--create-table",
            ],
            0,
        ),
        ("validate from S3", vec!["validate", TASK], 0),
        (
            "submit --verbose, failing rows",
            vec![
                "submit",
                TASK,
                bad,
                "--yes",
                "--verbose",
                "--poll-interval",
                "0.2",
                "--format",
                "json",
            ],
            1,
        ),
        (
            "status --verbose, unknown task",
            vec!["status", "ABCDEF0123", "--verbose"],
            2,
        ),
        ("list --verbose", vec!["list", "--verbose"], 0),
    ];
    let endpoint = env.server.endpoint().to_owned();
    for (what, mut args, code) in runs {
        if !args[0].starts_with("check") && !args[0].starts_with("validate") {
            args.extend(["--endpoint-url", &endpoint]);
        }
        let out = run_limited(with_markers(&args, Some(&env)), limit);
        assert_eq!(out.status.code(), Some(code), "{what}:\n{}", block(&out));
        assert_no_secrets(&out, what);
    }
    // A submit that cannot reach the service at all, with --verbose.
    let out = run_limited(
        with_markers(
            &[
                "submit",
                TASK,
                good,
                "--yes",
                "--verbose",
                "--endpoint-url",
                "http://127.0.0.1:9",
            ],
            Some(&env),
        ),
        limit,
    );
    assert_ne!(out.status.code(), Some(0), "{}", block(&out));
    assert_no_secrets(&out, "submit to a closed port");
}

/// A server that accepts connections and never answers.
fn black_hole() -> (String, Arc<AtomicBool>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for c in listener.incoming() {
            if flag.load(Ordering::Relaxed) {
                break;
            }
            if let Ok(c) = c {
                held.push(c);
            }
        }
    });
    (url, stop)
}

/// An endpoint that takes the connection and never answers: each call
/// times out (20 s, retried by the SDK), the command fails naming the
/// operation and the timeout, instead of hanging for ever.
#[test]
fn an_endpoint_that_never_answers_times_out() {
    let (url, stop) = black_hole();
    let out = run_limited(
        with_markers(&["status", "ABCDEF0123", "--endpoint-url", &url], None),
        Duration::from_secs(150),
    );
    stop.store(true, Ordering::Relaxed);
    let _ = TcpStream::connect(url.trim_start_matches("http://"));
    assert_eq!(out.status.code(), Some(2), "{}", block(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("DescribeBatchLoadTask") && err.contains("timeout"),
        "{err}"
    );
    assert_no_secrets(&out, "status against a black hole");
}

/// A TCP proxy to `upstream` that, once, lets a `CreateBatchLoadTask`
/// request through and drops the connection instead of passing the answer
/// back: the service created the task, the client never heard.
fn losing_proxy(upstream: &str) -> (String, Arc<AtomicU32>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let upstream = upstream.trim_start_matches("http://").to_owned();
    let dropped = Arc::new(AtomicU32::new(0));
    let count = dropped.clone();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { continue };
            let Ok(server) = TcpStream::connect(&upstream) else {
                continue;
            };
            let count = count.clone();
            let lose_next = Arc::new(AtomicBool::new(false));
            let (mut c_in, mut s_out) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            let lose = lose_next.clone();
            let counted = count.clone();
            // client -> server: watch for the create call.
            std::thread::spawn(move || {
                let mut buf = vec![0u8; 16 << 10];
                loop {
                    let n = match c_in.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    let text = String::from_utf8_lossy(&buf[..n]);
                    if text.contains(".CreateBatchLoadTask") && counted.load(Ordering::SeqCst) == 0
                    {
                        lose.store(true, Ordering::SeqCst);
                    }
                    if s_out.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                let _ = s_out.shutdown(Shutdown::Write);
            });
            // server -> client: pass answers back, except the lost one.
            let (mut s_in, mut c_out) = (server, client);
            std::thread::spawn(move || {
                let mut buf = vec![0u8; 16 << 10];
                loop {
                    let n = match s_in.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    if lose_next.swap(false, Ordering::SeqCst) {
                        count.fetch_add(1, Ordering::SeqCst);
                        let _ = c_out.shutdown(Shutdown::Both);
                        let _ = s_in.shutdown(Shutdown::Both);
                        break;
                    }
                    if c_out.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            });
        }
    });
    (url, dropped)
}

/// The answer to `CreateBatchLoadTask` is lost after the service created the
/// task: the retry carries the same ClientToken, so there is still exactly
/// one task, and the submit succeeds.
#[test]
fn a_lost_create_answer_makes_no_second_task() {
    let env = Env::start();
    let (proxy, dropped) = losing_proxy(env.server.endpoint());
    let data = env.data("a.csv", false);
    let out = run_limited(
        with_markers(
            &[
                "submit",
                TASK,
                data.to_str().unwrap(),
                "--yes",
                "--poll-interval",
                "0.2",
                "--create-table",
                "--endpoint-url",
                &proxy,
                "--format",
                "json",
            ],
            Some(&env),
        ),
        Duration::from_mins(3),
    );
    assert_eq!(
        dropped.load(Ordering::SeqCst),
        1,
        "the proxy lost no answer:\n{}",
        block(&out)
    );
    assert_eq!(env.tasks(), 1, "{}", block(&out));
    assert_eq!(out.status.code(), Some(0), "{}", block(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["tasks"][0]["TaskStatus"], "SUCCEEDED", "{v}");
    assert_no_secrets(&out, "submit through a lossy proxy");
}

/// A TCP proxy to `upstream` that cuts the first connection carrying a `PUT`
/// after `after` bytes of it have gone through: an upload dropped mid-way.
fn cutting_proxy(upstream: &str, after: usize) -> (String, Arc<AtomicU32>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let upstream = upstream.trim_start_matches("http://").to_owned();
    let cuts = Arc::new(AtomicU32::new(0));
    let count = cuts.clone();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { continue };
            let Ok(server) = TcpStream::connect(&upstream) else {
                continue;
            };
            let count = count.clone();
            let (mut c_in, mut s_out) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            let (c_kill, s_kill) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            std::thread::spawn(move || {
                let mut buf = vec![0u8; 4 << 10];
                let mut seen = 0usize;
                let mut cutting = false;
                loop {
                    let n = match c_in.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    if !cutting
                        && buf[..n].starts_with(b"PUT ")
                        && count.load(Ordering::SeqCst) == 0
                    {
                        cutting = true;
                    }
                    if cutting {
                        seen += n;
                        if seen > after {
                            count.fetch_add(1, Ordering::SeqCst);
                            let _ = c_kill.shutdown(Shutdown::Both);
                            let _ = s_kill.shutdown(Shutdown::Both);
                            break;
                        }
                    }
                    if s_out.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                let _ = s_out.shutdown(Shutdown::Write);
            });
            let (mut s_in, mut c_out) = (server, client);
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut s_in, &mut c_out);
                let _ = c_out.shutdown(Shutdown::Write);
            });
        }
    });
    (url, cuts)
}

/// The connection drops in the middle of an upload: the upload is retried,
/// the object arrives whole, one task loads every row.
#[test]
fn a_connection_dropped_mid_upload_is_retried() {
    let env = Env::start();
    let (proxy, cuts) = cutting_proxy(&env.s3_endpoint, 64 << 10);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let mut text = String::from("host,time,cpu,mem\n");
    for i in 0..8000 {
        writeln!(text, "host-{i},{now},{i}.5,{i}").unwrap();
    }
    let data = env.dir.path().join("big.csv");
    std::fs::write(&data, &text).unwrap();
    let mut cmd = with_markers(
        &[
            "submit",
            TASK,
            data.to_str().unwrap(),
            "--yes",
            "--poll-interval",
            "0.2",
            "--create-table",
            "--endpoint-url",
            env.server.endpoint(),
            "--format",
            "json",
        ],
        Some(&env),
    );
    cmd.env("AWS_ENDPOINT_URL_S3", &proxy);
    let out = run_limited(cmd, Duration::from_mins(3));
    assert_eq!(
        cuts.load(Ordering::SeqCst),
        1,
        "no upload was cut:\n{}",
        block(&out)
    );
    assert_eq!(out.status.code(), Some(0), "{}", block(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["tasks"][0]["TaskStatus"], "SUCCEEDED", "{v}");
    assert_eq!(env.tasks(), 1);
    let stored: i64 = env
        .server
        .emulator()
        .store()
        .read(|c| c.query_row("SELECT count(*) FROM records", [], |r| r.get(0)))
        .unwrap();
    assert_eq!(stored, 8000);
}

/// A stand-in endpoint that answers every request with a validation error
/// and hands over the `Authorization` header of each.
fn capturing_endpoint() -> (String, std::sync::mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                head.push(byte[0]);
            }
            let head = String::from_utf8_lossy(&head).into_owned();
            let auth = head
                .lines()
                .find(|l| l.to_ascii_lowercase().starts_with("authorization:"))
                .unwrap_or("")
                .to_owned();
            let body = r#"{"__type":"ValidationException","message":"captured"}"#;
            let _ = write!(
                stream,
                "HTTP/1.1 400 Bad Request\r\nContent-Type: application/x-amz-json-1.0\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.shutdown(Shutdown::Both);
            if tx.send(auth).is_err() {
                return;
            }
        }
    });
    (url, rx)
}

/// `--profile` signs with the profile's keys even when the environment
/// holds others (as the AWS CLI does; the SDK's default chain reads the
/// environment first); `AWS_PROFILE` does not override the environment,
/// also as the AWS CLI. A profile that does not exist stops the command,
/// naming the profiles that do. `AWS_ENDPOINT_URL` alone turns endpoint
/// discovery off.
#[test]
fn profiles_win_over_environment_keys_as_in_the_aws_cli() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    let credentials = dir.path().join("credentials");
    // A profile whose keys come from a program, as SSO helpers do.
    let program = dir.path().join("creds.sh");
    std::fs::write(
        &program,
        "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"AKIDPROCESS\", \"SecretAccessKey\": \"p\"}'\n",
    )
    .unwrap();
    std::fs::set_permissions(
        &program,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    std::fs::write(
        &config,
        format!(
            "[profile dev]\nregion = eu-west-1\n\
             [profile assumer]\nrole_arn = arn:aws:iam::123456789012:role/loader\nsource_profile = dev\n\
             [profile proc]\ncredential_process = {}\n",
            program.display()
        ),
    )
    .unwrap();
    std::fs::write(
        &credentials,
        "[dev]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = profile-secret\n",
    )
    .unwrap();
    let (url, seen) = capturing_endpoint();
    let run = |args: &[&str], profile_env: Option<&str>| {
        let mut cmd = tsload(args);
        cmd.env("AWS_CONFIG_FILE", &config)
            .env("AWS_SHARED_CREDENTIALS_FILE", &credentials)
            .env("AWS_ACCESS_KEY_ID", "AKIDENVIRONMENT")
            .env("AWS_SECRET_ACCESS_KEY", "env-secret")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ENDPOINT_URL", &url)
            .env_remove("AWS_SESSION_TOKEN");
        if let Some(p) = profile_env {
            cmd.env("AWS_PROFILE", p);
        }
        run_limited(cmd, Duration::from_mins(1))
    };
    for (args, profile_env, key) in [
        (&["list", "--profile", "dev"][..], None, "AKIDPROFILE/"),
        // A role to assume: STS is asked first, signed with the source
        // profile's keys (its provider needs the region for that).
        (
            &["list", "--profile", "assumer"][..],
            None,
            "AKIDPROFILE/20",
        ),
        (&["list", "--profile", "proc"][..], None, "AKIDPROCESS/"),
        (&["list"][..], Some("dev"), "AKIDENVIRONMENT/"),
        (&["list"][..], None, "AKIDENVIRONMENT/"),
    ] {
        let out = run(args, profile_env);
        let auth = seen
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("{args:?}: no request reached {url}\n{}", block(&out)));
        assert!(
            auth.contains(&format!("Credential={key}")),
            "{args:?} AWS_PROFILE={profile_env:?}: {auth}"
        );
        let service = if args.contains(&"assumer") {
            "/sts/aws4_request"
        } else {
            "/timestream/aws4_request"
        };
        assert!(auth.contains(service), "{args:?}: {auth}");
        while seen.try_recv().is_ok() {}
    }
    let out = run(&["list", "--verbose"], None);
    assert!(
        block(&out).contains(&format!(
            "timestream endpoint: {url} (endpoint discovery off)"
        )),
        "{}",
        block(&out)
    );
    for (args, profile_env, named_by) in [
        (&["list", "--profile", "nosuch"][..], None, "--profile"),
        (&["list"][..], Some("nosuch"), "AWS_PROFILE"),
    ] {
        let out = run(args, profile_env);
        assert_eq!(out.status.code(), Some(2), "{}", block(&out));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(&format!(
                "the config profile `nosuch` could not be found (named by {named_by}); the profiles in the AWS config and credentials files are: assumer, dev, proc"
            )),
            "{}",
            block(&out)
        );
    }
}
