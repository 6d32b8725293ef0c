//! earwitness's own ZIP writer, stored entries only. Each entry's local header is written, then its
//! bytes are streamed after it, then the header is patched in place with the CRC-32 and sizes.
//! Each entry's central-directory record goes to a spill file ([`Spill`]) as soon as the entry is
//! finished, and is copied after the data at the end, so that memory does not grow with the number
//! of entries: the writer keeps a count, an offset and the highest version needed.
//!
//! The bytes are those the zip crate's `ZipWriter` (9.8) writes for the same entries, stored, with
//! one timestamp, Unix permissions `0644`, `large_file` for ZIP64 headers and no comments: the
//! bundles earwitness wrote with it stay reproducible. The tests in [`super::write`] compare the
//! two writers byte for byte.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};

use super::structure::{
    self, CENTRAL_LEN, CENTRAL_SIG, EOCD_SIG, FLAG_UTF8, LOCAL_LEN, LOCAL_SIG, ZIP64_EOCD_SIG,
    ZIP64_EXTRA, ZIP64_LOCATOR_SIG, u16_at, u32_at,
};
use crate::digest::Digests;
use crate::spill::Spill;

/// The "see ZIP64" value of a 4-byte size or offset; values from this one on need ZIP64.
const MARKER: u32 = u32::MAX;
/// [`MARKER`] as a 64-bit value, for comparisons.
const MARKER64: u64 = u32::MAX as u64;
/// More entries than this need the ZIP64 end record.
const MAX_ENTRIES: u64 = 0xFFFF;
/// "Version needed to extract" of a stored entry, and of one with ZIP64 headers.
const VERSION_PLAIN: u16 = 10;
const VERSION_ZIP64: u16 = 45;
/// "Version made by": the high byte says Unix.
const MADE_ON_UNIX: u16 = 3 << 8;
/// External attributes: a regular file (`S_IFREG`) with Unix permissions `0644`.
const MODE_0644: u32 = 0o100_644 << 16;
/// The local ZIP64 extra field: id, length, and the two sizes.
const LOCAL_ZIP64_LEN: u16 = 20;
/// Where a local header's CRC-32 is, followed by the two sizes.
const LOCAL_CRC_AT: u64 = 14;
/// The ZIP64 end record without its signature and size field, as its size field counts it.
const ZIP64_END_BODY: u64 = 44;

/// A timestamp as DOS writes it: two-second resolution, 1980 to 2107, no time zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct DosTime {
    time: u16,
    date: u16,
}

impl DosTime {
    /// The DOS time of a UTC instant; outside 1980 to 2107, the earliest DOS time (1980-01-01
    /// 00:00:00) stands in.
    pub fn of(t: jiff::Timestamp) -> Self {
        let c = jiff::tz::Offset::UTC.to_datetime(t);
        let Some(year) = u16::try_from(c.year())
            .ok()
            .filter(|y| (1980..=2107).contains(y))
        else {
            return DosTime {
                time: 0,
                date: (1 << 5) | 1,
            };
        };
        let part = |v: i8| u16::from(v.unsigned_abs());
        DosTime {
            time: (part(c.hour()) << 11) | (part(c.minute()) << 5) | (part(c.second()) >> 1),
            date: ((year - 1980) << 9) | (part(c.month()) << 5) | part(c.day()),
        }
    }
}

/// Little-endian fields appended to a record being built.
trait Put {
    fn u16(&mut self, v: u16);
    fn u32(&mut self, v: u32);
    fn u64(&mut self, v: u64);
}

