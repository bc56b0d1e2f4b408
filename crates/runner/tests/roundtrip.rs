//! Property tests of the pipeline's outputs against the mapper, on random
//! CSV files in random dialects, read with tiny chunks by several threads:
//!
//! - `--emit` JSON lines, read back, are exactly the records that
//!   `Plan::build_records` builds from the same rows, in order;
//! - `--emit` Parquet, read back with the parquet crate's reader, holds
//!   exactly those records in the table's shape (one row per record, nulls
//!   where a record has no value), in row groups of any size, and the file
//!   is byte for byte the same with 1, 2 and 3 threads;
//! - the error report's `lineRanges` cover exactly the physical lines of the
//!   rows that fail, multi-line quoted rows and blank lines included, each
//!   line once.
//!
//! The CSV text is written by the test itself (not by the reader under
//! test), and the expected records are built from the cells the test chose.

use std::collections::BTreeSet;
use std::io::BufRead;

use proptest::prelude::*;
use tsload_csv::ReadOptions;
use tsload_csv::record::OwnedRecord;
use tsload_mapper::{CheckContext, Plan, WriteRecord};
use tsload_model::effective::{CsvDialect, DataModel};
use tsload_runner::emit::RecordWriter;
use tsload_runner::emit::jsonl::JsonlWriter;
use tsload_runner::emit::parquet::ParquetWriter;
use tsload_runner::input::Input;
use tsload_runner::progress::NoProgress;
use tsload_runner::validate::{LocalOpener, Options, Pipeline, Validation};

/// 2027-01-15T08:00:00Z: every generated time is before it.
const REF_NS: i64 = 1_800_000_000_000_000_000;

/// Every value type, two dimensions, one multi-measure record per row.
const MULTI: &str = r#"{"TimeColumn":"time","DimensionMappings":[{"SourceColumn":"host"},{"SourceColumn":"az","DestinationColumn":"zone"}],
  "MultiMeasureMappings":{"TargetMultiMeasureName":"metrics","MultiMeasureAttributeMappings":[
    {"SourceColumn":"cpu","MeasureValueType":"DOUBLE"},
    {"SourceColumn":"req","MeasureValueType":"BIGINT"},
    {"SourceColumn":"ok","MeasureValueType":"BOOLEAN"},
    {"SourceColumn":"status","MeasureValueType":"VARCHAR"},
    {"SourceColumn":"seen","TargetMultiMeasureAttributeName":"last_seen","MeasureValueType":"TIMESTAMP"}]}}"#;
const MULTI_HEADER: &[&str] = &["time", "host", "az", "cpu", "req", "ok", "status", "seen"];

/// Records chosen by a `MeasureNameColumn`: scalars and a multi-measure.
const MIXED: &str = r#"{"TimeColumn":"time","TimeUnit":"SECONDS","DimensionMappings":[{"SourceColumn":"host"}],
  "MeasureNameColumn":"measure_name",
  "MixedMeasureMappings":[
    {"MeasureName":"cpu","SourceColumn":"value","MeasureValueType":"DOUBLE"},
    {"MeasureName":"count","SourceColumn":"n","MeasureValueType":"BIGINT"},
    {"MeasureName":"metrics","MeasureValueType":"MULTI","TargetMeasureName":"metrics",
     "MultiMeasureAttributeMappings":[{"SourceColumn":"value","TargetMultiMeasureAttributeName":"v","MeasureValueType":"DOUBLE"},
                                      {"SourceColumn":"ts2","MeasureValueType":"TIMESTAMP"}]}]}"#;
const MIXED_HEADER: &[&str] = &["time", "host", "measure_name", "value", "n", "ts2"];

fn model(json: &str) -> DataModel {
    DataModel::from_wire(&serde_json::from_str(json).unwrap()).unwrap()
}

fn ctx() -> CheckContext {
    CheckContext {
        reference_time_ns: REF_NS,
        ..CheckContext::default()
    }
}

/// One CSV cell: its content and whether it is written quoted.
#[derive(Debug, Clone)]
struct Cell {
    text: String,
    quoted: bool,
}

