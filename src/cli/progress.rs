//! A progress bar on stderr when it is a terminal; nothing in pipes or logs.

use std::io::IsTerminal;

use earwitness::progress::Progress;

/// The bar (absent when stderr is not a terminal).
pub struct Bar(Option<indicatif::ProgressBar>);

impl Bar {
    pub fn new() -> Self {
        if !std::io::stderr().is_terminal() {
            return Bar(None);
        }
        let bar = indicatif::ProgressBar::new(0);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{prefix}: {wide_msg}\n[{bar:40}] {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} eta {eta}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        Bar(Some(bar))
    }

    /// Runs `f` (which prints) with the bar cleared, then draws it again.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.0 {
            Some(b) => b.suspend(f),
            None => f(),
        }
    }
}

impl Progress for Bar {
    fn start(&self, total: u64, _files: usize) {
        if let Some(b) = &self.0 {
            b.set_length(total);
        }
    }
    fn stage(&self, what: &str) {
        if let Some(b) = &self.0 {
            b.set_prefix(what.to_string());
        }
    }
    fn file(&self, name: &str) {
        if let Some(b) = &self.0 {
            b.set_message(earwitness::text::safe(name).into_owned());
        }
    }
    fn advance(&self, bytes: u64) {
        if let Some(b) = &self.0 {
            b.inc(bytes);
        }
    }
    fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}
