//! A recording's two pictures in the PDF, the same as in the HTML report: the waveform as a vector
//! envelope, and the spectrogram as an RGB raster ([`figures::spectrogram_rgb`]) with its colour
//! scale ([`figures::legend_rgb`]); axes in minutes:seconds and kHz.

use super::PdfError;
use super::draw::{Align, Canvas, Rgb};
use crate::probe::analysis::Pictures;
use crate::report::figures;
use crate::report::strings::Lang;

/// The waveform figure's height, in millimetres.
pub(super) const WAVEFORM_MM: f32 = 44.0;
/// The spectrogram figure's height, in millimetres.
pub(super) const SPECTROGRAM_MM: f32 = 60.0;

const AXIS: Rgb = Rgb(68, 68, 68);
const GRID: Rgb = Rgb(190, 190, 190);
const FULL_SCALE: Rgb = Rgb(204, 0, 0);
const TRACE: Rgb = Rgb(31, 78, 121);
const LABEL_PT: f32 = 6.5;
/// Space left of the plot for the value labels and the axis title (mm).
const LEFT: f32 = 13.0;

/// A plot area inside a canvas, in millimetres.
#[derive(Clone, Copy)]
struct Plot {
    x: f32,
    y: f32,
    w: f32,
    h: f32,
}

impl Plot {
    fn rect(&self) -> (f32, f32, f32, f32) {
        (self.x, self.y, self.w, self.h)
    }
}

fn finite(v: f32) -> f32 {
    if v.is_finite() {
        v.clamp(-1.0, 1.0)
    } else {
        0.0
    }
}

/// Tick marks and labels under the plot, and the axis title.
fn time_axis(c: &mut Canvas<'_>, p: Plot, duration: f64, max_ticks: usize, lang: &Lang) {
    let bottom = p.y + p.h;
    for (frac, label) in figures::time_ticks(duration, max_ticks) {
        let x = p.x + frac * p.w;
        c.line((x, bottom), (x, bottom + 1.2), AXIS, 0.4);
        c.text((x, bottom + 4.0), LABEL_PT, &label, Align::Center);
    }
    c.text(
        (p.x + p.w / 2.0, bottom + 8.0),
        LABEL_PT,
        lang.t("time_axis"),
        Align::Center,
    );
}

/// The waveform: the lowest and highest sample of each column as one filled envelope, with the
/// full-scale lines in red.
pub(super) fn waveform(c: &mut Canvas<'_>, pictures: &Pictures, lang: &Lang) {
    let p = Plot {
        x: LEFT,
        y: 2.0,
        w: c.width_mm() - LEFT - 4.0,
        h: c.height_mm() - 12.0,
    };
    c.rect(p.rect(), Some(Rgb(250, 250, 250)), Some((GRID, 0.4)));
    let y_of = |v: f32| p.y + p.h * (1.0 - finite(v)) / 2.0;
    c.line((p.x, y_of(0.0)), (p.x + p.w, y_of(0.0)), GRID, 0.4);
    for v in [1.0, -1.0] {
        c.line((p.x, y_of(v)), (p.x + p.w, y_of(v)), FULL_SCALE, 0.5);
    }
    for (v, label) in [(1.0, "+1"), (0.0, "0"), (-1.0, "−1")] {
        c.text((p.x - 1.5, y_of(v) + 0.8), LABEL_PT, label, Align::End);
    }
    let n = pictures.waveform.len();
    if n > 0 {
        let dx = p.w / n as f32;
        let x_of = |i: usize| p.x + (i as f32 + 0.5) * dx;
        let mut points: Vec<(f32, f32)> = pictures
            .waveform
            .iter()
            .enumerate()
            .map(|(i, [_, hi])| (x_of(i), y_of(*hi)))
            .collect();
        points.extend(
            pictures
                .waveform
                .iter()
                .enumerate()
                .rev()
                .map(|(i, [lo, _])| (x_of(i), y_of(*lo))),
        );
        c.polygon(&points, TRACE, 0.3);
    }
    time_axis(c, p, figures::duration(pictures), 8, lang);
}

/// The spectrogram: frequency up, time across, level in colour, with the colour scale at the
/// right.
pub(super) fn spectrogram(
    c: &mut Canvas<'_>,
    pictures: &Pictures,
    lang: &Lang,
) -> Result<(), PdfError> {
    let p = Plot {
        x: LEFT,
        y: 2.0,
        w: c.width_mm() - LEFT - 24.0,
        h: c.height_mm() - 12.0,
    };
    let (w, h, pixels) = figures::spectrogram_rgb(pictures);
    if w > 0 && h > 0 {
        c.image_rgb(p.rect(), (w, h, pixels))?;
    }
    c.rect(p.rect(), None, Some((AXIS, 0.4)));
    for (frac, label) in figures::frequency_ticks(f64::from(pictures.sample_rate) / 2.0) {
        let y = p.y + p.h - frac * p.h;
        c.line((p.x - 1.2, y), (p.x, y), AXIS, 0.4);
        c.text((p.x - 1.8, y + 0.8), LABEL_PT, &label, Align::End);
    }
    c.text_vertical((3.0, p.y + p.h / 2.0), LABEL_PT, lang.t("frequency_axis"));
    time_axis(c, p, figures::duration(pictures), 7, lang);
    // The colour scale, quiet at the bottom, with its dBFS labels.
    let legend = Plot {
        x: p.x + p.w + 5.0,
        y: p.y,
        w: 3.5,
        h: p.h,
    };
    c.image_rgb(legend.rect(), figures::legend_rgb())?;
    c.rect(legend.rect(), None, Some((AXIS, 0.4)));
    for (frac, label) in figures::legend_ticks() {
        let y = legend.y + legend.h - frac * legend.h;
        c.line(
            (legend.x + legend.w, y),
            (legend.x + legend.w + 1.0, y),
            AXIS,
            0.4,
        );
        c.text(
            (legend.x + legend.w + 1.6, y + 0.8),
            LABEL_PT,
            &label,
            Align::Start,
        );
    }
    c.text(
        (legend.x + legend.w / 2.0 + 3.0, legend.y + legend.h + 4.0),
        LABEL_PT,
        lang.t("level_axis"),
        Align::Center,
    );
    Ok(())
}
