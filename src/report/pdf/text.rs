//! Text for the PDF: the three embedded DejaVu faces, shaping with rustybuzz (kerning, ligatures,
//! Arabic joining), right-to-left reordering (UAX #9), and line breaking with the very advances
//! that are drawn, so a line never runs past its box.
//!
//! Words that look like digests (16 or more hex digits) are set in DejaVu Sans Mono and never
//! broken: a word wider than its line is set smaller until it fits (a digest down to
//! [`MIN_HASH_SIZE`]). Only a word that cannot fit even then is broken, as a last resort, and its
//! first piece then carries the whole word as ActualText for search and copy.
//!
//! A character none of the faces can draw (CJK, emoji) is written as `<U+XXXX>`: PDF/A forbids
//! drawing the empty `.notdef` glyph, and the reader still learns which character stood there.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::ops::Range;

use krilla::text::{Font, GlyphId, KrillaGlyph};
use unicode_bidi::{BidiInfo, Level};

use super::PdfError;

const FONT_SANS: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
const FONT_BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");
const FONT_MONO: &[u8] = include_bytes!("../fonts/DejaVuSansMono.ttf");

/// Digest-like words are shrunk down to this size (points) before they are broken: 64 hex digits
/// then take 68 mm.
pub(super) const MIN_HASH_SIZE: f32 = 5.0;
/// Other words wider than their line are shrunk down to this fraction of their size first.
const MIN_WORD_SHRINK: f32 = 0.75;

/// One of the three embedded faces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum FontKind {
    /// DejaVu Sans: body text (Latin, Greek, Cyrillic, basic Arabic).
    Sans,
    /// DejaVu Sans Bold: the verdict, headings, labels.
    Bold,
    /// DejaVu Sans Mono: digests, keys, commands.
    Mono,
}

/// A face loaded twice: for shaping (rustybuzz) and for embedding (krilla).
pub(super) struct Face {
    shaper: rustybuzz::Face<'static>,
    pub(super) pdf: Font,
    upem: f32,
    /// Ascender and descender in em (descender negative).
    ascent: f32,
    descent: f32,
}

impl Face {
    fn load(data: &'static [u8], name: &'static str) -> Result<Self, PdfError> {
        let shaper = rustybuzz::Face::from_slice(data, 0).ok_or(PdfError::Font(name))?;
        let pdf = Font::new(data.into(), 0).ok_or(PdfError::Font(name))?;
        let upem = shaper.units_per_em() as f32;
        if upem <= 0.0 {
            return Err(PdfError::Font(name));
        }
        let ascent = f32::from(shaper.ascender()) / upem;
        let descent = f32::from(shaper.descender()) / upem;
        Ok(Face {
            shaper,
            pdf,
            upem,
            ascent,
            descent,
        })
    }
}

/// Whether `c` separates words (and so is never drawn).
fn separates(c: char) -> bool {
    c.is_whitespace() && c != '\u{a0}' && c != '\u{202f}'
}

/// The three faces.
pub(super) struct Fonts {
    sans: Face,
    bold: Face,
    mono: Face,
}

/// A shaped piece of text in one face, size and direction.
#[derive(Clone)]
pub(super) struct Run {
    pub(super) font: FontKind,
    pub(super) size: f32,
    pub(super) text: String,
    pub(super) glyphs: Vec<KrillaGlyph>,
    /// Width in points.
    pub(super) width: f32,
    /// Text that copy and paste and text extraction should see instead of the glyphs (set when a
    /// word had to be broken across lines).
    pub(super) actual_text: Option<String>,
}

/// A line ready to be drawn: runs in visual order, left to right.
pub(super) struct Line {
    pub(super) runs: Vec<Run>,
    pub(super) width: f32,
    /// Ascent and descent of the line, in points (both positive).
    pub(super) ascent: f32,
    pub(super) descent: f32,
    /// Whether the paragraph reads right to left.
    pub(super) rtl: bool,
}

/// Line height is this many times a line's ascent plus descent.
pub(super) const LEADING: f32 = 1.25;

