//! Hostile inputs: every one ends with exit 1 or 2 and a message naming the
//! input, never a panic, never a hang, and leaves no partial output file.
//!
//! Large inputs are generated here (nothing big is committed). Every run
//! goes through [`run_limited`], which kills the binary and fails the test
//! when it takes longer than [`LIMIT`].

use std::fmt::Write as _;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::util::{block, tsload};

/// Longest any hostile run may take (debug build, shared CI machine).
const LIMIT: Duration = Duration::from_mins(1);

const TASK: &str = "fixtures/valid/multi-measure-hosts/task.json";
const HEADER: &str = "time,region,hostname,cpu,mem,requests,healthy,status\n";
const ROW: &str = "1715000100000,us-east-1,web-01,1.5,2,3,true,OK\n";

/// Runs `cmd` to completion with stdout and stderr captured; kills it and
/// fails the test if it is still running after `limit`.
fn run_limited(mut cmd: Command, limit: Duration) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tsload starts");
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = r.read_to_end(&mut v);
            v
        })
    };
    let out = drain(Box::new(child.stdout.take().expect("piped")));
    let err = drain(Box::new(child.stderr.take().expect("piped")));
    let status = wait_limited(&mut child, limit);
    Output {
        status,
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
    }
}

/// Waits for `child`, killing it and failing the test after `limit`.
fn wait_limited(child: &mut std::process::Child, limit: Duration) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("tsload hung: still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// `tsload ARGS` under the time limit, stdin closed.
fn hostile(args: &[&str]) -> Output {
    let mut cmd = tsload(args);
    cmd.stdin(Stdio::null());
    run_limited(cmd, LIMIT)
}

/// Asserts a clean failure: an exit code in `codes`, `name` in the output,
/// no panic.
#[track_caller]
fn assert_fails(out: &Output, codes: &[i32], name: &str) {
    let text = block(out);
    let code = out.status.code();
    assert!(
        code.is_some_and(|c| codes.contains(&c)),
        "expected exit {codes:?}:\n{text}"
    );
    assert_no_panic(out);
    assert!(
        text.contains(name),
        "the output does not name `{name}`:\n{text}"
    );
}

#[track_caller]
fn assert_no_panic(out: &Output) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "tsload panicked:\n{}",
        block(out)
    );
}

/// The codes of the rules in a `validate --format json` document.
fn rule_codes(out: &Output) -> Vec<String> {
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}:\n{}", block(out)));
    v["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| r["code"].as_str().expect("code").to_owned())
        .collect()
}

/// Writes `bytes` to `dir/name` and returns the path as a string.
fn put(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_str().unwrap().to_owned()
}

/// The names in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Validates `bytes` as a CSV input of the hosts task (JSON output, so the
/// findings can be compared), and asserts a failure naming the file and
/// reporting `code`.
#[track_caller]
fn validate_fails_with(bytes: &[u8], code: &str) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let data = put(dir.path(), "hostile.csv", bytes);
    let out = hostile(&["validate", TASK, &data, "--format", "json"]);
    assert_fails(&out, &[1], "hostile.csv");
    let codes = rule_codes(&out);
    assert!(codes.iter().any(|c| c == code), "no {code} in {codes:?}");
    // The human summary names the file too.
    let human = hostile(&["validate", TASK, &data]);
    assert_fails(&human, &[1], "hostile.csv");
    assert!(block(&human).contains(code), "{}", block(&human));
    out
}

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Bytes(u64);

impl Bytes {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn fill(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| (self.next() >> 56) as u8).collect()
    }
}

#[test]
fn empty_file() {
    let out = validate_fails_with(b"", "C018");
    assert_fails(&out, &[1], "hostile.csv");
    let dir = tempfile::tempdir().unwrap();
    let task = put(dir.path(), "empty.json", b"");
    assert_fails(&hostile(&["check", &task]), &[2], "empty.json");
    let data = "fixtures/valid/multi-measure-hosts/data.csv";
    assert_fails(&hostile(&["validate", &task, data]), &[2], "empty.json");
}

