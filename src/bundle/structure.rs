//! The ZIP structure, read strictly, so that the entries earwitness checks are the entries every
//! other tool extracts. unzip, Python's `zipfile`, 7-Zip and the zip crate resolve an ambiguous
//! archive differently (a local header that disagrees with the central directory, an end record
//! that counts fewer entries than the directory holds, bytes hidden between entries), so a bundle
//! must not be ambiguous at all: every byte of the file belongs to exactly one structure, and the
//! structures agree with each other. docs/FORMAT.md §3.2 lists the rules.

use std::io::{self, BufReader, Read, Seek, SeekFrom};

use super::{Problem, ProblemKind};

pub(super) const LOCAL_SIG: u32 = 0x0403_4b50;
pub(super) const CENTRAL_SIG: u32 = 0x0201_4b50;
pub(super) const EOCD_SIG: u32 = 0x0605_4b50;
pub(super) const ZIP64_EOCD_SIG: u32 = 0x0606_4b50;
pub(super) const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;
pub(super) const DESCRIPTOR_SIG: u32 = 0x0807_4b50;
const EOCD_LEN: u64 = 22;
const LOCATOR_LEN: u64 = 20;
pub(super) const LOCAL_LEN: u64 = 30;
pub(super) const CENTRAL_LEN: usize = 46;
/// The general-purpose flag bits a bundle may use: 0 (encrypted, refused later with its own code),
/// 1 and 2 (deflate options), 3 (data descriptor), 11 (UTF-8 names).
pub(super) const KNOWN_FLAGS: u16 = 0b0000_1000_0000_1111;
pub(super) const FLAG_DESCRIPTOR: u16 = 1 << 3;
pub(super) const FLAG_UTF8: u16 = 1 << 11;
pub(super) const ZIP64_EXTRA: u16 = 0x0001;
pub(super) const UNICODE_PATH_EXTRA: u16 = 0x7075;

/// One entry, as its central-directory record and its local header agree it is.
#[derive(Clone, Debug)]
pub(crate) struct Record {
    /// The name's bytes.
    pub name: Vec<u8>,
    /// General-purpose flags.
    pub flags: u16,
    /// Compression method (0 stored, 8 deflate, ...).
    pub method: u16,
    /// CRC-32 of the uncompressed bytes.
    pub crc32: u32,
    /// Bytes of (compressed) data.
    pub compressed: u64,
    /// Bytes once uncompressed.
    pub size: u64,
    /// Where the local header starts.
    pub local_offset: u64,
    /// Where the data starts, after the local header.
    pub data_start: u64,
    /// Where the entry ends: after its data and any data descriptor.
    pub end: u64,
    /// The high byte of "version made by": 0 DOS, 3 Unix, 19 macOS, ...
    pub system: u8,
    /// External attributes (Unix mode in the high 16 bits when made on Unix).
    pub external: u32,
}

impl Record {
    /// The Unix file type bits (`0o170000` mask), when the entry was made on a Unix system and
    /// records them.
    pub fn unix_type(&self) -> Option<u32> {
        if matches!(self.system, 3 | 19) {
            let t = (self.external >> 16) & 0o170000;
            (t != 0).then_some(t)
        } else {
            None
        }
    }

    /// Whether the MS-DOS "directory" attribute is set.
    pub fn dos_directory(&self) -> bool {
        self.external & 0x10 != 0
    }
}

/// What the strict read found: the entries in central-directory order, and where the directory is.
#[derive(Debug)]
pub(crate) struct Layout {
    pub records: Vec<Record>,
}

pub(super) fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}
pub(super) fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}
pub(super) fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(x)
}

fn unreadable(message: impl Into<String>) -> Problem {
    Problem::new(ProblemKind::Unreadable, None, message)
}

pub(super) fn read_at<R: Read + Seek>(r: &mut R, at: u64, buf: &mut [u8]) -> io::Result<()> {
    r.seek(SeekFrom::Start(at))?;
    r.read_exact(buf)
}

/// The values of the end of central directory, after ZIP64.
pub(super) struct End {
    /// How many entries the directory holds.
    pub entries: u64,
    /// The directory's size in bytes.
    pub cd_size: u64,
    /// Where the directory starts.
    pub cd_offset: u64,
    /// Where the central directory must end: the ZIP64 end record, or the classic one.
    pub cd_end: u64,
}

