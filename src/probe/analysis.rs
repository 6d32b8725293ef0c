//! The sound made visible: a waveform and a spectrogram of a recording, computed from its decoded
//! samples as they stream past, in memory that does not grow with the recording's length (the
//! columns merge in pairs whenever there are too many), and the share of clipped samples.

use std::sync::Arc;

use realfft::{RealFftPlanner, RealToComplex};
use serde::{Deserialize, Serialize};

/// About this many columns come out (between this and twice as many).
pub const COLUMNS: usize = 600;
/// Rows of the spectrogram, from 0 Hz to half the sample rate.
pub const MAX_ROWS: usize = 128;
/// The spectrogram's floor: quieter bins are drawn at the bottom of the colour scale.
pub const FLOOR_DB: f32 = -100.0;

/// A recording's pictures, as data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pictures {
    /// Samples per second.
    pub sample_rate: u32,
    /// Channels mixed into the pictures.
    pub channels: u32,
    /// Frames analysed.
    pub frames: u64,
    /// Frames per column.
    pub frames_per_column: u64,
    /// The lowest and highest sample of the mixed-down signal in each column (full scale ±1).
    pub waveform: Vec<[f32; 2]>,
    /// Rows per spectrogram column.
    pub rows: u32,
    /// Each column's mean power per row, in dB relative to full scale, quantised: 0 is
    /// [`FLOOR_DB`] or quieter, 255 is 0 dBFS. `rows` values per column, lowest frequency first.
    pub spectrogram: Vec<u8>,
    /// Samples (of all channels) in runs of two or more at full scale.
    pub clipped_samples: u64,
    /// Samples (of all channels) analysed.
    pub samples: u64,
}

impl Pictures {
    /// The share of clipped samples, 0 to 1.
    pub fn clipped_share(&self) -> f64 {
        if self.samples == 0 {
            0.0
        } else {
            self.clipped_samples as f64 / self.samples as f64
        }
    }

    /// The frequency in Hz at the middle of spectrogram row `row`.
    pub fn row_hz(&self, row: usize) -> f64 {
        (row as f64 + 0.5) * f64::from(self.sample_rate) / 2.0 / f64::from(self.rows.max(1))
    }

    /// The spectrogram value (0..=255) of `column`, `row`.
    pub fn level(&self, column: usize, row: usize) -> u8 {
        let rows = self.rows as usize;
        self.spectrogram
            .get(column * rows + row)
            .copied()
            .unwrap_or(0)
    }

    /// Columns in the pictures.
    pub fn columns(&self) -> usize {
        self.waveform.len()
    }
}

#[derive(Clone)]
struct Column {
    min: f32,
    max: f32,
    power: Vec<f32>,
    windows: u32,
}

impl Column {
    fn new(rows: usize) -> Self {
        Column {
            min: f32::INFINITY,
            max: f32::NEG_INFINITY,
            power: vec![0.0; rows],
            windows: 0,
        }
    }

    fn merge(&mut self, other: &Column) {
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        for (a, b) in self.power.iter_mut().zip(&other.power) {
            *a += *b;
        }
        self.windows += other.windows;
    }
}

/// Builds [`Pictures`] from interleaved samples pushed in order.
pub struct Analyzer {
    sample_rate: u32,
    channels: usize,
    rows: usize,
    fft: Arc<dyn RealToComplex<f32>>,
    window: Vec<f32>,
    norm: f32,
    buffer: Vec<f32>,
    scratch_in: Vec<f32>,
    scratch_out: Vec<realfft::num_complex::Complex<f32>>,
    columns: Vec<Column>,
    current: Column,
    in_current: u64,
    frames_per_column: u64,
    frames: u64,
    clip_threshold: f32,
    runs: Vec<u64>,
    clipped: u64,
    samples: u64,
}

/// The FFT length for a sample rate: about 25 ms, a power of two, 256 to 4096.
fn fft_len(sample_rate: u32) -> usize {
    ((sample_rate / 40).max(1) as usize)
        .next_power_of_two()
        .clamp(256, 4096)
}

