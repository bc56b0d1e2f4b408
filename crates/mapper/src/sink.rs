//! Where the records of a checked row go: a [`RecordSink`] receives each
//! record that would be written as a borrowed [`RecordView`] (the row's
//! fields resolved through the plan), so a consumer can build what it needs
//! — an owned [`WriteRecord`], Parquet columns, a JSON line — without an
//! intermediate owned record.
//!
//! The accessors allocate nothing: dimensions and measures are iterators
//! over the plan's resolved fields, values are parsed from the row's bytes
//! with the checker's own parsers (a record is only handed out after its
//! row passed every check, so they convert), strings are slices of the row.
//! A consumer that lays records out by column resolves the plan's
//! dimensions and value slots to its columns once per file
//! ([`Plan::dimension_names`], [`Plan::value_slots`]) and then indexes by
//! [`Dimension::index`] and [`Measure::slot`].

use std::ops::Range;

use tsload_csv::record::Record;
use tsload_model::effective::{ScalarType, TimeUnit};

use crate::plan::{DimSlot, Plan};
use crate::record::{self, WriteRecord};
use crate::value;

/// One record a row would write, borrowed from the row. Only handed out for
/// records that passed every check.
#[derive(Debug, Clone, Copy)]
pub struct RecordView<'a> {
    pub(crate) plan: &'a Plan,
    pub(crate) rec: &'a Record<'a>,
    /// Index of the record's mapping in the plan.
    pub(crate) spec: u32,
    pub(crate) time_ns: i64,
    /// The measure name read from `MeasureNameColumn` (empty when the
    /// mapping has a fixed name).
    pub(crate) name: &'a [u8],
    /// The typed slots' values as the fast path parsed them, by slot index
    /// (`f64` bits, `i64`, 0 or 1, nanoseconds), so that [`Self::visit`]
    /// does not parse them again; `None` for rows of the general path.
    pub(crate) parsed: Option<&'a [u64]>,
}

impl<'a> RecordView<'a> {
    /// The record as an owned WriteRecords `Record`.
    pub fn to_write_record(&self) -> WriteRecord {
        record::build(self)
    }

    /// Appends the record as one line of JSON (without the newline): exactly
    /// the bytes `serde_json::to_writer` writes for
    /// [`to_write_record`](Self::to_write_record), built without it.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        record::write_json(self, out);
    }

    /// The plan the record was built by.
    pub fn plan(&self) -> &'a Plan {
        self.plan
    }

    /// The CSV row the record comes from.
    pub fn row(&self) -> &'a Record<'a> {
        self.rec
    }

    /// Index of the record's mapping among the plan's record specs (one per
    /// `MixedMeasureMappings` entry, or one for `MultiMeasureMappings`).
    pub fn spec(&self) -> u32 {
        self.spec
    }

    /// Whether this is a multi-measure record (`MeasureValueType` `MULTI`).
    pub fn is_multi(&self) -> bool {
        self.plan.specs[self.spec as usize].multi
    }

    /// Time of the record, nanoseconds since the epoch.
    pub fn time_ns(&self) -> i64 {
        self.time_ns
    }

    /// Time of the record in the data model's `TimeUnit` (the record's
    /// `Time`).
    pub fn time(&self) -> i64 {
        self.time_ns / self.plan.time_unit.nanos()
    }

    /// The data model's `TimeUnit`.
    pub fn time_unit(&self) -> TimeUnit {
        self.plan.time_unit
    }

    /// The task's `RecordVersion`.
    pub fn version(&self) -> i64 {
        self.plan.record_version
    }

    /// The measure name (the multi-measure name of a `MULTI` record): the
    /// mapping's fixed name, or the row's `MeasureNameColumn` value.
    pub fn measure_name(&self) -> &'a [u8] {
        match &self.plan.specs[self.spec as usize].measure_name {
            Some(n) => n.as_bytes(),
            None => self.name,
        }
    }

    /// The dimensions present in the row (not null), in data-model order.
    pub fn dimensions(&self) -> DimensionIter<'a> {
        DimensionIter {
            plan: self.plan,
            rec: self.rec,
            dims: self.plan.dims.iter().enumerate(),
        }
    }

    /// The non-null measure values of the record, in data-model order: one
    /// for a single-measure record, the attributes of a multi-measure one.
    pub fn measures(&self) -> MeasureIter<'a> {
        MeasureIter {
            plan: self.plan,
            rec: self.rec,
            slots: self.plan.specs[self.spec as usize].slots.clone(),
        }
    }
}

