//! Text from a bundle, made safe to show, and claims checked before they are signed.
//!
//! A bundle is hostile input: a case name or a note can carry terminal escape sequences that draw
//! a fake verdict, bidirectional overrides that reverse what a reader sees, or zero-width
//! characters that make two names look alike. Everything earwitness prints that came from a bundle
//! goes through [`safe`]; everything a signer types goes through [`check_claim`] before it is
//! signed.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Unicode general categories Cf (format: bidi controls, zero-width characters, tag characters),
/// Zl and Zp (line and paragraph separators), as ranges of code points (Unicode 15; a test checks
/// them against the Unicode database of the Python on the test machine).
const INVISIBLE: [(u32, u32); 21] = [
    (0xAD, 0xAD),
    (0x600, 0x605),
    (0x61C, 0x61C),
    (0x6DD, 0x6DD),
    (0x70F, 0x70F),
    (0x890, 0x891),
    (0x8E2, 0x8E2),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x2028, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
];

/// Whether `c` must never reach a terminal raw: a control character (C0, DEL, C1), a format
/// character (bidirectional overrides and isolates, zero-width spaces and joiners, the byte order
/// mark, tag characters), or a line or paragraph separator.
pub fn is_unsafe(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_control();
    }
    let cp = u32::from(c);
    if cp < 0xAD {
        return c.is_control();
    }
    INVISIBLE.iter().any(|&(lo, hi)| (lo..=hi).contains(&cp))
}

/// `text` with every unsafe character ([`is_unsafe`]) written as a visible escape: `\n`, `\t`,
/// `\r`, or `\u{202e}`. A backslash is doubled, so an escape in the output always means an escaped
/// character. Returns the text unchanged (borrowed) when nothing needs escaping.
pub fn safe(text: &str) -> Cow<'_, str> {
    let plain = |b: &u8| (0x20..0x7f).contains(b) && *b != b'\\';
    if text.bytes().all(|b| plain(&b)) || !text.chars().any(|c| is_unsafe(c) || c == '\\') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if is_unsafe(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// [`safe`], shortened to at most `max` characters (with `...`) for one-line displays.
pub fn safe_short(text: &str, max: usize) -> String {
    shorten(safe(text).into_owned(), max)
}

/// `text` cut to at most `max` characters, ending in `...` when cut.
pub fn shorten(text: String, max: usize) -> String {
    if text.len() <= max || text.chars().count() <= max {
        return text;
    }
    let head: String = text.chars().take(max.saturating_sub(3)).collect();
    format!("{head}...")
}

/// JSON text made safe for a terminal: every unsafe character that is not already escaped by the
/// JSON writer (C1 controls, format characters, separators) is written as a `\uXXXX` escape
/// (a surrogate pair above U+FFFF). Such characters can only occur inside JSON strings, where the
/// escape means the same character, so the JSON value is unchanged.
pub fn json_safe(json: &str) -> Cow<'_, str> {
    // ASCII controls are escaped by the JSON writer inside strings; outside them they are the
    // pretty printer's own line breaks.
    let escape = |c: char| !c.is_ascii() && is_unsafe(c);
    if !json.chars().any(escape) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if escape(c) {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A claim (case, actor, organisation, note, recipient) that cannot be signed.
#[derive(Debug, thiserror::Error)]
#[error(
    "{field} contains {what} at character {position}; earwitness refuses it, because such characters can hide or reorder text when the bundle is shown. Type the text again without it"
)]
pub struct ClaimError {
    /// The flag or field, for example `--case`.
    pub field: String,
    /// What was found, for example `the control character U+001B`.
    pub what: String,
    /// The 1-based character position.
    pub position: usize,
}

/// Checks a claim before it is signed: no control or format character (see [`is_unsafe`]), except
/// line feeds where `multiline` allows them (notes), and at most 4096 characters.
pub fn check_claim(field: &str, value: &str, multiline: bool) -> Result<(), ClaimError> {
    for (i, c) in value.chars().enumerate() {
        if multiline && c == '\n' {
            continue;
        }
        if is_unsafe(c) {
            let kind = if c.is_control() {
                "the control character"
            } else {
                "the invisible formatting character"
            };
            return Err(ClaimError {
                field: field.to_string(),
                what: format!("{kind} U+{:04X}", u32::from(c)),
                position: i + 1,
            });
        }
    }
    let count = value.chars().count();
    if count > MAX_CLAIM_CHARS {
        return Err(ClaimError {
            field: field.to_string(),
            what: format!("{count} characters (at most {MAX_CLAIM_CHARS} are allowed)"),
            position: MAX_CLAIM_CHARS + 1,
        });
    }
    Ok(())
}

/// The longest claim earwitness signs.
pub const MAX_CLAIM_CHARS: usize = 4096;

/// `n` and the noun, singular or plural: `1 file`, `2 files`.
pub fn count(n: u64, singular: &str, plural: &str) -> String {
    if n == 1 {
        format!("1 {singular}")
    } else {
        format!("{n} {plural}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_could_fool_a_reader() {
        assert_eq!(safe("CASE-17"), "CASE-17");
        assert!(matches!(safe("CASE-17"), Cow::Borrowed(_)));
        assert_eq!(safe("a\x1b[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(safe("a\u{202e}b"), "a\\u{202e}b");
        assert_eq!(safe("a\u{200b}b\u{85}"), "a\\u{200b}b\\u{85}");
        assert_eq!(safe("line\nnext\\n"), "line\\nnext\\\\n");
        assert_eq!(safe("café Привет مرحبا"), "café Привет مرحبا");
        assert_eq!(json_safe("\"a\u{202e}b\""), "\"a\\u202eb\"");
        assert_eq!(json_safe("\"\u{e0041}\""), "\"\\udb40\\udc41\"");
        let parsed: String = serde_json::from_str(&json_safe("\"x\u{2066}y\"")).unwrap();
        assert_eq!(parsed, "x\u{2066}y");
        let pretty = serde_json::to_string_pretty(&serde_json::json!({"a": "\u{202e}\n"})).unwrap();
        let back: serde_json::Value = serde_json::from_str(&json_safe(&pretty)).unwrap();
        assert_eq!(back["a"], "\u{202e}\n");
    }

    #[test]
    fn claims_refuse_controls_and_invisible_characters() {
        assert!(check_claim("--case", "CASE-2026-17", false).is_ok());
        assert!(check_claim("--note", "line one\nline two", true).is_ok());
        assert!(check_claim("--case", "a\nb", false).is_err());
        let e = check_claim("--actor", "Officer\u{202e}reciffO", false).unwrap_err();
        assert_eq!(e.position, 8);
        assert!(e.to_string().contains("U+202E"));
        assert!(check_claim("--note", "\x1b]0;x\x07", true).is_err());
        assert!(check_claim("--note", &"x".repeat(MAX_CLAIM_CHARS + 1), true).is_err());
    }
}
