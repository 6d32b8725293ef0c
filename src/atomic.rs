//! Atomic writes: a file appears complete or not at all. Everything earwitness writes goes into a
//! temporary file beside its target (named `.<name>.XXXXXX.earwitness-partial`), is fsynced, renamed
//! into place, and the folder is fsynced so the rename survives a crash. On any error the temporary
//! file is removed and the target is untouched.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::Path;

/// Every temporary file earwitness writes ends with this, so a leftover from a crash is
/// recognisable and never mistaken for a bundle.
pub const PARTIAL_SUFFIX: &str = ".earwitness-partial";

/// Writes `path` atomically with `mode` on Unix. Without `overwrite`, an existing `path` is an
/// error (`AlreadyExists`).
pub fn write(
    path: &Path,
    mode: u32,
    overwrite: bool,
    fill: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<()> {
    let mut tmp = temp_beside(path, mode)?;
    fill(tmp.as_file_mut())?;
    tmp.as_file_mut().flush()?;
    tmp.as_file().sync_all()?;
    persist(tmp, path, overwrite)
}

/// A new temporary file beside `path`, removed when dropped.
pub fn temp_beside(path: &Path, mode: u32) -> io::Result<tempfile::NamedTempFile> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(PARTIAL_SUFFIX);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(mode));
    }
    #[cfg(not(unix))]
    let _ = mode;
    builder.tempfile_in(parent_dir(path))
}

/// The folder `path` is in (`.` for a bare file name).
pub fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Renames a complete, fsynced temporary file to `path`, then fsyncs the folder so the rename
/// itself survives a crash.
pub fn persist(tmp: tempfile::NamedTempFile, path: &Path, overwrite: bool) -> io::Result<()> {
    let result = if overwrite {
        tmp.persist(path).map(|_| ())
    } else {
        tmp.persist_noclobber(path).map(|_| ())
    };
    // On failure the error hands the temporary file back; dropping it removes it.
    result.map_err(|e| e.error)?;
    #[cfg(unix)]
    File::open(parent_dir(path))?.sync_all()?;
    Ok(())
}
