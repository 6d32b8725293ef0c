//! The last step of every write of a bundle (seal and each hand-off): read the complete temporary
//! file back, verify it, and only then rename it into place. A bundle that does not check out
//! after writing never replaces anything.

use std::io;
use std::path::Path;

use crate::digest::Known;
use crate::verify::{self, Report};

/// Why a written bundle was not committed. The target is unchanged and the temporary file gone.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    /// The written bundle did not verify.
    #[error("the bundle failed its check after writing ({})", codes(.0))]
    ReadBack(Box<Report>),
    /// The target exists and may not be replaced.
    #[error("already exists")]
    Exists,
    /// Reading back or renaming failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: &'static str,
        /// What the OS said.
        source: io::Error,
    },
}

fn codes(report: &Report) -> String {
    let mut codes: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.severity == crate::finding::Severity::Error)
        .map(|f| f.code.as_str())
        .collect();
    codes.dedup();
    codes.join(", ")
}

/// Verifies the complete, fsynced temporary bundle `tmp` with `options` (which trust the writer)
/// and the payload digests measured while writing (`known`), then renames it to `target`.
pub(crate) fn read_back_and_commit(
    tmp: tempfile::NamedTempFile,
    target: &Path,
    overwrite: bool,
    options: &verify::Options,
    known: &Known,
) -> Result<(), CommitError> {
    let (check, _) =
        verify::verify_path_with(tmp.path(), options, Some(known), false).map_err(|source| {
            CommitError::Io {
                context: "cannot read back the bundle just written",
                source,
            }
        })?;
    if check.has_errors() {
        return Err(CommitError::ReadBack(Box::new(check)));
    }
    crate::atomic::persist(tmp, target, overwrite).map_err(|e| {
        if e.kind() == io::ErrorKind::AlreadyExists {
            CommitError::Exists
        } else {
            CommitError::Io {
                context: "cannot move the bundle into place",
                source: e,
            }
        }
    })
}
