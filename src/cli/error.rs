//! The command line's errors: the library's typed errors, with the advice about flags that only
//! the command line can give ("pass --force", "use the file without .pub"), and an exit code.

use std::fmt;
use std::io;
use std::path::Path;

use earwitness::keys::KeyError;

/// Exit code 1: the bundle failed verification.
pub const FAILED: u8 = 1;
/// Exit code 2: a usage or I/O error.
pub const USAGE: u8 = 2;
/// Exit code 3: the bundle is intact, but not every event is signed by a key you trust.
pub const NOT_TRUSTED: u8 = 3;

/// An error for people: what went wrong, what to do next, and the exit code.
#[derive(Debug)]
pub struct CliError {
    /// The exit code (0 only for a closed output pipe, which is not an error).
    pub code: u8,
    /// What went wrong.
    pub message: String,
    /// What to do next, if there is advice.
    pub hint: Option<String>,
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl CliError {
    /// A usage error (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        CliError {
            code: USAGE,
            message: message.into(),
            hint: None,
        }
    }

    /// The same error, with advice.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// An I/O error while doing `context` (exit 2).
    pub fn io(context: impl fmt::Display, e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::BrokenPipe {
            return Self::pipe();
        }
        Self::usage(format!("{context}: {e}"))
    }

    /// A closed output pipe (`earwitness verify x | head`): not an error.
    pub fn pipe() -> Self {
        CliError {
            code: 0,
            message: String::new(),
            hint: None,
        }
    }

    /// A `--trust` value that could not be used.
    pub fn trust_key(value: &str, e: KeyError) -> Self {
        let hint = match &e {
            KeyError::IsSecretKey(p) => Some(format!(
                "--trust takes a public key: give {}.pub (or the key's SHA256: fingerprint), never the secret key",
                p.display()
            )),
            KeyError::Io { .. } if !value.starts_with("SHA256:") && value.starts_with("SHA") => {
                Some(
                    "a fingerprint starts with SHA256: (as `earwitness key show` prints it)".into(),
                )
            }
            _ => None,
        };
        let err = Self::usage(format!("--trust {value}: {e}"));
        match hint {
            Some(h) => err.hint(h),
            None => err,
        }
    }

    /// A `--trust-file` that could not be used.
    pub fn trust_file(path: &Path, e: KeyError) -> Self {
        let err = Self::usage(format!("--trust-file {}: {e}", path.display()));
        match e {
            KeyError::NotAllowedSigners(_) => err.hint(format!(
                "for one key, use --trust {}; to make a trust file, run `earwitness trust add NAME {} --file allowed_signers`",
                path.display(),
                path.display()
            )),
            _ => err,
        }
    }

    /// A signing key (`--key`) that could not be used.
    pub fn signing_key(e: KeyError) -> Self {
        let hint = match &e {
            KeyError::IsPublicKey(p) => {
                let secret = p.to_string_lossy();
                let secret = secret.strip_suffix(".pub").unwrap_or(&secret);
                Some(format!(
                    "--key takes your secret key, the file without .pub (here probably {secret})"
                ))
            }
            _ => None,
        };
        let err = Self::from(e);
        match hint {
            Some(h) => err.hint(h),
            None => err,
        }
    }
}

/// An error and its sources, as one line: `what: why: the OS's reason`.
pub fn describe(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}

impl From<io::Error> for CliError {
    fn from(e: io::Error) -> Self {
        Self::io("cannot write the output", e)
    }
}

impl From<KeyError> for CliError {
    fn from(e: KeyError) -> Self {
        Self::usage(describe(&e))
    }
}

impl From<serde_json::Error> for CliError {
    fn from(e: serde_json::Error) -> Self {
        match e.io_error_kind() {
            Some(io::ErrorKind::BrokenPipe) => Self::pipe(),
            _ => Self::usage(format!("cannot write JSON: {e}")),
        }
    }
}
