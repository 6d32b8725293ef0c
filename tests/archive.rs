//! Bundles in object storage, against a real S3 server: Ceph's radosgw, started once for this
//! test binary by scripts/ceph-up.sh (one monitor, one memstore OSD, radosgw on loopback) and
//! stopped by scripts/ceph-down.sh when the binary exits (an `atexit` handler; and a watchdog
//! that ceph-up.sh leaves behind stops it if the binary is killed). Where Ceph is not installed or
//! cannot start, every test here fails under CI=true and is skipped elsewhere with the reason.

mod common;

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::Instant;

use common::{Scratch, bin, code, fixtures, run};
use earwitness::archive::{LockMode, StaticCredentials, Store, StoreError, StoreOptions};
use earwitness::digest::Sha256;
use serde_json::Value;

/// The size of the bundle that is verified in place with bounded memory.
const BIG_BYTES: u64 = 1 << 30;
/// The most memory `verify s3://` of it may use.
const BIG_RSS_LIMIT_MIB: u64 = 64;

struct Cluster {
    endpoint: String,
    access_key: String,
    secret_key: String,
}

static CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();
static CLUSTER_DIR: OnceLock<PathBuf> = OnceLock::new();

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The cluster, started on first use; `None` where it cannot run. Under CI=true that fails the
/// test; elsewhere the test is skipped and says why, on the terminal: libtest captures
/// `eprintln!` of a passing test, but not a write to the stderr handle itself.
fn cluster() -> Option<&'static Cluster> {
    match CLUSTER.get_or_init(start) {
        Ok(c) => Some(c),
        Err(why) => {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("a Ceph S3 server is required under CI=true: {why} (see .ci/run)");
            }
            let test = std::thread::current().name().unwrap_or("?").to_owned();
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {test}: no Ceph S3 server here: {why}; CI installs one"
            );
            None
        }
    }
}

extern "C" fn stop_cluster() {
    if let Some(dir) = CLUSTER_DIR.get() {
        let _ = Command::new(repo().join("scripts/ceph-down.sh"))
            .arg(dir)
            .output();
    }
}

fn start() -> Result<Cluster, String> {
    for tool in [
        "ceph-mon",
        "ceph-osd",
        "radosgw",
        "radosgw-admin",
        "ceph",
        "curl",
        "ss",
    ] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            return Err(format!(
                "{tool} is not installed (apt-get install --no-install-recommends ceph-mon ceph-osd radosgw ceph-common)"
            ));
        }
    }
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Err("scripts/ceph-up.sh must run as root".into());
    }
    let dir = std::env::temp_dir().join(format!("earwitness-ceph-{}", std::process::id()));
    if CLUSTER_DIR.set(dir.clone()).is_ok() {
        // SAFETY: registers a plain function, run once when the process exits.
        unsafe { libc::atexit(stop_cluster) };
    }
    let t = Instant::now();
    let out = Command::new(repo().join("scripts/ceph-up.sh"))
        .arg(&dir)
        .env("CEPH_NO_INSTALL", "1")
        .env("CEPH_OWNER_PID", std::process::id().to_string())
        .env("CEPH_STORE_BYTES", (4u64 << 30).to_string())
        .output()
        .map_err(|e| format!("scripts/ceph-up.sh could not be started: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = err.lines().rev().take(12).collect();
        return Err(format!(
            "scripts/ceph-up.sh failed:\n{}",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        ));
    }
    eprintln!("ceph: up in {:.1} s", t.elapsed().as_secs_f64());
    let env = std::fs::read_to_string(dir.join("env")).expect("ceph-up.sh wrote env");
    let var = |name: &str| {
        env.lines()
            .find_map(|l| l.strip_prefix(&format!("export {name}=")))
            .unwrap_or_else(|| panic!("{name} in env"))
            .to_string()
    };
    Ok(Cluster {
        endpoint: var("AWS_ENDPOINT_URL"),
        access_key: var("AWS_ACCESS_KEY_ID"),
        secret_key: var("AWS_SECRET_ACCESS_KEY"),
    })
}

