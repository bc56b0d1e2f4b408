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
//!   them to plain column buffers: `Vec<i64>` / `Vec<f64>` / `Vec<bool>`,
//!   one byte buffer plus end offsets per string column, a definition level
//!   per optional cell. Numbers are parsed there, with the mapper's parsers.
//!   Nothing is allocated per record or per value.
//! - On the main thread, [`ParquetWriter`] feeds the batches, in input
//!   order, to one open column writer per column. String values reach the
//!   encoder as slices of one [`Bytes`] per column and batch. Each column
//!   writer encodes into its own in-memory chunk; a row group of exactly
//!   [`ROW_GROUP_ROWS`] rows (the last one shorter) is then appended to the
//!   file column by column. Memory is bounded by one row group's encoded
//!   size plus the batches in flight, whatever the input size; row group
//!   boundaries do not depend on the chunking, so the file is the same for
//!   any number of threads.
//! - Strings are dictionary-encoded (dimensions, measure names and VARCHAR
//!   values repeat), without min/max statistics; numbers are written plain
//!   (dictionaries of doubles and timestamps rarely pay) with statistics per
//!   column chunk (row group pruning on `time`); pages are compressed with
//!   Snappy.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use parquet::basic::{
    Compression, LogicalType, Repetition, TimeUnit as PqTimeUnit, TimestampType,
    Type as PhysicalType,
};
use parquet::column::page::{CompressedPage, PageWriteSpec, PageWriter};
use parquet::column::writer::{ColumnWriter, get_column_writer};
use parquet::data_type::ByteArray;
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterPropertiesPtr};
use parquet::file::writer::{SerializedFileWriter, SerializedPageWriter, TrackedWrite};
use parquet::schema::types::{ColumnPath, SchemaDescriptor, Type};
use tsload_mapper::{
    MeasureValueType, Plan, RecordSink, RecordTimeUnit, RecordView, Value, WriteRecord,
};
use tsload_model::effective::{DataModel, Measures, MixedKind, ScalarType};

use super::{Batch, EmitError, Encoding, RecordWriter};
use crate::atomic::AtomicFile;