impl Analyzer {
    /// An analyzer for `channels` channels at `sample_rate`. `int_depth` is the bit depth of
    /// integer samples (their full scale is one step below 1.0), `None` for floating point.
    /// `expected_frames` (the declared length) sets the first column width; without it, columns
    /// start narrow and merge as the recording goes on.
    pub fn new(
        sample_rate: u32,
        channels: u32,
        int_depth: Option<u32>,
        expected_frames: Option<u64>,
    ) -> Self {
        let n = fft_len(sample_rate);
        let rows = (n / 2).min(MAX_ROWS);
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(n);
        let window: Vec<f32> = (0..n)
            .map(|i| {
                let x = std::f32::consts::PI * 2.0 * i as f32 / n as f32;
                0.5 - 0.5 * x.cos()
            })
            .collect();
        // A full-scale sine's bin magnitude is (sum of the window) / 2.
        let norm = (window.iter().sum::<f32>() / 2.0).powi(2);
        let clip_threshold = match int_depth {
            Some(d) if (2..=32).contains(&d) => {
                let full = (1u64 << (d - 1)) as f64;
                ((full - 1.0) / full) as f32 - 1e-7
            }
            _ => 0.999,
        };
        let scratch_in = fft.make_input_vec();
        let scratch_out = fft.make_output_vec();
        Analyzer {
            sample_rate,
            channels: channels.max(1) as usize,
            rows,
            fft,
            window,
            norm,
            buffer: Vec::with_capacity(n),
            scratch_in,
            scratch_out,
            columns: Vec::with_capacity(2 * COLUMNS),
            current: Column::new(rows),
            in_current: 0,
            frames_per_column: expected_frames
                .map(|f| (f / COLUMNS as u64).max(1))
                .unwrap_or(64),
            frames: 0,
            clip_threshold,
            runs: vec![0; channels.max(1) as usize],
            clipped: 0,
            samples: 0,
        }
    }

    /// Adds interleaved samples (full scale ±1). A trailing partial frame is ignored.
    pub fn push(&mut self, interleaved: &[f32]) {
        let ch = self.channels;
        for frame in interleaved.chunks_exact(ch) {
            let mut sum = 0.0;
            for (c, &s) in frame.iter().enumerate() {
                sum += s;
                if s.abs() >= self.clip_threshold {
                    self.runs[c] += 1;
                } else {
                    self.end_run(c);
                }
            }
            self.samples += ch as u64;
            let mono = sum / ch as f32;
            self.current.min = self.current.min.min(mono);
            self.current.max = self.current.max.max(mono);
            self.buffer.push(mono);
            if self.buffer.len() == self.window.len() {
                self.spectrum();
            }
            self.frames += 1;
            self.in_current += 1;
            if self.in_current == self.frames_per_column {
                self.close_column();
            }
        }
    }

    fn end_run(&mut self, channel: usize) {
        let run = std::mem::take(&mut self.runs[channel]);
        if run >= 2 {
            self.clipped += run;
        }
    }

    fn spectrum(&mut self) {
        for ((o, s), w) in self
            .scratch_in
            .iter_mut()
            .zip(&self.buffer)
            .zip(&self.window)
        {
            *o = s * w;
        }
        self.buffer.clear();
        if self
            .fft
            .process(&mut self.scratch_in, &mut self.scratch_out)
            .is_err()
        {
            return;
        }
        // Sum the FFT bins (all but the Nyquist bin) into `rows` equal bands.
        let bins = self.scratch_out.len() - 1;
        let per_row = (bins / self.rows).max(1);
        for (row, power) in self.current.power.iter_mut().enumerate() {
            let band = &self.scratch_out[row * per_row..((row + 1) * per_row).min(bins)];
            let p: f32 = band.iter().map(|c| c.norm_sqr()).sum();
            *power += p / self.norm;
        }
        self.current.windows += 1;
    }

    fn close_column(&mut self) {
        let done = std::mem::replace(&mut self.current, Column::new(self.rows));
        self.columns.push(done);
        self.in_current = 0;
        if self.columns.len() == 2 * COLUMNS {
            let merged: Vec<Column> = self
                .columns
                .chunks(2)
                .map(|pair| {
                    let mut c = pair[0].clone();
                    if let Some(b) = pair.get(1) {
                        c.merge(b);
                    }
                    c
                })
                .collect();
            self.columns = merged;
            self.frames_per_column *= 2;
        }
    }

