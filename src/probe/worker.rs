//! Probe worker processes: crafted files can make a decoder panic, loop forever or allocate
//! without bound, and an out-of-memory abort cannot be caught in-process. So `seal` probes in a
//! pool of long-lived worker processes of earwitness itself, each with an address-space limit, a
//! CPU-time limit per file, and a wall-clock timeout. A worker that dies or times out is replaced,
//! and its file gets an `audio.decode.crashed` or `audio.decode.timeout` finding; the file is
//! still archived.
//!
//! Protocol: one JSON request per line on the worker's stdin, one JSON [`Probed`] per line on its
//! stdout. [`super::Executor`] hands jobs to workers; this file is both sides of the pipe.

use std::ffi::OsString;
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Depth, Input, Job, Probed, probe_input};
use crate::finding::{Finding, code};

/// The hidden first argument that turns the earwitness binary into a probe worker.
pub const WORKER_ARG: &str = "__probe-worker";

/// Limits for each worker.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Wall-clock time allowed for any file.
    pub timeout_base: Duration,
    /// Extra wall-clock time per MiB of file.
    pub timeout_per_mib: Duration,
    /// Address-space limit of a worker, in MiB.
    pub memory_mib: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout_base: Duration::from_secs(60),
            timeout_per_mib: Duration::from_secs(1),
            memory_mib: 2048,
        }
    }
}

impl Limits {
    fn timeout_for(&self, size: u64) -> Duration {
        let mib = u32::try_from(size >> 20).unwrap_or(u32::MAX);
        self.timeout_base
            .saturating_add(self.timeout_per_mib.saturating_mul(mib))
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Request {
    /// The path's raw bytes in hex, so that non-UTF-8 names survive.
    path_hex: String,
    /// `(offset, length)` inside the file, for an entry of a bundle.
    window: Option<(u64, u64)>,
    label: String,
    depth: Depth,
    cpu_seconds: u64,
}

#[cfg(unix)]
fn path_to_hex(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    hex::encode(path.as_os_str().as_bytes())
}

#[cfg(not(unix))]
fn path_to_hex(path: &Path) -> String {
    hex::encode(path.to_string_lossy().as_bytes())
}

#[cfg(unix)]
fn path_from_hex(text: &str) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStringExt;
    hex::decode(text)
        .ok()
        .map(|b| PathBuf::from(OsString::from_vec(b)))
}

#[cfg(not(unix))]
fn path_from_hex(text: &str) -> Option<PathBuf> {
    hex::decode(text)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .map(PathBuf::from)
}

/// The worker's main loop: answers requests on stdin until it closes. Called by the binary when
/// its first argument is [`WORKER_ARG`].
pub fn serve(memory_mib: u64) -> io::Result<()> {
    die_with_parent();
    limit_memory(memory_mib);
    // Panics are caught and reported as findings; keep their default message off the terminal.
    std::panic::set_hook(Box::new(|_| {}));
    let stdin = io::stdin();
    let mut out = io::stdout().lock();
    for line in stdin.lock().lines() {
        let line = line?;
        let probed = match serde_json::from_str::<Request>(&line) {
            Ok(req) => match path_from_hex(&req.path_hex) {
                Some(path) => {
                    limit_cpu(req.cpu_seconds);
                    let input = Input {
                        path,
                        window: req.window,
                    };
                    probe_input(&input, &req.label, req.depth)
                }
                None => Probed::nothing(Finding::error(
                    code::AUDIO_DECODE_FAILED,
                    req.label,
                    "bad path in request",
                )),
            },
            Err(e) => Probed::nothing(Finding::new(
                code::AUDIO_DECODE_FAILED,
                crate::finding::Severity::Error,
                format!("bad worker request: {e}"),
            )),
        };
        serde_json::to_writer(&mut out, &probed).map_err(io::Error::other)?;
        out.write_all(b"\n")?;
        out.flush()?;
    }
    Ok(())
}

/// A worker stuck in a decoder must not outlive an archiver that was killed (kill -9 sends no
/// signal to children): on Linux the kernel kills the worker when its parent goes.
#[cfg(target_os = "linux")]
fn die_with_parent() {
    // SAFETY: prctl(PR_SET_PDEATHSIG) and getppid take no pointers.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
        // The parent may already be gone, before the request took effect.
        if libc::getppid() == 1 {
            std::process::exit(1);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent() {}

#[cfg(unix)]
fn limit_memory(mib: u64) {
    let bytes = mib.saturating_mul(1 << 20) as libc::rlim_t;
    let limit = libc::rlimit {
        rlim_cur: bytes,
        rlim_max: bytes,
    };
    // SAFETY: setrlimit only reads the struct we pass.
    unsafe {
        libc::setrlimit(libc::RLIMIT_AS, &limit);
    }
}

#[cfg(not(unix))]
fn limit_memory(_: u64) {}

/// Allows `seconds` more CPU time from now: the soft RLIMIT_CPU is set relative to what the
/// worker has used so far, so the limit is per file although the worker lives on.
#[cfg(unix)]
fn limit_cpu(seconds: u64) {
    // SAFETY: getrusage writes into the zeroed struct we own; setrlimit only reads.
    unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_SELF, &mut usage) != 0 {
            return;
        }
        let used = (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec + 1) as libc::rlim_t;
        let limit = libc::rlimit {
            rlim_cur: used + seconds as libc::rlim_t,
            rlim_max: libc::RLIM_INFINITY,
        };
        libc::setrlimit(libc::RLIMIT_CPU, &limit);
    }
}

#[cfg(not(unix))]
fn limit_cpu(_: u64) {}

/// One worker process at a time, for one thread of an [`super::Executor`]: started on the first
/// job, replaced when it dies or hangs, ended when dropped.
pub(super) struct WorkerSlot<'a> {
    program: &'a Path,
    limits: &'a Limits,
    worker: Option<Worker>,
}

