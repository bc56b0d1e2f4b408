//! Merging chunk outcomes, in file order, into a file's result; files into
//! the task's totals; duplicate detection across the whole load.

use std::ops::AddAssign;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use serde::Serialize;
use tsload_csv::record::Position;
use tsload_model::diag::{ColumnNo, Diagnostic, Location, Rule};

use crate::check::{ChunkOutcome, ColStat, DIGIT_BUCKETS, Finding, ReasonRanges, add_range};
use crate::plan::{Plan, Window};
use crate::render::{self, unit_for_digits};
use crate::rules::{self, service_reason};
use crate::value::format_ns;

/// The service's `ProgressReport` counters, as this tool predicts them.
///
/// Counting \[INF, batchload-spec §6.2, §10 item 12\]:
/// - `RecordsProcessed`: data rows read, failed or not (not records: the
///   CLI example counts 2 rows as 2);
/// - `ParseFailures`: rows that cannot be converted (one per row, however
///   many of its values are bad);
/// - `RecordsIngested` and `RecordIngestionFailures`: **records**, so in
///   `MixedMeasureMappings` a row that yields three records adds three; a
///   row that yields no record at all (every measure null, measure name
///   null or unmatched) adds one failure;
/// - `FileFailures`: files that fail as a whole (header problems);
/// - `BytesMetered`: an **estimate**, see [`bytes_metered_estimate`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Counters {
    /// Data rows read.
    pub records_processed: u64,
    /// Records that would be written.
    pub records_ingested: u64,
    /// Rows that cannot be converted.
    pub parse_failures: u64,
    /// Records the service would reject.
    pub record_ingestion_failures: u64,
    /// Files that fail as a whole.
    pub file_failures: u64,
    /// Estimated billable bytes (see [`bytes_metered_estimate`]).
    pub bytes_metered: u64,
}

impl AddAssign for Counters {
    fn add_assign(&mut self, o: Self) {
        self.records_processed += o.records_processed;
        self.records_ingested += o.records_ingested;
        self.parse_failures += o.parse_failures;
        self.record_ingestion_failures += o.record_ingestion_failures;
        self.file_failures += o.file_failures;
        self.bytes_metered += o.bytes_metered;
    }
}

/// Our estimate of `BytesMetered` for one file \[INF; undocumented, §6.2\]:
/// the file's size in bytes, rounded up to a whole KiB when at least one
/// record is ingested. It matches the only two published values (119 for a
/// two-row task whose records all failed; 1024 for the same two rows
/// ingested) and the best-practices page's "charged for any data submitted
/// … regardless of correctness". Do not rely on it.
pub fn bytes_metered_estimate(input_bytes: u64, records_ingested: u64) -> u64 {
    if records_ingested > 0 {
        input_bytes.div_ceil(1024) * 1024
    } else {
        input_bytes
    }
}

/// How often a rule fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RuleCount {
    /// The rule (serialised as its code).
    #[serde(rename = "code")]
    pub rule: &'static Rule,
    /// Findings (not rows: a row with two bad values counts two).
    pub count: u64,
}

/// Failed rows of a file under one reason: an entry of the service
/// report's `fileErrors[].errors[]` (§6.1), with inclusive 1-based
/// physical line ranges (header = line 1) \[INF\].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReasonLines {
    /// The service-style reason ([`rules::service_reason`]).
    pub reason: &'static str,
    /// `[first, last]` lines, coalesced, in file order.
    pub line_ranges: Vec<[u64; 2]>,
    /// More ranges existed than `CheckContext::max_line_ranges`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

/// What duplicate detection saw, load-wide.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DuplicateStats {
    /// Distinct keys the table can hold.
    pub capacity: usize,
    /// Distinct keys held.
    pub tracked_keys: usize,
    /// Records whose key arrived after the table was full: they were
    /// compared with the tracked keys but not remembered, so a duplicate
    /// pair of two such records is missed.
    pub untracked_records: u64,
    /// Records that repeat an earlier key with different values (`R050`).
    pub conflicting: u64,
    /// Records that repeat an earlier key with the same values (expected to
    /// be accepted as no-op rewrites \[INF\]; not reported as findings).
    pub identical: u64,
}

impl DuplicateStats {
    /// Whether the table filled up, so detection was partial.
    pub fn saturated(&self) -> bool {
        self.untracked_records > 0
    }
}

