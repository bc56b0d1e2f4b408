//! The parallel driver for inputs read by offset ([`ReadAt`]: regular
//! files).
//!
//! With a file, no worker needs bytes another one read. The rest of the
//! input, from the record boundary `a` where the driver starts, is cut into
//! nominal chunks `[a + k·c, a + (k+1)·c)` ([`ReadOptions::chunk_bytes`]
//! `c`). The job of chunk `k` reads its bytes (from one byte before, for
//! the line feed that may precede its first record, to a little after, for
//! its last record's tail) into a buffer of its own, guesses its first
//! record boundary as the window driver does, parses the records that
//! start in the chunk and sends its sink's output. The driver, which runs
//! on one of the pool's threads (the calling thread waits for it), stitches
//! the chunks in order as for windows: chunk `k` is accepted iff
//! it started where chunk `k − 1` ended, else it is parsed again from
//! there. A chunk whose last record runs past what it read reads more and
//! goes on ([`continue_chunk`]); a record longer than the limit is skipped
//! by the sequential reader, then the driver starts again after it.
//!
//! Jobs are spawned as chunks are delivered, at most [`AHEAD`] × threads
//! ahead of the delivered one: memory stays bounded (one buffer per
//! running job, the outputs of the chunks in flight), and the workers
//! never wait for one another: there is no window to finish, no read-ahead
//! job and no copy of a record between buffers. While the driver waits for
//! the next chunk in order it parses queued chunks itself, so `n` threads
//! keep `n` cores busy, not `n` workers plus a calling thread that wakes
//! for every chunk (measured with 2 threads on 2 cores: 6% less CPU).
//! `on_chunk` therefore runs on a pool thread and must be `Send`.
//!
//! [`ReadOptions::chunk_bytes`]: super::ReadOptions::chunk_bytes

use std::any::Any;
use std::collections::VecDeque;
use std::io;
use std::ops::ControlFlow;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use memchr::memchr;

use super::{ChunkDone, ChunkSink, CsvReader, Cursor, ReadError, Source, read_into, recv};
use crate::chunk::{ChunkStats, Stop, continue_chunk, run_chunk};
use crate::parser::{Config, Parser};

/// Chunks in flight per thread, counted from the next one to deliver.
const AHEAD: usize = 4;

/// Bytes read after a chunk's nominal end for the tail of its last record
/// (at most; the chunk size if smaller). A longer tail is read when needed.
const TAIL: usize = 4 << 10;

/// An input that can be read at any offset, such as a regular file.
/// Offsets are absolute: offset 0 is the input's first byte.
pub trait ReadAt: Send + Sync {
    /// Reads bytes at `offset` into `buf`, like `pread(2)`: the number of
    /// bytes read, which may be fewer than asked; `Ok(0)` at or past the
    /// end of the input (not an error).
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize>;
}

impl ReadAt for std::fs::File {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        #[cfg(unix)]
        {
            std::os::unix::fs::FileExt::read_at(self, buf, offset)
        }
        #[cfg(windows)]
        {
            std::os::windows::fs::FileExt::seek_read(self, buf, offset)
        }
        #[cfg(not(any(unix, windows)))]
        {
            let _ = (buf, offset);
            Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "reading a file by offset is not supported on this platform",
            ))
        }
    }
}

impl ReadAt for Vec<u8> {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let from = usize::try_from(offset).map_or(self.len(), |o| o.min(self.len()));
        let n = buf.len().min(self.len() - from);
        buf[..n].copy_from_slice(&self[from..from + n]);
        Ok(n)
    }
}

/// Sets its flag when dropped, unwinding included.
struct SetOnDrop<'a>(&'a AtomicBool);

impl Drop for SetOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// What a job made of one chunk.
enum Piece<O> {
    /// Records parsed from `start` to `end` (absolute offsets).
    Parsed {
        start: u64,
        end: u64,
        stop: Stop,
        stats: ChunkStats,
        output: O,
    },
    /// No line feed from the byte before the chunk on, so no guess (a
    /// record may still start after a lone `\r`: the driver then parses
    /// the chunk itself). `past_end`: nothing could be read there.
    Empty { past_end: bool },
    /// Not parsed: the driver had stopped.
    Skipped,
    /// Reading failed.
    Failed(io::Error),
}

/// A job's message: the chunk's number and what it made, or its panic.
type Message<O> = (u64, Result<Piece<O>, Box<dyn Any + Send>>);

/// How one pass of the driver ended.
enum Pass {
    /// At the end of the input.
    Eof,
    /// `on_chunk` stopped the run.
    Stopped,
    /// The next record is longer than the limit and unterminated in a
    /// chunk's buffer: the sequential reader skips it.
    Oversized,
}

/// What a chunk job needs besides its number.
struct Job<'a> {
    src: &'a dyn ReadAt,
    cfg: &'a Config,
    /// The largest `read_at` call.
    read_bytes: usize,
    tail: usize,
}