    /// The pictures of everything pushed.
    pub fn finish(mut self) -> Pictures {
        for c in 0..self.channels {
            self.end_run(c);
        }
        if self.in_current > 0 {
            self.close_column();
        }
        let rows = self.rows;
        let mut spectrogram = Vec::with_capacity(self.columns.len() * rows);
        let mut last: Option<Vec<u8>> = None;
        for col in &self.columns {
            // A column too narrow for a whole FFT window shows the one before it.
            let levels = if col.windows == 0 {
                last.clone().unwrap_or_else(|| vec![0; rows])
            } else {
                col.power
                    .iter()
                    .map(|p| {
                        let db = 10.0 * (p / col.windows as f32).max(1e-20).log10();
                        (((db - FLOOR_DB) / -FLOOR_DB).clamp(0.0, 1.0) * 255.0).round() as u8
                    })
                    .collect()
            };
            spectrogram.extend_from_slice(&levels);
            last = Some(levels);
        }
        Pictures {
            sample_rate: self.sample_rate,
            channels: self.channels as u32,
            frames: self.frames,
            frames_per_column: self.frames_per_column,
            waveform: self
                .columns
                .iter()
                .map(|c| [c.min.max(-1.0), c.max.min(1.0)])
                .collect(),
            rows: rows as u32,
            spectrogram,
            clipped_samples: self.clipped,
            samples: self.samples,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(rate: u32, hz: f32, seconds: f32, amp: f32) -> Vec<f32> {
        (0..(rate as f32 * seconds) as usize)
            .map(|i| amp * (2.0 * std::f32::consts::PI * hz * i as f32 / rate as f32).sin())
            .collect()
    }

    #[test]
    fn a_1khz_sine_lights_the_1khz_row() {
        let rate = 8000;
        let mut a = Analyzer::new(rate, 1, Some(16), Some(3 * 8000));
        a.push(&sine(rate, 1000.0, 3.0, 0.5));
        let p = a.finish();
        assert!(p.columns() >= COLUMNS / 2 && p.columns() <= 2 * COLUMNS);
        let loudest = (0..p.rows as usize)
            .max_by_key(|&r| p.level(p.columns() / 2, r))
            .unwrap();
        let hz = p.row_hz(loudest);
        assert!((hz - 1000.0).abs() < 40.0, "the loudest row is at {hz} Hz");
        // A half-scale sine is about -6 dBFS at its row, far above the rest.
        let level = p.level(p.columns() / 2, loudest);
        assert!(level > 230, "{level}");
        assert!(p.level(p.columns() / 2, p.rows as usize - 2) < 100);
        assert_eq!(p.clipped_samples, 0);
        let [lo, hi] = p.waveform[p.columns() / 2];
        assert!((hi - 0.5).abs() < 0.01 && (lo + 0.5).abs() < 0.01);
    }

    #[test]
    fn silence_is_flat() {
        let mut a = Analyzer::new(16000, 2, Some(16), None);
        a.push(&vec![0.0; 16000 * 2 * 4]);
        let p = a.finish();
        assert!(p.waveform.iter().all(|[lo, hi]| *lo == 0.0 && *hi == 0.0));
        assert!(p.spectrogram.iter().all(|v| *v == 0));
        assert!(p.columns() <= 2 * COLUMNS, "{}", p.columns());
    }

    #[test]
    fn clipping_is_counted_in_runs() {
        let rate = 8000;
        let full = 32767.0 / 32768.0;
        let mut samples = sine(rate, 200.0, 1.0, 2.0);
        for s in &mut samples {
            *s = s.clamp(-1.0, full);
        }
        let mut a = Analyzer::new(rate, 1, Some(16), None);
        a.push(&samples);
        let p = a.finish();
        let share = p.clipped_share();
        // A sine driven to twice full scale spends about two thirds of its time clipped.
        assert!((0.55..0.75).contains(&share), "{share}");
        // A lone full-scale peak is not clipping.
        let mut a = Analyzer::new(rate, 1, Some(16), None);
        a.push(&[0.0, full, 0.0, -1.0, 0.0]);
        assert_eq!(a.finish().clipped_samples, 0);
    }

    #[test]
    fn hours_stay_in_bounded_columns() {
        let rate = 8000;
        let mut a = Analyzer::new(rate, 1, Some(16), None);
        let second = sine(rate, 300.0, 1.0, 0.3);
        for _ in 0..3600 {
            a.push(&second);
        }
        let p = a.finish();
        assert!(p.columns() <= 2 * COLUMNS, "{}", p.columns());
        assert_eq!(p.frames, 3600 * 8000);
        assert!(p.spectrogram.len() == p.columns() * p.rows as usize);
    }
}
