//! What people see of stored bundles: a push, an audit line and its summary, a listing, a legal
//! hold, and the object part of `verify s3://...`, in text and JSON.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::super::error::{CliError, FAILED, NOT_TRUSTED, USAGE};
use super::json;
use earwitness::archive::{
    Audited, Location, ObjectInfo, ObjectReport, Outcome, PushOutcome, Pushed, RemoteReport,
    Retention,
};
use earwitness::finding::{Finding, Severity, code};
use earwitness::text::{count, safe, safe_short};
use earwitness::verify::{Report, Verdict};

/// How many error findings a refused push shows.
const SHOWN_ERRORS: usize = 5;

fn verdict_words(v: Verdict) -> &'static str {
    match v {
        Verdict::Verified => "VERIFIED",
        Verdict::Failed => "FAILED",
        Verdict::IntactNotFullyTrusted => "INTACT, NOT FULLY TRUSTED",
    }
}

fn retention_words(r: Option<&Retention>) -> String {
    r.map_or("no retention reported".into(), |r| r.describe())
}

fn hold_words(h: Option<bool>) -> &'static str {
    match h {
        Some(true) => "legal hold on",
        Some(false) => "legal hold off",
        None => "legal hold not reported",
    }
}

/// One bundle of `archive push`, in text.
pub fn push_one(
    out: &mut impl Write,
    path: &Path,
    report: &Report,
    outcome: &PushOutcome,
) -> io::Result<()> {
    let name = safe(&path.display().to_string()).into_owned();
    match outcome {
        PushOutcome::Refused => {
            writeln!(
                out,
                "{name}: FAILED verification ({}): not uploaded",
                count(report.error_count() as u64, "error", "errors")
            )?;
            let errors = report
                .findings
                .iter()
                .filter(|f| f.severity == Severity::Error);
            for f in errors.take(SHOWN_ERRORS) {
                writeln!(
                    out,
                    "  {}  {}: {}",
                    f.code,
                    safe_short(f.path.as_deref().unwrap_or("-"), 120),
                    safe_short(&f.message, 300)
                )?;
            }
        }
        PushOutcome::Pushed(p) => {
            let trust = match report.verdict {
                Verdict::IntactNotFullyTrusted if !report.trust.given => {
                    " (no trusted key was given: --trust or --trust-file)"
                }
                _ => "",
            };
            writeln!(
                out,
                "{name}: {} here{trust}; stored as {}",
                verdict_words(report.verdict),
                p.location
            )?;
            stored(out, p)?;
        }
    }
    Ok(())
}

fn stored(out: &mut impl Write, p: &Pushed) -> io::Result<()> {
    let version = p
        .stored
        .version_id
        .as_deref()
        .unwrap_or("(none: unversioned)");
    let earlier = match &p.previous_version {
        Some(v) => format!(" (a new version; the earlier version {} stays)", safe(v)),
        None => String::new(),
    };
    writeln!(out, "  version:     {}{earlier}", safe(version))?;
    writeln!(
        out,
        "  size:        {} bytes in {}",
        p.stored.size,
        count(u64::from(p.stored.parts), "part", "parts")
    )?;
    writeln!(
        out,
        "  retention:   {}",
        retention_words(p.retention.as_ref())
    )?;
    writeln!(
        out,
        "  legal hold:  {}",
        if p.legal_hold { "on" } else { "off" }
    )?;
    if p.sha256_matches {
        writeln!(
            out,
            "  sha256:      {} (read back from the store: the bytes of the file verified)",
            p.sha256_stored
        )
    } else {
        writeln!(
            out,
            "  sha256:      {} read back, but {} was sent: THE STORE HOLDS OTHER BYTES than the file",
            p.sha256_stored, p.stored.sha256_sent
        )
    }
}

#[derive(Serialize)]
struct PushJson<'a> {
    bundle: String,
    verdict: Verdict,
    pushed: bool,
    findings: &'a [Finding],
    stored: Option<&'a Pushed>,
}

