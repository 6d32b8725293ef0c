//! `archive push`, `archive audit`, `archive list`, `archive hold`, and `verify s3://...`: bundles
//! in S3-compatible object storage. The credentials and the endpoint come from the environment
//! and the AWS files only, never from flags.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{ArgGroup, Args, Subcommand};
use jiff::Timestamp;

use super::args::TrustArgs;
use super::error::{CliError, FAILED, NOT_TRUSTED};
use super::progress::Bar;
use super::render::{self, Times, archive as show, json};
use earwitness::archive::{
    self, AuditOptions, BucketLock, Location, Lock, LockMode, PushOptions, PushOutcome, Store,
    StoreError,
};
use earwitness::progress::{Progress, SharedProgress};
use earwitness::verify::{self, Verdict};

/// Where the store's settings come from, for --help.
const STORE_HELP: &str = "\
The store: credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN),
or AWS_PROFILE with ~/.aws/credentials and ~/.aws/config; the endpoint from AWS_ENDPOINT_URL (for
Ceph, MinIO and other S3-compatible servers; unset for AWS S3) and the region from AWS_REGION.
Never on the command line. See docs/ARCHIVE.md.";

#[derive(Subcommand)]
pub enum ArchiveCommand {
    /// Verify bundles, upload them under Object Lock (COMPLIANCE retention, optional legal hold),
    /// and read back the stored version, its lock and its SHA-256.
    #[command(after_help = STORE_HELP)]
    Push(PushArgs),
    /// A fixity audit: verify every bundle under a prefix where it lies, several at once.
    #[command(after_help = STORE_HELP)]
    Audit(AuditArgs),
    /// List the objects under a prefix with their version, retention and legal hold.
    #[command(after_help = STORE_HELP)]
    List(ListArgs),
    /// Set or lift the legal hold of a stored bundle.
    #[command(after_help = STORE_HELP)]
    Hold(HoldArgs),
}

