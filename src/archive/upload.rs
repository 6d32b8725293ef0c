//! Writing versions: one PUT for a small file, a multipart upload streamed from the file for a
//! large one (one part in memory at a time), every body with `Content-MD5`; then the lock is read
//! back, applied again if the store ignored it, and read back once more; and a stored version's
//! SHA-256 is taken by reading it back in one streamed GET.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use md5::{Digest as _, Md5};
use serde::Serialize;
use sha2::Sha256 as Sha256Hasher;

use super::error::{Result, StoreError, root_cause};
use super::lock::{self, Lock, Retention};
use super::store::{Store, required, unquote};
use crate::digest::Sha256;

/// Files larger than this are uploaded in parts.
pub const MULTIPART_THRESHOLD: u64 = 16 << 20;
/// The size of each part but the last (S3's smallest is 5 MiB); one part is held in memory.
pub const PART_SIZE: u64 = 8 << 20;
/// S3's largest number of parts.
const MAX_PARTS: u64 = 10_000;

/// A version just written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Stored {
    /// The key.
    pub key: String,
    /// The version id the store gave it (`None` in a bucket without versioning).
    pub version_id: Option<String>,
    /// The ETag (the MD5 of a single PUT; `md5-of-md5s-N` for N parts).
    pub etag: String,
    /// Bytes written.
    pub size: u64,
    /// Parts: 1 for a single PUT.
    pub parts: u32,
    /// The SHA-256 of the bytes sent.
    #[serde(serialize_with = "hex")]
    pub sha256_sent: Sha256,
}

fn hex<S: serde::Serializer>(d: &Sha256, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&d.to_hex())
}

fn content_md5(data: &[u8]) -> String {
    use base64ct::Encoding;
    base64ct::Base64::encode_string(&Md5::digest(data))
}

fn len_i64(n: u64) -> Result<i64> {
    i64::try_from(n).map_err(|_| StoreError::InvalidArgument(format!("{n} bytes is too large")))
}

impl Store {
    /// Writes `data` as a new version of `key` in one PUT, with the lock headers when `lock` is
    /// given (see [`Store::lock_version`] for making sure they took).
    pub fn put_bytes(&self, key: &str, data: Vec<u8>, lock: Option<&Lock>) -> Result<Stored> {
        let op = "PutObject";
        let size = data.len() as u64;
        let sha256_sent = Sha256::of(&data);
        let mut req = self
            .client
            .put_object()
            .bucket(self.bucket())
            .key(key)
            .content_length(len_i64(size)?)
            .content_md5(content_md5(&data));
        if let Some(lock) = lock {
            req = req
                .object_lock_mode(lock::object_lock_mode(lock.mode))
                .object_lock_retain_until_date(lock::until(lock.retain_until)?)
                .object_lock_legal_hold_status(lock::hold_status(lock.legal_hold));
        }
        let out = self
            .rt
            .block_on(req.body(ByteStream::from(data)).send())
            .map_err(|e| self.fail(op, Some((key, None)), e))?;
        Ok(Stored {
            key: key.to_owned(),
            version_id: out.version_id().map(str::to_owned),
            etag: unquote(&required(op, "ETag", out.e_tag())?),
            size,
            parts: 1,
            sha256_sent,
        })
    }

    /// Uploads the file at `path` as a new version of `key`: one PUT up to
    /// [`MULTIPART_THRESHOLD`], parts of [`PART_SIZE`] above it (aborted on any error). The lock
    /// headers go with the PUT or the CreateMultipartUpload; some stores ignore them there, so
    /// follow with [`Store::lock_version`].
    pub fn upload_file(&self, key: &str, path: &Path, lock: Option<&Lock>) -> Result<Stored> {
        let io_err = |source| StoreError::Io {
            path: path.display().to_string(),
            source,
        };
        let mut file = File::open(path).map_err(io_err)?;
        let size = file.metadata().map_err(io_err)?.len();
        if size <= MULTIPART_THRESHOLD {
            let mut data = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
            file.read_to_end(&mut data).map_err(io_err)?;
            if data.len() as u64 != size {
                return Err(io_err(io::Error::other(
                    "the file changed size while it was read",
                )));
            }
            return self.put_bytes(key, data, lock);
        }
        let op = "CreateMultipartUpload";
        let mut req = self
            .client
            .create_multipart_upload()
            .bucket(self.bucket())
            .key(key);
        if let Some(lock) = lock {
            req = req
                .object_lock_mode(lock::object_lock_mode(lock.mode))
                .object_lock_retain_until_date(lock::until(lock.retain_until)?)
                .object_lock_legal_hold_status(lock::hold_status(lock.legal_hold));
        }
        let created = self
            .rt
            .block_on(req.send())
            .map_err(|e| self.fail(op, Some((key, None)), e))?;
        let upload_id = required(op, "UploadId", created.upload_id())?;
        match self.upload_parts(key, &upload_id, &mut file, size, path) {
            Ok(stored) => Ok(stored),
            Err(err) => {
                // Best effort: an abandoned upload only costs space until a lifecycle rule
                // removes it, and the first error is the one to report.
                let abort = self
                    .client
                    .abort_multipart_upload()
                    .bucket(self.bucket())
                    .key(key)
                    .upload_id(&upload_id);
                let _ = self.rt.block_on(abort.send());
                Err(err)
            }
        }
    }

