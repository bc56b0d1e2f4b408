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
//!   column. Numbers are parsed there, with the mapper's parsers. A record
//!   touches only the columns it has values for: a column is filled up to
//!   the last row that set it, and the rows it skipped become nulls when a
//!   later row sets it or the batch is written; a column no row left null
//!   has no validity at all (nothing to build or encode for it). Values
//!   come through [`RecordView::visit`] (typed, no [`Value`] per value).
//! - [`ParquetWriter`] receives the batches in input order on the thread
//!   that delivers them (the one that merges), copies their rows into
//!   batches of exactly 8192 rows, cut at the same rows whatever
//!   the chunking (where the Arrow writer starts a page or gives up a
//!   dictionary depends on its calls), so that the file is the same for any
//!   number of threads, and hands each chunk's emptied buffers back to the
//!   file's layout for the next chunk: nothing is allocated per record,
//!   per value or, once running, per chunk. Each full batch becomes an
//!   Arrow `RecordBatch` without copying (the vectors become the arrays'
//!   buffers; strings become binary arrays, so that their UTF-8, checked by
//!   the mapper, is not validated again: the Parquet schema says STRING).
//! - An encoding thread of its own, fed through a bounded channel, does
//!   nothing but encode: it hands the record batches to the parquet
//!   crate's `ArrowWriter`, with the schema above given explicitly. Its
//!   string encoder works on offsets and one buffer; the low-level writer
//!   wants a refcounted `ByteArray` per value (building, reading and
//!   dropping them took about 13% of that version's profile). The writer
//!   encodes a row group in memory and writes it when it holds
//!   [`ROW_GROUP_ROWS`] rows (the last one shorter): memory is bounded by
//!   one row group's encoded size plus the batches in flight, whatever the
//!   input size.
//! - Strings are dictionary-encoded (dimensions, measure names and VARCHAR
//!   values repeat) while a row group's dictionary stays under 64 KiB, and
//!   plain past that, without min/max statistics; `time`, BIGINT and
//!   TIMESTAMP columns are DELTA_BINARY_PACKED without Snappy (times grow
//!   by small steps, counters stay in a narrow range: smaller than plain
//!   with Snappy, and cheaper), DOUBLE and BOOLEAN ones plain; numbers have
//!   statistics per column chunk (row group pruning on `time`). Pages hold
//!   at most 64 KiB and are compressed with Snappy, except delta and DOUBLE
//!   ones (binary64 mantissas hardly compress).

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use arrow_array::{
    ArrayRef, BooleanArray, Float64Array, Int64Array, LargeBinaryArray, RecordBatch,
    TimestampNanosecondArray,
};
use arrow_buffer::{BooleanBuffer, Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit as ArrowTimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::ArrowWriterOptions;
use parquet::basic::{
    Compression, Encoding as PqEncoding, LogicalType, Repetition, TimeUnit as PqTimeUnit,
    TimestampType, Type as PhysicalType,
};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::{ColumnPath, SchemaDescriptor, Type};
use tsload_mapper::{
    MeasureValueType, Plan, RecordSink, RecordView, Value, ValueVisitor, WriteRecord,
};
use tsload_model::effective::{DataModel, Measures, MixedKind, ScalarType, TimeUnit};

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
        ScalarType::Varchar => DataType::LargeBinary,
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
        Ok(FileLayout::new(self.clone(), dims, slots))
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
    /// Emptied column buffers of batches the encoder took, for the next
    /// chunks: a batch's vectors are reused instead of allocated (and
    /// page-faulted in) for every chunk.
    spare: Mutex<Vec<Columns>>,
}

/// Spare column buffers kept per file (a few per thread in flight).
const SPARE_BATCHES: usize = 8;

impl FileLayout {
    fn new(shape: Arc<TableShape>, dims: Vec<u32>, slots: Vec<u32>) -> Self {
        Self {
            shape,
            dims,
            slots,
            spare: Mutex::new(Vec::new()),
        }
    }

    /// Empty columns for a batch: spare ones, or new ones with room for
    /// `rows` rows.
    fn columns(&self, rows: usize) -> Columns {
        let spare = self.spare.lock().ok().and_then(|mut s| s.pop());
        spare.unwrap_or_else(|| Columns::with_capacity(&self.shape, rows))
    }

