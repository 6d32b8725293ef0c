//! What people see: one renderer for text ([`text`]) and one for JSON ([`json`]). Every string that
//! came from a bundle passes through `earwitness::text::safe` on its way to a terminal.

pub mod archive;
pub mod json;
pub mod text;

use std::io::IsTerminal;

use jiff::tz::TimeZone;

use super::error::CliError;
use earwitness::verify::{Report, Verdict};

/// How times are shown: always in UTC, and in a second zone when one is chosen (`--tz`), or the
/// local zone when output goes to a terminal.
pub type Times = earwitness::time::Shown;

/// The times for `--tz`: a zone name, `local`, or nothing (the local zone on a terminal).
pub fn times(tz: Option<&str>) -> Result<Times, CliError> {
    Ok(match tz {
        Some(name) => Times::with_zone(
            earwitness::time::zone(name)
                .map_err(|e| CliError::usage(format!("--tz {name}: {e}")))?,
        ),
        None if std::io::stdout().is_terminal() => Times::with_zone(TimeZone::system()),
        None => Times::utc(),
    })
}

/// The exit code for a verdict: 0 verified, 1 failed, 3 intact but not fully trusted.
pub fn exit_code(report: &Report) -> u8 {
    match report.verdict {
        Verdict::Verified => 0,
        Verdict::Failed => super::error::FAILED,
        Verdict::IntactNotFullyTrusted => super::error::NOT_TRUSTED,
    }
}

/// A recording's name for people: its path below `data/originals/`.
pub fn short_path(path: &str) -> &str {
    path.strip_prefix("data/originals/").unwrap_or(path)
}
