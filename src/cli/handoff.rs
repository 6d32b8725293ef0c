//! `transfer`, `receive` and `note`: append one signed custody event to a bundle.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::Args;

use super::args::{ClaimArgs, SignerArgs, TrustArgs, TsaArgs};
use super::error::{self, CliError};
use super::keyfile;
use super::render::{Times, short_path, text};
use earwitness::custody::{Action, Claims, Violation};
use earwitness::handoff::{self, HandoffError, HandoffOptions};
use earwitness::keys::{self, Signer};
use earwitness::text::{count, safe, safe_short};
use earwitness::verify::Report;

/// What every hand-off takes.
#[derive(Args)]
pub struct Common {
    /// The bundle (.zip), updated in place.
    bundle: PathBuf,
    #[command(flatten)]
    signer: SignerArgs,
    #[command(flatten)]
    claims: ClaimArgs,
    #[command(flatten)]
    trust: TrustArgs,
    #[command(flatten)]
    tsa: TsaArgs,
}

#[derive(Args)]
pub struct TransferArgs {
    #[command(flatten)]
    common: Common,
    /// The recipient's name.
    #[arg(long, value_name = "NAME")]
    to: String,
    /// The recipient's public key (.pub or PEM file) or fingerprint: only this key can receive.
    #[arg(long, value_name = "KEY|FPR")]
    to_key: String,
    /// A note for the record.
    #[arg(long)]
    note: Option<String>,
}

#[derive(Args)]
pub struct ReceiveArgs {
    #[command(flatten)]
    common: Common,
    /// A note for the record.
    #[arg(long)]
    note: Option<String>,
    /// Also write a receipt (the new event and its signature) to this file, for the sender.
    #[arg(long, value_name = "FILE")]
    receipt: Option<PathBuf>,
}

#[derive(Args)]
pub struct NoteArgs {
    #[command(flatten)]
    common: Common,
    /// The note.
    #[arg(long)]
    text: String,
}

pub fn transfer(a: TransferArgs) -> Result<u8, CliError> {
    let to_key = keys::parse_trust(&a.to_key)
        .map_err(|e| CliError::trust_key(&a.to_key, e))?
        .fingerprint;
    let action = Action::Transferred {
        to: Some(a.to),
        to_key,
    };
    run(&a.common, action, a.note, None)
}

pub fn receive(a: ReceiveArgs) -> Result<u8, CliError> {
    if let Some(r) = &a.receipt
        && r.exists()
    {
        return Err(CliError::usage(format!(
            "{}: already exists; choose another receipt file",
            r.display()
        )));
    }
    run(&a.common, Action::Received, a.note, a.receipt.as_deref())
}

pub fn note(a: NoteArgs) -> Result<u8, CliError> {
    run(&a.common, Action::Noted, Some(a.text), None)
}

fn run(
    common: &Common,
    action: Action,
    note: Option<String>,
    receipt: Option<&Path>,
) -> Result<u8, CliError> {
    if !common.bundle.exists() {
        return Err(CliError::usage(format!(
            "{}: no such file",
            common.bundle.display()
        )));
    }
    let trust = common.trust.resolve()?;
    let (_, signer) = keyfile::signer(common.signer.key.as_deref())?;
    let options = HandoffOptions {
        bundle: common.bundle.clone(),
        action,
        claims: Claims {
            actor: common
                .claims
                .actor
                .clone()
                .or_else(|| signer.name().map(str::to_string)),
            organization: common.claims.org.clone(),
            note,
        },
        time: earwitness::time::event_time().map_err(CliError::usage)?,
        trust,
        tsa: common.tsa.resolve(),
    };
    let times = super::render::times(None)?;
    let mut out = io::stdout().lock();
    match handoff::append_event(&options, &signer) {
        Ok(done) => {
            writeln!(
                out,
                "{}: appended {} (event {}, signed by {}{})",
                common.bundle.display(),
                done.event_path,
                done.event.seq,
                signer
                    .name()
                    .map(|n| format!("{} ", safe(n)))
                    .unwrap_or_default(),
                done.event.key
            )?;
            for (token, url) in done.tokens.iter().zip(&options.tsa.urls) {
                writeln!(out, "  time-stamp: {token} (from {})", safe(url))?;
            }
            if !options.trust.is_pinned() {
                unchecked_signers(&mut out, &done.before)?;
            }
            if options.action == Action::Received {
                summary(&mut out, &done.before, &signer, &times)?;
            }
            if let (Some(path), Some(r)) = (receipt, &done.receipt) {
                r.write(path).map_err(|e| {
                    CliError::io(
                        format!(
                            "the event was appended, but the receipt {} could not be written",
                            path.display()
                        ),
                        e,
                    )
                })?;
                writeln!(
                    out,
                    "Receipt written to {}: give it to the sender to keep.",
                    path.display()
                )?;
            }
            Ok(0)
        }
        Err(HandoffError::Failed(report)) => {
            text::report(&mut out, &report, &times, text::Parts::Verify)?;
            writeln!(out, "\nNothing was added; the bundle is unchanged.")?;
            Ok(error::FAILED)
        }
        Err(HandoffError::NotTrusted(report)) => {
            text::report(&mut out, &report, &times, text::Parts::Timeline)?;
            writeln!(
                out,
                "\nNothing was added; the bundle is unchanged. You gave trusted keys, and not every earlier event is signed by one of them: confirm the other keys with their holders, add them with `earwitness trust add`, and run this again."
            )?;
            Ok(error::NOT_TRUSTED)
        }
        Err(HandoffError::Refused(v)) => Err(refusal(v, &signer)),
        Err(e @ HandoffError::Claim(_)) => {
            Err(CliError::usage(e.to_string()).hint("retype the text without it"))
        }
        Err(e @ HandoffError::Timestamp(_)) => Err(CliError::usage(error::describe(&e)).hint(
            "check the --tsa URL, or hand off without --tsa and run `earwitness timestamp` later",
        )),
        Err(e) => Err(CliError::usage(error::describe(&e))),
    }
}

