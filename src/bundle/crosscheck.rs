//! The cross-check: a second, independent reading of the archive by the zip crate, which must
//! list the same entries as the strict read (names, sizes, CRC-32, where the data starts) and find
//! the local headers consistent. The crate's parse is made first and reduced to 16 bytes an
//! entry, so that it and the strict read's records are never in memory together.

use std::collections::HashSet;

use super::read::ReadSeek;
use super::structure::Record;
use super::{Problem, ProblemKind};

/// What the zip crate read of an archive, reduced to what the cross-check compares: 16 bytes an
/// entry, so that its own parse (about 225 bytes an entry) is gone before the strict read holds
/// its records.
pub(super) struct LibraryView {
    /// Per entry in directory order: the first 16 bytes of the SHA-256 of its name, sizes, CRC-32
    /// and data offset as the zip crate read them.
    entries: Vec<[u8; 16]>,
    /// The zip crate's own check that the local headers agree with the directory.
    consistent: Result<(), String>,
}

/// What [`cross_check`] compares of one entry.
fn fingerprint(name: &[u8], compressed: u64, size: u64, crc32: u32, data_start: u64) -> [u8; 16] {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update((name.len() as u64).to_le_bytes());
    h.update(name);
    for v in [compressed, size, u64::from(crc32), data_start] {
        h.update(v.to_le_bytes());
    }
    let mut out = [0u8; 16];
    out.copy_from_slice(&h.finalize()[..16]);
    out
}

/// The zip crate's reading of the archive, made before the strict read (see [`LibraryView`]).
pub(super) fn library_view(reader: &mut Box<dyn ReadSeek>) -> Result<LibraryView, String> {
    use zip::read::{ArchiveOffset, Config};
    let config = Config {
        archive_offset: ArchiveOffset::Known(0),
    };
    let mut archive =
        zip::ZipArchive::with_config(config, &mut *reader).map_err(|e| e.to_string())?;
    let mut entries = Vec::with_capacity(archive.len());
    for i in 0..archive.len() {
        // An entry the crate cannot open gets a fingerprint no record can have.
        let print = match archive.by_index_raw(i) {
            Ok(e) => fingerprint(
                e.name_raw(),
                e.compressed_size(),
                e.size(),
                e.crc32(),
                e.data_start().unwrap_or(u64::MAX),
            ),
            Err(_) => [0xFF; 16],
        };
        entries.push(print);
    }
    let consistent = archive
        .validate_header_consistency()
        .map_err(|e| e.to_string());
    Ok(LibraryView {
        entries,
        consistent,
    })
}

/// A second, independent reading: the zip crate must see the same entries, and (when the strict
/// read found nothing) its own header-consistency check must pass too.
pub(super) fn cross_check(
    library: Result<LibraryView, String>,
    records: &[Record],
    problems: &mut Vec<Problem>,
) {
    let quiet = problems.is_empty();
    let mut names = HashSet::with_capacity(records.len());
    if !records.iter().all(|r| names.insert(r.name.as_slice())) {
        // The zip crate keeps one of two entries with the same name, so its list cannot match;
        // duplicates get their own finding.
        return;
    }
    drop(names);
    let library = match library {
        Ok(l) => l,
        Err(e) => {
            if quiet {
                problems.push(Problem::new(
                    ProblemKind::DirectoryMismatch,
                    None,
                    format!("the zip library cannot read the archive that earwitness reads: {e}"),
                ));
            }
            return;
        }
    };
    let differ = library.entries.len() != records.len()
        || records.iter().zip(&library.entries).any(|(rec, seen)| {
            fingerprint(
                &rec.name,
                rec.compressed,
                rec.size,
                rec.crc32,
                rec.data_start,
            ) != *seen
        });
    if differ {
        if quiet {
            problems.push(Problem::new(
                ProblemKind::DirectoryMismatch,
                None,
                "the zip library lists other entries than the strict read: the archive is ambiguous",
            ));
        }
        return;
    }
    if quiet && let Err(e) = library.consistent {
        problems.push(Problem::new(
            ProblemKind::HeaderMismatch,
            None,
            format!("the zip library finds the headers inconsistent: {e}"),
        ));
    }
}
