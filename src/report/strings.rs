//! The report's words, in one place per language: `src/report/lang/<code>.json`, a flat map from
//! key to text with `{name}` placeholders, plus `_name` and `_direction` (`ltr` or `rtl`). Every
//! file there is built in (see build.rs); keys a translation lacks fall back to English.

use std::collections::HashMap;

include!(concat!(env!("OUT_DIR"), "/langs.rs"));

/// A language for the report.
#[derive(Clone, Debug)]
pub struct Lang {
    code: String,
    words: HashMap<String, String>,
    english: HashMap<String, String>,
}

/// Why a language cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LangError {
    /// No translation with this code is built in.
    #[error("no report translation {0:?}; available: {1}")]
    Unknown(String, String),
    /// A translation file is not a flat JSON object of strings.
    #[error("the {0} translation is malformed: {1}")]
    Malformed(String, String),
}

fn parse(code: &str, text: &str) -> Result<HashMap<String, String>, LangError> {
    serde_json::from_str(text).map_err(|e| LangError::Malformed(code.to_string(), e.to_string()))
}

impl Lang {
    /// The codes of every built-in translation.
    pub fn available() -> Vec<&'static str> {
        LANGS.iter().map(|(c, _)| *c).collect()
    }

    /// The translation `code` (`en`, `fr`, ...).
    pub fn get(code: &str) -> Result<Lang, LangError> {
        let find = |c: &str| LANGS.iter().find(|(k, _)| *k == c).map(|(_, t)| *t);
        let english = parse("en", find("en").unwrap_or("{}"))?;
        let text = find(code)
            .ok_or_else(|| LangError::Unknown(code.to_string(), Lang::available().join(", ")))?;
        Ok(Lang {
            code: code.to_string(),
            words: parse(code, text)?,
            english,
        })
    }

    /// The language code.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// Whether the language is written right to left.
    pub fn rtl(&self) -> bool {
        self.words.get("_direction").map(String::as_str) == Some("rtl")
    }

    /// The text for `key` (English if this translation lacks it; the key itself if English does).
    pub fn t<'a>(&'a self, key: &'a str) -> &'a str {
        self.words
            .get(key)
            .or_else(|| self.english.get(key))
            .map(String::as_str)
            .unwrap_or(key)
    }

    /// The text for `key` with each `{name}` replaced by its value.
    pub fn f(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut text = self.t(key).to_string();
        for (name, value) in args {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    /// Whether this translation has its own text for `key`.
    pub fn has(&self, key: &str) -> bool {
        self.words.contains_key(key) || self.english.contains_key(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_translation_has_every_english_key() {
        let en = Lang::get("en").unwrap();
        assert!(Lang::available().len() >= 2, "{:?}", Lang::available());
        for code in Lang::available() {
            let lang = Lang::get(code).unwrap();
            let mut missing: Vec<&String> = en
                .words
                .keys()
                .filter(|k| !lang.words.contains_key(*k))
                .collect();
            missing.sort();
            assert!(missing.is_empty(), "{code} lacks {missing:?}");
            let mut extra: Vec<&String> = lang
                .words
                .keys()
                .filter(|k| !en.words.contains_key(*k))
                .collect();
            extra.sort();
            assert!(extra.is_empty(), "{code} has keys English lacks: {extra:?}");
        }
        assert_eq!(en.f("bytes", &[("n", "12")]), "12 bytes");
        assert!(Lang::get("xx").is_err());
    }
}
