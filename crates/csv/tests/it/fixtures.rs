//! Every framing defect has a fixture in `fixtures/csv/<CODE>-<slug>.csv`
//! and the findings it must produce, read every way (sequential, tiny
//! buffers, parallel with tiny chunks).

use std::path::PathBuf;

use tsload_csv::{CsvReader, HeaderOutcome, NullKind, NullMatcher, ReadOptions, rules};
use tsload_model::effective::CsvDialect;

use crate::common::{Out, read_all_ways_with};

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/csv")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Findings as `line L [field F] CODE`, header first, then blank lines.
fn findings(out: &Out) -> Vec<String> {
    let mut v = Vec::new();
    for r in out.header.iter().chain(&out.records) {
        for (code, field, _) in &r.issues {
            v.push(match field {
                Some(f) => format!("line {} field {f} {code}", r.pos.line),
                None => format!("line {} {code}", r.pos.line),
            });
        }
    }
    if let Some(l) = out.first_blank_line {
        v.push(format!(
            "line {l} {} x{}",
            rules::BLANK_LINES.code,
            out.blank_lines
        ));
    }
    v
}

fn check(name: &str, d: &CsvDialect, max_record: usize, want: &[&str]) -> Out {
    let out = read_all_ways_with(&fixture(name), d, true, max_record);
    assert_eq!(findings(&out), want, "{name}");
    out
}

fn dflt(name: &str, want: &[&str]) -> Out {
    check(
        name,
        &CsvDialect::default(),
        tsload_csv::MAX_RECORD_BYTES,
        want,
    )
}

#[test]
fn c001_utf8_bom_is_reported_and_skipped() {
    let input = fixture("C001-utf8-bom.csv");
    let mut rdr =
        CsvReader::new(&input[..], &CsvDialect::default(), ReadOptions::default()).unwrap();
    let HeaderOutcome::Header(h) = rdr.header().unwrap() else {
        panic!("header")
    };
    assert_eq!(h.bom.map(|b| b.rule().code), Some("C001"));
    assert!(h.has_errors());
    assert_eq!(h.names, ["time", "host", "cpu"]);
    assert_eq!(h.position.byte, 3);
    let r = rdr.read_record().unwrap().unwrap();
    assert_eq!(r.position().byte, 17);
    assert_eq!(r.position().line, 2);
}

#[test]
fn c002_utf16_bom_is_a_file_failure() {
    let input = fixture("C002-utf16-utf32-bom.csv");
    let mut rdr =
        CsvReader::new(&input[..], &CsvDialect::default(), ReadOptions::default()).unwrap();
    match rdr.header().unwrap() {
        HeaderOutcome::NotUtf8(bom) => {
            assert_eq!(bom.rule().code, "C002");
            assert_eq!(bom.encoding(), "UTF-16LE");
        }
        other => panic!("{other:?}"),
    }
    for (head, enc) in [
        (&b"\xfe\xff\x00t"[..], "UTF-16BE"),
        (b"\xff\xfe\x00\x00", "UTF-32LE"),
        (b"\x00\x00\xfe\xff", "UTF-32BE"),
    ] {
        let mut rdr = CsvReader::new(head, &CsvDialect::default(), ReadOptions::default()).unwrap();
        assert!(matches!(rdr.header().unwrap(), HeaderOutcome::NotUtf8(b) if b.encoding() == enc));
    }
}

#[test]
fn c003_invalid_utf8_names_the_field_and_byte() {
    let out = dflt("C003-invalid-utf8.csv", &["line 2 field 1 C003"]);
    let r = &out.records[0];
    assert_eq!(r.issues[0].2, 17, "offset of the bad byte in the record");
    assert_eq!(r.fields[1], b"caf\xe9");
}

#[test]
fn c004_nul_byte() {
    dflt("C004-nul-byte.csv", &["line 2 field 1 C004"]);
}

#[test]
fn c005_lone_cr_ends_records_and_is_reported() {
    let out = dflt(
        "C005-lone-cr.csv",
        &["line 1 C005", "line 2 C005", "line 3 C005"],
    );
    assert_eq!(out.header.unwrap().strs(), ["time", "host", "cpu"]);
    assert_eq!(out.records[1].strs(), ["1700000000001", "web-2", "0.7"]);
}

