//! Databases, tables, tags and DescribeEndpoints.

use rusqlite::{Connection, params};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::protocol::{ApiError, Checks, Pattern, decode};
use crate::service::{Emulator, now};
use crate::store::{DatabaseRow, TABLE_COLUMNS, TableRow};

/// Default memory-store retention in hours (spec §4.2 \[DOC\], \[3P/aws-verified\]).
pub(crate) const DEFAULT_MEMORY_HOURS: i64 = 6;
/// Default magnetic-store retention in days (spec §4.2 \[DOC\], \[3P/aws-verified\]).
pub(crate) const DEFAULT_MAGNETIC_DAYS: i64 = 73000;
/// `PaginationLimit` of ListDatabases and ListTables \[MODEL: 1..20\].
const LIST_LIMIT: i64 = 20;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Tag {
    pub key: Option<String>,
    pub value: Option<String>,
}

pub(crate) fn check_tags(c: &mut Checks, member: &str, tags: Option<&Vec<Tag>>) {
    let Some(tags) = tags else { return };
    c.count(member, Some(tags.len()), 0, Some(200));
    for (i, t) in tags.iter().enumerate() {
        let key = format!("{member}.{}.Key", i + 1);
        let value = format!("{member}.{}.Value", i + 1);
        c.required(&key, t.key.as_ref());
        c.length(&key, t.key.as_deref(), 1, Some(128));
        c.required(&value, t.value.as_ref());
        c.length(&value, t.value.as_deref(), 0, Some(256));
    }
}

fn check_create_name(c: &mut Checks, member: &str, value: Option<&String>) {
    c.required(member, value);
    c.length(member, value.map(String::as_str), 3, Some(256));
    c.pattern(member, value.map(String::as_str), Pattern::ResourceName);
}

fn check_max_results(c: &mut Checks, max: Option<i64>, limit: i64) {
    c.range("MaxResults", max, 1, Some(limit));
}

pub(crate) fn database_json(conn: &Connection, row: &DatabaseRow) -> Result<Value, ApiError> {
    let count: i64 = conn.query_row(
        "SELECT count(*) FROM tables WHERE database_name = ?1",
        [&row.name],
        |r| r.get(0),
    )?;
    Ok(json!({
        "Arn": row.arn,
        "DatabaseName": row.name,
        "TableCount": count,
        "KmsKeyId": row.kms_key_id,
        "CreationTime": row.creation_time,
        "LastUpdatedTime": row.last_updated_time,
    }))
}

pub(crate) fn table_json(row: &TableRow) -> Value {
    json!({
        "Arn": row.arn,
        "TableName": row.name,
        "DatabaseName": row.database,
        "TableStatus": row.status,
        "RetentionProperties": row.retention,
        "CreationTime": row.creation_time,
        "LastUpdatedTime": row.last_updated_time,
        "MagneticStoreWriteProperties": row.magnetic,
        "Schema": row.schema,
    })
}

pub(crate) fn require_database(conn: &Connection, name: &str) -> Result<DatabaseRow, ApiError> {
    DatabaseRow::get(conn, name)?
        .ok_or_else(|| ApiError::not_found(format!("The database {name} does not exist.")))
}

pub(crate) fn require_table(conn: &Connection, db: &str, name: &str) -> Result<TableRow, ApiError> {
    require_database(conn, db)?;
    TableRow::get(conn, db, name)?
        .ok_or_else(|| ApiError::not_found(format!("The table {name} does not exist.")))
}

fn insert_tags(conn: &Connection, arn: &str, tags: Option<&Vec<Tag>>) -> Result<(), ApiError> {
    for t in tags.into_iter().flatten() {
        conn.execute(
            "INSERT INTO tags (arn, key, value) VALUES (?1, ?2, ?3)
             ON CONFLICT (arn, key) DO UPDATE SET value = excluded.value",
            params![
                arn,
                t.key.as_deref().unwrap_or(""),
                t.value.as_deref().unwrap_or("")
            ],
        )?;
    }
    Ok(())
}

