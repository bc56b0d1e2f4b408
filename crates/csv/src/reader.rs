//! [`CsvReader`]: windows read from any [`Read`], the sequential record API
//! and the parallel chunk driver.

use std::io::{self, Read};
use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use memchr::memchr;
use tsload_model::effective::CsvDialect;

use crate::chunk::{ChunkStats, Stop, Validity, run_chunk};
use crate::header::{Bom, Header, HeaderOutcome};
use crate::parser::{Config, Dfa, DfaStep, OVERSIZE_PREVIEW, Parsed, Parser};
use crate::record::{Issue, Position, Record};
use crate::rules;

mod positional;

pub use positional::ReadAt;

/// 16 MiB: the service's row size limit (`batchload-spec.md` §4.1).
pub const MAX_RECORD_BYTES: usize = 16 * 1024 * 1024;

/// Tuning of a [`CsvReader`]. The defaults suit files of any size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOptions {
    /// Worker threads for [`CsvReader::run`]; `1` parses on the calling
    /// thread with the same code. Default: the available parallelism.
    pub threads: usize,
    /// The reader's buffer memory for input bytes, its main memory use
    /// (default 4 MiB). With one thread, windows of this size are read and
    /// parsed in turn; with more, windows of half this size, each read
    /// into a second buffer while the workers parse the one before.
    pub window_bytes: usize,
    /// Nominal size of one parallel chunk (default 512 KiB). From a stream,
    /// smaller when a window would have fewer than 4 chunks per thread, so
    /// that the workers finish a window at about the same time; by offset
    /// ([`CsvReader::with_read_at`]), the size of every chunk.
    pub chunk_bytes: usize,
    /// Largest single `read` call (default 128 KiB: on the target VMs the
    /// kernel copy slows down sharply above that).
    pub read_bytes: usize,
    /// Records longer than this get [`rules::RECORD_TOO_LARGE`]; records
    /// still unterminated past it are skipped with a bounded buffer.
    /// Default [`MAX_RECORD_BYTES`].
    pub max_record_bytes: usize,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            threads: std::thread::available_parallelism().map_or(1, usize::from),
            window_bytes: 4 << 20,
            chunk_bytes: 512 << 10,
            read_bytes: 128 << 10,
            max_record_bytes: MAX_RECORD_BYTES,
        }
    }
}

impl ReadOptions {
    /// Tiny buffers and chunks, so that records cross every boundary: for
    /// tests.
    pub fn tiny(threads: usize) -> Self {
        Self {
            threads,
            window_bytes: 64,
            chunk_bytes: 7,
            read_bytes: 3,
            max_record_bytes: MAX_RECORD_BYTES,
        }
    }
}

/// A dialect the reader cannot honour. The task checks of tsload-model
/// explain these with codes; this is the reader's own guard.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DialectError {
    /// The separator equals the quote character.
    #[error("the column separator and the quote character are both `{}`", char::from(*.0))]
    SeparatorIsQuote(u8),
    /// A separator, quote or escape character that is a line break or NUL.
    #[error("the {what} cannot be a line break or NUL")]
    Reserved {
        /// `column separator`, `quote character` or `escape character`.
        what: &'static str,
    },
}

/// Why reading stopped.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The underlying reader failed.
    #[error("cannot read the input: {0}")]
    Io(#[from] io::Error),
    /// [`CsvReader::header`] was called after records were read.
    #[error("`header()` must be called before any record is read")]
    HeaderNotFirst,
    /// The worker threads could not be started.
    #[error("cannot start the CSV worker threads: {0}")]
    ThreadPool(#[from] rayon::ThreadPoolBuildError),
}

/// Consumes the records of one chunk, on a worker thread.
///
/// A sink must be pure per-chunk state: the parallel driver parses chunks
/// speculatively and drops the sink of a chunk that started at a wrong
/// boundary, re-parsing that chunk with a fresh sink. Record positions are
/// **chunk-relative** (see [`ChunkDone::base`] and [`Position::rebase`]).
pub trait ChunkSink: Send {
    /// What the chunk produces (counters, diagnostics, batches).
    type Output: Send;
    /// One record, in input order.
    fn record(&mut self, record: &Record<'_>);
    /// The chunk is complete.
    fn finish(self) -> Self::Output;
}

/// A finished chunk, delivered in input order by [`CsvReader::run`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkDone<T> {
    /// What the chunk's sink produced.
    pub output: T,
    /// Absolute position of the chunk's start: rebase the records'
    /// positions with [`Position::rebase`]`(base)`.
    pub base: Position,
    /// Counters (chunk-relative).
    pub stats: ChunkStats,
}

impl<T> ChunkDone<T> {
    /// Absolute 1-based line of the chunk's first blank line, if any.
    pub fn first_blank_line(&self) -> Option<u64> {
        self.stats.first_blank_line.map(|l| self.base.line + l)
    }
}

/// Totals of everything read so far (header included).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadStats {
    /// Bytes consumed.
    pub bytes: u64,
    /// Records read, the header included.
    pub records: u64,
    /// Blank lines skipped ([`rules::BLANK_LINES`]).
    pub blank_lines: u64,
    /// Absolute 1-based line of the first blank line.
    pub first_blank_line: Option<u64>,
    /// Chunks whose speculative start was wrong and that were re-parsed
    /// (a performance counter; results are unaffected).
    pub reparsed_chunks: u64,
}

