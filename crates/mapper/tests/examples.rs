//! The worked examples of batchload-spec §1.7 (A–D): the records each row
//! becomes, as WriteRecords JSON, and what the service would count.

use tsload_csv::record::{OwnedRecord, Position};
use tsload_mapper::{
    CheckContext, ChunkChecker, Duplicates, FileMerger, FileResult, Plan, TableRetention,
    WriteRecord,
};
use tsload_model::effective::{CsvDialect, DataModel};

/// 2023-11-14T22:13:20Z.
const REF_NS: i64 = 1_700_000_000_000_000_000;

struct Example {
    plan: Plan,
    rows: Vec<OwnedRecord>,
}

impl Example {
    /// `csv`: a header line and data lines, no quoting (split on commas).
    fn new(model_json: &str, csv: &str, ctx: &CheckContext) -> Self {
        let wire = serde_json::from_str(model_json).unwrap();
        let model = DataModel::from_wire(&wire).unwrap();
        let mut lines = csv.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let plan = Plan::compile(&model, &CsvDialect::default(), &header, ctx).unwrap();
        let rows = lines
            .enumerate()
            .map(|(i, l)| {
                let fields: Vec<&str> = l.split(',').collect();
                let mut r = OwnedRecord::from_fields(&fields);
                r.position = Position {
                    byte: 0,
                    line: 2 + i as u64,
                    record: 1 + i as u64,
                };
                r
            })
            .collect();
        Self { plan, rows }
    }

    fn records(&self) -> Vec<WriteRecord> {
        let mut out = Vec::new();
        let mut c = ChunkChecker::new(&self.plan);
        for r in &self.rows {
            c.check_and_build(&r.as_record(), &mut out);
        }
        out
    }

    fn result(&self) -> FileResult {
        let mut c = ChunkChecker::new(&self.plan);
        for r in &self.rows {
            c.check_row(&r.as_record());
        }
        let mut dups = Duplicates::default();
        let mut m = FileMerger::new(&self.plan, "example.csv", &mut dups);
        m.push(c.finish(), Position::default());
        m.finish(119)
    }
}

fn ctx() -> CheckContext {
    CheckContext {
        reference_time_ns: REF_NS,
        ..CheckContext::default()
    }
}

/// Fixture A: the developer guide's MultiMeasureMappings example [DOC: DM],
/// with rows of our own (the sample file was not available).
#[test]
fn fixture_a_multi_measure_named_by_column() {
    let ex = Example::new(
        r#"{"TimeColumn":"time","TimeUnit":"MILLISECONDS",
          "DimensionMappings":[{"SourceColumn":"region","DestinationColumn":"region"},
            {"SourceColumn":"location","DestinationColumn":"location"},
            {"SourceColumn":"hostname","DestinationColumn":"hostname"}],
          "MeasureNameColumn":"measure_name",
          "MultiMeasureMappings":{"MultiMeasureAttributeMappings":[
            {"SourceColumn":"memory_utilization","TargetMultiMeasureAttributeName":"memory_utilization","MeasureValueType":"DOUBLE"},
            {"SourceColumn":"cpu_utilization","TargetMultiMeasureAttributeName":"cpu_utilization","MeasureValueType":"DOUBLE"}]}}"#,
        "time,measure_name,region,location,hostname,memory_utilization,cpu_utilization\n\
         1699999000000,metrics,us-east-1,us-east-1a,host-1,40.5,35.25\n\
         1699999001000,metrics,us-east-1,us-east-1b,host-2,,71.0",
        &ctx(),
    );
    insta::assert_json_snapshot!(ex.records());
    let res = ex.result();
    assert_eq!(res.counters.records_processed, 2);
    assert_eq!(res.counters.records_ingested, 2);
}

/// Fixture B: the CLI "vehicle" example [DOC: CLI], TimeUnit SECONDS,
/// defaulted destination and attribute names.
#[test]
fn fixture_b_vehicle_seconds() {
    let ex = Example::new(
        r#"{"TimeColumn":"timestamp","TimeUnit":"SECONDS",
          "DimensionMappings":[{"SourceColumn":"vehicle"},{"SourceColumn":"registration","DestinationColumn":"license"}],
          "MultiMeasureMappings":{"TargetMultiMeasureName":"mva_measure_name",
            "MultiMeasureAttributeMappings":[
              {"SourceColumn":"wgt","TargetMultiMeasureAttributeName":"weight","MeasureValueType":"DOUBLE"},
              {"SourceColumn":"spd","TargetMultiMeasureAttributeName":"speed","MeasureValueType":"DOUBLE"},
              {"SourceColumn":"fuel_consumption","TargetMultiMeasureAttributeName":"fuel","MeasureValueType":"DOUBLE"},
              {"SourceColumn":"miles","MeasureValueType":"BIGINT"}]}}"#,
        "timestamp,vehicle,registration,wgt,spd,fuel_consumption,miles\n\
         1699999000,truck-1,ABC123,12000.5,65,8.2,+120000\n\
         1699999060,truck-2,XYZ789,9800,58.5,7.9,0088000",
        &ctx(),
    );
    insta::assert_json_snapshot!(ex.records());
    // The CLI example's success case: 2 rows, 2 records, no failures.
    let res = ex.result();
    assert_eq!(
        (
            res.counters.records_processed,
            res.counters.records_ingested,
            res.counters.record_ingestion_failures,
            res.counters.bytes_metered
        ),
        (2, 2, 0, 1024)
    );
}

