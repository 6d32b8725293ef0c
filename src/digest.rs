//! Streaming digests: SHA-256 (and CRC-32, to cross-check the ZIP) of bytes as they pass through.

use std::fmt;
use std::io::{self, Read, Write};
use std::str::FromStr;

use sha2::{Digest, Sha256 as Sha256Hasher};

/// A SHA-256 digest.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256(pub [u8; 32]);

impl Sha256 {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Sha256(Sha256Hasher::digest(bytes).into())
    }

    /// Lowercase hex, as written in manifests and JSON.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256({})", self.to_hex())
    }
}

/// The error for a string that is not 64 lowercase hex digits.
#[derive(Debug, thiserror::Error)]
#[error("not a SHA-256 digest (64 lowercase hex digits): {0:?}")]
pub struct BadDigest(pub String);

impl FromStr for Sha256 {
    type Err = BadDigest;

    /// Accepts exactly 64 lowercase hex digits, the only form earwitness writes.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = s.len() == 64
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !ok {
            return Err(BadDigest(s.chars().take(80).collect()));
        }
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).map_err(|_| BadDigest(s.to_string()))?;
        Ok(Sha256(out))
    }
}

impl serde::Serialize for Sha256 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> serde::Deserialize<'de> for Sha256 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// What was measured over a stream of bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Digests {
    /// SHA-256 of the bytes.
    pub sha256: Sha256,
    /// CRC-32 (the ZIP polynomial) of the same bytes.
    pub crc32: u32,
    /// How many bytes there were.
    pub len: u64,
}

/// Digests measured while writing a bundle, by payload path, for the read-back check: 56 bytes a
/// file whatever the path's length (a path is kept as the first 8 bytes of its SHA-256). Two
/// paths with the same key could only make the check fail, never pass: a lookup that finds the
/// other file's digests compares them with this entry's size and CRC-32.
#[derive(Clone, Debug, Default)]
pub struct Known {
    entries: Vec<(u64, Digests)>,
}

impl Known {
    /// Room for `n` paths, so that adding them never copies the list.
    pub fn with_capacity(n: usize) -> Self {
        Known {
            entries: Vec::with_capacity(n),
        }
    }

    fn key(path: &str) -> u64 {
        let d = Sha256::of(path.as_bytes()).0;
        u64::from_le_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
    }

    /// The digests of `path`, if known.
    pub fn get(&self, path: &str) -> Option<&Digests> {
        let key = Self::key(path);
        self.entries
            .binary_search_by_key(&key, |(k, _)| *k)
            .ok()
            .map(|i| &self.entries[i].1)
    }

    /// Adds `path`; [`Known::sort`] must be called before the next [`Known::get`].
    pub fn push(&mut self, path: &str, digests: Digests) {
        self.entries.push((Self::key(path), digests));
    }

    /// Makes the added paths findable.
    pub fn sort(&mut self) {
        self.entries.sort_unstable_by_key(|(k, _)| *k);
        self.entries.shrink_to_fit();
    }

    /// How many paths are known.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no path is known.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<'a> FromIterator<(&'a str, Digests)> for Known {
    fn from_iter<I: IntoIterator<Item = (&'a str, Digests)>>(iter: I) -> Self {
        let mut entries: Vec<(u64, Digests)> =
            iter.into_iter().map(|(p, d)| (Self::key(p), d)).collect();
        entries.sort_unstable_by_key(|(k, _)| *k);
        entries.shrink_to_fit();
        Known { entries }
    }
}

/// Hashes every byte that is read through it, in one pass.
pub struct HashingReader<R> {
    inner: R,
    sha: Sha256Hasher,
    crc: crc32fast::Hasher,
    len: u64,
}

impl<R: Read> HashingReader<R> {
    /// Wraps `inner`.
    pub fn new(inner: R) -> Self {
        HashingReader {
            inner,
            sha: Sha256Hasher::new(),
            crc: crc32fast::Hasher::new(),
            len: 0,
        }
    }

    /// The digests of everything read so far.
    pub fn finish(self) -> Digests {
        self.into_parts().0
    }

    /// The digests of everything read so far, and the reader.
    pub fn into_parts(self) -> (Digests, R) {
        let digests = Digests {
            sha256: Sha256(self.sha.finalize().into()),
            crc32: self.crc.finalize(),
            len: self.len,
        };
        (digests, self.inner)
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.sha.update(&buf[..n]);
        self.crc.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }
}

/// The buffer size for streaming copies: large enough for full-speed sequential I/O, small enough
/// that memory stays flat.
pub const COPY_BUFFER: usize = 1 << 20;

