//! tsload-csv: a CSV reader that follows Timestream's `CsvConfiguration`,
//! fast and in parallel, with positions and framing findings.
//!
//! # Overview
//!
//! - [`CsvReader`] reads any [`std::io::Read`] (a file, stdin, an S3 body)
//!   in windows, with `read` calls of at most [`ReadOptions::read_bytes`].
//!   [`CsvReader::header`] reads the first record as the [`Header`] (names
//!   resolved once with [`Header::index_of`]) after checking for a byte
//!   order mark. Then either
//!   - [`CsvReader::read_record`] yields one borrowed [`Record`] at a time
//!     (tests, small inputs, the emulator), or
//!   - [`CsvReader::run`] parses chunks on rayon threads, feeding each
//!     chunk's records to a fresh [`ChunkSink`] and delivering the sinks'
//!     outputs **in input order** as [`ChunkDone`]s.
//! - A [`Record`] borrows its fields from the input (or, for unescaped
//!   fields, from a reusable scratch buffer): no allocation per record or
//!   field. It carries its [`Position`] and its framing [`Issue`]s.
//! - [`NullMatcher`] decides which fields are null.
//! - [`rules`] lists the `C…` rules, with severity and evidence.
//!
//! ```
//! use std::ops::ControlFlow;
//! use tsload_csv::{ChunkSink, CsvReader, HeaderOutcome, ReadOptions, Record};
//! use tsload_model::effective::CsvDialect;
//!
//! /// Counts records with framing errors, per chunk.
//! struct Bad(u64);
//! impl ChunkSink for Bad {
//!     type Output = u64;
//!     fn record(&mut self, r: &Record<'_>) {
//!         self.0 += u64::from(r.has_errors());
//!     }
//!     fn finish(self) -> u64 {
//!         self.0
//!     }
//! }
//!
//! let data = "time,host\n1,a\n2,b,extra\n3,c\n";
//! let mut rdr = CsvReader::new(data.as_bytes(), &CsvDialect::default(), ReadOptions::default())?;
//! let HeaderOutcome::Header(header) = rdr.header()? else { unreachable!() };
//! assert_eq!(header.index_of("host"), Some(1));
//! let mut bad = 0;
//! rdr.run(|| Bad(0), |done| {
//!     bad += done.output;
//!     ControlFlow::Continue(())
//! })?;
//! assert_eq!(bad, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # How the service's dialect is read
//!
//! The service documents little (`batchload-spec.md` §2.1, §2.2, §10 item
//! 6). The tokenizer follows `csv-core` exactly, which is the semantic
//! reference of the differential tests; where the service's behaviour is
//! unknown, the reader picks the conservative reading and raises a rule
//! tagged \[INF\] so that users can tell an inference from a documented fact.
//!
//! | Topic | Reading | Rule |
//! |---|---|---|
//! | `ColumnSeparator` | any single byte except `\n`, `\r`, NUL and the quote | |
//! | `QuoteChar` | any single byte; opens a quoted field only as a field's first byte (after leading spaces it is data) | C010 stray quote \[INF\] |
//! | `EscapeChar` | inside quotes, takes the next byte literally; documented for the quote \[DOC\], applied to any byte like `csv-core` | C013 if the next byte is neither quote nor escape \[INF\] |
//! | `EscapeChar` outside quotes | data, like `csv-core` (whether the service applies it there is undocumented) | C021 warning \[INF\] |
//! | `""` in quotes | one quote (RFC 4180), with or without `EscapeChar`; not reported when `EscapeChar` equals `QuoteChar` | C009 \[INF\] |
//! | text after a closing quote | appended to the field (`"ab"c` is `abc`) | C011 \[INF\] |
//! | line breaks in quotes | part of the field, lines counted | C012 \[INF\] |
//! | `TrimWhiteSpace` | ASCII white space, leading and trailing, **after** unquoting, so also inside quotes (as `csv::Trim::All`) | C014 when it trims inside quotes \[INF\] |
//! | header names | trimmed like fields when `TrimWhiteSpace` is set; matched byte-exactly | C017 when a name has surrounding white space \[INF\] |
//! | `NullValue`, empty fields | trim first, then: an unquoted field equal to `NullValue` or empty is null; a quoted field never is ([`NullMatcher`]) | C019, raised by consumers \[INF\] |
//! | line endings | `\n` and `\r\n` (both fine, \[EX\]); a missing final newline is fine \[EX\]; a lone `\r` ends the record like `csv-core` | C005 error \[INF\] |
//! | blank lines | skipped (like `csv-core`), counted in [`ChunkStats`] | C020 \[INF\] |
//! | byte order marks | UTF-8 BOM: reported and skipped, reading goes on; UTF-16/32 BOM: nothing is read | C001, C002 \[DOC\] |
//! | encoding | UTF-8 required; NUL bytes rejected | C003, C004 \[INF\] |
//! | unterminated quote | the field runs to the end of input (like `csv-core`) | C006 \[INF\] |
//! | field count | every record must have the header's count (a parse failure) | C008 \[INF\] |
//! | row size | over 16 MiB (content without terminator, §2.5 item 6): no fields, one issue, a 1 KiB preview, skipped with a bounded buffer | C007 \[DOC\] |
//!
//! # Positions
//!
//! [`Position::line`] is the 1-based physical line (header = line 1,
//! line breaks inside quotes and blank lines counted; a lone `\r` that ends
//! a record counts as a line break), [`Position::byte`] the 0-based offset
//! of the record's first byte (after any skipped blank lines; the UTF-8 BOM
//! counts), [`Position::record`] the 0-based record index (header = 0).
//! [`Issue::offset`] is relative to the record start and [`Issue::field`]
//! names the field. Inside a [`ChunkSink`], positions are chunk-relative:
//! rebase them with [`Position::rebase`] and [`ChunkDone::base`] (cold
//! path only).
//!
//! # Parallel reading: speculative chunks, verified
//!
//! A window ([`ReadOptions::window_bytes`]) is split into nominal chunks
//! `[s_k, s_k+1)` ([`ReadOptions::chunk_bytes`]). Worker `k > 0` guesses
//! that a record starts after the first `\n` at or after `s_k` (Ge et al.,
//! SIGMOD 2019; DuckDB's parallel CSV reader), skips blank lines to its
//! start `a_k`, and parses the records that start before `s_k+1` (the last
//! may run past it); it ends at `z_k`, the first record start at or after
//! `s_k+1`. Stitching, in order: chunk `k+1` is accepted iff
//! `a_k+1 == z_k`, because parsing is a pure function of (bytes, start)
//! from a true record boundary; otherwise its output is dropped and it is
//! re-parsed from `z_k`. The incomplete last record moves to the next
//! window. A wrong guess (a chunk start inside a quoted multi-line field)
//! costs time, never correctness; [`ReadStats::reparsed_chunks`] counts
//! them. Sequential and parallel reading run the same chunk parser, and
//! `threads == 1` runs it inline. Each chunk's output is handed to the
//! consumer as soon as it is next in order, while the workers parse later
//! chunks, so that the consumer's merging overlaps the parsing: on the
//! calling thread for windows; by offset, on the pool thread that drives
//! the run (the calling thread waits), which parses its own queued chunks
//! while the next one in order is not done yet.
//!
//! Reading overlaps parsing too: with more than one thread, a job on the
//! pool reads the next window (half of [`ReadOptions::window_bytes`]) into
//! a second buffer while the other workers parse the current one, so that
//! no core waits on the `read` copy. The next window lands after a
//! headroom (1/8 of a window, at most 64 KiB): the current window's
//! incomplete last record is copied in front of it, or, when longer than
//! the headroom, the read bytes move. Then the buffers swap. A run stopped
//! by [`ControlFlow::Break`](std::ops::ControlFlow::Break) stops the read
//! early and keeps what was read; a read error is returned once the
//! records before it were delivered.
//!
//! A regular file need not be read in windows at all: given
//! [`CsvReader::with_read_at`] (a [`ReadAt`], `pread(2)` for a `File`), the
//! rest of the input after the header is one sequence of nominal chunks,
//! and each job reads its own chunk (plus the byte before it and up to
//! 4 KiB after it, more when its last record needs it) into a buffer of
//! its own, guesses and parses as above. Jobs are spawned as chunks are
//! delivered, at most 4 per thread ahead, so the workers never wait for a
//! window to finish and no record is copied between buffers. Stitching is
//! the same; a record over the size limit is skipped by the sequential
//! reader, then chunking starts again after it.
//!
//! # Memory
//!
//! Bounded whatever the file size: the window buffers
//! ([`ReadOptions::window_bytes`], 4 MiB by default: one window, or two
//! of half the size with more than one thread, plus a headroom of at most
//! 64 KiB each) plus, per worker, the spans, issues and unescaped bytes of
//! one record, plus the outputs of one window's chunks (at least 4 per
//! thread) until they are delivered. A record longer than half a window
//! grows its buffer up to about `max_record_bytes + window_bytes`
//! (18 MiB by default; the other buffer is given back to its normal size
//! when it is next filled); beyond `max_record_bytes` the record is
//! skipped with that buffer. For ordinary files that is about 4.5 MiB
//! with two threads. Read by offset: one chunk buffer per running job
//! (`chunk_bytes` + 4 KiB; a long record doubles it as needed, up to about
//! twice `max_record_bytes`, and such a buffer is freed after its chunk),
//! the driving thread's buffer for chunks it parses again, and the outputs
//! of at most 4 chunks per thread.
//!
//! # Speed
//!
//! No allocation per record or field. Unquoted fields are found through a
//! structural index: 64 bytes at a time are compared with the separator,
//! quote, `\n` and `\r` and turned into a bitmask, and a second one of the
//! separators alone (SSE2/NEON through the [`wide`](https://docs.rs/wide)
//! crate, no `unsafe` here). The masks of 64 blocks (4 KiB) are computed
//! together in a loop that does nothing else, then walked with
//! `trailing_zeros`; the record loop keeps the current block and its bits
//! in registers, ends fields at the separators before the block's first
//! other structural byte without reading the bytes, and writes the spans
//! of unquoted fields into reusable slots (no vector growth per field). A
//! quote, `\r`, trimming or the buffer's end hands over to the general
//! loop at the field's start, which parses any field (quoted fields use
//! `memchr`). UTF-8 and NUL checks run per 64 KiB block, not per field:
//! one vector pass (`or` and unsigned `min` of 16 bytes at a time) tells
//! whether the block is plain ASCII without NUL; only otherwise do
//! `str::from_utf8` and `memchr` look for the exact offsets. A record says
//! it was checked ([`Record::utf8_known_valid`]) so that consumers need
//! not check its fields again, and gives its fields straight from the
//! input when none was unescaped ([`Record::in_place`]). `benches/read.rs` measures it against a
//! newline count and the `csv` crate.

pub mod chunk;
mod header;
mod null;
mod parser;
mod reader;
pub mod record;
pub mod rules;
mod scan;

pub use chunk::ChunkStats;
pub use header::{Bom, Header, HeaderOutcome};
pub use null::{NullKind, NullMatcher};
pub use reader::{
    ChunkDone, ChunkSink, CsvReader, DialectError, MAX_RECORD_BYTES, ReadAt, ReadError,
    ReadOptions, ReadStats,
};
pub use record::{FieldSpan, InPlace, Issue, OwnedRecord, Position, Record};