fn note_blank(stats: &mut ReadStats, line: u64, count: u64) {
    if count > 0 {
        stats.blank_lines += count;
        stats.first_blank_line.get_or_insert(line);
    }
}

/// The reader's position fields, borrowed apart from its buffer so that
/// chunks can be delivered while workers still parse that buffer.
struct Cursor<'r> {
    pos: &'r mut usize,
    base: &'r mut Position,
    totals: &'r mut ReadStats,
}

impl Cursor<'_> {
    /// Hands a chunk that ended at buffer offset `end` to `on_chunk` and
    /// moves the reader after it. `None` when `on_chunk` stopped the run.
    fn deliver<T, F>(
        &mut self,
        end: usize,
        stats: ChunkStats,
        output: T,
        on_chunk: &mut F,
    ) -> Option<()>
    where
        F: FnMut(ChunkDone<T>) -> ControlFlow<()>,
    {
        let base = *self.base;
        *self.pos = end;
        self.base.byte += stats.bytes;
        self.base.line += stats.lines;
        self.base.record += stats.records;
        self.totals.bytes += stats.bytes;
        self.totals.records += stats.records;
        if let Some(l) = stats.first_blank_line {
            note_blank(self.totals, base.line + l, stats.blank_lines);
        }
        if stats.bytes == 0 && stats.records == 0 {
            return Some(());
        }
        match on_chunk(ChunkDone {
            output,
            base,
            stats,
        }) {
            ControlFlow::Continue(()) => Some(()),
            ControlFlow::Break(()) => None,
        }
    }
}

/// A record skipped because it is longer than the limit.
#[derive(Default)]
struct Oversize {
    preview: Vec<u8>,
    issues: Vec<Issue>,
    raw_len: u32,
}

/// The next window, read by a worker while the others parse the current
/// one (the parallel driver only). Its bytes sit after a headroom, so that
/// the current window's incomplete last record can be copied in front of
/// them; a longer one moves them instead.
#[derive(Default)]
struct Ahead {
    buf: Vec<u8>,
    /// Where the read bytes start (the headroom before them).
    from: usize,
    /// End of the read bytes.
    filled: usize,
    /// The input ended.
    eof: bool,
    /// `buf[from..filled]` holds bytes not yet taken by [`CsvReader::refill`].
    ready: bool,
    /// The read failed after `filled`: reported once those bytes are taken.
    err: Option<io::Error>,
}

impl Ahead {
    /// Reads up to `window` bytes after `headroom`, in calls of at most
    /// `read_bytes`, until the input ends, a read fails or `stop` is set.
    fn read<R: Read>(
        &mut self,
        src: &mut R,
        headroom: usize,
        window: usize,
        read_bytes: usize,
        stop: &AtomicBool,
    ) {
        let want = headroom + window;
        if self.buf.len() > want {
            // Grown for a long record: give the memory back.
            self.buf = Vec::new();
        }
        if self.buf.len() < want {
            self.buf.resize(want, 0);
        }
        self.from = headroom;
        self.filled = headroom;
        self.eof = false;
        self.err = None;
        match read_into(
            &mut self.buf[..want],
            &mut self.filled,
            read_bytes,
            || stop.load(Ordering::Relaxed),
            |b, _| src.read(b),
        ) {
            Ok(eof) => self.eof = eof,
            Err(e) => self.err = Some(e),
        }
        self.ready = true;
    }
}