/// A header and no rows is a valid, empty load: exit 0, zero rows, the file
/// named in the JSON document. (The service accepts such a file [INF]; it is
/// listed here so that it stays a clean zero, not a crash or a hang.)
#[test]
fn header_only() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [
        ("header.csv", HEADER.as_bytes()),
        ("header-no-newline.csv", HEADER.trim_end().as_bytes()),
        (
            "header-crlf.csv",
            &HEADER.replace('\n', "\r\n").into_bytes(),
        ),
    ] {
        let data = put(dir.path(), name, bytes);
        let out = hostile(&["validate", TASK, &data, "--format", "json"]);
        assert_eq!(out.status.code(), Some(0), "{}", block(&out));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(v["files"][0]["file"].as_str().unwrap().ends_with(name));
        assert_eq!(v["ProgressReport"]["RecordsProcessed"], 0);
        let human = hostile(&["validate", TASK, &data]);
        assert_eq!(human.status.code(), Some(0), "{}", block(&human));
        assert!(block(&human).contains("0 data rows"), "{}", block(&human));
    }
}

/// Random bytes as CSV input and as the task, over many seeds.
#[test]
fn random_bytes() {
    let dir = tempfile::tempdir().unwrap();
    for seed in 1..=16u64 {
        let mut g = Bytes(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let len = 1 + (g.next() % 20_000) as usize;
        let bytes = g.fill(len);
        let data = put(dir.path(), &format!("random-{seed}.csv"), &bytes);
        let out = hostile(&["validate", TASK, &data]);
        assert_fails(&out, &[1], &format!("random-{seed}.csv"));
        // Random bytes after a good header: the rows fail, the header does not.
        let mut with_header = HEADER.as_bytes().to_vec();
        with_header.extend_from_slice(&bytes);
        let data = put(dir.path(), &format!("random-rows-{seed}.csv"), &with_header);
        let out = hostile(&["validate", TASK, &data, "--format", "json"]);
        assert_fails(&out, &[1], &format!("random-rows-{seed}.csv"));
        let task = put(dir.path(), &format!("random-{seed}.json"), &bytes);
        let out = hostile(&["check", &task]);
        assert_fails(&out, &[2], &format!("random-{seed}.json"));
        let out = hostile(&["validate", &task, &data]);
        assert_fails(&out, &[2], &format!("random-{seed}.json"));
    }
}

/// A 20 MB field, unquoted and quoted (and never closed), is one record over
/// the 16 MiB row limit (`C007`); the rows around it are still read.
#[test]
fn field_of_20_mb() {
    let big = "x".repeat(20 << 20);
    let unquoted = format!("{HEADER}{ROW}1715000100000,us-east-1,web-01,1.5,2,3,true,{big}\n{ROW}");
    let out = validate_fails_with(unquoted.as_bytes(), "C007");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ProgressReport"]["RecordsProcessed"], 3);
    assert_eq!(v["ProgressReport"]["RecordsIngested"], 2);
    let quoted = format!("{HEADER}{ROW}1715000100000,us-east-1,web-01,1.5,2,3,true,\"{big}\n");
    validate_fails_with(quoted.as_bytes(), "C007");
    // The header itself is the huge record.
    let header = format!("{big}\n{ROW}");
    validate_fails_with(header.as_bytes(), "C007");
}

/// 10,000 columns: extra unmapped columns are warnings (exit 1 only with
/// `--deny-warnings`); a header of 10,000 unknown columns fails the file, and
/// the messages stay short (they do not list all 10,000 names per finding).
#[test]
fn ten_thousand_columns() {
    let dir = tempfile::tempdir().unwrap();
    let mut wide = HEADER.trim_end().to_owned();
    for i in 0..10_000 {
        write!(wide, ",extra{i}").unwrap();
    }
    wide.push('\n');
    let mut row = ROW.trim_end().to_owned();
    row.push_str(&",1".repeat(10_000));
    row.push('\n');
    wide.push_str(&row);
    let data = put(dir.path(), "wide.csv", wide.as_bytes());
    let out = hostile(&["validate", TASK, &data, "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", block(&out));
    assert_eq!(rule_codes(&out), ["H003"]);
    let out = hostile(&["validate", TASK, &data, "--deny-warnings"]);
    assert_fails(&out, &[1], "wide.csv");

    let names: Vec<String> = (0..10_000).map(|i| format!("c{i}")).collect();
    let text = format!("{}\n{}\n", names.join(","), vec!["1"; 10_000].join(","));
    let data = put(dir.path(), "unknown.csv", text.as_bytes());
    let out = hostile(&["validate", TASK, &data]);
    assert_fails(&out, &[1], "unknown.csv");
    assert!(block(&out).contains("H001"), "{}", block(&out));
    assert!(
        out.stdout.len() < 20_000,
        "{} bytes of summary for 8 missing columns",
        out.stdout.len()
    );
}

#[test]
fn invalid_utf8() {
    let rows = format!("{HEADER}{ROW}1715000100000,us-east-1,web\u{1}01,1.5,2,3,true,OK\n")
        .replace('\u{1}', "\u{FFFF}")
        .into_bytes();
    // `\u{FFFF}` is valid UTF-8; swap its bytes for a broken sequence.
    let at = rows
        .windows(3)
        .position(|w| w == "\u{FFFF}".as_bytes())
        .unwrap();
    let mut bytes = rows.clone();
    bytes.splice(at..at + 3, [0xFF, 0xFE, 0xC3]);
    validate_fails_with(&bytes, "C003");
    let mut header = bytes.clone();
    header.splice(0..4, [b't', 0xC3, 0x28, b'e']);
    validate_fails_with(&header, "C003");
}

#[test]
fn nul_bytes() {
    let text = format!("{HEADER}{ROW}1715000100000,us-east-1,web\u{0}01,1.5,2,3,true,OK\n");
    validate_fails_with(text.as_bytes(), "C004");
    validate_fails_with(&vec![0u8; 1 << 20], "C004");
}

#[test]
fn unterminated_quote() {
    let text = format!("{HEADER}{ROW}1715000100000,us-east-1,\"web-01,1.5,2,3,true,OK\n{ROW}");
    validate_fails_with(text.as_bytes(), "C006");
    let text = format!("{HEADER}{ROW}\"");
    validate_fails_with(text.as_bytes(), "C006");
}

#[test]
fn lone_cr_line_endings() {
    let text = format!("{HEADER}{ROW}{ROW}").replace('\n', "\r");
    validate_fails_with(text.as_bytes(), "C005");
}

/// UTF-16 with a byte order mark, as a CSV input and as the task file.
#[test]
fn utf16_with_bom() {
    let utf16 = |s: &str, be: bool| {
        let mut v = if be {
            vec![0xFE, 0xFF]
        } else {
            vec![0xFF, 0xFE]
        };
        for u in s.encode_utf16() {
            v.extend_from_slice(&if be { u.to_be_bytes() } else { u.to_le_bytes() });
        }
        v
    };
    let text = format!("{HEADER}{ROW}");
    validate_fails_with(&utf16(&text, false), "C002");
    validate_fails_with(&utf16(&text, true), "C002");
    let dir = tempfile::tempdir().unwrap();
    let task = std::fs::read_to_string(crate::util::root().join(TASK)).unwrap();
    let task = put(dir.path(), "utf16.json", &utf16(&task, false));
    let out = hostile(&["check", &task]);
    assert_fails(&out, &[2], "utf16.json");
    assert!(block(&out).contains("UTF-16"), "{}", block(&out));
    let out = hostile(&[
        "validate",
        &task,
        "fixtures/valid/multi-measure-hosts/data.csv",
    ]);
    assert_fails(&out, &[2], "utf16.json");
}

/// Deeply nested and truncated task files: a parse error naming the file,
/// not a stack overflow.
#[test]
fn deeply_nested_or_truncated_json() {
    let dir = tempfile::tempdir().unwrap();
    let task = std::fs::read_to_string(crate::util::root().join(TASK)).unwrap();
    let n = 200_000;
    let cases = [
        ("arrays.json", format!("{}{}", "[".repeat(n), "]".repeat(n))),
        (
            "objects.json",
            format!("{}1{}", "{\"a\":".repeat(n), "}".repeat(n)),
        ),
        (
            "nested-model.json",
            task.replacen(
                "\"TimeColumn\": \"time\"",
                &format!("\"TimeColumn\": {}1{}", "[".repeat(n), "]".repeat(n)),
                1,
            ),
        ),
        ("unclosed.json", "[".repeat(n)),
        ("truncated.json", task[..task.len() / 2].to_owned()),
        (
            "truncated-in-string.json",
            task[..task.find("telemetry").unwrap() + 4].to_owned(),
        ),
    ];
    for (name, text) in cases {
        let path = put(dir.path(), name, text.as_bytes());
        let out = hostile(&["check", &path]);
        assert_fails(&out, &[2], name);
        let out = hostile(&["check", &path, "--format", "json"]);
        assert_fails(&out, &[2], name);
        let out = hostile(&[
            "validate",
            &path,
            "fixtures/valid/multi-measure-hosts/data.csv",
        ]);
        assert_fails(&out, &[2], name);
    }
}

#[test]
fn missing_file() {
    let data = "fixtures/valid/multi-measure-hosts/data.csv";
    assert_fails(
        &hostile(&["check", "no/such/task.json"]),
        &[2],
        "no/such/task.json",
    );
    assert_fails(
        &hostile(&["validate", "no/such/task.json", data]),
        &[2],
        "no/such/task.json",
    );
    assert_fails(
        &hostile(&["validate", TASK, "no/such/data.csv"]),
        &[2],
        "no/such/data.csv",
    );
    assert_fails(
        &hostile(&["validate", TASK, data, "no/such/data.csv"]),
        &[2],
        "no/such/data.csv",
    );
    assert_fails(
        &hostile(&["validate", TASK, "no/such/*.csv"]),
        &[2],
        "no/such/*.csv",
    );
}

/// A directory where a file is expected: the task, and each output.
/// (A directory as a CSV input is a feature: every file under it is read.)
#[test]
fn directory_where_a_file_is_expected() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("a-dir.json");
    std::fs::create_dir(&d).unwrap();
    let d = d.to_str().unwrap();
    let data = "fixtures/valid/multi-measure-hosts/data.csv";
    assert_fails(&hostile(&["check", d]), &[2], "a-dir.json");
    assert_fails(&hostile(&["validate", d, data]), &[2], "a-dir.json");
    for flag in ["--report", "--diagnostics"] {
        assert_fails(
            &hostile(&["validate", TASK, data, flag, d]),
            &[2],
            "a-dir.json",
        );
    }
    let emit = dir.path().join("a-dir.jsonl");
    std::fs::create_dir(&emit).unwrap();
    let emit = emit.to_str().unwrap();
    assert_fails(
        &hostile(&["validate", TASK, data, "--emit", emit]),
        &[2],
        "a-dir.jsonl",
    );
    assert_eq!(listing(dir.path()), ["a-dir.json", "a-dir.jsonl"]);
    assert!(listing(Path::new(d)).is_empty() && listing(Path::new(emit)).is_empty());
}

/// Whether this process can read a file whose mode is 000 (true for root,
/// as in CI containers, where permissions do not stop reads).
fn permissions_do_not_apply(probe: &Path) -> bool {
    std::fs::File::open(probe).is_ok()
}

/// Runs `tsload` as `nobody` when we are root and `setpriv` exists, so the
/// permission-denied path is exercised even in CI.
fn as_nobody(args: &[&str]) -> Option<Output> {
    let setpriv = ["/usr/bin/setpriv", "/bin/setpriv"]
        .into_iter()
        .find(|p| Path::new(p).exists())?;
    let bin = assert_cmd::cargo::cargo_bin!("tsload");
    let mut cmd = Command::new(setpriv);
    cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(bin)
        .args(args)
        .current_dir(crate::util::root())
        .env("NO_COLOR", "1")
        .env("TSLOAD_NO_PROGRESS", "1")
        .stdin(Stdio::null());
    Some(run_limited(cmd, LIMIT))
}

/// Unreadable permissions. As a normal user: the task is exit 2 and a CSV
/// input is a file failure (exit 1, `F006`), both named. As root, mode 000
/// does not stop reads: the run is clean, and the denied path is checked
/// again as `nobody` (through `setpriv`) when the tool is there.
#[test]
#[allow(clippy::print_stderr, reason = "says which branch ran")]
fn unreadable_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let root = crate::util::root();
    let task = put(
        dir.path(),
        "locked.json",
        &std::fs::read(root.join(TASK)).unwrap(),
    );
    let data = put(
        dir.path(),
        "locked.csv",
        &std::fs::read(root.join("fixtures/valid/multi-measure-hosts/data.csv")).unwrap(),
    );
    for p in [&task, &data] {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o000)).unwrap();
    }
    let check_denied = |check: &Output, validate_task: &Output, validate_data: &Output| {
        assert_fails(check, &[2], "locked.json");
        assert!(
            block(check).contains("ermission denied"),
            "{}",
            block(check)
        );
        assert_fails(validate_task, &[2], "locked.json");
        assert_fails(validate_data, &[1], "locked.csv");
        assert!(
            block(validate_data).contains("F006"),
            "{}",
            block(validate_data)
        );
    };
    let data_args = ["validate", TASK, &data];
    if permissions_do_not_apply(Path::new(&task)) {
        // Root: the files are read as if readable.
        let out = hostile(&["check", &task]);
        assert_eq!(out.status.code(), Some(0), "{}", block(&out));
        let out = hostile(&data_args);
        assert_eq!(out.status.code(), Some(0), "{}", block(&out));
        match (
            as_nobody(&["check", &task]),
            as_nobody(&["validate", &task, &data]),
            as_nobody(&data_args),
        ) {
            (Some(a), Some(b), Some(c)) => check_denied(&a, &b, &c),
            _ => eprintln!(
                "unreadable_permissions: running as root without setpriv; only the root behaviour was checked"
            ),
        }
    } else {
        check_denied(
            &hostile(&["check", &task]),
            &hostile(&["validate", &task, &data]),
            &hostile(&data_args),
        );
    }
}

