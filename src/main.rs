//! The earwitness command line: parses flags, calls the library, prints, and picks the exit code.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};
use clap::{Args, Parser, Subcommand};

use earwitness::finding::Severity;
use earwitness::handoff::{self, HandoffOptions, Kind};
use earwitness::keys::{self, TrustedKey};
use earwitness::probe::worker;
use earwitness::seal::{self, SealOptions};
use earwitness::verify::{self, Verdict, VerifyOptions};

const EXIT_CODES: &str = "\
Exit codes:
  0  success; for verify: the bundle is intact and every signature is valid
  1  verification failed: tampering, a malformed or hostile bundle, or a signer outside --trust
  2  usage or I/O error (bad flags, no such file, a refused input, a wrong passphrase)";

/// Seal audio recordings into signed, independently verifiable evidence bundles.
#[derive(Parser)]
#[command(name = "earwitness", version, after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Make a new Ed25519 signing key (OpenSSH format) and its .pub file.
    #[command(after_help = EXIT_CODES)]
    Keygen(KeygenArgs),
    /// Archive files and folders into one signed bundle.
    #[command(after_help = EXIT_CODES)]
    Seal(SealArgs),
    /// Check a bundle (a .zip, or an unzipped bundle folder): every hash, signature and link.
    #[command(after_help = EXIT_CODES)]
    Verify(VerifyArgs),
    /// Show what a bundle holds, or what earwitness reads in one recording.
    #[command(after_help = EXIT_CODES)]
    Inspect(InspectArgs),
    /// Hand a bundle to a recipient: verify it, then append a signed `transferred` event.
    #[command(after_help = EXIT_CODES)]
    Transfer(TransferArgs),
    /// Take a bundle that was transferred to you: re-hash and verify all of it, then append a
    /// signed `received` event (and write a receipt for the sender).
    #[command(after_help = EXIT_CODES)]
    Receive(ReceiveArgs),
    /// Append a signed note to a bundle's custody record.
    #[command(after_help = EXIT_CODES)]
    Note(NoteArgs),
    /// Show a bundle's custody timeline, and who holds it now.
    #[command(after_help = EXIT_CODES)]
    Log(LogArgs),
    /// Keys: show a key's fingerprint and its public key in OpenSSH and PEM forms.
    #[command(subcommand)]
    Key(KeyCommand),
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Print a key's fingerprint and public key (the secret key is never printed).
    Show {
        /// A secret key file, or a public key file (.pub or PEM).
        key: PathBuf,
    },
}

/// Which signers the user trusts.
#[derive(Args)]
struct TrustArgs {
    /// A trusted signer: a public key file (.pub or PEM) or a fingerprint (SHA256:...). Repeatable.
    #[arg(long, value_name = "KEY")]
    trust: Vec<String>,
    /// An OpenSSH allowed_signers file of trusted signers, with their names. Repeatable.
    #[arg(long, value_name = "FILE")]
    trust_file: Vec<PathBuf>,
}

/// Who acts in a hand-off.
#[derive(Args)]
struct ActorArgs {
    /// Your signing key (an OpenSSH Ed25519 private key). Default: your default key.
    #[arg(long, value_name = "PATH")]
    key: Option<PathBuf>,
    /// Your name, as recorded in the event.
    #[arg(long)]
    actor: Option<String>,
    /// Your organisation.
    #[arg(long)]
    org: Option<String>,
}

#[derive(Args)]
struct TransferArgs {
    /// The bundle (.zip), updated in place.
    bundle: PathBuf,
    #[command(flatten)]
    who: ActorArgs,
    /// The recipient's name.
    #[arg(long, value_name = "NAME")]
    to: String,
    /// The recipient's public key (.pub or PEM file) or fingerprint: only this key can receive.
    #[arg(long, value_name = "KEY")]
    to_key: String,
    /// A note for the record.
    #[arg(long)]
    note: Option<String>,
    #[command(flatten)]
    trust: TrustArgs,
}