/// Receives the present values of a record, typed ([`RecordView::visit`]):
/// for consumers that lay values out by column and want no [`Value`] to
/// match on per value. Slots and dimension indices are those of
/// [`Plan::value_slots`] and [`Plan::dimension_names`].
pub trait ValueVisitor {
    /// A present dimension (UTF-8, checked; never empty).
    fn dimension(&mut self, index: u32, value: &[u8]);
    /// A DOUBLE value.
    fn double(&mut self, slot: u32, value: f64);
    /// A BIGINT value.
    fn bigint(&mut self, slot: u32, value: i64);
    /// A BOOLEAN value.
    fn boolean(&mut self, slot: u32, value: bool);
    /// A TIMESTAMP value, nanoseconds since the epoch.
    fn timestamp(&mut self, slot: u32, ns: i64);
    /// A VARCHAR value, or the text of a value that did not convert (as
    /// [`Measure::value`] gives it; records are only handed out when all
    /// their values convert).
    fn varchar(&mut self, slot: u32, value: &[u8]);
}

impl RecordView<'_> {
    /// Hands the record's present dimensions, then its non-null measure
    /// values, to `v`, in data-model order: what [`dimensions`] and
    /// [`measures`] give (with [`Measure::value`]), without the
    /// intermediate values.
    ///
    /// [`dimensions`]: Self::dimensions
    /// [`measures`]: Self::measures
    #[inline]
    pub fn visit<V: ValueVisitor + ?Sized>(&self, v: &mut V) {
        if let Some(parsed) = self.parsed {
            self.visit_plain(parsed, v);
            return;
        }
        let (plan, rec) = (self.plan, self.rec);
        for (i, d) in plan.dims.iter().enumerate() {
            let f = d.field as usize;
            let value = rec.field(f);
            if !plan.is_null_dimension(value, rec.is_quoted(f)) {
                v.dimension(i as u32, value);
            }
        }
        let unit_nanos = plan.time_unit.nanos();
        for si in plan.specs[self.spec as usize].slots.clone() {
            let slot = &plan.slots[si as usize];
            let f = slot.field as usize;
            let b = rec.field(f);
            if plan.is_null(b, rec.is_quoted(f)) {
                continue;
            }
            match slot.ty {
                ScalarType::Double => match value::parse_double(b) {
                    Ok(x) => v.double(si, x),
                    Err(_) => v.varchar(si, b),
                },
                ScalarType::Bigint => match value::parse_bigint(b) {
                    Ok(x) => v.bigint(si, x),
                    Err(_) => v.varchar(si, b),
                },
                ScalarType::Boolean => match value::parse_boolean(b) {
                    Ok((x, _)) => v.boolean(si, x),
                    Err(_) => v.varchar(si, b),
                },
                ScalarType::Timestamp => match value::parse_epoch(b, unit_nanos) {
                    Ok((ns, _)) => v.timestamp(si, ns),
                    Err(_) => v.varchar(si, b),
                },
                ScalarType::Varchar => v.varchar(si, b),
            }
        }
    }

    /// [`RecordView::visit`] for a row of the fast path, whose values it
    /// parsed into `parsed` (by slot index). Such a row is plain: every
    /// mapped field present (not empty, not the `NullValue`), so no null
    /// test is repeated here.
    #[inline]
    fn visit_plain<V: ValueVisitor + ?Sized>(&self, parsed: &[u64], v: &mut V) {
        let (plan, rec) = (self.plan, self.rec);
        for (i, d) in plan.dims.iter().enumerate() {
            v.dimension(i as u32, rec.field(d.field as usize));
        }
        for si in plan.specs[self.spec as usize].slots.clone() {
            let slot = &plan.slots[si as usize];
            let x = parsed[si as usize];
            match slot.ty {
                ScalarType::Double => v.double(si, f64::from_bits(x)),
                ScalarType::Bigint => v.bigint(si, x as i64),
                ScalarType::Boolean => v.boolean(si, x != 0),
                ScalarType::Timestamp => v.timestamp(si, x as i64),
                ScalarType::Varchar => v.varchar(si, rec.field(slot.field as usize)),
            }
        }
    }
}