/// The earwitness binary with nothing of this machine's AWS setup: no profile, no files.
fn ew_bare() -> Command {
    let mut cmd = bin();
    for v in [
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_S3",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ] {
        cmd.env_remove(v);
    }
    cmd.env("AWS_CONFIG_FILE", "/nonexistent-earwitness-aws-config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent-earwitness-aws-credentials",
        )
        .env("AWS_REGION", "us-east-1");
    cmd
}

/// The earwitness binary pointed at the cluster through the environment.
fn ew(c: &Cluster) -> Command {
    let mut cmd = ew_bare();
    cmd.env("AWS_ENDPOINT_URL", &c.endpoint)
        .env("AWS_ACCESS_KEY_ID", &c.access_key)
        .env("AWS_SECRET_ACCESS_KEY", &c.secret_key);
    cmd
}

/// The library's store for `bucket` on the cluster.
fn store(c: &Cluster, bucket: &str) -> Store {
    let mut o = StoreOptions::new(bucket);
    o.endpoint = Some(c.endpoint.clone());
    o.region = Some("us-east-1".into());
    o.credentials = Some(StaticCredentials {
        access_key_id: c.access_key.clone(),
        secret_access_key: c.secret_key.clone(),
    });
    Store::open(o).expect("open the store")
}

/// A fresh bucket, with or without Object Lock.
fn bucket(c: &Cluster, name: &str, locked: bool) -> (String, Store) {
    let name = format!("{name}-{}", std::process::id());
    let s = store(c, &name);
    s.create_bucket(locked).expect("create the bucket");
    (name, s)
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A key pair and `n` sealed bundles named `<name>-<i>`: notes and a short recording.
fn bundles(s: &Scratch, name: &str, n: usize) -> (PathBuf, Vec<PathBuf>) {
    let key = s.keygen("officer");
    let inputs = [
        fixtures().join("other/notes.txt"),
        fixtures().join("audio/call-8k-pcm16.wav"),
    ];
    let made = (0..n)
        .map(|i| s.seal(&key, &format!("{name}-{i}"), &inputs))
        .collect();
    (key, made)
}

fn pub_key(key: &Path) -> String {
    format!("{}.pub", key.display())
}

/// Flips one byte of the notes inside a bundle's bytes.
fn tamper(bytes: &mut [u8]) {
    let notes = std::fs::read(fixtures().join("other/notes.txt")).unwrap();
    let at = bytes
        .windows(notes.len())
        .position(|w| w == notes.as_slice())
        .expect("the notes are stored in the bundle");
    bytes[at] ^= 0x20;
}

#[test]
fn push_verify_in_place_list_and_hold() {
    let Some(c) = cluster() else { return };
    let (b, _store) = bucket(c, "push", true);
    let s = Scratch::new();
    let (key, made) = bundles(&s, "case", 1);
    let bundle = &made[0];
    let trust = pub_key(&key);

    let out = run(ew(c)
        .args(["archive", "push"])
        .arg(bundle)
        .args([
            "--to",
            &format!("s3://{b}/case-17"),
            "--retain-days",
            "1",
            "--legal-hold",
        ])
        .args(["--trust", &trust, "--json"]));
    assert_eq!(code(&out), 0);
    let pushed = &json(&out)[0];
    assert_eq!(pushed["verdict"], "verified");
    let stored = &pushed["stored"];
    let version = stored["version_id"]
        .as_str()
        .expect("a version id")
        .to_string();
    assert_eq!(stored["key"], "case-17/case-0.zip");
    assert_eq!(stored["parts"], 1);
    assert_eq!(stored["retention"]["mode"], "COMPLIANCE");
    assert_eq!(stored["legal_hold"], true);
    let local = Sha256::of(&std::fs::read(bundle).unwrap()).to_hex();
    assert_eq!(stored["sha256_stored"], local.as_str());
    assert_eq!(stored["sha256_matches"], true);

    // In place: the pinned version, its lock, and what was read.
    let at = format!("s3://{b}/case-17/case-0.zip");
    let out = run(ew(c).args(["verify", &at, "--trust", &trust, "--json"]));
    assert_eq!(code(&out), 0);
    let report = json(&out);
    assert_eq!(report["verdict"], "verified");
    assert_eq!(report["object"]["version_id"], version.as_str());
    assert_eq!(report["object"]["retention"]["mode"], "COMPLIANCE");
    assert_eq!(report["object"]["legal_hold"], true);
    assert!(report["object"]["fetched"]["requests"].as_u64().unwrap() >= 1);
    let out = run(ew(c).args(["verify", &at, "--trust", &trust]));
    assert_eq!(code(&out), 0);
    let t = text(&out);
    assert!(
        t.contains("Stored at:") && t.contains("nothing was written to disk"),
        "{t}"
    );
    assert!(t.contains("RESULT: VERIFIED"), "{t}");
    // Without trust: intact, not fully trusted.
    assert_eq!(code(&run(ew(c).args(["verify", &at]))), 3);

    // --deep decodes from a temporary copy, and says so.
    let out = run(ew(c).args(["verify", &at, "--trust", &trust, "--deep", "--json"]));
    assert_eq!(code(&out), 0);
    let report = json(&out);
    let codes: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"media.spooled"), "{codes:?}");
    assert!(
        report["deep"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["result"] == "same")
    );

    // A second push is a new version; the first stays, and can be verified by its id.
    let out = run(ew(c)
        .args(["archive", "push"])
        .arg(bundle)
        .args(["--to", &format!("s3://{b}/case-17/"), "--retain-days", "1"])
        .args(["--trust", &trust, "--json"]));
    assert_eq!(code(&out), 0);
    let second = &json(&out)[0]["stored"];
    assert_eq!(second["previous_version"], version.as_str());
    assert_ne!(second["version_id"], version.as_str());
    let out = run(ew(c).args(["verify", &at, "--version-id", &version, "--trust", &trust]));
    assert_eq!(code(&out), 0);
    assert!(text(&out).contains(&version));

    // The listing shows the latest version and its lock.
    let out = run(ew(c).args(["archive", "list", &format!("s3://{b}/case-17")]));
    assert_eq!(code(&out), 0);
    let t = text(&out);
    assert!(
        t.contains("case-17/case-0.zip") && t.contains("COMPLIANCE until"),
        "{t}"
    );

    // The legal hold, lifted and set again, read back each time.
    let out = run(ew(c).args([
        "archive",
        "hold",
        &at,
        "--version-id",
        &version,
        "--off",
        "--json",
    ]));
    assert_eq!(code(&out), 0);
    assert_eq!(json(&out)["legal_hold"], false);
    assert_eq!(json(&out)["retention"]["mode"], "COMPLIANCE");
    let out = run(ew(c).args(["archive", "hold", &at, "--version-id", &version, "--on"]));
    assert_eq!(code(&out), 0);
    assert!(text(&out).contains("legal hold on"));

    // Not there, or not one bundle: clear errors.
    let out = run(ew(c).args(["verify", &format!("s3://{b}/case-17/nope.zip")]));
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("no such object"));
    assert_eq!(code(&run(ew(c).args(["verify", &format!("s3://{b}/")]))), 2);
    assert_eq!(
        code(&run(ew(c).args([
            "verify",
            "/tmp/x.zip",
            "--version-id",
            "v"
        ]))),
        2
    );
}

