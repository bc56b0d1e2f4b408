//! Row-level tests: one or more per rule, the three mapping shapes, merging.
#![allow(clippy::many_single_char_names)]

use std::sync::Arc;

use tsload_csv::record::{FieldSpan, Issue, OwnedRecord, Position, Record};
use tsload_model::diag::{Diagnostic, Evidence, Location, Rule, Severity};
use tsload_model::effective::{CsvDialect, DataModel};
use tsload_model::wire;

use crate::rules as r;
use crate::*;

/// 2023-11-14T22:13:20Z.
pub(crate) const REF_NS: i64 = 1_700_000_000_000_000_000;
/// A good time in ms, one minute before the reference.
pub(crate) const T: &str = "1699999940000";

pub(crate) fn model(json: &str) -> DataModel {
    let w: wire::DataModel = serde_json::from_str(json).unwrap();
    DataModel::from_wire(&w).unwrap()
}

pub(crate) fn ctx() -> CheckContext {
    CheckContext {
        reference_time_ns: REF_NS,
        ..CheckContext::default()
    }
}

pub(crate) const MULTI: &str = r#"{"TimeColumn":"time","DimensionMappings":[{"SourceColumn":"host"},{"SourceColumn":"az"}],
  "MultiMeasureMappings":{"TargetMultiMeasureName":"metrics","MultiMeasureAttributeMappings":[
    {"SourceColumn":"cpu","MeasureValueType":"DOUBLE"},
    {"SourceColumn":"req","MeasureValueType":"BIGINT"},
    {"SourceColumn":"ok","MeasureValueType":"BOOLEAN"},
    {"SourceColumn":"status","MeasureValueType":"VARCHAR"},
    {"SourceColumn":"seen","MeasureValueType":"TIMESTAMP"}]}}"#;
pub(crate) const MULTI_HEADER: &[&str] =
    &["time", "host", "az", "cpu", "req", "ok", "status", "seen"];

/// Fixture D of the spec, plus a BIGINT scalar.
pub(crate) const MIXED_BY_NAME: &str = r#"{"TimeColumn":"time","DimensionMappings":[{"SourceColumn":"host"}],
  "MeasureNameColumn":"measure_name",
  "MixedMeasureMappings":[
    {"MeasureName":"cpu","SourceColumn":"value","MeasureValueType":"DOUBLE"},
    {"MeasureName":"count","SourceColumn":"n","MeasureValueType":"BIGINT"},
    {"MeasureName":"metrics","MeasureValueType":"MULTI","TargetMeasureName":"metrics",
     "MultiMeasureAttributeMappings":[{"SourceColumn":"value","TargetMultiMeasureAttributeName":"v","MeasureValueType":"DOUBLE"},
                                      {"SourceColumn":"ts2","MeasureValueType":"TIMESTAMP"}]}]}"#;
pub(crate) const MIXED_HEADER: &[&str] = &["time", "host", "measure_name", "value", "n", "ts2"];

pub(crate) const MIXED_ALL: &str = r#"{"TimeColumn":"time","DimensionMappings":[{"SourceColumn":"host"}],
  "MixedMeasureMappings":[
    {"SourceColumn":"cpu","MeasureValueType":"DOUBLE"},
    {"SourceColumn":"mem","TargetMeasureName":"memory","MeasureValueType":"DOUBLE"},
    {"MeasureValueType":"MULTI","TargetMeasureName":"net",
     "MultiMeasureAttributeMappings":[{"SourceColumn":"rx","MeasureValueType":"BIGINT"},{"SourceColumn":"tx","MeasureValueType":"BIGINT"}]}]}"#;
pub(crate) const MIXED_ALL_HEADER: &[&str] = &["time", "host", "cpu", "mem", "rx", "tx"];

pub(crate) struct H {
    pub(crate) plan: Plan,
}

pub(crate) fn rows(fields: &[&[&str]]) -> Vec<OwnedRecord> {
    fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let mut r = OwnedRecord::from_fields(f);
            r.position = Position {
                byte: 100 * i as u64,
                line: 2 + i as u64,
                record: 1 + i as u64,
            };
            r
        })
        .collect()
}

impl H {
    pub(crate) fn new(json: &str, header: &[&str]) -> Self {
        Self::with(json, header, &ctx(), &CsvDialect::default())
    }

    pub(crate) fn with(json: &str, header: &[&str], ctx: &CheckContext, d: &CsvDialect) -> Self {
        Self {
            plan: Plan::compile(&model(json), d, header, ctx).unwrap(),
        }
    }

    /// Checks rows as one chunk and merges them.
    pub(crate) fn run(&self, fields: &[&[&str]]) -> FileResult {
        self.run_records(&rows(fields))
    }

    pub(crate) fn run_records(&self, recs: &[OwnedRecord]) -> FileResult {
        let mut c = ChunkChecker::new(&self.plan);
        for r in recs {
            c.check_row(&r.as_record());
        }
        // Rows of these tests share keys on purpose; duplicates have their
        // own tests.
        let mut dups = Duplicates::new(0);
        let mut m = FileMerger::new(&self.plan, "data.csv", &mut dups);
        m.push(c.finish(), Position::default());
        m.finish(1000)
    }

    pub(crate) fn build(&self, fields: &[&[&str]]) -> Vec<WriteRecord> {
        let mut out = Vec::new();
        let mut c = ChunkChecker::new(&self.plan);
        for r in rows(fields) {
            c.check_and_build(&r.as_record(), &mut out);
        }
        out
    }

    pub(crate) fn one(&self, row: &[&str]) -> RowOutcome {
        let r = OwnedRecord::from_fields(row);
        ChunkChecker::new(&self.plan).check_row(&r.as_record())
    }
}

fn codes(res: &FileResult) -> Vec<&'static str> {
    res.diagnostics.iter().map(|d| d.rule.code).collect()
}

fn only(res: &FileResult, code: &str) -> Diagnostic {
    let found: Vec<_> = res
        .diagnostics
        .iter()
        .filter(|d| d.rule.code == code)
        .collect();
    assert_eq!(found.len(), 1, "{code} in {:?}", codes(res));
    found[0].clone()
}

fn multi_row<'a>(over: &[(usize, &'a str)]) -> Vec<&'a str> {
    let mut v = vec![
        T,
        "web-1",
        "use1-az1",
        "0.5",
        "12",
        "true",
        "up",
        "1700000000",
    ];
    for (i, s) in over {
        v[*i] = s;
    }
    v
}

const PARSE: RowOutcome = RowOutcome::ParseFailure;
const OK1: RowOutcome = RowOutcome::Records {
    ingested: 1,
    failed: 0,
};
const FAIL1: RowOutcome = RowOutcome::Records {
    ingested: 0,
    failed: 1,
};

#[test]
fn a_good_multi_row_is_one_record() {
    let h = H::new(MULTI, MULTI_HEADER);
    assert_eq!(h.one(&multi_row(&[])), OK1);
    let res = h.run(&[&multi_row(&[])]);
    assert!(res.diagnostics.is_empty(), "{:?}", res.diagnostics);
    assert_eq!(
        res.counters,
        Counters {
            records_processed: 1,
            records_ingested: 1,
            bytes_metered: 1024,
            ..Counters::default()
        }
    );
    // 8 time + host 4+5 + az 2+8 + metrics 7 + cpu 3+8 + req 3+8 + ok 2+1
    // + status 6+2 + seen 4+8.
    assert_eq!(res.record_bytes, 8 + 9 + 10 + 7 + 11 + 11 + 3 + 8 + 12);
}

#[test]
fn r001_time_null_or_empty() {
    let dialect = CsvDialect {
        null_value: Some("NULL".into()),
        ..CsvDialect::default()
    };
    let h = H::with(MULTI, MULTI_HEADER, &ctx(), &dialect);
    assert_eq!(h.one(&multi_row(&[(0, "")])), PARSE);
    let res = h.run(&[&multi_row(&[(0, "")]), &multi_row(&[(0, "NULL")])]);
    assert_eq!(res.counters.parse_failures, 2);
    assert_eq!(res.count(&r::TIME_NULL), 2);
    assert_eq!(
        res.diagnostics[0].message,
        "time column `time` (#1) is empty"
    );
    assert_eq!(
        res.diagnostics[1].message,
        "time column `time` (#1) is null (`NullValue` `NULL`)"
    );
}