/// A dimension of a record, borrowed from the row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dimension<'a> {
    /// Index of the dimension in the data model's `DimensionMappings` (and
    /// in [`Plan::dimension_names`]).
    pub index: u32,
    /// The value (UTF-8, checked; never empty).
    pub value: &'a [u8],
}

/// The present dimensions of a record ([`RecordView::dimensions`]).
#[derive(Debug, Clone)]
pub struct DimensionIter<'a> {
    plan: &'a Plan,
    rec: &'a Record<'a>,
    dims: std::iter::Enumerate<std::slice::Iter<'a, DimSlot>>,
}

impl<'a> Iterator for DimensionIter<'a> {
    type Item = Dimension<'a>;

    #[inline]
    fn next(&mut self) -> Option<Dimension<'a>> {
        for (i, d) in self.dims.by_ref() {
            let f = d.field as usize;
            let value = self.rec.field(f);
            if !self.plan.is_null_dimension(value, self.rec.is_quoted(f)) {
                return Some(Dimension {
                    index: i as u32,
                    value,
                });
            }
        }
        None
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, self.dims.size_hint().1)
    }
}

/// A measure value of a record, borrowed from the row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Measure<'a> {
    /// Index of the value slot in the plan ([`Plan::value_slots`]).
    pub slot: u32,
    /// The value type.
    pub ty: ScalarType,
    /// The CSV text of the value (not null).
    pub raw: &'a [u8],
    unit_nanos: i64,
}

/// A typed measure value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// Finite binary64.
    Double(f64),
    /// i64.
    Bigint(i64),
    /// UTF-8 bytes.
    Varchar(&'a [u8]),
    /// `true` / `false` (any letter case in the CSV).
    Boolean(bool),
    /// Nanoseconds since the epoch (the CSV holds it in the `TimeUnit`).
    Timestamp(i64),
}

impl<'a> Measure<'a> {
    /// The value, converted as the checks converted it. A record is only
    /// handed out when all its values convert; should one not, the text is
    /// returned as [`Value::Varchar`].
    #[inline]
    pub fn value(&self) -> Value<'a> {
        let b = self.raw;
        let v = match self.ty {
            ScalarType::Double => value::parse_double(b).ok().map(Value::Double),
            ScalarType::Bigint => value::parse_bigint(b).ok().map(Value::Bigint),
            ScalarType::Boolean => value::parse_boolean(b).ok().map(|(v, _)| Value::Boolean(v)),
            ScalarType::Timestamp => value::parse_epoch(b, self.unit_nanos)
                .ok()
                .map(|(ns, _)| Value::Timestamp(ns)),
            ScalarType::Varchar => None,
        };
        v.unwrap_or(Value::Varchar(b))
    }
}

/// The non-null measure values of a record ([`RecordView::measures`]).
#[derive(Debug, Clone)]
pub struct MeasureIter<'a> {
    plan: &'a Plan,
    rec: &'a Record<'a>,
    slots: Range<u32>,
}

impl<'a> Iterator for MeasureIter<'a> {
    type Item = Measure<'a>;

    #[inline]
    fn next(&mut self) -> Option<Measure<'a>> {
        for si in self.slots.by_ref() {
            let slot = &self.plan.slots[si as usize];
            let f = slot.field as usize;
            let raw = self.rec.field(f);
            if !self.plan.is_null(raw, self.rec.is_quoted(f)) {
                return Some(Measure {
                    slot: si,
                    ty: slot.ty,
                    raw,
                    unit_nanos: self.plan.time_unit.nanos(),
                });
            }
        }
        None
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.slots.len()))
    }
}

/// A value slot of a plan: one multi-measure attribute, or the value of one
/// single-measure mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotInfo<'a> {
    /// The attribute name (multi-measure) or the measure name (single).
    pub name: &'a str,
    /// The value type.
    pub ty: ScalarType,
    /// Whether the slot belongs to a multi-measure record.
    pub multi: bool,
    /// Index of the record spec it belongs to ([`RecordView::spec`]).
    pub spec: u32,
}

impl Plan {
    /// Names of the data model's dimensions (destination names), in
    /// data-model order: [`Dimension::index`] indexes this list.
    pub fn dimension_names(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.dims.iter().map(|d| d.name.as_str())
    }

