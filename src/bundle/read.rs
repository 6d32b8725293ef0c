//! Reading a bundle as hostile input: a ZIP file (any `Read + Seek`, so a file, bytes in memory,
//! or an object in remote storage) or an unzipped bundle folder. Every entry is checked before any
//! of its bytes are trusted, and entries are streamed by index, never extracted.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::crosscheck;
use super::entry::{EntryReader, identity, open_listed};
use super::structure::{self, Record};
use super::{EntryError, Problem, ProblemKind, check_entry_name, names};

/// A compressed entry that expands more than this many times is a decompression bomb when it is
/// larger than [`BOMB_MIN_SIZE`], or when all such entries together are.
pub const BOMB_RATIO: u64 = 100;
/// See [`BOMB_RATIO`].
pub const BOMB_MIN_SIZE: u64 = 64 << 20;

/// Anything a ZIP can be read from.
pub trait ReadSeek: Read + Seek + Send {}
impl<T: Read + Seek + Send> ReadSeek for T {}

/// One readable entry of a bundle.
#[derive(Clone, Debug)]
pub struct EntryInfo {
    /// The full entry name, `/`-separated, including the top-level folder.
    pub name: String,
    /// The size once uncompressed, as declared.
    pub size: u64,
    /// The CRC-32 the ZIP records (`None` for a file of a folder).
    pub crc32: Option<u32>,
    /// Whether the entry is compressed inside the ZIP.
    pub compressed: bool,
    pub(super) index: usize,
    /// A folder's file: its device and inode when listed.
    pub(super) ident: Option<(u64, u64)>,
}

/// A bundle opened for reading.
pub enum Container {
    /// A ZIP file, with its entries as the strict structure read found them.
    Zip(ZipBundle),
    /// An unzipped bundle folder; entries are files below its parent, named `<folder>/<path>`.
    Dir(PathBuf),
}

/// A ZIP bundle being read.
pub struct ZipBundle {
    reader: Box<dyn ReadSeek>,
    /// The file on disk, when it is one (for reading entries in place).
    path: Option<PathBuf>,
    /// Where each entry's data lies, by entry index (the full records are dropped once the
    /// entries are checked: this is all reading needs, 40 bytes an entry).
    slots: Arc<[Slot]>,
}

/// Where one ZIP entry's data lies, for [`ParallelOpener`].
#[derive(Clone, Copy, Debug)]
pub struct Slot {
    data_start: u64,
    compressed: u64,
    size: u64,
    crc32: u32,
    method: u16,
}

/// Opens a bundle's entries on their own file handles, so that several can be read at once.
#[derive(Clone, Debug)]
pub enum ParallelOpener {
    /// A ZIP file on disk.
    Zip {
        /// The file.
        path: PathBuf,
        /// Each entry's data, by entry index (shared with the container).
        slots: Arc<[Slot]>,
    },
    /// An unzipped folder.
    Dir(PathBuf),
}

impl ParallelOpener {
    /// A reader over `entry`'s uncompressed bytes, on a handle of its own (see
    /// [`Container::open_entry`] for what it checks).
    pub fn open(&self, entry: &EntryInfo) -> Result<EntryReader<'static>, EntryError> {
        match self {
            ParallelOpener::Zip { path, slots } => {
                let slot = slots
                    .get(entry.index)
                    .ok_or_else(|| EntryError::Io(io::Error::other("no such entry")))?;
                let mut file = File::open(path)?;
                file.seek(SeekFrom::Start(slot.data_start))?;
                let raw = BufReader::with_capacity(1 << 16, file.take(slot.compressed));
                let inner: Box<dyn Read + Send> = match slot.method {
                    0 => Box::new(raw),
                    8 => Box::new(flate2::read::DeflateDecoder::new(raw)),
                    other => return Err(EntryError::Method(other)),
                };
                Ok(EntryReader::new(inner, slot.size, Some(slot.crc32)))
            }
            ParallelOpener::Dir(root) => {
                let rel = entry.name.split_once('/').map(|(_, r)| r).unwrap_or("");
                let file = open_listed(&root.join(rel), entry.ident)?;
                Ok(EntryReader::new(Box::new(file), entry.size, None))
            }
        }
    }
}

/// Where a stored entry's bytes lie, for a reader that reads them in place (never extracted).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryPlace {
    /// The file.
    pub path: PathBuf,
    /// `(offset, length)` inside it; `None` for the whole file.
    pub window: Option<(u64, u64)>,
}

