//! The report as a PDF written by earwitness itself: A4, PDF/A-2b, the three DejaVu faces
//! embedded and subset, the case and the bundle's SHA-256 at the top of every page and "page N of
//! M" at the bottom, tables whose groups of rows are never split across pages, digests never
//! broken, and the same pictures as the HTML report. The same report gives the same bytes: the
//! only date in the file is `SOURCE_DATE_EPOCH` or the seal time, never the clock.
//!
//! [`text`] shapes and breaks lines, [`page`] lays out pages and writes the file through krilla,
//! [`draw`] holds the drawing operations, and [`plots`] draws the pictures.

mod draw;
mod output;
mod page;
mod plots;
mod table;
mod text;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::content::{self, Cell, Figure, Sink, Table, Tone};
use super::strings::Lang;
use super::{Options, case_label, clean};
use crate::verify::Report;
use draw::Rgb;
use output::{Furniture, Info, PdfDate};
use page::Document;

/// Why the PDF could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// A built-in font cannot be read (a broken build, not bad input).
    #[error("the built-in font {0} cannot be read")]
    Font(&'static str),
    /// A picture cannot be drawn.
    #[error("a picture cannot be drawn: {0}")]
    Image(String),
    /// The layout went wrong (a size that is not positive, a table of the wrong shape).
    #[error("the layout failed: {0}")]
    Geometry(String),
    /// krilla refused to write the file (for example, it would not be valid PDF/A-2b).
    #[error("the PDF cannot be written: {0}")]
    Write(String),
}

/// The PDF's bytes.
pub fn render(report: &Report, options: &Options) -> Result<Vec<u8>, PdfError> {
    let lang = &options.lang;
    let case = case_label(report);
    // The header has room for two lines: a case name of thousands of characters is cut there
    // (the summary shows it whole).
    let short_case = match case.char_indices().nth(80) {
        Some((i, _)) => format!("{}…", &case[..i]),
        None => case.clone(),
    };
    let furniture = Furniture {
        header: lang.f(
            "header",
            &[("case", &short_case), ("sha", &options.bundle_sha256)],
        ),
        footer: format!(
            "{} · {} · earwitness {}",
            lang.t("title"),
            clean(&options.bundle_name),
            env!("CARGO_PKG_VERSION")
        ),
        page_label: lang.t("footer.page").to_string(),
    };
    let mut pdf = Pdf {
        doc: Document::new(furniture)?,
        error: None,
    };
    content::write(report, options, &mut pdf);
    if let Some(e) = pdf.error {
        return Err(e);
    }
    pdf.doc.finish(Info {
        title: format!("{} — {case}", lang.t("title")),
        language: lang.code().to_string(),
        rtl: lang.rtl(),
        date: creation_date(report, options),
    })
}

/// The PDF's creation date: `SOURCE_DATE_EPOCH` when given, else the seal time, else the first
/// event's time, else 1970-01-01 (PDF/A requires a date; the clock is never read).
fn creation_date(r: &Report, options: &Options) -> PdfDate {
    let from_bundle = || {
        r.claims
            .as_ref()
            .and_then(|c| crate::time::parse_utc(&c.sealed_at))
            .or_else(|| {
                r.events
                    .first()
                    .and_then(|e| crate::time::parse_utc(&e.time))
            })
    };
    let t = options
        .created
        .or_else(from_bundle)
        .unwrap_or(Timestamp::UNIX_EPOCH);
    let d = t.to_zoned_datetime(TimeZone::UTC);
    let in_range = |v: i8| u8::try_from(v).unwrap_or(0);
    PdfDate {
        year: u16::try_from(d.year()).unwrap_or(1970).min(9999),
        month: in_range(d.month()),
        day: in_range(d.day()),
        hour: in_range(d.hour()),
        minute: in_range(d.minute()),
        second: in_range(d.second()),
    }
}

/// The content's [`Sink`] for the PDF. The first layout error is kept and ends the rendering.
struct Pdf {
    doc: Document,
    error: Option<PdfError>,
}

impl Pdf {
    fn keep(&mut self, result: Result<(), PdfError>) {
        if let Err(e) = result {
            self.error.get_or_insert(e);
        }
    }
}

impl Sink for Pdf {
    fn verdict(&mut self, text: &str, tone: Tone) {
        let (bar, background) = match tone {
            Tone::Good => (Rgb(26, 127, 55), Rgb(233, 247, 238)),
            Tone::Caution => (Rgb(154, 103, 0), Rgb(255, 248, 225)),
            Tone::Bad => (Rgb(179, 38, 30), Rgb(253, 236, 234)),
        };
        self.doc.verdict(text, bar, background);
    }

    fn title(&mut self, title: &str, subtitle: &str) {
        self.doc.title(title, subtitle);
    }

    fn heading(&mut self, text: &str) {
        self.doc.heading(1, text);
    }

    fn subheading(&mut self, text: &str) {
        self.doc.heading(2, text);
    }

    fn paragraph(&mut self, text: &str) {
        self.doc.paragraph(text);
    }

    fn key_values(&mut self, rows: &[(String, Cell)]) {
        self.doc.key_values(rows);
    }

    fn table(&mut self, table: &Table) {
        let result = self.doc.table(table);
        self.keep(result);
    }

    fn figure(&mut self, figure: Figure<'_>, lang: &Lang) {
        let result = match figure {
            Figure::Waveform(p) => {
                self.doc
                    .figure(plots::WAVEFORM_MM, lang.t("waveform.caption"), |c| {
                        plots::waveform(c, p, lang);
                        Ok(())
                    })
            }
            Figure::Spectrogram(p) => {
                self.doc
                    .figure(plots::SPECTROGRAM_MM, lang.t("spectrogram.caption"), |c| {
                        plots::spectrogram(c, p, lang)
                    })
            }
        };
        self.keep(result);
    }

    fn commands(&mut self, lines: &[String]) {
        self.doc.commands(lines);
    }

    fn new_page(&mut self) {
        self.doc.page_break();
    }
}