/// A dialect: separator, quote, CRLF or LF, and an optional `NullValue`.
fn dialect() -> impl Strategy<Value = (CsvDialect, bool)> {
    (
        prop::sample::select(vec![b',', b';', b'|', b'\t']),
        prop::sample::select(vec![b'"', b'\'']),
        prop::option::of(Just("NULL".to_owned())),
        any::<bool>(),
    )
        .prop_map(|(separator, quote, null_value, crlf)| {
            (
                CsvDialect {
                    separator,
                    quote,
                    escape: None,
                    null_value,
                    trim: false,
                },
                crlf,
            )
        })
}

/// Text that may need quoting: separators of every dialect, both quote
/// characters, line feeds, spaces, non-ASCII.
fn text(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[a-zA-Z0-9 ,;|\t\"'\n.é€😀-]{{1,{max}}}")).unwrap()
}

fn cell(s: impl Strategy<Value = String>) -> impl Strategy<Value = Cell> {
    (s, prop::bool::weighted(0.2)).prop_map(|(text, quoted)| Cell { text, quoted })
}

fn num(lo: i64, hi: i64) -> impl Strategy<Value = String> {
    (lo..hi).prop_map(|v| v.to_string())
}

fn double() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => any::<f64>().prop_filter("finite", |v| v.is_finite()).prop_map(|v| v.to_string()),
        2 => (-1_000_000i64..1_000_000).prop_map(|v| v.to_string()),
        1 => Just("1e5".to_owned()),
        1 => Just("-0.25".to_owned()),
        1 => Just("+3.5".to_owned()),
        // Invalid or null, now and then.
        1 => Just("n/a".to_owned()),
        1 => Just(String::new()),
    ]
}

fn bigint() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => any::<i64>().prop_map(|v| v.to_string()),
        1 => (0u32..1000).prop_map(|v| format!("+00{v}")),
        1 => Just("1.5".to_owned()),
        1 => Just(String::new()),
    ]
}

fn boolean() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["true", "false", "TRUE", "False", "yes", ""]).prop_map(String::from)
}

/// Epoch milliseconds (2001..2025), sometimes with leading zeros.
fn millis() -> impl Strategy<Value = String> {
    (1_000_000_000_000i64..1_750_000_000_000, any::<bool>()).prop_map(|(v, zeros)| {
        if zeros {
            format!("00{v}")
        } else {
            v.to_string()
        }
    })
}

/// A row of [`MULTI_HEADER`].
fn multi_row() -> impl Strategy<Value = Vec<Cell>> {
    (
        cell(millis()),
        cell(text(6)),
        cell(prop_oneof![3 => text(4), 1 => Just(String::new())]),
        cell(double()),
        cell(bigint()),
        cell(boolean()),
        cell(prop_oneof![3 => text(12), 1 => Just(String::new())]),
        cell(prop_oneof![3 => millis(), 1 => Just(String::new())]),
    )
        .prop_map(|(a, b, c, d, e, f, g, h)| vec![a, b, c, d, e, f, g, h])
}

/// A row of [`MIXED_HEADER`] (time in seconds).
fn mixed_row() -> impl Strategy<Value = Vec<Cell>> {
    (
        cell(num(1_000_000_000, 1_750_000_000)),
        cell(text(6)),
        cell(prop::sample::select(vec!["cpu", "count", "metrics", "other"]).prop_map(String::from)),
        cell(double()),
        cell(bigint()),
        cell(prop_oneof![3 => num(1_000_000_000, 1_750_000_000), 1 => Just(String::new())]),
    )
        .prop_map(|(a, b, c, d, e, f)| vec![a, b, c, d, e, f])
}

/// Writes one cell; quotes it when asked or when its text needs it.
fn write_cell(out: &mut Vec<u8>, c: &mut Cell, d: &CsvDialect) {
    let t = c.text.as_bytes();
    let needs = t
        .iter()
        .any(|&b| b == d.separator || b == d.quote || b == b'\n' || b == b'\r');
    c.quoted |= needs;
    if c.quoted {
        out.push(d.quote);
        for &b in t {
            if b == d.quote {
                out.push(d.quote);
            }
            out.push(b);
        }
        out.push(d.quote);
    } else {
        out.extend_from_slice(t);
    }
}

