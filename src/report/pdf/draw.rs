//! Drawing operations in page coordinates (points, origin at the top left, y down), turned into
//! krilla calls when the page is written; and the [`Canvas`] a figure draws on, in millimetres.

use std::sync::Arc;

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Size, Transform};
use krilla::image::{BitsPerComponent, CustomImage, Image, ImageColorspace};
use krilla::num::NormalizedF32;
use krilla::paint::{Fill, LineCap, LineJoin, Stroke};
use krilla::surface::Surface;
use krilla::tagging::{ContentTag, SpanTag};

use super::PdfError;
use super::text::{FontKind, Fonts, Line, Run, first_strong_is_rtl, has_rtl};

/// PDF points per millimetre.
pub(super) const PT_PER_MM: f32 = 72.0 / 25.4;

/// An sRGB colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    pub(super) const BLACK: Rgb = Rgb(17, 17, 17);
    /// Rules, captions, the running header and footer.
    pub(super) const GREY: Rgb = Rgb(90, 90, 90);
    /// Table header backgrounds.
    pub(super) const LIGHT: Rgb = Rgb(232, 232, 232);
    /// Every other group of table rows, and commands.
    pub(super) const ZEBRA: Rgb = Rgb(245, 245, 245);

    fn to_krilla(self) -> rgb::Color {
        rgb::Color::new(self.0, self.1, self.2)
    }
}

/// Horizontal alignment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(super) enum Align {
    /// Flush left (flush right in a right-to-left paragraph).
    #[default]
    Start,
    /// Centred.
    Center,
    /// Flush right.
    End,
}

/// One drawing operation.
#[derive(Clone)]
pub(super) enum Op {
    Text {
        x: f32,
        baseline: f32,
        run: Run,
        color: Rgb,
        /// Rotated a quarter turn anticlockwise about (x, baseline).
        rotate: bool,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        /// 0 draws a horizontal line.
        h: f32,
        fill: Option<Rgb>,
        stroke: Option<(Rgb, f32)>,
    },
    Polyline {
        points: Vec<(f32, f32)>,
        stroke: Option<(Rgb, f32)>,
        /// Closes and fills the polygon.
        fill: Option<Rgb>,
    },
    Image {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        image: Image,
    },
}

impl Op {
    /// Moves the operation down by `dy` points.
    pub(super) fn shift(&mut self, dy: f32) {
        match self {
            Op::Text { baseline, .. } => *baseline += dy,
            Op::Rect { y, .. } | Op::Image { y, .. } => *y += dy,
            Op::Polyline { points, .. } => points.iter_mut().for_each(|p| p.1 += dy),
        }
    }
}

/// An 8-bit RGB raster handed to krilla as it is.
#[derive(Clone, Hash)]
struct RgbPixels {
    width: u32,
    height: u32,
    pixels: Arc<Vec<u8>>,
}

impl CustomImage for RgbPixels {
    fn color_channel(&self) -> &[u8] {
        &self.pixels
    }
    fn alpha_channel(&self) -> Option<&[u8]> {
        None
    }
    fn bits_per_component(&self) -> BitsPerComponent {
        BitsPerComponent::Eight
    }
    fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }
    fn icc_profile(&self) -> Option<&[u8]> {
        None
    }
    fn color_space(&self) -> ImageColorspace {
        ImageColorspace::Rgb
    }
}

/// An RGB raster as a PDF image (never interpolated: PDF/A forbids the flag).
pub(super) fn rgb_image(width: u32, height: u32, pixels: Vec<u8>) -> Result<Image, PdfError> {
    let expected = (width as usize)
        .checked_mul(height as usize)
        .and_then(|n| n.checked_mul(3));
    if width == 0 || height == 0 || expected != Some(pixels.len()) {
        return Err(PdfError::Image(format!(
            "{width}x{height} pixels with {} bytes",
            pixels.len()
        )));
    }
    let pixels = Arc::new(pixels);
    Image::from_custom(
        RgbPixels {
            width,
            height,
            pixels,
        },
        false,
    )
    .map_err(PdfError::Image)
}