/// Load-wide duplicate detection (§5): remembers, for up to `capacity`
/// distinct keys (64-bit hashes of dimensions + time + measure name), the
/// hash of the values and where the key was first seen.
///
/// Memory is fixed and small: one open-addressing table (linear probing)
/// of 24-byte slots, a power of two at least `capacity * 4 / 3` (at 3/4 full
/// a miss reads one or two groups of four), allocated
/// zeroed once (pages are backed as they are touched), plus a 16-bit tag
/// per slot that probes read first, four at a time in one word (SWAR, like
/// hashbrown's portable groups), so that a lookup of a new key touches the
/// 1 MiB of tags rather than the 12 MiB of slots (a false tag match, which
/// costs a slot read, is 1 in 32,768), with few branches. The default
/// [`DEFAULT_DUPLICATE_KEYS`] (393,216 keys) is a table of 2^19 slots,
/// 13 MiB with the tags, so that a run stays within 32 MiB of RSS whatever
/// the input size. Past the capacity, new keys are only compared with the tracked
/// ones, not remembered, and [`DuplicateStats::untracked_records`] says how
/// many (the run's summary reports the saturation). Keys are 64-bit
/// hashes: two distinct keys collide with probability about n²/2⁶⁵
/// (4·10⁻⁹ for the default capacity), which would at worst report a false
/// duplicate.
///
/// Once the table is full, a record whose time lies outside the times of
/// the tracked keys cannot repeat one of them (the time is part of the
/// key), so it is counted untracked without a probe. Inputs in time order,
/// the usual export, then skip the table's cache misses altogether. (The
/// one difference a probe would make: a 64-bit collision with a tracked
/// key of another time, which would report a false duplicate, is counted
/// untracked instead.)
#[derive(Debug)]
pub struct Duplicates {
    /// `[key, value, first seen]`.
    slots: Vec<[u64; 3]>,
    /// Per slot, 0 when empty, else the key's top 16 bits with bit 0 set;
    /// four slots' tags to a word (a probe group).
    tags: Vec<u64>,
    len: usize,
    /// The earliest and latest times (ns) of the tracked keys.
    times: (i64, i64),
    /// `times`, published to the checkers once the table is full.
    horizon: Arc<DupHorizon>,
    files: Vec<String>,
    stats: DuplicateStats,
}

/// Default capacity of [`Duplicates`]: 3/4 of a 2^19-slot (12 MiB) table.
pub const DEFAULT_DUPLICATE_KEYS: usize = (1 << 19) / 4 * 3;

/// The largest capacity a command line may ask of [`Duplicates`]: a table
/// of 2^27 slots, 3.25 GiB (reserved at once, backed as keys arrive).
pub const MAX_DUPLICATE_KEYS: usize = 1 << 26;

impl Default for Duplicates {
    fn default() -> Self {
        Self::new(DEFAULT_DUPLICATE_KEYS)
    }
}

impl Duplicates {
    /// A detector remembering at most `capacity` keys (0 disables it). Its
    /// table takes 26 bytes per slot, `capacity * 4 / 3` slots rounded up
    /// to a power of two.
    pub fn new(capacity: usize) -> Self {
        let slots = if capacity == 0 {
            0
        } else {
            capacity
                .saturating_mul(4)
                .div_ceil(3)
                .next_power_of_two()
                .max(8)
        };
        Self {
            // Zeroed: `vec!` of zeros allocates with `alloc_zeroed`, so
            // untouched pages cost no memory.
            slots: vec![[0u64; 3]; slots],
            tags: vec![0u64; slots / GROUP],
            len: 0,
            times: (i64::MAX, i64::MIN),
            horizon: Arc::new(DupHorizon::default()),
            files: Vec::new(),
            stats: DuplicateStats {
                capacity,
                ..DuplicateStats::default()
            },
        }
    }

    /// What was seen so far.
    pub fn stats(&self) -> DuplicateStats {
        DuplicateStats {
            tracked_keys: self.len,
            ..self.stats
        }
    }

    /// What the checkers may know of this table: once it is full, which
    /// times can no longer meet a tracked key
    /// ([`crate::ChunkChecker::with_horizon`]).
    pub fn horizon(&self) -> Arc<DupHorizon> {
        Arc::clone(&self.horizon)
    }

    /// Counts records a checker found untrackable by the [`DupHorizon`]
    /// (they were not hashed).
    fn add_untracked(&mut self, n: u64) {
        self.stats.untracked_records += n;
    }