#[derive(Args)]
pub struct PushArgs {
    /// The bundles (.zip files). Each is stored as PREFIX/<its file name>.
    #[arg(required = true)]
    bundles: Vec<PathBuf>,
    /// Where to store them.
    #[arg(long, value_name = "s3://BUCKET/PREFIX")]
    to: String,
    /// Keep each bundle for N days from now (COMPLIANCE retention: nobody can delete it or
    /// shorten the retention before then).
    #[arg(long, value_name = "N", conflicts_with = "retain_until")]
    retain_days: Option<u32>,
    /// Keep each bundle until this date: YYYY-MM-DD (midnight UTC) or 2031-12-31T00:00:00Z.
    #[arg(long, value_name = "DATE")]
    retain_until: Option<String>,
    /// Also set a legal hold, which stays until it is lifted (`archive hold --off`).
    #[arg(long)]
    legal_hold: bool,
    /// Store without Object Lock (no retention, no legal hold): the bundles can then be deleted
    /// or overwritten by anyone with write access. Needed for a bucket without Object Lock.
    #[arg(long, conflicts_with_all = ["retain_days", "retain_until", "legal_hold"])]
    no_lock: bool,
    #[command(flatten)]
    trust: TrustArgs,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct AuditArgs {
    /// The bundles to audit: every object under this prefix.
    #[arg(value_name = "s3://BUCKET/PREFIX")]
    location: String,
    #[command(flatten)]
    trust: TrustArgs,
    /// Bundles verified at once.
    #[arg(long, value_name = "N", default_value_t = 4)]
    jobs: usize,
    /// A state file: each result is added as it comes, and an audit given the same file again
    /// skips the versions it already checked (delete it to audit everything again).
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct ListArgs {
    /// The objects to list: every object under this prefix.
    #[arg(value_name = "s3://BUCKET/PREFIX")]
    location: String,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
#[command(group(ArgGroup::new("state").required(true).args(["on", "off"])))]
pub struct HoldArgs {
    /// The stored bundle.
    #[arg(value_name = "s3://BUCKET/KEY")]
    location: String,
    /// Set the legal hold.
    #[arg(long)]
    on: bool,
    /// Lift the legal hold (a retention, if any, still holds until its date).
    #[arg(long)]
    off: bool,
    /// A version other than the latest.
    #[arg(long, value_name = "V")]
    version_id: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

pub fn archive(c: ArchiveCommand) -> Result<u8, CliError> {
    match c {
        ArchiveCommand::Push(a) => push(a),
        ArchiveCommand::Audit(a) => audit(a),
        ArchiveCommand::List(a) => list(a),
        ArchiveCommand::Hold(a) => hold(a),
    }
}

/// A store error for people, with what to do next (exit 2).
pub fn store_error(e: StoreError) -> CliError {
    let hint = match &e {
        StoreError::NoCredentials { .. } => Some(
            "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE with its keys in ~/.aws/credentials (earwitness never takes keys on its command line)",
        ),
        StoreError::Unreachable { .. } | StoreError::Timeout { .. } => Some(
            "check that the server is up and AWS_ENDPOINT_URL is right (for Ceph or MinIO: http(s)://HOST:PORT; unset it for AWS S3)",
        ),
        StoreError::BadCredentials { .. } => Some(
            "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or the profile in ~/.aws/credentials) for this endpoint",
        ),
        StoreError::NoSuchBucket { .. } => Some(
            "check the bucket's name; for evidence, make it with Object Lock: `aws s3api create-bucket --bucket NAME --object-lock-enabled-for-bucket`",
        ),
        StoreError::LockNotEnabled { .. } => Some(
            "store evidence in a bucket made with Object Lock enabled; or pass --no-lock to store it unlocked (then anyone with write access can delete or overwrite it)",
        ),
        StoreError::LockNotApplied { .. } => Some(
            "this store accepted the upload but does not keep the lock: do not rely on it to keep evidence",
        ),
        _ => None,
    };
    // Keys, codes and messages come from the store: escaped like anything else from outside.
    let err = CliError::usage(earwitness::text::safe(&e.to_string()).into_owned());
    match hint {
        Some(h) => err.hint(h),
        None => err,
    }
}

fn location(text: &str) -> Result<Location, CliError> {
    Location::parse(text).map_err(CliError::usage)
}

fn open(loc: &Location) -> Result<Arc<Store>, CliError> {
    Store::connect(&loc.bucket)
        .map(Arc::new)
        .map_err(store_error)
}

/// The retention date `--retain-days` or `--retain-until` asks for.
fn retain_until(a: &PushArgs) -> Result<Timestamp, CliError> {
    let t = match (&a.retain_days, &a.retain_until) {
        (Some(days), _) => {
            if *days == 0 {
                return Err(CliError::usage("--retain-days must be at least 1"));
            }
            let secs = Timestamp::now().as_second() + i64::from(*days) * 86_400;
            Timestamp::from_second(secs)
                .map_err(|e| CliError::usage(format!("--retain-days {days}: {e}")))?
        }
        (None, Some(text)) => parse_date(text).ok_or_else(|| {
            CliError::usage(format!(
                "--retain-until {text}: not a date (YYYY-MM-DD, or 2031-12-31T00:00:00Z)"
            ))
        })?,
        (None, None) => {
            return Err(CliError::usage("how long should the bundles be kept?").hint(
                "pass --retain-days N or --retain-until DATE (or --no-lock to store them without Object Lock)",
            ));
        }
    };
    if t <= Timestamp::now() {
        return Err(CliError::usage(format!(
            "--retain-until {}: the date is not in the future",
            earwitness::time::rfc3339(t)
        )));
    }
    Ok(t)
}

fn parse_date(text: &str) -> Option<Timestamp> {
    if let Ok(date) = text.parse::<jiff::civil::Date>()
        && text.len() == 10
    {
        return date
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp());
    }
    text.parse::<Timestamp>()
        .ok()
        .and_then(|t| Timestamp::from_second(t.as_second()).ok())
}

fn push(a: PushArgs) -> Result<u8, CliError> {
    let trust = a.trust.resolve()?;
    let to = location(&a.to)?;
    let lock = if a.no_lock {
        None
    } else {
        Some(Lock {
            mode: LockMode::Compliance,
            retain_until: retain_until(&a)?,
            legal_hold: a.legal_hold,
        })
    };
    let mut keys = Vec::new();
    for path in &a.bundles {
        let name = path.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
            CliError::usage(format!(
                "{}: the file name must be UTF-8 text to name it in the store",
                path.display()
            ))
        })?;
        if !path.is_file() {
            return Err(CliError::usage(format!(
                "{}: no such file (push takes bundle .zip files)",
                path.display()
            )));
        }
        keys.push(to.join(name));
    }
    let store = open(&to)?;
    if lock.is_some() && store.bucket_lock().map_err(store_error)? == BucketLock::NotEnabled {
        return Err(store_error(StoreError::LockNotEnabled {
            bucket: to.bucket.clone(),
        }));
    }
    let bar = Arc::new(Bar::new());
    let options = PushOptions {
        lock,
        verify: verify::Options {
            progress: SharedProgress(bar.clone()),
            ..verify::Options::trusting(trust)
        },
    };
    let mut out = io::stdout().lock();
    let mut results = Vec::new();
    let (mut failed, mut untrusted) = (false, false);
    for (path, key) in a.bundles.iter().zip(&keys) {
        let done = archive::push(&store, path, key, &options);
        bar.finish();
        let (report, outcome) = done.map_err(|e| {
            let _ = show::push_all(&mut out, &results, a.json);
            store_error(e)
        })?;
        match (&outcome, report.verdict) {
            (PushOutcome::Refused, _) => failed = true,
            (PushOutcome::Pushed(p), _) if !p.sha256_matches => failed = true,
            (_, Verdict::IntactNotFullyTrusted) => untrusted = true,
            _ => {}
        }
        if !a.json {
            show::push_one(&mut out, path, &report, &outcome)?;
        }
        results.push((path.clone(), report, outcome));
    }
    show::push_all(&mut out, &results, a.json)?;
    // 1 (a bundle refused, or stored wrong) outranks 3 (pushed, but not fully trusted).
    Ok(if failed {
        FAILED
    } else if untrusted {
        NOT_TRUSTED
    } else {
        0
    })
}

fn audit(a: AuditArgs) -> Result<u8, CliError> {
    let trust = a.trust.resolve()?;
    let loc = location(&a.location)?;
    if a.jobs == 0 {
        return Err(CliError::usage("--jobs must be at least 1"));
    }
    let store = open(&loc)?;
    let bar = Arc::new(Bar::new());
    let options = AuditOptions {
        jobs: a.jobs,
        verify: verify::Options::trusting(trust),
        state: a.state.clone(),
        progress: SharedProgress(bar.clone()),
    };
    let json = a.json;
    let heard = |audited: &archive::Audited| {
        if !json {
            bar.suspend(|| {
                let mut out = io::stdout().lock();
                let _ = show::audited(&mut out, audited).and_then(|_| out.flush());
            });
        }
    };
    let results = archive::audit(&store, &loc.key, &options, &heard);
    bar.finish();
    let results = results.map_err(store_error)?;
    if results.is_empty() {
        return Err(
            CliError::usage(format!("{loc}: no objects under this prefix"))
                .hint("check the bucket and the prefix with `earwitness archive list`"),
        );
    }
    let mut out = io::stdout().lock();
    let summary = show::Summary::of(&results);
    if json {
        json::print(
            &mut out,
            &show::AuditJson {
                location: loc.to_string(),
                bundles: &results,
                summary: &summary,
            },
        )?;
    } else {
        show::audit_summary(&mut out, &loc, &results, &summary)?;
    }
    Ok(summary.exit_code())
}

fn list(a: ListArgs) -> Result<u8, CliError> {
    let loc = location(&a.location)?;
    let store = open(&loc)?;
    let infos = archive::inventory(&store, &loc.key, 8).map_err(store_error)?;
    let mut out = io::stdout().lock();
    if a.json {
        json::print(&mut out, &infos)?;
    } else {
        show::list(&mut out, &loc, &infos)?;
    }
    Ok(0)
}

fn hold(a: HoldArgs) -> Result<u8, CliError> {
    let loc = location(&a.location)?;
    if loc.key.is_empty() || loc.key.ends_with('/') {
        return Err(CliError::usage(format!(
            "{}: name one stored bundle, s3://BUCKET/KEY",
            a.location
        )));
    }
    let store = open(&loc)?;
    let info = store
        .head(&loc.key, a.version_id.as_deref())
        .map_err(store_error)?;
    let Some(version) = info.version_id.clone() else {
        return Err(CliError::usage(format!(
            "{loc}: the bucket keeps no versions, so it has no Object Lock and no legal hold"
        )));
    };
    store
        .set_legal_hold(&loc.key, &version, a.on)
        .map_err(store_error)?;
    let now = store.legal_hold(&loc.key, &version).map_err(store_error)?;
    let retention = store.retention(&loc.key, &version).map_err(store_error)?;
    let mut out = io::stdout().lock();
    show::held(&mut out, &loc, &version, now, retention.as_ref(), a.json)?;
    if now != a.on {
        return Err(CliError::usage(format!(
            "{loc} version {version}: the store still reports the legal hold {}",
            if now { "on" } else { "off" }
        )));
    }
    Ok(0)
}

/// `verify s3://BUCKET/KEY`: verifies a stored bundle in place.
pub fn verify_remote(
    text: &str,
    version_id: Option<&str>,
    options: &verify::Options,
    json_out: bool,
    times: &Times,
) -> Result<u8, CliError> {
    let loc = location(text)?;
    if loc.key.is_empty() || loc.key.ends_with('/') {
        return Err(CliError::usage(format!(
            "{text}: name one stored bundle, s3://BUCKET/KEY (to check every bundle under a prefix, use `earwitness archive audit`)"
        )));
    }
    let store = open(&loc)?;
    let remote = archive::verify_object(&store, &loc.key, version_id, options);
    options.progress.finish();
    let remote = remote.map_err(store_error)?;
    let mut out = io::stdout().lock();
    if json_out {
        json::print(
            &mut out,
            &show::RemoteJson {
                report: &remote.report,
                object: remote.object_report(),
            },
        )?;
    } else {
        show::object(&mut out, &remote)?;
        render::text::report(&mut out, &remote.report, times, render::text::Parts::Verify)?;
    }
    Ok(render::exit_code(&remote.report))
}

/// Whether a bundle argument names a stored object.
pub fn is_remote(path: &Path) -> Option<&str> {
    path.to_str().filter(|s| Location::is_remote(s))
}