#[derive(Args)]
struct ReceiveArgs {
    /// The bundle (.zip), updated in place.
    bundle: PathBuf,
    #[command(flatten)]
    who: ActorArgs,
    /// A note for the record.
    #[arg(long)]
    note: Option<String>,
    /// Also write a receipt (the new event and its signature) to this file, for the sender.
    #[arg(long, value_name = "FILE")]
    receipt: Option<PathBuf>,
    #[command(flatten)]
    trust: TrustArgs,
}

#[derive(Args)]
struct NoteArgs {
    /// The bundle (.zip), updated in place.
    bundle: PathBuf,
    #[command(flatten)]
    who: ActorArgs,
    /// The note.
    #[arg(long)]
    text: String,
    #[command(flatten)]
    trust: TrustArgs,
}

#[derive(Args)]
struct LogArgs {
    /// The bundle: a .zip file or an unzipped bundle folder.
    bundle: PathBuf,
    #[command(flatten)]
    trust: TrustArgs,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct KeygenArgs {
    /// Where to write the secret key; the public key goes to the same path plus ".pub".
    #[arg(long, value_name = "PATH")]
    out: PathBuf,
    /// A comment stored in the key (for example the holder's name).
    #[arg(long)]
    comment: Option<String>,
    /// Replace existing key files.
    #[arg(long)]
    force: bool,
    /// Protect the secret key with a passphrase (OpenSSH's own encryption, so ssh-keygen reads
    /// it too). The passphrase is read from the terminal, or from EARWITNESS_PASSPHRASE.
    #[arg(long)]
    passphrase: bool,
}

#[derive(Args)]
struct SealArgs {
    /// The signing key (an OpenSSH Ed25519 private key). Default: the key in earwitness's config
    /// folder, made on first use.
    #[arg(long, value_name = "PATH")]
    key: Option<PathBuf>,
    /// The case identifier.
    #[arg(long)]
    case: Option<String>,
    /// Who is sealing.
    #[arg(long)]
    actor: Option<String>,
    /// The sealer's organisation.
    #[arg(long)]
    org: Option<String>,
    /// A note for the record.
    #[arg(long)]
    note: Option<String>,
    /// The bundle to write (a .zip file).
    #[arg(long, value_name = "PATH")]
    out: PathBuf,
    /// Replace the output if it exists.
    #[arg(long)]
    force: bool,
    /// Parallel workers (default: the number of cores).
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// Seconds a recording may take to decode before it is stopped (plus one second per MiB).
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    decode_timeout: u64,
    /// Address-space limit of each decode worker, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 2048)]
    decode_memory: u64,
    /// Files and folders to archive (folders are walked recursively).
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
}

#[derive(Args)]
struct VerifyArgs {
    /// The bundle: a .zip file or an unzipped bundle folder.
    bundle: PathBuf,
    #[command(flatten)]
    trust: TrustArgs,
    /// A receipt from `receive --receipt`: the bundle must still contain its event. Repeatable.
    #[arg(long, value_name = "FILE")]
    expect_receipt: Vec<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Also decode every recording again (in isolated workers) and compare with evidence.json.
    #[arg(long)]
    deep: bool,
    /// Parallel decode workers for --deep (default: the number of cores).
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
}

#[derive(Args)]
struct InspectArgs {
    /// A bundle (.zip or folder), or a recording.
    path: PathBuf,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    // rusty-opus picks SIMD kernels by CPU, and they differ in the last bits of the decoded
    // samples; pin its scalar kernels so an Opus recording's pcm_sha256 is the same on every
    // machine (and in the decode workers, which inherit the environment).
    // SAFETY: nothing else runs yet; no other thread can read the environment concurrently.
    unsafe { std::env::set_var("RUSTY_OPUS_ISA", "scalar") };
    // A probe worker (see earwitness::probe::worker): not a user command.
    let mut args = std::env::args_os().skip(1);
    if args.next().is_some_and(|a| a == worker::WORKER_ARG) {
        let memory = args
            .next()
            .and_then(|m| m.to_str().and_then(|m| m.parse().ok()))
            .unwrap_or(worker::Limits::default().memory_mib);
        return match worker::serve(memory) {
            Ok(()) => ExitCode::SUCCESS,
            Err(_) => ExitCode::from(2),
        };
    }
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Keygen(a) => keygen(a),
        Command::Seal(a) => seal_cmd(a),
        Command::Verify(a) => verify_cmd(a),
        Command::Inspect(a) => inspect(a),
        Command::Transfer(a) => transfer_cmd(a),
        Command::Receive(a) => receive_cmd(a),
        Command::Note(a) => note_cmd(a),
        Command::Log(a) => log_cmd(a),
        Command::Key(KeyCommand::Show { key }) => key_show(&key),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // A closed pipe (`earwitness verify x | head`) is not an error.
            let broken_pipe = e.chain().any(|c| {
                c.downcast_ref::<io::Error>().map(io::Error::kind)
                    == Some(io::ErrorKind::BrokenPipe)
                    || c.downcast_ref::<serde_json::Error>()
                        .and_then(serde_json::Error::io_error_kind)
                        == Some(io::ErrorKind::BrokenPipe)
            });
            if broken_pipe {
                return ExitCode::SUCCESS;
            }
            eprintln!("earwitness: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// A key's passphrase: from EARWITNESS_PASSPHRASE, or asked for on the terminal.
fn ask_passphrase(prompt: &str) -> Option<zeroize::Zeroizing<String>> {
    if let Ok(p) = std::env::var(keys::PASSPHRASE_ENV) {
        return Some(zeroize::Zeroizing::new(p));
    }
    if !io::stdin().is_terminal() {
        return None;
    }
    rpassword::prompt_password(prompt)
        .ok()
        .map(zeroize::Zeroizing::new)
}

fn load_signer(path: &Path) -> Result<keys::Signer> {
    let prompt = format!("Passphrase for {}: ", path.display());
    Ok(keys::load_signer(path, &mut || ask_passphrase(&prompt))?)
}

/// The passphrase for a new key, typed twice on a terminal.
fn new_passphrase() -> Result<zeroize::Zeroizing<String>> {
    if let Ok(p) = std::env::var(keys::PASSPHRASE_ENV) {
        return Ok(zeroize::Zeroizing::new(p));
    }
    if !io::stdin().is_terminal() {
        return Err(anyhow!(
            "--passphrase needs a terminal to type the passphrase, or {} set",
            keys::PASSPHRASE_ENV
        ));
    }
    let first = zeroize::Zeroizing::new(rpassword::prompt_password("New passphrase: ")?);
    let again = zeroize::Zeroizing::new(rpassword::prompt_password("Same passphrase again: ")?);
    if first != again {
        return Err(anyhow!("the two passphrases differ; nothing was written"));
    }
    if first.is_empty() {
        return Err(anyhow!(
            "an empty passphrase protects nothing; leave out --passphrase instead"
        ));
    }
    Ok(first)
}

fn keygen(a: KeygenArgs) -> Result<ExitCode> {
    let comment = a.comment.unwrap_or_else(|| "earwitness".into());
    let key = keys::generate(&comment)?;
    let passphrase = if a.passphrase {
        Some(new_passphrase()?)
    } else {
        None
    };
    create_private_dir(a.out.parent())?;
    let written = keys::write_keypair(
        &key,
        &a.out,
        a.force,
        passphrase.as_deref().map(String::as_str),
    )?;
    println!(
        "secret key:  {} (keep it private)",
        written.secret.display()
    );
    println!("public key:  {}", written.public.display());
    println!("fingerprint: {}", written.fingerprint);
    Ok(ExitCode::SUCCESS)
}

/// Creates a missing folder for key files, readable only by its owner.
fn create_private_dir(dir: Option<&Path>) -> Result<()> {
    let Some(dir) = dir.filter(|d| !d.as_os_str().is_empty() && !d.exists()) else {
        return Ok(());
    };
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .with_context(|| format!("cannot create the folder {}", dir.display()))
}

/// The default key's path: `<config dir>/earwitness/default-key`.
fn default_key_path() -> Result<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(dirs::config_dir)
        .ok_or_else(|| anyhow!("cannot find a config folder for the default key; pass --key"))?;
    Ok(base.join("earwitness").join("default-key"))
}

fn load_or_create_default_key() -> Result<(PathBuf, keys::Signer)> {
    let path = default_key_path()?;
    if !path.exists() {
        create_private_dir(path.parent())?;
        let key = keys::generate("earwitness default key")?;
        let written = keys::write_keypair(&key, &path, false, None)?;
        eprintln!(
            "earwitness: created your default signing key at {}\n            fingerprint {}\n            (public key: {}; give it to whoever must verify your bundles)",
            written.secret.display(),
            written.fingerprint,
            written.public.display()
        );
    }
    let signer = load_signer(&path)?;
    Ok((path, signer))
}

fn seal_cmd(a: SealArgs) -> Result<ExitCode> {
    let (key_path, signer) = match &a.key {
        Some(p) => (p.clone(), load_signer(p)?),
        None => load_or_create_default_key()?,
    };
    let time = seal::seal_time().map_err(|e| anyhow!(e))?;
    let options = SealOptions {
        inputs: a.inputs,
        output: a.out,
        case: a.case,
        actor: a.actor,
        organization: a.org,
        note: a.note,
        time,
        force: a.force,
        jobs: a.jobs.unwrap_or_else(cores),
        probe: probe_workers(worker::Limits {
            timeout_base: std::time::Duration::from_secs(a.decode_timeout),
            memory_mib: a.decode_memory,
            ..worker::Limits::default()
        })?,
    };
    let progress = Bar::new();
    let sealed = seal::seal(&options, &signer, &progress)?;
    progress.finish();
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "sealed {} ({} files, {} bytes)",
        sealed.output.display(),
        sealed.files,
        sealed.bytes
    )?;
    writeln!(out, "  bag:         {}", sealed.bag)?;
    writeln!(
        out,
        "  signed by:   {} ({})",
        sealed.fingerprint,
        key_path.display()
    )?;
    if !sealed.findings.is_empty() {
        writeln!(out, "  findings recorded in evidence.json:")?;
        for f in &sealed.findings {
            writeln!(
                out,
                "    {:7} {:28} {}: {}",
                f.severity.as_str(),
                f.code,
                f.path.as_deref().unwrap_or(""),
                f.message
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// Decoding in worker processes of this same binary.
fn probe_workers(limits: worker::Limits) -> Result<earwitness::probe::ProbeIn> {
    Ok(earwitness::probe::ProbeIn::Workers {
        program: std::env::current_exe()
            .context("cannot find the earwitness binary to start decode workers")?,
        limits,
    })
}

fn parse_trust(args: &TrustArgs) -> Result<Vec<TrustedKey>> {
    let mut out = Vec::new();
    for v in &args.trust {
        out.push(keys::parse_trust(v).with_context(|| format!("--trust {v}"))?);
    }
    for f in &args.trust_file {
        let listed = keys::parse_allowed_signers(f)
            .with_context(|| format!("--trust-file {}", f.display()))?;
        if listed.is_empty() {
            return Err(anyhow!(
                "--trust-file {}: no Ed25519 key for the \"earwitness\" namespace in it",
                f.display()
            ));
        }
        out.extend(listed);
    }
    Ok(out)
}

fn verify_cmd(a: VerifyArgs) -> Result<ExitCode> {
    let trust = parse_trust(&a.trust)?;
    if !a.bundle.exists() {
        return Err(anyhow!("{}: no such file or folder", a.bundle.display()));
    }
    let deep = match a.deep {
        false => None,
        true => Some((
            probe_workers(worker::Limits::default())?,
            a.jobs.unwrap_or_else(cores),
        )),
    };
    let mut expect_receipts = Vec::new();
    for path in &a.expect_receipt {
        let bytes =
            std::fs::read(path).with_context(|| format!("--expect-receipt {}", path.display()))?;
        let receipt = earwitness::custody::Receipt::parse(&bytes).with_context(|| {
            format!(
                "--expect-receipt {}: not an earwitness receipt",
                path.display()
            )
        })?;
        expect_receipts.push(receipt);
    }
    let bar = std::sync::Arc::new(Bar::new());
    let report = verify::verify_path(
        &a.bundle,
        &VerifyOptions {
            trust,
            known_payload: None,
            deep,
            expect_receipts,
            progress: Some(verify::SharedProgress(bar.clone())),
        },
    )
    .with_context(|| format!("{}: cannot open", a.bundle.display()))?;
    bar.finish();
    let mut out = io::stdout().lock();
    if a.json {
        print_json(&mut out, &report)?;
    } else {
        print_report(&mut out, &report)?;
    }
    Ok(exit_for(&report))
}

fn handoff_options(
    bundle: &Path,
    who: &ActorArgs,
    note: Option<String>,
    trust: &TrustArgs,
) -> Result<HandoffOptions> {
    if !bundle.exists() {
        return Err(anyhow!("{}: no such file", bundle.display()));
    }
    Ok(HandoffOptions {
        bundle: bundle.to_path_buf(),
        actor: who.actor.clone(),
        organization: who.org.clone(),
        note,
        time: seal::seal_time().map_err(|e| anyhow!(e))?,
        trust: parse_trust(trust)?,
    })
}

fn signer_for(who: &ActorArgs) -> Result<keys::Signer> {
    match &who.key {
        Some(p) => load_signer(p),
        None => Ok(load_or_create_default_key()?.1),
    }
}

/// Runs one hand-off and prints what happened; a bundle that fails verification is reported and
/// left unchanged (exit 1).
fn run_handoff(
    options: &HandoffOptions,
    kind: &Kind,
    signer: &keys::Signer,
    receipt: Option<&Path>,
) -> Result<ExitCode> {
    match handoff::append_event(options, kind, signer) {
        Ok(done) => {
            let mut out = io::stdout().lock();
            writeln!(
                out,
                "{}: appended {} (event {}, signed by {})",
                options.bundle.display(),
                done.event_path,
                done.event.seq,
                done.event.key
            )?;
            if let Some(path) = receipt {
                handoff::write_receipt(&done.receipt, path).with_context(|| {
                    format!(
                        "the event was appended, but the receipt {} could not be written",
                        path.display()
                    )
                })?;
                writeln!(
                    out,
                    "receipt written to {}: give it to the sender to keep",
                    path.display()
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(handoff::HandoffError::Failed(report))
        | Err(handoff::HandoffError::ReadBack(report)) => {
            let mut out = io::stdout().lock();
            print_report(&mut out, &report)?;
            writeln!(out, "Nothing was added; the bundle is unchanged.")?;
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(e.into()),
    }
}

fn transfer_cmd(a: TransferArgs) -> Result<ExitCode> {
    let to_key = keys::parse_trust(&a.to_key)
        .with_context(|| format!("--to-key {}", a.to_key))?
        .fingerprint;
    let options = handoff_options(&a.bundle, &a.who, a.note.clone(), &a.trust)?;
    let signer = signer_for(&a.who)?;
    run_handoff(
        &options,
        &Kind::Transfer { to: a.to, to_key },
        &signer,
        None,
    )
}

fn receive_cmd(a: ReceiveArgs) -> Result<ExitCode> {
    if let Some(r) = &a.receipt
        && r.exists()
    {
        return Err(anyhow!(
            "{}: already exists; choose another receipt file",
            r.display()
        ));
    }
    let options = handoff_options(&a.bundle, &a.who, a.note.clone(), &a.trust)?;
    let signer = signer_for(&a.who)?;
    run_handoff(&options, &Kind::Receive, &signer, a.receipt.as_deref())
}

fn note_cmd(a: NoteArgs) -> Result<ExitCode> {
    let options = handoff_options(&a.bundle, &a.who, Some(a.text.clone()), &a.trust)?;
    let signer = signer_for(&a.who)?;
    run_handoff(&options, &Kind::Note, &signer, None)
}

fn log_cmd(a: LogArgs) -> Result<ExitCode> {
    let trust = parse_trust(&a.trust)?;
    if !a.bundle.exists() {
        return Err(anyhow!("{}: no such file or folder", a.bundle.display()));
    }
    let report = verify::verify_path(
        &a.bundle,
        &VerifyOptions {
            trust,
            ..VerifyOptions::default()
        },
    )
    .with_context(|| format!("{}: cannot open", a.bundle.display()))?;
    let mut out = io::stdout().lock();
    if a.json {
        let value = serde_json::json!({
            "bundle": report.bundle,
            "verdict": report.verdict,
            "holder": report.holder,
            "events": report.events,
            "findings": report.findings,
        });
        print_json(&mut out, &value)?;
    } else {
        print_report(&mut out, &report)?;
    }
    Ok(exit_for(&report))
}

fn key_show(path: &Path) -> Result<ExitCode> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    let vk = if text.contains("PRIVATE KEY") {
        load_signer(path)?.verifying_key()
    } else {
        keys::load_public(path)?.0
    };
    let mut out = io::stdout().lock();
    writeln!(out, "fingerprint: {}", keys::Fingerprint::of(&vk))?;
    writeln!(out, "openssh:     {}", keys::public_openssh(&vk))?;
    write!(out, "{}", keys::public_pem(&vk))?;
    Ok(ExitCode::SUCCESS)
}

/// Pretty JSON and a final newline.
fn print_json(out: &mut impl Write, value: &impl serde::Serialize) -> Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)?;
    Ok(())
}

/// Exit 1 when verification failed, 0 otherwise.
fn exit_for(report: &verify::Report) -> ExitCode {
    if report.verdict == Verdict::Failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn print_report(out: &mut impl Write, r: &verify::Report) -> io::Result<()> {
    writeln!(out, "bundle:  {}", r.bundle)?;
    if let Some(bag) = &r.bag {
        writeln!(out, "bag:     {bag}")?;
    }
    if let Some(case) = &r.case {
        writeln!(out, "case:    {case}")?;
    }
    writeln!(
        out,
        "payload: {} files, {} bytes",
        r.payload_files, r.payload_bytes
    )?;
    if !r.events.is_empty() {
        writeln!(out, "custody:")?;
        for e in &r.events {
            let who = match (&e.trusted, &e.trusted_name) {
                (true, Some(name)) => format!("trusted as {name:?}"),
                (true, None) => "trusted".into(),
                (false, _) => "NOT TRUSTED".into(),
            };
            let sig = if e.signature_valid {
                "signature valid"
            } else {
                "SIGNATURE INVALID"
            };
            writeln!(
                out,
                "  #{} {:9} {}  by {}  key {}  {sig}, {who}",
                e.seq,
                e.action,
                e.time,
                e.actor.as_deref().unwrap_or("(no actor)"),
                e.key
            )?;
            if let (Some(to), Some(key)) = (&e.to, &e.to_key) {
                writeln!(out, "      to:   {to} ({key})")?;
            }
            if let Some(note) = &e.note {
                writeln!(out, "      note: {note}")?;
            }
        }
    }
    if let Some(holder) = &r.holder {
        writeln!(out, "held by: {holder}")?;
    }
    if !r.findings.is_empty() {
        writeln!(out, "findings:")?;
        for f in &r.findings {
            let path = f
                .path
                .as_deref()
                .map(|p| format!("{p}: "))
                .unwrap_or_default();
            writeln!(
                out,
                "  {:7} {:30} {path}{}",
                f.severity.as_str(),
                f.code,
                f.message
            )?;
        }
    }
    let errors = r
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    match r.verdict {
        Verdict::Failed => writeln!(
            out,
            "RESULT: FAILED ({errors} error{}). Do not rely on this bundle; see the findings above.",
            if errors == 1 { "" } else { "s" }
        ),
        Verdict::IntactUntrusted => writeln!(
            out,
            "RESULT: INTACT, BUT THE SIGNER IS NOT TRUSTED. Every hash and signature checks out, but no \
             --trust key was given. Confirm the fingerprint above with the signer, then verify with --trust."
        ),
        Verdict::Trusted => writeln!(
            out,
            "RESULT: VERIFIED. Intact, and every event is signed by a trusted key."
        ),
    }
}

fn inspect(a: InspectArgs) -> Result<ExitCode> {
    let meta =
        std::fs::metadata(&a.path).with_context(|| format!("{}: cannot open", a.path.display()))?;
    let is_bundle = meta.is_dir() || looks_like_zip(&a.path)?;
    let mut out = io::stdout().lock();
    if is_bundle {
        let report = verify::verify_path(&a.path, &VerifyOptions::default())
            .with_context(|| format!("{}: cannot open", a.path.display()))?;
        if a.json {
            let value = serde_json::json!({
                "bundle": report.bundle,
                "verdict": report.verdict,
                "evidence": report.evidence,
                "events": report.events,
                "findings": report.findings,
            });
            print_json(&mut out, &value)?;
        } else {
            print_report(&mut out, &report)?;
            if let Some(ev) = &report.evidence {
                writeln!(out, "items (as evidence.json records them):")?;
                for item in &ev.items {
                    writeln!(
                        out,
                        "  {}  {} bytes  sha256 {}",
                        item.path, item.size, item.sha256
                    )?;
                    writeln!(out, "      from {}", item.original.path)?;
                    print_media(&mut out, item.media.as_ref(), &item.findings)?;
                }
            }
        }
        // What a bundle claims is shown either way; the exit code says whether it checks out.
        return Ok(exit_for(&report));
    }
    let label = earwitness::ingest::display_path(&a.path);
    let probed = earwitness::probe::probe_file(&a.path, &label, earwitness::probe::Depth::Decode);
    let digests = earwitness::digest::hash_reader(
        std::fs::File::open(&a.path).with_context(|| format!("{label}: cannot open"))?,
    )
    .with_context(|| format!("{label}: cannot read"))?;
    if a.json {
        let value = serde_json::json!({
            "path": label,
            "size": digests.len,
            "sha256": digests.sha256,
            "media": probed.media,
            "findings": probed.findings,
        });
        print_json(&mut out, &value)?;
    } else {
        writeln!(
            out,
            "{label}  {} bytes  sha256 {}",
            digests.len, digests.sha256
        )?;
        print_media(&mut out, probed.media.as_ref(), &probed.findings)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn looks_like_zip(path: &Path) -> Result<bool> {
    use std::io::Read;
    let mut magic = [0u8; 4];
    let mut f =
        std::fs::File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    let n = f
        .read(&mut magic)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    Ok(n == 4 && (&magic == b"PK\x03\x04" || &magic == b"PK\x05\x06"))
}

fn print_media(
    out: &mut impl Write,
    media: Option<&earwitness::evidence::Media>,
    findings: &[earwitness::finding::Finding],
) -> io::Result<()> {
    match media {
        None => writeln!(out, "      media: nothing could be read")?,
        Some(m) => {
            let opt = |v: Option<String>| v.unwrap_or_else(|| "?".into());
            writeln!(
                out,
                "      media: {} / {}, {} Hz, {} ch, {} bits, {} frames, {} s  (read by {})",
                m.container,
                opt(m.codec.clone()),
                opt(m.sample_rate.map(|v| v.to_string())),
                opt(m.channels.map(|v| v.to_string())),
                opt(m.bits_per_sample.map(|v| v.to_string())),
                opt(m.declared_frames.map(|v| v.to_string())),
                opt(m.duration_seconds.map(|v| format!("{v:.3}"))),
                m.reader
            )?;
            for t in &m.tags {
                writeln!(
                    out,
                    "      tag {} [{}] = {:?}",
                    t.key.as_deref().unwrap_or("-"),
                    t.raw_key,
                    t.value
                )?;
            }
        }
    }
    for f in findings {
        writeln!(
            out,
            "      {} {}: {}",
            f.severity.as_str(),
            f.code,
            f.message
        )?;
    }
    Ok(())
}

/// A progress bar on stderr when it is a terminal; nothing otherwise.
struct Bar(Option<indicatif::ProgressBar>);

impl Bar {
    fn new() -> Self {
        if !io::stderr().is_terminal() {
            return Bar(None);
        }
        let bar = indicatif::ProgressBar::new(0);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{prefix}: {wide_msg}\n[{bar:40}] {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} eta {eta}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        Bar(Some(bar))
    }

    fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}

impl seal::Progress for Bar {
    fn start(&self, total: u64, _files: usize) {
        if let Some(b) = &self.0 {
            b.set_length(total);
        }
    }
    fn stage(&self, what: &str) {
        if let Some(b) = &self.0 {
            b.set_prefix(what.to_string());
        }
    }
    fn file(&self, name: &str) {
        if let Some(b) = &self.0 {
            b.set_message(name.to_string());
        }
    }
    fn advance(&self, bytes: u64) {
        if let Some(b) = &self.0 {
            b.inc(bytes);
        }
    }
}
