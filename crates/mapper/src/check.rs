//! The hot loop: one [`ChunkChecker`] per chunk of rows, one
//! [`ChunkChecker::check_row`] per row.
//!
//! BE ADVISED: `check_row` must not allocate for a row that produces
//! records, and must not look anything up by column name. Everything it
//! stores per row is cheap (counters, a 24-byte duplicate key entry, and
//! for failing rows a capped [`Finding`] and a line range); messages are
//! rendered later by the merger. `tests/alloc.rs` counts allocations.
//!
//! A checker's state is pure: it depends only on the rows it was given, so
//! the CSV driver may drop a chunk's checker and run the chunk again.
//!
//! Rows where nothing is remarkable take the fast path (`fast.rs`) first;
//! this general path checks every other row. A new rule here needs the fast
//! path to give up on the rows it fires on (see `fast.rs`), and a trigger
//! among the candidate values of the `fast_path` test in `tests.rs`.

use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

use foldhash::fast::FixedState;
use tsload_csv::NullKind;
use tsload_csv::record::{FieldSpan, Position, Record};
use tsload_model::diag::{Rule, Severity};
use tsload_model::effective::ScalarType;

use crate::fast::{FastPlan, Made, Plain};
use crate::merge::DupHorizon;
use crate::plan::Plan;
use crate::record::WriteRecord;
use crate::rules::{self, FRAMING_REASON, service_reason};
use crate::sink::{RecordSink, RecordView};
use crate::value::{self, Fault};

/// Maximum record size, bytes: "Maximum record size 2 Kilobytes" [DOC:
/// LIMITS], read as 2048 bytes \[INF\].
pub const MAX_RECORD_BYTES: u32 = 2048;
/// Maximum VARCHAR value size, bytes \[DOC: WRITES "2 KB"; MODEL 2048\].
pub const MAX_VARCHAR_BYTES: u32 = 2048;
/// Maximum dimension name + value size, bytes \[DOC: LIMITS "2 Kilobytes"\].
pub const MAX_DIMENSION_PAIR_BYTES: u32 = 2048;
/// Maximum measures per multi-measure record \[DOC: LIMITS\].
pub const MAX_MEASURES: u32 = 256;
/// Maximum measure name length, bytes \[DOC: LIMITS\].
pub const MAX_MEASURE_NAME_BYTES: u32 = 256;

/// Bytes of a value copied into a finding (only while under the cap).
const VALUE_COPY_BYTES: usize = 320;
pub(crate) const SEED: u64 = 0x7473_6c6f_6164_0001;

/// UTF-8 validity with an ASCII fast path (the reader has validated its
/// blocks already, rule `C003`, and says so with
/// [`Record::utf8_known_valid`]; this guards records from other sources).
#[inline]
fn valid_utf8(b: &[u8]) -> bool {
    b.is_ascii() || std::str::from_utf8(b).is_ok()
}

/// The hash of a byte string (a dimension value, a VARCHAR, a measure
/// name). One `write` of the bytes (foldhash mixes their length in), no
/// length prefix: values are never concatenated into one hasher, so the
/// prefix only cost a second round. foldhash's `fast` flavour: keys are
/// mixed once more by [`mix`] and by the duplicate table.
#[inline]
pub(crate) fn hash_bytes(b: &[u8]) -> u64 {
    let mut h = FixedState::with_seed(SEED).build_hasher();
    h.write(b);
    h.finish()
}

/// Folds `x` into the running hash `h`: the folded multiply of foldhash and
/// wyhash (the 128-bit product's halves xored). Duplicate keys and values
/// are combined with it from per-value hashes, instead of streaming every
/// part through a `Hasher` (a third of the row's instructions before).
#[inline(always)]
#[allow(clippy::inline_always, reason = "a few instructions, per value")]
pub(crate) fn mix(h: u64, x: u64) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let p = u128::from(h ^ x) * u128::from(K);
    (p as u64) ^ ((p >> 64) as u64)
}

/// A distinct constant per position `i`, so that the same value hashes
/// differently in another dimension or slot.
#[inline(always)]
#[allow(clippy::inline_always, reason = "a few instructions, per value")]
pub(crate) fn position_salt(i: u64) -> u64 {
    (i + 1).wrapping_mul(0xa076_1d64_78bd_642f)
}

/// What became of one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowOutcome {
    /// The row could not be converted: one `ParseFailures`, no records.
    ParseFailure,
    /// The row was converted into records; some may fail ingestion.
    Records {
        /// Records that would be written.
        ingested: u32,
        /// Records the service would reject (`RecordIngestionFailures`).
        failed: u32,
    },
}