impl Job<'_> {
    /// Reads `buf[*filled..want]` from `from + *filled`; sets `eof` when
    /// the input ends first.
    fn fill(
        &self,
        buf: &mut Vec<u8>,
        filled: &mut usize,
        want: usize,
        from: u64,
        eof: &mut bool,
    ) -> io::Result<()> {
        if buf.len() < want {
            buf.resize(want, 0);
        }
        if !*eof {
            *eof = read_into(
                &mut buf[..want],
                filled,
                self.read_bytes,
                || false,
                |b, at| self.src.read_at(b, from + at as u64),
            )?;
        }
        Ok(())
    }

    /// Parses the records that start in `[start, limit)`, where `start` is
    /// `from` itself when `exact`, else guessed after the first line feed
    /// at or after `from` (the byte before the chunk).
    fn parse<S: ChunkSink>(
        &self,
        buf: &mut Vec<u8>,
        from: u64,
        exact: bool,
        limit: u64,
        make_sink: &impl Fn() -> S,
    ) -> io::Result<Piece<S::Output>> {
        // The chunk is at most `chunk_bytes + 1` long: it fits a usize.
        let limit_at = usize::try_from(limit - from).unwrap_or(usize::MAX);
        let (mut filled, mut eof) = (0, false);
        self.fill(
            buf,
            &mut filled,
            limit_at.saturating_add(self.tail),
            from,
            &mut eof,
        )?;
        let start = if exact {
            0
        } else {
            let Some(nl) = memchr(b'\n', &buf[..filled]) else {
                // Read up to `limit` at least, or to the end: no record
                // starts in the chunk.
                return Ok(Piece::Empty {
                    past_end: filled == 0,
                });
            };
            Parser::skip_blank(&buf[..filled], nl + 1, eof).pos
        };
        let mut parser = Parser::new(self.cfg.clone());
        let mut sink = make_sink();
        let mut run = run_chunk(&mut parser, &buf[..filled], start, limit_at, eof, &mut sink);
        while run.stop == Stop::Incomplete {
            let pending = filled - run.end;
            if pending > self.cfg.max_record.saturating_add(1) {
                // Surely longer than the limit (see
                // `CsvReader::pending_is_oversized`).
                break;
            }
            // Double the room of the pending record.
            let want = filled + pending.max(self.tail);
            self.fill(buf, &mut filled, want, from, &mut eof)?;
            run = continue_chunk(
                &mut parser,
                &buf[..filled],
                run.end,
                run.stats,
                limit_at,
                eof,
                &mut sink,
            );
        }
        Ok(Piece::Parsed {
            start: from + start as u64,
            end: from + run.end as u64,
            stop: run.stop,
            stats: run.stats,
            output: sink.finish(),
        })
    }
}

impl<R: io::Read + Send> CsvReader<R> {
    /// Reads the rest of the input with [`ReadAt`] on `pool` (see the
    /// module docs). `None` when `on_chunk` stopped the run. When it stops
    /// or fails, the reader stays after the last delivered chunk, so that
    /// reading can go on from there.
    pub(super) fn positional_run<S, M, F>(
        &mut self,
        pool: &rayon::ThreadPool,
        src: &dyn ReadAt,
        make_sink: &M,
        on_chunk: &mut F,
    ) -> Result<Option<()>, ReadError>
    where
        S: ChunkSink,
        M: Fn() -> S + Sync,
        F: FnMut(ChunkDone<S::Output>) -> ControlFlow<()> + Send,
    {
        let result = (|| loop {
            self.rewind_to_base();
            match self.positional_pass(pool, src, make_sink, on_chunk)? {
                Pass::Eof => return Ok(Some(())),
                Pass::Stopped => return Ok(None),
                Pass::Oversized => {
                    // From the record's start, read in order.
                    self.rewind_to_base();
                    if self.deliver_oversized(make_sink, on_chunk)?.is_none() {
                        return Ok(None);
                    }
                }
            }
        })();
        // Stopped or failed, the next read starts after the last delivered
        // chunk.
        match result {
            Ok(Some(())) => self.eof = true,
            _ => self.rewind_to_base(),
        }
        result
    }

    /// Forgets the buffered bytes: the next read starts at the next record
    /// boundary, [`Self::base`]'s byte.
    fn rewind_to_base(&mut self) {
        self.pos = 0;
        self.filled = 0;
        self.eof = false;
        self.ahead.ready = false;
        self.validity.reset(0);
        self.parser.reset_scanner();
        if let Source::At { offset, .. } = &mut self.src {
            *offset = self.base.byte;
        }
    }

