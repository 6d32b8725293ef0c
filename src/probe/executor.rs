//! One ordered executor for probing many files: a fixed number of threads take jobs in turn and
//! put each result in its job's place. Two backends do the probing: worker processes (isolated,
//! for hostile input) or this process's own threads (for tests and trusting library users).

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use super::worker::{Limits, WorkerSlot};
use super::{Depth, Input, Probed, probe_input};
use crate::finding::{Finding, Severity, code};

/// One file to probe.
#[derive(Clone, Debug)]
pub struct Job {
    /// The bytes to probe.
    pub input: Input,
    /// How findings name it.
    pub label: String,
    /// Its size, for the timeout.
    pub size: u64,
}

/// Where recordings are probed and decoded.
#[derive(Clone, Debug)]
pub enum Executor {
    /// In worker processes running `program` (the earwitness binary), with limits. A decoder crash
    /// or hang cannot take the archiver down.
    Workers {
        /// The earwitness binary.
        program: PathBuf,
        /// Memory, CPU and time limits.
        limits: Limits,
    },
    /// In threads of this process: a panic is caught, but an abort or a hang is not.
    Threads,
}

impl Executor {
    /// Probes every job on `parallel` threads (each with its own worker, for
    /// [`Executor::Workers`]); results come back in job order. Once `cancel` is set, no further
    /// job is started (their results are empty).
    pub fn run(
        &self,
        jobs: &[Job],
        depth: Depth,
        parallel: usize,
        cancel: &AtomicBool,
    ) -> Vec<Probed> {
        let next = AtomicUsize::new(0);
        let results: Vec<Mutex<Option<Probed>>> = jobs.iter().map(|_| Mutex::new(None)).collect();
        std::thread::scope(|scope| {
            for _ in 0..parallel.min(jobs.len()).max(1) {
                scope.spawn(|| {
                    let mut slot = match self {
                        Executor::Workers { program, limits } => {
                            Some(WorkerSlot::new(program, limits))
                        }
                        Executor::Threads => None,
                    };
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if cancel.load(Ordering::Relaxed) {
                            break;
                        }
                        let Some(job) = jobs.get(i) else { break };
                        let probed = match &mut slot {
                            Some(worker) => worker.probe(job, depth, cancel),
                            None => probe_input(&job.input, &job.label, depth),
                        };
                        if let Ok(mut place) = results[i].lock() {
                            *place = Some(probed);
                        }
                    }
                });
            }
        });
        results
            .into_iter()
            .map(|m| {
                m.into_inner().ok().flatten().unwrap_or_else(|| {
                    Probed::nothing(Finding::new(
                        code::AUDIO_DECODE_CRASHED,
                        Severity::Warning,
                        "no probe result: the probe thread died",
                    ))
                })
            })
            .collect()
    }
}
