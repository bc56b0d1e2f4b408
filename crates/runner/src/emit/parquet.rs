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
//! one column per attribute. One Parquet row per record.
//!
//! # How records get here
//!
//! - The table's columns are resolved from the data model once
//!   ([`TableShape`]), and each file's plan against them once
//!   ([`FileLayout`]: plan dimension and value slot → column).
//! - On the worker threads, a [`ColumnBatch`] per chunk receives the
//!   chunk's records borrowed from the rows ([`RecordView`]) and appends
//!   them to plain column buffers in Arrow's layout: `Vec<i64>` /
//!   `Vec<f64>` / `Vec<bool>`, one byte buffer plus offsets per string
//!   column, a validity flag per optional cell. Numbers are parsed there,
//!   with the mapper's parsers. Nothing is allocated per record or per
//!   value.
//! - [`ParquetWriter`] turns each batch into an Arrow
//!   `RecordBatch` without copying (the vectors become the arrays'
//!   buffers) on an encoding thread of its own, fed in input order through
//!   a bounded channel, which hands them to the parquet crate's
//!   `ArrowWriter`, with the schema above given explicitly. Its string
//!   encoder works on offsets and one buffer; the low-level writer wants a
//!   refcounted `ByteArray` per value (building, reading and dropping them
//!   took about 13% of that version's profile). The writer encodes a row
//!   group in memory and writes it when it holds [`ROW_GROUP_ROWS`] rows
//!   (the last one shorter): memory is bounded by one row group's encoded
//!   size plus the batches in flight, whatever the input size. The writer
//!   is given slices of exactly 8192 rows, cut at the same rows whatever
//!   the chunking (where it starts a page or gives up a dictionary depends
//!   on its calls), so the file is the same for any number of threads.
//! - Strings are dictionary-encoded (dimensions, measure names and VARCHAR
//!   values repeat) while a row group's dictionary stays under 64 KiB, and
//!   plain past that, without min/max statistics; numbers are written plain
//!   (dictionaries of doubles and timestamps rarely pay) with statistics per
//!   column chunk (row group pruning on `time`); pages of at most 64 KiB
//!   are compressed with Snappy, except DOUBLE ones (binary64 mantissas
//!   hardly compress).

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::JoinHandle;

