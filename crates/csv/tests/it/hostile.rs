//! Hostile records found by the reliability tests: each stays linear in the
//! size of the record.

use tsload_csv::ReadOptions;
use tsload_model::effective::CsvDialect;

use crate::common::{read_all_ways, read_all_ways_with, read_run, read_seq};

/// A record made of long runs of NUL bytes and invalid UTF-8 gets one
/// finding per field and rule, in time linear in its length. (Each finding
/// used to walk the record from its start to find its field: a 64 KB run
/// of NULs took seconds, a 1 MB one hours.)
#[test]
fn long_runs_of_nul_and_invalid_utf8_are_linear() {
    let run = 4 << 20;
    let mut input = b"a,b,c\n".to_vec();
    input.extend(std::iter::repeat_n(0u8, run));
    input.push(b',');
    input.extend(std::iter::repeat_n(0xFFu8, run));
    input.extend_from_slice(b",ok\n");
    let d = CsvDialect::default();
    let seq = read_seq(
        &input,
        &d,
        ReadOptions {
            threads: 1,
            ..ReadOptions::default()
        },
        true,
    );
    let par = read_run(
        &input,
        &d,
        ReadOptions {
            threads: 2,
            chunk_bytes: 1 << 20,
            ..ReadOptions::default()
        },
        true,
    );
    assert_eq!(seq, par);
    assert_eq!(seq.records.len(), 1);
    let r = &seq.records[0];
    assert_eq!(
        r.issues,
        [("C004", Some(0), 0), ("C003", Some(1), run as u32 + 1)]
    );
    assert_eq!(r.fields[2], b"ok");
}

/// The same with NUL bytes and invalid UTF-8 interleaved in many fields.
#[test]
fn findings_in_many_fields_are_each_placed() {
    let mut input = b"h\n".to_vec();
    let fields = 50_000;
    for i in 0..fields {
        if i > 0 {
            input.push(b',');
        }
        input.extend_from_slice(if i % 2 == 0 { b"x\0y" } else { b"\xC3(" });
    }
    input.push(b'\n');
    let out = read_seq(
        &input,
        &CsvDialect::default(),
        ReadOptions {
            threads: 1,
            ..ReadOptions::default()
        },
        true,
    );
    let r = &out.records[0];
    assert_eq!(r.codes().last(), Some(&"C008"), "the header has one field");
    let found = &r.issues[..r.issues.len() - 1];
    assert_eq!(found.len(), fields);
    for (i, issue) in found.iter().enumerate() {
        let code = if i % 2 == 0 { "C004" } else { "C003" };
        assert_eq!((issue.0, issue.1), (code, Some(i as u32)), "field {i}");
    }
}

/// Found by the `csv` fuzz target: issues known only after later ones were
/// reported came out of offset order (with `TrimWhiteSpace`, a quoted field
/// holding a line break got its `C014` after the `C012` of a later offset;
/// an unterminated quote, `C006` at the field's start, came after the
/// field's doubled quotes, `C009`), and the sequential reader (which sorted
/// them on another path) and the parallel one disagreed.
#[test]
fn issues_of_a_trimmed_quoted_multiline_field_are_in_offset_order() {
    let d = CsvDialect {
        trim: true,
        ..CsvDialect::default()
    };
    let input = b"a,b,c\n1,\" x\ny \",\"unterminated\nz";
    let out = read_all_ways(input, &d, true);
    let offsets: Vec<u32> = out
        .records
        .iter()
        .flat_map(|r| r.issues.iter().map(|i| i.2))
        .collect();
    assert_eq!(out.records.len(), 1);
    assert_eq!(out.records[0].codes(), ["C014", "C012", "C006", "C012"]);
    assert!(offsets.is_sorted(), "{:?}", out.records[0].issues);
    let out = read_all_ways(b"a\n\"x\"\"y", &CsvDialect::default(), true);
    assert_eq!(out.records[0].codes(), ["C006", "C009"]);
}

