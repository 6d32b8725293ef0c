//! Argument groups shared by several commands, and the one place where flags become the library's
//! options (trust, signer, claims, decode limits, time-stamp authorities).

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::error::CliError;
use earwitness::keys::{self, Trust};
use earwitness::probe::{Executor, worker};
use earwitness::timestamp::{self, Certificate, Tsa};

/// Which signers the user trusts.
#[derive(Args, Clone, Debug, Default)]
pub struct TrustArgs {
    /// A trusted signer: a public key file (.pub or PEM) or a fingerprint (SHA256:...). Repeatable.
    #[arg(long, value_name = "KEY|FPR")]
    pub trust: Vec<String>,
    /// An OpenSSH allowed_signers file of trusted signers and their names (see `earwitness trust
    /// add`). Repeatable.
    #[arg(long, value_name = "FILE")]
    pub trust_file: Vec<PathBuf>,
}

impl TrustArgs {
    /// The trust these flags give.
    pub fn resolve(&self) -> Result<Trust, CliError> {
        let mut keys = Vec::new();
        for v in &self.trust {
            let key = keys::parse_trust(v).map_err(|e| CliError::trust_key(v, e))?;
            keys.push(key);
        }
        for f in &self.trust_file {
            let listed = keys::parse_allowed_signers(f).map_err(|e| CliError::trust_file(f, e))?;
            if listed.is_empty() {
                return Err(CliError::usage(format!(
                    "--trust-file {}: no Ed25519 key for the \"earwitness\" namespace in it. Add keys with `earwitness trust add NAME KEY.pub --file {}`",
                    f.display(),
                    f.display()
                )));
            }
            keys.extend(listed);
        }
        Ok(Trust::from_keys(keys))
    }
}

/// The signing key.
#[derive(Args, Clone, Debug, Default)]
pub struct SignerArgs {
    /// Your signing key (an OpenSSH Ed25519 secret key, not the .pub). Default: your default key
    /// in earwitness's config folder, made on first use.
    #[arg(long, value_name = "PATH")]
    pub key: Option<PathBuf>,
}

/// Who acts, as recorded in the event.
#[derive(Args, Clone, Debug, Default)]
pub struct ClaimArgs {
    /// Your name, as recorded in the event. Default: the name stored in your key.
    #[arg(long)]
    pub actor: Option<String>,
    /// Your organisation.
    #[arg(long)]
    pub org: Option<String>,
}

/// Limits for decoding recordings in isolated workers.
#[derive(Args, Clone, Debug)]
pub struct DecodeArgs {
    /// Parallel workers (default: the number of cores).
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Seconds a recording may take to decode before it is stopped (plus one second per MiB).
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub decode_timeout: u64,
    /// Address-space limit of each decode worker, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 2048)]
    pub decode_memory: u64,
}

impl DecodeArgs {
    /// Decoding in worker processes of this same binary, with these limits.
    pub fn probe(&self) -> Result<Executor, CliError> {
        Ok(Executor::Workers {
            program: std::env::current_exe().map_err(|e| {
                CliError::io(
                    "cannot find the earwitness binary to start decode workers",
                    e,
                )
            })?,
            limits: worker::Limits {
                timeout_base: std::time::Duration::from_secs(self.decode_timeout),
                memory_mib: self.decode_memory,
                ..worker::Limits::default()
            },
        })
    }

    /// How many workers.
    pub fn jobs(&self) -> usize {
        self.jobs.unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
    }
}

/// How to print.
#[derive(Args, Clone, Debug, Default)]
pub struct OutputArgs {
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Also show times in this time zone (an IANA name such as Europe/Paris, or `local`).
    /// Default: UTC, and the local zone too when output goes to a terminal.
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
}

/// TSAs to time-stamp a new event with.
#[derive(Args, Clone, Debug, Default)]
pub struct TsaArgs {
    /// Time-stamp the event at this RFC 3161 time-stamp authority (an http:// URL), and store
    /// its token beside the event. Repeatable: one token per TSA. If a TSA cannot be reached or
    /// refuses, nothing is written.
    #[arg(long, value_name = "URL")]
    pub tsa: Vec<String>,
    /// Seconds to wait for each TSA's answer.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub tsa_timeout: u64,
}

impl TsaArgs {
    /// The TSAs these flags name.
    pub fn resolve(&self) -> Tsa {
        Tsa {
            urls: self.tsa.clone(),
            timeout: Duration::from_secs(self.tsa_timeout),
        }
    }
}

/// Whom the user trusts for time-stamps.
#[derive(Args, Clone, Debug)]
pub struct TsaTrustArgs {
    /// A trusted time-stamp authority root: a PEM file of one or more certificates (as given to
    /// `openssl ts -verify -CAfile`). Repeatable. Tokens from other TSAs are reported as not
    /// trusted, which does not fail the bundle.
    #[arg(long, value_name = "ROOT.pem")]
    pub trust_tsa: Vec<PathBuf>,
    /// Seconds an event's claimed time may lie after a TSA's time before it is a warning.
    #[arg(long, value_name = "SECS", default_value_t = 600)]
    pub tsa_tolerance: u64,
}

impl TsaTrustArgs {
    /// The trusted roots, read from their files.
    pub fn roots(&self) -> Result<Vec<Certificate>, CliError> {
        let mut roots = Vec::new();
        for path in &self.trust_tsa {
            let pem = std::fs::read(path)
                .map_err(|e| CliError::io(format!("--trust-tsa {}", path.display()), e))?;
            let certs = timestamp::load_pem_certificates(&pem)
                .map_err(|e| CliError::usage(format!("--trust-tsa {}: {e}", path.display())))?;
            if certs.is_empty() {
                return Err(CliError::usage(format!(
                    "--trust-tsa {}: no certificate in it (a PEM file with -----BEGIN CERTIFICATE-----)",
                    path.display()
                )));
            }
            roots.extend(certs);
        }
        Ok(roots)
    }

    /// The tolerance.
    pub fn tolerance(&self) -> Duration {
        Duration::from_secs(self.tsa_tolerance)
    }
}
