//! Which fields are null: `NullValue` and the empty-field rule.

use tsload_model::effective::CsvDialect;

/// Why a field is null.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NullKind {
    /// The field equals the configured `NullValue`.
    NullValue,
    /// The field is empty and unquoted. Consumers that read the column
    /// should report [`crate::rules::EMPTY_FIELD_NULL`] (\[INF\]).
    Empty,
}

/// Decides whether a field is null, from the dialect's `NullValue`
/// (compare arrow-csv's `NullRegex`). Built once; the test is a length check
/// and at most one `memcmp`.
///
/// The rules (\[INF\], `batchload-spec.md` §2.5 item 7 and §10 items 6 and 9;
/// the service documents only "a field equal to `NullValue` is null"):
///
/// - The test applies to the field as [`crate::Record::field`] returns it:
///   unquoted, unescaped and, with `TrimWhiteSpace`, **trimmed first**. So
///   with a blank `NullValue` (`" "`, the documented example) and trimming
///   on, the trimmed field is empty, and an empty unquoted field is then
///   that `NullValue` ([`NullKind::NullValue`]): nothing else could match.
/// - An **unquoted** field equal to `NullValue` is null.
/// - An **unquoted empty** field is null ([`NullKind::Empty`]), whether or
///   not `NullValue` is set.
/// - A **quoted** field is never null: `""` is an empty string and `"NULL"`
///   is the text `NULL`. This is the conservative reading: a typed column
///   then reports the value instead of silently dropping it, so the
///   validator errs towards flagging rows the service might reject.
///
/// ```
/// use tsload_csv::{NullKind, NullMatcher};
/// use tsload_model::effective::CsvDialect;
///
/// let d = CsvDialect { null_value: Some("NA".into()), ..CsvDialect::default() };
/// let nulls = NullMatcher::new(&d);
/// assert!(nulls.is_null(b"NA", false));
/// assert!(!nulls.is_null(b"NA", true));
/// assert_eq!(nulls.classify(b"", false), Some(NullKind::Empty));
/// assert!(!nulls.is_null(b"", true));
/// assert!(!nulls.is_null(b"0", false));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NullMatcher {
    value: Option<Box<[u8]>>,
    /// A blank `NullValue` with `TrimWhiteSpace`: empty fields match it.
    blank: bool,
}

impl NullMatcher {
    /// The matcher of `dialect`'s `NullValue`.
    pub fn new(dialect: &CsvDialect) -> Self {
        Self {
            value: dialect
                .null_value
                .as_ref()
                .map(|v| v.as_bytes().to_vec().into_boxed_slice()),
            blank: dialect.trim
                && dialect
                    .null_value
                    .as_ref()
                    .is_some_and(|n| n.bytes().all(|b| b.is_ascii_whitespace())),
        }
    }

    /// Whether `field` (as returned by [`crate::Record::field`]) is null;
    /// `quoted` is [`crate::Record::is_quoted`].
    #[inline]
    pub fn is_null(&self, field: &[u8], quoted: bool) -> bool {
        self.classify(field, quoted).is_some()
    }

    /// Like [`NullMatcher::is_null`], saying why.
    #[inline]
    pub fn classify(&self, field: &[u8], quoted: bool) -> Option<NullKind> {
        if quoted {
            None
        } else if field.is_empty() {
            Some(if self.blank {
                NullKind::NullValue
            } else {
                NullKind::Empty
            })
        } else if self.value.as_deref() == Some(field) {
            Some(NullKind::NullValue)
        } else {
            None
        }
    }

    /// The configured `NullValue`, if any.
    pub fn value(&self) -> Option<&[u8]> {
        self.value.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blank_null_value_matches_empty_fields_only_when_trimming() {
        let blank = |trim| CsvDialect {
            null_value: Some(" ".into()),
            trim,
            ..CsvDialect::default()
        };
        let trimmed = NullMatcher::new(&blank(true));
        assert_eq!(trimmed.classify(b"", false), Some(NullKind::NullValue));
        assert_eq!(trimmed.classify(b"", true), None);
        let raw = NullMatcher::new(&blank(false));
        assert_eq!(raw.classify(b"", false), Some(NullKind::Empty));
        assert_eq!(raw.classify(b" ", false), Some(NullKind::NullValue));
    }
}