/// Found by the `csv` fuzz target: a run of blank lines (lone `\r`s,
/// C005 line endings) longer than the record limit, read with windows that
/// cut it, was one oversized record (`C007`) for the parallel driver and
/// blank lines for the sequential reader: blank lines had to fit in one
/// window.
#[test]
fn a_long_run_of_blank_lines_is_not_a_record() {
    let mut input = b"a,b,c\nx,y,z\r".to_vec();
    input.extend(std::iter::repeat_n(b'\r', 57));
    input.extend_from_slice(b"e,f,g\n");
    let d = CsvDialect::default();
    let out = read_all_ways_with(&input, &d, true, 49);
    let codes: Vec<Vec<&str>> = out.records.iter().map(crate::common::Rec::codes).collect();
    assert_eq!(codes, [vec!["C005"], vec![]]);
    assert_eq!(out.blank_lines, 57);
    assert_eq!(out.records[1].pos.line, 3 + 57);
    let par = read_run(
        &input,
        &d,
        ReadOptions {
            threads: 2,
            window_bytes: 33,
            chunk_bytes: 6,
            read_bytes: 3,
            max_record_bytes: 49,
        },
        true,
    );
    assert_eq!(par, out);
}

/// Found by the `csv` fuzz target: with a window of fewer than 4 bytes the
/// byte order mark was not seen (a UTF-8 BOM became part of the first
/// header name; a UTF-16 file was read as bytes).
#[test]
fn a_byte_order_mark_is_found_with_any_window() {
    use tsload_csv::{Bom, CsvReader, HeaderOutcome};
    for window in 1..8 {
        let opts = ReadOptions {
            threads: 1,
            window_bytes: window,
            read_bytes: 1,
            ..ReadOptions::default()
        };
        let d = CsvDialect::default();
        let mut rdr =
            CsvReader::new(&b"\xEF\xBB\xBFtime,host\n1,a\n"[..], &d, opts.clone()).unwrap();
        let HeaderOutcome::Header(h) = rdr.header().unwrap() else {
            panic!("window {window}: no header");
        };
        assert_eq!(
            (h.bom, h.names.as_slice()),
            (Some(Bom::Utf8), &["time".to_owned(), "host".to_owned()][..]),
            "window {window}"
        );
        let mut rdr = CsvReader::new(&b"\xFF\xFEt\0,\0"[..], &d, opts).unwrap();
        assert!(
            matches!(rdr.header().unwrap(), HeaderOutcome::NotUtf8(_)),
            "window {window}"
        );
    }
}

/// Found by the `csv` fuzz target: a record of exactly the size limit whose
/// `\r` terminator ended the read window was taken for an oversized record
/// (`C007`): the reader cannot tell a lone `\r` from `\r\n` until the next
/// byte arrives.
#[test]
fn a_record_of_exactly_the_limit_ending_a_window_is_read() {
    for ending in [&b"\r"[..], b"\r\n", b"\n"] {
        let mut input = b"ab\n".to_vec();
        input.extend_from_slice(b"xy");
        input.extend_from_slice(ending);
        input.extend_from_slice(b"zw\n");
        let out = read_all_ways_with(&input, &CsvDialect::default(), true, 2);
        for window in 1..6 {
            for threads in [1, 2] {
                let opts = ReadOptions {
                    threads,
                    window_bytes: window,
                    chunk_bytes: 1,
                    read_bytes: 1,
                    max_record_bytes: 2,
                };
                assert_eq!(
                    read_seq(&input, &CsvDialect::default(), opts.clone(), true),
                    out
                );
                assert_eq!(
                    read_run(&input, &CsvDialect::default(), opts, true),
                    out,
                    "{ending:?} window {window}"
                );
            }
        }
        let fields: Vec<Vec<String>> = out.records.iter().map(crate::common::Rec::strs).collect();
        assert_eq!(fields, [["xy"], ["zw"]], "{ending:?}");
        assert!(
            out.records.iter().all(|r| !r.codes().contains(&"C007")),
            "{ending:?}"
        );
    }
}
