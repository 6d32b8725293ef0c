//! BagIt 1.0 (RFC 8493) tag files: the declaration, bag-info, and the SHA-256 manifests.

use std::borrow::Cow;

use crate::digest::Sha256;

/// The bag declaration earwitness writes, byte for byte (RFC 8493 §2.1.1).
pub const BAGIT_TXT: &str = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n";
/// The payload manifest's name.
pub const MANIFEST: &str = "manifest-sha256.txt";
/// The tag manifest's name.
pub const TAGMANIFEST: &str = "tagmanifest-sha256.txt";
/// The bag declaration's name.
pub const BAGIT: &str = "bagit.txt";
/// The bag metadata's name.
pub const BAG_INFO: &str = "bag-info.txt";

/// Encodes a path for a manifest line: `%` as `%25`, LF as `%0A`, CR as `%0D` (RFC 8493 §2.1.3).
pub fn encode_path(path: &str) -> String {
    path.replace('%', "%25")
        .replace('\n', "%0A")
        .replace('\r', "%0D")
}

/// Reverses [`encode_path`]. Other `%XX` sequences are left alone, as the RFC says. The path is
/// borrowed when it holds no `%` (nearly always).
pub fn decode_path(path: &str) -> Cow<'_, str> {
    if !path.contains('%') {
        return Cow::Borrowed(path);
    }
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let (text, skip) = if tail.starts_with("%25") {
            ("%", 3)
        } else if tail.starts_with("%0A") || tail.starts_with("%0a") {
            ("\n", 3)
        } else if tail.starts_with("%0D") || tail.starts_with("%0d") {
            ("\r", 3)
        } else {
            ("%", 1)
        };
        out.push_str(text);
        rest = &tail[skip..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Writes a manifest: one `<sha256>  <path>` line per file, in the order given.
pub fn write_manifest<'a>(entries: impl IntoIterator<Item = (&'a str, &'a Sha256)>) -> String {
    let mut out = String::new();
    for (path, digest) in entries {
        out.push_str(&digest.to_hex());
        out.push_str("  ");
        out.push_str(&encode_path(path));
        out.push('\n');
    }
    out
}

/// A manifest line that could not be parsed.
#[derive(Debug, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct ManifestError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub problem: String,
}

/// Parses a manifest. Accepts one or more spaces or tabs between digest and path, LF or CRLF
/// line ends, as RFC 8493 allows; rejects anything else, and a path listed twice.
pub fn parse_manifest(text: &str) -> Result<Vec<(String, Sha256)>, ManifestError> {
    let mut out: Vec<(String, Sha256)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for line in manifest_lines(text) {
        let line = line?;
        if !seen.insert(line.path.clone()) {
            return Err(line.twice());
        }
        out.push((line.path.into_owned(), line.sha256));
    }
    Ok(out)
}

/// One line of a manifest, its path decoded (borrowed from the text where it needs no decoding).
#[derive(Debug)]
pub struct ManifestLine<'t> {
    /// 1-based line number.
    pub line: usize,
    /// The path, `%`-decoded.
    pub path: Cow<'t, str>,
    /// The digest.
    pub sha256: Sha256,
}

impl ManifestLine<'_> {
    /// The error for this line's path appearing a second time.
    pub fn twice(&self) -> ManifestError {
        ManifestError {
            line: self.line,
            problem: format!("{} is listed twice", self.path),
        }
    }
}

/// The lines of a manifest, one at a time, without holding them: the syntax of
/// [`parse_manifest`], but a path listed twice is for the caller to find.
fn manifest_lines(text: &str) -> impl Iterator<Item = Result<ManifestLine<'_>, ManifestError>> {
    text.split_inclusive('\n')
        .enumerate()
        .map(|(i, raw)| parse_manifest_line(i + 1, raw))
}

/// Parses line `line_no` of a manifest (`raw` with or without its line end).
pub fn parse_manifest_line(line_no: usize, raw: &str) -> Result<ManifestLine<'_>, ManifestError> {
    let line = raw.strip_suffix('\n').unwrap_or(raw);
    let line = line.strip_suffix('\r').unwrap_or(line);
    if line.is_empty() {
        return Err(ManifestError {
            line: line_no,
            problem: "empty line".into(),
        });
    }
    let (digest, path) = line.split_once([' ', '\t']).ok_or_else(|| ManifestError {
        line: line_no,
        problem: "no separator between digest and path".into(),
    })?;
    let path = path.trim_start_matches([' ', '\t']);
    let digest: Sha256 = digest
        .parse()
        .map_err(|e: crate::digest::BadDigest| ManifestError {
            line: line_no,
            problem: e.to_string(),
        })?;
    if path.is_empty() {
        return Err(ManifestError {
            line: line_no,
            problem: "no path".into(),
        });
    }
    Ok(ManifestLine {
        line: line_no,
        path: decode_path(path),
        sha256: digest,
    })
}

