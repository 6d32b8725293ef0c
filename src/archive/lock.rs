//! S3 Object Lock as earwitness uses it: a retention (mode and date) and a legal hold on one
//! object version, and the bucket's lock configuration. Times are whole seconds in UTC.

use aws_sdk_s3::primitives::DateTime;
use aws_sdk_s3::types::{ObjectLockLegalHoldStatus, ObjectLockMode, ObjectLockRetentionMode};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::error::{Result, StoreError};

/// A retention mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LockMode {
    /// Nobody, the account's root user included, can delete the version or shorten its retention
    /// before the date. The only mode `archive push` sets.
    Compliance,
    /// Users with the `s3:BypassGovernanceRetention` permission can lift it.
    Governance,
}

impl LockMode {
    /// `COMPLIANCE` or `GOVERNANCE`, as S3 writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            LockMode::Compliance => "COMPLIANCE",
            LockMode::Governance => "GOVERNANCE",
        }
    }
}

/// A lock to put on a new version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lock {
    /// The retention mode.
    pub mode: LockMode,
    /// Kept until this instant (whole seconds).
    pub retain_until: Timestamp,
    /// Also set a legal hold, which stays until it is lifted, whatever the date.
    pub legal_hold: bool,
}

impl Lock {
    /// What the lock asks for, in words.
    pub fn describe(&self) -> String {
        format!(
            "{} until {}{}",
            self.mode.as_str(),
            crate::time::rfc3339(self.retain_until),
            if self.legal_hold { ", legal hold" } else { "" }
        )
    }
}

/// A retention as the store reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    /// The mode.
    pub mode: LockMode,
    /// Kept until.
    #[serde(serialize_with = "rfc3339", deserialize_with = "parse_rfc3339")]
    pub retain_until: Timestamp,
}

impl Retention {
    /// `COMPLIANCE until 2027-01-01T00:00:00Z`.
    pub fn describe(&self) -> String {
        format!(
            "{} until {}",
            self.mode.as_str(),
            crate::time::rfc3339(self.retain_until)
        )
    }
}

fn rfc3339<S: serde::Serializer>(t: &Timestamp, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&crate::time::rfc3339(*t))
}

fn parse_rfc3339<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Timestamp, D::Error> {
    let text = String::deserialize(d)?;
    crate::time::parse_utc(&text)
        .ok_or_else(|| serde::de::Error::custom(format!("not an RFC 3339 UTC time: {text:?}")))
}

/// A bucket's Object Lock configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BucketLock {
    /// Object Lock is on (and so is versioning); `default` is the bucket's default retention.
    Enabled {
        /// The default mode and period, if the bucket has a default rule.
        default: Option<(LockMode, DefaultPeriod)>,
    },
    /// The bucket was made without Object Lock: nothing in it can be locked.
    NotEnabled,
}

/// The period of a bucket's default retention.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultPeriod {
    /// In days.
    Days(i32),
    /// In years.
    Years(i32),
}

pub(super) fn object_lock_mode(mode: LockMode) -> ObjectLockMode {
    match mode {
        LockMode::Compliance => ObjectLockMode::Compliance,
        LockMode::Governance => ObjectLockMode::Governance,
    }
}

pub(super) fn retention_mode(mode: LockMode) -> ObjectLockRetentionMode {
    match mode {
        LockMode::Compliance => ObjectLockRetentionMode::Compliance,
        LockMode::Governance => ObjectLockRetentionMode::Governance,
    }
}

pub(super) fn from_retention_mode(mode: &ObjectLockRetentionMode) -> Option<LockMode> {
    match mode {
        ObjectLockRetentionMode::Compliance => Some(LockMode::Compliance),
        ObjectLockRetentionMode::Governance => Some(LockMode::Governance),
        _ => None,
    }
}

pub(super) fn from_object_lock_mode(mode: &ObjectLockMode) -> Option<LockMode> {
    match mode {
        ObjectLockMode::Compliance => Some(LockMode::Compliance),
        ObjectLockMode::Governance => Some(LockMode::Governance),
        _ => None,
    }
}

pub(super) fn hold_status(on: bool) -> ObjectLockLegalHoldStatus {
    if on {
        ObjectLockLegalHoldStatus::On
    } else {
        ObjectLockLegalHoldStatus::Off
    }
}

/// A retention date for a request: whole seconds, and refused unless it is in the future.
pub(super) fn until(t: Timestamp) -> Result<DateTime> {
    if t <= Timestamp::now() {
        return Err(StoreError::InvalidArgument(format!(
            "the retention date {} is not in the future",
            crate::time::rfc3339(t)
        )));
    }
    Ok(DateTime::from_secs(t.as_second()))
}

/// A date from the store.
pub(super) fn timestamp(op: &'static str, t: &DateTime) -> Result<Timestamp> {
    Timestamp::from_second(t.secs()).map_err(|e| StoreError::Protocol {
        op,
        detail: format!("a date out of range: {e}"),
    })
}