/// The end of `archive push`: the JSON document, or a count in text.
pub fn push_all(
    out: &mut impl Write,
    results: &[(PathBuf, Report, PushOutcome)],
    as_json: bool,
) -> Result<(), CliError> {
    if as_json {
        let list: Vec<PushJson> = results
            .iter()
            .map(|(path, report, outcome)| PushJson {
                bundle: path.display().to_string(),
                verdict: report.verdict,
                pushed: matches!(outcome, PushOutcome::Pushed(_)),
                findings: &report.findings,
                stored: match outcome {
                    PushOutcome::Pushed(p) => Some(p),
                    PushOutcome::Refused => None,
                },
            })
            .collect();
        return json::print(out, &list);
    }
    let refused = results
        .iter()
        .filter(|(_, _, o)| matches!(o, PushOutcome::Refused))
        .count();
    if results.len() > 1 || refused > 0 {
        writeln!(
            out,
            "\n{} pushed, {} refused.",
            count((results.len() - refused) as u64, "bundle", "bundles"),
            refused
        )?;
    }
    Ok(())
}

/// One line (or two) of `archive audit`, as each result comes.
pub fn audited(out: &mut impl Write, a: &Audited) -> io::Result<()> {
    let key = safe_short(&a.key, 300);
    let from = if a.resumed {
        "  (from the state file)"
    } else {
        ""
    };
    match &a.outcome {
        Outcome::Checked {
            verdict,
            first_error,
            ..
        } => {
            writeln!(
                out,
                "{:<26} {key}  version {}; {}; {}{from}",
                verdict_words(*verdict),
                safe(a.version_id.as_deref().unwrap_or("-")),
                retention_words(a.retention.as_ref()),
                hold_words(a.legal_hold),
            )?;
            if let Some(e) = first_error {
                writeln!(out, "{:<26}   {}", "", safe_short(e, 300))?;
            }
            Ok(())
        }
        Outcome::Error { message } => writeln!(
            out,
            "{:<26} {key}: {}",
            "NOT READ",
            safe_short(message, 300)
        ),
    }
}

/// The counts of an audit.
#[derive(Serialize)]
pub struct Summary {
    /// Objects audited.
    pub bundles: usize,
    /// Verified.
    pub verified: usize,
    /// Intact, but not every event signed by a trusted key.
    pub not_fully_trusted: usize,
    /// Failed verification.
    pub failed: usize,
    /// Could not be read.
    pub unreadable: usize,
    /// Results taken from the state file.
    pub resumed: usize,
    /// Under neither a COMPLIANCE retention nor a legal hold.
    pub unlocked: usize,
}

impl Summary {
    pub fn of(results: &[Audited]) -> Self {
        let verdicts = |v: Verdict| {
            results
                .iter()
                .filter(|a| matches!(a.outcome, Outcome::Checked { verdict, .. } if verdict == v))
                .count()
        };
        Summary {
            bundles: results.len(),
            verified: verdicts(Verdict::Verified),
            not_fully_trusted: verdicts(Verdict::IntactNotFullyTrusted),
            failed: verdicts(Verdict::Failed),
            unreadable: results
                .iter()
                .filter(|a| matches!(a.outcome, Outcome::Error { .. }))
                .count(),
            resumed: results.iter().filter(|a| a.resumed).count(),
            unlocked: results
                .iter()
                .filter(|a| {
                    a.legal_hold != Some(true)
                        && !a
                            .retention
                            .is_some_and(|r| r.mode == earwitness::archive::LockMode::Compliance)
                })
                .count(),
        }
    }

    /// 1 if any failed, 2 if any could not be read, 3 if any is not fully trusted, else 0.
    pub fn exit_code(&self) -> u8 {
        if self.failed > 0 {
            FAILED
        } else if self.unreadable > 0 {
            USAGE
        } else if self.not_fully_trusted > 0 {
            NOT_TRUSTED
        } else {
            0
        }
    }
}

/// `archive audit --json`.
#[derive(Serialize)]
pub struct AuditJson<'a> {
    pub location: String,
    pub bundles: &'a [Audited],
    pub summary: &'a Summary,
}

