//! The record view handed to consumers: borrowed field slices, positions and
//! the framing issues found while splitting the record.
//!
//! A [`Record`] borrows everything from the reader's buffers; nothing is
//! allocated per record or per field. A field's bytes come from the input
//! itself, or, when the field had to be unescaped (doubled quotes, an
//! `EscapeChar`), from the reader's scratch buffer.

use tsload_model::Rule;

/// Where a record starts.
///
/// The reader stamps file-absolute positions. The parallel driver parses
/// chunks with positions relative to the chunk start; consumers receive
/// them already rebased (see [`Position::rebase`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Position {
    /// 0-based byte offset of the record's first byte.
    pub byte: u64,
    /// 1-based physical line of the record's first byte (header = line 1).
    /// Newlines inside quoted fields are counted.
    pub line: u64,
    /// 0-based record index (header = record 0).
    pub record: u64,
}

impl Position {
    /// Adds a base position (the start of a chunk) to a chunk-relative one,
    /// where the relative line is 0-based.
    #[must_use]
    pub fn rebase(self, base: Position) -> Position {
        Position {
            byte: base.byte + self.byte,
            line: base.line + self.line,
            record: base.record + self.record,
        }
    }
}

/// The span of one field inside a record's backing buffers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FieldSpan {
    /// Start of the content (after trimming and quotes).
    pub start: u32,
    /// End of the content, exclusive.
    pub end: u32,
    /// Bit flags: [`FieldSpan::QUOTED`], [`FieldSpan::SCRATCH`].
    pub flags: u8,
}

impl FieldSpan {
    /// The field was enclosed in quote characters.
    pub const QUOTED: u8 = 1;
    /// The content lives in the scratch buffer (it was unescaped).
    pub const SCRATCH: u8 = 2;
}

/// A framing problem found in one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Issue {
    /// The rule (a `C…` rule of [`crate::rules`]).
    pub rule: &'static Rule,
    /// The field concerned, if any.
    pub field: Option<u32>,
    /// Byte offset of the problem relative to the record start.
    pub offset: u32,
}

/// One CSV record, borrowed from the reader.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    input: &'a [u8],
    scratch: &'a [u8],
    spans: &'a [FieldSpan],
    issues: &'a [Issue],
    position: Position,
    raw_len: u32,
    utf8_checked: bool,
}

impl<'a> Record<'a> {
    /// Assembles a record view. `input` holds the raw record bytes (spans
    /// without [`FieldSpan::SCRATCH`] index into it), `scratch` the unescaped
    /// fields, `raw_len` the record's length in the input without its
    /// terminator.
    pub fn from_parts(
        input: &'a [u8],
        scratch: &'a [u8],
        spans: &'a [FieldSpan],
        issues: &'a [Issue],
        position: Position,
        raw_len: u32,
    ) -> Self {
        Self {
            input,
            scratch,
            spans,
            issues,
            position,
            raw_len,
            utf8_checked: false,
        }
    }

    /// Marks the record's bytes as checked for UTF-8 by its producer: then
    /// any invalid sequence is reported as an [`Issue`]
    /// ([`crate::rules::INVALID_UTF8`]), and a record without issues has
    /// valid UTF-8 fields, which consumers need not check again. The
    /// reader marks the records it validated.
    #[must_use]
    pub fn with_utf8_checked(mut self, checked: bool) -> Self {
        self.utf8_checked = checked;
        self
    }

    /// Whether every field is valid UTF-8 as far as the producer knows:
    /// it checked the bytes ([`Record::with_utf8_checked`]) and found no
    /// problem at all (no issues).
    #[inline]
    pub fn utf8_known_valid(&self) -> bool {
        self.utf8_checked && self.issues.is_empty()
    }