/// An input whose `read` fails (not at `open`): `/proc/self/mem` reads
/// fail with EIO at offset 0, even for root.
#[cfg(target_os = "linux")]
#[test]
fn input_whose_read_fails() {
    let out = hostile(&["validate", TASK, "/proc/self/mem", "--format", "json"]);
    assert_fails(&out, &[1], "/proc/self/mem");
    assert!(rule_codes(&out).contains(&"F006".to_owned()));
    let out = hostile(&["check", "/proc/self/mem"]);
    assert_fails(&out, &[2], "/proc/self/mem");
}

/// Output paths that cannot be written (the parent is a regular file, so
/// this holds for root too): exit 2 naming the path, nothing left behind,
/// and no other output written either.
#[test]
fn output_path_that_cannot_be_written() {
    let dir = tempfile::tempdir().unwrap();
    let file = put(dir.path(), "plain-file", b"x");
    let data = "fixtures/valid/multi-measure-hosts/data.csv";
    let good = dir.path().join("good");
    std::fs::create_dir(&good).unwrap();
    for (flag, name) in [
        ("--report", "report.json"),
        ("--diagnostics", "diagnostics.jsonl"),
        ("--emit", "records.jsonl"),
        ("--emit", "records.parquet"),
    ] {
        let bad = format!("{file}/{name}");
        let mut args = vec!["validate", TASK, data, flag, &bad];
        // The other outputs are fine; they must not appear when one fails.
        let others: Vec<(String, String)> = [
            ("--report", "report.json"),
            ("--diagnostics", "diagnostics.jsonl"),
            ("--emit", "records.jsonl"),
        ]
        .iter()
        .filter(|(f, _)| *f != flag)
        .map(|(f, n)| ((*f).to_owned(), good.join(n).to_str().unwrap().to_owned()))
        .collect();
        for (f, p) in &others {
            args.push(f);
            args.push(p);
        }
        let out = hostile(&args);
        assert_fails(&out, &[2], &bad);
        assert_eq!(listing(dir.path()), ["good", "plain-file"], "{flag}");
        assert!(listing(&good).is_empty(), "{flag}: {:?}", listing(&good));
    }
}

