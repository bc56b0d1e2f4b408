//! Mapper throughput on an in-memory input shaped like the benchmark CSV
//! (`shared/bench/gen_csv.py` with `shared/bench/task.json`: epoch-ms time,
//! three dimensions, a multi-measure record of DOUBLE, DOUBLE, BIGINT,
//! BOOLEAN, VARCHAR; 0.2% of statuses quoted with a comma).
//!
//! - `check_row`: the mapper alone, over rows already split (owned records);
//! - `read_and_check`: the CSV reader feeding a `ChunkChecker` per chunk,
//!   with 1 and 2 threads, as `tsload validate` runs (without I/O);
//! - `check_and_build`: also builds the records (`--emit`).
//!
//! `cargo bench -p tsload-mapper --bench check` (set `TSLOAD_BENCH_ROWS`
//! for another size; default 100,000 rows, about 11 MB). Add
//! `--bad-rate`-like defects with `TSLOAD_BENCH_BAD=1` (one row in 1000).

use std::ops::ControlFlow;
use std::sync::{Arc, OnceLock};

use divan::counter::{BytesCount, ItemsCount};
use divan::{Bencher, black_box};
use tsload_csv::record::OwnedRecord;
use tsload_csv::{ChunkSink, CsvReader, HeaderOutcome, ReadOptions, Record};
use tsload_mapper::{CheckContext, ChunkChecker, ChunkOutcome, Plan};
use tsload_model::effective::{CsvDialect, DataModel};

fn main() {
    divan::main();
}

/// The data model of `shared/bench/task.json`.
const MODEL: &str = r#"{"TimeColumn":"time","TimeUnit":"MILLISECONDS",
  "DimensionMappings":[{"SourceColumn":"region"},{"SourceColumn":"az"},{"SourceColumn":"hostname"}],
  "MultiMeasureMappings":{"TargetMultiMeasureName":"metrics","MultiMeasureAttributeMappings":[
    {"SourceColumn":"cpu_utilization","MeasureValueType":"DOUBLE"},
    {"SourceColumn":"memory_utilization","MeasureValueType":"DOUBLE"},
    {"SourceColumn":"requests","MeasureValueType":"BIGINT"},
    {"SourceColumn":"healthy","MeasureValueType":"BOOLEAN"},
    {"SourceColumn":"status","MeasureValueType":"VARCHAR"}]}}"#;
const HEADER: &[&str] = &[
    "time",
    "region",
    "az",
    "hostname",
    "cpu_utilization",
    "memory_utilization",
    "requests",
    "healthy",
    "status",
];

/// A small deterministic generator (xorshift), the shape of gen_csv.py.
fn generate(rows: usize, bad: bool) -> Vec<u8> {
    let mut s: u64 = 42;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let regions = [
        ("us-east-1", 4),
        ("us-west-2", 3),
        ("eu-west-1", 3),
        ("eu-central-1", 2),
        ("ap-southeast-2", 3),
    ];
    let statuses = ["OK", "OK", "OK", "OK", "OK", "WARN", "DEGRADED"];
    let mut out = HEADER.join(",").into_bytes();
    out.push(b'\n');
    let mut t = 1_700_000_000_000u64;
    for i in 0..rows {
        let (region, azs) = regions[(next() % 5) as usize];
        let az = (b'a' + (next() % azs) as u8) as char;
        let h = next() % 20_000;
        t += next() % 20;
        let status = if next() % 500 == 0 {
            "\"DEGRADED, retrying\""
        } else {
            statuses[(next() % statuses.len() as u64) as usize]
        };
        let mut cpu = format!("{:.2}", (next() % 10_000) as f64 / 100.0);
        let mut req = (next() % 6_000).to_string();
        if bad && i % 1000 == 999 {
            if i % 2000 == 999 {
                cpu = "n/a".into();
            } else {
                req = "12.5".into();
            }
        }
        let line = format!(
            "{t},{region},{region}{az},ip-10-{}-{}-{}.{region}.compute.internal,{cpu},{:.4},{req},{},{status}\n",
            h >> 16,
            (h >> 8) & 255,
            h & 255,
            (next() % 1_000_000) as f64 / 10_000.0,
            if next() % 100 == 0 { "false" } else { "true" },
        );
        out.extend_from_slice(line.as_bytes());
    }
    out
}