/// A hand-off the custody rules do not allow, with what to do instead.
fn refusal(v: Violation, signer: &Signer) -> CliError {
    let me = signer.fingerprint();
    let (message, hint) = match &v {
        Violation::NotHolder { holder, .. } => (
            format!(
                "you (key {me}) do not hold this bundle; its holder is {holder}, and only the holder can transfer it"
            ),
            "the holder must run `earwitness transfer`, or hand it to you first",
        ),
        Violation::InTransit(p) => (
            format!(
                "the bundle is still in transit to {p}; it must be received before it is transferred again"
            ),
            "the recipient runs `earwitness receive` first",
        ),
        Violation::NothingToReceive => (
            "no transfer is waiting to be received in this bundle".to_string(),
            "the sender must run `earwitness transfer --to-key YOUR-KEY.pub` first",
        ),
        Violation::NotRecipient { expected, .. } => (
            format!(
                "this bundle was transferred to {expected}, not to your key {me}; only the named recipient can receive it"
            ),
            "receive with the key the transfer named (--key), or ask the sender to transfer it to your key",
        ),
        other => (other.to_string(), ""),
    };
    let err = CliError::usage(message);
    if hint.is_empty() { err } else { err.hint(hint) }
}

/// Says plainly that the earlier signers were not checked against trusted keys, and names them.
fn unchecked_signers(out: &mut impl Write, before: &Report) -> io::Result<()> {
    writeln!(
        out,
        "The earlier events were NOT checked against keys you trust (no --trust or --trust-file was given). They are signed by:"
    )?;
    let mut seen: Vec<&str> = Vec::new();
    for e in &before.events {
        if seen.contains(&e.key.as_str()) {
            continue;
        }
        seen.push(&e.key);
        let claim = e
            .actor
            .as_deref()
            .map(|a| format!(" (\"{}\" in the bundle)", safe_short(a, 80)))
            .unwrap_or_default();
        writeln!(out, "  {}{claim}", e.key)?;
    }
    writeln!(
        out,
        "Confirm these keys with their holders; next time pass --trust KEY.pub or --trust-file FILE."
    )
}

/// What the recipient accepted.
fn summary(
    out: &mut impl Write,
    before: &Report,
    signer: &Signer,
    times: &Times,
) -> io::Result<()> {
    let names: Vec<String> = before
        .recordings
        .iter()
        .take(5)
        .map(|r| safe_short(short_path(&r.path), 60))
        .collect();
    let more = (before.recordings_total as usize).saturating_sub(names.len());
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    writeln!(
        out,
        "Accepted: {} ({}{more}), every one re-hashed and intact.",
        count(before.recordings_total, "file", "files"),
        names.join(", ")
    )?;
    if let Some(last) = before.events.last() {
        writeln!(
            out,
            "Before you: event {} ({}, {}); you now hold the bundle with key {}.",
            last.seq,
            safe(&last.action),
            times.show(&last.time),
            signer.fingerprint()
        )?;
    }
    Ok(())
}
