//! Ingest: walk the inputs, refuse what is not a regular file, and give each file a stable name
//! inside the bundle. Nothing here opens a file for writing.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The folder inside the bag where originals are stored.
pub const ORIGINALS_DIR: &str = "data/originals";

/// One regular file to archive.
#[derive(Clone, Debug)]
pub struct Source {
    /// The path to open, as given on the command line (joined with the part below a folder).
    pub path: PathBuf,
    /// The name inside the bag, for example `data/originals/recordings/call.wav`.
    pub bag_path: String,
    /// The file's size when the walk saw it.
    pub size: u64,
    /// The file's modification time when the walk saw it.
    pub modified: Option<SystemTime>,
}

/// Why the inputs cannot be sealed. Nothing has been written when this is returned.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// An input path does not exist.
    #[error("{0}: no such file or folder")]
    Missing(PathBuf),
    /// An input is a symbolic link.
    #[error(
        "{0}: is a symbolic link; earwitness archives only regular files (give the target's real path instead)"
    )]
    Symlink(PathBuf),
    /// An input is a FIFO, socket or device.
    #[error("{0}: is a {1}, not a regular file; earwitness archives only regular files")]
    NotRegular(PathBuf, &'static str),
    /// An input could not be read.
    #[error("{path}")]
    Io {
        /// The path.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// Two inputs would get the same name inside the bundle.
    #[error(
        "{first} and {second} would both be stored as {bag_path}; rename one or pass their folders instead"
    )]
    Collision {
        /// The first input.
        first: PathBuf,
        /// The second input.
        second: PathBuf,
        /// The name both would get.
        bag_path: String,
    },
    /// No input was given, or the folders given hold no files.
    #[error("nothing to seal: the inputs hold no regular files")]
    Empty,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> IngestError + '_ {
    move |source| IngestError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Walks `inputs` (files and folders, folders recursively, each folder's entries in byte order of
/// their names) and returns every regular file, sorted by bag path.
///
/// A file given directly is stored as `data/originals/<file name>`; a file found below a folder
/// `F` as `data/originals/<F's name>/<path below F>`. Names are made safe by [`bag_component`].
///
/// # Errors
/// Refuses missing paths, symbolic links (also below folders), FIFOs, sockets and devices, and two
/// inputs that would get the same bag path.
pub fn walk(inputs: &[PathBuf]) -> Result<Vec<Source>, IngestError> {
    let mut found: Vec<Source> = Vec::new();
    let mut tops: BTreeMap<String, PathBuf> = BTreeMap::new();
    for input in inputs {
        let meta = fs::symlink_metadata(input).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                IngestError::Missing(input.clone())
            } else {
                io_err(input)(e)
            }
        })?;
        let base = match input.file_name() {
            Some(name) => bag_component(name),
            // `.` or `/` or `..`: name the folder after its canonical path's last component.
            None => {
                let canon = fs::canonicalize(input).map_err(io_err(input))?;
                canon
                    .file_name()
                    .map(bag_component)
                    .unwrap_or_else(|| "root".to_string())
            }
        };
        // Two inputs with the same name would be merged into one folder of the bundle, and which
        // file came from which input would show only in evidence.json: refuse instead.
        if let Some(first) = tops.insert(base.clone(), input.clone()) {
            return Err(IngestError::Collision {
                first,
                second: input.clone(),
                bag_path: format!("{ORIGINALS_DIR}/{base}"),
            });
        }
        let prefix = format!("{ORIGINALS_DIR}/{base}");
        visit(input, &meta, &prefix, &mut found)?;
    }
    if found.is_empty() {
        return Err(IngestError::Empty);
    }
    // A list sorted once (stably: of two inputs with one bag path, the first given is named
    // first), not a map, which would hold every bag path twice.
    found.sort_by(|a, b| a.bag_path.cmp(&b.bag_path));
    if let Some(pair) = found.windows(2).find(|w| w[0].bag_path == w[1].bag_path) {
        return Err(IngestError::Collision {
            first: pair[0].path.clone(),
            second: pair[1].path.clone(),
            bag_path: pair[0].bag_path.clone(),
        });
    }
    found.shrink_to_fit();
    Ok(found)
}