use arrow_array::{
    ArrayRef, BooleanArray, Float64Array, Int64Array, LargeStringArray, RecordBatch,
    TimestampNanosecondArray,
};
use arrow_buffer::{BooleanBuffer, Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit as ArrowTimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::ArrowWriterOptions;
use parquet::basic::{
    Compression, LogicalType, Repetition, TimeUnit as PqTimeUnit, TimestampType,
    Type as PhysicalType,
};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::{ColumnPath, SchemaDescriptor, Type};
use tsload_mapper::{
    MeasureValueType, Plan, RecordSink, RecordTimeUnit, RecordView, Value, WriteRecord,
};
use tsload_model::effective::{DataModel, Measures, MixedKind, ScalarType};

use super::{Batch, EmitError, Encoding, RecordWriter};
use crate::atomic::AtomicFile;

/// Rows per row group (the last one of a file may be shorter).
pub const ROW_GROUP_ROWS: usize = 128 * 1024;

/// Dictionary page limit of a string column chunk. A column with few
/// distinct values (regions, statuses, measure names) stays
/// dictionary-encoded; one with many (host names) falls back to plain
/// encoding early in each row group: interning every value of a large
/// dictionary cost more (cache misses) than it saved.
const DICTIONARY_BYTES: usize = 64 << 10;

/// Data page size limit (the crate's default is 1 MiB). Every page is built
/// in fresh buffers (levels and values, then Snappy's output, resized to its
/// worst case): at 1 MiB they are above glibc's mmap threshold and each
/// page cost page faults (380,000 minor faults for 1 GiB of CSV, 1.6 s of
/// system time); 64 KiB buffers are reused from the heap (47,000-82,000
/// faults, 0.7 s). Snappy works in 64 KiB blocks anyway, so the file is
/// hardly larger (364.7 against 363.3 MB).
const PAGE_BYTES: usize = 64 << 10;

/// A column of the table besides `time` and `measure_name`.
#[derive(Debug, Clone)]
struct ColumnDef {
    name: String,
    kind: ScalarType,
}

fn column_schema(name: &str, kind: ScalarType, required: bool) -> Type {
    let (physical, logical) = match kind {
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
    Type::primitive_type_builder(name, physical)
        .with_logical_type(logical)
        .with_repetition(if required {
            Repetition::REQUIRED
        } else {
            Repetition::OPTIONAL
        })
        .build()
        .expect("valid column schema")
}

/// The Arrow field of a column (the type of its array in a batch).
fn arrow_field(name: &str, kind: ScalarType, nullable: bool) -> Field {
    let ty = match kind {
        ScalarType::Varchar => DataType::LargeUtf8,
        ScalarType::Bigint => DataType::Int64,
        ScalarType::Timestamp => DataType::Timestamp(ArrowTimeUnit::Nanosecond, Some("UTC".into())),
        ScalarType::Double => DataType::Float64,
        ScalarType::Boolean => DataType::Boolean,
    };
    Field::new(name, ty, nullable)
}

/// Column name of single-measure values of type `t`, as Timestream names it.
fn measure_value_column(t: ScalarType) -> String {
    format!("measure_value::{}", t.as_str().to_ascii_lowercase())
}

/// The table's columns, from the data model: the same for every file of
/// the load. The value columns are the dimensions first (schema order:
/// `time`, dimensions, `measure_name`, the rest).
#[derive(Debug)]
pub struct TableShape {
    columns: Vec<ColumnDef>,
    /// How many of `columns` are dimensions (they come first).
    dims: usize,
    by_dim: HashMap<String, u32>,
    by_attr: HashMap<String, u32>,
    by_scalar: HashMap<ScalarType, u32>,
    schema: Arc<Type>,
    /// The same columns as Arrow sees them (the batches' type).
    arrow: SchemaRef,
}

impl TableShape {
    /// The columns of `model`'s table; an error when the model has no single
    /// table shape (an attribute of two types, a name used twice).
    pub fn new(model: &DataModel) -> Result<Self, EmitError> {
        let mut columns: Vec<ColumnDef> = Vec::new();
        let mut by_dim = HashMap::new();
        let mut by_attr: HashMap<String, u32> = HashMap::new();
        let mut by_scalar = HashMap::new();
        for d in &model.dimensions {
            if !by_dim.contains_key(&d.destination_column) {
                by_dim.insert(d.destination_column.clone(), columns.len() as u32);
                columns.push(ColumnDef {
                    name: d.destination_column.clone(),
                    kind: ScalarType::Varchar,
                });
            }
        }
        let dims = columns.len();
        let mut add_attr =
            |name: &str, kind: ScalarType, columns: &mut Vec<ColumnDef>| -> Result<(), EmitError> {
                if let Some(&i) = by_attr.get(name) {
                    let existing = &columns[i as usize];
                    if existing.kind != kind {
                        return Err(EmitError::Shape(format!(
                            "attribute `{name}` is both {} and {}",
                            existing.kind.as_str(),
                            kind.as_str()
                        )));
                    }
                    return Ok(());
                }
                if by_dim.contains_key(name) || name == "time" || name == "measure_name" {
                    return Err(EmitError::Shape(format!(
                        "`{name}` names both a dimension and a measure"
                    )));
                }
                by_attr.insert(name.to_owned(), columns.len() as u32);
                columns.push(ColumnDef {
                    name: name.to_owned(),
                    kind,
                });
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
                            by_scalar.entry(*value_type).or_insert_with(|| {
                                columns.push(ColumnDef {
                                    name: measure_value_column(*value_type),
                                    kind: *value_type,
                                });
                                columns.len() as u32 - 1
                            });
                        }
                    }
                }
            }
        }
        let mut fields = vec![Arc::new(column_schema("time", ScalarType::Timestamp, true))];
        fields.extend(
            columns[..dims]
                .iter()
                .map(|c| Arc::new(column_schema(&c.name, c.kind, false))),
        );
        fields.push(Arc::new(column_schema(
            "measure_name",
            ScalarType::Varchar,
            true,
        )));
        fields.extend(
            columns[dims..]
                .iter()
                .map(|c| Arc::new(column_schema(&c.name, c.kind, false))),
        );
        let mut arrow_fields = vec![arrow_field("time", ScalarType::Timestamp, false)];
        arrow_fields.extend(
            columns[..dims]
                .iter()
                .map(|c| arrow_field(&c.name, c.kind, true)),
        );
        arrow_fields.push(arrow_field("measure_name", ScalarType::Varchar, false));
        arrow_fields.extend(
            columns[dims..]
                .iter()
                .map(|c| arrow_field(&c.name, c.kind, true)),
        );
        let arrow = Arc::new(Schema::new(arrow_fields));
        let schema = Type::group_type_builder("schema")
            .with_fields(fields)
            .build()
            .map_err(|e| EmitError::Shape(e.to_string()))?;
        Ok(Self {
            columns,
            dims,
            by_dim,
            by_attr,
            by_scalar,
            schema: Arc::new(schema),
            arrow,
        })
    }

    /// Resolves a file's plan against the columns, once per file.
    pub fn layout(self: &Arc<Self>, plan: &Plan) -> Result<FileLayout, EmitError> {
        let missing = |what: &str, name: &str| {
            EmitError::Shape(format!("{what} `{name}` has no column in the table"))
        };
        let dims = plan
            .dimension_names()
            .map(|n| {
                self.by_dim
                    .get(n)
                    .copied()
                    .ok_or_else(|| missing("dimension", n))
            })
            .collect::<Result<Vec<u32>, _>>()?;
        let slots = plan
            .value_slots()
            .map(|s| {
                let c = if s.multi {
                    self.by_attr.get(s.name)
                } else {
                    self.by_scalar.get(&s.ty)
                };
                let c = c.copied().ok_or_else(|| missing("measure", s.name))?;
                if self.columns[c as usize].kind == s.ty {
                    Ok(c)
                } else {
                    Err(EmitError::Shape(format!(
                        "measure `{}` is {} but its column is {}",
                        s.name,
                        s.ty.as_str(),
                        self.columns[c as usize].kind.as_str()
                    )))
                }
            })
            .collect::<Result<Vec<u32>, _>>()?;
        Ok(FileLayout {
            shape: self.clone(),
            dims,
            slots,
        })
    }
}

