//! Time-stamping an event of an existing bundle (`earwitness timestamp`): a token over the event
//! file, or a renewal over the event and its earlier tokens; online from TSAs, or offline through
//! a request file and the TSA's answer. Like a hand-off, it verifies the bundle first, appends
//! only, and commits atomically; unlike one, it signs nothing.

use std::io;
use std::path::{Path, PathBuf};

use crate::bundle;
use crate::commit::{CommitError, read_back_and_commit};
use crate::custody::{self, CustodyFile};
use crate::digest::Sha256;
use crate::timestamp::{self, RenewalError, Request, RequestError, StampError, TokenError, Tsa};
use crate::verify::{self, Appendable, Report, Verdict};

/// Which event to time-stamp, and how.
#[derive(Clone, Debug)]
pub struct TimestampOptions {
    /// The bundle (a ZIP file), updated in place.
    pub bundle: PathBuf,
    /// The event's sequence number; `None`: the newest event.
    pub event: Option<u32>,
    /// A renewal (over the event and every earlier token of it) instead of a token over the event.
    pub renew: bool,
    /// The time of the new ZIP entries.
    pub time: jiff::Timestamp,
}

/// Where the tokens come from.
#[derive(Clone, Debug)]
pub enum Answers {
    /// Asked now, from these TSAs (one for a renewal).
    Online(Tsa),
    /// A TSA's DER answer to `request`, a request [`request`] made earlier.
    Offline {
        /// The request, as its `.tsq` file holds it.
        request: Request,
        /// The TSA's answer, as its `.tsr` file holds it.
        answer: Vec<u8>,
    },
}

/// What was added.
#[derive(Debug)]
pub struct Stamped {
    /// The event's bag path.
    pub event_path: String,
    /// The bag paths of the files added (tokens, and a renewal's manifest).
    pub files: Vec<String>,
    /// What each new token says, in order.
    pub tokens: Vec<timestamp::VerifiedTime>,
}