/// The CSV text of `rows` (quoting flags updated to what was written) and
/// the first physical line of each row. `blank_before[i]` blank lines
/// precede row `i`.
fn write_csv(
    header: &[&str],
    rows: &mut [Vec<Cell>],
    blank_before: &[usize],
    d: &CsvDialect,
    crlf: bool,
) -> (Vec<u8>, Vec<u64>) {
    let term: &[u8] = if crlf { b"\r\n" } else { b"\n" };
    let mut out = header
        .join(&char::from(d.separator).to_string())
        .into_bytes();
    out.extend_from_slice(term);
    let mut line = 2u64;
    let mut first_lines = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter_mut().enumerate() {
        for _ in 0..blank_before.get(i).copied().unwrap_or(0) {
            out.extend_from_slice(term);
            line += 1;
        }
        first_lines.push(line);
        for (j, c) in row.iter_mut().enumerate() {
            if j > 0 {
                out.push(d.separator);
            }
            write_cell(&mut out, c, d);
            line += c.text.bytes().filter(|&b| b == b'\n').count() as u64;
        }
        out.extend_from_slice(term);
        line += 1;
    }
    (out, first_lines)
}

/// Runs the pipeline over `data` (as a file) with tiny chunks; emits JSON
/// lines when `emit` is given.
fn validate(
    model: &DataModel,
    d: &CsvDialect,
    data: &[u8],
    threads: usize,
    chunk: usize,
    emit: Option<&std::path::Path>,
) -> Validation {
    let writer = emit.map(|p| Box::new(JsonlWriter::create(p).unwrap()) as Box<dyn RecordWriter>);
    validate_into(model, d, data, threads, chunk, writer)
}

/// [`validate`] with any writer.
fn validate_into(
    model: &DataModel,
    d: &CsvDialect,
    data: &[u8],
    threads: usize,
    chunk: usize,
    writer: Option<Box<dyn RecordWriter>>,
) -> Validation {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.csv");
    std::fs::write(&path, data).unwrap();
    let options = Options {
        threads,
        read: ReadOptions {
            threads,
            window_bytes: 256,
            chunk_bytes: chunk,
            read_bytes: 61,
            ..ReadOptions::default()
        },
        context: ctx(),
        ..Options::default()
    };
    Pipeline::new(model, d, options)
        .unwrap()
        .run(
            &[Input::File {
                path,
                size: data.len() as u64,
            }],
            &LocalOpener,
            writer,
            &NoProgress,
        )
        .unwrap()
}

/// The records `Plan::build_records` makes of `rows`.
fn expected_records(
    model: &DataModel,
    d: &CsvDialect,
    header: &[&str],
    rows: &[Vec<Cell>],
) -> Vec<WriteRecord> {
    let plan = Plan::compile(model, d, header, &ctx()).unwrap();
    let mut out = Vec::new();
    for row in rows {
        let mut r = OwnedRecord::default();
        for c in row {
            r.push_field(c.text.as_bytes(), c.quoted);
        }
        plan.build_records(&r.as_record(), &mut out);
    }
    out
}

fn read_jsonl(path: &std::path::Path) -> Vec<WriteRecord> {
    std::io::BufReader::new(std::fs::File::open(path).unwrap())
        .lines()
        .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
        .collect()
}

fn emit_case(
    json: &str,
    header: &[&str],
    (d, crlf): (CsvDialect, bool),
    mut rows: Vec<Vec<Cell>>,
    threads: usize,
    chunk: usize,
) -> Result<(), TestCaseError> {
    let m = model(json);
    let (data, _) = write_csv(header, &mut rows, &[], &d, crlf);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("records.jsonl");
    let v = validate(&m, &d, &data, threads, chunk, Some(&out));
    let want = expected_records(&m, &d, header, &rows);
    let got = read_jsonl(&out);
    prop_assert_eq!(v.emitted, Some(got.len() as u64));
    prop_assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        prop_assert_eq!(g, w, "record {}", i);
    }
    // Every row ingested became records; the counters agree.
    prop_assert_eq!(v.totals.counters.records_processed, rows.len() as u64);
    Ok(())
}

