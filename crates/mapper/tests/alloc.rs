//! The validation path allocates nothing per row: a counting global
//! allocator watches 10,000 `check_row` calls after warm-up, on the fast
//! path for plain rows and on the general path.
//!
//! One `#[test]` only: the counter is process-wide, so no other test may
//! run beside it.

use std::alloc::System;

use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use tsload_csv::record::{OwnedRecord, Position};
use tsload_mapper::{CheckContext, ChunkChecker, Plan, RowOutcome, TableRetention};
use tsload_model::effective::{CsvDialect, DataModel};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// The data model of the benchmark task (`shared/bench/task.json`).
const BENCH: &str = r#"{"TimeColumn":"time","TimeUnit":"MILLISECONDS",
  "DimensionMappings":[{"SourceColumn":"region"},{"SourceColumn":"az"},{"SourceColumn":"hostname"}],
  "MultiMeasureMappings":{"TargetMultiMeasureName":"metrics","MultiMeasureAttributeMappings":[
    {"SourceColumn":"cpu_utilization","MeasureValueType":"DOUBLE"},
    {"SourceColumn":"memory_utilization","MeasureValueType":"DOUBLE"},
    {"SourceColumn":"requests","MeasureValueType":"BIGINT"},
    {"SourceColumn":"healthy","MeasureValueType":"BOOLEAN"},
    {"SourceColumn":"status","MeasureValueType":"VARCHAR"}]}}"#;
const BENCH_HEADER: &[&str] = &[
    "time",
    "region",
    "az",
    "hostname",
    "cpu_utilization",
    "memory_utilization",
    "requests",
    "healthy",
    "status",
];

const MIXED: &str = r#"{"TimeColumn":"time","DimensionMappings":[{"SourceColumn":"host"}],
  "MeasureNameColumn":"measure_name",
  "MixedMeasureMappings":[
    {"MeasureName":"cpu","SourceColumn":"value","MeasureValueType":"DOUBLE"},
    {"MeasureName":"metrics","MeasureValueType":"MULTI",
     "MultiMeasureAttributeMappings":[{"SourceColumn":"value","TargetMultiMeasureAttributeName":"v","MeasureValueType":"DOUBLE"},
                                      {"SourceColumn":"ts2","MeasureValueType":"TIMESTAMP"}]}]}"#;
const MIXED_HEADER: &[&str] = &["time", "host", "measure_name", "value", "ts2"];

const REF_NS: i64 = 1_700_000_000_000_000_000;

fn plan(json: &str, header: &[&str], ctx: &CheckContext) -> Plan {
    let wire = serde_json::from_str(json).unwrap();
    let model = DataModel::from_wire(&wire).unwrap();
    let dialect = CsvDialect {
        null_value: Some("NULL".into()),
        ..CsvDialect::default()
    };
    Plan::compile(&model, &dialect, header, ctx).unwrap()
}

fn bench_rows(n: usize, bad: bool) -> Vec<OwnedRecord> {
    (0..n)
        .map(|i| {
            let time = (1_699_999_000_000 + i as u64).to_string();
            let host = format!("host-{:04}", i % 500);
            let cpu = format!("{}.{}", i % 100, i % 7);
            let req = (i * 37 % 10_000).to_string();
            let fields: [&str; 9] = [
                if bad && i % 11 == 0 {
                    "2023-11-14T22:13:20Z"
                } else {
                    &time
                },
                "us-east-1",
                if i % 13 == 0 { "NULL" } else { "use1-az1" }, // null dimension: R020
                &host,
                if bad && i % 5 == 0 { "n/a" } else { &cpu },
                if i % 3 == 0 { "" } else { "41.25" },
                if bad && i % 7 == 0 { "12.5" } else { &req },
                if i % 17 == 0 { "TRUE" } else { "true" }, // R015 warning
                if i % 19 == 0 { "degraded, slow" } else { "ok" },
            ];
            let mut r = OwnedRecord::from_fields(&fields);
            r.position = Position {
                byte: i as u64 * 90,
                line: i as u64,
                record: i as u64,
            };
            r
        })
        .collect()
}