/// Where a line of `width` starts within `avail`.
pub(super) fn align_offset(align: Align, rtl: bool, avail: f32, width: f32) -> f32 {
    match (align, rtl) {
        (Align::Center, _) => (avail - width) / 2.0,
        (Align::Start, false) | (Align::End, true) => 0.0,
        (Align::Start, true) | (Align::End, false) => avail - width,
    }
}

/// The operations that draw `line` from `x` on `baseline`.
pub(super) fn line_ops(line: &Line, x: f32, baseline: f32, color: Rgb) -> Vec<Op> {
    let mut ops = Vec::with_capacity(line.runs.len());
    let mut x = x;
    for run in &line.runs {
        ops.push(Op::Text {
            x,
            baseline,
            run: run.clone(),
            color,
            rotate: false,
        });
        x += run.width;
    }
    ops
}

fn fill(color: Rgb) -> Fill {
    Fill {
        paint: color.to_krilla().into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}

fn stroke(color: Rgb, width: f32) -> Stroke {
    Stroke {
        paint: color.to_krilla().into(),
        width,
        line_cap: LineCap::Butt,
        line_join: LineJoin::Round,
        ..Default::default()
    }
}

/// Draws one operation on a page.
pub(super) fn draw(surface: &mut Surface<'_>, fonts: &Fonts, op: &Op) {
    match op {
        Op::Text {
            x,
            baseline,
            run,
            color,
            rotate,
        } => {
            if run.glyphs.is_empty() {
                return;
            }
            if *rotate {
                surface.push_transform(&Transform::from_rotate_at(-90.0, *x, *baseline));
            }
            surface.set_stroke(None);
            surface.set_fill(Some(fill(*color)));
            if let Some(actual) = &run.actual_text {
                let mut tag = SpanTag::empty();
                tag.actual_text = Some(actual.as_str());
                surface.start_tagged(ContentTag::Span(tag));
            }
            surface.draw_glyphs(
                Point::from_xy(*x, *baseline),
                &run.glyphs,
                fonts.face(run.font).pdf.clone(),
                &run.text,
                run.size,
                false,
            );
            if run.actual_text.is_some() {
                surface.end_tagged();
            }
            if *rotate {
                surface.pop();
            }
        }
        Op::Rect {
            x,
            y,
            w,
            h,
            fill: f,
            stroke: s,
        } => {
            let mut pb = PathBuilder::new();
            pb.move_to(*x, *y);
            pb.line_to(x + w, *y);
            if *h > 0.0 {
                pb.line_to(x + w, y + h);
                pb.line_to(*x, y + h);
                pb.close();
            }
            if let Some(path) = pb.finish() {
                surface.set_fill(f.map(fill));
                surface.set_stroke(s.map(|(c, w)| stroke(c, w)));
                surface.draw_path(&path);
            }
        }
        Op::Polyline {
            points,
            stroke: s,
            fill: f,
        } => {
            let mut pb = PathBuilder::new();
            for (i, (px, py)) in points.iter().enumerate() {
                if i == 0 {
                    pb.move_to(*px, *py);
                } else {
                    pb.line_to(*px, *py);
                }
            }
            if f.is_some() {
                pb.close();
            }
            if let Some(path) = pb.finish() {
                surface.set_fill(f.map(fill));
                surface.set_stroke(s.map(|(c, w)| stroke(c, w)));
                surface.draw_path(&path);
            }
        }
        Op::Image { x, y, w, h, image } => {
            if let Some(size) = Size::from_wh(*w, *h) {
                surface.push_transform(&Transform::from_translate(*x, *y));
                surface.draw_image(image.clone(), size);
                surface.pop();
            }
        }
    }
}

/// A drawing area: coordinates are millimetres from its top-left corner, y down; line widths
/// and text sizes are in points.
pub(super) struct Canvas<'a> {
    pub(super) fonts: &'a Fonts,
    pub(super) x0: f32,
    pub(super) y0: f32,
    pub(super) width: f32,
    pub(super) height: f32,
    pub(super) ops: Vec<Op>,
}

