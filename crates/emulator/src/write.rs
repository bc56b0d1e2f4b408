//! WriteRecords, and the ingestion shared with batch loads: the checks a
//! record passes before storage, the ingestion window, sticky measure
//! types, and the version/upsert rule (spec §4.2, §4.4, §5).

use std::fmt::Write as _;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::control::require_table;
use crate::protocol::{ApiError, Checks, ErrorKind, decode};
use crate::service::Emulator;
use crate::store::TableRow;

/// Records per WriteRecords request \[DOC: LIMITS\].
const MAX_RECORDS: usize = 100;
/// The future ingestion period: 15 minutes \[DOC: LIMITS\].
const FUTURE_NS: i64 = 15 * 60 * 1_000_000_000;
/// Maximum record size in bytes \[DOC: LIMITS "2 Kilobytes"; INF: counted as in metering\].
const MAX_RECORD_BYTES: usize = 2048;
/// Dimension name length in bytes \[DOC: LIMITS\].
const MAX_DIMENSION_NAME: usize = 60;
/// Measure name length in bytes \[DOC: LIMITS\].
const MAX_MEASURE_NAME: usize = 256;
/// Measures per multi-measure record \[DOC: LIMITS\].
const MAX_MEASURES: usize = 256;
/// Dimensions per record (per table in the quotas) \[DOC: LIMITS\].
const MAX_DIMENSIONS: usize = 128;

const VALUE_TYPES: &[&str] = &[
    "DOUBLE",
    "BIGINT",
    "VARCHAR",
    "BOOLEAN",
    "TIMESTAMP",
    "MULTI",
];
const TIME_UNITS: &[&str] = &["MILLISECONDS", "SECONDS", "MICROSECONDS", "NANOSECONDS"];

/// A record as sent (WriteRecords' `Record`, also the shape the batch
/// engine builds), after CommonAttributes are merged in.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InRecord {
    /// `(name, value)` pairs.
    pub dimensions: Vec<(String, String)>,
    /// `MeasureName`.
    pub measure_name: Option<String>,
    /// `MeasureValue` of a single-measure record.
    pub measure_value: Option<String>,
    /// `MeasureValueType`, default `DOUBLE`.
    pub measure_value_type: Option<String>,
    /// `MeasureValues` of a multi-measure record: `(name, value, type)`.
    pub measure_values: Option<Vec<(String, String, String)>>,
    /// `Time`, an integer in `time_unit`.
    pub time: Option<String>,
    /// `TimeUnit`, default `MILLISECONDS`.
    pub time_unit: Option<String>,
    /// `Version`, default 1.
    pub version: Option<i64>,
}

/// Why a record was not stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// What kind of failure.
    pub kind: RejectKind,
    /// The WriteRecords reason text.
    pub reason: String,
    /// The stored record's version, for version conflicts.
    pub existing_version: Option<i64>,
}

/// Kinds of rejections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectKind {
    /// The time is outside the ingestion window.
    OutsideWindow,
    /// Same key, different value, version not higher.
    VersionConflict,
    /// A measure's type differs from what the table already holds.
    TypeConflict,
    /// Anything else wrong with the record.
    Invalid,
}

impl Rejection {
    fn invalid(reason: impl Into<String>) -> Self {
        Self {
            kind: RejectKind::Invalid,
            reason: reason.into(),
            existing_version: None,
        }
    }

    /// The reason as the batch-load error report words it: the documented
    /// text for the window \[DOC: ERR\], ours otherwise \[INF\].
    pub fn batch_reason(&self) -> String {
        match self.kind {
            RejectKind::OutsideWindow => {
                "The record timestamp is outside the time range of the data ingestion window."
                    .to_owned()
            }
            _ => self.reason.clone(),
        }
    }
}

/// Where a stored record went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// Within the memory-store retention.
    Memory,
    /// Older than the memory-store retention (magnetic-store writes).
    Magnetic,
}

/// A record checked and encoded for storage.
#[derive(Debug, Clone, PartialEq)]
struct Prepared {
    dimensions: String,
    time_ns: i64,
    measure_name: String,
    value_type: String,
    scalar: Option<String>,
    measures: Option<String>,
    version: i64,
    /// `(column, type)` pairs whose types must stick.
    types: Vec<(String, String)>,
    stored: Stored,
}

