//! The report as one self-contained HTML page: inline CSS, pictures as inline SVG and PNG data
//! URIs, no script, a Content-Security-Policy that forbids every network request, and a print
//! style sheet for clean A4 pages (page numbers, the case and the bundle's digest on each page).

use std::fmt::Write as _;

use super::content::{self, Cell, Figure, Row, Sink, Table, Tone};
use super::figures;
use super::strings::Lang;
use super::{Options, case_label};
use crate::probe::analysis::Pictures;
use crate::verify::Report;

/// The page, as UTF-8 text.
pub fn render(report: &Report, options: &Options) -> String {
    let mut page = Page {
        body: String::new(),
    };
    content::write(report, options, &mut page);
    let lang = &options.lang;
    let case = case_label(report);
    let header = lang.f(
        "header",
        &[("case", &case), ("sha", &options.bundle_sha256)],
    );
    let footer = counters(lang.t("footer.page"));
    format!(
        r#"<!DOCTYPE html>
<html lang="{code}" dir="{dir}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<meta name="generator" content="earwitness {version}">
<title>{title}</title>
<style>
{STYLE}
@page {{ size: A4; margin: 20mm 15mm 18mm 15mm;
  @top-left {{ content: "{header_css}"; font: 7.5pt sans-serif; color: #444; }}
  @bottom-right {{ content: {footer_css}; font: 8pt sans-serif; color: #444; }} }}
</style>
</head>
<body>
{body}</body>
</html>
"#,
        code = escape(lang.code()),
        dir = if lang.rtl() { "rtl" } else { "ltr" },
        version = env!("CARGO_PKG_VERSION"),
        title = escape(&format!("{} — {}", lang.t("title"), case)),
        header_css = css_string(&header),
        footer_css = footer,
        body = page.body,
    )
}

/// The print and screen style.
const STYLE: &str = r#"
body { font: 10.5pt/1.45 "DejaVu Sans", "Noto Sans", Arial, sans-serif; color: #111; margin: 2em auto; max-width: 60em; padding: 0 1em; }
h1 { font-size: 20pt; margin: 0.4em 0 0.1em; }
p.subtitle { color: #555; margin-top: 0; }
h2 { font-size: 14pt; border-bottom: 1px solid #999; margin-top: 1.6em; }
h3 { font-size: 11.5pt; margin: 1.2em 0 0.4em; }
p.verdict { font-size: 12pt; font-weight: bold; padding: 0.6em 0.8em; border-left: 6px solid; }
p.verdict.good { border-color: #1a7f37; background: #e9f7ee; }
p.verdict.caution { border-color: #9a6700; background: #fff8e1; }
p.verdict.bad { border-color: #b3261e; background: #fdecea; }
table { border-collapse: collapse; width: 100%; margin: 0.5em 0 1em; font-size: 9pt; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.4em; text-align: start; vertical-align: top; }
th { background: #eee; }
td.wide { border-top: none; color: #333; }
table.kv th { width: 30%; background: #f5f5f5; }
.mono { font-family: "DejaVu Sans Mono", "Noto Sans Mono", monospace; font-size: 8.5pt; }
pre { font: 8.5pt/1.4 "DejaVu Sans Mono", monospace; background: #f5f5f5; padding: 0.5em; white-space: pre-wrap; overflow-wrap: anywhere; }
figure { margin: 0.5em 0 1em; }
figure svg { width: 100%; height: auto; }
figcaption { font-size: 8.5pt; color: #444; }
@media print {
  body { margin: 0; max-width: none; padding: 0; font-size: 9.5pt; }
  h2, h3 { break-after: avoid; }
  tr, tbody.group, figure, pre, table.kv { break-inside: avoid; }
  thead { display: table-header-group; }
  .page { break-before: page; }
}
"#;

struct Page {
    body: String,
}

/// Text for HTML content and attributes.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Text inside a CSS string: quotes, backslashes and `<` escaped.
fn css_string(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '"' | '\\' | '<' | '>' | '\n' => {
                let _ = write!(out, "\\{:X} ", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

/// A CSS `content` value for a template with `{page}` and `{pages}`: quoted strings around page
/// counters.
fn counters(template: &str) -> String {
    let mut out = String::new();
    let mut rest = template;
    loop {
        let next = ["{pages}", "{page}"]
            .iter()
            .filter_map(|p| rest.find(p).map(|i| (i, *p)))
            .min();
        let Some((i, placeholder)) = next else {
            let _ = write!(out, "\"{}\"", css_string(rest));
            return out;
        };
        let counter = placeholder.trim_matches(|c| c == '{' || c == '}');
        let _ = write!(out, "\"{}\" counter({counter}) ", css_string(&rest[..i]));
        rest = &rest[i + placeholder.len()..];
    }
}

fn cell(c: &Cell) -> String {
    if c.mono {
        format!("<span class=\"mono\">{}</span>", escape(&c.text))
    } else {
        escape(&c.text)
    }
}

fn data_uri(png: &[u8]) -> String {
    format!(
        "data:image/png;base64,{}",
        base64ct::Base64::encode_string(png)
    )
}

use base64ct::Encoding as _;

/// The plot area inside a figure's view box.
const W: f32 = 1000.0;
const LEFT: f32 = 70.0;
const RIGHT: f32 = 960.0;

fn time_axis(svg: &mut String, p: &Pictures, y: f32, lang: &Lang) {
    let width = RIGHT - LEFT;
    for (frac, label) in figures::time_ticks(figures::duration(p), 8) {
        let x = LEFT + frac * width;
        let _ = write!(
            svg,
            r##"<line x1="{x:.1}" y1="{y:.1}" x2="{x:.1}" y2="{:.1}" stroke="#444"/><text x="{x:.1}" y="{:.1}" font-size="13" text-anchor="middle">{}</text>"##,
            y + 5.0,
            y + 20.0,
            escape(&label)
        );
    }
    let _ = write!(
        svg,
        r#"<text x="{:.1}" y="{:.1}" font-size="13" text-anchor="middle">{}</text>"#,
        LEFT + width / 2.0,
        y + 38.0,
        escape(lang.t("time_axis"))
    );
}

fn waveform_svg(p: &Pictures, lang: &Lang) -> String {
    let (top, h) = (10.0f32, 160.0f32);
    let width = RIGHT - LEFT;
    let mid = top + h / 2.0;
    let n = p.waveform.len().max(1) as f32;
    let mut path = String::new();
    for (i, [lo, hi]) in p.waveform.iter().enumerate() {
        let x = LEFT + (i as f32 + 0.5) / n * width;
        let y1 = mid - hi * h / 2.0;
        let y2 = mid - lo * h / 2.0;
        let _ = write!(path, "M{x:.1} {y1:.1}V{:.1}", y2.max(y1 + 0.5));
    }
    let mut svg = format!(
        r##"<svg viewBox="0 0 {W} 215" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{label}"><rect x="{LEFT}" y="{top}" width="{width}" height="{h}" fill="#fafafa" stroke="#999"/><line x1="{LEFT}" y1="{top}" x2="{RIGHT}" y2="{top}" stroke="#c00" stroke-width="1"/><line x1="{LEFT}" y1="{bottom}" x2="{RIGHT}" y2="{bottom}" stroke="#c00" stroke-width="1"/><line x1="{LEFT}" y1="{mid}" x2="{RIGHT}" y2="{mid}" stroke="#bbb"/><path d="{path}" stroke="#1f4e79" stroke-width="1.2" fill="none"/>"##,
        label = escape(lang.t("waveform")),
        bottom = top + h,
    );
    for (v, y) in [("+1", top), ("0", mid), ("−1", top + h)] {
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" font-size="13" text-anchor="end">{v}</text>"#,
            LEFT - 6.0,
            y + 4.0
        );
    }
    time_axis(&mut svg, p, top + h, lang);
    svg.push_str("</svg>");
    svg
}

fn spectrogram_svg(p: &Pictures, lang: &Lang) -> String {
    let (top, h) = (10.0f32, 200.0f32);
    let width = RIGHT - LEFT - 80.0;
    let (w_px, h_px, pixels) = figures::spectrogram_rgb(p);
    let image = figures::png(w_px, h_px, &pixels).map(|png| data_uri(&png));
    let mut svg = format!(
        r#"<svg viewBox="0 0 {W} 255" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{}">"#,
        escape(lang.t("spectrogram"))
    );
    if let Ok(uri) = image {
        let _ = write!(
            svg,
            r#"<image x="{LEFT}" y="{top}" width="{width}" height="{h}" preserveAspectRatio="none" style="image-rendering:pixelated" href="{uri}"/>"#
        );
    }
    let _ = write!(
        svg,
        r##"<rect x="{LEFT}" y="{top}" width="{width}" height="{h}" fill="none" stroke="#999"/>"##
    );
    for (frac, label) in figures::frequency_ticks(f64::from(p.sample_rate) / 2.0) {
        let y = top + h - frac * h;
        let _ = write!(
            svg,
            r##"<line x1="{:.1}" y1="{y:.1}" x2="{LEFT}" y2="{y:.1}" stroke="#444"/><text x="{:.1}" y="{:.1}" font-size="13" text-anchor="end">{}</text>"##,
            LEFT - 5.0,
            LEFT - 8.0,
            y + 4.0,
            escape(&label)
        );
    }
    let _ = write!(
        svg,
        r#"<text x="16" y="{:.1}" font-size="13" text-anchor="middle" transform="rotate(-90 16 {:.1})">{}</text>"#,
        top + h / 2.0,
        top + h / 2.0,
        escape(lang.t("frequency_axis"))
    );
    // The time axis under the raster (its width differs from the waveform's).
    for (frac, label) in figures::time_ticks(figures::duration(p), 7) {
        let x = LEFT + frac * width;
        let _ = write!(
            svg,
            r##"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="#444"/><text x="{x:.1}" y="{:.1}" font-size="13" text-anchor="middle">{}</text>"##,
            top + h,
            top + h + 5.0,
            top + h + 20.0,
            escape(&label)
        );
    }
    let _ = write!(
        svg,
        r#"<text x="{:.1}" y="{:.1}" font-size="13" text-anchor="middle">{}</text>"#,
        LEFT + width / 2.0,
        top + h + 38.0,
        escape(lang.t("time_axis"))
    );
    // The colour scale, quiet at the bottom.
    let (lw, lh, legend) = figures::legend_rgb();
    let lx = RIGHT - 55.0;
    if let Ok(png) = figures::png(lw, lh, &legend) {
        let uri = data_uri(&png);
        let _ = write!(
            svg,
            r#"<image x="{:.1}" y="{top}" width="18" height="{h}" preserveAspectRatio="none" href="{uri}"/>"#,
            lx - 20.0
        );
    }
    for (frac, label) in figures::legend_ticks() {
        let y = top + h - frac * h;
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" font-size="12">{}</text>"#,
            lx + 2.0,
            y + 4.0,
            escape(&label)
        );
    }
    let _ = write!(
        svg,
        r#"<text x="{:.1}" y="{:.1}" font-size="12" text-anchor="middle">{}</text>"#,
        lx + 10.0,
        top + h + 20.0,
        escape(lang.t("level_axis"))
    );
    svg.push_str("</svg>");
    svg
}

impl Sink for Page {
    fn verdict(&mut self, text: &str, tone: Tone) {
        let class = match tone {
            Tone::Good => "good",
            Tone::Caution => "caution",
            Tone::Bad => "bad",
        };
        let _ = writeln!(
            self.body,
            "<p class=\"verdict {class}\">{}</p>",
            escape(text)
        );
    }

    fn title(&mut self, title: &str, subtitle: &str) {
        let _ = writeln!(
            self.body,
            "<h1>{}</h1>\n<p class=\"subtitle\">{}</p>",
            escape(title),
            escape(subtitle)
        );
    }

    fn heading(&mut self, text: &str) {
        let _ = writeln!(self.body, "<h2>{}</h2>", escape(text));
    }

    fn subheading(&mut self, text: &str) {
        let _ = writeln!(self.body, "<h3>{}</h3>", escape(text));
    }

    fn paragraph(&mut self, text: &str) {
        let _ = writeln!(self.body, "<p>{}</p>", escape(text));
    }

    fn key_values(&mut self, rows: &[(String, Cell)]) {
        self.body.push_str("<table class=\"kv\">\n");
        for (k, v) in rows {
            let _ = writeln!(
                self.body,
                "<tr><th scope=\"row\">{}</th><td>{}</td></tr>",
                escape(k),
                cell(v)
            );
        }
        self.body.push_str("</table>\n");
    }

    fn table(&mut self, table: &Table) {
        let total: f32 = table.widths.iter().sum::<f32>().max(1.0);
        self.body.push_str("<table>\n<colgroup>");
        for w in &table.widths {
            let _ = write!(self.body, "<col style=\"width:{:.1}%\">", w / total * 100.0);
        }
        self.body.push_str("</colgroup>\n<thead><tr>");
        for h in &table.headers {
            let _ = write!(self.body, "<th>{}</th>", escape(h));
        }
        self.body.push_str("</tr></thead>\n");
        // Each row of cells starts a group with the wide rows after it, kept on one page.
        let mut open = false;
        for row in &table.rows {
            match row {
                Row::Cells(cells) => {
                    if open {
                        self.body.push_str("</tbody>\n");
                    }
                    self.body.push_str("<tbody class=\"group\">\n<tr>");
                    open = true;
                    for c in cells {
                        let _ = write!(self.body, "<td>{}</td>", cell(c));
                    }
                    self.body.push_str("</tr>\n");
                }
                Row::Wide(c) => {
                    if !open {
                        self.body.push_str("<tbody class=\"group\">\n");
                        open = true;
                    }
                    let _ = writeln!(
                        self.body,
                        "<tr><td class=\"wide\" colspan=\"{}\">{}</td></tr>",
                        table.headers.len(),
                        cell(c)
                    );
                }
            }
        }
        if open {
            self.body.push_str("</tbody>\n");
        }
        self.body.push_str("</table>\n");
    }

    fn figure(&mut self, figure: Figure<'_>, lang: &Lang) {
        let (svg, caption) = match figure {
            Figure::Waveform(p) => (waveform_svg(p, lang), lang.t("waveform.caption")),
            Figure::Spectrogram(p) => (spectrogram_svg(p, lang), lang.t("spectrogram.caption")),
        };
        let _ = writeln!(
            self.body,
            "<figure>{svg}<figcaption>{}</figcaption></figure>",
            escape(caption)
        );
    }

    fn commands(&mut self, lines: &[String]) {
        let _ = writeln!(self.body, "<pre>{}</pre>", escape(&lines.join("\n")));
    }

    fn new_page(&mut self) {
        self.body.push_str("<div class=\"page\"></div>\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(
            css_string("a\"b\\c</style>"),
            "a\\22 b\\5C c\\3C /style\\3E "
        );
        assert_eq!(
            counters("Page {page} of {pages}"),
            "\"Page \" counter(page) \" of \" counter(pages) \"\""
        );
    }
}