#[test]
fn a_locked_bundle_cannot_be_deleted_or_its_retention_shortened() {
    let Some(c) = cluster() else { return };
    let (b, st) = bucket(c, "lock", true);
    let s = Scratch::new();
    let (_key, made) = bundles(&s, "held", 2);
    let out = run(ew(c).args(["archive", "push"]).arg(&made[0]).args([
        "--to",
        &format!("s3://{b}/x"),
        "--retain-days",
        "2",
        "--json",
    ]));
    assert_eq!(code(&out), 3, "pushed, but no trusted key was given");
    let stored = &json(&out)[0]["stored"];
    let version = stored["version_id"].as_str().unwrap().to_string();
    let k = "x/held-0.zip";

    let denied = |r: Result<(), StoreError>, what: &str| match r {
        Err(StoreError::AccessDenied { .. }) => {}
        other => panic!("{what}: expected HTTP 403, got {other:?}"),
    };
    denied(st.delete_version(k, &version), "delete a locked version");
    let sooner = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1);
    denied(
        st.set_retention(k, &version, LockMode::Compliance, sooner),
        "shorten the retention",
    );
    let later = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 3);
    denied(
        st.set_retention(k, &version, LockMode::Governance, later),
        "COMPLIANCE to GOVERNANCE",
    );
    // Lengthening is allowed, and the version is still there.
    st.set_retention(k, &version, LockMode::Compliance, later)
        .expect("lengthen the retention");
    assert_eq!(
        st.head(k, Some(&version)).unwrap().size,
        stored["size"].as_u64().unwrap()
    );

    // A legal hold alone keeps an unlocked bundle; lifting it is what lets it go.
    let out = run(ew(c).args(["archive", "push"]).arg(&made[1]).args([
        "--to",
        &format!("s3://{b}/x"),
        "--no-lock",
        "--json",
    ]));
    assert_eq!(code(&out), 3);
    let free = json(&out)[0]["stored"]["version_id"]
        .as_str()
        .unwrap()
        .to_string();
    let at = format!("s3://{b}/x/held-1.zip");
    assert_eq!(code(&run(ew(c).args(["archive", "hold", &at, "--on"]))), 0);
    denied(
        st.delete_version("x/held-1.zip", &free),
        "delete under legal hold",
    );
    assert_eq!(code(&run(ew(c).args(["archive", "hold", &at, "--off"]))), 0);
    st.delete_version("x/held-1.zip", &free)
        .expect("an unlocked version without a legal hold can be deleted");
}