    /// Keeps the buffers of a batch for a later one.
    fn give_back(&self, mut columns: Columns) {
        columns.clear();
        if let Ok(mut spare) = self.spare.lock()
            && spare.len() < SPARE_BATCHES
        {
            spare.push(columns);
        }
    }
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

    fn clear(&mut self) {
        self.bytes.clear();
        self.offsets.truncate(1);
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

    /// The strings as an Arrow array, without copying. The array is binary:
    /// the bytes are UTF-8 (checked by the mapper, or taken from a
    /// `String`) and the Parquet schema says STRING, so validating them
    /// again for a `LargeStringArray` would only cost time.
    fn into_array(self, nulls: Option<NullBuffer>) -> Result<LargeBinaryArray, String> {
        LargeBinaryArray::try_new(
            OffsetBuffer::new(ScalarBuffer::from(self.offsets)),
            Buffer::from_vec(self.bytes),
            nulls,
        )
        .map_err(|e| e.to_string())
    }
}

/// The values of one column in a batch: a slot per row up to the last row
/// that set it (a default value where the row is null).
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

    fn clear(&mut self) {
        match self {
            Self::Str(s) => s.clear(),
            Self::I64(v) | Self::Ts(v) => v.clear(),
            Self::F64(v) => v.clear(),
            Self::Bool(v) => v.clear(),
        }
    }

    /// An empty column of the same type as `self`, with room for `rows`
    /// values and, for strings, for as many bytes as `self` holds plus an
    /// eighth: regrouped batches of a file are alike, so the next one
    /// rarely grows (a growth copies what it holds).
    fn empty_like(&self, rows: usize) -> Self {
        match self {
            Self::Str(s) => {
                let mut offsets = Vec::with_capacity(rows + 1);
                offsets.push(0);
                Self::Str(Strings {
                    bytes: Vec::with_capacity(s.bytes.len() + s.bytes.len() / 8),
                    offsets,
                })
            }
            Self::I64(_) => Self::I64(Vec::with_capacity(rows)),
            Self::Ts(_) => Self::Ts(Vec::with_capacity(rows)),
            Self::F64(_) => Self::F64(Vec::with_capacity(rows)),
            Self::Bool(_) => Self::Bool(Vec::with_capacity(rows)),
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

    /// Appends `n` null slots (default values).
    fn push_nulls(&mut self, n: usize) {
        match self {
            Self::Str(s) => {
                let end = s.bytes.len() as i64;
                s.offsets.extend(std::iter::repeat_n(end, n));
            }
            Self::I64(v) | Self::Ts(v) => v.resize(v.len() + n, 0),
            Self::F64(v) => v.resize(v.len() + n, 0.0),
            Self::Bool(v) => v.resize(v.len() + n, false),
        }
    }

    /// Appends `v` if it is of this column's type.
    #[inline(always)]
    #[allow(clippy::inline_always, reason = "per value, inside `ColumnBuf::set`")]
    fn push(&mut self, v: Value<'_>) -> bool {
        match (self, v) {
            (Self::Str(s), Value::Varchar(b)) => s.push(b),
            (Self::I64(x), Value::Bigint(v)) | (Self::Ts(x), Value::Timestamp(v)) => x.push(v),
            (Self::F64(x), Value::Double(v)) => x.push(v),
            (Self::Bool(x), Value::Boolean(v)) => x.push(v),
            _ => return false,
        }
        true
    }
}

/// An optional value column of a batch. Rows are filled lazily: a row
/// that sets the column first pads the rows before it that did not with
/// nulls, so that a record touches only the columns it has values for, and
/// a column that no row left null has no validity to build or encode.
#[derive(Debug)]
struct ColumnBuf {
    values: Values,
    /// Rows filled (`values.len()`, kept apart: no match on the type to
    /// know it).
    filled: usize,
    /// Whether each row has a value; `None` while every row has one.
    valid: Option<Vec<bool>>,
}

impl ColumnBuf {
    /// Sets the column in row `row`, once (a second value for the same row
    /// is ignored); a value of another type leaves it null.
    #[inline(always)]
    #[allow(
        clippy::inline_always,
        reason = "per value; the match on the value folds away"
    )]
    fn set(&mut self, row: usize, v: Value<'_>) {
        if self.filled != row {
            if self.filled > row {
                return;
            }
            self.pad(row);
        }
        let ok = self.values.push(v);
        debug_assert!(ok, "a value of its column's type");
        if ok {
            self.filled += 1;
            if let Some(valid) = &mut self.valid {
                valid.push(true);
            }
        }
    }

