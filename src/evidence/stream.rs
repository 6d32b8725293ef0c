//! Reading `evidence.json` as a stream: one item at a time, however many the file lists.
//!
//! A bundle of a million recordings has an `evidence.json` of about a gigabyte. Verify reads it
//! once, in order, handing each item to a callback as soon as it is parsed, so memory holds one
//! item (at most `item_cap` bytes of JSON) and what the callback keeps. The rules are those of
//! [`Evidence::parse`]: unknown fields, duplicate keys and trailing bytes are refused, and
//! `format` must be [`FORMAT`].

use std::cell::Cell;
use std::fmt;
use std::io::{self, Read};
use std::rc::Rc;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{Evidence, EvidenceError, FORMAT, Item, Tool};

/// Counts the bytes read since the last reset and refuses to go past a limit.
struct Budget<R> {
    inner: R,
    used: Rc<Cell<u64>>,
    limit: u64,
}

impl<R: Read> Read for Budget<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.limit.saturating_sub(self.used.get());
        if left == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "one item of evidence.json is longer than {} bytes",
                    self.limit
                ),
            ));
        }
        let n = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
        let n = self.inner.read(&mut buf[..n])?;
        self.used.set(self.used.get() + n as u64);
        Ok(n)
    }
}

/// Parses `evidence.json` from `reader`, calling `on_item` with each item and the number of bytes
/// of JSON it took, in file order. Returns the manifest with an empty `items`.
///
/// # Errors
/// When the bytes are not a valid evidence manifest, when any one item (or the fields around the
/// items) takes more than `item_cap` bytes, or when `reader` fails.
pub fn parse_stream<R: Read>(
    reader: R,
    item_cap: u64,
    on_item: &mut dyn FnMut(Item, u64),
) -> Result<Evidence, EvidenceError> {
    let used = Rc::new(Cell::new(0));
    let budget = Budget {
        inner: reader,
        used: Rc::clone(&used),
        limit: item_cap,
    };
    let mut de =
        serde_json::Deserializer::from_reader(io::BufReader::with_capacity(1 << 16, budget));
    let ev = de::Deserializer::deserialize_map(
        &mut de,
        Top {
            used: &used,
            on_item,
        },
    )?;
    de.end()?;
    if ev.format != FORMAT {
        return Err(EvidenceError::Format(ev.format));
    }
    Ok(ev)
}

const FIELDS: &[&str] = &[
    "format",
    "case",
    "actor",
    "organization",
    "note",
    "sealed_at",
    "tool",
    "items",
];

struct Top<'a> {
    used: &'a Cell<u64>,
    on_item: &'a mut dyn FnMut(Item, u64),
}

/// Sets `slot` once; a second value for the same key is an error, as with derived types.
fn once<'de, A: MapAccess<'de>, T: de::Deserialize<'de>>(
    map: &mut A,
    slot: &mut Option<T>,
    key: &'static str,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(de::Error::duplicate_field(key));
    }
    *slot = Some(map.next_value()?);
    Ok(())
}

impl<'de> Visitor<'de> for Top<'_> {
    type Value = Evidence;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an evidence manifest (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Evidence, A::Error> {
        let mut format: Option<String> = None;
        let mut case: Option<Option<String>> = None;
        let mut actor: Option<Option<String>> = None;
        let mut organization: Option<Option<String>> = None;
        let mut note: Option<Option<String>> = None;
        let mut sealed_at: Option<String> = None;
        let mut tool: Option<Tool> = None;
        let mut items_seen = false;
        let on_item = self.on_item;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "format" => once(&mut map, &mut format, "format")?,
                "case" => once(&mut map, &mut case, "case")?,
                "actor" => once(&mut map, &mut actor, "actor")?,
                "organization" => once(&mut map, &mut organization, "organization")?,
                "note" => once(&mut map, &mut note, "note")?,
                "sealed_at" => once(&mut map, &mut sealed_at, "sealed_at")?,
                "tool" => once(&mut map, &mut tool, "tool")?,
                "items" => {
                    if items_seen {
                        return Err(de::Error::duplicate_field("items"));
                    }
                    items_seen = true;
                    map.next_value_seed(Items {
                        used: self.used,
                        on_item: &mut *on_item,
                    })?;
                }
                other => {
                    let _: IgnoredAny = map.next_value()?;
                    return Err(de::Error::unknown_field(other, FIELDS));
                }
            }
            // The fields after the items share one budget, apart from the last item's.
            if key == "items" {
                self.used.set(0);
            }
        }
        if !items_seen {
            return Err(de::Error::missing_field("items"));
        }
        Ok(Evidence {
            format: format.ok_or_else(|| de::Error::missing_field("format"))?,
            case: case.flatten(),
            actor: actor.flatten(),
            organization: organization.flatten(),
            note: note.flatten(),
            sealed_at: sealed_at.ok_or_else(|| de::Error::missing_field("sealed_at"))?,
            tool: tool.ok_or_else(|| de::Error::missing_field("tool"))?,
            items: Vec::new(),
        })
    }
}