impl Line {
    /// The line's height with [`LEADING`].
    pub(super) fn height(&self) -> f32 {
        (self.ascent + self.descent) * LEADING
    }

    /// The baseline's distance from the top of the line's box.
    pub(super) fn baseline(&self) -> f32 {
        (self.height() - self.ascent - self.descent) / 2.0 + self.ascent
    }
}

/// The height of lines.
pub(super) fn height(lines: &[Line]) -> f32 {
    lines.iter().map(Line::height).sum()
}

/// A word before line breaking, in logical order.
struct Word {
    text: String,
    font: FontKind,
    size: f32,
    width: f32,
    actual_text: Option<String>,
}

/// A piece of a line in one face and size (before bidi reordering).
struct Segment {
    font: FontKind,
    size: f32,
    text: String,
    actual_text: Option<String>,
}

impl Fonts {
    /// Parses the embedded faces. Fails only on a broken build.
    pub(super) fn load() -> Result<Self, PdfError> {
        Ok(Fonts {
            sans: Face::load(FONT_SANS, "DejaVuSans.ttf")?,
            bold: Face::load(FONT_BOLD, "DejaVuSans-Bold.ttf")?,
            mono: Face::load(FONT_MONO, "DejaVuSansMono.ttf")?,
        })
    }

    pub(super) fn face(&self, kind: FontKind) -> &Face {
        match kind {
            FontKind::Sans => &self.sans,
            FontKind::Bold => &self.bold,
            FontKind::Mono => &self.mono,
        }
    }

    /// Whether `kind` has a glyph for every character of `text` that is drawn.
    fn covers(&self, kind: FontKind, text: &str) -> bool {
        let face = &self.face(kind).shaper;
        text.chars()
            .all(|c| separates(c) || face.glyph_index(c).is_some())
    }