/// A problem found in a row, stored cheaply; rendered into a
/// [`tsload_model::Diagnostic`] when the file is merged.
#[derive(Debug, Clone)]
pub(crate) struct Finding {
    pub(crate) rule: &'static Rule,
    /// Chunk-relative until merged, absolute after.
    pub(crate) pos: Position,
    pub(crate) field: Option<u32>,
    /// Byte offset of the field (or issue) from the record start.
    pub(crate) offset: u32,
    pub(crate) slot: Option<u32>,
    pub(crate) spec: Option<u32>,
    pub(crate) fault: Option<Fault>,
    /// Rule-specific number (a size, a count, a time in ns, a line).
    pub(crate) num: i64,
    /// Rule-specific second number (a limit, a file index).
    pub(crate) aux: u64,
    /// A copy of the value, at most [`VALUE_COPY_BYTES`], lossy UTF-8.
    pub(crate) value: Option<Box<str>>,
}

impl Finding {
    fn new(rule: &'static Rule, pos: Position) -> Self {
        Self {
            rule,
            pos,
            field: None,
            offset: 0,
            slot: None,
            spec: None,
            fault: None,
            num: 0,
            aux: 0,
            value: None,
        }
    }
    fn field(mut self, f: u32) -> Self {
        self.field = Some(f);
        self
    }
    fn slot(mut self, s: usize) -> Self {
        self.slot = Some(s as u32);
        self
    }
    fn spec(mut self, s: u32) -> Self {
        self.spec = Some(s);
        self
    }
    fn fault(mut self, f: Fault) -> Self {
        self.fault = Some(f);
        self
    }
    fn num(mut self, n: i64, aux: u64) -> Self {
        self.num = n;
        self.aux = aux;
        self
    }
}

pub(crate) fn clip(b: &[u8]) -> Box<str> {
    let mut end = b.len().min(VALUE_COPY_BYTES);
    while end < b.len() && end > 0 && (b[end] & 0xC0) == 0x80 {
        end -= 1;
    }
    String::from_utf8_lossy(&b[..end]).into()
}

/// Per-column conversion statistics (for `R051`).
#[derive(Debug, Clone, Default)]
pub(crate) struct ColStat {
    pub(crate) nonnull: u64,
    pub(crate) ok: u64,
    pub(crate) example: Option<(Position, u32, Box<str>)>,
}

/// One ingestible record's duplicate-detection key.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DupEntry {
    /// Hash of dimensions + time + measure name.
    pub(crate) key: u64,
    /// The time (ns), part of the key.
    pub(crate) time: i64,
    /// Hash of the measure values.
    pub(crate) value: u64,
    /// Where the row starts (chunk-relative until merged).
    pub(crate) pos: Position,
}

/// Failed rows' lines for one service-style reason, coalesced.
#[derive(Debug, Clone)]
pub(crate) struct ReasonRanges {
    pub(crate) reason: &'static str,
    /// Inclusive `[first, last]` physical lines.
    pub(crate) ranges: Vec<[u64; 2]>,
    pub(crate) truncated: bool,
}

impl ReasonRanges {
    /// Adds `[lo, hi]`, coalescing with the last range; at most `cap`.
    pub(crate) fn add(&mut self, lo: u64, hi: u64, cap: usize) {
        if let Some(last) = self.ranges.last_mut()
            && lo <= last[1].saturating_add(1)
        {
            last[1] = last[1].max(hi);
            return;
        }
        if self.ranges.len() < cap {
            self.ranges.push([lo, hi]);
        } else {
            self.truncated = true;
        }
    }
}

pub(crate) fn add_range(
    list: &mut Vec<ReasonRanges>,
    reason: &'static str,
    lo: u64,
    hi: u64,
    cap: usize,
) {
    if let Some(r) = list.iter_mut().find(|r| r.reason == reason) {
        r.add(lo, hi, cap);
    } else {
        let mut r = ReasonRanges {
            reason,
            ranges: Vec::new(),
            truncated: false,
        };
        r.add(lo, hi, cap);
        list.push(r);
    }
}

/// Number of significant-digit buckets of the time heuristic.
pub(crate) const DIGIT_BUCKETS: usize = 20;

