//! The validation pipeline end to end on in-memory and fixture inputs.

use std::io::Read;
use std::path::{Path, PathBuf};

use tsload_csv::ReadOptions;
use tsload_mapper::CheckContext;
use tsload_model::effective::{CsvDialect, DataModel};
use tsload_runner::emit;
use tsload_runner::input::Input;
use tsload_runner::progress::NoProgress;
use tsload_runner::validate::{LocalOpener, Opener, Options, Pipeline, Validation};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn model_of(path: &Path) -> (DataModel, CsvDialect, i64) {
    let text = std::fs::read(path).unwrap();
    let loaded = tsload_model::load_bytes(&text, &path.display().to_string()).unwrap();
    let m = DataModel::from_wire(loaded.data_model().unwrap()).unwrap();
    let csv = loaded
        .request
        .data_source_configuration
        .as_ref()
        .and_then(|d| d.csv_configuration.as_ref());
    (
        m,
        CsvDialect::from_wire(csv).unwrap(),
        loaded.request.record_version.unwrap_or(1),
    )
}

/// In-memory inputs by name.
struct Mem(Vec<(String, Vec<u8>)>);

impl Opener for Mem {
    fn open(&self, input: &Input) -> std::io::Result<Box<dyn Read + Send>> {
        let name = input.name();
        let data = self
            .0
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, d)| d.clone());
        match data {
            Some(d) => Ok(Box::new(std::io::Cursor::new(d))),
            None => Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no such input",
            )),
        }
    }
}

fn file(path: impl Into<PathBuf>, size: usize) -> Input {
    Input::File {
        path: path.into(),
        size: size as u64,
    }
}

fn options(threads: usize, read: ReadOptions) -> Options {
    Options {
        threads,
        read,
        context: CheckContext {
            reference_time_ns: 1_800_000_000_000_000_000,
            ..CheckContext::default()
        },
        ..Options::default()
    }
}

fn run(
    model: &DataModel,
    dialect: &CsvDialect,
    opts: Options,
    files: &[(&str, &[u8])],
) -> Validation {
    let mem = Mem(files
        .iter()
        .map(|(n, d)| ((*n).to_owned(), d.to_vec()))
        .collect());
    let inputs: Vec<Input> = files.iter().map(|(n, d)| file(n, d.len())).collect();
    Pipeline::new(model, dialect, opts)
        .unwrap()
        .run(&inputs, &mem, None, &NoProgress)
        .unwrap()
}

const HOSTS: &str = "multi-measure-hosts";

/// The data model and dialect of the `multi-measure-hosts` fixture.
fn hosts_model() -> (DataModel, CsvDialect) {
    let (m, d, _) = model_of(&fixtures().join("valid").join(HOSTS).join("task.json"));
    (m, d)
}

/// The data of the `multi-measure-hosts` fixture.
fn hosts_data() -> Vec<u8> {
    std::fs::read(fixtures().join("valid").join(HOSTS).join("data.csv")).unwrap()
}

/// Validates the local file `path` (`size` bytes) as the CLI does: a
/// regular file is read by offset, anything else as a stream.
fn run_path(
    model: &DataModel,
    dialect: &CsvDialect,
    opts: Options,
    path: PathBuf,
    size: usize,
) -> Validation {
    Pipeline::new(model, dialect, opts)
        .unwrap()
        .run(&[file(path, size)], &LocalOpener, None, &NoProgress)
        .unwrap()
}

#[test]
fn fixture_is_clean_and_counts_rows() {
    let (m, d) = hosts_model();
    let data = hosts_data();
    let v = run(
        &m,
        &d,
        options(2, ReadOptions::default()),
        &[("data.csv", &data)],
    );
    let c = v.totals.counters;
    assert_eq!(c.records_processed, 24);
    assert_eq!(c.records_ingested, 24);
    assert_eq!(
        c.parse_failures + c.record_ingestion_failures + c.file_failures,
        0
    );
}

