//! The running header and footer of every page, and the file: PDF/A-2b through krilla. The same
//! document gives the same bytes: krilla derives the file identifiers from the content, and the
//! only date is the one given.

use krilla::configure::{Archival, ConfigurationBuilder};
use krilla::metadata::{DateTime, Metadata, TextDirection};
use krilla::page::PageSettings;
use krilla::{Document as KrillaDocument, SerializeSettings};

use super::PdfError;
use super::draw::{Op, PT_PER_MM, Rgb, draw, line_ops};
use super::page::{
    CONTENT_WIDTH, Document, HEADER_TOP, MARGIN_X, PAGE_HEIGHT, PAGE_WIDTH, cut, rule,
};
use super::text::{FontKind, Line};

const FURNITURE_SIZE: f32 = 7.5;

/// The report's creation date (UTC) for the PDF's metadata.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct PdfDate {
    pub year: u16,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
}

/// What the PDF says about itself.
pub(super) struct Info {
    pub title: String,
    pub language: String,
    pub rtl: bool,
    pub date: PdfDate,
}

/// The running header and footer.
pub(super) struct Furniture {
    /// At the top of every page (the case and the bundle's SHA-256).
    pub header: String,
    /// At the bottom left of every page.
    pub footer: String,
    /// At the bottom right: a template with `{page}` and `{pages}`.
    pub page_label: String,
}

impl Document {
    /// The running header's lines (at most two).
    pub(super) fn header_lines(&self) -> Vec<Line> {
        let mut lines = self.fonts.layout(
            &cut(&self.furniture.header),
            FontKind::Sans,
            FURNITURE_SIZE,
            CONTENT_WIDTH,
        );
        lines.truncate(2);
        lines
    }

    /// The running header (text and rule) and footer (rule, text, "page N of M") of page `n`.
    fn furniture(&self, n: usize, total: usize) -> Vec<Op> {
        let mut ops = Vec::new();
        let mut y = if n == 1 {
            self.first_header_top
        } else {
            HEADER_TOP
        };
        for line in self.header_lines() {
            ops.extend(line_ops(&line, MARGIN_X, y + line.baseline(), Rgb::GREY));
            y += line.height();
        }
        ops.push(rule(y + 1.5 * PT_PER_MM, Rgb::GREY, 0.4));
        ops.push(rule(PAGE_HEIGHT - 15.0 * PT_PER_MM, Rgb::GREY, 0.4));
        let base = PAGE_HEIGHT - 11.0 * PT_PER_MM;
        let label_text = self
            .furniture
            .page_label
            .replace("{pages}", &total.to_string())
            .replace("{page}", &n.to_string());
        let label = self
            .fonts
            .layout(&label_text, FontKind::Sans, FURNITURE_SIZE, CONTENT_WIDTH);
        let label_w = label.first().map_or(0.0, |l| l.width);
        let footer = self.fonts.layout(
            &cut(&self.furniture.footer),
            FontKind::Sans,
            FURNITURE_SIZE,
            CONTENT_WIDTH - label_w - 10.0,
        );
        if let Some(first) = footer.first() {
            ops.extend(line_ops(first, MARGIN_X, base, Rgb::GREY));
        }
        if let Some(l) = label.first() {
            ops.extend(line_ops(
                l,
                MARGIN_X + CONTENT_WIDTH - label_w,
                base,
                Rgb::GREY,
            ));
        }
        ops
    }

    /// Draws the header and footer on every page and writes the PDF/A-2b file. The same
    /// document gives the same bytes: krilla derives the file identifiers from the content, and
    /// the only date is `info.date`.
    pub(super) fn finish(mut self, info: Info) -> Result<Vec<u8>, PdfError> {
        if self.pages.len() > 1 && self.pages.last().is_some_and(Vec::is_empty) {
            self.pages.pop();
        }
        let total = self.pages.len();
        let configuration = ConfigurationBuilder::new()
            .with_archival_validator(Archival::A2_B)
            .finish()
            .map_err(|e| PdfError::Write(format!("{e:?}")))?;
        let settings = SerializeSettings {
            configuration,
            ..SerializeSettings::default()
        };
        let mut doc = KrillaDocument::new_with(settings);
        let d = info.date;
        let metadata = Metadata::new()
            .title(info.title)
            .language(info.language)
            .creator(format!("earwitness {}", env!("CARGO_PKG_VERSION")))
            .producer("earwitness (krilla)".to_string())
            .text_direction(if info.rtl {
                TextDirection::RightToLeft
            } else {
                TextDirection::LeftToRight
            })
            .creation_date(
                DateTime::new(d.year)
                    .month(d.month)
                    .day(d.day)
                    .hour(d.hour)
                    .minute(d.minute)
                    .second(d.second)
                    .utc_offset_hour(0)
                    .utc_offset_minute(0),
            );
        doc.set_metadata(metadata);
        let page_settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT)
            .ok_or_else(|| PdfError::Geometry("the A4 page size".into()))?;
        let pages = std::mem::take(&mut self.pages);
        for (i, ops) in pages.iter().enumerate() {
            let furniture = self.furniture(i + 1, total);
            let mut page = doc.start_page_with(page_settings.clone());
            let mut surface = page.surface();
            // The body first: text extraction in stream order starts with the verdict too.
            for op in ops.iter().chain(&furniture) {
                draw(&mut surface, &self.fonts, op);
            }
            surface.finish();
            page.finish();
        }
        doc.finish().map_err(|e| PdfError::Write(format!("{e:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::super::page::tests::furniture;
    use super::*;

    #[test]
    fn the_same_document_gives_the_same_bytes() {
        let make = || {
            let mut doc = Document::new(furniture()).unwrap();
            doc.verdict("VERIFIED: all is well.", Rgb(0, 128, 0), Rgb(230, 250, 230));
            doc.heading(1, "Title");
            doc.paragraph(&format!("hash {}", "cd".repeat(32)));
            doc.finish(Info {
                title: "t".into(),
                language: "en".into(),
                rtl: false,
                date: PdfDate {
                    year: 2026,
                    month: 1,
                    day: 2,
                    hour: 3,
                    minute: 4,
                    second: 5,
                },
            })
            .unwrap()
        };
        let a = make();
        assert!(a.starts_with(b"%PDF-"));
        assert_eq!(a, make());
    }
}
