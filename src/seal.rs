//! Seal: the pipeline from input files to a signed bundle on disk.
//!
//! ingest → probe (in parallel) → copy and hash each original once, straight into the ZIP →
//! evidence.json and the BagIt files → the first custody event, signed (and time-stamped, when
//! TSAs are given) → read the bundle back and check it → rename it into place.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use crate::bag::{self, BagInfo};
use crate::bundle::BundleWriter;
use crate::commit::{CommitError, read_back_and_commit};
use crate::custody::{self, Claims, Context, Event};
use crate::digest::{Digests, Sha256};
use crate::evidence::{self, Evidence, Item, Original, Tool};
use crate::finding::Finding;
use crate::ingest::{self, IngestError, Source};
use crate::keys::{Fingerprint, Signer, Trust, TrustedKey};
use crate::probe::{self, Depth, Executor, Job, Probed};
use crate::progress::Progress;
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
    /// Every finding recorded about the archived files.
    pub findings: Vec<Finding>,
    /// The bag paths of the first event's time-stamp tokens, one per TSA, in order.
    pub tokens: Vec<String>,
}

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
    // Decoding runs beside the copy: the probes read the files on their own, while this thread
    // copies and hashes each file once into the ZIP.
    let cancel = AtomicBool::new(false);
    let (copied, probes) = std::thread::scope(|scope| {
        let probing = scope.spawn(|| probe_all(&sources, options, &cancel));
        let copied: Result<Vec<Digests>, SealError> = sources
            .iter()
            .map(|source| archive_one(&mut writer, &bag, source, progress))
            .collect();
        if copied.is_err() {
            // The seal has failed: do not make the user wait for the rest of the decoding.
            cancel.store(true, Ordering::Relaxed);
        }
        (copied, probing.join())
    });
    let copied = copied?;
    let probes = probes.map_err(|_| SealError::Io {
        context: "probing the recordings".into(),
        source: io::Error::other("a probe thread panicked"),
    })?;
    let mut items = Vec::with_capacity(sources.len());
    let mut known = HashMap::new();
    let mut findings = Vec::new();
    for ((source, digests), probed) in sources.iter().zip(copied).zip(probes) {
        known.insert(source.bag_path.clone(), digests);
        findings.extend(probed.findings.iter().cloned());
        items.push(item_for(source, &digests, probed));
    }

    let claims = &options.claims;
    let evidence = Evidence {
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
        items,
    };
    let manifest = bag::write_manifest(evidence.items.iter().map(|i| (i.path.as_str(), &i.sha256)));
    let info = BagInfo {
        bagging_date: options.time.strftime("%Y-%m-%d").to_string(),
        payload_bytes: evidence.items.iter().map(|i| i.size).sum(),
        payload_files: evidence.items.len() as u64,
        software_agent: format!("earwitness {}", env!("CARGO_PKG_VERSION")),
        external_identifier: options.case.clone(),
        source_organization: claims.organization.clone(),
        contact_name: claims.actor.clone(),
        external_description: claims.note.clone(),
    };
    let fingerprint = signer.fingerprint();
    let verify_txt = crate::verify_txt::verify_txt(&bag, &fingerprint);
    let tag_files: [(&str, Vec<u8>); 5] = [
        (bag::BAGIT, bag::BAGIT_TXT.as_bytes().to_vec()),
        (bag::BAG_INFO, info.render().into_bytes()),
        (evidence::FILE_NAME, evidence.to_bytes()),
        (bag::MANIFEST, manifest.into_bytes()),
        (crate::verify_txt::FILE_NAME, verify_txt.into_bytes()),
    ];
    let mut tag_digests = Vec::new();
    for (name, bytes) in &tag_files {
        let d = add(&mut writer, &bag, name, bytes)?;
        tag_digests.push((*name, d.sha256));
    }
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
    // What stays in memory from here on is O(1) per file in the read-back check below; the
    // manifest and its bytes (megabytes for ten thousand files) are not needed any more.
    let files = evidence.items.len();
    drop((evidence, tag_files, tagmanifest));

    progress.stage("checking the written bundle");
    let tmp = writer.finish().map_err(io_ctx(format!(
        "{}: cannot finish the bundle",
        options.output.display()
    )))?;
    let check = verify::Options::trusting(Trust::Pinned(vec![TrustedKey::plain(
        fingerprint,
        "the sealing key",
    )]));
    read_back_and_commit(tmp, &options.output, options.force, &check, &known).map_err(
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
        findings,
        tokens,
    })
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

/// Probes and decodes every source; results come back in source order.
fn probe_all(sources: &[Source], options: &SealOptions, cancel: &AtomicBool) -> Vec<Probed> {
    let jobs: Vec<Job> = sources
        .iter()
        .map(|s| Job {
            input: probe::Input::file(&s.path),
            label: s.bag_path.clone(),
            size: s.size,
        })
        .collect();
    options
        .probe
        .run(&jobs, Depth::Decode, options.jobs, cancel)
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