/// A cell of a Parquet row, as the reader gives it.
#[derive(Debug, Clone, PartialEq)]
enum Pq {
    Null,
    Str(String),
    Long(i64),
    Double(f64),
    Bool(bool),
}

/// A Parquet row: (column, value) in schema order.
type PqRow = Vec<(String, Pq)>;

/// The column names and rows of a Parquet file, and its row group sizes.
fn read_parquet(path: &std::path::Path) -> (Vec<String>, Vec<PqRow>, Vec<i64>) {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::Field;
    let reader = SerializedFileReader::new(std::fs::File::open(path).unwrap()).unwrap();
    let meta = reader.metadata();
    let names: Vec<String> = meta
        .file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .map(|c| c.name().to_owned())
        .collect();
    let groups = meta
        .row_groups()
        .iter()
        .map(parquet::file::metadata::RowGroupMetaData::num_rows)
        .collect();
    let rows = reader
        .get_row_iter(None)
        .unwrap()
        .map(|r| {
            r.unwrap()
                .get_column_iter()
                .map(|(name, f)| {
                    let v = match f {
                        Field::Null => Pq::Null,
                        Field::Str(s) => Pq::Str(s.clone()),
                        Field::Long(v) => Pq::Long(*v),
                        Field::Double(v) => Pq::Double(*v),
                        Field::Bool(v) => Pq::Bool(*v),
                        other => panic!("unexpected field {other:?} in `{name}`"),
                    };
                    (name.clone(), v)
                })
                .collect()
        })
        .collect();
    (names, rows, groups)
}

/// The Parquet rows `records` should read back as, with the columns `names`.
fn expected_rows(names: &[String], records: &[WriteRecord]) -> Vec<PqRow> {
    use tsload_mapper::{MeasureValueType as T, RecordTimeUnit as U};
    records
        .iter()
        .map(|r| {
            let unit = match r.time_unit {
                U::Seconds => 1_000_000_000,
                U::Milliseconds => 1_000_000,
                U::Microseconds => 1_000,
                U::Nanoseconds => 1,
            };
            let typed = |text: &str, t: T| match t {
                T::Double => Pq::Double(text.parse().unwrap()),
                T::Bigint => Pq::Long(text.parse().unwrap()),
                T::Timestamp => Pq::Long(text.parse::<i64>().unwrap() * unit),
                T::Boolean => Pq::Bool(text == "true"),
                T::Varchar => Pq::Str(text.to_owned()),
                T::Multi => unreachable!(),
            };
            let mut cells: Vec<(String, Pq)> = vec![
                (
                    "time".into(),
                    Pq::Long(r.time.parse::<i64>().unwrap() * unit),
                ),
                ("measure_name".into(), Pq::Str(r.measure_name.clone())),
            ];
            cells.extend(
                r.dimensions
                    .iter()
                    .map(|d| (d.name.clone(), Pq::Str(d.value.clone()))),
            );
            if let Some(vs) = &r.measure_values {
                cells.extend(
                    vs.iter()
                        .map(|v| (v.name.clone(), typed(&v.value, v.value_type))),
                );
            }
            if let Some(v) = &r.measure_value {
                let t = serde_json::to_value(r.measure_value_type).unwrap();
                let col = format!("measure_value::{}", t.as_str().unwrap().to_lowercase());
                cells.push((col, typed(v, r.measure_value_type)));
            }
            for (name, _) in &cells {
                assert!(names.contains(name), "no column `{name}` in {names:?}");
            }
            names
                .iter()
                .map(|n| {
                    let v = cells
                        .iter()
                        .find(|(c, _)| c == n)
                        .map_or(Pq::Null, |(_, v)| v.clone());
                    (n.clone(), v)
                })
                .collect()
        })
        .collect()
}