/// A bundle's entries after the structural checks, and what those checks found.
pub struct Opened {
    /// The container.
    pub container: Container,
    /// The entries that passed the checks and may be read, in container order.
    pub entries: Vec<EntryInfo>,
    /// Structural problems: unsafe names, duplicates, overlaps, hidden bytes, ...
    pub problems: Vec<Problem>,
}

/// Opens a bundle: a ZIP file, or an unzipped bundle folder.
///
/// # Errors
/// Only for the path itself (no such file, unreadable). A file that is not a usable ZIP is not an
/// error here: it comes back as an [`ProblemKind::Unreadable`] problem.
pub fn open(path: &Path) -> io::Result<Result<Opened, Problem>> {
    let meta = fs::metadata(path)?;
    if meta.is_dir() {
        return Ok(Ok(open_dir(path)?));
    }
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    Ok(open_reader(
        Box::new(BufReader::with_capacity(1 << 16, file)),
        len,
        Some(path.to_path_buf()),
    ))
}

/// Opens a bundle ZIP held in memory.
pub fn open_bytes(bytes: Vec<u8>) -> Result<Opened, Problem> {
    let len = bytes.len() as u64;
    open_reader(Box::new(io::Cursor::new(bytes)), len, None)
}

/// Opens a bundle ZIP of `len` bytes from any reader; `path` is the file it is, if any.
pub fn open_reader(
    mut reader: Box<dyn ReadSeek>,
    len: u64,
    path: Option<PathBuf>,
) -> Result<Opened, Problem> {
    let mut problems = Vec::new();
    let library = crosscheck::library_view(&mut reader);
    let layout = structure::read_layout(&mut reader, len, &mut problems)?;
    crosscheck::cross_check(library, &layout.records, &mut problems);
    let entries = check_entries(&layout.records, len, &mut problems);
    let slots = layout
        .records
        .iter()
        .map(|r| Slot {
            data_start: r.data_start,
            compressed: r.compressed,
            size: r.size,
            crc32: r.crc32,
            method: r.method,
        })
        .collect();
    drop(layout);
    Ok(Opened {
        container: Container::Zip(ZipBundle {
            reader,
            path,
            slots,
        }),
        entries,
        problems,
    })
}

/// The per-entry rules of docs/FORMAT.md §3.2, in order; returns the entries that may be read.
fn check_entries(records: &[Record], len: u64, problems: &mut Vec<Problem>) -> Vec<EntryInfo> {
    let mut entries = Vec::with_capacity(records.len());
    let mut seen: HashSet<&[u8]> = HashSet::with_capacity(records.len());
    let bombs = bomb_entries(records);
    for (index, rec) in records.iter().enumerate() {
        let shown = names::printable_bytes(&rec.name);
        let mut problem = |kind, message: String| {
            problems.push(Problem::new(kind, Some(shown.clone()), message));
        };
        let Ok(name) = std::str::from_utf8(&rec.name).map(str::to_owned) else {
            problem(ProblemKind::UnsafeName, "a name that is not UTF-8".into());
            continue;
        };
        if let Err(why) = check_entry_name(&name) {
            problem(ProblemKind::UnsafeName, format!("unsafe entry name: {why}"));
            continue;
        }
        if !seen.insert(rec.name.as_slice()) {
            problem(
                ProblemKind::Duplicate,
                "this entry name appears more than once; tools keep one or the other".into(),
            );
            continue;
        }
        if rec.flags & 1 != 0 {
            problem(
                ProblemKind::Encrypted,
                "the entry is encrypted; a bundle never is".into(),
            );
            continue;
        }
        let named_folder = name.ends_with('/');
        match rec.unix_type() {
            None | Some(0o100000) | Some(0o040000) => {}
            Some(_) => {
                problem(
                    ProblemKind::Symlink,
                    "the entry is a symbolic link or special file; a bundle holds only regular files"
                        .into(),
                );
                continue;
            }
        }
        let marked_folder = rec.unix_type() == Some(0o040000) || rec.dos_directory();
        if named_folder != marked_folder && (rec.unix_type().is_some() || marked_folder) {
            let what = if named_folder {
                "named like a folder but marked as a file"
            } else {
                "named like a file but marked as a folder"
            };
            problem(
                ProblemKind::Folder,
                format!("{what}: tools would disagree whether to extract a file or make a folder"),
            );
            continue;
        }
        if named_folder {
            if rec.size != 0 || rec.compressed != 0 {
                problem(
                    ProblemKind::Folder,
                    format!(
                        "a folder entry that carries {} bytes of data; folders carry none",
                        rec.compressed.max(rec.size)
                    ),
                );
            }
            // Folder entries carry no data; a re-zipped folder has them.
            continue;
        }
        if rec.method != 0 && rec.method != 8 {
            problem(
                ProblemKind::Compression,
                format!(
                    "the entry uses compression method {}; only stored (0) and deflate (8) are read",
                    rec.method
                ),
            );
            continue;
        }
        if rec.method == 0 && rec.size != rec.compressed {
            problem(
                ProblemKind::Oversize,
                format!(
                    "a stored entry declares {} bytes but occupies {}",
                    rec.size, rec.compressed
                ),
            );
            continue;
        }
        if rec.end > len {
            problem(
                ProblemKind::EntryUnreadable,
                "the entry's data runs past the end of the file".into(),
            );
            continue;
        }
        if bombs.contains(&index) {
            problem(
                ProblemKind::Oversize,
                format!(
                    "the entry would expand from {} to {} bytes, more than {BOMB_RATIO} times; refused as a decompression bomb",
                    rec.compressed, rec.size
                ),
            );
            continue;
        }
        entries.push(EntryInfo {
            name,
            size: rec.size,
            crc32: Some(rec.crc32),
            compressed: rec.method != 0,
            index,
            ident: None,
        });
    }
    check_shadowing(&entries, records, problems);
    entries
}