#[test]
fn audit_finds_a_tampered_bundle_and_resumes() {
    let Some(c) = cluster() else { return };
    let (b, st) = bucket(c, "audit", true);
    let s = Scratch::new();
    let (key, made) = bundles(&s, "rec", 3);
    let trust = pub_key(&key);
    let to = format!("s3://{b}/case/");
    let out = run(ew(c).args(["archive", "push"]).args(&made[..2]).args([
        "--to",
        &to,
        "--retain-days",
        "1",
        "--trust",
        &trust,
    ]));
    assert_eq!(code(&out), 0);
    assert!(text(&out).contains("2 bundles pushed, 0 refused"));

    // The third goes in unlocked, and is then overwritten with tampered bytes.
    let out = run(ew(c).args(["archive", "push"]).arg(&made[2]).args([
        "--to",
        &to,
        "--no-lock",
        "--trust",
        &trust,
    ]));
    assert_eq!(code(&out), 0);
    let mut bytes = std::fs::read(&made[2]).unwrap();
    tamper(&mut bytes);
    st.put_bytes("case/rec-2.zip", bytes.clone(), None)
        .expect("overwrite the unlocked bundle");

    // push refuses a failing bundle.
    let bad = s.path("bad.zip");
    std::fs::write(&bad, &bytes).unwrap();
    let out =
        run(ew(c)
            .args(["archive", "push"])
            .arg(&bad)
            .args(["--to", &to, "--retain-days", "1"]));
    assert_eq!(code(&out), 1);
    assert!(text(&out).contains("not uploaded"));
    assert!(matches!(
        st.head("case/bad.zip", None),
        Err(StoreError::NotFound { .. })
    ));

    let state = s.path("audit.state");
    let audit = |extra: &[&str]| {
        run(ew(c)
            .args(["archive", "audit", &to, "--trust", &trust, "--jobs", "2"])
            .arg("--state")
            .arg(&state)
            .args(extra))
    };
    let out = audit(&["--json"]);
    assert_eq!(code(&out), 1);
    let doc = json(&out);
    assert_eq!(doc["summary"]["bundles"], 3);
    assert_eq!(doc["summary"]["failed"], 1);
    assert_eq!(doc["summary"]["verified"], 2);
    assert_eq!(doc["summary"]["unlocked"], 1);
    for a in doc["bundles"].as_array().unwrap() {
        if a["key"] == "case/rec-2.zip" {
            assert_eq!(a["verdict"], "failed");
            assert!(
                a["first_error"]
                    .as_str()
                    .unwrap()
                    .starts_with("bundle.entry.crc:")
            );
            assert!(a["retention"].is_null());
        } else {
            assert_eq!(a["verdict"], "verified");
            assert_eq!(a["retention"]["mode"], "COMPLIANCE");
        }
        assert!(a.get("resumed").is_none());
    }

    // Resumed from the state file: nothing read again, the same result.
    let out = audit(&[]);
    assert_eq!(code(&out), 1);
    let t = text(&out);
    assert!(t.contains("(3 from the state file)"), "{t}");
    assert!(t.contains("RESULT: FAILED: case/rec-2.zip"), "{t}");
    // An audit cut short after one result: the other two are checked now.
    let lines: Vec<String> = std::fs::read_to_string(&state)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    assert_eq!(lines.len(), 4, "a header and three results");
    std::fs::write(
        &state,
        format!("{}\n{}\n{{\"key\":\"cut", lines[0], lines[1]),
    )
    .unwrap();
    let out = audit(&["--json"]);
    assert_eq!(code(&out), 1);
    assert_eq!(json(&out)["summary"]["resumed"], 1);
    // A state file of another audit is refused.
    let out = run(ew(c)
        .args(["archive", "audit", &format!("s3://{b}/other/"), "--state"])
        .arg(&state));
    assert_eq!(code(&out), 2);

    // Without trust, an untampered prefix is intact but not fully trusted; with it, verified.
    let clean = format!("s3://{b}/clean/");
    run(ew(c).args(["archive", "push"]).args(&made[..1]).args([
        "--to",
        &clean,
        "--retain-days",
        "1",
    ]));
    assert_eq!(code(&run(ew(c).args(["archive", "audit", &clean]))), 3);
    assert_eq!(
        code(&run(
            ew(c).args(["archive", "audit", &clean, "--trust", &trust])
        )),
        0
    );
    // An empty prefix is not a clean audit.
    assert_eq!(
        code(&run(ew(c).args([
            "archive",
            "audit",
            &format!("s3://{b}/none/")
        ]))),
        2
    );
}