/// Reads the structure of a ZIP file of `len` bytes. `Err` when it cannot be read as a ZIP at all;
/// otherwise every disagreement goes into `problems` and the entries come back as the central
/// directory lists them.
pub(crate) fn read_layout<R: Read + Seek>(
    r: &mut R,
    len: u64,
    problems: &mut Vec<Problem>,
) -> Result<Layout, Problem> {
    let end = read_end(r, len, problems)?;
    let records = read_directory(r, &end, len, problems)?;
    let mut records = records;
    super::local::read_local_headers(r, &mut records, problems);
    super::local::check_tiling(&records, end.cd_offset, problems);
    Ok(Layout { records })
}

fn read_end<R: Read + Seek>(
    r: &mut R,
    len: u64,
    problems: &mut Vec<Problem>,
) -> Result<End, Problem> {
    if len < EOCD_LEN {
        return Err(unreadable(format!(
            "the file is {len} bytes, too short to be a ZIP archive"
        )));
    }
    // A bundle ends with its end record: no archive comment (unzip prints it, and nothing checks
    // it) and no bytes after it. Look there first, then search back as other tools do, to say
    // what is wrong.
    let tail_len = len.min(EOCD_LEN + 0xFFFF);
    let mut tail = vec![0u8; tail_len as usize];
    read_at(r, len - tail_len, &mut tail)
        .map_err(|e| unreadable(format!("the end of the file cannot be read: {e}")))?;
    let found = (0..=tail.len() - EOCD_LEN as usize)
        .rev()
        .find(|&i| u32_at(&tail, i) == EOCD_SIG);
    let Some(at) = found else {
        return Err(unreadable(
            "no end-of-central-directory record: this is not a ZIP file, or it is truncated",
        ));
    };
    let eocd = &tail[at..at + EOCD_LEN as usize];
    let eocd_pos = len - tail_len + at as u64;
    let comment_len = u64::from(u16_at(eocd, 20));
    let after = len - eocd_pos - EOCD_LEN;
    if after != 0 {
        let what = if comment_len == after {
            format!("an archive comment of {after} bytes (unzip shows it, but no hash covers it)")
        } else {
            format!("{after} bytes after the end-of-central-directory record")
        };
        problems.push(Problem::new(
            ProblemKind::HiddenBytes,
            None,
            format!("{what}; a bundle ends with its end record"),
        ));
    }
    let disk = u16_at(eocd, 4);
    let cd_disk = u16_at(eocd, 6);
    let here = u64::from(u16_at(eocd, 8));
    let total = u64::from(u16_at(eocd, 10));
    let cd_size = u64::from(u32_at(eocd, 12));
    let cd_offset = u64::from(u32_at(eocd, 16));

    let mut end = End {
        entries: total,
        cd_size,
        cd_offset,
        cd_end: eocd_pos,
    };
    let mut here_entries = here;
    let mut disks = (u32::from(disk), u32::from(cd_disk));
    if eocd_pos >= LOCATOR_LEN {
        let mut loc = [0u8; LOCATOR_LEN as usize];
        read_at(r, eocd_pos - LOCATOR_LEN, &mut loc)
            .map_err(|e| unreadable(format!("the ZIP64 locator cannot be read: {e}")))?;
        if u32_at(&loc, 0) == ZIP64_LOCATOR_SIG {
            let record_at = u64_at(&loc, 8);
            let locator_at = eocd_pos - LOCATOR_LEN;
            let mut rec = [0u8; 56];
            if record_at.checked_add(56).is_none_or(|e| e > locator_at) {
                return Err(unreadable("the ZIP64 end record lies outside the file"));
            }
            read_at(r, record_at, &mut rec)
                .map_err(|e| unreadable(format!("the ZIP64 end record cannot be read: {e}")))?;
            if u32_at(&rec, 0) != ZIP64_EOCD_SIG {
                return Err(unreadable(
                    "the ZIP64 locator points at something that is not a ZIP64 end record",
                ));
            }
            let record_end = record_at.saturating_add(12).saturating_add(u64_at(&rec, 4));
            if record_end != locator_at {
                problems.push(Problem::new(
                    ProblemKind::DirectoryMismatch,
                    None,
                    "the ZIP64 end record does not end where its locator begins",
                ));
            }
            let z_disk = u32_at(&rec, 16);
            let z_cd_disk = u32_at(&rec, 20);
            let z_here = u64_at(&rec, 24);
            let z_total = u64_at(&rec, 32);
            let z_size = u64_at(&rec, 40);
            let z_offset = u64_at(&rec, 48);
            let agree = |classic: u64, sentinel: u64, z: u64| classic == sentinel || classic == z;
            if !(agree(here, 0xFFFF, z_here)
                && agree(total, 0xFFFF, z_total)
                && agree(cd_size, 0xFFFF_FFFF, z_size)
                && agree(cd_offset, 0xFFFF_FFFF, z_offset))
            {
                problems.push(Problem::new(
                    ProblemKind::DirectoryMismatch,
                    None,
                    "the end record and the ZIP64 end record disagree about the central directory",
                ));
            }
            disks = (z_disk, z_cd_disk);
            here_entries = z_here;
            end = End {
                entries: z_total,
                cd_size: z_size,
                cd_offset: z_offset,
                cd_end: record_at,
            };
        }
    }
    if disks != (0, 0) {
        return Err(unreadable(
            "a split or spanned archive (more than one disk); a bundle is one file",
        ));
    }
    if here_entries != end.entries {
        problems.push(Problem::new(
            ProblemKind::DirectoryMismatch,
            None,
            format!(
                "the end record counts {here_entries} entries on this disk but {} in all",
                end.entries
            ),
        ));
    }
    if end.cd_offset.checked_add(end.cd_size) != Some(end.cd_end) {
        // Python's zipfile takes such a difference for bytes prepended to the archive and shifts
        // every offset by it; other readers do not. Either way, tools would disagree.
        problems.push(Problem::new(
            ProblemKind::DirectoryMismatch,
            None,
            format!(
                "the end record says the central directory spans bytes {}..{}, but it must end at {}",
                end.cd_offset,
                end.cd_offset.saturating_add(end.cd_size),
                end.cd_end
            ),
        ));
    }
    if end.cd_offset > end.cd_end {
        return Err(unreadable("the central directory starts after its end"));
    }
    Ok(end)
}