struct Worker {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<Option<String>>,
}

enum Outcome {
    Answer(Box<Probed>),
    Died(String),
    TimedOut(Duration),
    /// The caller gave up on the whole batch (the seal already failed).
    Cancelled,
}

impl<'a> WorkerSlot<'a> {
    /// A slot that will run `program` with `limits`.
    pub(super) fn new(program: &'a Path, limits: &'a Limits) -> Self {
        WorkerSlot {
            program,
            limits,
            worker: None,
        }
    }

    fn spawn(&self) -> io::Result<Worker> {
        let mut child = Command::new(self.program)
            .arg(WORKER_ARG)
            .arg(self.limits.memory_mib.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| io::Error::other("worker has no stdin"))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| io::Error::other("worker has no stdout"))?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut line = String::new();
                match reader.read_line(&mut line) {
                    Ok(0) | Err(_) => {
                        let _ = tx.send(None);
                        return;
                    }
                    Ok(_) => {
                        if tx.send(Some(line)).is_err() {
                            return;
                        }
                    }
                }
            }
        });
        Ok(Worker {
            child,
            stdin,
            lines: rx,
        })
    }

    /// Probes one job in the worker; a crash or a timeout becomes a finding, and the container is
    /// then read again without decoding, in a fresh worker.
    pub(super) fn probe(&mut self, job: &Job, depth: Depth, cancel: &AtomicBool) -> Probed {
        self.run_job(job, depth, cancel)
    }

    fn run_job(&mut self, job: &Job, depth: Depth, cancel: &AtomicBool) -> Probed {
        let timeout = self.limits.timeout_for(job.size);
        match self.ask(job, depth, timeout, cancel) {
            Outcome::Answer(p) => *p,
            Outcome::Cancelled => Probed::empty(),
            failed => {
                let finding = match failed {
                    Outcome::TimedOut(t) => Finding::warning(
                        code::AUDIO_DECODE_TIMEOUT,
                        &job.label,
                        format!(
                            "decoding took longer than {} s and was stopped; the file is archived, its audio unchecked",
                            t.as_secs()
                        ),
                    ),
                    Outcome::Died(how) => Finding::warning(
                        code::AUDIO_DECODE_CRASHED,
                        &job.label,
                        format!(
                            "the decoder crashed on this file ({how}); the file is archived, its audio unchecked"
                        ),
                    ),
                    Outcome::Answer(_) | Outcome::Cancelled => unreachable!("handled above"),
                };
                // The container may still be readable without decoding: try that, in a fresh
                // worker, so the record keeps what can be known.
                let mut probed = match depth {
                    Depth::Decode | Depth::Pictures => {
                        match self.ask(job, Depth::Metadata, timeout, cancel) {
                            Outcome::Answer(p) => *p,
                            _ => Probed::empty(),
                        }
                    }
                    Depth::Metadata => Probed::empty(),
                };
                probed.findings.insert(0, finding);
                probed
            }
        }
    }

    fn ask(&mut self, job: &Job, depth: Depth, timeout: Duration, cancel: &AtomicBool) -> Outcome {
        let request = Request {
            path_hex: path_to_hex(&job.input.path),
            window: job.input.window,
            label: job.label.clone(),
            depth,
            cpu_seconds: timeout.as_secs().max(1),
        };
        let Ok(mut line) = serde_json::to_string(&request) else {
            return Outcome::Died("the request could not be encoded".into());
        };
        line.push('\n');
        if self.worker.is_none() {
            match self.spawn() {
                Ok(w) => self.worker = Some(w),
                Err(e) => return Outcome::Died(format!("the worker could not start: {e}")),
            }
        }
        let Some(worker) = self.worker.as_mut() else {
            return Outcome::Died("no worker".into());
        };
        let sent = worker
            .stdin
            .write_all(line.as_bytes())
            .and_then(|_| worker.stdin.flush());
        let outcome = match sent {
            Err(e) => Outcome::Died(format!("the worker stopped reading: {e}")),
            Ok(()) => match wait_for_answer(&worker.lines, timeout, cancel) {
                Ok(Some(answer)) => match serde_json::from_str::<Probed>(&answer) {
                    Ok(p) => return Outcome::Answer(Box::new(p)),
                    Err(e) => Outcome::Died(format!("the worker's answer was garbled: {e}")),
                },
                Ok(None) | Err(RecvTimeoutError::Disconnected) => Outcome::Died(String::new()),
                Err(RecvTimeoutError::Timeout) if cancel.load(Ordering::Relaxed) => {
                    Outcome::Cancelled
                }
                Err(RecvTimeoutError::Timeout) => Outcome::TimedOut(timeout),
            },
        };
        // The worker is dead or stuck: end it, and start a fresh one for the next file.
        if let Some(mut w) = self.worker.take() {
            let _ = w.child.kill();
            let status = w.child.wait();
            if let Outcome::Died(how) = outcome {
                let how = if how.is_empty() {
                    describe_exit(status)
                } else {
                    how
                };
                return Outcome::Died(how);
            }
        }
        outcome
    }
}

