//! Records as Parquet, in the shape of the Timestream table they would land
//! in, ready for DuckDB or pandas:
//!
//! | column | Parquet type |
//! |---|---|
//! | `time` | INT64, TIMESTAMP(NANOS, UTC) |
//! | one per dimension (destination name) | optional BYTE_ARRAY, STRING |
//! | `measure_name` | BYTE_ARRAY, STRING |
//! | one per multi-measure attribute | optional, typed: DOUBLE, INT64, BOOLEAN, STRING, INT64 TIMESTAMP(NANOS) |
//! | `measure_value::<type>` per scalar type of single-measure mappings | optional, typed as above |
//!
//! This is how Timestream itself shows a table: single-measure records keep
//! their value in `measure_value::double` (etc.), multi-measure records in
//! one column per attribute. Rows are buffered column-wise and flushed as
//! row groups of [`ROW_GROUP_ROWS`] rows, so memory stays bounded.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parquet::basic::{
    Compression, LogicalType, Repetition, TimeUnit as PqTimeUnit, TimestampType,
    Type as PhysicalType,
};
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;
use tsload_mapper::{MeasureValueType, RecordTimeUnit, WriteRecord};
use tsload_model::effective::{DataModel, Measures, MixedKind, ScalarType};

use super::{EmitError, RecordWriter};
use crate::atomic::AtomicFile;

/// Rows per row group.
pub const ROW_GROUP_ROWS: usize = 64 * 1024;

/// Values of one column, buffered until the row group is flushed.
#[derive(Debug)]
enum Values {
    Str(Vec<ByteArray>),
    I64(Vec<i64>),
    F64(Vec<f64>),
    Bool(Vec<bool>),
}

#[derive(Debug)]
struct Column {
    name: String,
    kind: ScalarType,
    required: bool,
    values: Values,
    defs: Vec<i16>,
    /// Whether the current row set this column.
    set: bool,
    /// A dimension column (written before `measure_name`).
    dimension: bool,
}

impl Column {
    fn new(name: String, kind: ScalarType, required: bool) -> Self {
        let values = match kind {
            ScalarType::Varchar => Values::Str(Vec::new()),
            ScalarType::Bigint | ScalarType::Timestamp => Values::I64(Vec::new()),
            ScalarType::Double => Values::F64(Vec::new()),
            ScalarType::Boolean => Values::Bool(Vec::new()),
        };
        Self {
            name,
            kind,
            required,
            values,
            defs: Vec::new(),
            set: false,
            dimension: false,
        }
    }

    fn schema(&self) -> Type {
        let (physical, logical) = match self.kind {
            ScalarType::Varchar => (PhysicalType::BYTE_ARRAY, Some(LogicalType::String)),
            ScalarType::Bigint => (PhysicalType::INT64, None),
            ScalarType::Timestamp => (
                PhysicalType::INT64,
                Some(LogicalType::Timestamp(TimestampType {
                    is_adjusted_to_u_t_c: true,
                    unit: PqTimeUnit::NANOS,
                })),
            ),
            ScalarType::Double => (PhysicalType::DOUBLE, None),
            ScalarType::Boolean => (PhysicalType::BOOLEAN, None),
        };
        Type::primitive_type_builder(&self.name, physical)
            .with_logical_type(logical)
            .with_repetition(if self.required {
                Repetition::REQUIRED
            } else {
                Repetition::OPTIONAL
            })
            .build()
            .expect("valid column schema")
    }

    /// Sets this row's value from the record's text; `None` when the text
    /// does not convert (cannot happen for checked records).
    fn push(&mut self, text: &str, nanos_per_unit: i64) -> Option<()> {
        match &mut self.values {
            Values::Str(v) => v.push(ByteArray::from(text.as_bytes().to_vec())),
            Values::I64(v) => {
                let x: i64 = text.parse().ok()?;
                v.push(if self.kind == ScalarType::Timestamp {
                    x.checked_mul(nanos_per_unit)?
                } else {
                    x
                });
            }
            Values::F64(v) => v.push(text.parse().ok()?),
            Values::Bool(v) => v.push(text.eq_ignore_ascii_case("true")),
        }
        self.defs.push(1);
        self.set = true;
        Some(())
    }

    fn end_row(&mut self) {
        if !self.set {
            self.defs.push(0);
        }
        self.set = false;
    }

    fn clear(&mut self) {
        self.defs.clear();
        match &mut self.values {
            Values::Str(v) => v.clear(),
            Values::I64(v) => v.clear(),
            Values::F64(v) => v.clear(),
            Values::Bool(v) => v.clear(),
        }
    }
}

