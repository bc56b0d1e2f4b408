//! The CSV reader over arbitrary dialects, options and bytes. The oracle:
//! reading record by record (`read_record`) and reading in parallel chunks
//! (`run`, 2 threads, tiny windows and chunks, from the stream and by
//! offset) give the same header, the same records (fields, quoting,
//! findings, positions, raw bytes) and the same totals.
#![no_main]

use std::ops::ControlFlow;
use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use tsload_csv::{ChunkSink, CsvReader, HeaderOutcome, Position, ReadOptions, Record};
use tsload_model::effective::CsvDialect;

/// One record, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rec {
    fields: Vec<Vec<u8>>,
    quoted: Vec<bool>,
    issues: Vec<(&'static str, Option<u32>, u32)>,
    pos: Position,
    raw: Vec<u8>,
}

impl Rec {
    fn of(r: &Record<'_>) -> Self {
        Self {
            fields: (0..r.len()).map(|i| r.field(i).to_vec()).collect(),
            quoted: (0..r.len()).map(|i| r.is_quoted(i)).collect(),
            issues: r
                .issues()
                .iter()
                .map(|i| (i.rule.code, i.field, i.offset))
                .collect(),
            pos: r.position(),
            raw: r.raw().to_vec(),
        }
    }
}

struct Collect(Vec<Rec>);

impl ChunkSink for Collect {
    type Output = Vec<Rec>;
    fn record(&mut self, r: &Record<'_>) {
        self.0.push(Rec::of(r));
    }
    fn finish(self) -> Vec<Rec> {
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
                .expect("thread pool"),
        )
    })
    .clone()
}

/// Everything a read produced.
#[derive(Debug, PartialEq, Eq)]
struct Out {
    header: Option<String>,
    records: Vec<Rec>,
    stats: String,
}

fn header(rdr: &mut CsvReader<&[u8]>, with_header: bool) -> Option<String> {
    if !with_header {
        return None;
    }
    Some(match rdr.header().expect("in-memory reads do not fail") {
        HeaderOutcome::Header(h) => format!("{h:?}"),
        other => format!("{other:?}"),
    })
}

fn read_seq(data: &[u8], d: &CsvDialect, opts: ReadOptions, with_header: bool) -> Option<Out> {
    let mut rdr = CsvReader::new(data, d, opts).ok()?;
    let header = header(&mut rdr, with_header);
    let mut records = Vec::new();
    while let Some(r) = rdr.read_record().expect("in-memory reads do not fail") {
        records.push(Rec::of(&r));
    }
    Some(Out {
        header,
        records,
        stats: stats(&rdr),
    })
}

fn read_run(
    data: &[u8],
    d: &CsvDialect,
    opts: ReadOptions,
    with_header: bool,
    by_offset: bool,
) -> Option<Out> {
    let mut rdr = CsvReader::new(data, d, opts).ok()?.with_thread_pool(pool());
    if by_offset {
        rdr = rdr.with_read_at(Arc::new(data.to_vec()));
    }
    let header = header(&mut rdr, with_header);
    let mut records = Vec::new();
    let mut next = rdr.position().record;
    rdr.run(
        || Collect(Vec::new()),
        |done| {
            assert_eq!(done.base.record, next, "chunks arrive in order");
            next += done.stats.records;
            assert_eq!(done.output.len() as u64, done.stats.records);
            for mut r in done.output {
                r.pos = r.pos.rebase(done.base);
                records.push(r);
            }
            ControlFlow::Continue(())
        },
    )
    .expect("in-memory reads do not fail");
    Some(Out {
        header,
        records,
        stats: stats(&rdr),
    })
}

/// The totals both ways of reading must agree on (not the re-parse count,
/// which only the parallel driver has).
fn stats(rdr: &CsvReader<&[u8]>) -> String {
    let s = rdr.stats();
    format!(
        "bytes {} records {} blank {} first blank {:?}",
        s.bytes, s.records, s.blank_lines, s.first_blank_line
    )
}

/// Asserts `a == b`, naming the first difference (the whole outputs are
/// too long to read).
fn same(a: Option<&Out>, b: Option<&Out>, what: &str) {
    let (Some(a), Some(b)) = (a, b) else {
        assert_eq!(
            a.is_some(),
            b.is_some(),
            "{what}: dialect accepted by one only"
        );
        return;
    };
    assert_eq!(a.header, b.header, "{what}: header");
    for (i, (x, y)) in a.records.iter().zip(&b.records).enumerate() {
        assert_eq!(x, y, "{what}: record {i}");
    }
    assert_eq!(a.records.len(), b.records.len(), "{what}: record count");
    assert_eq!(a.stats, b.stats, "{what}: totals");
}

/// Likely dialect bytes first, any byte otherwise.
fn pick(b: u8, likely: &[u8]) -> u8 {
    if (b as usize) < likely.len() * 32 {
        likely[b as usize % likely.len()]
    } else {
        b
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((conf, data)) = input.split_first_chunk::<8>() else {
        return;
    };
    let [sep, quote, escape, flags, window, chunk, read, limit] = *conf;
    let d = CsvDialect {
        separator: pick(sep, b",;|\t "),
        quote: pick(quote, b"\"'"),
        escape: (flags & 1 != 0).then(|| pick(escape, b"\\\"'")),
        null_value: (flags & 2 != 0).then(|| "NULL".to_owned()),
        trim: flags & 4 != 0,
    };
    let with_header = flags & 8 == 0;
    // Records longer than the limit are skipped (C007): exercise that path
    // with small limits now and then.
    let max_record_bytes = if flags & 16 != 0 {
        1 + usize::from(limit)
    } else {
        tsload_csv::MAX_RECORD_BYTES
    };
    let seq = read_seq(
        data,
        &d,
        ReadOptions {
            threads: 1,
            max_record_bytes,
            ..ReadOptions::default()
        },
        with_header,
    );
    let tiny = ReadOptions {
        threads: 2,
        window_bytes: 1 + usize::from(window),
        chunk_bytes: 1 + usize::from(chunk % 64),
        read_bytes: 1 + usize::from(read % 32),
        max_record_bytes,
    };
    let par = read_run(data, &d, tiny.clone(), with_header, false);
    same(
        seq.as_ref(),
        par.as_ref(),
        "sequential and parallel reads differ",
    );
    let at = read_run(data, &d, tiny.clone(), with_header, true);
    same(
        seq.as_ref(),
        at.as_ref(),
        "sequential and parallel reads by offset differ",
    );
    // The sequential API with tiny reads agrees too.
    let seq_tiny = read_seq(data, &d, ReadOptions { threads: 1, ..tiny }, with_header);
    same(
        seq.as_ref(),
        seq_tiny.as_ref(),
        "tiny windows change the sequential read",
    );
});