/// Reads into `buf[*filled..]` with calls of at most `read_bytes` to
/// `read` (given the slice to fill and its offset in `buf`), until `buf`
/// is full, `stop()` says so, or a call fails; interrupted calls are made
/// again. `Ok(true)` when the input ended.
fn read_into(
    buf: &mut [u8],
    filled: &mut usize,
    read_bytes: usize,
    stop: impl Fn() -> bool,
    mut read: impl FnMut(&mut [u8], usize) -> io::Result<usize>,
) -> io::Result<bool> {
    while *filled < buf.len() && !stop() {
        let to = buf.len().min(*filled + read_bytes);
        match read(&mut buf[*filled..to], *filled) {
            Ok(0) => return Ok(true),
            Ok(n) => *filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(false)
}

/// Where the reader's bytes come from.
enum Source<R> {
    /// A stream, read in order.
    Stream {
        src: R,
        /// Bytes read from it so far.
        offset: u64,
    },
    /// A file read by offset ([`CsvReader::with_read_at`]).
    At {
        src: Arc<dyn ReadAt>,
        /// Where the next sequential read starts.
        offset: u64,
    },
}

impl<R: Read> Read for Source<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let (n, offset) = match self {
            Source::Stream { src, offset } => (src.read(buf)?, offset),
            Source::At { src, offset } => (src.read_at(buf, *offset)?, offset),
        };
        *offset += n as u64;
        Ok(n)
    }
}

/// The CSV reader. See the crate documentation for the semantics.
///
/// ```
/// use tsload_csv::{CsvReader, HeaderOutcome, ReadOptions};
/// use tsload_model::effective::CsvDialect;
///
/// let data = "time,host,cpu\n1,a,0.5\n2,\"b,c\",0.7\n";
/// let mut rdr = CsvReader::new(data.as_bytes(), &CsvDialect::default(), ReadOptions::default())?;
/// let HeaderOutcome::Header(h) = rdr.header()? else { panic!() };
/// let host = h.index_of("host").unwrap();
/// let mut hosts = Vec::new();
/// while let Some(r) = rdr.read_record()? {
///     assert!(r.issues().is_empty());
///     hosts.push(r.field_str(host).unwrap().to_owned());
/// }
/// assert_eq!(hosts, ["a", "b,c"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct CsvReader<R> {
    src: Source<R>,
    opts: ReadOptions,
    parser: Parser,
    /// Zero-initialised once; `filled` bytes are valid.
    buf: Vec<u8>,
    filled: usize,
    /// The next record boundary in `buf`.
    pos: usize,
    eof: bool,
    /// Absolute position of `buf[pos]`.
    base: Position,
    validity: Validity,
    started: bool,
    stats: ReadStats,
    pool: Option<Arc<rayon::ThreadPool>>,
    oversize: Oversize,
    ahead: Ahead,
}

impl<R: Read + Send> CsvReader<R> {
    /// A reader of `src` in `dialect`. Nothing is read yet.
    pub fn new(src: R, dialect: &CsvDialect, opts: ReadOptions) -> Result<Self, DialectError> {
        for (what, b) in [
            ("column separator", Some(dialect.separator)),
            ("quote character", Some(dialect.quote)),
            ("escape character", dialect.escape),
        ] {
            if matches!(b, Some(b'\n' | b'\r' | 0)) {
                return Err(DialectError::Reserved { what });
            }
        }
        if dialect.separator == dialect.quote {
            return Err(DialectError::SeparatorIsQuote(dialect.separator));
        }
        let escape = dialect.escape.filter(|&e| e != dialect.quote);
        let cfg = Config {
            sep: dialect.separator,
            quote: dialect.quote,
            escape,
            trim: dialect.trim,
            warn_doubled: dialect.escape != Some(dialect.quote),
            max_record: opts.max_record_bytes,
            expected_fields: None,
        };
        Ok(Self {
            src: Source::Stream { src, offset: 0 },
            parser: Parser::new(cfg),
            buf: Vec::new(),
            filled: 0,
            pos: 0,
            eof: false,
            base: Position {
                byte: 0,
                line: 1,
                record: 0,
            },
            validity: Validity::new(0),
            started: false,
            stats: ReadStats::default(),
            pool: None,
            oversize: Oversize::default(),
            ahead: Ahead::default(),
            opts: ReadOptions {
                window_bytes: opts.window_bytes.max(1),
                chunk_bytes: opts.chunk_bytes.max(1),
                read_bytes: opts.read_bytes.max(1),
                threads: opts.threads.max(1),
                ..opts
            },
        })
    }