fn rows() -> usize {
    std::env::var("TSLOAD_BENCH_ROWS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(100_000)
}

fn input() -> &'static [u8] {
    static INPUT: OnceLock<Vec<u8>> = OnceLock::new();
    INPUT.get_or_init(|| generate(rows(), std::env::var_os("TSLOAD_BENCH_BAD").is_some()))
}

fn plan() -> &'static Plan {
    static PLAN: OnceLock<Plan> = OnceLock::new();
    PLAN.get_or_init(|| {
        let wire = serde_json::from_str(MODEL).unwrap();
        let model = DataModel::from_wire(&wire).unwrap();
        let ctx = CheckContext {
            reference_time_ns: 1_800_000_000_000_000_000,
            ..CheckContext::default()
        };
        Plan::compile(&model, &CsvDialect::default(), HEADER, &ctx).unwrap()
    })
}

/// The input's records, split once (for the mapper-only benchmark).
fn records() -> &'static [OwnedRecord] {
    static RECORDS: OnceLock<Vec<OwnedRecord>> = OnceLock::new();
    RECORDS.get_or_init(|| {
        let opts = ReadOptions {
            threads: 1,
            ..ReadOptions::default()
        };
        let mut rdr = CsvReader::new(input(), &CsvDialect::default(), opts).unwrap();
        assert!(matches!(rdr.header().unwrap(), HeaderOutcome::Header(_)));
        let mut out = Vec::new();
        while let Some(r) = rdr.read_record().unwrap() {
            let mut o = OwnedRecord::default();
            for i in 0..r.len() {
                o.push_field(r.field(i), r.is_quoted(i));
            }
            for issue in r.issues() {
                o.push_issue(*issue);
            }
            o.position = r.position();
            out.push(o);
        }
        out
    })
}

/// The mapper alone: `check_row` over split rows.
#[divan::bench]
fn check_row(b: Bencher) {
    let recs = records();
    let plan = plan();
    b.counter(ItemsCount::new(recs.len())).bench(|| {
        let mut checker = ChunkChecker::with_capacity(plan, recs.len());
        for r in recs {
            checker.check_row(&black_box(r.as_record()));
        }
        checker.finish().records_ingested()
    });
}

/// Building the records too (`--emit`).
#[divan::bench]
fn check_and_build(b: Bencher) {
    let recs = records();
    let plan = plan();
    b.counter(ItemsCount::new(recs.len())).bench(|| {
        let mut checker = ChunkChecker::with_capacity(plan, recs.len());
        let mut out = Vec::with_capacity(1024);
        let mut n = 0;
        for r in recs {
            checker.check_and_build(&black_box(r.as_record()), &mut out);
            if out.len() >= 1024 {
                n += out.len();
                out.clear();
            }
        }
        n + out.len()
    });
}

struct Sink<'p>(ChunkChecker<'p>);

impl ChunkSink for Sink<'_> {
    type Output = ChunkOutcome;
    fn record(&mut self, r: &Record<'_>) {
        self.0.check_row(r);
    }
    fn finish(self) -> ChunkOutcome {
        self.0.finish()
    }
}

/// Reader and mapper together, as `tsload validate` runs without I/O.
#[divan::bench(args = [1, 2])]
fn read_and_check(b: Bencher, threads: usize) {
    static POOL: OnceLock<Arc<rayon::ThreadPool>> = OnceLock::new();
    let pool = POOL.get_or_init(|| {
        Arc::new(
            rayon::ThreadPoolBuilder::new()
                .num_threads(2)
                .build()
                .unwrap(),
        )
    });
    let data = input();
    let plan = plan();
    b.counter(BytesCount::of_slice(data)).bench(|| {
        let opts = ReadOptions {
            threads,
            ..ReadOptions::default()
        };
        let rows_hint = opts.chunk_bytes / 48;
        let mut rdr = CsvReader::new(black_box(data), &CsvDialect::default(), opts).unwrap();
        if threads > 1 {
            rdr = rdr.with_thread_pool(pool.clone());
        }
        assert!(matches!(rdr.header().unwrap(), HeaderOutcome::Header(_)));
        let mut ingested = 0;
        rdr.run(
            || Sink(ChunkChecker::with_capacity(plan, rows_hint)),
            |done| {
                ingested += done.output.records_ingested();
                ControlFlow::Continue(())
            },
        )
        .unwrap();
        ingested
    });
}