#[test]
fn r002_time_not_an_epoch_integer() {
    let h = H::new(MULTI, MULTI_HEADER);
    // Not an integer: documented. An integer with a sign or spaces: the
    // conservative profile's guess, so a rule of its own marked inferred.
    for (v, phrase, code) in [
        (
            "2023-11-14T22:13:20Z",
            "looks like a formatted date",
            "R002",
        ),
        ("1699401050.0", "fractional part", "R002"),
        ("-1.5", "negative", "R002"),
        ("-5", "negative", "R008"),
        ("+1699999940000", "has a sign", "R008"),
        (" 1699999940000", "space", "R008"),
        ("abc", "not a number", "R002"),
    ] {
        let res = h.run(&[&multi_row(&[(0, v)])]);
        assert_eq!(res.counters.parse_failures, 1, "{v}");
        let d = only(&res, code);
        let inferred = code == "R008";
        assert_eq!(d.rule.evidence == Evidence::Inf, inferred, "{v}");
        assert!(d.message.contains(phrase), "{v}: {}", d.message);
        assert_eq!(d.value.as_deref(), Some(v));
        assert!(matches!(
            d.location,
            Location::Data {
                line: 2,
                field: Some(0),
                ..
            }
        ));
    }
    let d = only(
        &h.run(&[&multi_row(&[(0, "2023-11-14T22:13:20Z")])]),
        "R002",
    );
    assert_eq!(
        d.message,
        "time column `time` (#1): expected an epoch integer in MILLISECONDS, found `2023-11-14T22:13:20Z`: it looks like a formatted date"
    );
}

#[test]
fn r003_time_overflows_after_scaling() {
    let secs = MULTI.replace(
        r#""TimeColumn":"time","#,
        r#""TimeColumn":"time","TimeUnit":"SECONDS","#,
    );
    let h = H::new(&secs, MULTI_HEADER);
    let res = h.run(&[&multi_row(&[(0, "9223372037")])]);
    assert_eq!(res.counters.parse_failures, 1);
    only(&res, "R003");
    // The same value in ms is fine as a number (and then in the past).
    let h = H::new(MULTI, MULTI_HEADER);
    assert_eq!(
        h.run(&[&multi_row(&[(0, "9223372037")])])
            .count(&r::TIME_OVERFLOW),
        0
    );
}

/// Time 0 is 1970-01-01, in the range Timestream stores [DOC]: a warning
/// (likely a missing value), and a failure only where the window says so.
#[test]
fn r004_time_zero_is_a_warning_the_window_decides() {
    let row = multi_row(&[(0, "000")]);
    // The table's window unknown: only the range and the future are checked.
    let h = H::new(MULTI, MULTI_HEADER);
    assert_eq!(h.one(&row), OK1);
    let res = h.run(&[&row]);
    assert_eq!(codes(&res), ["R004"]);
    assert_eq!(res.diagnostics[0].rule.severity, Severity::Warning);
    assert_eq!(res.counters.records_ingested, 1);
    // The table's defaults: 6 hours in memory, 73000 days on magnetic.
    let with_table = |magnetic_store_writes| {
        let table = TableRetention {
            magnetic_store_writes,
            ..TableRetention::default()
        };
        let ctx = CheckContext {
            table: Some(table),
            ..ctx()
        };
        H::with(MULTI, MULTI_HEADER, &ctx, &CsvDialect::default())
    };
    // A 200-year magnetic window (from 2023) starts before 1970 too.
    assert_eq!(with_table(true).one(&row), OK1);
    // The memory store's 6 hours do not reach back to 1970.
    let h = with_table(false);
    let res = h.run(&[&row]);
    assert_eq!(codes(&res), ["R004", "R006"]);
    assert_eq!(res.counters.record_ingestion_failures, 1);
    assert_eq!(res.errors[0].reason, r::WINDOW_REASON);
}

#[test]
fn r005_time_more_than_15_minutes_ahead() {
    let h = H::new(MULTI, MULTI_HEADER);
    // 15:00 ahead is fine ("no later than" [DOC]), a millisecond more is
    // not.
    assert_eq!(h.one(&multi_row(&[(0, "1700000900000")])), OK1);
    assert_eq!(h.one(&multi_row(&[(0, "1700000900001")])), FAIL1);
    let d = only(&h.run(&[&multi_row(&[(0, "1700000900001")])]), "R005");
    assert_eq!(
        d.message,
        "time `1700000900001` (2023-11-14T22:28:20.001Z) is more than 15 minutes after the reference time 2023-11-14T22:13:20Z"
    );
    assert_eq!(d.rule.evidence, Evidence::Doc);
}

#[test]
fn r006_window_with_table_retention() {
    // Memory store 6 h, magnetic writes off: 7 h ago fails.
    let c = CheckContext {
        table: Some(TableRetention::default()),
        ..ctx()
    };
    let h = H::with(MULTI, MULTI_HEADER, &c, &CsvDialect::default());
    let seven_h_ago = (1_700_000_000_000i64 - 7 * 3_600_000).to_string();
    let five_h_ago = (1_700_000_000_000i64 - 5 * 3_600_000).to_string();
    let res = h.run(&[
        &multi_row(&[(0, &seven_h_ago)]),
        &multi_row(&[(0, &five_h_ago)]),
    ]);
    assert!(res.window_checked());
    assert_eq!(res.counters.record_ingestion_failures, 1);
    assert_eq!(res.counters.records_ingested, 1);
    let d = only(&res, "R006");
    assert_eq!(
        d.message,
        "time `1699974800000` (2023-11-14T15:13:20Z) is before the ingestion window starting 2023-11-14T16:13:20Z (reference time 2023-11-14T22:13:20Z minus the memory-store retention of 6 hours, magnetic-store writes being off)"
    );
    assert!(d.hint.unwrap().contains("enable magnetic store writes"));
    assert_eq!(
        res.errors,
        vec![ReasonLines {
            reason: r::WINDOW_REASON,
            line_ranges: vec![[2, 2]],
            truncated: false
        }]
    );
    // Magnetic writes on: the magnetic retention applies.
    let c = CheckContext {
        table: Some(TableRetention {
            magnetic_store_writes: true,
            magnetic_store_retention_days: 1,
            ..TableRetention::default()
        }),
        ..ctx()
    };
    let h = H::with(MULTI, MULTI_HEADER, &c, &CsvDialect::default());
    assert_eq!(h.one(&multi_row(&[(0, &seven_h_ago)])), OK1);
    let two_days = (1_700_000_000_000i64 - 48 * 3_600_000).to_string();
    assert_eq!(h.one(&multi_row(&[(0, &two_days)])), FAIL1);
    // Without table settings, old times pass and the result says so.
    let h = H::new(MULTI, MULTI_HEADER);
    let res = h.run(&[&multi_row(&[(0, "1000")])]);
    assert_eq!(res.counters.records_ingested, 1);
    assert!(!res.window_checked());
}

#[test]
fn r006_hint_suggests_the_unit_when_digits_say_so() {
    let c = CheckContext {
        table: Some(TableRetention::default()),
        ..ctx()
    };
    let h = H::with(MULTI, MULTI_HEADER, &c, &CsvDialect::default());
    let d = only(&h.run(&[&multi_row(&[(0, "1699999940")])]), "R006");
    assert!(d.hint.unwrap().contains("typical of SECONDS"));
}

#[test]
fn timestamp_attributes_are_not_bound_by_the_window() {
    let c = CheckContext {
        table: Some(TableRetention::default()),
        ..ctx()
    };
    let h = H::with(MULTI, MULTI_HEADER, &c, &CsvDialect::default());
    assert_eq!(h.one(&multi_row(&[(7, "0")])), OK1);
    assert_eq!(h.one(&multi_row(&[(7, "9000000000000")])), OK1);
}