/// One file's plan resolved to the table's columns ([`TableShape::layout`]).
#[derive(Debug)]
pub struct FileLayout {
    shape: Arc<TableShape>,
    /// Plan dimension → value column.
    dims: Vec<u32>,
    /// Plan value slot → value column.
    slots: Vec<u32>,
}

/// Strings of one column: the bytes back to back, and an offset per row
/// boundary (Arrow's layout; a null row is an empty string).
#[derive(Debug)]
struct Strings {
    bytes: Vec<u8>,
    offsets: Vec<i64>,
}

impl Default for Strings {
    fn default() -> Self {
        Self {
            bytes: Vec::new(),
            offsets: vec![0],
        }
    }
}

impl Strings {
    /// Room for `rows` strings of about 16 bytes.
    fn with_capacity(rows: usize) -> Self {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        Self {
            bytes: Vec::with_capacity(rows * 16),
            offsets,
        }
    }

    #[inline]
    fn push(&mut self, b: &[u8]) {
        self.bytes.extend_from_slice(b);
        self.offsets.push(self.bytes.len() as i64);
    }

    /// Appends strings `rows` of `other`.
    fn extend_from(&mut self, other: &Self, rows: Range<usize>) {
        let (lo, hi) = (other.offsets[rows.start], other.offsets[rows.end]);
        let base = self.bytes.len() as i64 - lo;
        self.bytes
            .extend_from_slice(&other.bytes[lo as usize..hi as usize]);
        self.offsets.extend(
            other.offsets[rows.start + 1..=rows.end]
                .iter()
                .map(|o| o + base),
        );
    }

    /// Replaces the last (empty) string.
    #[inline]
    fn set_last(&mut self, b: &[u8]) {
        self.bytes.extend_from_slice(b);
        *self.offsets.last_mut().expect("a row was started") = self.bytes.len() as i64;
    }

    /// The strings as an Arrow array, without copying. The bytes are UTF-8
    /// (checked by the mapper, or taken from a `String`); an error
    /// otherwise.
    fn into_array(self, nulls: Option<NullBuffer>) -> Result<LargeStringArray, String> {
        LargeStringArray::try_new(
            OffsetBuffer::new(ScalarBuffer::from(self.offsets)),
            Buffer::from_vec(self.bytes),
            nulls,
        )
        .map_err(|e| e.to_string())
    }
}

