//! The bytes a probe reads: a whole file, or a window of one (a stored entry inside a bundle ZIP,
//! for `verify --deep`, which never extracts entries to disk).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Where a recording's bytes are.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Input {
    /// The file.
    pub path: PathBuf,
    /// `(offset, length)` of the bytes inside the file; `None` for the whole file.
    pub window: Option<(u64, u64)>,
}

impl Input {
    /// The whole file at `path`.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Input {
            path: path.into(),
            window: None,
        }
    }

    /// The `len` bytes at `offset` inside these bytes.
    pub fn sub(&self, offset: u64, len: u64) -> Input {
        let base = self.window.map_or(0, |(start, _)| start);
        Input {
            path: self.path.clone(),
            window: Some((base + offset, len)),
        }
    }

    /// Opens the bytes, read-only.
    pub fn open(&self) -> io::Result<Window> {
        let mut file = File::open(&self.path)?;
        let (start, len) = match self.window {
            Some(w) => w,
            None => (0, file.metadata()?.len()),
        };
        file.seek(SeekFrom::Start(start))?;
        Ok(Window {
            file,
            start,
            len,
            pos: 0,
        })
    }
}

/// A seekable view of `len` bytes of a file starting at `start`.
pub struct Window {
    file: File,
    start: u64,
    len: u64,
    pos: u64,
}

impl Window {
    /// The number of bytes in the window.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the window holds no bytes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Read for Window {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.len.saturating_sub(self.pos);
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        if want == 0 {
            return Ok(0);
        }
        let n = self.file.read(&mut buf[..want])?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for Window {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let target = match pos {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        }
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        self.file.seek(SeekFrom::Start(self.start + target))?;
        self.pos = target;
        Ok(target)
    }
}

impl symphonia::core::io::MediaSource for Window {
    fn is_seekable(&self) -> bool {
        true
    }

    fn byte_len(&self) -> Option<u64> {
        Some(self.len)
    }
}