#[test]
fn r007_time_unit_heuristic() {
    let h = H::new(MULTI, MULTI_HEADER);
    let rows_s: Vec<Vec<&str>> = (0..4).map(|_| multi_row(&[(0, "1699999940")])).collect();
    let refs: Vec<&[&str]> = rows_s.iter().map(Vec::as_slice).collect();
    let res = h.run(&refs);
    let d = only(&res, "R007");
    assert_eq!(
        d.message,
        "100% of the values of time column `time` (#1) have 10 digits, typical of SECONDS; read as MILLISECONDS (the data model's `TimeUnit`), `1699999940` is 1970-01-20T16:13:19.940Z, read as SECONDS it is 2023-11-14T22:12:20Z"
    );
    assert_eq!(
        d.hint.as_deref(),
        Some("set `\"TimeUnit\": \"SECONDS\"` if the values are in seconds")
    );
    // Matching data: no warning.
    assert_eq!(h.run(&[&multi_row(&[])]).count(&r::TIME_UNIT_SUSPECT), 0);
}

#[test]
fn r010_r011_double() {
    let h = H::new(MULTI, MULTI_HEADER);
    let res = h.run(&[
        &multi_row(&[(3, "n/a")]),
        &multi_row(&[(3, "NaN")]),
        &multi_row(&[(3, "1e400")]),
        &multi_row(&[(3, "1,5")]),
        &multi_row(&[(3, ".5")]),
    ]);
    assert_eq!(res.counters.parse_failures, 4);
    assert_eq!(res.counters.records_ingested, 1);
    assert_eq!(codes(&res), ["R010", "R011", "R011", "R010"]);
    assert_eq!(
        res.diagnostics[0].message,
        "column `cpu` (#4), attribute `cpu` of record `metrics`: expected DOUBLE, found `n/a`: it is not a number"
    );
    assert!(res.diagnostics[1].hint.as_deref().unwrap().contains("NaN"));
    assert_eq!(
        res.diagnostics[3].hint.as_deref(),
        Some("use a decimal point, not a comma")
    );
    assert_eq!(
        res.errors[0].reason,
        "A measure value cannot be converted to DOUBLE."
    );
    assert_eq!(res.errors[0].line_ranges, vec![[2, 5]]);
}

#[test]
fn r012_r013_bigint() {
    let h = H::new(MULTI, MULTI_HEADER);
    let res = h.run(&[
        &multi_row(&[(4, "12.5")]),
        &multi_row(&[(4, "1e3")]),
        &multi_row(&[(4, "9223372036854775808")]),
        &multi_row(&[(4, "-9223372036854775808")]),
        &multi_row(&[(4, "+7")]),
    ]);
    assert_eq!(codes(&res), ["R012", "R012", "R013"]);
    assert_eq!(res.counters.records_ingested, 2);
    assert!(
        res.diagnostics[0]
            .hint
            .as_deref()
            .unwrap()
            .contains("whole numbers")
    );
}

#[test]
fn r014_r015_boolean() {
    let h = H::new(MULTI, MULTI_HEADER);
    let res = h.run(&[
        &multi_row(&[(5, "yes-ish")]),
        &multi_row(&[(5, "1")]),
        &multi_row(&[(5, "TRUE")]),
        &multi_row(&[(5, "False")]),
        &multi_row(&[(5, "f")]),
    ]);
    // `1`/`0`, `t`/`f`: undocumented, warned and counted [INF] (spec §3).
    assert_eq!(codes(&res), ["R014", "R041", "R015", "R015", "R041"]);
    assert_eq!(res.counters.parse_failures, 1);
    assert_eq!(res.counters.records_ingested, 4);
    assert!(res.diagnostics[1].rule.evidence.is_inferred());
    assert!(
        res.diagnostics[1]
            .message
            .contains("BOOLEAN `1` is counted as true"),
        "{}",
        res.diagnostics[1].message
    );
    let w = &res.diagnostics[2];
    assert_eq!(w.severity, Severity::Warning);
    assert!(w.rule.evidence.is_inferred());
    assert_eq!(
        h.build(&[&multi_row(&[(5, "TRUE")])])[0]
            .measure_values
            .as_ref()
            .unwrap()[2]
            .value,
        "true"
    );
}

#[test]
fn r016_varchar_too_long_is_an_ingestion_failure() {
    let h = H::new(MULTI, MULTI_HEADER);
    let long = "x".repeat(2049);
    let res = h.run(&[&multi_row(&[(6, &long)])]);
    assert_eq!(res.counters.record_ingestion_failures, 1);
    assert_eq!(res.counters.parse_failures, 0);
    let d = only(&res, "R016");
    assert!(d.message.contains("2049 bytes; the limit is 2048"));
    assert!(d.value.unwrap().ends_with('…'));
    assert_eq!(
        res.errors[0].reason,
        "A VARCHAR measure value exceeds the maximum size of 2 KB."
    );
    // The record is also too large; both are reported, the first reason counts.
    assert_eq!(res.count(&r::RECORD_TOO_LARGE), 1);
}

#[test]
fn r017_timestamp() {
    let h = H::new(MULTI, MULTI_HEADER);
    let res = h.run(&[&multi_row(&[(7, "2023-01-01")]), &multi_row(&[(7, "-1")])]);
    assert_eq!(codes(&res), ["R017", "R017", "R051"]);
    assert_eq!(res.counters.parse_failures, 2);
    // Past 2262 in the data model's unit: a hint about the unit, not BIGINT's.
    let res = h.run(&[&multi_row(&[(7, "99999999999999")])]);
    let hint = only(&res, "R017").hint.unwrap();
    assert!(
        hint.starts_with("TIMESTAMP holds times up to 2262"),
        "{hint}"
    );
}

#[test]
fn r018_invalid_utf8() {
    let h = H::new(MULTI, MULTI_HEADER);
    let mut rec = OwnedRecord::default();
    for (i, f) in multi_row(&[]).iter().enumerate() {
        if i == 1 {
            rec.push_field(b"web\xff", false);
        } else {
            rec.push_field(f.as_bytes(), false);
        }
    }
    let res = h.run_records(&[rec]);
    assert_eq!(res.counters.parse_failures, 1);
    let d = only(&res, "R018");
    assert_eq!(d.value.as_deref(), Some("web\u{fffd}"));
}

#[test]
fn r020_null_dimension_is_left_out() {
    let dialect = CsvDialect {
        null_value: Some("NULL".into()),
        ..CsvDialect::default()
    };
    let h = H::with(MULTI, MULTI_HEADER, &ctx(), &dialect);
    let res = h.run(&[&multi_row(&[(2, "NULL")])]);
    assert_eq!(res.counters.records_ingested, 1);
    let d = only(&res, "R020");
    assert!(
        d.message
            .starts_with("dimension `az` in column `az` (#3) is "),
        "{}",
        d.message
    );
    assert!(
        d.message
            .ends_with("; the record is written without this dimension")
    );
    let recs = h.build(&[&multi_row(&[(2, "NULL")])]);
    assert_eq!(recs[0].dimensions.len(), 1);
}

/// A blank `NullValue` (`" "`, the documented example) with
/// `TrimWhiteSpace`: the reader trims the cell to nothing, which is then
/// that `NullValue`: a null dimension (R020) and a null measure, not an
/// empty dimension (R024) and an empty-field null (C019) with a hint to set
/// the `NullValue` that is set.
#[test]
fn a_blank_null_value_with_trimming_matches_blank_cells() {
    let dialect = CsvDialect {
        null_value: Some(" ".into()),
        trim: true,
        ..CsvDialect::default()
    };
    let h = H::with(MULTI, MULTI_HEADER, &ctx(), &dialect);
    let res = h.run(&[&multi_row(&[(2, ""), (3, "")])]);
    assert_eq!(codes(&res), ["R020"]);
    assert_eq!(res.counters.records_ingested, 1);
    // Without trimming, a blank NullValue matches only the blank cell.
    let untrimmed = CsvDialect {
        null_value: Some(" ".into()),
        ..CsvDialect::default()
    };
    let h = H::with(MULTI, MULTI_HEADER, &ctx(), &untrimmed);
    let res = h.run(&[&multi_row(&[(2, " ")]), &multi_row(&[(2, "")])]);
    assert_eq!(codes(&res), ["R020", "R024"]);
}

