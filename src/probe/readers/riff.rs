//! RIFF `LIST/INFO` tags in WAV files. symphonia 0.6.1 parses them and then drops them, so we read
//! the chunk list ourselves, bounded in size.

use std::io::{self, Read, Seek, SeekFrom};

/// The largest INFO list we read; real ones are a few hundred bytes.
const MAX_INFO: u64 = 1 << 20;
/// The most chunks we step over before giving up (a crafted file could have millions).
const MAX_CHUNKS: usize = 4096;

/// Reads the `(id, value)` pairs of every top-level `LIST/INFO` chunk of a RIFF/WAVE file.
/// Returns an empty list for anything that is not RIFF/WAVE.
pub fn read_info<R: Read + Seek>(mut f: R, file_len: u64) -> io::Result<Vec<(String, String)>> {
    let mut hdr = [0u8; 12];
    f.seek(SeekFrom::Start(0))?;
    if f.read_exact(&mut hdr).is_err() || &hdr[0..4] != b"RIFF" || &hdr[8..12] != b"WAVE" {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    let mut pos = 12u64;
    for _ in 0..MAX_CHUNKS {
        if pos + 8 > file_len {
            break;
        }
        let mut ch = [0u8; 8];
        f.seek(SeekFrom::Start(pos))?;
        f.read_exact(&mut ch)?;
        let len = u64::from(u32::from_le_bytes([ch[4], ch[5], ch[6], ch[7]]));
        let body = pos + 8;
        if &ch[0..4] == b"LIST" && (4..=MAX_INFO).contains(&len) && body + len <= file_len {
            let mut buf = vec![0u8; len as usize];
            f.read_exact(&mut buf)?;
            if &buf[0..4] == b"INFO" {
                let mut i = 4usize;
                while i + 8 <= buf.len() {
                    let id = String::from_utf8_lossy(&buf[i..i + 4]).into_owned();
                    let n = u32::from_le_bytes([buf[i + 4], buf[i + 5], buf[i + 6], buf[i + 7]])
                        as usize;
                    let Some(v) = buf.get(i + 8..i + 8 + n) else {
                        break;
                    };
                    let value = String::from_utf8_lossy(v).trim_end_matches('\0').to_owned();
                    out.push((id, value));
                    i += 8 + n + (n & 1);
                }
            }
        }
        pos = body + len + (len & 1);
    }
    Ok(out)
}

/// The standard meaning of a RIFF INFO id, where there is one.
pub fn standard_key(id: &str) -> Option<&'static str> {
    Some(match id {
        "INAM" => "title",
        "IART" => "artist",
        "ICRD" => "date",
        "ICMT" => "comment",
        "ISFT" => "encoder",
        "IPRD" => "album",
        "IGNR" => "genre",
        "ICOP" => "copyright",
        "IENG" => "engineer",
        "ISRC" => "source",
        _ => return None,
    })
}
