//! Tables on the page: each row of cells and the wide rows after it form a group that is never
//! split across pages, and the header row starts every page a table is on; and labels with values.

use super::PdfError;
use super::draw::{Align, Op, Rgb, align_offset, line_ops};
use super::page::{
    BODY_SIZE, CONTENT_BOTTOM, CONTENT_WIDTH, Document, MARGIN_TOP, MARGIN_X, cut, rule,
};
use super::text::{FontKind, Line, height};
use crate::report::content::{Cell, Row, Table};

const TABLE_SIZE: f32 = 8.0;
const CELL_PAD: f32 = 1.3 * super::draw::PT_PER_MM;

/// A laid-out table row: each cell's lines and width.
struct LaidRow {
    cells: Vec<(Vec<Line>, f32)>,
    height: f32,
}

fn font_of(cell: &Cell, bold: bool) -> FontKind {
    match (cell.mono, bold) {
        (true, _) => FontKind::Mono,
        (false, true) => FontKind::Bold,
        (false, false) => FontKind::Sans,
    }
}

impl Document {
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
}

#[cfg(test)]
mod tests {
    use super::super::page::tests::{baselines, furniture};
    use super::*;

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
}