    fn upload_parts(
        &self,
        key: &str,
        upload_id: &str,
        file: &mut File,
        size: u64,
        path: &Path,
    ) -> Result<Stored> {
        // Larger parts when the file would need more than S3's 10,000.
        let part_size = PART_SIZE.max(size.div_ceil(MAX_PARTS));
        let mut sha = Sha256Hasher::new();
        let mut completed = Vec::new();
        let mut sent = 0u64;
        let mut number: i32 = 0;
        while sent < size {
            number += 1;
            let want = part_size.min(size - sent);
            let mut buf = Vec::with_capacity(usize::try_from(want).unwrap_or(0));
            file.by_ref()
                .take(want)
                .read_to_end(&mut buf)
                .map_err(|source| StoreError::Io {
                    path: path.display().to_string(),
                    source,
                })?;
            if buf.len() as u64 != want {
                return Err(StoreError::Io {
                    path: path.display().to_string(),
                    source: io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the file shrank while it was uploaded",
                    ),
                });
            }
            sha.update(&buf);
            let op = "UploadPart";
            let req = self
                .client
                .upload_part()
                .bucket(self.bucket())
                .key(key)
                .upload_id(upload_id)
                .part_number(number)
                .content_length(len_i64(want)?)
                .content_md5(content_md5(&buf))
                .body(ByteStream::from(buf));
            let out = self
                .rt
                .block_on(req.send())
                .map_err(|e| self.fail(op, Some((key, None)), e))?;
            let etag = required(op, "ETag", out.e_tag())?;
            completed.push(
                CompletedPart::builder()
                    .part_number(number)
                    .e_tag(etag)
                    .build(),
            );
            sent += want;
        }
        let op = "CompleteMultipartUpload";
        let req = self
            .client
            .complete_multipart_upload()
            .bucket(self.bucket())
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(completed))
                    .build(),
            );
        let out = self
            .rt
            .block_on(req.send())
            .map_err(|e| self.fail(op, Some((key, None)), e))?;
        let version_id = out.version_id().map(str::to_owned);
        // radosgw 16 answers with an empty <ETag/>: ask HeadObject of the new version instead.
        let etag = match out.e_tag().map(unquote) {
            Some(e) if !e.is_empty() => e,
            _ => self.head(key, version_id.as_deref())?.etag,
        };
        Ok(Stored {
            key: key.to_owned(),
            version_id,
            etag,
            size,
            parts: u32::try_from(number).unwrap_or(u32::MAX),
            sha256_sent: Sha256(sha.finalize().into()),
        })
    }

    /// Makes sure a version carries `lock`: reads its retention and legal hold back; if they are
    /// not as asked (a store that ignored the headers of the upload), sets them with
    /// PutObjectRetention and PutObjectLegalHold and reads them back again. Returns what the store
    /// reports.
    ///
    /// # Errors
    /// [`StoreError::LockNotApplied`] when the lock still did not take.
    pub fn lock_version(
        &self,
        key: &str,
        version_id: &str,
        lock: &Lock,
    ) -> Result<(Retention, bool)> {
        if let Ok(found) = self.read_lock(key, version_id, lock)? {
            return Ok(found);
        }
        self.set_retention(key, version_id, lock.mode, lock.retain_until)?;
        if lock.legal_hold {
            self.set_legal_hold(key, version_id, true)?;
        }
        self.read_lock(key, version_id, lock)?
            .map_err(|found| StoreError::LockNotApplied {
                bucket: self.bucket().to_owned(),
                key: key.to_owned(),
                version_id: version_id.to_owned(),
                asked: lock.describe(),
                found,
            })
    }

    /// The lock read back: `Ok` when it is at least what was asked, `Err(what was found)`.
    fn read_lock(
        &self,
        key: &str,
        version_id: &str,
        lock: &Lock,
    ) -> Result<std::result::Result<(Retention, bool), String>> {
        let retention = self.retention(key, version_id)?;
        let hold = self.legal_hold(key, version_id)?;
        let found = || {
            let r = retention.map_or("no retention".to_string(), |r| r.describe());
            format!(
                "{r}{}",
                if hold {
                    ", legal hold"
                } else {
                    ", no legal hold"
                }
            )
        };
        Ok(match retention {
            Some(r)
                if r.mode == lock.mode
                    && r.retain_until.as_second() >= lock.retain_until.as_second()
                    && (hold || !lock.legal_hold) =>
            {
                Ok((r, hold))
            }
            _ => Err(found()),
        })
    }

    /// The SHA-256 of a stored version, by reading it back in one streamed GET (memory stays
    /// flat). Stores without additional checksums (radosgw) keep no SHA-256 of their own, so
    /// reading back is the only way to know one. Returns the digest and the bytes read.
    pub fn sha256_of(&self, key: &str, version_id: Option<&str>) -> Result<(Sha256, u64)> {
        let op = "GetObject";
        let req = self
            .client
            .get_object()
            .bucket(self.bucket())
            .key(key)
            .set_version_id(version_id.map(str::to_owned));
        self.rt.block_on(async {
            let mut out = req
                .send()
                .await
                .map_err(|e| self.fail(op, Some((key, version_id)), e))?;
            let mut sha = Sha256Hasher::new();
            let mut n = 0u64;
            while let Some(chunk) = out.body.next().await {
                let chunk = chunk.map_err(|e| StoreError::Protocol {
                    op,
                    detail: format!("the body broke off: {}", root_cause(&e)),
                })?;
                n += chunk.len() as u64;
                sha.update(&chunk);
            }
            match out.content_length().and_then(|l| u64::try_from(l).ok()) {
                Some(expected) if expected != n => Err(StoreError::Protocol {
                    op,
                    detail: format!("Content-Length {expected}, but {n} bytes came"),
                }),
                _ => Ok((Sha256(sha.finalize().into()), n)),
            }
        })
    }
}
