//! Compiling a data model and a header into a [`Plan`]: every name is
//! resolved to a field index once, every cell gets its parser once.

use std::collections::HashMap;
use std::ops::Range;
use std::time::{SystemTime, UNIX_EPOCH};

use tsload_csv::{NullKind, NullMatcher};
use tsload_model::diag::{ColumnNo, Diagnostic, Location, truncate_value};
use tsload_model::effective::{
    Attribute, CsvDialect, DataModel, MeasureName, Measures, MixedKind, ScalarType, TimeUnit,
};

use crate::rules;

/// Nanoseconds per hour.
const HOUR_NS: i64 = 3_600_000_000_000;
/// The future ingestion period: 15 minutes \[DOC: LIMITS\].
pub const FUTURE_LIMIT_NS: i64 = 15 * 60 * 1_000_000_000;

/// Retention settings of the target table (from `DescribeTable`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TableRetention {
    /// `MemoryStoreRetentionPeriodInHours` (default 6).
    pub memory_store_retention_hours: u64,
    /// `MagneticStoreRetentionPeriodInDays` (default 73000).
    pub magnetic_store_retention_days: u64,
    /// `MagneticStoreWriteProperties.EnableMagneticStoreWrites` (default off).
    pub magnetic_store_writes: bool,
}

impl Default for TableRetention {
    /// The defaults of a table created without settings [DOC: LIMITS,
    /// data-ingest; 3P: moto].
    fn default() -> Self {
        Self {
            memory_store_retention_hours: 6,
            magnetic_store_retention_days: 73_000,
            magnetic_store_writes: false,
        }
    }
}

/// What the run knows about the target and how much it keeps.
#[derive(Debug, Clone)]
pub struct CheckContext {
    /// The time the ingestion window is computed from, in nanoseconds since
    /// the epoch. "Now" by default; inject a fixed value for reproducible
    /// runs and tests.
    pub reference_time_ns: i64,
    /// The table's retention, when known (`DescribeTable`). Without it only
    /// the absolute range and the 15-minute future limit are checked.
    pub table: Option<TableRetention>,
    /// Shrinks the window's lower bound by this much, because the service
    /// evaluates it at ingestion time, later than validation \[INF\]. 0 by
    /// default.
    pub window_margin_ns: i64,
    /// Destination names of the table's REQUIRED partition-key dimensions
    /// (`Schema.CompositePartitionKey` with `EnforcementInRecord=REQUIRED`).
    pub required_dimensions: Vec<String>,
    /// The task's `RecordVersion`, carried into built records (default 1
    /// \[EX: CLI\]).
    pub record_version: i64,
    /// Findings kept per chunk and per file as diagnostics; counting goes
    /// on past the cap.
    pub max_findings: usize,
    /// Line ranges kept per failure reason and file; the report says when
    /// more existed.
    pub max_line_ranges: usize,
    /// Whether to collect the per-record keys for duplicate detection.
    pub detect_duplicates: bool,
}

impl Default for CheckContext {
    fn default() -> Self {
        Self {
            reference_time_ns: now_ns(),
            table: None,
            window_margin_ns: 0,
            required_dimensions: Vec::new(),
            record_version: 1,
            max_findings: 1000,
            max_line_ranges: 1000,
            detect_duplicates: true,
        }
    }
}

/// The current time in nanoseconds since the epoch.
pub fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The time range a record's `time` must fall in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Window {
    /// The table's retention is known: `[start, end]`.
    Checked {
        /// Reference time (ns).
        reference_ns: i64,
        /// Earliest accepted time (ns), inclusive.
        start_ns: i64,
        /// Latest accepted time (ns), inclusive: reference + 15 minutes
        /// ("no later than the future ingestion period" \[DOC\]).
        end_ns: i64,
        /// The retention it was computed from.
        retention: TableRetention,
    },
    /// No table information: only `[0, reference + 15 min]`; the
    /// retention-based lower bound was **not** checked.
    FutureOnly {
        /// Reference time (ns).
        reference_ns: i64,
        /// Latest accepted time (ns), inclusive.
        end_ns: i64,
    },
}

