//! Parallel and sequential reading agree, also when quoted newlines, quoted
//! separators, doubled quotes and escape characters fall on chunk
//! boundaries: files of many records, tiny chunks, several threads.

use proptest::prelude::*;
use tsload_csv::ReadOptions;
use tsload_model::effective::CsvDialect;

use crate::common::{read_run, read_seq};

/// A field that stresses chunking: quoted with newlines, separators,
/// doubled quotes or escapes, or plain.
fn field(d: &CsvDialect) -> impl Strategy<Value = Vec<u8>> + use<> {
    let (sep, q) = (d.separator, d.quote);
    let esc = d.escape;
    prop_oneof![
        4 => "[a-z0-9.]{0,6}".prop_map(String::into_bytes),
        1 => "[a-z\n\r ,;|]{0,12}".prop_map(move |s| {
            let mut v = vec![q];
            v.extend(s.bytes().map(|b| if b == b',' { sep } else { b }));
            v.push(q);
            v
        }),
        1 => "[a-z]{0,3}".prop_map(move |s| {
            let mut v = vec![q];
            v.extend_from_slice(s.as_bytes());
            match esc {
                Some(e) => v.extend_from_slice(&[e, q, b'\n', e, e]),
                None => v.extend_from_slice(&[q, q, b'\n']),
            }
            v.push(q);
            v
        }),
    ]
}

fn file() -> impl Strategy<Value = (CsvDialect, Vec<u8>)> {
    (
        prop::sample::select(vec![b',', b';', b'\t', b'|']),
        prop::sample::select(vec![b'"', b'\'']),
        prop::option::of(Just(b'\\')),
        any::<bool>(),
    )
        .prop_flat_map(|(separator, quote, escape, crlf)| {
            let d = CsvDialect {
                separator,
                quote,
                escape,
                null_value: None,
                trim: false,
            };
            let record = prop::collection::vec(field(&d), 3);
            let term: &'static [u8] = if crlf { b"\r\n" } else { b"\n" };
            (Just(d), prop::collection::vec(record, 1..60)).prop_map(move |(d, recs)| {
                let mut out = Vec::new();
                for r in recs {
                    out.extend_from_slice(&r.join(&d.separator));
                    out.extend_from_slice(term);
                }
                (d, out)
            })
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn parallel_equals_sequential((d, input) in file(), chunk in 1usize..64, threads in 2usize..5) {
        let seq = read_seq(&input, &d, ReadOptions { threads: 1, ..ReadOptions::default() }, true);
        let opts = ReadOptions { threads, window_bytes: 512, chunk_bytes: chunk, read_bytes: 37, ..ReadOptions::default() };
        let par = read_run(&input, &d, opts, true);
        prop_assert_eq!(&seq, &par);
        prop_assert_eq!(seq.bytes, input.len() as u64);
    }
}

#[test]
fn speculation_is_verified_in_a_file_of_multiline_fields() {
    // Every chunk start lands inside a quoted field whose lines look like
    // records: all speculative starts are wrong and must be re-parsed.
    let mut input = b"a,b\n".to_vec();
    for i in 0..200 {
        input.extend_from_slice(format!("{i},\"x\ny,z\nw,v\nu,t\"\n").as_bytes());
    }
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
    for chunk in [3, 8, 13, 64] {
        let opts = ReadOptions {
            threads: 3,
            window_bytes: 1024,
            chunk_bytes: chunk,
            read_bytes: 100,
            ..ReadOptions::default()
        };
        assert_eq!(read_run(&input, &d, opts, true), seq, "chunk {chunk}");
    }
    assert_eq!(seq.records.len(), 200);
    assert_eq!(seq.records[199].pos.line, 2 + 199 * 4);
}