#[test]
fn c006_unterminated_quote_runs_to_the_end() {
    let out = dflt(
        "C006-unterminated-quote.csv",
        &["line 2 field 1 C006", "line 2 field 1 C012", "line 2 C008"],
    );
    assert_eq!(out.records.len(), 1);
    assert_eq!(
        out.records[0].fields[1],
        b"web-1,0.5\n1700000000001,web-2,0.7\n"
    );
}

#[test]
fn c007_record_too_large_with_a_lowered_limit() {
    // The fixture's long record is 217 bytes; the limit is lowered to 64
    // so that the fixture stays small. `oversized_records_are_skipped`
    // covers the real 16 MiB limit in memory.
    let d = CsvDialect::default();
    let out = check("C007-record-too-large.csv", &d, 64, &["line 2 C007"]);
    assert_eq!(out.records.len(), 2);
    assert_eq!(out.records[1].strs(), ["1700000000001", "web-2", "0.7"]);
    assert_eq!(out.records[1].pos.line, 3);
}

#[test]
fn c008_field_count_mismatch() {
    dflt(
        "C008-field-count-mismatch.csv",
        &["line 2 C008", "line 3 C008"],
    );
}

#[test]
fn c009_doubled_quote_is_read_and_reported() {
    let out = dflt(
        "C009-doubled-quote.csv",
        &["line 2 field 1 C009", "line 2 field 1 C009"],
    );
    assert_eq!(out.records[0].strs()[1], "web \"one\"");
    // With `EscapeChar` equal to the quote, doubling is the configured
    // escape and is not reported.
    let d = CsvDialect {
        escape: Some(b'"'),
        ..CsvDialect::default()
    };
    check(
        "C009-doubled-quote.csv",
        &d,
        tsload_csv::MAX_RECORD_BYTES,
        &[],
    );
}

#[test]
fn c010_stray_quote() {
    let out = dflt("C010-stray-quote.csv", &["line 2 field 1 C010"]);
    assert_eq!(out.records[0].strs()[1], "web\"1");
}

#[test]
fn c011_text_after_closing_quote_is_appended() {
    let out = dflt(
        "C011-text-after-closing-quote.csv",
        &["line 2 field 1 C011"],
    );
    assert_eq!(out.records[0].strs()[1], "web-1");
}

#[test]
fn c012_quoted_newline_counts_lines() {
    let out = dflt("C012-quoted-newline.csv", &["line 2 field 1 C012"]);
    assert_eq!(out.records[0].strs()[1], "web\n1");
    assert_eq!(out.records[1].pos.line, 4);
}

#[test]
fn c013_escape_before_ordinary_byte() {
    let d = CsvDialect {
        escape: Some(b'\\'),
        ..CsvDialect::default()
    };
    let out = check(
        "C013-escape-before-ordinary-byte.csv",
        &d,
        tsload_csv::MAX_RECORD_BYTES,
        &["line 2 field 1 C013"],
    );
    assert_eq!(out.records[0].strs()[1], "web-1 \"a\"");
}

#[test]
fn c021_escape_outside_quotes_is_data_and_reported() {
    let d = CsvDialect {
        escape: Some(b'\\'),
        ..CsvDialect::default()
    };
    // `a\,b` unquoted: the escape is data, so the comma splits the field
    // (one field too many); inside quotes it escapes as configured.
    let out = check(
        "C021-escape-outside-quotes.csv",
        &d,
        tsload_csv::MAX_RECORD_BYTES,
        &["line 2 field 1 C021", "line 2 C008", "line 4 field 1 C021"],
    );
    assert_eq!(out.records[0].strs(), ["1700000000000", "a\\", "b", "0.5"]);
    assert_eq!(out.records[1].strs()[1], "x\"y");
    assert_eq!(out.records[2].strs()[1], "c\\d");
    // Without an escape character the backslash is plain data everywhere,
    // and the quote after it closes the quoted field early.
    dflt(
        "C021-escape-outside-quotes.csv",
        &["line 2 C008", "line 3 field 1 C011", "line 3 field 1 C010"],
    );
}

