//! The validation pipeline: every input through the CSV reader and the
//! mapper, in parallel within a file, into per-file results and the task's
//! predicted `ProgressReport`; optionally the records, to an emitter.
//!
//! Files are read one after the other, each by all worker threads (chunks of
//! one file are parsed in parallel by tsload-csv; the outcomes come back in
//! file order). A file that fails as a whole (unreadable, byte order mark,
//! no header, a mapped column missing) counts one `FileFailures` and no rows,
//! as the service would count it [INF: §2.4].

use std::io::{self, Read};
use std::ops::ControlFlow;
use std::sync::Arc;

use tsload_csv::{ChunkSink, CsvReader, HeaderOutcome, ReadAt, ReadOptions, Record};
use tsload_mapper::{
    CheckContext, ChunkChecker, ChunkOutcome, DupHorizon, DuplicateStats, Duplicates, FileMerger,
    FileResult, Plan, ReasonLines, RuleCount, TaskTotals,
};
use tsload_model::diag::{Diagnostic, Location};
use tsload_model::effective::{CsvDialect, DataModel};

use crate::emit::{Batch, EmitError, Encoding, Layout, RecordWriter};
use crate::input::Input;
use crate::progress::Progress;
use crate::rules;

/// Opens inputs for reading.
pub trait Opener: Sync {
    /// A reader over the input's bytes.
    fn open(&self, input: &Input) -> io::Result<Box<dyn Read + Send>>;

    /// The input as a file that can be read at any offset, when it is one
    /// (a regular local file): with more than one thread, each worker then
    /// reads its own chunks ([`CsvReader::with_read_at`]). `None` (the
    /// default): read the stream of [`Opener::open`].
    fn open_at(&self, input: &Input) -> io::Result<Option<Arc<dyn ReadAt>>> {
        let _ = input;
        Ok(None)
    }
}

/// Opens local files and standard input.
#[derive(Debug, Default, Clone, Copy)]
pub struct LocalOpener;

impl Opener for LocalOpener {
    fn open(&self, input: &Input) -> io::Result<Box<dyn Read + Send>> {
        match input {
            Input::File { path, .. } => Ok(Box::new(std::fs::File::open(path)?)),
            Input::Stdin => Ok(Box::new(io::stdin())),
            Input::S3 { .. } => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "S3 inputs need an S3 opener",
            )),
        }
    }

    fn open_at(&self, input: &Input) -> io::Result<Option<Arc<dyn ReadAt>>> {
        match input {
            // Only regular files: a named pipe must not be opened twice.
            Input::File { path, .. } if std::fs::metadata(path)?.is_file() => {
                Ok(Some(Arc::new(std::fs::File::open(path)?)))
            }
            _ => Ok(None),
        }
    }
}

/// How to run a validation.
#[derive(Debug, Clone)]
pub struct Options {
    /// Worker threads (≥ 1).
    pub threads: usize,
    /// Only the first N data rows of each file.
    pub sample_rows: Option<u64>,
    /// What the mapper checks against (window, caps, record version).
    pub context: CheckContext,
    /// Reader tuning (its `threads` is overridden by [`Options::threads`]).
    pub read: ReadOptions,
    /// Distinct keys remembered for duplicate detection (0 disables it,
    /// whatever `context.detect_duplicates` says).
    pub duplicate_keys: usize,
}

impl Default for Options {
    fn default() -> Self {
        // A 2 MiB window in chunks of 256 KiB (the reader's defaults are 4
        // MiB and 512 KiB): with the duplicate table (13 MiB) and the
        // binary's own pages (about 8 MiB), the run stays under 32 MiB of
        // RSS; with two threads each worker still gets four chunks a window.
        let read = ReadOptions {
            window_bytes: 2 << 20,
            chunk_bytes: 256 << 10,
            ..ReadOptions::default()
        };
        Self {
            threads: read.threads,
            sample_rows: None,
            context: CheckContext::default(),
            read,
            duplicate_keys: tsload_mapper::DEFAULT_DUPLICATE_KEYS,
        }
    }
}

/// One input's outcome.
#[derive(Debug, Clone)]
pub struct FileOutcome {
    /// The input.
    pub input: Input,
    /// Bytes read.
    pub bytes: u64,
    /// The mapper's result: counters, diagnostics, failed line ranges.
    pub result: FileResult,
    /// Whether `--sample` stopped reading before the end.
    pub sampled: bool,
}