    /// Runs [`CsvReader::run`]'s workers on `pool` instead of a pool of
    /// [`ReadOptions::threads`] threads built on first use. Reading by
    /// offset, the run's driver takes one of the pool's threads too, and
    /// `on_chunk` runs there: rayon calls inside it go to this pool, and
    /// thread-locals are the pool thread's.
    pub fn with_thread_pool(mut self, pool: Arc<rayon::ThreadPool>) -> Self {
        self.opts.threads = pool.current_num_threads().max(1);
        self.pool = Some(pool);
        self
    }

    /// Reads the input by offset from now on: `src` must hold the same
    /// bytes as the stream, at the same offsets (its byte 0 is the stream's
    /// byte 0); reading goes on from where the stream has got to, and the
    /// stream is no longer read. Then [`CsvReader::run`] with more than one thread
    /// lets each worker read its own chunks, with no window that all
    /// workers wait on and no read-ahead copy, and runs `on_chunk` on a pool
    /// thread that parses chunks itself while it waits for the next one in
    /// order; see the crate docs. For regular files (not pipes).
    pub fn with_read_at(mut self, src: Arc<dyn ReadAt>) -> Self {
        let offset = match &self.src {
            Source::Stream { offset, .. } | Source::At { offset, .. } => *offset,
        };
        self.src = Source::At { src, offset };
        self
    }

    /// Totals so far.
    pub fn stats(&self) -> ReadStats {
        self.stats
    }

    /// Where the next record starts (absolute).
    pub fn position(&self) -> Position {
        self.base
    }

    /// Reads the first record as the header, after checking for a byte
    /// order mark. Must come first; later records are then checked against
    /// its field count ([`rules::FIELD_COUNT_MISMATCH`]). Without a
    /// call to `header`, every record is data and field counts are not
    /// checked.
    pub fn header(&mut self) -> Result<HeaderOutcome, ReadError> {
        if self.started {
            return Err(ReadError::HeaderNotFirst);
        }
        self.started = true;
        // A byte order mark is up to 4 bytes: have them all, however small
        // the window (a 1-byte window used to miss the mark).
        self.refill()?;
        while self.filled < 4 && !self.eof {
            self.refill()?;
        }
        let bom = Bom::detect(&self.buf[..self.filled.min(4)]);
        match bom {
            Some(Bom::Utf8) => {
                self.pos = 3;
                self.base.byte = 3;
                self.validity.reset(3);
            }
            Some(other) => return Ok(HeaderOutcome::NotUtf8(other)),
            None => {}
        }
        let trim = self.parser.cfg.trim;
        self.parser.cfg.trim = false;
        let header = self
            .next_record()?
            .map(|r| Header::from_record(&r, trim, bom));
        self.parser.cfg.trim = trim;
        Ok(match header {
            None => HeaderOutcome::Empty,
            Some(h) => {
                self.parser.cfg.expected_fields = Some(h.len());
                HeaderOutcome::Header(h)
            }
        })
    }