/// Findings, counters and line ranges are the same whatever the threads and
/// chunk sizes (chunks of a few bytes cross every record).
#[test]
fn results_do_not_depend_on_threads_or_chunking() {
    let (m, d) = hosts_model();
    let mut data = hosts_data();
    data.extend_from_slice(
        b"n/a,us-east-1,web-01,1,2,3,true,OK\n1715000100000,us-east-1,web-01,x,2,3,true,\"a\nb\"\n",
    );
    data.extend_from_slice(
        b"1715000100001,us-east-1,web-01,1.5,2,3.5,maybe,OK\n1715000100002,us-east-1\n",
    );
    let base = run(
        &m,
        &d,
        options(1, ReadOptions::default()),
        &[("data.csv", &data)],
    );
    for threads in [1, 2, 3] {
        let tiny = ReadOptions {
            chunk_bytes: 7,
            window_bytes: 64,
            read_bytes: 3,
            ..ReadOptions::tiny(threads)
        };
        let v = run(
            &m,
            &d,
            options(threads, tiny.clone()),
            &[("data.csv", &data)],
        );
        // The same bytes as a file: read by offset with more than one thread.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data.csv");
        std::fs::write(&path, &data).unwrap();
        let at = run_path(&m, &d, options(threads, tiny), path, data.len());
        let unnamed = |v: &Validation| {
            let mut diags = v.files[0].result.diagnostics.clone();
            for d in &mut diags {
                d.file = None;
            }
            diags
        };
        for (v, how) in [(&v, "stream"), (&at, "file")] {
            assert_eq!(
                v.totals.counters, base.totals.counters,
                "threads={threads} {how}"
            );
            assert_eq!(unnamed(v), unnamed(&base), "threads={threads} {how}");
            let (e0, e1) = (&base.files[0].result.errors, &v.files[0].result.errors);
            assert_eq!(e1, e0, "threads={threads} {how}");
        }
    }
    let c = base.totals.counters;
    assert_eq!(c.records_processed, 28);
    assert_eq!(
        c.parse_failures, 4,
        "{:#?}",
        base.files[0].result.diagnostics
    );
}

#[test]
fn a_full_duplicate_table_gives_the_same_result_however_read() {
    // 400 rows in time order, a table of 50 keys: once it is full, the
    // checkers skip the hashing of rows past its times (`DupHorizon`).
    // Repeats of tracked keys (one conflicting, one identical) and of
    // untracked ones must be counted the same with any thread count,
    // chunking and way of reading.
    let (m, d) = hosts_model();
    let mut data = b"time,region,hostname,cpu,mem,requests,healthy,status\n".to_vec();
    let row = |i: u64, cpu: &str| {
        format!(
            "{},us-east-1,web-{:02},{cpu},30.00,100,true,OK\n",
            1_715_000_000_000 + i / 4 * 1000,
            i % 4
        )
    };
    for i in 0..400u64 {
        let line = match i {
            120 => row(7, "99.5"),    // conflicts with a tracked key
            130 => row(9, "20.05"),   // repeats a tracked key
            300 => row(250, "20.05"), // repeats an untracked key
            _ => row(i, "20.05"),
        };
        data.extend_from_slice(line.as_bytes());
    }
    let small = |threads: usize, read: ReadOptions| Options {
        duplicate_keys: 50,
        ..options(threads, read)
    };
    let base = run(
        &m,
        &d,
        small(1, ReadOptions::default()),
        &[("data.csv", &data)],
    );
    let s = base.duplicates;
    assert_eq!((s.tracked_keys, s.conflicting, s.identical), (50, 1, 1));
    assert_eq!(s.untracked_records, 400 - 50 - 2);
    assert_eq!(base.files[0].result.duplicate_conflicts, 1);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.csv");
    std::fs::write(&path, &data).unwrap();
    for threads in [1, 2, 3] {
        let tiny = ReadOptions {
            chunk_bytes: 200,
            window_bytes: 1024,
            ..ReadOptions::tiny(threads)
        };
        let streamed = run(&m, &d, small(threads, tiny.clone()), &[("data.csv", &data)]);
        let at = run_path(&m, &d, small(threads, tiny), path.clone(), data.len());
        for (v, how) in [(&streamed, "stream"), (&at, "file")] {
            assert_eq!(v.duplicates, base.duplicates, "threads={threads} {how}");
            assert_eq!(
                v.totals.counters, base.totals.counters,
                "threads={threads} {how}"
            );
            let codes = |v: &Validation| {
                let f = &v.files[0].result;
                (
                    f.duplicate_conflicts,
                    f.diagnostics
                        .iter()
                        .map(|d| (d.rule.code, d.location.clone()))
                        .collect::<Vec<_>>(),
                )
            };
            assert_eq!(codes(v), codes(&base), "threads={threads} {how}");
        }
    }
}