/// `--emit out.parquet` over `rows`, with `threads` threads and row groups
/// of `group` rows, read back against the mapper's records; the same bytes
/// with 1, 2 and 3 threads.
#[allow(clippy::too_many_arguments)]
fn parquet_case(
    json: &str,
    header: &[&str],
    (d, crlf): (CsvDialect, bool),
    mut rows: Vec<Vec<Cell>>,
    threads: usize,
    chunk: usize,
    group: usize,
) -> Result<(), TestCaseError> {
    let m = model(json);
    let (data, _) = write_csv(header, &mut rows, &[], &d, crlf);
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for t in [threads, 1, 2, 3] {
        let out = dir.path().join(format!("records-{t}.parquet"));
        let w = ParquetWriter::with_row_group_rows(&out, &m, group).unwrap();
        let v = validate_into(&m, &d, &data, t, chunk, Some(Box::new(w)));
        files.push((v, out));
    }
    let want = expected_records(&m, &d, header, &rows);
    let (v, out) = &files[0];
    let (names, got, groups) = read_parquet(out);
    prop_assert_eq!(v.emitted, Some(want.len() as u64));
    prop_assert_eq!(groups.iter().sum::<i64>(), want.len() as i64);
    prop_assert!(groups.iter().all(|&g| g as usize <= group));
    prop_assert_eq!(groups.len(), want.len().div_ceil(group));
    let expected = expected_rows(&names, &want);
    prop_assert_eq!(got.len(), expected.len());
    for (i, (g, w)) in got.iter().zip(&expected).enumerate() {
        prop_assert_eq!(g, w, "record {}", i);
    }
    let bytes = std::fs::read(out).unwrap();
    for (_, other) in &files[1..] {
        prop_assert!(
            std::fs::read(other).unwrap() == bytes,
            "{} differs",
            other.display()
        );
    }
    // The owned path (`RecordWriter::write`) writes the same file.
    let owned = dir.path().join("owned.parquet");
    let mut w = ParquetWriter::with_row_group_rows(&owned, &m, group).unwrap();
    let lines = vec![0; want.len()];
    for (r, l) in want.chunks(7).zip(lines.chunks(7)) {
        w.write(r, l).unwrap();
    }
    prop_assert_eq!(Box::new(w).finish().unwrap(), want.len() as u64);
    prop_assert!(
        std::fs::read(&owned).unwrap() == bytes,
        "the owned path differs"
    );
    Ok(())
}

/// The records of a fixture, built row by row by `Plan::build_records`.
fn fixture_records(m: &DataModel, d: &CsvDialect, data: &[u8]) -> Vec<WriteRecord> {
    use tsload_csv::{CsvReader, HeaderOutcome};
    let mut reader = CsvReader::new(data, d, ReadOptions::default()).unwrap();
    let HeaderOutcome::Header(h) = reader.header().unwrap() else {
        panic!("no header");
    };
    let plan = Plan::compile(m, d, &h.names, &ctx()).unwrap();
    let mut out = Vec::new();
    while let Some(rec) = reader.read_record().unwrap() {
        plan.build_records(&rec, &mut out);
    }
    out
}

#[test]
fn every_valid_fixture_emits_its_records_as_parquet_and_jsonl() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/valid");
    let mut seen = 0;
    for entry in std::fs::read_dir(&root).unwrap() {
        let dir = entry.unwrap().path();
        let task = ["task.json", "model.json"]
            .iter()
            .map(|f| dir.join(f))
            .find(|p| p.exists())
            .unwrap();
        let text = std::fs::read(&task).unwrap();
        let loaded = tsload_model::load_bytes(&text, &task.display().to_string()).unwrap();
        let m = DataModel::from_wire(loaded.data_model().unwrap()).unwrap();
        let csv = loaded
            .request
            .data_source_configuration
            .as_ref()
            .and_then(|d| d.csv_configuration.as_ref());
        let d = CsvDialect::from_wire(csv).unwrap();
        let data = std::fs::read(dir.join("data.csv")).unwrap();
        let want = fixture_records(&m, &d, &data);
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let tmp = tempfile::tempdir().unwrap();
        for (threads, group) in [(1, 1000), (2, 3), (3, 1)] {
            let out = tmp.path().join("records.parquet");
            let w = ParquetWriter::with_row_group_rows(&out, &m, group).unwrap();
            let v = validate_into(&m, &d, &data, threads, 64, Some(Box::new(w)));
            assert_eq!(v.emitted, Some(want.len() as u64), "{name}");
            let (names, got, groups) = read_parquet(&out);
            assert_eq!(groups.len(), want.len().div_ceil(group), "{name}");
            assert_eq!(got, expected_rows(&names, &want), "{name}");
            let jsonl = tmp.path().join("records.jsonl");
            validate(&m, &d, &data, threads, 64, Some(&jsonl));
            assert_eq!(read_jsonl(&jsonl), want, "{name}");
        }
        seen += 1;
    }
    assert!(seen >= 5, "fixtures under {}", root.display());
}