impl Put for Vec<u8> {
    fn u16(&mut self, v: u16) {
        self.extend_from_slice(&v.to_le_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.extend_from_slice(&v.to_le_bytes());
    }
}

/// The central directory of the ZIP being appended to: copied raw, before the new entries' records.
struct OldDirectory {
    file: File,
    offset: u64,
    size: u64,
}

/// A stored-only ZIP being written into `W`, entry by entry.
///
/// Entry names must be unique, and nothing here checks it: checking would mean keeping every name.
/// earwitness never adds one twice: `ingest` refuses two inputs that would share a name in the bag
/// and escapes names without collisions, tag files have fixed names, custody files are numbered by
/// event (a signer's key file is added only when the bundle lacks it, see `handoff`), time-stamp
/// tokens by their next free number (`stamp`). Should one slip through, the read-back check before
/// a bundle is committed (`commit`) refuses it as a duplicate entry.
pub(super) struct ZipOut<W: Write + Seek> {
    out: W,
    /// Where the next byte goes (the writer's own count, so that no entry needs a flush to ask).
    pos: u64,
    time: DosTime,
    /// The new entries' central-directory records.
    directory: Spill,
    /// Entries in all, those of an old directory included.
    entries: u64,
    /// The highest "version needed to extract" of any entry.
    version: u16,
    old: Option<OldDirectory>,
    /// The record being built, reused from entry to entry.
    scratch: Vec<u8>,
    /// Set while an entry is being added, and left set if adding it failed: the ZIP is then
    /// unusable and every later call fails.
    failed: bool,
}

impl<W: Write + Seek> ZipOut<W> {
    /// A new, empty ZIP written from the start of `out` (which must be empty), every entry with
    /// timestamp `time`; the central directory is spilled into `directory` until [`ZipOut::finish`].
    pub fn new(out: W, time: DosTime, directory: Spill) -> Self {
        ZipOut {
            out,
            pos: 0,
            time,
            directory,
            entries: 0,
            version: VERSION_PLAIN,
            old: None,
            scratch: Vec::new(),
            failed: false,
        }
    }

    /// A ZIP that continues `old`: its bytes up to its central directory are copied into `out` as
    /// one stream, and its directory's records are copied raw at [`ZipOut::finish`], before those
    /// of the entries added now. Refuses (invalid data) a file whose end records cannot be read,
    /// or whose directory does not end exactly where they begin, or whose directory's records do
    /// not tile it exactly or are not as many as the end record counts.
    pub fn append_to(out: W, mut old: File, time: DosTime, directory: Spill) -> io::Result<Self> {
        let len = old.seek(SeekFrom::End(0))?;
        let end = structure::directory_place(&mut old, len)?;
        let version = walk_directory(&mut old, end.cd_offset, end.cd_size, end.entries)?;
        let mut zip = ZipOut::new(out, time, directory);
        old.rewind()?;
        copy_exactly(&mut old, &mut zip.out, end.cd_offset)?;
        zip.pos = end.cd_offset;
        zip.entries = end.entries;
        zip.version = zip.version.max(version);
        zip.old = Some(OldDirectory {
            file: old,
            offset: end.cd_offset,
            size: end.cd_size,
        });
        Ok(zip)
    }

    /// Adds a stored entry named `name` whose bytes `data` writes into the output, returning the
    /// digests it measured (their CRC-32 and length go into the headers). With `large`, the entry
    /// gets ZIP64 headers whatever its size; without, an entry of 0xFFFFFFFF bytes or more fails.
    pub fn add(
        &mut self,
        name: &str,
        large: bool,
        data: impl FnOnce(&mut W) -> io::Result<Digests>,
    ) -> io::Result<Digests> {
        if self.failed {
            return Err(io::Error::other(
                "an earlier entry of this ZIP could not be written",
            ));
        }
        self.failed = true;
        let digests = self.add_entry(name.as_bytes(), large, data)?;
        self.failed = false;
        Ok(digests)
    }

