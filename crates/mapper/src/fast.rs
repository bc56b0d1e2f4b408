//! The fast path of [`crate::ChunkChecker`]: rows where nothing at all is
//! remarkable.
//!
//! Almost every row of a real load is such a row: every mapped field
//! present, every value parses, the time in the window, no limit broken.
//! [`FastPlan`] is compiled from the [`Plan`] once (the fields, parsers,
//! salts and constant record sizes of each mapping laid out flat), and
//! [`FastPlan::try_row`] checks a row with one specialised step per
//! column, keeping everything in locals. It commits only when the row turned
//! out to be plain: then it produces exactly what the general path would
//! (the same counters, record sizes, duplicate keys and records); at the
//! first thing that is not plain it gives up without having changed
//! anything, and the general path in `check.rs` checks the row again with
//! every rule and message. The general path is therefore the reference, and
//! `tests.rs` checks that both give the same outcome, row by row.
//!
//! A plan gets a fast path when its records do not depend on the row (no
//! `MeasureNameColumn`) and no `REQUIRED` partition key is unmapped.

use std::ops::Range;

use tsload_csv::record::{InPlace, Record};
use tsload_model::effective::ScalarType;

use crate::check::{DIGIT_BUCKETS, MAX_DIMENSION_PAIR_BYTES, MAX_MEASURES, MAX_RECORD_BYTES};
use crate::check::{MAX_VARCHAR_BYTES, hash_bytes, mix, position_salt};
use crate::merge::DupHorizon;
use crate::plan::Plan;
use crate::value;

/// Field access, from a [`Record`] or, faster, its [`InPlace`] view.
trait Fields {
    fn field(&self, i: usize) -> &[u8];
    fn is_quoted(&self, i: usize) -> bool;
}

impl Fields for Record<'_> {
    #[inline]
    fn field(&self, i: usize) -> &[u8] {
        Record::field(self, i)
    }
    #[inline]
    fn is_quoted(&self, i: usize) -> bool {
        Record::is_quoted(self, i)
    }
}

impl Fields for InPlace<'_> {
    #[inline]
    fn field(&self, i: usize) -> &[u8] {
        InPlace::field(self, i)
    }
    #[inline]
    fn is_quoted(&self, i: usize) -> bool {
        InPlace::is_quoted(self, i)
    }
}

/// A value column, resolved.
#[derive(Debug, Clone)]
struct Slot {
    /// Index of the slot in the plan.
    index: u32,
    field: u32,
    ty: ScalarType,
    /// `position_salt` of the slot's index in the plan.
    salt: u64,
}

/// A record every row writes.
#[derive(Debug, Clone)]
pub(crate) struct Spec {
    /// Index of the spec in the plan.
    pub(crate) index: u32,
    /// Its slots, in [`FastPlan::slots`].
    slots: Range<usize>,
    /// Record bytes that do not depend on the row: the time (8), the
    /// measure name and, for multi-measure records, the attribute names.
    base_size: u32,
    /// The measure name's hash.
    name_hash: u64,
}

/// The row-independent part of the checks, laid out for the fast path. It
/// lives in its [`Plan`], which [`FastPlan::try_row`] is given for the rest
/// (time field and unit, window, `NullValue`, minimum field count).
#[derive(Debug, Clone)]
pub(crate) struct FastPlan {
    /// `(field, destination name length)` per dimension.
    dims: Box<[(u32, u32)]>,
    slots: Box<[Slot]>,
    pub(crate) specs: Box<[Spec]>,
    /// Indices into `ChunkOutcome::stats` that every plain row counts as
    /// non-null and converted: 0 (time) and 1 + each slot.
    pub(crate) stat_indices: Box<[usize]>,
}

/// One record of a plain row: its size and the hash of its values.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Made {
    pub(crate) size: u32,
    pub(crate) values_hash: u64,
}

