//! The `C…` rules: CSV framing, encoding and dialect findings.
//!
//! Record-level rules reach consumers as [`crate::Issue`]s inside a
//! [`crate::Record`]; header and file-level rules come with the
//! [`crate::HeaderOutcome`]; blank lines are counted in the chunk statistics
//! ([`crate::ChunkDone`]). Rules tagged [`Evidence::Inf`] are our reading of
//! undocumented service behaviour (`batchload-spec.md` §2.5, §10 item 6):
//! printers must show the tag and messages must not claim AWS documents them.

use tsload_model::{Evidence, Rule, Severity};

/// The file starts with a UTF-8 byte order mark. Documented to fail the task.
pub static UTF8_BOM: Rule = Rule {
    code: "C001",
    slug: "utf8-bom",
    severity: Severity::Error,
    evidence: Evidence::Doc,
    summary: "the file starts with a UTF-8 byte order mark (EF BB BF)",
};

/// The file starts with a UTF-16 or UTF-32 byte order mark: not UTF-8 at all.
pub static UTF16_UTF32_BOM: Rule = Rule {
    code: "C002",
    slug: "utf16-utf32-bom",
    severity: Severity::Error,
    evidence: Evidence::Doc,
    summary: "the file starts with a UTF-16 or UTF-32 byte order mark",
};

/// Bytes that are not valid UTF-8.
pub static INVALID_UTF8: Rule = Rule {
    code: "C003",
    slug: "invalid-utf8",
    severity: Severity::Error,
    evidence: Evidence::Inf,
    summary: "a field contains bytes that are not valid UTF-8",
};

/// A NUL byte (often a UTF-16 file without BOM, or binary data).
pub static NUL_BYTE: Rule = Rule {
    code: "C004",
    slug: "nul-byte",
    severity: Severity::Error,
    evidence: Evidence::Inf,
    summary: "a field contains a NUL byte",
};

/// A carriage return not followed by a line feed ends the record.
pub static LONE_CR: Rule = Rule {
    code: "C005",
    slug: "lone-cr",
    severity: Severity::Error,
    evidence: Evidence::Inf,
    summary: "a record ends with a carriage return that is not followed by a line feed",
};

/// A quoted field is still open at the end of the input.
pub static UNTERMINATED_QUOTE: Rule = Rule {
    code: "C006",
    slug: "unterminated-quote",
    severity: Severity::Error,
    evidence: Evidence::Inf,
    summary: "a quoted field is not closed before the end of the input",
};

/// A record longer than the service's row limit.
pub static RECORD_TOO_LARGE: Rule = Rule {
    code: "C007",
    slug: "record-too-large",
    severity: Severity::Error,
    evidence: Evidence::Doc,
    summary: "a record is longer than 16 MiB, the row size limit",
};

/// A record whose number of fields differs from the header's.
pub static FIELD_COUNT_MISMATCH: Rule = Rule {
    code: "C008",
    slug: "field-count-mismatch",
    severity: Severity::Error,
    evidence: Evidence::Inf,
    summary: "a record has a different number of fields than the header",
};

/// `""` inside a quoted field, read as one quote character.
pub static DOUBLED_QUOTE: Rule = Rule {
    code: "C009",
    slug: "doubled-quote",
    severity: Severity::Warning,
    evidence: Evidence::Inf,
    summary: "a quoted field escapes a quote by doubling it, which the service does not document",
};

/// A quote character inside an unquoted field, kept as data.
pub static STRAY_QUOTE: Rule = Rule {
    code: "C010",
    slug: "stray-quote",
    severity: Severity::Warning,
    evidence: Evidence::Inf,
    summary: "a quote character appears inside an unquoted field and is read as data",
};

/// Text between a closing quote and the next separator, appended to the field.
pub static TEXT_AFTER_QUOTE: Rule = Rule {
    code: "C011",
    slug: "text-after-closing-quote",
    severity: Severity::Warning,
    evidence: Evidence::Inf,
    summary: "text follows the closing quote of a field and is appended to it",
};

/// A line break inside a quoted field.
pub static QUOTED_NEWLINE: Rule = Rule {
    code: "C012",
    slug: "quoted-newline",
    severity: Severity::Warning,
    evidence: Evidence::Inf,
    summary: "a quoted field contains a line break; the service says records are separated by new lines",
};

/// The escape character before a byte that needs no escaping.
pub static USELESS_ESCAPE: Rule = Rule {
    code: "C013",
    slug: "escape-before-ordinary-byte",
    severity: Severity::Warning,
    evidence: Evidence::Inf,
    summary: "the escape character precedes a byte other than the quote or escape character; the escape is dropped",
};