/// The table properties ingestion needs, read once per request or task.
#[derive(Debug, Clone)]
pub struct TableLimits {
    database: String,
    table: String,
    memory_ns: i64,
    magnetic_ns: i64,
    magnetic_writes: bool,
    required_dimensions: Vec<String>,
}

impl TableLimits {
    pub(crate) fn new(row: &TableRow) -> Self {
        Self {
            database: row.database.clone(),
            table: row.name.clone(),
            memory_ns: row.memory_hours().saturating_mul(3600 * 1_000_000_000),
            magnetic_ns: row.magnetic_days().saturating_mul(86400 * 1_000_000_000),
            magnetic_writes: row.magnetic_writes(),
            required_dimensions: row.required_dimensions(),
        }
    }
}

fn iso(ns: i64) -> String {
    chrono::DateTime::from_timestamp_nanos(ns)
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

fn is_reserved(name: &str) -> bool {
    matches!(
        name,
        "time" | "measure_name" | "measure_value" | "ts_non_existent_col"
    ) || name.starts_with("ts_")
        || name.starts_with("measure_value")
}

/// Canonical text of a scalar value of `ty`, or why it is not one.
fn canonical(ty: &str, value: &str, what: &str) -> Result<(String, Value), Rejection> {
    let bad = |expected: &str| {
        Rejection::invalid(format!(
            "The value '{value}' of {what} is not a valid {ty}: expected {expected}."
        ))
    };
    match ty {
        "DOUBLE" => {
            let v: f64 = value.trim().parse().map_err(|_| bad("a number"))?;
            if !v.is_finite() {
                return Err(bad("a finite number"));
            }
            Ok((v.to_string(), json!(v)))
        }
        "BIGINT" => {
            let v: i64 = value.trim().parse().map_err(|_| bad("a 64-bit integer"))?;
            Ok((v.to_string(), json!(v)))
        }
        "BOOLEAN" => match value.trim().to_ascii_lowercase().as_str() {
            "true" => Ok(("true".into(), json!(true))),
            "false" => Ok(("false".into(), json!(false))),
            _ => Err(bad("`true` or `false`")),
        },
        "TIMESTAMP" => {
            let v: i64 = value.trim().parse().map_err(|_| bad("an integer epoch"))?;
            Ok((v.to_string(), json!(v)))
        }
        _ => Ok((value.to_owned(), json!(value))),
    }
}

/// Checks one merged record against the table and encodes it.
fn prepare(limits: &TableLimits, rec: &InRecord, now_ns: i64) -> Result<Prepared, Rejection> {
    // Dimensions.
    let mut dims: Vec<(&str, &str)> = rec
        .dimensions
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    dims.sort_by(|a, b| a.0.cmp(b.0));
    if dims.windows(2).any(|w| w[0].0 == w[1].0) {
        return Err(Rejection::invalid(
            "The record has two dimensions with the same name.",
        ));
    }
    if dims.is_empty() {
        return Err(Rejection::invalid(
            "The record has no dimensions; at least one is required.",
        ));
    }
    if dims.len() > MAX_DIMENSIONS {
        return Err(Rejection::invalid(format!(
            "The record has {} dimensions; at most {MAX_DIMENSIONS} are allowed.",
            dims.len()
        )));
    }
    for (name, value) in &dims {
        if name.len() > MAX_DIMENSION_NAME {
            return Err(Rejection::invalid(format!(
                "The dimension name '{name}' is longer than {MAX_DIMENSION_NAME} bytes."
            )));
        }
        if is_reserved(name) || name.contains(':') {
            return Err(Rejection::invalid(format!(
                "The dimension name '{name}' is reserved or contains ':'."
            )));
        }
        if name.len() + value.len() > MAX_RECORD_BYTES {
            return Err(Rejection::invalid(format!(
                "The dimension '{name}' is larger than 2 KB (name and value)."
            )));
        }
    }
    for required in &limits.required_dimensions {
        if !dims.iter().any(|(n, v)| n == required && !v.is_empty()) {
            return Err(Rejection::invalid(format!(
                "The record has no value for the dimension '{required}', which the table's partition key requires."
            )));
        }
    }
    // Measure name.
    let measure_name = rec
        .measure_name
        .as_deref()
        .ok_or_else(|| Rejection::invalid("The record has no MeasureName."))?;
    if measure_name.is_empty() || measure_name.len() > MAX_MEASURE_NAME {
        return Err(Rejection::invalid(format!(
            "The measure name '{measure_name}' must be 1 to {MAX_MEASURE_NAME} bytes."
        )));
    }
    if is_reserved(measure_name) || measure_name.contains(':') {
        return Err(Rejection::invalid(format!(
            "The measure name '{measure_name}' is reserved or contains ':'."
        )));
    }
    if dims.iter().any(|(n, _)| *n == measure_name) {
        return Err(Rejection::invalid(format!(
            "The measure name '{measure_name}' is also a dimension name."
        )));
    }
    // Time.
    let unit = rec.time_unit.as_deref().unwrap_or("MILLISECONDS");
    let per_unit: i64 = match unit {
        "SECONDS" => 1_000_000_000,
        "MILLISECONDS" => 1_000_000,
        "MICROSECONDS" => 1_000,
        _ => 1,
    };
    let time_text = rec
        .time
        .as_deref()
        .ok_or_else(|| Rejection::invalid("The record has no Time."))?;
    let time_ns = time_text
        .trim()
        .parse::<i64>()
        .ok()
        .and_then(|t| t.checked_mul(per_unit))
        .ok_or_else(|| {
            Rejection::invalid(format!(
                "The time '{time_text}' is not an integer number of {} since the epoch.",
                unit.to_ascii_lowercase()
            ))
        })?;
    let (oldest, store) = if limits.magnetic_writes {
        (now_ns.saturating_sub(limits.magnetic_ns), "magnetic store")
    } else {
        (now_ns.saturating_sub(limits.memory_ns), "memory store")
    };
    let newest = now_ns.saturating_add(FUTURE_NS);
    // "No later than the future ingestion period" [DOC]: the end is in the
    // window, as tsload's mapper has it.
    if time_ns < oldest || time_ns > newest {
        return Err(Rejection {
            kind: RejectKind::OutsideWindow,
            reason: format!(
                "The record timestamp is outside the time range [{}, {}] of the {store}.",
                iso(oldest),
                iso(newest)
            ),
            existing_version: None,
        });
    }
    let stored = if time_ns < now_ns.saturating_sub(limits.memory_ns) {
        Stored::Magnetic
    } else {
        Stored::Memory
    };
    // Version.
    let version = rec.version.unwrap_or(1);
    // Measures.
    let value_type = rec.measure_value_type.as_deref().unwrap_or("DOUBLE");
    let mut size =
        8 + measure_name.len() + dims.iter().map(|(n, v)| n.len() + v.len()).sum::<usize>();
    let value_size = |ty: &str, v: &str| match ty {
        "BOOLEAN" => 1,
        "BIGINT" | "DOUBLE" | "TIMESTAMP" => 8,
        _ => v.len(),
    };
    let mut types = Vec::new();
    let (scalar, measures) = if value_type == "MULTI" {
        if rec.measure_value.is_some() {
            return Err(Rejection::invalid(
                "A MULTI record carries its values in MeasureValues, not MeasureValue.",
            ));
        }
        let values = rec.measure_values.as_deref().unwrap_or_default();
        if values.is_empty() {
            return Err(Rejection::invalid(
                "A MULTI record needs at least one of MeasureValues.",
            ));
        }
        if values.len() > MAX_MEASURES {
            return Err(Rejection::invalid(format!(
                "The record has {} measures; at most {MAX_MEASURES} are allowed.",
                values.len()
            )));
        }
        let mut sorted: Vec<&(String, String, String)> = values.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        if sorted.windows(2).any(|w| w[0].0 == w[1].0) {
            return Err(Rejection::invalid(
                "The record has two measures with the same name.",
            ));
        }
        let mut map = serde_json::Map::new();
        for (name, value, ty) in sorted {
            if ty == "MULTI" {
                return Err(Rejection::invalid(format!(
                    "The measure '{name}' cannot be of type MULTI."
                )));
            }
            if is_reserved(name) || name.contains(':') || name.len() > MAX_MEASURE_NAME {
                return Err(Rejection::invalid(format!(
                    "The measure name '{name}' is reserved, contains ':' or is longer than {MAX_MEASURE_NAME} bytes."
                )));
            }
            if dims.iter().any(|(n, _)| n == name) {
                return Err(Rejection::invalid(format!(
                    "The measure name '{name}' is also a dimension name."
                )));
            }
            let (_, typed) = canonical(ty, value, &format!("the measure '{name}'"))?;
            size += name.len() + value_size(ty, value);
            map.insert(name.clone(), typed);
            types.push((name.clone(), ty.clone()));
        }
        (None, Some(Value::Object(map).to_string()))
    } else {
        if rec.measure_values.is_some() {
            return Err(Rejection::invalid(format!(
                "A {value_type} record carries its value in MeasureValue; MeasureValues needs MeasureValueType MULTI."
            )));
        }
        if value_type == "TIMESTAMP" {
            // [DOC: WRITES] "supported only for multi-measure records"; text [3P].
            return Err(Rejection::invalid(
                "TIMESTAMP is an invalid measure value type",
            ));
        }
        let value = rec
            .measure_value
            .as_deref()
            .ok_or_else(|| Rejection::invalid("The record has no MeasureValue."))?;
        let (text, _) = canonical(value_type, value, &format!("the measure '{measure_name}'"))?;
        size += value_size(value_type, value);
        types.push((
            format!("{measure_name}::measure_value"),
            value_type.to_owned(),
        ));
        (Some(text), None)
    };
    if size > MAX_RECORD_BYTES {
        return Err(Rejection::invalid(format!(
            "The record is {size} bytes; at most {MAX_RECORD_BYTES} are allowed."
        )));
    }
    let mut dim_map = serde_json::Map::new();
    for (n, v) in &dims {
        dim_map.insert((*n).to_owned(), json!(v));
    }
    Ok(Prepared {
        dimensions: Value::Object(dim_map).to_string(),
        time_ns,
        measure_name: measure_name.to_owned(),
        value_type: value_type.to_owned(),
        scalar,
        measures,
        version,
        types,
        stored,
    })
}

/// Stores one prepared record under the upsert rule of spec §5: a new key
/// is inserted; the same value updates the version when it is higher; a
/// different value needs a higher version, else the record is rejected.
fn store(
    conn: &Connection,
    limits: &TableLimits,
    p: &Prepared,
) -> Result<Result<Stored, Rejection>, ApiError> {
    // Sticky types [3P re:Post; INF]: a measure (scalar: per measure name;
    // multi: per attribute) keeps the type of its first write.
    for (column, ty) in &p.types {
        let existing: Option<String> = conn
            .prepare_cached(
                "SELECT measure_value_type FROM measure_types
                 WHERE database_name = ?1 AND table_name = ?2 AND column_name = ?3",
            )?
            .query_row(params![limits.database, limits.table, column], |r| r.get(0))
            .optional()?;
        if let Some(existing) = existing
            && existing != *ty
        {
            let shown = column.trim_end_matches("::measure_value");
            return Ok(Err(Rejection {
                kind: RejectKind::TypeConflict,
                reason: format!(
                    "The measure '{shown}' is {ty} here but the table already holds it as {existing}."
                ),
                existing_version: None,
            }));
        }
    }
    let existing = conn
        .prepare_cached(
            "SELECT measure_value_type, measure_value, measures, version FROM records
             WHERE database_name = ?1 AND table_name = ?2 AND dimensions = ?3 AND time_ns = ?4
               AND measure_name = ?5",
        )?
        .query_row(
            params![
                limits.database,
                limits.table,
                p.dimensions,
                p.time_ns,
                p.measure_name
            ],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            },
        )
        .optional()?;
    if let Some((ty, scalar, measures, version)) = existing {
        let same = ty == p.value_type && scalar == p.scalar && measures == p.measures;
        if same {
            if p.version > version {
                conn.prepare_cached(
                    "UPDATE records SET version = ?6 WHERE database_name = ?1 AND table_name = ?2
                     AND dimensions = ?3 AND time_ns = ?4 AND measure_name = ?5",
                )?
                .execute(params![
                    limits.database,
                    limits.table,
                    p.dimensions,
                    p.time_ns,
                    p.measure_name,
                    p.version
                ])?;
            }
            return Ok(Ok(p.stored));
        }
        if p.version <= version {
            return Ok(Err(Rejection {
                kind: RejectKind::VersionConflict,
                reason: format!(
                    "A record with the same dimensions, time and measure name already exists with a different measure value and version {version}; a higher version is needed to update it."
                ),
                existing_version: Some(version),
            }));
        }
    }
    conn.prepare_cached(
        "INSERT INTO records (database_name, table_name, dimensions, time_ns, measure_name,
             measure_value_type, measure_value, measures, version)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (database_name, table_name, dimensions, time_ns, measure_name) DO UPDATE SET
             measure_value_type = excluded.measure_value_type,
             measure_value = excluded.measure_value,
             measures = excluded.measures,
             version = excluded.version",
    )?
    .execute(params![
        limits.database,
        limits.table,
        p.dimensions,
        p.time_ns,
        p.measure_name,
        p.value_type,
        p.scalar,
        p.measures,
        p.version
    ])?;
    for (column, ty) in &p.types {
        conn.prepare_cached(
            "INSERT OR IGNORE INTO measure_types (database_name, table_name, column_name, measure_value_type)
             VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![limits.database, limits.table, column, ty])?;
    }
    Ok(Ok(p.stored))
}