/// A plain row, checked: what the checker commits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plain {
    pub(crate) time_ns: i64,
    /// Significant digits of the time (the time-unit heuristic).
    pub(crate) digits: usize,
    pub(crate) dims_hash: u64,
    /// The row's records were hashed for the duplicate table: the plan
    /// detects duplicates and the [`DupHorizon`] did not show them
    /// untrackable.
    pub(crate) hashed: bool,
}

impl FastPlan {
    /// The fast path of `plan`, if its records do not depend on the row.
    pub(crate) fn compile(plan: &Plan) -> Option<Self> {
        if plan.name_field.is_some()
            || plan.required_unmapped
            || plan.all_specs.is_empty()
            || plan.dims.is_empty()
        {
            return None;
        }
        let mut slots = Vec::new();
        let mut specs = Vec::new();
        let mut stat_indices = vec![0];
        for &s in &plan.all_specs {
            let spec = &plan.specs[s as usize];
            let name = spec.measure_name.as_ref()?;
            let count = spec.slots.len();
            if count == 0 || count > MAX_MEASURES as usize || (!spec.multi && count != 1) {
                return None;
            }
            let mut base_size = 8 + name.len();
            let first = slots.len();
            for si in spec.slots.clone() {
                let slot = &plan.slots[si as usize];
                if spec.multi {
                    base_size += slot.name.len();
                }
                slots.push(Slot {
                    index: si,
                    field: slot.field,
                    ty: slot.ty,
                    salt: position_salt(u64::from(si)),
                });
                stat_indices.push(si as usize + 1);
            }
            specs.push(Spec {
                index: s,
                slots: first..slots.len(),
                base_size: u32::try_from(base_size).ok()?,
                name_hash: spec.name_hash,
            });
        }
        Some(Self {
            dims: plan
                .dims
                .iter()
                .map(|d| (d.field, d.name.len() as u32))
                .collect(),
            slots: slots.into(),
            specs: specs.into(),
            stat_indices: stat_indices.into(),
        })
    }

    /// Whether a field holds a value the general path would not treat
    /// specially: not empty (null, or an empty string), and not the
    /// `NullValue` (`null`) unquoted.
    #[inline(always)]
    #[allow(clippy::inline_always, reason = "a compare or two, per field")]
    fn present<F: Fields>(b: &[u8], null: Option<&[u8]>, rec: &F, field: usize) -> bool {
        !b.is_empty() && null.is_none_or(|n| n != b || rec.is_quoted(field))
    }

    /// Checks `rec` if it is plain, filling `made` with one entry per
    /// [`FastPlan::specs`] and, when `KEEP` (a sink wants the records),
    /// `parsed` with the typed values by slot index (`f64` bits, `i64`, 0 or
    /// 1, nanoseconds; see [`crate::RecordView::visit`]). `plan` is the plan
    /// this fast path was compiled from. `None`: the row is not plain (or the
    /// path does not apply); nothing was counted and the general path must
    /// check it. Duplicate keys and value hashes are computed only when the
    /// plan detects duplicates and `horizon` does not show the row's time
    /// untrackable ([`Plain::hashed`]).
    #[inline]
    pub(crate) fn try_row<const KEEP: bool>(
        &self,
        plan: &Plan,
        rec: &Record<'_>,
        horizon: Option<&DupHorizon>,
        made: &mut [Made],
        parsed: &mut [u64],
    ) -> Option<Plain> {
        // No framing issue, UTF-8 checked by the reader, enough fields.
        if !rec.utf8_known_valid() || rec.len() < plan.min_fields {
            return None;
        }
        // The usual record has every field in its input: read them without
        // choosing a buffer per field (measured: a quarter of this path).
        match rec.in_place() {
            Some(fields) => self.try_fields::<KEEP, _>(plan, &fields, horizon, made, parsed),
            None => self.try_fields::<KEEP, _>(plan, rec, horizon, made, parsed),
        }
    }

