//! A tiny ZIP writer for crafting hostile bundles, byte by byte: stored entries, any names
//! (duplicates and `../x` included), a chosen CRC, and local headers, directory records and end
//! records that disagree, none of which a normal ZIP library will write.

pub struct Entry {
    pub name: String,
    pub data: Vec<u8>,
    /// `None`: the correct CRC-32. `Some(c)`: write `c` instead (in both headers).
    pub crc: Option<u32>,
    /// Unix mode bits for the external attributes (0o100644 for a file, 0o120777 for a link).
    pub mode: u32,
    /// Set the "encrypted" flag.
    pub encrypted: bool,
    /// Write these bytes as the entry's data, and describe them (size, CRC) in the local header
    /// only; the central directory still describes `data`.
    pub local_data: Option<Vec<u8>>,
    /// Another name in the local header than in the central directory.
    pub local_name: Option<String>,
    /// General-purpose flags in both headers; `None`: UTF-8 (bit 11) only.
    pub flags: Option<u16>,
    /// Other flags in the local header only.
    pub local_flags: Option<u16>,
    /// The extra field, in both headers.
    pub extra: Vec<u8>,
    /// The entry's comment (central directory only).
    pub comment: Vec<u8>,
    /// Bytes written before the entry's local header, belonging to no entry.
    pub gap_before: Vec<u8>,
}

impl Entry {
    pub fn file(name: &str, data: &[u8]) -> Self {
        Entry {
            name: name.to_string(),
            data: data.to_vec(),
            crc: None,
            mode: 0o100644,
            encrypted: false,
            local_data: None,
            local_name: None,
            flags: None,
            local_flags: None,
            extra: Vec::new(),
            comment: Vec::new(),
            gap_before: Vec::new(),
        }
    }

    /// A folder entry (`name` ends with `/`), with `data` (a real folder entry has none).
    pub fn folder(name: &str, data: &[u8]) -> Self {
        Entry {
            mode: 0o040755,
            ..Entry::file(name, data)
        }
    }
}

/// How the end of the archive is written.
#[derive(Default)]
pub struct End {
    /// Added to the entry counts of the end record (negative: hide entries).
    pub count_delta: i32,
    /// Added to the central directory's offset in the end record.
    pub offset_delta: i64,
    /// The archive comment.
    pub comment: Vec<u8>,
    /// Bytes after the end record.
    pub trailing: Vec<u8>,
}

pub fn write(entries: &[Entry]) -> Vec<u8> {
    write_with(entries, &End::default())
}

pub fn write_with(entries: &[Entry], end: &End) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for e in entries {
        out.extend(&e.gap_before);
        let crc = e.crc.unwrap_or_else(|| crc32fast::hash(&e.data));
        let offset = out.len() as u32;
        let flags: u16 = e.flags.unwrap_or(0x0800) | u16::from(e.encrypted);
        let size = e.data.len() as u32;
        let local_data = e.local_data.as_deref().unwrap_or(&e.data);
        let (local_crc, local_size) = match &e.local_data {
            Some(d) => (crc32fast::hash(d), d.len() as u32),
            None => (crc, size),
        };
        let local_name = e.local_name.as_deref().unwrap_or(&e.name);
        // Local file header.
        out.extend(0x0403_4b50u32.to_le_bytes());
        out.extend(20u16.to_le_bytes());
        out.extend(e.local_flags.unwrap_or(flags).to_le_bytes());
        out.extend(0u16.to_le_bytes()); // stored
        out.extend(0u16.to_le_bytes()); // time
        out.extend(0x21u16.to_le_bytes()); // date 1980-01-01
        out.extend(local_crc.to_le_bytes());
        out.extend(local_size.to_le_bytes());
        out.extend(local_size.to_le_bytes());
        out.extend((local_name.len() as u16).to_le_bytes());
        out.extend((e.extra.len() as u16).to_le_bytes());
        out.extend(local_name.as_bytes());
        out.extend(&e.extra);
        out.extend(local_data);
        // Central directory header.
        central.extend(0x0201_4b50u32.to_le_bytes());
        central.extend((0x0300u16 | 20).to_le_bytes()); // made by Unix
        central.extend(20u16.to_le_bytes());
        central.extend(flags.to_le_bytes());
        central.extend(0u16.to_le_bytes());
        central.extend(0u16.to_le_bytes());
        central.extend(0x21u16.to_le_bytes());
        central.extend(crc.to_le_bytes());
        central.extend(size.to_le_bytes());
        central.extend(size.to_le_bytes());
        central.extend((e.name.len() as u16).to_le_bytes());
        central.extend((e.extra.len() as u16).to_le_bytes());
        central.extend((e.comment.len() as u16).to_le_bytes());
        central.extend(0u16.to_le_bytes()); // disk
        central.extend(0u16.to_le_bytes()); // internal attrs
        central.extend((e.mode << 16).to_le_bytes());
        central.extend(offset.to_le_bytes());
        central.extend(e.name.as_bytes());
        central.extend(&e.extra);
        central.extend(&e.comment);
    }
    let cd_offset = (out.len() as i64 + end.offset_delta) as u32;
    let cd_size = central.len() as u32;
    let count = (entries.len() as i32 + end.count_delta) as u16;
    out.extend(&central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out.extend(count.to_le_bytes());
    out.extend(count.to_le_bytes());
    out.extend(cd_size.to_le_bytes());
    out.extend(cd_offset.to_le_bytes());
    out.extend((end.comment.len() as u16).to_le_bytes());
    out.extend(&end.comment);
    out.extend(&end.trailing);
    out
}

/// The entries of an existing ZIP, ready to modify and write back.
pub fn entries_of(path: &std::path::Path) -> Vec<Entry> {
    super::read_zip(path)
        .into_iter()
        .map(|(name, data)| Entry::file(&name, &data))
        .collect()
}