impl Canvas<'_> {
    /// Width in millimetres.
    pub(super) fn width_mm(&self) -> f32 {
        self.width / PT_PER_MM
    }

    /// Height in millimetres.
    pub(super) fn height_mm(&self) -> f32 {
        self.height / PT_PER_MM
    }

    /// Millimetres in the canvas to page points; a non-finite value maps to the origin (callers
    /// skip such shapes), so a NaN never reaches the PDF.
    fn pt(&self, x: f32, y: f32) -> (f32, f32) {
        let f = |v: f32| if v.is_finite() { v } else { 0.0 };
        (self.x0 + f(x) * PT_PER_MM, self.y0 + f(y) * PT_PER_MM)
    }

    fn pts(&self, points: &[(f32, f32)]) -> Vec<(f32, f32)> {
        points
            .iter()
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .map(|(x, y)| self.pt(*x, *y))
            .collect()
    }

    /// Strokes a straight line.
    pub(super) fn line(&mut self, from: (f32, f32), to: (f32, f32), color: Rgb, width_pt: f32) {
        let points = self.pts(&[from, to]);
        if points.len() == 2 {
            self.ops.push(Op::Polyline {
                points,
                stroke: Some((color, width_pt)),
                fill: None,
            });
        }
    }

    /// Fills the closed polygon through `points`, and outlines it with a hairline of the same
    /// colour so that a flat one still shows.
    pub(super) fn polygon(&mut self, points: &[(f32, f32)], color: Rgb, outline_pt: f32) {
        let points = self.pts(points);
        if points.len() >= 2 {
            self.ops.push(Op::Polyline {
                points,
                stroke: Some((color, outline_pt)),
                fill: Some(color),
            });
        }
    }

    /// Fills and/or strokes a rectangle.
    pub(super) fn rect(
        &mut self,
        (x, y, w, h): (f32, f32, f32, f32),
        fill: Option<Rgb>,
        stroke: Option<(Rgb, f32)>,
    ) {
        if [x, y, w, h].iter().all(|v| v.is_finite()) && w > 0.0 && h > 0.0 {
            let (px, py) = self.pt(x, y);
            self.ops.push(Op::Rect {
                x: px,
                y: py,
                w: w * PT_PER_MM,
                h: h * PT_PER_MM,
                fill,
                stroke,
            });
        }
    }

    /// One line of text with its baseline at `y`, aligned on `x`; rotated a quarter turn
    /// anticlockwise (reading upwards, centred on `y`) when `vertical`.
    pub(super) fn text(&mut self, (x, y): (f32, f32), size_pt: f32, text: &str, align: Align) {
        self.text_in(x, y, size_pt, text, align, false);
    }

    /// One line of text reading upwards, centred on `y`, its baseline at `x`.
    pub(super) fn text_vertical(&mut self, (x, y): (f32, f32), size_pt: f32, text: &str) {
        self.text_in(x, y, size_pt, text, Align::Center, true);
    }

    fn text_in(&mut self, x: f32, y: f32, size: f32, text: &str, align: Align, vertical: bool) {
        if !(x.is_finite() && y.is_finite() && size.is_finite() && size > 0.0) {
            return;
        }
        let rtl = has_rtl(text) && first_strong_is_rtl(text);
        let run = self.fonts.run(FontKind::Sans, size, text, rtl, None);
        let (px, py) = self.pt(x, y);
        let dx = match align {
            Align::Start => 0.0,
            Align::Center => -run.width / 2.0,
            Align::End => -run.width,
        };
        let (x, baseline) = if vertical {
            (px, py + run.width / 2.0)
        } else {
            (px + dx, py)
        };
        self.ops.push(Op::Text {
            x,
            baseline,
            run,
            color: Rgb::GREY,
            rotate: vertical,
        });
    }

    /// Places an 8-bit RGB raster (rows top to bottom) into the rectangle `x, y, w, h` (mm).
    pub(super) fn image_rgb(
        &mut self,
        (x, y, w, h): (f32, f32, f32, f32),
        (width, height, pixels): (u32, u32, Vec<u8>),
    ) -> Result<(), PdfError> {
        if !([x, y, w, h].iter().all(|v| v.is_finite()) && w > 0.0 && h > 0.0) {
            return Err(PdfError::Geometry(format!(
                "image at {x},{y} of {w}x{h} mm"
            )));
        }
        let image = rgb_image(width, height, pixels)?;
        let (px, py) = self.pt(x, y);
        self.ops.push(Op::Image {
            x: px,
            y: py,
            w: w * PT_PER_MM,
            h: h * PT_PER_MM,
            image,
        });
        Ok(())
    }
}
