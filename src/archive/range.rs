//! [`RangeReader`]: `Read + Seek` over one stored version, by ranged GETs, so that the strict ZIP
//! reader can read an object where it lies: the end record and the central directory first, then
//! each entry, without the object ever being downloaded to disk.
//!
//! Two ways to fetch, chosen by how the reader is used:
//! - scattered reads (the end record, the directory, local headers) fetch aligned blocks of
//!   [`BLOCK`] bytes into a small cache (at most [`CACHED_BLOCKS`]);
//! - a read that carries on where fetched bytes end opens one streamed GET from there, whose
//!   span doubles each time reading carries on past it (up to [`MAX_SPAN`]), and which skips
//!   small gaps (the next entry's local header) instead of starting again.
//!
//! So memory stays at a few MiB whatever the object's size. Every GET is pinned to the version
//! (or, in a bucket without versioning, to the ETag) found when the reader was opened.

use std::collections::VecDeque;
use std::io::{self, Read, Seek, SeekFrom};
use std::sync::{Arc, Mutex};

use aws_sdk_s3::primitives::ByteStream;
use serde::Serialize;

use super::error::{Result, StoreError, root_cause};
use super::store::{ObjectInfo, Store};

/// The size of a cached block.
pub const BLOCK: u64 = 256 << 10;
/// The most blocks cached.
pub const CACHED_BLOCKS: usize = 16;
/// The first span of a streamed GET.
const FIRST_SPAN: u64 = 4 << 20;
/// The largest span of a streamed GET.
pub const MAX_SPAN: u64 = 256 << 20;
/// A gap this small in front of a streamed GET is read through and dropped, not fetched afresh.
const SKIP_MAX: u64 = 1 << 20;
/// Fresh GETs after a stream broke off, per read.
const RETRIES: u32 = 2;

/// What a [`RangeReader`] fetched, and the first store error it met.
#[derive(Debug, Default)]
pub struct ReadLog {
    /// What was fetched.
    pub stats: FetchStats,
    /// The first error from the store; a read that failed because of it returned an I/O error.
    pub error: Option<StoreError>,
}

/// Counts of what a [`RangeReader`] fetched.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FetchStats {
    /// Ranged GETs sent.
    pub requests: u64,
    /// Bytes received.
    pub bytes: u64,
}

struct Stream {
    body: ByteStream,
    /// The object offset of `pending[used]`.
    at: u64,
    /// Where the GET's range ends (exclusive).
    end: u64,
    pending: Vec<u8>,
    used: usize,
}

/// `Read + Seek` over one version of an object. I/O errors carry a message; the [`StoreError`]
/// behind the first of them is kept in the [`ReadLog`] that [`RangeReader::log`] shares.
pub struct RangeReader {
    store: Arc<Store>,
    key: String,
    version_id: Option<String>,
    etag: Option<String>,
    len: u64,
    pos: u64,
    /// Most recently used at the back.
    blocks: VecDeque<(u64, Vec<u8>)>,
    stream: Option<Stream>,
    /// Where the last stream ended, when it ran to its end.
    stream_ended: Option<u64>,
    span: u64,
    log: Arc<Mutex<ReadLog>>,
}

impl RangeReader {
    /// A reader over the version `info` describes (from [`Store::head`]).
    pub fn new(store: Arc<Store>, info: &ObjectInfo) -> Self {
        RangeReader {
            store,
            key: info.key.clone(),
            etag: match (&info.version_id, info.etag.is_empty()) {
                (None, false) => Some(info.etag.clone()),
                _ => None,
            },
            version_id: info.version_id.clone(),
            len: info.size,
            pos: 0,
            blocks: VecDeque::new(),
            stream: None,
            stream_ended: None,
            span: FIRST_SPAN,
            log: Arc::new(Mutex::new(ReadLog::default())),
        }
    }

    /// The object's size.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the object is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// What was fetched and the first store error, shared with this reader.
    pub fn log(&self) -> Arc<Mutex<ReadLog>> {
        self.log.clone()
    }