    fn register(&mut self, file: &str) -> u16 {
        self.files.push(file.to_owned());
        (self.files.len() - 1).min(u16::MAX as usize) as u16
    }

    /// The home slot of `key`. Keys are hashes already: mixed once more so
    /// that the bits used as the index depend on every bit.
    #[inline]
    fn home(&self, key: u64) -> usize {
        (key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 20) as usize & (self.tags.len() - 1)
    }

    /// Reads the tags of every key's home group before the keys are
    /// checked one by one: these loads are independent, so their cache
    /// misses overlap, where the probe loop's branches would take them one
    /// at a time (a chunk's few thousand groups then stay cached for
    /// [`Self::check`]).
    fn warm(&self, keys: impl Iterator<Item = (u64, i64)>) {
        if self.stats.capacity == 0 {
            return;
        }
        let mut acc = 0u64;
        for (key, time) in keys {
            if !self.untrackable(time) {
                acc ^= self.tags[self.home(key)];
            }
        }
        std::hint::black_box(acc);
    }

    /// Whether a key of `time` can be neither found nor added: the table
    /// is full and no tracked key has that time. The horizon says so: it is
    /// sealed exactly when the table fills, with the final times.
    #[inline]
    fn untrackable(&self, time: i64) -> bool {
        self.horizon.untrackable(time)
    }

    /// Checks one record; returns the first occurrence `(file, line)` when
    /// it conflicts.
    ///
    /// Probing goes group by group (four slots, their tags in one word)
    /// from the key's home group to the first group with an empty slot.
    /// Slots are never freed and a key goes to the first empty slot of
    /// that walk, so a group's occupied slots are a prefix and a tracked
    /// key is always found before the first empty slot.
    ///
    /// `time` is the key's time: equal keys have equal times.
    fn check(
        &mut self,
        file: u16,
        key: u64,
        time: i64,
        value: u64,
        line: u64,
    ) -> Option<(u64, u64)> {
        if self.stats.capacity == 0 {
            return None;
        }
        if self.untrackable(time) {
            self.stats.untracked_records += 1;
            return None;
        }
        let gmask = self.tags.len() - 1;
        let tag = (key >> 48) as u16 | 1;
        let mut g = self.home(key);
        loop {
            let word = self.tags[g];
            let empty = zero_lanes(word);
            let mut hits = zero_lanes(word ^ (u64::from(tag) * LOW_LANES));
            while hits != 0 {
                let j = g * GROUP + (hits.trailing_zeros() / 16) as usize;
                hits &= hits - 1;
                let slot = self.slots[j];
                if slot[0] != key {
                    continue;
                }
                if slot[1] == value {
                    self.stats.identical += 1;
                    return None;
                }
                self.stats.conflicting += 1;
                let at = slot[2];
                return Some((at >> 48, at & ((1 << 48) - 1)));
            }
            if empty != 0 {
                if self.len < self.stats.capacity {
                    let lane = (empty.trailing_zeros() / 16) as usize;
                    self.tags[g] |= u64::from(tag) << (16 * lane);
                    self.slots[g * GROUP + lane] = [
                        key,
                        value,
                        (u64::from(file) << 48) | (line & ((1 << 48) - 1)),
                    ];
                    self.len += 1;
                    self.times = (self.times.0.min(time), self.times.1.max(time));
                    if self.len == self.stats.capacity {
                        self.horizon.seal(self.times);
                    }
                } else {
                    self.stats.untracked_records += 1;
                }
                return None;
            }
            g = (g + 1) & gmask;
        }
    }
}

/// The times a full [`Duplicates`] table tracks, shared with the checkers
/// of the chunks still to come: a record whose time is outside them can
/// neither repeat a tracked key nor be remembered, so a checker need not
/// hash it at all. Until the table is full it says nothing; once full, the
/// table no longer changes, so a checker that sees it sealed sees the
/// final times.
#[derive(Debug, Default)]
pub struct DupHorizon {
    sealed: AtomicBool,
    lo: AtomicI64,
    hi: AtomicI64,
}

impl DupHorizon {
    fn seal(&self, (lo, hi): (i64, i64)) {
        self.lo.store(lo, Ordering::Relaxed);
        self.hi.store(hi, Ordering::Relaxed);
        self.sealed.store(true, Ordering::Release);
    }