impl Window {
    /// From the context \[INF: batchload-spec §4.4\]: with magnetic-store
    /// writes on, the lower bound is the magnetic-store retention, else the
    /// memory-store retention; the upper bound is 15 minutes ahead \[DOC\].
    pub fn from_context(ctx: &CheckContext) -> Self {
        let reference_ns = ctx.reference_time_ns;
        let end_ns = reference_ns.saturating_add(FUTURE_LIMIT_NS);
        match ctx.table {
            None => Self::FutureOnly {
                reference_ns,
                end_ns,
            },
            Some(retention) => {
                let back = if retention.magnetic_store_writes {
                    (retention.magnetic_store_retention_days as i64).saturating_mul(24 * HOUR_NS)
                } else {
                    (retention.memory_store_retention_hours as i64).saturating_mul(HOUR_NS)
                };
                let start_ns = reference_ns
                    .saturating_sub(back)
                    .saturating_add(ctx.window_margin_ns.max(0))
                    .max(0);
                Self::Checked {
                    reference_ns,
                    start_ns,
                    end_ns,
                    retention,
                }
            }
        }
    }

    /// Whether the retention-based lower bound was checked.
    pub fn is_checked(&self) -> bool {
        matches!(self, Self::Checked { .. })
    }

    /// `(start, end)`: accepted times are `start <= t <= end`.
    #[inline]
    pub(crate) fn bounds(&self) -> (i64, i64) {
        match *self {
            Self::Checked {
                start_ns, end_ns, ..
            } => (start_ns, end_ns),
            Self::FutureOnly { end_ns, .. } => (0, end_ns),
        }
    }
}

/// A dimension resolved to a field.
#[derive(Debug, Clone)]
pub(crate) struct DimSlot {
    pub(crate) field: u32,
    pub(crate) name: String,
    pub(crate) required: bool,
}

/// A measure value resolved to a field and a parser.
#[derive(Debug, Clone)]
pub(crate) struct ValueSlot {
    pub(crate) field: u32,
    pub(crate) ty: ScalarType,
    /// The attribute name (multi) or the measure name (scalar).
    pub(crate) name: String,
    /// The record spec it belongs to.
    pub(crate) spec: u32,
}

/// One record a row can produce.
#[derive(Debug, Clone)]
pub(crate) struct RecordSpec {
    /// Index in `MixedMeasureMappings`, `None` for `MultiMeasureMappings`.
    pub(crate) mapping: Option<u32>,
    /// The measure name; `None` when it comes from `MeasureNameColumn`.
    pub(crate) measure_name: Option<String>,
    /// Its value slots.
    pub(crate) slots: Range<u32>,
    /// A multi-measure record (as opposed to a scalar single-measure one).
    pub(crate) multi: bool,
    /// The hash of `measure_name` (duplicate keys), 0 without one.
    pub(crate) name_hash: u64,
}

/// Which records a row produces.
#[derive(Debug, Clone)]
pub(crate) enum Selector {
    /// Every spec, for every row.
    All,
    /// Specs chosen by the row's `MeasureNameColumn` value, sorted by name.
    ByName(Vec<(Box<[u8]>, Vec<u32>)>),
}

/// The compiled plan for one file: the data model resolved against the
/// file's header. Shared (`Sync`) by every worker checking that file.
#[derive(Debug, Clone)]
pub struct Plan {
    pub(crate) header: Vec<String>,
    pub(crate) time_field: u32,
    pub(crate) time_unit: TimeUnit,
    pub(crate) dims: Vec<DimSlot>,
    pub(crate) name_field: Option<u32>,
    pub(crate) slots: Vec<ValueSlot>,
    pub(crate) specs: Vec<RecordSpec>,
    pub(crate) all_specs: Vec<u32>,
    pub(crate) selector: Selector,
    /// Which cells are null: the reader's rules (`NullValue`, empty
    /// fields, a blank `NullValue` with trimming).
    pub(crate) nulls: NullMatcher,
    pub(crate) window: Window,
    pub(crate) required_unmapped: bool,
    pub(crate) min_fields: usize,
    pub(crate) record_version: i64,
    pub(crate) max_findings: usize,
    pub(crate) max_line_ranges: usize,
    pub(crate) detect_duplicates: bool,
    pub(crate) diagnostics: Vec<Diagnostic>,
    /// The fast path for plain rows, when the plan has one.
    pub(crate) fast: Option<crate::fast::FastPlan>,
}

