//! Helpers shared by the reader tests: owned snapshots of what the reader
//! produced, through the sequential API and through `run`.

use std::collections::HashMap;
use std::io::Read;
use std::ops::ControlFlow;
use std::sync::{Arc, Mutex, OnceLock};

use tsload_csv::{
    ChunkSink, CsvReader, HeaderOutcome, Position, ReadError, ReadOptions, ReadStats, Record,
};
use tsload_model::effective::CsvDialect;

/// One record, owned, with its issues as `(code, field, offset)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rec {
    pub(crate) fields: Vec<Vec<u8>>,
    pub(crate) quoted: Vec<bool>,
    pub(crate) issues: Vec<(&'static str, Option<u32>, u32)>,
    pub(crate) pos: Position,
    pub(crate) raw: Vec<u8>,
}

impl Rec {
    pub(crate) fn of(r: &Record<'_>, base: Option<Position>) -> Self {
        // The in-place view, where the record has one, gives the same fields.
        if let Some(p) = r.in_place() {
            for i in 0..r.len() {
                assert_eq!(p.field(i), r.field(i), "field {i} in place");
                assert_eq!(p.is_quoted(i), r.is_quoted(i), "field {i} in place");
            }
        }
        Self {
            fields: (0..r.len()).map(|i| r.field(i).to_vec()).collect(),
            quoted: (0..r.len()).map(|i| r.is_quoted(i)).collect(),
            issues: r
                .issues()
                .iter()
                .map(|i| (i.rule.code, i.field, i.offset))
                .collect(),
            pos: base.map_or(r.position(), |b| r.position().rebase(b)),
            raw: r.raw().to_vec(),
        }
    }

    pub(crate) fn codes(&self) -> Vec<&'static str> {
        self.issues.iter().map(|i| i.0).collect()
    }

    pub(crate) fn strs(&self) -> Vec<String> {
        self.fields
            .iter()
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect()
    }
}

/// Everything a read produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Out {
    pub(crate) header: Option<Rec>,
    pub(crate) records: Vec<Rec>,
    pub(crate) blank_lines: u64,
    pub(crate) first_blank_line: Option<u64>,
    pub(crate) bytes: u64,
}

impl Out {
    /// What a reader gave: its header, its records and its totals.
    fn new(header: Option<Rec>, records: Vec<Rec>, s: ReadStats) -> Self {
        Self {
            header,
            records,
            blank_lines: s.blank_lines,
            first_blank_line: s.first_blank_line,
            bytes: s.bytes,
        }
    }
}

fn header_rec(outcome: HeaderOutcome) -> Option<Rec> {
    match outcome {
        HeaderOutcome::Header(h) => Some(Rec {
            fields: h.names.iter().map(|n| n.as_bytes().to_vec()).collect(),
            quoted: h.quoted.clone(),
            issues: h
                .issues
                .iter()
                .map(|i| (i.rule.code, i.field, i.offset))
                .collect(),
            pos: h.position,
            raw: h.raw.clone(),
        }),
        _ => None,
    }
}

/// Reads `input` record by record.
pub(crate) fn read_seq(input: &[u8], d: &CsvDialect, opts: ReadOptions, header: bool) -> Out {
    let mut rdr = CsvReader::new(input, d, opts).unwrap();
    let header = if header {
        header_rec(rdr.header().unwrap())
    } else {
        None
    };
    let mut records = Vec::new();
    while let Some(r) = rdr.read_record().unwrap() {
        records.push(Rec::of(&r, None));
    }
    Out::new(header, records, rdr.stats())
}

/// Collects a chunk's records.
pub(crate) struct Collect(pub(crate) Vec<Rec>);

impl ChunkSink for Collect {
    type Output = Vec<Rec>;
    fn record(&mut self, r: &Record<'_>) {
        self.0.push(Rec::of(r, None));
    }
    fn finish(self) -> Vec<Rec> {
        self.0
    }
}

/// One pool per thread count, shared by all tests (building a pool per
/// read would dominate the run time).
fn pool(threads: usize) -> Option<Arc<rayon::ThreadPool>> {
    static POOLS: OnceLock<Mutex<HashMap<usize, Arc<rayon::ThreadPool>>>> = OnceLock::new();
    if threads <= 1 {
        return None;
    }
    let mut pools = POOLS.get_or_init(Mutex::default).lock().unwrap();
    let pool = pools.entry(threads).or_insert_with(|| {
        Arc::new(
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap(),
        )
    });
    Some(pool.clone())
}

