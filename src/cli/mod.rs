//! The earwitness command line: flags, one file per command, and what people see. The library
//! does the work; this module turns flags into its options and its results into words and exit
//! codes.

mod archive;
mod args;
mod error;
mod handoff;
mod keyfile;
mod keys;
mod progress;
mod render;
mod report;
mod seal;
mod timestamp;
mod verify;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use error::CliError;

/// The exit codes, for every command's --help.
pub const EXIT_CODES: &str = "\
Exit codes:
  0  success; for verify, log, report, inspect of a bundle: VERIFIED (intact, and every
     event is signed by a key you trust)
  1  FAILED: the bundle is tampered with, damaged, or not a valid bundle; for transfer,
     receive, note and timestamp: nothing was added because the bundle failed
  2  usage or I/O error: bad flags, no such file, a refused input or key, a hand-off the
     custody rules do not allow, a time-stamp authority (--tsa) that fails
  3  INTACT, NOT FULLY TRUSTED: every hash and signature holds, but you gave no trusted key,
     or some events are signed by keys outside the ones you trust
For archive push: 1 if a bundle was refused (it failed verification) or the store holds other
bytes than were sent; 3 if a bundle pushed is not fully trusted. For archive audit: 0 every
bundle verified, 1 any failed, 2 any could not be read (or the store cannot be reached, or
refuses the credentials), 3 any not fully trusted.";

/// Seal audio recordings into signed, independently verifiable evidence bundles.
#[derive(Parser)]
#[command(name = "earwitness", version, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Make a new Ed25519 signing key (OpenSSH format) and its .pub file, named after its holder.
    #[command(after_help = EXIT_CODES)]
    Keygen(keys::KeygenArgs),
    /// Archive files and folders into one signed bundle.
    #[command(after_help = EXIT_CODES)]
    Seal(seal::SealArgs),
    /// Check a bundle (a .zip, or an unzipped bundle folder): every hash, signature and link.
    #[command(after_help = EXIT_CODES)]
    Verify(verify::VerifyArgs),
    /// Show what a bundle holds, or what earwitness reads in one recording.
    #[command(after_help = EXIT_CODES)]
    Inspect(verify::InspectArgs),
    /// Hand a bundle to a recipient: verify it, then append a signed `transferred` event.
    #[command(after_help = EXIT_CODES)]
    Transfer(handoff::TransferArgs),
    /// Take a bundle that was transferred to you: re-hash and verify all of it, then append a
    /// signed `received` event (and write a receipt for the sender).
    #[command(after_help = EXIT_CODES)]
    Receive(handoff::ReceiveArgs),
    /// Append a signed note to a bundle's custody record.
    #[command(after_help = EXIT_CODES)]
    Note(handoff::NoteArgs),
    /// Show a bundle's custody timeline, and who holds it now.
    #[command(after_help = EXIT_CODES)]
    Log(verify::LogArgs),
    /// Write a report of a bundle for people (one HTML page, and a PDF): what was checked, the
    /// recordings with their waveforms and spectrograms, the custody timeline, the findings.
    #[command(after_help = EXIT_CODES)]
    Report(report::ReportArgs),
    /// Add an RFC 3161 time-stamp to an event of a bundle: from a TSA now (--tsa), or offline
    /// (--request, then --attach the TSA's answer); --renew to renew earlier time-stamps.
    #[command(after_help = EXIT_CODES)]
    Timestamp(timestamp::TimestampArgs),
    /// Keys: show a key's fingerprint, its public key, and its line for a trust file.
    #[command(subcommand)]
    Key(keys::KeyCommand),
    /// Trust files (OpenSSH allowed_signers): add a colleague's key under a name, list them.
    #[command(subcommand)]
    Trust(keys::TrustCommand),
    /// Bundles in S3-compatible object storage under Object Lock: push them, audit them where
    /// they lie, list them, set or lift a legal hold (`verify s3://BUCKET/KEY` checks one).
    #[command(subcommand)]
    Archive(archive::ArchiveCommand),
}

/// Runs one command; returns the exit code.
pub fn run(cli: Cli) -> Result<ExitCode, CliError> {
    let code = match cli.command {
        Command::Keygen(a) => keys::keygen(a)?,
        Command::Seal(a) => seal::seal(a)?,
        Command::Verify(a) => verify::verify(a)?,
        Command::Inspect(a) => verify::inspect(a)?,
        Command::Transfer(a) => handoff::transfer(a)?,
        Command::Receive(a) => handoff::receive(a)?,
        Command::Note(a) => handoff::note(a)?,
        Command::Log(a) => verify::log(a)?,
        Command::Report(a) => report::report(a)?,
        Command::Timestamp(a) => timestamp::timestamp(a)?,
        Command::Key(c) => keys::key(c)?,
        Command::Trust(c) => keys::trust(c)?,
        Command::Archive(c) => archive::archive(c)?,
    };
    Ok(ExitCode::from(code))
}
