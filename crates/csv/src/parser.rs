//! The chunk parser: one record at a time from a byte slice that starts at a
//! record boundary. The sequential reader, the header and every parallel
//! worker use this code, so they agree by construction.
//!
//! Semantics are those of `csv-core` (the reference of the differential
//! tests) configured from the dialect: `\n`, `\r\n` and a lone `\r` end a
//! record; blank lines are skipped; a quote opens a quoted field only as
//! the first byte of a field; inside quotes a doubled quote is one quote and
//! the escape character takes the next byte literally; bytes after a closing
//! quote are appended to the field; an unterminated quote runs to the end of
//! the input. Departures from strict RFC 4180 are reported as issues.

use memchr::{memchr, memchr_iter, memchr2};
use tsload_model::Rule;

use crate::record::{FieldSpan, Issue, Position, Record};
use crate::rules;
use crate::scan::{Needles, Scanner};

/// Bytes of an oversized record kept for messages ([`Record::raw`]).
pub(crate) const OVERSIZE_PREVIEW: usize = 1024;

/// The dialect compiled for the parser.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) sep: u8,
    pub(crate) quote: u8,
    /// The escape character, `None` when unset or equal to the quote (then
    /// it is the doubled-quote convention).
    pub(crate) escape: Option<u8>,
    pub(crate) trim: bool,
    /// Report doubled quotes ([`rules::DOUBLED_QUOTE`]).
    pub(crate) warn_doubled: bool,
    /// Records longer than this (without terminator) get
    /// [`rules::RECORD_TOO_LARGE`].
    pub(crate) max_record: usize,
    /// The header's field count, once known.
    pub(crate) expected_fields: Option<usize>,
}

impl Config {
    /// Whether the separator, quote and escape are ASCII (removing them
    /// from valid UTF-8 leaves valid UTF-8).
    fn ascii_structure(&self) -> bool {
        self.sep.is_ascii() && self.quote.is_ascii() && self.escape.is_none_or(|e| e.is_ascii())
    }
}

/// A record parsed by [`Parser::parse_record`]; its spans, issues and
/// scratch bytes are in the parser.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Parsed {
    /// Offset of the record's first byte.
    pub(crate) start: usize,
    /// Offset just after its terminator.
    pub(crate) end: usize,
    /// Length without the terminator.
    pub(crate) raw_len: usize,
    /// Line breaks consumed: inside quoted fields plus the terminator.
    pub(crate) lines: u64,
}

/// Blank lines skipped by [`Parser::skip_blank`].
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Blank {
    pub(crate) pos: usize,
    pub(crate) count: u64,
}

/// Reusable parser state: buffers that records borrow.
pub(crate) struct Parser {
    pub(crate) cfg: Config,
    /// [`Config::ascii_structure`], resolved once.
    ascii_structure: bool,
    needles: Needles,
    scanner: Scanner,
    pub(crate) spans: Spans,
    pub(crate) issues: Vec<Issue>,
    pub(crate) scratch: Vec<u8>,
}

/// The field spans of the current record: slots that only grow, of which
/// the first `len` are the record's, so that the unquoted fast path writes
/// spans into a slice without growing a vector.
pub(crate) struct Spans {
    slots: Vec<FieldSpan>,
    pub(crate) len: usize,
}

impl Default for Spans {
    fn default() -> Self {
        Self {
            slots: vec![FieldSpan::default(); 32],
            len: 0,
        }
    }
}