#[test]
fn r024_empty_dimension_is_rejected() {
    let h = H::new(MULTI, MULTI_HEADER);
    let res = h.run(&[&multi_row(&[(2, "")])]);
    assert_eq!(res.counters.records_ingested, 0);
    assert_eq!(res.counters.record_ingestion_failures, 1);
    let d = only(&res, "R024");
    assert_eq!(
        d.message,
        "dimension `az` in column `az` (#3) is empty; dimension values cannot be empty"
    );
    assert_eq!(r::DIMENSION_EMPTY.evidence, Evidence::ThirdParty);
}

#[test]
fn r021_dimension_pair_too_long() {
    let h = H::new(MULTI, MULTI_HEADER);
    let v = "h".repeat(2045); // 4 + 2045 > 2048
    let res = h.run(&[&multi_row(&[(1, &v)])]);
    assert_eq!(res.counters.record_ingestion_failures, 1);
    assert!(only(&res, "R021").message.contains("2049 bytes together"));
    let v = "h".repeat(2044);
    assert_eq!(
        h.run(&[&multi_row(&[(1, &v)])])
            .count(&r::DIMENSION_TOO_LONG),
        0
    );
}

#[test]
fn r022_no_dimensions() {
    let dialect = CsvDialect {
        null_value: Some("NULL".into()),
        ..CsvDialect::default()
    };
    let h = H::with(MULTI, MULTI_HEADER, &ctx(), &dialect);
    let res = h.run(&[&multi_row(&[(1, "NULL"), (2, "NULL")])]);
    assert_eq!(res.counters.record_ingestion_failures, 1);
    only(&res, "R022");
    assert_eq!(res.count(&r::DIMENSION_NULL), 2);
    assert_eq!(r::NO_DIMENSIONS.evidence, Evidence::ThirdParty);
}

#[test]
fn r023_required_partition_key() {
    let c = CheckContext {
        required_dimensions: vec!["az".into()],
        ..ctx()
    };
    let h = H::with(MULTI, MULTI_HEADER, &c, &CsvDialect::default());
    let res = h.run(&[&multi_row(&[(2, "")]), &multi_row(&[])]);
    assert_eq!(res.counters.record_ingestion_failures, 1);
    assert_eq!(res.counters.records_ingested, 1);
    assert_eq!(codes(&res), ["R023"]);
    // Not mapped at all: every row fails, and the plan says why.
    let c = CheckContext {
        required_dimensions: vec!["gpio".into()],
        ..ctx()
    };
    let h = H::with(MULTI, MULTI_HEADER, &c, &CsvDialect::default());
    let res = h.run(&[&multi_row(&[])]);
    assert_eq!(res.counters.record_ingestion_failures, 1);
    assert_eq!(codes(&res), ["H005", "R023"]);
    assert_eq!(res.diagnostics[0].file.as_deref(), Some("data.csv"));
}

#[test]
fn r031_all_measures_null() {
    let h = H::new(MULTI, MULTI_HEADER);
    let res = h.run(&[&multi_row(&[(3, ""), (4, ""), (5, ""), (6, ""), (7, "")])]);
    assert_eq!(res.counters.record_ingestion_failures, 1);
    assert_eq!(
        only(&res, "R031").message,
        "record `metrics` has no measure values: every column it maps is empty or null"
    );
    // Some nulls: the record is written without them.
    let recs = h.build(&[&multi_row(&[(3, ""), (6, "")])]);
    let names: Vec<_> = recs[0]
        .measure_values
        .as_ref()
        .unwrap()
        .iter()
        .map(|m| m.name.as_str())
        .collect();
    assert_eq!(names, ["req", "ok", "seen"]);
}

#[test]
fn r032_too_many_measures() {
    let attrs: Vec<String> = (0..257)
        .map(|i| format!(r#"{{"SourceColumn":"a{i}","MeasureValueType":"BOOLEAN"}}"#))
        .collect();
    let json = format!(
        r#"{{"TimeColumn":"t","DimensionMappings":[{{"SourceColumn":"d"}}],
        "MultiMeasureMappings":{{"TargetMultiMeasureName":"m","MultiMeasureAttributeMappings":[{}]}}}}"#,
        attrs.join(",")
    );
    let mut header = vec!["t".to_owned(), "d".to_owned()];
    header.extend((0..257).map(|i| format!("a{i}")));
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let h = H::new(&json, &header);
    let mut row = vec![T, "x"];
    row.extend(std::iter::repeat_n("true", 257));
    let res = h.run(&[&row]);
    assert_eq!(res.counters.record_ingestion_failures, 1);
    assert!(
        only(&res, "R032")
            .message
            .contains("has 257 measures; the limit is 256")
    );
    // 256 non-null measures pass that check.
    row[2] = "";
    assert_eq!(h.run(&[&row]).count(&r::TOO_MANY_MEASURES), 0);
}

#[test]
fn r033_record_too_large() {
    let h = H::new(MULTI, MULTI_HEADER);
    // Two strings that are each fine, together too large.
    let a = "a".repeat(1000);
    let b = "b".repeat(1000);
    let res = h.run(&[&multi_row(&[(1, &a), (6, &b)])]);
    assert_eq!(res.counters.record_ingestion_failures, 1);
    let d = only(&res, "R033");
    assert!(
        d.message.starts_with("record `metrics` is 2072 bytes"),
        "{}",
        d.message
    );
    assert_eq!(
        res.errors[0].reason,
        "The record exceeds the maximum record size of 2 KB."
    );
}

#[test]
fn r034_r035_r036_measure_name_column() {
    let h = H::new(MIXED_BY_NAME, MIXED_HEADER);
    let long = "m".repeat(257);
    let res = h.run(&[
        &[T, "h", "", "1", "", ""],
        &[T, "h", &long, "1", "", ""],
        &[T, "h", "disk", "1", "", ""],
    ]);
    // A name that is too long cannot match either.
    assert_eq!(codes(&res), ["R034", "R035", "R036", "R036"]);
    assert_eq!(res.counters.record_ingestion_failures, 3);
    assert_eq!(
        res.diagnostics[3].message,
        "the measure name `disk` in column `measure_name` (#3) matches no `MixedMeasureMappings` entry (known: `count`, `cpu`, `metrics`)"
    );
}

/// Measure names read from the data meet the naming rules the task's own
/// names get (spec §4.3): reserved identifiers and prefixes (documented),
/// the `measure_value` prefix (inferred), a dimension's name (documented).
#[test]
fn r037_r038_r039_measure_names_from_the_data() {
    let model = r#"{"TimeColumn":"time","DimensionMappings":[{"SourceColumn":"host"}],
      "MeasureNameColumn":"measure_name",
      "MultiMeasureMappings":{"MultiMeasureAttributeMappings":[{"SourceColumn":"v","MeasureValueType":"DOUBLE"}]}}"#;
    let h = H::new(model, &["time", "host", "measure_name", "v"]);
    let res = h.run(&[
        &[T, "h", "time", "1"],
        &[T, "h", "ts_x", "1"],
        &[T, "h", "measure_name2", "1"],
        &[T, "h", "measure_value_x", "1"],
        &[T, "h", "host", "1"],
        &[T, "h", "Time", "1"],
        &[T, "h", "cpu_ts_", "1"],
    ]);
    assert_eq!(codes(&res), ["R037", "R037", "R037", "R038", "R039"]);
    let evidence: Vec<_> = res.diagnostics.iter().map(|d| d.rule.evidence).collect();
    use Evidence::{Doc, Inf};
    assert_eq!(evidence, [Doc, Doc, Doc, Inf, Doc]);
    assert_eq!(res.counters.record_ingestion_failures, 5);
    assert_eq!(res.counters.records_ingested, 2, "names are case-sensitive");
    let messages: Vec<_> = res.diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "the measure name `time` in column `measure_name` (#3) is `time`, a reserved system identifier of Timestream",
            "the measure name `ts_x` in column `measure_name` (#3) starts with the reserved prefix `ts_`",
            "the measure name `measure_name2` in column `measure_name` (#3) starts with the reserved prefix `measure_name`",
            "the measure name `measure_value_x` in column `measure_name` (#3) starts with `measure_value`, a prefix documented as reserved for dimension names and assumed to be for measure names",
            "the measure name `host` in column `measure_name` (#3) is also the name of a dimension",
        ]
    );
}

