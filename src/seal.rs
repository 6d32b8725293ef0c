//! Seal: the pipeline from input files to a signed bundle on disk.
//!
//! ingest → probe (in parallel) → copy and hash each original once, straight into the ZIP →
//! evidence.json and the BagIt files → the first custody event, signed (and time-stamped, when
//! TSAs are given) → read the bundle back and check it → rename it into place.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::SystemTime;

use crate::bag::{self, BagInfo};
use crate::bundle::BundleWriter;
use crate::commit::{CommitError, read_back_and_commit};
use crate::custody::{self, Claims, Context, Event};
use crate::digest::{Digests, Known, Sha256};
use crate::evidence::{self, Evidence, Item, ItemsWriter, Original, Tool};
use crate::finding::Finding;
use crate::ingest::{self, IngestError, Source};
use crate::keys::{Fingerprint, Signer, Trust, TrustedKey};
use crate::probe::{self, Depth, Executor, Job, Probed};
use crate::progress::Progress;
use crate::spill::Spill;
use crate::text::{ClaimError, check_claim};
use crate::time::rfc3339;
use crate::timestamp::{StampError, Tsa};
use crate::verify;

/// What to seal, and the claims to record with it.
#[derive(Clone, Debug)]
pub struct SealOptions {
    /// Files and folders to archive.
    pub inputs: Vec<PathBuf>,
    /// The bundle to write.
    pub output: PathBuf,
    /// The case identifier.
    pub case: Option<String>,
    /// Who seals, their organisation, and a note.
    pub claims: Claims,
    /// The seal time (whole seconds). See [`crate::time::event_time`].
    pub time: jiff::Timestamp,
    /// Replace an existing output.
    pub force: bool,
    /// Parallel probes.
    pub jobs: usize,
    /// Where recordings are probed and decoded.
    pub probe: Executor,
    /// TSAs to time-stamp the first event (none: no time-stamp).
    pub tsa: Tsa,
}

/// What a successful seal produced.
#[derive(Debug)]
pub struct Sealed {
    /// The bundle's path.
    pub output: PathBuf,
    /// The bag's name (its top-level folder).
    pub bag: String,
    /// Number of files archived.
    pub files: usize,
    /// Total bytes archived.
    pub bytes: u64,
    /// The signer's fingerprint.
    pub fingerprint: Fingerprint,
    /// The first [`FINDINGS_KEPT`] findings recorded about the archived files (all of them are in
    /// `evidence.json`).
    pub findings: Vec<Finding>,
    /// How many findings were recorded in all.
    pub findings_total: u64,
    /// The bag paths of the first event's time-stamp tokens, one per TSA, in order.
    pub tokens: Vec<String>,
}

/// How many findings a [`Sealed`] keeps to show; `evidence.json` has every one.
pub const FINDINGS_KEPT: usize = 200;

