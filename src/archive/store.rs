//! [`Store`]: a blocking S3 client bound to one bucket. It owns a private tokio runtime and an
//! `aws-sdk-s3` client, and every method blocks on that runtime, so callers never see `async`.
//! Do not call it from inside another tokio runtime (tokio refuses nested `block_on`).
//!
//! Configuration comes from the AWS SDK's usual places: `AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_PROFILE` with `~/.aws/credentials` and
//! `~/.aws/config`, `AWS_REGION`, and `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT_URL_S3`, or a profile's
//! `endpoint_url`) for a server that is not AWS. The EC2 instance metadata service
//! (169.254.169.254) is asked only when [`StoreOptions::instance_metadata`] is set, so a machine
//! without credentials fails at once instead of probing the network.
//!
//! Interoperability, each choice needed by at least one real server:
//! - path-style addressing (`http://host/bucket/key`) whenever an endpoint is configured (Ceph,
//!   MinIO on a bare host or IP have no wildcard DNS), virtual-hosted style for AWS itself;
//! - checksums only where an operation requires one: radosgw refuses the SDK's default
//!   `aws-chunked` upload with a trailing CRC;
//! - every upload sends `Content-MD5`, which AWS requires with lock headers and radosgw checks;
//! - locks are read back after every write (see `upload.rs`).

use std::fmt;

use aws_sdk_s3::Client;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::types::{
    ChecksumMode, ObjectLockEnabled, ObjectLockLegalHold, ObjectLockLegalHoldStatus,
    ObjectLockRetention,
};
use jiff::Timestamp;
use serde::Serialize;

use super::config::{StoreOptions, build_client};
use super::error::{Result, StoreError, Target, classify, no_lock_config};
use super::lock::{self, BucketLock, DefaultPeriod, LockMode, Retention};

/// What a HeadObject says about one version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ObjectInfo {
    /// The key.
    pub key: String,
    /// The version id (`None` in a bucket without versioning).
    pub version_id: Option<String>,
    /// Size in bytes.
    pub size: u64,
    /// The ETag, without quotes.
    pub etag: String,
    /// When this version was written.
    #[serde(serialize_with = "rfc3339_opt")]
    pub last_modified: Option<Timestamp>,
    /// The retention, when the store reports one.
    pub retention: Option<Retention>,
    /// The legal hold, when the store reports it (`None`: not reported).
    pub legal_hold: Option<bool>,
}

fn rfc3339_opt<S: serde::Serializer>(
    t: &Option<Timestamp>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&crate::time::rfc3339(*t)),
        None => s.serialize_none(),
    }
}

/// One key of a listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectSummary {
    /// The key.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
}

/// A blocking S3 client bound to one bucket. Share it between threads with an `Arc`.
pub struct Store {
    pub(super) rt: tokio::runtime::Runtime,
    pub(super) client: Client,
    bucket: String,
    endpoint: String,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("bucket", &self.bucket)
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// A store for `bucket` configured from the environment. See [`Store::open`].
    pub fn connect(bucket: &str) -> Result<Store> {
        Store::open(StoreOptions::new(bucket))
    }