#[test]
fn a_bucket_without_object_lock_is_refused_unless_no_lock() {
    let Some(c) = cluster() else { return };
    let (b, st) = bucket(c, "plain", false);
    let s = Scratch::new();
    let (key, made) = bundles(&s, "p", 1);
    let to = format!("s3://{b}/in");
    let out = run(ew(c).args(["archive", "push"]).arg(&made[0]).args([
        "--to",
        &to,
        "--retain-days",
        "1",
    ]));
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("has no Object Lock"),
        "{}",
        stderr(&out)
    );
    assert!(st.list("").unwrap().is_empty(), "nothing was uploaded");
    let out = run(ew(c).args(["archive", "push"]).arg(&made[0]).args([
        "--to",
        &to,
        "--no-lock",
        "--json",
        "--trust",
        &pub_key(&key),
    ]));
    assert_eq!(code(&out), 0);
    assert!(json(&out)[0]["stored"]["retention"].is_null());
    let out = run(ew(c).args([
        "verify",
        &format!("{to}/p-0.zip"),
        "--trust",
        &pub_key(&key),
    ]));
    assert_eq!(code(&out), 0);
    assert!(text(&out).contains("no retention reported"));
    // No retention without Object Lock, so no --retain-days with --no-lock.
    let out = run(ew(c).args(["archive", "push"]).arg(&made[0]).args([
        "--to",
        &to,
        "--no-lock",
        "--retain-days",
        "1",
    ]));
    assert_eq!(code(&out), 2);
}

