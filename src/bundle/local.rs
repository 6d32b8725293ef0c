//! Local headers and the file's tiling: each entry's local header (and data descriptor) must
//! agree with its central-directory record, and the entries must cover the file from byte 0 to
//! the central directory with nothing hidden between them. Part of the strict read of
//! [`super::structure`].

use std::io::{Read, Seek};

use super::structure::{
    DESCRIPTOR_SIG, FLAG_DESCRIPTOR, KNOWN_FLAGS, LOCAL_LEN, LOCAL_SIG, Record, UNICODE_PATH_EXTRA,
    ZIP64_EXTRA, extra_fields, read_at, u16_at, u32_at, u64_at, unicode_path_agrees,
};
use super::{Problem, ProblemKind};

pub(super) fn read_local_headers<R: Read + Seek>(
    r: &mut R,
    records: &mut [Record],
    problems: &mut Vec<Problem>,
) {
    for rec in records.iter_mut() {
        let shown = super::names::printable_bytes(&rec.name);
        if let Err(message) = read_local(r, rec) {
            problems.push(Problem::new(
                ProblemKind::HeaderMismatch,
                Some(shown),
                message,
            ));
        }
    }
}

/// Reads one entry's local header (and data descriptor) and compares it with its central record;
/// fills `data_start` and `end`.
fn read_local<R: Read + Seek>(r: &mut R, rec: &mut Record) -> Result<(), String> {
    let mut fixed = [0u8; LOCAL_LEN as usize];
    read_at(r, rec.local_offset, &mut fixed)
        .map_err(|e| format!("the local header cannot be read: {e}"))?;
    // Until the header is read, the entry is taken to span its header alone.
    rec.data_start = rec.local_offset + LOCAL_LEN;
    rec.end = rec.data_start;
    if u32_at(&fixed, 0) != LOCAL_SIG {
        return Err(format!(
            "no local header where the central directory says the entry starts (byte {})",
            rec.local_offset
        ));
    }
    let n = u64::from(u16_at(&fixed, 26));
    let m = u64::from(u16_at(&fixed, 28));
    let mut var = vec![0u8; (n + m) as usize];
    r.read_exact(&mut var)
        .map_err(|e| format!("the local header cannot be read: {e}"))?;
    rec.data_start = rec.local_offset + LOCAL_LEN + n + m;
    rec.end = rec.data_start.saturating_add(rec.compressed);
    let (name, extra) = var.split_at(n as usize);
    let flags = u16_at(&fixed, 6);
    let method = u16_at(&fixed, 8);
    let mut disagree = Vec::new();
    if name != rec.name.as_slice() {
        disagree.push(format!(
            "the local header names {}",
            super::names::printable_bytes(name)
        ));
    }
    if flags != rec.flags {
        disagree.push(format!(
            "flags {flags:#06x} where the directory says {:#06x}",
            rec.flags
        ));
    }
    if method != rec.method {
        disagree.push(format!(
            "compression method {method} where the directory says {}",
            rec.method
        ));
    }
    if rec.flags & !KNOWN_FLAGS != 0 {
        disagree.push(format!(
            "flags {:#06x} use features a bundle never uses",
            rec.flags
        ));
    }
    let crc = u32_at(&fixed, 14);
    let mut compressed = u64::from(u32_at(&fixed, 18));
    let mut size = u64::from(u32_at(&fixed, 22));
    let mut zip64 = false;
    let mut unicode_ok = true;
    let parsed = extra_fields(extra, |id, body| match id {
        ZIP64_EXTRA => {
            zip64 = true;
            // A local ZIP64 field holds both sizes, uncompressed first.
            if body.len() >= 16 {
                if size == 0xFFFF_FFFF {
                    size = u64_at(body, 0);
                }
                if compressed == 0xFFFF_FFFF {
                    compressed = u64_at(body, 8);
                }
            }
        }
        UNICODE_PATH_EXTRA => unicode_ok &= unicode_path_agrees(&rec.name, body),
        _ => {}
    });
    if parsed.is_err() {
        disagree.push("malformed extra fields".into());
    }
    if !unicode_ok {
        disagree.push("a Unicode Path extra field that names another file".into());
    }
    let descriptor = rec.flags & FLAG_DESCRIPTOR != 0;
    // With a data descriptor the local header may leave the CRC and sizes zero; the descriptor
    // after the data carries them.
    let deferred = descriptor && crc == 0 && compressed == 0 && size == 0;
    if !deferred && (crc, compressed, size) != (rec.crc32, rec.compressed, rec.size) {
        disagree.push(format!(
            "the local header records CRC {crc:08x}, {compressed} stored and {size} uncompressed bytes; the directory {:08x}, {} and {}",
            rec.crc32, rec.compressed, rec.size
        ));
    }
    if descriptor {
        let mut d = [0u8; 24];
        let at = rec.end;
        let got = read_at(r, at, &mut d[..16]).is_ok();
        let wide = zip64 || rec.compressed >= 0xFFFF_FFFF || rec.size >= 0xFFFF_FFFF;
        let wide_ok = !wide || read_at(r, at, &mut d).is_ok();
        if !got || !wide_ok {
            disagree.push("the data descriptor cannot be read".into());
        } else {
            let skip = if u32_at(&d, 0) == DESCRIPTOR_SIG {
                4
            } else {
                0
            };
            let (dcrc, dcomp, dsize, len) = if wide {
                (
                    u32_at(&d, skip),
                    u64_at(&d, skip + 4),
                    u64_at(&d, skip + 12),
                    skip + 20,
                )
            } else {
                (
                    u32_at(&d, skip),
                    u64::from(u32_at(&d, skip + 4)),
                    u64::from(u32_at(&d, skip + 8)),
                    skip + 12,
                )
            };
            if (dcrc, dcomp, dsize) != (rec.crc32, rec.compressed, rec.size) {
                disagree.push("the data descriptor disagrees with the directory".into());
            }
            rec.end = at.saturating_add(len as u64);
        }
    }
    if disagree.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the local header disagrees with the central directory: {}; unzip would extract other bytes than earwitness checks",
            disagree.join("; ")
        ))
    }
}

