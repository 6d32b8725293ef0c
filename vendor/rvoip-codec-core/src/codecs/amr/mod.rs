//! AMR-NB and AMR-WB decoders (3GPP TS 26.090 / TS 26.190, ITU-T G.722.2): the codec modes and
//! frame types, and the two fixed-point decoders. Trimmed for earwitness (see `src/lib.rs`).

pub mod mode;
pub mod nb;
#[cfg(feature = "amr-wb")]
pub mod wb;

pub use mode::{AmrFrameType, AmrMode, AmrModeSet, AmrVariant};
