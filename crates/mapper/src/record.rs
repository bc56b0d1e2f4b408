//! Owned records in the shape of a WriteRecords `Record`, for `--emit` and
//! the emulator. Built only on request: the validation path never builds
//! them.

use serde::{Deserialize, Serialize};
use tsload_csv::record::Record;
use tsload_model::effective::{ScalarType, TimeUnit};

use crate::plan::Plan;
use crate::sink::RecordView;
use crate::value;

/// A `MeasureValueType` of a record, `MULTI` included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum MeasureValueType {
    /// Finite binary64.
    Double,
    /// i64.
    Bigint,
    /// UTF-8 string.
    Varchar,
    /// `true` / `false`.
    Boolean,
    /// Epoch integer in the record's `TimeUnit` (multi-measure only).
    Timestamp,
    /// A multi-measure record.
    Multi,
}

impl MeasureValueType {
    /// The name the API (and serde) gives it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Double => ScalarType::Double.as_str(),
            Self::Bigint => ScalarType::Bigint.as_str(),
            Self::Varchar => ScalarType::Varchar.as_str(),
            Self::Boolean => ScalarType::Boolean.as_str(),
            Self::Timestamp => ScalarType::Timestamp.as_str(),
            Self::Multi => "MULTI",
        }
    }
}

impl From<ScalarType> for MeasureValueType {
    fn from(t: ScalarType) -> Self {
        match t {
            ScalarType::Double => Self::Double,
            ScalarType::Bigint => Self::Bigint,
            ScalarType::Varchar => Self::Varchar,
            ScalarType::Boolean => Self::Boolean,
            ScalarType::Timestamp => Self::Timestamp,
        }
    }
}

/// The `TimeUnit` of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RecordTimeUnit {
    /// 1 s.
    Seconds,
    /// 1 ms.
    Milliseconds,
    /// 1 µs.
    Microseconds,
    /// 1 ns.
    Nanoseconds,
}

impl RecordTimeUnit {
    /// The name the API (and serde) gives it.
    pub fn as_str(self) -> &'static str {
        TimeUnit::from(self).as_str()
    }
}

impl From<RecordTimeUnit> for TimeUnit {
    fn from(t: RecordTimeUnit) -> Self {
        match t {
            RecordTimeUnit::Seconds => Self::Seconds,
            RecordTimeUnit::Milliseconds => Self::Milliseconds,
            RecordTimeUnit::Microseconds => Self::Microseconds,
            RecordTimeUnit::Nanoseconds => Self::Nanoseconds,
        }
    }
}

impl From<TimeUnit> for RecordTimeUnit {
    fn from(t: TimeUnit) -> Self {
        match t {
            TimeUnit::Seconds => Self::Seconds,
            TimeUnit::Milliseconds => Self::Milliseconds,
            TimeUnit::Microseconds => Self::Microseconds,
            TimeUnit::Nanoseconds => Self::Nanoseconds,
        }
    }
}

/// The only dimension value type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum DimensionValueType {
    /// `VARCHAR`.
    #[default]
    #[serde(rename = "VARCHAR")]
    Varchar,
}

/// A WriteRecords `Dimension`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WriteDimension {
    /// Dimension name.
    pub name: String,
    /// Dimension value.
    pub value: String,
    /// Always `VARCHAR`.
    pub dimension_value_type: DimensionValueType,
}

/// A WriteRecords `MeasureValue` (one attribute of a multi-measure record).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WriteMeasureValue {
    /// Attribute name.
    pub name: String,
    /// The value as text.
    pub value: String,
    /// Its type (never `MULTI`).
    #[serde(rename = "Type")]
    pub value_type: MeasureValueType,
}

/// A WriteRecords `Record`, serialised as the API's JSON (PascalCase).
///
/// Values are the CSV text, except where the text has several spellings of
/// one value: `Time`, BIGINT and TIMESTAMP are written as canonical
/// integers (no sign, no leading zeros), BOOLEAN as `true`/`false`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WriteRecord {
    /// Dimensions present in the row, in data-model order.
    pub dimensions: Vec<WriteDimension>,
    /// The measure name (the multi-measure name for `MULTI`).
    pub measure_name: String,
    /// The value of a single-measure record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measure_value: Option<String>,
    /// The values of a multi-measure record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measure_values: Option<Vec<WriteMeasureValue>>,
    /// The scalar type, or `MULTI`.
    pub measure_value_type: MeasureValueType,
    /// Time as an epoch integer in `TimeUnit`.
    pub time: String,
    /// Unit of `Time` and of TIMESTAMP values.
    pub time_unit: RecordTimeUnit,
    /// The task's `RecordVersion`.
    pub version: i64,
}

