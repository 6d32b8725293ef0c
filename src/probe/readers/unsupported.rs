//! Formats earwitness recognises but cannot decode (WavPack, Monkey's Audio, TAK, OptimFROG, TTA,
//! Musepack, Shorten, Speex in Ogg, WMA): named honestly with `audio.decode.unsupported`, never
//! read as something else. Several of them embed a copy of a WAV header that symphonia's probe,
//! which scans for any known marker, would otherwise find and read as PCM.

use crate::evidence::Media;
use crate::probe::{Depth, Input, Probed};

/// Leading magic → (container, codec).
const MAGIC: &[(&[u8], &str, &str)] = &[
    (b"wvpk", "wavpack", "wavpack"),
    (b"MAC ", "ape", "ape"),
    (b"tBaK", "tak", "tak"),
    (b"OFR ", "ofr", "optimfrog"),
    (b"TTA1", "tta", "tta"),
    (b"TTA2", "tta", "tta"),
    (b"MPCK", "mpc", "musepack"),
    (b"MP+", "mpc", "musepack"),
    (b"ajkg", "shn", "shorten"),
    (b"LA0", "la", "lossless_audio"),
    (b"DSD ", "dsf", "dsd"),
    (b"FRM8", "dff", "dsd"),
    (b".ra\xfd", "rm", "realaudio"),
    (b"#!SILK", "silk", "silk"),
    (
        b"\x30\x26\xb2\x75\x8e\x66\xcf\x11\xa6\xd9\x00\xaa\x00\x62\xce\x6c",
        "asf",
        "",
    ),
];

/// What `head` (the start of a file) is, if it is one of these formats.
fn recognise(head: &[u8]) -> Option<(&'static str, &'static str)> {
    if let Some(&(_, container, codec)) = MAGIC.iter().find(|(m, _, _)| head.starts_with(m)) {
        return Some((container, codec));
    }
    // Ogg: the first packet of the first page says which codec the stream carries.
    if head.starts_with(b"OggS") && head.len() > 27 {
        let body = 27 + usize::from(head[26]);
        if head.get(body..body + 8) == Some(b"Speex   ") {
            return Some(("ogg", "speex"));
        }
    }
    None
}

/// Recognises these formats by their leading magic.
pub struct Unsupported;

impl super::Reader for Unsupported {
    fn sniff(&self, head: &[u8]) -> bool {
        recognise(head).is_some()
    }

    fn probe(&self, input: &Input, label: &str, _len: u64, _depth: Depth) -> Probed {
        let mut head = [0u8; super::HEAD_LEN];
        let n = input
            .open()
            .map(|mut f| crate::probe::read_up_to(&mut f, &mut head))
            .unwrap_or(0);
        let (container, codec) = recognise(&head[..n]).unwrap_or(("unknown", ""));
        let mut media = Media::new(
            container,
            format!("earwitness {} magic", env!("CARGO_PKG_VERSION")),
        );
        // ASF holds WMA, MP3 and others; its codec is not read here.
        media.codec = Some(codec.to_string()).filter(|c| !c.is_empty());
        let what = media
            .codec
            .clone()
            .unwrap_or_else(|| format!("the codec of this {container} file"));
        Probed {
            media: Some(media),
            findings: vec![crate::probe::unsupported(label, &what)],
            pictures: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_magic_and_speex() {
        assert_eq!(recognise(b"wvpk\0\0\0\0"), Some(("wavpack", "wavpack")));
        assert_eq!(recognise(b"MAC \x96\x0f"), Some(("ape", "ape")));
        assert_eq!(recognise(b"RIFF\0\0\0\0WAVE"), None);
        let mut ogg = b"OggS\0\x02".to_vec();
        ogg.resize(26, 0);
        ogg.push(1); // one segment
        ogg.push(80);
        ogg.extend_from_slice(b"Speex   1.2");
        assert_eq!(recognise(&ogg), Some(("ogg", "speex")));
        ogg[28] = b'X';
        assert_eq!(recognise(&ogg), None);
    }
}