#[test]
fn r040_row_too_short() {
    let h = H::new(MULTI, MULTI_HEADER);
    let res = h.run(&[&[T, "web-1"]]);
    assert_eq!(res.counters.parse_failures, 1);
    assert_eq!(
        only(&res, "R040").message,
        "the row has 2 fields but the mapped columns need at least 8"
    );
}

static C_TEST: Rule = Rule {
    code: "C999",
    slug: "test-framing",
    severity: Severity::Error,
    evidence: Evidence::Inf,
    summary: "an unterminated quote",
};
static C_WARN: Rule = Rule {
    code: "C998",
    slug: "test-framing-warning",
    severity: Severity::Warning,
    evidence: Evidence::Inf,
    summary: "a quoted newline",
};

#[test]
fn framing_issues_of_the_reader() {
    let h = H::new(MULTI, MULTI_HEADER);
    let mut bad = OwnedRecord::from_fields(&multi_row(&[]));
    bad.push_issue(Issue {
        rule: &C_TEST,
        field: Some(6),
        offset: 40,
    });
    let mut warn = OwnedRecord::from_fields(&multi_row(&[]));
    warn.push_issue(Issue {
        rule: &C_WARN,
        field: None,
        offset: 0,
    });
    warn.position.line = 3;
    let res = h.run_records(&[bad, warn]);
    assert_eq!(res.counters.parse_failures, 1);
    assert_eq!(res.counters.records_ingested, 1);
    assert_eq!(codes(&res), ["C999", "C998"]);
    assert_eq!(
        res.diagnostics[0].message,
        "column `status` (#7): an unterminated quote"
    );
    assert_eq!(res.errors[0].reason, r::FRAMING_REASON);
}

#[test]
fn r050_duplicates_across_chunks_and_files() {
    let h = H::new(MULTI, MULTI_HEADER);
    let a = rows(&[&multi_row(&[]), &multi_row(&[(1, "web-2")])]);
    let b = rows(&[
        &multi_row(&[(3, "0.9")]),           // same key as a[0], other value
        &multi_row(&[(1, "web-2")]),         // identical to a[1]: no warning
        &multi_row(&[(0, "1699999941000")]), // other time
    ]);
    let mut dups = Duplicates::default();
    let check = |recs: &[OwnedRecord]| {
        let mut c = ChunkChecker::new(&h.plan);
        for r in recs {
            c.check_row(&r.as_record());
        }
        c.finish()
    };
    let mut m = FileMerger::new(&h.plan, "a.csv", &mut dups);
    m.push(check(&a), Position::default());
    m.push(
        check(&b),
        Position {
            byte: 1000,
            line: 10,
            record: 9,
        },
    );
    let res = m.finish(1000);
    assert_eq!(res.duplicate_conflicts, 1);
    let d = only(&res, "R050");
    assert!(
        matches!(d.location, Location::Data { line: 12, .. }),
        "{:?}",
        d.location
    );
    assert!(
        d.message
            .contains("the record at line 2 but different measure values")
    );
    // Another file repeating a.csv's first key.
    let mut m = FileMerger::new(&h.plan, "b.csv", &mut dups);
    m.push(
        check(&rows(&[&multi_row(&[(4, "99")])])),
        Position::default(),
    );
    let res = m.finish(10);
    assert!(only(&res, "R050").message.contains("a.csv:2"));
    let s = dups.stats();
    assert_eq!((s.conflicting, s.identical, s.tracked_keys), (2, 1, 3));
    assert!(!s.saturated());
}

/// What a file of `all` rows gives with a duplicate table of `capacity`
/// keys, checked in chunks of three rows merged as they come (as one thread
/// does), the checkers knowing the table's horizon or not: the file's
/// counters, diagnostics and conflicts, the table's stats, the rows the
/// fast path took and the records it left unhashed.
fn horizon_run(
    plan: &Plan,
    all: &[OwnedRecord],
    capacity: usize,
    horizon: bool,
) -> ((Counters, Vec<Diagnostic>, u64), DuplicateStats, u64, u64) {
    let mut dups = Duplicates::new(capacity);
    let hz = dups.horizon();
    let mut m = FileMerger::new(plan, "f.csv", &mut dups);
    let (mut plain, mut skipped) = (0, 0);
    for (k, chunk) in all.chunks(3).enumerate() {
        let mut c = ChunkChecker::new(plan);
        if horizon {
            c = c.with_horizon(Arc::clone(&hz));
        }
        for r in chunk {
            c.check_row(&r.as_record().with_utf8_checked(true));
        }
        plain += c.plain_rows();
        let o = c.finish();
        skipped += o.untracked;
        let base = Position {
            byte: 0,
            line: 3 * k as u64,
            record: 3 * k as u64,
        };
        m.push(o, base);
    }
    let res = m.finish(100);
    (
        (res.counters, res.diagnostics, res.duplicate_conflicts),
        dups.stats(),
        plain,
        skipped,
    )
}

#[test]
fn r050_horizon_skips_hashing_with_the_same_result() {
    // Rows in time order with repeats of earlier keys, a table of four
    // keys: the checkers that know the table's horizon skip the hashing of
    // rows past it, and the merged result is the same as without. Repeats
    // at the horizon's ends (its first time, and the last, of the key that
    // filled the table) are plain rows checked after the table is full.
    let h = H::new(MULTI, MULTI_HEADER);
    let times: Vec<String> = (0..20)
        .map(|i| (1_699_999_000_000i64 + i * 1000).to_string())
        .collect();
    let mut fields: Vec<Vec<&str>> = times.iter().map(|t| multi_row(&[(0, t)])).collect();
    fields[5] = multi_row(&[(0, &times[1]), (3, "0.9")]); // conflicts with a tracked key
    fields[8] = multi_row(&[(0, &times[2])]); // repeats a tracked key
    fields[10] = multi_row(&[(0, &times[6]), (3, "0.9")]); // repeats an untracked key
    fields[13] = multi_row(&[(0, &times[0]), (3, "")]); // a null value: the general path
    fields[16] = multi_row(&[(0, &times[0]), (3, "0.7")]); // the earliest tracked time
    fields[17] = multi_row(&[(0, &times[3]), (3, "0.7")]); // the latest, which filled it
    let refs: Vec<&[&str]> = fields.iter().map(Vec::as_slice).collect();
    let all = rows(&refs);
    let (with, with_stats, plain, skipped) = horizon_run(&h.plan, &all, 4, true);
    let (without, without_stats, _, none) = horizon_run(&h.plan, &all, 4, false);
    assert_eq!(with, without);
    assert_eq!(with_stats, without_stats);
    assert_eq!(none, 0);
    assert!(
        plain >= 18 && skipped > 0,
        "plain {plain}, skipped {skipped}"
    );
    assert_eq!(with.2, 4, "the conflicts with tracked keys are found");
    assert_eq!((with_stats.identical, with_stats.tracked_keys), (1, 4));
    assert!(with_stats.untracked_records > skipped);
}

#[test]
fn r050_horizon_with_several_records_per_row() {
    // Three records per row (`cpu`, `memory`, `net`), a table of six keys:
    // full after two rows. Repeats of both rows' records, and of a later
    // one.
    let h = H::new(MIXED_ALL, MIXED_ALL_HEADER);
    let times: Vec<String> = (0..12)
        .map(|i| (1_699_999_000_000i64 + i * 1000).to_string())
        .collect();
    let row = |t: &str, cpu: &str| -> Vec<String> {
        [t, "web-1", cpu, "0.25", "7", "9"]
            .map(str::to_owned)
            .to_vec()
    };
    let mut fields: Vec<Vec<String>> = times.iter().map(|t| row(t, "0.5")).collect();
    fields[6] = row(&times[0], "0.6"); // one record of the first row differs
    fields[7] = row(&times[1], "0.5"); // the second row, identical
    fields[9] = row(&times[4], "0.6"); // an untracked row
    let refs: Vec<Vec<&str>> = fields
        .iter()
        .map(|f| f.iter().map(String::as_str).collect())
        .collect();
    let refs: Vec<&[&str]> = refs.iter().map(Vec::as_slice).collect();
    let all = rows(&refs);
    let (with, with_stats, plain, skipped) = horizon_run(&h.plan, &all, 6, true);
    let (without, without_stats, _, _) = horizon_run(&h.plan, &all, 6, false);
    assert_eq!(with, without);
    assert_eq!(with_stats, without_stats);
    assert_eq!(plain, 12);
    assert!(skipped > 0 && skipped % 3 == 0, "skipped {skipped}");
    assert_eq!(with.2, 1, "the record with another value conflicts");
    assert_eq!(
        (with_stats.identical, with_stats.tracked_keys),
        (5, 6),
        "{with_stats:?}"
    );
}