/// The text a value is written as (the row was checked: it parses).
fn value_text(ty: ScalarType, b: &[u8], unit: TimeUnit) -> String {
    match ty {
        ScalarType::Bigint => value::parse_bigint(b).map_or_else(|_| lossy(b), |v| v.to_string()),
        ScalarType::Boolean => match value::parse_boolean(b) {
            Ok((v, _)) => v.to_string(),
            Err(_) => lossy(b),
        },
        ScalarType::Timestamp => value::parse_epoch(b, unit.nanos())
            .map_or_else(|_| lossy(b), |(ns, _)| (ns / unit.nanos()).to_string()),
        ScalarType::Double | ScalarType::Varchar => lossy(b),
    }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Builds the owned record of a view (a row that passed the checks): the
/// view's own walk over the present dimensions and measures, as
/// [`write_json`] uses it.
pub(crate) fn build(view: &RecordView<'_>) -> WriteRecord {
    let plan = view.plan;
    let dimensions = view
        .dimensions()
        .map(|d| WriteDimension {
            name: plan.dims[d.index as usize].name.clone(),
            value: lossy(d.value),
            dimension_value_type: DimensionValueType::Varchar,
        })
        .collect();
    let mut values: Vec<WriteMeasureValue> = view
        .measures()
        .map(|m| WriteMeasureValue {
            name: plan.slots[m.slot as usize].name.clone(),
            value: value_text(m.ty, m.raw, plan.time_unit),
            value_type: m.ty.into(),
        })
        .collect();
    let (measure_value, measure_values, measure_value_type) = if view.is_multi() {
        (None, Some(values), MeasureValueType::Multi)
    } else {
        let v = values
            .pop()
            .expect("a scalar record is built only with its value");
        (Some(v.value), None, v.value_type)
    };
    WriteRecord {
        dimensions,
        measure_name: lossy(view.measure_name()),
        measure_value,
        measure_values,
        measure_value_type,
        time: view.time().to_string(),
        time_unit: plan.time_unit.into(),
        version: plan.record_version,
    }
}

/// A JSON string, escaped as serde_json escapes it.
fn json_str(out: &mut Vec<u8>, b: &[u8]) {
    let s = String::from_utf8_lossy(b);
    serde_json::to_writer(&mut *out, &*s).expect("writing to a Vec cannot fail");
}

/// A value's text as a JSON string: [`value_text`] without the `String`.
fn json_value(out: &mut Vec<u8>, m: &crate::sink::Measure<'_>, unit: TimeUnit) {
    use crate::sink::Value;
    use std::io::Write;
    match (m.ty, m.value()) {
        (ScalarType::Bigint, Value::Bigint(v)) => {
            write!(out, "\"{v}\"").expect("writing to a Vec cannot fail");
        }
        (ScalarType::Boolean, Value::Boolean(v)) => {
            out.extend_from_slice(if v { b"\"true\"" } else { b"\"false\"" });
        }
        (ScalarType::Timestamp, Value::Timestamp(ns)) => {
            write!(out, "\"{}\"", ns / unit.nanos()).expect("writing to a Vec cannot fail");
        }
        _ => json_str(out, m.raw),
    }
}

/// Writes a record as the compact JSON `serde_json` makes of its
/// [`WriteRecord`] (same keys, order, escapes and value texts), without
/// building it: the direct path of `--emit out.jsonl`. The mapper's tests
/// compare both byte for byte.
pub(crate) fn write_json(view: &RecordView<'_>, out: &mut Vec<u8>) {
    use std::io::Write;
    let plan = view.plan;
    out.extend_from_slice(b"{\"Dimensions\":[");
    for (i, d) in view.dimensions().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"Name\":");
        json_str(out, plan.dims[d.index as usize].name.as_bytes());
        out.extend_from_slice(b",\"Value\":");
        json_str(out, d.value);
        out.extend_from_slice(b",\"DimensionValueType\":\"VARCHAR\"}");
    }
    out.extend_from_slice(b"],\"MeasureName\":");
    json_str(out, view.measure_name());
    let mut ty = "MULTI";
    if view.is_multi() {
        out.extend_from_slice(b",\"MeasureValues\":[");
        for (i, m) in view.measures().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"Name\":");
            json_str(out, plan.slots[m.slot as usize].name.as_bytes());
            out.extend_from_slice(b",\"Value\":");
            json_value(out, &m, plan.time_unit);
            write!(out, ",\"Type\":\"{}\"}}", m.ty.as_str()).expect("writing to a Vec cannot fail");
        }
        out.push(b']');
    } else if let Some(m) = view.measures().next() {
        out.extend_from_slice(b",\"MeasureValue\":");
        json_value(out, &m, plan.time_unit);
        ty = m.ty.as_str();
    }
    let unit = plan.time_unit.as_str();
    write!(
        out,
        ",\"MeasureValueType\":\"{ty}\",\"Time\":\"{}\",\"TimeUnit\":\"{unit}\",\"Version\":{}}}",
        view.time(),
        plan.record_version
    )
    .expect("writing to a Vec cannot fail");
}

impl Plan {
    /// Checks one row and appends the records it would write to `out`;
    /// returns what became of the row. A convenience for callers that build
    /// records row by row without keeping counters; it allocates a scratch
    /// checker per call, so loops should use
    /// [`crate::ChunkChecker::check_and_build`].
    pub fn build_records(&self, rec: &Record<'_>, out: &mut Vec<WriteRecord>) -> crate::RowOutcome {
        crate::ChunkChecker::new(self).check_and_build(rec, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_names_are_the_serde_names() {
        let serde_name = |v: serde_json::Value| v.as_str().unwrap().to_owned();
        for t in [
            MeasureValueType::Double,
            MeasureValueType::Bigint,
            MeasureValueType::Varchar,
            MeasureValueType::Boolean,
            MeasureValueType::Timestamp,
            MeasureValueType::Multi,
        ] {
            assert_eq!(t.as_str(), serde_name(serde_json::to_value(t).unwrap()));
        }
        for u in [
            RecordTimeUnit::Seconds,
            RecordTimeUnit::Milliseconds,
            RecordTimeUnit::Microseconds,
            RecordTimeUnit::Nanoseconds,
        ] {
            assert_eq!(u.as_str(), serde_name(serde_json::to_value(u).unwrap()));
            assert_eq!(RecordTimeUnit::from(TimeUnit::from(u)), u);
        }
    }
}