    /// Resolves the configuration and the credentials and builds the client. Sends nothing to
    /// the store (see [`Store::check`]), but fails at once when there are no credentials.
    pub fn open(opts: StoreOptions) -> Result<Store> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("earwitness-s3")
            .enable_all()
            .build()
            .map_err(StoreError::Runtime)?;
        let (client, endpoint) = rt.block_on(build_client(&opts))?;
        Ok(Store {
            rt,
            client,
            bucket: opts.bucket,
            endpoint,
        })
    }

    /// The bucket.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The endpoint in use (`AWS` when none is configured).
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    pub(super) fn fail<E>(
        &self,
        op: &'static str,
        object: Option<(&str, Option<&str>)>,
        err: SdkError<E>,
    ) -> StoreError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let target = Target {
            endpoint: &self.endpoint,
            bucket: &self.bucket,
        };
        classify(&target, op, object, err)
    }

    /// Proves that the endpoint answers, the credentials are accepted and the bucket exists, with
    /// one ListObjectsV2 of at most one key (a HEAD would hide the error code).
    pub fn check(&self) -> Result<()> {
        let req = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .max_keys(1);
        self.rt
            .block_on(req.send())
            .map_err(|e| self.fail("ListObjectsV2", None, e))?;
        Ok(())
    }

    /// Creates the bucket, with Object Lock (which turns on versioning) when `locked`. A bucket
    /// that already exists and is ours is accepted if it matches.
    pub fn create_bucket(&self, locked: bool) -> Result<()> {
        let req = self
            .client
            .create_bucket()
            .bucket(&self.bucket)
            .object_lock_enabled_for_bucket(locked);
        match self.rt.block_on(req.send()) {
            Ok(_) => {}
            Err(e) if e.code() == Some("BucketAlreadyOwnedByYou") => {}
            Err(e) => return Err(self.fail("CreateBucket", None, e)),
        }
        match (locked, self.bucket_lock()?) {
            (true, BucketLock::NotEnabled) => Err(StoreError::LockNotEnabled {
                bucket: self.bucket.clone(),
            }),
            _ => Ok(()),
        }
    }

    /// The bucket's Object Lock configuration.
    pub fn bucket_lock(&self) -> Result<BucketLock> {
        let req = self
            .client
            .get_object_lock_configuration()
            .bucket(&self.bucket);
        let out = match self.rt.block_on(req.send()) {
            Ok(out) => out,
            Err(e) if no_lock_config(&e) => return Ok(BucketLock::NotEnabled),
            Err(e) => return Err(self.fail("GetObjectLockConfiguration", None, e)),
        };
        let Some(cfg) = out.object_lock_configuration() else {
            return Ok(BucketLock::NotEnabled);
        };
        if cfg.object_lock_enabled() != Some(&ObjectLockEnabled::Enabled) {
            return Ok(BucketLock::NotEnabled);
        }
        let default = cfg
            .rule()
            .and_then(|r| r.default_retention())
            .and_then(|d| {
                let mode = lock::from_retention_mode(d.mode()?)?;
                let period = match (d.days(), d.years()) {
                    (Some(days), _) => DefaultPeriod::Days(days),
                    (None, Some(years)) => DefaultPeriod::Years(years),
                    (None, None) => return None,
                };
                Some((mode, period))
            });
        Ok(BucketLock::Enabled { default })
    }

    /// HeadObject of `key`: the latest version, or `version_id`.
    pub fn head(&self, key: &str, version_id: Option<&str>) -> Result<ObjectInfo> {
        let op = "HeadObject";
        let req = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .set_version_id(version_id.map(str::to_owned))
            .checksum_mode(ChecksumMode::Enabled);
        let out = match self.rt.block_on(req.send()) {
            Ok(out) => out,
            Err(e) => {
                return Err(match self.fail(op, Some((key, version_id)), e) {
                    StoreError::AccessDenied { code, .. } if code == "Forbidden" => {
                        self.why_forbidden(key, version_id)
                    }
                    other => other,
                });
            }
        };
        let size = out
            .content_length()
            .and_then(|n| u64::try_from(n).ok())
            .ok_or_else(|| StoreError::Protocol {
                op,
                detail: "no valid Content-Length".into(),
            })?;
        let retention = match (out.object_lock_mode(), out.object_lock_retain_until_date()) {
            (Some(mode), Some(t)) => Some(Retention {
                mode: lock::from_object_lock_mode(mode).ok_or_else(|| StoreError::Protocol {
                    op,
                    detail: format!("unknown lock mode {mode:?}"),
                })?,
                retain_until: lock::timestamp(op, t)?,
            }),
            _ => None,
        };
        Ok(ObjectInfo {
            key: key.to_owned(),
            version_id: out
                .version_id()
                .filter(|v| !v.is_empty() && *v != "null")
                .map(str::to_owned),
            size,
            etag: unquote(out.e_tag().unwrap_or_default()),
            last_modified: out
                .last_modified()
                .and_then(|t| Timestamp::from_second(t.secs()).ok()),
            retention,
            legal_hold: out
                .object_lock_legal_hold_status()
                .map(|s| *s == ObjectLockLegalHoldStatus::On),
        })
    }

    /// Why a HEAD was refused: its answer has no body, so no error code, and a bad secret looks
    /// the same as a missing permission. A one-byte GET of the same object says which it was.
    fn why_forbidden(&self, key: &str, version_id: Option<&str>) -> StoreError {
        let op = "HeadObject";
        let req = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .set_version_id(version_id.map(str::to_owned))
            .range("bytes=0-0");
        match self.rt.block_on(req.send()) {
            Err(e) => self.fail(op, Some((key, version_id)), e),
            Ok(_) => StoreError::AccessDenied {
                op,
                code: "Forbidden".into(),
                message: "HeadObject is refused where GetObject is allowed".into(),
            },
        }
    }

    /// Every key under `prefix`, in key order, following continuation tokens.
    pub fn list(&self, prefix: &str) -> Result<Vec<ObjectSummary>> {
        let op = "ListObjectsV2";
        self.rt.block_on(async {
            let mut pages = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(prefix)
                .into_paginator()
                .send();
            let mut objects = Vec::new();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| self.fail(op, None, e))?;
                for o in page.contents() {
                    let key = required(op, "Key", o.key())?;
                    let size = o.size().and_then(|s| u64::try_from(s).ok()).unwrap_or(0);
                    objects.push(ObjectSummary { key, size });
                }
            }
            Ok(objects)
        })
    }

    /// Sets the retention of a version. Lengthening is always allowed; the store refuses to
    /// shorten a COMPLIANCE retention ([`StoreError::AccessDenied`]).
    pub fn set_retention(
        &self,
        key: &str,
        version_id: &str,
        mode: LockMode,
        retain_until: Timestamp,
    ) -> Result<()> {
        let retention = ObjectLockRetention::builder()
            .mode(lock::retention_mode(mode))
            .retain_until_date(lock::until(retain_until)?)
            .build();
        let req = self
            .client
            .put_object_retention()
            .bucket(&self.bucket)
            .key(key)
            .version_id(version_id)
            .retention(retention);
        self.rt
            .block_on(req.send())
            .map_err(|e| self.fail("PutObjectRetention", Some((key, Some(version_id))), e))?;
        Ok(())
    }

    /// The retention of a version; `None` when it has none.
    pub fn retention(&self, key: &str, version_id: &str) -> Result<Option<Retention>> {
        let op = "GetObjectRetention";
        let req = self
            .client
            .get_object_retention()
            .bucket(&self.bucket)
            .key(key)
            .version_id(version_id);
        let out = match self.rt.block_on(req.send()) {
            Ok(out) => out,
            Err(e) if no_lock_config(&e) => return Ok(None),
            Err(e) => return Err(self.fail(op, Some((key, Some(version_id))), e)),
        };
        let Some((mode, t)) = out
            .retention()
            .and_then(|r| Some((r.mode()?, r.retain_until_date()?)))
        else {
            return Ok(None);
        };
        let mode = lock::from_retention_mode(mode).ok_or_else(|| StoreError::Protocol {
            op,
            detail: format!("unknown retention mode {mode:?}"),
        })?;
        Ok(Some(Retention {
            mode,
            retain_until: lock::timestamp(op, t)?,
        }))
    }

    /// Sets or lifts the legal hold of a version.
    pub fn set_legal_hold(&self, key: &str, version_id: &str, on: bool) -> Result<()> {
        let hold = ObjectLockLegalHold::builder()
            .status(lock::hold_status(on))
            .build();
        let req = self
            .client
            .put_object_legal_hold()
            .bucket(&self.bucket)
            .key(key)
            .version_id(version_id)
            .legal_hold(hold);
        self.rt
            .block_on(req.send())
            .map_err(|e| self.fail("PutObjectLegalHold", Some((key, Some(version_id))), e))?;
        Ok(())
    }

    /// The legal hold of a version; `false` when none was ever set.
    pub fn legal_hold(&self, key: &str, version_id: &str) -> Result<bool> {
        let req = self
            .client
            .get_object_legal_hold()
            .bucket(&self.bucket)
            .key(key)
            .version_id(version_id);
        match self.rt.block_on(req.send()) {
            Ok(out) => {
                Ok(out.legal_hold().and_then(|h| h.status())
                    == Some(&ObjectLockLegalHoldStatus::On))
            }
            Err(e) if no_lock_config(&e) => Ok(false),
            Err(e) => Err(self.fail("GetObjectLegalHold", Some((key, Some(version_id))), e)),
        }
    }

    /// Deletes one version. The store refuses one under retention or legal hold
    /// ([`StoreError::AccessDenied`]).
    pub fn delete_version(&self, key: &str, version_id: &str) -> Result<()> {
        let req = self
            .client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .version_id(version_id);
        self.rt
            .block_on(req.send())
            .map_err(|e| self.fail("DeleteObject", Some((key, Some(version_id))), e))?;
        Ok(())
    }
}

pub(super) fn required(op: &'static str, what: &str, v: Option<&str>) -> Result<String> {
    match v {
        Some(s) if !s.is_empty() => Ok(s.to_owned()),
        _ => Err(StoreError::Protocol {
            op,
            detail: format!("no {what} in the answer"),
        }),
    }
}

pub(super) fn unquote(s: &str) -> String {
    s.trim_matches('"').to_owned()
}
