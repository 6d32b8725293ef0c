//! earwitness: seals audio recordings into signed, self-describing BagIt ZIP bundles with a chain
//! of custody, and verifies such bundles.
//!
//! The modules follow the pipeline. Sealing: [`ingest`] → [`probe`] + [`digest`] → [`evidence`]
//! → [`bag`] → [`custody`] (signed with [`keys`]) → [`bundle`], driven by [`seal`]. Verifying
//! walks the same path back in [`verify`]. The library never prints and never exits; the binary
//! decides what people see.

#![deny(missing_docs)]

pub mod bag;
pub mod bundle;
pub mod custody;
pub mod digest;
pub mod evidence;
pub mod finding;
pub mod handoff;
pub mod ingest;
pub mod instructions;
pub mod keys;
pub mod probe;
pub mod seal;
pub mod verify;