#[test]
fn file_failures_count_once_and_have_report_reasons() {
    let (m, d) = hosts_model();
    let bom =
        b"\xEF\xBB\xBFtime,region,hostname,cpu,mem,requests,healthy,status\n1,a,b,1,2,3,true,OK\n";
    let missing = b"time,region,cpu\n1,a,1\n";
    let v = run(
        &m,
        &d,
        options(2, ReadOptions::default()),
        &[
            ("bom.csv", bom),
            ("missing.csv", missing),
            ("empty.csv", b""),
        ],
    );
    assert_eq!(v.totals.counters.file_failures, 3);
    assert_eq!(v.totals.counters.records_processed, 0);
    for f in &v.files {
        assert_eq!(
            f.result.errors.len(),
            1,
            "{}: {:?}",
            f.input,
            f.result.errors
        );
        assert_eq!(f.result.errors[0].line_ranges, vec![[1, 1]]);
    }
    assert!(
        v.files[0].result.errors[0]
            .reason
            .contains("byte order mark")
    );
    // An input that cannot be opened is a file failure too.
    let mem = Mem(vec![]);
    let p = Pipeline::new(&m, &d, options(1, ReadOptions::default())).unwrap();
    let v = p
        .run(&[file("gone.csv", 10)], &mem, None, &NoProgress)
        .unwrap();
    assert_eq!(v.totals.counters.file_failures, 1);
    assert_eq!(v.files[0].result.diagnostics[0].rule.code, "F006");
}

#[test]
fn sample_reads_only_the_first_rows() {
    let (m, d) = hosts_model();
    let data = hosts_data();
    let opts = Options {
        sample_rows: Some(5),
        ..options(2, ReadOptions::default())
    };
    let v = run(&m, &d, opts, &[("data.csv", &data)]);
    assert_eq!(v.totals.counters.records_processed, 5);
    assert!(v.files[0].sampled);
}

fn emit_to(path: &Path, dir: &str) -> (Validation, DataModel) {
    let task = fixtures().join("valid").join(dir);
    let model_file = if task.join("task.json").exists() {
        task.join("task.json")
    } else {
        task.join("model.json")
    };
    let (m, d, _) = model_of(&model_file);
    let data = std::fs::read(task.join("data.csv")).unwrap();
    let writer = emit::open(path, &m).unwrap();
    let mem = Mem(vec![("data.csv".into(), data.clone())]);
    let v = Pipeline::new(&m, &d, options(2, ReadOptions::tiny(2)))
        .unwrap()
        .run(
            &[file("data.csv", data.len())],
            &mem,
            Some(writer),
            &NoProgress,
        )
        .unwrap();
    (v, m)
}

#[test]
fn jsonl_emit_reads_back_as_the_records() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("records.jsonl");
    let (v, _) = emit_to(&out, HOSTS);
    assert_eq!(v.emitted, Some(24));
    let text = std::fs::read_to_string(&out).unwrap();
    let records: Vec<tsload_mapper::WriteRecord> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 24);
    insta::assert_snapshot!(
        "first-emitted-record",
        serde_json::to_string_pretty(&records[0]).unwrap()
    );
    // In input order.
    let times: Vec<i64> = records.iter().map(|r| r.time.parse().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn parquet_emit_reads_back_in_the_table_shape() {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    for dir_name in [HOSTS, "mixed-measures", "tab-separated-nulls"] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("records.parquet");
        let (v, _) = emit_to(&out, dir_name);
        let n = v.emitted.unwrap();
        assert!(n > 0);
        let reader = SerializedFileReader::new(std::fs::File::open(&out).unwrap()).unwrap();
        let meta = reader.metadata();
        assert_eq!(meta.file_metadata().num_rows() as u64, n, "{dir_name}");
        let schema: Vec<String> = meta
            .file_metadata()
            .schema_descr()
            .columns()
            .iter()
            .map(|c| c.name().to_owned())
            .collect();
        let rows: Vec<String> = reader
            .get_row_iter(None)
            .unwrap()
            .take(3)
            .map(|r| r.unwrap().to_string())
            .collect();
        insta::assert_snapshot!(
            format!("parquet-{dir_name}"),
            format!("{schema:?}\n{}", rows.join("\n"))
        );
    }
}

#[test]
fn emit_errors_leave_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("records.csv");
    let (m, _) = hosts_model();
    assert!(matches!(
        emit::open(&bad, &m),
        Err(emit::EmitError::UnknownFormat(_))
    ));
    let missing_dir = dir.path().join("no/such/dir/records.jsonl");
    assert!(emit::open(&missing_dir, &m).is_err());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// Collects what an emitter is given.
struct Collect(std::sync::Arc<std::sync::Mutex<Vec<(String, u64)>>>);

