//! Differential test against the `csv` crate, the semantic reference.
//!
//! Each case draws a dialect (separator, quote, escape, trim) and a short
//! input over an alphabet rich in structural bytes (separators, both quote
//! characters, the escape, `\n`, `\r`, spaces, a two-byte UTF-8 letter), then
//! checks that our reader yields the same records, field for field, as
//! `csv::ReaderBuilder` configured from the dialect (`has_headers(false)`,
//! `flexible(true)`, `double_quote(true)`, `Trim::All` when trimming), and
//! the same positions (record index; byte offset after skipped blank lines;
//! line, when the input has no `\r`). Each input is read under every
//! option set of [`crate::common::option_sets`]: the defaults, tiny reads
//! and windows, and the parallel driver with tiny chunks, from the stream
//! and by offset.
//!
//! CI runs 100,000 cases (`CASES`) from proptest's default seeding (the
//! failure persistence file `proptest-regressions/` pins found failures).
//! Run more with `PROPTEST_CASES=1000000 cargo test -p tsload-csv --release
//! differential`; a failure prints the minimal input and dialect.

use proptest::prelude::*;
use tsload_csv::ReadOptions;
use tsload_model::effective::CsvDialect;

use crate::common::{Out, read_run, read_run_at, read_seq};

/// Cases in CI.
const CASES: u32 = 100_000;

fn dialect() -> impl Strategy<Value = CsvDialect> {
    (
        prop::sample::select(vec![b',', b'|', b';', b'\t', b' ', b'x']),
        prop::sample::select(vec![b'"', b'\'']),
        0..3u8,
        any::<bool>(),
    )
        .prop_map(|(separator, quote, esc, trim)| CsvDialect {
            separator,
            quote,
            escape: match esc {
                0 => None,
                1 => Some(b'\\'),
                _ => Some(quote),
            },
            null_value: None,
            trim,
        })
}

fn input() -> impl Strategy<Value = Vec<u8>> {
    let atoms: Vec<&'static [u8]> = vec![
        b",",
        b",",
        b"|",
        b";",
        b"\t",
        b" ",
        b" ",
        b"x",
        b"\"",
        b"\"",
        b"'",
        b"\\",
        b"\n",
        b"\n",
        b"\r",
        b"\r\n",
        b"a",
        b"b",
        b"1",
        "é".as_bytes(),
        b"\"\"",
    ];
    prop::collection::vec(prop::sample::select(atoms), 0..40).prop_map(|v| v.concat())
}

struct Reference {
    records: Vec<(Vec<Vec<u8>>, csv::Position)>,
}

fn reference(input: &[u8], d: &CsvDialect) -> Reference {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(d.separator)
        .quote(d.quote)
        .escape(d.escape)
        .double_quote(true)
        .trim(if d.trim {
            csv::Trim::All
        } else {
            csv::Trim::None
        })
        .from_reader(input);
    let mut records = Vec::new();
    let mut rec = csv::ByteRecord::new();
    while rdr
        .read_byte_record(&mut rec)
        .expect("byte records never fail")
    {
        let fields = rec.iter().map(<[u8]>::to_vec).collect();
        records.push((fields, rec.position().unwrap().clone()));
    }
    Reference { records }
}

fn check(input: &[u8], d: &CsvDialect, out: &Out, label: &str) -> Result<(), TestCaseError> {
    let want = reference(input, d);
    let got: Vec<_> = out.records.iter().map(|r| r.fields.clone()).collect();
    let want_fields: Vec<_> = want.records.iter().map(|r| r.0.clone()).collect();
    prop_assert_eq!(&got, &want_fields, "{}: fields differ", label);
    let has_cr = input.contains(&b'\r');
    for (r, (_, p)) in out.records.iter().zip(&want.records) {
        prop_assert_eq!(r.pos.record, p.record(), "{}: record index", label);
        // csv stamps the position before skipping blank lines.
        let mut byte = p.byte() as usize;
        while matches!(input.get(byte), Some(b'\n' | b'\r')) {
            byte += 1;
        }
        prop_assert_eq!(r.pos.byte, byte as u64, "{}: byte offset", label);
        if !has_cr {
            let line = 1 + memchr::memchr_iter(b'\n', &input[..byte]).count() as u64;
            prop_assert_eq!(r.pos.line, line, "{}: line", label);
        }
    }
    prop_assert_eq!(out.bytes, input.len() as u64, "{}: bytes consumed", label);
    // The inputs are valid UTF-8 (`é` is cut by tiny windows): no false
    // encoding findings.
    for r in &out.records {
        prop_assert!(
            !r.codes().contains(&"C003"),
            "{}: false C003 in {:?}",
            label,
            r
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(CASES),
        max_shrink_iters: 10_000,
        ..ProptestConfig::default()
    })]

    #[test]
    fn agrees_with_the_csv_crate(d in dialect(), input in input()) {
        check(&input, &d, &read_seq(&input, &d, ReadOptions { threads: 1, ..ReadOptions::default() }, false), "seq")?;
        check(&input, &d, &read_seq(&input, &d, ReadOptions::tiny(1), false), "seq-tiny")?;
        check(&input, &d, &read_run(&input, &d, ReadOptions::tiny(2), false), "run-2-tiny")?;
        check(&input, &d, &read_run_at(&input, &d, ReadOptions::tiny(2), false), "run-at-2-tiny")?;
    }
}