    /// Chunks from the next record boundary until the end, a stop or an
    /// oversized record.
    fn positional_pass<S, M, F>(
        &mut self,
        pool: &rayon::ThreadPool,
        src: &dyn ReadAt,
        make_sink: &M,
        on_chunk: &mut F,
    ) -> Result<Pass, ReadError>
    where
        S: ChunkSink,
        M: Fn() -> S + Sync,
        F: FnMut(ChunkDone<S::Output>) -> ControlFlow<()> + Send,
    {
        let a = self.base.byte;
        let chunk = self.opts.chunk_bytes as u64;
        let nominal = |k: u64| a.saturating_add(k.saturating_mul(chunk));
        let job = Job {
            src,
            cfg: &self.parser.cfg,
            read_bytes: self.opts.read_bytes,
            tail: self.opts.chunk_bytes.min(TAIL),
        };
        let ahead = (AHEAD * self.opts.threads) as u64;
        // A chunk, its tail and room for a record to grow into it.
        let keep = 2 * (self.opts.chunk_bytes + job.tail);
        let mut at_pos = 0;
        let mut cursor = Cursor {
            pos: &mut at_pos,
            base: &mut self.base,
            totals: &mut self.stats,
        };
        // Buffers of finished jobs, for the next ones.
        let buffers = Mutex::new(Vec::<Vec<u8>>::new());
        let stop = AtomicBool::new(false);
        let (tx, rx) = mpsc::channel::<Message<S::Output>>();
        pool.in_place_scope(|scope| {
            // However the pass ends (a result, an error, a panic in
            // `on_chunk` or in the driver's own parse), the jobs still
            // queued need not parse: the scope waits for them after this.
            let _stop = SetOnDrop(&stop);
            let spawn = |k: u64| {
                let (tx, job, buffers, stop) = (tx.clone(), &job, &buffers, &stop);
                let (from, exact) = if k == 0 {
                    (a, true)
                } else {
                    (nominal(k) - 1, false)
                };
                let limit = nominal(k + 1);
                scope.spawn(move |_| {
                    let piece = catch_unwind(AssertUnwindSafe(|| {
                        if stop.load(Ordering::Relaxed) {
                            return Piece::Skipped;
                        }
                        let mut buf = buffers.lock().map(|mut b| b.pop()).ok().flatten();
                        let buf_ref = buf.get_or_insert_with(Vec::new);
                        let piece = job
                            .parse(buf_ref, from, exact, limit, make_sink)
                            .unwrap_or_else(Piece::Failed);
                        // A buffer grown for a long record is given back to
                        // the allocator, not kept for the next chunks.
                        if let (Ok(mut free), Some(buf)) = (buffers.lock(), buf)
                            && buf.len() <= keep
                        {
                            free.push(buf);
                        }
                        piece
                    }));
                    // The receiver is gone once the pass ended.
                    let _ = tx.send((k, piece));
                });
            };
            let (mut spawned, mut end) = (0u64, u64::MAX);
            // `pending[i]`: the piece of chunk `next + i`, once here.
            let mut pending: VecDeque<Option<Piece<S::Output>>> = VecDeque::new();
            let mut main_buf = Vec::new();
            let mut at = a;
            let mut next = 0u64;
            loop {
                while spawned < end.min(next + ahead) || spawned <= next {
                    spawn(spawned);
                    spawned += 1;
                }
                while pending.front().is_none_or(Option::is_none) {
                    let Some((k, piece)) = recv(&rx) else {
                        unreachable!("this thread holds a sender");
                    };
                    let piece = piece.unwrap_or_else(|panic| resume_unwind(panic));
                    if let Piece::Empty { past_end: true } = piece {
                        end = end.min(k);
                    }
                    let i = (k - next) as usize;
                    if pending.len() <= i {
                        pending.resize_with(i + 1, || None);
                    }
                    pending[i] = Some(piece);
                }
                let Some(Some(piece)) = pending.pop_front() else {
                    unreachable!("the front piece is here");
                };
                next += 1;
                let limit = nominal(next);
                if at >= limit {
                    // A record of an earlier chunk covers this one.
                    continue;
                }
                let piece = match piece {
                    Piece::Parsed { start, .. } if start == at => piece,
                    _ => {
                        // A wrong guess: parse again from the boundary.
                        cursor.totals.reparsed_chunks += 1;
                        job.parse(&mut main_buf, at, true, limit, make_sink)
                            .unwrap_or_else(Piece::Failed)
                    }
                };
                match piece {
                    Piece::Parsed {
                        end: chunk_end,
                        stop: chunk_stop,
                        stats,
                        output,
                        ..
                    } => {
                        let pass = if cursor.deliver(0, stats, output, on_chunk).is_none() {
                            Pass::Stopped
                        } else {
                            match chunk_stop {
                                Stop::Limit => {
                                    at = chunk_end;
                                    continue;
                                }
                                Stop::Eof => Pass::Eof,
                                Stop::Incomplete => Pass::Oversized,
                            }
                        };
                        return Ok(pass);
                    }
                    Piece::Failed(e) => return Err(ReadError::Io(e)),
                    Piece::Empty { .. } | Piece::Skipped => {
                        unreachable!("an exact parse is never empty or skipped")
                    }
                }
            }
        })
    }
}