/// The values of one column in a batch: a slot per row (a default value
/// where the row is null).
#[derive(Debug)]
enum Values {
    Str(Strings),
    I64(Vec<i64>),
    Ts(Vec<i64>),
    F64(Vec<f64>),
    Bool(Vec<bool>),
}

impl Values {
    fn with_capacity(kind: ScalarType, rows: usize) -> Self {
        match kind {
            ScalarType::Varchar => Self::Str(Strings::with_capacity(rows)),
            ScalarType::Bigint => Self::I64(Vec::with_capacity(rows)),
            ScalarType::Timestamp => Self::Ts(Vec::with_capacity(rows)),
            ScalarType::Double => Self::F64(Vec::with_capacity(rows)),
            ScalarType::Boolean => Self::Bool(Vec::with_capacity(rows)),
        }
    }

    /// Appends values `rows` of `other` (a column of the same type).
    fn extend_from(&mut self, other: &Self, rows: Range<usize>) {
        match (self, other) {
            (Self::Str(a), Self::Str(b)) => a.extend_from(b, rows),
            (Self::I64(a), Self::I64(b)) | (Self::Ts(a), Self::Ts(b)) => {
                a.extend_from_slice(&b[rows]);
            }
            (Self::F64(a), Self::F64(b)) => a.extend_from_slice(&b[rows]),
            (Self::Bool(a), Self::Bool(b)) => a.extend_from_slice(&b[rows]),
            _ => unreachable!("batches of one table shape"),
        }
    }

    #[inline]
    fn push_null(&mut self) {
        match self {
            Self::Str(s) => s.push(b""),
            Self::I64(v) | Self::Ts(v) => v.push(0),
            Self::F64(v) => v.push(0.0),
            Self::Bool(v) => v.push(false),
        }
    }
}

/// An optional value column of a batch: a value slot and a validity flag
/// per row.
#[derive(Debug)]
struct ColumnBuf {
    values: Values,
    valid: Vec<bool>,
}

impl ColumnBuf {
    /// Sets this column in the current row, once (a second value for
    /// the same column is ignored); a value of another type leaves it null.
    #[inline]
    fn set(&mut self, v: Value<'_>) {
        let col = self;
        let valid = col.valid.last_mut().expect("a row was started");
        if *valid {
            return;
        }
        let ok = match (&mut col.values, v) {
            (Values::Str(s), Value::Varchar(b)) => {
                s.set_last(b);
                true
            }
            (Values::I64(x), Value::Bigint(v)) | (Values::Ts(x), Value::Timestamp(v)) => {
                *x.last_mut().expect("a row was started") = v;
                true
            }
            (Values::F64(x), Value::Double(v)) => {
                *x.last_mut().expect("a row was started") = v;
                true
            }
            (Values::Bool(x), Value::Boolean(v)) => {
                *x.last_mut().expect("a row was started") = v;
                true
            }
            _ => false,
        };
        debug_assert!(ok, "a value of its column's type");
        *valid = ok;
    }
}

/// The records of one chunk as columns, filled on a worker thread
/// ([`RecordSink`]) and written by [`ParquetWriter`].
#[derive(Debug)]
pub struct ColumnBatch {
    layout: Arc<FileLayout>,
    time: Vec<i64>,
    names: Strings,
    columns: Vec<ColumnBuf>,
}

impl ColumnBatch {
    /// An empty batch for a file of `layout`.
    pub fn new(layout: Arc<FileLayout>) -> Self {
        Self::with_capacity(layout, 0)
    }

    /// An empty batch with room for about `rows` records.
    pub fn with_capacity(layout: Arc<FileLayout>, rows: usize) -> Self {
        let columns = layout
            .shape
            .columns
            .iter()
            .map(|c| ColumnBuf {
                values: Values::with_capacity(c.kind, rows),
                valid: Vec::with_capacity(rows),
            })
            .collect();
        Self {
            layout,
            time: Vec::with_capacity(rows),
            names: Strings::with_capacity(rows),
            columns,
        }
    }

    /// Records (rows) in the batch.
    pub fn len(&self) -> usize {
        self.time.len()
    }

    /// Whether the batch holds no record.
    pub fn is_empty(&self) -> bool {
        self.time.is_empty()
    }