/// Everything a chunk's rows produced; merged in file order by
/// [`crate::FileMerger`]. Positions inside are chunk-relative.
#[derive(Debug, Clone)]
pub struct ChunkOutcome {
    pub(crate) rows: u64,
    pub(crate) parse_failures: u64,
    pub(crate) records_ok: u64,
    pub(crate) records_failed: u64,
    pub(crate) record_bytes: u64,
    pub(crate) rule_counts: Vec<(&'static Rule, u64)>,
    pub(crate) findings: Vec<Finding>,
    pub(crate) findings_dropped: u64,
    pub(crate) ranges: Vec<ReasonRanges>,
    pub(crate) dups: Vec<DupEntry>,
    /// Records not hashed because the [`DupHorizon`] showed them
    /// untrackable (counted as untracked when merged).
    pub(crate) untracked: u64,
    /// 0 = time, 1 + i = value slot i.
    pub(crate) stats: Vec<ColStat>,
    pub(crate) time_digits: [u64; DIGIT_BUCKETS],
    pub(crate) time_first: [Option<(Position, i64)>; DIGIT_BUCKETS],
    /// Rows taken by the fast path whose column statistics (every mapped
    /// value non-null and converted) are not yet added to `stats`.
    fast_rows: u64,
    max_findings: usize,
    max_line_ranges: usize,
}

impl ChunkOutcome {
    fn new(plan: &Plan, rows_hint: usize) -> Self {
        Self {
            rows: 0,
            parse_failures: 0,
            records_ok: 0,
            records_failed: 0,
            record_bytes: 0,
            rule_counts: Vec::new(),
            findings: Vec::new(),
            findings_dropped: 0,
            ranges: Vec::new(),
            dups: Vec::with_capacity(if plan.detect_duplicates {
                rows_hint.saturating_mul(plan.specs.len().min(4))
            } else {
                0
            }),
            untracked: 0,
            stats: vec![ColStat::default(); plan.slots.len() + 1],
            time_digits: [0; DIGIT_BUCKETS],
            time_first: [None; DIGIT_BUCKETS],
            fast_rows: 0,
            max_findings: plan.max_findings,
            max_line_ranges: plan.max_line_ranges,
        }
    }

    fn clear(&mut self) {
        self.rows = 0;
        self.parse_failures = 0;
        self.records_ok = 0;
        self.records_failed = 0;
        self.record_bytes = 0;
        self.rule_counts.clear();
        self.findings.clear();
        self.findings_dropped = 0;
        self.ranges.clear();
        self.dups.clear();
        self.untracked = 0;
        for s in &mut self.stats {
            *s = ColStat::default();
        }
        self.time_digits = [0; DIGIT_BUCKETS];
        self.time_first = [None; DIGIT_BUCKETS];
        self.fast_rows = 0;
    }

    /// Adds the fast path's rows to the column statistics.
    fn fold_fast_rows(&mut self, plan: &Plan) {
        if self.fast_rows == 0 {
            return;
        }
        if let Some(fast) = &plan.fast {
            for &i in &fast.stat_indices {
                self.stats[i].nonnull += self.fast_rows;
                self.stats[i].ok += self.fast_rows;
            }
        }
        self.fast_rows = 0;
    }

    /// Data rows checked (`RecordsProcessed`).
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Rows that failed to parse (`ParseFailures`).
    pub fn parse_failures(&self) -> u64 {
        self.parse_failures
    }

    /// Records ready to be written (`RecordsIngested`).
    pub fn records_ingested(&self) -> u64 {
        self.records_ok
    }

    /// Records the service would reject (`RecordIngestionFailures`).
    pub fn record_ingestion_failures(&self) -> u64 {
        self.records_failed
    }

    /// How often `rule` fired in this chunk (findings, not rows).
    pub fn count(&self, rule: &Rule) -> u64 {
        self.rule_counts
            .iter()
            .find(|(r, _)| std::ptr::eq(*r, rule))
            .map_or(0, |(_, n)| *n)
    }

    #[cold]
    fn note(&mut self, mut f: Finding, value: Option<&[u8]>) {
        match self
            .rule_counts
            .iter_mut()
            .find(|(r, _)| std::ptr::eq(*r, f.rule))
        {
            Some((_, n)) => *n += 1,
            None => self.rule_counts.push((f.rule, 1)),
        }
        if self.findings.len() < self.max_findings {
            f.value = value.map(clip);
            self.findings.push(f);
        } else {
            self.findings_dropped += 1;
        }
    }

    #[cold]
    fn fail_lines(&mut self, rec: &Record<'_>, rule: &'static Rule) {
        let reason = service_reason(rule).unwrap_or(FRAMING_REASON);
        add_range(
            &mut self.ranges,
            reason,
            rec.position().line,
            rec.last_line(),
            self.max_line_ranges,
        );
    }
}

/// Per-row scratch for one value slot.
#[derive(Debug, Clone, Copy, Default)]
struct Cell {
    state: u8,
    /// A limit the value breaks (the record then fails ingestion).
    limit: Option<&'static Rule>,
    size: u32,
    hash: u64,
}

const OK: u8 = 1;

const SPEC_SKIPPED: u8 = 0;
const SPEC_OK: u8 = 1;
const SPEC_FAILED: u8 = 2;

/// Checks the rows of one chunk against a [`Plan`]. Create one per chunk
/// (or [`reset`](Self::reset) and reuse it), feed rows in order, then
/// [`finish`](Self::finish).
#[derive(Debug)]
pub struct ChunkChecker<'p> {
    plan: &'p Plan,
    /// The plan's fast path, unless disabled.
    fast: Option<&'p FastPlan>,
    /// Per record of a plain row (fast path scratch).
    made: Vec<Made>,
    /// The fast path's parsed values, by slot ([`FastPlan::try_row`]).
    parsed: Vec<u64>,
    /// Rows the fast path took (since creation; not part of the outcome).
    plain_rows: u64,
    /// The duplicate table's horizon, if the checker was given it.
    horizon: Option<Arc<DupHorizon>>,
    cells: Vec<Cell>,
    status: Vec<u8>,
    out: ChunkOutcome,
}