impl Spans {
    #[inline]
    pub(crate) fn clear(&mut self) {
        self.len = 0;
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub(crate) fn push(&mut self, span: FieldSpan) {
        if let Some(slot) = self.slots.get_mut(self.len) {
            *slot = span;
        } else {
            self.slots.push(span);
        }
        self.len += 1;
    }

    /// Every slot (the record's and the spare ones).
    #[inline]
    fn slots_mut(&mut self) -> &mut [FieldSpan] {
        &mut self.slots
    }

    #[inline]
    pub(crate) fn as_slice(&self) -> &[FieldSpan] {
        &self.slots[..self.len]
    }
}

#[inline]
fn is_ws(b: u8) -> bool {
    b.is_ascii_whitespace()
}

impl Parser {
    pub(crate) fn new(cfg: Config) -> Self {
        Self {
            needles: Needles::new(cfg.sep, cfg.quote),
            ascii_structure: cfg.ascii_structure(),
            cfg,
            scanner: Scanner::new(),
            spans: Spans::default(),
            issues: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// Call when parsing a different buffer (or the same after a move).
    pub(crate) fn reset_scanner(&mut self) {
        self.scanner.reset();
    }

    /// Skips blank lines (runs of `\r` and `\n`) at `pos`. A `\r` that ends
    /// a buffer that is not the end of input is left in place (a following
    /// `\n` would belong to it): the blank lines before it are consumed, so
    /// a long run of blank lines never has to fit in one buffer (it used to
    /// be read as one oversized record, `C007`, by the parallel driver).
    #[inline]
    pub(crate) fn skip_blank(buf: &[u8], mut pos: usize, eof: bool) -> Blank {
        let mut count = 0;
        while pos < buf.len() {
            match buf[pos] {
                b'\n' => pos += 1,
                b'\r' => match buf.get(pos + 1) {
                    Some(b'\n') => pos += 2,
                    Some(_) => pos += 1,
                    None if eof => pos += 1,
                    None => break,
                },
                _ => break,
            }
            count += 1;
        }
        Blank { pos, count }
    }

    /// Whether the escape character, if one is set, is in `buf[from..to]`.
    #[inline]
    fn escape_in(&self, buf: &[u8], from: usize, to: usize) -> bool {
        self.cfg
            .escape
            .is_some_and(|e| memchr(e, &buf[from..to]).is_some())
    }

    #[inline]
    fn issue(&mut self, rule: &'static Rule, field: usize, at: usize, start: usize) {
        self.issues.push(Issue {
            rule,
            field: Some(field as u32),
            offset: (at - start) as u32,
        });
    }

    /// The next structural byte (separator, line feed, carriage return) of
    /// an unquoted field from `from`, reporting quotes on the way as stray.
    #[inline(always)]
    #[allow(clippy::inline_always, reason = "the per-field hot path; measured")]
    fn find_delim(&mut self, buf: &[u8], from: usize, start: usize, field: usize) -> Option<usize> {
        let mut at = from;
        loop {
            let j = self.scanner.next(&self.needles, buf, at)?;
            if buf[j] == self.cfg.quote {
                self.issue(&rules::STRAY_QUOTE, field, j, start);
                at = j + 1;
            } else {
                return Some(j);
            }
        }
    }

    /// Parses the record starting at `start` (a record boundary that is not
    /// a blank line) into `out`. `false`: the record does not end inside
    /// `buf` and `eof` is false (`out` is then unspecified).
    ///
    /// The fast path is small and inlined into the record loop; the general
    /// loop is a function of its own. The record is written into the
    /// caller's `out`, not returned: a returned `Option<Parsed>` went
    /// through memory, written field by field and read back by the caller
    /// with two 16-byte loads that no store could forward, a stall per
    /// record that was 7% of a 1-thread run (`perf annotate`).
    #[inline(always)]
    #[allow(clippy::inline_always, reason = "per record, see above")]
    pub(crate) fn parse_record(
        &mut self,
        buf: &[u8],
        start: usize,
        eof: bool,
        out: &mut Parsed,
    ) -> bool {
        self.spans.clear();
        self.issues.clear();
        self.scratch.clear();
        let mut p = start;
        // Fast path: unquoted fields ended by the separator, the record by
        // `\n`, read straight off the structural bitmasks: in each block,
        // the separators before its first other structural byte end fields,
        // with no byte loaded. At anything else (a quote, `\r`, the end of
        // the buffer, more fields than slots) the general loop below takes
        // over at the current field's start, which gives the same result:
        // fields are parsed independently of the ones before. With an
        // escape character set, a record (or the part read so far) holding
        // one is parsed again from its start by the general loop, which
        // reports it in an unquoted field (`C021`): one `memchr` per record.
        if !self.cfg.trim
            && let Some((mut base, mut block, mut mask, mut seps)) =
                self.scanner.seek(&self.needles, buf, p)
        {
            let slots = self.spans.slots_mut();
            let mut n = 0;
            let stop = 'blocks: loop {
                let others = mask & !seps;
                // The separators below the block's first other structural
                // byte (all of them if there is none).
                let mut ends = seps & (others.wrapping_sub(1) & !others);
                while ends != 0 {
                    let j = base + ends.trailing_zeros() as usize;
                    ends &= ends - 1;
                    let Some(slot) = slots.get_mut(n) else {
                        break 'blocks Some(j);
                    };
                    *slot = FieldSpan {
                        start: (p - start) as u32,
                        end: (j - start) as u32,
                        flags: 0,
                    };
                    n += 1;
                    p = j + 1;
                }
                if others != 0 {
                    break Some(base + others.trailing_zeros() as usize);
                }
                match self
                    .scanner
                    .next_block(&self.needles, buf, &mut base, &mut block)
                {
                    Some((m, s)) => (mask, seps) = (m, s),
                    None => break None,
                }
            };
            self.spans.len = n;
            let done = match stop {
                Some(j) if buf[j] == b'\n' => Some(j),
                _ => None,
            };
            if self.escape_in(buf, start, done.unwrap_or(p)) {
                self.spans.clear();
                p = start;
            } else if let Some(j) = done {
                self.spans.push(FieldSpan {
                    start: (p - start) as u32,
                    end: (j - start) as u32,
                    flags: 0,
                });
                *out = self.finish_record(start, j, j + 1, 1);
                return true;
            }
        }
        match self.parse_fields(buf, start, p, eof) {
            Some(parsed) => {
                *out = parsed;
                true
            }
            None => false,
        }
    }

    /// The general loop of [`Parser::parse_record`]: the fields of the
    /// record at `start` from `p`, a field start (the fields before it are
    /// in `spans`).
    #[inline(never)]
    #[allow(clippy::many_single_char_names)]
    fn parse_fields(
        &mut self,
        buf: &[u8],
        start: usize,
        mut p: usize,
        eof: bool,
    ) -> Option<Parsed> {
        let len = buf.len();
        let quote = self.cfg.quote;
        let sep = self.cfg.sep;
        let mut quoted_lines = 0u64;
        let (raw_end, end, term_lines);
        loop {
            let field = self.spans.len();
            let fs = p;
            // Content: (start, end) in the record (input) or in scratch.
            let (cs, ce, mut flags);
            let d;
            if p < len && buf[p] == quote {
                flags = FieldSpan::QUOTED;
                let open = p + 1;
                let mut q = open;
                let mut sc: Option<usize> = None;
                let close;
                let after;
                loop {
                    let hit = match self.cfg.escape {
                        Some(e) => memchr2(quote, e, &buf[q..]),
                        None => memchr(quote, &buf[q..]),
                    }
                    .map(|i| q + i);
                    match hit {
                        None => {
                            if !eof {
                                return None;
                            }
                            self.issue(&rules::UNTERMINATED_QUOTE, field, fs, start);
                            if sc.is_some() {
                                self.scratch.extend_from_slice(&buf[q..len]);
                            }
                            close = len;
                            after = len;
                            break;
                        }
                        Some(j) if buf[j] != quote => {
                            // The escape character.
                            let Some(&next) = buf.get(j + 1) else {
                                if !eof {
                                    return None;
                                }
                                self.issue(&rules::UNTERMINATED_QUOTE, field, fs, start);
                                self.scratch_from(&mut sc, buf, open, q, j);
                                close = len;
                                after = len;
                                break;
                            };
                            if next != quote && Some(next) != self.cfg.escape {
                                self.issue(&rules::USELESS_ESCAPE, field, j, start);
                            }
                            self.scratch_from(&mut sc, buf, open, q, j);
                            self.scratch.push(next);
                            q = j + 2;
                        }
                        Some(j) => match buf.get(j + 1) {
                            Some(&b) if b == quote => {
                                if self.cfg.warn_doubled {
                                    self.issue(&rules::DOUBLED_QUOTE, field, j, start);
                                }
                                self.scratch_from(&mut sc, buf, open, q, j);
                                self.scratch.push(quote);
                                q = j + 2;
                            }
                            None if !eof => return None,
                            _ => {
                                if sc.is_some() {
                                    self.scratch.extend_from_slice(&buf[q..j]);
                                }
                                close = j;
                                after = j + 1;
                                break;
                            }
                        },
                    }
                }
                // Line breaks inside the quotes. A quote left open at the
                // end of the input holds the final line break, which ends
                // the last line: not one inside a field.
                let mut inside = &buf[open..close];
                if close == len {
                    inside = inside.strip_suffix(b"\n").unwrap_or(inside);
                    inside = inside.strip_suffix(b"\r").unwrap_or(inside);
                }
                if let Some(k) = memchr2(b'\n', b'\r', inside) {
                    self.issue(&rules::QUOTED_NEWLINE, field, open + k, start);
                    quoted_lines += memchr_iter(b'\n', &inside[k..]).count() as u64;
                }
                p = after;
                match buf.get(p) {
                    None => d = len,
                    Some(&b) if b == sep || b == b'\n' || b == b'\r' => d = p,
                    Some(_) => {
                        // Text after the closing quote: appended, like csv-core.
                        self.issue(&rules::TEXT_AFTER_QUOTE, field, p, start);
                        if sc.is_none() {
                            sc = Some(self.scratch.len());
                            self.scratch.extend_from_slice(&buf[open..close]);
                        }
                        d = match self.find_delim(buf, p, start, field) {
                            Some(j) => j,
                            None if eof => len,
                            None => return None,
                        };
                        self.scratch.extend_from_slice(&buf[p..d]);
                    }
                }
                if let Some(s) = sc {
                    flags |= FieldSpan::SCRATCH;
                    cs = s;
                    ce = self.scratch.len();
                } else {
                    cs = open - start;
                    ce = close - start;
                }
            } else {
                flags = 0;
                d = match self.find_delim(buf, p, start, field) {
                    Some(j) => j,
                    None if eof => len,
                    None => return None,
                };
                // Kept as data; said, since the service may read it as an
                // escape (the fast path leaves such records to this loop).
                if let Some(e) = self.cfg.escape
                    && let Some(k) = memchr(e, &buf[fs..d])
                {
                    self.issue(&rules::ESCAPE_OUTSIDE_QUOTES, field, fs + k, start);
                }
                cs = fs - start;
                ce = d - start;
            }
            let (cs, ce) = if self.cfg.trim {
                self.trimmed(buf, start, cs, ce, flags, field)
            } else {
                (cs, ce)
            };
            self.spans.push(FieldSpan {
                start: cs as u32,
                end: ce as u32,
                flags,
            });
            if d >= len {
                raw_end = len;
                end = len;
                term_lines = 0;
                break;
            }
            match buf[d] {
                b'\n' => {
                    raw_end = d;
                    end = d + 1;
                    term_lines = 1;
                    break;
                }
                b'\r' => {
                    match buf.get(d + 1) {
                        Some(b'\n') => end = d + 2,
                        Some(_) => {
                            end = d + 1;
                            self.issues.push(Issue {
                                rule: &rules::LONE_CR,
                                field: None,
                                offset: (d - start) as u32,
                            });
                        }
                        None if eof => {
                            end = d + 1;
                            self.issues.push(Issue {
                                rule: &rules::LONE_CR,
                                field: None,
                                offset: (d - start) as u32,
                            });
                        }
                        None => return None,
                    }
                    raw_end = d;
                    term_lines = 1;
                    break;
                }
                _ => p = d + 1,
            }
        }
        Some(self.finish_record(start, raw_end, end, quoted_lines + term_lines))
    }

    /// Ends a record whose fields are in `spans`: the size limit and the
    /// field count.
    #[inline]
    fn finish_record(&mut self, start: usize, raw_end: usize, end: usize, lines: u64) -> Parsed {
        let raw_len = raw_end - start;
        if raw_len > self.cfg.max_record {
            self.oversized();
        } else if let Some(n) = self.cfg.expected_fields
            && n != self.spans.len()
        {
            self.issues.push(Issue {
                rule: &rules::FIELD_COUNT_MISMATCH,
                field: None,
                offset: raw_len as u32,
            });
        }
        // Some issues are known only after later ones were reported (an
        // unterminated quote at the end of the input, trimming inside quotes
        // after the line breaks they hold); the record's contract is offset
        // order, whichever path parsed it. Usually zero or one issue.
        if self.issues.len() > 1 && !self.issues.is_sorted_by_key(|i| i.offset) {
            self.issues.sort_by_key(|i| i.offset);
        }
        Parsed {
            start,
            end,
            raw_len,
            lines,
        }
    }

    /// Same outcome whether or not an oversized record fitted the buffer
    /// (see `CsvReader::skip_oversized`): no fields, one issue.
    #[cold]
    fn oversized(&mut self) {
        self.spans.clear();
        self.issues.clear();
        self.issues.push(Issue {
            rule: &rules::RECORD_TOO_LARGE,
            field: None,
            offset: 0,
        });
    }

    /// Starts (if needed) the scratch copy of a quoted field and appends
    /// `buf[q..j]`.
    #[inline]
    fn scratch_from(
        &mut self,
        sc: &mut Option<usize>,
        buf: &[u8],
        open: usize,
        q: usize,
        j: usize,
    ) {
        if sc.is_none() {
            *sc = Some(self.scratch.len());
            self.scratch.extend_from_slice(&buf[open..j]);
        } else {
            self.scratch.extend_from_slice(&buf[q..j]);
        }
    }

    /// Trims a field's content, reporting trims inside quotes.
    #[inline]
    fn trimmed(
        &mut self,
        buf: &[u8],
        start: usize,
        mut s: usize,
        mut e: usize,
        flags: u8,
        field: usize,
    ) -> (usize, usize) {
        let bytes: &[u8] = if flags & FieldSpan::SCRATCH != 0 {
            &self.scratch
        } else {
            &buf[start..]
        };
        let (s0, e0) = (s, e);
        while s < e && is_ws(bytes[s]) {
            s += 1;
        }
        while e > s && is_ws(bytes[e - 1]) {
            e -= 1;
        }
        if flags & FieldSpan::QUOTED != 0 && (s, e) != (s0, e0) {
            // Offset of the field's opening quote is not kept for scratch
            // fields; the content start is close enough for a message.
            let at = if flags & FieldSpan::SCRATCH != 0 {
                start
            } else {
                start + s0
            };
            self.issue(&rules::TRIMMED_INSIDE_QUOTES, field, at, start);
        }
        (s, e)
    }

    /// The record view of the last parsed record, at `position`.
    #[inline]
    pub(crate) fn record<'a>(
        &'a self,
        buf: &'a [u8],
        parsed: &Parsed,
        position: Position,
    ) -> Record<'a> {
        let input = if parsed.raw_len > self.cfg.max_record {
            // An oversized record keeps a preview only, as when skipped.
            &buf[parsed.start..parsed.start + OVERSIZE_PREVIEW.min(parsed.raw_len)]
        } else {
            &buf[parsed.start..parsed.end]
        };
        // The encoding checks ran over the record (`chunk::Validity`)
        // unless it is oversized; unquoting removes only structural bytes,
        // which keeps the fields valid when those are ASCII.
        let checked = parsed.raw_len <= self.cfg.max_record && self.ascii_structure;
        Record::from_parts(
            input,
            &self.scratch,
            self.spans.as_slice(),
            &self.issues,
            position,
            parsed.raw_len as u32,
        )
        .with_utf8_checked(checked)
    }

