//! `keygen`, `key show`, `trust add` and `trust list`.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use super::error::CliError;
use super::keyfile;
use earwitness::keys;
use earwitness::text::safe;

#[derive(Args)]
pub struct KeygenArgs {
    /// Where to write the secret key; the public key goes to the same path plus ".pub".
    #[arg(long, value_name = "PATH")]
    out: PathBuf,
    /// The key holder's name, as colleagues and every event signed without --actor will show it
    /// (stored as the key's comment). Default: asked on a terminal, else your login name.
    #[arg(long, alias = "comment", value_name = "NAME")]
    name: Option<String>,
    /// Replace existing key files.
    #[arg(long)]
    force: bool,
    /// Protect the secret key with a passphrase (OpenSSH's own encryption, so ssh-keygen reads
    /// it too). The passphrase is read from the terminal, or from EARWITNESS_PASSPHRASE.
    #[arg(long)]
    passphrase: bool,
}

#[derive(Subcommand)]
pub enum KeyCommand {
    /// Print a key's fingerprint and public key (the secret key is never printed).
    Show {
        /// A secret key file, or a public key file (.pub or PEM).
        key: PathBuf,
        /// Print only the line to send to a colleague for their trust file (allowed_signers).
        #[arg(long)]
        allowed_signers: bool,
    },
}

#[derive(Subcommand)]
pub enum TrustCommand {
    /// Add a colleague's public key to a trust file under a name (creates the file if needed).
    /// Confirm the key's fingerprint with its holder first.
    Add {
        /// The name to show for this key, for example "Field Officer".
        name: String,
        /// The colleague's public key file (.pub or PEM).
        key: PathBuf,
        /// The trust file (OpenSSH allowed_signers format).
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
    },
    /// List the keys a trust file trusts, with their names and fingerprints.
    List {
        /// The trust file.
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
    },
}

pub fn keygen(a: KeygenArgs) -> Result<u8, CliError> {
    let name = match a.name {
        Some(n) => n,
        None => keyfile::default_key_name()?,
    };
    keys::check_principal(&name).map_err(|e| {
        CliError::from(e).hint("choose a name without quotes, commas or control characters")
    })?;
    let key = keys::generate(&name)?;
    let passphrase = if a.passphrase {
        Some(keyfile::new_passphrase()?)
    } else {
        None
    };
    keyfile::create_private_dir(a.out.parent())?;
    let written = keys::write_keypair(
        &key,
        &a.out,
        a.force,
        passphrase.as_deref().map(String::as_str),
    )
    .map_err(|e| match e {
        keys::KeyError::Exists(_) => {
            CliError::from(e).hint("choose another --out, or pass --force to replace it")
        }
        other => other.into(),
    })?;
    let mut out = io::stdout().lock();
    writeln!(out, "name:        {}", safe(&name))?;
    writeln!(
        out,
        "secret key:  {} (keep it private)",
        written.secret.display()
    )?;
    writeln!(out, "public key:  {}", written.public.display())?;
    writeln!(out, "fingerprint: {}", written.fingerprint)?;
    Ok(0)
}

/// The public key and name of a key file (secret or public).
fn public_of(path: &Path) -> Result<(ed25519_dalek::VerifyingKey, String), CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::io(format!("{}: cannot read", path.display()), e))?;
    if text.contains("PRIVATE KEY") {
        let signer = keyfile::load_signer(path)?;
        Ok((
            signer.verifying_key(),
            signer.name().unwrap_or_default().to_string(),
        ))
    } else {
        Ok(keys::load_public(path)?)
    }
}

pub fn key(c: KeyCommand) -> Result<u8, CliError> {
    let KeyCommand::Show {
        key,
        allowed_signers,
    } = c;
    let (vk, name) = public_of(&key)?;
    let mut out = io::stdout().lock();
    if allowed_signers {
        let name = if name.is_empty() { "NAME" } else { &name };
        write!(out, "{}", keys::allowed_signers_line(name, &vk)?)?;
        return Ok(0);
    }
    if !name.is_empty() {
        writeln!(out, "name:        {}", safe(&name))?;
    }
    writeln!(out, "fingerprint: {}", keys::Fingerprint::of(&vk))?;
    writeln!(out, "openssh:     {}", keys::public_openssh(&vk))?;
    write!(out, "{}", keys::public_pem(&vk))?;
    Ok(0)
}

pub fn trust(c: TrustCommand) -> Result<u8, CliError> {
    let mut out = io::stdout().lock();
    match c {
        TrustCommand::Add { name, key, file } => {
            let (vk, _) = keys::load_public(&key).map_err(|e| match e {
                keys::KeyError::IsSecretKey(p) => CliError::usage(format!(
                    "{}: is a secret key; a trust file holds public keys",
                    p.display()
                ))
                .hint(format!("give {}.pub", key.display())),
                other => other.into(),
            })?;
            keys::add_to_allowed_signers(&file, &name, &vk)?;
            writeln!(
                out,
                "{}: now trusts {} as \"{}\"",
                file.display(),
                keys::Fingerprint::of(&vk),
                safe(&name)
            )?;
            writeln!(
                out,
                "Use it with: earwitness verify BUNDLE --trust-file {}",
                file.display()
            )?;
        }
        TrustCommand::List { file } => {
            let listed =
                keys::parse_allowed_signers(&file).map_err(|e| CliError::trust_file(&file, e))?;
            if listed.is_empty() {
                writeln!(
                    out,
                    "{}: no key trusted for earwitness signatures",
                    file.display()
                )?;
            }
            for k in listed {
                let mut limits = String::new();
                if let Some(t) = k.valid_after {
                    limits.push_str(&format!("  from {t}"));
                }
                if let Some(t) = k.valid_before {
                    limits.push_str(&format!("  until {t}"));
                }
                writeln!(
                    out,
                    "{}  {}{limits}",
                    k.fingerprint,
                    safe(k.name.as_deref().unwrap_or(""))
                )?;
            }
        }
    }
    Ok(0)
}
