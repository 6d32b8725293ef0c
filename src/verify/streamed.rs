//! A tag file that a step reads once as a stream (steps 5 and 8: the payload manifest and
//! `evidence.json`, which grow with the number of files and are never held): opened with the
//! finding for an entry that cannot be read, hashed as the step parses it, and hashed to its end
//! whatever the parse found, so that the tag manifest says whether the bytes are the ones sealed.

use std::io::{self, Read};

use super::report::Findings;
use crate::bundle::{Container, EntryError, EntryInfo, EntryReader};
use crate::digest::{HashingReader, Sha256};
use crate::finding::code;

/// The entry's bytes, hashed as they are read.
pub(super) type Streamed<'c> = HashingReader<Watch<EntryReader<'c>>>;

/// Opens `entry` (the bag's `name`) to be streamed; `None`, with its finding, if it cannot be.
pub(super) fn open<'c>(
    container: &'c mut Container,
    entry: &EntryInfo,
    name: &str,
    findings: &mut Findings,
) -> Option<Streamed<'c>> {
    match container.open_entry(entry) {
        Ok(reader) => Some(HashingReader::new(Watch {
            inner: reader,
            error: None,
        })),
        Err(error) => {
            findings.error(
                super::read::entry_error_code(&error),
                name,
                format!("cannot be read: {error}"),
            );
            None
        }
    }
}

/// Reads the rest of the entry and returns the SHA-256 of all its bytes; `None`, with its finding,
/// if a read failed (the parser above may have kept only the error's kind).
pub(super) fn finish(
    mut hashing: Streamed<'_>,
    name: &str,
    findings: &mut Findings,
) -> Option<Sha256> {
    let _ = io::copy(&mut hashing, &mut io::sink());
    let (digests, watch) = hashing.into_parts();
    let Some(error) = watch.error else {
        return Some(digests.sha256);
    };
    let (code, message) = match EntryError::within(&error) {
        Some(e) => (super::read::entry_error_code(e), e.to_string()),
        None => (code::BUNDLE_ENTRY_UNREADABLE, error.to_string()),
    };
    findings.error(code, name, format!("cannot be read: {message}"));
    None
}

/// Keeps the first error the entry reader returned (a parser above it may keep only its kind).
pub(super) struct Watch<R> {
    inner: R,
    error: Option<io::Error>,
}

impl<R: Read> Read for Watch<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.error.is_some() {
            return Err(io::Error::other("the file could not be read"));
        }
        self.inner.read(buf).map_err(|e| {
            let kind = e.kind();
            self.error = Some(e);
            io::Error::new(kind, "the file could not be read")
        })
    }
}
