//! A FLAC stream whose metadata symphonia refuses (a CUESHEET whose CD-DA offsets are not
//! multiples of 588, a malformed VORBIS_COMMENT) although its audio is intact, as libFLAC finds:
//! read again with the offending blocks left out, so that the audio is still decoded and its MD5
//! checked. The file's own bytes are untouched; only the reader's view changes.

use std::io::{self, Read, Seek, SeekFrom};

use symphonia::core::formats::FormatReader;
use symphonia::core::io::{MediaSource, MediaSourceStream, MediaSourceStreamOptions};

use crate::probe::Input;
use crate::probe::input::Window;

/// The most metadata blocks we step over.
const MAX_BLOCKS: usize = 1024;
/// The largest metadata block we copy (pictures are left out anyway).
const MAX_KEPT: u32 = 1 << 20;

/// `fLaC`, the blocks kept, then the file from its first frame.
struct Spliced {
    head: Vec<u8>,
    tail: Window,
    pos: u64,
    len: u64,
}

impl Read for Spliced {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let head_len = self.head.len() as u64;
        if self.pos < head_len {
            let from = self.pos as usize;
            let n = buf.len().min(self.head.len() - from);
            buf[..n].copy_from_slice(&self.head[from..from + n]);
            self.pos += n as u64;
            return Ok(n);
        }
        let n = self.tail.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for Spliced {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        }
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        let head_len = self.head.len() as u64;
        self.tail
            .seek(SeekFrom::Start(target.saturating_sub(head_len)))?;
        self.pos = target;
        Ok(target)
    }
}

impl MediaSource for Spliced {
    fn is_seekable(&self) -> bool {
        true
    }

    fn byte_len(&self) -> Option<u64> {
        Some(self.len)
    }
}

/// A metadata block: its type, and its bytes with their header.
type Block = (u8, Vec<u8>);

/// The metadata blocks of a native FLAC file (`fLaC` at its start): (type, bytes with header),
/// and where the first frame starts.
fn blocks(f: &mut Window) -> Option<(Vec<Block>, u64)> {
    let mut magic = [0u8; 4];
    f.read_exact(&mut magic).ok()?;
    if &magic != b"fLaC" {
        return None;
    }
    let mut pos = 4u64;
    let mut out = Vec::new();
    for _ in 0..MAX_BLOCKS {
        let mut hdr = [0u8; 4];
        f.read_exact(&mut hdr).ok()?;
        let len = u32::from_be_bytes([0, hdr[1], hdr[2], hdr[3]]);
        let kind = hdr[0] & 0x7f;
        if len <= MAX_KEPT {
            let mut block = hdr.to_vec();
            block.resize(4 + len as usize, 0);
            f.read_exact(&mut block[4..]).ok()?;
            out.push((kind, block));
        } else {
            f.seek(SeekFrom::Current(i64::from(len))).ok()?;
        }
        pos += 4 + u64::from(len);
        if hdr[0] & 0x80 != 0 {
            return Some((out, pos));
        }
    }
    None
}

/// The name of a metadata block type (RFC 9639 §8.1).
fn block_name(kind: u8) -> &'static str {
    match kind {
        0 => "STREAMINFO",
        1 => "PADDING",
        2 => "APPLICATION",
        3 => "SEEKTABLE",
        4 => "VORBIS_COMMENT",
        5 => "CUESHEET",
        6 => "PICTURE",
        _ => "reserved",
    }
}

/// Opens `input` with symphonia's FLAC reader, keeping only the metadata blocks `keep` accepts
/// (the first STREAMINFO is always kept, first). Also returns the names of the blocks left out.
fn open_keeping(
    input: &Input,
    keep: impl Fn(u8) -> bool,
) -> Option<(Box<dyn FormatReader>, Vec<&'static str>)> {
    let mut f = input.open().ok()?;
    let total = f.len();
    let (all, audio_start) = blocks(&mut f)?;
    let first = all.iter().position(|(k, _)| *k == 0)?;
    let mut kept = vec![&all[first]];
    let mut dropped = Vec::new();
    for (i, block) in all.iter().enumerate() {
        if i != first && block.0 != 0 && keep(block.0) {
            kept.push(block);
        } else if i != first {
            dropped.push(block_name(block.0));
        }
    }
    let mut head = b"fLaC".to_vec();
    let n = kept.len();
    for (i, (_, block)) in kept.into_iter().enumerate() {
        let mut b = block.clone();
        b[0] = (b[0] & 0x7f) | if i + 1 == n { 0x80 } else { 0 };
        head.extend_from_slice(&b);
    }
    let tail = input.sub(audio_start, total.saturating_sub(audio_start));
    let tail_window = tail.open().ok()?;
    let len = head.len() as u64 + tail_window.len();
    let source = Spliced {
        head,
        tail: tail_window,
        pos: 0,
        len,
    };
    let mss = MediaSourceStream::new(Box::new(source), MediaSourceStreamOptions::default());
    symphonia::default::get_probe()
        .probe(
            &Default::default(),
            mss,
            Default::default(),
            Default::default(),
        )
        .ok()
        .map(|r| (r, dropped))
}

/// A FLAC reader for a file whose metadata symphonia refused: without its CUESHEET (and any
/// second STREAMINFO), else with STREAMINFO and SEEKTABLE alone. Returns the names of the blocks
/// left out, for the finding.
pub fn reopen(input: &Input) -> Option<(Box<dyn FormatReader>, String)> {
    let (reader, dropped) =
        open_keeping(input, |k| k != 5).or_else(|| open_keeping(input, |k| k == 3))?;
    Some((reader, format!("these blocks: {}", dropped.join(", "))))
}