    /// Adds a record issue found outside the parser (encoding checks) at
    /// absolute offset `at` of the record `parsed` in `buf`. `cursor` finds
    /// the field; give it offsets in increasing order, so that a record with
    /// many findings is walked once, not once per finding.
    pub(crate) fn add_issue(
        &mut self,
        buf: &[u8],
        parsed: &Parsed,
        rule: &'static Rule,
        at: usize,
        cursor: &mut FieldCursor,
    ) {
        let raw = &buf[parsed.start..parsed.start + parsed.raw_len];
        let off = at - parsed.start;
        let field = if off < raw.len() {
            Some(cursor.field_at(&self.cfg, raw, off))
        } else {
            None
        };
        self.issues.push(Issue {
            rule,
            field,
            offset: off as u32,
        });
    }

    /// Keeps issues in offset order after [`Parser::add_issue`].
    pub(crate) fn sort_issues(&mut self) {
        self.issues.sort_by_key(|i| i.offset);
    }
}

/// States of the byte-at-a-time automaton used on cold paths (field index
/// of an offset, skipping an oversized record). Same semantics as
/// [`Parser::parse_record`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dfa {
    StartField,
    InField,
    InQuoted,
    /// After a quote inside a quoted field.
    QuoteInQuoted,
    /// After the escape character inside a quoted field.
    Escaped,
    /// After a `\r` that ends the record (a `\n` may follow).
    Cr,
    /// The record has ended (the terminator is consumed).
    Done,
}

