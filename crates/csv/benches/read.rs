//! Reader throughput on an in-memory file shaped like the benchmark CSV
//! (`shared/bench/gen_csv.py`: 9 columns, epoch-ms time, three dimensions,
//! four measures, 0.2% of rows with a quoted status holding a comma or
//! doubled quotes), against a `memchr` newline count (the memory-speed
//! floor, like `wc -l`) and the `csv` crate.
//!
//! `cargo bench -p tsload-csv --bench read` (set `TSLOAD_BENCH_ROWS` for
//! another size; default 200,000 rows, about 20 MB).

use std::ops::ControlFlow;
use std::sync::{Arc, OnceLock};

use divan::counter::BytesCount;
use divan::{Bencher, black_box};
use tsload_csv::{ChunkSink, CsvReader, HeaderOutcome, ReadOptions, Record};
use tsload_model::effective::CsvDialect;

fn main() {
    divan::main();
}

/// A small deterministic generator (xorshift), same shape as gen_csv.py.
fn generate(rows: usize) -> Vec<u8> {
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
    let statuses = [
        "OK",
        "OK",
        "OK",
        "OK",
        "OK",
        "OK",
        "WARN",
        "DEGRADED",
        "MAINTENANCE",
    ];
    let mut out =
        b"time,region,az,hostname,cpu_utilization,memory_utilization,requests,healthy,status\n"
            .to_vec();
    for i in 0..rows {
        let (region, azs) = regions[(next() % 5) as usize];
        let az = (b'a' + (next() % azs) as u8) as char;
        let host = next() % 20_000;
        let status = if next() % 500 == 0 {
            if i % 2 == 0 {
                "\"DEGRADED, retrying\""
            } else {
                "\"WARN, high \"\"p99\"\" latency\""
            }
        } else {
            statuses[(next() % statuses.len() as u64) as usize]
        };
        let line = format!(
            "{},{region},{region}{az},host-{host:05}.{region}.internal,{:.2},{:.2},{},{},{status}\n",
            1_700_000_000_000u64 + i as u64 * 1000,
            (next() % 10_000) as f64 / 100.0,
            (next() % 10_000) as f64 / 100.0,
            next() % 100_000,
            if next() % 10 == 0 { "false" } else { "true" },
        );
        out.extend_from_slice(line.as_bytes());
    }
    out
}

fn input() -> &'static [u8] {
    static INPUT: OnceLock<Vec<u8>> = OnceLock::new();
    INPUT.get_or_init(|| {
        let rows = std::env::var("TSLOAD_BENCH_ROWS")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(200_000);
        generate(rows)
    })
}

/// The floor: find every newline (memchr), nothing else.
#[divan::bench]
fn newline_count(b: Bencher) {
    let data = input();
    b.counter(BytesCount::of_slice(data))
        .bench(|| memchr::memchr_iter(b'\n', black_box(data)).count());
}

/// The `csv` crate, amortised `read_byte_record` (the reference).
#[divan::bench]
fn csv_crate(b: Bencher) {
    let data = input();
    b.counter(BytesCount::of_slice(data)).bench(|| {
        let mut rdr = csv::ReaderBuilder::new().from_reader(black_box(data));
        let mut rec = csv::ByteRecord::new();
        let mut fields = 0;
        while rdr.read_byte_record(&mut rec).unwrap() {
            fields += rec.len();
        }
        fields
    });
}

/// Our sequential record API.
#[divan::bench]
fn read_record(b: Bencher) {
    let data = input();
    b.counter(BytesCount::of_slice(data)).bench(|| {
        let opts = ReadOptions {
            threads: 1,
            ..ReadOptions::default()
        };
        let mut rdr = CsvReader::new(black_box(data), &CsvDialect::default(), opts).unwrap();
        assert!(matches!(rdr.header().unwrap(), HeaderOutcome::Header(_)));
        let mut fields = 0;
        while let Some(r) = rdr.read_record().unwrap() {
            fields += r.len() + r.field(0).len();
        }
        fields
    });
}

/// Touches every field, as a consumer would.
struct Count(usize);

impl ChunkSink for Count {
    type Output = usize;
    fn record(&mut self, r: &Record<'_>) {
        for i in 0..r.len() {
            self.0 += r.field(i).len();
        }
        self.0 += r.issues().len();
    }
    fn finish(self) -> usize {
        self.0
    }
}

fn pool() -> Arc<rayon::ThreadPool> {
    static POOL: OnceLock<Arc<rayon::ThreadPool>> = OnceLock::new();
    POOL.get_or_init(|| {
        Arc::new(
            rayon::ThreadPoolBuilder::new()
                .num_threads(2)
                .build()
                .unwrap(),
        )
    })
    .clone()
}

/// The chunk driver with 1 and 2 worker threads, from a stream.
#[divan::bench(args = [1, 2])]
fn run(b: Bencher, threads: usize) {
    bench_run(b, threads, false);
}

/// The chunk driver with 1 and 2 worker threads, by offset (as files are
/// read: each worker copies its own chunks, like `pread`).
#[divan::bench(args = [1, 2])]
fn run_by_offset(b: Bencher, threads: usize) {
    bench_run(b, threads, true);
}

fn bench_run(b: Bencher, threads: usize, by_offset: bool) {
    static SHARED: OnceLock<Arc<Vec<u8>>> = OnceLock::new();
    let shared = SHARED.get_or_init(|| Arc::new(input().to_vec()));
    let data = input();
    b.counter(BytesCount::of_slice(data)).bench(|| {
        let opts = ReadOptions {
            threads,
            chunk_bytes: 256 << 10,
            ..ReadOptions::default()
        };
        let mut rdr = CsvReader::new(black_box(data), &CsvDialect::default(), opts).unwrap();
        if by_offset {
            rdr = rdr.with_read_at(shared.clone());
        }
        if threads > 1 {
            rdr = rdr.with_thread_pool(pool());
        }
        assert!(matches!(rdr.header().unwrap(), HeaderOutcome::Header(_)));
        let mut total = 0;
        rdr.run(
            || Count(0),
            |done| {
                total += done.output;
                ControlFlow::Continue(())
            },
        )
        .unwrap();
        total
    });
}
