//! `archive audit`: a fixity audit. Every object under a prefix is verified in place, several at
//! once; a bundle that fails, or cannot be read, does not stop the others. Each result can be
//! written to a state file as it comes, so that an interrupted audit resumes where it stopped:
//! a version already checked (same key, same version id or ETag) is not read again.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use super::error::{Result, StoreError};
use super::lock::Retention;
use super::remote::verify_version;
use super::store::{ObjectInfo, Store};
use crate::finding::Severity;
use crate::progress::SharedProgress;
use crate::verify::{self, Verdict};

/// How to audit.
#[derive(Clone, Debug)]
pub struct AuditOptions {
    /// Bundles verified at once.
    pub jobs: usize,
    /// Whom to trust (its progress is not used: bundles are counted in `progress`).
    pub verify: verify::Options,
    /// The state file to resume from and write to.
    pub state: Option<PathBuf>,
    /// Told the bytes of all bundles at the start, each bundle's key as it starts, and its bytes
    /// when it is done.
    pub progress: SharedProgress,
}

/// One object's result.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Audited {
    /// The key.
    pub key: String,
    /// The version read.
    pub version_id: Option<String>,
    /// Its ETag.
    pub etag: String,
    /// Its size.
    pub size: u64,
    /// What the audit found.
    #[serde(flatten)]
    pub outcome: Outcome,
    /// The retention the store reports.
    pub retention: Option<Retention>,
    /// The legal hold the store reports (`None`: not reported).
    pub legal_hold: Option<bool>,
    /// When it was checked (RFC 3339, UTC).
    pub checked_at: String,
    /// Whether this result comes from the state file of an earlier run.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub resumed: bool,
}

/// What the audit found in one object.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Outcome {
    /// It was verified.
    Checked {
        /// The verdict.
        verdict: Verdict,
        /// The number of error findings.
        errors: usize,
        /// The first error finding, `code: message`.
        first_error: Option<String>,
    },
    /// It could not be read (it is tried again when the audit resumes).
    Error {
        /// Why.
        message: String,
    },
}

/// The first line of a state file: which audit it belongs to.
#[derive(Serialize, Deserialize, PartialEq, Eq)]
struct Header {
    earwitness_audit: u32,
    bucket: String,
    prefix: String,
}

/// An audit's state file: the results so far, and the file to add to.
pub struct AuditState {
    done: HashMap<(String, String), Audited>,
    file: File,
}

fn identity(key: &str, version_id: Option<&str>, etag: &str) -> (String, String) {
    (key.to_owned(), version_id.unwrap_or(etag).to_owned())
}

impl AuditState {
    /// Opens the state file at `path` for an audit of `bucket`/`prefix`, or makes it.
    ///
    /// # Errors
    /// When it cannot be read or written, or belongs to another audit.
    pub fn open(path: &Path, bucket: &str, prefix: &str) -> Result<AuditState> {
        let io_err = |source| StoreError::Io {
            path: path.display().to_string(),
            source,
        };
        let bad = |why: String| StoreError::InvalidArgument(format!("{}: {why}", path.display()));
        let header = Header {
            earwitness_audit: 1,
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
        };
        let mut done = HashMap::new();
        let exists = path.exists();
        if exists {
            let lines: Vec<String> = BufReader::new(File::open(path).map_err(io_err)?)
                .lines()
                .collect::<std::io::Result<_>>()
                .map_err(io_err)?;
            let first: Header = lines
                .first()
                .and_then(|l| serde_json::from_str(l).ok())
                .ok_or_else(|| bad("not an earwitness audit state file".into()))?;
            if first != header {
                return Err(bad(format!(
                    "the state of an audit of s3://{}/{}, not of s3://{bucket}/{prefix}",
                    first.bucket, first.prefix
                )));
            }
            let last = lines.len() - 1;
            for (i, line) in lines.iter().enumerate().skip(1) {
                match serde_json::from_str::<Audited>(line) {
                    Ok(mut a) => {
                        a.resumed = true;
                        done.insert(identity(&a.key, a.version_id.as_deref(), &a.etag), a);
                    }
                    // The last line may be cut short by an interruption.
                    Err(_) if i == last => {}
                    Err(e) => return Err(bad(format!("line {}: {e}", i + 1))),
                }
            }
        }
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(io_err)?;
        if !exists {
            let line = serde_json::to_string(&header).map_err(|e| bad(e.to_string()))?;
            writeln!(file, "{line}").map_err(io_err)?;
        } else {
            // Ends a line cut short, so that the next result starts on its own line.
            writeln!(file).map_err(io_err)?;
        }
        Ok(AuditState { done, file })
    }

    /// Appends a new result. One from this file already, or an object that could not be read
    /// (tried again next time), is not written.
    fn record(&mut self, a: &Audited) -> std::io::Result<()> {
        if a.resumed || matches!(a.outcome, Outcome::Error { .. }) {
            return Ok(());
        }
        let line = serde_json::to_string(a).map_err(std::io::Error::other)?;
        writeln!(self.file, "{line}")?;
        self.file.flush()
    }
}

