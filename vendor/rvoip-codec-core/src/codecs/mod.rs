//! The codecs: AMR only, in this trimmed copy.

#[cfg(any(feature = "amr-nb", feature = "amr-wb"))]
pub mod amr;