/// What one byte does to the automaton.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DfaStep {
    /// The byte belongs to the record.
    Byte,
    /// The byte ends a field (a separator).
    FieldEnd,
    /// The byte is (part of) the record terminator.
    Terminator,
    /// The byte is not part of the record (after a lone `\r`).
    NotMine,
}

impl Dfa {
    #[inline]
    pub(crate) fn step(&mut self, cfg: &Config, b: u8) -> DfaStep {
        use Dfa::{Cr, Done, Escaped, InField, InQuoted, QuoteInQuoted, StartField};
        let (next, step) = match *self {
            StartField | InField | QuoteInQuoted if b == cfg.sep => (StartField, DfaStep::FieldEnd),
            StartField | InField | QuoteInQuoted if b == b'\n' => (Done, DfaStep::Terminator),
            StartField | InField | QuoteInQuoted if b == b'\r' => (Cr, DfaStep::Terminator),
            StartField if b == cfg.quote => (InQuoted, DfaStep::Byte),
            StartField | InField => (InField, DfaStep::Byte),
            QuoteInQuoted if b == cfg.quote => (InQuoted, DfaStep::Byte),
            QuoteInQuoted => (InField, DfaStep::Byte),
            InQuoted if b == cfg.quote => (QuoteInQuoted, DfaStep::Byte),
            InQuoted if Some(b) == cfg.escape => (Escaped, DfaStep::Byte),
            InQuoted | Escaped => (InQuoted, DfaStep::Byte),
            Cr if b == b'\n' => (Done, DfaStep::Terminator),
            Cr | Done => (Done, DfaStep::NotMine),
        };
        *self = next;
        step
    }
}

/// Finds the field that holds a byte of a raw record, walking the record
/// forward from where the previous question left it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FieldCursor {
    st: Dfa,
    pos: usize,
    field: u32,
}

impl Default for FieldCursor {
    fn default() -> Self {
        Self {
            st: Dfa::StartField,
            pos: 0,
            field: 0,
        }
    }
}

impl FieldCursor {
    /// The index of the field that holds byte `off` of `raw`. Offsets
    /// below an earlier one start the walk over.
    pub(crate) fn field_at(&mut self, cfg: &Config, raw: &[u8], off: usize) -> u32 {
        if off < self.pos {
            *self = Self::default();
        }
        for &b in &raw[self.pos..off] {
            if self.st.step(cfg, b) == DfaStep::FieldEnd {
                self.field += 1;
            }
        }
        self.pos = off;
        self.field
    }
}