fn visit(
    path: &Path,
    meta: &fs::Metadata,
    bag_path: &str,
    out: &mut Vec<Source>,
) -> Result<(), IngestError> {
    let ft = meta.file_type();
    if ft.is_symlink() {
        return Err(IngestError::Symlink(path.to_path_buf()));
    }
    if ft.is_dir() {
        let mut entries = Vec::new();
        for entry in fs::read_dir(path).map_err(io_err(path))? {
            let entry = entry.map_err(io_err(path))?;
            entries.push(entry.file_name());
        }
        // Byte order of the raw names: stable on every platform and independent of the locale.
        entries.sort_by(|a, b| a.as_encoded_bytes().cmp(b.as_encoded_bytes()));
        for name in entries {
            let child = path.join(&name);
            let child_meta = fs::symlink_metadata(&child).map_err(io_err(&child))?;
            let child_bag = format!("{bag_path}/{}", bag_component(&name));
            visit(&child, &child_meta, &child_bag, out)?;
        }
        return Ok(());
    }
    if !ft.is_file() {
        return Err(IngestError::NotRegular(path.to_path_buf(), kind_of(&ft)));
    }
    let source = Source {
        path: path.to_path_buf(),
        bag_path: bag_path.to_string(),
        size: meta.len(),
        modified: meta.modified().ok(),
    };
    out.push(source);
    Ok(())
}

#[cfg(unix)]
fn kind_of(ft: &fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_fifo() {
        "FIFO"
    } else if ft.is_socket() {
        "socket"
    } else if ft.is_block_device() {
        "block device"
    } else if ft.is_char_device() {
        "character device"
    } else {
        "special file"
    }
}

#[cfg(not(unix))]
fn kind_of(_: &fs::FileType) -> &'static str {
    "special file"
}

/// The marker that starts an escape in a bundle name: `~` followed by two uppercase hex digits.
pub const ESCAPE: char = '~';

/// The name one path component gets inside the bundle.
///
/// Valid UTF-8 is kept exactly as it is (no Unicode normalisation, so names that differ only by
/// NFC/NFD stay different), except that these are written as `~XX`, one per byte of their UTF-8
/// (or raw) encoding: bytes that are not valid UTF-8, control characters (C0, DEL and C1),
/// invisible formatting characters (bidi overrides, zero-width characters: see
/// [`crate::text::is_unsafe`]), `\`, `%`, and `~` itself. So bundle names never hold `%`, CR or
/// LF, which BagIt manifests would have to percent-encode (and which bagit-python does not
/// decode), nor a backslash, nor anything that hides or reorders text. The mapping is injective:
/// two different names never collide. `docs/FORMAT.md` documents it.
pub fn bag_component(name: &std::ffi::OsStr) -> String {
    let bytes = name.as_encoded_bytes();
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if crate::text::is_unsafe(c) || matches!(c, '\\' | '%' | ESCAPE) {
                let mut utf8 = [0u8; 4];
                for b in c.encode_utf8(&mut utf8).bytes() {
                    out.push_str(&format!("{ESCAPE}{b:02X}"));
                }
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("{ESCAPE}{b:02X}"));
        }
    }
    out
}

/// A path as text for people and for `evidence.json`: exact when it is UTF-8, otherwise with each
/// invalid byte written as `\xNN`.
pub fn display_path(path: &Path) -> String {
    let bytes = path.as_os_str().as_encoded_bytes();
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn component_escapes_only_what_it_must() {
        assert_eq!(bag_component(OsStr::new("call 1.m4a")), "call 1.m4a");
        assert_eq!(bag_component(OsStr::new("a%b")), "a~25b");
        assert_eq!(bag_component(OsStr::new("a~b")), "a~7Eb");
        assert_eq!(bag_component(OsStr::new("a\\b")), "a~5Cb");
        assert_eq!(bag_component(OsStr::new("a\nb")), "a~0Ab");
        assert_eq!(bag_component(OsStr::new("a\u{85}b")), "a~C2~85b");
        assert_eq!(
            bag_component(OsStr::new("evil\u{202e}vaw.txt")),
            "evil~E2~80~AEvaw.txt"
        );
        // NFC and NFD stay distinct.
        assert_ne!(
            bag_component(OsStr::new("caf\u{e9}")),
            bag_component(OsStr::new("cafe\u{301}"))
        );
    }

    #[cfg(unix)]
    #[test]
    fn component_escapes_invalid_utf8() {
        use std::os::unix::ffi::OsStrExt;
        assert_eq!(bag_component(OsStr::from_bytes(b"a\xffb.wav")), "a~FFb.wav");
    }
}
