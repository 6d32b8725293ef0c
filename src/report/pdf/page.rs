//! A small page-layout engine: the verdict, headings, wrapped paragraphs, figures and commands
//! on A4 pages ([`super::table`] adds tables, [`super::output`] the running header and footer and
//! the file).
//!
//! Layout happens as content is added: each block is placed at the cursor of the current page,
//! or on a new page when it does not fit. A heading is kept with what follows it: when the next
//! block moves to a new page, the heading moves with it.

use super::PdfError;
use super::draw::{Align, Canvas, Op, PT_PER_MM, Rgb, align_offset, line_ops};
use super::output::Furniture;
use super::text::{FontKind, Fonts, Line, height};

/// A4 width in points.
pub(super) const PAGE_WIDTH: f32 = 595.28;
/// A4 height in points.
pub(super) const PAGE_HEIGHT: f32 = 841.89;

pub(super) const MARGIN_X: f32 = 18.0 * PT_PER_MM;
pub(super) const CONTENT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN_X;
/// Where the body starts on every page but the first.
pub(super) const MARGIN_TOP: f32 = 22.0 * PT_PER_MM;
pub(super) const CONTENT_BOTTOM: f32 = PAGE_HEIGHT - 20.0 * PT_PER_MM;
/// The top of the running header (and of the verdict, on the first page).
pub(super) const HEADER_TOP: f32 = 9.0 * PT_PER_MM;

pub(super) const BODY_SIZE: f32 = 9.5;
const COMMAND_SIZE: f32 = 7.5;
/// Text longer than this (a hostile tag, say) is cut in the PDF, with a note saying so.
const MAX_TEXT: usize = 4000;

/// A report under construction.
pub(super) struct Document {
    pub(super) fonts: Fonts,
    pub(super) furniture: Furniture,
    pub(super) pages: Vec<Vec<Op>>,
    /// The cursor: the top of the free space on the current page, in points from the page top.
    pub(super) y: f32,
    /// Where the body starts on the current page.
    pub(super) page_top: f32,
    /// Where the first page's running header goes (below the verdict).
    pub(super) first_header_top: f32,
    /// Headings waiting for what follows them: where their operations start on the current
    /// page, and their top.
    pub(super) keep: Option<(usize, f32)>,
}

/// `text`, cut after [`MAX_TEXT`] characters with a note saying so.
pub(super) fn cut(text: &str) -> String {
    match text.char_indices().nth(MAX_TEXT) {
        Some((i, _)) => format!(
            "{} … [{} more characters, in full in the HTML report]",
            &text[..i],
            text[i..].chars().count()
        ),
        None => text.to_string(),
    }
}

/// A horizontal line across the content width.
pub(super) fn rule(y: f32, color: Rgb, width: f32) -> Op {
    Op::Rect {
        x: MARGIN_X,
        y,
        w: CONTENT_WIDTH,
        h: 0.0,
        fill: None,
        stroke: Some((color, width)),
    }
}

impl Document {
    /// An empty document. Fails only if an embedded font cannot be parsed.
    pub(super) fn new(furniture: Furniture) -> Result<Self, PdfError> {
        Ok(Document {
            fonts: Fonts::load()?,
            furniture,
            pages: vec![Vec::new()],
            y: MARGIN_TOP,
            page_top: MARGIN_TOP,
            first_header_top: HEADER_TOP,
            keep: None,
        })
    }

    /// Pages so far.
    #[cfg(test)]
    pub(super) fn page_count(&self) -> usize {
        self.pages.len()
    }

    pub(super) fn push(&mut self, op: Op) {
        if let Some(page) = self.pages.last_mut() {
            page.push(op);
        }
    }

    pub(super) fn push_all(&mut self, ops: Vec<Op>) {
        if let Some(page) = self.pages.last_mut() {
            page.extend(ops);
        }
    }

    /// Starts a new page unless the current one is still empty.
    pub(super) fn page_break(&mut self) {
        if self.y > self.page_top + 0.01 {
            self.pages.push(Vec::new());
            self.y = MARGIN_TOP;
            self.page_top = MARGIN_TOP;
        }
        self.keep = None;
    }

