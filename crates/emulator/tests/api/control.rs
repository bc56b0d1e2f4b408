//! Databases, tables, tags and DescribeEndpoints.

use aws_sdk_timestreamwrite::types::{
    PartitionKey, PartitionKeyEnforcementLevel, PartitionKeyType, RetentionProperties, Schema, Tag,
};

use crate::common::{code, database, start, table};

#[tokio::test]
async fn databases_lifecycle_and_errors() {
    let (_s, c) = start();
    let created = c
        .create_database()
        .database_name("db1")
        .tags(Tag::builder().key("team").value("ops").build().unwrap())
        .send()
        .await
        .unwrap();
    let d = created.database().unwrap();
    assert_eq!(d.database_name(), Some("db1"));
    assert_eq!(
        d.arn(),
        Some("arn:aws:timestream:us-east-1:123456789012:database/db1")
    );
    assert_eq!(d.table_count(), 0);
    assert!(d.creation_time().is_some());

    let (c1, m1) = code(
        c.create_database()
            .database_name("db1")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(c1, "ConflictException", "{m1}");
    let (c2, m2) = code(
        c.create_database()
            .database_name("a b")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(c2, "ValidationException");
    assert!(
        m2.contains("'DatabaseName'") && m2.contains("pattern"),
        "{m2}"
    );
    let (c3, m3) = code(
        c.create_database()
            .database_name("ab")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(c3, "ValidationException");
    assert!(m3.contains("length greater than or equal to 3"), "{m3}");
    let (c4, m4) = code(c.create_database().send().await.unwrap_err());
    assert_eq!(c4, "ValidationException");
    assert!(
        m4.contains("'DatabaseName'") && m4.contains("must not be null"),
        "{m4}"
    );

    let described = c
        .describe_database()
        .database_name("db1")
        .send()
        .await
        .unwrap();
    assert_eq!(described.database().unwrap().database_name(), Some("db1"));
    let (c5, m5) = code(
        c.describe_database()
            .database_name("nope")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(c5, "ResourceNotFoundException");
    assert_eq!(m5, "The database nope does not exist.");

    let updated = c
        .update_database()
        .database_name("db1")
        .kms_key_id("my-key")
        .send()
        .await
        .unwrap();
    assert_eq!(updated.database().unwrap().kms_key_id(), Some("my-key"));
    let (c6, _) = code(
        c.update_database()
            .database_name("nope")
            .kms_key_id("k")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(c6, "ResourceNotFoundException");
    let (c7, m7) = code(
        c.update_database()
            .database_name("db1")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(c7, "ValidationException");
    assert!(m7.contains("'KmsKeyId'"), "{m7}");

    table(&c, "db1", "tb1", false).await;
    let (c8, m8) = code(
        c.delete_database()
            .database_name("db1")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(c8, "ValidationException", "refused while tables exist");
    assert!(m8.contains("contains 1 table"), "{m8}");
    c.delete_table()
        .database_name("db1")
        .table_name("tb1")
        .send()
        .await
        .unwrap();
    c.delete_database()
        .database_name("db1")
        .send()
        .await
        .unwrap();
    let (c9, _) = code(
        c.delete_database()
            .database_name("db1")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(c9, "ResourceNotFoundException");
}

#[tokio::test]
async fn list_databases_paginates() {
    let (_s, c) = start();
    for i in 0..25 {
        database(&c, &format!("db{i:02}")).await;
    }
    let first = c.list_databases().max_results(10).send().await.unwrap();
    assert_eq!(first.databases().len(), 10);
    assert!(first.next_token().is_some());
    let pages = c
        .list_databases()
        .max_results(7)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 4);
    let all: Vec<String> = pages
        .iter()
        .flat_map(|p| p.databases())
        .filter_map(|d| d.database_name().map(str::to_owned))
        .collect();
    let expected: Vec<String> = (0..25).map(|i| format!("db{i:02}")).collect();
    assert_eq!(all, expected);
    let (e, m) = code(c.list_databases().max_results(21).send().await.unwrap_err());
    assert_eq!(e, "ValidationException");
    assert!(m.contains("'MaxResults'"), "{m}");
    let (e, _) = code(
        c.list_databases()
            .next_token("garbage")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e, "ValidationException");
}

#[tokio::test]
async fn tables_lifecycle_defaults_and_errors() {
    let (_s, c) = start();
    database(&c, "dbx").await;
    let t = c
        .create_table()
        .database_name("dbx")
        .table_name("plain")
        .send()
        .await
        .unwrap();
    let t = t.table().unwrap();
    let r = t.retention_properties().unwrap();
    assert_eq!(r.memory_store_retention_period_in_hours(), 6);
    assert_eq!(r.magnetic_store_retention_period_in_days(), 73000);
    assert!(
        !t.magnetic_store_write_properties()
            .unwrap()
            .enable_magnetic_store_writes()
    );
    assert_eq!(t.table_status().unwrap().as_str(), "ACTIVE");

    let keyed = c
        .create_table()
        .database_name("dbx")
        .table_name("keyed")
        .retention_properties(
            RetentionProperties::builder()
                .memory_store_retention_period_in_hours(24)
                .magnetic_store_retention_period_in_days(365)
                .build()
                .unwrap(),
        )
        .schema(
            Schema::builder()
                .composite_partition_key(
                    PartitionKey::builder()
                        .r#type(PartitionKeyType::Dimension)
                        .name("host")
                        .enforcement_in_record(PartitionKeyEnforcementLevel::Required)
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let key = &keyed
        .table()
        .unwrap()
        .schema()
        .unwrap()
        .composite_partition_key()[0];
    assert_eq!(key.name(), Some("host"));
    assert_eq!(key.enforcement_in_record().unwrap().as_str(), "REQUIRED");

    let (e, _) = code(
        c.create_table()
            .database_name("dbx")
            .table_name("plain")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e, "ConflictException");
    let (e, _) = code(
        c.create_table()
            .database_name("nodb")
            .table_name("tbl")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e, "ResourceNotFoundException");
    let (e, m) = code(
        c.create_table()
            .database_name("dbx")
            .table_name("bad")
            .retention_properties(
                RetentionProperties::builder()
                    .memory_store_retention_period_in_hours(0)
                    .magnetic_store_retention_period_in_days(80000)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e, "ValidationException");
    assert!(m.starts_with("2 validation errors detected"), "{m}");
    assert!(
        m.contains("MemoryStoreRetentionPeriodInHours")
            && m.contains("MagneticStoreRetentionPeriodInDays"),
        "{m}"
    );

    let d = c
        .describe_table()
        .database_name("dbx")
        .table_name("keyed")
        .send()
        .await
        .unwrap();
    assert_eq!(
        d.table()
            .unwrap()
            .retention_properties()
            .unwrap()
            .memory_store_retention_period_in_hours(),
        24
    );
    let (e, m) = code(
        c.describe_table()
            .database_name("dbx")
            .table_name("unknown")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e, "ResourceNotFoundException");
    assert_eq!(m, "The table unknown does not exist.");

    let u = c
        .update_table()
        .database_name("dbx")
        .table_name("plain")
        .magnetic_store_write_properties(
            aws_sdk_timestreamwrite::types::MagneticStoreWriteProperties::builder()
                .enable_magnetic_store_writes(true)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert!(
        u.table()
            .unwrap()
            .magnetic_store_write_properties()
            .unwrap()
            .enable_magnetic_store_writes()
    );
    let (e, _) = code(
        c.update_table()
            .database_name("dbx")
            .table_name("nope")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e, "ResourceNotFoundException");

    let db = c
        .describe_database()
        .database_name("dbx")
        .send()
        .await
        .unwrap();
    assert_eq!(db.database().unwrap().table_count(), 2);
    c.delete_table()
        .database_name("dbx")
        .table_name("plain")
        .send()
        .await
        .unwrap();
    let (e, _) = code(
        c.delete_table()
            .database_name("dbx")
            .table_name("plain")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e, "ResourceNotFoundException");
}

#[tokio::test]
async fn list_tables_paginates_and_filters() {
    let (_s, c) = start();
    database(&c, "aaa").await;
    database(&c, "bbb").await;
    for i in 0..5 {
        table(&c, "aaa", &format!("tbl{i}"), false).await;
        table(&c, "bbb", &format!("ubl{i}"), false).await;
    }
    let in_a: Vec<_> = c
        .list_tables()
        .database_name("aaa")
        .max_results(2)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .unwrap()
        .iter()
        .flat_map(|p| p.tables().to_vec())
        .collect();
    assert_eq!(in_a.len(), 5);
    assert!(in_a.iter().all(|t| t.database_name() == Some("aaa")));
    let everywhere: Vec<_> = c
        .list_tables()
        .max_results(3)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .unwrap()
        .iter()
        .flat_map(|p| p.tables().to_vec())
        .collect();
    assert_eq!(everywhere.len(), 10);
    let (e, _) = code(
        c.list_tables()
            .database_name("zzz")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e, "ResourceNotFoundException");
}

#[tokio::test]
async fn tags_by_arn() {
    let (_s, c) = start();
    database(&c, "dbx").await;
    table(&c, "dbx", "tbl", false).await;
    let arn = "arn:aws:timestream:us-east-1:123456789012:database/dbx/table/tbl";
    c.tag_resource()
        .resource_arn(arn)
        .tags(Tag::builder().key("a").value("1").build().unwrap())
        .tags(Tag::builder().key("b").value("2").build().unwrap())
        .send()
        .await
        .unwrap();
    let tags = c
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = tags.tags().iter().map(|t| (t.key(), t.value())).collect();
    assert_eq!(keys, vec![("a", "1"), ("b", "2")]);
    c.untag_resource()
        .resource_arn(arn)
        .tag_keys("a")
        .send()
        .await
        .unwrap();
    let tags = c
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags().len(), 1);
    let db_arn = "arn:aws:timestream:us-east-1:123456789012:database/dbx";
    assert!(
        c.list_tags_for_resource()
            .resource_arn(db_arn)
            .send()
            .await
            .unwrap()
            .tags()
            .is_empty()
    );

    let missing = "arn:aws:timestream:us-east-1:123456789012:database/dbx/table/nope";
    let (e, _) = code(
        c.list_tags_for_resource()
            .resource_arn(missing)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e, "ResourceNotFoundException");
    let (e, _) = code(
        c.tag_resource()
            .resource_arn(missing)
            .tags(Tag::builder().key("a").value("1").build().unwrap())
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e, "ResourceNotFoundException");
    let (e, _) = code(
        c.untag_resource()
            .resource_arn(missing)
            .tag_keys("a")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e, "ResourceNotFoundException");
    let (e, m) = code(
        c.tag_resource()
            .resource_arn(arn)
            .tags(Tag::builder().key("").value("1").build().unwrap())
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e, "ValidationException");
    assert!(m.contains("'Tags.1.Key'"), "{m}");
}

#[tokio::test]
async fn describe_endpoints_returns_its_own_address() {
    let (s, c) = start();
    let out = c.describe_endpoints().send().await.unwrap();
    let ep = &out.endpoints()[0];
    assert_eq!(ep.address(), s.addr().to_string());
    assert_eq!(ep.cache_period_in_minutes(), 1440);
}
