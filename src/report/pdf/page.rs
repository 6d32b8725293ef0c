//! A small page-layout engine: the verdict, headings, wrapped paragraphs, tables whose groups of
//! rows are never split across pages (the header row repeated on each page), figures and
//! commands, on A4 pages with a running header and a "page N of M" footer.
//!
//! Layout happens as content is added: each block is placed at the cursor of the current page,
//! or on a new page when it does not fit. A heading is kept with what follows it: when the next
//! block moves to a new page, the heading moves with it. [`Document::finish`] draws the header
//! and footer (the page count is known only then) and writes the PDF.

use krilla::configure::{Archival, ConfigurationBuilder};
use krilla::metadata::{DateTime, Metadata, TextDirection};
use krilla::page::PageSettings;
use krilla::{Document as KrillaDocument, SerializeSettings};

use super::PdfError;
use super::draw::{Align, Canvas, Op, PT_PER_MM, Rgb, align_offset, draw, line_ops};
use super::text::{FontKind, Fonts, Line, height};
use crate::report::content::{Cell, Row, Table};

/// A4 width in points.
pub(super) const PAGE_WIDTH: f32 = 595.28;
/// A4 height in points.
pub(super) const PAGE_HEIGHT: f32 = 841.89;

const MARGIN_X: f32 = 18.0 * PT_PER_MM;
const CONTENT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN_X;
/// Where the body starts on every page but the first.
const MARGIN_TOP: f32 = 22.0 * PT_PER_MM;
const CONTENT_BOTTOM: f32 = PAGE_HEIGHT - 20.0 * PT_PER_MM;
/// The top of the running header (and of the verdict, on the first page).
const HEADER_TOP: f32 = 9.0 * PT_PER_MM;
const FURNITURE_SIZE: f32 = 7.5;

const BODY_SIZE: f32 = 9.5;
const TABLE_SIZE: f32 = 8.0;
const COMMAND_SIZE: f32 = 7.5;
const CELL_PAD: f32 = 1.3 * PT_PER_MM;
/// Text longer than this (a hostile tag, say) is cut in the PDF, with a note saying so.
const MAX_TEXT: usize = 4000;

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

/// A laid-out table row: each cell's lines, width and face.
struct LaidRow {
    cells: Vec<(Vec<Line>, f32)>,
    height: f32,
}

/// A report under construction.
pub(super) struct Document {
    fonts: Fonts,
    furniture: Furniture,
    pages: Vec<Vec<Op>>,
    /// The cursor: the top of the free space on the current page, in points from the page top.
    y: f32,
    /// Where the body starts on the current page.
    page_top: f32,
    /// Where the first page's running header goes (below the verdict).
    first_header_top: f32,
    /// Headings waiting for what follows them: where their operations start on the current
    /// page, and their top.
    keep: Option<(usize, f32)>,
}

/// `text`, cut after [`MAX_TEXT`] characters with a note saying so.
fn cut(text: &str) -> String {
    match text.char_indices().nth(MAX_TEXT) {
        Some((i, _)) => format!(
            "{} … [{} more characters, in full in the HTML report]",
            &text[..i],
            text[i..].chars().count()
        ),
        None => text.to_string(),
    }
}

fn rule(y: f32, color: Rgb, width: f32) -> Op {
    Op::Rect {
        x: MARGIN_X,
        y,
        w: CONTENT_WIDTH,
        h: 0.0,
        fill: None,
        stroke: Some((color, width)),
    }
}

