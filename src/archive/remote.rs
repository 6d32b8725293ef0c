//! Verifying a stored bundle where it lies: the version is pinned by a HeadObject, read by
//! ranged GETs through a [`RangeReader`], and checked by the same `verify` as a local file. Nothing
//! of it is written to disk (`--deep` aside, which decodes each recording from a temporary copy:
//! see `verify::deep`).

use std::sync::Arc;

use serde::Serialize;

use super::error::Result;
use super::range::{FetchStats, RangeReader};
use super::store::{ObjectInfo, Store};
use crate::verify::{self, Report};

/// A stored bundle, verified in place.
#[derive(Debug)]
pub struct RemoteReport {
    /// The version that was read, as HeadObject described it.
    pub object: ObjectInfo,
    /// `s3://BUCKET/KEY`.
    pub location: String,
    /// What verify found.
    pub report: Report,
    /// What was fetched to find it.
    pub fetched: FetchStats,
}

/// The object part of a remote verification, for people and for JSON.
#[derive(Debug, Serialize)]
pub struct ObjectReport<'a> {
    /// `s3://BUCKET/KEY`.
    pub location: &'a str,
    /// The version, size, ETag, retention and legal hold.
    #[serde(flatten)]
    pub info: &'a ObjectInfo,
    /// Ranged GETs and bytes fetched.
    pub fetched: FetchStats,
}

impl RemoteReport {
    /// The object part.
    pub fn object_report(&self) -> ObjectReport<'_> {
        ObjectReport {
            location: &self.location,
            info: &self.object,
            fetched: self.fetched,
        }
    }
}

/// How a stored version is named in reports: `s3://BUCKET/KEY`, and its version.
pub fn label(bucket: &str, key: &str, version_id: Option<&str>) -> String {
    let shown = crate::text::safe(key);
    match version_id {
        Some(v) => format!("s3://{bucket}/{shown} (version {})", crate::text::safe(v)),
        None => format!("s3://{bucket}/{shown}"),
    }
}

/// Verifies the bundle stored at `key` (its latest version, or `version_id`) in place.
///
/// # Errors
/// When the object cannot be found or read: a store error is never turned into a finding about
/// the bundle, since it says nothing about the bundle's content.
pub fn verify_object(
    store: &Arc<Store>,
    key: &str,
    version_id: Option<&str>,
    options: &verify::Options,
) -> Result<RemoteReport> {
    let object = store.head(key, version_id)?;
    verify_version(store, object, options)
}

/// Verifies the version `object` describes (from [`Store::head`]) in place.
pub fn verify_version(
    store: &Arc<Store>,
    object: ObjectInfo,
    options: &verify::Options,
) -> Result<RemoteReport> {
    let reader = RangeReader::new(store.clone(), &object);
    let log = reader.log();
    let name = label(store.bucket(), &object.key, object.version_id.as_deref());
    let report = verify::verify_reader(Box::new(reader), object.size, &name, options);
    let (fetched, error) = match log.lock() {
        Ok(mut log) => (log.stats, log.error.take()),
        Err(_) => (FetchStats::default(), None),
    };
    if let Some(e) = error {
        return Err(e);
    }
    Ok(RemoteReport {
        location: format!("s3://{}/{}", store.bucket(), crate::text::safe(&object.key)),
        object,
        report,
        fetched,
    })
}