#[test]
fn bad_credentials_are_a_clear_error() {
    let Some(c) = cluster() else { return };
    let (b, _st) = bucket(c, "creds", true);
    let at = format!("s3://{b}/a.zip");
    let wrong = "wrong-secret-that-must-not-be-printed";
    let out = run(ew(c)
        .env("AWS_SECRET_ACCESS_KEY", wrong)
        .args(["verify", &at]));
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(
        err.contains("rejected the credentials (SignatureDoesNotMatch)"),
        "{err}"
    );
    assert!(err.contains("hint: check AWS_ACCESS_KEY_ID"), "{err}");
    assert!(!err.contains(wrong) && !text(&out).contains(wrong));
    let out = run(ew(c)
        .env("AWS_ACCESS_KEY_ID", "NOSUCHKEY00000000000")
        .args(["archive", "audit", &format!("s3://{b}/")]));
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("rejected the credentials (InvalidAccessKeyId)"));
}

#[test]
fn an_unreachable_store_and_missing_credentials_are_clear_errors() {
    // Needs no server: nothing listens on port 1.
    let s = Scratch::new();
    let (_key, made) = bundles(&s, "u", 1);
    let unreachable = || {
        let mut cmd = ew_bare();
        cmd.env("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
            .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
            .env("AWS_SECRET_ACCESS_KEY", "secret-that-must-not-be-printed");
        cmd
    };
    let started = Instant::now();
    for args in [
        vec!["verify", "s3://evidence/a.zip"],
        vec!["archive", "audit", "s3://evidence/case/"],
        vec!["archive", "list", "s3://evidence/"],
        vec!["archive", "hold", "s3://evidence/a.zip", "--on"],
    ] {
        let out = run(unreachable().args(&args));
        assert_eq!(code(&out), 2, "{args:?}");
        let err = stderr(&out);
        assert!(
            err.contains("cannot reach the object store at http://127.0.0.1:1"),
            "{err}"
        );
        assert!(err.contains("hint: check that the server is up"), "{err}");
        assert!(!err.contains("secret-that-must-not-be-printed"));
    }
    let out = run(unreachable().args(["archive", "push"]).arg(&made[0]).args([
        "--to",
        "s3://evidence/x",
        "--retain-days",
        "1",
    ]));
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("cannot reach"));
    assert!(started.elapsed().as_secs() < 60, "errors come quickly");

    // No credentials anywhere (and the instance metadata service is not asked).
    let out = run(ew_bare()
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
        .args(["verify", "s3://evidence/a.zip"]));
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(err.contains("no S3 credentials found"), "{err}");
    assert!(err.contains("hint: set AWS_ACCESS_KEY_ID"), "{err}");
    // A bad location is a usage error before anything is sent.
    assert_eq!(code(&run(ew_bare().args(["verify", "s3://x/a.zip"]))), 2);
}

/// A WAV of silence of `bytes` bytes in all, written sparsely: a header, then a hole.
fn sparse_wav(path: &Path, bytes: u64) {
    let data = u32::try_from(bytes - 44).expect("under 4 GiB");
    let mut h = Vec::new();
    h.extend(b"RIFF");
    h.extend((data + 36).to_le_bytes());
    h.extend(b"WAVEfmt ");
    h.extend(16u32.to_le_bytes());
    h.extend(1u16.to_le_bytes()); // PCM
    h.extend(2u16.to_le_bytes()); // stereo
    h.extend(48_000u32.to_le_bytes());
    h.extend((48_000u32 * 4).to_le_bytes());
    h.extend(4u16.to_le_bytes());
    h.extend(16u16.to_le_bytes());
    h.extend(b"data");
    h.extend(data.to_le_bytes());
    let mut f = std::fs::File::create(path).unwrap();
    f.write_all(&h).unwrap();
    f.set_len(bytes).unwrap();
}

