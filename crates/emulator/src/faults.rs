//! Fault injection, for testing clients: throttling, server errors, tasks
//! that stop mid-way, slow progress. Deterministic when seeded: the same
//! seed and the same sequence of calls give the same faults.

use std::time::Duration;

use crate::protocol::{ApiError, ErrorKind};

/// Which faults to inject.
#[derive(Debug, Clone, PartialEq)]
pub struct Faults {
    /// Seed of the fault generator; `None` seeds from the clock.
    pub seed: Option<u64>,
    /// Share of calls (0..=1) answered with `ThrottlingException` (400).
    pub throttle_rate: f64,
    /// Share of calls (0..=1) answered with `InternalServerException` (500).
    pub error_rate: f64,
    /// Stop every batch-load task once, in `PROGRESS_STOPPED`, after this
    /// many of its files are done (`ResumeBatchLoadTask` continues it).
    pub stop_after_files: Option<u64>,
    /// How long a stopped task stays resumable (`ResumableUntil`).
    pub resumable_for: Duration,
    /// A pause before a task starts and after each file it processes.
    pub step_delay: Duration,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            seed: None,
            throttle_rate: 0.0,
            error_rate: 0.0,
            stop_after_files: None,
            // The service's resume window is undocumented (spec §10 q14) [INF].
            resumable_for: Duration::from_hours(7 * 24),
            step_delay: Duration::ZERO,
        }
    }
}

/// An injected error answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// `ThrottlingException`.
    Throttle,
    /// `InternalServerException`.
    ServerError,
}

impl Fault {
    /// The error answer.
    pub fn error(self) -> ApiError {
        match self {
            Self::Throttle => {
                ApiError::new(ErrorKind::Throttling, "Rate exceeded (injected fault)")
            }
            Self::ServerError => ApiError::new(
                ErrorKind::InternalServer,
                "Internal server error (injected fault)",
            ),
        }
    }
}

/// The generator state.
#[derive(Debug)]
pub struct FaultState {
    rng: fastrand::Rng,
    throttle_rate: f64,
    error_rate: f64,
    calls: u64,
}

impl FaultState {
    /// A generator for `faults`.
    pub fn new(faults: &Faults) -> Self {
        let rng = match faults.seed {
            Some(seed) => fastrand::Rng::with_seed(seed),
            None => fastrand::Rng::new(),
        };
        Self {
            rng,
            throttle_rate: faults.throttle_rate.clamp(0.0, 1.0),
            error_rate: faults.error_rate.clamp(0.0, 1.0),
            calls: 0,
        }
    }

    /// The fault for the next call of `operation`, if any. DescribeEndpoints
    /// is never faulted, so discovery-based clients can start.
    pub fn next(&mut self, operation: &str) -> Option<Fault> {
        if operation == "DescribeEndpoints" || (self.throttle_rate == 0.0 && self.error_rate == 0.0)
        {
            return None;
        }
        self.calls += 1;
        let draw = self.rng.f64();
        if draw < self.throttle_rate {
            Some(Fault::Throttle)
        } else if draw < self.throttle_rate + self.error_rate {
            Some(Fault::ServerError)
        } else {
            None
        }
    }

    /// A task id: 32 upper-case hex digits (`[A-Z0-9]{3,32}` \[MODEL\]); from
    /// the seeded generator, so seeded runs give the same ids.
    pub fn task_id(&mut self) -> String {
        format!("{:016X}{:016X}", self.rng.u64(..), self.rng.u64(..))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(seed: u64, n: usize) -> Vec<Option<Fault>> {
        let mut s = FaultState::new(&Faults {
            seed: Some(seed),
            throttle_rate: 0.3,
            error_rate: 0.2,
            ..Faults::default()
        });
        (0..n).map(|_| s.next("WriteRecords")).collect()
    }

    #[test]
    fn seeded_faults_repeat_and_follow_the_rates() {
        let a = run(7, 2000);
        assert_eq!(a, run(7, 2000));
        assert_ne!(a, run(8, 2000));
        let throttled = a.iter().filter(|f| **f == Some(Fault::Throttle)).count();
        let errors = a.iter().filter(|f| **f == Some(Fault::ServerError)).count();
        assert!((500..700).contains(&throttled), "{throttled}");
        assert!((320..480).contains(&errors), "{errors}");
    }

    #[test]
    fn no_faults_by_default_and_never_on_discovery() {
        let mut s = FaultState::new(&Faults::default());
        assert!((0..100).all(|_| s.next("CreateTable").is_none()));
        let mut s = FaultState::new(&Faults {
            throttle_rate: 1.0,
            ..Faults::default()
        });
        assert_eq!(s.next("DescribeEndpoints"), None);
        assert_eq!(s.next("ListTables"), Some(Fault::Throttle));
        assert_eq!(Fault::Throttle.error().kind.status(), 400);
        assert_eq!(Fault::ServerError.error().kind.status(), 500);
    }

    #[test]
    fn task_ids_match_the_model_pattern() {
        let mut s = FaultState::new(&Faults::default());
        let id = s.task_id();
        assert_eq!(id.len(), 32);
        assert!(crate::protocol::Pattern::TaskId.matches(&id));
    }
}
