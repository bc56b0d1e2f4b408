//! The mapper on arbitrary headers and rows: the first byte picks one of
//! the shipped scenarios' data models (and its CSV dialect) and the check
//! context; the rest is CSV, read by the real reader, compiled into a
//! `Plan` and checked row by row.
//!
//! Oracles besides "no panic": `check_row` and `check_and_build` agree on
//! every row; the fast path for plain rows gives what the general path
//! gives (row outcomes and the whole chunk outcome); `Plan::build_records` builds the same records; records are
//! built exactly for the records counted as ingested; every record survives a
//! JSON round trip (the `--emit` shape); merging the chunk renders every
//! finding.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tsload_csv::{CsvReader, HeaderOutcome, Position, ReadOptions};
use tsload_mapper::{
    CheckContext, ChunkChecker, Duplicates, FileMerger, Plan, RowOutcome, TableRetention,
    WriteRecord,
};
use tsload_model::effective::{CsvDialect, DataModel};

/// The shipped scenarios (`fixtures/valid/*`), whose data files seed the
/// corpus (`fuzz/seed.sh` prefixes each with its index).
const MODELS: &[&str] = &[
    include_str!("../../fixtures/valid/multi-measure-hosts/task.json"),
    include_str!("../../fixtures/valid/crlf-no-final-newline/model.json"),
    include_str!("../../fixtures/valid/empty-measures/task.json"),
    include_str!("../../fixtures/valid/mixed-measures/model.json"),
    include_str!("../../fixtures/valid/tab-separated-nulls/task.json"),
];

fn models() -> &'static [(DataModel, CsvDialect, i64)] {
    static M: OnceLock<Vec<(DataModel, CsvDialect, i64)>> = OnceLock::new();
    M.get_or_init(|| {
        MODELS
            .iter()
            .map(|text| {
                let l = tsload_model::load(text, "model.json").expect("fixture loads");
                let csv = l
                    .request
                    .data_source_configuration
                    .as_ref()
                    .and_then(|d| d.csv_configuration.as_ref());
                (
                    DataModel::from_wire(l.data_model().expect("fixture has a model"))
                        .expect("fixture converts"),
                    CsvDialect::from_wire(csv).expect("fixture dialect"),
                    l.request.record_version.unwrap_or(1),
                )
            })
            .collect()
    })
}

fuzz_target!(|input: &[u8]| {
    let Some((&pick, csv)) = input.split_first() else {
        return;
    };
    let (model, dialect, version) = &models()[usize::from(pick & 7) % MODELS.len()];
    let ctx = CheckContext {
        // 2024-05-07T00:00:00Z; the scenarios' rows are from days before.
        reference_time_ns: 1_715_040_000_000_000_000,
        table: (pick & 8 != 0).then_some(TableRetention {
            memory_store_retention_hours: 24,
            magnetic_store_retention_days: 30,
            magnetic_store_writes: pick & 16 != 0,
        }),
        max_findings: if pick & 32 != 0 { 2 } else { 1000 },
        record_version: *version,
        ..CheckContext::default()
    };
    let opts = ReadOptions {
        threads: 1,
        ..ReadOptions::default()
    };
    let mut rdr = CsvReader::new(csv, dialect, opts).expect("fixture dialects are readable");
    let Ok(HeaderOutcome::Header(header)) = rdr.header() else {
        return;
    };
    let Ok(plan) = Plan::compile(model, dialect, &header.names, &ctx) else {
        return;
    };
    let mut only_check = ChunkChecker::new(&plan);
    let mut general = ChunkChecker::new(&plan).general_only();
    let mut build = ChunkChecker::new(&plan);
    let mut records: Vec<WriteRecord> = Vec::new();
    let mut one: Vec<WriteRecord> = Vec::new();
    while let Ok(Some(rec)) = rdr.read_record() {
        let before = records.len();
        let a = only_check.check_row(&rec);
        assert_eq!(
            a,
            general.check_row(&rec),
            "fast and general paths disagree"
        );
        let b = build.check_and_build(&rec, &mut records);
        assert_eq!(a, b, "check_row and check_and_build disagree");
        one.clear();
        let c = plan.build_records(&rec, &mut one);
        assert_eq!(a, c, "Plan::build_records disagrees");
        assert_eq!(
            &records[before..],
            &one[..],
            "Plan::build_records builds other records"
        );
        match a {
            RowOutcome::ParseFailure => {
                assert_eq!(records.len(), before, "records of a failed row")
            }
            // Records the service would reject are counted, not written.
            RowOutcome::Records { ingested, .. } => assert_eq!(
                (records.len() - before) as u32,
                ingested,
                "records built vs counted"
            ),
        }
    }
    for r in &records {
        let text = serde_json::to_string(r).expect("records serialise");
        let back: WriteRecord = serde_json::from_str(&text).expect("records read back");
        assert_eq!(&back, r, "JSON round trip");
    }
    let mut dups = Duplicates::default();
    let mut merger = FileMerger::new(&plan, "fuzz.csv", &mut dups);
    let outcome = only_check.finish();
    assert_eq!(
        format!("{outcome:?}"),
        format!("{:?}", general.finish()),
        "fast and general paths give other chunk outcomes"
    );
    merger.push(outcome, Position::default());
    let a = merger.finish(csv.len() as u64);
    let mut dups = Duplicates::default();
    let mut merger = FileMerger::new(&plan, "fuzz.csv", &mut dups);
    merger.push(build.finish(), Position::default());
    let b = merger.finish(csv.len() as u64);
    assert_eq!(a.counters, b.counters, "counters differ with building");
    assert_eq!(
        a.diagnostics, b.diagnostics,
        "findings differ with building"
    );
});
