//! The bundle container: a ZIP written atomically and deterministically, and read as hostile input.
//!
//! Writing: stored entries, a fixed timestamp and permissions, a fixed entry order, into a
//! temporary file beside the output that is fsynced and renamed into place only when complete.
//! Reading: every entry is checked for a safe name and a sane shape before any byte is trusted, and
//! entries are streamed by index, never extracted to disk. An unzipped bundle folder reads the same
//! way.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Read, Seek, Write};
use std::path::{Path, PathBuf};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use crate::digest::{Digests, copy_hashed};
use crate::finding::{Finding, code};

/// Every temporary file earwitness writes ends with this, so a leftover from a crash is
/// recognisable and never mistaken for a bundle.
pub const PARTIAL_SUFFIX: &str = ".earwitness-partial";

/// Entries at least this large are written with ZIP64 headers.
const ZIP64_THRESHOLD: u64 = 0xFFFF_0000;

/// Writes `path` atomically: into a temporary file in the same folder (named
/// `.<name>.XXXXXX.earwitness-partial`), with `mode` on Unix, fsynced, renamed into place, and the
/// folder fsynced. On any error the temporary file is removed and `path` is untouched. Without
/// `overwrite`, an existing `path` is an error (`AlreadyExists`).
pub fn write_atomic(
    path: &Path,
    mode: u32,
    overwrite: bool,
    write: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<()> {
    let mut tmp = temp_beside(path, mode)?;
    write(tmp.as_file_mut())?;
    tmp.as_file_mut().flush()?;
    tmp.as_file().sync_all()?;
    persist(tmp, path, overwrite)
}

/// A new temporary file beside `path`, removed when dropped.
pub fn temp_beside(path: &Path, mode: u32) -> io::Result<tempfile::NamedTempFile> {
    let dir = parent_dir(path);
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
    builder.tempfile_in(dir)
}

fn parent_dir(path: &Path) -> &Path {
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

/// Writes a bundle's entries, in the order they are added, into a temporary ZIP file.
pub struct BundleWriter {
    zip: ZipWriter<BufWriter<Sink>>,
    options: SimpleFileOptions,
}

/// With the test-only fault switch on (`EARWITNESS_FAULT_INJECTION=1`, the same as the probe
/// workers'), `EARWITNESS_FAULT_DISK_FULL_AFTER=N` makes bundle writes fail with "no space left"
/// after N bytes, and `EARWITNESS_FAULT_FSYNC=1` makes the final fsync fail. They exercise the
/// error paths a full disk or a failing disk takes, which a test cannot otherwise reach.
pub const DISK_FULL_ENV: &str = "EARWITNESS_FAULT_DISK_FULL_AFTER";
/// See [`DISK_FULL_ENV`].
pub const FSYNC_FAIL_ENV: &str = "EARWITNESS_FAULT_FSYNC";

/// The temporary bundle file, with the optional injected faults.
struct Sink {
    file: tempfile::NamedTempFile,
    written: u64,
    limit: Option<u64>,
    fail_sync: bool,
    /// Set by the first write error. The error has gone to the caller, which abandons the file;
    /// from then on writes are discarded, so that the ZIP writer's drop does not write (or
    /// complain) into a file that is about to be deleted. [`Sink::sync`] refuses a poisoned file.
    poisoned: bool,
    /// The position and length as the ZIP writer sees them (kept up to date in both states, so a
    /// poisoned sink can still answer seeks consistently).
    pos: u64,
    len: u64,
}

impl Sink {
    fn new(file: tempfile::NamedTempFile) -> Self {
        let faults = std::env::var(crate::probe::worker::FAULT_ENV).as_deref() == Ok("1");
        let limit = faults
            .then(|| std::env::var(DISK_FULL_ENV).ok()?.parse().ok())
            .flatten();
        let fail_sync = faults && std::env::var(FSYNC_FAIL_ENV).as_deref() == Ok("1");
        Sink {
            file,
            written: 0,
            limit,
            fail_sync,
            poisoned: false,
            pos: 0,
            len: 0,
        }
    }

    /// Flushes to the disk (fsync); an error is returned, never retried.
    fn sync(self) -> io::Result<tempfile::NamedTempFile> {
        if self.poisoned {
            return Err(io::Error::other("an earlier write failed"));
        }
        if self.fail_sync {
            return Err(io::Error::other("injected fsync failure"));
        }
        self.file.as_file().sync_all()?;
        Ok(self.file)
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let result = if self.poisoned {
            Ok(buf.len())
        } else if self
            .limit
            .is_some_and(|limit| self.written + buf.len() as u64 > limit)
        {
            Err(io::Error::new(
                io::ErrorKind::StorageFull,
                "no space left on device (injected)",
            ))
        } else {
            self.file.write(buf)
        };
        match result {
            Ok(n) => {
                self.written += n as u64;
                self.pos += n as u64;
                self.len = self.len.max(self.pos);
                Ok(n)
            }
            Err(e) => {
                self.poisoned = true;
                Err(e)
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.poisoned {
            return Ok(());
        }
        self.file.flush().inspect_err(|_| self.poisoned = true)
    }
}

impl Seek for Sink {
    fn seek(&mut self, pos: io::SeekFrom) -> io::Result<u64> {
        if !self.poisoned {
            self.pos = self.file.seek(pos).inspect_err(|_| self.poisoned = true)?;
            return Ok(self.pos);
        }
        let target = match pos {
            io::SeekFrom::Start(p) => Some(p),
            io::SeekFrom::End(d) => self.len.checked_add_signed(d),
            io::SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = target
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        Ok(self.pos)
    }
}

impl BundleWriter {
    /// Starts a bundle that will become `output`; every entry gets `mtime` as its timestamp.
    pub fn create(output: &Path, mtime: jiff::Timestamp) -> io::Result<Self> {
        let tmp = temp_beside(output, 0o644)?;
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Stored)
            .last_modified_time(zip_time(mtime))
            .unix_permissions(0o644)
            .system(zip::System::Unix);
        Ok(BundleWriter {
            zip: ZipWriter::new(BufWriter::with_capacity(1 << 20, Sink::new(tmp))),
            options,
        })
    }

    /// Adds an entry of `expected_len` bytes from `reader`, stored, hashing as it copies.
    pub fn add_stream(
        &mut self,
        name: &str,
        expected_len: u64,
        reader: impl Read,
    ) -> io::Result<Digests> {
        let options = self.options.large_file(expected_len >= ZIP64_THRESHOLD);
        self.zip.start_file(name, options).map_err(zip_io)?;
        if expected_len >= crate::digest::PIPELINE_MIN {
            crate::digest::copy_hashed_pipelined(reader, &mut self.zip)
        } else {
            copy_hashed(reader, &mut self.zip)
        }
    }

    /// Adds an entry with the given bytes, stored.
    pub fn add_bytes(&mut self, name: &str, bytes: &[u8]) -> io::Result<Digests> {
        self.add_stream(name, bytes.len() as u64, bytes)
    }

    /// Writes the central directory and fsyncs. The bundle is complete but still temporary.
    pub fn finish(self) -> io::Result<tempfile::NamedTempFile> {
        let buffered = self.zip.finish().map_err(zip_io)?;
        buffered.into_inner().map_err(|e| e.into_error())?.sync()
    }
}

fn zip_io(e: zip::result::ZipError) -> io::Error {
    match e {
        zip::result::ZipError::Io(e) => e,
        other => io::Error::other(other),
    }
}

/// A ZIP timestamp (DOS time, two-second resolution, years 1980 to 2107) from a UTC instant.
fn zip_time(t: jiff::Timestamp) -> zip::DateTime {
    let c = jiff::tz::Offset::UTC.to_datetime(t);
    // DOS time covers 1980 to 2107; outside that, the earliest DOS time stands in.
    let Some(year) = u16::try_from(c.year())
        .ok()
        .filter(|y| (1980..=2107).contains(y))
    else {
        return zip::DateTime::default();
    };
    zip::DateTime::from_date_and_time(
        year,
        c.month() as u8,
        c.day() as u8,
        c.hour() as u8,
        c.minute() as u8,
        c.second() as u8,
    )
    .unwrap_or_default()
}

// ------------------------------------------------------------------------------------------------
// Reading

/// One readable entry of a bundle.
#[derive(Clone, Debug)]
pub struct EntryInfo {
    /// The full entry name, `/`-separated, including the top-level folder.
    pub name: String,
    /// The size the container declares (uncompressed).
    pub size: u64,
    /// The CRC-32 the ZIP central directory records (`None` for a folder on disk).
    pub crc32: Option<u32>,
    /// Where a stored ZIP entry's bytes start in the ZIP file (`None` when compressed, or on disk).
    pub data_start: Option<u64>,
    /// Index in the container.
    index: usize,
}

/// The most a tag or custody file may hold; larger ones are refused before they are read.
pub const SMALL_FILE_CAP: u64 = 64 << 20;

/// A compressed entry whose declared size is over this many times its compressed size (and over
/// [`BOMB_MIN_SIZE`]) is refused as a decompression bomb.
pub const BOMB_RATIO: u64 = 100;
/// Entries smaller than this are never treated as bombs.
pub const BOMB_MIN_SIZE: u64 = 64 << 20;

/// A bundle opened for reading: a ZIP file or an unzipped folder.
pub enum Container {
    /// A ZIP file.
    Zip(Box<ZipArchive<Box<dyn ReadSeek>>>),
    /// An unzipped bundle folder; entries are files below its parent, named `<folder>/<path>`.
    Dir(PathBuf),
}

/// A bundle's entries after the structural checks, and what those checks found.
pub struct Opened {
    /// The container.
    pub container: Container,
    /// The entries that passed the checks and may be read, in container order.
    pub entries: Vec<EntryInfo>,
    /// Structural findings: unsafe names, duplicates, overlaps, encryption, links.
    pub findings: Vec<Finding>,
}

/// Opens a bundle: a ZIP file, or an unzipped bundle folder.
///
/// # Errors
/// Only for the path itself (no such file, unreadable): exit code 2. A file that is not a usable
/// ZIP is not an error here; it comes back as a `bundle.unreadable` finding.
pub fn open(path: &Path) -> io::Result<Result<Opened, Finding>> {
    let meta = fs::metadata(path)?;
    if meta.is_dir() {
        return Ok(Ok(open_dir(path)?));
    }
    let file = File::open(path)?;
    Ok(open_zip(Box::new(BufReader::new(file))))
}

/// Anything a ZIP can be read from.
pub trait ReadSeek: Read + Seek + Send {}
impl<T: Read + Seek + Send> ReadSeek for T {}

/// Opens a bundle ZIP held in memory (for fuzzing and the tamper matrix).
pub fn open_bytes(bytes: Vec<u8>) -> Result<Opened, Finding> {
    open_zip(Box::new(io::Cursor::new(bytes)))
}

fn open_zip(reader: Box<dyn ReadSeek>) -> Result<Opened, Finding> {
    let mut archive = ZipArchive::new(reader).map_err(|e| {
        Finding::new(
            code::BUNDLE_UNREADABLE,
            crate::finding::Severity::Error,
            format!("not a readable ZIP file: {e}"),
        )
    })?;
    let mut findings = Vec::new();
    let mut entries = Vec::new();
    if archive.has_duplicate_names() {
        findings.push(Finding::new(
            code::BUNDLE_ENTRY_DUPLICATE,
            crate::finding::Severity::Error,
            "the ZIP holds two entries with the same name",
        ));
    }
    match archive.has_overlapping_files() {
        Ok(false) => {}
        Ok(true) => findings.push(Finding::new(
            code::BUNDLE_ENTRY_OVERLAP,
            crate::finding::Severity::Error,
            "entries overlap inside the ZIP file",
        )),
        Err(e) => findings.push(Finding::new(
            code::BUNDLE_UNREADABLE,
            crate::finding::Severity::Error,
            format!("the ZIP's entries could not be located: {e}"),
        )),
    }
    let mut seen = HashSet::new();
    for index in 0..archive.len() {
        let entry = match archive.by_index_raw(index) {
            Ok(e) => e,
            Err(e) => {
                findings.push(Finding::new(
                    code::BUNDLE_ENTRY_UNREADABLE,
                    crate::finding::Severity::Error,
                    format!("entry #{index} cannot be read: {e}"),
                ));
                continue;
            }
        };
        let Ok(name) = std::str::from_utf8(entry.name_raw()).map(str::to_owned) else {
            findings.push(Finding::new(
                code::BUNDLE_ENTRY_UNSAFE_NAME,
                crate::finding::Severity::Error,
                format!("entry #{index} has a name that is not UTF-8"),
            ));
            continue;
        };
        let shown = printable(&name);
        if let Err(why) = check_entry_name(&name) {
            findings.push(Finding::error(
                code::BUNDLE_ENTRY_UNSAFE_NAME,
                shown,
                format!("unsafe entry name: {why}"),
            ));
            continue;
        }
        if entry.enclosed_name().is_none() {
            findings.push(Finding::error(
                code::BUNDLE_ENTRY_UNSAFE_NAME,
                shown,
                "unsafe entry name: not enclosed in the bundle",
            ));
            continue;
        }
        if !seen.insert(name.clone()) {
            findings.push(Finding::error(
                code::BUNDLE_ENTRY_DUPLICATE,
                shown,
                "this entry name appears more than once",
            ));
            continue;
        }
        if entry.encrypted() {
            findings.push(Finding::error(
                code::BUNDLE_ENTRY_ENCRYPTED,
                shown,
                "the entry is encrypted; a bundle never is",
            ));
            continue;
        }
        let mode_type = entry.unix_mode().map(|m| m & 0o170000).unwrap_or(0);
        if entry.is_symlink() || (mode_type != 0 && mode_type != 0o100000 && mode_type != 0o040000)
        {
            findings.push(Finding::error(
                code::BUNDLE_ENTRY_SYMLINK,
                shown,
                "the entry is a symbolic link or special file; a bundle holds only regular files",
            ));
            continue;
        }
        if entry.is_dir() {
            // Folder entries carry no data; a re-zipped folder has them.
            continue;
        }
        let method = entry.compression();
        if method != CompressionMethod::Stored && method != CompressionMethod::Deflated {
            findings.push(Finding::error(
                code::BUNDLE_ENTRY_COMPRESSION,
                shown,
                format!("the entry uses compression {method:?}; only stored and deflate are read"),
            ));
            continue;
        }
        let size = entry.size();
        let packed = entry.compressed_size();
        if method == CompressionMethod::Stored && size != packed {
            findings.push(Finding::error(
                code::BUNDLE_ENTRY_OVERSIZE,
                shown,
                format!("a stored entry declares {size} bytes but occupies {packed}"),
            ));
            continue;
        }
        if method == CompressionMethod::Deflated
            && size > BOMB_MIN_SIZE
            && size / packed.max(1) > BOMB_RATIO
        {
            findings.push(Finding::error(
                code::BUNDLE_ENTRY_OVERSIZE,
                shown,
                format!(
                    "the entry would expand from {packed} to {size} bytes, more than {BOMB_RATIO} times; refused as a decompression bomb"
                ),
            ));
            continue;
        }
        let data_start = match method {
            CompressionMethod::Stored => entry.data_start(),
            _ => None,
        };
        entries.push(EntryInfo {
            name,
            size,
            crc32: Some(entry.crc32()),
            data_start,
            index,
        });
    }
    Ok(Opened {
        container: Container::Zip(Box::new(archive)),
        entries,
        findings,
    })
}

fn open_dir(root: &Path) -> io::Result<Opened> {
    let canon = fs::canonicalize(root)?;
    let top = canon
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "bundle".into());
    let mut entries = Vec::new();
    let mut findings = Vec::new();
    let mut stack = vec![(canon.clone(), top)];
    let mut index = 0;
    while let Some((dir, prefix)) = stack.pop() {
        let mut names: Vec<_> = fs::read_dir(&dir)?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<io::Result<_>>()?;
        names.sort();
        for os_name in names {
            let path = dir.join(&os_name);
            let Some(name) = os_name.to_str() else {
                findings.push(Finding::error(
                    code::BUNDLE_ENTRY_UNSAFE_NAME,
                    path.display().to_string(),
                    "a file name that is not UTF-8",
                ));
                continue;
            };
            let full = format!("{prefix}/{name}");
            let meta = fs::symlink_metadata(&path)?;
            if meta.is_dir() {
                stack.push((path, full));
            } else if meta.is_file() {
                entries.push(EntryInfo {
                    name: full,
                    size: meta.len(),
                    crc32: None,
                    data_start: None,
                    index,
                });
                index += 1;
            } else {
                findings.push(Finding::error(
                    code::BUNDLE_ENTRY_SYMLINK,
                    full,
                    "a symbolic link or special file; a bundle holds only regular files",
                ));
            }
        }
    }
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Opened {
        container: Container::Dir(canon),
        entries,
        findings,
    })
}

impl Container {
    /// A reader over one entry's bytes, which fails with `InvalidData` if the entry yields more
    /// than its declared size or (for a ZIP) its bytes do not match its CRC-32.
    pub fn open_entry(&mut self, entry: &EntryInfo) -> io::Result<Box<dyn Read + '_>> {
        match self {
            Container::Zip(archive) => {
                let file = archive.by_index(entry.index).map_err(zip_io)?;
                Ok(Box::new(Capped::new(file, entry.size)))
            }
            Container::Dir(root) => {
                let rel = entry.name.split_once('/').map(|(_, r)| r).unwrap_or("");
                let file = File::open(root.join(rel))?;
                Ok(Box::new(Capped::new(file, entry.size)))
            }
        }
    }

    /// Where a decoder can read an entry's bytes in place: a stored ZIP entry as a window of the
    /// ZIP file at `bundle`, a file of an unzipped folder as itself. `None` for a compressed entry.
    pub fn input_for(&self, bundle: &Path, entry: &EntryInfo) -> Option<crate::probe::Input> {
        match self {
            Container::Zip(_) => entry.data_start.map(|start| crate::probe::Input {
                path: bundle.to_path_buf(),
                window: Some((start, entry.size)),
            }),
            Container::Dir(root) => {
                let rel = entry.name.split_once('/').map(|(_, r)| r)?;
                Some(crate::probe::Input::file(root.join(rel)))
            }
        }
    }

    /// Reads a whole small entry into memory, refusing one over `cap` bytes.
    pub fn read_small(&mut self, entry: &EntryInfo, cap: u64) -> io::Result<Vec<u8>> {
        if entry.size > cap {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "the entry is {} bytes; at most {cap} are allowed",
                    entry.size
                ),
            ));
        }
        let mut out = Vec::with_capacity(entry.size as usize);
        self.open_entry(entry)?.read_to_end(&mut out)?;
        Ok(out)
    }
}

