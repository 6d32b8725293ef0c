//! `verify`, `log` and `inspect`: check a bundle and say what was checked.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;

use super::args::{DecodeArgs, OutputArgs, TrustArgs, TsaTrustArgs};
use super::error::CliError;
use super::progress::Bar;
use super::render::{self, json, text};
use earwitness::custody::Receipt;
use earwitness::progress::{Progress, SharedProgress};
use earwitness::text::safe;
use earwitness::verify::{self, Deep, Options, Report};

#[derive(Args)]
pub struct VerifyArgs {
    /// The bundle: a .zip file, an unzipped bundle folder, or s3://BUCKET/KEY (a stored bundle,
    /// verified where it lies by ranged reads; see `earwitness archive --help`).
    bundle: PathBuf,
    /// With s3://BUCKET/KEY: verify this version instead of the latest.
    #[arg(long, value_name = "V")]
    version_id: Option<String>,
    #[command(flatten)]
    trust: TrustArgs,
    #[command(flatten)]
    tsa: TsaTrustArgs,
    /// A receipt from `receive --receipt`: the bundle must still contain its event. Repeatable.
    #[arg(long, value_name = "FILE")]
    expect_receipt: Vec<PathBuf>,
    /// Also decode every recording again (in isolated workers) and compare with evidence.json.
    #[arg(long)]
    deep: bool,
    #[command(flatten)]
    decode: DecodeArgs,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Args)]
pub struct LogArgs {
    /// The bundle: a .zip file or an unzipped bundle folder.
    bundle: PathBuf,
    #[command(flatten)]
    trust: TrustArgs,
    #[command(flatten)]
    tsa: TsaTrustArgs,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Args)]
pub struct InspectArgs {
    /// A bundle (.zip or folder), or a recording.
    path: PathBuf,
    #[command(flatten)]
    trust: TrustArgs,
    #[command(flatten)]
    tsa: TsaTrustArgs,
    #[command(flatten)]
    output: OutputArgs,
}

/// What the first bytes of a file say it is, when it is not a ZIP but a recording.
fn recording_kind(head: &[u8]) -> Option<&'static str> {
    let kinds: [(&[u8], usize, &str); 8] = [
        (b"RIFF", 0, "WAV"),
        (b"fLaC", 0, "FLAC"),
        (b"ID3", 0, "MP3"),
        (b"OggS", 0, "Ogg"),
        (b"#!AMR", 0, "AMR"),
        (b"ftyp", 4, "MP4/M4A/3GP"),
        (b"FORM", 0, "AIFF"),
        (b"\x1a\x45\xdf\xa3", 0, "Matroska/WebM"),
    ];
    if head.len() >= 2 && head[0] == 0xFF && head[1] & 0xE0 == 0xE0 {
        return Some("MP3");
    }
    kinds
        .iter()
        .find(|(magic, at, _)| head.get(*at..*at + magic.len()) == Some(*magic))
        .map(|(_, _, kind)| *kind)
}

fn first_bytes(path: &Path) -> Result<Vec<u8>, CliError> {
    let mut head = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(16).read_to_end(&mut head))
        .map_err(|e| CliError::io(format!("{}: cannot open", path.display()), e))?;
    Ok(head)
}

/// Refuses what cannot be a bundle with advice: a missing path, or a recording.
fn check_bundle_path(path: &Path) -> Result<(), CliError> {
    let meta = std::fs::metadata(path)
        .map_err(|e| CliError::io(format!("{}: no such file or folder", path.display()), e))?;
    if meta.is_dir() {
        return Ok(());
    }
    if let Some(kind) = recording_kind(&first_bytes(path)?) {
        return Err(CliError::usage(format!(
            "{}: this is a recording ({kind}), not a bundle",
            path.display()
        ))
        .hint(format!(
            "to see what it holds, try `earwitness inspect {}`; to preserve it, `earwitness seal --out BUNDLE.zip {}`",
            path.display(),
            path.display()
        )));
    }
    Ok(())
}

/// The receipts given with `--expect-receipt` (verify and report).
pub(super) fn receipts(paths: &[PathBuf]) -> Result<Vec<Receipt>, CliError> {
    paths
        .iter()
        .map(|path| {
            let bytes = std::fs::read(path)
                .map_err(|e| CliError::io(format!("--expect-receipt {}", path.display()), e))?;
            Receipt::parse(&bytes).map_err(|e| {
                CliError::usage(format!(
                    "--expect-receipt {}: not an earwitness receipt ({e})",
                    path.display()
                ))
            })
        })
        .collect()
}

/// Options for `log` and `inspect`: whom to trust, signers and TSAs.
fn trusting(trust: earwitness::keys::Trust, tsa: &TsaTrustArgs) -> Result<Options, CliError> {
    Ok(Options {
        tsa_roots: tsa.roots()?,
        tsa_tolerance: tsa.tolerance(),
        ..Options::trusting(trust)
    })
}