/// A whole run.
#[derive(Debug, Clone)]
pub struct Validation {
    /// Per input, in input order.
    pub files: Vec<FileOutcome>,
    /// The task's predicted counters and per-rule counts.
    pub totals: TaskTotals,
    /// Load-wide duplicate detection.
    pub duplicates: DuplicateStats,
    /// Records written to the emitter, if one was given.
    pub emitted: Option<u64>,
}

/// A failure that stops the run (exit code 2). Problems of single inputs
/// are file failures inside [`Validation`] instead.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The emitted records could not be written.
    #[error(transparent)]
    Emit(#[from] EmitError),
    /// The worker threads could not be started.
    #[error("cannot start worker threads: {0}")]
    Threads(#[from] rayon::ThreadPoolBuildError),
    /// The dialect cannot be read (the task checks explain why).
    #[error("cannot read this CSV dialect: {0}")]
    Dialect(#[from] tsload_csv::DialectError),
}

/// The sink of one chunk: the mapper's checker, plus the chunk's records
/// in the emitter's layout when they are emitted (filled here, on the
/// worker thread; written in input order by the consumer).
struct Sink<'p> {
    checker: ChunkChecker<'p>,
    records: Option<Batch>,
}

impl ChunkSink for Sink<'_> {
    type Output = (ChunkOutcome, Option<Batch>);

    #[inline]
    fn record(&mut self, record: &Record<'_>) {
        match &mut self.records {
            None => {
                self.checker.check_row(record);
            }
            Some(batch) => {
                batch.add(&mut self.checker, record);
            }
        }
    }

    fn finish(self) -> Self::Output {
        (self.checker.finish(), self.records)
    }
}

/// The layout of one file's records for the emitter, if there is one.
fn layout_of(encoding: Option<&Encoding>, plan: &Plan) -> Result<Option<Layout>, EmitError> {
    encoding.map(|e| e.layout(plan)).transpose()
}

/// Sends a chunk's records to the emitter, if there is one.
fn emit_batch(
    emit: Option<&mut (dyn RecordWriter + '_)>,
    batch: Option<Batch>,
    base_line: u64,
) -> Result<(), EmitError> {
    match (emit, batch) {
        (Some(w), Some(mut b)) => {
            b.rebase(base_line);
            w.write_batch(b)
        }
        _ => Ok(()),
    }
}

/// Rows of `--sample` checked before their records go to the emitter.
const SAMPLE_BATCH_ROWS: u64 = 4096;

/// Reasons of file failures found by the reader, for the error report.
fn file_failure_reason(rule: &tsload_model::Rule) -> &'static str {
    use tsload_csv::rules as c;
    if std::ptr::eq(rule, &raw const c::UTF8_BOM)
        || std::ptr::eq(rule, &raw const c::UTF16_UTF32_BOM)
    {
        "The file starts with a byte order mark (BOM); batch load expects UTF-8 without one."
    } else if std::ptr::eq(rule, &raw const c::EMPTY_INPUT) {
        "The file is empty: it has no header."
    } else if std::ptr::eq(rule, &raw const c::BLANK_BEFORE_HEADER) {
        "The first line of the file, read as the header, is blank."
    } else {
        "The file could not be read."
    }
}

/// Runs the validation.
pub struct Pipeline<'a> {
    model: &'a DataModel,
    dialect: &'a CsvDialect,
    options: Options,
    pool: Arc<rayon::ThreadPool>,
}