/// A reader that fails once more than `limit` bytes come out of it.
struct Capped<R> {
    inner: R,
    left: u64,
}

impl<R> Capped<R> {
    fn new(inner: R, limit: u64) -> Self {
        Capped { inner, left: limit }
    }
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            // Probe for one more byte: any is too many.
            let mut one = [0u8; 1];
            return match self.inner.read(&mut one)? {
                0 => Ok(0),
                _ => Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "the entry holds more bytes than it declares",
                )),
            };
        }
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        Ok(n)
    }
}

impl<R: Seek> Seek for Capped<R> {
    fn seek(&mut self, pos: io::SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

/// Why an entry name is unsafe, if it is. Safe names are relative, `/`-separated, with no empty,
/// `.` or `..` component, no backslash, no drive letter, and no control character.
pub fn check_entry_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("empty name");
    }
    if name.starts_with('/') {
        return Err("absolute path");
    }
    if name.contains('\\') {
        return Err("contains a backslash");
    }
    if name.chars().any(|c| c.is_control()) {
        return Err("contains a control character");
    }
    let bytes = name.as_bytes();
    if bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic() {
        return Err("starts with a drive letter");
    }
    let trimmed = name.strip_suffix('/').unwrap_or(name);
    for part in trimmed.split('/') {
        match part {
            "" => return Err("empty path component"),
            "." | ".." => return Err("contains a . or .. component"),
            _ => {}
        }
    }
    Ok(())
}