    /// `text` with each character `kind` has no glyph for written as `<U+XXXX>`.
    fn covered<'a>(&self, kind: FontKind, text: &'a str) -> Cow<'a, str> {
        if self.covers(kind, text) {
            return Cow::Borrowed(text);
        }
        let face = &self.face(kind).shaper;
        let mut out = String::with_capacity(text.len() + 16);
        for c in text.chars() {
            if separates(c) || face.glyph_index(c).is_some() {
                out.push(c);
            } else {
                let _ = write!(out, "<U+{:04X}>", u32::from(c));
            }
        }
        Cow::Owned(out)
    }

    /// Shapes `text` in one direction: its glyphs (advances in em) and its width in em.
    pub(super) fn shape(&self, kind: FontKind, text: &str, rtl: bool) -> (Vec<KrillaGlyph>, f32) {
        let face = self.face(kind);
        let mut buffer = rustybuzz::UnicodeBuffer::new();
        buffer.push_str(text);
        buffer.guess_segment_properties();
        buffer.set_direction(if rtl {
            rustybuzz::Direction::RightToLeft
        } else {
            rustybuzz::Direction::LeftToRight
        });
        let output = rustybuzz::shape(&face.shaper, &[], buffer);
        let infos = output.glyph_infos();
        let positions = output.glyph_positions();
        let mut glyphs = Vec::with_capacity(infos.len());
        let mut width = 0.0;
        for (i, (info, pos)) in infos.iter().zip(positions).enumerate() {
            let start = info.cluster as usize;
            // A cluster ends where the next cluster in logical order starts; glyphs come in
            // visual order, so in a right-to-left run the next cluster is the previous glyph.
            let end = cluster_end(infos, i, rtl).unwrap_or(text.len());
            let advance = pos.x_advance as f32 / face.upem;
            width += advance;
            glyphs.push(KrillaGlyph::new(
                GlyphId::new(info.glyph_id),
                advance,
                pos.x_offset as f32 / face.upem,
                pos.y_offset as f32 / face.upem,
                pos.y_advance as f32 / face.upem,
                start..end.max(start),
                None,
            ));
        }
        (glyphs, width)
    }

    /// The width of `text` in points.
    pub(super) fn width(&self, kind: FontKind, size: f32, text: &str) -> f32 {
        self.shape(kind, text, false).1 * size
    }

    /// One shaped run.
    pub(super) fn run(
        &self,
        font: FontKind,
        size: f32,
        text: &str,
        rtl: bool,
        actual_text: Option<String>,
    ) -> Run {
        let text = self.covered(font, text);
        let (glyphs, w) = self.shape(font, &text, rtl);
        Run {
            font,
            size,
            text: text.into_owned(),
            glyphs,
            width: w * size,
            actual_text,
        }
    }

    /// Breaks `text` into lines no wider than `max_width` points. Newlines are kept.
    pub(super) fn layout(
        &self,
        text: &str,
        font: FontKind,
        size: f32,
        max_width: f32,
    ) -> Vec<Line> {
        let text = self.covered(FontKind::Sans, text);
        let mut lines = Vec::new();
        let space = self.width(font, size, " ");
        for hard_line in text.split('\n') {
            let rtl = first_strong_is_rtl(hard_line);
            let mut current: Vec<Word> = Vec::new();
            let mut width = 0.0;
            for word in self.words(hard_line, font, size, max_width) {
                let add = if current.is_empty() {
                    word.width
                } else {
                    space + word.width
                };
                if !current.is_empty() && width + add > max_width {
                    lines.push(self.finish_line(std::mem::take(&mut current), font, size, rtl));
                    width = word.width;
                } else {
                    width += add;
                }
                current.push(word);
            }
            lines.push(self.finish_line(current, font, size, rtl));
        }
        lines
    }

    /// Splits a line of text into measured words, shrinking or breaking words wider than the line.
    fn words(&self, text: &str, font: FontKind, size: f32, max_width: f32) -> Vec<Word> {
        let mut out = Vec::new();
        // Break at white space but no-break spaces, which keep "16 kHz" together.
        for w in text.split(separates).filter(|w| !w.is_empty()) {
            let hash = is_hash_like(w);
            let wf = match (hash, font) {
                (true, _) => FontKind::Mono,
                // Mono has no Arabic, Bold a little less than Sans: such words are set in Sans.
                (false, f) if self.covers(f, w) => f,
                _ => FontKind::Sans,
            };
            let ww = self.width(wf, size, w);
            if ww <= max_width {
                out.push(Word {
                    text: w.to_owned(),
                    font: wf,
                    size,
                    width: ww,
                    actual_text: None,
                });
                continue;
            }
            // Too wide: set it smaller (a digest further than other words) ...
            let fitted = size * max_width / ww * 0.999;
            let floor = if hash {
                MIN_HASH_SIZE
            } else {
                size * MIN_WORD_SHRINK
            };
            if fitted >= floor {
                out.push(Word {
                    text: w.to_owned(),
                    font: wf,
                    size: fitted,
                    width: self.width(wf, fitted, w),
                    actual_text: None,
                });
                continue;
            }
            // ... or, as a last resort, break it between characters at the smallest size. The
            // first piece carries the whole word as ActualText and the others an empty one.
            let mut pieces: Vec<String> = Vec::new();
            let mut cur = String::new();
            for c in w.chars() {
                let mut next = cur.clone();
                next.push(c);
                if !cur.is_empty() && self.width(wf, floor, &next) > max_width {
                    pieces.push(std::mem::take(&mut cur));
                    cur.push(c);
                } else {
                    cur = next;
                }
            }
            pieces.push(cur);
            for (i, p) in pieces.into_iter().enumerate() {
                let width = self.width(wf, floor, &p);
                let actual = Some(if i == 0 { w.to_owned() } else { String::new() });
                // Each piece takes a line of its own.
                out.push(Word {
                    text: p,
                    font: wf,
                    size: floor,
                    width: width.max(max_width),
                    actual_text: actual,
                });
            }
        }
        out
    }

    /// Turns the words of one line (logical order) into shaped runs in visual order.
    fn finish_line(&self, words: Vec<Word>, font: FontKind, size: f32, rtl_par: bool) -> Line {
        // An empty line takes the paragraph face's height; otherwise the line is as tall as its
        // words.
        let (mut ascent, mut descent) = if words.is_empty() {
            let f = self.face(font);
            (f.ascent * size, -f.descent * size)
        } else {
            (0.0f32, 0.0f32)
        };
        for w in &words {
            let f = self.face(w.font);
            ascent = ascent.max(f.ascent * w.size);
            descent = descent.max(-f.descent * w.size);
        }
        let segments = segments(words, font);
        let line_text: String = segments.iter().map(|s| s.text.as_str()).collect();
        let mut runs = Vec::new();
        if has_rtl(&line_text) {
            // Bidi reordering over the whole line, then shaping per segment.
            let base = if rtl_par { Level::rtl() } else { Level::ltr() };
            let info = BidiInfo::new(&line_text, Some(base));
            let mut ranges = Vec::new();
            let mut pos = 0;
            for s in &segments {
                ranges.push(pos..pos + s.text.len());
                pos += s.text.len();
            }
            for para in &info.paragraphs {
                let (levels, visual) = info.visual_runs(para, para.range.clone());
                for vr in visual {
                    let rtl = levels.get(vr.start).is_some_and(|l| l.is_rtl());
                    let mut pieces: Vec<Run> = Vec::new();
                    for (s, sr) in segments.iter().zip(&ranges) {
                        let r = intersect(sr, &vr);
                        if r.is_empty() {
                            continue;
                        }
                        if let Some(t) = line_text.get(r) {
                            pieces.push(self.run(s.font, s.size, t, rtl, s.actual_text.clone()));
                        }
                    }
                    if rtl {
                        pieces.reverse();
                    }
                    runs.extend(pieces);
                }
            }
        } else {
            for s in segments {
                runs.push(self.run(s.font, s.size, &s.text, false, s.actual_text));
            }
        }
        let width = runs.iter().map(|r| r.width).sum();
        Line {
            runs,
            width,
            ascent,
            descent,
            rtl: rtl_par,
        }
    }
}