/// Audits every object under `prefix` (keys ending in `/` aside). `on_result` hears each result
/// as it comes (from several threads, one at a time). Returns every result, in key order.
///
/// # Errors
/// When the listing fails or the state file cannot be used; and when the store stops answering
/// or refuses the credentials midway (after the results so far were heard and recorded).
pub fn audit(
    store: &Arc<Store>,
    prefix: &str,
    options: &AuditOptions,
    on_result: &(dyn Fn(&Audited) + Sync),
) -> Result<Vec<Audited>> {
    let objects: Vec<_> = store
        .list(prefix)?
        .into_iter()
        .filter(|o| !o.key.ends_with('/'))
        .collect();
    let state = match &options.state {
        Some(path) => Some(AuditState::open(path, store.bucket(), prefix)?),
        None => None,
    };
    let state = Mutex::new(state);
    let total = objects
        .iter()
        .map(|o| o.size)
        .fold(0u64, u64::saturating_add);
    options.progress.start(total, objects.len());
    options.progress.stage("auditing");
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let fatal: Mutex<Option<StoreError>> = Mutex::new(None);
    let results: Mutex<Vec<Audited>> = Mutex::new(Vec::new());
    let verify_options = verify::Options {
        progress: SharedProgress::none(),
        ..options.verify.clone()
    };
    std::thread::scope(|scope| {
        for _ in 0..options.jobs.clamp(1, objects.len().max(1)) {
            scope.spawn(|| {
                loop {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let Some(object) = objects.get(next.fetch_add(1, Ordering::Relaxed)) else {
                        break;
                    };
                    options.progress.file(&object.key);
                    let result = audit_one(store, &object.key, &verify_options, &state);
                    let audited = match result {
                        Ok(a) => a,
                        Err(e) if e.is_connection() => {
                            stop.store(true, Ordering::Relaxed);
                            if let Ok(mut f) = fatal.lock() {
                                f.get_or_insert(e);
                            }
                            break;
                        }
                        Err(e) => Audited {
                            key: object.key.clone(),
                            version_id: None,
                            etag: String::new(),
                            size: object.size,
                            outcome: Outcome::Error {
                                message: e.to_string(),
                            },
                            retention: None,
                            legal_hold: None,
                            checked_at: now(),
                            resumed: false,
                        },
                    };
                    let recorded = match state.lock() {
                        Ok(mut s) => s.as_mut().map_or(Ok(()), |s| s.record(&audited)),
                        Err(_) => Ok(()),
                    };
                    if let Err(e) = recorded {
                        stop.store(true, Ordering::Relaxed);
                        if let Ok(mut f) = fatal.lock() {
                            f.get_or_insert(StoreError::Io {
                                path: options
                                    .state
                                    .as_ref()
                                    .map(|p| p.display().to_string())
                                    .unwrap_or_default(),
                                source: e,
                            });
                        }
                    }
                    if let Ok(mut r) = results.lock() {
                        on_result(&audited);
                        r.push(audited);
                    }
                    options.progress.advance(object.size);
                }
            });
        }
    });
    options.progress.finish();
    if let Some(e) = fatal.into_inner().ok().flatten() {
        return Err(e);
    }
    let mut results = results.into_inner().unwrap_or_default();
    results.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(results)
}

fn now() -> String {
    crate::time::rfc3339(jiff::Timestamp::now())
}

fn audit_one(
    store: &Arc<Store>,
    key: &str,
    options: &verify::Options,
    state: &Mutex<Option<AuditState>>,
) -> Result<Audited> {
    let info = store.head(key, None)?;
    let id = identity(key, info.version_id.as_deref(), &info.etag);
    if let Ok(s) = state.lock()
        && let Some(done) = s.as_ref().and_then(|s| s.done.get(&id))
    {
        return Ok(done.clone());
    }
    let remote = verify_version(store, info, options)?;
    let report = &remote.report;
    let first_error = report
        .findings
        .iter()
        .find(|f| f.severity == Severity::Error)
        .map(|f| format!("{}: {}", f.code, f.message));
    Ok(Audited {
        key: key.to_owned(),
        version_id: remote.object.version_id.clone(),
        etag: remote.object.etag.clone(),
        size: remote.object.size,
        outcome: Outcome::Checked {
            verdict: report.verdict,
            errors: report.error_count(),
            first_error,
        },
        retention: remote.object.retention,
        legal_hold: remote.object.legal_hold,
        checked_at: now(),
        resumed: false,
    })
}

/// Every object under `prefix` (keys ending in `/` aside) with its latest version's size,
/// retention and legal hold, asked `jobs` at a time; in key order.
pub fn inventory(store: &Store, prefix: &str, jobs: usize) -> Result<Vec<ObjectInfo>> {
    let keys: Vec<String> = store
        .list(prefix)?
        .into_iter()
        .map(|o| o.key)
        .filter(|k| !k.ends_with('/'))
        .collect();
    let next = AtomicUsize::new(0);
    let found: Mutex<Vec<Result<ObjectInfo>>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, keys.len().max(1)) {
            scope.spawn(|| {
                while let Some(key) = keys.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let info = store.head(key, None);
                    if let Ok(mut f) = found.lock() {
                        f.push(info);
                    }
                }
            });
        }
    });
    let mut infos = Vec::new();
    for info in found.into_inner().unwrap_or_default() {
        match info {
            Ok(i) => infos.push(i),
            // Deleted since the listing (a delete marker is now the latest).
            Err(StoreError::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    infos.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(infos)
}