/// Compressed entries that expand more than [`BOMB_RATIO`] times are refused when one of them is
/// over [`BOMB_MIN_SIZE`], or all of them together are: so a small ZIP never inflates to more
/// than [`BOMB_MIN_SIZE`] plus [`BOMB_RATIO`] times its own size.
fn bomb_entries(records: &[Record]) -> HashSet<usize> {
    let steep: Vec<usize> = (0..records.len())
        .filter(|&i| {
            let r = &records[i];
            r.method != 0 && r.size / r.compressed.max(1) > BOMB_RATIO
        })
        .collect();
    let total: u64 = steep
        .iter()
        .fold(0u64, |sum, &i| sum.saturating_add(records[i].size));
    steep
        .into_iter()
        .filter(|&i| total > BOMB_MIN_SIZE || records[i].size > BOMB_MIN_SIZE)
        .collect()
}

/// A name that is a file must not also be a folder: `x` and `x/` (a folder entry), or `x` and
/// `x/y`. unzip cannot extract both, and which one a person sees depends on the tool.
fn check_shadowing(entries: &[EntryInfo], records: &[Record], problems: &mut Vec<Problem>) {
    let files: HashSet<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    let mut report = |name: &str, file: &str| {
        problems.push(Problem::new(
            ProblemKind::Folder,
            Some(names::printable(name)),
            format!(
                "{} is a file, but this entry needs it to be a folder: unzip cannot extract both",
                names::printable(file)
            ),
        ));
    };
    for e in entries {
        for (i, _) in e.name.match_indices('/') {
            if files.contains(&e.name[..i]) {
                report(&e.name, &e.name[..i]);
            }
        }
    }
    for rec in records {
        if let Ok(name) = std::str::from_utf8(&rec.name)
            && let Some(stem) = name.strip_suffix('/')
            && files.contains(stem)
        {
            report(name, stem);
        }
    }
}

fn open_dir(root: &Path) -> io::Result<Opened> {
    let canon = fs::canonicalize(root)?;
    let top = canon
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "bundle".into());
    let mut entries = Vec::new();
    let mut problems = Vec::new();
    let mut stack = vec![(canon.clone(), top)];
    let mut index = 0;
    while let Some((dir, prefix)) = stack.pop() {
        let mut listed: Vec<_> = fs::read_dir(&dir)?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<io::Result<_>>()?;
        listed.sort();
        for os_name in listed {
            let path = dir.join(&os_name);
            let Some(name) = os_name.to_str() else {
                problems.push(Problem::new(
                    ProblemKind::UnsafeName,
                    Some(crate::text::safe_short(&path.to_string_lossy(), 300)),
                    "a file name that is not UTF-8",
                ));
                continue;
            };
            let full = format!("{prefix}/{name}");
            if let Err(why) = check_entry_name(&full) {
                problems.push(Problem::new(
                    ProblemKind::UnsafeName,
                    Some(names::printable(&full)),
                    format!("unsafe file name: {why}"),
                ));
                continue;
            }
            let meta = fs::symlink_metadata(&path)?;
            if meta.is_dir() {
                stack.push((path, full));
            } else if meta.is_file() {
                entries.push(EntryInfo {
                    name: full,
                    size: meta.len(),
                    crc32: None,
                    compressed: false,
                    index,
                    ident: identity(&meta),
                });
                index += 1;
            } else {
                problems.push(Problem::new(
                    ProblemKind::Symlink,
                    Some(names::printable(&full)),
                    "a symbolic link or special file; a bundle holds only regular files",
                ));
            }
        }
    }
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Opened {
        container: Container::Dir(canon),
        entries,
        problems,
    })
}