/// Pagination tokens: the last key returned, hex-encoded so clients treat
/// them as opaque.
pub(crate) fn encode_token(key: &str) -> String {
    let mut s = String::with_capacity(3 + key.len() * 2);
    s.push_str("v1.");
    for b in key.bytes() {
        let _ = std::fmt::Write::write_fmt(&mut s, format_args!("{b:02x}"));
    }
    s
}

pub(crate) fn decode_token(token: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(token) = token else { return Ok(None) };
    let invalid = || ApiError::validation(format!("The NextToken '{token}' is not valid."));
    let hex = token.strip_prefix("v1.").ok_or_else(invalid)?;
    if hex.len() % 2 != 0 {
        return Err(invalid());
    }
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| invalid()))
        .collect::<Result<Vec<u8>, _>>()?;
    String::from_utf8(bytes).map(Some).map_err(|_| invalid())
}

// ---------------------------------------------------------------- databases

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateDatabase {
    database_name: Option<String>,
    kms_key_id: Option<String>,
    tags: Option<Vec<Tag>>,
}

pub(crate) fn create_database(emu: &Emulator, body: &[u8]) -> Result<Value, ApiError> {
    let req: CreateDatabase = decode(body)?;
    let mut c = Checks::new();
    check_create_name(&mut c, "DatabaseName", req.database_name.as_ref());
    c.length("KmsKeyId", req.kms_key_id.as_deref(), 1, Some(2048));
    check_tags(&mut c, "Tags", req.tags.as_ref());
    c.finish()?;
    let name = req.database_name.unwrap_or_default();
    emu.store().with(|conn| {
        let tx = conn.transaction()?;
        if DatabaseRow::get(&tx, &name)?.is_some() {
            return Err(ApiError::conflict(format!(
                "A database with the name {name} already exists."
            )));
        }
        let t = now();
        let row = DatabaseRow {
            arn: emu.arn(&format!("database/{name}")),
            kms_key_id: req
                .kms_key_id
                .clone()
                .unwrap_or_else(|| emu.default_kms_key()),
            name: name.clone(),
            creation_time: t,
            last_updated_time: t,
        };
        tx.execute(
            "INSERT INTO databases (database_name, arn, kms_key_id, creation_time, last_updated_time)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![row.name, row.arn, row.kms_key_id, row.creation_time, row.last_updated_time],
        )?;
        insert_tags(&tx, &row.arn, req.tags.as_ref())?;
        let out = database_json(&tx, &row)?;
        tx.commit()?;
        Ok(json!({ "Database": out }))
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DatabaseRef {
    database_name: Option<String>,
}

pub(crate) fn describe_database(emu: &Emulator, body: &[u8]) -> Result<Value, ApiError> {
    let req: DatabaseRef = decode(body)?;
    let mut c = Checks::new();
    c.required("DatabaseName", req.database_name.as_ref());
    c.finish()?;
    let name = req.database_name.unwrap_or_default();
    emu.store().with(|conn| {
        let row = require_database(conn, &name)?;
        Ok(json!({ "Database": database_json(conn, &row)? }))
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListRequest {
    database_name: Option<String>,
    next_token: Option<String>,
    max_results: Option<i64>,
}

pub(crate) fn list_databases(emu: &Emulator, body: &[u8]) -> Result<Value, ApiError> {
    let req: ListRequest = decode(body)?;
    let mut c = Checks::new();
    check_max_results(&mut c, req.max_results, LIST_LIMIT);
    c.finish()?;
    let after = decode_token(req.next_token.as_deref())?;
    let limit = req.max_results.unwrap_or(LIST_LIMIT);
    emu.store().with(|conn| {
        let mut stmt = conn.prepare(
            "SELECT database_name, arn, kms_key_id, creation_time, last_updated_time
             FROM databases WHERE database_name > ?1 ORDER BY database_name LIMIT ?2",
        )?;
        let rows = stmt
            .query_map(
                params![after.as_deref().unwrap_or(""), limit + 1],
                DatabaseRow::from_row,
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let more = rows.len() as i64 > limit;
        let page = &rows[..rows.len().min(limit as usize)];
        let out = page
            .iter()
            .map(|r| database_json(conn, r))
            .collect::<Result<Vec<_>, _>>()?;
        let mut resp = json!({ "Databases": out });
        if more && let Some(last) = page.last() {
            resp["NextToken"] = json!(encode_token(&last.name));
        }
        Ok(resp)
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateDatabase {
    database_name: Option<String>,
    kms_key_id: Option<String>,
}

pub(crate) fn update_database(emu: &Emulator, body: &[u8]) -> Result<Value, ApiError> {
    let req: UpdateDatabase = decode(body)?;
    let mut c = Checks::new();
    c.required("DatabaseName", req.database_name.as_ref());
    c.required("KmsKeyId", req.kms_key_id.as_ref());
    c.length("KmsKeyId", req.kms_key_id.as_deref(), 1, Some(2048));
    c.finish()?;
    let name = req.database_name.unwrap_or_default();
    let key = req.kms_key_id.unwrap_or_default();
    emu.store().with(|conn| {
        require_database(conn, &name)?;
        conn.execute(
            "UPDATE databases SET kms_key_id = ?2, last_updated_time = ?3 WHERE database_name = ?1",
            params![name, key, now()],
        )?;
        let row = require_database(conn, &name)?;
        Ok(json!({ "Database": database_json(conn, &row)? }))
    })
}

pub(crate) fn delete_database(emu: &Emulator, body: &[u8]) -> Result<Value, ApiError> {
    let req: DatabaseRef = decode(body)?;
    let mut c = Checks::new();
    c.required("DatabaseName", req.database_name.as_ref());
    c.finish()?;
    let name = req.database_name.unwrap_or_default();
    emu.store().with(|conn| {
        let tx = conn.transaction()?;
        let row = require_database(&tx, &name)?;
        let tables: i64 = tx.query_row(
            "SELECT count(*) FROM tables WHERE database_name = ?1",
            [&name],
            |r| r.get(0),
        )?;
        if tables > 0 {
            // The service refuses to delete a database that has tables; the
            // error shape is [INF].
            return Err(ApiError::validation(format!(
                "The database {name} cannot be deleted because it contains {tables} table(s). Delete the tables first."
            )));
        }
        tx.execute("DELETE FROM tags WHERE arn = ?1", [&row.arn])?;
        tx.execute("DELETE FROM databases WHERE database_name = ?1", [&name])?;
        tx.commit()?;
        Ok(json!({}))
    })
}

// ------------------------------------------------------------------- tables

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RetentionProperties {
    memory_store_retention_period_in_hours: Option<i64>,
    magnetic_store_retention_period_in_days: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct MagneticStoreWriteProperties {
    enable_magnetic_store_writes: Option<bool>,
    magnetic_store_rejected_data_location: Option<RejectedDataLocation>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RejectedDataLocation {
    #[serde(rename = "S3Configuration")]
    s3_configuration: Option<S3Configuration>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct S3Configuration {
    bucket_name: Option<String>,
    object_key_prefix: Option<String>,
    encryption_option: Option<String>,
    kms_key_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Schema {
    composite_partition_key: Option<Vec<PartitionKey>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PartitionKey {
    #[serde(rename = "Type")]
    kind: Option<String>,
    name: Option<String>,
    enforcement_in_record: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TableRequest {
    database_name: Option<String>,
    table_name: Option<String>,
    retention_properties: Option<RetentionProperties>,
    tags: Option<Vec<Tag>>,
    magnetic_store_write_properties: Option<MagneticStoreWriteProperties>,
    schema: Option<Schema>,
}

fn check_table_properties(c: &mut Checks, req: &TableRequest) {
    if let Some(r) = &req.retention_properties {
        let mem = "RetentionProperties.MemoryStoreRetentionPeriodInHours";
        let mag = "RetentionProperties.MagneticStoreRetentionPeriodInDays";
        c.required(mem, r.memory_store_retention_period_in_hours.as_ref());
        c.range(mem, r.memory_store_retention_period_in_hours, 1, Some(8766));
        c.required(mag, r.magnetic_store_retention_period_in_days.as_ref());
        c.range(
            mag,
            r.magnetic_store_retention_period_in_days,
            1,
            Some(73000),
        );
    }
    if let Some(m) = &req.magnetic_store_write_properties {
        c.required(
            "MagneticStoreWriteProperties.EnableMagneticStoreWrites",
            m.enable_magnetic_store_writes.as_ref(),
        );
        if let Some(s3) = m
            .magnetic_store_rejected_data_location
            .as_ref()
            .and_then(|l| l.s3_configuration.as_ref())
        {
            let p =
                "MagneticStoreWriteProperties.MagneticStoreRejectedDataLocation.S3Configuration";
            c.length(
                &format!("{p}.BucketName"),
                s3.bucket_name.as_deref(),
                3,
                Some(63),
            );
            c.pattern(
                &format!("{p}.BucketName"),
                s3.bucket_name.as_deref(),
                Pattern::BucketName,
            );
            let key = format!("{p}.ObjectKeyPrefix");
            c.length(&key, s3.object_key_prefix.as_deref(), 1, Some(928));
            c.pattern(&key, s3.object_key_prefix.as_deref(), Pattern::ObjectKey);
            c.one_of(
                &format!("{p}.EncryptionOption"),
                s3.encryption_option.as_deref(),
                &["SSE_S3", "SSE_KMS"],
            );
            c.length(
                &format!("{p}.KmsKeyId"),
                s3.kms_key_id.as_deref(),
                1,
                Some(2048),
            );
        }
    }
    if let Some(s) = &req.schema {
        let keys = s.composite_partition_key.as_ref();
        c.count("Schema.CompositePartitionKey", keys.map(Vec::len), 1, None);
        for (i, k) in keys.into_iter().flatten().enumerate() {
            let p = format!("Schema.CompositePartitionKey.{}", i + 1);
            c.required(&format!("{p}.Type"), k.kind.as_ref());
            c.one_of(
                &format!("{p}.Type"),
                k.kind.as_deref(),
                &["DIMENSION", "MEASURE"],
            );
            c.length(&format!("{p}.Name"), k.name.as_deref(), 1, None);
            c.one_of(
                &format!("{p}.EnforcementInRecord"),
                k.enforcement_in_record.as_deref(),
                &["REQUIRED", "OPTIONAL"],
            );
            if k.kind.as_deref() == Some("DIMENSION") && k.name.is_none() {
                // "The name of the attribute used for a dimension key" [MODEL]:
                // a dimension key without a name means nothing [INF].
                c.fail(format!(
                    "Value null at '{p}.Name' failed to satisfy constraint: a DIMENSION partition key needs a Name"
                ));
            }
        }
    }
}

/// The table's properties as the service echoes them, with defaults filled.
fn retention_json(r: Option<&RetentionProperties>) -> Value {
    json!({
        "MemoryStoreRetentionPeriodInHours": r
            .and_then(|r| r.memory_store_retention_period_in_hours)
            .unwrap_or(DEFAULT_MEMORY_HOURS),
        "MagneticStoreRetentionPeriodInDays": r
            .and_then(|r| r.magnetic_store_retention_period_in_days)
            .unwrap_or(DEFAULT_MAGNETIC_DAYS),
    })
}

fn magnetic_json(m: Option<&MagneticStoreWriteProperties>) -> Value {
    let mut out = json!({
        "EnableMagneticStoreWrites": m.and_then(|m| m.enable_magnetic_store_writes).unwrap_or(false)
    });
    if let Some(s3) = m
        .and_then(|m| m.magnetic_store_rejected_data_location.as_ref())
        .and_then(|l| l.s3_configuration.as_ref())
    {
        let mut conf = serde_json::Map::new();
        for (k, v) in [
            ("BucketName", &s3.bucket_name),
            ("ObjectKeyPrefix", &s3.object_key_prefix),
            ("EncryptionOption", &s3.encryption_option),
            ("KmsKeyId", &s3.kms_key_id),
        ] {
            if let Some(v) = v {
                conf.insert(k.to_owned(), json!(v));
            }
        }
        out["MagneticStoreRejectedDataLocation"] = json!({ "S3Configuration": conf });
    }
    out
}

fn schema_json(s: Option<&Schema>) -> Value {
    // Without a schema the table is partitioned by measure name
    // ([INF]: what DescribeTable shows for such tables).
    let keys = s
        .and_then(|s| s.composite_partition_key.as_ref())
        .map(|keys| {
            keys.iter()
                .map(|k| {
                    let mut o = serde_json::Map::new();
                    if let Some(t) = &k.kind {
                        o.insert("Type".into(), json!(t));
                    }
                    if let Some(n) = &k.name {
                        o.insert("Name".into(), json!(n));
                    }
                    if let Some(e) = &k.enforcement_in_record {
                        o.insert("EnforcementInRecord".into(), json!(e));
                    }
                    Value::Object(o)
                })
                .collect::<Vec<_>>()
        })
        .unwrap_or_else(|| vec![json!({"Type": "MEASURE"})]);
    json!({ "CompositePartitionKey": keys })
}

pub(crate) fn create_table(emu: &Emulator, body: &[u8]) -> Result<Value, ApiError> {
    let req: TableRequest = decode(body)?;
    let mut c = Checks::new();
    check_create_name(&mut c, "DatabaseName", req.database_name.as_ref());
    check_create_name(&mut c, "TableName", req.table_name.as_ref());
    check_tags(&mut c, "Tags", req.tags.as_ref());
    check_table_properties(&mut c, &req);
    c.finish()?;
    let db = req.database_name.clone().unwrap_or_default();
    let name = req.table_name.clone().unwrap_or_default();
    emu.store().with(|conn| {
        let tx = conn.transaction()?;
        require_database(&tx, &db)?;
        if TableRow::get(&tx, &db, &name)?.is_some() {
            return Err(ApiError::conflict(format!(
                "A table with the name {name} already exists in the database {db}."
            )));
        }
        let t = now();
        let row = TableRow {
            arn: emu.arn(&format!("database/{db}/table/{name}")),
            database: db.clone(),
            name: name.clone(),
            status: "ACTIVE".into(),
            retention: retention_json(req.retention_properties.as_ref()),
            magnetic: magnetic_json(req.magnetic_store_write_properties.as_ref()),
            schema: schema_json(req.schema.as_ref()),
            creation_time: t,
            last_updated_time: t,
        };
        tx.execute(
            &format!(
                "INSERT INTO tables ({TABLE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
            ),
            params![
                row.database,
                row.name,
                row.arn,
                row.status,
                row.retention.to_string(),
                row.magnetic.to_string(),
                row.schema.to_string(),
                row.creation_time,
                row.last_updated_time
            ],
        )?;
        insert_tags(&tx, &row.arn, req.tags.as_ref())?;
        tx.commit()?;
        Ok(json!({ "Table": table_json(&row) }))
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TableRef {
    database_name: Option<String>,
    table_name: Option<String>,
}

fn table_ref(body: &[u8]) -> Result<(String, String), ApiError> {
    let req: TableRef = decode(body)?;
    let mut c = Checks::new();
    c.required("DatabaseName", req.database_name.as_ref());
    c.required("TableName", req.table_name.as_ref());
    c.finish()?;
    Ok((
        req.database_name.unwrap_or_default(),
        req.table_name.unwrap_or_default(),
    ))
}

pub(crate) fn describe_table(emu: &Emulator, body: &[u8]) -> Result<Value, ApiError> {
    let (db, name) = table_ref(body)?;
    emu.store().with(|conn| {
        let row = require_table(conn, &db, &name)?;
        Ok(json!({ "Table": table_json(&row) }))
    })
}

pub(crate) fn list_tables(emu: &Emulator, body: &[u8]) -> Result<Value, ApiError> {
    let req: ListRequest = decode(body)?;
    let mut c = Checks::new();
    check_max_results(&mut c, req.max_results, LIST_LIMIT);
    c.finish()?;
    let after = decode_token(req.next_token.as_deref())?.unwrap_or_default();
    let limit = req.max_results.unwrap_or(LIST_LIMIT);
    emu.store().with(|conn| {
        if let Some(db) = &req.database_name {
            require_database(conn, db)?;
        }
        // The token is `<database>\0<table>` of the last table returned.
        let (after_db, after_table) = after.split_once('\0').unwrap_or((after.as_str(), ""));
        let mut stmt = conn.prepare(&format!(
            "SELECT {TABLE_COLUMNS} FROM tables
             WHERE (?1 IS NULL OR database_name = ?1)
               AND (database_name > ?2 OR (database_name = ?2 AND table_name > ?3))
             ORDER BY database_name, table_name LIMIT ?4"
        ))?;
        let rows = stmt
            .query_map(
                params![req.database_name, after_db, after_table, limit + 1],
                TableRow::from_row,
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let more = rows.len() as i64 > limit;
        let page = &rows[..rows.len().min(limit as usize)];
        let mut resp = json!({ "Tables": page.iter().map(table_json).collect::<Vec<_>>() });
        if more && let Some(last) = page.last() {
            resp["NextToken"] = json!(encode_token(&format!("{}\0{}", last.database, last.name)));
        }
        Ok(resp)
    })
}

pub(crate) fn update_table(emu: &Emulator, body: &[u8]) -> Result<Value, ApiError> {
    let req: TableRequest = decode(body)?;
    let mut c = Checks::new();
    c.required("DatabaseName", req.database_name.as_ref());
    c.required("TableName", req.table_name.as_ref());
    check_table_properties(&mut c, &req);
    c.finish()?;
    let db = req.database_name.clone().unwrap_or_default();
    let name = req.table_name.clone().unwrap_or_default();
    emu.store().with(|conn| {
        let tx = conn.transaction()?;
        let mut row = require_table(&tx, &db, &name)?;
        if let Some(r) = &req.retention_properties {
            row.retention = retention_json(Some(r));
        }
        if let Some(m) = &req.magnetic_store_write_properties {
            row.magnetic = magnetic_json(Some(m));
        }
        if let Some(s) = &req.schema {
            row.schema = schema_json(Some(s));
        }
        row.last_updated_time = now();
        tx.execute(
            "UPDATE tables SET retention = ?3, magnetic_store_write_properties = ?4, schema = ?5,
                 last_updated_time = ?6
             WHERE database_name = ?1 AND table_name = ?2",
            params![
                db,
                name,
                row.retention.to_string(),
                row.magnetic.to_string(),
                row.schema.to_string(),
                row.last_updated_time
            ],
        )?;
        tx.commit()?;
        Ok(json!({ "Table": table_json(&row) }))
    })
}

pub(crate) fn delete_table(emu: &Emulator, body: &[u8]) -> Result<Value, ApiError> {
    let (db, name) = table_ref(body)?;
    emu.store().with(|conn| {
        let tx = conn.transaction()?;
        let row = require_table(&tx, &db, &name)?;
        tx.execute("DELETE FROM tags WHERE arn = ?1", [&row.arn])?;
        tx.execute(
            "DELETE FROM records WHERE database_name = ?1 AND table_name = ?2",
            params![db, name],
        )?;
        tx.execute(
            "DELETE FROM measure_types WHERE database_name = ?1 AND table_name = ?2",
            params![db, name],
        )?;
        tx.execute(
            "DELETE FROM tables WHERE database_name = ?1 AND table_name = ?2",
            params![db, name],
        )?;
        tx.commit()?;
        Ok(json!({}))
    })
}

// --------------------------------------------------------------------- tags

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TagRequest {
    #[serde(rename = "ResourceARN")]
    resource_arn: Option<String>,
    tags: Option<Vec<Tag>>,
    tag_keys: Option<Vec<String>>,
}

/// Finds the database or table an ARN names.
fn require_arn(emu: &Emulator, conn: &Connection, arn: &str) -> Result<(), ApiError> {
    let missing = || ApiError::not_found(format!("The resource {arn} does not exist."));
    let rest = arn
        .strip_prefix(&emu.arn("database/"))
        .ok_or_else(missing)?;
    match rest.split_once("/table/") {
        Some((db, table)) => TableRow::get(conn, db, table)?
            .map(|_| ())
            .ok_or_else(missing),
        None => DatabaseRow::get(conn, rest)?
            .map(|_| ())
            .ok_or_else(missing),
    }
}

fn check_arn(c: &mut Checks, arn: Option<&String>) {
    c.required("ResourceARN", arn);
    c.length("ResourceARN", arn.map(String::as_str), 1, Some(1011));
}

pub(crate) fn tag_resource(emu: &Emulator, body: &[u8]) -> Result<Value, ApiError> {
    let req: TagRequest = decode(body)?;
    let mut c = Checks::new();
    check_arn(&mut c, req.resource_arn.as_ref());
    c.required("Tags", req.tags.as_ref());
    check_tags(&mut c, "Tags", req.tags.as_ref());
    c.finish()?;
    let arn = req.resource_arn.clone().unwrap_or_default();
    emu.store().with(|conn| {
        let tx = conn.transaction()?;
        require_arn(emu, &tx, &arn)?;
        insert_tags(&tx, &arn, req.tags.as_ref())?;
        let n: i64 = tx.query_row("SELECT count(*) FROM tags WHERE arn = ?1", [&arn], |r| {
            r.get(0)
        })?;
        if n > 200 {
            return Err(ApiError::new(
                crate::protocol::ErrorKind::ServiceQuotaExceeded,
                format!("The resource {arn} would have {n} tags; at most 200 are allowed."),
            ));
        }
        tx.commit()?;
        Ok(json!({}))
    })
}

pub(crate) fn untag_resource(emu: &Emulator, body: &[u8]) -> Result<Value, ApiError> {
    let req: TagRequest = decode(body)?;
    let mut c = Checks::new();
    check_arn(&mut c, req.resource_arn.as_ref());
    c.required("TagKeys", req.tag_keys.as_ref());
    let keys = req.tag_keys.clone().unwrap_or_default();
    c.count("TagKeys", Some(keys.len()), 0, Some(200));
    for (i, k) in keys.iter().enumerate() {
        c.length(&format!("TagKeys.{}", i + 1), Some(k), 1, Some(128));
    }
    c.finish()?;
    let arn = req.resource_arn.unwrap_or_default();
    emu.store().with(|conn| {
        let tx = conn.transaction()?;
        require_arn(emu, &tx, &arn)?;
        for k in &keys {
            tx.execute(
                "DELETE FROM tags WHERE arn = ?1 AND key = ?2",
                params![arn, k],
            )?;
        }
        tx.commit()?;
        Ok(json!({}))
    })
}

pub(crate) fn list_tags_for_resource(emu: &Emulator, body: &[u8]) -> Result<Value, ApiError> {
    let req: TagRequest = decode(body)?;
    let mut c = Checks::new();
    check_arn(&mut c, req.resource_arn.as_ref());
    c.finish()?;
    let arn = req.resource_arn.unwrap_or_default();
    emu.store().with(|conn| {
        require_arn(emu, conn, &arn)?;
        let mut stmt = conn.prepare("SELECT key, value FROM tags WHERE arn = ?1 ORDER BY key")?;
        let tags = stmt
            .query_map([&arn], |r| {
                Ok(json!({"Key": r.get::<_, String>(0)?, "Value": r.get::<_, String>(1)?}))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(json!({ "Tags": tags }))
    })
}

// ---------------------------------------------------------------- endpoints

/// How long clients may cache the endpoint: the value real cells answer
/// (spec §7.3 \[3P\]).
const CACHE_PERIOD_MINUTES: i64 = 1440;

pub(crate) fn describe_endpoints(emu: &Emulator, body: &[u8]) -> Result<Value, ApiError> {
    let _: serde_json::Map<String, Value> = decode(body)?;
    // The address has no scheme, like the service's (spec §7.3 [3P]).
    Ok(json!({
        "Endpoints": [{ "Address": emu.address(), "CachePeriodInMinutes": CACHE_PERIOD_MINUTES }]
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_reject_garbage() {
        let t = encode_token("db\0table/ü");
        assert_eq!(
            decode_token(Some(&t)).unwrap().as_deref(),
            Some("db\0table/ü")
        );
        assert!(decode_token(Some("nope")).is_err());
        assert!(decode_token(Some("v1.zz")).is_err());
        assert!(decode_token(Some("v1.abc")).is_err());
        assert_eq!(decode_token(None).unwrap(), None);
    }
}
