//! `rvoip-codec-core` 0.4.0, trimmed for earwitness to its AMR-NB and AMR-WB decoders.
//!
//! The upstream crate's G.711, G.729 and Opus codecs, its AMR encoders, RTP payload, SDP and
//! storage layers, the `AudioCodec` API and its test data are removed; see `vendor/README.md` in
//! the earwitness repository. The code that is left is upstream's, with the patch listed there.

#![deny(missing_docs)]
#![allow(clippy::module_name_repetitions)]

pub mod codecs;
pub mod error;

#[cfg(any(feature = "amr-nb", feature = "amr-wb"))]
pub(crate) mod fixed_point;

pub use error::{CodecError, Result};