impl<'a> Pipeline<'a> {
    /// A pipeline for `model` in `dialect`.
    pub fn new(
        model: &'a DataModel,
        dialect: &'a CsvDialect,
        mut options: Options,
    ) -> Result<Self, PipelineError> {
        // No table, no duplicate detection: the checkers need not compute
        // keys, and no record is counted untracked.
        if options.duplicate_keys == 0 {
            options.context.detect_duplicates = false;
        }
        let threads = options.threads.max(1);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("tsload-worker-{i}"))
            .build()?;
        // Reject an unreadable dialect before any input is opened.
        CsvReader::new(io::empty(), dialect, options.read.clone())?;
        Ok(Self {
            model,
            dialect,
            options,
            pool: Arc::new(pool),
        })
    }

    /// Validates `inputs` in order; records go to `emit` when given.
    ///
    /// Large inputs are read one after the other, each by all worker
    /// threads. Runs of small inputs (at most one read window each) are read
    /// side by side, one per thread, and merged in input order, so many
    /// small files keep every core busy too. Results are the same either way.
    pub fn run(
        &self,
        inputs: &[Input],
        opener: &dyn Opener,
        mut emit: Option<Box<dyn RecordWriter>>,
        progress: &dyn Progress,
    ) -> Result<Validation, PipelineError> {
        let mut dups = Duplicates::new(self.options.duplicate_keys);
        let mut totals = TaskTotals::default();
        let mut files = Vec::with_capacity(inputs.len());
        let encoding = emit.as_ref().map(|w| w.encoding());
        let horizon = dups.horizon();
        let mut i = 0;
        while i < inputs.len() {
            let group = self.small_group(&inputs[i..]);
            let outcomes = if group > 1 {
                let read: Vec<Result<ReadWhole, PipelineError>> = self.pool.install(|| {
                    use rayon::prelude::*;
                    inputs[i..i + group]
                        .par_iter()
                        .map(|input| {
                            progress.input_started(&input.name(), input.size());
                            self.read_whole(input, opener, &horizon, encoding.as_ref(), progress)
                        })
                        .collect()
                });
                let mut out = Vec::with_capacity(group);
                for (input, r) in inputs[i..i + group].iter().zip(read) {
                    out.push(Self::merge_whole(
                        input,
                        r?,
                        &mut dups,
                        emit.as_deref_mut(),
                    )?);
                    progress.input_finished(&input.name());
                }
                out
            } else {
                let input = &inputs[i];
                progress.input_started(&input.name(), input.size());
                let o = self.stream(
                    input,
                    opener,
                    &mut dups,
                    emit.as_deref_mut(),
                    encoding.as_ref(),
                    progress,
                )?;
                progress.input_finished(&input.name());
                vec![o]
            };
            for o in outcomes {
                totals.add(&o.result);
                files.push(o);
            }
            i += group;
        }
        let emitted = match emit {
            Some(w) => Some(w.finish()?),
            None => None,
        };
        Ok(Validation {
            files,
            totals,
            duplicates: dups.stats(),
            emitted,
        })
    }

    /// How many of the next inputs to read side by side: a run of small
    /// files when several threads can share them, else 1.
    fn small_group(&self, inputs: &[Input]) -> usize {
        let threads = self.options.threads.max(1);
        if threads == 1 || self.options.sample_rows.is_some() {
            return 1;
        }
        let small = |i: &Input| {
            i.size()
                .is_some_and(|s| s <= self.options.read.window_bytes as u64)
        };
        let n = inputs
            .iter()
            .take(threads * 4)
            .take_while(|i| small(i))
            .count();
        n.max(1)
    }

    /// Opens an input, reads its header and compiles its plan.
    fn open(
        &self,
        input: &Input,
        opener: &dyn Opener,
        threads: usize,
    ) -> Result<Start, PipelineError> {
        let name = input.name();
        let size = input.size().unwrap_or(0);
        let opened = opener.open_at(input).and_then(|at| match at {
            Some(at) => Ok((Box::new(io::empty()) as Box<dyn Read + Send>, Some(at))),
            None => opener.open(input).map(|s| (s, None)),
        });
        let (src, at) = match opened {
            Ok(s) => s,
            Err(e) => {
                let d = Diagnostic::new(
                    &rules::F006,
                    Location::Input,
                    format!("cannot open the input: {e}"),
                )
                .with_hint("check the path and your permissions");
                return Ok(Start::Failed(Box::new(failure(input, vec![d], size))));
            }
        };
        let mut read = self.options.read.clone();
        read.threads = threads;
        if threads == 1 {
            // One thread parses a window as one chunk: a window of a
            // chunk's size stays in the core's L2 cache while it is parsed
            // (1 MiB on the benchmark machine): 3% less CPU than 2 MiB.
            read.window_bytes = read.window_bytes.min(read.chunk_bytes);
        }
        let mut reader = CsvReader::new(src, self.dialect, read)?;
        if let Some(at) = at {
            reader = reader.with_read_at(at);
        }
        if threads > 1 {
            reader = reader.with_thread_pool(self.pool.clone());
        }
        let header = match reader.header() {
            Ok(HeaderOutcome::Header(h)) => h,
            Ok(HeaderOutcome::Empty) => {
                let d = Diagnostic::new(
                    &tsload_csv::rules::EMPTY_INPUT,
                    Location::Input,
                    "the input has no header: it is empty or holds only blank lines",
                )
                .with_hint("remove empty objects from the source prefix");
                return Ok(Start::Failed(Box::new(failure(
                    input,
                    vec![d],
                    reader.stats().bytes,
                ))));
            }
            Ok(HeaderOutcome::NotUtf8(bom)) => {
                let d = Diagnostic::new(
                    bom.rule(),
                    input_start(),
                    format!(
                        "the input starts with a {} byte order mark; batch load reads UTF-8",
                        bom.encoding()
                    ),
                )
                .with_hint("convert the file to UTF-8 without a byte order mark");
                return Ok(Start::Failed(Box::new(failure(input, vec![d], size))));
            }
            Err(e) => {
                let d = Diagnostic::new(&rules::F006, Location::Input, e.to_string());
                return Ok(Start::Failed(Box::new(failure(
                    input,
                    vec![d],
                    reader.stats().bytes,
                ))));
            }
        };
        // Duplicate header names are judged by the plan (an error for a
        // mapped column, a warning otherwise: H002/H004), not here.
        let mut notes: Vec<Diagnostic> = header
            .issues
            .iter()
            .filter(|i| !std::ptr::eq(i.rule, &raw const tsload_csv::rules::DUPLICATE_HEADER_NAME))
            .map(|i| {
                let field = i.field;
                let column = field.and_then(|f| {
                    header
                        .names
                        .get(f as usize)
                        .map(|n| tsload_model::diag::truncate_value(n))
                });
                Diagnostic::new(
                    i.rule,
                    Location::Data {
                        line: header.position.line,
                        byte: header.position.byte + u64::from(i.offset),
                        record: 0,
                        field,
                        column,
                    },
                    format!("header: {}", i.rule.summary),
                )
                .with_file(name.clone())
            })
            .collect();
        if let Some(bom) = header.bom {
            let d = Diagnostic::new(
                bom.rule(),
                input_start(),
                "the input starts with a UTF-8 byte order mark (BOM); the service fails such files",
            )
            .with_hint(
                "remove the first three bytes (`EF BB BF`), e.g. save as \"CSV UTF-8\" without BOM",
            );
            notes.insert(0, d);
            return Ok(Start::Failed(Box::new(failure(input, notes, size))));
        }
        if header.position.line > 1 {
            // The reader skipped blank lines to the first record; the
            // service would not [INF].
            let blank = header.position.line - 1;
            let d = Diagnostic::new(
                &tsload_csv::rules::BLANK_BEFORE_HEADER,
                input_start(),
                format!(
                    "the header is on line {}, after {blank} blank line{}; the service reads the first line as the header, so it would find none of the mapped columns",
                    header.position.line,
                    if blank == 1 { "" } else { "s" }
                ),
            )
            .with_hint("remove the blank lines before the header");
            notes.insert(0, d);
            return Ok(Start::Failed(Box::new(failure(input, notes, size))));
        }
        match Plan::compile(
            self.model,
            self.dialect,
            &header.names,
            &self.options.context,
        ) {
            Ok(plan) => Ok(Start::Ready(Box::new(Opened {
                reader,
                plan,
                notes,
            }))),
            Err(mut diags) => {
                diags.extend(notes);
                Ok(Start::Failed(Box::new(failure(input, diags, size))))
            }
        }
    }

    /// Reads a large input with every thread, merging chunks as they come.
    fn stream(
        &self,
        input: &Input,
        opener: &dyn Opener,
        dups: &mut Duplicates,
        mut emit: Option<&mut (dyn RecordWriter + '_)>,
        encoding: Option<&Encoding>,
        progress: &dyn Progress,
    ) -> Result<FileOutcome, PipelineError> {
        let Opened {
            mut reader,
            plan,
            mut notes,
        } = match self.open(input, opener, self.options.threads.max(1))? {
            Start::Ready(o) => *o,
            Start::Failed(f) => return Ok(*f),
        };
        let layout = layout_of(encoding, &plan)?;
        let horizon = dups.horizon();
        let mut merger = FileMerger::new(&plan, input.name(), dups);
        let mut emit_error: Option<EmitError> = None;
        let mut sampled = false;
        let stats = if let Some(limit) = self.options.sample_rows {
            let mut checker = ChunkChecker::new(&plan);
            let sample_rows = SAMPLE_BATCH_ROWS as usize;
            let mut batch = layout.as_ref().map(|l| l.batch(sample_rows));
            let mut rows = 0u64;
            let mut stopped = None;
            loop {
                if rows >= limit {
                    sampled = true;
                    break;
                }
                let rec = match reader.read_record() {
                    Ok(Some(r)) => r,
                    Ok(None) => break,
                    Err(e) => {
                        stopped = Some(e);
                        break;
                    }
                };
                match &mut batch {
                    Some(b) => {
                        b.add(&mut checker, &rec);
                    }
                    None => {
                        checker.check_row(&rec);
                    }
                }
                rows += 1;
                if rows.is_multiple_of(SAMPLE_BATCH_ROWS)
                    && let Some(l) = &layout
                    && emit_error.is_none()
                {
                    let full = batch.replace(l.batch(sample_rows));
                    if let Err(e) = emit_batch(emit.as_deref_mut(), full, 0) {
                        emit_error = Some(e);
                    }
                }
            }
            merger.push(checker.finish(), tsload_csv::Position::default());
            if emit_error.is_none()
                && let Err(e) = emit_batch(emit.as_deref_mut(), batch, 0)
            {
                emit_error = Some(e);
            }
            progress.advance(reader.stats().bytes, rows);
            if let Some(e) = stopped {
                notes.push(
                    Diagnostic::new(&rules::F006, Location::Input, e.to_string())
                        .with_file(input.name()),
                );
            }
            Ok(reader.stats())
        } else {
            // Room for the duplicate keys of rows of 100 bytes or more (the
            // benchmark's are 109): reserved per chunk, and up to two
            // windows of chunks are alive, so an over-reservation shows in
            // the peak RSS. Shorter rows grow the buffer once per chunk.
            let rows_hint = self.options.read.chunk_bytes / 100;
            reader.run(
                || Sink {
                    checker: ChunkChecker::with_capacity(&plan, rows_hint)
                        .with_horizon(Arc::clone(&horizon)),
                    records: layout.as_ref().map(|l| l.batch(rows_hint)),
                },
                |done| {
                    let (outcome, batch) = done.output;
                    merger.push(outcome, done.base);
                    progress.advance(done.stats.bytes, done.stats.records);
                    if let Err(e) = emit_batch(emit.as_deref_mut(), batch, done.base.line) {
                        emit_error = Some(e);
                        return ControlFlow::Break(());
                    }
                    ControlFlow::Continue(())
                },
            )
        };
        if let Some(e) = emit_error {
            return Err(e.into());
        }
        Ok(conclude(input, merger, stats, notes, sampled))
    }

    /// Reads a small input on the current thread, keeping its chunk
    /// outcomes for [`Pipeline::merge_whole`].
    fn read_whole(
        &self,
        input: &Input,
        opener: &dyn Opener,
        horizon: &Arc<DupHorizon>,
        encoding: Option<&Encoding>,
        progress: &dyn Progress,
    ) -> Result<ReadWhole, PipelineError> {
        let Opened {
            mut reader,
            plan,
            notes,
        } = match self.open(input, opener, 1)? {
            Start::Ready(o) => *o,
            Start::Failed(f) => return Ok(ReadWhole::Failed(f)),
        };
        let layout = layout_of(encoding, &plan)?;
        let rows_hint = self.options.read.chunk_bytes / 100;
        let mut chunks = Vec::new();
        let stats = reader.run(
            || Sink {
                checker: ChunkChecker::new(&plan).with_horizon(Arc::clone(horizon)),
                records: layout.as_ref().map(|l| l.batch(rows_hint)),
            },
            |done| {
                let (outcome, batch) = done.output;
                progress.advance(done.stats.bytes, done.stats.records);
                chunks.push((outcome, done.base, batch));
                ControlFlow::Continue(())
            },
        );
        Ok(ReadWhole::Whole(Box::new(Whole {
            plan,
            notes,
            chunks,
            stats,
        })))
    }

    /// Merges an input read by [`Pipeline::read_whole`], in input order.
    fn merge_whole(
        input: &Input,
        read: ReadWhole,
        dups: &mut Duplicates,
        mut emit: Option<&mut (dyn RecordWriter + '_)>,
    ) -> Result<FileOutcome, PipelineError> {
        let whole = match read {
            ReadWhole::Failed(f) => return Ok(*f),
            ReadWhole::Whole(w) => *w,
        };
        let mut merger = FileMerger::new(&whole.plan, input.name(), dups);
        for (outcome, base, batch) in whole.chunks {
            merger.push(outcome, base);
            emit_batch(emit.as_deref_mut(), batch, base.line)?;
        }
        Ok(conclude(input, merger, whole.stats, whole.notes, false))
    }
}

/// An input ready to be read.
struct Opened {
    reader: CsvReader<Box<dyn io::Read + Send>>,
    plan: Plan,
    /// Findings of the header, reported before the rows'.
    notes: Vec<Diagnostic>,
}

/// What opening an input gave.
enum Start {
    Ready(Box<Opened>),
    Failed(Box<FileOutcome>),
}

/// A small input read whole, before merging.
struct Whole {
    plan: Plan,
    notes: Vec<Diagnostic>,
    chunks: Vec<(ChunkOutcome, tsload_csv::Position, Option<Batch>)>,
    stats: Result<tsload_csv::ReadStats, tsload_csv::ReadError>,
}

/// What reading a small input gave.
enum ReadWhole {
    Whole(Box<Whole>),
    Failed(Box<FileOutcome>),
}

/// A file that fails as a whole: `FileFailures` = 1, no rows.
/// The start of an input: line 1, byte 0, the header's record (a byte
/// order mark, blank lines before the header).
fn input_start() -> Location {
    Location::Data {
        line: 1,
        byte: 0,
        record: 0,
        field: None,
        column: None,
    }
}

fn failure(input: &Input, diags: Vec<Diagnostic>, bytes: u64) -> FileOutcome {
    let mut result = FileResult::file_failure(input.name(), diags, bytes);
    // Reader errors get the reader's own reasons in the report (warnings
    // give none, as everywhere else).
    for d in &result.diagnostics {
        if d.is_error() && (d.rule.code.starts_with('C') || d.rule.code.starts_with('F')) {
            result
                .errors
                .retain(|e| e.reason != tsload_mapper::rules::FRAMING_REASON);
            let reason = file_failure_reason(d.rule);
            if !result.errors.iter().any(|e| e.reason == reason) {
                result.errors.push(ReasonLines {
                    reason,
                    line_ranges: vec![[1, 1]],
                    truncated: false,
                });
            }
        }
    }
    FileOutcome {
        input: input.clone(),
        bytes,
        result,
        sampled: false,
    }
}

/// Ends a file whose rows were merged: header notes first, then a read
/// error (a file failure) or the blank-line note.
fn conclude(
    input: &Input,
    merger: FileMerger<'_>,
    stats: Result<tsload_csv::ReadStats, tsload_csv::ReadError>,
    mut notes: Vec<Diagnostic>,
    sampled: bool,
) -> FileOutcome {
    let name = input.name();
    let stats = match stats {
        Ok(s) => s,
        Err(e) => {
            // A read error in the middle of the input: the file fails.
            let d = Diagnostic::new(
                &rules::F006,
                Location::Input,
                format!("reading stopped: {e}"),
            )
            .with_hint("check the input is readable to its end");
            return failure(input, vec![d], input.size().unwrap_or(0));
        }
    };
    let bytes = stats.bytes;
    let mut result = merger.finish(input.size().unwrap_or(bytes));
    if stats.blank_lines > 0 {
        let line = stats.first_blank_line.unwrap_or(0);
        notes.push(
            Diagnostic::new(
                &tsload_csv::rules::BLANK_LINES,
                Location::Data {
                    line,
                    byte: 0,
                    record: 0,
                    field: None,
                    column: None,
                },
                format!(
                    "{} blank line(s) skipped; the first at line {line}",
                    stats.blank_lines
                ),
            )
            .with_file(name)
            .with_hint("remove blank lines; the service's handling of them is undocumented"),
        );
    }
    for d in &notes {
        bump(&mut result.rule_counts, d.rule);
    }
    result.diagnostics.splice(0..0, notes);
    result.rule_counts.sort_by_key(|c| c.rule.code);
    FileOutcome {
        input: input.clone(),
        bytes,
        result,
        sampled,
    }
}

fn bump(counts: &mut Vec<RuleCount>, rule: &'static tsload_model::Rule) {
    match counts.iter_mut().find(|c| std::ptr::eq(c.rule, rule)) {
        Some(c) => c.count += 1,
        None => counts.push(RuleCount { rule, count: 1 }),
    }
}
