//! Step 9 of docs/FORMAT.md §7, the time-stamps: each event's RFC 3161 tokens and renewals,
//! checked offline against the verifier's TSA roots ([`crate::timestamp`] does the checking).

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;

use super::Options;
use super::read::Bag;
use super::report::{Findings, TimestampKind, TimestampReport};
use crate::custody::{self, CustodyFile};
use crate::digest::Sha256;
use crate::finding::{Finding, code};
use crate::timestamp::{self, TokenError, TsaTrust, VerifiedTime};

/// The time-stamp files of one event, by number.
#[derive(Default)]
pub(super) struct EventStamps<'a> {
    tokens: BTreeMap<u32, &'a str>,
    manifests: BTreeMap<u32, &'a str>,
    renewals: BTreeMap<u32, &'a str>,
}

impl<'a> EventStamps<'a> {
    /// Files this event's time-stamp files, as [`custody::classify`] named them.
    pub fn add(stamps: &mut BTreeMap<&'a str, Self>, name: &'a str, file: &CustodyFile<'a>) {
        let (event, n, list) = match *file {
            CustodyFile::Token(event, n) => (event, n, 0),
            CustodyFile::RenewalManifest(event, k) => (event, k, 1),
            CustodyFile::RenewalToken(event, k) => (event, k, 2),
            _ => return,
        };
        let entry = stamps.entry(event).or_default();
        let map = match list {
            0 => &mut entry.tokens,
            1 => &mut entry.manifests,
            _ => &mut entry.renewals,
        };
        map.insert(n, name);
    }

    /// Every file, for reporting files whose event is absent.
    pub fn files(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.tokens
            .values()
            .chain(self.manifests.values())
            .chain(self.renewals.values())
            .copied()
    }
}

/// What the time-stamps of one event showed.
#[derive(Default)]
pub(super) struct Stamped {
    pub reports: Vec<TimestampReport>,
    /// The earliest time a valid token from a trusted TSA vouches for: the event existed then.
    pub trusted_time: Option<Timestamp>,
}

/// Checks the tokens and renewals of the event file `event` (claimed time `claimed`).
/// `events_by_sha` names every event file of the bag by its SHA-256, to tell a token moved from
/// beside another event.
pub(super) fn check_event(
    event: &str,
    claimed: Option<Timestamp>,
    stamps: Option<&EventStamps<'_>>,
    bag: &Bag,
    events_by_sha: &HashMap<Sha256, &str>,
    options: &Options,
    findings: &mut Findings,
) -> Stamped {
    let mut out = Stamped::default();
    let (Some(stamps), Some(file)) = (stamps, bag.custody.get(event)) else {
        return out;
    };
    for &name in stamps.tokens.values() {
        let Some(token) = bag.custody.get(name) else {
            continue;
        };
        let result = timestamp::check_response(&token.bytes, &file.sha256.0, None)
            .and_then(|t| t.verify(&options.tsa_roots));
        if let Err(TokenError::ImprintMismatch { found, .. }) = &result
            && let Some(other) = found
                .parse::<Sha256>()
                .ok()
                .and_then(|sha| events_by_sha.get(&sha))
        {
            findings.error(
                code::CUSTODY_TIMESTAMP_MISPLACED,
                name,
                format!(
                    "this token time-stamps {other}, not {event}: it was moved here from beside another event"
                ),
            );
            out.reports.push(invalid(
                name,
                TimestampKind::Token,
                "it time-stamps another event",
            ));
            continue;
        }
        out.add(
            name,
            TimestampKind::Token,
            result,
            claimed,
            options,
            findings,
        );
    }
    check_renewals(event, file.sha256, stamps, bag, &mut out, options, findings);
    out
}

