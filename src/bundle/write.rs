//! Writing a bundle ZIP: stored entries, a fixed timestamp and permissions, in the order they are
//! added, into a temporary file beside the output (see [`crate::atomic`]); and appending entries
//! to an existing bundle without rewriting anything already in it. With the test-only fault
//! switches ([`crate::faults`]) writes can be made to fail as on a full or failing disk.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, Write};
use std::path::Path;

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use crate::atomic;
use crate::digest::{Digests, copy_hashed};

/// Entries at least this large are written with ZIP64 headers.
const ZIP64_THRESHOLD: u64 = 0xFFFF_0000;

/// Writes a bundle's entries, in the order they are added, into a temporary ZIP file.
pub struct BundleWriter {
    zip: ZipWriter<BufWriter<Sink>>,
    options: SimpleFileOptions,
}

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
        let limit = crate::faults::disk_full_after();
        let fail_sync = crate::faults::fail_fsync();
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
        let tmp = atomic::temp_beside(output, 0o644)?;
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
    let tmp = atomic::temp_beside(path, 0o644)?;
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
