//! Entry names: which are safe, and how to show them.

/// Why an entry name is unsafe, if it is. Safe names are relative, `/`-separated, with no empty,
/// `.` or `..` component, no backslash, no drive letter, and no control or invisible formatting
/// character (see [`crate::text::is_unsafe`]).
pub fn check_entry_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("empty name");
    }
    if name.starts_with('/') {
        return Err("absolute path");
    }
    if name.contains('\\') {
        return Err("contains a backslash");
    }
    if name.chars().any(|c| c.is_control()) {
        return Err("contains a control character");
    }
    if name.chars().any(crate::text::is_unsafe) {
        return Err(
            "contains an invisible formatting character (a bidi override or zero-width character)",
        );
    }
    let bytes = name.as_bytes();
    if bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic() {
        return Err("starts with a drive letter");
    }
    let trimmed = name.strip_suffix('/').unwrap_or(name);
    for part in trimmed.split('/') {
        match part {
            "" => return Err("empty path component"),
            "." | ".." => return Err("contains a . or .. component"),
            _ => {}
        }
    }
    Ok(())
}

/// A name made safe to print: unsafe characters escaped, long names shortened.
pub fn printable(name: &str) -> String {
    crate::text::safe_short(name, 300)
}

/// [`printable`] for raw name bytes, with bytes that are not UTF-8 shown as `\xNN`.
pub fn printable_bytes(name: &[u8]) -> String {
    let mut text = String::with_capacity(name.len());
    for chunk in name.utf8_chunks() {
        text.push_str(&crate::text::safe(chunk.valid()));
        for b in chunk.invalid() {
            text.push_str(&format!("\\x{b:02x}"));
        }
    }
    crate::text::shorten(text, 300)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_names() {
        assert!(check_entry_name("bag/data/originals/a b.wav").is_ok());
        assert!(check_entry_name("bag/").is_ok());
        for bad in [
            "../x",
            "/abs",
            "C:\\x",
            "C:/x",
            "a\\b",
            "a/../b",
            "a//b",
            "./a",
            "a/\u{0}",
            "a/evil\u{202e}vaw.txt",
            "a/b\u{200b}",
        ] {
            assert!(check_entry_name(bad).is_err(), "{bad:?} should be unsafe");
        }
        assert_eq!(printable_bytes(b"a\xffb"), "a\\xffb");
    }
}