/// Rows per row group (the last one of a file may be shorter).
pub const ROW_GROUP_ROWS: usize = 256 * 1024;

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
        })
    }

    /// Index in the schema's leaves of value column `c`.
    fn leaf(&self, c: usize) -> usize {
        if c < self.dims { 1 + c } else { 2 + c }
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

/// Strings of one column: the bytes back to back, and where each ends.
#[derive(Debug, Default)]
struct Strings {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl Strings {
    #[inline]
    fn push(&mut self, b: &[u8]) {
        self.bytes.extend_from_slice(b);
        self.ends.push(self.bytes.len());
    }

    fn split_off(&mut self, at: usize) -> Self {
        let cut = if at == 0 { 0 } else { self.ends[at - 1] };
        let bytes = self.bytes.split_off(cut);
        let ends = self
            .ends
            .split_off(at)
            .into_iter()
            .map(|e| e - cut)
            .collect();
        Self { bytes, ends }
    }

    /// The strings as `ByteArray`s sharing one buffer (no copy per value).
    fn byte_arrays(self, out: &mut Vec<ByteArray>) {
        out.clear();
        let bytes = Bytes::from(self.bytes);
        let mut start = 0;
        out.extend(self.ends.into_iter().map(|end| {
            let b = ByteArray::from(bytes.slice(start..end));
            start = end;
            b
        }));
    }
}

/// The values of one column in a batch.
#[derive(Debug)]
enum Values {
    Str(Strings),
    I64(Vec<i64>),
    F64(Vec<f64>),
    Bool(Vec<bool>),
}

impl Values {
    fn new(kind: ScalarType) -> Self {
        match kind {
            ScalarType::Varchar => Self::Str(Strings::default()),
            ScalarType::Bigint | ScalarType::Timestamp => Self::I64(Vec::new()),
            ScalarType::Double => Self::F64(Vec::new()),
            ScalarType::Boolean => Self::Bool(Vec::new()),
        }
    }

    fn split_off(&mut self, at: usize) -> Self {
        match self {
            Self::Str(v) => Self::Str(v.split_off(at)),
            Self::I64(v) => Self::I64(v.split_off(at)),
            Self::F64(v) => Self::F64(v.split_off(at)),
            Self::Bool(v) => Self::Bool(v.split_off(at)),
        }
    }
}

/// An optional value column of a batch: values of the non-null cells, and
/// a definition level per row (1 set, 0 null).
#[derive(Debug)]
struct ColumnBuf {
    values: Values,
    defs: Vec<i16>,
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
        let columns = layout
            .shape
            .columns
            .iter()
            .map(|c| ColumnBuf {
                values: Values::new(c.kind),
                defs: Vec::new(),
            })
            .collect();
        Self {
            layout,
            time: Vec::new(),
            names: Strings::default(),
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

    /// Starts a row: every value column null until set.
    #[inline]
    fn start_row(&mut self, time_ns: i64, name: &[u8]) {
        self.time.push(time_ns);
        self.names.push(name);
        for c in &mut self.columns {
            c.defs.push(0);
        }
    }

    /// The rows from `at` on, moved to a new batch.
    fn split_off(&mut self, at: usize) -> Self {
        let columns = self
            .columns
            .iter_mut()
            .map(|c| {
                let set = c.defs[..at].iter().filter(|&&d| d != 0).count();
                ColumnBuf {
                    values: c.values.split_off(set),
                    defs: c.defs.split_off(at),
                }
            })
            .collect();
        Self {
            layout: self.layout.clone(),
            time: self.time.split_off(at),
            names: self.names.split_off(at),
            columns,
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

    /// Sets value column `c` of the current row, once (a second value for
    /// the same column is ignored); a value of another type leaves it null.
    #[inline]
    fn set(&mut self, c: usize, v: Value<'_>) {
        let col = &mut self.columns[c];
        let def = col.defs.last_mut().expect("a row was started");
        if *def != 0 {
            return;
        }
        let ok = match (&mut col.values, v) {
            (Values::Str(s), Value::Varchar(b)) => {
                s.push(b);
                true
            }
            (Values::I64(x), Value::Bigint(v) | Value::Timestamp(v)) => {
                x.push(v);
                true
            }
            (Values::F64(x), Value::Double(v)) => {
                x.push(v);
                true
            }
            (Values::Bool(x), Value::Boolean(v)) => {
                x.push(v);
                true
            }
            _ => false,
        };
        debug_assert!(ok, "a value of its column's type");
        *def = i16::from(ok);
    }
}

impl RecordSink for ColumnBatch {
    #[inline]
    fn record(&mut self, view: &RecordView<'_>) {
        self.start_row(view.time_ns(), view.measure_name());
        let layout = self.layout.clone();
        for d in view.dimensions() {
            self.set(
                layout.dims[d.index as usize] as usize,
                Value::Varchar(d.value),
            );
        }
        for m in view.measures() {
            let c = layout.slots[m.slot as usize] as usize;
            let v = if m.ty == ScalarType::Varchar {
                Value::Varchar(m.raw)
            } else {
                m.value()
            };
            self.set(c, v);
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

/// The encoded pages of one column chunk, kept in memory until its row
/// group is appended to the file.
type PageBuffer = Arc<Mutex<TrackedWrite<Vec<u8>>>>;

/// A page writer into a [`PageBuffer`]: the parquet crate's own page
/// serialisation, with offsets relative to the chunk's start (what
/// `SerializedRowGroupWriter::append_column` expects).
struct MemPageWriter(PageBuffer);

impl PageWriter for MemPageWriter {
    fn write_page(&mut self, page: CompressedPage) -> parquet::errors::Result<PageWriteSpec> {
        let mut sink = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        SerializedPageWriter::new(&mut sink).write_page(page)
    }

    fn close(&mut self) -> parquet::errors::Result<()> {
        Ok(())
    }
}

/// The column writers of the row group being filled.
struct OpenGroup {
    /// One per schema leaf, in schema order, with its page buffer.
    columns: Vec<(ColumnWriter<'static>, PageBuffer)>,
    rows: usize,
}

/// Writes records as Parquet in the table's shape.
pub struct ParquetWriter {
    path: PathBuf,
    writer: Option<SerializedFileWriter<AtomicFile>>,
    shape: Arc<TableShape>,
    descr: Arc<SchemaDescriptor>,
    props: WriterPropertiesPtr,
    group: Option<OpenGroup>,
    row_group_rows: usize,
    /// The layout of owned records ([`RecordWriter::write`]).
    owned: Arc<FileLayout>,
    scratch: Vec<ByteArray>,
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
        // Strings: dictionary-encoded, no min/max statistics (comparing
        // every value costs more than readers gain from them); numbers:
        // plain, with chunk statistics (row group pruning on `time`).
        let mut props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_statistics_enabled(EnabledStatistics::Chunk)
            .set_dictionary_enabled(false);
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
                .set_column_statistics_enabled(path, EnabledStatistics::None);
        }
        let props = Arc::new(props.build());
        let file = AtomicFile::create(path)?;
        let writer =
            SerializedFileWriter::new(file, shape.schema.clone(), props.clone()).map_err(|e| {
                EmitError::Parquet {
                    path: path.to_path_buf(),
                    message: e.to_string(),
                }
            })?;
        let descr = Arc::new(SchemaDescriptor::new(shape.schema.clone()));
        let owned = Arc::new(FileLayout {
            shape: shape.clone(),
            dims: Vec::new(),
            slots: Vec::new(),
        });
        Ok(Self {
            path: path.to_path_buf(),
            writer: Some(writer),
            shape,
            descr,
            props,
            group: None,
            row_group_rows: rows.max(1),
            owned,
            scratch: Vec::new(),
            count: 0,
        })
    }

    fn err(&self, e: impl std::fmt::Display) -> EmitError {
        EmitError::Parquet {
            path: self.path.clone(),
            message: e.to_string(),
        }
    }

    /// Appends a batch, cut at row group boundaries.
    fn append(&mut self, mut batch: ColumnBatch) -> Result<(), EmitError> {
        while !batch.is_empty() {
            let filled = self.group.as_ref().map_or(0, |g| g.rows);
            let room = self.row_group_rows - filled;
            let rest = (batch.len() > room).then(|| batch.split_off(room));
            self.write_rows(batch)?;
            if self
                .group
                .as_ref()
                .is_some_and(|g| g.rows >= self.row_group_rows)
            {
                self.close_group()?;
            }
            match rest {
                Some(r) => batch = r,
                None => break,
            }
        }
        Ok(())
    }

    /// Feeds a batch (that fits in the row group) to the column writers.
    fn write_rows(&mut self, batch: ColumnBatch) -> Result<(), EmitError> {
        if self.group.is_none() {
            let columns = self
                .descr
                .columns()
                .iter()
                .map(|d| {
                    let buf: PageBuffer = Arc::new(Mutex::new(TrackedWrite::new(Vec::new())));
                    let w = get_column_writer(
                        d.clone(),
                        self.props.clone(),
                        Box::new(MemPageWriter(buf.clone())),
                    );
                    (w, buf)
                })
                .collect();
            self.group = Some(OpenGroup { columns, rows: 0 });
        }
        let group = self.group.as_mut().expect("opened above");
        let rows = batch.len();
        let scratch = &mut self.scratch;
        let shape = &self.shape;
        let r = (|| -> parquet::errors::Result<()> {
            let ColumnBatch {
                time,
                names,
                columns,
                ..
            } = batch;
            match &mut group.columns[0].0 {
                ColumnWriter::Int64ColumnWriter(w) => {
                    w.write_batch(&time, None, None)?;
                }
                _ => unreachable!("time is INT64"),
            }
            names.byte_arrays(scratch);
            match &mut group.columns[shape.dims + 1].0 {
                ColumnWriter::ByteArrayColumnWriter(w) => {
                    w.write_batch(scratch, None, None)?;
                }
                _ => unreachable!("measure_name is BYTE_ARRAY"),
            }
            for (c, buf) in columns.into_iter().enumerate() {
                let leaf = &mut group.columns[shape.leaf(c)].0;
                let defs = Some(&buf.defs[..]);
                match (leaf, buf.values) {
                    (ColumnWriter::ByteArrayColumnWriter(w), Values::Str(s)) => {
                        s.byte_arrays(scratch);
                        w.write_batch(scratch, defs, None)?;
                    }
                    (ColumnWriter::Int64ColumnWriter(w), Values::I64(v)) => {
                        w.write_batch(&v, defs, None)?;
                    }
                    (ColumnWriter::DoubleColumnWriter(w), Values::F64(v)) => {
                        w.write_batch(&v, defs, None)?;
                    }
                    (ColumnWriter::BoolColumnWriter(w), Values::Bool(v)) => {
                        w.write_batch(&v, defs, None)?;
                    }
                    _ => unreachable!("column buffers follow the schema"),
                }
            }
            Ok(())
        })();
        scratch.clear();
        if r.is_ok() {
            group.rows += rows;
        }
        r.map_err(|e| self.err(e))?;
        self.count += rows as u64;
        Ok(())
    }

    /// Closes the column writers and appends their chunks as a row group.
    fn close_group(&mut self) -> Result<(), EmitError> {
        let Some(group) = self.group.take() else {
            return Ok(());
        };
        let writer = self.writer.as_mut().expect("writer is open until finish");
        let r = (|| -> parquet::errors::Result<()> {
            let mut rg = writer.next_row_group()?;
            for (w, buf) in group.columns {
                let close = w.close()?;
                let pages = {
                    let mut sink = buf.lock().unwrap_or_else(PoisonError::into_inner);
                    std::mem::replace(&mut *sink, TrackedWrite::new(Vec::new()))
                };
                let bytes = Bytes::from(pages.into_inner()?);
                rg.append_column(&bytes, close)?;
            }
            rg.close()?;
            Ok(())
        })();
        r.map_err(|e| self.err(e))
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
        self.close_group()?;
        let writer = self.writer.take().expect("writer is open until finish");
        let file = writer.into_inner().map_err(|x| self.err(x))?;
        file.commit()?;
        Ok(self.count)
    }
}
