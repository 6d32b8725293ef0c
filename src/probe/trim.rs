//! The presentation window of a decoded stream: the encoder's priming dropped at the start, its
//! padding at the end, as the file records them (MP4 edit lists, `iTunSMPB`, the LAME header,
//! Opus pre-skip). Applied to interleaved sample bytes as they stream out of a decoder.

/// Frames to drop from a decoded stream.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Trim {
    /// Frames dropped at the start (priming, pre-skip).
    pub start: u64,
    /// Frames of padding at the end: without `keep`, dropped counting back from the last decoded
    /// frame; with `keep`, the padding expected after the kept frames.
    pub end: u64,
    /// The most frames presented after `start` (an edit list's duration); the rest is padding.
    pub keep: Option<u64>,
}

impl Trim {
    /// Whether nothing is dropped.
    pub fn is_none(&self) -> bool {
        self.start == 0 && self.end == 0 && self.keep.is_none()
    }
}

/// Applies a [`Trim`] to a stream of interleaved frames.
#[derive(Debug, Default)]
pub struct Trimmer {
    skip: u64,
    hold: u64,
    expected_after_keep: u64,
    keep: Option<u64>,
    pending: Vec<u8>,
    /// Frames handed on.
    pub kept: u64,
    /// Frames dropped at the start.
    pub primed: u64,
    /// Frames dropped after `keep` ran out.
    pub over: u64,
}

impl Trimmer {
    /// A trimmer for `trim`.
    pub fn new(trim: Trim) -> Self {
        Trimmer {
            skip: trim.start,
            hold: if trim.keep.is_some() { 0 } else { trim.end },
            expected_after_keep: if trim.keep.is_some() { trim.end } else { 0 },
            keep: trim.keep,
            ..Trimmer::default()
        }
    }

    /// Takes `data` (whole frames of `frame_bytes` each) and passes on what is presented.
    pub fn push(&mut self, data: &[u8], frame_bytes: usize, mut sink: impl FnMut(&[u8])) {
        if frame_bytes == 0 {
            return;
        }
        let n = (data.len() / frame_bytes) as u64;
        let skipped = self.skip.min(n);
        self.skip -= skipped;
        self.primed += skipped;
        let mut take = n - skipped;
        if let Some(k) = &mut self.keep {
            let t = take.min(*k);
            *k -= t;
            self.over += take - t;
            take = t;
        }
        let from = skipped as usize * frame_bytes;
        let data = &data[from..from + take as usize * frame_bytes];
        if self.hold == 0 {
            self.kept += take;
            sink(data);
            return;
        }
        self.pending.extend_from_slice(data);
        let held = self.hold as usize * frame_bytes;
        if self.pending.len() > held {
            let out = self.pending.len() - held;
            self.kept += (out / frame_bytes) as u64;
            sink(&self.pending[..out]);
            self.pending.drain(..out);
        }
    }

    /// Frames decoded past `keep` beyond the padding expected there: audio the file does not
    /// declare, which is not presented.
    pub fn beyond(&self) -> u64 {
        self.over.saturating_sub(self.expected_after_keep)
    }

    /// Frames dropped at the end (held back as padding, or past `keep`), once the stream ended.
    pub fn padding(&self, frame_bytes: usize) -> u64 {
        self.over + (self.pending.len() / frame_bytes.max(1)) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(trim: Trim, chunks: &[usize]) -> (Vec<u8>, u64, u64) {
        let mut t = Trimmer::new(trim);
        let mut out = Vec::new();
        let mut next = 0u8;
        for &c in chunks {
            let data: Vec<u8> = (0..c)
                .map(|_| {
                    next += 1;
                    next
                })
                .collect();
            t.push(&data, 1, |b| out.extend_from_slice(b));
        }
        let pad = t.padding(1);
        (out, t.primed, pad)
    }

    #[test]
    fn drops_priming_and_padding_across_chunks() {
        let trim = Trim {
            start: 3,
            end: 2,
            keep: None,
        };
        let (out, primed, pad) = run(trim, &[2, 2, 4]);
        assert_eq!(out, vec![4, 5, 6]);
        assert_eq!((primed, pad), (3, 2));
    }

    #[test]
    fn keeps_an_edit_duration() {
        let trim = Trim {
            start: 1,
            end: 0,
            keep: Some(4),
        };
        let (out, primed, pad) = run(trim, &[3, 3, 3]);
        assert_eq!(out, vec![2, 3, 4, 5]);
        assert_eq!((primed, pad), (1, 4));
        let mut t = Trimmer::new(Trim {
            start: 0,
            end: 2,
            keep: Some(3),
        });
        t.push(&[1, 2, 3, 4, 5, 6, 7], 1, |_| {});
        assert_eq!((t.kept, t.padding(1), t.beyond()), (3, 4, 2));
    }

    #[test]
    fn no_trim_passes_everything() {
        let (out, primed, pad) = run(Trim::default(), &[1, 5]);
        assert_eq!(out.len(), 6);
        assert_eq!((primed, pad), (0, 0));
    }
}