/// An output path that fails before the input is read: tsload must not read
/// a whole (here: endless) input before finding that it cannot write.
#[test]
fn unwritable_output_fails_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let file = put(dir.path(), "plain-file", b"x");
    for (flag, name) in [
        ("--report", "report.json"),
        ("--diagnostics", "diagnostics.jsonl"),
        ("--emit", "records.jsonl"),
    ] {
        let bad = format!("{file}/{name}");
        let mut cmd = tsload(&["validate", TASK, "-", flag, &bad]);
        // stdin stays open and empty: reading it would block forever.
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take();
        let status = wait_limited(&mut child, Duration::from_secs(20));
        drop(stdin);
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        assert_eq!(status.code(), Some(2), "{flag}: {err}");
        assert!(err.contains(&bad), "{flag}: {err}");
    }
}

/// An output that is a symlink to a device or a file: written through the
/// link (the link stays), and a write error (`/dev/full`) is exit 2 naming
/// the path the user gave.
#[test]
fn output_through_a_symlink() {
    let dir = tempfile::tempdir().unwrap();
    let data = "fixtures/valid/multi-measure-hosts/data.csv";
    let target = dir.path().join("target.json");
    std::fs::write(&target, "old").unwrap();
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let out = hostile(&["validate", TASK, data, "--report", link.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", block(&out));
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&target).unwrap()).unwrap();
    assert_eq!(report["taskId"], "LOCAL", "{report}");
    assert_eq!(listing(dir.path()), ["link.json", "target.json"]);

    if Path::new("/dev/full").exists() {
        let full = dir.path().join("full.json");
        std::os::unix::fs::symlink("/dev/full", &full).unwrap();
        // A failing row, so that the report and the diagnostics are not empty.
        let bad = put(
            dir.path(),
            "bad.csv",
            format!("{HEADER}1715000100000,us-east-1,web-01,n/a,2,3,true,OK\n").as_bytes(),
        );
        for flag in ["--report", "--diagnostics"] {
            let out = hostile(&["validate", TASK, &bad, flag, full.to_str().unwrap()]);
            assert_fails(&out, &[2], "full.json");
            assert!(
                std::fs::symlink_metadata(&full)
                    .unwrap()
                    .file_type()
                    .is_symlink()
            );
        }
        let full = dir.path().join("full.jsonl");
        std::os::unix::fs::symlink("/dev/full", &full).unwrap();
        let out = hostile(&["validate", TASK, data, "--emit", full.to_str().unwrap()]);
        assert_fails(&out, &[2], "full.jsonl");
        assert!(
            std::fs::symlink_metadata(&full)
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }
}

/// A big failing input whose JSON document is far larger than a pipe
/// buffer, so writing stdout hits the closed pipe.
fn many_failures(dir: &Path) -> String {
    let mut text = String::from(HEADER);
    for i in 0..20_000 {
        if i % 2 == 0 {
            text.push_str(ROW);
        } else {
            text.push_str("1715000100000,us-east-1,web-01,n/a,2,3,true,OK\n");
        }
    }
    put(dir, "many.csv", text.as_bytes())
}

/// `tsload ... | head -c 1`: the reader goes away after one byte. No panic,
/// prompt exit.
#[test]
fn stdout_closed_early() {
    let dir = tempfile::tempdir().unwrap();
    let data = many_failures(dir.path());
    for args in [
        vec!["validate", TASK, &data, "--format", "json"],
        vec!["validate", TASK, &data],
        vec!["check", TASK, "--format", "json", "--effective"],
        vec!["check", TASK, "--effective"],
    ] {
        let mut child = tsload(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let mut one = [0u8; 1];
        stdout.read_exact(&mut one).unwrap();
        drop(stdout);
        let err = std::thread::spawn({
            let mut e = child.stderr.take().unwrap();
            move || {
                let mut s = String::new();
                let _ = e.read_to_string(&mut s);
                s
            }
        });
        let status = wait_limited(&mut child, Duration::from_secs(30));
        let err = err.join().unwrap();
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(
            status.code().is_some(),
            "{args:?}: killed by a signal: {status:?}"
        );
    }
}

/// Terminal control sequences in the data (ESC, BEL, OSC) are shown
/// escaped, never sent raw to a terminal, even with colour on; only the
/// styles' own codes are.
#[test]
fn control_characters_are_not_sent_to_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{HEADER}{ROW}1715000100000,us-east-1,web-01,1.5,2,3,maybe\u{1b}]0;pwned\u{7},OK\n\
         1715000100000,us-east-1,web-01,1.5,2,3,true,\"\u{1b}[2J\"\n"
    );
    let data = put(dir.path(), "esc\u{1b}[31m.csv", text.as_bytes());
    for color in ["always", "never"] {
        let out = hostile(&["--color", color, "validate", TASK, &data]);
        assert_fails(&out, &[1], "R014");
        // The summary on stdout is styled with `--color always` only.
        assert_eq!(
            out.stdout.contains(&0x1b),
            color == "always",
            "{color}: {}",
            block(&out)
        );
        for stream in [&out.stdout, &out.stderr] {
            let s = String::from_utf8_lossy(stream);
            assert!(!s.contains("\u{1b}]0;"), "raw OSC:\n{s}");
            assert!(!s.contains('\u{7}'), "raw BEL:\n{s}");
            assert!(!s.contains("\u{1b}[2J"), "raw CSI from the data:\n{s}");
            assert!(
                !s.contains("\u{1b}[31m.csv"),
                "raw CSI from the file name:\n{s}"
            );
        }
    }
    let mut task = std::fs::read_to_string(crate::util::root().join(TASK)).unwrap();
    task = task.replace("\"hosts\"", "\"ho\\u001b]0;x\\u0007sts\"");
    let task = put(dir.path(), "esc.json", task.as_bytes());
    let out = hostile(&["--color", "always", "check", &task]);
    let s = block(&out);
    assert!(!s.contains('\u{7}'), "raw BEL:\n{s}");
    assert_no_panic(&out);
}

