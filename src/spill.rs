//! Spill files: records written once, in order, to an unnamed temporary file, then read back once
//! as a stream. They keep what a seal writes per file (the items of `evidence.json`, the lines of
//! `manifest-sha256.txt`, the ZIP's central-directory records) out of memory, however many files
//! there are.

use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, Write};
use std::path::Path;

/// An append-only temporary file, deleted when dropped (the OS deletes it even if the process
/// dies: it has no name).
pub struct Spill {
    file: BufWriter<File>,
    len: u64,
}

impl Spill {
    /// A new spill file in `dir` (beside the bundle being written, so that it uses that disk and
    /// not a RAM-backed `/tmp`).
    pub fn new_in(dir: &Path) -> io::Result<Self> {
        Ok(Spill {
            file: BufWriter::with_capacity(64 * 1024, tempfile::tempfile_in(dir)?),
            len: 0,
        })
    }

    /// Appends `bytes`.
    pub fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.file.write_all(bytes)?;
        self.len += bytes.len() as u64;
        Ok(())
    }

    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Everything written, from the start: its length and a reader over exactly that many bytes.
    pub fn into_reader(self) -> io::Result<(u64, io::Take<File>)> {
        let mut file = self.file.into_inner().map_err(|e| e.into_error())?;
        file.rewind()?;
        Ok((self.len, file.take(self.len)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gives_back_exactly_what_was_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut spill = Spill::new_in(dir.path()).unwrap();
        assert!(spill.is_empty());
        let record: Vec<u8> = (0..=255u8).collect();
        for _ in 0..1000 {
            spill.write(&record).unwrap();
        }
        assert_eq!(spill.len(), 256_000);
        let (len, mut reader) = spill.into_reader().unwrap();
        let mut back = Vec::new();
        reader.read_to_end(&mut back).unwrap();
        assert_eq!(len, 256_000);
        assert_eq!(back.len(), 256_000);
        assert!(back.chunks(256).all(|c| c == record.as_slice()));
    }
}
