//! earwitness: seals audio recordings into signed, self-describing BagIt ZIP bundles with a chain
//! of custody, and verifies such bundles.
//!
//! The modules follow the pipeline. Sealing: [`ingest`] → [`probe`] + [`digest`] → [`evidence`]
//! → [`bag`] → [`custody`] (signed with [`keys`], time-stamped with [`timestamp`]) → [`bundle`],
//! driven by [`seal`] and finished by [`commit`]. Verifying walks the same path back in
//! [`verify`]; [`handoff`] appends custody events, [`stamp`] time-stamps them later. The library
//! never prints and never exits; the binary decides what people see. docs/ARCHITECTURE.md draws
//! the map.

#![deny(missing_docs)]
pub mod archive;
pub mod atomic;
pub mod bag;
pub mod bundle;
pub mod commit;
pub mod custody;
pub mod digest;
pub mod evidence;
pub mod faults;
pub mod finding;
pub mod handoff;
pub mod ingest;
pub mod keys;
pub mod probe;
pub mod progress;
pub mod report;
pub mod seal;
pub mod spill;
pub mod stamp;
pub mod text;
pub mod time;
pub mod timestamp;
pub mod verify;
pub mod verify_txt;
