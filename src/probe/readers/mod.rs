//! The container readers, in the order they are tried. Each recognises its containers by their
//! first bytes ([`Reader::sniff`]) and reads them ([`Reader::probe`]). A new container is one file
//! here and one line in [`READERS`].

mod amr;
mod flacmeta;
mod iso;
mod isopcm;
mod presentation;
mod record;
mod riff;
mod sniff;
mod symphonia;
mod unsupported;
mod wav;

use super::{Depth, Input, Probed};

pub(crate) use symphonia::locked_version;
pub use symphonia::symphonia_version;

/// How many bytes of a file the readers see to recognise it.
pub const HEAD_LEN: usize = 64;

/// A container reader.
pub(crate) trait Reader: Sync + std::panic::RefUnwindSafe {
    /// Whether this reader recognises a file that starts with `head` (up to [`HEAD_LEN`] bytes).
    fn sniff(&self, head: &[u8]) -> bool;
    /// Reads (and with [`Depth::Decode`] decodes) the `len` bytes of `input`; `label` names the
    /// file in findings. Never fails: what cannot be read becomes a finding.
    fn probe(&self, input: &Input, label: &str, len: u64, depth: Depth) -> Probed;
}

/// Every reader, in order. AMR comes first: its magic is unambiguous, and symphonia's own probe
/// has been seen to take AMR for MP1. Then the formats we name but cannot decode, before
/// symphonia finds a WAV header embedded in them. symphonia takes everything else it can
/// recognise.
pub(crate) const READERS: &[&dyn Reader] =
    &[&amr::Amr, &unsupported::Unsupported, &symphonia::Symphonia];
