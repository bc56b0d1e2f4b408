//! The scheduler and poll loop of an import.
//!
//! - **Creating within the limits.** Before each task of a multi-part load
//!   the active tasks are counted (`ListBatchLoadTasks` for `CREATED`,
//!   `IN_PROGRESS` and `PENDING_RESUME`, all pages; which statuses count as
//!   active is \[INF\], spec §4.1, §10 q15) against 5 per table and 10 per
//!   account \[DOC: LIMITS\]; a part waits while either is reached. A
//!   `ServiceQuotaExceeded` answer to a create is waited out the same way
//!   (a single task is created without counting first, so that only
//!   multi-part loads need `ListBatchLoadTasks`). Creates are
//!   paced at one a second (the CRUD rate [DOC: LIMITS; INF that batch-load
//!   calls count there]).
//! - **Polling.** DescribeBatchLoadTask, ListBatchLoadTasks and
//!   ResumeBatchLoadTask share one pace of at most 5 calls a second (the
//!   List/Describe rate \[DOC: LIMITS\]); each round describes every running
//!   task, then the loop sleeps [`PollOptions::interval`].
//! - **Backoff.** Throttling, 5xx and transport errors are retried after
//!   `backoff_base × 2^n` (capped at `max_backoff`, no jitter: one client,
//!   and exact delays are what the tests check), up to `max_retries` in a
//!   row; other errors end the run.
//! - **Lifecycle** (spec §6.3 \[INF\]): `CREATED`, `IN_PROGRESS` and
//!   `PENDING_RESUME` keep polling; `SUCCEEDED` and `FAILED` end a task;
//!   `PROGRESS_STOPPED` is resumed while `ResumableUntil` lies ahead (or is
//!   absent), at most `max_resumes` times, and otherwise ends the task as
//!   stopped. A `ValidationException` from ResumeBatchLoadTask means the
//!   service will not resume it \[INF; the Java sample catches it, EX\].
//!
//! Time: sleeps use tokio's clock (tests pause it), wall-clock comparisons
//! with `ResumableUntil` go through [`Clock`].

use std::collections::VecDeque;
use std::time::Duration;

use tsload_model::wire::{BatchLoadStatus, BatchLoadTaskDescription, CreateBatchLoadTaskRequest};

use super::api::{ApiError, BatchLoadApi, ErrorKind};

/// Wall-clock time, in epoch seconds.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> f64;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> f64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64())
    }
}

/// A clock that follows tokio's (paused, in tests) from an epoch origin.
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    origin: f64,
    start: tokio::time::Instant,
}

impl TokioClock {
    /// Reads `origin` now, and moves on with tokio's clock.
    pub fn new(origin: f64) -> Self {
        Self {
            origin,
            start: tokio::time::Instant::now(),
        }
    }
}

impl Clock for TokioClock {
    fn now(&self) -> f64 {
        self.origin + self.start.elapsed().as_secs_f64()
    }
}

/// Timing and behaviour of the loop.
#[derive(Debug, Clone, PartialEq)]
pub struct PollOptions {
    /// Sleep between polling rounds.
    pub interval: Duration,
    /// Least time between two List/Describe/Resume calls (200 ms: 5 a second).
    pub min_call_gap: Duration,
    /// Least time between two CreateBatchLoadTask calls (1 s).
    pub min_create_gap: Duration,
    /// First retry delay after a retryable error.
    pub backoff_base: Duration,
    /// Longest retry delay.
    pub max_backoff: Duration,
    /// Retryable errors in a row before giving up.
    pub max_retries: u32,
    /// Resume `PROGRESS_STOPPED` tasks.
    pub auto_resume: bool,
    /// Resumes per task before giving up.
    pub max_resumes: u32,
    /// Active tasks per table (5).
    pub per_table_limit: usize,
    /// Active tasks per account (10).
    pub per_account_limit: usize,
}

impl Default for PollOptions {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(5),
            min_call_gap: Duration::from_millis(200),
            min_create_gap: Duration::from_secs(1),
            backoff_base: Duration::from_secs(1),
            max_backoff: Duration::from_mins(1),
            max_retries: 10,
            auto_resume: true,
            max_resumes: 10,
            per_table_limit: 5,
            per_account_limit: 10,
        }
    }
}