    /// [`FastPlan::try_row`] on a record's fields (at least
    /// `plan.min_fields` of them, UTF-8 valid).
    #[inline(always)]
    #[allow(clippy::inline_always, reason = "the row loop, in two flavours")]
    fn try_fields<const KEEP: bool, F: Fields>(
        &self,
        plan: &Plan,
        rec: &F,
        horizon: Option<&DupHorizon>,
        made: &mut [Made],
        parsed: &mut [u64],
    ) -> Option<Plain> {
        let null = plan.null_value();
        let unit_nanos = plan.time_unit.nanos();
        let tf = plan.time_field as usize;
        let tb = rec.field(tf);
        if !Self::present(tb, null, rec, tf) {
            return None;
        }
        let (time_ns, digits) = value::parse_epoch(tb, unit_nanos).ok()?;
        let (lo, hi) = plan.window.bounds();
        if time_ns == 0 || time_ns > hi || time_ns < lo {
            return None;
        }
        let detect_duplicates =
            plan.detect_duplicates && !horizon.is_some_and(|h| h.untrackable(time_ns));

        let mut dims_hash = crate::check::SEED;
        let mut dims_size = 0u32;
        for (i, &(field, name_len)) in self.dims.iter().enumerate() {
            let v = rec.field(field as usize);
            if !Self::present(v, null, rec, field as usize) {
                return None;
            }
            let pair = name_len + v.len() as u32;
            if pair > MAX_DIMENSION_PAIR_BYTES {
                return None;
            }
            dims_size += pair;
            if detect_duplicates {
                dims_hash = mix(dims_hash ^ position_salt(i as u64), hash_bytes(v));
            }
        }

        for (spec, out) in self.specs.iter().zip(made.iter_mut()) {
            let mut size = spec.base_size + dims_size;
            let mut vh = crate::check::SEED;
            for slot in &self.slots[spec.slots.clone()] {
                let b = rec.field(slot.field as usize);
                if !Self::present(b, null, rec, slot.field as usize) {
                    return None;
                }
                let (bytes, hash) = match slot.ty {
                    ScalarType::Double if !KEEP && !detect_duplicates => {
                        // Nothing needs the value: only whether it parses.
                        if !value::is_double(b) {
                            return None;
                        }
                        (8, 0)
                    }
                    ScalarType::Double => {
                        let v = value::parse_double(b).ok()?;
                        if KEEP {
                            parsed[slot.index as usize] = v.to_bits();
                        }
                        (8, if v == 0.0 { 0 } else { v.to_bits() })
                    }
                    ScalarType::Bigint => {
                        let v = value::parse_bigint(b).ok()? as u64;
                        if KEEP {
                            parsed[slot.index as usize] = v;
                        }
                        (8, v)
                    }
                    ScalarType::Boolean => {
                        let v = match b {
                            b"true" => 1,
                            b"false" => 0,
                            _ => return None,
                        };
                        if KEEP {
                            parsed[slot.index as usize] = v;
                        }
                        (1, v)
                    }
                    ScalarType::Varchar => {
                        if b.len() > MAX_VARCHAR_BYTES as usize {
                            return None;
                        }
                        let hash = if detect_duplicates { hash_bytes(b) } else { 0 };
                        (b.len() as u32, hash)
                    }
                    ScalarType::Timestamp => {
                        let v = value::parse_epoch(b, unit_nanos).ok()?.0 as u64;
                        if KEEP {
                            parsed[slot.index as usize] = v;
                        }
                        (8, v)
                    }
                };
                size += bytes;
                if detect_duplicates {
                    vh = mix(vh ^ slot.salt, hash);
                }
            }
            if size > MAX_RECORD_BYTES {
                return None;
            }
            let count = spec.slots.len() as u64;
            *out = Made {
                size,
                values_hash: mix(vh, count),
            };
        }
        Some(Plain {
            time_ns,
            digits: usize::from(digits).min(DIGIT_BUCKETS - 1),
            dims_hash,
            hashed: detect_duplicates,
        })
    }

    /// The duplicate key of a plain row's record `spec`.
    #[inline]
    pub(crate) fn key(plain: &Plain, spec: &Spec) -> u64 {
        mix(mix(plain.dims_hash, plain.time_ns as u64), spec.name_hash)
    }
}