#[test]
fn r050_bounded_table_reports_saturation() {
    let h = H::new(MULTI, MULTI_HEADER);
    let times: Vec<String> = (0..5)
        .map(|i| (1_699_999_000_000i64 + i).to_string())
        .collect();
    let rs: Vec<Vec<&str>> = times.iter().map(|t| multi_row(&[(0, t)])).collect();
    let refs: Vec<&[&str]> = rs.iter().map(Vec::as_slice).collect();
    let mut dups = Duplicates::new(3);
    let mut c = ChunkChecker::new(&h.plan);
    for r in rows(&refs) {
        c.check_row(&r.as_record());
    }
    let mut m = FileMerger::new(&h.plan, "a.csv", &mut dups);
    m.push(c.finish(), Position::default());
    m.finish(0);
    let s = dups.stats();
    assert_eq!((s.tracked_keys, s.untracked_records, s.capacity), (3, 2, 3));
    assert!(s.saturated());
}

#[test]
fn r051_column_never_parses() {
    let h = H::new(MULTI, MULTI_HEADER);
    let res = h.run(&[
        &multi_row(&[(4, "x1")]),
        &multi_row(&[(4, "x2")]),
        &multi_row(&[(4, "")]),
    ]);
    let d = only(&res, "R051");
    assert_eq!(
        d.message,
        "none of the 2 non-empty values of column `req` (#5) are BIGINT values; the first is `x1`"
    );
    // One good value is enough to stay quiet.
    let res = h.run(&[
        &multi_row(&[(4, "x1")]),
        &multi_row(&[(4, "x2")]),
        &multi_row(&[]),
    ]);
    assert_eq!(res.count(&r::COLUMN_NEVER_PARSES), 0);
}

#[test]
fn mixed_by_name_selects_records_and_counts_records() {
    let h = H::new(MIXED_BY_NAME, MIXED_HEADER);
    let res = h.run(&[
        &[T, "h", "cpu", "0.5", "", ""],
        &[T, "h", "count", "", "3", ""],
        &[T, "h", "metrics", "0.7", "", "1700000000000"],
        // Columns of unselected mappings are not checked.
        &[T, "h", "cpu", "0.5", "not-a-number", "x"],
        // A null scalar of the selected mapping: no record, a failure.
        &[T, "h", "count", "1", "", ""],
    ]);
    assert_eq!(res.counters.records_processed, 5);
    assert_eq!(res.counters.records_ingested, 4);
    assert_eq!(res.counters.record_ingestion_failures, 1);
    // The empty field is said to be read as null [INF], then the record fails.
    assert_eq!(codes(&res), ["C019", "R031"]);
    assert_eq!(
        only(&res, "R031").message,
        "the row writes no record: every measure it maps is empty or null"
    );
}

#[test]
fn mixed_without_name_column_writes_one_record_per_mapping() {
    let h = H::new(MIXED_ALL, MIXED_ALL_HEADER);
    assert_eq!(
        h.one(&[T, "h", "0.5", "0.6", "1", "2"]),
        RowOutcome::Records {
            ingested: 3,
            failed: 0
        }
    );
    // Null scalars write nothing; a MULTI with all nulls fails alone.
    assert_eq!(
        h.one(&[T, "h", "0.5", "", "", ""]),
        RowOutcome::Records {
            ingested: 1,
            failed: 1
        }
    );
    // A bad value fails the whole row.
    assert_eq!(h.one(&[T, "h", "0.5", "0.6", "1.5", "2"]), PARSE);
    let res = h.run(&[&[T, "h", "0.5", "0.6", "1", "2"], &[T, "h", "", "", "", ""]]);
    assert_eq!(res.counters.records_processed, 2);
    assert_eq!(res.counters.records_ingested, 3);
    assert_eq!(res.counters.record_ingestion_failures, 1);
    // A window failure fails every record of the row.
    let c = CheckContext {
        table: Some(TableRetention::default()),
        ..ctx()
    };
    let h = H::with(MIXED_ALL, MIXED_ALL_HEADER, &c, &CsvDialect::default());
    assert_eq!(
        h.one(&["1000", "h", "0.5", "0.6", "1", "2"]),
        RowOutcome::Records {
            ingested: 0,
            failed: 3
        }
    );
}