impl emit::RecordWriter for Collect {
    fn write(
        &mut self,
        records: &[tsload_mapper::WriteRecord],
        lines: &[u64],
    ) -> Result<(), emit::EmitError> {
        assert_eq!(records.len(), lines.len());
        let mut v = self.0.lock().unwrap();
        v.extend(records.iter().zip(lines).map(|(r, l)| (r.time.clone(), *l)));
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<u64, emit::EmitError> {
        Ok(self.0.lock().unwrap().len() as u64)
    }
}

#[test]
fn emitted_records_carry_their_source_lines() {
    let (m, d) = hosts_model();
    let data = hosts_data();
    let text = String::from_utf8(data.clone()).unwrap();
    let expected: Vec<(String, u64)> = text
        .lines()
        .skip(1)
        .enumerate()
        .map(|(i, l)| (l.split(',').next().unwrap().to_owned(), i as u64 + 2))
        .collect();
    for (threads, read) in [(1, ReadOptions::default()), (3, ReadOptions::tiny(3))] {
        let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let mem = Mem(vec![("data.csv".into(), data.clone())]);
        Pipeline::new(&m, &d, options(threads, read))
            .unwrap()
            .run(
                &[file("data.csv", data.len())],
                &mem,
                Some(Box::new(Collect(got.clone()))),
                &NoProgress,
            )
            .unwrap();
        assert_eq!(*got.lock().unwrap(), expected, "threads={threads}");
    }
}

/// Many small files are read side by side; results, duplicate findings
/// across files and emitted records are the same as one file at a time.
#[test]
fn small_files_in_parallel_match_one_at_a_time() {
    let (m, d) = hosts_model();
    let good = hosts_data();
    let mut bad = good.clone();
    bad.extend_from_slice(b"1715000100000,us-east-1,web-01,n/a,2,3,true,OK\n");
    // The same key as a row of `good` with another value: a duplicate across files.
    let mut dup = b"time,region,hostname,cpu,mem,requests,healthy,status\n".to_vec();
    dup.extend_from_slice(b"1715000000250,us-east-1,web-01,99.5,30.00,100,false,OK\n");
    let names: Vec<String> = (0..9).map(|i| format!("f{i}.csv")).collect();
    let contents: Vec<&[u8]> = vec![
        &good,
        &bad,
        b"",
        &dup,
        &good,
        b"x,y\n1,2\n",
        &bad,
        &good,
        &dup,
    ];
    let files: Vec<(&str, &[u8])> = names.iter().map(String::as_str).zip(contents).collect();
    let collect = |threads: usize| {
        let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let mem = Mem(files
            .iter()
            .map(|(n, d)| ((*n).to_owned(), d.to_vec()))
            .collect());
        let inputs: Vec<Input> = files.iter().map(|(n, d)| file(n, d.len())).collect();
        let v = Pipeline::new(&m, &d, options(threads, ReadOptions::default()))
            .unwrap()
            .run(
                &inputs,
                &mem,
                Some(Box::new(Collect(got.clone()))),
                &NoProgress,
            )
            .unwrap();
        let records = got.lock().unwrap().clone();
        (v, records)
    };
    let (one, one_records) = collect(1);
    let (many, many_records) = collect(3);
    assert_eq!(many.totals.counters, one.totals.counters);
    assert_eq!(many.duplicates, one.duplicates);
    assert_eq!(many_records, one_records);
    for (a, b) in one.files.iter().zip(&many.files) {
        assert_eq!(a.input, b.input);
        assert_eq!(a.result.diagnostics, b.result.diagnostics, "{}", a.input);
        assert_eq!(a.result.errors, b.result.errors, "{}", a.input);
    }
    assert_eq!(one.totals.counters.file_failures, 2);
    assert_eq!(one.duplicates.conflicting, 2);
}

/// A named pipe is read as a stream, opened once: files are read by offset
/// only when they are regular files (a second open of a pipe would take
/// another reader's place).
#[cfg(unix)]
#[test]
fn a_named_pipe_is_read_as_a_stream() {
    let (m, d) = hosts_model();
    let data = hosts_data();
    let want = run(
        &m,
        &d,
        options(2, ReadOptions::tiny(2)),
        &[("data.csv", &data)],
    );
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("data.csv");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo is installed");
    assert!(made.success());
    let writer = {
        let (fifo, data) = (fifo.clone(), data.clone());
        std::thread::spawn(move || std::fs::write(fifo, data))
    };
    let got = run_path(&m, &d, options(2, ReadOptions::tiny(2)), fifo, data.len());
    writer.join().unwrap().unwrap();
    assert_eq!(got.totals.counters.records_processed, 24);
    assert_eq!(got.totals.counters, want.totals.counters);
    assert_eq!(got.files[0].result.errors, want.files[0].result.errors);
}