/// Runs `cmd` and returns its exit code and peak RSS in MiB: the child's own `VmHWM`, read from
/// /proc while it runs. Not wait4's `ru_maxrss`: on Linux that starts from the high-water mark of
/// the memory the child was spawned from, which here is this whole test process.
fn measured(cmd: &mut Command) -> (i32, u64) {
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .unwrap();
    let status_file = format!("/proc/{}/status", child.id());
    let mut stdout = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut shown = String::new();
        stdout.read_to_string(&mut shown).unwrap();
        shown
    });
    let mut peak_kib = 0u64;
    let status = loop {
        // The earwitness binary, once exec has replaced the spawning process.
        if let Ok(s) = std::fs::read_to_string(&status_file)
            && s.lines()
                .any(|l| l.starts_with("Name:") && l.contains("earwitness"))
            && let Some(kib) = s
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak_kib = peak_kib.max(kib);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    eprintln!("{}", reader.join().unwrap());
    assert!(peak_kib > 0, "VmHWM was never read");
    (status.code().unwrap_or(-1), peak_kib >> 10)
}

#[test]
fn a_large_bundle_is_verified_in_place_in_bounded_memory() {
    let Some(c) = cluster() else { return };
    let (b, _st) = bucket(c, "big", true);
    let s = Scratch::new();
    let key = s.keygen("officer");
    let wav = s.path("silence.wav");
    sparse_wav(&wav, BIG_BYTES);
    let t = Instant::now();
    let bundle = s.seal(&key, "big", std::slice::from_ref(&wav));
    std::fs::remove_file(&wav).unwrap();
    eprintln!(
        "sealed {BIG_BYTES} bytes in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let size = std::fs::metadata(&bundle).unwrap().len();
    assert!(size > BIG_BYTES);

    let t = Instant::now();
    let out = run(ew(c)
        .args(["archive", "push"])
        .arg(&bundle)
        .args([
            "--to",
            &format!("s3://{b}/big"),
            "--retain-days",
            "1",
            "--json",
        ])
        .args(["--trust", &pub_key(&key)]));
    assert_eq!(code(&out), 0);
    let stored = &json(&out)[0]["stored"];
    assert!(stored["parts"].as_u64().unwrap() > 1, "a multipart upload");
    assert_eq!(
        stored["retention"]["mode"], "COMPLIANCE",
        "locked after completion"
    );
    assert_eq!(stored["sha256_matches"], true);
    eprintln!("pushed in {:.1} s", t.elapsed().as_secs_f64());
    std::fs::remove_file(&bundle).unwrap();

    // Verified in place: memory stays flat and nothing is written to disk.
    let tmp = s.path("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let t = Instant::now();
    let (status, rss_mib) = measured(
        ew(c)
            .env("TMPDIR", &tmp)
            .current_dir(&tmp)
            .args(["verify", &format!("s3://{b}/big/big.zip"), "--trust"])
            .arg(pub_key(&key)),
    );
    let took = t.elapsed().as_secs_f64();
    eprintln!(
        "verify s3:// of {size} bytes: exit {status}, {took:.1} s ({:.0} MB/s), peak RSS {rss_mib} MiB",
        size as f64 / took / 1e6
    );
    assert_eq!(status, 0);
    assert!(
        rss_mib < BIG_RSS_LIMIT_MIB,
        "verify in place used {rss_mib} MiB"
    );
    assert_eq!(
        std::fs::read_dir(&tmp).unwrap().count(),
        0,
        "nothing spooled"
    );
}

/// The test helpers' own check: tamper really changes a bundle.
#[test]
fn tamper_changes_the_bytes() {
    let s = Scratch::new();
    let (_key, made) = bundles(&s, "t", 1);
    let mut f = std::fs::File::open(&made[0]).unwrap();
    let mut bytes = Vec::new();
    f.seek(SeekFrom::Start(0)).unwrap();
    f.read_to_end(&mut bytes).unwrap();
    let before = bytes.clone();
    tamper(&mut bytes);
    assert_ne!(before, bytes);
}
