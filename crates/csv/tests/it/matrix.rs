//! The dialect matrix, ripgrep `SearcherTester` style: one logical table
//! written in every dialect (separator × quote × escape × null × trim ×
//! LF/CRLF × final newline or not), read back under every option set, and
//! checked field by field, with the findings each cell must raise.

use tsload_csv::{NullKind, NullMatcher};
use tsload_model::effective::CsvDialect;

use crate::common::read_all_ways;

/// A logical cell: its text, whether to quote it, the findings it raises.
struct Cell {
    text: Vec<u8>,
    quote: bool,
}

fn cells(d: &CsvDialect) -> Vec<Cell> {
    let pad = if d.separator == b' ' { b'\t' } else { b' ' };
    let cell = |text: &[u8], quote| Cell {
        text: text.to_vec(),
        quote,
    };
    vec![
        cell(b"plain", false),
        cell(&[b'a', d.separator, b'b'], true),
        cell(&[b'x', d.quote, b'y'], true),
        cell(b"two\nlines", true),
        cell(&[pad, pad, b'p', b'a', b'd', pad], false),
        cell(b" q ", true),
        cell(b"", false),
        cell(b"NA", false),
    ]
}

fn encode(d: &CsvDialect, c: &Cell) -> Vec<u8> {
    if !c.quote {
        return c.text.clone();
    }
    let mut v = vec![d.quote];
    for &b in &c.text {
        if b == d.quote || Some(b) == d.escape {
            v.push(d.escape.unwrap_or(d.quote));
        }
        v.push(b);
    }
    v.push(d.quote);
    v
}

/// (label, dialect, CRLF, final newline) for every combination.
fn matrix() -> Vec<(String, CsvDialect, bool, bool)> {
    let mut out = Vec::new();
    for separator in [b',', b'|', b';', b'\t', b' '] {
        for quote in [b'"', b'\''] {
            for escape in [None, Some(b'\\')] {
                for null_value in [None, Some("NA".to_owned())] {
                    for trim in [false, true] {
                        for crlf in [false, true] {
                            for final_nl in [false, true] {
                                let d = CsvDialect {
                                    separator,
                                    quote,
                                    escape,
                                    null_value: null_value.clone(),
                                    trim,
                                };
                                let label = format!(
                                    "sep={:?} quote={} esc={:?} null={:?} trim={trim} crlf={crlf} final_nl={final_nl}",
                                    char::from(separator),
                                    char::from(quote),
                                    escape.map(char::from),
                                    null_value,
                                );
                                out.push((label, d, crlf, final_nl));
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

#[test]
fn every_dialect_reads_back_what_was_written() {
    let combos = matrix();
    assert_eq!(combos.len(), 320);
    for (label, d, crlf, final_nl) in combos {
        let cells = cells(&d);
        let term: &[u8] = if crlf { b"\r\n" } else { b"\n" };
        let names: Vec<Vec<u8>> = (0..cells.len())
            .map(|i| format!("c{i}").into_bytes())
            .collect();
        let mut input = names.join(&d.separator);
        input.extend_from_slice(term);
        let row: Vec<Vec<u8>> = cells.iter().map(|c| encode(&d, c)).collect();
        for i in 0..3 {
            input.extend_from_slice(&row.join(&d.separator));
            if i < 2 || final_nl {
                input.extend_from_slice(term);
            }
        }
        let out = read_all_ways(&input, &d, true);
        assert_eq!(out.header.as_ref().unwrap().fields, names, "{label}");
        assert_eq!(out.records.len(), 3, "{label}");
        assert_eq!(out.bytes, input.len() as u64, "{label}");
        let nulls = NullMatcher::new(&d);
        for (n, r) in out.records.iter().enumerate() {
            // 1 header line, 2 lines per row (the quoted newline).
            assert_eq!(r.pos.line, 2 + 2 * n as u64, "{label}");
            assert_eq!(r.fields.len(), cells.len(), "{label}");
            for (i, c) in cells.iter().enumerate() {
                let want = if d.trim {
                    c.text.trim_ascii()
                } else {
                    &c.text[..]
                };
                assert_eq!(r.fields[i], want, "{label} field {i}");
                assert_eq!(r.quoted[i], c.quote, "{label} field {i}");
            }
            let mut want_codes = vec![];
            if d.escape.is_none() {
                want_codes.push((2, "C009"));
            }
            want_codes.push((3, "C012"));
            if d.trim {
                want_codes.push((5, "C014"));
            }
            let got: Vec<_> = r
                .issues
                .iter()
                .map(|(code, f, _)| (f.unwrap() as usize, *code))
                .collect();
            assert_eq!(got, want_codes, "{label}");
            assert_eq!(
                nulls.classify(&r.fields[6], r.quoted[6]),
                Some(NullKind::Empty),
                "{label}"
            );
            let na = nulls.classify(&r.fields[7], r.quoted[7]);
            assert_eq!(
                na,
                d.null_value.as_ref().map(|_| NullKind::NullValue),
                "{label}"
            );
            assert_eq!(nulls.classify(&r.fields[0], r.quoted[0]), None, "{label}");
        }
    }
}