    /// Whether a record of time `t` (ns) is sure to be untracked.
    #[inline]
    pub(crate) fn untrackable(&self, t: i64) -> bool {
        self.sealed.load(Ordering::Acquire)
            && (t < self.lo.load(Ordering::Relaxed) || t > self.hi.load(Ordering::Relaxed))
    }
}

/// Slots per group: four 16-bit tags in one `u64`.
const GROUP: usize = 4;

/// Bit 0 of each 16-bit lane.
const LOW_LANES: u64 = 0x0001_0001_0001_0001;

/// The high bit of each 16-bit lane of `x` that is zero. Exact for the
/// lowest zero lane; a lane above a zero lane may be flagged falsely, which
/// callers tolerate (a false tag match is checked against the key; the
/// lowest empty slot is exact).
#[inline]
fn zero_lanes(x: u64) -> u64 {
    x.wrapping_sub(LOW_LANES) & !x & (LOW_LANES << 15)
}

/// The result of one file.
#[derive(Debug, Clone, Serialize)]
pub struct FileResult {
    /// The file (path or S3 URL).
    pub file: String,
    /// Predicted `ProgressReport` counters of this file.
    pub counters: Counters,
    /// Per-rule counts, complete even past the diagnostics cap; by code.
    pub rule_counts: Vec<RuleCount>,
    /// Diagnostics: header findings first, then rows in file order, then
    /// file-wide heuristics. At most `max_findings` row findings.
    pub diagnostics: Vec<Diagnostic>,
    /// Row findings counted but not kept as diagnostics (over the cap).
    pub diagnostics_dropped: u64,
    /// Failed rows by reason, for the service-layout error report.
    pub errors: Vec<ReasonLines>,
    /// The window the rows were checked against; `FutureOnly` means the
    /// retention-based lower bound was **not** checked.
    pub window: Option<Window>,
    /// Sum of the §9 sizes of the records ready to be written.
    pub record_bytes: u64,
    /// Records of this file that repeat an earlier key with other values.
    pub duplicate_conflicts: u64,
}

impl FileResult {
    /// A file that failed as a whole (its header did not compile, or the
    /// reader rejected it): `FileFailures` = 1 and no rows processed \[INF\].
    pub fn file_failure(
        file: impl Into<String>,
        diagnostics: Vec<Diagnostic>,
        input_bytes: u64,
    ) -> Self {
        let file = file.into();
        let diagnostics: Vec<Diagnostic> = diagnostics
            .into_iter()
            .map(|d| d.with_file(file.clone()))
            .collect();
        let mut counts: Vec<RuleCount> = Vec::new();
        let mut errors: Vec<ReasonLines> = Vec::new();
        for d in &diagnostics {
            bump(&mut counts, d.rule, 1);
            if d.is_error()
                && let Some(reason) = service_reason(d.rule)
                && !errors.iter().any(|e| e.reason == reason)
            {
                errors.push(ReasonLines {
                    reason,
                    line_ranges: vec![[1, 1]],
                    truncated: false,
                });
            }
        }
        counts.sort_by_key(|c| c.rule.code);
        Self {
            file,
            counters: Counters {
                file_failures: 1,
                bytes_metered: bytes_metered_estimate(input_bytes, 0),
                ..Counters::default()
            },
            rule_counts: counts,
            diagnostics,
            diagnostics_dropped: 0,
            errors,
            window: None,
            record_bytes: 0,
            duplicate_conflicts: 0,
        }
    }

    /// Whether the retention-based lower bound of the window was checked.
    pub fn window_checked(&self) -> bool {
        self.window.is_some_and(|w| w.is_checked())
    }

