//! `seal`: archive files and folders into one signed bundle.

use std::io::{self, Write};
use std::path::PathBuf;

use clap::Args;

use super::args::{ClaimArgs, DecodeArgs, SignerArgs, TsaArgs};
use super::error::CliError;
use super::keyfile;
use super::progress::Bar;
use earwitness::custody::Claims;
use earwitness::progress::Progress;
use earwitness::seal::{self, SealError, SealOptions};
use earwitness::text::{count, safe};

#[derive(Args)]
pub struct SealArgs {
    #[command(flatten)]
    signer: SignerArgs,
    /// The case identifier.
    #[arg(long)]
    case: Option<String>,
    #[command(flatten)]
    claims: ClaimArgs,
    /// A note for the record (may span lines).
    #[arg(long)]
    note: Option<String>,
    /// The bundle to write (a .zip file).
    #[arg(long, value_name = "PATH")]
    out: PathBuf,
    /// Replace the output if it exists.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    decode: DecodeArgs,
    #[command(flatten)]
    tsa: TsaArgs,
    /// Files and folders to archive (folders are walked recursively).
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
}

pub fn seal(a: SealArgs) -> Result<u8, CliError> {
    let (key_path, signer) = keyfile::signer(a.signer.key.as_deref())?;
    let time = earwitness::time::event_time().map_err(CliError::usage)?;
    let options = SealOptions {
        inputs: a.inputs,
        output: a.out,
        case: a.case,
        claims: Claims {
            actor: a.claims.actor.or_else(|| signer.name().map(str::to_string)),
            organization: a.claims.org,
            note: a.note,
        },
        time,
        force: a.force,
        jobs: a.decode.jobs(),
        probe: a.decode.probe()?,
        tsa: a.tsa.resolve(),
    };
    let tsa_urls = options.tsa.urls.clone();
    let progress = Bar::new();
    let sealed = seal::seal(&options, &signer, &progress).map_err(|e| {
        if let SealError::ReadBack(earwitness::commit::CommitError::ReadBack(report)) = &e {
            let _ = super::render::text::findings(&mut io::stderr(), &report.findings);
        }
        let hint = match &e {
            SealError::OutputExists(_) => {
                Some("choose another --out, or pass --force to replace it")
            }
            SealError::Claim(_) => Some("retype the text without it"),
            SealError::Timestamp(_) => Some(
                "check the --tsa URL, or seal without --tsa and run `earwitness timestamp` later",
            ),
            _ => None,
        };
        let err = CliError::usage(super::error::describe(&e));
        match hint {
            Some(h) => err.hint(h),
            None => err,
        }
    })?;
    progress.finish();
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "sealed {} ({}, {})",
        sealed.output.display(),
        count(sealed.files as u64, "file", "files"),
        count(sealed.bytes, "byte", "bytes")
    )?;
    writeln!(out, "  bag:         {}", safe(&sealed.bag))?;
    let who = signer
        .name()
        .map(|n| format!("{} ", safe(n)))
        .unwrap_or_default();
    writeln!(
        out,
        "  signed by:   {who}{} ({})",
        sealed.fingerprint,
        key_path.display()
    )?;
    for (token, url) in sealed.tokens.iter().zip(&tsa_urls) {
        writeln!(out, "  time-stamp:  {token} (from {})", safe(url))?;
    }
    if !sealed.findings.is_empty() {
        writeln!(out, "  findings recorded in evidence.json:")?;
        for f in &sealed.findings {
            writeln!(
                out,
                "    {:7} {:28} {}: {}",
                f.severity.as_str(),
                f.code,
                safe(f.path.as_deref().unwrap_or("")),
                safe(&f.message)
            )?;
        }
        let more = sealed.findings_total - sealed.findings.len() as u64;
        if more > 0 {
            writeln!(
                out,
                "    ... and {more} more; `earwitness inspect {}` lists them all",
                safe(&sealed.output.display().to_string())
            )?;
        }
    }
    Ok(0)
}