/// Fixture C: AWS's sample `sensor_details.csv` with its data model and
/// the table the AWS script creates [EX: TOOLS]: 1-hour memory store,
/// magnetic writes on with 3650 days, partition key `gpio` REQUIRED.
#[test]
fn fixture_c_sensor_details() {
    let ctx = CheckContext {
        table: Some(TableRetention {
            memory_store_retention_hours: 1,
            magnetic_store_retention_days: 3650,
            magnetic_store_writes: true,
        }),
        required_dimensions: vec!["gpio".into()],
        ..ctx()
    };
    let ex = Example::new(
        r#"{"TimeUnit":"MILLISECONDS","TimeColumn":"time",
          "DimensionMappings":[{"SourceColumn":"gpio","DestinationColumn":"gpio"}],
          "MultiMeasureMappings":{"MultiMeasureAttributeMappings":[
            {"SourceColumn":"name","TargetMultiMeasureAttributeName":"name","MeasureValueType":"VARCHAR"},
            {"SourceColumn":"status","TargetMultiMeasureAttributeName":"status","MeasureValueType":"VARCHAR"}]},
          "MeasureNameColumn":"measure_name"}"#,
        "gpio,time,name,status,measure_name\n\
         17,1695335950657,office,active,initial_event\n\
         22,1695335950657,outside,active,change_event\n\
         27,1695335950657,window,stopped,change_event",
        &ctx,
    );
    insta::assert_json_snapshot!(ex.records());
    let res = ex.result();
    assert!(res.window_checked());
    assert!(res.diagnostics.is_empty(), "{:?}", res.diagnostics);
    assert_eq!(res.counters.records_ingested, 3);

    // The same rows against the table's defaults (magnetic writes off):
    // every record is outside the window, with the documented reason.
    let ctx = CheckContext {
        table: Some(TableRetention::default()),
        ..CheckContext::default()
    };
    let ex = Example::new(
        r#"{"TimeColumn":"time","DimensionMappings":[{"SourceColumn":"gpio"}],
          "MultiMeasureMappings":{"MultiMeasureAttributeMappings":[{"SourceColumn":"name","MeasureValueType":"VARCHAR"}]},
          "MeasureNameColumn":"measure_name"}"#,
        "gpio,time,name,status,measure_name\n\
         17,1695335950657,office,active,initial_event\n\
         22,1695335950657,outside,active,change_event",
        &CheckContext {
            reference_time_ns: REF_NS,
            ..ctx
        },
    );
    let res = ex.result();
    assert_eq!(res.counters.record_ingestion_failures, 2);
    insta::assert_json_snapshot!("fixture_c_window_report", res.errors);
}

/// Fixture D: MixedMeasureMappings selected by MeasureNameColumn, with a
/// scalar DOUBLE and a MULTI carrying a TIMESTAMP [INF: no AWS example].
#[test]
fn fixture_d_mixed_measure_mappings() {
    let ex = Example::new(
        r#"{"TimeColumn":"time","TimeUnit":"MILLISECONDS",
          "DimensionMappings":[{"SourceColumn":"host"}],
          "MeasureNameColumn":"measure_name",
          "MixedMeasureMappings":[
            {"MeasureName":"cpu","SourceColumn":"value","MeasureValueType":"DOUBLE"},
            {"MeasureName":"metrics","MeasureValueType":"MULTI","TargetMeasureName":"metrics",
             "MultiMeasureAttributeMappings":[{"SourceColumn":"value","TargetMultiMeasureAttributeName":"v","MeasureValueType":"DOUBLE"},
                                              {"SourceColumn":"ts2","MeasureValueType":"TIMESTAMP"}]}]}"#,
        "time,host,measure_name,value,ts2\n\
         1699999000000,web-1,cpu,0.5,\n\
         1699999000000,web-1,metrics,0.75,1699998000000\n\
         1699999001000,web-2,metrics,,0001699998000000",
        &ctx(),
    );
    insta::assert_json_snapshot!(ex.records());
}

/// Fixture D without `MeasureNameColumn`: every row writes one record per
/// mapping [INF].
#[test]
fn fixture_d_mixed_without_measure_name_column() {
    let ex = Example::new(
        r#"{"TimeColumn":"time","DimensionMappings":[{"SourceColumn":"host"}],
          "MixedMeasureMappings":[
            {"SourceColumn":"cpu","MeasureValueType":"DOUBLE"},
            {"SourceColumn":"up","TargetMeasureName":"healthy","MeasureValueType":"BOOLEAN"},
            {"MeasureValueType":"MULTI","TargetMeasureName":"net",
             "MultiMeasureAttributeMappings":[{"SourceColumn":"rx","MeasureValueType":"BIGINT"},{"SourceColumn":"note","MeasureValueType":"VARCHAR"}]}]}"#,
        "time,host,cpu,up,rx,note\n\
         1699999000000,web-1,0.5,true,1024,fine\n\
         1699999001000,web-2,,False,2048,",
        &ctx(),
    );
    insta::assert_json_snapshot!(ex.records());
    let res = ex.result();
    assert_eq!(res.counters.records_processed, 2);
    assert_eq!(res.counters.records_ingested, 5);
}