    /// How often `rule` fired.
    pub fn count(&self, rule: &Rule) -> u64 {
        self.rule_counts
            .iter()
            .find(|c| std::ptr::eq(c.rule, rule))
            .map_or(0, |c| c.count)
    }

    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.counters.file_failures > 0
            || self.counters.parse_failures > 0
            || self.counters.record_ingestion_failures > 0
            || self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

fn bump(counts: &mut Vec<RuleCount>, rule: &'static Rule, n: u64) {
    match counts.iter_mut().find(|c| std::ptr::eq(c.rule, rule)) {
        Some(c) => c.count += n,
        None => counts.push(RuleCount { rule, count: n }),
    }
}

/// Merges a file's chunk outcomes, pushed in file order, into a
/// [`FileResult`].
///
/// ```
/// # use tsload_mapper::*;
/// # fn demo(plan: &Plan, chunks: Vec<(ChunkOutcome, tsload_csv::Position)>) {
/// let mut dups = Duplicates::default();
/// let mut merger = FileMerger::new(plan, "data.csv", &mut dups);
/// for (outcome, base) in chunks {
///     merger.push(outcome, base);
/// }
/// let result = merger.finish(4096);
/// # }
/// ```
#[derive(Debug)]
pub struct FileMerger<'a> {
    plan: &'a Plan,
    dups: &'a mut Duplicates,
    file: String,
    file_id: u16,
    counters: Counters,
    record_bytes: u64,
    rule_counts: Vec<RuleCount>,
    findings: Vec<Finding>,
    dropped: u64,
    ranges: Vec<ReasonRanges>,
    stats: Vec<ColStat>,
    time_digits: [u64; DIGIT_BUCKETS],
    time_first: [Option<(Position, i64)>; DIGIT_BUCKETS],
    conflicts: u64,
}

impl<'a> FileMerger<'a> {
    /// Starts merging `file`, checked with `plan`; duplicates are looked up
    /// in (and added to) the load-wide `dups`.
    pub fn new(plan: &'a Plan, file: impl Into<String>, dups: &'a mut Duplicates) -> Self {
        let file = file.into();
        let file_id = dups.register(&file);
        Self {
            plan,
            dups,
            file,
            file_id,
            counters: Counters::default(),
            record_bytes: 0,
            rule_counts: Vec::new(),
            findings: Vec::new(),
            dropped: 0,
            ranges: Vec::new(),
            stats: vec![ColStat::default(); plan.slots.len() + 1],
            time_digits: [0; DIGIT_BUCKETS],
            time_first: [None; DIGIT_BUCKETS],
            conflicts: 0,
        }
    }

    /// Adds the next chunk. `base` is the absolute position of the chunk's
    /// start (its relative positions are added to it); pass
    /// `Position::default()` when the rows already carried absolute
    /// positions.
    pub fn push(&mut self, o: ChunkOutcome, base: Position) {
        let cap = self.plan.max_findings;
        let range_cap = self.plan.max_line_ranges;
        self.counters.records_processed += o.rows;
        self.counters.parse_failures += o.parse_failures;
        self.counters.records_ingested += o.records_ok;
        self.counters.record_ingestion_failures += o.records_failed;
        self.record_bytes += o.record_bytes;
        for (rule, n) in o.rule_counts {
            bump(&mut self.rule_counts, rule, n);
        }
        self.dropped += o.findings_dropped;
        for rr in o.ranges {
            for [lo, hi] in rr.ranges {
                add_range(
                    &mut self.ranges,
                    rr.reason,
                    lo + base.line,
                    hi + base.line,
                    range_cap,
                );
            }
            if rr.truncated
                && let Some(mine) = self.ranges.iter_mut().find(|m| m.reason == rr.reason)
            {
                mine.truncated = true;
            }
        }
        for (mine, theirs) in self.stats.iter_mut().zip(o.stats) {
            mine.nonnull += theirs.nonnull;
            mine.ok += theirs.ok;
            if mine.example.is_none()
                && let Some((p, field, v)) = theirs.example
            {
                mine.example = Some((p.rebase(base), field, v));
            }
        }
        for d in 0..DIGIT_BUCKETS {
            self.time_digits[d] += o.time_digits[d];
            if self.time_first[d].is_none()
                && let Some((p, v)) = o.time_first[d]
            {
                self.time_first[d] = Some((p.rebase(base), v));
            }
        }
        // Duplicates are found here, not in the chunk: their findings are
        // merged by line with the chunk's row findings before the cap
        // applies, so the kept findings do not depend on the chunking.
        self.dups.add_untracked(o.untracked);
        let mut dup_findings = Vec::new();
        self.dups.warm(o.dups.iter().map(|e| (e.key, e.time)));
        for e in o.dups {
            let pos = e.pos.rebase(base);
            if let Some((file, first_line)) =
                self.dups
                    .check(self.file_id, e.key, e.time, e.value, pos.line)
            {
                self.conflicts += 1;
                bump(&mut self.rule_counts, &rules::DUPLICATE_KEY, 1);
                dup_findings.push(Finding {
                    rule: &rules::DUPLICATE_KEY,
                    pos,
                    field: None,
                    offset: 0,
                    slot: None,
                    spec: None,
                    fault: None,
                    num: first_line as i64,
                    aux: file,
                    value: None,
                });
            }
        }
        let mut rows = o.findings.into_iter().peekable();
        let mut dups = dup_findings.into_iter().peekable();
        loop {
            let take_row = match (rows.peek(), dups.peek()) {
                (None, None) => break,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (Some(r), Some(d)) => r.pos.line + base.line <= d.pos.line,
            };
            let f = if take_row {
                let mut f = rows.next().expect("peeked");
                f.pos = f.pos.rebase(base);
                f
            } else {
                dups.next().expect("peeked")
            };
            if self.findings.len() < cap {
                self.findings.push(f);
            } else {
                self.dropped += 1;
            }
        }
    }

