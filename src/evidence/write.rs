//! Writing `evidence.json` one item at a time: the same bytes as [`Evidence::to_bytes`], without
//! holding the items. Each item is formatted as it comes and spilled to a temporary file; the
//! header and the closing lines are added around them when the file goes into the bundle.

use std::io::{self, Read};
use std::path::Path;

use super::{Evidence, Item};
use crate::spill::Spill;

/// `evidence.json` being written, item by item.
pub struct ItemsWriter {
    spill: Spill,
    count: u64,
    buf: Vec<u8>,
}

impl ItemsWriter {
    /// A writer spilling to a temporary file in `dir`.
    pub fn new_in(dir: &Path) -> io::Result<Self> {
        Ok(ItemsWriter {
            spill: Spill::new_in(dir)?,
            count: 0,
            buf: Vec::new(),
        })
    }

    /// Adds the next item.
    pub fn push(&mut self, item: &Item) -> io::Result<()> {
        self.buf.clear();
        if self.count > 0 {
            self.buf.extend_from_slice(b",\n");
        }
        let pretty = serde_json::to_vec_pretty(item).map_err(io::Error::other)?;
        // An item sits two levels deep (the top object, then `items`). JSON text has no raw line
        // breaks inside strings (they are escaped), so indenting every line is exact.
        for line in pretty.split(|&b| b == b'\n') {
            self.buf.extend_from_slice(b"    ");
            self.buf.extend_from_slice(line);
            self.buf.push(b'\n');
        }
        self.buf.pop();
        self.spill.write(&self.buf)?;
        self.count += 1;
        Ok(())
    }

    /// Items added so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The whole file, given its other fields in `head` (whose `items` must be empty): its length
    /// in bytes and a reader over them.
    pub fn finish(self, head: &Evidence) -> io::Result<(u64, impl Read + use<>)> {
        debug_assert!(head.items.is_empty());
        let empty = serde_json::to_vec_pretty(head).map_err(io::Error::other)?;
        // `..."items": []\n}` without its last three bytes ends with `"items": [`.
        let open = empty
            .strip_suffix(b"]\n}")
            .ok_or_else(|| io::Error::other("evidence.json: `items` is not the last field"))?
            .to_vec();
        let close: &'static [u8] = if self.count == 0 {
            b"]\n}\n"
        } else {
            b"\n  ]\n}\n"
        };
        let open: Vec<u8> = if self.count == 0 {
            open
        } else {
            [open.as_slice(), b"\n"].concat()
        };
        let (items_len, items) = self.spill.into_reader()?;
        let len = open.len() as u64 + items_len + close.len() as u64;
        Ok((len, io::Cursor::new(open).chain(items).chain(close)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{Media, Original, Tool};
    use crate::finding::{Finding, Severity};

    fn head() -> Evidence {
        Evidence {
            format: crate::evidence::FORMAT.into(),
            case: Some("CASE \"1\"\nline two".into()),
            actor: None,
            organization: Some("Org".into()),
            note: Some("a note\twith a tab".into()),
            sealed_at: "2025-10-23T00:00:00Z".into(),
            tool: Tool {
                name: "earwitness".into(),
                version: "0.1.0".into(),
                symphonia: "0.6".into(),
            },
            items: Vec::new(),
        }
    }

    fn item(n: u32) -> Item {
        let mut media = Media::new("wav", "symphonia 0.6".into());
        media.sample_rate = Some(8000 + n);
        media.duration_seconds = Some(f64::from(n) / 3.0);
        media.tags.push(crate::evidence::Tag {
            key: Some("title".into()),
            raw_key: "INAM".into(),
            value: "a\nb \u{202e}".into(),
        });
        Item {
            path: format!("data/originals/f{n}.wav"),
            size: u64::from(n) * 1000,
            sha256: crate::digest::Sha256::of(&n.to_le_bytes()),
            original: Original {
                name: format!("f{n}.wav"),
                path: format!("in/f{n}.wav"),
                modified: None,
            },
            media: if n.is_multiple_of(2) {
                Some(media)
            } else {
                None
            },
            findings: if n.is_multiple_of(3) {
                vec![Finding::new(
                    "file.empty",
                    Severity::Warning,
                    "empty \u{1b}[31m",
                )]
            } else {
                Vec::new()
            },
        }
    }

    #[test]
    fn streams_the_same_bytes_as_the_whole_document() {
        for n in [0u32, 1, 2, 5] {
            let mut whole = head();
            let dir = tempfile::tempdir().unwrap();
            let mut w = ItemsWriter::new_in(dir.path()).unwrap();
            for i in 0..n {
                let it = item(i);
                w.push(&it).unwrap();
                whole.items.push(it);
            }
            assert_eq!(w.count(), u64::from(n));
            let (len, mut r) = w.finish(&head()).unwrap();
            let mut streamed = Vec::new();
            r.read_to_end(&mut streamed).unwrap();
            let expected = whole.to_bytes();
            assert_eq!(
                String::from_utf8_lossy(&streamed),
                String::from_utf8_lossy(&expected),
                "{n} items"
            );
            assert_eq!(len, expected.len() as u64);
        }
    }
}