    /// Fills rows up to `rows` with nulls.
    #[cold]
    fn pad(&mut self, rows: usize) {
        let filled = self.filled;
        if filled >= rows {
            return;
        }
        self.filled = rows;
        let valid = self.valid.get_or_insert_with(|| {
            let mut v = Vec::with_capacity(rows.max(WRITE_ROWS));
            v.resize(filled, true);
            v
        });
        valid.resize(rows, false);
        self.values.push_nulls(rows - filled);
    }

    fn clear(&mut self) {
        self.values.clear();
        self.filled = 0;
        self.valid = None;
    }

    /// Appends rows `rows` of `other` (both filled up to their rows).
    fn extend_from(&mut self, other: &Self, rows: Range<usize>) {
        let before = self.filled;
        self.filled += rows.len();
        self.values.extend_from(&other.values, rows.clone());
        match (&mut self.valid, &other.valid) {
            (Some(a), Some(b)) => a.extend_from_slice(&b[rows]),
            (Some(a), None) => a.resize(a.len() + rows.len(), true),
            (None, Some(b)) => {
                if b[rows.clone()].iter().any(|v| !v) {
                    let mut a = Vec::with_capacity(WRITE_ROWS);
                    a.resize(before, true);
                    a.extend_from_slice(&b[rows]);
                    self.valid = Some(a);
                }
            }
            (None, None) => {}
        }
    }
}

/// The column buffers of a batch.
#[derive(Debug)]
struct Columns {
    time: Vec<i64>,
    names: Strings,
    values: Vec<ColumnBuf>,
}

impl Columns {
    fn with_capacity(shape: &TableShape, rows: usize) -> Self {
        Self {
            time: Vec::with_capacity(rows),
            names: Strings::with_capacity(rows),
            values: shape
                .columns
                .iter()
                .map(|c| ColumnBuf {
                    values: Values::with_capacity(c.kind, rows),
                    filled: 0,
                    valid: None,
                })
                .collect(),
        }
    }

    fn clear(&mut self) {
        self.time.clear();
        self.names.clear();
        for c in &mut self.values {
            c.clear();
        }
    }

    /// Empty columns with room for `rows` rows, string columns sized
    /// after `self`'s ([`Values::empty_like`]).
    fn empty_like(&self, rows: usize) -> Self {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        let bytes = self.names.bytes.len();
        let names = Strings {
            bytes: Vec::with_capacity(bytes + bytes / 8),
            offsets,
        };
        Self {
            time: Vec::with_capacity(rows),
            names,
            values: self
                .values
                .iter()
                .map(|c| ColumnBuf {
                    values: c.values.empty_like(rows),
                    filled: 0,
                    valid: None,
                })
                .collect(),
        }
    }

    /// Fills every value column up to the last row.
    fn pad(&mut self) {
        let rows = self.time.len();
        for c in &mut self.values {
            c.pad(rows);
        }
    }
}

/// The records of one chunk as columns, filled on a worker thread
/// ([`RecordSink`]) and written by [`ParquetWriter`].
#[derive(Debug)]
pub struct ColumnBatch {
    layout: Arc<FileLayout>,
    cols: Columns,
}

impl ColumnBatch {
    /// An empty batch for a file of `layout`.
    pub fn new(layout: Arc<FileLayout>) -> Self {
        Self::with_capacity(layout, 0)
    }

    /// An empty batch with room for about `rows` records.
    pub fn with_capacity(layout: Arc<FileLayout>, rows: usize) -> Self {
        let cols = Columns::with_capacity(&layout.shape, rows);
        Self { layout, cols }
    }

