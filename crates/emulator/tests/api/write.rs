//! WriteRecords through the SDK.

use aws_sdk_timestreamwrite::types::{Dimension, MeasureValue, MeasureValueType, Record, TimeUnit};

use crate::common::{code, database, start, table};

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn cpu(host: &str, t: i64, v: &str) -> Record {
    Record::builder()
        .dimensions(
            Dimension::builder()
                .name("host")
                .value(host)
                .build()
                .unwrap(),
        )
        .measure_name("cpu")
        .measure_value(v)
        .measure_value_type(MeasureValueType::Double)
        .time(t.to_string())
        .build()
}

#[tokio::test]
async fn write_records_ingests_merges_and_upserts() {
    let (s, c) = start();
    database(&c, "dbw").await;
    table(&c, "dbw", "tbl", false).await;
    let t = now_ms();
    // CommonAttributes: the dimension and type come from there.
    let common = Record::builder()
        .dimensions(
            Dimension::builder()
                .name("region")
                .value("eu")
                .build()
                .unwrap(),
        )
        .measure_value_type(MeasureValueType::Double)
        .time_unit(TimeUnit::Milliseconds)
        .build();
    let out = c
        .write_records()
        .database_name("dbw")
        .table_name("tbl")
        .common_attributes(common)
        .records(cpu("a", t, "1.5"))
        .records(
            Record::builder()
                .dimensions(
                    Dimension::builder()
                        .name("host")
                        .value("b")
                        .build()
                        .unwrap(),
                )
                .measure_name("metrics")
                .measure_value_type(MeasureValueType::Multi)
                .measure_values(
                    MeasureValue::builder()
                        .name("load")
                        .value("3")
                        .r#type(MeasureValueType::Bigint)
                        .build()
                        .unwrap(),
                )
                .measure_values(
                    MeasureValue::builder()
                        .name("up")
                        .value("true")
                        .r#type(MeasureValueType::Boolean)
                        .build()
                        .unwrap(),
                )
                .time(t.to_string())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let ingested = out.records_ingested().unwrap();
    assert_eq!(
        (
            ingested.total(),
            ingested.memory_store(),
            ingested.magnetic_store()
        ),
        (2, 2, 0)
    );

    let same_key = |v: &str, version: Option<i64>| {
        let mut b = Record::builder()
            .dimensions(
                Dimension::builder()
                    .name("host")
                    .value("a")
                    .build()
                    .unwrap(),
            )
            .dimensions(
                Dimension::builder()
                    .name("region")
                    .value("eu")
                    .build()
                    .unwrap(),
            )
            .measure_name("cpu")
            .measure_value(v)
            .measure_value_type(MeasureValueType::Double)
            .time(t.to_string());
        if let Some(version) = version {
            b = b.version(version);
        }
        b.build()
    };
    // The same value again (the key includes CommonAttributes' `region`):
    // accepted as a no-op. A different value with the same version: rejected.
    c.write_records()
        .database_name("dbw")
        .table_name("tbl")
        .records(same_key("1.50", None))
        .send()
        .await
        .unwrap();
    let err = c
        .write_records()
        .database_name("dbw")
        .table_name("tbl")
        .records(same_key("9.0", None))
        .send()
        .await
        .unwrap_err();
    let rejected = err.into_service_error();
    let aws_sdk_timestreamwrite::operation::write_records::WriteRecordsError::RejectedRecordsException(rejected) =
        rejected
    else {
        panic!("expected RejectedRecordsException, got {rejected:?}");
    };
    let r = &rejected.rejected_records()[0];
    assert_eq!(r.record_index(), 0);
    assert_eq!(r.existing_version(), Some(1));
    assert!(
        r.reason().unwrap().contains("higher version"),
        "{:?}",
        r.reason()
    );
    // A higher version updates.
    c.write_records()
        .database_name("dbw")
        .table_name("tbl")
        .records(same_key("9.0", Some(2)))
        .send()
        .await
        .unwrap();
    let stored: (String, i64) = s
        .emulator()
        .store()
        .read(|conn| {
            conn.query_row(
                "SELECT measure_value, version FROM records WHERE measure_name = 'cpu'
                 AND json_extract(dimensions, '$.region') = 'eu'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        })
        .unwrap();
    assert_eq!(stored, ("9".to_owned(), 2));
}

#[tokio::test]
async fn rejected_records_name_index_and_reason() {
    let (_s, c) = start();
    database(&c, "dbw").await;
    table(&c, "dbw", "tbl", false).await;
    let t = now_ms();
    let old = t - 7 * 3600 * 1000;
    let err = c
        .write_records()
        .database_name("dbw")
        .table_name("tbl")
        .records(cpu("a", t, "1"))
        .records(cpu("b", old, "1"))
        .records(cpu("c", t, "not-a-number"))
        .records(cpu("d", t + 20 * 60 * 1000, "1"))
        .send()
        .await
        .unwrap_err();
    let raw_status = err.raw_response().map(|r| r.status().as_u16());
    assert_eq!(raw_status, Some(419));
    let e = err.into_service_error();
    let aws_sdk_timestreamwrite::operation::write_records::WriteRecordsError::RejectedRecordsException(rr) = e
    else {
        panic!("expected RejectedRecordsException, got {e:?}");
    };
    let idx: Vec<i32> = rr
        .rejected_records()
        .iter()
        .map(|r| r.record_index())
        .collect();
    assert_eq!(idx, vec![1, 2, 3]);
    assert!(
        rr.rejected_records()[0]
            .reason()
            .unwrap()
            .contains("outside the time range")
    );
    assert!(
        rr.rejected_records()[1]
            .reason()
            .unwrap()
            .contains("not a valid DOUBLE")
    );

    // With magnetic-store writes the old record is accepted, into the magnetic store.
    table(&c, "dbw", "mag", true).await;
    let out = c
        .write_records()
        .database_name("dbw")
        .table_name("mag")
        .records(cpu("b", old, "1"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.records_ingested().unwrap().magnetic_store(), 1);
}

#[tokio::test]
async fn write_records_validation_and_missing_tables() {
    let (_s, c) = start();
    database(&c, "dbw").await;
    let (e, _) = code(
        c.write_records()
            .database_name("dbw")
            .table_name("nope")
            .records(cpu("a", now_ms(), "1"))
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e, "ResourceNotFoundException");
    table(&c, "dbw", "tbl", false).await;
    let (e, m) = code(
        c.write_records()
            .database_name("dbw")
            .table_name("tbl")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e, "ValidationException");
    assert!(m.contains("'Records'"), "{m}");
    let mut req = c.write_records().database_name("dbw").table_name("tbl");
    for i in 0..101 {
        req = req.records(cpu("a", now_ms() - i, "1"));
    }
    let (e, m) = code(req.send().await.unwrap_err());
    assert_eq!(e, "ValidationException");
    assert!(m.contains("less than or equal to 100"), "{m}");
    let bad_version = Record::builder()
        .dimensions(
            Dimension::builder()
                .name("host")
                .value("a")
                .build()
                .unwrap(),
        )
        .measure_name("cpu")
        .measure_value("1")
        .time(now_ms().to_string())
        .version(0)
        .build();
    let (e, m) = code(
        c.write_records()
            .database_name("dbw")
            .table_name("tbl")
            .records(bad_version)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e, "ValidationException");
    assert!(m.contains("Records.1.member.Version"), "{m}");
}
