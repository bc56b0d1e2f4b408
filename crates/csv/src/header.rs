//! The header record and byte order marks.

use tsload_model::Rule;

use crate::record::{FieldSpan, Issue, Position, Record};
use crate::rules;

/// A byte order mark at the start of the input (`batchload-spec.md` §2.1:
/// batch load fails files that have one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bom {
    /// `EF BB BF`: UTF-8 with a BOM. The reader skips it and goes on, so
    /// that the other findings of the file are reported too.
    Utf8,
    /// `FF FE`: UTF-16 little endian.
    Utf16Le,
    /// `FE FF`: UTF-16 big endian.
    Utf16Be,
    /// `FF FE 00 00`: UTF-32 little endian.
    Utf32Le,
    /// `00 00 FE FF`: UTF-32 big endian.
    Utf32Be,
}

impl Bom {
    /// Detects a BOM at the start of `head` (the first bytes of the input).
    pub fn detect(head: &[u8]) -> Option<Bom> {
        match head {
            [0xEF, 0xBB, 0xBF, ..] => Some(Bom::Utf8),
            [0xFF, 0xFE, 0, 0, ..] => Some(Bom::Utf32Le),
            [0, 0, 0xFE, 0xFF, ..] => Some(Bom::Utf32Be),
            [0xFF, 0xFE, ..] => Some(Bom::Utf16Le),
            [0xFE, 0xFF, ..] => Some(Bom::Utf16Be),
            _ => None,
        }
    }

    /// Length of the mark in bytes.
    pub fn byte_len(self) -> usize {
        match self {
            Bom::Utf8 => 3,
            Bom::Utf16Le | Bom::Utf16Be => 2,
            Bom::Utf32Le | Bom::Utf32Be => 4,
        }
    }

    /// The encoding's name, for messages (`UTF-16LE`).
    pub fn encoding(self) -> &'static str {
        match self {
            Bom::Utf8 => "UTF-8",
            Bom::Utf16Le => "UTF-16LE",
            Bom::Utf16Be => "UTF-16BE",
            Bom::Utf32Le => "UTF-32LE",
            Bom::Utf32Be => "UTF-32BE",
        }
    }

    /// The rule that reports this BOM: [`rules::UTF8_BOM`] or
    /// [`rules::UTF16_UTF32_BOM`].
    pub fn rule(self) -> &'static Rule {
        match self {
            Bom::Utf8 => &rules::UTF8_BOM,
            _ => &rules::UTF16_UTF32_BOM,
        }
    }
}

/// What [`crate::CsvReader::header`] found at the start of the input.
#[derive(Debug, Clone)]
pub enum HeaderOutcome {
    /// The first record, read as the header.
    Header(Header),
    /// No record at all: zero bytes, or only blank lines
    /// ([`rules::EMPTY_INPUT`], a file failure).
    Empty,
    /// A UTF-16 or UTF-32 byte order mark ([`rules::UTF16_UTF32_BOM`], a
    /// file failure). Nothing else was read: the bytes are not UTF-8.
    NotUtf8(Bom),
}

/// The header: the first record, with names resolved once.
///
/// Names are the fields as the dialect reads them (unquoted, unescaped, and
/// trimmed when `TrimWhiteSpace` is set; \[INF\]: the service may not trim
/// header names, hence [`rules::HEADER_NAME_WHITESPACE`]). Names that are
/// not UTF-8 are converted lossily and reported with
/// [`rules::INVALID_UTF8`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Column names, by index.
    pub names: Vec<String>,
    /// Whether each name was quoted.
    pub quoted: Vec<bool>,
    /// Where the header starts (line 1 unless blank lines precede it; byte
    /// 3 after a UTF-8 BOM).
    pub position: Position,
    /// `Some(Bom::Utf8)` when the input started with a UTF-8 BOM
    /// ([`rules::UTF8_BOM`], a file failure); the reader skipped it.
    pub bom: Option<Bom>,
    /// Findings in the header record, in offset order: framing issues as in
    /// any record, plus [`rules::EMPTY_HEADER_NAME`],
    /// [`rules::DUPLICATE_HEADER_NAME`] (on the later occurrence) and
    /// [`rules::HEADER_NAME_WHITESPACE`]. Offsets are relative to
    /// [`Header::position`].
    pub issues: Vec<Issue>,
    /// The raw header line, without its terminator.
    pub raw: Vec<u8>,
}

impl Header {
    /// Builds the header from the first record, read without trimming;
    /// `trim` is the dialect's `TrimWhiteSpace`.
    pub(crate) fn from_record(r: &Record<'_>, trim: bool, bom: Option<Bom>) -> Header {
        let mut issues = r.issues().to_vec();
        let mut names = Vec::with_capacity(r.len());
        let mut quoted = Vec::with_capacity(r.len());
        for (i, span) in r.spans().iter().enumerate() {
            let field = r.field(i);
            let offset = if span.flags & FieldSpan::SCRATCH == 0 {
                span.start
            } else {
                0
            };
            let at = |rule| Issue {
                rule,
                field: Some(i as u32),
                offset,
            };
            let trimmed = field.trim_ascii();
            if trimmed.len() != field.len() {
                issues.push(at(&rules::HEADER_NAME_WHITESPACE));
            }
            let name = if trim { trimmed } else { field };
            if name.is_empty() {
                issues.push(at(&rules::EMPTY_HEADER_NAME));
            }
            let name = String::from_utf8_lossy(name).into_owned();
            if !name.is_empty() && names.contains(&name) {
                issues.push(at(&rules::DUPLICATE_HEADER_NAME));
            }
            names.push(name);
            quoted.push(r.is_quoted(i));
        }
        issues.sort_by_key(|i| i.offset);
        Header {
            names,
            quoted,
            position: r.position(),
            bom,
            issues,
            raw: r.raw().to_vec(),
        }
    }

    /// Number of columns.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether the header has no columns (only for a header record that
    /// was too large to split, see [`rules::RECORD_TOO_LARGE`]).
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The index of the first column named exactly `name` (byte-exact,
    /// case-sensitive match; \[INF\] `batchload-spec.md` §2.5 item 4). Resolve
    /// names once, before reading rows.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// Whether any finding in the header is an error.
    pub fn has_errors(&self) -> bool {
        self.bom.is_some()
            || self
                .issues
                .iter()
                .any(|i| i.rule.severity == tsload_model::Severity::Error)
    }
}