/// The metadata written to `bag-info.txt`.
#[derive(Clone, Debug, Default)]
pub struct BagInfo {
    /// `Bagging-Date`, YYYY-MM-DD.
    pub bagging_date: String,
    /// Total payload bytes, for `Payload-Oxum`.
    pub payload_bytes: u64,
    /// Number of payload files, for `Payload-Oxum`.
    pub payload_files: u64,
    /// `Bag-Software-Agent`.
    pub software_agent: String,
    /// `External-Identifier`: the case.
    pub external_identifier: Option<String>,
    /// `Source-Organization`.
    pub source_organization: Option<String>,
    /// `Contact-Name`: the actor who sealed.
    pub contact_name: Option<String>,
    /// `External-Description`: the note.
    pub external_description: Option<String>,
}

impl BagInfo {
    /// The `bag-info.txt` text. Values with line breaks are folded onto indented continuation
    /// lines (RFC 8493 §2.2.2), so they never start a new label.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut put = |label: &str, value: &str| {
            out.push_str(label);
            out.push_str(": ");
            out.push_str(&fold(value));
            out.push('\n');
        };
        put("Bag-Software-Agent", &self.software_agent);
        put("Bagging-Date", &self.bagging_date);
        if let Some(v) = &self.external_identifier {
            put("External-Identifier", v);
        }
        if let Some(v) = &self.source_organization {
            put("Source-Organization", v);
        }
        if let Some(v) = &self.contact_name {
            put("Contact-Name", v);
        }
        if let Some(v) = &self.external_description {
            put("External-Description", v);
        }
        put(
            "Payload-Oxum",
            &format!("{}.{}", self.payload_bytes, self.payload_files),
        );
        out
    }
}

fn fold(value: &str) -> String {
    let lines: Vec<&str> = value
        .split(['\n', '\r'])
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .collect();
    lines.join("\n  ")
}

/// Parses `bag-info.txt` into (label, value) pairs, joining continuation lines with a space.
pub fn parse_bag_info(text: &str) -> Result<Vec<(String, String)>, ManifestError> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.starts_with([' ', '\t']) {
            match out.last_mut() {
                Some((_, v)) => {
                    v.push(' ');
                    v.push_str(line.trim());
                }
                None => {
                    return Err(ManifestError {
                        line: i + 1,
                        problem: "continuation line before any label".into(),
                    });
                }
            }
            continue;
        }
        let (label, value) = line.split_once(':').ok_or_else(|| ManifestError {
            line: i + 1,
            problem: "no ':' after the label".into(),
        })?;
        out.push((label.trim().to_string(), value.trim().to_string()));
    }
    Ok(out)
}

/// Parses a `Payload-Oxum` value, `<octets>.<files>`.
pub fn parse_oxum(value: &str) -> Option<(u64, u64)> {
    let (bytes, files) = value.split_once('.')?;
    Some((bytes.parse().ok()?, files.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_encoding_round_trips() {
        for p in ["data/a b.wav", "data/100%.wav", "data/a\nb", "data/%0A"] {
            assert_eq!(decode_path(&encode_path(p)), p);
        }
        assert_eq!(encode_path("data/100%25.wav"), "data/100%2525.wav");
    }

    #[test]
    fn manifest_round_trips_and_rejects_duplicates() {
        let d = Sha256::of(b"x");
        let text = write_manifest([("data/a", &d), ("data/b%", &d)]);
        let parsed = parse_manifest(&text).unwrap();
        assert_eq!(parsed, vec![("data/a".into(), d), ("data/b%".into(), d)]);
        let dup = format!("{text}{}", write_manifest([("data/a", &d)]));
        assert!(parse_manifest(&dup).is_err());
        assert!(parse_manifest("nothex  data/a\n").is_err());
    }

    #[test]
    fn bag_info_folds_multiline_values() {
        let info = BagInfo {
            external_description: Some("line one\nline two".into()),
            ..Default::default()
        };
        let text = info.render();
        assert!(text.contains("External-Description: line one\n  line two\n"));
        let parsed = parse_bag_info(&text).unwrap();
        assert!(parsed.contains(&("External-Description".into(), "line one line two".into())));
    }
}
