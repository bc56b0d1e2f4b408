//! Parallel and sequential reading agree, also when quoted newlines, quoted
//! separators, doubled quotes and escape characters fall on chunk
//! boundaries: files of many records, tiny chunks, several threads.

use std::io::{self, Read};
use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;
use tsload_csv::{ChunkSink, CsvReader, ReadAt, ReadError, ReadOptions, Record};
use tsload_model::effective::CsvDialect;

use crate::common::{Collect, Rec, read_run, read_run_at, read_seq, run_all};

/// A field that stresses chunking: quoted with newlines, separators,
/// doubled quotes or escapes, or plain.
fn field(d: &CsvDialect) -> impl Strategy<Value = Vec<u8>> + use<> {
    let (sep, q) = (d.separator, d.quote);
    let esc = d.escape;
    prop_oneof![
        4 => "[a-z0-9.]{0,6}".prop_map(String::into_bytes),
        1 => "[a-z\n\r ,;|]{0,12}".prop_map(move |s| {
            let mut v = vec![q];
            v.extend(s.bytes().map(|b| if b == b',' { sep } else { b }));
            v.push(q);
            v
        }),
        1 => "[a-z]{0,3}".prop_map(move |s| {
            let mut v = vec![q];
            v.extend_from_slice(s.as_bytes());
            match esc {
                Some(e) => v.extend_from_slice(&[e, q, b'\n', e, e]),
                None => v.extend_from_slice(&[q, q, b'\n']),
            }
            v.push(q);
            v
        }),
    ]
}