/// The role of a model column, for messages.
fn role_of(model: &DataModel) -> Vec<(&str, String)> {
    let mut v = vec![(model.time_column.as_str(), "the time column".to_owned())];
    for d in &model.dimensions {
        v.push((
            d.source_column.as_str(),
            format!("dimension `{}`", d.destination_column),
        ));
    }
    if let Some(c) = &model.measure_name_column {
        v.push((c.as_str(), "the `MeasureNameColumn`".to_owned()));
    }
    let attr = |a: &Attribute| format!("{} measure `{}`", a.value_type.as_str(), a.target_name);
    match &model.measures {
        Measures::Multi { attributes, .. } => {
            v.extend(
                attributes
                    .iter()
                    .map(|a| (a.source_column.as_str(), attr(a))),
            );
        }
        Measures::Mixed(ms) => {
            for m in ms {
                match &m.kind {
                    MixedKind::Scalar {
                        source_column,
                        value_type,
                    } => v.push((
                        source_column.as_str(),
                        format!("{} measure `{}`", value_type.as_str(), m.measure_name),
                    )),
                    MixedKind::Multi(attrs) => {
                        v.extend(attrs.iter().map(|a| (a.source_column.as_str(), attr(a))));
                    }
                }
            }
        }
    }
    v
}

/// Header names listed in a hint: the first [`LISTED_NAMES`], each cut.
fn header_list(header: &[String]) -> String {
    let mut list = header
        .iter()
        .take(LISTED_NAMES)
        .map(|h| show_bytes(h))
        .collect::<Vec<_>>()
        .join(", ");
    if header.len() > LISTED_NAMES {
        use std::fmt::Write as _;
        let _ = write!(list, " and {} more", header.len() - LISTED_NAMES);
    }
    list
}

/// How many header names a hint lists.
const LISTED_NAMES: usize = 20;

fn header_location(field: Option<usize>, header: &[String]) -> Location {
    Location::Data {
        line: 1,
        byte: 0,
        record: 0,
        field: field.map(|f| f as u32),
        column: field.map(|f| truncate_value(&header[f])),
    }
}

/// The closest header name to `want`, for a did-you-mean hint.
///
/// Names more than four times longer than `want` are skipped: their
/// Jaro-Winkler similarity cannot reach 0.85 (Jaro is at most
/// `(2 + |w|/|h|) / 3`, the prefix bonus at most `0.4 * (1 - jaro)`), and
/// comparing with a name of megabytes (a hostile header) costs seconds.
/// `s` in Unicode normalization form C (composed accents).
fn nfc(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization as _;
    s.nfc().collect()
}

fn closest<'h>(want: &str, header: &'h [String]) -> Option<&'h str> {
    let norm = |s: &str| nfc(s).trim().to_lowercase().replace(['-', ' '], "_");
    let w = norm(want);
    // In characters, with slack for case mappings that change the length;
    // a name of more than 4 bytes per allowed character is out at once.
    let limit = 4 * w.chars().count() + 8;
    let candidates: Vec<(String, &String)> = header
        .iter()
        .filter(|h| h.len() <= 4 * limit)
        .map(|h| (norm(h), h))
        .filter(|(n, _)| n.chars().count() <= limit)
        .collect();
    if let Some((_, h)) = candidates.iter().find(|(n, _)| *n == w) {
        return Some(h);
    }
    candidates
        .iter()
        .map(|(n, h)| (strsim::jaro_winkler(&w, n), h))
        .filter(|(s, _)| *s >= 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, h)| h.as_str())
}

fn show_bytes(s: &str) -> String {
    let s = truncate_value(s);
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        format!("{s:?}")
    } else {
        format!("`{s}`")
    }
}