    /// Appends rows `rows` of `other` (a batch of the same table).
    fn extend_from(&mut self, other: &Self, rows: Range<usize>) {
        self.time.extend_from_slice(&other.time[rows.clone()]);
        self.names.extend_from(&other.names, rows.clone());
        for (a, b) in self.columns.iter_mut().zip(&other.columns) {
            a.values.extend_from(&b.values, rows.clone());
            a.valid.extend_from_slice(&b.valid[rows.clone()]);
        }
    }

    /// Starts a row: every value column null until set.
    #[inline]
    fn start_row(&mut self, time_ns: i64, name: &[u8]) {
        self.time.push(time_ns);
        self.names.push(name);
        for c in &mut self.columns {
            c.values.push_null();
            c.valid.push(false);
        }
    }

    /// Adds an owned record (the slow path of [`RecordWriter::write`]):
    /// columns found by name, values parsed from their text.
    fn push_owned(&mut self, r: &WriteRecord) -> Result<(), String> {
        let shape = self.layout.shape.clone();
        let unit = unit_nanos(r.time_unit);
        let time = r
            .time
            .parse::<i64>()
            .ok()
            .and_then(|t| t.checked_mul(unit))
            .ok_or_else(|| format!("record time `{}` is not an integer of nanoseconds", r.time))?;
        let mut cells: Vec<(u32, &str)> = Vec::new();
        for d in &r.dimensions {
            if let Some(&c) = shape.by_dim.get(&d.name) {
                cells.push((c, &d.value));
            }
        }
        if let Some(values) = &r.measure_values {
            for v in values {
                let c = shape
                    .by_attr
                    .get(&v.name)
                    .ok_or_else(|| format!("attribute `{}` is not in the data model", v.name))?;
                cells.push((*c, &v.value));
            }
        } else if let Some(value) = &r.measure_value {
            let kind =
                scalar_of(r.measure_value_type).ok_or("a single-measure record of type MULTI")?;
            let c = shape.by_scalar.get(&kind).ok_or_else(|| {
                format!(
                    "no `{}` column for a single-measure value",
                    measure_value_column(kind)
                )
            })?;
            cells.push((*c, value));
        }
        // Convert first, so that a failure adds no partial row.
        let mut typed = Vec::with_capacity(cells.len());
        for &(c, text) in &cells {
            let kind = shape.columns[c as usize].kind;
            let bad = || format!("value `{text}` does not convert to {}", kind.as_str());
            let v = match kind {
                ScalarType::Varchar => Value::Varchar(text.as_bytes()),
                ScalarType::Bigint => Value::Bigint(text.parse().map_err(|_| bad())?),
                ScalarType::Timestamp => Value::Timestamp(
                    text.parse::<i64>()
                        .ok()
                        .and_then(|x| x.checked_mul(unit))
                        .ok_or_else(bad)?,
                ),
                ScalarType::Double => Value::Double(text.parse().map_err(|_| bad())?),
                ScalarType::Boolean => Value::Boolean(text.eq_ignore_ascii_case("true")),
            };
            typed.push((c, v));
        }
        self.start_row(time, r.measure_name.as_bytes());
        for (c, v) in typed {
            self.set(c as usize, v);
        }
        Ok(())
    }

    /// Sets value column `c` of the current row (see [`ColumnBuf::set`]).
    #[inline]
    fn set(&mut self, c: usize, v: Value<'_>) {
        self.columns[c].set(v);
    }

    /// The batch as an Arrow record batch of the table's schema; no value
    /// is copied.
    fn into_record_batch(self) -> Result<RecordBatch, String> {
        let shape = &self.layout.shape;
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(shape.columns.len() + 2);
        arrays.push(Arc::new(
            TimestampNanosecondArray::new(ScalarBuffer::from(self.time), None).with_timezone("UTC"),
        ));
        let mut names = Some(self.names);
        for (c, buf) in self.columns.into_iter().enumerate() {
            if c == shape.dims {
                let n = names.take().expect("measure_name once");
                arrays.push(Arc::new(n.into_array(None)?));
            }
            let nulls = Some(NullBuffer::from(buf.valid));
            let a: ArrayRef = match buf.values {
                Values::Str(s) => Arc::new(s.into_array(nulls)?),
                Values::I64(v) => Arc::new(Int64Array::new(ScalarBuffer::from(v), nulls)),
                Values::Ts(v) => Arc::new(
                    TimestampNanosecondArray::new(ScalarBuffer::from(v), nulls)
                        .with_timezone("UTC"),
                ),
                Values::F64(v) => Arc::new(Float64Array::new(ScalarBuffer::from(v), nulls)),
                Values::Bool(v) => Arc::new(BooleanArray::new(BooleanBuffer::from(v), nulls)),
            };
            arrays.push(a);
        }
        if let Some(n) = names {
            arrays.push(Arc::new(n.into_array(None)?));
        }
        RecordBatch::try_new(shape.arrow.clone(), arrays).map_err(|e| e.to_string())
    }
}

