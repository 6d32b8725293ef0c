//! Receipts: what a recipient hands back to the sender, proof that a `received` event exists. A
//! bundle alone cannot show that its newest events were not cut off; a kept receipt can
//! (`verify --expect-receipt`). docs/FORMAT.md §6.6 defines the file.

use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Event, EventError};
use crate::digest::Sha256;
use crate::keys::Signer;

/// The value of a receipt's `format` field.
pub const RECEIPT_FORMAT: &str = "earwitness-receipt/1";

/// A receipt for one `received` event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// Always [`RECEIPT_FORMAT`].
    pub format: String,
    /// The bag's name.
    pub bag: String,
    /// The event's path inside the bag, `custody/NNNN-received.json`.
    pub event_path: String,
    /// The event file's exact text.
    pub event: String,
    /// SHA-256 of the event file's bytes.
    pub event_sha256: Sha256,
    /// The raw Ed25519 signature over the event, in hex.
    pub signature_hex: String,
}

impl Receipt {
    /// The receipt for `event` (whose file holds `bytes`), signed by `signer`.
    pub fn new(event: &Event, bytes: &[u8], signer: &Signer) -> Self {
        Receipt {
            format: RECEIPT_FORMAT.into(),
            bag: event.bag.clone(),
            event_path: format!("{}/{}", super::DIR, event.file_name()),
            event: String::from_utf8_lossy(bytes).into_owned(),
            event_sha256: Sha256::of(bytes),
            signature_hex: hex::encode(signer.sign_raw(bytes)),
        }
    }

    /// Parses a receipt file.
    pub fn parse(bytes: &[u8]) -> Result<Self, EventError> {
        let r: Receipt = serde_json::from_slice(bytes)?;
        if r.format != RECEIPT_FORMAT {
            return Err(EventError::Format(r.format));
        }
        Ok(r)
    }

    /// Writes the receipt to `path` atomically; never replaces an existing file.
    pub fn write(&self, path: &Path) -> io::Result<()> {
        let mut bytes = serde_json::to_vec_pretty(self).map_err(io::Error::other)?;
        bytes.push(b'\n');
        crate::atomic::write(path, 0o644, false, |f| io::Write::write_all(f, &bytes))
    }
}