impl<'p> ChunkChecker<'p> {
    /// A checker for `plan`.
    pub fn new(plan: &'p Plan) -> Self {
        Self::with_capacity(plan, 0)
    }

    /// A checker that reserves room for about `rows` rows, so that checking
    /// them allocates nothing.
    pub fn with_capacity(plan: &'p Plan, rows: usize) -> Self {
        Self {
            plan,
            fast: plan.fast.as_ref(),
            made: vec![Made::default(); plan.fast.as_ref().map_or(0, |f| f.specs.len())],
            parsed: vec![0; plan.slots.len()],
            plain_rows: 0,
            horizon: None,
            cells: vec![Cell::default(); plan.slots.len()],
            status: vec![SPEC_SKIPPED; plan.specs.len()],
            out: ChunkOutcome::new(plan, rows),
        }
    }

    /// Forgets every row checked so far, keeping the allocations.
    pub fn reset(&mut self) {
        self.out.clear();
    }

    /// Lets plain rows skip the duplicate-key hashing when `horizon` (from
    /// the [`crate::Duplicates`] these chunks will be merged into) shows
    /// their records untrackable; the merged result is the same.
    #[must_use]
    pub fn with_horizon(mut self, horizon: Arc<DupHorizon>) -> Self {
        self.horizon = Some(horizon);
        self
    }

    /// Checks every row with the general path only (see `fast.rs`): for
    /// differential tests of the fast path.
    #[doc(hidden)]
    #[must_use]
    pub fn general_only(mut self) -> Self {
        self.fast = None;
        self
    }

    /// Rows the fast path checked so far (plain rows: nothing remarkable
    /// in them); the others went through the general path. Not part of
    /// the outcome, which is the same either way.
    pub fn plain_rows(&self) -> u64 {
        self.plain_rows
    }

    /// What the rows so far produced.
    pub fn outcome(&mut self) -> &ChunkOutcome {
        self.out.fold_fast_rows(self.plan);
        &self.out
    }

    /// Ends the chunk.
    pub fn finish(mut self) -> ChunkOutcome {
        self.out.fold_fast_rows(self.plan);
        self.out
    }

    /// Classifies one row (§2.4): parse failure, or records that are ready
    /// or fail ingestion. Builds nothing and allocates nothing unless the
    /// row has findings.
    #[inline]
    pub fn check_row(&mut self, rec: &Record<'_>) -> RowOutcome {
        self.check::<Vec<WriteRecord>>(rec, None)
    }

    /// Like [`check_row`](Self::check_row), and appends the records that
    /// would be written to `out` (for `--emit` and the emulator).
    pub fn check_and_build(&mut self, rec: &Record<'_>, out: &mut Vec<WriteRecord>) -> RowOutcome {
        self.check(rec, Some(out))
    }

    /// Like [`check_row`](Self::check_row), and hands the records that
    /// would be written to `sink`, borrowed from the row.
    pub fn check_into<S: RecordSink + ?Sized>(
        &mut self,
        rec: &Record<'_>,
        sink: &mut S,
    ) -> RowOutcome {
        self.check(rec, Some(sink))
    }

    #[cold]
    fn note_at(&mut self, rec: &Record<'_>, mut f: Finding, value: Option<&[u8]>) {
        if let Some(i) = f.field
            && f.offset == 0
            && let Some(s) = rec.spans().get(i as usize)
            && s.flags & FieldSpan::SCRATCH == 0
        {
            f.offset = s.start;
        }
        f.pos.line = rec.line_at(f.offset);
        self.out.note(f, value);
    }

    #[cold]
    fn parse_failed(&mut self, rec: &Record<'_>, rule: &'static Rule) -> RowOutcome {
        self.out.parse_failures += 1;
        self.out.fail_lines(rec, rule);
        RowOutcome::ParseFailure
    }

    #[cold]
    fn example(&mut self, stat: usize, rec: &Record<'_>, field: u32, b: &[u8]) {
        let s = &mut self.out.stats[stat];
        if s.example.is_none() {
            s.example = Some((rec.position(), field, clip(b)));
        }
    }