    /// An empty batch for one chunk of a file of `layout`: the buffers of
    /// a batch already written if there is one, else new ones with room
    /// for about `rows` records.
    pub fn for_chunk(layout: &Arc<FileLayout>, rows: usize) -> Self {
        Self {
            layout: layout.clone(),
            cols: layout.columns(rows),
        }
    }

    /// Records (rows) in the batch.
    pub fn len(&self) -> usize {
        self.cols.time.len()
    }

    /// Whether the batch holds no record.
    pub fn is_empty(&self) -> bool {
        self.cols.time.is_empty()
    }

    /// Hands the buffers back to the layout, for the next chunk.
    fn recycle(self) {
        self.layout.give_back(self.cols);
    }

    /// Appends rows `rows` of `other` (a batch of the same table, padded).
    fn extend_from(&mut self, other: &Self, rows: Range<usize>) {
        let (a, b) = (&mut self.cols, &other.cols);
        a.time.extend_from_slice(&b.time[rows.clone()]);
        a.names.extend_from(&b.names, rows.clone());
        for (a, b) in a.values.iter_mut().zip(&b.values) {
            a.extend_from(b, rows.clone());
        }
    }

    /// Starts a row: every value column null until set. Returns its index.
    #[inline]
    fn start_row(&mut self, time_ns: i64, name: &[u8]) -> usize {
        let row = self.cols.time.len();
        self.cols.time.push(time_ns);
        self.cols.names.push(name);
        row
    }

    /// Adds an owned record (the slow path of [`RecordWriter::write`]):
    /// columns found by name, values parsed from their text.
    fn push_owned(&mut self, r: &WriteRecord) -> Result<(), String> {
        let shape = self.layout.shape.clone();
        let unit = TimeUnit::from(r.time_unit).nanos();
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
        let row = self.start_row(time, r.measure_name.as_bytes());
        for (c, v) in typed {
            self.cols.values[c as usize].set(row, v);
        }
        Ok(())
    }

    /// The batch as an Arrow record batch of the table's schema; no value
    /// is copied.
    fn into_record_batch(mut self) -> Result<RecordBatch, String> {
        self.cols.pad();
        let shape = &self.layout.shape;
        let Columns {
            time,
            names,
            values,
        } = self.cols;
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(shape.columns.len() + 2);
        arrays.push(Arc::new(
            TimestampNanosecondArray::new(ScalarBuffer::from(time), None).with_timezone("UTC"),
        ));
        let mut names = Some(names);
        for (c, buf) in values.into_iter().enumerate() {
            if c == shape.dims {
                let n = names.take().expect("measure_name once");
                arrays.push(Arc::new(n.into_array(None)?));
            }
            let nulls = buf.valid.map(NullBuffer::from);
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
        let row = self.start_row(view.time_ns(), view.measure_name());
        view.visit(&mut Fill {
            row,
            layout: &self.layout,
            cols: &mut self.cols,
        });
    }
}

/// Puts a record's values in their columns, in row `row`.
struct Fill<'a> {
    row: usize,
    layout: &'a FileLayout,
    cols: &'a mut Columns,
}

impl Fill<'_> {
    #[inline(always)]
    #[allow(clippy::inline_always, reason = "per value")]
    fn slot(&mut self, slot: u32, v: Value<'_>) {
        let c = self.layout.slots[slot as usize] as usize;
        self.cols.values[c].set(self.row, v);
    }
}