/// Work for the scheduler.
#[derive(Debug, Clone, PartialEq)]
pub enum Job {
    /// Create this task (part `part` of the load), then follow it.
    Create {
        /// The part's index.
        part: usize,
        /// The request, `ClientToken` included.
        request: Box<CreateBatchLoadTaskRequest>,
    },
    /// Follow an existing task.
    Attach {
        /// The task id.
        task_id: String,
    },
}

/// What the loop is doing, for progress displays.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// A task was created (or an existing one with the same token returned).
    Created {
        /// Its part.
        part: usize,
        /// Its id.
        task_id: &'a str,
    },
    /// A part waits for the active-task limits.
    WaitingForCapacity {
        /// The part.
        part: usize,
        /// Active tasks on its table.
        table_active: usize,
        /// Active tasks in the account.
        account_active: usize,
    },
    /// A task's latest description.
    Status(&'a BatchLoadTaskDescription),
    /// A call failed and will be retried after `delay`.
    Retrying {
        /// The failure.
        error: &'a ApiError,
        /// The wait.
        delay: Duration,
    },
    /// A stopped task is being resumed.
    Resuming {
        /// Its id.
        task_id: &'a str,
        /// 1 for the first resume.
        attempt: u32,
    },
}

/// Receives [`Event`]s.
pub trait Observer: Send + Sync {
    /// Something happened.
    fn event(&self, event: &Event<'_>);
}

/// Observes nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct Quiet;

impl Observer for Quiet {
    fn event(&self, _event: &Event<'_>) {}
}

/// How a task ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// `SUCCEEDED`.
    Succeeded,
    /// `FAILED`: completed with errors.
    Failed,
    /// `PROGRESS_STOPPED` and not resumed.
    Stopped {
        /// Why it was left stopped.
        reason: String,
    },
}

/// A task the loop followed to its end.
#[derive(Debug, Clone, PartialEq)]
pub struct Finished {
    /// Its part, for created tasks.
    pub part: Option<usize>,
    /// Its id.
    pub task_id: String,
    /// How it ended.
    pub outcome: Outcome,
    /// Its last description.
    pub description: BatchLoadTaskDescription,
    /// Resumes made by this run.
    pub resumes: u32,
}

/// The result of a run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunResult {
    /// Tasks followed to their end, in the order they ended.
    pub finished: Vec<Finished>,
    /// Tasks created and still running (only without waiting).
    pub running: Vec<(Option<usize>, String)>,
    /// Parts not created (only without waiting, when the limits were reached).
    pub not_created: Vec<usize>,
}

/// Keeps calls at least `gap` apart.
#[derive(Debug)]
struct Pace {
    gap: Duration,
    next: Option<tokio::time::Instant>,
}

impl Pace {
    fn new(gap: Duration) -> Self {
        Self { gap, next: None }
    }

    async fn wait(&mut self) {
        if let Some(at) = self.next {
            tokio::time::sleep_until(at).await;
        }
        self.next = Some(tokio::time::Instant::now() + self.gap);
    }
}

struct Running {
    part: Option<usize>,
    task_id: String,
    resumes: u32,
}

/// Runs `jobs`: creates tasks within the limits and, when `wait`, follows
/// every task to its end.
pub async fn run<A: BatchLoadApi, C: Clock>(
    api: &A,
    clock: &C,
    jobs: Vec<Job>,
    options: &PollOptions,
    wait: bool,
    observer: &dyn Observer,
) -> Result<RunResult, ApiError> {
    let mut s = Scheduler {
        api,
        clock,
        options,
        observer,
        pace: Pace::new(options.min_call_gap),
        create_pace: Pace::new(options.min_create_gap),
    };
    let mut queue: VecDeque<(usize, CreateBatchLoadTaskRequest)> = VecDeque::new();
    let mut running: Vec<Running> = Vec::new();
    for job in jobs {
        match job {
            Job::Create { part, request } => queue.push_back((part, *request)),
            Job::Attach { task_id } => running.push(Running {
                part: None,
                task_id,
                resumes: 0,
            }),
        }
    }
    let count_first = queue.len() > 1;
    let mut result = RunResult::default();
    loop {
        s.create_ready(&mut queue, &mut running, count_first)
            .await?;
        if !wait {
            result.running = running.into_iter().map(|r| (r.part, r.task_id)).collect();
            result.not_created = queue.into_iter().map(|(p, _)| p).collect();
            return Ok(result);
        }
        if running.is_empty() && queue.is_empty() {
            return Ok(result);
        }
        let mut i = 0;
        while i < running.len() {
            match s.poll(&mut running[i]).await? {
                Some(done) => {
                    result.finished.push(done);
                    running.remove(i);
                }
                None => i += 1,
            }
        }
        if running.is_empty() && queue.is_empty() {
            return Ok(result);
        }
        tokio::time::sleep(options.interval).await;
    }
}

