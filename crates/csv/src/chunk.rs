//! Parsing a run of records from a record boundary: the unit of work of the
//! sequential reader and of each parallel worker.
//!
//! Encoding checks run per block, not per field, over 64 KiB at a time
//! ahead of the records: one vector pass tells whether the block is plain
//! ASCII without NUL (the usual case, then nothing else runs); otherwise
//! `str::from_utf8` and a `memchr` for NUL find the exact offsets. The few
//! bad offsets are attached to the records that hold them on a cold path.

use memchr::memchr_iter;

use crate::ChunkSink;
use crate::parser::{FieldCursor, Parsed, Parser};
use crate::record::Position;
use crate::rules;
use crate::scan::plain_ascii;

/// Bytes validated ahead of the parser in one go.
const VALIDATE_BLOCK: usize = 64 * 1024;

/// Block-wise UTF-8 and NUL checks over one buffer.
pub(crate) struct Validity {
    /// Everything before this offset is checked.
    checked: usize,
    /// Offsets of the first byte of each invalid UTF-8 sequence.
    bad_utf8: Vec<usize>,
    /// Offsets of NUL bytes.
    nul: Vec<usize>,
    next_bad: usize,
    next_nul: usize,
    /// The smallest offset of a finding not attached yet (`usize::MAX`:
    /// none), so that a clean record costs one comparison.
    next_finding: usize,
}

impl Validity {
    /// Checks start at `from`, which must follow an ASCII byte or be the
    /// start of the input (record boundaries are).
    pub(crate) fn new(from: usize) -> Self {
        Self {
            checked: from,
            bad_utf8: Vec::new(),
            nul: Vec::new(),
            next_bad: 0,
            next_nul: 0,
            next_finding: usize::MAX,
        }
    }

    /// Restarts at `from` (after the buffer moved).
    pub(crate) fn reset(&mut self, from: usize) {
        self.checked = from;
        self.bad_utf8.clear();
        self.nul.clear();
        self.next_bad = 0;
        self.next_nul = 0;
        self.next_finding = usize::MAX;
    }

    fn update_next_finding(&mut self) {
        let bad = self.bad_utf8.get(self.next_bad).copied();
        let nul = self.nul.get(self.next_nul).copied();
        self.next_finding = bad.unwrap_or(usize::MAX).min(nul.unwrap_or(usize::MAX));
    }

    #[inline(never)]
    fn ensure(&mut self, buf: &[u8], upto: usize, eof: bool) {
        self.check(buf, upto, eof);
        self.update_next_finding();
    }

    fn check(&mut self, buf: &[u8], upto: usize, eof: bool) {
        while self.checked < upto {
            let from = self.checked;
            let to = upto.max(from + VALIDATE_BLOCK).min(buf.len());
            let block = &buf[from..to];
            if plain_ascii(block) {
                self.checked = to;
                continue;
            }
            self.nul.extend(memchr_iter(0, block).map(|i| from + i));
            let mut at = 0;
            loop {
                match std::str::from_utf8(&block[at..]) {
                    Ok(_) => {
                        self.checked = to;
                        break;
                    }
                    Err(e) => {
                        let bad = at + e.valid_up_to();
                        match e.error_len() {
                            Some(n) => {
                                self.bad_utf8.push(from + bad);
                                at = bad + n;
                            }
                            None if to == buf.len() && eof => {
                                self.bad_utf8.push(from + bad);
                                self.checked = to;
                                break;
                            }
                            None => {
                                // A sequence cut by the block end: check it
                                // with the next block.
                                self.checked = from + bad;
                                if self.checked < upto {
                                    // Cannot happen at record ends (they
                                    // follow an ASCII terminator) but keep
                                    // progress guaranteed.
                                    self.bad_utf8.push(from + bad);
                                    self.checked = from + bad + 1;
                                }
                                break;
                            }
                        }
                    }
                }
            }
        }
    }

    /// Attaches the encoding findings inside `parsed` to the parser's issues.
    #[inline]
    pub(crate) fn attach(&mut self, buf: &[u8], eof: bool, parser: &mut Parser, parsed: &Parsed) {
        if self.checked < parsed.end {
            self.ensure(buf, parsed.end, eof);
        }
        if self.next_finding < parsed.end {
            self.attach_cold(buf, parser, parsed);
        }
    }

