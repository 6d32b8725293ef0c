//! Reports a court can file: what verification found, written for people as one self-contained
//! HTML page and as a PDF, with each recording's waveform and spectrogram. The content is written
//! once ([`content`]) through a [`content::Sink`] that each format implements ([`html`], [`pdf`]);
//! the words come from a table per language ([`strings`]).

pub mod content;
pub mod figures;
pub mod html;
pub mod pdf;
mod sections;
pub mod strings;

pub use strings::{Lang, LangError};

use crate::time::Shown;

/// How a report is written.
#[derive(Clone, Debug)]
pub struct Options {
    /// The language.
    pub lang: Lang,
    /// How times are shown (UTC, and the reader's zone).
    pub times: Shown,
    /// The bundle's file name, as the reader knows it.
    pub bundle_name: String,
    /// The SHA-256 of the bundle file itself, in hex.
    pub bundle_sha256: String,
    /// When the report counts as made, for the PDF's metadata (`SOURCE_DATE_EPOCH`); without
    /// it, the seal time. Never the clock, so the same bundle gives the same PDF.
    pub created: Option<jiff::Timestamp>,
}

/// The case, as each page's header shows it (`-` when the bundle names none).
pub(crate) fn case_label(report: &crate::verify::Report) -> String {
    report
        .claims
        .as_ref()
        .and_then(|c| c.case.as_deref())
        .map(clean)
        .unwrap_or_else(|| "-".into())
}

/// Text from a bundle, safe to show: control and invisible formatting characters escaped.
pub(crate) fn clean(text: &str) -> String {
    crate::text::safe(text).into_owned()
}
