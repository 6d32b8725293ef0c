//! `timestamp`: add an RFC 3161 time-stamp to an event of a bundle later, online (`--tsa`) or
//! offline (`--request`, then `--attach` with the TSA's answer); `--renew` for a renewal.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::Args;

use super::args::TsaArgs;
use super::error::{self, CliError};
use super::render::text;
use earwitness::stamp::{self, Answers, TimestampError, TimestampOptions};
use earwitness::text::safe;
use earwitness::timestamp::{self, Request};

#[derive(Args)]
pub struct TimestampArgs {
    /// The bundle (.zip), updated in place.
    bundle: PathBuf,
    /// The event to time-stamp, by number. Default: the newest event.
    #[arg(long, value_name = "N")]
    event: Option<u32>,
    /// A renewal: a new token over the event and every earlier token of it, to keep them
    /// convincing before a TSA certificate expires or its algorithms weaken (one TSA).
    #[arg(long)]
    renew: bool,
    #[command(flatten)]
    tsa: TsaArgs,
    /// Offline. Without --attach: write the time-stamp request (DER, as `openssl ts -query`
    /// writes it) to this new file, for a TSA you reach another way. With --attach: the request
    /// the answer is for.
    #[arg(long, value_name = "REQ.tsq")]
    request: Option<PathBuf>,
    /// Offline: the TSA's answer to --request (a DER TimeStampResp, as `openssl ts -reply`
    /// writes it); it is checked against the request and stored.
    #[arg(long, value_name = "RESP.tsr", requires = "request")]
    attach: Option<PathBuf>,
}

pub fn timestamp(a: TimestampArgs) -> Result<u8, CliError> {
    if !a.bundle.exists() {
        return Err(CliError::usage(format!(
            "{}: no such file",
            a.bundle.display()
        )));
    }
    let options = TimestampOptions {
        bundle: a.bundle.clone(),
        event: a.event,
        renew: a.renew,
        time: earwitness::time::event_time().map_err(CliError::usage)?,
    };
    let online = !a.tsa.tsa.is_empty();
    let answers = match (online, &a.request, &a.attach) {
        (true, None, None) => Answers::Online(a.tsa.resolve()),
        (false, Some(request), None) => return write_request(&options, request),
        (false, Some(request), Some(attach)) => Answers::Offline {
            request: Request::from_der(&read(request, "--request")?).map_err(|e| {
                CliError::usage(format!("--request {}: {e}", request.display()))
                    .hint("give the request file `earwitness timestamp --request` wrote")
            })?,
            answer: read(attach, "--attach")?,
        },
        _ => {
            return Err(CliError::usage(
                "give either --tsa URL (online), or --request FILE (offline: write a request), or --attach ANSWER --request FILE (offline: store the answer)",
            ));
        }
    };
    let times = super::render::times(None)?;
    let mut out = io::stdout().lock();
    match stamp::add(&options, &answers) {
        Ok(done) => {
            let what = if a.renew {
                "renewed the time-stamps of"
            } else {
                "time-stamped"
            };
            writeln!(out, "{}: {what} {}", a.bundle.display(), done.event_path)?;
            for (file, token) in done
                .files
                .iter()
                .filter(|f| f.ends_with(".tsr"))
                .zip(&done.tokens)
            {
                writeln!(
                    out,
                    "  {file}: {} by {}",
                    times.show(&token.info.gen_time.to_string()),
                    safe(&timestamp::tsa_name(&token.signer))
                )?;
            }
            if let Some(manifest) = done.files.iter().find(|f| f.ends_with(".txt")) {
                writeln!(out, "  renewal manifest: {manifest}")?;
            }
            writeln!(
                out,
                "The TSA is not checked against a root you trust here: run `earwitness verify {} --trust-tsa ROOT.pem`.",
                a.bundle.display()
            )?;
            Ok(0)
        }
        Err(TimestampError::Failed(report)) => {
            text::report(&mut out, &report, &times, text::Parts::Verify)?;
            writeln!(out, "\nNothing was added; the bundle is unchanged.")?;
            Ok(error::FAILED)
        }
        Err(e @ TimestampError::Stamp(_)) => Err(CliError::usage(error::describe(&e)).hint(
            "check the --tsa URL, or use --request and --attach to reach the TSA another way",
        )),
        Err(e @ (TimestampError::Answer(_) | TimestampError::RequestMismatch { .. })) => Err(
            CliError::usage(format!("{}; nothing was added", error::describe(&e))),
        ),
        Err(e) => Err(CliError::usage(error::describe(&e))),
    }
}

fn read(path: &Path, flag: &str) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|e| CliError::io(format!("{flag} {}", path.display()), e))
}

/// `--request` without `--attach`: writes the request, and says what to do with it.
fn write_request(options: &TimestampOptions, path: &Path) -> Result<u8, CliError> {
    let (request, what) = match stamp::request(options) {
        Ok(r) => r,
        Err(TimestampError::Failed(report)) => {
            let times = super::render::times(None)?;
            let mut out = io::stdout().lock();
            text::report(&mut out, &report, &times, text::Parts::Verify)?;
            writeln!(out, "\nNo request was written.")?;
            return Ok(error::FAILED);
        }
        Err(e) => return Err(CliError::usage(error::describe(&e))),
    };
    earwitness::atomic::write(path, 0o644, false, |f| f.write_all(request.der())).map_err(|e| {
        if e.kind() == io::ErrorKind::AlreadyExists {
            CliError::usage(format!(
                "{}: already exists; choose another request file",
                path.display()
            ))
        } else {
            CliError::io(format!("--request {}", path.display()), e)
        }
    })?;
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "Wrote the time-stamp request for {what} to {}.",
        path.display()
    )?;
    writeln!(
        out,
        "Send it to a TSA (for example: curl -H 'Content-Type: {}' --data-binary @{} URL -o answer.tsr), then run:",
        timestamp::TIMESTAMP_QUERY,
        path.display()
    )?;
    let event = options
        .event
        .map(|n| format!(" --event {n}"))
        .unwrap_or_default();
    let renew = if options.renew { " --renew" } else { "" };
    writeln!(
        out,
        "  earwitness timestamp {}{event}{renew} --attach answer.tsr --request {}",
        options.bundle.display(),
        path.display()
    )?;
    Ok(0)
}