    fn note(&self, f: impl FnOnce(&mut ReadLog)) {
        if let Ok(mut log) = self.log.lock() {
            f(&mut log);
        }
    }

    /// Keeps the first store error and turns it into an I/O error for the reader's caller.
    fn failed(&self, e: StoreError) -> io::Error {
        let message = e.to_string();
        self.note(|log| {
            log.error.get_or_insert(e);
        });
        io::Error::other(message)
    }

    /// Starts a GET of `[start, end)`.
    fn get(&self, start: u64, end: u64) -> Result<ByteStream> {
        let op = "GetObject";
        let last = end - 1;
        let req = self
            .store
            .client
            .get_object()
            .bucket(self.store.bucket())
            .key(&self.key)
            .set_version_id(self.version_id.clone())
            .set_if_match(self.etag.as_ref().map(|e| format!("\"{e}\"")))
            .range(format!("bytes={start}-{last}"));
        let out = self.store.rt.block_on(req.send()).map_err(|e| {
            self.store
                .fail(op, Some((&self.key, self.version_id.as_deref())), e)
        })?;
        let expected = format!("bytes {start}-{last}/{}", self.len);
        if out.content_range() != Some(expected.as_str()) {
            return Err(StoreError::Protocol {
                op,
                detail: format!(
                    "asked for {expected}, the answer has Content-Range {:?}",
                    out.content_range()
                ),
            });
        }
        self.note(|log| log.stats.requests += 1);
        Ok(out.body)
    }

    /// Fetches the aligned block holding `pos` into the cache.
    fn fetch_block(&mut self, pos: u64) -> Result<()> {
        let start = pos - pos % BLOCK;
        let end = (start + BLOCK).min(self.len);
        let mut body = self.get(start, end)?;
        let want = (end - start) as usize;
        let data = self.store.rt.block_on(async {
            let mut data = Vec::with_capacity(want);
            while let Some(chunk) = body.next().await {
                let chunk = chunk.map_err(|e| broke_off(&e))?;
                if data.len() + chunk.len() > want {
                    return Err(StoreError::Protocol {
                        op: "GetObject",
                        detail: format!("more than the {want} bytes asked for"),
                    });
                }
                data.extend_from_slice(&chunk);
            }
            Ok(data)
        })?;
        if data.len() != want {
            return Err(StoreError::Protocol {
                op: "GetObject",
                detail: format!("{} of the {want} bytes asked for", data.len()),
            });
        }
        self.note(|log| log.stats.bytes += want as u64);
        if self.blocks.len() >= CACHED_BLOCKS {
            self.blocks.pop_front();
        }
        self.blocks.push_back((start, data));
        Ok(())
    }

    /// Copies from a cached block holding `pos`, if there is one.
    fn read_cached(&mut self, buf: &mut [u8]) -> Option<usize> {
        let pos = self.pos;
        let at = self
            .blocks
            .iter()
            .position(|(s, d)| *s <= pos && pos < s + d.len() as u64)?;
        let entry = self.blocks.remove(at)?;
        let within = (pos - entry.0) as usize;
        let src = &entry.1[within..];
        let n = src.len().min(buf.len());
        buf[..n].copy_from_slice(&src[..n]);
        self.blocks.push_back(entry);
        self.pos += n as u64;
        Some(n)
    }

    /// Whether the open stream can serve `pos`.
    fn stream_serves(&self, pos: u64) -> bool {
        self.stream
            .as_ref()
            .is_some_and(|s| s.at <= pos && pos < s.end && pos - s.at <= SKIP_MAX)
    }