impl RecordSink for ColumnBatch {
    #[inline]
    fn record(&mut self, view: &RecordView<'_>) {
        self.start_row(view.time_ns(), view.measure_name());
        let Self {
            layout, columns, ..
        } = self;
        for d in view.dimensions() {
            columns[layout.dims[d.index as usize] as usize].set(Value::Varchar(d.value));
        }
        for m in view.measures() {
            let v = if m.ty == ScalarType::Varchar {
                Value::Varchar(m.raw)
            } else {
                m.value()
            };
            columns[layout.slots[m.slot as usize] as usize].set(v);
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

/// The thread that encodes: it owns the Arrow writer and takes batches
/// over a bounded channel, so that encoding overlaps the reading, checking
/// and merging of later chunks.
struct Encoder {
    tx: Option<SyncSender<ColumnBatch>>,
    handle: Option<JoinHandle<Result<ArrowWriter<AtomicFile>, String>>>,
}

/// Rows per call of the Arrow writer.
const WRITE_ROWS: usize = 8192;

/// Batches waiting for the encoder: enough to keep it busy, few enough to
/// bound memory (a batch is one chunk's records).
const QUEUED_BATCHES: usize = 2;

impl Encoder {
    fn start(mut writer: ArrowWriter<AtomicFile>) -> std::io::Result<Self> {
        let (tx, rx) = sync_channel::<ColumnBatch>(QUEUED_BATCHES);
        let handle = std::thread::Builder::new()
            .name("tsload-parquet".into())
            .spawn(move || {
                // The writer sees slices of exactly WRITE_ROWS rows, cut at
                // the same rows whatever the chunking: where it starts new
                // pages or gives up a dictionary depends on its calls.
                let mut pending: Option<ColumnBatch> = None;
                let mut write = |b: ColumnBatch| -> Result<(), String> {
                    let b = b.into_record_batch()?;
                    writer.write(&b).map_err(|e| e.to_string())
                };
                for batch in rx {
                    let mut start = 0;
                    while start < batch.len() {
                        let acc = pending.get_or_insert_with(|| {
                            ColumnBatch::with_capacity(batch.layout.clone(), WRITE_ROWS)
                        });
                        let end = batch.len().min(start + WRITE_ROWS - acc.len());
                        acc.extend_from(&batch, start..end);
                        start = end;
                        if acc.len() == WRITE_ROWS {
                            write(pending.take().expect("filled above"))?;
                        }
                    }
                }
                if let Some(b) = pending {
                    write(b)?;
                }
                Ok(writer)
            })?;
        Ok(Self {
            tx: Some(tx),
            handle: Some(handle),
        })
    }

    /// Queues a batch; an error when the encoder stopped (its error).
    fn send(&mut self, batch: ColumnBatch) -> Result<(), String> {
        let tx = self.tx.as_ref().ok_or("the Parquet encoder has stopped")?;
        if tx.send(batch).is_err() {
            // The encoder returned early: its error says why.
            self.tx = None;
            return Err(self
                .join()
                .err()
                .unwrap_or_else(|| "the Parquet encoder stopped".into()));
        }
        Ok(())
    }

    /// Waits for the queued batches to be encoded; returns the writer.
    fn join(&mut self) -> Result<ArrowWriter<AtomicFile>, String> {
        self.tx = None;
        let handle = self
            .handle
            .take()
            .ok_or("the Parquet encoder has stopped")?;
        match handle.join() {
            Ok(r) => r,
            Err(_) => Err("the Parquet encoder panicked".into()),
        }
    }
}

/// Writes records as Parquet in the table's shape.
pub struct ParquetWriter {
    path: PathBuf,
    encoder: Encoder,
    shape: Arc<TableShape>,
    /// The layout of owned records ([`RecordWriter::write`]).
    owned: Arc<FileLayout>,
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
        Self::with_row_group_rows(path, model, ROW_GROUP_ROWS)
    }

    /// Like [`create`](Self::create), with row groups of `rows` rows (≥ 1).
    pub fn with_row_group_rows(
        path: &Path,
        model: &DataModel,
        rows: usize,
    ) -> Result<Self, EmitError> {
        let shape = Arc::new(TableShape::new(model)?);
        let err = |message: String| EmitError::Parquet {
            path: path.to_path_buf(),
            message,
        };
        // Strings: dictionary-encoded while the dictionary stays small, no
        // min/max statistics (comparing every value costs more than readers
        // gain from them); numbers: plain, with chunk statistics (row group
        // pruning on `time`).
        let mut props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_statistics_enabled(EnabledStatistics::Chunk)
            .set_dictionary_enabled(false)
            .set_data_page_size_limit(PAGE_BYTES)
            .set_max_row_group_row_count(Some(rows.max(1)));
        for c in shape
            .columns
            .iter()
            .filter(|c| c.kind == ScalarType::Double)
        {
            // Binary64 mantissas hardly compress: Snappy would cost time
            // for a few percent.
            props = props.set_column_compression(
                ColumnPath::from(c.name.as_str()),
                Compression::UNCOMPRESSED,
            );
        }
        let strings = std::iter::once("measure_name").chain(
            shape
                .columns
                .iter()
                .filter(|c| c.kind == ScalarType::Varchar)
                .map(|c| c.name.as_str()),
        );
        for name in strings {
            let path = ColumnPath::from(name);
            props = props
                .set_column_dictionary_enabled(path.clone(), true)
                .set_column_dictionary_page_size_limit(path.clone(), DICTIONARY_BYTES)
                .set_column_statistics_enabled(path, EnabledStatistics::None);
        }
        let options = ArrowWriterOptions::new()
            .with_properties(props.build())
            .with_parquet_schema(SchemaDescriptor::new(shape.schema.clone()))
            .with_skip_arrow_metadata(true);
        let file = AtomicFile::create(path)?;
        let writer = ArrowWriter::try_new_with_options(file, shape.arrow.clone(), options)
            .map_err(|e| err(e.to_string()))?;
        let encoder = Encoder::start(writer)
            .map_err(|e| err(format!("cannot start the encoding thread: {e}")))?;
        let owned = Arc::new(FileLayout {
            shape: shape.clone(),
            dims: Vec::new(),
            slots: Vec::new(),
        });
        Ok(Self {
            path: path.to_path_buf(),
            encoder,
            shape,
            owned,
            count: 0,
        })
    }

    fn err(&self, e: impl std::fmt::Display) -> EmitError {
        EmitError::Parquet {
            path: self.path.clone(),
            message: e.to_string(),
        }
    }

    /// Queues a batch for the encoder; the Arrow writer cuts row groups at
    /// exactly the configured number of rows.
    fn append(&mut self, batch: ColumnBatch) -> Result<(), EmitError> {
        if batch.is_empty() {
            return Ok(());
        }
        let rows = batch.len() as u64;
        self.encoder.send(batch).map_err(|m| self.err(m))?;
        self.count += rows;
        Ok(())
    }
}

impl RecordWriter for ParquetWriter {
    fn encoding(&self) -> Encoding {
        Encoding::Parquet(self.shape.clone())
    }

    fn write(&mut self, records: &[WriteRecord], _lines: &[u64]) -> Result<(), EmitError> {
        let mut batch = ColumnBatch::new(self.owned.clone());
        for r in records {
            batch.push_owned(r).map_err(|m| self.err(m))?;
        }
        self.append(batch)
    }

    fn write_batch(&mut self, batch: Batch) -> Result<(), EmitError> {
        match batch {
            Batch::Parquet(b) => self.append(b),
            Batch::Owned(b) => self.write(&b.records, &b.lines),
            Batch::Jsonl(_) => Err(EmitError::Mismatch),
        }
    }

    fn finish(mut self: Box<Self>) -> Result<u64, EmitError> {
        let writer = self.encoder.join().map_err(|m| self.err(m))?;
        let file = writer.into_inner().map_err(|x| self.err(x))?;
        file.commit()?;
        Ok(self.count)
    }
}