fn file() -> impl Strategy<Value = (CsvDialect, Vec<u8>)> {
    (
        prop::sample::select(vec![b',', b';', b'\t', b'|']),
        prop::sample::select(vec![b'"', b'\'']),
        prop::option::of(Just(b'\\')),
        any::<bool>(),
    )
        .prop_flat_map(|(separator, quote, escape, crlf)| {
            let d = CsvDialect {
                separator,
                quote,
                escape,
                null_value: None,
                trim: false,
            };
            let record = prop::collection::vec(field(&d), 3);
            let term: &'static [u8] = if crlf { b"\r\n" } else { b"\n" };
            (Just(d), prop::collection::vec(record, 1..60)).prop_map(move |(d, recs)| {
                let mut out = Vec::new();
                for r in recs {
                    out.extend_from_slice(&r.join(&d.separator));
                    out.extend_from_slice(term);
                }
                (d, out)
            })
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn parallel_equals_sequential(
        (d, input) in file(),
        chunk in 1usize..64,
        threads in 2usize..5,
        window in prop::sample::select(vec![40usize, 100, 512]),
    ) {
        let seq = read_seq(&input, &d, ReadOptions { threads: 1, ..ReadOptions::default() }, true);
        // Windows of 40 and 100 bytes keep 5 and 12 bytes of headroom for
        // the read-ahead: most incomplete records move the next window.
        let opts = ReadOptions { threads, window_bytes: window, chunk_bytes: chunk, read_bytes: 37, ..ReadOptions::default() };
        let par = read_run(&input, &d, opts.clone(), true);
        prop_assert_eq!(&seq, &par);
        let at = read_run_at(&input, &d, opts, true);
        prop_assert_eq!(&seq, &at);
        prop_assert_eq!(seq.bytes, input.len() as u64);
    }
}

#[test]
fn speculation_is_verified_in_a_file_of_multiline_fields() {
    // Every chunk start lands inside a quoted field whose lines look like
    // records: all speculative starts are wrong and must be re-parsed.
    let mut input = b"a,b\n".to_vec();
    for i in 0..200 {
        input.extend_from_slice(format!("{i},\"x\ny,z\nw,v\nu,t\"\n").as_bytes());
    }
    let d = CsvDialect::default();
    let seq = read_seq(
        &input,
        &d,
        ReadOptions {
            threads: 1,
            ..ReadOptions::default()
        },
        true,
    );
    for chunk in [3, 8, 13, 64] {
        let opts = ReadOptions {
            threads: 3,
            window_bytes: 1024,
            chunk_bytes: chunk,
            read_bytes: 100,
            ..ReadOptions::default()
        };
        assert_eq!(
            read_run(&input, &d, opts.clone(), true),
            seq,
            "chunk {chunk}"
        );
        assert_eq!(
            read_run_at(&input, &d, opts, true),
            seq,
            "by offset, chunk {chunk}"
        );
    }
    assert_eq!(seq.records.len(), 200);
    assert_eq!(seq.records[199].pos.line, 2 + 199 * 4);
}

fn numbered(rows: usize) -> Vec<u8> {
    let mut input = b"a,b,c\n".to_vec();
    for i in 0..rows {
        input.extend_from_slice(format!("{i},\"q,{i}\",{}\n", "x".repeat(i % 50)).as_bytes());
    }
    input
}

fn two_threads(window_bytes: usize) -> ReadOptions {
    ReadOptions {
        threads: 2,
        window_bytes,
        chunk_bytes: window_bytes / 4,
        read_bytes: 1000,
        ..ReadOptions::default()
    }
}

/// `run` stopped by `ControlFlow::Break` leaves the reader after the last
/// delivered chunk, although the next window (or later chunks, by offset)
/// was being read meanwhile: reading on, record by record or with `run`,
/// yields the rest.
#[test]
fn reading_goes_on_after_a_stopped_run() {
    let input = numbered(3000);
    let d = CsvDialect::default();
    let seq = read_seq(&input, &d, ReadOptions::tiny(1), true).records;
    for (window, stops, at) in [
        (4096, 1, false),
        (4096, 3, false),
        (32 << 10, 1, false),
        (300, 2, false),
        (4096, 1, true),
        (4096, 3, true),
        (300, 2, true),
    ] {
        let mut rdr = CsvReader::new(&input[..], &d, two_threads(window)).unwrap();
        if at {
            rdr = rdr.with_read_at(Arc::new(input.clone()));
        }
        rdr.header().unwrap();
        let mut got = Vec::new();
        // Stop after `stops` chunks, then once more with `run`.
        for _ in 0..2 {
            let mut left = stops;
            rdr.run(
                || Collect(Vec::new()),
                |done| {
                    got.extend(done.output.into_iter().map(|mut r| {
                        r.pos = r.pos.rebase(done.base);
                        r
                    }));
                    left -= 1;
                    if left == 0 {
                        ControlFlow::Break(())
                    } else {
                        ControlFlow::Continue(())
                    }
                },
            )
            .unwrap();
            assert_eq!(rdr.position().record, got.len() as u64 + 1);
        }
        assert!(got.len() < seq.len(), "window {window}: stopped early");
        while let Some(r) = rdr.read_record().unwrap() {
            got.push(Rec::of(&r, None));
        }
        assert_eq!(
            got, seq,
            "window {window}, {stops} chunks a run, by offset: {at}"
        );
        assert_eq!(rdr.stats().bytes, input.len() as u64);
    }
}

/// Runs `rdr` until it fails: the records delivered before, and the error.
fn run_to_error<R: Read + Send>(rdr: &mut CsvReader<R>) -> (Vec<Rec>, ReadError) {
    let (got, end) = run_all(rdr);
    (got, end.unwrap_err())
}

/// A source that fails after `ok` bytes.
struct FailsAfter<'a> {
    data: &'a [u8],
    ok: usize,
}

impl Read for FailsAfter<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.ok == 0 {
            return Err(io::Error::other("disk on fire"));
        }
        let n = out.len().min(self.ok).min(self.data.len());
        out[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        self.ok -= n;
        Ok(n)
    }
}