/// Where the central directory of a ZIP of `len` bytes lies and how many entries its end records
/// count, read as strictly as [`read_layout`] reads them, for appending to a bundle: an error (with
/// the first reason) for anything that read reports about the end records, among them a comment or
/// bytes after the end record, and a directory that does not end exactly where the end records
/// begin.
pub(super) fn directory_place<R: Read + Seek>(r: &mut R, len: u64) -> io::Result<End> {
    let refused = |message: String| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("cannot append to this ZIP file: {message}"),
        )
    };
    let mut problems = Vec::new();
    let end = read_end(r, len, &mut problems).map_err(|p| refused(p.message))?;
    match problems.into_iter().next() {
        Some(p) => Err(refused(p.message)),
        None => Ok(end),
    }
}

/// Parses `extra` (a sequence of id, length, data), calling `each` for every field. `Err` when the
/// lengths do not tile the block exactly.
pub(super) fn extra_fields(extra: &[u8], mut each: impl FnMut(u16, &[u8])) -> Result<(), ()> {
    let mut at = 0;
    while at < extra.len() {
        if at + 4 > extra.len() {
            return Err(());
        }
        let id = u16_at(extra, at);
        let n = usize::from(u16_at(extra, at + 2));
        let body = extra.get(at + 4..at + 4 + n).ok_or(())?;
        each(id, body);
        at += 4 + n;
    }
    Ok(())
}

/// Checks the Unicode Path extra field, which unzip prefers over the header name: it must name
/// the same thing.
pub(super) fn unicode_path_agrees(name: &[u8], body: &[u8]) -> bool {
    body.len() >= 5 && body[0] == 1 && &body[5..] == name
}