impl Drop for WorkerSlot<'_> {
    fn drop(&mut self) {
        if let Some(mut w) = self.worker.take() {
            drop(w.stdin);
            let _ = w.child.wait();
        }
    }
}

/// Waits up to `timeout` for the worker's answer, looking every 100 ms whether the caller has
/// cancelled (then it returns `Timeout` at once).
fn wait_for_answer(
    lines: &Receiver<Option<String>>,
    timeout: Duration,
    cancel: &AtomicBool,
) -> Result<Option<String>, RecvTimeoutError> {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() || cancel.load(Ordering::Relaxed) {
            return Err(RecvTimeoutError::Timeout);
        }
        match lines.recv_timeout(left.min(Duration::from_millis(100))) {
            Err(RecvTimeoutError::Timeout) => continue,
            other => return other,
        }
    }
}

fn describe_exit(status: io::Result<std::process::ExitStatus>) -> String {
    let Ok(status) = status else {
        return "the worker vanished".into();
    };
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            let name = match sig {
                libc::SIGABRT => "SIGABRT: an abort, often an allocation failure",
                libc::SIGSEGV => "SIGSEGV: a memory fault",
                libc::SIGKILL => "SIGKILL",
                libc::SIGXCPU => "SIGXCPU: the CPU-time limit",
                _ => "a signal",
            };
            return format!("killed by signal {sig}, {name}");
        }
    }
    format!("the worker exited with {status}")
}