    /// Makes room for a block `height` tall: a new page when it does not fit below the cursor
    /// (unless the page is still empty), taking along the headings just before it.
    pub(super) fn ensure(&mut self, height: f32) {
        if self.y + height <= CONTENT_BOTTOM || self.y <= self.page_top + 0.01 {
            return;
        }
        let y = self.y;
        let kept = match self.keep.take() {
            Some((start, top)) if top > self.page_top + 0.01 => self
                .pages
                .last_mut()
                .map(|p| (p.split_off(start.min(p.len())), top, y - top)),
            _ => None,
        };
        self.pages.push(Vec::new());
        self.page_top = MARGIN_TOP;
        self.y = MARGIN_TOP;
        if let Some((mut ops, top, kept_height)) = kept {
            ops.iter_mut().for_each(|op| op.shift(MARGIN_TOP - top));
            self.push_all(ops);
            self.keep = Some((0, MARGIN_TOP));
            self.y += kept_height;
        }
    }

    /// Lines at the cursor, `x` points from the left margin in a box `width` wide; each line
    /// moves to a new page when it does not fit.
    pub(super) fn place_lines(&mut self, lines: &[Line], x: f32, width: f32, color: Rgb) {
        for line in lines {
            let h = line.height();
            self.ensure(h);
            let lx = MARGIN_X + x + align_offset(Align::Start, line.rtl, width, line.width);
            let ops = line_ops(line, lx, self.y + line.baseline(), color);
            self.push_all(ops);
            self.y += h;
        }
    }

    /// The verdict in a tinted box with a coloured bar, at the very top of the first page, above
    /// the running header: the first thing anyone reads, and the first line of the PDF's text.
    pub(super) fn verdict(&mut self, text: &str, bar: Rgb, background: Rgb) {
        let (pad, bar_w) = (2.8 * PT_PER_MM, 1.8 * PT_PER_MM);
        let inner = CONTENT_WIDTH - bar_w - 2.0 * pad;
        let lines = self.fonts.layout(&cut(text), FontKind::Bold, 11.0, inner);
        let h = height(&lines) + 2.0 * pad;
        let top = HEADER_TOP;
        for (w, fill) in [(CONTENT_WIDTH, background), (bar_w, bar)] {
            self.push(Op::Rect {
                x: MARGIN_X,
                y: top,
                w,
                h,
                fill: Some(fill),
                stroke: None,
            });
        }
        let mut y = top + pad;
        for line in &lines {
            let x =
                MARGIN_X + bar_w + pad + align_offset(Align::Start, line.rtl, inner, line.width);
            let ops = line_ops(line, x, y + line.baseline(), Rgb::BLACK);
            self.push_all(ops);
            y += line.height();
        }
        self.first_header_top = top + h + 3.0 * PT_PER_MM;
        let header_h = height(&self.header_lines());
        self.page_top = self.first_header_top + header_h + 6.0 * PT_PER_MM;
        self.y = self.page_top;
    }

    /// The title and subtitle.
    pub(super) fn title(&mut self, title: &str, subtitle: &str) {
        let lines = self
            .fonts
            .layout(&cut(title), FontKind::Bold, 18.0, CONTENT_WIDTH);
        self.place_lines(&lines, 0.0, CONTENT_WIDTH, Rgb::BLACK);
        let lines = self
            .fonts
            .layout(&cut(subtitle), FontKind::Sans, 10.0, CONTENT_WIDTH);
        self.place_lines(&lines, 0.0, CONTENT_WIDTH, Rgb::GREY);
        self.y += 2.0 * PT_PER_MM;
        self.keep = None;
    }

    /// A heading (level 1 for sections, 2 within them), kept with what follows.
    pub(super) fn heading(&mut self, level: u8, text: &str) {
        let size = if level <= 1 { 13.5 } else { 11.0 };
        if self.y > self.page_top + 0.01 {
            self.y = (self.y + size * 0.7).min(CONTENT_BOTTOM);
        }
        let lines = self
            .fonts
            .layout(&cut(text), FontKind::Bold, size, CONTENT_WIDTH);
        self.ensure(height(&lines));
        let start = self.pages.last().map_or(0, Vec::len);
        let top = self.y;
        self.place_lines(&lines, 0.0, CONTENT_WIDTH, Rgb::BLACK);
        if level <= 1 {
            self.push(rule(self.y + 0.8, Rgb::GREY, 0.5));
        }
        self.y += size * 0.4;
        // A heading right after a heading joins it.
        if self.keep.is_none() {
            self.keep = Some((start, top));
        }
    }