impl Plan {
    /// Resolves `model` against a file's `header` (the header record's
    /// fields, as the reader produced them).
    ///
    /// Columns match by exact, case-sensitive bytes \[INF\]. Fails with the
    /// `H001`/`H002` errors when a mapped column is missing or ambiguous
    /// (the service would fail the whole file \[INF\]); the `H003`–`H005`
    /// findings of a usable plan are in [`Plan::diagnostics`]. Diagnostics
    /// carry no file name: the caller adds it.
    pub fn compile<S: AsRef<str>>(
        model: &DataModel,
        dialect: &CsvDialect,
        header: &[S],
        ctx: &CheckContext,
    ) -> Result<Plan, Vec<Diagnostic>> {
        let header: Vec<String> = header.iter().map(|h| h.as_ref().to_owned()).collect();
        let mut positions: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, h) in header.iter().enumerate() {
            positions.entry(h.as_str()).or_default().push(i);
        }
        let roles = role_of(model);
        let mut errors = Vec::new();
        let mut resolved: HashMap<&str, u32> = HashMap::new();
        let mut seen: Vec<&str> = Vec::new();
        for (col, role) in &roles {
            if seen.contains(col) {
                continue;
            }
            seen.push(col);
            match positions.get(col).map(Vec::as_slice) {
                None | Some([]) => {
                    let mut d = Diagnostic::new(
                        &rules::MISSING_MAPPED_COLUMN,
                        header_location(None, &header),
                        format!(
                            "the data model maps column {} ({role}) but the header has no such column",
                            show_bytes(col)
                        ),
                    )
                    .with_value(col);
                    d = match closest(col, &header) {
                        Some(h) if nfc(h) == nfc(col) => d.with_hint(format!(
                            "the header's {} is the same text in another Unicode form (accents \
                             composed or decomposed: {} against {} bytes); names match byte for \
                             byte: write both in the same form (NFC, composed, is usual)",
                            show_bytes(h),
                            h.len(),
                            col.len()
                        )),
                        Some(h) => d.with_hint(format!(
                            "did you mean {}? Header names match exactly, case and spaces included",
                            show_bytes(h)
                        )),
                        None => d.with_hint(format!("the header has: {}", header_list(&header))),
                    };
                    errors.push(d);
                }
                Some([i]) => {
                    resolved.insert(col, *i as u32);
                }
                Some(many) => {
                    let list = many
                        .iter()
                        .map(|&i| ColumnNo(i).to_string())
                        .collect::<Vec<_>>()
                        .join(", ");
                    errors.push(
                        Diagnostic::new(
                            &rules::DUPLICATE_MAPPED_COLUMN,
                            header_location(Some(many[1]), &header),
                            format!(
                                "column {} ({role}) appears {} times in the header (columns {list}); which one the service reads is unknown",
                                show_bytes(col),
                                many.len()
                            ),
                        )
                        .with_value(col)
                        .with_hint("rename or remove the extra columns"),
                    );
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }

        let mut diagnostics = Vec::new();
        let mut warned_dup: Vec<&str> = Vec::new();
        for (i, h) in header.iter().enumerate() {
            // An empty name is the reader's `C015` already (a trailing
            // separator, usually): no second warning for the same column.
            if resolved.contains_key(h.as_str()) || h.is_empty() {
                continue;
            }
            let at = &positions[h.as_str()];
            if at.len() > 1 {
                if !warned_dup.contains(&h.as_str()) {
                    warned_dup.push(h);
                    diagnostics.push(
                        Diagnostic::new(
                            &rules::DUPLICATE_UNMAPPED_COLUMN,
                            header_location(Some(at[1]), &header),
                            format!(
                                "header name {} appears {} times; it is not mapped, so the service is expected to ignore it",
                                show_bytes(h),
                                at.len()
                            ),
                        )
                        .with_value(h)
                        .with_hint("give every column a distinct name"),
                    );
                }
                continue;
            }
            diagnostics.push(
                Diagnostic::new(
                    &rules::UNMAPPED_COLUMN,
                    header_location(Some(i), &header),
                    format!(
                        "column {} ({}) is not used by the data model; the service is expected to ignore it",
                        show_bytes(h),
                        ColumnNo(i)
                    ),
                )
                .with_value(h)
                .with_hint("map it (as a dimension or a measure) or drop it from the file"),
            );
        }

        let at = |c: &str| resolved[c];
        let dims: Vec<DimSlot> = model
            .dimensions
            .iter()
            .map(|d| DimSlot {
                field: at(&d.source_column),
                name: d.destination_column.clone(),
                required: ctx.required_dimensions.contains(&d.destination_column),
            })
            .collect();
        let mut required_unmapped = false;
        for r in &ctx.required_dimensions {
            if !dims.iter().any(|d| d.name == *r) {
                required_unmapped = true;
                diagnostics.push(
                    Diagnostic::new(
                        &rules::PARTITION_KEY_NOT_MAPPED,
                        Location::Input,
                        format!(
                            "the table's partition key requires dimension `{r}` in every record, but no dimension mapping writes it; every record will fail"
                        ),
                    )
                    .with_value(r)
                    .with_hint(format!(
                        "add a `DimensionMappings` entry whose `DestinationColumn` is `{r}`"
                    )),
                );
            }
        }

        let mut slots = Vec::new();
        let mut specs = Vec::new();
        let push_attrs = |slots: &mut Vec<ValueSlot>, attrs: &[Attribute], spec: u32| {
            let start = slots.len() as u32;
            for a in attrs {
                slots.push(ValueSlot {
                    field: at(&a.source_column),
                    ty: a.value_type,
                    name: a.target_name.clone(),
                    spec,
                });
            }
            start..slots.len() as u32
        };
        let mut selector = Selector::All;
        match &model.measures {
            Measures::Multi {
                measure_name,
                attributes,
            } => {
                let range = push_attrs(&mut slots, attributes, 0);
                specs.push(RecordSpec {
                    mapping: None,
                    measure_name: match measure_name {
                        MeasureName::Fixed(n) => Some(n.clone()),
                        MeasureName::Column(_) => None,
                    },
                    slots: range,
                    multi: true,
                    name_hash: 0,
                });
            }
            Measures::Mixed(ms) => {
                let mut by_name: Vec<(Box<[u8]>, Vec<u32>)> = Vec::new();
                for (i, m) in ms.iter().enumerate() {
                    let spec = specs.len() as u32;
                    let (range, multi) = match &m.kind {
                        MixedKind::Scalar {
                            source_column,
                            value_type,
                        } => {
                            let s = slots.len() as u32;
                            slots.push(ValueSlot {
                                field: at(source_column),
                                ty: *value_type,
                                name: m.measure_name.clone(),
                                spec,
                            });
                            (s..s + 1, false)
                        }
                        MixedKind::Multi(attrs) => (push_attrs(&mut slots, attrs, spec), true),
                    };
                    specs.push(RecordSpec {
                        mapping: Some(i as u32),
                        measure_name: Some(m.measure_name.clone()),
                        slots: range,
                        multi,
                        name_hash: 0,
                    });
                    if let Some(sel) = &m.selector {
                        match by_name.iter_mut().find(|(k, _)| **k == *sel.as_bytes()) {
                            Some((_, v)) => v.push(spec),
                            None => by_name.push((sel.as_bytes().into(), vec![spec])),
                        }
                    }
                }
                if model.measure_name_column.is_some() {
                    by_name.sort_by(|a, b| a.0.cmp(&b.0));
                    selector = Selector::ByName(by_name);
                }
            }
        }
        let name_field = model.measure_name_column.as_deref().map(at);
        let time_field = at(&model.time_column);
        for spec in &mut specs {
            spec.name_hash = spec
                .measure_name
                .as_deref()
                .map_or(0, |n| crate::check::hash_bytes(n.as_bytes()));
        }
        let min_fields = resolved
            .values()
            .map(|&f| f as usize + 1)
            .max()
            .unwrap_or(0);
        let mut plan = Plan {
            all_specs: (0..specs.len() as u32).collect(),
            header,
            time_field,
            time_unit: model.time_unit,
            dims,
            name_field,
            slots,
            specs,
            selector,
            nulls: NullMatcher::new(dialect),
            window: Window::from_context(ctx),
            required_unmapped,
            min_fields,
            record_version: ctx.record_version,
            max_findings: ctx.max_findings,
            max_line_ranges: ctx.max_line_ranges,
            detect_duplicates: ctx.detect_duplicates,
            diagnostics,
            fast: None,
        };
        plan.fast = crate::fast::FastPlan::compile(&plan);
        Ok(plan)
    }

    /// Non-fatal findings of compilation (`H003`–`H005`), without file name.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The header the plan was compiled against.
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// The ingestion window rows are checked against.
    pub fn window(&self) -> &Window {
        &self.window
    }

    /// The data model's time unit.
    pub fn time_unit(&self) -> TimeUnit {
        self.time_unit
    }

    /// The header name of field `i` as messages show it, cut to
    /// [`tsload_model::diag::MAX_VALUE_CHARS`] characters (cold path).
    pub(crate) fn column(&self, i: u32) -> String {
        self.header
            .get(i as usize)
            .map_or_else(String::new, |h| truncate_value(h))
    }

    /// Whether a cell is null, as the CSV reader decides it
    /// ([`NullMatcher`], \[INF\]): an **unquoted** field that is empty
    /// (batchload-spec §2.5 item 7) or equal to `NullValue`. A quoted field
    /// is never null: `""` is an empty string, `"NULL"` the text `NULL`.
    #[inline]
    pub(crate) fn is_null(&self, b: &[u8], quoted: bool) -> bool {
        self.nulls.is_null(b, quoted)
    }

    /// Whether a dimension cell is null: only an unquoted field that is the
    /// `NullValue`. An empty dimension value is not left out but rejected
    /// ([`rules::DIMENSION_EMPTY`]): WriteRecords refused empty dimension
    /// values (\[3P\] batchload-spec §3), and the benchmark generator
    /// injects them as defects.
    #[inline]
    pub(crate) fn is_null_dimension(&self, b: &[u8], quoted: bool) -> bool {
        self.nulls.classify(b, quoted) == Some(NullKind::NullValue)
    }

    /// The configured `NullValue`, if any.
    #[inline]
    pub(crate) fn null_value(&self) -> Option<&[u8]> {
        self.nulls.value()
    }

    /// The specs a `MeasureNameColumn` value selects (binary search, no
    /// allocation).
    #[inline]
    pub(crate) fn specs_for(&self, name: &[u8]) -> Option<&[u32]> {
        match &self.selector {
            Selector::All => Some(&self.all_specs),
            Selector::ByName(v) => v
                .binary_search_by(|(k, _)| (**k).cmp(name))
                .ok()
                .map(|i| v[i].1.as_slice()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tsload_model::effective::Dimension;

    pub(crate) fn model() -> DataModel {
        DataModel {
            time_column: "time".into(),
            time_unit: TimeUnit::Milliseconds,
            dimensions: vec![Dimension {
                source_column: "host".into(),
                destination_column: "host".into(),
            }],
            measure_name_column: None,
            measures: Measures::Multi {
                measure_name: MeasureName::Fixed("m".into()),
                attributes: vec![Attribute {
                    source_column: "cpu".into(),
                    target_name: "cpu".into(),
                    value_type: ScalarType::Double,
                }],
            },
        }
    }

    fn compile(header: &[&str], ctx: &CheckContext) -> Result<Plan, Vec<Diagnostic>> {
        Plan::compile(&model(), &CsvDialect::default(), header, ctx)
    }

    #[test]
    fn resolves_columns_by_exact_name_in_any_order() {
        let p = compile(&["cpu", "extra", "host", "time"], &CheckContext::default()).unwrap();
        assert_eq!(p.time_field, 3);
        assert_eq!(p.dims[0].field, 2);
        assert_eq!(p.slots[0].field, 0);
        assert_eq!(p.min_fields, 4);
        let codes: Vec<_> = p.diagnostics().iter().map(|d| d.rule.code).collect();
        assert_eq!(codes, ["H003"]);
        assert!(p.diagnostics()[0].message.contains("`extra` (#2)"));
    }

    #[test]
    fn an_empty_header_name_is_left_to_the_reader() {
        // `time,host,cpu,` (a trailing separator): the reader says C015;
        // no H003 or H004 for the same empty column.
        let p = compile(&["time", "host", "cpu", "", ""], &CheckContext::default()).unwrap();
        assert!(p.diagnostics().is_empty(), "{:?}", p.diagnostics());
    }

    #[test]
    fn h001_missing_column_with_did_you_mean() {
        let e = compile(&["Time", "host", "cpu"], &CheckContext::default()).unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].rule.code, "H001");
        assert_eq!(
            e[0].message,
            "the data model maps column `time` (the time column) but the header has no such column"
        );
        assert_eq!(
            e[0].hint.as_deref(),
            Some("did you mean `Time`? Header names match exactly, case and spaces included")
        );
        let e = compile(&["time ", "host", "cpu"], &CheckContext::default()).unwrap_err();
        assert!(e[0].hint.as_deref().unwrap().contains("\"time \""));
        let e = compile(&["a", "b"], &CheckContext::default()).unwrap_err();
        assert_eq!(e.len(), 3);
        assert_eq!(e[2].hint.as_deref(), Some("the header has: `a`, `b`"));
        // The same letters in another Unicode form: said, since the names
        // look alike.
        let mut m = model();
        m.dimensions[0].source_column = "h\u{e9}".into();
        let decomposed = Plan::compile(
            &m,
            &CsvDialect::default(),
            &["time", "he\u{301}", "cpu"],
            &CheckContext::default(),
        )
        .unwrap_err();
        let hint = decomposed[0].hint.as_deref().unwrap();
        assert!(
            hint.starts_with("the header's `he\u{301}` is the same text in another Unicode form")
                && hint.contains("4 against 3 bytes"),
            "{hint}"
        );
    }

    #[test]
    fn h002_mapped_column_twice_and_h004_unmapped_twice() {
        let e = compile(&["time", "host", "cpu", "host"], &CheckContext::default()).unwrap_err();
        assert_eq!(e[0].rule.code, "H002");
        assert!(e[0].message.contains("columns #2, #4"), "{}", e[0].message);
        let p = compile(&["time", "host", "cpu", "x", "x"], &CheckContext::default()).unwrap();
        let codes: Vec<_> = p.diagnostics().iter().map(|d| d.rule.code).collect();
        assert_eq!(codes, ["H004"]);
    }

    #[test]
    fn h005_required_partition_key_not_mapped() {
        let ctx = CheckContext {
            required_dimensions: vec!["gpio".into()],
            ..CheckContext::default()
        };
        let p = compile(&["time", "host", "cpu"], &ctx).unwrap();
        assert!(p.required_unmapped);
        assert_eq!(p.diagnostics()[0].rule.code, "H005");
        let ctx = CheckContext {
            required_dimensions: vec!["host".into()],
            ..CheckContext::default()
        };
        let p = compile(&["time", "host", "cpu"], &ctx).unwrap();
        assert!(!p.required_unmapped && p.dims[0].required);
    }

    #[test]
    fn window_bounds() {
        let base = CheckContext {
            reference_time_ns: 1_000 * HOUR_NS,
            ..CheckContext::default()
        };
        let w = Window::from_context(&base);
        assert!(!w.is_checked());
        // 1970-01-01 itself is a time Timestream stores.
        assert_eq!(w.bounds(), (0, 1_000 * HOUR_NS + FUTURE_LIMIT_NS));
        let mem = CheckContext {
            table: Some(TableRetention::default()),
            ..base.clone()
        };
        assert_eq!(Window::from_context(&mem).bounds().0, 994 * HOUR_NS);
        let mag = CheckContext {
            table: Some(TableRetention {
                magnetic_store_writes: true,
                magnetic_store_retention_days: 10,
                ..TableRetention::default()
            }),
            window_margin_ns: HOUR_NS,
            ..base.clone()
        };
        assert_eq!(Window::from_context(&mag).bounds().0, 761 * HOUR_NS);
        let long = CheckContext {
            table: Some(TableRetention {
                magnetic_store_writes: true,
                ..TableRetention::default()
            }),
            ..base.clone()
        };
        assert_eq!(
            Window::from_context(&long).bounds().0,
            0,
            "73000 days reach past 1970"
        );
    }
}