    fn add_entry(
        &mut self,
        name: &[u8],
        large: bool,
        data: impl FnOnce(&mut W) -> io::Result<Digests>,
    ) -> io::Result<Digests> {
        let name_len = u16::try_from(name.len())
            .ok()
            .filter(|n| usize::from(*n) + LOCAL_LEN as usize <= usize::from(u16::MAX))
            .ok_or_else(|| too_long(name))?;
        let version = if large { VERSION_ZIP64 } else { VERSION_PLAIN };
        let flags = if name.is_ascii() { 0 } else { FLAG_UTF8 };
        let header_start = self.pos;

        // The local header, with a CRC and sizes of zero (or the ZIP64 marker) for now.
        let b = &mut self.scratch;
        b.clear();
        b.u32(LOCAL_SIG);
        b.u16(version);
        b.u16(flags);
        b.u16(0); // stored
        b.u16(self.time.time);
        b.u16(self.time.date);
        b.u32(0);
        let size_field = if large { MARKER } else { 0 };
        b.u32(size_field);
        b.u32(size_field);
        b.u16(name_len);
        b.u16(if large { LOCAL_ZIP64_LEN } else { 0 });
        b.extend_from_slice(name);
        if large {
            zip64_field(b, Some(0), None);
        }
        self.out.write_all(b)?;
        let data_start = header_start + b.len() as u64;

        let digests = data(&mut self.out)?;
        if !large && digests.len >= MARKER64 {
            return Err(io::Error::other(format!(
                "{}: {} bytes need ZIP64 headers, which the entry was not started with",
                String::from_utf8_lossy(name),
                digests.len
            )));
        }
        let data_end = data_start + digests.len;

        // Back to the header for the CRC and the sizes, then on after the data.
        self.out
            .seek(SeekFrom::Start(header_start + LOCAL_CRC_AT))?;
        let b = &mut self.scratch;
        b.clear();
        b.u32(digests.crc32);
        let size32 = if large {
            MARKER
        } else {
            u32::try_from(digests.len).unwrap_or(MARKER)
        };
        b.u32(size32);
        b.u32(size32);
        self.out.write_all(b)?;
        if large {
            self.out.seek(SeekFrom::Start(
                header_start + LOCAL_LEN + u64::from(name_len),
            ))?;
            b.clear();
            zip64_field(b, Some(digests.len), None);
            self.out.write_all(b)?;
        }
        self.out.seek(SeekFrom::Start(data_end))?;
        self.pos = data_end;

        // The central-directory record, spilled.
        let offset64 = (header_start >= MARKER64).then_some(header_start);
        let extra_len = match (large, offset64) {
            (false, None) => 0,
            (true, None) => 20,
            (false, Some(_)) => 12,
            (true, Some(_)) => 28,
        };
        if CENTRAL_LEN + name.len() + usize::from(extra_len) > usize::from(u16::MAX) {
            return Err(too_long(name));
        }
        b.clear();
        b.u32(CENTRAL_SIG);
        b.u16(MADE_ON_UNIX | version);
        b.u16(version);
        b.u16(flags);
        b.u16(0); // stored
        b.u16(self.time.time);
        b.u16(self.time.date);
        b.u32(digests.crc32);
        b.u32(size32);
        b.u32(size32);
        b.u16(name_len);
        b.u16(extra_len);
        b.u16(0); // comment length
        b.u16(0); // disk
        b.u16(0); // internal attributes
        b.u32(MODE_0644);
        b.u32(u32::try_from(header_start).unwrap_or(MARKER));
        b.extend_from_slice(name);
        if extra_len != 0 {
            zip64_field(b, large.then_some(digests.len), offset64);
        }
        self.directory.write(b)?;
        self.entries += 1;
        self.version = self.version.max(version);
        Ok(digests)
    }

