//! The pictures' geometry, shared by the HTML and the PDF report: the spectrogram as an RGB raster
//! with its colour scale, the waveform's columns, and the ticks of the time and frequency axes.

use crate::probe::analysis::{FLOOR_DB, Pictures};

/// Colour scale control points, dark to bright (perceptually ordered, readable in grey print).
const SCALE: [[u8; 3]; 9] = [
    [0, 0, 4],
    [28, 16, 68],
    [79, 18, 123],
    [129, 37, 129],
    [181, 54, 122],
    [229, 80, 100],
    [251, 135, 97],
    [254, 194, 135],
    [252, 253, 191],
];

/// The colour of a spectrogram level (0..=255).
pub fn colour(level: u8) -> [u8; 3] {
    let x = f32::from(level) / 255.0 * (SCALE.len() - 1) as f32;
    let i = (x.floor() as usize).min(SCALE.len() - 2);
    let t = x - i as f32;
    let (a, b) = (SCALE[i], SCALE[i + 1]);
    let mix = |k: usize| (f32::from(a[k]) + (f32::from(b[k]) - f32::from(a[k])) * t).round() as u8;
    [mix(0), mix(1), mix(2)]
}

/// Colour steps in the pictures: about 3 dB each, hardly told apart from a continuous scale on
/// paper, and the repeated colours let a noisy spectrogram compress to about half (PDF and PNG).
pub const STEPS: u32 = 32;

/// `level` (0..=255) moved to its step: the lowest and highest levels stay where they are.
pub fn stepped(level: u8) -> u8 {
    let step = u32::from(level) * STEPS / 256;
    (step * 255 / (STEPS - 1)) as u8
}

/// The spectrogram as an RGB raster: one pixel per column and row, low frequencies at the bottom,
/// in [`STEPS`] colours.
pub fn spectrogram_rgb(p: &Pictures) -> (u32, u32, Vec<u8>) {
    let (w, h) = (p.columns(), p.rows as usize);
    let mut pixels = vec![0u8; w * h * 3];
    for col in 0..w {
        for row in 0..h {
            let y = h - 1 - row;
            let at = (y * w + col) * 3;
            pixels[at..at + 3].copy_from_slice(&colour(stepped(p.level(col, row))));
        }
    }
    (w as u32, h as u32, pixels)
}

/// The colour scale as a raster one pixel wide, loud at the top, quiet at the bottom, in the
/// spectrogram's steps.
pub fn legend_rgb() -> (u32, u32, Vec<u8>) {
    let pixels = (0..=255u8).rev().flat_map(|l| colour(stepped(l))).collect();
    (1, 256, pixels)
}

/// The colour scale's labels: (position 0..1, dBFS).
pub fn legend_ticks() -> Vec<(f32, String)> {
    let steps = 5;
    (0..=steps)
        .map(|i| {
            let frac = i as f32 / steps as f32;
            let db = FLOOR_DB * (1.0 - frac);
            (frac, format!("{db:.0}"))
        })
        .collect()
}

/// `seconds` as `m:ss` (or `h:mm:ss` from an hour on).
pub fn mmss(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// Ticks for a time axis of `duration` seconds: (position 0..1, label), at most about `max`.
pub fn time_ticks(duration: f64, max: usize) -> Vec<(f32, String)> {
    if duration <= 0.0 {
        return vec![(0.0, mmss(0.0))];
    }
    let steps = [
        1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0,
    ];
    let step = steps
        .iter()
        .copied()
        .find(|s| duration / s <= max as f64)
        .unwrap_or(duration / max as f64);
    let mut ticks = Vec::new();
    let mut t = 0.0;
    while t <= duration + 1e-9 {
        ticks.push(((t / duration) as f32, mmss(t)));
        t += step;
    }
    ticks
}

/// Ticks for a frequency axis up to `nyquist` Hz: (position 0..1 from the bottom, label in kHz).
pub fn frequency_ticks(nyquist: f64) -> Vec<(f32, String)> {
    let steps = [250.0, 500.0, 1000.0, 2000.0, 4000.0, 5000.0, 10000.0];
    let step = steps
        .iter()
        .copied()
        .find(|s| nyquist / s <= 6.0)
        .unwrap_or(10000.0);
    let mut ticks = Vec::new();
    let mut f = 0.0;
    while f <= nyquist + 1e-9 {
        let label = if step < 1000.0 {
            format!("{:.2}", f / 1000.0)
                .trim_end_matches('0')
                .trim_end_matches('.')
                .to_string()
        } else {
            format!("{:.0}", f / 1000.0)
        };
        ticks.push(((f / nyquist) as f32, label));
        f += step;
    }
    ticks
}

/// The recording's length in seconds, as the pictures saw it.
pub fn duration(p: &Pictures) -> f64 {
    p.frames as f64 / f64::from(p.sample_rate.max(1))
}

/// Encodes an RGB raster as PNG.
pub fn png(width: u32, height: u32, pixels: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Balanced);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer.write_image_data(pixels).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_and_scale() {
        assert_eq!(mmss(65.4), "1:05");
        assert_eq!(mmss(3725.0), "1:02:05");
        let t = time_ticks(3.5, 8);
        assert_eq!(t.first().map(|x| x.1.as_str()), Some("0:00"));
        assert!(t.len() >= 3 && t.len() <= 9);
        let hour = time_ticks(3600.0, 8);
        assert_eq!(hour[1].1, "10:00");
        let f = frequency_ticks(4000.0);
        assert_eq!(f.last().map(|x| x.1.as_str()), Some("4"));
        assert_eq!(colour(0), SCALE[0]);
        assert_eq!(colour(255), SCALE[8]);
        assert_eq!(
            (stepped(0), stepped(7), stepped(8), stepped(255)),
            (0, 0, 8, 255)
        );
        let steps: std::collections::BTreeSet<u8> = (0..=255).map(stepped).collect();
        assert_eq!(steps.len(), STEPS as usize);
        let (w, h, px) = legend_rgb();
        assert_eq!((w, h, px.len()), (1, 256, 768));
        assert_eq!(px[..3], SCALE[8]);
        let png = png(w, h, &px).unwrap();
        assert!(png.starts_with(b"\x89PNG"));
    }
}