/// A name made safe to print: control characters escaped, long names shortened.
pub fn printable(name: &str) -> String {
    let escaped: String = name.escape_debug().collect();
    if escaped.chars().count() > 300 {
        let head: String = escaped.chars().take(300).collect();
        format!("{head}...")
    } else {
        escaped
    }
}

/// Appends entries to an existing bundle ZIP, atomically: every existing entry is copied raw
/// (byte for byte, never recompressed) into a temporary file beside it, then the new entries are
/// added, stored, with timestamp `mtime`. Returns the complete, fsynced temporary file; the caller
/// checks it and then [`persist`]s it over the original.
pub fn append(
    path: &Path,
    entries: &[(String, Vec<u8>)],
    mtime: jiff::Timestamp,
) -> io::Result<tempfile::NamedTempFile> {
    let mut archive = ZipArchive::new(BufReader::new(File::open(path)?)).map_err(zip_io)?;
    let tmp = temp_beside(path, 0o644)?;
    let mut zip = ZipWriter::new(BufWriter::with_capacity(1 << 20, Sink::new(tmp)));
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(zip_io)?;
        zip.raw_copy_file(entry).map_err(zip_io)?;
    }
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .last_modified_time(zip_time(mtime))
        .unix_permissions(0o644)
        .system(zip::System::Unix);
    for (name, bytes) in entries {
        zip.start_file(name.as_str(), options).map_err(zip_io)?;
        zip.write_all(bytes)?;
    }
    zip.finish()
        .map_err(zip_io)?
        .into_inner()
        .map_err(|e| e.into_error())?
        .sync()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_names() {
        assert!(check_entry_name("bag/data/originals/a b.wav").is_ok());
        assert!(check_entry_name("bag/").is_ok());
        for bad in [
            "../x", "/abs", "C:\\x", "C:/x", "a\\b", "a/../b", "a//b", "./a", "a/\u{0}",
        ] {
            assert!(check_entry_name(bad).is_err(), "{bad:?} should be unsafe");
        }
    }
}