/// `TrimWhiteSpace` removed white space inside a quoted field.
pub static TRIMMED_INSIDE_QUOTES: Rule = Rule {
    code: "C014",
    slug: "trimmed-inside-quotes",
    severity: Severity::Warning,
    evidence: Evidence::Inf,
    summary: "`TrimWhiteSpace` removed white space inside a quoted field; whether the service trims quoted fields is undocumented",
};

/// A header field is empty.
pub static EMPTY_HEADER_NAME: Rule = Rule {
    code: "C015",
    slug: "empty-header-name",
    severity: Severity::Warning,
    evidence: Evidence::Inf,
    summary: "a header field is empty, so no mapping can refer to that column",
};

/// Two header fields have the same name.
pub static DUPLICATE_HEADER_NAME: Rule = Rule {
    code: "C016",
    slug: "duplicate-header-name",
    severity: Severity::Error,
    evidence: Evidence::Inf,
    summary: "two header fields have the same name",
};

/// A header name starts or ends with white space.
pub static HEADER_NAME_WHITESPACE: Rule = Rule {
    code: "C017",
    slug: "header-name-whitespace",
    severity: Severity::Warning,
    evidence: Evidence::Inf,
    summary: "a header name starts or ends with white space; whether the service trims header names is undocumented",
};

/// The input has no header record (no bytes, or only blank lines).
pub static EMPTY_INPUT: Rule = Rule {
    code: "C018",
    slug: "empty-input",
    severity: Severity::Error,
    evidence: Evidence::Doc,
    summary: "the input has no header record; batch load reads CSV files with headers",
};

/// An empty unquoted field is read as null. Raised by consumers (the mapper)
/// for the columns they use, through [`crate::NullMatcher::classify`].
pub static EMPTY_FIELD_NULL: Rule = Rule {
    code: "C019",
    slug: "empty-field-null",
    severity: Severity::Warning,
    evidence: Evidence::Inf,
    summary: "an empty field is read as null; the service's handling of empty fields is undocumented",
};

/// Blank lines were skipped.
pub static BLANK_LINES: Rule = Rule {
    code: "C020",
    slug: "blank-lines",
    severity: Severity::Warning,
    evidence: Evidence::Inf,
    summary: "blank lines are skipped; the service may count them as malformed rows",
};

/// The escape character in an unquoted field: kept as data. Escapes apply
/// inside quotes (as in csv-core); the documentation shows them before a
/// quote \[DOC: PREP\] but does not say whether they apply outside quotes.
pub static ESCAPE_OUTSIDE_QUOTES: Rule = Rule {
    code: "C021",
    slug: "escape-outside-quotes",
    severity: Severity::Warning,
    evidence: Evidence::Inf,
    summary: "an unquoted field contains the escape character, which is kept as data (escapes are applied inside quotes only); whether the service applies it there is undocumented",
};

/// The file starts with blank lines: the service takes the first line as
/// the header (\[INF\], batchload-spec §2.5 item 4; "a file contains
/// headers" \[DOC\]), which is then empty, and the file fails.
pub static BLANK_BEFORE_HEADER: Rule = Rule {
    code: "C022",
    slug: "blank-before-header",
    severity: Severity::Error,
    evidence: Evidence::Inf,
    summary: "the first line is blank; the service reads the first line as the header, so the file fails",
};

/// Every rule of this crate, in code order.
pub static RULES: &[&Rule] = &[
    &UTF8_BOM,
    &UTF16_UTF32_BOM,
    &INVALID_UTF8,
    &NUL_BYTE,
    &LONE_CR,
    &UNTERMINATED_QUOTE,
    &RECORD_TOO_LARGE,
    &FIELD_COUNT_MISMATCH,
    &DOUBLED_QUOTE,
    &STRAY_QUOTE,
    &TEXT_AFTER_QUOTE,
    &QUOTED_NEWLINE,
    &USELESS_ESCAPE,
    &TRIMMED_INSIDE_QUOTES,
    &EMPTY_HEADER_NAME,
    &DUPLICATE_HEADER_NAME,
    &HEADER_NAME_WHITESPACE,
    &EMPTY_INPUT,
    &EMPTY_FIELD_NULL,
    &BLANK_LINES,
    &ESCAPE_OUTSIDE_QUOTES,
    &BLANK_BEFORE_HEADER,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_sorted_and_prefixed() {
        let mut prev = "";
        for r in RULES {
            assert!(r.code.starts_with('C'), "{}", r.code);
            assert!(r.code > prev, "{} after {prev}", r.code);
            prev = r.code;
            assert!(!r.summary.ends_with('.'), "{}", r.code);
            assert!(
                r.slug
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{}",
                r.slug
            );
        }
    }
}