/// A read error (also one met while reading ahead) stops the run with that
/// error, after the records before it were delivered, in order.
#[test]
fn a_read_error_ends_the_run_after_the_records_before_it() {
    let input = numbered(3000);
    let d = CsvDialect::default();
    let seq = read_seq(&input, &d, ReadOptions::tiny(1), true).records;
    for (window, ok) in [
        (4096, 10_000),
        (4096, 4096 * 5 + 17),
        (300, 1234),
        (16 << 10, 70_000),
    ] {
        let src = FailsAfter { data: &input, ok };
        let mut rdr = CsvReader::new(src, &d, two_threads(window)).unwrap();
        rdr.header().unwrap();
        let (got, err) = run_to_error(&mut rdr);
        assert!(matches!(err, ReadError::Io(ref e) if e.to_string() == "disk on fire"));
        assert_eq!(got[..], seq[..got.len()], "window {window}");
        // The windows before the failing one were delivered whole.
        assert!(!got.is_empty());
        assert!(
            rdr.position().byte + 2 * window as u64 >= ok as u64,
            "window {window}: stopped at {:?}",
            rdr.position()
        );
    }
}

/// A file whose bytes from `ok` on cannot be read.
struct FailsFrom {
    data: Vec<u8>,
    ok: u64,
}

impl ReadAt for FailsFrom {
    fn read_at(&self, out: &mut [u8], offset: u64) -> io::Result<usize> {
        if offset >= self.ok {
            return Err(io::Error::other("disk on fire"));
        }
        let to = (offset + out.len() as u64).min(self.ok) as usize;
        self.data.read_at(&mut out[..to - offset as usize], offset)
    }
}

/// By offset too, a read error stops the run with that error after the
/// chunks before it were delivered, in order.
#[test]
fn a_read_error_by_offset_ends_the_run_after_the_chunks_before_it() {
    let input = numbered(3000);
    let d = CsvDialect::default();
    let seq = read_seq(&input, &d, ReadOptions::tiny(1), true).records;
    for (window, ok) in [(4096, 10_000u64), (4096, 4096 * 5 + 17), (300, 1234)] {
        let src = FailsFrom {
            data: input.clone(),
            ok,
        };
        let mut rdr = CsvReader::new(io::empty(), &d, two_threads(window))
            .unwrap()
            .with_read_at(Arc::new(src));
        rdr.header().unwrap();
        let (got, err) = run_to_error(&mut rdr);
        assert!(matches!(err, ReadError::Io(ref e) if e.to_string() == "disk on fire"));
        assert!(!got.is_empty());
        assert_eq!(got[..], seq[..got.len()], "window {window}");
        assert!(
            rdr.position().byte + 2 * window as u64 >= ok,
            "window {window}: stopped at {:?}",
            rdr.position()
        );
    }
}

/// A file whose bytes from `at` on fail to read `failures` times, then
/// read fine.
struct Flaky {
    data: Vec<u8>,
    at: u64,
    failures: std::sync::atomic::AtomicUsize,
}

impl Flaky {
    fn new(data: &[u8], at: u64, failures: usize) -> Self {
        Self {
            data: data.to_vec(),
            at,
            failures: std::sync::atomic::AtomicUsize::new(failures),
        }
    }
}

impl ReadAt for Flaky {
    fn read_at(&self, out: &mut [u8], offset: u64) -> io::Result<usize> {
        use std::sync::atomic::Ordering::SeqCst;
        if offset + out.len() as u64 > self.at
            && self
                .failures
                .fetch_update(SeqCst, SeqCst, |n| n.checked_sub(1))
                .is_ok()
        {
            return Err(io::Error::other("disk hiccup"));
        }
        self.data.read_at(out, offset)
    }
}

fn flaky_reader(
    input: &[u8],
    at: u64,
    failures: usize,
    chunk: usize,
) -> (CsvReader<io::Empty>, Arc<Flaky>) {
    // A small window: the header is read before the failing bytes.
    let opts = ReadOptions {
        threads: 2,
        window_bytes: 64,
        chunk_bytes: chunk,
        read_bytes: 5,
        ..ReadOptions::default()
    };
    let src = Arc::new(Flaky::new(input, at, failures));
    let mut rdr = CsvReader::new(io::empty(), &CsvDialect::default(), opts)
        .unwrap()
        .with_read_at(src.clone());
    rdr.header().unwrap();
    (rdr, src)
}