#[test]
fn multi_with_measure_name_column() {
    let json = MULTI
        .replace(
            r#""TimeColumn":"time","#,
            r#""TimeColumn":"time","MeasureNameColumn":"status","#,
        )
        .replace(r#""TargetMultiMeasureName":"metrics","#, "");
    let h = H::new(&json, MULTI_HEADER);
    let recs = h.build(&[&multi_row(&[(6, "cpu_load")])]);
    assert_eq!(recs[0].measure_name, "cpu_load");
    assert_eq!(h.one(&multi_row(&[(6, "")])), FAIL1);
}

#[test]
fn line_ranges_coalesce_rebase_and_cap() {
    let c = CheckContext {
        max_line_ranges: 2,
        max_findings: 3,
        ..ctx()
    };
    let h = H::with(MULTI, MULTI_HEADER, &c, &CsvDialect::default());
    let bad = multi_row(&[(3, "x")]);
    let good = multi_row(&[]);
    // Lines 2,3 bad, 4 good, 5 bad | next chunk: 10 bad (relative 0), 11 bad.
    let first = rows(&[&bad, &bad, &good, &bad]);
    let mut second = rows(&[&bad, &bad]);
    for (i, r) in second.iter_mut().enumerate() {
        r.position.line = i as u64; // chunk-relative, 0-based
    }
    let mut dups = Duplicates::default();
    let mut m = FileMerger::new(&h.plan, "f.csv", &mut dups);
    for (chunk, base) in [
        (first, Position::default()),
        (
            second,
            Position {
                byte: 0,
                line: 10,
                record: 0,
            },
        ),
    ] {
        let mut ch = ChunkChecker::new(&h.plan);
        for r in &chunk {
            ch.check_row(&r.as_record());
        }
        m.push(ch.finish(), base);
    }
    let res = m.finish(0);
    assert_eq!(res.counters.parse_failures, 5);
    assert_eq!(res.errors[0].line_ranges, vec![[2, 3], [5, 5]]);
    assert!(res.errors[0].truncated);
    assert_eq!(res.count(&r::DOUBLE_INVALID), 5);
    assert_eq!(res.diagnostics.len(), 3); // capped
    assert_eq!(res.diagnostics_dropped, 2);
    let json = serde_json::to_value(&res.errors).unwrap();
    assert_eq!(json[0]["lineRanges"], serde_json::json!([[2, 3], [5, 5]]));
}

#[test]
fn multi_line_records_cover_their_lines() {
    let h = H::new(MULTI, MULTI_HEADER);
    let mut rec = OwnedRecord::default();
    for (i, f) in multi_row(&[(3, "x")]).iter().enumerate() {
        if i == 6 {
            rec.push_field(b"two\nlines", true);
        } else {
            rec.push_field(f.as_bytes(), false);
        }
    }
    rec.position.line = 4;
    let res = h.run_records(&[rec]);
    assert_eq!(res.errors[0].line_ranges, vec![[4, 5]]);
}

#[test]
fn counters_bytes_metered_and_task_totals() {
    assert_eq!(bytes_metered_estimate(119, 0), 119);
    assert_eq!(bytes_metered_estimate(119, 2), 1024);
    assert_eq!(bytes_metered_estimate(1025, 2), 2048);
    let h = H::new(MULTI, MULTI_HEADER);
    let a = h.run(&[&multi_row(&[]), &multi_row(&[(3, "x")])]);
    let e = Plan::compile(&model(MULTI), &CsvDialect::default(), &["x"], &ctx()).unwrap_err();
    let b = FileResult::file_failure("b.csv", e, 50);
    assert_eq!(b.counters.file_failures, 1);
    assert_eq!(b.errors[0].line_ranges, vec![[1, 1]]);
    assert!(
        b.diagnostics
            .iter()
            .all(|d| d.file.as_deref() == Some("b.csv"))
    );
    let mut t = TaskTotals::default();
    t.add(&a);
    t.add(&b);
    assert_eq!(
        t.counters,
        Counters {
            records_processed: 2,
            records_ingested: 1,
            parse_failures: 1,
            record_ingestion_failures: 0,
            file_failures: 1,
            bytes_metered: 1024 + 50,
        }
    );
    assert!(!t.window_checked);
    assert_eq!(t.rule_counts[0].rule.code, "H001");
    let v = serde_json::to_value(t.counters).unwrap();
    assert_eq!(v["RecordsProcessed"], 2);
    assert_eq!(v["BytesMetered"], 1074);
}

#[test]
fn reset_forgets_rows_and_the_outcome_is_pure() {
    let h = H::new(MULTI, MULTI_HEADER);
    let rs = rows(&[&multi_row(&[]), &multi_row(&[(3, "x")])]);
    let mut c = ChunkChecker::new(&h.plan);
    for r in &rs {
        c.check_row(&r.as_record());
    }
    let first = format!("{:?}", c.outcome());
    c.reset();
    assert_eq!(c.outcome().rows(), 0);
    for r in &rs {
        c.check_row(&r.as_record());
    }
    assert_eq!(format!("{:?}", c.outcome()), first);
    assert_eq!(c.outcome().parse_failures(), 1);
    assert_eq!(c.outcome().count(&r::DOUBLE_INVALID), 1);
}

#[test]
fn null_value_unquoted_only_and_quoted_empty_strings() {
    let dialect = CsvDialect {
        null_value: Some("NULL".into()),
        ..CsvDialect::default()
    };
    let h = H::with(MULTI, MULTI_HEADER, &ctx(), &dialect);
    let row = |field: usize, value: &[u8], quoted: bool| {
        let mut rec = OwnedRecord::default();
        for (i, f) in multi_row(&[]).iter().enumerate() {
            if i == field {
                rec.push_field(value, quoted);
            } else {
                rec.push_field(f.as_bytes(), false);
            }
        }
        rec
    };
    // Unquoted NULL: the measure is left out.
    let mut out = Vec::new();
    let plain = row(3, b"NULL", false);
    ChunkChecker::new(&h.plan).check_and_build(&plain.as_record(), &mut out);
    assert_eq!(out[0].measure_values.as_ref().unwrap().len(), 4);
    // Quoted "NULL" is text: not a DOUBLE.
    let res = h.run_records(&[row(3, b"NULL", true)]);
    assert_eq!(codes(&res), ["R010"]);
    // Quoted "NULL" is a fine VARCHAR.
    let mut out = Vec::new();
    ChunkChecker::new(&h.plan).check_and_build(&row(6, b"NULL", true).as_record(), &mut out);
    assert_eq!(out[0].measure_values.as_ref().unwrap()[3].value, "NULL");
    // Quoted "" is an empty string: R019 for VARCHAR, R024 for a dimension.
    let res = h.run_records(&[row(6, b"", true), row(2, b"", true)]);
    assert_eq!(codes(&res), ["R019", "R024"]);
    assert_eq!(res.counters.record_ingestion_failures, 2);
    assert_eq!(res.counters.parse_failures, 0);
    // Unquoted empty is null.
    assert_eq!(
        h.run_records(&[row(6, b"", false)])
            .counters
            .records_ingested,
        1
    );
}

#[test]
fn diagnostics_point_at_the_field_byte() {
    let h = H::new(MULTI, MULTI_HEADER);
    let res = h.run(&[&multi_row(&[(3, "x")])]);
    let Location::Data {
        byte,
        field,
        column,
        ..
    } = &res.diagnostics[0].location
    else {
        panic!()
    };
    // "1699999940000" + "web-1" + "use1-az1" = 26 bytes before `cpu`
    // (OwnedRecord has no separators).
    assert_eq!(
        (*byte, *field, column.as_deref()),
        (26, Some(3), Some("cpu"))
    );
}

#[test]
fn record_version_and_build_records() {
    let c = CheckContext {
        record_version: 5,
        ..ctx()
    };
    let h = H::with(MULTI, MULTI_HEADER, &c, &CsvDialect::default());
    let mut out = Vec::new();
    let row = OwnedRecord::from_fields(&multi_row(&[(4, "+007"), (0, "01699999940000")]));
    assert_eq!(h.plan.build_records(&row.as_record(), &mut out), OK1);
    let r = out[0].clone();
    assert_eq!(r.version, 5);
    assert_eq!(r.time, "1699999940000");
    assert_eq!(r.measure_values.as_ref().unwrap()[1].value, "7");
    let bad = OwnedRecord::from_fields(&multi_row(&[(4, "x")]));
    assert_eq!(h.plan.build_records(&bad.as_record(), &mut out), PARSE);
    assert_eq!(out.len(), 1);
    // The JSON shape of WriteRecords, and back.
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["MeasureValueType"], "MULTI");
    assert_eq!(v["TimeUnit"], "MILLISECONDS");
    assert_eq!(v["Dimensions"][0]["DimensionValueType"], "VARCHAR");
    assert!(v.get("MeasureValue").is_none());
    let back: WriteRecord = serde_json::from_value(v).unwrap();
    assert_eq!(back, r);
}

#[test]
fn any_chunking_gives_the_same_file_result() {
    let c = CheckContext {
        max_findings: 7,
        max_line_ranges: 3,
        table: Some(TableRetention::default()),
        ..ctx()
    };
    let h = H::with(MULTI, MULTI_HEADER, &c, &CsvDialect::default());
    let fields: Vec<Vec<&str>> = (0..40)
        .map(|i| match i % 6 {
            0 => multi_row(&[(3, "x")]),
            1 => multi_row(&[(0, "1000")]),
            2 => multi_row(&[(2, "")]),
            3 => multi_row(&[(4, if i % 4 == 1 { "1" } else { "2" })]),
            _ => multi_row(&[(1, if i % 5 == 0 { "a" } else { "b" })]),
        })
        .collect();
    let refs: Vec<&[&str]> = fields.iter().map(Vec::as_slice).collect();
    let all = rows(&refs);
    let merge = |splits: &[usize]| {
        let mut dups = Duplicates::new(8);
        let mut m = FileMerger::new(&h.plan, "f.csv", &mut dups);
        let mut start = 0;
        for &end in splits.iter().chain([all.len()].iter()) {
            let base = all[start].position;
            let base = Position {
                byte: base.byte,
                line: base.line,
                record: base.record,
            };
            let mut ch = ChunkChecker::new(&h.plan);
            for r in &all[start..end] {
                let mut rel = r.clone();
                rel.position = Position {
                    byte: r.position.byte - base.byte,
                    line: r.position.line - base.line,
                    record: r.position.record - base.record,
                };
                ch.check_row(&rel.as_record());
            }
            m.push(ch.finish(), base);
            start = end;
        }
        let res = m.finish(4000);
        (
            res.counters,
            res.diagnostics,
            res.diagnostics_dropped,
            res.errors,
            res.rule_counts,
            res.duplicate_conflicts,
            dups.stats(),
        )
    };
    let whole = merge(&[]);
    assert!(
        whole.2 > 0 && whole.5 > 0,
        "the case should hit the caps and duplicates"
    );
    for splits in [vec![1], vec![7, 8, 20], vec![13, 26, 39], (1..40).collect()] {
        assert_eq!(merge(&splits), whole, "splits {splits:?}");
    }
}

