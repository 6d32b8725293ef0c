//! A tiny ZIP writer for crafting hostile bundles: stored entries, any names (duplicates and
//! `../x` included), and a chosen CRC, none of which a normal ZIP library will write.

pub struct Entry {
    pub name: String,
    pub data: Vec<u8>,
    /// `None`: the correct CRC-32. `Some(c)`: write `c` instead.
    pub crc: Option<u32>,
    /// Unix mode bits for the external attributes (0o100644 for a file, 0o120777 for a link).
    pub mode: u32,
    /// Set the "encrypted" flag.
    pub encrypted: bool,
}

impl Entry {
    pub fn file(name: &str, data: &[u8]) -> Self {
        Entry {
            name: name.to_string(),
            data: data.to_vec(),
            crc: None,
            mode: 0o100644,
            encrypted: false,
        }
    }
}

pub fn write(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for e in entries {
        let crc = e.crc.unwrap_or_else(|| crc32fast::hash(&e.data));
        let offset = out.len() as u32;
        let flags: u16 = if e.encrypted { 1 } else { 0 } | 0x0800;
        let size = e.data.len() as u32;
        // Local file header.
        out.extend(0x0403_4b50u32.to_le_bytes());
        out.extend(20u16.to_le_bytes());
        out.extend(flags.to_le_bytes());
        out.extend(0u16.to_le_bytes()); // stored
        out.extend(0u16.to_le_bytes()); // time
        out.extend(0x21u16.to_le_bytes()); // date 1980-01-01
        out.extend(crc.to_le_bytes());
        out.extend(size.to_le_bytes());
        out.extend(size.to_le_bytes());
        out.extend((e.name.len() as u16).to_le_bytes());
        out.extend(0u16.to_le_bytes());
        out.extend(e.name.as_bytes());
        out.extend(&e.data);
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
        central.extend(0u16.to_le_bytes()); // extra
        central.extend(0u16.to_le_bytes()); // comment
        central.extend(0u16.to_le_bytes()); // disk
        central.extend(0u16.to_le_bytes()); // internal attrs
        central.extend((e.mode << 16).to_le_bytes());
        central.extend(offset.to_le_bytes());
        central.extend(e.name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    let cd_size = central.len() as u32;
    out.extend(&central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend(cd_size.to_le_bytes());
    out.extend(cd_offset.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

/// The entries of an existing ZIP, ready to modify and write back.
pub fn entries_of(path: &std::path::Path) -> Vec<Entry> {
    super::read_zip(path)
        .into_iter()
        .map(|(name, data)| Entry::file(&name, &data))
        .collect()
}
