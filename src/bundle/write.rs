//! Writing a bundle ZIP: stored entries, a fixed timestamp and permissions, in the order they are
//! added, into a temporary file beside the output (see [`crate::atomic`]); and appending entries
//! to an existing bundle without rewriting anything already in it. The ZIP itself is written by
//! `bundle/zipwrite.rs`, whose memory does not grow with the number of entries. With the test-only
//! fault switches ([`crate::faults`]) writes can be made to fail as on a full or failing disk.

use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, Write};
use std::path::Path;

use super::zipwrite::{DosTime, ZipOut};
use crate::atomic;
use crate::digest::{Digests, copy_hashed, copy_hashed_pipelined};
use crate::spill::Spill;

/// Entries at least this large are written with ZIP64 headers.
const ZIP64_THRESHOLD: u64 = 0xFFFF_0000;

/// Writes a bundle's entries, in the order they are added, into a temporary ZIP file.
///
/// Entry names must be unique; nothing here keeps them to check (see `zipwrite::ZipOut`).
pub struct BundleWriter {
    zip: ZipOut<BufWriter<Sink>>,
}

/// The temporary bundle file, with the optional injected faults.
struct Sink {
    file: tempfile::NamedTempFile,
    written: u64,
    limit: Option<u64>,
    fail_sync: bool,
    /// Set by the first write error. The error has gone to the caller, which abandons the file;
    /// from then on writes are discarded, so that the buffer in front of it does not write (or
    /// complain) into a file that is about to be deleted when it is dropped. [`Sink::sync`]
    /// refuses a poisoned file.
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
        let directory = Spill::new_in(atomic::parent_dir(output))?;
        Ok(BundleWriter {
            zip: ZipOut::new(sink(tmp), DosTime::of(mtime), directory),
        })
    }

    /// Adds an entry of `expected_len` bytes from `reader`, stored, hashing as it copies.
    pub fn add_stream(
        &mut self,
        name: &str,
        expected_len: u64,
        reader: impl Read,
    ) -> io::Result<Digests> {
        self.add_entry(name, expected_len >= ZIP64_THRESHOLD, expected_len, reader)
    }

    /// Adds an entry with the given bytes, stored.
    pub fn add_bytes(&mut self, name: &str, bytes: &[u8]) -> io::Result<Digests> {
        self.add_stream(name, bytes.len() as u64, bytes)
    }

    /// [`BundleWriter::add_stream`] with the choice of ZIP64 headers (`large`) made by the caller.
    fn add_entry(
        &mut self,
        name: &str,
        large: bool,
        expected_len: u64,
        reader: impl Read,
    ) -> io::Result<Digests> {
        self.zip.add(name, large, |out| {
            if expected_len >= crate::digest::PIPELINE_MIN {
                copy_hashed_pipelined(reader, out)
            } else {
                copy_hashed(reader, out)
            }
        })
    }

    /// Writes the central directory and fsyncs. The bundle is complete but still temporary.
    pub fn finish(self) -> io::Result<tempfile::NamedTempFile> {
        let buffered = self.zip.finish()?;
        buffered.into_inner().map_err(|e| e.into_error())?.sync()
    }
}

/// The temporary file behind a 1 MiB buffer.
fn sink(tmp: tempfile::NamedTempFile) -> BufWriter<Sink> {
    BufWriter::with_capacity(1 << 20, Sink::new(tmp))
}

/// Appends entries to an existing bundle ZIP, atomically, into a temporary file beside it: the
/// old file's bytes up to its central directory are copied as they are (never recompressed), then
/// the new entries are added, stored, with timestamp `mtime`, then the old directory's records are
/// copied raw, followed by the new ones and a new end record. A file whose end records cannot be
/// read, or do not agree with its directory, is refused (see `zipwrite::ZipOut::append_to`). Returns the
/// complete, fsynced temporary file; the caller checks it and then [`persist`]s it over the
/// original.
///
/// [`persist`]: crate::atomic::persist
pub fn append(
    path: &Path,
    entries: &[(String, Vec<u8>)],
    mtime: jiff::Timestamp,
) -> io::Result<tempfile::NamedTempFile> {
    let old = File::open(path)?;
    let tmp = atomic::temp_beside(path, 0o644)?;
    let directory = Spill::new_in(atomic::parent_dir(path))?;
    let mut writer = BundleWriter {
        zip: ZipOut::append_to(sink(tmp), old, DosTime::of(mtime), directory)?,
    };
    for (name, bytes) in entries {
        // Appended entries are small (events, keys, time-stamp tokens): never ZIP64.
        writer.add_entry(name, false, bytes.len() as u64, bytes.as_slice())?;
    }
    writer.finish()
}