    /// The time-unit heuristic (`R007`): most time values have the digit
    /// count typical of another unit.
    fn time_unit_warning(&self) -> Option<Diagnostic> {
        let total: u64 = self.time_digits.iter().sum();
        if total == 0 {
            return None;
        }
        let (digits, &n) = self
            .time_digits
            .iter()
            .enumerate()
            .max_by_key(|(_, n)| **n)?;
        let unit = unit_for_digits(digits)?;
        let plan = self.plan;
        if unit == plan.time_unit || n * 2 < total {
            return None;
        }
        let (pos, v) = self.time_first[digits]?;
        let as_declared = v.saturating_mul(plan.time_unit.nanos());
        let as_guess = v.saturating_mul(unit.nanos());
        let pct = n * 100 / total;
        let tf = plan.time_field;
        Some(
            Diagnostic::new(
                &rules::TIME_UNIT_SUSPECT,
                Location::Data {
                    line: pos.line,
                    byte: pos.byte,
                    record: pos.record,
                    field: Some(tf),
                    column: Some(plan.column(tf)),
                },
                format!(
                    "{pct}% of the values of time column `{}` ({}) have {digits} digits, typical of {}; read as {} (the data model's `TimeUnit`), `{v}` is {}, read as {} it is {}",
                    plan.column(tf),
                    ColumnNo(tf as usize),
                    unit.as_str(),
                    plan.time_unit.as_str(),
                    fmt_time(as_declared),
                    unit.as_str(),
                    fmt_time(as_guess),
                ),
            )
            .with_file(self.file.clone())
            .with_value(&v.to_string())
            .with_hint(format!("set `\"TimeUnit\": \"{}\"` if the values are in {}", unit.as_str(), unit.as_str().to_lowercase())),
        )
    }

    /// Ends the file. `input_bytes` is the file's size (for the
    /// `BytesMetered` estimate).
    pub fn finish(mut self, input_bytes: u64) -> FileResult {
        let plan = self.plan;
        let mut diagnostics: Vec<Diagnostic> = plan
            .diagnostics
            .iter()
            .map(|d| d.clone().with_file(self.file.clone()))
            .collect();
        for d in &plan.diagnostics {
            bump(&mut self.rule_counts, d.rule, 1);
        }
        self.findings.sort_by_key(|f| f.pos.line);
        diagnostics.extend(
            self.findings
                .iter()
                .map(|f| render::render(plan, &self.file, f, &self.dups.files)),
        );
        let mut tail = Vec::new();
        if let Some(d) = self.time_unit_warning() {
            tail.push(d);
        }
        for (i, s) in self.stats.iter().enumerate() {
            if s.ok > 0 || s.nonnull < 2 {
                continue;
            }
            let Some((pos, field, v)) = &s.example else {
                continue;
            };
            let ty = if i == 0 {
                format!("epoch integers in {}", plan.time_unit.as_str())
            } else {
                format!("{} values", plan.slots[i - 1].ty.as_str())
            };
            tail.push(
                Diagnostic::new(
                    &rules::COLUMN_NEVER_PARSES,
                    Location::Data {
                        line: pos.line,
                        byte: pos.byte,
                        record: pos.record,
                        field: Some(*field),
                        column: Some(plan.column(*field)),
                    },
                    format!(
                        "none of the {} non-empty values of column `{}` ({}) are {ty}; the first is `{v}`",
                        s.nonnull,
                        plan.column(*field),
                        ColumnNo(*field as usize)
                    ),
                )
                .with_file(self.file.clone())
                .with_value(v)
                .with_hint("check the column's `MeasureValueType` and that the header matches the data (column order, separator)"),
            );
        }
        for d in &tail {
            bump(&mut self.rule_counts, d.rule, 1);
        }
        diagnostics.extend(tail);
        self.rule_counts.sort_by_key(|c| c.rule.code);
        let mut counters = self.counters;
        counters.bytes_metered = bytes_metered_estimate(input_bytes, counters.records_ingested);
        FileResult {
            file: self.file,
            counters,
            rule_counts: self.rule_counts,
            diagnostics,
            diagnostics_dropped: self.dropped,
            errors: self
                .ranges
                .into_iter()
                .map(|r| ReasonLines {
                    reason: r.reason,
                    line_ranges: r.ranges,
                    truncated: r.truncated,
                })
                .collect(),
            window: Some(plan.window),
            record_bytes: self.record_bytes,
            duplicate_conflicts: self.conflicts,
        }
    }
}