/// A hostile error report: `fileName`s such as `../secret.csv`, absolute
/// paths or `in/../secret.csv` are matched only against the inputs given on
/// the command line, never opened as paths, and nothing is written.
#[test]
fn a_report_cannot_reach_files_outside_the_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let root = crate::util::root();
    std::fs::create_dir(dir.path().join("in")).unwrap();
    let data = dir.path().join("in/data.csv");
    std::fs::copy(root.join("fixtures/submit/explain/data.csv"), &data).unwrap();
    let secret = dir.path().join("secret.csv");
    std::fs::write(
        &secret,
        "host,time,cpu,mem\nSECRET-LINE,1,x,y\nSECRET-LINE,2,x,y\n",
    )
    .unwrap();
    let names = [
        "../secret.csv".to_owned(),
        "in/../secret.csv".to_owned(),
        "../../../../../../../../etc/passwd".to_owned(),
        secret.display().to_string(),
        "/etc/passwd".to_owned(),
        "data.csv".to_owned(),
    ];
    let entries: Vec<serde_json::Value> = names
        .iter()
        .map(|n| {
            serde_json::json!({"fileName": n, "errors": [
                {"reason": "A measure value cannot be converted to DOUBLE.", "lineRanges": [[1, 3]]}
            ]})
        })
        .collect();
    let report = serde_json::json!({"taskId": "HOSTILE", "taskErrors": [], "fileErrors": entries});
    let report_path = dir.path().join("report.json");
    std::fs::write(&report_path, serde_json::to_vec(&report).unwrap()).unwrap();
    let before = listing(dir.path());
    let task = root.join("fixtures/submit/task.json");
    for format in ["human", "json"] {
        let mut cmd = tsload(&[
            "explain",
            report_path.to_str().unwrap(),
            task.to_str().unwrap(),
            data.to_str().unwrap(),
            "--format",
            format,
        ]);
        cmd.current_dir(dir.path()).stdin(Stdio::null());
        let out = run_limited(cmd, LIMIT);
        assert_no_panic(&out);
        let text = block(&out);
        assert!(out.status.code().is_some_and(|c| c <= 2), "{text}");
        assert!(
            !text.contains("SECRET-LINE"),
            "read a file outside the inputs:\n{text}"
        );
        assert!(!text.contains("root:"), "read /etc/passwd:\n{text}");
        // The one real input is explained: its rows are shown.
        assert!(text.contains("high"), "{text}");
    }
    assert_eq!(listing(dir.path()), before, "explain wrote files");
}