fn run_verify(path: &Path, options: &Options) -> Result<Report, CliError> {
    verify::verify_path(path, options)
        .map_err(|e| CliError::io(format!("{}: cannot open", path.display()), e))
}

pub fn verify(a: VerifyArgs) -> Result<u8, CliError> {
    let trust = a.trust.resolve()?;
    let remote = super::archive::is_remote(&a.bundle);
    match (remote, &a.version_id) {
        (None, Some(_)) => {
            return Err(CliError::usage(
                "--version-id is for a stored bundle, s3://BUCKET/KEY",
            ));
        }
        (None, None) => check_bundle_path(&a.bundle)?,
        _ => {}
    }
    let times = super::render::times(a.output.tz.as_deref())?;
    let deep = if a.deep {
        Some(Deep {
            probe: a.decode.probe()?,
            parallel: a.decode.jobs(),
            compare: true,
            pictures: false,
        })
    } else {
        None
    };
    let bar = Arc::new(Bar::new());
    let options = Options {
        trust,
        deep,
        expect_receipts: receipts(&a.expect_receipt)?,
        progress: SharedProgress(bar.clone()),
        tsa_roots: a.tsa.roots()?,
        tsa_tolerance: a.tsa.tolerance(),
        ..Options::default()
    };
    if let Some(text) = remote {
        return super::archive::verify_remote(
            text,
            a.version_id.as_deref(),
            &options,
            a.output.json,
            &times,
        );
    }
    let report = run_verify(&a.bundle, &options)?;
    bar.finish();
    let mut out = io::stdout().lock();
    if a.output.json {
        json::print(&mut out, &report)?;
    } else {
        text::report(&mut out, &report, &times, text::Parts::Verify)?;
    }
    Ok(render::exit_code(&report))
}

pub fn log(a: LogArgs) -> Result<u8, CliError> {
    let trust = a.trust.resolve()?;
    check_bundle_path(&a.bundle)?;
    let times = super::render::times(a.output.tz.as_deref())?;
    let report = run_verify(&a.bundle, &trusting(trust, &a.tsa)?)?;
    let mut out = io::stdout().lock();
    if a.output.json {
        json::print(&mut out, &json::Log::of(&report))?;
    } else {
        text::report(&mut out, &report, &times, text::Parts::Timeline)?;
    }
    Ok(render::exit_code(&report))
}

pub fn inspect(a: InspectArgs) -> Result<u8, CliError> {
    let meta = std::fs::metadata(&a.path)
        .map_err(|e| CliError::io(format!("{}: cannot open", a.path.display()), e))?;
    let head = if meta.is_dir() {
        Vec::new()
    } else {
        first_bytes(&a.path)?
    };
    let is_bundle =
        meta.is_dir() || head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06");
    let mut out = io::stdout().lock();
    if is_bundle {
        let trust = a.trust.resolve()?;
        let times = super::render::times(a.output.tz.as_deref())?;
        let report = run_verify(&a.path, &trusting(trust, &a.tsa)?)?;
        if a.output.json {
            json::print(
                &mut out,
                &json::InspectBundle {
                    report: &report,
                    evidence: &report.evidence,
                },
            )?;
        } else {
            text::report(&mut out, &report, &times, text::Parts::Verify)?;
            if let Some(ev) = &report.evidence {
                let checked = report.claims.as_ref().is_some_and(|c| c.checked);
                let note = if checked {
                    "as evidence.json records them"
                } else {
                    "as evidence.json CLAIMS them; it did not pass its checks"
                };
                writeln!(out, "\nItems ({note}):")?;
                for item in &ev.items {
                    writeln!(
                        out,
                        "  {}  {} bytes  sha256 {}",
                        safe(&item.path),
                        item.size,
                        item.sha256
                    )?;
                    writeln!(out, "      from {}", safe(&item.original.path))?;
                    text::media(&mut out, item.media.as_ref(), &item.findings)?;
                }
                text::more_recordings(&mut out, &report)?;
            }
        }
        // What a bundle claims is shown either way; the exit code says whether it checks out.
        return Ok(render::exit_code(&report));
    }
    let label = earwitness::ingest::display_path(&a.path);
    let probed = earwitness::probe::probe_file(&a.path, &label, earwitness::probe::Depth::Decode);
    let digests = std::fs::File::open(&a.path)
        .and_then(earwitness::digest::hash_reader)
        .map_err(|e| CliError::io(format!("{}: cannot read", safe(&label)), e))?;
    if a.output.json {
        json::print(
            &mut out,
            &json::InspectFile {
                path: &label,
                size: digests.len,
                sha256: digests.sha256.to_hex(),
                media: &probed.media,
                findings: &probed.findings,
            },
        )?;
    } else {
        writeln!(
            out,
            "{}  {} bytes  sha256 {}",
            safe(&label),
            digests.len,
            digests.sha256
        )?;
        text::media(&mut out, probed.media.as_ref(), &probed.findings)?;
    }
    Ok(0)
}