#[test]
fn c014_trim_inside_quotes() {
    let d = CsvDialect {
        trim: true,
        ..CsvDialect::default()
    };
    // ` " web-1 " ` starts with a space, so the quote is data (csv-core):
    // the field is unquoted, trimmed to `" web-1 "`.
    let out = check(
        "C014-trimmed-inside-quotes.csv",
        &d,
        tsload_csv::MAX_RECORD_BYTES,
        &["line 2 field 1 C010", "line 2 field 1 C010"],
    );
    assert_eq!(out.records[0].strs()[1], "\" web-1 \"");
    let out = read_all_ways_with(b"h\n\" a \"\n", &d, true, tsload_csv::MAX_RECORD_BYTES);
    assert_eq!(findings(&out), ["line 2 field 0 C014"]);
    assert_eq!(out.records[0].strs(), ["a"]);
}

#[test]
fn c015_c016_c017_header_names() {
    dflt("C015-empty-header-name.csv", &["line 1 field 1 C015"]);
    dflt("C016-duplicate-header-name.csv", &["line 1 field 2 C016"]);
    let out = dflt("C017-header-name-whitespace.csv", &["line 1 field 1 C017"]);
    assert_eq!(out.header.unwrap().strs()[1], " host ");
    let d = CsvDialect {
        trim: true,
        ..CsvDialect::default()
    };
    let out = check(
        "C017-header-name-whitespace.csv",
        &d,
        tsload_csv::MAX_RECORD_BYTES,
        &["line 1 field 1 C017"],
    );
    assert_eq!(out.header.unwrap().strs()[1], "host");
}

#[test]
fn c018_empty_input_has_no_header() {
    for name in ["C018-empty-input.csv", "C018-only-blank-lines.csv"] {
        let input = fixture(name);
        let mut rdr =
            CsvReader::new(&input[..], &CsvDialect::default(), ReadOptions::default()).unwrap();
        assert!(
            matches!(rdr.header().unwrap(), HeaderOutcome::Empty),
            "{name}"
        );
        assert!(rdr.read_record().unwrap().is_none());
    }
}

#[test]
fn c019_empty_unquoted_fields_are_null() {
    let out = dflt("C019-empty-field-null.csv", &[]);
    let nulls = NullMatcher::new(&CsvDialect::default());
    let r = &out.records;
    assert_eq!(
        nulls.classify(&r[0].fields[1], r[0].quoted[1]),
        Some(NullKind::Empty)
    );
    assert_eq!(
        nulls.classify(&r[1].fields[1], r[1].quoted[1]),
        None,
        "quoted empty is a string"
    );
    assert_eq!(rules::EMPTY_FIELD_NULL.code, "C019");
}

#[test]
fn c020_blank_lines_are_skipped_and_counted() {
    let out = dflt("C020-blank-lines.csv", &["line 3 C020 x2"]);
    assert_eq!(out.records.len(), 2);
    assert_eq!(out.records[1].pos.line, 4);
}

#[test]
fn crlf_and_missing_final_newline_are_fine() {
    let a = dflt("crlf-line-endings.csv", &[]);
    let b = dflt("no-final-newline.csv", &[]);
    let fields = |o: &Out| {
        o.records
            .iter()
            .map(|r| r.fields.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(fields(&a), fields(&b));
    assert_eq!(b.records[1].pos.line, 3);
}

#[test]
fn oversized_records_are_skipped_with_bounded_memory() {
    // 17 MiB in one record, between two good ones, read with the real limit.
    let mut input = b"a,b\n1,2\n3,".to_vec();
    input.extend(std::iter::repeat_n(b'x', 17 << 20));
    input.extend_from_slice(b"\n5,6\n");
    for (threads, window) in [(1, 4 << 20), (2, 1 << 20)] {
        let opts = ReadOptions {
            threads,
            window_bytes: window,
            chunk_bytes: 256 << 10,
            ..ReadOptions::default()
        };
        let out = crate::common::read_run(&input, &CsvDialect::default(), opts.clone(), true);
        assert_eq!(out.records.len(), 3);
        assert_eq!(out.records[1].codes(), ["C007"]);
        assert_eq!(out.records[1].fields.len(), 0);
        assert_eq!(out.records[1].raw.len(), 1024, "a preview is kept");
        assert_eq!(out.records[2].strs(), ["5", "6"]);
        assert_eq!(out.records[2].pos.line, 4);
        assert_eq!(out.records[2].pos.byte, input.len() as u64 - 4);
        let at = crate::common::read_run_at(&input, &CsvDialect::default(), opts.clone(), true);
        assert_eq!(at, out, "by offset");
        let seq = crate::common::read_seq(&input, &CsvDialect::default(), opts, true);
        assert_eq!(seq, out);
    }
}