    /// Number of fields.
    #[inline]
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether the record has no fields. A blank line is skipped, not a
    /// record of zero fields; the only records without fields are those
    /// longer than the row limit ([`crate::rules::RECORD_TOO_LARGE`]),
    /// which are not split (their [`Record::raw`] is a 1 KiB preview).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The content of field `i`: unquoted, unescaped and, with
    /// `TrimWhiteSpace`, trimmed. Panics if `i >= self.len()`.
    #[inline]
    pub fn field(&self, i: usize) -> &'a [u8] {
        let s = self.spans[i];
        let buf = if s.flags & FieldSpan::SCRATCH != 0 {
            self.scratch
        } else {
            self.input
        };
        &buf[s.start as usize..s.end as usize]
    }

    /// The field as UTF-8 (the reader reports invalid UTF-8 as an issue;
    /// for such a record this returns `None`).
    #[inline]
    pub fn field_str(&self, i: usize) -> Option<&'a str> {
        std::str::from_utf8(self.field(i)).ok()
    }

    /// Whether field `i` was enclosed in quotes.
    #[inline]
    pub fn is_quoted(&self, i: usize) -> bool {
        self.spans[i].flags & FieldSpan::QUOTED != 0
    }

    /// The fields read straight from the input, when no field was
    /// unescaped (the usual record): the same contents as
    /// [`Record::field`], without its choice of buffer per field.
    #[inline]
    pub fn in_place(&self) -> Option<InPlace<'a>> {
        // With an empty scratch buffer, a span marked `SCRATCH` can only be
        // empty (at 0), which the input gives as well.
        self.scratch.is_empty().then_some(InPlace {
            input: self.input,
            spans: self.spans,
        })
    }

    /// Field spans (for consumers that iterate all fields).
    #[inline]
    pub fn spans(&self) -> &'a [FieldSpan] {
        self.spans
    }

    /// Framing issues of this record, in order of offset.
    #[inline]
    pub fn issues(&self) -> &'a [Issue] {
        self.issues
    }

    /// Whether any issue of this record is an error: the row cannot be
    /// tokenised the way the service would, so it is a parse failure.
    #[inline]
    pub fn has_errors(&self) -> bool {
        self.issues
            .iter()
            .any(|i| i.rule.severity == tsload_model::Severity::Error)
    }

    /// Where the record starts.
    #[inline]
    pub fn position(&self) -> Position {
        self.position
    }

    /// Length of the raw record in bytes, without its line terminator.
    #[inline]
    pub fn raw_len(&self) -> u32 {
        self.raw_len
    }

    /// The raw bytes of the record as they appear in the input (without the
    /// terminator), for messages and reports.
    #[inline]
    pub fn raw(&self) -> &'a [u8] {
        &self.input[..(self.raw_len as usize).min(self.input.len())]
    }

    /// The physical line of byte `offset` of the record (1-based, as
    /// [`Position::line`]): its first line plus the line breaks before
    /// that byte, for a field after a quoted line break.
    pub fn line_at(&self, offset: u32) -> u64 {
        let raw = self.raw();
        let before = &raw[..(offset as usize).min(raw.len())];
        self.position.line + memchr::memchr_iter(b'\n', before).count() as u64
    }

    /// The line the record ends on (1-based, as [`Position::line`]): its
    /// first line plus the line breaks inside it. A quote left open at the
    /// end of the input takes the input's final line break into the
    /// record; that break ends the last line and starts none.
    pub fn last_line(&self) -> u64 {
        let raw = self.raw();
        let inside = raw.strip_suffix(b"\n").unwrap_or(raw);
        self.position.line + memchr::memchr_iter(b'\n', inside).count() as u64
    }
}

/// The fields of a [`Record`] whose contents all lie in its input
/// ([`Record::in_place`]).
#[derive(Debug, Clone, Copy)]
pub struct InPlace<'a> {
    input: &'a [u8],
    spans: &'a [FieldSpan],
}

impl<'a> InPlace<'a> {
    /// The content of field `i`, as [`Record::field`] gives it. Panics if
    /// `i` is not a field.
    #[inline]
    pub fn field(&self, i: usize) -> &'a [u8] {
        let s = self.spans[i];
        &self.input[s.start as usize..s.end as usize]
    }

    /// Whether field `i` was enclosed in quotes.
    #[inline]
    pub fn is_quoted(&self, i: usize) -> bool {
        self.spans[i].flags & FieldSpan::QUOTED != 0
    }
}

/// An owned record, for tests and for callers that build records by hand.
///
/// ```
/// use tsload_csv::record::OwnedRecord;
/// let r = OwnedRecord::from_fields(&["1700000000000", "us-east-1", "0.5"]);
/// let rec = r.as_record();
/// assert_eq!(rec.field(1), b"us-east-1");
/// ```
#[derive(Debug, Clone, Default)]
pub struct OwnedRecord {
    data: Vec<u8>,
    spans: Vec<FieldSpan>,
    issues: Vec<Issue>,
    /// Position reported by [`OwnedRecord::as_record`].
    pub position: Position,
}

impl OwnedRecord {
    /// A record whose fields are `fields`, unquoted, at line 2.
    pub fn from_fields<S: AsRef<[u8]>>(fields: &[S]) -> Self {
        let mut r = Self {
            position: Position {
                byte: 0,
                line: 2,
                record: 1,
            },
            ..Self::default()
        };
        for f in fields {
            r.push_field(f.as_ref(), false);
        }
        r
    }

    /// Appends a field.
    pub fn push_field(&mut self, content: &[u8], quoted: bool) {
        let start = self.data.len() as u32;
        self.data.extend_from_slice(content);
        let end = self.data.len() as u32;
        let flags = if quoted { FieldSpan::QUOTED } else { 0 };
        self.spans.push(FieldSpan { start, end, flags });
    }

    /// Appends a framing issue.
    pub fn push_issue(&mut self, issue: Issue) {
        self.issues.push(issue);
    }

    /// The borrowed view.
    pub fn as_record(&self) -> Record<'_> {
        Record::from_parts(
            &self.data,
            &[],
            &self.spans,
            &self.issues,
            self.position,
            self.data.len() as u32,
        )
    }
}