fn scalar_of(t: MeasureValueType) -> Option<ScalarType> {
    Some(match t {
        MeasureValueType::Double => ScalarType::Double,
        MeasureValueType::Bigint => ScalarType::Bigint,
        MeasureValueType::Varchar => ScalarType::Varchar,
        MeasureValueType::Boolean => ScalarType::Boolean,
        MeasureValueType::Timestamp => ScalarType::Timestamp,
        MeasureValueType::Multi => return None,
    })
}

fn unit_nanos(u: RecordTimeUnit) -> i64 {
    match u {
        RecordTimeUnit::Seconds => 1_000_000_000,
        RecordTimeUnit::Milliseconds => 1_000_000,
        RecordTimeUnit::Microseconds => 1_000,
        RecordTimeUnit::Nanoseconds => 1,
    }
}

/// Column name of single-measure values of type `t`, as Timestream names it.
fn measure_value_column(t: ScalarType) -> String {
    format!("measure_value::{}", t.as_str().to_ascii_lowercase())
}

/// Writes records as Parquet in the table's shape.
pub struct ParquetWriter {
    path: PathBuf,
    writer: Option<SerializedFileWriter<AtomicFile>>,
    time: Vec<i64>,
    measure_name: Vec<ByteArray>,
    columns: Vec<Column>,
    /// Dimension and attribute name → column index, resolved once from the model.
    dims: HashMap<String, usize>,
    attrs: HashMap<String, usize>,
    scalars: HashMap<ScalarType, usize>,
    count: u64,
}

impl std::fmt::Debug for ParquetWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParquetWriter")
            .field("path", &self.path)
            .field("count", &self.count)
            .finish_non_exhaustive()
    }
}

impl ParquetWriter {
    /// Starts `path` with the columns of `model`'s table.
    pub fn create(path: &Path, model: &DataModel) -> Result<Self, EmitError> {
        let mut columns: Vec<Column> = Vec::new();
        let mut dims = HashMap::new();
        let mut attrs: HashMap<String, usize> = HashMap::new();
        let mut scalars = HashMap::new();
        for d in &model.dimensions {
            if !dims.contains_key(&d.destination_column) {
                dims.insert(d.destination_column.clone(), columns.len());
                let mut c = Column::new(d.destination_column.clone(), ScalarType::Varchar, false);
                c.dimension = true;
                columns.push(c);
            }
        }
        let mut add_attr =
            |name: &str, kind: ScalarType, columns: &mut Vec<Column>| -> Result<(), EmitError> {
                if let Some(&i) = attrs.get(name) {
                    let existing: &Column = &columns[i];
                    if existing.kind != kind {
                        return Err(EmitError::Shape(format!(
                            "attribute `{name}` is both {} and {}",
                            existing.kind.as_str(),
                            kind.as_str()
                        )));
                    }
                    return Ok(());
                }
                if dims.contains_key(name) || name == "time" || name == "measure_name" {
                    return Err(EmitError::Shape(format!(
                        "`{name}` names both a dimension and a measure"
                    )));
                }
                attrs.insert(name.to_owned(), columns.len());
                columns.push(Column::new(name.to_owned(), kind, false));
                Ok(())
            };
        match &model.measures {
            Measures::Multi { attributes, .. } => {
                for a in attributes {
                    add_attr(&a.target_name, a.value_type, &mut columns)?;
                }
            }
            Measures::Mixed(mappings) => {
                for m in mappings {
                    match &m.kind {
                        MixedKind::Multi(attributes) => {
                            for a in attributes {
                                add_attr(&a.target_name, a.value_type, &mut columns)?;
                            }
                        }
                        MixedKind::Scalar { value_type, .. } => {
                            scalars.entry(*value_type).or_insert_with(|| {
                                columns.push(Column::new(
                                    measure_value_column(*value_type),
                                    *value_type,
                                    false,
                                ));
                                columns.len() - 1
                            });
                        }
                    }
                }
            }
        }
        let mut fields = vec![Arc::new(
            Column::new("time".into(), ScalarType::Timestamp, true).schema(),
        )];
        let (dim_cols, rest): (Vec<&Column>, Vec<&Column>) =
            columns.iter().partition(|c| c.dimension);
        fields.extend(dim_cols.iter().map(|c| Arc::new(c.schema())));
        fields.push(Arc::new(
            Column::new("measure_name".into(), ScalarType::Varchar, true).schema(),
        ));
        fields.extend(rest.iter().map(|c| Arc::new(c.schema())));
        let schema = Type::group_type_builder("schema")
            .with_fields(fields)
            .build()
            .map_err(|e| EmitError::Shape(e.to_string()))?;
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build();
        let file = AtomicFile::create(path)?;
        let writer =
            SerializedFileWriter::new(file, Arc::new(schema), Arc::new(props)).map_err(|e| {
                EmitError::Parquet {
                    path: path.to_path_buf(),
                    message: e.to_string(),
                }
            })?;
        Ok(Self {
            path: path.to_path_buf(),
            writer: Some(writer),
            time: Vec::new(),
            measure_name: Vec::new(),
            columns,
            dims,
            attrs,
            scalars,
            count: 0,
        })
    }

