//! What a file's first bytes say about its container, to check symphonia's probe (which scans for
//! markers anywhere in the first megabyte) and to name containers whose codec it cannot read.

/// Whether a file starting with `head` really starts as `container` (after an ID3v2 tag, for the
/// containers that allow one).
pub fn starts_as(container: &str, head: &[u8]) -> bool {
    match container {
        "wav" => [&b"RIFF"[..], b"RIFX", b"RF64", b"BW64"]
            .iter()
            .any(|m| head.starts_with(m)),
        "aiff" => head.starts_with(b"FORM"),
        "caf" => head.starts_with(b"caff"),
        _ => true,
    }
}

/// The container (and the codec, where the header names it) of a file that symphonia does not
/// read.
pub fn known_container(head: &[u8]) -> Option<(&'static str, Option<&'static str>)> {
    if head.len() >= 12 && &head[0..4] == b"RIFF" && &head[8..12] == b"WAVE" {
        return Some(("wav", wav_codec(head)));
    }
    if head.len() >= 12 && &head[0..4] == b"FORM" && matches!(&head[8..12], b"AIFF" | b"AIFC") {
        let codec = head
            .windows(4)
            .position(|w| w == b"COMM")
            .and_then(|at| head.get(at + 8 + 18..at + 8 + 22))
            .map(|c| match c {
                b"ima4" => "adpcm_ima_qt",
                b"MAC3" => "mace3",
                b"MAC6" => "mace6",
                b"GSM " => "gsm",
                b"ulaw" | b"ULAW" => "pcm_mulaw",
                b"alaw" | b"ALAW" => "pcm_alaw",
                b"sdx2" | b"SDX2" => "sdx2",
                b"qdm2" | b"QDM2" => "qdm2",
                _ => "",
            })
            .filter(|c| !c.is_empty());
        return Some(("aiff", codec));
    }
    if head.starts_with(b"fLaC") {
        return Some(("flac", Some("flac")));
    }
    if head.get(4..8) == Some(b"ftyp") {
        return Some(("isomp4", None));
    }
    None
}

/// The `numSampleFrames` of an AIFF or AIFF-C file's `COMM` chunk: the length it declares
/// (symphonia counts the `SSND` chunk's bytes instead).
pub fn aiff_frames(f: &mut (impl std::io::Read + std::io::Seek), file_len: u64) -> Option<u64> {
    use std::io::SeekFrom;
    let mut hdr = [0u8; 12];
    f.seek(SeekFrom::Start(0)).ok()?;
    f.read_exact(&mut hdr).ok()?;
    if &hdr[0..4] != b"FORM" || !matches!(&hdr[8..12], b"AIFF" | b"AIFC") {
        return None;
    }
    let mut pos = 12u64;
    for _ in 0..1024 {
        if pos + 8 > file_len {
            return None;
        }
        let mut ch = [0u8; 14];
        f.seek(SeekFrom::Start(pos)).ok()?;
        f.read_exact(&mut ch[..8]).ok()?;
        let size = u64::from(u32::from_be_bytes([ch[4], ch[5], ch[6], ch[7]]));
        if &ch[0..4] == b"COMM" {
            f.read_exact(&mut ch[8..14]).ok()?;
            return Some(u64::from(u32::from_be_bytes([
                ch[10], ch[11], ch[12], ch[13],
            ])));
        }
        pos += 8 + size + (size & 1);
    }
    None
}

/// The codec of a WAV file's `fmt ` chunk, when it is the first chunk.
fn wav_codec(head: &[u8]) -> Option<&'static str> {
    if head.get(12..16) != Some(b"fmt ") {
        return None;
    }
    let tag = u16::from_le_bytes([*head.get(20)?, *head.get(21)?]);
    Some(match tag {
        0x0001 => "pcm",
        0x0002 => "adpcm_ms",
        0x0003 => "pcm_float",
        0x0006 => "pcm_alaw",
        0x0007 => "pcm_mulaw",
        0x0011 => "adpcm_ima_wav",
        0x0031 => "gsm_ms",
        0x0040 => "g721",
        0x0050 => "mp2",
        0x0055 => "mp3",
        0x0064 | 0x0045 => "g726",
        0x0161 => "wmav2",
        0x0162 => "wmapro",
        0x2000 => "ac3",
        0xFFFE => "extensible",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_headers_are_not_containers() {
        assert!(starts_as("wav", b"RIFF...."));
        assert!(!starts_as("wav", b"wvpk...."));
        assert!(starts_as("mp3", b"anything"));
        let mut wav = b"RIFF\0\0\0\0WAVEfmt \x10\0\0\0".to_vec();
        wav.extend_from_slice(&[0x55, 0]);
        assert_eq!(known_container(&wav), Some(("wav", Some("mp3"))));
        assert_eq!(known_container(b"xxxxftypM4A "), Some(("isomp4", None)));
        assert_eq!(known_container(b"OggS"), None);
    }
}