    /// Reads from the open stream at `self.pos` into `buf`, pulling chunks until `buf` is full or
    /// the stream's range ends.
    fn read_streamed(&mut self, buf: &mut [u8]) -> Result<usize> {
        let pos = self.pos;
        let Some(s) = self.stream.as_mut() else {
            return Ok(0);
        };
        let rt = &self.store.rt;
        let (copied, received) = rt
            .block_on(async {
                let mut copied = 0usize;
                let mut received = 0u64;
                while s.at < s.end && copied < buf.len() {
                    if s.used == s.pending.len() {
                        match s.body.next().await {
                            Some(Ok(chunk)) => {
                                received += chunk.len() as u64;
                                s.pending.clear();
                                s.pending.extend_from_slice(&chunk);
                                s.used = 0;
                            }
                            Some(Err(e)) => return Err((broke_off(&e), copied, received)),
                            None => {
                                let e = StoreError::Protocol {
                                    op: "GetObject",
                                    detail: format!("the body ended at {} of {}", s.at, s.end),
                                };
                                return Err((e, copied, received));
                            }
                        }
                        continue;
                    }
                    let avail = &s.pending[s.used..];
                    if s.at < pos {
                        // A gap in front of the wanted bytes: read through it.
                        let skip = (pos - s.at).min(avail.len() as u64) as usize;
                        s.used += skip;
                        s.at += skip as u64;
                        continue;
                    }
                    let n = avail.len().min(buf.len() - copied);
                    buf[copied..copied + n].copy_from_slice(&avail[..n]);
                    s.used += n;
                    s.at += n as u64;
                    copied += n;
                }
                Ok((copied, received))
            })
            .or_else(|(e, copied, received)| {
                // The stream is gone; hand out what arrived, and fail only when nothing did.
                self.note(|log| log.stats.bytes += received);
                self.stream = None;
                if copied > 0 { Ok((copied, 0)) } else { Err(e) }
            })?;
        self.note(|log| log.stats.bytes += received);
        self.pos += copied as u64;
        if let Some(s) = &self.stream
            && s.at >= s.end
        {
            self.stream_ended = Some(s.end);
            self.stream = None;
        }
        Ok(copied)
    }

    /// Opens a stream at `self.pos`, with a span that starts small, or doubles when reading
    /// carries on where the last stream ended, or stays when a broken stream is started again.
    fn open_stream(&mut self, span: Span) -> Result<()> {
        self.span = match span {
            Span::First => FIRST_SPAN,
            Span::Grow => (self.span * 2).min(MAX_SPAN),
            Span::Same => self.span,
        };
        let start = self.pos;
        let end = start.saturating_add(self.span).min(self.len);
        let body = self.get(start, end)?;
        self.stream = Some(Stream {
            body,
            at: start,
            end,
            pending: Vec::new(),
            used: 0,
        });
        self.stream_ended = None;
        Ok(())
    }

    fn read_at(&mut self, buf: &mut [u8]) -> Result<usize> {
        if let Some(n) = self.read_cached(buf) {
            return Ok(n);
        }
        let mut failures = 0;
        loop {
            if self.stream_serves(self.pos) {
                match self.read_streamed(buf) {
                    Ok(n) => return Ok(n),
                    Err(e) if failures >= RETRIES => return Err(e),
                    Err(_) => {
                        failures += 1;
                        self.open_stream(Span::Same)?;
                        continue;
                    }
                }
            }
            self.stream = None;
            let pos = self.pos;
            if self.stream_ended == Some(pos) {
                self.open_stream(Span::Grow)?;
            } else if self.blocks.iter().any(|(s, d)| s + d.len() as u64 == pos) {
                self.open_stream(Span::First)?;
            } else {
                let mut tries = 0;
                while let Err(e) = self.fetch_block(pos) {
                    tries += 1;
                    if tries > RETRIES || e.is_connection() {
                        return Err(e);
                    }
                }
                return self.read_cached(buf).ok_or_else(|| StoreError::Protocol {
                    op: "GetObject",
                    detail: "a fetched block does not hold the position read".into(),
                });
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Span {
    First,
    Grow,
    Same,
}

fn broke_off(e: &(dyn std::error::Error + 'static)) -> StoreError {
    StoreError::Protocol {
        op: "GetObject",
        detail: format!("the body broke off: {}", root_cause(e)),
    }
}

impl Read for RangeReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() || self.pos >= self.len {
            return Ok(0);
        }
        self.read_at(buf).map_err(|e| self.failed(e))
    }
}

impl Seek for RangeReader {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        }
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        self.pos = target;
        Ok(target)
    }
}
