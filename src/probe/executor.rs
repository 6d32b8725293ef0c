//! One ordered executor for probing many files: a fixed number of threads take jobs in turn and
//! put each result in its job's place. Two backends do the probing: worker processes (isolated,
//! for hostile input) or this process's own threads (for tests and trusting library users).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, mpsc};

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
        let mut results = Vec::with_capacity(jobs.len());
        self.each(
            jobs.len(),
            |i| jobs[i].clone(),
            depth,
            parallel,
            cancel,
            |_, probed| {
                results.push(probed);
                true
            },
        );
        results
    }

    /// Probes jobs `0..count` (each made by `job` when a thread is ready for it) on `parallel`
    /// threads, and hands each result to `deliver` in job order, on the calling thread. Memory
    /// stays bounded whatever `count` is: a thread does not start a job more than
    /// [`AHEAD_PER_THREAD`] × `parallel` places ahead of the next one to deliver, so at most that
    /// many results wait for an earlier slow one. Once `cancel` is set, or `deliver` returns
    /// `false`, no further job is started; jobs not run are not delivered.
    pub fn each(
        &self,
        count: usize,
        job: impl Fn(usize) -> Job + Sync,
        depth: Depth,
        parallel: usize,
        cancel: &AtomicBool,
        mut deliver: impl FnMut(usize, Probed) -> bool,
    ) {
        let threads = parallel.min(count).max(1);
        let window = threads * AHEAD_PER_THREAD;
        let next = AtomicUsize::new(0);
        let stop = AtomicBool::new(false);
        // The index of the next result to deliver, which bounds how far ahead threads may run.
        let gate = (Mutex::new(0usize), Condvar::new());
        let (tx, rx) = mpsc::channel::<(usize, Probed)>();
        std::thread::scope(|scope| {
            for _ in 0..threads {
                let tx = tx.clone();
                let (job, next, stop, gate) = (&job, &next, &stop, &gate);
                scope.spawn(move || {
                    let mut slot = match self {
                        Executor::Workers { program, limits } => {
                            Some(WorkerSlot::new(program, limits))
                        }
                        Executor::Threads => None,
                    };
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= count || !wait_for_turn(gate, i, window, stop, cancel) {
                            break;
                        }
                        // The probes catch their own panics; this one catches a fault of ours
                        // around them (making the job included), so that the job still gets a
                        // result and nothing waits for it.
                        let probed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            let job = job(i);
                            match &mut slot {
                                Some(worker) => worker.probe(&job, depth, cancel),
                                None => probe_input(&job.input, &job.label, depth),
                            }
                        }))
                        .unwrap_or_else(|_| crashed());
                        if tx.send((i, probed)).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(tx);
            let mut waiting: BTreeMap<usize, Probed> = BTreeMap::new();
            let mut due = 0;
            let mut open = true;
            for (i, probed) in rx.iter() {
                if !open {
                    continue;
                }
                waiting.insert(i, probed);
                while let Some(probed) = waiting.remove(&due) {
                    let go_on = deliver(due, probed);
                    due += 1;
                    if let Ok(mut d) = gate.0.lock() {
                        *d = due;
                    }
                    gate.1.notify_all();
                    if !go_on {
                        open = false;
                        stop.store(true, Ordering::Relaxed);
                        waiting.clear();
                        break;
                    }
                }
            }
            // A thread that died (a panic outside the probe's own catching) leaves a hole: its
            // job and every later one still get a result, so that the caller sees each job once.
            while open && due < count && !cancel.load(Ordering::Relaxed) {
                let probed = waiting.remove(&due).unwrap_or_else(crashed);
                open = deliver(due, probed);
                due += 1;
            }
        });
    }
}

/// How many jobs per thread may run ahead of the next result to deliver.
pub const AHEAD_PER_THREAD: usize = 16;

/// Waits until job `i` is within `window` of the next result to deliver. `false`: stop instead.
fn wait_for_turn(
    gate: &(Mutex<usize>, Condvar),
    i: usize,
    window: usize,
    stop: &AtomicBool,
    cancel: &AtomicBool,
) -> bool {
    let Ok(mut due) = gate.0.lock() else {
        return false;
    };
    loop {
        if stop.load(Ordering::Relaxed) || cancel.load(Ordering::Relaxed) {
            return false;
        }
        if i < *due + window {
            return true;
        }
        // A timeout, so that a cancel set elsewhere is seen even when nothing is delivered.
        match gate
            .1
            .wait_timeout(due, std::time::Duration::from_millis(100))
        {
            Ok((guard, _)) => due = guard,
            Err(_) => return false,
        }
    }
}

fn crashed() -> Probed {
    Probed::nothing(Finding::new(
        code::AUDIO_DECODE_CRASHED,
        Severity::Warning,
        "no probe result: the probe thread died",
    ))
}