    /// Writes the central directory (an old one first, when appending), the ZIP64 end record and
    /// its locator when they are needed, and the end record. Returns the output.
    pub fn finish(mut self) -> io::Result<W> {
        if self.failed {
            return Err(io::Error::other(
                "an earlier entry of this ZIP could not be written",
            ));
        }
        let start = self.pos;
        if let Some(mut old) = self.old.take() {
            old.file.seek(SeekFrom::Start(old.offset))?;
            copy_exactly(&mut old.file, &mut self.out, old.size)?;
            self.pos += old.size;
        }
        let (len, mut spilled) = self.directory.into_reader()?;
        copy_exactly(&mut spilled, &mut self.out, len)?;
        self.pos += len;
        let size = self.pos - start;

        let zip64 = self.entries > MAX_ENTRIES || size.max(start) > MARKER64;
        let b = &mut self.scratch;
        b.clear();
        if zip64 {
            b.u32(ZIP64_EOCD_SIG);
            b.u64(ZIP64_END_BODY);
            b.u16(self.version); // made by (no system byte, as the zip crate writes it)
            b.u16(self.version);
            b.u32(0); // this disk
            b.u32(0); // the directory's disk
            b.u64(self.entries);
            b.u64(self.entries);
            b.u64(size);
            b.u64(start);
            b.u32(ZIP64_LOCATOR_SIG);
            b.u32(0); // the ZIP64 end record's disk
            b.u64(start + size);
            b.u32(1); // disks in all
        }
        let entries16 = u16::try_from(self.entries.min(MAX_ENTRIES)).unwrap_or(u16::MAX);
        b.u32(EOCD_SIG);
        b.u16(0);
        b.u16(0);
        b.u16(entries16);
        b.u16(entries16);
        b.u32(if zip64 {
            MARKER
        } else {
            u32::try_from(size).unwrap_or(MARKER)
        });
        b.u32(u32::try_from(start).unwrap_or(MARKER));
        b.u16(0); // comment length
        self.out.write_all(b)?;
        Ok(self.out)
    }
}

/// Appends a ZIP64 extra field with the two (equal, the entry being stored) sizes and the local
/// header's offset, each when given.
fn zip64_field(b: &mut Vec<u8>, size: Option<u64>, offset: Option<u64>) {
    b.u16(ZIP64_EXTRA);
    b.u16(if size.is_some() { 16 } else { 0 } + if offset.is_some() { 8 } else { 0 });
    if let Some(size) = size {
        b.u64(size);
        b.u64(size);
    }
    if let Some(offset) = offset {
        b.u64(offset);
    }
}

fn too_long(name: &[u8]) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "an entry name of {} bytes is too long for a ZIP header",
            name.len()
        ),
    )
}

/// Copies exactly `len` bytes from `from` to `to`; fewer is an error (the file was shortened).
fn copy_exactly(from: &mut impl Read, to: &mut impl Write, len: u64) -> io::Result<()> {
    let copied = io::copy(&mut from.take(len), to)?;
    if copied != len {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("{copied} bytes could be copied of the {len} expected"),
        ));
    }
    Ok(())
}

/// Walks the central directory of `size` bytes at `offset`: its records must fill it exactly and
/// be `entries` in number. Returns the highest "version needed to extract" among them.
fn walk_directory(file: &mut File, offset: u64, size: u64, entries: u64) -> io::Result<u16> {
    let refused = |message: String| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("cannot append to this ZIP file: {message}"),
        )
    };
    file.seek(SeekFrom::Start(offset))?;
    let mut reader = BufReader::with_capacity(1 << 16, (&mut *file).take(size));
    let mut fixed = [0u8; CENTRAL_LEN];
    let (mut consumed, mut count, mut version) = (0u64, 0u64, VERSION_PLAIN);
    while consumed < size {
        if size - consumed < CENTRAL_LEN as u64 {
            return Err(refused(format!(
                "{} bytes at the end of the central directory are not a record",
                size - consumed
            )));
        }
        reader.read_exact(&mut fixed)?;
        if u32_at(&fixed, 0) != CENTRAL_SIG {
            return Err(refused(format!(
                "no central-directory record at byte {}",
                offset + consumed
            )));
        }
        version = version.max(u16_at(&fixed, 6));
        let rest: u64 = [28, 30, 32]
            .map(|at| u64::from(u16_at(&fixed, at)))
            .iter()
            .sum();
        consumed += CENTRAL_LEN as u64;
        if rest > size - consumed {
            return Err(refused(
                "the last central-directory record runs past the end of the directory".into(),
            ));
        }
        copy_exactly(&mut reader, &mut io::sink(), rest)?;
        consumed += rest;
        count += 1;
    }
    if count != entries {
        return Err(refused(format!(
            "the end record counts {entries} entries, but the central directory holds {count}"
        )));
    }
    Ok(version)
}