#[test]
fn an_empty_load_is_a_parquet_file_with_the_columns_and_no_rows() {
    let m = model(MIXED);
    let d = CsvDialect::default();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("empty.parquet");
    let data = format!("{}\n", MIXED_HEADER.join(","));
    let w = ParquetWriter::create(&out, &m).unwrap();
    let v = validate_into(&m, &d, data.as_bytes(), 2, 64, Some(Box::new(w)));
    assert_eq!(v.emitted, Some(0));
    let (names, rows, groups) = read_parquet(&out);
    assert_eq!(
        names,
        [
            "time",
            "host",
            "measure_name",
            "measure_value::double",
            "measure_value::bigint",
            "v",
            "ts2"
        ]
    );
    assert!(rows.is_empty());
    assert!(groups.is_empty());
}

/// Large enough for several data pages per column and for the host name
/// dictionary to give up (64 KiB): the file is still byte for byte the same
/// whatever the threads and chunk sizes, since the Arrow writer is fed in
/// slices cut at the same rows.
#[test]
fn a_large_parquet_file_does_not_depend_on_threads_or_chunking() {
    use std::fmt::Write;
    let m = model(MULTI);
    let d = CsvDialect::default();
    let mut text = format!("{}\n", MULTI_HEADER.join(","));
    for i in 0..40_000u64 {
        writeln!(
            text,
            "{},ip-10-0-{}-{}.us-east-1.compute.internal,us-east-1{},{}.{},{},{},{},{}",
            1_600_000_000_000 + i,
            i % 97,
            i % 89,
            ["a", "b", "c"][i as usize % 3],
            i % 100,
            i % 7,
            i * 13,
            i % 2 == 0,
            ["OK", "DEGRADED", ""][i as usize % 3],
            if i % 5 == 0 {
                String::new()
            } else {
                (1_500_000_000_000 + i).to_string()
            },
        )
        .unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (threads, chunk, window) in [
        (1, 1 << 20, 4 << 20),
        (2, 64 << 10, 256 << 10),
        (3, 7_001, 64 << 10),
    ] {
        let path = dir.path().join("data.csv");
        std::fs::write(&path, &text).unwrap();
        let out = dir.path().join(format!("out-{threads}.parquet"));
        let w = ParquetWriter::with_row_group_rows(&out, &m, 25_000).unwrap();
        let options = Options {
            threads,
            read: ReadOptions {
                threads,
                window_bytes: window,
                chunk_bytes: chunk,
                ..ReadOptions::default()
            },
            context: ctx(),
            ..Options::default()
        };
        let v = Pipeline::new(&m, &d, options)
            .unwrap()
            .run(
                &[Input::File {
                    path,
                    size: text.len() as u64,
                }],
                &LocalOpener,
                Some(Box::new(w)),
                &NoProgress,
            )
            .unwrap();
        assert_eq!(v.emitted, Some(40_000));
        files.push(std::fs::read(&out).unwrap());
    }
    let (_, rows, groups) = read_parquet(&dir.path().join("out-1.parquet"));
    assert_eq!(groups, [25_000, 15_000]);
    assert_eq!(rows.len(), 40_000);
    assert!(files.iter().all(|f| *f == files[0]), "files differ");
}

/// A device that refuses every write (`/dev/full`, reached through a
/// symlink named `.parquet`): the run stops with an error naming the
/// output, whether the encoder fails in the middle (small row groups are
/// written while rows still come) or at the end.
#[cfg(target_os = "linux")]
#[test]
fn a_failing_parquet_output_fails_the_run_and_names_it() {
    use tsload_runner::emit::EmitError;
    use tsload_runner::validate::PipelineError;
    let m = model(MULTI);
    let d = CsvDialect::default();
    let mut rows = Vec::new();
    for i in 0..3000 {
        rows.push(format!(
            "{},web-{i},us-east-1a,0.5,{i},true,OK,1600000000000",
            1_600_000_000_000i64 + i
        ));
    }
    let data = format!("{}\n{}\n", MULTI_HEADER.join(","), rows.join("\n"));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("full.parquet");
    std::os::unix::fs::symlink("/dev/full", &out).unwrap();
    let mut kinds = Vec::new();
    for group in [10, 1_000_000] {
        let w = ParquetWriter::with_row_group_rows(&out, &m, group).unwrap();
        let options = Options {
            threads: 2,
            context: ctx(),
            ..Options::default()
        };
        let path = dir.path().join("data.csv");
        std::fs::write(&path, &data).unwrap();
        let err = Pipeline::new(&m, &d, options)
            .unwrap()
            .run(
                &[Input::File {
                    path,
                    size: data.len() as u64,
                }],
                &LocalOpener,
                Some(Box::new(w)),
                &NoProgress,
            )
            .unwrap_err();
        let path = match &err {
            PipelineError::Emit(EmitError::Parquet { path, .. }) => path,
            PipelineError::Emit(EmitError::Write(w)) => &w.path,
            other => panic!("unexpected error {other:?}"),
        };
        assert_eq!(path, &out, "{err}");
        assert!(err.to_string().contains("full.parquet"), "{err}");
        kinds.push(matches!(
            err,
            PipelineError::Emit(EmitError::Parquet { .. })
        ));
    }
    // Small row groups fail in the encoder, while rows still come.
    assert_eq!(kinds, [true, false]);
}

/// How a row of the line-range test is broken, if it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    None,
    BadDouble,
    EmptyTime,
    BadBoolean,
    /// A quoted empty dimension (`R024`, a record ingestion failure).
    EmptyDimension,
    /// Later than now + 15 minutes (an ingestion failure).
    FutureTime,
    /// Two fields short (`C008`, a parse failure).
    ShortRow,
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        6 => Just(Fault::None),
        1 => Just(Fault::BadDouble),
        1 => Just(Fault::EmptyTime),
        1 => Just(Fault::BadBoolean),
        1 => Just(Fault::EmptyDimension),
        1 => Just(Fault::FutureTime),
        1 => Just(Fault::ShortRow),
    ]
}