#[cfg(test)]
mod tests {
    //! The writer against the zip crate's `ZipWriter`, which wrote every bundle before it: the
    //! same entries must give the same bytes.

    use std::io::Cursor;

    use zip::write::SimpleFileOptions;
    use zip::{CompressionMethod, ZipArchive, ZipWriter};

    use super::*;

    /// An entry: name, bytes, and whether it gets ZIP64 headers.
    type Entry<'a> = (&'a str, &'a [u8], bool);

    fn at(seconds: i64) -> jiff::Timestamp {
        jiff::Timestamp::from_second(seconds).unwrap()
    }

    /// The timestamp as it was handed to the zip crate.
    fn zip_time(t: jiff::Timestamp) -> zip::DateTime {
        let c = jiff::tz::Offset::UTC.to_datetime(t);
        let Some(year) = u16::try_from(c.year())
            .ok()
            .filter(|y| (1980..=2107).contains(y))
        else {
            return zip::DateTime::default();
        };
        let [month, day, hour, minute, second] =
            [c.month(), c.day(), c.hour(), c.minute(), c.second()].map(|v| v as u8);
        zip::DateTime::from_date_and_time(year, month, day, hour, minute, second).unwrap()
    }

    fn options(mtime: jiff::Timestamp, large: bool) -> SimpleFileOptions {
        SimpleFileOptions::default()
            .compression_method(CompressionMethod::Stored)
            .last_modified_time(zip_time(mtime))
            .unix_permissions(0o644)
            .system(zip::System::Unix)
            .large_file(large)
    }