impl ValueVisitor for Fill<'_> {
    #[inline(always)]
    #[allow(clippy::inline_always, reason = "per value")]
    fn dimension(&mut self, index: u32, value: &[u8]) {
        let c = self.layout.dims[index as usize] as usize;
        self.cols.values[c].set(self.row, Value::Varchar(value));
    }
    #[inline(always)]
    #[allow(clippy::inline_always, reason = "per value")]
    fn double(&mut self, slot: u32, value: f64) {
        self.slot(slot, Value::Double(value));
    }
    #[inline(always)]
    #[allow(clippy::inline_always, reason = "per value")]
    fn bigint(&mut self, slot: u32, value: i64) {
        self.slot(slot, Value::Bigint(value));
    }
    #[inline(always)]
    #[allow(clippy::inline_always, reason = "per value")]
    fn boolean(&mut self, slot: u32, value: bool) {
        self.slot(slot, Value::Boolean(value));
    }
    #[inline(always)]
    #[allow(clippy::inline_always, reason = "per value")]
    fn timestamp(&mut self, slot: u32, ns: i64) {
        self.slot(slot, Value::Timestamp(ns));
    }
    #[inline(always)]
    #[allow(clippy::inline_always, reason = "per value")]
    fn varchar(&mut self, slot: u32, value: &[u8]) {
        self.slot(slot, Value::Varchar(value));
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

/// The thread that encodes: it owns the Arrow writer and takes record
/// batches of [`WRITE_ROWS`] rows over a bounded channel, so that encoding
/// overlaps the reading, checking and merging of later chunks. Only the
/// encoding runs there: the batches are cut and converted on the thread
/// that delivers them ([`ParquetWriter::append`]), which has less to do.
struct Encoder {
    tx: Option<SyncSender<RecordBatch>>,
    handle: Option<JoinHandle<Result<ArrowWriter<AtomicFile>, String>>>,
}

/// Rows per call of the Arrow writer.
const WRITE_ROWS: usize = 8192;

/// Batches waiting for the encoder: enough to keep it busy, few enough to
/// bound memory (a batch is [`WRITE_ROWS`] records).
const QUEUED_BATCHES: usize = 2;

impl Encoder {
    fn start(mut writer: ArrowWriter<AtomicFile>) -> std::io::Result<Self> {
        let (tx, rx) = sync_channel::<RecordBatch>(QUEUED_BATCHES);
        let handle = std::thread::Builder::new()
            .name("tsload-parquet".into())
            .spawn(move || {
                for batch in rx {
                    writer.write(&batch).map_err(|e| e.to_string())?;
                }
                Ok(writer)
            })?;
        Ok(Self {
            tx: Some(tx),
            handle: Some(handle),
        })
    }

    /// Queues a batch; an error when the encoder stopped (its error).
    fn send(&mut self, batch: RecordBatch) -> Result<(), String> {
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
    /// Rows of the next write call, fewer than [`WRITE_ROWS`].
    pending: Option<ColumnBatch>,
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
        // gain from them); numbers: with chunk statistics (row group
        // pruning on `time`), integers and times as deltas.
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
        let ints = std::iter::once("time").chain(
            shape
                .columns
                .iter()
                .filter(|c| matches!(c.kind, ScalarType::Bigint | ScalarType::Timestamp))
                .map(|c| c.name.as_str()),
        );
        // Deltas of 1 GiB of benchmark rows: `time` 60.2 -> 31.0 MB and
        // `requests` 34.9 -> 17.4 MB, 1,800 -> 1,640 encoder instructions
        // per row (no Snappy pass over them).
        for name in ints {
            let path = ColumnPath::from(name);
            props = props
                .set_column_encoding(path.clone(), PqEncoding::DELTA_BINARY_PACKED)
                .set_column_compression(path, Compression::UNCOMPRESSED);
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
        let owned = Arc::new(FileLayout::new(shape.clone(), Vec::new(), Vec::new()));
        Ok(Self {
            path: path.to_path_buf(),
            encoder,
            shape,
            owned,
            pending: None,
            count: 0,
        })
    }

    fn err(&self, e: impl std::fmt::Display) -> EmitError {
        EmitError::Parquet {
            path: self.path.clone(),
            message: e.to_string(),
        }
    }

    /// Cuts the batch's rows into record batches of exactly [`WRITE_ROWS`]
    /// rows, whatever the chunking (where the Arrow writer starts a page or
    /// gives up a dictionary depends on its calls: so the file is the same
    /// for any number of threads), and queues them for the encoder, which
    /// cuts row groups at exactly the configured number of rows. The
    /// batch's buffers go back to its layout.
    fn append(&mut self, mut batch: ColumnBatch) -> Result<(), EmitError> {
        if batch.is_empty() {
            return Ok(());
        }
        batch.cols.pad();
        let mut start = 0;
        while start < batch.len() {
            let acc = self.pending.get_or_insert_with(|| {
                ColumnBatch::with_capacity(batch.layout.clone(), WRITE_ROWS)
            });
            let end = batch.len().min(start + WRITE_ROWS - acc.len());
            acc.extend_from(&batch, start..end);
            start = end;
            if acc.len() == WRITE_ROWS {
                let next = ColumnBatch {
                    layout: acc.layout.clone(),
                    cols: acc.cols.empty_like(WRITE_ROWS),
                };
                let full = self.pending.replace(next).expect("filled above");
                self.send(full)?;
            }
        }
        self.count += batch.len() as u64;
        batch.recycle();
        Ok(())
    }

    /// Converts a batch and queues it for the encoder.
    fn send(&mut self, batch: ColumnBatch) -> Result<(), EmitError> {
        let batch = batch.into_record_batch().map_err(|m| self.err(m))?;
        self.encoder.send(batch).map_err(|m| self.err(m))
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
        if let Some(last) = self.pending.take()
            && !last.is_empty()
        {
            self.send(last)?;
        }
        let writer = self.encoder.join().map_err(|m| self.err(m))?;
        let file = writer.into_inner().map_err(|x| self.err(x))?;
        file.commit()?;
        Ok(self.count)
    }
}

#[cfg(test)]
mod tests {
    //! The column buffers: rows filled lazily (nulls where a record set no
    //! value), batches regrouped with their validity, buffers reused; and
    //! the file's encodings.

    use arrow_array::Array;
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Float64Type, Int64Type};

    use super::*;

    /// Two dimensions (`host`, `zone`), then the attributes `cpu` (DOUBLE),
    /// `req` (BIGINT), `ok` (BOOLEAN), `status` (VARCHAR), `seen`
    /// (TIMESTAMP).
    const MULTI: &str = r#"{"TimeColumn":"time","DimensionMappings":[{"SourceColumn":"host"},{"SourceColumn":"az","DestinationColumn":"zone"}],
      "MultiMeasureMappings":{"TargetMultiMeasureName":"metrics","MultiMeasureAttributeMappings":[
        {"SourceColumn":"cpu","MeasureValueType":"DOUBLE"},
        {"SourceColumn":"req","MeasureValueType":"BIGINT"},
        {"SourceColumn":"ok","MeasureValueType":"BOOLEAN"},
        {"SourceColumn":"status","MeasureValueType":"VARCHAR"},
        {"SourceColumn":"seen","MeasureValueType":"TIMESTAMP"}]}}"#;
    const HOST: usize = 0;
    const CPU: usize = 2;
    const REQ: usize = 3;
    const STATUS: usize = 5;

    fn model() -> DataModel {
        DataModel::from_wire(&serde_json::from_str(MULTI).unwrap()).unwrap()
    }

    fn layout() -> Arc<FileLayout> {
        let shape = Arc::new(TableShape::new(&model()).unwrap());
        Arc::new(FileLayout::new(shape, Vec::new(), Vec::new()))
    }

    /// Column `name` of `b`'s record batch.
    fn column(b: &RecordBatch, name: &str) -> ArrayRef {
        b.column_by_name(name).unwrap().clone()
    }

    fn strings(a: &ArrayRef) -> Vec<Option<String>> {
        a.as_binary::<i64>()
            .iter()
            .map(|v| v.map(|b| String::from_utf8(b.to_vec()).unwrap()))
            .collect()
    }

    fn doubles(a: &ArrayRef) -> Vec<Option<f64>> {
        a.as_primitive::<Float64Type>().iter().collect()
    }

    fn ints(a: &ArrayRef) -> Vec<Option<i64>> {
        a.as_primitive::<Int64Type>().iter().collect()
    }

    /// Rows: 0 sets `cpu`; 1 sets `host` twice (the first value stays);
    /// 2 sets nothing; 3 sets `host` and `cpu`.
    fn sample(b: &mut ColumnBatch) {
        let r = b.start_row(1, b"m");
        b.cols.values[CPU].set(r, Value::Double(0.5));
        let r = b.start_row(2, b"m");
        b.cols.values[HOST].set(r, Value::Varchar(b"h"));
        b.cols.values[HOST].set(r, Value::Varchar(b"x"));
        b.start_row(3, b"m");
        let r = b.start_row(4, b"m");
        b.cols.values[HOST].set(r, Value::Varchar(b"g"));
        b.cols.values[CPU].set(r, Value::Double(1.5));
    }

    #[test]
    fn rows_a_record_did_not_set_are_null() {
        let layout = layout();
        let mut b = ColumnBatch::for_chunk(&layout, 2);
        sample(&mut b);
        assert_eq!(b.len(), 4);
        let rb = b.into_record_batch().unwrap();
        assert_eq!(rb.num_rows(), 4);
        let host = column(&rb, "host");
        assert_eq!(
            strings(&host),
            [None, Some("h".into()), None, Some("g".into())]
        );
        assert_eq!(
            doubles(&column(&rb, "cpu")),
            [Some(0.5), None, None, Some(1.5)]
        );
        // Columns no row set: all null, of the batch's length.
        let req = column(&rb, "req");
        assert_eq!((req.len(), req.null_count()), (4, 4));
        assert_eq!(column(&rb, "status").null_count(), 4);
        assert_eq!(
            strings(&column(&rb, "measure_name")),
            vec![Some("m".into()); 4]
        );
    }

    #[test]
    fn a_column_every_row_set_has_no_validity() {
        let layout = layout();
        let mut b = ColumnBatch::for_chunk(&layout, 2);
        for i in 0..3 {
            let r = b.start_row(i, b"m");
            b.cols.values[REQ].set(r, Value::Bigint(i * 10));
        }
        let rb = b.into_record_batch().unwrap();
        let req = column(&rb, "req");
        assert!(req.nulls().is_none());
        assert_eq!(ints(&req), [Some(0), Some(10), Some(20)]);
        assert!(column(&rb, "cpu").nulls().is_some());
    }

    /// Regrouping copies values and validity whatever mix of columns with
    /// and without nulls the pieces have.
    #[test]
    fn regrouped_rows_keep_their_nulls() {
        let layout = layout();
        // `full`: every row has `req` and `status`; `holes`: some do not.
        let mut full = ColumnBatch::for_chunk(&layout, 4);
        for i in 0..4 {
            let r = full.start_row(i, b"m");
            full.cols.values[REQ].set(r, Value::Bigint(i));
            full.cols.values[STATUS].set(r, Value::Varchar(b"ok"));
        }
        let mut holes = ColumnBatch::for_chunk(&layout, 4);
        for i in 4..8 {
            let r = holes.start_row(i, b"m");
            if i % 2 == 0 {
                holes.cols.values[REQ].set(r, Value::Bigint(i));
            } else {
                holes.cols.values[STATUS].set(r, Value::Varchar(b"s"));
            }
        }
        full.cols.pad();
        holes.cols.pad();
        let mut acc = ColumnBatch::with_capacity(layout.clone(), 8);
        acc.extend_from(&full, 1..3);
        acc.extend_from(&holes, 0..3);
        acc.extend_from(&full, 3..4);
        // Rows of `holes` without nulls in `req` add no validity.
        let mut quiet = ColumnBatch::with_capacity(layout.clone(), 8);
        quiet.extend_from(&full, 0..2);
        quiet.extend_from(&holes, 0..1);
        let rb = acc.into_record_batch().unwrap();
        assert_eq!(
            ints(&column(&rb, "req")),
            [Some(1), Some(2), Some(4), None, Some(6), Some(3)]
        );
        assert_eq!(
            strings(&column(&rb, "status")),
            [
                Some("ok".into()),
                Some("ok".into()),
                None,
                Some("s".into()),
                None,
                Some("ok".into())
            ]
        );
        let rb = quiet.into_record_batch().unwrap();
        assert!(column(&rb, "req").nulls().is_none());
        assert_eq!(ints(&column(&rb, "req")), [Some(0), Some(1), Some(4)]);
    }

    #[test]
    fn recycled_buffers_start_empty() {
        let layout = layout();
        let mut b = ColumnBatch::for_chunk(&layout, 2);
        sample(&mut b);
        b.cols.pad();
        b.recycle();
        assert_eq!(layout.spare.lock().unwrap().len(), 1);
        let mut b = ColumnBatch::for_chunk(&layout, 2);
        assert!(layout.spare.lock().unwrap().is_empty());
        assert!(b.is_empty());
        assert!(
            b.cols
                .values
                .iter()
                .all(|c| c.valid.is_none() && c.filled == 0)
        );
        let r = b.start_row(9, b"n");
        b.cols.values[REQ].set(r, Value::Bigint(7));
        let rb = b.into_record_batch().unwrap();
        assert_eq!(rb.num_rows(), 1);
        assert_eq!(ints(&column(&rb, "req")), [Some(7)]);
        assert_eq!(strings(&column(&rb, "host")), [None]);
        // The spare list is bounded.
        for _ in 0..SPARE_BATCHES + 3 {
            ColumnBatch::with_capacity(layout.clone(), 1).recycle();
        }
        assert_eq!(layout.spare.lock().unwrap().len(), SPARE_BATCHES);
    }

    /// What the file says about its columns: strings are STRING (the
    /// batches hold them as binary), integers and times delta-encoded
    /// without Snappy, `time` with min/max statistics for pruning.
    #[test]
    fn the_file_declares_strings_and_encodes_integers_as_deltas() {
        use parquet::basic::{ConvertedType, Encoding as E};
        use parquet::file::reader::{FileReader, SerializedFileReader};
        use parquet::file::statistics::Statistics;
        use tsload_mapper::{WriteDimension, WriteMeasureValue};

        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("t.parquet");
        let mut w = ParquetWriter::create(&out, &model()).unwrap();
        let records: Vec<WriteRecord> = (0..100i64)
            .map(|i| WriteRecord {
                dimensions: vec![WriteDimension {
                    name: "host".into(),
                    value: format!("h{}", i % 3),
                    dimension_value_type: tsload_mapper::DimensionValueType::Varchar,
                }],
                measure_name: "metrics".into(),
                measure_value: None,
                measure_values: Some(vec![
                    WriteMeasureValue {
                        name: "req".into(),
                        value: (i * 7).to_string(),
                        value_type: MeasureValueType::Bigint,
                    },
                    WriteMeasureValue {
                        name: "status".into(),
                        value: "é".into(),
                        value_type: MeasureValueType::Varchar,
                    },
                ]),
                measure_value_type: MeasureValueType::Multi,
                time: (1_700_000_000_000 + i).to_string(),
                time_unit: tsload_mapper::RecordTimeUnit::Milliseconds,
                version: 1,
            })
            .collect();
        w.write(&records, &[]).unwrap();
        assert_eq!(Box::new(w).finish().unwrap(), 100);
        let r = SerializedFileReader::new(std::fs::File::open(&out).unwrap()).unwrap();
        let schema = r.metadata().file_metadata().schema_descr();
        for name in ["host", "zone", "measure_name", "status"] {
            let c = (0..schema.num_columns())
                .map(|i| schema.column(i))
                .find(|c| c.name() == name)
                .unwrap();
            assert_eq!(c.converted_type(), ConvertedType::UTF8, "{name}");
        }
        let rg = r.metadata().row_group(0);
        let col = |name: &str| {
            rg.columns()
                .iter()
                .find(|c| c.column_path().string() == name)
                .unwrap()
        };
        for name in ["time", "req", "seen"] {
            let c = col(name);
            assert!(c.encodings().any(|e| e == E::DELTA_BINARY_PACKED), "{name}");
            assert_eq!(c.compression(), Compression::UNCOMPRESSED, "{name}");
        }
        match col("time").statistics() {
            Some(Statistics::Int64(s)) => {
                assert_eq!(s.min_opt(), Some(&1_700_000_000_000_000_000));
                assert_eq!(s.max_opt(), Some(&1_700_000_000_099_000_000));
            }
            other => panic!("time statistics: {other:?}"),
        }
        assert!(col("host").encodings().any(|e| e == E::RLE_DICTIONARY));
    }
}