struct Scheduler<'a, A, C> {
    api: &'a A,
    clock: &'a C,
    options: &'a PollOptions,
    observer: &'a dyn Observer,
    pace: Pace,
    create_pace: Pace,
}

/// Statuses counted as active \[INF\].
const ACTIVE: [BatchLoadStatus; 3] = [
    BatchLoadStatus::Created,
    BatchLoadStatus::InProgress,
    BatchLoadStatus::PendingResume,
];

impl<A: BatchLoadApi, C: Clock> Scheduler<'_, A, C> {
    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.min(16));
        self.options
            .backoff_base
            .saturating_mul(factor)
            .min(self.options.max_backoff)
    }

    /// Retries `call` on retryable errors, pacing every attempt.
    async fn retrying<T>(
        &mut self,
        create: bool,
        mut call: impl AsyncFnMut() -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut attempt = 0;
        loop {
            if create {
                self.create_pace.wait().await;
            } else {
                self.pace.wait().await;
            }
            match call().await {
                Ok(v) => return Ok(v),
                Err(e) if e.kind.is_retryable() && attempt < self.options.max_retries => {
                    let delay = self.backoff(attempt);
                    attempt += 1;
                    self.observer.event(&Event::Retrying { error: &e, delay });
                    tokio::time::sleep(delay).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Active tasks on `db.table` and in the account.
    async fn active(&mut self, db: &str, table: &str) -> Result<(usize, usize), ApiError> {
        let mut on_table = 0;
        let mut in_account = 0;
        for status in &ACTIVE {
            let api = self.api;
            let tasks = self
                .retrying(false, async || api.list_tasks(Some(status)).await)
                .await?;
            in_account += tasks.len();
            on_table += tasks
                .iter()
                .filter(|t| {
                    t.database_name.as_deref() == Some(db) && t.table_name.as_deref() == Some(table)
                })
                .count();
        }
        Ok((on_table, in_account))
    }

    /// Creates queued parts while the limits allow.
    async fn create_ready(
        &mut self,
        queue: &mut VecDeque<(usize, CreateBatchLoadTaskRequest)>,
        running: &mut Vec<Running>,
        count_first: bool,
    ) -> Result<(), ApiError> {
        while let Some((part, request)) = queue.front() {
            let part = *part;
            if count_first {
                let db = request.target_database_name.clone().unwrap_or_default();
                let table = request.target_table_name.clone().unwrap_or_default();
                let (table_active, account_active) = self.active(&db, &table).await?;
                if table_active >= self.options.per_table_limit
                    || account_active >= self.options.per_account_limit
                {
                    self.observer.event(&Event::WaitingForCapacity {
                        part,
                        table_active,
                        account_active,
                    });
                    return Ok(());
                }
            }
            let api = self.api;
            let request = request.clone();
            match self
                .retrying(true, async || api.create_task(&request).await)
                .await
            {
                Ok(task_id) => {
                    self.observer.event(&Event::Created {
                        part,
                        task_id: &task_id,
                    });
                    running.push(Running {
                        part: Some(part),
                        task_id,
                        resumes: 0,
                    });
                    queue.pop_front();
                }
                Err(e) if e.kind == ErrorKind::ServiceQuotaExceeded => {
                    // The service counts differently from us (or another
                    // client got there first): try again after a round.
                    self.observer.event(&Event::Retrying {
                        error: &e,
                        delay: self.options.interval,
                    });
                    return Ok(());
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// One poll of one task; `Some` when it ended.
    async fn poll(&mut self, r: &mut Running) -> Result<Option<Finished>, ApiError> {
        let api = self.api;
        let id = r.task_id.clone();
        let d = self
            .retrying(false, async || api.describe_task(&id).await)
            .await?;
        self.observer.event(&Event::Status(&d));
        let finish = |outcome: Outcome, d: BatchLoadTaskDescription, r: &Running| Finished {
            part: r.part,
            task_id: r.task_id.clone(),
            outcome,
            description: d,
            resumes: r.resumes,
        };
        match d.task_status.clone() {
            Some(BatchLoadStatus::Succeeded) => Ok(Some(finish(Outcome::Succeeded, d, r))),
            Some(BatchLoadStatus::Failed) => Ok(Some(finish(Outcome::Failed, d, r))),
            Some(BatchLoadStatus::ProgressStopped) => {
                let now = self.clock.now();
                let reason = if !self.options.auto_resume {
                    Some("automatic resume is off (--no-resume)".to_owned())
                } else if d.resumable_until.is_some_and(|t| t <= now) {
                    Some("it is no longer resumable (ResumableUntil has passed)".to_owned())
                } else if r.resumes >= self.options.max_resumes {
                    Some(format!(
                        "it stopped again after {} resumes",
                        self.options.max_resumes
                    ))
                } else {
                    None
                };
                if let Some(reason) = reason {
                    return Ok(Some(finish(Outcome::Stopped { reason }, d, r)));
                }
                r.resumes += 1;
                self.observer.event(&Event::Resuming {
                    task_id: &r.task_id,
                    attempt: r.resumes,
                });
                match self
                    .retrying(false, async || api.resume_task(&id).await)
                    .await
                {
                    Ok(()) => Ok(None),
                    Err(e) if e.kind == ErrorKind::Validation => Ok(Some(finish(
                        Outcome::Stopped {
                            reason: format!("the service refused to resume it: {}", e.message),
                        },
                        d,
                        r,
                    ))),
                    Err(e) => Err(e),
                }
            }
            // CREATED, IN_PROGRESS, PENDING_RESUME, and statuses this
            // version does not know: keep polling.
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use tsload_model::wire::ProgressReport;

    use super::*;
    use crate::submit::api::{TableSpec, TaskSummary};
    use crate::timestream::TableInfo;

    /// A scripted service: each call pops the next answer of its kind and
    /// records when (tokio time since the start) it was made.
    #[derive(Default)]
    struct Fake {
        start: Option<tokio::time::Instant>,
        describes: Mutex<VecDeque<Result<BatchLoadTaskDescription, ApiError>>>,
        creates: Mutex<VecDeque<Result<String, ApiError>>>,
        resumes: Mutex<VecDeque<Result<(), ApiError>>>,
        /// Active tasks answered by every list call (any status filter).
        active: Mutex<Vec<TaskSummary>>,
        calls: Mutex<Vec<(String, Duration)>>,
    }

    impl Fake {
        fn new() -> Self {
            Self {
                start: Some(tokio::time::Instant::now()),
                ..Self::default()
            }
        }

        fn log(&self, what: &str) {
            let at = self.start.unwrap().elapsed();
            self.calls.lock().unwrap().push((what.to_owned(), at));
        }

        fn calls(&self) -> Vec<(String, Duration)> {
            self.calls.lock().unwrap().clone()
        }

        fn script(&self, statuses: &[Result<(BatchLoadStatus, Option<f64>), ApiError>]) {
            let mut q = self.describes.lock().unwrap();
            for s in statuses {
                q.push_back(s.clone().map(|(status, until)| desc("T1", status, until)));
            }
        }
    }

    fn desc(id: &str, status: BatchLoadStatus, until: Option<f64>) -> BatchLoadTaskDescription {
        BatchLoadTaskDescription {
            task_id: Some(id.into()),
            task_status: Some(status),
            resumable_until: until,
            progress_report: Some(ProgressReport::default()),
            ..Default::default()
        }
    }

    fn throttled(op: &'static str) -> ApiError {
        ApiError::new(op, ErrorKind::Throttling, "Rate exceeded")
    }

    impl BatchLoadApi for Fake {
        async fn create_task(&self, _r: &CreateBatchLoadTaskRequest) -> Result<String, ApiError> {
            self.log("create");
            self.creates
                .lock()
                .unwrap()
                .pop_front()
                .expect("scripted create")
        }
        async fn describe_task(&self, id: &str) -> Result<BatchLoadTaskDescription, ApiError> {
            self.log(&format!("describe {id}"));
            self.describes
                .lock()
                .unwrap()
                .pop_front()
                .expect("scripted describe")
        }
        async fn list_tasks(
            &self,
            status: Option<&BatchLoadStatus>,
        ) -> Result<Vec<TaskSummary>, ApiError> {
            self.log("list");
            Ok(self
                .active
                .lock()
                .unwrap()
                .iter()
                .filter(|t| status.is_none_or(|s| *s == t.task_status))
                .cloned()
                .collect())
        }
        async fn resume_task(&self, id: &str) -> Result<(), ApiError> {
            self.log(&format!("resume {id}"));
            self.resumes.lock().unwrap().pop_front().unwrap_or(Ok(()))
        }
        async fn describe_table(&self, _d: &str, _t: &str) -> Result<TableInfo, ApiError> {
            unimplemented!()
        }
        async fn create_database(&self, _d: &str) -> Result<bool, ApiError> {
            unimplemented!()
        }
        async fn create_table(&self, _d: &str, _t: &str, _s: &TableSpec) -> Result<bool, ApiError> {
            unimplemented!()
        }
    }

    fn opts() -> PollOptions {
        PollOptions {
            interval: Duration::from_secs(2),
            ..PollOptions::default()
        }
    }

    fn at(calls: &[(String, Duration)]) -> Vec<(String, u128)> {
        calls
            .iter()
            .map(|(w, d)| (w.clone(), d.as_millis()))
            .collect()
    }

    fn s(x: &str, ms: u128) -> (String, u128) {
        (x.to_owned(), ms)
    }

    #[tokio::test(start_paused = true)]
    async fn polls_at_the_interval_until_succeeded() {
        use BatchLoadStatus::*;
        let fake = Fake::new();
        fake.script(&[
            Ok((Created, None)),
            Ok((InProgress, None)),
            Ok((Succeeded, None)),
        ]);
        let clock = TokioClock::new(1_000.0);
        let r = run(
            &fake,
            &clock,
            vec![Job::Attach {
                task_id: "T1".into(),
            }],
            &opts(),
            true,
            &Quiet,
        )
        .await
        .unwrap();
        assert_eq!(r.finished.len(), 1);
        assert_eq!(r.finished[0].outcome, Outcome::Succeeded);
        assert_eq!(
            at(&fake.calls()),
            [
                s("describe T1", 0),
                s("describe T1", 2000),
                s("describe T1", 4000)
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn throttling_backs_off_exponentially_then_recovers() {
        use BatchLoadStatus::*;
        let fake = Fake::new();
        fake.script(&[
            Err(throttled("DescribeBatchLoadTask")),
            Err(throttled("DescribeBatchLoadTask")),
            Err(throttled("DescribeBatchLoadTask")),
            Ok((Failed, None)),
        ]);
        let r = run(
            &fake,
            &TokioClock::new(0.0),
            vec![Job::Attach {
                task_id: "T1".into(),
            }],
            &opts(),
            true,
            &Quiet,
        )
        .await
        .unwrap();
        assert_eq!(r.finished[0].outcome, Outcome::Failed);
        // 1 s, 2 s, 4 s after each throttled call.
        assert_eq!(
            at(&fake.calls()),
            [
                s("describe T1", 0),
                s("describe T1", 1000),
                s("describe T1", 3000),
                s("describe T1", 7000)
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_after_max_retries_and_not_on_other_errors() {
        let fake = Fake::new();
        let mut q = Vec::new();
        for _ in 0..4 {
            q.push(Err(throttled("DescribeBatchLoadTask")));
        }
        fake.script(&q);
        let o = PollOptions {
            max_retries: 3,
            max_backoff: Duration::from_secs(3),
            ..opts()
        };
        let job = || {
            vec![Job::Attach {
                task_id: "T1".into(),
            }]
        };
        let e = run(&fake, &TokioClock::new(0.0), job(), &o, true, &Quiet)
            .await
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Throttling);
        // 1 s, 2 s, then capped at 3 s.
        assert_eq!(
            fake.calls()
                .iter()
                .map(|c| c.1.as_millis())
                .collect::<Vec<_>>(),
            [0, 1000, 3000, 6000]
        );
        let fake = Fake::new();
        fake.script(&[Err(ApiError::new(
            "DescribeBatchLoadTask",
            ErrorKind::AccessDenied,
            "no",
        ))]);
        let e = run(&fake, &TokioClock::new(0.0), job(), &o, true, &Quiet)
            .await
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::AccessDenied);
        assert_eq!(fake.calls().len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn never_more_than_five_calls_a_second() {
        use BatchLoadStatus::*;
        let fake = Fake::new();
        // Eight tasks polled together: one round is 8 describes.
        {
            let mut q = fake.describes.lock().unwrap();
            for i in 0..8 {
                q.push_back(Ok(desc(&format!("T{i}"), InProgress, None)));
            }
            for i in 0..8 {
                q.push_back(Ok(desc(&format!("T{i}"), Succeeded, None)));
            }
        }
        let jobs = (0..8)
            .map(|i| Job::Attach {
                task_id: format!("T{i}"),
            })
            .collect();
        let o = PollOptions {
            interval: Duration::from_millis(100),
            ..opts()
        };
        let r = run(&fake, &TokioClock::new(0.0), jobs, &o, true, &Quiet)
            .await
            .unwrap();
        assert_eq!(r.finished.len(), 8);
        let times: Vec<u128> = fake.calls().iter().map(|c| c.1.as_millis()).collect();
        assert_eq!(times.len(), 16);
        for w in times.windows(2) {
            assert!(w[1] - w[0] >= 200, "{times:?}");
        }
        // Any one-second window holds at most 5 calls.
        for (i, t) in times.iter().enumerate() {
            let n = times[i..].iter().take_while(|u| **u < t + 1000).count();
            assert!(n <= 5, "{times:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn stopped_tasks_resume_while_resumable() {
        use BatchLoadStatus::*;
        let fake = Fake::new();
        // Origin 1000 s; ResumableUntil 1500 s.
        fake.script(&[
            Ok((InProgress, None)),
            Ok((ProgressStopped, Some(1500.0))),
            Ok((PendingResume, None)),
            Ok((Succeeded, None)),
        ]);
        let r = run(
            &fake,
            &TokioClock::new(1000.0),
            vec![Job::Attach {
                task_id: "T1".into(),
            }],
            &opts(),
            true,
            &Quiet,
        )
        .await
        .unwrap();
        assert_eq!(r.finished[0].outcome, Outcome::Succeeded);
        assert_eq!(r.finished[0].resumes, 1);
        assert_eq!(
            at(&fake.calls()),
            [
                s("describe T1", 0),
                s("describe T1", 2000),
                s("resume T1", 2200),
                s("describe T1", 4200),
                s("describe T1", 6200)
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn stopped_tasks_past_resumable_until_or_with_no_resume_end_stopped() {
        use BatchLoadStatus::*;
        let job = || {
            vec![Job::Attach {
                task_id: "T1".into(),
            }]
        };
        // Past: now 2000 s > 1500 s.
        let fake = Fake::new();
        fake.script(&[Ok((ProgressStopped, Some(1500.0)))]);
        let r = run(
            &fake,
            &TokioClock::new(2000.0),
            job(),
            &opts(),
            true,
            &Quiet,
        )
        .await
        .unwrap();
        assert!(
            matches!(&r.finished[0].outcome, Outcome::Stopped { reason } if reason.contains("ResumableUntil"))
        );
        assert_eq!(fake.calls().len(), 1);
        // --no-resume.
        let fake = Fake::new();
        fake.script(&[Ok((ProgressStopped, Some(1500.0)))]);
        let o = PollOptions {
            auto_resume: false,
            ..opts()
        };
        let r = run(&fake, &TokioClock::new(0.0), job(), &o, true, &Quiet)
            .await
            .unwrap();
        assert!(
            matches!(&r.finished[0].outcome, Outcome::Stopped { reason } if reason.contains("--no-resume"))
        );
        // The service refuses.
        let fake = Fake::new();
        fake.script(&[Ok((ProgressStopped, None))]);
        fake.resumes.lock().unwrap().push_back(Err(ApiError::new(
            "ResumeBatchLoadTask",
            ErrorKind::Validation,
            "not resumable",
        )));
        let r = run(&fake, &TokioClock::new(0.0), job(), &opts(), true, &Quiet)
            .await
            .unwrap();
        assert!(
            matches!(&r.finished[0].outcome, Outcome::Stopped { reason } if reason.contains("refused"))
        );
    }

    fn active(id: &str, table: &str) -> TaskSummary {
        TaskSummary {
            task_id: id.into(),
            task_status: BatchLoadStatus::InProgress,
            database_name: Some("db".into()),
            table_name: Some(table.into()),
            creation_time: None,
            last_updated_time: None,
            resumable_until: None,
        }
    }

    fn part(i: usize) -> Job {
        Job::Create {
            part: i,
            request: Box::new(CreateBatchLoadTaskRequest {
                target_database_name: Some("db".into()),
                target_table_name: Some("t".into()),
                ..Default::default()
            }),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn parts_wait_for_the_active_task_limits() {
        use BatchLoadStatus::*;
        let fake = Fake::new();
        // Four tasks already active on the table: room for one more.
        *fake.active.lock().unwrap() = (0..4).map(|i| active(&format!("X{i}"), "t")).collect();
        fake.creates
            .lock()
            .unwrap()
            .extend([Ok("P0".to_owned()), Ok("P1".to_owned())]);
        fake.describes.lock().unwrap().extend([
            Ok(desc("P0", Succeeded, None)),
            Ok(desc("P1", Succeeded, None)),
        ]);
        struct FreeUp<'a>(&'a Fake);
        impl Observer for FreeUp<'_> {
            fn event(&self, e: &Event<'_>) {
                match e {
                    // Ours now counts as active too.
                    Event::Created { task_id, .. } => {
                        self.0.active.lock().unwrap().push(active(task_id, "t"));
                    }
                    // When P0 ends, so do the others.
                    Event::Status(d) if d.task_status == Some(Succeeded) => {
                        self.0.active.lock().unwrap().clear();
                    }
                    _ => {}
                }
            }
        }
        let r = run(
            &fake,
            &TokioClock::new(0.0),
            vec![part(0), part(1)],
            &opts(),
            true,
            &FreeUp(&fake),
        )
        .await
        .unwrap();
        assert_eq!(r.finished.len(), 2);
        let calls: Vec<String> = fake.calls().into_iter().map(|c| c.0).collect();
        assert_eq!(
            calls,
            [
                "list",
                "list",
                "list",
                "create", // 4 active: create P0
                "list",
                "list",
                "list",        // 5 active: P1 waits
                "describe P0", // P0 ends
                "list",
                "list",
                "list",
                "create", // room again
                "describe P1"
            ]
        );
        // Creates are at least a second apart.
        let creates: Vec<Duration> = fake
            .calls()
            .into_iter()
            .filter(|c| c.0 == "create")
            .map(|c| c.1)
            .collect();
        assert!(creates[1].checked_sub(creates[0]).unwrap() >= Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn without_waiting_only_what_fits_is_created() {
        let fake = Fake::new();
        *fake.active.lock().unwrap() = (0..10).map(|i| active(&format!("X{i}"), "other")).collect();
        let r = run(
            &fake,
            &TokioClock::new(0.0),
            vec![part(0), part(1)],
            &opts(),
            false,
            &Quiet,
        )
        .await
        .unwrap();
        assert!(r.running.is_empty());
        assert_eq!(r.not_created, [0, 1]);
        // A single part is created without counting.
        let fake = Fake::new();
        fake.creates.lock().unwrap().push_back(Ok("P0".into()));
        let r = run(
            &fake,
            &TokioClock::new(0.0),
            vec![part(0)],
            &opts(),
            false,
            &Quiet,
        )
        .await
        .unwrap();
        assert_eq!(r.running, [(Some(0), "P0".to_owned())]);
        assert_eq!(fake.calls().len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_quota_answer_to_create_is_waited_out() {
        use BatchLoadStatus::*;
        let fake = Fake::new();
        fake.creates.lock().unwrap().extend([
            Err(ApiError::new(
                "CreateBatchLoadTask",
                ErrorKind::ServiceQuotaExceeded,
                "too many active tasks",
            )),
            Ok("P0".to_owned()),
        ]);
        fake.describes
            .lock()
            .unwrap()
            .push_back(Ok(desc("P0", Succeeded, None)));
        let r = run(
            &fake,
            &TokioClock::new(0.0),
            vec![part(0)],
            &opts(),
            true,
            &Quiet,
        )
        .await
        .unwrap();
        assert_eq!(r.finished[0].task_id, "P0");
        assert_eq!(
            at(&fake.calls()),
            [s("create", 0), s("create", 2000), s("describe P0", 2000)]
        );
    }
}