fn font_of(cell: &Cell, bold: bool) -> FontKind {
    match (cell.mono, bold) {
        (true, _) => FontKind::Mono,
        (false, true) => FontKind::Bold,
        (false, false) => FontKind::Sans,
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

    fn push(&mut self, op: Op) {
        if let Some(page) = self.pages.last_mut() {
            page.push(op);
        }
    }

    fn push_all(&mut self, ops: Vec<Op>) {
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
    fn ensure(&mut self, height: f32) {
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
    fn place_lines(&mut self, lines: &[Line], x: f32, width: f32, color: Rgb) {
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

    /// Lays out a row of cells in columns of the given widths (points).
    fn lay_row(&self, cells: &[(&Cell, bool)], widths: &[f32]) -> LaidRow {
        let cells: Vec<(Vec<Line>, f32)> = cells
            .iter()
            .zip(widths)
            .map(|((c, bold), w)| {
                let font = font_of(c, *bold);
                let lines = self
                    .fonts
                    .layout(&cut(&c.text), font, TABLE_SIZE, w - 2.0 * CELL_PAD);
                (lines, *w)
            })
            .collect();
        let height = cells
            .iter()
            .map(|(lines, _)| height(lines))
            .fold(0.0, f32::max)
            + 2.0 * CELL_PAD;
        LaidRow { cells, height }
    }

    /// Draws a row at the cursor, with a background.
    fn draw_row(&mut self, row: &LaidRow, fill: Option<Rgb>) {
        if let Some(fill) = fill {
            self.push(Op::Rect {
                x: MARGIN_X,
                y: self.y,
                w: CONTENT_WIDTH,
                h: row.height,
                fill: Some(fill),
                stroke: None,
            });
        }
        let mut x = MARGIN_X;
        let mut ops = Vec::new();
        for (lines, w) in &row.cells {
            let mut ly = self.y + CELL_PAD;
            for line in lines {
                let lx = x
                    + CELL_PAD
                    + align_offset(Align::Start, line.rtl, w - 2.0 * CELL_PAD, line.width);
                ops.extend(line_ops(line, lx, ly + line.baseline(), Rgb::BLACK));
                ly += line.height();
            }
            x += w;
        }
        self.push_all(ops);
        self.y += row.height;
    }

    /// Labels and values: a two-column table without a header, kept on one page when it fits.
    pub(super) fn key_values(&mut self, rows: &[(String, Cell)]) {
        let widths = [CONTENT_WIDTH * 0.3, CONTENT_WIDTH * 0.7];
        let laid: Vec<LaidRow> = rows
            .iter()
            .map(|(k, v)| {
                let label = Cell {
                    text: k.clone(),
                    mono: false,
                };
                self.lay_row(&[(&label, true), (v, false)], &widths)
            })
            .collect();
        let total: f32 = laid.iter().map(|r| r.height).sum();
        if total <= CONTENT_BOTTOM - MARGIN_TOP {
            self.ensure(total);
        }
        for row in &laid {
            self.ensure(row.height);
            self.keep = None;
            self.draw_row(row, None);
            self.push(rule(self.y, Rgb::LIGHT, 0.5));
        }
        self.y += BODY_SIZE * 0.6;
    }

    /// A table. Each row of cells and the wide rows after it form a group that is never split
    /// across pages (unless it is taller than a page); the header row starts every page the
    /// table is on.
    pub(super) fn table(&mut self, table: &Table) -> Result<(), PdfError> {
        let n = table.headers.len();
        if n == 0
            || table.widths.len() != n
            || table.widths.iter().any(|w| !w.is_finite() || *w <= 0.0)
        {
            return Err(PdfError::Geometry(format!(
                "a table of {n} columns with widths {:?}",
                table.widths
            )));
        }
        let total: f32 = table.widths.iter().sum();
        let widths: Vec<f32> = table
            .widths
            .iter()
            .map(|w| w / total * CONTENT_WIDTH)
            .collect();
        let header_cells: Vec<Cell> = table.headers.iter().map(|h| Cell::new(h.clone())).collect();
        let header_refs: Vec<(&Cell, bool)> = header_cells.iter().map(|c| (c, true)).collect();
        let header = self.lay_row(&header_refs, &widths);
        let mut groups: Vec<Vec<LaidRow>> = Vec::new();
        for (i, row) in table.rows.iter().enumerate() {
            match row {
                Row::Cells(cells) => {
                    if cells.len() != n {
                        return Err(PdfError::Geometry(format!(
                            "table row {i} has {} cells for {n} columns",
                            cells.len()
                        )));
                    }
                    let refs: Vec<(&Cell, bool)> = cells.iter().map(|c| (c, false)).collect();
                    groups.push(vec![self.lay_row(&refs, &widths)]);
                }
                Row::Wide(cell) => {
                    let laid = self.lay_row(&[(cell, false)], &[CONTENT_WIDTH]);
                    match groups.last_mut() {
                        Some(g) => g.push(laid),
                        None => groups.push(vec![laid]),
                    }
                }
            }
        }
        let page_room = CONTENT_BOTTOM - MARGIN_TOP - header.height;
        let first = groups
            .first()
            .map_or(0.0, |g| g.iter().map(|r| r.height).sum::<f32>());
        self.ensure(header.height + first.min(page_room));
        self.keep = None;
        self.draw_header(&header);
        for (i, group) in groups.iter().enumerate() {
            let fill = (i % 2 == 1).then_some(Rgb::ZEBRA);
            let h: f32 = group.iter().map(|r| r.height).sum();
            if self.y + h > CONTENT_BOTTOM && h <= page_room {
                self.new_table_page(&header);
            }
            for row in group {
                // Only a group taller than a page is split, between its rows; and only a row
                // taller than a page runs over the bottom margin.
                if self.y + row.height > CONTENT_BOTTOM
                    && self.y > self.page_top + header.height + 0.01
                {
                    self.new_table_page(&header);
                }
                self.draw_row(row, fill);
            }
            self.push(rule(self.y, Rgb::GREY, 0.3));
        }
        self.y += BODY_SIZE * 0.8;
        Ok(())
    }

    fn new_table_page(&mut self, header: &LaidRow) {
        self.page_break();
        self.draw_header(header);
    }

    fn draw_header(&mut self, header: &LaidRow) {
        self.draw_row(header, Some(Rgb::LIGHT));
        self.push(rule(self.y, Rgb::GREY, 0.5));
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

    /// The running header's lines (at most two).
    fn header_lines(&self) -> Vec<Line> {
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
    use super::*;

    fn furniture() -> Furniture {
        Furniture {
            header: "Case X · bundle SHA-256 00ff".into(),
            footer: "footer".into(),
            page_label: "Page {page} of {pages}".into(),
        }
    }

    /// Every text operation's baseline on each page.
    fn baselines(doc: &Document) -> Vec<Vec<(f32, String)>> {
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
    fn groups_of_rows_stay_together_with_the_header_on_each_page() {
        let mut doc = Document::new(furniture()).unwrap();
        let mut rows = Vec::new();
        for i in 0..60 {
            rows.push(Row::Cells(vec![Cell::new(format!("G{i}")), Cell::new("x")]));
            rows.push(Row::Wide(Cell::mono(format!("W{i} {}", "ab".repeat(32)))));
            rows.push(Row::Wide(Cell::new(format!("V{i} findings: none"))));
        }
        doc.table(&Table {
            headers: vec!["HEAD".into(), "b".into()],
            widths: vec![1.0, 3.0],
            rows,
        })
        .unwrap();
        assert!(doc.page_count() >= 3);
        for (p, page) in baselines(&doc).iter().enumerate() {
            let first = page.iter().map(|(_, t)| t.as_str()).next();
            assert_eq!(first, Some("HEAD"), "page {p} starts with the header row");
            for (b, _) in page {
                assert!(*b > MARGIN_TOP && *b < CONTENT_BOTTOM, "page {p}: {b}");
            }
            // Each group's three rows are on the same page.
            for (_, t) in page {
                if let Some(n) = t.strip_prefix('G') {
                    for other in [format!("W{n} "), format!("V{n} ")] {
                        assert!(
                            page.iter().any(|(_, u)| u.starts_with(&other)),
                            "{t}: {other}"
                        );
                    }
                }
            }
        }
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