    fn err(&self, message: impl Into<String>) -> EmitError {
        EmitError::Parquet {
            path: self.path.clone(),
            message: message.into(),
        }
    }

    fn push(&mut self, r: &WriteRecord) -> Result<(), EmitError> {
        let nanos = unit_nanos(r.time_unit);
        let t: i64 = r
            .time
            .parse()
            .map_err(|_| self.err(format!("record time `{}` is not an integer", r.time)))?;
        let t = t
            .checked_mul(nanos)
            .ok_or_else(|| self.err("record time overflows nanoseconds"))?;
        for d in &r.dimensions {
            if let Some(&i) = self.dims.get(&d.name) {
                self.columns[i].push(&d.value, nanos);
            }
        }
        if let Some(values) = &r.measure_values {
            for v in values {
                let Some(&i) = self.attrs.get(&v.name) else {
                    return Err(
                        self.err(format!("attribute `{}` is not in the data model", v.name))
                    );
                };
                self.columns[i].push(&v.value, nanos).ok_or_else(|| {
                    self.err(format!(
                        "value `{}` of `{}` does not convert",
                        v.value, v.name
                    ))
                })?;
            }
        } else if let (Some(value), Some(kind)) =
            (&r.measure_value, scalar_of(r.measure_value_type))
        {
            let Some(&i) = self.scalars.get(&kind) else {
                return Err(self.err(format!(
                    "no `{}` column for a single-measure value",
                    measure_value_column(kind)
                )));
            };
            self.columns[i]
                .push(value, nanos)
                .ok_or_else(|| self.err(format!("value `{value}` does not convert")))?;
        }
        for c in &mut self.columns {
            c.end_row();
        }
        self.time.push(t);
        self.measure_name
            .push(ByteArray::from(r.measure_name.as_bytes().to_vec()));
        self.count += 1;
        if self.time.len() >= ROW_GROUP_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), EmitError> {
        if self.time.is_empty() {
            return Ok(());
        }
        let path = self.path.clone();
        let e = |x: parquet::errors::ParquetError| EmitError::Parquet {
            path: path.clone(),
            message: x.to_string(),
        };
        let writer = self.writer.as_mut().expect("writer is open until finish");
        let mut rg = writer.next_row_group().map_err(e)?;
        // Column order: time, dimensions, measure_name, the rest (as in the schema).
        let (dim_idx, rest_idx): (Vec<usize>, Vec<usize>) =
            (0..self.columns.len()).partition(|&i| self.columns[i].dimension);
        {
            let mut col = rg.next_column().map_err(e)?.expect("time column");
            col.typed::<Int64Type>()
                .write_batch(&self.time, None, None)
                .map_err(e)?;
            col.close().map_err(e)?;
        }
        for &i in &dim_idx {
            write_column(&mut rg, &self.columns[i]).map_err(e)?;
        }
        {
            let mut col = rg.next_column().map_err(e)?.expect("measure_name column");
            col.typed::<ByteArrayType>()
                .write_batch(&self.measure_name, None, None)
                .map_err(e)?;
            col.close().map_err(e)?;
        }
        for &i in &rest_idx {
            write_column(&mut rg, &self.columns[i]).map_err(e)?;
        }
        rg.close().map_err(e)?;
        self.time.clear();
        self.measure_name.clear();
        for c in &mut self.columns {
            c.clear();
        }
        Ok(())
    }
}

fn write_column<W: std::io::Write + Send>(
    rg: &mut parquet::file::writer::SerializedRowGroupWriter<'_, W>,
    c: &Column,
) -> parquet::errors::Result<()> {
    let mut col = rg.next_column()?.expect("a column per schema field");
    let defs = Some(&c.defs[..]);
    match &c.values {
        Values::Str(v) => col.typed::<ByteArrayType>().write_batch(v, defs, None)?,
        Values::I64(v) => col.typed::<Int64Type>().write_batch(v, defs, None)?,
        Values::F64(v) => col.typed::<DoubleType>().write_batch(v, defs, None)?,
        Values::Bool(v) => col.typed::<BoolType>().write_batch(v, defs, None)?,
    };
    col.close()
}

impl RecordWriter for ParquetWriter {
    fn write(&mut self, records: &[WriteRecord], _lines: &[u64]) -> Result<(), EmitError> {
        for r in records {
            self.push(r)?;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<u64, EmitError> {
        self.flush()?;
        let writer = self.writer.take().expect("writer is open until finish");
        let file = writer.into_inner().map_err(|x| self.err(x.to_string()))?;
        file.commit()?;
        Ok(self.count)
    }
}