/// Checks and stores one record inside the caller's transaction.
pub fn ingest(
    conn: &Connection,
    limits: &TableLimits,
    rec: &InRecord,
    now_ns: i64,
) -> Result<Result<Stored, Rejection>, ApiError> {
    match prepare(limits, rec, now_ns) {
        Ok(p) => store(conn, limits, &p),
        Err(r) => Ok(Err(r)),
    }
}

/// Nanoseconds since the epoch, now.
pub(crate) fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

// -------------------------------------------------------------- WriteRecords

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WireDimension {
    name: Option<String>,
    value: Option<String>,
    dimension_value_type: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WireMeasureValue {
    name: Option<String>,
    value: Option<String>,
    #[serde(rename = "Type")]
    kind: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WireRecord {
    dimensions: Option<Vec<WireDimension>>,
    measure_name: Option<String>,
    measure_value: Option<String>,
    measure_value_type: Option<String>,
    time: Option<String>,
    time_unit: Option<String>,
    version: Option<i64>,
    measure_values: Option<Vec<WireMeasureValue>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WriteRecordsRequest {
    database_name: Option<String>,
    table_name: Option<String>,
    common_attributes: Option<WireRecord>,
    records: Option<Vec<WireRecord>>,
}

fn check_record(c: &mut Checks, p: &str, r: &WireRecord) {
    for (i, d) in r.dimensions.iter().flatten().enumerate() {
        let q = format!("{p}.Dimensions.{}", i + 1);
        c.required(&format!("{q}.Name"), d.name.as_ref());
        c.length(&format!("{q}.Name"), d.name.as_deref(), 1, None);
        c.required(&format!("{q}.Value"), d.value.as_ref());
        c.one_of(
            &format!("{q}.DimensionValueType"),
            d.dimension_value_type.as_deref(),
            &["VARCHAR"],
        );
    }
    c.length(
        &format!("{p}.MeasureName"),
        r.measure_name.as_deref(),
        1,
        None,
    );
    c.length(
        &format!("{p}.MeasureValue"),
        r.measure_value.as_deref(),
        1,
        Some(2048),
    );
    c.one_of(
        &format!("{p}.MeasureValueType"),
        r.measure_value_type.as_deref(),
        VALUE_TYPES,
    );
    c.length(&format!("{p}.Time"), r.time.as_deref(), 1, Some(256));
    c.one_of(&format!("{p}.TimeUnit"), r.time_unit.as_deref(), TIME_UNITS);
    if let Some(v) = r.version
        && v < 1
    {
        // [DOC] "Version must be 1 or greater, or you will receive a ValidationException".
        c.fail(format!(
            "Value '{v}' at '{p}.Version' failed to satisfy constraint: Member must have value greater than or equal to 1"
        ));
    }
    for (i, m) in r.measure_values.iter().flatten().enumerate() {
        let q = format!("{p}.MeasureValues.{}", i + 1);
        c.required(&format!("{q}.Name"), m.name.as_ref());
        c.length(&format!("{q}.Name"), m.name.as_deref(), 1, None);
        c.required(&format!("{q}.Value"), m.value.as_ref());
        c.length(&format!("{q}.Value"), m.value.as_deref(), 1, Some(2048));
        c.required(&format!("{q}.Type"), m.kind.as_ref());
        c.one_of(&format!("{q}.Type"), m.kind.as_deref(), VALUE_TYPES);
    }
}

/// CommonAttributes merged into a record: the record's members win; the
/// dimensions of both are kept, the record's winning on a shared name \[INF\].
fn merge(common: Option<&WireRecord>, r: &WireRecord) -> InRecord {
    let empty = WireRecord::default();
    let c = common.unwrap_or(&empty);
    let mut dimensions: Vec<(String, String)> = Vec::new();
    for d in c
        .dimensions
        .iter()
        .flatten()
        .chain(r.dimensions.iter().flatten())
    {
        let (Some(n), Some(v)) = (&d.name, &d.value) else {
            continue;
        };
        if let Some(slot) = dimensions.iter_mut().find(|(name, _)| name == n) {
            slot.1.clone_from(v);
        } else {
            dimensions.push((n.clone(), v.clone()));
        }
    }
    let measure_values = r
        .measure_values
        .as_ref()
        .or(c.measure_values.as_ref())
        .map(|v| {
            v.iter()
                .map(|m| {
                    (
                        m.name.clone().unwrap_or_default(),
                        m.value.clone().unwrap_or_default(),
                        m.kind.clone().unwrap_or_default(),
                    )
                })
                .collect()
        });
    InRecord {
        dimensions,
        measure_name: r.measure_name.clone().or_else(|| c.measure_name.clone()),
        measure_value: r.measure_value.clone().or_else(|| c.measure_value.clone()),
        measure_value_type: r
            .measure_value_type
            .clone()
            .or_else(|| c.measure_value_type.clone()),
        measure_values,
        time: r.time.clone().or_else(|| c.time.clone()),
        time_unit: r.time_unit.clone().or_else(|| c.time_unit.clone()),
        version: r.version.or(c.version),
    }
}

/// WriteRecords: valid records are stored even when others are rejected
/// \[INF\]; the rejected ones come back in a `RejectedRecordsException` (419)
/// with their `RecordIndex`, `Reason` and, for version conflicts,
/// `ExistingVersion`.
pub(crate) fn write_records(emu: &Emulator, body: &[u8]) -> Result<Value, ApiError> {
    let req: WriteRecordsRequest = decode(body)?;
    let mut c = Checks::new();
    c.required("DatabaseName", req.database_name.as_ref());
    c.required("TableName", req.table_name.as_ref());
    c.required("Records", req.records.as_ref());
    c.count(
        "Records",
        req.records.as_ref().map(Vec::len),
        1,
        Some(MAX_RECORDS),
    );
    if let Some(common) = &req.common_attributes {
        check_record(&mut c, "CommonAttributes", common);
    }
    for (i, r) in req.records.iter().flatten().enumerate() {
        check_record(&mut c, &format!("Records.{}.member", i + 1), r);
    }
    c.finish()?;
    let db = req.database_name.unwrap_or_default();
    let table = req.table_name.unwrap_or_default();
    let records = req.records.unwrap_or_default();
    let now = now_ns();
    emu.store().with(|conn| {
        let tx = conn.transaction()?;
        let row = require_table(&tx, &db, &table)?;
        let limits = TableLimits::new(&row);
        let (mut memory, mut magnetic) = (0i64, 0i64);
        let mut rejected = Vec::new();
        for (i, r) in records.iter().enumerate() {
            let merged = merge(req.common_attributes.as_ref(), r);
            match ingest(&tx, &limits, &merged, now)? {
                Ok(Stored::Memory) => memory += 1,
                Ok(Stored::Magnetic) => magnetic += 1,
                Err(rej) => {
                    let mut entry = json!({ "RecordIndex": i, "Reason": rej.reason });
                    if let Some(v) = rej.existing_version {
                        entry["ExistingVersion"] = json!(v);
                    }
                    rejected.push(entry);
                }
            }
        }
        tx.commit()?;
        if rejected.is_empty() {
            Ok(json!({
                "RecordsIngested": { "Total": memory + magnetic, "MemoryStore": memory, "MagneticStore": magnetic }
            }))
        } else {
            let mut msg = String::from("One or more records have been rejected. See RejectedRecords for details.");
            let _ = write!(msg, " ({} of {})", rejected.len(), records.len());
            Err(ApiError {
                kind: ErrorKind::RejectedRecords,
                message: msg,
                extra: Some(json!({ "RejectedRecords": rejected })),
            })
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(magnetic_writes: bool) -> TableLimits {
        TableLimits {
            database: "db".into(),
            table: "t".into(),
            memory_ns: 6 * 3600 * 1_000_000_000,
            magnetic_ns: 10 * 86400 * 1_000_000_000,
            magnetic_writes,
            required_dimensions: vec![],
        }
    }

    fn rec(time_ms: i64) -> InRecord {
        InRecord {
            dimensions: vec![("host".into(), "a".into())],
            measure_name: Some("cpu".into()),
            measure_value: Some("1.5".into()),
            measure_value_type: Some("DOUBLE".into()),
            time: Some(time_ms.to_string()),
            ..InRecord::default()
        }
    }

    const NOW: i64 = 1_700_000_000_000_000_000;

    #[test]
    fn the_window_follows_retention_and_magnetic_writes() {
        let ms = NOW / 1_000_000;
        assert!(prepare(&limits(false), &rec(ms), NOW).is_ok());
        let old = ms - 7 * 3600 * 1000;
        let r = prepare(&limits(false), &rec(old), NOW).unwrap_err();
        assert_eq!(r.kind, RejectKind::OutsideWindow);
        assert!(r.reason.contains("of the memory store"), "{}", r.reason);
        assert_eq!(
            r.batch_reason(),
            "The record timestamp is outside the time range of the data ingestion window."
        );
        let p = prepare(&limits(true), &rec(old), NOW).unwrap();
        assert_eq!(p.stored, Stored::Magnetic);
        let future = ms + 16 * 60 * 1000;
        assert_eq!(
            prepare(&limits(true), &rec(future), NOW).unwrap_err().kind,
            RejectKind::OutsideWindow
        );
    }

    #[test]
    fn bad_records_are_rejected_with_reasons() {
        let ms = NOW / 1_000_000;
        let mut r = rec(ms);
        r.measure_value = Some("abc".into());
        assert!(
            prepare(&limits(false), &r, NOW)
                .unwrap_err()
                .reason
                .contains("not a valid DOUBLE")
        );
        let mut r = rec(ms);
        r.dimensions.clear();
        assert!(prepare(&limits(false), &r, NOW).is_err());
        let mut r = rec(ms);
        r.measure_value_type = Some("TIMESTAMP".into());
        assert!(prepare(&limits(false), &r, NOW).is_err());
        let mut r = rec(ms);
        r.dimensions.push(("time".into(), "x".into()));
        assert!(
            prepare(&limits(false), &r, NOW)
                .unwrap_err()
                .reason
                .contains("reserved")
        );
        let mut l = limits(false);
        l.required_dimensions = vec!["region".into()];
        assert!(
            prepare(&l, &rec(ms), NOW)
                .unwrap_err()
                .reason
                .contains("region")
        );
    }

    #[test]
    fn merge_keeps_common_dimensions_and_record_members_win() {
        let common = WireRecord {
            dimensions: Some(vec![WireDimension {
                name: Some("region".into()),
                value: Some("eu".into()),
                dimension_value_type: None,
            }]),
            measure_value_type: Some("BIGINT".into()),
            time_unit: Some("SECONDS".into()),
            ..WireRecord::default()
        };
        let r = WireRecord {
            dimensions: Some(vec![WireDimension {
                name: Some("host".into()),
                value: Some("a".into()),
                dimension_value_type: None,
            }]),
            measure_name: Some("n".into()),
            measure_value: Some("3".into()),
            time_unit: Some("MILLISECONDS".into()),
            ..WireRecord::default()
        };
        let m = merge(Some(&common), &r);
        assert_eq!(
            m.dimensions,
            vec![("region".into(), "eu".into()), ("host".into(), "a".into())]
        );
        assert_eq!(m.measure_value_type.as_deref(), Some("BIGINT"));
        assert_eq!(m.time_unit.as_deref(), Some("MILLISECONDS"));
    }
}