/// The end of `archive audit` in text.
pub fn audit_summary(
    out: &mut impl Write,
    loc: &Location,
    results: &[Audited],
    s: &Summary,
) -> io::Result<()> {
    let resumed = if s.resumed > 0 {
        format!(" ({} from the state file)", s.resumed)
    } else {
        String::new()
    };
    writeln!(
        out,
        "\nAudited {} under {loc}{resumed}: {} verified, {} failed, {} intact but not fully trusted, {} not read.",
        count(s.bundles as u64, "object", "objects"),
        s.verified,
        s.failed,
        s.not_fully_trusted,
        s.unreadable
    )?;
    if s.unlocked > 0 {
        writeln!(
            out,
            "{} under neither a COMPLIANCE retention nor a legal hold: anyone with write access can delete or overwrite {}.",
            count(s.unlocked as u64, "object is", "objects are"),
            if s.unlocked == 1 { "it" } else { "them" }
        )?;
    }
    let named = |want: &dyn Fn(&Outcome) -> bool| {
        let keys: Vec<String> = results
            .iter()
            .filter(|a| want(&a.outcome))
            .map(|a| safe_short(&a.key, 200))
            .collect();
        keys.join(", ")
    };
    match s.exit_code() {
        FAILED => writeln!(
            out,
            "RESULT: FAILED: {}. These are not as they were sealed; keep the stored versions as they are and compare them with other copies.",
            named(&|o| matches!(
                o,
                Outcome::Checked {
                    verdict: Verdict::Failed,
                    ..
                }
            ))
        ),
        USAGE => writeln!(
            out,
            "RESULT: INCOMPLETE: {} could not be read; run the audit again (with --state, only those are read again).",
            named(&|o| matches!(o, Outcome::Error { .. }))
        ),
        NOT_TRUSTED => writeln!(
            out,
            "RESULT: INTACT, NOT FULLY TRUSTED: every object is intact, but {} signed by a key you trust (give --trust or --trust-file).",
            count(s.not_fully_trusted as u64, "is not", "are not")
        ),
        _ => writeln!(
            out,
            "RESULT: VERIFIED: every object is exactly as it was sealed, and signed by keys you trust."
        ),
    }
}

/// `archive list` in text.
pub fn list(out: &mut impl Write, loc: &Location, infos: &[ObjectInfo]) -> io::Result<()> {
    for i in infos {
        writeln!(
            out,
            "{}  {} bytes  {}  version {}  {}  {}",
            safe_short(&i.key, 300),
            i.size,
            i.last_modified
                .map(earwitness::time::rfc3339)
                .unwrap_or_else(|| "-".into()),
            safe(i.version_id.as_deref().unwrap_or("-")),
            retention_words(i.retention.as_ref()),
            hold_words(i.legal_hold)
        )?;
    }
    writeln!(
        out,
        "{} under {loc}",
        count(infos.len() as u64, "object", "objects")
    )
}

#[derive(Serialize)]
struct HoldJson<'a> {
    location: String,
    version_id: &'a str,
    legal_hold: bool,
    retention: Option<&'a Retention>,
}

/// `archive hold`: the legal hold and retention read back.
pub fn held(
    out: &mut impl Write,
    loc: &Location,
    version: &str,
    on: bool,
    retention: Option<&Retention>,
    as_json: bool,
) -> Result<(), CliError> {
    if as_json {
        return json::print(
            out,
            &HoldJson {
                location: loc.to_string(),
                version_id: version,
                legal_hold: on,
                retention,
            },
        );
    }
    writeln!(
        out,
        "{loc} version {}: legal hold {} (read back from the store); {}",
        safe(version),
        if on { "on" } else { "off" },
        retention.map_or("no retention".into(), |r| r.describe())
    )?;
    Ok(())
}

/// `verify s3://... --json`: the report, and the object it was read from.
#[derive(Serialize)]
pub struct RemoteJson<'a> {
    #[serde(flatten)]
    pub report: &'a Report,
    pub object: ObjectReport<'a>,
}

/// The object part of `verify s3://...` in text, before the report.
pub fn object(out: &mut impl Write, r: &RemoteReport) -> io::Result<()> {
    let o = &r.object;
    writeln!(out, "Stored at:       {}", r.location)?;
    writeln!(
        out,
        "Version:         {}",
        safe(
            o.version_id
                .as_deref()
                .unwrap_or("(the bucket keeps no versions)")
        )
    )?;
    writeln!(
        out,
        "Retention:       {}",
        retention_words(o.retention.as_ref())
    )?;
    writeln!(
        out,
        "Legal hold:      {}",
        match o.legal_hold {
            Some(true) => "on",
            Some(false) => "off",
            None => "not reported",
        }
    )?;
    let spooled = r
        .report
        .findings
        .iter()
        .any(|f| f.code == code::MEDIA_SPOOLED);
    writeln!(
        out,
        "Read in place:   {} of {} bytes in {}; {}",
        r.fetched.bytes,
        o.size,
        count(r.fetched.requests, "ranged read", "ranged reads"),
        if spooled {
            "--deep decoded each recording from a temporary copy on this machine's disk (media.spooled)"
        } else {
            "nothing was written to disk"
        }
    )
}