/// Groups a line's words into segments of one face and size. Spaces are real glyphs (so text
/// extraction keeps them), set in the paragraph's face: after a word in another face (a digest in
/// mono) the space moves to the start of the next segment.
fn segments(words: Vec<Word>, font: FontKind) -> Vec<Segment> {
    let mut segments: Vec<Segment> = Vec::new();
    let n = words.len();
    let mut pending_space = false;
    for (i, w) in words.into_iter().enumerate() {
        let space_after = i + 1 < n && w.actual_text.is_none();
        let lead = if pending_space { " " } else { "" };
        match segments.last_mut() {
            Some(last)
                if last.font == w.font
                    && last.size == w.size
                    && last.actual_text.is_none()
                    && w.actual_text.is_none() =>
            {
                last.text.push_str(lead);
                last.text.push_str(&w.text);
            }
            last => {
                let joins = pending_space
                    && last
                        .as_ref()
                        .is_some_and(|l| l.font == font && l.actual_text.is_none());
                let text = match last {
                    Some(l) if joins => {
                        l.text.push(' ');
                        w.text
                    }
                    _ => format!("{lead}{}", w.text),
                };
                segments.push(Segment {
                    font: w.font,
                    size: w.size,
                    text,
                    actual_text: w.actual_text,
                });
            }
        }
        pending_space = false;
        if space_after {
            match segments.last_mut() {
                Some(last) if last.font == font => last.text.push(' '),
                _ => pending_space = true,
            }
        }
    }
    segments
}

fn cluster_end(infos: &[rustybuzz::GlyphInfo], i: usize, rtl: bool) -> Option<usize> {
    let cluster = infos.get(i)?.cluster;
    let other = |g: &&rustybuzz::GlyphInfo| g.cluster != cluster;
    if rtl {
        infos[..i]
            .iter()
            .rev()
            .find(other)
            .map(|g| g.cluster as usize)
    } else {
        infos[i + 1..]
            .iter()
            .find(other)
            .map(|g| g.cluster as usize)
    }
}