/// Each renewal `k`: its manifest must be the one its files make now, and its token must be over
/// that manifest.
fn check_renewals(
    event: &str,
    event_sha: Sha256,
    stamps: &EventStamps<'_>,
    bag: &Bag,
    out: &mut Stamped,
    options: &Options,
    findings: &mut Findings,
) {
    let mut numbers: Vec<u32> = stamps.manifests.keys().copied().collect();
    numbers.extend(stamps.renewals.keys());
    numbers.sort_unstable();
    numbers.dedup();
    for k in numbers {
        let [manifest_name, token_name] = custody::renewal_files(event, k);
        let (Some(manifest), Some(token)) = (
            bag.custody.get(&manifest_name),
            bag.custody.get(&token_name),
        ) else {
            let (present, missing) = if bag.custody.contains_key(&manifest_name) {
                (manifest_name, token_name)
            } else {
                (token_name, manifest_name)
            };
            findings.error(
                code::CUSTODY_TIMESTAMP_INVALID,
                present.as_str(),
                format!("a renewal needs both its manifest and its token; {missing} is missing"),
            );
            continue;
        };
        // The earlier tokens it covers: the event's tokens up to the highest one it lists (later
        // ones were added after it), then every earlier renewal token.
        let listed = timestamp::listed_tokens(&manifest.bytes);
        let highest = listed
            .iter()
            .filter_map(|n| match custody::classify(n) {
                Some(CustodyFile::Token(e, i)) if e == event => Some(i),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        let covered: Vec<(&str, Sha256)> = stamps
            .tokens
            .range(..=highest)
            .map(|(_, n)| *n)
            .chain(stamps.renewals.range(..k).map(|(_, n)| *n))
            .filter_map(|n| bag.custody.get(n).map(|f| (n, f.sha256)))
            .collect();
        let rebuilt = timestamp::renewal_manifest((event, &event_sha), &covered);
        if rebuilt.as_deref().ok() != Some(manifest.bytes.as_slice()) {
            let missing: Vec<&str> = listed
                .iter()
                .map(String::as_str)
                .filter(|n| !bag.custody.contains_key(*n))
                .collect();
            let why = if missing.is_empty() {
                "a token it covers, or the event, was changed, or the manifest was edited".into()
            } else {
                format!(
                    "it covers {}, which the bundle no longer holds",
                    missing.join(", ")
                )
            };
            findings.error(
                code::CUSTODY_TIMESTAMP_INVALID,
                manifest_name.as_str(),
                format!("the renewal manifest is not the one its files make: {why}"),
            );
        }
        let result = timestamp::check_response(&token.bytes, &manifest.sha256.0, None)
            .and_then(|t| t.verify(&options.tsa_roots));
        out.add(
            &token_name,
            TimestampKind::Renewal,
            result,
            None,
            options,
            findings,
        );
    }
}

fn invalid(path: &str, kind: TimestampKind, problem: impl Into<String>) -> TimestampReport {
    TimestampReport {
        path: path.to_string(),
        kind,
        tsa: None,
        tsa_subject: None,
        time: None,
        valid: false,
        trusted: false,
        problem: Some(problem.into()),
    }
}

impl Stamped {
    /// Records one checked token: its findings, its report, and its time if trusted.
    fn add(
        &mut self,
        path: &str,
        kind: TimestampKind,
        result: Result<VerifiedTime, TokenError>,
        claimed: Option<Timestamp>,
        options: &Options,
        findings: &mut Findings,
    ) {
        let v = match result {
            Ok(v) => v,
            Err(e) => {
                findings.error(
                    code::CUSTODY_TIMESTAMP_INVALID,
                    path,
                    format!("the time-stamp token is not valid: {e}"),
                );
                self.reports.push(invalid(path, kind, e.to_string()));
                return;
            }
        };
        let tsa = timestamp::tsa_name(&v.signer);
        let at = crate::time::rfc3339(v.info.gen_time);
        let problem = match &v.trust {
            TsaTrust::Trusted(_) => {
                self.trusted_time = Some(match self.trusted_time {
                    Some(t) => t.min(v.info.gen_time),
                    None => v.info.gen_time,
                });
                None
            }
            TsaTrust::Untrusted(why) => {
                findings.warning(
                    code::CUSTODY_TIMESTAMP_UNTRUSTED,
                    path,
                    format!(
                        "time-stamped by {:?} at {at}, a TSA that is not trusted: {why}",
                        crate::text::safe(&tsa)
                    ),
                );
                Some(why.to_string())
            }
        };
        if let Some(claimed) = claimed {
            let tolerance = i64::try_from(options.tsa_tolerance.as_secs()).unwrap_or(i64::MAX);
            let late = claimed.as_second() - v.info.gen_time.as_second();
            if late > tolerance {
                findings.push(
                    Finding::warning(
                        code::CUSTODY_TIME_AFTER_TIMESTAMP,
                        path,
                        format!(
                            "the event claims a time {late} s after {:?} time-stamped it (more than the tolerance of {tolerance} s): the signer's clock was wrong, or the time is not when it was signed",
                            crate::text::safe(&tsa)
                        ),
                    )
                    .values(at.clone(), crate::time::rfc3339(claimed)),
                );
            }
        }
        self.reports.push(TimestampReport {
            path: path.to_string(),
            kind,
            tsa: Some(tsa),
            tsa_subject: Some(v.signer.subject.clone()),
            time: Some(v.info.gen_time.to_string()),
            valid: true,
            trusted: v.is_trusted(),
            problem,
        });
    }
}
