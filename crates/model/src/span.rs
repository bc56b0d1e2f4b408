//! Where each member of a JSON document is: a JSON pointer → line/column
//! index, so every diagnostic can say `file:line:column`.
//!
//! The index is filled by the loader from the syntax tree of
//! [`jsonc-parser`](https://docs.rs/jsonc-parser) (run in strict JSON mode),
//! which keeps the byte range of every key and value. `serde_json` is the
//! authority on whether the text is JSON; the tree is only used for
//! positions and for seeing members twice (a `serde_json::Value` keeps the
//! last one silently).
//!
//! Lines and columns are 1-based. Columns count Unicode scalar values from
//! the start of the line (as uv does), not bytes and not display width.

use std::collections::HashMap;

/// A 1-based line and column in a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
}

impl Position {
    /// The start of a text: line 1, column 1.
    pub const START: Self = Self { line: 1, column: 1 };
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// Turns byte offsets of a text into [`Position`]s.
#[derive(Debug, Clone)]
pub struct LineIndex<'a> {
    text: &'a str,
    /// Byte offset of the start of each line.
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    /// Indexes the line starts of `text` (lines end at `\n`; a `\r` before
    /// it belongs to the line and is never counted as a column you can point
    /// at in valid JSON).
    pub fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(newline_offsets(text.as_bytes()).map(|i| i + 1));
        Self { text, starts }
    }

    /// The position of byte `offset` (clamped to the text; an offset inside
    /// a multi-byte character counts as that character).
    pub fn position(&self, offset: usize) -> Position {
        let offset = offset.min(self.text.len());
        let line = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.starts[line];
        let column = self.text.as_bytes()[start..offset]
            .iter()
            .filter(|&&b| !is_utf8_continuation(b))
            .count();
        Position {
            line: u32::try_from(line + 1).unwrap_or(u32::MAX),
            column: u32::try_from(column + 1).unwrap_or(u32::MAX),
        }
    }

    /// The position of a 1-based line and 1-based *byte* column, as
    /// `serde_json` reports them, converted to a character column.
    pub fn from_line_byte_column(&self, line: usize, byte_column: usize) -> Position {
        let Some(&start) = self.starts.get(line.saturating_sub(1)) else {
            return self.position(self.text.len());
        };
        // serde_json's column is the count of bytes read on the line, so the
        // byte it complains about is at `start + column - 1`.
        self.position(start + byte_column.saturating_sub(1))
    }
}

fn is_utf8_continuation(b: u8) -> bool {
    b & 0b1100_0000 == 0b1000_0000
}

fn newline_offsets(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    bytes
        .iter()
        .enumerate()
        .filter_map(|(i, &b)| (b == b'\n').then_some(i))
}

/// Where one member (or array element) is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// The member's key (the opening quote); `None` for array elements and
    /// the root.
    pub key: Option<Position>,
    /// The start of the value.
    pub value: Position,
}

impl Span {
    /// The key when there is one, else the value.
    pub fn member(self) -> Position {
        self.key.unwrap_or(self.value)
    }
}

/// Which end of a member a diagnostic points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// The key (for unknown, duplicate or misplaced members).
    Member,
    /// The value (for bad values).
    Value,
}

/// JSON pointer (RFC 6901) → [`Span`] for every member of a document.
#[derive(Debug, Clone, Default)]
pub struct SpanIndex {
    spans: HashMap<String, Span>,
}

impl SpanIndex {
    /// Records where `pointer` is. A later insert for the same pointer (a
    /// member written twice) wins, as it does in `serde_json`.
    pub fn insert(&mut self, pointer: String, span: Span) {
        self.spans.insert(pointer, span);
    }

    /// Where `pointer` is, if the document has it.
    pub fn get(&self, pointer: &str) -> Option<Span> {
        self.spans.get(pointer).copied()
    }

    /// The number of indexed pointers.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The position to report for `pointer`. A pointer that is not in the
    /// document (a missing member) falls back to its nearest ancestor's
    /// member position, so "missing `X`" points at the object that lacks it.
    pub fn locate(&self, pointer: &str, anchor: Anchor) -> Position {
        if let Some(span) = self.get(pointer) {
            return match anchor {
                Anchor::Member => span.member(),
                Anchor::Value => span.value,
            };
        }
        let mut p = pointer;
        while let Some(i) = p.rfind('/') {
            p = &p[..i];
            if let Some(span) = self.get(p) {
                return span.member();
            }
        }
        Position::START
    }
}

/// Appends one reference token to a JSON pointer, escaping `~` and `/`.
pub fn push_token(pointer: &mut String, token: &str) {
    pointer.push('/');
    for c in token.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

/// `pointer` with `token` appended (see [`push_token`]).
pub fn join(pointer: &str, token: &str) -> String {
    let mut p = String::with_capacity(pointer.len() + token.len() + 1);
    p.push_str(pointer);
    push_token(&mut p, token);
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters_and_lines() {
        let text = "{\n  \"é\": 1,\r\n  \"b\": 2\n}";
        let idx = LineIndex::new(text);
        assert_eq!(idx.position(0), Position { line: 1, column: 1 });
        let b = text.find("\"b\"").unwrap();
        assert_eq!(idx.position(b), Position { line: 3, column: 3 });
        let one = text.find('1').unwrap();
        // `"é": ` is 5 characters but 6 bytes.
        assert_eq!(idx.position(one), Position { line: 2, column: 8 });
        assert_eq!(
            idx.from_line_byte_column(2, 9),
            Position { line: 2, column: 8 }
        );
        assert_eq!(idx.position(usize::MAX).line, 4);
    }

    #[test]
    fn pointers_escape_and_fall_back_to_ancestors() {
        assert_eq!(join("/a", "b/c~d"), "/a/b~1c~0d");
        let mut idx = SpanIndex::default();
        let root = Position::START;
        let key = Position { line: 2, column: 3 };
        let val = Position {
            line: 2,
            column: 10,
        };
        idx.insert(
            String::new(),
            Span {
                key: None,
                value: root,
            },
        );
        idx.insert(
            "/A".into(),
            Span {
                key: Some(key),
                value: val,
            },
        );
        assert_eq!(idx.locate("/A", Anchor::Value), val);
        assert_eq!(idx.locate("/A", Anchor::Member), key);
        assert_eq!(idx.locate("/A/B/C", Anchor::Value), key);
        assert_eq!(idx.locate("/Z", Anchor::Value), root);
    }
}