/// Entries must tile the file from byte 0 to the central directory: no bytes before the first,
/// none between two, none after the last, and no overlap.
pub(super) fn check_tiling(records: &[Record], cd_offset: u64, problems: &mut Vec<Problem>) {
    let mut order: Vec<&Record> = records.iter().collect();
    order.sort_by_key(|r| r.local_offset);
    let mut pos = 0u64;
    let mut prev: Option<&Record> = None;
    for rec in order {
        let shown = super::names::printable_bytes(&rec.name);
        if rec.local_offset > pos {
            let where_ = match prev {
                None => "before the first entry".to_string(),
                Some(p) => format!(
                    "between {} and {shown}",
                    super::names::printable_bytes(&p.name)
                ),
            };
            problems.push(Problem::new(
                ProblemKind::HiddenBytes,
                Some(shown.clone()),
                format!(
                    "{} bytes {where_} that belong to no entry (bytes {pos}..{})",
                    rec.local_offset - pos,
                    rec.local_offset
                ),
            ));
        } else if rec.local_offset < pos {
            problems.push(Problem::new(
                ProblemKind::Overlap,
                Some(shown),
                "the entry overlaps the one before it inside the ZIP file",
            ));
        }
        pos = pos.max(rec.end);
        prev = Some(rec);
    }
    if pos < cd_offset {
        problems.push(Problem::new(
            ProblemKind::HiddenBytes,
            None,
            format!(
                "{} bytes between the last entry and the central directory belong to no entry",
                cd_offset - pos
            ),
        ));
    } else if pos > cd_offset {
        problems.push(Problem::new(
            ProblemKind::Overlap,
            None,
            "an entry's data runs into the central directory",
        ));
    }
}