    fn check<S: RecordSink + ?Sized>(
        &mut self,
        rec: &Record<'_>,
        build: Option<&mut S>,
    ) -> RowOutcome {
        let plan = self.plan;
        if let Some(fast) = self.fast
            && let Some(plain) = if build.is_some() {
                fast.try_row::<true>(
                    plan,
                    rec,
                    self.horizon.as_deref(),
                    &mut self.made,
                    &mut self.parsed,
                )
            } else {
                fast.try_row::<false>(
                    plan,
                    rec,
                    self.horizon.as_deref(),
                    &mut self.made,
                    &mut self.parsed,
                )
            }
        {
            return self.commit_plain(rec, fast, &plain, build);
        }
        let pos = rec.position();
        self.out.rows += 1;

        if !rec.issues().is_empty() {
            let mut first_error = None;
            for issue in rec.issues() {
                let mut f = Finding::new(issue.rule, pos);
                f.field = issue.field;
                f.offset = issue.offset;
                f.pos.line = rec.line_at(issue.offset);
                if issue.rule == &tsload_csv::rules::FIELD_COUNT_MISMATCH {
                    f = f.num(rec.len() as i64, plan.header.len() as u64);
                }
                self.out.note(f, None);
                if issue.rule.severity == Severity::Error && first_error.is_none() {
                    first_error = Some(issue.rule);
                }
            }
            if let Some(rule) = first_error {
                return self.parse_failed(rec, rule);
            }
        }
        if rec.len() < plan.min_fields {
            let f = Finding::new(&rules::ROW_TOO_SHORT, pos)
                .num(rec.len() as i64, plan.min_fields as u64);
            self.out.note(f, None);
            return self.parse_failed(rec, &rules::ROW_TOO_SHORT);
        }

        let mut parse_rule: Option<&'static Rule> = None;
        let mut row_rule: Option<&'static Rule> = None;
        // The reader validated the record's bytes (C003): no need to
        // check values again.
        let utf8_known = rec.utf8_known_valid();

        // Time.
        let tf = plan.time_field;
        let tb = rec.field(tf as usize);
        let mut time_ns = 0;
        if plan.is_null(tb, rec.is_quoted(tf as usize)) {
            self.note_at(
                rec,
                Finding::new(&rules::TIME_NULL, pos).field(tf),
                Some(tb),
            );
            parse_rule = Some(&rules::TIME_NULL);
        } else {
            self.out.stats[0].nonnull += 1;
            match value::parse_epoch(tb, plan.time_unit.nanos()) {
                Ok((ns, digits)) => {
                    self.out.stats[0].ok += 1;
                    let d = (digits as usize).min(DIGIT_BUCKETS - 1);
                    if self.out.time_digits[d] == 0 {
                        self.out.time_first[d] = Some((pos, ns / plan.time_unit.nanos()));
                    }
                    self.out.time_digits[d] += 1;
                    time_ns = ns;
                    let (lo, hi) = plan.window.bounds();
                    if ns == 0 {
                        // Likely a missing value, but 1970 is a time the
                        // service stores: the window decides.
                        self.note_at(
                            rec,
                            Finding::new(&rules::TIME_ZERO, pos).field(tf),
                            Some(tb),
                        );
                    }
                    let rule = if ns > hi {
                        Some(&rules::TIME_IN_FUTURE)
                    } else if ns < lo {
                        Some(&rules::TIME_BEFORE_RETENTION)
                    } else {
                        None
                    };
                    if let Some(rule) = rule {
                        self.note_at(rec, Finding::new(rule, pos).field(tf).num(ns, 0), Some(tb));
                        row_rule = Some(rule);
                    }
                }
                Err(fault) => {
                    let rule = if fault == Fault::Overflow {
                        &rules::TIME_OVERFLOW
                    } else if value::is_signed_or_padded_integer(tb) {
                        &rules::TIME_NOT_PLAIN_DIGITS
                    } else {
                        &rules::TIME_NOT_EPOCH
                    };
                    self.note_at(
                        rec,
                        Finding::new(rule, pos).field(tf).fault(fault),
                        Some(tb),
                    );
                    self.example(0, rec, tf, tb);
                    parse_rule = Some(rule);
                }
            }
        }

        // Dimensions.
        let mut dims_hash: u64 = SEED;
        let mut dims_size: u32 = 0;
        let mut present = 0u32;
        for (i, d) in plan.dims.iter().enumerate() {
            let v = rec.field(d.field as usize);
            let null = plan.is_null_dimension(v, rec.is_quoted(d.field as usize));
            if null || (d.required && v.is_empty()) {
                if d.required {
                    self.note_at(
                        rec,
                        Finding::new(&rules::PARTITION_KEY_MISSING, pos).field(d.field),
                        Some(v),
                    );
                    row_rule.get_or_insert(&rules::PARTITION_KEY_MISSING);
                } else {
                    self.note_at(
                        rec,
                        Finding::new(&rules::DIMENSION_NULL, pos).field(d.field),
                        Some(v),
                    );
                }
                continue;
            }
            if !(utf8_known || valid_utf8(v)) {
                self.note_at(
                    rec,
                    Finding::new(&rules::INVALID_UTF8, pos).field(d.field),
                    Some(v),
                );
                parse_rule.get_or_insert(&rules::INVALID_UTF8);
                continue;
            }
            if v.is_empty() {
                // Empty, quoted or not: an empty string, rejected [3P].
                self.note_at(
                    rec,
                    Finding::new(&rules::DIMENSION_EMPTY, pos).field(d.field),
                    None,
                );
                row_rule.get_or_insert(&rules::DIMENSION_EMPTY);
            }
            let pair = (d.name.len() + v.len()) as u32;
            if pair > MAX_DIMENSION_PAIR_BYTES {
                self.note_at(
                    rec,
                    Finding::new(&rules::DIMENSION_TOO_LONG, pos)
                        .field(d.field)
                        .num(i64::from(pair), u64::from(MAX_DIMENSION_PAIR_BYTES)),
                    Some(v),
                );
                row_rule.get_or_insert(&rules::DIMENSION_TOO_LONG);
            }
            dims_size = dims_size.saturating_add(pair);
            present += 1;
            if plan.detect_duplicates {
                dims_hash = mix(dims_hash ^ position_salt(i as u64), hash_bytes(v));
            }
        }
        if present == 0 && parse_rule.is_none() {
            self.out
                .note(Finding::new(&rules::NO_DIMENSIONS, pos), None);
            row_rule.get_or_insert(&rules::NO_DIMENSIONS);
        }
        if plan.required_unmapped {
            self.out
                .note(Finding::new(&rules::PARTITION_KEY_MISSING, pos), None);
            row_rule.get_or_insert(&rules::PARTITION_KEY_MISSING);
        }

        // Measure name and the records it selects.
        let mut name: &[u8] = &[];
        let specs: &'p [u32] = match plan.name_field {
            None => &plan.all_specs,
            Some(nf) => {
                let v = rec.field(nf as usize);
                if v.is_empty() || plan.is_null(v, rec.is_quoted(nf as usize)) {
                    self.note_at(
                        rec,
                        Finding::new(&rules::MEASURE_NAME_NULL, pos).field(nf),
                        Some(v),
                    );
                    row_rule.get_or_insert(&rules::MEASURE_NAME_NULL);
                } else if !(utf8_known || valid_utf8(v)) {
                    self.note_at(
                        rec,
                        Finding::new(&rules::INVALID_UTF8, pos).field(nf),
                        Some(v),
                    );
                    parse_rule.get_or_insert(&rules::INVALID_UTF8);
                } else {
                    name = v;
                    if v.len() as u32 > MAX_MEASURE_NAME_BYTES {
                        self.note_at(
                            rec,
                            Finding::new(&rules::MEASURE_NAME_TOO_LONG, pos)
                                .field(nf)
                                .num(v.len() as i64, u64::from(MAX_MEASURE_NAME_BYTES)),
                            Some(v),
                        );
                        row_rule.get_or_insert(&rules::MEASURE_NAME_TOO_LONG);
                    }
                    // The naming rules the task's fixed names get (spec
                    // §4.3), for names read from the data.
                    let rule = match tsload_model::check::reserved_name(v, false) {
                        Some((rule, _)) if rule == &tsload_model::rules::MEASURE_VALUE_PREFIX => {
                            Some(&rules::MEASURE_NAME_VALUE_PREFIX)
                        }
                        Some(_) => Some(&rules::MEASURE_NAME_RESERVED),
                        None if plan.dims.iter().any(|d| d.name.as_bytes() == v) => {
                            Some(&rules::MEASURE_NAME_IS_DIMENSION)
                        }
                        None => None,
                    };
                    if let Some(rule) = rule {
                        self.note_at(rec, Finding::new(rule, pos).field(nf), Some(v));
                        row_rule.get_or_insert(rule);
                    }
                }
                if let Some(s) = plan.specs_for(name) {
                    s
                } else {
                    if !name.is_empty() {
                        self.note_at(
                            rec,
                            Finding::new(&rules::MEASURE_NAME_UNMATCHED, pos).field(nf),
                            Some(v),
                        );
                        row_rule.get_or_insert(&rules::MEASURE_NAME_UNMATCHED);
                    }
                    &[]
                }
            }
        };

