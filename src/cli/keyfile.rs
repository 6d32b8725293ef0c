//! Signing keys at the command line: passphrase prompts, the default key, and key names.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::error::CliError;
use earwitness::keys::{self, Signer};

/// A key's passphrase: from EARWITNESS_PASSPHRASE, or asked for on the terminal.
fn ask_passphrase(prompt: &str) -> Option<Zeroizing<String>> {
    if let Ok(p) = std::env::var(keys::PASSPHRASE_ENV) {
        return Some(Zeroizing::new(p));
    }
    if !io::stdin().is_terminal() {
        return None;
    }
    rpassword::prompt_password(prompt).ok().map(Zeroizing::new)
}

/// Loads the secret key at `path`, asking for its passphrase if it has one.
pub fn load_signer(path: &Path) -> Result<Signer, CliError> {
    let prompt = format!("Passphrase for {}: ", path.display());
    keys::load_signer(path, &mut || ask_passphrase(&prompt)).map_err(CliError::signing_key)
}

/// The passphrase for a new key, typed twice on a terminal.
pub fn new_passphrase() -> Result<Zeroizing<String>, CliError> {
    if let Ok(p) = std::env::var(keys::PASSPHRASE_ENV) {
        return Ok(Zeroizing::new(p));
    }
    if !io::stdin().is_terminal() {
        return Err(CliError::usage(format!(
            "--passphrase needs a terminal to type the passphrase, or {} set",
            keys::PASSPHRASE_ENV
        )));
    }
    let read = |prompt: &str| {
        rpassword::prompt_password(prompt)
            .map(Zeroizing::new)
            .map_err(|e| CliError::io("cannot read the passphrase", e))
    };
    let first = read("New passphrase: ")?;
    let again = read("Same passphrase again: ")?;
    if first != again {
        return Err(CliError::usage(
            "the two passphrases differ; nothing was written",
        ));
    }
    if first.is_empty() {
        return Err(CliError::usage(
            "an empty passphrase protects nothing; leave out --passphrase instead",
        ));
    }
    Ok(first)
}

/// The name for a new key when none is given: asked on a terminal (with the login name as the
/// default answer), otherwise the login name.
pub fn default_key_name() -> Result<String, CliError> {
    let login = login_name();
    if io::stdin().is_terminal() && io::stderr().is_terminal() {
        let mut err = io::stderr();
        let _ = write!(
            err,
            "Name for this key, as colleagues will see it (Enter for {login:?}): "
        );
        let _ = err.flush();
        let mut answer = String::new();
        io::stdin()
            .read_line(&mut answer)
            .map_err(|e| CliError::io("cannot read the name", e))?;
        let answer = answer.trim();
        if !answer.is_empty() {
            return Ok(answer.to_string());
        }
    }
    Ok(login)
}

/// The user's login name, from the environment.
fn login_name() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|n| !n.trim().is_empty()))
        .unwrap_or_else(|| "unnamed signer".into())
}

/// Creates a missing folder for key files, readable only by its owner.
pub fn create_private_dir(dir: Option<&Path>) -> Result<(), CliError> {
    let Some(dir) = dir.filter(|d| !d.as_os_str().is_empty() && !d.exists()) else {
        return Ok(());
    };
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| CliError::io(format!("cannot create the folder {}", dir.display()), e))
}

/// The default key's path: `<config dir>/earwitness/default-key`.
fn default_key_path() -> Result<PathBuf, CliError> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(dirs::config_dir)
        .ok_or_else(|| {
            CliError::usage("cannot find a config folder for the default key").hint("pass --key")
        })?;
    Ok(base.join("earwitness").join("default-key"))
}

/// The signing key: `--key`, or the default key (made, and named after the user, on first use).
pub fn signer(key: Option<&Path>) -> Result<(PathBuf, Signer), CliError> {
    if let Some(p) = key {
        return Ok((p.to_path_buf(), load_signer(p)?));
    }
    let path = default_key_path()?;
    if !path.exists() {
        create_private_dir(path.parent())?;
        let key = keys::generate(&login_name())?;
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