/// A read error by offset that the calling thread's own read of the chunk
/// does not meet again costs a re-parse, not the run.
#[test]
fn a_passing_read_error_by_offset_is_read_again() {
    let input = numbered(300);
    let seq = read_seq(&input, &CsvDialect::default(), ReadOptions::tiny(1), true);
    for (at, chunk) in [(200u64, 16usize), (2000, 64), (5000, 256)] {
        let (mut rdr, _) = flaky_reader(&input, at, 1, chunk);
        let (got, end) = run_all(&mut rdr);
        let stats = end.unwrap();
        assert_eq!(got, seq.records, "at {at}");
        assert!(stats.reparsed_chunks >= 1);
    }
}

/// After a read error by offset, the reader stays after the last delivered
/// chunk: reading on yields the records after it, with their positions.
#[test]
fn reading_by_offset_goes_on_after_a_read_error() {
    let input = numbered(300);
    let seq = read_seq(&input, &CsvDialect::default(), ReadOptions::tiny(1), true).records;
    for (at, chunk) in [(200u64, 16usize), (2000, 64), (5000, 256)] {
        // Every read past `at` fails during the run, none after it.
        let (mut rdr, src) = flaky_reader(&input, at, usize::MAX, chunk);
        let (mut got, err) = run_to_error(&mut rdr);
        src.failures.store(0, std::sync::atomic::Ordering::SeqCst);
        assert!(matches!(err, ReadError::Io(ref e) if e.to_string() == "disk hiccup"));
        assert_eq!(rdr.position().record, got.len() as u64 + 1, "at {at}");
        while let Some(r) = rdr.read_record().unwrap() {
            got.push(Rec::of(&r, None));
        }
        assert_eq!(got, seq, "at {at}, chunks of {chunk}");
    }
}

/// Panics on a record whose first field is `BOOM`.
struct Boom;

impl ChunkSink for Boom {
    type Output = ();
    fn record(&mut self, r: &Record<'_>) {
        assert_ne!(r.field(0), b"BOOM", "the sink's own panic");
    }
    fn finish(self) {}
}

/// The message of the panic that `rdr.run` (streamed, or by offset when
/// `at`) raises with the [`Boom`] sink and `on_chunk`.
fn run_panic(
    input: &[u8],
    at: bool,
    on_chunk: impl FnMut(tsload_csv::ChunkDone<()>) -> ControlFlow<()> + Send,
) -> String {
    let mut rdr = CsvReader::new(input, &CsvDialect::default(), two_threads(4096)).unwrap();
    if at {
        rdr = rdr.with_read_at(Arc::new(input.to_vec()));
    }
    rdr.header().unwrap();
    let caught =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rdr.run(|| Boom, on_chunk)));
    let panic = caught.expect_err("a panic");
    panic.downcast_ref::<String>().cloned().unwrap_or_default()
}

/// A panic in `on_chunk` (the caller's code, run by the driver) reaches the
/// caller, streamed and by offset, after exactly the chunks delivered
/// before it: no hang, no lost panic.
#[test]
fn a_panic_in_on_chunk_reaches_the_caller() {
    let input = numbered(20_000);
    for at in [false, true] {
        let delivered = AtomicUsize::new(0);
        let text = run_panic(&input, at, |_| {
            let k = delivered.fetch_add(1, Ordering::SeqCst);
            assert_ne!(k, 2, "the caller's own panic");
            ControlFlow::Continue(())
        });
        assert!(
            text.contains("the caller's own panic"),
            "by offset {at}: {text}"
        );
        assert_eq!(delivered.load(Ordering::SeqCst), 3, "by offset {at}");
    }
}

/// A sink that panics in a job makes the run panic, by offset too: no hang,
/// no lost panic.
#[test]
fn a_panic_in_a_job_reaches_the_caller() {
    let mut input = numbered(2000);
    input.extend_from_slice(b"BOOM,x,y\n");
    input.extend_from_slice(&numbered(2000)[6..]);
    for at in [false, true] {
        let text = run_panic(&input, at, |_| ControlFlow::Continue(()));
        assert!(
            text.contains("the sink's own panic"),
            "by offset {at}: {text}"
        );
    }
}
