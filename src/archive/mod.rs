//! Bundles kept in S3-compatible object storage (AWS S3, Ceph's radosgw, MinIO) under S3 Object
//! Lock, verified where they lie, and audited.
//!
//! - [`Store`] (`store.rs`, `upload.rs`; its settings in `config.rs`): a blocking client bound to one bucket; locks, legal
//!   holds, versions, multipart uploads with `Content-MD5`, and SHA-256 by reading back.
//! - [`RangeReader`] (`range.rs`): `Read + Seek` over one stored version by ranged GETs, which
//!   `verify::verify_reader` reads like a file ([`verify_object`], `remote.rs`).
//! - [`push`] (`push.rs`): verify a local bundle, upload it, lock it, read everything back.
//! - [`audit`] (`audit.rs`): re-verify every bundle under a prefix, in parallel, resumably.
//!
//! The async runtime stays inside this module: [`Store`] owns a tokio runtime and blocks on it,
//! and everything it offers is synchronous, like the rest of earwitness.

mod audit;
mod config;
mod error;
mod lock;
mod push;
mod range;
mod remote;
mod store;
mod upload;

use std::fmt;

pub use audit::{AuditOptions, AuditState, Audited, Outcome, audit, inventory};
pub use config::{Addressing, StaticCredentials, StoreOptions};
pub use error::{Result, StoreError};
pub use lock::{BucketLock, DefaultPeriod, Lock, LockMode, Retention};
pub use push::{PushOptions, PushOutcome, Pushed, push};
pub use range::{FetchStats, RangeReader, ReadLog};
pub use remote::{ObjectReport, RemoteReport, label, verify_object, verify_version};
pub use store::{ObjectInfo, ObjectSummary, Store};
pub use upload::{MULTIPART_THRESHOLD, PART_SIZE, Stored};

/// The scheme of a stored bundle's name.
pub const SCHEME: &str = "s3://";

/// `s3://BUCKET/KEY` or `s3://BUCKET/PREFIX`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The bucket.
    pub bucket: String,
    /// The key or prefix (possibly empty).
    pub key: String,
}

impl Location {
    /// Whether `text` names a stored object rather than a local path.
    pub fn is_remote(text: &str) -> bool {
        text.starts_with(SCHEME)
    }

    /// Parses `s3://BUCKET/KEY`. The bucket follows S3's rules loosely (letters, digits, `.`,
    /// `-`, `_`, 3 to 255 of them); the key is at most 1,024 bytes with no control characters.
    pub fn parse(text: &str) -> std::result::Result<Location, String> {
        let rest = text
            .strip_prefix(SCHEME)
            .ok_or_else(|| format!("{text}: not an s3://BUCKET/KEY location"))?;
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        let bucket_ok = (3..=255).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
        if !bucket_ok {
            return Err(format!(
                "{text}: {bucket:?} is not a bucket name (3 to 255 letters, digits, '.', '-', '_')"
            ));
        }
        if key.len() > 1024 || key.chars().any(char::is_control) {
            return Err(format!(
                "{text}: a key is at most 1,024 bytes, without control characters"
            ));
        }
        Ok(Location {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
        })
    }

    /// The key for a file named `name` under this location taken as a prefix: `PREFIX/name`
    /// (one `/` between them), or `name` for an empty prefix.
    pub fn join(&self, name: &str) -> String {
        if self.key.is_empty() || self.key.ends_with('/') {
            format!("{}{name}", self.key)
        } else {
            format!("{}/{name}", self.key)
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{SCHEME}{}/{}",
            self.bucket,
            crate::text::safe(&self.key)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_parse_and_join() {
        let l = Location::parse("s3://evidence/case-17").unwrap();
        assert_eq!(l.bucket, "evidence");
        assert_eq!(l.join("a.zip"), "case-17/a.zip");
        assert_eq!(
            Location::parse("s3://evidence/p/").unwrap().join("a.zip"),
            "p/a.zip"
        );
        assert_eq!(
            Location::parse("s3://evidence").unwrap().join("a.zip"),
            "a.zip"
        );
        assert_eq!(l.to_string(), "s3://evidence/case-17");
        assert!(Location::parse("s3://a/k").is_err());
        assert!(Location::parse("s3://has space/k").is_err());
        assert!(Location::parse("s3://bucket/line\nbreak").is_err());
        assert!(Location::parse("/tmp/x.zip").is_err());
        assert!(Location::is_remote("s3://b/k"));
        assert!(!Location::is_remote("./s3://b/k"));
    }
}
