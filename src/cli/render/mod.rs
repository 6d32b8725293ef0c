//! What people see: one renderer for text ([`text`]) and one for JSON ([`json`]). Every string that
//! came from a bundle passes through `earwitness::text::safe` on its way to a terminal.

pub mod json;
pub mod text;

use std::io::IsTerminal;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::error::CliError;
use earwitness::text::safe;
use earwitness::verify::{Report, Verdict};

/// How times are shown: always in UTC, and in a second zone when one is chosen (`--tz`), or the
/// local zone when output goes to a terminal.
#[derive(Clone, Debug)]
pub struct Times {
    zone: Option<TimeZone>,
}

impl Times {
    /// From `--tz`: a zone name, `local`, or nothing (the local zone on a terminal).
    pub fn new(tz: Option<&str>) -> Result<Self, CliError> {
        let zone = match tz {
            Some(name) => {
                let zone = earwitness::time::zone(name)
                    .map_err(|e| CliError::usage(format!("--tz {name}: {e}")))?;
                (zone != TimeZone::UTC).then_some(zone)
            }
            None if std::io::stdout().is_terminal() => {
                let zone = TimeZone::system();
                (zone != TimeZone::UTC && zone.iana_name() != Some("UTC")).then_some(zone)
            }
            None => None,
        };
        Ok(Times { zone })
    }

    /// A time from a bundle, for people: `2025-10-23 00:00:00 UTC (02:00:00 CEST)`. A time that
    /// does not parse is shown escaped, as it is.
    pub fn show(&self, raw: &str) -> String {
        let Ok(t) = raw.parse::<Timestamp>() else {
            return format!("{} (not a valid time)", safe(raw));
        };
        let utc = t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string();
        match &self.zone {
            Some(zone) => format!("{utc} ({})", earwitness::time::in_zone(t, zone)),
            None => utc,
        }
    }
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