    /// A paragraph in the body face; its first three lines stay together (and with a heading
    /// before it).
    pub(super) fn paragraph(&mut self, text: &str) {
        let lines = self
            .fonts
            .layout(&cut(text), FontKind::Sans, BODY_SIZE, CONTENT_WIDTH);
        self.ensure(height(&lines[..lines.len().min(3)]));
        self.place_lines(&lines, 0.0, CONTENT_WIDTH, Rgb::BLACK);
        self.y += BODY_SIZE * 0.6;
        self.keep = None;
    }

    /// A figure `height_mm` tall across the content width, drawn by `draw` on a [`Canvas`], with
    /// its caption under it; both move to a new page together when they do not fit.
    pub(super) fn figure<F>(
        &mut self,
        height_mm: f32,
        caption: &str,
        draw: F,
    ) -> Result<(), PdfError>
    where
        F: FnOnce(&mut Canvas<'_>) -> Result<(), PdfError>,
    {
        let h = height_mm * PT_PER_MM;
        if !(h > 0.0 && h < CONTENT_BOTTOM - MARGIN_TOP - 20.0) {
            return Err(PdfError::Geometry(format!("a figure {height_mm} mm tall")));
        }
        let caption = self
            .fonts
            .layout(&cut(caption), FontKind::Sans, 7.5, CONTENT_WIDTH);
        self.ensure(h + height(&caption));
        self.keep = None;
        let mut canvas = Canvas {
            fonts: &self.fonts,
            x0: MARGIN_X,
            y0: self.y,
            width: CONTENT_WIDTH,
            height: h,
            ops: Vec::new(),
        };
        draw(&mut canvas)?;
        let ops = canvas.ops;
        self.push_all(ops);
        self.y += h;
        self.place_lines(&caption, 0.0, CONTENT_WIDTH, Rgb::GREY);
        self.y += BODY_SIZE * 0.8;
        Ok(())
    }

    /// Commands to type, in monospace on a grey ground, kept on one page when they fit.
    pub(super) fn commands(&mut self, lines: &[String]) {
        let pad = 1.5 * PT_PER_MM;
        let width = CONTENT_WIDTH - 2.0 * pad;
        let laid: Vec<Line> = lines
            .iter()
            .flat_map(|l| {
                self.fonts
                    .layout(&cut(l), FontKind::Mono, COMMAND_SIZE, width)
            })
            .collect();
        let total = height(&laid) + 2.0 * pad;
        if total <= CONTENT_BOTTOM - MARGIN_TOP {
            self.ensure(total);
        }
        self.keep = None;
        let last = laid.len().saturating_sub(1);
        for (i, line) in laid.iter().enumerate() {
            let top_pad = if i == 0 { pad } else { 0.0 };
            let bottom_pad = if i == last { pad } else { 0.0 };
            let h = line.height() + top_pad + bottom_pad;
            self.ensure(h);
            self.push(Op::Rect {
                x: MARGIN_X,
                y: self.y,
                w: CONTENT_WIDTH,
                h,
                fill: Some(Rgb::ZEBRA),
                stroke: None,
            });
            let ops = line_ops(
                line,
                MARGIN_X + pad,
                self.y + top_pad + line.baseline(),
                Rgb::BLACK,
            );
            self.push_all(ops);
            self.y += h;
        }
        self.y += BODY_SIZE * 0.6;
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(in crate::report::pdf) fn furniture() -> Furniture {
        Furniture {
            header: "Case X · bundle SHA-256 00ff".into(),
            footer: "footer".into(),
            page_label: "Page {page} of {pages}".into(),
        }
    }

    /// Every text operation's baseline on each page.
    pub(in crate::report::pdf) fn baselines(doc: &Document) -> Vec<Vec<(f32, String)>> {
        doc.pages
            .iter()
            .map(|p| {
                p.iter()
                    .filter_map(|op| match op {
                        Op::Text { baseline, run, .. } => Some((*baseline, run.text.clone())),
                        _ => None,
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn a_heading_moves_with_the_block_after_it() {
        let mut doc = Document::new(furniture()).unwrap();
        for _ in 0..25 {
            doc.paragraph("Some words that fill the page.");
        }
        doc.heading(1, "Kept heading");
        doc.heading(2, "Kept subheading");
        doc.figure(150.0, "caption", |_| Ok(())).unwrap();
        let pages = baselines(&doc);
        assert_eq!(pages.len(), 2);
        let second: Vec<&str> = pages[1].iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(second.first(), Some(&"Kept heading"));
        assert!(second.contains(&"Kept subheading") && second.contains(&"caption"));
        assert!(pages[0].iter().all(|(_, t)| !t.starts_with("Kept")));
    }
}