fn fmt_time(ns: i64) -> String {
    if ns == i64::MAX {
        "past 2262".to_owned()
    } else {
        format_ns(ns)
    }
}

/// The task's totals: the sum of its files.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TaskTotals {
    /// Summed counters.
    pub counters: Counters,
    /// Summed per-rule counts, by code.
    pub rule_counts: Vec<RuleCount>,
    /// Files added.
    pub files: u64,
    /// Row findings not kept as diagnostics, over all files.
    pub diagnostics_dropped: u64,
    /// Whether every file's window had the retention-based lower bound
    /// checked (false when any file was checked without table settings).
    pub window_checked: bool,
    /// Sum of the §9 sizes of the records ready to be written.
    pub record_bytes: u64,
}

impl TaskTotals {
    /// Adds a file.
    pub fn add(&mut self, f: &FileResult) {
        self.window_checked = if self.files == 0 {
            f.window_checked() || f.window.is_none()
        } else {
            self.window_checked && (f.window_checked() || f.window.is_none())
        };
        self.files += 1;
        self.counters += f.counters;
        self.diagnostics_dropped += f.diagnostics_dropped;
        self.record_bytes += f.record_bytes;
        for c in &f.rule_counts {
            bump(&mut self.rule_counts, c.rule, c.count);
        }
        self.rule_counts.sort_by_key(|c| c.rule.code);
    }
}

#[cfg(test)]
mod table_tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::Duplicates;

    /// The reference: a `HashMap` with the same capacity rule.
    struct Reference {
        map: HashMap<u64, (u64, u64)>,
        capacity: usize,
        identical: u64,
        conflicting: u64,
        untracked: u64,
    }

    impl Reference {
        fn check(&mut self, key: u64, value: u64, at: u64) -> Option<u64> {
            if let Some(&(v, first)) = self.map.get(&key) {
                if v == value {
                    self.identical += 1;
                    return None;
                }
                self.conflicting += 1;
                return Some(first);
            }
            if self.map.len() < self.capacity {
                self.map.insert(key, (value, at));
            } else {
                self.untracked += 1;
            }
            None
        }
    }

    proptest! {
        #[test]
        fn table_agrees_with_a_hash_map(
            capacity in 1usize..300,
            shared_tag in any::<bool>(),
            in_time_order in any::<bool>(),
            ops in proptest::collection::vec((0u64..400, 0u64..3), 1..2000),
        ) {
            let mut t = Duplicates::new(capacity);
            let mut r = Reference { map: HashMap::new(), capacity, identical: 0, conflicting: 0, untracked: 0 };
            for (line, (k, v)) in ops.into_iter().enumerate() {
                // A key's time: in time order, mostly rising with the line
                // (the table's time filter skips most probes once full), or
                // shared by many keys in any order. The key is one-to-one
                // with `(k, time)`, as a real key is with its parts.
                let time = if in_time_order { k - k % 3 + line as u64 / 40 * 400 } else { k / 7 };
                let k = (time << 9) | k;
                // Keys with one top byte share their tag: the key decides.
                let key = if shared_tag { (0xAB << 56) | k } else { k.wrapping_mul(0x2545_f491_4f6c_dd1d) };
                let time = time as i64;
                let got = t.check(3, key, time, v, line as u64);
                let want = r.check(key, v, line as u64);
                prop_assert_eq!(got, want.map(|l| (3, l)));
            }
            let s = t.stats();
            prop_assert_eq!(s.tracked_keys, r.map.len());
            prop_assert_eq!((s.identical, s.conflicting, s.untracked_records), (r.identical, r.conflicting, r.untracked));
        }
    }
}
