//! `archive push`: verify a local bundle, upload it, lock it, and read back what the store now
//! holds (version, retention, legal hold, and the SHA-256 of the stored bytes).

use std::fs::File;
use std::io;
use std::path::Path;

use serde::Serialize;

use super::error::{Result, StoreError};
use super::lock::{Lock, Retention};
use super::store::Store;
use super::upload::Stored;
use crate::digest::Sha256;
use crate::verify::{self, Report, Verdict};

/// How to push.
#[derive(Clone, Debug)]
pub struct PushOptions {
    /// The lock to set; `None` stores the bundle unlocked (`--no-lock`).
    pub lock: Option<Lock>,
    /// How to verify the bundle before it goes.
    pub verify: verify::Options,
}

/// A bundle pushed, and what the store reports about it afterwards.
#[derive(Debug, Serialize)]
pub struct Pushed {
    /// `s3://BUCKET/KEY`.
    pub location: String,
    /// The version written.
    #[serde(flatten)]
    pub stored: Stored,
    /// The version that was the latest before (it stays, under its own lock if it had one).
    pub previous_version: Option<String>,
    /// The retention the store reports for the new version.
    pub retention: Option<Retention>,
    /// The legal hold the store reports.
    pub legal_hold: bool,
    /// The SHA-256 of the stored version, read back from the store.
    #[serde(serialize_with = "hex")]
    pub sha256_stored: Sha256,
    /// Whether that is the SHA-256 of the bytes sent (and of the file that was verified).
    pub sha256_matches: bool,
}

fn hex<S: serde::Serializer>(d: &Sha256, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&d.to_hex())
}

/// What became of one bundle.
#[derive(Debug)]
pub enum PushOutcome {
    /// It failed verification and was not uploaded.
    Refused,
    /// It was uploaded.
    Pushed(Box<Pushed>),
}

/// Verifies the bundle at `path` and, unless it fails, uploads it to `key` and locks it. Returns
/// the local verification's report and what became of the bundle.
///
/// The file is hashed before it is verified, and the bytes sent are hashed as they go: if the two
/// differ, the file changed in between, and the push is an error (the version stays in the store,
/// locked if a lock was asked for, and the error names it).
pub fn push(
    store: &Store,
    path: &Path,
    key: &str,
    options: &PushOptions,
) -> Result<(Report, PushOutcome)> {
    let io_err = |source| StoreError::Io {
        path: path.display().to_string(),
        source,
    };
    let before = File::open(path)
        .and_then(crate::digest::hash_reader)
        .map_err(io_err)?
        .sha256;
    let report = verify::verify_path(path, &options.verify).map_err(io_err)?;
    if report.verdict == Verdict::Failed {
        return Ok((report, PushOutcome::Refused));
    }
    let previous_version = match store.head(key, None) {
        Ok(info) => Some(info.version_id.unwrap_or_else(|| "(unversioned)".into())),
        Err(StoreError::NotFound { .. }) => None,
        Err(e) => return Err(e),
    };
    let stored = store.upload_file(key, path, options.lock.as_ref())?;
    let version = stored.version_id.clone();
    if stored.sha256_sent != before {
        return Err(io_err(io::Error::other(format!(
            "the file changed between its verification and its upload; the version stored as {} is not the bundle that was verified",
            version.as_deref().unwrap_or("the latest")
        ))));
    }
    let (retention, legal_hold) = match (&options.lock, &version) {
        (Some(lock), Some(v)) => {
            let (r, hold) = store.lock_version(key, v, lock)?;
            (Some(r), hold)
        }
        (Some(_), None) => {
            return Err(StoreError::Protocol {
                op: "PutObject",
                detail:
                    "no version id for the new object, so it cannot be locked (is versioning on?)"
                        .into(),
            });
        }
        (None, _) => {
            let info = store.head(key, version.as_deref())?;
            (info.retention, info.legal_hold.unwrap_or(false))
        }
    };
    let (sha256_stored, _) = store.sha256_of(key, version.as_deref())?;
    let pushed = Pushed {
        location: format!("s3://{}/{}", store.bucket(), crate::text::safe(key)),
        sha256_matches: sha256_stored == stored.sha256_sent,
        stored,
        previous_version,
        retention,
        legal_hold,
        sha256_stored,
    };
    Ok((report, PushOutcome::Pushed(Box::new(pushed))))
}
