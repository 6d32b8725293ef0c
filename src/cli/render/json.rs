//! JSON output: typed structs, printed pretty, with every character that could fool a terminal
//! written as a `\u` escape (the JSON value is the same).

use std::io::Write;

use serde::Serialize;

use super::super::error::CliError;
use earwitness::evidence::{Evidence, Media};
use earwitness::finding::Finding;
use earwitness::verify::{EventReport, Holder, Report, Verdict};

/// Pretty JSON and a final newline.
pub fn print(out: &mut impl Write, value: &impl Serialize) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value)?;
    out.write_all(earwitness::text::json_safe(&text).as_bytes())?;
    out.write_all(b"\n")?;
    Ok(())
}

/// `earwitness log --json`: the timeline.
#[derive(Serialize)]
pub struct Log<'a> {
    /// The bundle.
    pub bundle: &'a str,
    /// The verdict.
    pub verdict: Verdict,
    /// Who holds it now.
    pub holder: &'a Option<Holder>,
    /// The events.
    pub events: &'a [EventReport],
    /// The findings.
    pub findings: &'a [Finding],
}

impl<'a> Log<'a> {
    /// The timeline part of a report.
    pub fn of(r: &'a Report) -> Self {
        Log {
            bundle: &r.bundle,
            verdict: r.verdict,
            holder: &r.holder,
            events: &r.events,
            findings: &r.findings,
        }
    }
}

/// `earwitness inspect BUNDLE --json`: the report and everything `evidence.json` records.
#[derive(Serialize)]
pub struct InspectBundle<'a> {
    /// The verification report.
    #[serde(flatten)]
    pub report: &'a Report,
    /// The parsed `evidence.json` (see `claims.checked` for whether its hash held).
    pub evidence: &'a Option<Evidence>,
}

/// `earwitness inspect RECORDING --json`.
#[derive(Serialize)]
pub struct InspectFile<'a> {
    /// The file.
    pub path: &'a str,
    /// Its size.
    pub size: u64,
    /// Its SHA-256.
    pub sha256: String,
    /// What earwitness reads in it.
    pub media: &'a Option<Media>,
    /// What is wrong or notable.
    pub findings: &'a [Finding],
}