    /// The next record, with absolute positions; `None` at the end of the
    /// input. Same parser as [`CsvReader::run`], one record at a time.
    pub fn read_record(&mut self) -> Result<Option<Record<'_>>, ReadError> {
        self.started = true;
        self.next_record()
    }

    fn next_record(&mut self) -> Result<Option<Record<'_>>, ReadError> {
        let mut parsed = Parsed::default();
        loop {
            let buf = &self.buf[..self.filled];
            let blank = Parser::skip_blank(buf, self.pos, self.eof);
            if blank.count > 0 {
                note_blank(&mut self.stats, self.base.line, blank.count);
                self.base.line += blank.count;
                self.base.byte += (blank.pos - self.pos) as u64;
                self.stats.bytes += (blank.pos - self.pos) as u64;
                self.pos = blank.pos;
            }
            if self.pos >= self.filled {
                if self.eof {
                    return Ok(None);
                }
                self.refill()?;
                continue;
            }
            if self
                .parser
                .parse_record(buf, self.pos, self.eof, &mut parsed)
            {
                break;
            }
            if self.pending_is_oversized() {
                let position = self.skip_oversized()?;
                return Ok(Some(self.oversize_record(position)));
            }
            self.refill()?;
        }
        let position = self.base;
        self.advance(&parsed);
        let buf = &self.buf[..self.filled];
        if parsed.raw_len <= self.opts.max_record_bytes {
            self.validity
                .attach(buf, self.eof, &mut self.parser, &parsed);
        }
        Ok(Some(self.parser.record(buf, &parsed, position)))
    }

    fn advance(&mut self, parsed: &Parsed) {
        let bytes = (parsed.end - parsed.start) as u64;
        self.base.byte += bytes;
        self.base.line += parsed.lines;
        self.base.record += 1;
        self.stats.bytes += bytes;
        self.stats.records += 1;
        self.pos = parsed.end;
    }

    /// Bytes read per window: half the buffer memory when a second buffer
    /// is read ahead (more than one thread).
    fn window(&self) -> usize {
        if self.opts.threads > 1 {
            (self.opts.window_bytes / 2).max(1)
        } else {
            self.opts.window_bytes
        }
    }

    /// The nominal chunk size: at least 4 chunks per thread in a window.
    fn chunk(&self) -> usize {
        let per_thread = self.window().div_ceil(4 * self.opts.threads);
        self.opts.chunk_bytes.min(per_thread).max(1)
    }

    /// Moves the unconsumed bytes to the front and reads until the window
    /// is full (growing it for a long pending record) or the input ends.
    /// Takes the window read ahead by the parallel driver if there is one.
    fn refill(&mut self) -> io::Result<()> {
        if self.ahead.ready {
            return self.take_ahead();
        }
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.filled, 0);
            self.filled -= self.pos;
            self.pos = 0;
        }
        self.validity.reset(0);
        self.parser.reset_scanner();
        let window = self.window();
        // A pending record grows the buffer geometrically (up to a quarter
        // of the row limit at a time), so that a long record is parsed again
        // a few times, not once per half window.
        let grow = (window / 2).max(self.filled.min(self.opts.max_record_bytes / 4));
        let target = window.max(self.filled + grow + 1);
        while self.filled < target && !self.eof {
            let want = (self.filled + self.opts.read_bytes).min(target);
            if self.buf.len() < want {
                // Grow geometrically, so that small inputs stay small.
                let len = want.max(self.buf.len() * 2).max(8 << 10).min(target);
                self.buf.resize(len, 0);
            }
            let to = want;
            match self.src.read(&mut self.buf[self.filled..to]) {
                Ok(0) => self.eof = true,
                Ok(n) => self.filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Makes the window read ahead the buffer, with the unconsumed bytes of
    /// the current one in front of it: copied into the headroom when they
    /// fit (the usual incomplete last record), else the read bytes move.
    /// The old buffer becomes the next read-ahead buffer.
    fn take_ahead(&mut self) -> io::Result<()> {
        let a = &mut self.ahead;
        a.ready = false;
        let tail = &self.buf[self.pos..self.filled];
        let n = a.filled - a.from;
        let at = if tail.len() <= a.from {
            let at = a.from - tail.len();
            a.buf[at..a.from].copy_from_slice(tail);
            at
        } else {
            let need = tail.len() + n;
            if a.buf.len() < need {
                a.buf.resize(need, 0);
            }
            a.buf.copy_within(a.from..a.filled, tail.len());
            a.buf[..tail.len()].copy_from_slice(tail);
            0
        };
        self.filled = at + tail.len() + n;
        self.pos = at;
        std::mem::swap(&mut self.buf, &mut a.buf);
        self.eof = a.eof;
        self.validity.reset(at);
        self.parser.reset_scanner();
        match a.err.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Whether the pending, unterminated record is surely longer than the
    /// limit. A record may end with a `\r` the parser cannot judge yet (a
    /// `\n` may follow), so one byte more than the limit is not enough: a
    /// record of exactly the limit whose `\r` ended the buffer was taken
    /// for an oversized one.
    fn pending_is_oversized(&self) -> bool {
        self.filled - self.pos > self.opts.max_record_bytes.saturating_add(1)
    }

    /// Skips the record at `pos`, longer than the limit and unterminated in
    /// the buffer, reading on with a bounded buffer until it ends. Returns
    /// its absolute position; [`Self::oversize`] describes it.
    #[cold]
    fn skip_oversized(&mut self) -> Result<Position, ReadError> {
        let position = self.base;
        let cfg = self.parser.cfg.clone();
        self.oversize.preview.clear();
        let mut st = Dfa::StartField;
        let (mut raw_len, mut consumed, mut lines) = (0u64, 0u64, 0u64);
        let mut done = false;
        loop {
            let mut i = self.pos;
            while i < self.filled {
                let b = self.buf[i];
                let before = st;
                match st.step(&cfg, b) {
                    DfaStep::Byte | DfaStep::FieldEnd => {
                        raw_len += 1;
                        lines += u64::from(b == b'\n');
                        if self.oversize.preview.len() < OVERSIZE_PREVIEW {
                            self.oversize.preview.push(b);
                        }
                    }
                    DfaStep::Terminator => {
                        if before != Dfa::Cr {
                            lines += 1;
                        }
                    }
                    DfaStep::NotMine => {
                        done = true;
                        break;
                    }
                }
                i += 1;
                if st == Dfa::Done {
                    done = true;
                    break;
                }
            }
            consumed += (i - self.pos) as u64;
            self.pos = i;
            if done || self.eof {
                break;
            }
            self.refill()?;
        }
        // Like an oversized record parsed in the buffer: one issue, no
        // fields, a preview (see `Parser::parse_record`).
        let o = &mut self.oversize;
        o.issues.clear();
        o.issues.push(Issue {
            rule: &rules::RECORD_TOO_LARGE,
            field: None,
            offset: 0,
        });
        o.raw_len = raw_len.min(u64::from(u32::MAX)) as u32;
        self.base.byte += consumed;
        self.base.line += lines;
        self.base.record += 1;
        self.stats.bytes += consumed;
        self.stats.records += 1;
        Ok(position)
    }

    fn oversize_record(&self, position: Position) -> Record<'_> {
        let o = &self.oversize;
        Record::from_parts(&o.preview, &[], &[], &o.issues, position, o.raw_len)
    }

    fn pool(&mut self) -> Result<Option<Arc<rayon::ThreadPool>>, ReadError> {
        if self.opts.threads <= 1 {
            return Ok(None);
        }
        if self.pool.is_none() {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(self.opts.threads)
                .thread_name(|i| format!("tsload-csv-{i}"))
                .build()?;
            self.pool = Some(Arc::new(pool));
        }
        Ok(self.pool.clone())
    }

    /// Reads the rest of the input in chunks, in parallel, feeding each
    /// chunk's records to a fresh sink from `make_sink` and handing the
    /// chunks' outputs to `on_chunk` **in input order**, on the calling
    /// thread (by offset, on a pool thread while the calling thread waits,
    /// see [`CsvReader::with_read_at`]). `on_chunk` may stop the run with [`ControlFlow::Break`]; the
    /// reader then stays after the last delivered chunk (also when reading
    /// failed). With more than one thread, from a stream, the next window
    /// is being read meanwhile: `run` returns once the `read` call in
    /// flight (at most [`ReadOptions::read_bytes`]) returns, and keeps the
    /// bytes read for the next call; by offset
    /// ([`CsvReader::with_read_at`]), it returns once the chunks in flight
    /// are parsed, and their results are dropped.
    ///
    /// Call [`CsvReader::header`] first to check field counts.
    pub fn run<S, M, F>(&mut self, make_sink: M, mut on_chunk: F) -> Result<ReadStats, ReadError>
    where
        S: ChunkSink,
        M: Fn() -> S + Sync,
        F: FnMut(ChunkDone<S::Output>) -> ControlFlow<()> + Send,
    {
        self.started = true;
        let pool = self.pool()?;
        loop {
            if let (Some(pool), Source::At { src, .. }) = (&pool, &self.src)
                && !self.eof
            {
                let src = Arc::clone(src);
                pool.install(|| self.positional_run(pool, &*src, &make_sink, &mut on_chunk))?;
                return Ok(self.stats);
            }
            if !self.eof {
                self.refill()?;
            }
            let chunk = self.chunk();
            let stop = match &pool {
                Some(pool) if self.filled - self.pos > chunk => {
                    self.parallel_window(pool, &make_sink, &mut on_chunk)
                }
                _ => {
                    let mut sink = make_sink();
                    let buf = &self.buf[..self.filled];
                    let run = run_chunk(
                        &mut self.parser,
                        buf,
                        self.pos,
                        usize::MAX,
                        self.eof,
                        &mut sink,
                    );
                    self.deliver(run.end, run.stats, sink.finish(), &mut on_chunk)
                        .map(|()| run.stop)
                }
            };
            match stop {
                None | Some(Stop::Eof) => return Ok(self.stats),
                Some(Stop::Limit) => {}
                Some(Stop::Incomplete) => {
                    if self.pending_is_oversized()
                        && self.deliver_oversized(&make_sink, &mut on_chunk)?.is_none()
                    {
                        return Ok(self.stats);
                    }
                }
            }
        }
    }

    /// Skips the pending record, longer than the limit, and hands it to
    /// `on_chunk` as a chunk of its own. `None` when `on_chunk` stopped the
    /// run.
    fn deliver_oversized<S, M, F>(
        &mut self,
        make_sink: &M,
        on_chunk: &mut F,
    ) -> Result<Option<()>, ReadError>
    where
        S: ChunkSink,
        M: Fn() -> S,
        F: FnMut(ChunkDone<S::Output>) -> ControlFlow<()>,
    {
        let position = self.skip_oversized()?;
        let mut sink = make_sink();
        let rel = Position {
            byte: 0,
            line: 0,
            record: 0,
        };
        sink.record(&self.oversize_record(rel));
        let stats = ChunkStats {
            bytes: self.base.byte - position.byte,
            records: 1,
            lines: self.base.line - position.line,
            ..ChunkStats::default()
        };
        let done = ChunkDone {
            output: sink.finish(),
            base: position,
            stats,
        };
        Ok(on_chunk(done).is_continue().then_some(()))
    }

    /// Hands a chunk that ended at buffer offset `end` to `on_chunk` and
    /// moves the reader after it. `None` when `on_chunk` stopped the run.
    fn deliver<T, F>(
        &mut self,
        end: usize,
        stats: ChunkStats,
        output: T,
        on_chunk: &mut F,
    ) -> Option<()>
    where
        F: FnMut(ChunkDone<T>) -> ControlFlow<()>,
    {
        let mut at = Cursor {
            pos: &mut self.pos,
            base: &mut self.base,
            totals: &mut self.stats,
        };
        at.deliver(end, stats, output, on_chunk)
    }

    /// Speculative parallel parse of the buffered window; see the crate
    /// docs. Unless the input ended, one job reads the next window into
    /// the read-ahead buffer meanwhile (taken by the next
    /// [`CsvReader::refill`]), so that no core waits on the `read` copy.
    /// Returns how the last accepted chunk stopped (`None`: stopped by
    /// `on_chunk`).
    fn parallel_window<S, M, F>(
        &mut self,
        pool: &rayon::ThreadPool,
        make_sink: &M,
        on_chunk: &mut F,
    ) -> Option<Stop>
    where
        S: ChunkSink,
        M: Fn() -> S + Sync,
        F: FnMut(ChunkDone<S::Output>) -> ControlFlow<()>,
    {
        let buf = &self.buf[..self.filled];
        let (from, eof, chunk) = (self.pos, self.eof, self.chunk());
        let (window, read_bytes) = (self.window(), self.opts.read_bytes);
        let n = (buf.len() - from).div_ceil(chunk);
        let nominal = |k: usize| from + k * chunk;
        let limit = |k: usize| {
            if k + 1 == n {
                usize::MAX
            } else {
                nominal(k + 1)
            }
        };
        let cfg = self.parser.cfg.clone();
        let parser = &mut self.parser;
        let mut cursor = Cursor {
            pos: &mut self.pos,
            base: &mut self.base,
            totals: &mut self.stats,
        };
        let (src, ahead) = (&mut self.src, &mut self.ahead);
        let headroom = headroom(window);
        // Set when delivery stops early: the read-ahead need not finish.
        let stop = AtomicBool::new(false);
        // Chunks are parsed on the pool and delivered on this thread as
        // soon as they are next in order, so that the consumer's merging
        // overlaps the parsing of later chunks instead of waiting for the
        // whole window.
        type Spec<O> = Option<(usize, crate::chunk::ChunkRun, O)>;
        let (tx, rx) = std::sync::mpsc::channel::<(usize, Spec<S::Output>)>();
        pool.in_place_scope(|scope| {
            if !eof && !ahead.ready {
                // Spawned first, so that a worker starts it at once.
                let stop = &stop;
                scope.spawn(move |_| ahead.read(src, headroom, window, read_bytes, stop));
            }
            for k in 0..n {
                let tx = tx.clone();
                let cfg = &cfg;
                scope.spawn(move |_| {
                    let spec = (|| {
                        let start = if k == 0 {
                            from
                        } else {
                            // Speculate: a record starts after the first line feed.
                            let s = nominal(k) - 1;
                            let nl = s + memchr(b'\n', &buf[s..])?;
                            Parser::skip_blank(buf, nl + 1, eof).pos
                        };
                        let mut parser = Parser::new(cfg.clone());
                        let mut sink = make_sink();
                        let run = run_chunk(&mut parser, buf, start, limit(k), eof, &mut sink);
                        Some((start, run, sink.finish()))
                    })();
                    // The receiver is gone when delivery stopped early.
                    let _ = tx.send((k, spec));
                });
            }
            drop(tx);
            let mut pending: Vec<Option<Spec<S::Output>>> = (0..n).map(|_| None).collect();
            let mut next = 0;
            let mut at = from;
            let recv = || recv(&rx);
            let mut deliver = || {
                while let Some((k, spec)) = recv() {
                    pending[k] = Some(spec);
                    while let Some(spec) = pending.get_mut(next).and_then(Option::take) {
                        let (run, output) = match spec {
                            Some((start, run, output)) if start == at => (run, output),
                            _ => {
                                // Wrong guess: parse from the true boundary.
                                cursor.totals.reparsed_chunks += 1;
                                let mut sink = make_sink();
                                let run = run_chunk(parser, buf, at, limit(next), eof, &mut sink);
                                (run, sink.finish())
                            }
                        };
                        cursor.deliver(run.end, run.stats, output, on_chunk)?;
                        at = run.end;
                        if run.stop != Stop::Limit {
                            return Some(run.stop);
                        }
                        next += 1;
                    }
                }
                Some(Stop::Limit)
            };
            let stopped = deliver();
            if stopped.is_none() {
                stop.store(true, Ordering::Relaxed);
            }
            stopped
        })
    }
}

/// The next message; `None` once every sender is gone. On a worker of a
/// pool (the by-offset driver), runs the jobs it queued itself while
/// waiting, then blocks once none is left: every job it waits for is then
/// running on another thread. Only its own jobs (`yield_local`): jobs
/// injected from elsewhere, such as another reader's driver on a shared
/// pool, would hold up this reader's deliveries for a whole file; and no
/// spinning, which cost a core while slow storage kept the jobs reading.
fn recv<T>(rx: &std::sync::mpsc::Receiver<T>) -> Option<T> {
    loop {
        match rx.try_recv() {
            Ok(m) => return Some(m),
            Err(std::sync::mpsc::TryRecvError::Disconnected) => return None,
            Err(std::sync::mpsc::TryRecvError::Empty) => {}
        }
        match rayon::yield_local() {
            Some(rayon::Yield::Executed) => {}
            Some(rayon::Yield::Idle) | None => return rx.recv().ok(),
        }
    }
}

/// Room kept before a read-ahead window for the incomplete last record of
/// the current one (1/8 of the window, at most 64 KiB; a longer record
/// moves the window instead).
fn headroom(window: usize) -> usize {
    (window / 8).clamp(1, 64 << 10)
}

#[cfg(test)]
mod pool_tests {
    use std::ops::ControlFlow;
    use std::sync::Arc;

    use tsload_model::effective::CsvDialect;

    use super::{ChunkSink, CsvReader, HeaderOutcome, ReadOptions};
    use crate::Record;

    struct Count(u64);
    impl ChunkSink for Count {
        type Output = u64;
        fn record(&mut self, _: &Record<'_>) {
            self.0 += 1;
        }
        fn finish(self) -> u64 {
            self.0
        }
    }

    fn count_on(pool: &Arc<rayon::ThreadPool>, data: &[u8]) -> u64 {
        let opts = ReadOptions {
            threads: 2,
            window_bytes: 4096,
            chunk_bytes: 256,
            ..ReadOptions::default()
        };
        let mut rdr = CsvReader::new(data, &CsvDialect::default(), opts)
            .unwrap()
            .with_thread_pool(pool.clone());
        assert!(matches!(rdr.header().unwrap(), HeaderOutcome::Header(_)));
        let mut n = 0;
        rdr.run(
            || Count(0),
            |done| {
                n += done.output;
                ControlFlow::Continue(())
            },
        )
        .unwrap();
        n
    }

    /// Chunks are delivered while others are parsed; a run started from a
    /// worker of the reader's own pool must not wait on itself.
    #[test]
    fn runs_from_inside_its_own_pool() {
        let mut data = b"a,b\n".to_vec();
        for i in 0..5000 {
            data.extend_from_slice(format!("{i},\"x,{i}\"\n").as_bytes());
        }
        let pool = Arc::new(
            rayon::ThreadPoolBuilder::new()
                .num_threads(2)
                .build()
                .unwrap(),
        );
        assert_eq!(count_on(&pool, &data), 5000);
        let inside =
            pool.install(|| rayon::join(|| count_on(&pool, &data), || count_on(&pool, &data)));
        assert_eq!(inside, (5000, 5000));
    }
}