fn mixed_rows(n: usize) -> Vec<OwnedRecord> {
    (0..n)
        .map(|i| {
            let time = (1_699_999_000_000 + i as u64).to_string();
            let fields: [&str; 5] = if i % 2 == 0 {
                [&time, "h1", "cpu", "0.5", ""]
            } else {
                [&time, "h2", "metrics", "0.25", "1699999000000"]
            };
            let mut r = OwnedRecord::from_fields(&fields);
            r.position.line = i as u64;
            r
        })
        .collect()
}

/// Checks `rows` twice in one chunk (a warm-up pass that fills the
/// findings and line-range caps, then the measured pass) and returns the
/// allocations of the measured pass. The rows are marked as checked for
/// UTF-8, as the reader marks its records, so that plain rows take the
/// fast path; `general_only` keeps every row on the general path.
fn measure(plan: &Plan, rows: &[OwnedRecord], general_only: bool) -> (usize, usize, u64) {
    let mut checker = ChunkChecker::with_capacity(plan, 2 * rows.len());
    if general_only {
        checker = checker.general_only();
    }
    let check = |c: &mut ChunkChecker<'_>, r: &OwnedRecord| {
        c.check_row(&r.as_record().with_utf8_checked(true))
    };
    for r in rows {
        check(&mut checker, r);
    }
    let region = Region::new(GLOBAL);
    let mut ingested = 0u64;
    for r in rows {
        if let RowOutcome::Records { ingested: n, .. } = check(&mut checker, r) {
            ingested += u64::from(n);
        }
    }
    let stats = region.change();
    assert_eq!(checker.outcome().rows(), 2 * rows.len() as u64);
    if general_only {
        assert_eq!(checker.plain_rows(), 0);
    }
    (stats.allocations, stats.reallocations, ingested)
}

#[test]
fn check_row_allocates_nothing_per_row() {
    let ctx = CheckContext {
        reference_time_ns: REF_NS,
        table: Some(TableRetention::default()),
        max_findings: 50,
        max_line_ranges: 50,
        ..CheckContext::default()
    };

    // Good rows (with null dimensions, null measures and upper-case
    // booleans, whose warnings stop being stored once the cap is reached).
    let p = plan(BENCH, BENCH_HEADER, &ctx);
    for general in [false, true] {
        let rows = bench_rows(10_000, false);
        let (allocs, reallocs, ingested) = measure(&p, &rows, general);
        assert_eq!(ingested, 10_000);
        assert_eq!(
            (allocs, reallocs),
            (0, 0),
            "good rows allocated (general path only: {general})"
        );

        // Failing rows, past the findings and line-range caps.
        let rows = bench_rows(10_000, true);
        let (allocs, reallocs, ingested) = measure(&p, &rows, general);
        assert!(ingested < 10_000);
        assert_eq!(
            (allocs, reallocs),
            (0, 0),
            "failing rows past the caps allocated (general path only: {general})"
        );
    }
    // The good rows without a null measure (every 3rd), a null dimension
    // (13th) or an upper-case boolean (17th) are plain: the fast path was
    // measured above.
    let mut c = ChunkChecker::new(&p);
    for r in &bench_rows(1_000, false) {
        c.check_row(&r.as_record().with_utf8_checked(true));
    }
    let plain = (0..1_000u64)
        .filter(|i| i % 3 != 0 && i % 13 != 0 && i % 17 != 0)
        .count() as u64;
    assert_eq!(c.plain_rows(), plain);

    // MixedMeasureMappings selected by MeasureNameColumn (no fast path).
    let p = plan(MIXED, MIXED_HEADER, &ctx);
    let rows = mixed_rows(10_000);
    let (allocs, reallocs, ingested) = measure(&p, &rows, false);
    assert_eq!(ingested, 10_000);
    assert_eq!((allocs, reallocs), (0, 0), "mixed rows allocated");

    // The counter does count: building records allocates.
    let rows = mixed_rows(10);
    let mut checker = ChunkChecker::new(&p);
    let mut out = Vec::new();
    let region = Region::new(GLOBAL);
    for r in &rows {
        checker.check_and_build(&r.as_record(), &mut out);
    }
    assert!(region.change().allocations > 10);
    assert_eq!(out.len(), 10);
}