/// True for words that are, apart from surrounding punctuation, 16 or more hex digits.
pub(super) fn is_hash_like(word: &str) -> bool {
    let core = word.trim_matches(|c: char| "()[].,;:\"'".contains(c));
    core.len() >= 16 && core.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether `text` holds right-to-left letters (Hebrew, Arabic and their presentation forms).
pub(super) fn has_rtl(text: &str) -> bool {
    text.chars()
        .any(|c| matches!(c as u32, 0x0590..=0x08FF | 0xFB1D..=0xFDFF | 0xFE70..=0xFEFF))
}

/// Whether the first letter of `text` is a right-to-left one (the paragraph's direction).
pub(super) fn first_strong_is_rtl(text: &str) -> bool {
    text.chars()
        .find(|c| c.is_alphabetic())
        .is_some_and(|c| has_rtl(c.encode_utf8(&mut [0; 4])))
}

fn intersect(a: &Range<usize>, b: &Range<usize>) -> Range<usize> {
    let start = a.start.max(b.start);
    start..a.end.min(b.end).max(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PT_PER_MM: f32 = 72.0 / 25.4;

    #[test]
    fn digests_shrink_rather_than_break() {
        let fonts = Fonts::load().unwrap();
        let hash = "0123456789abcdef".repeat(4);
        // 64 mono digits at the 5 pt floor need 68 mm; at 10 pt, 136 mm.
        for width_mm in [70.0f32, 100.0, 170.0] {
            let max = width_mm * PT_PER_MM;
            let lines = fonts.layout(&format!("x {hash} y"), FontKind::Sans, 10.0, max);
            let runs: Vec<&Run> = lines.iter().flat_map(|l| &l.runs).collect();
            assert!(
                runs.iter()
                    .any(|r| r.font == FontKind::Mono && r.text.trim() == hash),
                "width {width_mm} mm"
            );
            assert!(lines.iter().all(|l| l.width <= max + 0.01));
        }
    }

    #[test]
    fn a_word_too_wide_even_when_shrunk_is_broken_with_actual_text() {
        let fonts = Fonts::load().unwrap();
        let hash = "f".repeat(64);
        let lines = fonts.layout(&hash, FontKind::Sans, 10.0, 20.0 * PT_PER_MM);
        assert!(lines.len() > 1);
        let texts: Vec<Option<String>> = lines
            .iter()
            .flat_map(|l| &l.runs)
            .map(|r| r.actual_text.clone())
            .collect();
        assert_eq!(texts.first(), Some(&Some(hash.clone())));
        assert!(texts.iter().skip(1).all(|t| t.as_deref() == Some("")));
    }

    #[test]
    fn lines_wrap_at_spaces_and_keep_them() {
        let fonts = Fonts::load().unwrap();
        let text = "the quick brown fox jumps over the lazy dog ".repeat(6);
        let max = 60.0 * PT_PER_MM;
        let lines = fonts.layout(text.trim(), FontKind::Sans, 10.0, max);
        assert!(lines.len() > 2);
        assert!(lines.iter().all(|l| l.width <= max + 0.01));
        let joined: Vec<String> = lines
            .iter()
            .map(|l| l.runs.iter().map(|r| r.text.as_str()).collect::<String>())
            .collect();
        assert_eq!(joined.join(" "), text.trim());
        // Right to left: the paragraph direction follows its first letter.
        assert!(first_strong_is_rtl("شاهد: تسجيل 12"));
        assert!(!first_strong_is_rtl("12 witness شاهد"));
        let rtl = fonts.layout("شاهد: تسجيل صوتي", FontKind::Sans, 10.0, max);
        assert!(rtl[0].rtl && !rtl[0].runs.is_empty());
    }

    #[test]
    fn characters_no_face_has_are_named_not_dropped() {
        let fonts = Fonts::load().unwrap();
        let lines = fonts.layout("案件 Ω Ж", FontKind::Mono, 10.0, 500.0);
        let text: String = lines[0].runs.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(text, "<U+6848><U+4EF6> Ω Ж");
        let glyphs = lines[0].runs.iter().flat_map(|r| &r.glyphs);
        assert!(glyphs.clone().count() > 10);
        assert!(glyphs.into_iter().all(|g| g.glyph_id != GlyphId::new(0)));
    }
}