    fn zip_crate(entries: &[Entry], mtime: jiff::Timestamp) -> Vec<u8> {
        let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
        for (name, bytes, large) in entries {
            zip.start_file(*name, options(mtime, *large)).unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    /// The old `append`: every entry copied raw by the zip crate, then the new ones.
    fn zip_crate_append(old: &[u8], entries: &[Entry], mtime: jiff::Timestamp) -> Vec<u8> {
        let mut archive = ZipArchive::new(Cursor::new(old)).unwrap();
        let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
        for i in 0..archive.len() {
            zip.raw_copy_file(archive.by_index_raw(i).unwrap()).unwrap();
        }
        for (name, bytes, _) in entries {
            zip.start_file(*name, options(mtime, false)).unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    fn ours(dir: &Path, entries: &[Entry], mtime: jiff::Timestamp) -> Vec<u8> {
        let mut writer = BundleWriter::create(&dir.join("b.zip"), mtime).unwrap();
        for (name, bytes, large) in entries {
            let digests = writer
                .add_entry(name, *large, bytes.len() as u64, *bytes)
                .unwrap();
            assert_eq!(digests.len, bytes.len() as u64);
            assert_eq!(digests.crc32, crc32fast::hash(bytes));
            assert_eq!(digests.sha256, crate::digest::Sha256::of(bytes));
        }
        std::fs::read(writer.finish().unwrap().path()).unwrap()
    }

    fn same_as_the_zip_crate(entries: &[Entry], mtime: jiff::Timestamp) {
        let dir = tempfile::tempdir().unwrap();
        let expected = zip_crate(entries, mtime);
        let got = ours(dir.path(), entries, mtime);
        assert_eq!(got.len(), expected.len(), "lengths differ");
        let first = got.iter().zip(&expected).position(|(a, b)| a != b);
        assert_eq!(first, None, "the bytes first differ at this offset");
    }

    #[test]
    fn ascii_names_at_several_times() {
        let big: Vec<u8> = (0..(crate::digest::PIPELINE_MIN + 12345))
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        let entries: &[Entry] = &[
            ("bag/bagit.txt", b"BagIt-Version: 1.0\n", false),
            ("bag/data/originals/in/call.wav", &big, false),
            ("bag/data/originals/in/notes.txt", b"a note\n", false),
        ];
        // 2025 at an odd second, the first and last DOS years, and both sides of them.
        for seconds in [
            1_761_177_601,
            315_532_800,
            315_532_799,
            4_354_819_199,
            4_354_819_200,
        ] {
            same_as_the_zip_crate(entries, at(seconds));
        }
    }

    #[test]
    fn a_non_ascii_name_gets_the_utf8_flag() {
        let entries: &[Entry] = &[
            (
                "bag/data/originals/Café/録音 1.m4a",
                b"not really audio",
                false,
            ),
            ("bag/manifest-sha256.txt", b"x", false),
        ];
        same_as_the_zip_crate(entries, at(1_761_177_600));
    }

    #[test]
    fn empty_entries() {
        let entries: &[Entry] = &[("bag/empty", b"", false), ("bag/also-empty", b"", false)];
        same_as_the_zip_crate(entries, at(1_761_177_600));
        same_as_the_zip_crate(&[], at(1_761_177_600));
    }

    #[test]
    fn zip64_headers_on_small_entries() {
        let entries: &[Entry] = &[
            ("bag/a", b"plain", false),
            ("bag/large", b"small data, ZIP64 headers", true),
            ("bag/large-empty", b"", true),
            ("bag/z", b"plain again", false),
        ];
        same_as_the_zip_crate(entries, at(1_761_177_600));
    }

    fn many_names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("bag/data/{i:05}")).collect()
    }

    #[test]
    fn more_entries_than_the_end_record_can_count() {
        let names = many_names(0xFFFF + 2);
        let entries: Vec<Entry> = names
            .iter()
            .map(|n| (n.as_str(), &b""[..], false))
            .collect();
        same_as_the_zip_crate(&entries, at(1_761_177_600));
    }

    fn append_like_the_zip_crate(old: &[u8], added: &[Entry], mtime: jiff::Timestamp) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.zip");
        std::fs::write(&path, old).unwrap();
        let entries: Vec<(String, Vec<u8>)> = added
            .iter()
            .map(|(n, b, _)| (n.to_string(), b.to_vec()))
            .collect();
        let got = std::fs::read(append(&path, &entries, mtime).unwrap().path()).unwrap();
        let expected = zip_crate_append(old, added, mtime);
        assert_eq!(got.len(), expected.len(), "lengths differ");
        let first = got.iter().zip(&expected).position(|(a, b)| a != b);
        assert_eq!(first, None, "the bytes first differ at this offset");
    }

    #[test]
    fn append_matches_a_raw_copy() {
        let sealed = at(1_761_177_600);
        let old: &[Entry] = &[
            ("bag/bagit.txt", b"BagIt-Version: 1.0\n", false),
            ("bag/data/originals/Café.txt", b"caf\xc3\xa9\n", false),
            ("bag/custody/0001-sealed.json", b"{}\n", false),
        ];
        let added: &[Entry] = &[
            ("bag/custody/0002-transferred.json", b"{\"n\": 2}\n", false),
            ("bag/custody/0002-transferred.json.sig", &[7u8; 64], false),
            ("bag/custody/0002 éè.tsr", b"", false),
        ];
        let old = zip_crate(old, sealed);
        append_like_the_zip_crate(&old, added, at(1_761_264_001));
        append_like_the_zip_crate(&old, &[], at(1_761_264_001));
    }

    #[test]
    fn append_to_a_zip64_directory() {
        // Old and new: ZIP64 end records, read from the old file and written anew.
        let names = many_names(0xFFFF + 1);
        let old: Vec<Entry> = names
            .iter()
            .map(|n| (n.as_str(), &b""[..], false))
            .collect();
        let old = zip_crate(&old, at(1_761_177_600));
        append_like_the_zip_crate(&old, &[("bag/new", b"new", false)], at(1_761_264_000));
    }

    #[test]
    fn append_refuses_a_zip_it_cannot_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.zip");
        let good = zip_crate(&[("bag/a", b"a", false)], at(1_761_177_600));
        let eocd = good.len() - 22;
        let added = [("bag/b".to_string(), b"b".to_vec())];
        let refused = |bytes: &[u8]| {
            std::fs::write(&path, bytes).unwrap();
            let e = append(&path, &added, at(1_761_177_600)).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidData, "{e}");
            e.to_string()
        };
        // An archive comment.
        let mut commented = good.clone();
        commented[eocd + 20] = 3;
        commented.extend_from_slice(b"hi!");
        assert!(refused(&commented).contains("comment"));
        // A directory that ends before the end record.
        let mut gap = good[..eocd].to_vec();
        gap.extend_from_slice(b"????");
        gap.extend_from_slice(&good[eocd..]);
        refused(&gap);
        // An end record that counts two entries where the directory holds one.
        let mut miscounted = good.clone();
        miscounted[eocd + 8] = 2;
        miscounted[eocd + 10] = 2;
        assert!(refused(&miscounted).contains("directory holds 1"));
        // No end record at all.
        refused(&good[..eocd]);
        // None of these left a file behind.
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1);
    }

    #[test]
    fn an_entry_that_failed_spoils_the_zip() {
        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("unreadable"))
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let mut writer = BundleWriter::create(&dir.path().join("b.zip"), at(0)).unwrap();
        assert!(writer.add_stream("a", 1, Failing).is_err());
        assert!(writer.add_bytes("b", b"b").is_err());
        assert!(writer.finish().is_err());
    }
}
