//! The audio sample entry of an ISO media file (MP4, M4A, 3GP), for codecs symphonia does not
//! know (AMR in 3GP): symphonia keeps the track but drops its codec.

use std::io::{self, Read, Seek, SeekFrom};

/// The most box headers we step over, and the deepest nesting, so a crafted file cannot loop.
const MAX_BOXES: usize = 10_000;
const MAX_DEPTH: usize = 8;

/// What the first audio sample entry declares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SampleEntry {
    /// Its four-character code: `samr`, `sawb`, `mp4a`, ...
    pub fourcc: String,
    /// The channel count field.
    pub channels: u16,
    /// The integer part of the sample rate field.
    pub sample_rate: u32,
}

/// The first audio sample entry of the first track that has one.
pub fn first_sample_entry<R: Read + Seek>(
    f: &mut R,
    file_len: u64,
) -> io::Result<Option<SampleEntry>> {
    let mut budget = MAX_BOXES;
    walk(f, 0, file_len, 0, &mut budget)
}

fn walk<R: Read + Seek>(
    f: &mut R,
    start: u64,
    end: u64,
    depth: usize,
    budget: &mut usize,
) -> io::Result<Option<SampleEntry>> {
    let mut pos = start;
    while pos + 8 <= end {
        if *budget == 0 {
            return Ok(None);
        }
        *budget -= 1;
        let mut hdr = [0u8; 8];
        f.seek(SeekFrom::Start(pos))?;
        f.read_exact(&mut hdr)?;
        let mut size = u64::from(u32::from_be_bytes([hdr[0], hdr[1], hdr[2], hdr[3]]));
        let kind = [hdr[4], hdr[5], hdr[6], hdr[7]];
        let mut body = pos + 8;
        if size == 1 {
            let mut big = [0u8; 8];
            f.read_exact(&mut big)?;
            size = u64::from_be_bytes(big);
            body += 8;
        } else if size == 0 {
            size = end - pos;
        }
        if size < body - pos || pos + size > end {
            return Ok(None);
        }
        let box_end = pos + size;
        match &kind {
            b"moov" | b"trak" | b"mdia" | b"minf" | b"stbl" if depth < MAX_DEPTH => {
                if let Some(found) = walk(f, body, box_end, depth + 1, budget)? {
                    return Ok(Some(found));
                }
            }
            b"stsd" => {
                // version/flags (4), entry count (4), then the first entry: size (4), type (4),
                // reserved (6), data reference index (2), reserved (8), channels (2),
                // sample size (2), pre-defined (2), reserved (2), sample rate (16.16).
                let mut entry = [0u8; 8 + 8 + 28];
                f.seek(SeekFrom::Start(body))?;
                if f.read_exact(&mut entry).is_ok() {
                    return Ok(Some(SampleEntry {
                        fourcc: String::from_utf8_lossy(&entry[12..16]).into_owned(),
                        channels: u16::from_be_bytes([entry[32], entry[33]]),
                        sample_rate: u32::from(u16::from_be_bytes([entry[40], entry[41]])),
                    }));
                }
                return Ok(None);
            }
            _ => {}
        }
        pos = box_end;
    }
    Ok(None)
}

/// The codec name for an ISO audio sample entry type.
pub fn codec_for_entry(fourcc: &str) -> Option<&'static str> {
    Some(match fourcc {
        "samr" => "amr_nb",
        "sawb" => "amr_wb",
        "mp4a" => "aac",
        "Opus" => "opus",
        "alac" => "alac",
        "fLaC" => "flac",
        ".mp3" => "mp3",
        "ulaw" => "pcm_mulaw",
        "alaw" => "pcm_alaw",
        "sowt" | "twos" | "lpcm" => "pcm",
        "ac-3" => "ac3",
        "ec-3" => "eac3",
        _ => return None,
    })
}