/// Why nothing was time-stamped. The bundle is unchanged when this is returned.
#[derive(Debug, thiserror::Error)]
pub enum TimestampError {
    /// The bundle failed verification; nothing is added to a broken bundle.
    #[error("the bundle failed verification, so nothing was added to it")]
    Failed(Box<Report>),
    /// The bundle is a folder.
    #[error("{0}: is a folder; timestamp updates a bundle .zip file")]
    NotZip(PathBuf),
    /// No event with that number.
    #[error("the bundle has no event {0}")]
    NoSuchEvent(u32),
    /// A renewal needs an earlier token.
    #[error(
        "event {0} has no time-stamp token yet, so there is nothing to renew; time-stamp it first"
    )]
    NothingToRenew(u32),
    /// A renewal is made with one TSA at a time.
    #[error("a renewal is made with one TSA at a time")]
    OneTsaForRenewal,
    /// The offline request was made for another digest.
    #[error(
        "the request is for another digest than {what}: it was made for another event, or the bundle changed since"
    )]
    RequestMismatch {
        /// What this request should be for.
        what: String,
    },
    /// The offline answer does not answer the request.
    #[error("the answer does not fit the request: {0}")]
    Answer(TokenError),
    /// The offline answer is larger than a stored token may be.
    #[error("the answer is {0} bytes; a stored token may hold at most {max}", max = timestamp::TOKEN_CAP)]
    AnswerTooLarge(usize),
    /// Fetching from a TSA failed.
    #[error(transparent)]
    Stamp(#[from] StampError),
    /// No request could be made.
    #[error(transparent)]
    Request(#[from] RequestError),
    /// The renewal manifest could not be made.
    #[error(transparent)]
    Renewal(#[from] RenewalError),
    /// Reading or writing failed.
    #[error("{context}")]
    Io {
        /// What was being done.
        context: String,
        /// What the OS said.
        source: io::Error,
    },
    /// The rewritten bundle did not check out, or could not be moved into place.
    #[error("{0}; the original is unchanged")]
    Commit(CommitError),
}

/// The event chosen, and what a new token must cover.
struct Target {
    path: String,
    /// For a renewal: its number and manifest.
    renewal: Option<(u32, Vec<u8>)>,
    /// The digest the new token must time-stamp.
    sha256: Sha256,
    /// The number the next plain token gets.
    next_token: u32,
}

/// A request for the chosen event (or its renewal), for a TSA reached another way: write its
/// [`Request::der`] to a `.tsq` file, and give the TSA's answer to [`add`] with it.
pub fn request(options: &TimestampOptions) -> Result<(Request, String), TimestampError> {
    let (_, state, report) = open(options)?;
    let target = target(options, &state, &report)?;
    let what = describe(&target);
    Ok((Request::new(target.sha256.0)?, what))
}

/// Verifies the bundle, then adds time-stamp tokens (or a renewal) to one of its events.
pub fn add(options: &TimestampOptions, answers: &Answers) -> Result<Stamped, TimestampError> {
    let (path, state, report) = open(options)?;
    let target = target(options, &state, &report)?;
    let answers = match answers {
        Answers::Online(tsa) => {
            if target.renewal.is_some() && tsa.urls.len() != 1 {
                return Err(TimestampError::OneTsaForRenewal);
            }
            timestamp::stamp(tsa, target.sha256.0)?
        }
        Answers::Offline { request, answer } => {
            if request.sha256() != &target.sha256.0 {
                return Err(TimestampError::RequestMismatch {
                    what: describe(&target),
                });
            }
            timestamp::check_answer(answer, request).map_err(TimestampError::Answer)?;
            if answer.len() as u64 > timestamp::TOKEN_CAP {
                return Err(TimestampError::AnswerTooLarge(answer.len()));
            }
            vec![answer.clone()]
        }
    };
    let mut tokens = Vec::new();
    for answer in &answers {
        let check = timestamp::check_response(answer, &target.sha256.0, None)
            .and_then(|t| t.verify(&[]))
            .map_err(TimestampError::Answer)?;
        tokens.push(check);
    }
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    match &target.renewal {
        Some((k, manifest)) => {
            let [manifest_name, token_name] = custody::renewal_files(&target.path, *k);
            files.push((manifest_name, manifest.clone()));
            files.extend(answers.into_iter().map(|a| (token_name.clone(), a)));
        }
        None => {
            for (n, answer) in (target.next_token..).zip(answers) {
                files.push((custody::token_file(&target.path, n), answer));
            }
        }
    }
    let names: Vec<String> = files.iter().map(|(n, _)| n.clone()).collect();
    let bag = &state.context.bag;
    let entries: Vec<(String, Vec<u8>)> = files
        .into_iter()
        .map(|(name, bytes)| (format!("{bag}/{name}"), bytes))
        .collect();
    let tmp =
        bundle::append(&path, &entries, options.time).map_err(|source| TimestampError::Io {
            context: format!(
                "{}: cannot write the updated bundle",
                options.bundle.display()
            ),
            source,
        })?;
    read_back_and_commit(
        tmp,
        &path,
        true,
        &verify::Options::default(),
        &state.payload_digests,
    )
    .map_err(TimestampError::Commit)?;
    Ok(Stamped {
        event_path: target.path,
        files: names,
        tokens,
    })
}

/// Verifies the bundle: its real path, its report, and what appending needs.
fn open(options: &TimestampOptions) -> Result<(PathBuf, Appendable, Report), TimestampError> {
    let given = options.bundle.as_path();
    if given.is_dir() {
        return Err(TimestampError::NotZip(given.to_path_buf()));
    }
    let io_err = |context: &str, given: &Path| {
        let context = format!("{}: {context}", given.display());
        move |source| TimestampError::Io { context, source }
    };
    // Through a symbolic link, update the file it points to; never replace the link.
    let path = std::fs::canonicalize(given).map_err(io_err("cannot find the bundle", given))?;
    let (report, state) = verify::verify_path_with(&path, &verify::Options::default(), None, true)
        .map_err(io_err("cannot read the bundle", given))?;
    if report.verdict == Verdict::Failed {
        return Err(TimestampError::Failed(Box::new(report)));
    }
    let Some(state) = state else {
        return Err(TimestampError::Failed(Box::new(report)));
    };
    Ok((path, state, report))
}

fn target(
    options: &TimestampOptions,
    state: &Appendable,
    report: &Report,
) -> Result<Target, TimestampError> {
    let event = match options.event {
        Some(seq) => report.events.iter().find(|e| e.seq == seq),
        None => report.events.last(),
    };
    let Some(event) = event else {
        return Err(TimestampError::NoSuchEvent(options.event.unwrap_or(0)));
    };
    let path = event.path.clone();
    let Some(&event_sha) = state.custody_digests.get(&path) else {
        return Err(TimestampError::NoSuchEvent(event.seq));
    };
    // This event's tokens and renewal tokens, in the order they were made.
    let mut tokens: Vec<(u32, &str, Sha256)> = Vec::new();
    let mut renewals: Vec<(u32, &str, Sha256)> = Vec::new();
    for (name, sha) in &state.custody_digests {
        match custody::classify(name) {
            Some(CustodyFile::Token(e, n)) if e == path => tokens.push((n, name, *sha)),
            Some(CustodyFile::RenewalToken(e, k)) if e == path => renewals.push((k, name, *sha)),
            _ => {}
        }
    }
    tokens.sort_unstable_by_key(|(n, ..)| *n);
    renewals.sort_unstable_by_key(|(k, ..)| *k);
    let next_token = tokens.last().map_or(1, |(n, ..)| n + 1);
    if !options.renew {
        return Ok(Target {
            path,
            renewal: None,
            sha256: event_sha,
            next_token,
        });
    }
    if tokens.is_empty() && renewals.is_empty() {
        return Err(TimestampError::NothingToRenew(event.seq));
    }
    let k = renewals.last().map_or(1, |(k, ..)| k + 1);
    let covered: Vec<(&str, Sha256)> = tokens
        .iter()
        .chain(&renewals)
        .map(|(_, name, sha)| (*name, *sha))
        .collect();
    let manifest = timestamp::renewal_manifest((&path, &event_sha), &covered)?;
    Ok(Target {
        path,
        sha256: Sha256::of(&manifest),
        renewal: Some((k, manifest)),
        next_token,
    })
}

fn describe(target: &Target) -> String {
    match &target.renewal {
        Some((k, _)) => format!("renewal {k} of {}", target.path),
        None => target.path.clone(),
    }
}