    /// The plan's value slots: [`Measure::slot`] indexes this list.
    pub fn value_slots(&self) -> impl ExactSizeIterator<Item = SlotInfo<'_>> + '_ {
        self.slots.iter().map(|s| SlotInfo {
            name: &s.name,
            ty: s.ty,
            multi: self.specs[s.spec as usize].multi,
            spec: s.spec,
        })
    }

    /// The task's `RecordVersion`, as records carry it.
    pub fn record_version(&self) -> i64 {
        self.record_version
    }
}

/// Receives the records of checked rows, in row order.
pub trait RecordSink {
    /// One record that would be written.
    fn record(&mut self, view: &RecordView<'_>);
}

/// Owned records, as the WriteRecords API shows them.
impl RecordSink for Vec<WriteRecord> {
    fn record(&mut self, view: &RecordView<'_>) {
        self.push(view.to_write_record());
    }
}

/// Records as JSON lines ([`RecordView::write_json`]), each ended by `\n`.
impl RecordSink for Vec<u8> {
    fn record(&mut self, view: &RecordView<'_>) {
        view.write_json(self);
        self.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    //! The views against the owned records they stand for: on random rows
    //! of the three mapping shapes, every record handed to a sink reads the
    //! same through the accessors as its [`WriteRecord`], and
    //! [`RecordView::write_json`] writes the bytes serde_json makes of it.

    use proptest::prelude::*;
    use tsload_csv::record::OwnedRecord;
    use tsload_model::effective::CsvDialect;

    use super::*;
    use crate::ChunkChecker;
    use crate::tests::{
        H, MIXED_ALL, MIXED_ALL_HEADER, MIXED_BY_NAME, MIXED_HEADER, MULTI, MULTI_HEADER, ctx,
    };

    /// What the views showed, next to the owned record built from them.
    #[derive(Default)]
    struct Both {
        json: Vec<u8>,
        seen: Vec<(WriteRecord, Vec<u8>)>,
    }

    impl RecordSink for Both {
        fn record(&mut self, view: &RecordView<'_>) {
            let owned = view.to_write_record();
            let plan = view.plan();
            let names: Vec<&str> = plan.dimension_names().collect();
            let slots: Vec<SlotInfo<'_>> = plan.value_slots().collect();
            let dims: Vec<(String, String)> = view
                .dimensions()
                .map(|d| {
                    (
                        names[d.index as usize].to_owned(),
                        String::from_utf8(d.value.to_vec()).unwrap(),
                    )
                })
                .collect();
            let want: Vec<(String, String)> = owned
                .dimensions
                .iter()
                .map(|d| (d.name.clone(), d.value.clone()))
                .collect();
            assert_eq!(dims, want);
            assert_eq!(view.measure_name(), owned.measure_name.as_bytes());
            assert_eq!(view.time().to_string(), owned.time);
            assert_eq!(view.version(), owned.version);
            assert_eq!(
                view.is_multi(),
                owned.measure_value_type == crate::MeasureValueType::Multi
            );
            let measures: Vec<(String, String, crate::MeasureValueType)> = view
                .measures()
                .map(|m| {
                    let s = &slots[m.slot as usize];
                    assert_eq!(s.ty, m.ty);
                    assert_eq!(s.spec, view.spec());
                    let text = match m.value() {
                        Value::Double(v) => {
                            // The text as written, and the number it parses to.
                            let t = std::str::from_utf8(m.raw).unwrap();
                            assert_eq!(t.parse::<f64>().unwrap().to_bits(), v.to_bits());
                            t.to_owned()
                        }
                        Value::Bigint(v) => v.to_string(),
                        Value::Boolean(v) => v.to_string(),
                        Value::Timestamp(ns) => (ns / view.time_unit().nanos()).to_string(),
                        Value::Varchar(b) => {
                            assert_eq!(m.ty, ScalarType::Varchar);
                            String::from_utf8(b.to_vec()).unwrap()
                        }
                    };
                    (s.name.to_owned(), text, m.ty.into())
                })
                .collect();
            let want: Vec<(String, String, crate::MeasureValueType)> =
                match (&owned.measure_values, &owned.measure_value) {
                    (Some(vs), _) => vs
                        .iter()
                        .map(|v| (v.name.clone(), v.value.clone(), v.value_type))
                        .collect(),
                    (None, Some(v)) => {
                        vec![(measures[0].0.clone(), v.clone(), owned.measure_value_type)]
                    }
                    (None, None) => Vec::new(),
                };
            assert_eq!(measures, want);
            // `visit` gives what the iterators give.
            let mut visited = Visited::default();
            view.visit(&mut visited);
            let want: Vec<(u32, Vec<u8>)> = view
                .dimensions()
                .map(|d| (d.index, d.value.to_vec()))
                .collect();
            assert_eq!(visited.dims, want);
            let want: Vec<(u32, Value<'_>)> =
                view.measures().map(|m| (m.slot, m.value())).collect();
            let got: Vec<(u32, Value<'_>)> = visited
                .values
                .iter()
                .map(|(s, v)| (*s, v.as_value()))
                .collect();
            // Compared as printed, so that -0.0 and 0.0 differ.
            assert_eq!(format!("{got:?}"), format!("{want:?}"));
            let mut line = Vec::new();
            view.write_json(&mut line);
            self.json.extend_from_slice(&line);
            self.json.push(b'\n');
            self.seen.push((owned, line));
        }
    }

    /// An owned [`Value`], as [`ValueVisitor`] received it.
    #[derive(Debug)]
    enum Got {
        Double(f64),
        Bigint(i64),
        Boolean(bool),
        Timestamp(i64),
        Varchar(Vec<u8>),
    }

    impl Got {
        fn as_value(&self) -> Value<'_> {
            match self {
                Self::Double(v) => Value::Double(*v),
                Self::Bigint(v) => Value::Bigint(*v),
                Self::Boolean(v) => Value::Boolean(*v),
                Self::Timestamp(v) => Value::Timestamp(*v),
                Self::Varchar(v) => Value::Varchar(v),
            }
        }
    }

    /// What [`RecordView::visit`] handed out.
    #[derive(Default)]
    struct Visited {
        dims: Vec<(u32, Vec<u8>)>,
        values: Vec<(u32, Got)>,
    }

    impl ValueVisitor for Visited {
        fn dimension(&mut self, index: u32, value: &[u8]) {
            self.dims.push((index, value.to_vec()));
        }
        fn double(&mut self, slot: u32, value: f64) {
            self.values.push((slot, Got::Double(value)));
        }
        fn bigint(&mut self, slot: u32, value: i64) {
            self.values.push((slot, Got::Bigint(value)));
        }
        fn boolean(&mut self, slot: u32, value: bool) {
            self.values.push((slot, Got::Boolean(value)));
        }
        fn timestamp(&mut self, slot: u32, ns: i64) {
            self.values.push((slot, Got::Timestamp(ns)));
        }
        fn varchar(&mut self, slot: u32, value: &[u8]) {
            self.values.push((slot, Got::Varchar(value.to_vec())));
        }
    }

    /// A cell of a column of `kind` (`t` time, `d` dimension, `n` measure
    /// name, `D` DOUBLE, `B` BIGINT, `O` BOOLEAN, `S` VARCHAR, `T`
    /// TIMESTAMP): mostly valid values in their several spellings, now and
    /// then a null, an empty or a broken one; text and whether it is quoted.
    fn cell(kind: char) -> BoxedStrategy<(String, bool)> {
        let s = |v: &[&str]| -> Vec<String> { v.iter().map(|x| (*x).to_owned()).collect() };
        let valid: Vec<String> = match kind {
            't' => s(&[crate::tests::T, "0001699999940000"]),
            'd' => s(&["web-1", "q\"uo\\te\ttab\u{1}ctl é ✓", "NULL", "a b"]),
            'n' => s(&["cpu", "count", "metrics", "other"]),
            'D' => s(&[
                "0.5",
                "1e3",
                "-0.000125",
                "+3.25",
                "17",
                "1.7976931348623157e308",
                "-0.0",
                "-0",
            ]),
            'B' => s(&["+0042", "-7", "9223372036854775807", "0"]),
            'O' => s(&["true", "false", "FALSE", "True"]),
            'S' => s(&["OK", "a \"b\" \\ c\n", "NULL", "é"]),
            _ => s(&["1699999940000", "0", "+12", "0001"]),
        };
        let text = prop_oneof![
            8 => prop::sample::select(valid),
            1 => Just(String::new()),
            1 => Just("NULL".to_owned()),
            1 => "[a-z0-9 .]{1,6}",
        ];
        (text, prop::bool::weighted(0.2)).boxed()
    }

    fn row(kinds: &'static str) -> impl Strategy<Value = Vec<(String, bool)>> {
        kinds.chars().map(cell).collect::<Vec<_>>()
    }

    /// Checks the views of `rows` against the records built for them;
    /// returns how many rows took the fast path (whose views carry the
    /// values it parsed).
    fn check(harness: &H, header: &[&str], rows: &[Vec<(String, bool)>]) -> u64 {
        let mut both = Both::default();
        let mut owned = Vec::new();
        let mut viewed = ChunkChecker::new(&harness.plan);
        let mut built = ChunkChecker::new(&harness.plan);
        for cells in rows {
            let mut r = OwnedRecord::default();
            for (text, quoted) in cells.iter().take(header.len()) {
                r.push_field(text.as_bytes(), *quoted);
            }
            // The cells are `String`s: valid UTF-8, as the reader would
            // have checked (so plain rows take the fast path).
            let rec = r.as_record().with_utf8_checked(true);
            assert_eq!(
                viewed.check_into(&rec, &mut both),
                built.check_and_build(&rec, &mut owned)
            );
        }
        assert_eq!(both.seen.len(), owned.len());
        for ((from_view, line), built) in both.seen.iter().zip(&owned) {
            assert_eq!(from_view, built);
            assert_eq!(
                String::from_utf8_lossy(line),
                serde_json::to_string(built).unwrap()
            );
        }
        // The `Vec<u8>` sink writes the same lines.
        let mut lines: Vec<u8> = Vec::new();
        let mut lined = ChunkChecker::new(&harness.plan);
        for cells in rows {
            let mut r = OwnedRecord::default();
            for (text, quoted) in cells.iter().take(header.len()) {
                r.push_field(text.as_bytes(), *quoted);
            }
            lined.check_into(&r.as_record().with_utf8_checked(true), &mut lines);
        }
        assert_eq!(lines, both.json);
        viewed.plain_rows()
    }

    fn nulls() -> CsvDialect {
        CsvDialect {
            null_value: Some("NULL".into()),
            ..CsvDialect::default()
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn views_read_as_their_records(
            multi in prop::collection::vec(row("tddDBOST"), 1..12),
            by_name in prop::collection::vec(row("tdnDBT"), 1..12),
            all in prop::collection::vec(row("tdDDBB"), 1..12),
            null_value in any::<bool>(),
        ) {
            let d = if null_value { nulls() } else { CsvDialect::default() };
            for (json, header, rows) in [
                (MULTI, MULTI_HEADER, &multi),
                (MIXED_BY_NAME, MIXED_HEADER, &by_name),
                (MIXED_ALL, MIXED_ALL_HEADER, &all),
            ] {
                let h = H::with(json, header, &ctx(), &d);
                check(&h, header, rows);
            }
        }
    }

    /// The proptest must reach records of every shape, or it proves little.
    #[test]
    fn every_shape_yields_records() {
        let t = crate::tests::T;
        let h = H::with(MULTI, MULTI_HEADER, &ctx(), &nulls());
        let row: Vec<(String, bool)> = [t, "NULL", "b", "0.5", "+0042", "TRUE", "s\"x", t]
            .iter()
            .map(|s| ((*s).to_owned(), false))
            .collect();
        assert_eq!(check(&h, MULTI_HEADER, std::slice::from_ref(&row)), 0);
        // A plain row: its view carries the values the fast path parsed.
        let plain: Vec<(String, bool)> = [t, "a", "b", "0.5", "-42", "false", "s", t]
            .iter()
            .map(|s| ((*s).to_owned(), false))
            .collect();
        assert_eq!(check(&h, MULTI_HEADER, std::slice::from_ref(&plain)), 1);
        let built = h.build(&[&[t, "NULL", "b", "0.5", "+0042", "TRUE", "s\"x", t]]);
        assert_eq!(built.len(), 1);
        assert_eq!(built[0].dimensions.len(), 1);
        let h = H::new(MIXED_BY_NAME, MIXED_HEADER);
        assert_eq!(h.build(&[&[t, "a", "count", "", "7", ""]]).len(), 1);
        let h = H::new(MIXED_ALL, MIXED_ALL_HEADER);
        assert_eq!(h.build(&[&[t, "a", "1", "", "2", "3"]]).len(), 2);
    }
}