struct Items<'a> {
    used: &'a Cell<u64>,
    on_item: &'a mut dyn FnMut(Item, u64),
}

impl<'de> DeserializeSeed<'de> for Items<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Items<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of items")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        loop {
            self.used.set(0);
            let Some(item) = seq.next_element::<Item>()? else {
                return Ok(());
            };
            (self.on_item)(item, self.used.get());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(bytes: &[u8], cap: u64) -> Result<(Evidence, Vec<Item>), EvidenceError> {
        let mut items = Vec::new();
        let ev = parse_stream(bytes, cap, &mut |item, _| items.push(item))?;
        Ok((ev, items))
    }

    fn sample() -> Evidence {
        let item = |n: u32| Item {
            path: format!("data/{n}.wav"),
            size: u64::from(n),
            sha256: crate::digest::Sha256::of(&n.to_le_bytes()),
            original: super::super::Original {
                name: format!("{n}.wav"),
                path: format!("/in/{n}.wav"),
                modified: None,
            },
            media: None,
            findings: Vec::new(),
        };
        Evidence {
            format: FORMAT.to_string(),
            case: Some("C-1".into()),
            actor: None,
            organization: None,
            note: Some("n".into()),
            sealed_at: "2026-01-01T00:00:00Z".into(),
            tool: Tool {
                name: "earwitness".into(),
                version: "0".into(),
                symphonia: "0".into(),
            },
            items: (0..5).map(item).collect(),
        }
    }

    #[test]
    fn streaming_agrees_with_parsing_whole() {
        let ev = sample();
        let bytes = ev.to_bytes();
        let (head, items) = stream(&bytes, 1 << 20).expect("parses");
        assert_eq!(items, ev.items);
        assert_eq!(
            Evidence { items, ..head },
            Evidence::parse(&bytes).expect("parses")
        );
    }

    #[test]
    fn streaming_refuses_what_parse_refuses() {
        let good = String::from_utf8(sample().to_bytes()).expect("utf-8");
        let bad = [
            good.replacen("\"case\"", "\"case\": null, \"case\"", 1),
            good.replacen("\"case\"", "\"extra\": 1, \"case\"", 1),
            good.replacen("\"items\"", "\"items\": [], \"items\"", 1),
            good.replacen("\"path\"", "\"path\": \"x\", \"path\"", 1),
            good.replacen(FORMAT, "earwitness-evidence/2", 1),
            good.replacen("\"sealed_at\": \"2026-01-01T00:00:00Z\",", "", 1),
            format!("{good} {{}}"),
            good[..good.len() - 3].to_string(),
        ];
        for b in &bad {
            assert!(Evidence::parse(b.as_bytes()).is_err(), "parse took {b}");
            assert!(stream(b.as_bytes(), 1 << 20).is_err(), "stream took {b}");
        }
    }

    #[test]
    fn one_long_item_is_refused_but_many_short_ones_are_not() {
        let mut ev = sample();
        let bytes = ev.to_bytes();
        // Every item is a few hundred bytes: a cap of 1 KiB takes them all, though the file is
        // longer than that.
        assert!(bytes.len() > 1024);
        assert_eq!(stream(&bytes, 1024).expect("parses").1.len(), 5);
        ev.items[2].original.name = "x".repeat(4096);
        let err = stream(&ev.to_bytes(), 1024).expect_err("too long");
        assert!(err.to_string().contains("longer than 1024 bytes"), "{err}");
    }
}