        // Values of the selected records.
        for &s in specs {
            for si in plan.specs[s as usize].slots.clone() {
                self.cells[si as usize] = match self.parse_slot(si as usize, rec) {
                    Ok(c) => c,
                    Err(rule) => {
                        parse_rule.get_or_insert(rule);
                        Cell::default()
                    }
                };
            }
        }
        if let Some(rule) = parse_rule {
            // The line goes under the row's first parse problem.
            return self.parse_failed(rec, rule);
        }

        // Records.
        let mut ingested = 0u32;
        let mut failed = 0u32;
        for &s in specs {
            let spec = &plan.specs[s as usize];
            let name_len = spec.measure_name.as_ref().map_or(name.len(), String::len) as u32;
            let mut size = 8 + dims_size + name_len;
            let mut count = 0u32;
            let mut limit: Option<&'static Rule> = None;
            let mut vh: u64 = SEED;
            for si in spec.slots.clone() {
                let c = self.cells[si as usize];
                if c.state != OK {
                    continue;
                }
                count += 1;
                size = size.saturating_add(c.size);
                if spec.multi {
                    size = size.saturating_add(plan.slots[si as usize].name.len() as u32);
                }
                limit = limit.or(c.limit);
                vh = mix(vh ^ position_salt(u64::from(si)), c.hash);
            }
            if count == 0 && !spec.multi {
                // A null scalar measure writes no record [INF].
                self.status[s as usize] = SPEC_SKIPPED;
                continue;
            }
            let mut rule = row_rule;
            if count == 0 {
                self.out
                    .note(Finding::new(&rules::NO_MEASURES, pos).spec(s), None);
                rule.get_or_insert(&rules::NO_MEASURES);
            }
            if let Some(l) = limit {
                rule.get_or_insert(l);
            }
            if count > MAX_MEASURES {
                self.out.note(
                    Finding::new(&rules::TOO_MANY_MEASURES, pos)
                        .spec(s)
                        .num(i64::from(count), u64::from(MAX_MEASURES)),
                    None,
                );
                rule.get_or_insert(&rules::TOO_MANY_MEASURES);
            }
            if size > MAX_RECORD_BYTES {
                self.out.note(
                    Finding::new(&rules::RECORD_TOO_LARGE, pos)
                        .spec(s)
                        .num(i64::from(size), u64::from(MAX_RECORD_BYTES)),
                    None,
                );
                rule.get_or_insert(&rules::RECORD_TOO_LARGE);
            }
            if let Some(r) = rule {
                failed += 1;
                self.status[s as usize] = SPEC_FAILED;
                self.out.fail_lines(rec, r);
            } else {
                ingested += 1;
                self.status[s as usize] = SPEC_OK;
                self.out.record_bytes += u64::from(size);
                if plan.detect_duplicates {
                    let name_hash = match spec.measure_name {
                        Some(_) => spec.name_hash,
                        None => hash_bytes(name),
                    };
                    let key = mix(mix(dims_hash, time_ns as u64), name_hash);
                    self.out.dups.push(DupEntry {
                        key,
                        time: time_ns,
                        value: mix(vh, u64::from(count)),
                        pos,
                    });
                }
            }
        }
        if ingested + failed == 0 {
            // Nothing to write: the row fails as one record [INF].
            let rule = if let Some(r) = row_rule {
                r
            } else {
                self.out.note(Finding::new(&rules::NO_MEASURES, pos), None);
                &rules::NO_MEASURES
            };
            failed = 1;
            self.out.fail_lines(rec, rule);
        }
        self.out.records_ok += u64::from(ingested);
        self.out.records_failed += u64::from(failed);

