//! The bundle container: a ZIP written atomically and deterministically, and read as hostile input.
//!
//! Writing ([`write`]): stored entries, a fixed timestamp and permissions, a fixed entry order,
//! into a temporary file that becomes the bundle only when complete. Reading ([`read`]): the ZIP's
//! structure is checked strictly first ([`structure`], so that what earwitness checks is what every
//! other tool extracts), each entry for a safe name and a sane shape, and entries are then streamed
//! by index, never extracted to disk. An unzipped bundle folder reads the same way. This module
//! knows nothing of audio, manifests or finding codes: it reports [`Problem`]s and
//! [`EntryError`]s, and `verify` decides what they mean.

mod crosscheck;
mod entry;
mod local;
mod names;
pub mod read;
mod structure;
pub mod write;
mod zipwrite;

use std::io;

pub use entry::EntryReader;
pub use names::{check_entry_name, printable};
pub use read::{
    Container, EntryInfo, EntryPlace, Opened, ParallelOpener, ReadSeek, open, open_bytes,
    open_reader,
};
pub use write::{BundleWriter, append};

/// What kind of structural problem a bundle has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProblemKind {
    /// Not a readable ZIP at all (checking stops).
    Unreadable,
    /// An entry's header or a folder's file could not be read.
    EntryUnreadable,
    /// An unsafe or non-UTF-8 name.
    UnsafeName,
    /// A name other tools would read differently (no UTF-8 flag, a Unicode Path field).
    NameAmbiguous,
    /// Two entries with the same name.
    Duplicate,
    /// Entries overlap inside the file.
    Overlap,
    /// An encrypted entry.
    Encrypted,
    /// A symbolic link or special file.
    Symlink,
    /// A compression method other than stored or deflate.
    Compression,
    /// Sizes that lie, or a decompression bomb.
    Oversize,
    /// A local header that disagrees with its central-directory record.
    HeaderMismatch,
    /// An end record that disagrees with the central directory.
    DirectoryMismatch,
    /// Bytes that belong to no entry: before, between or after them, or in comments.
    HiddenBytes,
    /// A folder entry that carries data, or shadows a file, or a file where a folder must be.
    Folder,
}

/// One structural problem, about one entry or the whole file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// What kind.
    pub kind: ProblemKind,
    /// The entry's name, made printable; `None` for the whole file.
    pub entry: Option<String>,
    /// A sentence for people.
    pub message: String,
}

impl Problem {
    /// A problem of `kind` about `entry`.
    pub fn new(kind: ProblemKind, entry: Option<String>, message: impl Into<String>) -> Self {
        Problem {
            kind,
            entry,
            message: message.into(),
        }
    }
}

/// Why an entry's bytes could not be read as they are declared.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EntryError {
    /// The bytes do not match the entry's CRC-32. Every byte was read.
    #[error(
        "the bytes do not match the entry's ZIP CRC-32 (recorded {expected:08x}, computed {found:08x})"
    )]
    Crc {
        /// The CRC the directory records.
        expected: u32,
        /// The CRC of the bytes read.
        found: u32,
    },
    /// More bytes came out than the entry declares.
    #[error("the entry holds more bytes than the {declared} it declares")]
    Longer {
        /// The declared size.
        declared: u64,
    },
    /// Fewer bytes came out than the entry declares.
    #[error("the entry ends after {got} of the {declared} bytes it declares")]
    Shorter {
        /// The declared size.
        declared: u64,
        /// The bytes read.
        got: u64,
    },
    /// The entry is larger than the caller allows in memory.
    #[error("the entry is {size} bytes; at most {cap} are read into memory")]
    TooLarge {
        /// The declared size.
        size: u64,
        /// The limit.
        cap: u64,
    },
    /// A file of an unzipped folder was replaced between listing and reading.
    #[error("the file was replaced while the folder was being checked")]
    Replaced,
    /// The entry uses a compression method that is not read.
    #[error("compression method {0} is not read")]
    Method(u16),
    /// Reading failed (the disk, or a corrupt deflate stream).
    #[error("{0}")]
    Io(#[from] io::Error),
}

impl EntryError {
    /// The `EntryError` inside an I/O error that an entry reader returned, if there is one.
    pub fn within(error: &io::Error) -> Option<&EntryError> {
        error.get_ref()?.downcast_ref::<EntryError>()
    }

    pub(crate) fn into_io(self) -> io::Error {
        match self {
            EntryError::Io(e) => e,
            other => io::Error::new(io::ErrorKind::InvalidData, other),
        }
    }
}