/// Why a seal failed. No output file exists, and no temporary file is left, when this is returned.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// The inputs cannot be sealed (a missing path, a link or device, a name collision).
    #[error(transparent)]
    Ingest(#[from] IngestError),
    /// The output exists and `force` was not given.
    #[error("{0}: already exists")]
    OutputExists(PathBuf),
    /// An input changed while it was being read.
    #[error(
        "{path}: {what} while it was being read; the file is still being written to. Wait until it is complete (or copy it first), then seal again"
    )]
    Changed {
        /// The input.
        path: PathBuf,
        /// What changed.
        what: String,
    },
    /// Reading or writing failed.
    #[error("{context}")]
    Io {
        /// What was being done.
        context: String,
        /// What the OS said.
        source: io::Error,
    },
    /// Signing failed.
    #[error(transparent)]
    Key(#[from] crate::keys::KeyError),
    /// A claim holds characters that could hide or reorder text.
    #[error(transparent)]
    Claim(#[from] ClaimError),
    /// The bundle read back differently than it was written.
    #[error("{0}; nothing was written. This points to a fault in the disk or in earwitness")]
    ReadBack(CommitError),
    /// A TSA could not be reached, refused, or answered with an unusable token.
    #[error("{0}; nothing was written")]
    Timestamp(#[from] StampError),
}

fn io_ctx(context: impl Into<String>) -> impl FnOnce(io::Error) -> SealError {
    let context = context.into();
    move |source| SealError::Io { context, source }
}

/// The bag's name for an output path: the file name without `.zip`, made safe.
pub fn bag_name(output: &Path) -> String {
    let stem = output.file_stem().unwrap_or_default();
    // A `:` would make `x:case/...` look like a Windows drive letter to a ZIP reader.
    let name = ingest::bag_component(stem).replace(':', &format!("{}3A", ingest::ESCAPE));
    if name.is_empty() || name == "." || name == ".." {
        "bundle".into()
    } else {
        name
    }
}

/// Seals `options.inputs` into `options.output`, signed by `signer`.
pub fn seal(
    options: &SealOptions,
    signer: &Signer,
    progress: &dyn Progress,
) -> Result<Sealed, SealError> {
    // Everything that can be refused is refused before anything is written.
    check_claims(options)?;
    let sources = ingest::walk(&options.inputs)?;
    if !options.force && options.output.exists() {
        return Err(SealError::OutputExists(options.output.clone()));
    }
    let bag = bag_name(&options.output);
    let total: u64 = sources.iter().map(|s| s.size).sum();
    progress.start(total, sources.len());

    progress.stage("archiving and decoding");
    let mut writer = BundleWriter::create(&options.output, options.time).map_err(io_ctx(
        format!("{}: cannot create the bundle", options.output.display()),
    ))?;
    let streamed = stream_payload(&mut writer, &bag, &sources, options, progress)?;
    let files = sources.len();
    // From here on nothing is kept per file but the digests for the read-back check.
    drop(sources);

    let claims = &options.claims;
    let head = Evidence {
        format: evidence::FORMAT.into(),
        case: options.case.clone(),
        actor: claims.actor.clone(),
        organization: claims.organization.clone(),
        note: claims.note.clone(),
        sealed_at: rfc3339(options.time),
        tool: Tool {
            name: "earwitness".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            symphonia: probe::symphonia_version().into(),
        },
        items: Vec::new(),
    };
    let info = BagInfo {
        bagging_date: options.time.strftime("%Y-%m-%d").to_string(),
        payload_bytes: streamed.bytes,
        payload_files: files as u64,
        software_agent: format!("earwitness {}", env!("CARGO_PKG_VERSION")),
        external_identifier: options.case.clone(),
        source_organization: claims.organization.clone(),
        contact_name: claims.actor.clone(),
        external_description: claims.note.clone(),
    };
    let fingerprint = signer.fingerprint();
    let verify_txt = crate::verify_txt::verify_txt(&bag, &fingerprint);
    let mut tag_digests = Vec::new();
    tag_digests.push((
        bag::BAGIT,
        add(&mut writer, &bag, bag::BAGIT, bag::BAGIT_TXT.as_bytes())?.sha256,
    ));
    let info = info.render();
    tag_digests.push((
        bag::BAG_INFO,
        add(&mut writer, &bag, bag::BAG_INFO, info.as_bytes())?.sha256,
    ));
    let (len, reader) = streamed
        .evidence
        .finish(&head)
        .map_err(io_ctx("cannot write evidence.json"))?;
    tag_digests.push((
        evidence::FILE_NAME,
        add_stream(&mut writer, &bag, evidence::FILE_NAME, len, reader)?.sha256,
    ));
    let (len, reader) = streamed
        .manifest
        .into_reader()
        .map_err(io_ctx("cannot write the manifest"))?;
    tag_digests.push((
        bag::MANIFEST,
        add_stream(&mut writer, &bag, bag::MANIFEST, len, reader)?.sha256,
    ));
    tag_digests.push((
        crate::verify_txt::FILE_NAME,
        add(
            &mut writer,
            &bag,
            crate::verify_txt::FILE_NAME,
            verify_txt.as_bytes(),
        )?
        .sha256,
    ));
    let tagmanifest = bag::write_manifest(tag_digests.iter().map(|(n, d)| (*n, d)));
    let tagmanifest_sha = add(&mut writer, &bag, bag::TAGMANIFEST, tagmanifest.as_bytes())?.sha256;

    let context = Context {
        bag: bag.clone(),
        case: options.case.clone(),
        tagmanifest_sha256: tagmanifest_sha,
    };
    let event = Event::first(&context, claims, fingerprint, options.time);
    write_event(&mut writer, &bag, &event, signer)?;
    let mut tokens = Vec::new();
    if !options.tsa.urls.is_empty() {
        progress.stage("time-stamping");
        let path = format!("{}/{}", custody::DIR, event.file_name());
        let answers = crate::timestamp::stamp(&options.tsa, Sha256::of(&event.to_bytes()).0)?;
        for (n, token) in (1..).zip(answers) {
            let name = custody::token_file(&path, n);
            add(&mut writer, &bag, &name, &token)?;
            tokens.push(name);
        }
    }

    progress.stage("checking the written bundle");
    give_back_freed_memory();
    let tmp = writer.finish().map_err(io_ctx(format!(
        "{}: cannot finish the bundle",
        options.output.display()
    )))?;
    let check = verify::Options {
        // Every item is still checked; none needs to be kept for a report nobody reads.
        items_kept: 0,
        ..verify::Options::trusting(Trust::Pinned(vec![TrustedKey::plain(
            fingerprint,
            "the sealing key",
        )]))
    };
    read_back_and_commit(tmp, &options.output, options.force, &check, &streamed.known).map_err(
        |e| match e {
            CommitError::Exists => SealError::OutputExists(options.output.clone()),
            CommitError::Io { context, source } => SealError::Io {
                context: format!("{}: {context}", options.output.display()),
                source,
            },
            read_back => SealError::ReadBack(read_back),
        },
    )?;
    progress.finish();
    Ok(Sealed {
        output: options.output.clone(),
        bag,
        files,
        bytes: total,
        fingerprint,
        findings: streamed.findings,
        findings_total: streamed.findings_total,
        tokens,
    })
}

/// Returns the memory freed by the writing phase (the walk's list of files, the copy buffers, the
/// probe hand-over) to the operating system before the read-back check allocates its own. glibc
/// keeps freed memory in each thread's arena otherwise, and the peak resident size of a seal of
/// 100,000 files was then the sum of both phases rather than the larger of the two.
fn give_back_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory held by the allocator; it takes no pointer.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Refuses claims that could hide or reorder text when the bundle is shown.
fn check_claims(options: &SealOptions) -> Result<(), ClaimError> {
    let c = &options.claims;
    for (field, value, multiline) in [
        ("the case", &options.case, false),
        ("the actor", &c.actor, false),
        ("the organisation", &c.organization, false),
        ("the note", &c.note, true),
    ] {
        if let Some(v) = value {
            check_claim(field, v, multiline)?;
        }
    }
    Ok(())
}

/// Writes the files of event `event`, signed by `signer`, with the signer's keys.
fn write_event(
    writer: &mut BundleWriter,
    bag: &str,
    event: &Event,
    signer: &Signer,
) -> Result<(), SealError> {
    for (name, bytes) in custody::event_files(event, signer, true)? {
        add(writer, bag, &name, &bytes)?;
    }
    Ok(())
}

fn add_stream(
    writer: &mut BundleWriter,
    bag: &str,
    name: &str,
    len: u64,
    reader: impl Read,
) -> Result<Digests, SealError> {
    writer
        .add_stream(&format!("{bag}/{name}"), len, reader)
        .map_err(io_ctx(format!("cannot write {name} into the bundle")))
}

fn add(
    writer: &mut BundleWriter,
    bag: &str,
    name: &str,
    bytes: &[u8],
) -> Result<Digests, SealError> {
    writer
        .add_bytes(&format!("{bag}/{name}"), bytes)
        .map_err(io_ctx(format!("cannot write {name} into the bundle")))
}

/// What the payload pass leaves behind: the two per-file tag files, spilled to disk, and what
/// the rest of the seal needs, with nothing held per file but 56 bytes for the read-back check.
struct Streamed {
    evidence: ItemsWriter,
    manifest: Spill,
    known: Known,
    bytes: u64,
    findings: Vec<Finding>,
    findings_total: u64,
}

/// Copies every source into the bundle (on its own thread, in order) while the probes decode
/// them (on `options.jobs` threads); each file's item of `evidence.json` and line of the manifest
/// are written as soon as both its copy and its probe are done. Memory does not grow with the
/// number of files: results wait only for the few files still in flight before them.
fn stream_payload(
    writer: &mut BundleWriter,
    bag: &str,
    sources: &[Source],
    options: &SealOptions,
    progress: &dyn Progress,
) -> Result<Streamed, SealError> {
    let dir = match options.output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let spill_err = || {
        io_ctx(format!(
            "{}: cannot write a temporary file in that folder",
            dir.display()
        ))
    };
    let mut out = Streamed {
        evidence: ItemsWriter::new_in(dir).map_err(spill_err())?,
        manifest: Spill::new_in(dir).map_err(spill_err())?,
        known: Known::with_capacity(sources.len()),
        bytes: 0,
        findings: Vec::new(),
        findings_total: 0,
    };
    let cancel = AtomicBool::new(false);
    let (copy_tx, copy_rx) = mpsc::channel::<Result<Digests, SealError>>();
    let (probe_tx, probe_rx) = mpsc::sync_channel::<Probed>(64);
    let result = std::thread::scope(|scope| {
        let cancel = &cancel;
        scope.spawn(move || {
            options.probe.each(
                sources.len(),
                |i| Job {
                    input: probe::Input::file(&sources[i].path),
                    label: sources[i].bag_path.clone(),
                    size: sources[i].size,
                },
                Depth::Decode,
                options.jobs,
                cancel,
                |_, probed| probe_tx.send(probed).is_ok(),
            );
        });
        scope.spawn(move || {
            for source in sources {
                if cancel.load(Ordering::Relaxed) {
                    break;
                }
                let copied = archive_one(writer, bag, source, progress);
                let failed = copied.is_err();
                if failed {
                    // The seal has failed: stop the decoding now (a hanging decode included),
                    // rather than when the files before this one are combined.
                    cancel.store(true, Ordering::Relaxed);
                }
                if copy_tx.send(copied).is_err() || failed {
                    break;
                }
            }
        });
        let combined = combine(sources, &copy_rx, &probe_rx, &mut out);
        if combined.is_err() {
            // The seal has failed: do not make the user wait for the rest of the decoding.
            cancel.store(true, Ordering::Relaxed);
        }
        drop(probe_rx);
        combined
    });
    result?;
    out.known.sort();
    Ok(out)
}

/// Takes each file's copy and probe, in order, and writes its records.
fn combine(
    sources: &[Source],
    copies: &mpsc::Receiver<Result<Digests, SealError>>,
    probes: &mpsc::Receiver<Probed>,
    out: &mut Streamed,
) -> Result<(), SealError> {
    let died = |what: &str| SealError::Io {
        context: format!("{what} the recordings"),
        source: io::Error::other("a worker thread stopped early"),
    };
    let mut line = String::new();
    for source in sources {
        let digests = copies.recv().map_err(|_| died("copying"))??;
        let Ok(probed) = probes.recv() else {
            // The probes stopped early: because a copy failed (that error is the one to report)
            // or because a probe thread died.
            for copied in copies.iter() {
                copied?;
            }
            return Err(died("probing"));
        };
        for f in &probed.findings {
            out.findings_total += 1;
            if out.findings.len() < FINDINGS_KEPT {
                out.findings.push(f.clone());
            }
        }
        let item = item_for(source, &digests, probed);
        out.evidence
            .push(&item)
            .map_err(io_ctx("cannot write evidence.json (temporary file)"))?;
        line.clear();
        line.push_str(&bag::write_manifest([(item.path.as_str(), &item.sha256)]));
        out.manifest
            .write(line.as_bytes())
            .map_err(io_ctx("cannot write the manifest (temporary file)"))?;
        out.known.push(&source.bag_path, digests);
        out.bytes += digests.len;
    }
    Ok(())
}

/// Copies one original into the bundle, hashing it on the way, and checks that it did not change
/// while it was read.
fn archive_one(
    writer: &mut BundleWriter,
    bag: &str,
    source: &Source,
    progress: &dyn Progress,
) -> Result<Digests, SealError> {
    let shown = ingest::display_path(&source.path);
    progress.file(&source.bag_path);
    let file = File::open(&source.path).map_err(io_ctx(format!("{shown}: cannot open")))?;
    let before = file
        .metadata()
        .map_err(io_ctx(format!("{shown}: cannot stat")))?;
    check_unchanged(
        source,
        before.len(),
        before.modified().ok(),
        "was changed after it was listed",
    )?;
    let reader = ProgressReader {
        inner: &file,
        progress,
    };
    let digests = writer
        .add_stream(&format!("{bag}/{}", source.bag_path), source.size, reader)
        .map_err(io_ctx(format!("{shown}: cannot copy into the bundle")))?;
    let after = file
        .metadata()
        .map_err(io_ctx(format!("{shown}: cannot stat")))?;
    if digests.len != source.size {
        return Err(SealError::Changed {
            path: source.path.clone(),
            what: format!(
                "yielded {} bytes where {} were expected",
                digests.len, source.size
            ),
        });
    }
    check_unchanged(source, after.len(), after.modified().ok(), "changed")?;
    Ok(digests)
}

fn check_unchanged(
    source: &Source,
    len: u64,
    modified: Option<SystemTime>,
    verb: &str,
) -> Result<(), SealError> {
    if len != source.size {
        return Err(SealError::Changed {
            path: source.path.clone(),
            what: format!("{verb}: its size went from {} to {len} bytes", source.size),
        });
    }
    if modified != source.modified {
        return Err(SealError::Changed {
            path: source.path.clone(),
            what: format!("{verb}: its modification time moved"),
        });
    }
    Ok(())
}

struct ProgressReader<'a> {
    inner: &'a File,
    progress: &'a dyn Progress,
}

impl Read for ProgressReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.advance(n as u64);
        Ok(n)
    }
}

fn item_for(source: &Source, digests: &Digests, probed: Probed) -> Item {
    let name = source
        .path
        .file_name()
        .map(|n| ingest::display_path(Path::new(n)))
        .unwrap_or_default();
    Item {
        path: source.bag_path.clone(),
        size: digests.len,
        sha256: digests.sha256,
        original: Original {
            name,
            path: ingest::display_path(&source.path),
            modified: source
                .modified
                .and_then(|m| jiff::Timestamp::try_from(m).ok())
                .map(|t| t.to_string()),
        },
        media: probed.media,
        findings: probed.findings,
    }
}