thread_local! {
    static COPY_BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `f` with this thread's reusable copy buffer of [`COPY_BUFFER`] bytes: allocating and
/// zeroing a fresh megabyte for each of ten thousand small files costs more than hashing them.
pub fn with_copy_buffer<T>(f: impl FnOnce(&mut [u8]) -> T) -> T {
    COPY_BUF.with_borrow_mut(|buf| {
        if buf.len() != COPY_BUFFER {
            buf.resize(COPY_BUFFER, 0);
        }
        f(buf)
    })
}

/// Copies `reader` to `writer` through a fixed buffer, hashing everything, and returns the digests.
pub fn copy_hashed<R: Read, W: Write>(reader: R, writer: &mut W) -> io::Result<Digests> {
    let mut hashing = HashingReader::new(reader);
    with_copy_buffer(|buf| {
        loop {
            let n = match hashing.read(buf) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            writer.write_all(&buf[..n])?;
        }
    })?;
    Ok(hashing.finish())
}

/// Files at least this large are copied by [`copy_hashed_pipelined`]; for smaller ones a second
/// thread costs more than it saves.
pub const PIPELINE_MIN: u64 = 8 << 20;

/// [`copy_hashed`] on two threads: this one reads and hashes, a helper writes, so hashing and
/// writing overlap. At most four [`COPY_BUFFER`]s are in flight, so memory stays flat.
pub fn copy_hashed_pipelined<R: Read, W: Write + Send>(
    reader: R,
    writer: &mut W,
) -> io::Result<Digests> {
    use std::sync::mpsc;
    const IN_FLIGHT: usize = 4;
    let (full_tx, full_rx) = mpsc::sync_channel::<(Vec<u8>, usize)>(IN_FLIGHT);
    let (free_tx, free_rx) = mpsc::sync_channel::<Vec<u8>>(IN_FLIGHT);
    for _ in 0..IN_FLIGHT {
        // The channel has room for every buffer, so this never blocks or fails.
        let _ = free_tx.send(vec![0u8; COPY_BUFFER]);
    }
    let mut hashing = HashingReader::new(reader);
    std::thread::scope(|scope| {
        let written = scope.spawn(move || -> io::Result<()> {
            for (buf, n) in full_rx {
                writer.write_all(&buf[..n])?;
                // The reader may have stopped; a buffer nobody will reuse can be dropped.
                let _ = free_tx.send(buf);
            }
            Ok(())
        });
        let read = (|| -> io::Result<()> {
            loop {
                let Ok(mut buf) = free_rx.recv() else {
                    // The writer stopped early: its error is reported below.
                    return Ok(());
                };
                let n = loop {
                    match hashing.read(&mut buf) {
                        Ok(n) => break n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(e),
                    }
                };
                if n == 0 || full_tx.send((buf, n)).is_err() {
                    return Ok(());
                }
            }
        })();
        drop(full_tx);
        let wrote = written
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the writer thread panicked")));
        read.and(wrote)
    })?;
    Ok(hashing.finish())
}

/// Hashes everything `reader` yields, keeping at most `COPY_BUFFER` bytes in memory.
pub fn hash_reader<R: Read>(reader: R) -> io::Result<Digests> {
    copy_hashed(reader, &mut io::sink())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answer() {
        // FIPS 180-2 test vector "abc".
        let d = hash_reader(&b"abc"[..]).unwrap();
        assert_eq!(
            d.sha256.to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(d.len, 3);
        assert_eq!(d.crc32, 0x3524_41c2);
    }

    #[test]
    fn pipelined_copy_matches_the_plain_one() {
        let data: Vec<u8> = (0..(3 * COPY_BUFFER + 12345))
            .map(|i| (i * 31 % 251) as u8)
            .collect();
        let mut plain = Vec::new();
        let mut piped = Vec::new();
        let a = copy_hashed(&data[..], &mut plain).unwrap();
        let b = copy_hashed_pipelined(&data[..], &mut piped).unwrap();
        assert_eq!(a, b);
        assert_eq!(plain, data);
        assert_eq!(piped, data);
        assert_eq!(a.sha256, Sha256::of(&data));
    }

    #[test]
    fn parse_rejects_uppercase_and_short() {
        assert!("AB".repeat(32).parse::<Sha256>().is_err());
        assert!("ab".repeat(31).parse::<Sha256>().is_err());
        assert!("ab".repeat(32).parse::<Sha256>().is_ok());
    }
}