fn read_directory<R: Read + Seek>(
    r: &mut R,
    end: &End,
    len: u64,
    problems: &mut Vec<Problem>,
) -> Result<Vec<Record>, Problem> {
    // The directory is read as far as its end must be, whatever the end record says its size is,
    // so that an entry the count hides is still seen.
    let span = end.cd_end.saturating_sub(end.cd_offset);
    if end.cd_end > len {
        return Err(unreadable("the central directory lies outside the file"));
    }
    r.seek(SeekFrom::Start(end.cd_offset))
        .map_err(|e| unreadable(format!("the central directory cannot be read: {e}")))?;
    let mut reader = BufReader::with_capacity(1 << 16, r.take(span));
    let mut records = Vec::new();
    let mut consumed = 0u64;
    let mut fixed = [0u8; CENTRAL_LEN];
    while consumed < span {
        if span - consumed < CENTRAL_LEN as u64
            || reader.read_exact(&mut fixed).is_err()
            || u32_at(&fixed, 0) != CENTRAL_SIG
        {
            problems.push(Problem::new(
                ProblemKind::DirectoryMismatch,
                None,
                format!(
                    "the central directory holds {} bytes that are not a directory record (at byte {})",
                    span - consumed,
                    end.cd_offset + consumed
                ),
            ));
            break;
        }
        let n = usize::from(u16_at(&fixed, 28));
        let m = usize::from(u16_at(&fixed, 30));
        let k = usize::from(u16_at(&fixed, 32));
        let record_len = (CENTRAL_LEN + n + m + k) as u64;
        if record_len > span - consumed {
            problems.push(Problem::new(
                ProblemKind::DirectoryMismatch,
                None,
                "the last central-directory record runs past the end of the directory",
            ));
            break;
        }
        let mut var = vec![0u8; n + m + k];
        reader
            .read_exact(&mut var)
            .map_err(|e| unreadable(format!("the central directory cannot be read: {e}")))?;
        consumed += record_len;
        let name = var[..n].to_vec();
        let extra = &var[n..n + m];
        let shown = super::names::printable_bytes(&name);
        let mut size = u64::from(u32_at(&fixed, 24));
        let mut compressed = u64::from(u32_at(&fixed, 20));
        let mut local_offset = u64::from(u32_at(&fixed, 42));
        let mut disk = u32::from(u16_at(&fixed, 34));
        let mut zip64_ok = true;
        let mut unicode_ok = true;
        let parsed = extra_fields(extra, |id, body| match id {
            ZIP64_EXTRA => {
                let mut at = 0;
                let mut take8 = |v: &mut u64| {
                    if *v == 0xFFFF_FFFF {
                        match body.get(at..at + 8) {
                            Some(b) => *v = u64_at(b, 0),
                            None => zip64_ok = false,
                        }
                        at += 8;
                    }
                };
                take8(&mut size);
                take8(&mut compressed);
                take8(&mut local_offset);
                if disk == 0xFFFF {
                    match body.get(at..at + 4) {
                        Some(b) => disk = u32_at(b, 0),
                        None => zip64_ok = false,
                    }
                }
            }
            UNICODE_PATH_EXTRA => unicode_ok &= unicode_path_agrees(&name, body),
            _ => {}
        });
        if parsed.is_err() || !zip64_ok {
            problems.push(Problem::new(
                ProblemKind::HeaderMismatch,
                Some(shown.clone()),
                "the central-directory record's extra fields are malformed",
            ));
        }
        if !unicode_ok {
            problems.push(Problem::new(
                ProblemKind::NameAmbiguous,
                Some(shown.clone()),
                "a Unicode Path extra field names another file than the entry's name; unzip would use that other name",
            ));
        }
        let flags = u16_at(&fixed, 8);
        if name.iter().any(|b| *b >= 0x80) && flags & FLAG_UTF8 == 0 {
            problems.push(Problem::new(
                ProblemKind::NameAmbiguous,
                Some(shown.clone()),
                "a non-ASCII name without the UTF-8 flag: Python's zipfile reads it as another name (code page 437) than tools that assume UTF-8",
            ));
        }
        if k > 0 {
            problems.push(Problem::new(
                ProblemKind::HiddenBytes,
                Some(shown.clone()),
                format!("an entry comment of {k} bytes (zipinfo shows it, but no hash covers it)"),
            ));
        }
        if disk != 0 {
            problems.push(Problem::new(
                ProblemKind::DirectoryMismatch,
                Some(shown.clone()),
                "the entry is on another disk; a bundle is one file",
            ));
        }
        records.push(Record {
            name,
            flags,
            method: u16_at(&fixed, 10),
            crc32: u32_at(&fixed, 16),
            compressed,
            size,
            local_offset,
            data_start: 0,
            end: 0,
            system: (u16_at(&fixed, 4) >> 8) as u8,
            external: u32_at(&fixed, 38),
        });
    }
    if consumed != end.cd_size || records.len() as u64 != end.entries {
        problems.push(Problem::new(
            ProblemKind::DirectoryMismatch,
            None,
            format!(
                "the end record counts {} entries in {} bytes, but the central directory holds {} entries in {consumed} bytes: tools that trust one or the other see different entries",
                end.entries,
                end.cd_size,
                records.len()
            ),
        ));
    }
    Ok(records)
}