    #[cold]
    fn attach_cold(&mut self, buf: &[u8], parser: &mut Parser, parsed: &Parsed) {
        let (start, end) = (parsed.start, parsed.end);
        // Report the first finding per field (and per rule), not every byte.
        let mut last: Option<(Option<u32>, usize)> = None;
        for (list, next, rule, code) in [
            (&self.bad_utf8, &mut self.next_bad, &rules::INVALID_UTF8, 0),
            (&self.nul, &mut self.next_nul, &rules::NUL_BYTE, 1),
        ] {
            let mut cursor = FieldCursor::default();
            while let Some(&at) = list.get(*next) {
                if at >= end {
                    break;
                }
                *next += 1;
                if at < start {
                    continue;
                }
                let n = parser.issues.len();
                parser.add_issue(buf, parsed, rule, at, &mut cursor);
                let field = parser.issues[n].field;
                if last == Some((field, code)) {
                    parser.issues.pop();
                }
                last = Some((field, code));
            }
        }
        parser.sort_issues();
        self.update_next_finding();
    }
}

/// Why a chunk stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// The next record starts at or after the chunk's limit.
    Limit,
    /// The next record does not end inside the buffer (more input needed).
    Incomplete,
    /// End of input.
    Eof,
}

/// Counters of one chunk (relative to its start).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChunkStats {
    /// Bytes consumed, from the chunk start to the next record boundary.
    pub bytes: u64,
    /// Records parsed.
    pub records: u64,
    /// Line breaks consumed (terminators, quoted line breaks, blank lines).
    pub lines: u64,
    /// Blank lines skipped ([`rules::BLANK_LINES`]).
    pub blank_lines: u64,
    /// Chunk-relative 0-based line of the first blank line skipped.
    pub first_blank_line: Option<u64>,
}

/// The result of [`run_chunk`].
pub(crate) struct ChunkRun {
    /// Where the chunk ended: the next record boundary.
    pub(crate) end: usize,
    pub(crate) stop: Stop,
    pub(crate) stats: ChunkStats,
}

/// Parses records from `start` (a record boundary) while they start before
/// `limit`, feeding `sink` records with chunk-relative positions.
pub(crate) fn run_chunk<S: ChunkSink>(
    parser: &mut Parser,
    buf: &[u8],
    start: usize,
    limit: usize,
    eof: bool,
    sink: &mut S,
) -> ChunkRun {
    continue_chunk(parser, buf, start, ChunkStats::default(), limit, eof, sink)
}

/// Goes on with a chunk that stopped [`Stop::Incomplete`] at `pos` with
/// `stats`, now that `buf` holds more of the input (it may have moved, but
/// the chunk's bytes sit at the same offsets): the records after `pos` get
/// the positions they would have had in one run over the longer buffer.
pub(crate) fn continue_chunk<S: ChunkSink>(
    parser: &mut Parser,
    buf: &[u8],
    pos: usize,
    mut stats: ChunkStats,
    limit: usize,
    eof: bool,
    sink: &mut S,
) -> ChunkRun {
    parser.reset_scanner();
    let start = pos - stats.bytes as usize;
    let mut validity = Validity::new(pos);
    let mut pos = pos;
    let mut parsed = Parsed::default();
    let stop = loop {
        let blank = Parser::skip_blank(buf, pos, eof);
        if blank.count > 0 {
            if stats.first_blank_line.is_none() {
                stats.first_blank_line = Some(stats.lines);
            }
            stats.blank_lines += blank.count;
            stats.lines += blank.count;
            pos = blank.pos;
        }
        if pos >= buf.len() {
            break if eof { Stop::Eof } else { Stop::Incomplete };
        }
        if pos >= limit {
            break Stop::Limit;
        }
        if !parser.parse_record(buf, pos, eof, &mut parsed) {
            break Stop::Incomplete;
        }
        if parsed.raw_len <= parser.cfg.max_record {
            validity.attach(buf, eof, parser, &parsed);
        }
        let position = Position {
            byte: (pos - start) as u64,
            line: stats.lines,
            record: stats.records,
        };
        sink.record(&parser.record(buf, &parsed, position));
        stats.records += 1;
        stats.lines += parsed.lines;
        pos = parsed.end;
    };
    stats.bytes = (pos - start) as u64;
    ChunkRun {
        end: pos,
        stop,
        stats,
    }
}