        if let Some(sink) = build
            && ingested > 0
        {
            for &s in specs {
                if self.status[s as usize] == SPEC_OK {
                    sink.record(&RecordView {
                        plan,
                        rec,
                        spec: s,
                        time_ns,
                        name,
                        parsed: None,
                    });
                }
            }
        }
        RowOutcome::Records { ingested, failed }
    }

    /// Counts a row the fast path found plain, exactly as the general path
    /// would have.
    #[inline]
    fn commit_plain<S: RecordSink + ?Sized>(
        &mut self,
        rec: &Record<'_>,
        fast: &FastPlan,
        plain: &Plain,
        build: Option<&mut S>,
    ) -> RowOutcome {
        let plan = self.plan;
        let out = &mut self.out;
        let pos = rec.position();
        out.rows += 1;
        out.fast_rows += 1;
        self.plain_rows += 1;
        let d = plain.digits;
        if out.time_digits[d] == 0 {
            out.time_first[d] = Some((pos, plain.time_ns / plan.time_unit.nanos()));
        }
        out.time_digits[d] += 1;
        for (spec, made) in fast.specs.iter().zip(&self.made) {
            out.record_bytes += u64::from(made.size);
            if plain.hashed {
                out.dups.push(DupEntry {
                    key: FastPlan::key(plain, spec),
                    time: plain.time_ns,
                    value: made.values_hash,
                    pos,
                });
            } else if plan.detect_duplicates {
                out.untracked += 1;
            }
        }
        let n = fast.specs.len() as u32;
        out.records_ok += u64::from(n);
        if let Some(sink) = build {
            for spec in &fast.specs {
                sink.record(&RecordView {
                    plan,
                    rec,
                    spec: spec.index,
                    time_ns: plain.time_ns,
                    name: &[],
                    parsed: Some(&self.parsed),
                });
            }
        }
        RowOutcome::Records {
            ingested: n,
            failed: 0,
        }
    }

    /// Converts one value cell, noting its problems.
    #[inline]
    fn parse_slot(&mut self, si: usize, rec: &Record<'_>) -> Result<Cell, &'static Rule> {
        let plan = self.plan;
        let slot = &plan.slots[si];
        let b = rec.field(slot.field as usize);
        if let Some(kind) = plan.nulls.classify(b, rec.is_quoted(slot.field as usize)) {
            if kind == NullKind::Empty {
                // An empty field read as null: undocumented, so said [INF].
                self.note_at(
                    rec,
                    Finding::new(&tsload_csv::rules::EMPTY_FIELD_NULL, rec.position())
                        .field(slot.field)
                        .slot(si),
                    None,
                );
            }
            return Ok(Cell::default());
        }
        self.out.stats[si + 1].nonnull += 1;
        type Parsed = Result<(u32, u64, Option<&'static Rule>), (&'static Rule, Option<Fault>)>;
        let parsed: Parsed = match slot.ty {
            ScalarType::Double => match value::parse_double(b) {
                Ok(v) => Ok((8, if v == 0.0 { 0 } else { v.to_bits() }, None)),
                Err(f @ (Fault::NaN | Fault::Infinite | Fault::Overflow)) => {
                    Err((&rules::DOUBLE_NOT_FINITE, Some(f)))
                }
                Err(f) => Err((&rules::DOUBLE_INVALID, Some(f))),
            },
            ScalarType::Bigint => match value::parse_bigint(b) {
                Ok(v) => Ok((8, v as u64, None)),
                Err(Fault::Overflow) => Err((&rules::BIGINT_OUT_OF_RANGE, Some(Fault::Overflow))),
                Err(f) => Err((&rules::BIGINT_INVALID, Some(f))),
            },
            ScalarType::Boolean => match value::parse_boolean(b) {
                Ok((v, spelling)) => {
                    let warn = match spelling {
                        value::Spelling::Exact => None,
                        value::Spelling::Case => Some(&rules::BOOLEAN_CASE),
                        value::Spelling::Short => Some(&rules::BOOLEAN_SHORT),
                    };
                    if let Some(rule) = warn {
                        self.note_at(
                            rec,
                            Finding::new(rule, rec.position())
                                .field(slot.field)
                                .slot(si),
                            Some(b),
                        );
                    }
                    Ok((1, u64::from(v), None))
                }
                Err(f) => Err((&rules::BOOLEAN_INVALID, Some(f))),
            },
            ScalarType::Varchar => {
                if rec.utf8_known_valid() || valid_utf8(b) {
                    let mut limit = None;
                    if b.is_empty() {
                        // A quoted `""`: an empty string, not a value.
                        self.note_at(
                            rec,
                            Finding::new(&rules::VARCHAR_EMPTY, rec.position())
                                .field(slot.field)
                                .slot(si),
                            None,
                        );
                        limit = Some(&rules::VARCHAR_EMPTY);
                    } else if b.len() > MAX_VARCHAR_BYTES as usize {
                        limit = Some(&rules::VARCHAR_TOO_LONG);
                        self.note_at(
                            rec,
                            Finding::new(&rules::VARCHAR_TOO_LONG, rec.position())
                                .field(slot.field)
                                .slot(si)
                                .num(b.len() as i64, u64::from(MAX_VARCHAR_BYTES)),
                            Some(b),
                        );
                    }
                    let hash = if plan.detect_duplicates {
                        hash_bytes(b)
                    } else {
                        0
                    };
                    Ok((b.len() as u32, hash, limit))
                } else {
                    Err((&rules::INVALID_UTF8, None))
                }
            }
            ScalarType::Timestamp => match value::parse_epoch(b, plan.time_unit.nanos()) {
                Ok((ns, _)) => Ok((8, ns as u64, None)),
                Err(f) => Err((&rules::TIMESTAMP_INVALID, Some(f))),
            },
        };
        match parsed {
            Ok((size, hash, limit)) => {
                self.out.stats[si + 1].ok += 1;
                Ok(Cell {
                    state: OK,
                    limit,
                    size,
                    hash,
                })
            }
            Err((rule, fault)) => {
                let mut f = Finding::new(rule, rec.position())
                    .field(slot.field)
                    .slot(si)
                    .spec(slot.spec);
                f.fault = fault;
                self.note_at(rec, f, Some(b));
                self.example(si + 1, rec, slot.field, b);
                Err(rule)
            }
        }
    }
}