impl Container {
    /// A reader over one entry's uncompressed bytes. It fails with an [`EntryError`] (inside the
    /// `io::Error`, see [`EntryError::within`]) if the entry yields more or fewer bytes than it
    /// declares, or (for a ZIP) at its end if the bytes do not match the entry's CRC-32.
    pub fn open_entry(&mut self, entry: &EntryInfo) -> Result<EntryReader<'_>, EntryError> {
        match self {
            Container::Zip(ZipBundle { reader, slots, .. }) => {
                let rec = slots
                    .get(entry.index)
                    .ok_or_else(|| EntryError::Io(io::Error::other("no such entry")))?;
                reader.seek(SeekFrom::Start(rec.data_start))?;
                let raw = Read::take(&mut *reader, rec.compressed);
                let inner: Box<dyn Read + Send + '_> = match rec.method {
                    0 => Box::new(raw),
                    8 => Box::new(flate2::read::DeflateDecoder::new(raw)),
                    other => return Err(EntryError::Method(other)),
                };
                Ok(EntryReader::new(inner, rec.size, Some(rec.crc32)))
            }
            Container::Dir(root) => {
                let rel = entry.name.split_once('/').map(|(_, r)| r).unwrap_or("");
                let file = open_listed(&root.join(rel), entry.ident)?;
                Ok(EntryReader::new(Box::new(file), entry.size, None))
            }
        }
    }

    /// Reads a whole small entry into memory, refusing one over `cap` bytes before reading it.
    pub fn read_small(&mut self, entry: &EntryInfo, cap: u64) -> Result<Vec<u8>, EntryError> {
        if entry.size > cap {
            return Err(EntryError::TooLarge {
                size: entry.size,
                cap,
            });
        }
        let mut out = Vec::with_capacity(entry.size as usize);
        let mut reader = self.open_entry(entry)?;
        reader
            .read_to_end(&mut out)
            .map_err(|e| match e.into_inner() {
                Some(inner) => match inner.downcast::<EntryError>() {
                    Ok(entry_error) => *entry_error,
                    Err(other) => EntryError::Io(io::Error::other(other)),
                },
                None => EntryError::Io(io::Error::other("read failed")),
            })?;
        Ok(out)
    }

    /// An opener that reads entries independently of this container, from several threads at
    /// once: for a ZIP file on disk and an unzipped folder. `None` for a ZIP read from memory or a
    /// remote object, which is read in order.
    pub fn parallel(&self) -> Option<ParallelOpener> {
        match self {
            Container::Zip(ZipBundle {
                path: Some(path),
                slots,
                ..
            }) => Some(ParallelOpener::Zip {
                path: path.clone(),
                slots: Arc::clone(slots),
            }),
            Container::Zip(_) => None,
            Container::Dir(root) => Some(ParallelOpener::Dir(root.clone())),
        }
    }

    /// Where a decoder can read an entry's bytes in place: a stored ZIP entry as a window of the
    /// ZIP file, a file of an unzipped folder as itself. `None` for a compressed entry, or a ZIP
    /// that is not a file on this machine.
    pub fn place(&self, entry: &EntryInfo) -> Option<EntryPlace> {
        match self {
            Container::Zip(ZipBundle { path, slots, .. }) => {
                let rec = slots.get(entry.index)?;
                if rec.method != 0 {
                    return None;
                }
                Some(EntryPlace {
                    path: path.clone()?,
                    window: Some((rec.data_start, rec.size)),
                })
            }
            Container::Dir(root) => {
                let rel = entry.name.split_once('/').map(|(_, r)| r)?;
                Some(EntryPlace {
                    path: root.join(rel),
                    window: None,
                })
            }
        }
    }
}