#[test]
fn plan_is_shared_and_outcomes_move_between_threads() {
    fn sync<T: Sync + Send>() {}
    fn send<T: Send>() {}
    sync::<Plan>();
    send::<ChunkOutcome>();
    send::<FileResult>();
    send::<Duplicates>();
}

/// The fast path (`fast.rs`) against the general path: for rows mixing
/// plain values with every kind of remarkable one, both give the same row
/// outcomes, records and chunk outcome (counters, findings, statistics,
/// duplicate keys, time heuristics).
mod fast_path {
    use proptest::prelude::*;

    use super::*;

    /// Candidate values per column kind: plain ones first (most rows are
    /// plain), then edge cases.
    fn values(kind: &str) -> &'static [&'static str] {
        match kind {
            "time" => &[
                T,
                "1699999999999",
                "",
                "NA",
                "0",
                "1900000000000",
                "1699999940",
                "x1",
                "-5",
                "99999999999999999999",
            ],
            "dim" => &["web-1", "eu-west-1a", "", "NA", "a,b", "é"],
            "DOUBLE" => &[
                "0.5", "-0.0", "12", "", "NA", "1e3", "nan", "1,5", "inf", "x",
            ],
            "BIGINT" => &["12", "-7", "", "NA", "1.5", "99999999999999999999", "+3"],
            "BOOLEAN" => &["true", "false", "", "NA", "TRUE", "1", "yes"],
            "VARCHAR" => &["up", "down", "", "NA", "ü"],
            "TIMESTAMP" => &["1700000000", "", "NA", "x"],
            _ => unreachable!(),
        }
    }

    /// `(model, header, kinds of the header's columns)`.
    fn cases() -> Vec<(&'static str, &'static [&'static str], Vec<&'static str>)> {
        vec![
            (
                MULTI,
                MULTI_HEADER,
                vec![
                    "time",
                    "dim",
                    "dim",
                    "DOUBLE",
                    "BIGINT",
                    "BOOLEAN",
                    "VARCHAR",
                    "TIMESTAMP",
                ],
            ),
            (
                MIXED_ALL,
                MIXED_ALL_HEADER,
                vec!["time", "dim", "DOUBLE", "DOUBLE", "BIGINT", "BIGINT"],
            ),
        ]
    }

    /// `(input, scratch, spans)` of `r` with its odd fields moved to a
    /// scratch buffer, as the reader stores unescaped fields: then the
    /// record has no [`tsload_csv::InPlace`] view.
    fn with_scratch(r: &Record<'_>) -> (Vec<u8>, Vec<u8>, Vec<FieldSpan>) {
        let (mut input, mut scratch, mut spans) = (Vec::new(), vec![b'#'], Vec::new());
        for i in 0..r.len() {
            let quoted = if r.is_quoted(i) { FieldSpan::QUOTED } else { 0 };
            let (buf, flags) = if i % 2 == 1 {
                (&mut scratch, quoted | FieldSpan::SCRATCH)
            } else {
                (&mut input, quoted)
            };
            let start = buf.len() as u32;
            buf.extend_from_slice(r.field(i));
            spans.push(FieldSpan {
                start,
                end: buf.len() as u32,
                flags,
            });
        }
        (input, scratch, spans)
    }

    /// The outcome of `recs` (the ones at `scratch` indices stored with a
    /// scratch buffer) through the fast path or the general path only, with
    /// the records built or not.
    fn outcome_text(
        plan: &Plan,
        recs: &[OwnedRecord],
        scratch: &[bool],
        fast: bool,
        build: bool,
    ) -> (String, Vec<WriteRecord>, u64) {
        let mut c = ChunkChecker::new(plan);
        if !fast {
            c = c.general_only();
        }
        let mut rows = Vec::new();
        let mut built = Vec::new();
        for (r, &moved) in recs.iter().zip(scratch) {
            let owned = r.as_record();
            let parts = moved.then(|| with_scratch(&owned));
            let rec = match &parts {
                Some((input, scratch, spans)) => {
                    Record::from_parts(input, scratch, spans, &[], owned.position(), 0)
                }
                None => owned,
            }
            .with_utf8_checked(true);
            rows.push(if build {
                c.check_and_build(&rec, &mut built)
            } else {
                c.check_row(&rec)
            });
        }
        let plain = c.plain_rows();
        (format!("{rows:?}\n{:?}", c.finish()), built, plain)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        #[test]
        fn fast_and_general_paths_agree(
            case in 0usize..2,
            null in prop_oneof![Just(None), Just(Some("NA"))],
            dups in any::<bool>(),
            build in any::<bool>(),
            picks in proptest::collection::vec(
                (proptest::collection::vec((0usize..16, any::<bool>(), 0u8..4), 8), any::<bool>()),
                1..40),
        ) {
            let (json, header, kinds) = &cases()[case];
            let d = CsvDialect {
                null_value: null.map(str::to_owned),
                ..CsvDialect::default()
            };
            let c = CheckContext {
                detect_duplicates: dups,
                table: Some(TableRetention::default()),
                ..ctx()
            };
            let h = H::with(json, header, &c, &d);
            prop_assert!(h.plan.fast.is_some());
            let scratch: Vec<bool> = picks.iter().map(|p| p.1).collect();
            let recs: Vec<OwnedRecord> = picks
                .iter()
                .map(|p| &p.0)
                .enumerate()
                .map(|(i, row)| {
                    let mut r = OwnedRecord::default();
                    for (k, &(pick, quoted, plain)) in kinds.iter().zip(row) {
                        let vals = values(k);
                        // Three rows in four are plain.
                        let v = if plain > 0 { vals[pick % 2] } else { vals[pick % vals.len()] };
                        r.push_field(v.as_bytes(), quoted && pick % 3 == 0);
                    }
                    r.position = Position { byte: 50 * i as u64, line: 2 + i as u64, record: 1 + i as u64 };
                    r
                })
                .collect();
            let fast = outcome_text(&h.plan, &recs, &scratch, true, build);
            let general = outcome_text(&h.plan, &recs, &scratch, false, build);
            prop_assert_eq!(&fast.0, &general.0);
            prop_assert_eq!(&fast.1, &general.1);
            // Where the fields are stored does not change which rows are
            // plain.
            let in_place = outcome_text(&h.plan, &recs, &vec![false; recs.len()], true, build);
            prop_assert_eq!(fast.2, in_place.2);
        }
    }

    /// Records from the reader are marked as checked for UTF-8: plain rows
    /// take the fast path, rows with anything remarkable do not.
    #[test]
    fn the_readers_plain_rows_take_the_fast_path() {
        use tsload_csv::{CsvReader, HeaderOutcome, ReadOptions};
        let h = H::new(MULTI, MULTI_HEADER);
        let csv = format!(
            "{}\n{T},web-1,az1,0.5,12,true,up,1700000000\n\
             {T},\"web-2\",az1,1.25,-3,false,\"a, b\",1700000000\n\
             {T},web-3,az1,,12,true,up,1700000000\n\
             {T},web-4,az1,0.5,12,TRUE,up,1700000000\n\
             {T},web-5,az1,0.5,12,true,\"a \"\"b\"\"\",1700000000\n",
            MULTI_HEADER.join(",")
        );
        let mut rdr =
            CsvReader::new(csv.as_bytes(), &CsvDialect::default(), ReadOptions::tiny(1)).unwrap();
        assert!(matches!(rdr.header().unwrap(), HeaderOutcome::Header(_)));
        let mut c = ChunkChecker::new(&h.plan);
        while let Some(r) = rdr.read_record().unwrap() {
            c.check_row(&r);
        }
        // Quoted fields are plain; a null measure, an upper-case boolean
        // and doubled quotes (warned, C009) are not.
        assert_eq!(c.plain_rows(), 2);
        assert_eq!(c.outcome().rows(), 5);
    }

    #[test]
    fn models_with_a_measure_name_column_have_no_fast_path() {
        let h = H::new(MIXED_BY_NAME, MIXED_HEADER);
        assert!(h.plan.fast.is_none());
        assert!(H::new(MULTI, MULTI_HEADER).plan.fast.is_some());
    }
}
