//! Reading one entry: its bytes checked as they pass (never more or fewer than declared, the
//! CRC-32 at the end), and an unzipped folder's files opened without following links.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::Path;

use super::EntryError;

#[cfg(unix)]
pub(super) fn identity(meta: &fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
pub(super) fn identity(_: &fs::Metadata) -> Option<(u64, u64)> {
    None
}

/// Opens a folder's file without following a symbolic link, and checks that it is still the file
/// that was listed (the same device and inode).
pub(super) fn open_listed(path: &Path, ident: Option<(u64, u64)>) -> Result<File, EntryError> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    let file = options.open(path).map_err(|e| {
        if e.raw_os_error() == Some(libc::ELOOP) {
            EntryError::Replaced
        } else {
            EntryError::Io(e)
        }
    })?;
    let meta = file.metadata()?;
    if ident.is_some() && identity(&meta) != ident || !meta.is_file() {
        return Err(EntryError::Replaced);
    }
    Ok(file)
}

/// An entry's bytes, checked as they pass: never more or fewer than declared, and (for a ZIP) the
/// CRC-32 at the end.
pub struct EntryReader<'a> {
    inner: Box<dyn Read + Send + 'a>,
    declared: u64,
    read: u64,
    crc: Option<(u32, crc32fast::Hasher)>,
}

impl<'a> EntryReader<'a> {
    pub(super) fn new(inner: Box<dyn Read + Send + 'a>, declared: u64, crc: Option<u32>) -> Self {
        EntryReader {
            inner,
            declared,
            read: 0,
            crc: crc.map(|c| (c, crc32fast::Hasher::new())),
        }
    }

    fn at_end(&mut self) -> io::Result<usize> {
        if self.read < self.declared {
            return Err(EntryError::Shorter {
                declared: self.declared,
                got: self.read,
            }
            .into_io());
        }
        if let Some((expected, hasher)) = self.crc.take() {
            let found = hasher.finalize();
            if found != expected {
                return Err(EntryError::Crc { expected, found }.into_io());
            }
        }
        Ok(0)
    }
}

impl Read for EntryReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let left = self.declared - self.read;
        if left == 0 {
            // Probe for one more byte: any is too many.
            let mut one = [0u8; 1];
            return match self.inner.read(&mut one)? {
                0 => self.at_end(),
                _ => Err(EntryError::Longer {
                    declared: self.declared,
                }
                .into_io()),
            };
        }
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            return self.at_end();
        }
        if let Some((_, hasher)) = &mut self.crc {
            hasher.update(&buf[..n]);
        }
        self.read += n as u64;
        Ok(n)
    }
}