/// Reads `input` with the chunk driver (`threads` workers).
pub(crate) fn read_run(input: &[u8], d: &CsvDialect, opts: ReadOptions, header: bool) -> Out {
    read_run_via(input, d, opts, header, false)
}

/// Reads `input` with the chunk driver, by offset ([`tsload_csv::ReadAt`]),
/// as files are read.
pub(crate) fn read_run_at(input: &[u8], d: &CsvDialect, opts: ReadOptions, header: bool) -> Out {
    read_run_via(input, d, opts, header, true)
}

fn read_run_via(input: &[u8], d: &CsvDialect, opts: ReadOptions, header: bool, at: bool) -> Out {
    let threads = opts.threads;
    let mut rdr = CsvReader::new(input, d, opts).unwrap();
    if at {
        // The stream is no longer read: a wrong offset would show.
        rdr = rdr.with_read_at(Arc::new(input.to_vec()));
    }
    if let Some(pool) = pool(threads) {
        rdr = rdr.with_thread_pool(pool);
    }
    let header = if header {
        header_rec(rdr.header().unwrap())
    } else {
        None
    };
    let (records, end) = run_all(&mut rdr);
    end.unwrap();
    Out::new(header, records, rdr.stats())
}

/// How a test reads its input.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Via {
    /// `read_record`, one at a time.
    Seq,
    /// `run`, from the stream.
    Run,
    /// `run`, by offset.
    RunAt,
}

/// Runs `rdr` to its end: the records delivered (checked to come in order),
/// with their absolute positions, and how the run ended.
pub(crate) fn run_all<R: Read + Send>(
    rdr: &mut CsvReader<R>,
) -> (Vec<Rec>, Result<ReadStats, ReadError>) {
    let mut records = Vec::new();
    let mut next_record = rdr.position().record;
    let end = rdr.run(
        || Collect(Vec::new()),
        |done| {
            assert_eq!(done.base.record, next_record, "chunks in order");
            next_record += done.stats.records;
            assert_eq!(done.output.len() as u64, done.stats.records);
            for mut r in done.output {
                r.pos = r.pos.rebase(done.base);
                records.push(r);
            }
            ControlFlow::Continue(())
        },
    );
    (records, end)
}

/// The option sets every reader test runs under: defaults, tiny reads and
/// windows, and the chunk driver with one and several threads and tiny
/// chunks; with the record size limit `max_record_bytes`.
pub(crate) fn option_sets_with(max_record_bytes: usize) -> Vec<(&'static str, ReadOptions, Via)> {
    let small = ReadOptions {
        threads: 2,
        window_bytes: 256,
        chunk_bytes: 16,
        read_bytes: 5,
        ..ReadOptions::default()
    };
    let sets = vec![
        (
            "seq-default",
            ReadOptions {
                threads: 1,
                ..ReadOptions::default()
            },
            Via::Seq,
        ),
        ("seq-tiny", ReadOptions::tiny(1), Via::Seq),
        ("run-1-tiny", ReadOptions::tiny(1), Via::Run),
        ("run-3-tiny", ReadOptions::tiny(3), Via::Run),
        ("run-2-small", small.clone(), Via::Run),
        ("run-at-1-tiny", ReadOptions::tiny(1), Via::RunAt),
        ("run-at-3-tiny", ReadOptions::tiny(3), Via::RunAt),
        ("run-at-2-small", small, Via::RunAt),
    ];
    sets.into_iter()
        .map(|(l, o, r)| {
            (
                l,
                ReadOptions {
                    max_record_bytes,
                    ..o
                },
                r,
            )
        })
        .collect()
}

/// Reads `input` under every option set and checks they all agree; returns
/// the result.
pub(crate) fn read_all_ways(input: &[u8], d: &CsvDialect, header: bool) -> Out {
    read_all_ways_with(input, d, header, tsload_csv::MAX_RECORD_BYTES)
}

/// [`read_all_ways`] with another record size limit.
pub(crate) fn read_all_ways_with(
    input: &[u8],
    d: &CsvDialect,
    header: bool,
    max_record_bytes: usize,
) -> Out {
    let mut first: Option<(&str, Out)> = None;
    for (label, opts, via) in option_sets_with(max_record_bytes) {
        let out = match via {
            Via::Seq => read_seq(input, d, opts, header),
            Via::Run => read_run(input, d, opts, header),
            Via::RunAt => read_run_at(input, d, opts, header),
        };
        match &first {
            None => first = Some((label, out)),
            Some((l0, o0)) => assert_eq!(
                o0,
                &out,
                "{label} disagrees with {l0} on {:?}",
                String::from_utf8_lossy(input)
            ),
        }
    }
    first.unwrap().1
}