/// A valid row of [`MULTI_HEADER`] with multi-line quoted text, broken as
/// `fault` says.
fn faulty_row() -> impl Strategy<Value = (Vec<Cell>, Fault)> {
    let valid = (
        millis(),
        "[a-z]{1,5}",
        "[a-z]{1,3}(\n[a-z]{0,3}){0,2}",
        (-1000i64..1000).prop_map(|v| format!("{v}.5")),
        any::<i64>().prop_map(|v| v.to_string()),
        prop::sample::select(vec!["true", "false"]),
        "[a-z ,;]{1,6}(\n[a-z]{0,4}){0,3}",
        millis(),
    );
    (valid, fault()).prop_map(|((t, h, az, cpu, req, ok, status, seen), f)| {
        let c = |s: &str| Cell {
            text: s.to_owned(),
            quoted: false,
        };
        let mut row = vec![
            c(&t),
            c(&h),
            c(&az),
            c(&cpu),
            c(&req),
            c(ok),
            c(&status),
            c(&seen),
        ];
        match f {
            Fault::None => {}
            Fault::BadDouble => row[3] = c("n/a"),
            Fault::EmptyTime => row[0] = c(""),
            Fault::BadBoolean => row[5] = c("maybe"),
            Fault::EmptyDimension => {
                row[1] = Cell {
                    text: String::new(),
                    quoted: true,
                }
            }
            Fault::FutureTime => row[0] = c("1900000000000"),
            Fault::ShortRow => row.truncate(6),
        }
        (row, f)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 160, ..ProptestConfig::default() })]

    /// `--emit` JSON lines read back equal the mapper's records (all value
    /// types, quoting, nulls, invalid rows skipped).
    #[test]
    fn emitted_jsonl_equals_the_built_records_multi(
        d in dialect(),
        rows in prop::collection::vec(multi_row(), 0..40),
        threads in 1usize..4,
        chunk in 1usize..96,
    ) {
        emit_case(MULTI, MULTI_HEADER, d, rows, threads, chunk)?;
    }

    /// The same with records chosen by `MeasureNameColumn`.
    #[test]
    fn emitted_jsonl_equals_the_built_records_mixed(
        d in dialect(),
        rows in prop::collection::vec(mixed_row(), 0..40),
        threads in 1usize..4,
        chunk in 1usize..96,
    ) {
        emit_case(MIXED, MIXED_HEADER, d, rows, threads, chunk)?;
    }

    /// `--emit` Parquet read back equals the mapper's records (all value
    /// types, nulls, invalid rows skipped), in row groups of 1 to 16 rows,
    /// the same file whatever the threads.
    #[test]
    fn emitted_parquet_equals_the_built_records_multi(
        d in dialect(),
        rows in prop::collection::vec(multi_row(), 0..40),
        threads in 1usize..4,
        chunk in 1usize..96,
        group in 1usize..17,
    ) {
        parquet_case(MULTI, MULTI_HEADER, d, rows, threads, chunk, group)?;
    }

    /// The same with records chosen by `MeasureNameColumn` (single-measure
    /// values in `measure_value::<type>`, a multi-measure record beside).
    #[test]
    fn emitted_parquet_equals_the_built_records_mixed(
        d in dialect(),
        rows in prop::collection::vec(mixed_row(), 0..40),
        threads in 1usize..4,
        chunk in 1usize..96,
        group in 1usize..17,
    ) {
        parquet_case(MIXED, MIXED_HEADER, d, rows, threads, chunk, group)?;
    }

    /// The report's `lineRanges` cover exactly the lines of the failed rows.
    #[test]
    fn line_ranges_cover_exactly_the_failed_rows(
        (d, crlf) in dialect(),
        rows in prop::collection::vec(faulty_row(), 1..60),
        blanks in prop::collection::vec(prop::sample::select(vec![0usize, 0, 0, 0, 1, 2]), 60),
        threads in 1usize..4,
        chunk in 1usize..96,
    ) {
        let m = model(MULTI);
        let (mut cells, faults): (Vec<Vec<Cell>>, Vec<Fault>) = rows.into_iter().unzip();
        let (data, first_lines) = write_csv(MULTI_HEADER, &mut cells, &blanks, &d, crlf);
        let v = validate(&m, &d, &data, threads, chunk, None);
        let mut want = BTreeSet::new();
        for ((row, f), first) in cells.iter().zip(&faults).zip(&first_lines) {
            if *f != Fault::None {
                let extra: u64 = row.iter().map(|c| c.text.matches('\n').count() as u64).sum();
                want.extend(*first..=first + extra);
            }
        }
        let res = &v.files[0].result;
        let mut got = BTreeSet::new();
        let mut covered = 0u64;
        for e in &res.errors {
            prop_assert!(!e.truncated);
            for w in e.line_ranges.windows(2) {
                prop_assert!(w[0][1] + 1 < w[1][0], "ranges sorted and coalesced: {:?}", e.line_ranges);
            }
            for [lo, hi] in &e.line_ranges {
                prop_assert!(lo <= hi);
                covered += hi - lo + 1;
                got.extend(*lo..=*hi);
            }
        }
        prop_assert_eq!(&got, &want, "reasons: {:?}", res.errors);
        prop_assert_eq!(covered, want.len() as u64, "a line is in two reasons: {:?}", res.errors);
        let failed = faults.iter().filter(|f| **f != Fault::None).count() as u64;
        let c = res.counters;
        prop_assert_eq!(c.parse_failures + c.record_ingestion_failures, failed);
        prop_assert_eq!(c.records_processed, faults.len() as u64);
    }
}
