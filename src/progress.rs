//! Progress reports from long operations (seal, verify) to whoever shows them. The library only
//! calls these methods; the command line draws a bar on a terminal.

use std::sync::Arc;

/// Receives progress. Every method has a default that does nothing.
pub trait Progress: Send + Sync {
    /// Work starts: this many bytes in this many files.
    fn start(&self, _total_bytes: u64, _files: usize) {}
    /// A stage starts (for display).
    fn stage(&self, _what: &str) {}
    /// This many more bytes were processed.
    fn advance(&self, _bytes: u64) {}
    /// The file now being processed (its name inside the bundle).
    fn file(&self, _name: &str) {}
    /// All done.
    fn finish(&self) {}
}

/// A [`Progress`] that shows nothing.
pub struct NoProgress;
impl Progress for NoProgress {}

/// A shared progress receiver, cheap to clone into options.
#[derive(Clone)]
pub struct SharedProgress(pub Arc<dyn Progress>);

impl SharedProgress {
    /// A receiver that shows nothing.
    pub fn none() -> Self {
        SharedProgress(Arc::new(NoProgress))
    }
}

impl Default for SharedProgress {
    fn default() -> Self {
        Self::none()
    }
}

impl std::fmt::Debug for SharedProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedProgress")
    }
}

impl std::ops::Deref for SharedProgress {
    type Target = dyn Progress;
    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}
