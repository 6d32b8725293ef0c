//! RFC 3161 time-stamps, end to end: a test PKI made with `openssl`, a TSA that is
//! `openssl ts -reply` behind an HTTP endpoint on 127.0.0.1, `seal --tsa`, hand-offs with `--tsa`,
//! `timestamp` online, offline (`--request`, `--attach`) and `--renew`, and `verify --trust-tsa`;
//! `openssl ts -verify` on the stored files, as VERIFY.txt says; and each way a token can be wrong.

mod common;
#[path = "common/tsa.rs"]
mod tsa;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::zipcraft::{self, Entry};
use common::{Scratch, bin, code, have_python_module, have_tool, partial_files, read_zip, run};
use tsa::{Mode, Pki, TSA_EC, TSA_OTHER, TSA_RSA};

/// A scratch folder with a key and one small input, or `None` (skipped) without openssl.
fn setup() -> Option<(Scratch, PathBuf, PathBuf)> {
    if !have_tool("openssl", &["version"]) {
        return None;
    }
    let s = Scratch::new();
    let key = s.keygen("officer");
    let input = s.path("input");
    std::fs::create_dir_all(&input).expect("mkdir");
    std::fs::write(input.join("notes.txt"), "Call came in at 14:02.\n").expect("write");
    Some((s, key, input))
}

/// Seals `input` into `<scratch>/<name>.zip` at `epoch`, with one `--tsa` per URL.
fn seal(
    s: &Scratch,
    key: &Path,
    input: &Path,
    name: &str,
    epoch: i64,
    tsa: &[&str],
) -> (Output, PathBuf) {
    let out_path = s.path(&format!("{name}.zip"));
    let mut cmd = bin();
    cmd.env("SOURCE_DATE_EPOCH", epoch.to_string())
        .args(["seal", "--case", "CASE-9", "--key"])
        .arg(key)
        .arg("--out")
        .arg(&out_path)
        .arg(input);
    for url in tsa {
        cmd.args(["--tsa", url]);
    }
    (run(&mut cmd), out_path)
}

const EPOCH: i64 = 1761177600; // 2025-10-23T00:00:00Z, before any TSA time here

fn root() -> String {
    Pki::get().path("root.pem").to_string_lossy().into_owned()
}

/// `verify --json` with `args`: the exit code and the report.
fn verify(bundle: &Path, args: &[&str]) -> (i32, serde_json::Value) {
    let out = run(bin().arg("verify").arg(bundle).arg("--json").args(args));
    let report = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (code(&out), report)
}

/// The finding codes of a report.
fn codes(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|f| f["code"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn timestamps(report: &serde_json::Value, event: usize) -> Vec<serde_json::Value> {
    report["events"][event]["timestamps"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn trust_key(key: &Path) -> String {
    format!("{}.pub", key.display())
}

/// The bytes of the bag path `rel` of a bundle whose bag is `bag`.
fn entry(bundle: &Path, bag: &str, rel: &str) -> Option<Vec<u8>> {
    let name = format!("{bag}/{rel}");
    read_zip(bundle)
        .into_iter()
        .find(|(n, _)| *n == name)
        .map(|(_, b)| b)
}

/// Writes a copy of `bundle` to `out`, changed by `f`.
fn rewrite(bundle: &Path, out: &Path, f: impl FnOnce(&mut Vec<Entry>)) {
    let mut entries = zipcraft::entries_of(bundle);
    f(&mut entries);
    std::fs::write(out, zipcraft::write(&entries)).expect("write");
}

fn ok_in(dir: &Path, cmd: &mut Command) -> bool {
    run(cmd.current_dir(dir)).status.success()
}

/// `openssl ts -verify -data DATA -in TOKEN -CAfile ../tsa-root.pem`, run inside the bag.
fn openssl_ts_verify(bag: &Path, data: &str, token: &str) -> bool {
    ok_in(
        bag,
        Command::new("openssl").args([
            "ts",
            "-verify",
            "-data",
            data,
            "-in",
            token,
            "-CAfile",
            "../tsa-root.pem",
        ]),
    )
}

#[test]
fn seal_with_two_tsas_verifies_offline_and_openssl_agrees() {
    let Some((s, key, input)) = setup() else {
        return;
    };
    let (rsa, ec) = (
        tsa::serve(Mode::Tsa(TSA_RSA)),
        tsa::serve(Mode::Tsa(TSA_EC)),
    );
    let (out, bundle) = seal(&s, &key, &input, "case", EPOCH, &[&rsa, &ec]);
    assert_eq!(code(&out), 0);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("custody/0001-sealed.json.2.tsr"),
        "{stdout}"
    );
    assert!(entry(&bundle, "case", "custody/0001-sealed.json.tsr").is_some());

    let pubkey = trust_key(&key);
    let (c, report) = verify(&bundle, &["--trust", &pubkey, "--trust-tsa", &root()]);
    assert_eq!(c, 0, "{report}");
    let ts = timestamps(&report, 0);
    assert_eq!(ts.len(), 2, "{report}");
    assert_eq!(ts[0]["tsa"], "Test TSA RSA");
    assert_eq!(ts[1]["tsa"], "Test TSA EC");
    assert!(
        ts.iter()
            .all(|t| t["trusted"] == true && t["valid"] == true),
        "{ts:?}"
    );
    assert!(codes(&report).is_empty(), "{report}");
    assert_eq!(
        report["trust"]["tsa_roots"][0],
        "O=earwitness test,CN=Test Root CA"
    );

    // Without the TSA's root: the same exit code, the tokens said to be untrusted.
    let (c, report) = verify(&bundle, &["--trust", &pubkey]);
    assert_eq!(c, 0, "{report}");
    assert_eq!(
        codes(&report),
        ["custody.timestamp.untrusted", "custody.timestamp.untrusted"]
    );
    let text = run(bin().arg("log").arg(&bundle).args(["--trust", &pubkey]));
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("by Test TSA RSA (TSA not trusted: no trusted TSA root"),
        "{text}"
    );
    let text =
        run(bin()
            .arg("verify")
            .arg(&bundle)
            .args(["--trust", &pubkey, "--trust-tsa", &root()]));
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("time-stamped 20") && text.contains("by Test TSA EC (trusted)"),
        "{text}"
    );

    // A report checks the tokens as verify does: with the root, nothing to say about them;
    // without it, the two untrusted tokens among its findings.
    for (name, with_root) in [("with-root", true), ("without-root", false)] {
        let html = s.path(&format!("{name}.html"));
        let mut cmd = bin();
        cmd.arg("report")
            .arg(&bundle)
            .args(["--trust", &pubkey, "--out"])
            .arg(&html);
        if with_root {
            cmd.args(["--trust-tsa", &root()]);
        }
        let out = run(&mut cmd);
        assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
        let page = std::fs::read_to_string(&html).expect("the report");
        assert_eq!(
            page.contains("custody.timestamp.untrusted"),
            !with_root,
            "{name}"
        );
    }

    // The stock-tool step of VERIFY.txt, from the unzipped bag.
    let dest = s.path("unzipped");
    common::unzip(&bundle, &dest);
    std::fs::copy(Pki::get().path("root.pem"), dest.join("tsa-root.pem")).expect("copy");
    let bag = dest.join("case");
    let verify_txt = std::fs::read_to_string(bag.join("VERIFY.txt")).expect("VERIFY.txt");
    assert!(verify_txt.contains(
        "openssl ts -verify -data custody/0001-sealed.json -in custody/0001-sealed.json.tsr -CAfile ../tsa-root.pem"
    ));
    assert!(openssl_ts_verify(
        &bag,
        "custody/0001-sealed.json",
        "custody/0001-sealed.json.tsr"
    ));
    assert!(openssl_ts_verify(
        &bag,
        "custody/0001-sealed.json",
        "custody/0001-sealed.json.2.tsr"
    ));
    // A token is bound to its event: against another file, openssl refuses it too.
    assert!(!openssl_ts_verify(
        &bag,
        "VERIFY.txt",
        "custody/0001-sealed.json.tsr"
    ));

    // VERIFY.txt's Python inventory accepts the tokens, and still refuses any other name.
    if have_python_module("cryptography") {
        let fp = report["events"][0]["key"]
            .as_str()
            .expect("key")
            .to_string();
        let out = common::run_verify_txt_block(&bag, Some(std::slice::from_ref(&fp)));
        assert_eq!(code(&out), 0);
        std::fs::write(bag.join("custody/0001-sealed.json.1.tsr"), b"x").expect("write");
        let out = common::run_verify_txt_block(&bag, Some(&[fp]));
        assert_eq!(code(&out), 1);
    }
}

#[test]
fn timestamp_later_online_and_offline_with_the_nonce_checked() {
    let Some((s, key, input)) = setup() else {
        return;
    };
    let (rsa, ec) = (
        tsa::serve(Mode::Tsa(TSA_RSA)),
        tsa::serve(Mode::Tsa(TSA_EC)),
    );
    let (out, bundle) = seal(&s, &key, &input, "case", EPOCH, &[]);
    assert_eq!(code(&out), 0);
    // A hand-off time-stamps its event.
    let out = run(bin()
        .arg("note")
        .arg(&bundle)
        .args([
            "--text",
            "copied to the evidence server",
            "--tsa",
            &ec,
            "--key",
        ])
        .arg(&key));
    assert_eq!(code(&out), 0);
    assert!(entry(&bundle, "case", "custody/0002-noted.json.tsr").is_some());
    // Later, online, an earlier event.
    let out = run(bin()
        .arg("timestamp")
        .arg(&bundle)
        .args(["--event", "1", "--tsa", &rsa]));
    assert_eq!(code(&out), 0);
    assert!(String::from_utf8_lossy(&out.stdout).contains("by Test TSA RSA"));

    // Offline: a request file, a TSA reached another way, its answer attached.
    let req = s.path("req.tsq");
    let out = run(bin()
        .arg("timestamp")
        .arg(&bundle)
        .arg("--request")
        .arg(&req));
    assert_eq!(code(&out), 0);
    let answer = tsa::reply(&TSA_RSA, &std::fs::read(&req).expect("request"));
    std::fs::write(s.path("answer.tsr"), &answer).expect("write");
    // An answer to another request for the same event (another nonce) is refused.
    let req2 = s.path("req2.tsq");
    assert_eq!(
        code(&run(bin()
            .arg("timestamp")
            .arg(&bundle)
            .arg("--request")
            .arg(&req2))),
        0
    );
    let other = tsa::reply(&TSA_RSA, &std::fs::read(&req2).expect("request"));
    std::fs::write(s.path("other.tsr"), other).expect("write");
    let before = std::fs::read(&bundle).expect("bundle");
    let out = run(bin()
        .arg("timestamp")
        .arg(&bundle)
        .arg("--attach")
        .arg(s.path("other.tsr"))
        .arg("--request")
        .arg(&req));
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("nonce"));
    assert_eq!(
        std::fs::read(&bundle).expect("bundle"),
        before,
        "the bundle changed"
    );
    let out = run(bin()
        .arg("timestamp")
        .arg(&bundle)
        .arg("--attach")
        .arg(s.path("answer.tsr"))
        .arg("--request")
        .arg(&req));
    assert_eq!(code(&out), 0);
    assert_eq!(
        entry(&bundle, "case", "custody/0002-noted.json.2.tsr"),
        Some(answer)
    );

    let (c, report) = verify(
        &bundle,
        &["--trust", &trust_key(&key), "--trust-tsa", &root()],
    );
    assert_eq!(c, 0, "{report}");
    assert_eq!(timestamps(&report, 0).len(), 1);
    let ts = timestamps(&report, 1);
    assert_eq!(
        (ts[0]["tsa"].as_str(), ts[1]["tsa"].as_str()),
        (Some("Test TSA EC"), Some("Test TSA RSA"))
    );
    assert!(codes(&report).is_empty(), "{report}");
}

#[test]
fn broken_moved_untrusted_and_purposeless_tokens() {
    let Some((s, key, input)) = setup() else {
        return;
    };
    let rsa = tsa::serve(Mode::Tsa(TSA_RSA));
    let (out, bundle) = seal(&s, &key, &input, "case", EPOCH, &[&rsa]);
    assert_eq!(code(&out), 0);
    assert_eq!(
        code(&run(bin()
            .arg("note")
            .arg(&bundle)
            .args(["--text", "n", "--key"])
            .arg(&key))),
        0
    );
    let pubkey = trust_key(&key);
    let args = ["--trust", pubkey.as_str(), "--trust-tsa", &root()];
    assert_eq!(verify(&bundle, &args).0, 0);
    let token = "case/custody/0001-sealed.json.tsr";

    // A flipped byte in the TSA's signature.
    let flipped = s.path("flipped.zip");
    rewrite(&bundle, &flipped, |entries| {
        let e = entries.iter_mut().find(|e| e.name == token).expect("token");
        let at = e.data.len() - 10;
        e.data[at] ^= 1;
    });
    let (c, report) = verify(&flipped, &args);
    assert_eq!(
        (c, codes(&report)),
        (1, vec!["custody.timestamp.invalid".to_string()])
    );
    assert_eq!(timestamps(&report, 0)[0]["valid"], false);

    // The token moved beside the second event.
    let moved = s.path("moved.zip");
    rewrite(&bundle, &moved, |entries| {
        let e = entries.iter_mut().find(|e| e.name == token).expect("token");
        e.name = "case/custody/0002-noted.json.tsr".into();
    });
    let (c, report) = verify(&moved, &args);
    assert_eq!(
        (c, codes(&report)),
        (1, vec!["custody.timestamp.misplaced".to_string()])
    );

    // A token from a TSA under a root nobody trusts: a warning; the exit code is unchanged.
    let other = tsa::serve(Mode::Tsa(TSA_OTHER));
    assert_eq!(
        code(&run(bin()
            .arg("timestamp")
            .arg(&bundle)
            .args(["--tsa", &other]))),
        0
    );
    let (c, report) = verify(&bundle, &args);
    assert_eq!(
        (c, codes(&report)),
        (0, vec!["custody.timestamp.untrusted".to_string()])
    );
    let ts = timestamps(&report, 1);
    assert_eq!(
        (ts[0]["tsa"].as_str(), ts[0]["trusted"].as_bool()),
        (Some("Other TSA"), Some(false))
    );
    assert!(
        ts[0]["problem"]
            .as_str()
            .unwrap_or("")
            .contains("Other Root CA"),
        "{ts:?}"
    );

    // A TSA certificate without the timeStamping purpose: refused on --attach, and an error
    // beside an event.
    let req = s.path("req.tsq");
    assert_eq!(
        code(&run(bin()
            .arg("timestamp")
            .arg(&bundle)
            .args(["--event", "1", "--request"])
            .arg(&req))),
        0
    );
    let genuine = tsa::reply(&TSA_RSA, &std::fs::read(&req).expect("request"));
    let forged = tsa::forge_token(&tsa::tst_info_of(&genuine), "tsa_noeku", &[]);
    std::fs::write(s.path("forged.tsr"), &forged).expect("write");
    let out = run(bin()
        .arg("timestamp")
        .arg(&bundle)
        .args(["--event", "1", "--attach"])
        .arg(s.path("forged.tsr"))
        .arg("--request")
        .arg(&req));
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("not for time-stamping"));
    let noeku = s.path("noeku.zip");
    rewrite(&bundle, &noeku, |entries| {
        entries.push(Entry::file("case/custody/0001-sealed.json.2.tsr", &forged));
    });
    let (c, report) = verify(&noeku, &args);
    assert_eq!(
        (c, codes(&report)),
        (
            1,
            vec![
                "custody.timestamp.invalid".to_string(),
                "custody.timestamp.untrusted".to_string()
            ]
        )
    );
    let invalid = &report["findings"][0]["message"];
    assert!(
        invalid
            .as_str()
            .unwrap_or("")
            .contains("no extendedKeyUsage"),
        "{invalid}"
    );
}

#[test]
fn a_tsa_that_fails_means_nothing_is_written() {
    let Some((s, key, input)) = setup() else {
        return;
    };
    let (out, bundle) = seal(&s, &key, &input, "case", EPOCH, &[&tsa::closed_url()]);
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot reach the TSA"));
    assert!(!bundle.exists());
    assert!(partial_files(s.dir.path()).is_empty());
    for (mode, says) in [
        (Mode::Status(500), "HTTP status 500"),
        (Mode::OtherDigest(TSA_EC), "time-stamps"),
    ] {
        let url = tsa::serve(mode);
        let (out, bundle) = seal(&s, &key, &input, "case", EPOCH, &[&url]);
        assert_eq!(code(&out), 2);
        assert!(String::from_utf8_lossy(&out.stderr).contains(says));
        assert!(!bundle.exists());
    }
    // A hand-off leaves the bundle as it was.
    let (_, bundle) = seal(&s, &key, &input, "case", EPOCH, &[]);
    let before = std::fs::read(&bundle).expect("bundle");
    let out = run(bin()
        .arg("note")
        .arg(&bundle)
        .args(["--text", "n", "--tsa", &tsa::closed_url(), "--key"])
        .arg(&key));
    assert_eq!(code(&out), 2);
    assert_eq!(std::fs::read(&bundle).expect("bundle"), before);
    assert!(partial_files(s.dir.path()).is_empty());
}

#[test]
fn renewals_cover_the_event_and_its_earlier_tokens() {
    let Some((s, key, input)) = setup() else {
        return;
    };
    let (rsa, ec) = (
        tsa::serve(Mode::Tsa(TSA_RSA)),
        tsa::serve(Mode::Tsa(TSA_EC)),
    );
    let (out, bundle) = seal(&s, &key, &input, "case", EPOCH, &[&ec]);
    assert_eq!(code(&out), 0);
    for _ in 0..2 {
        let out = run(bin()
            .arg("timestamp")
            .arg(&bundle)
            .args(["--renew", "--tsa", &rsa]));
        assert_eq!(code(&out), 0);
    }
    let pubkey = trust_key(&key);
    let args = ["--trust", pubkey.as_str(), "--trust-tsa", &root()];
    let (c, report) = verify(&bundle, &args);
    assert_eq!(c, 0, "{report}");
    let kinds: Vec<String> = timestamps(&report, 0)
        .iter()
        .map(|t| t["kind"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(kinds, ["token", "renewal", "renewal"]);
    let manifest =
        entry(&bundle, "case", "custody/0001-sealed.json.renewal-2.txt").expect("manifest");
    let manifest = String::from_utf8(manifest).expect("text");
    let lines: Vec<&str> = manifest.lines().collect();
    assert_eq!(
        lines[..2],
        ["earwitness-timestamp-renewal 1", "hash SHA-256"]
    );
    assert!(lines[2].starts_with("data ") && lines[2].ends_with("  custody/0001-sealed.json"));
    assert!(lines[3].ends_with("  custody/0001-sealed.json.tsr"));
    assert!(lines[4].ends_with("  custody/0001-sealed.json.renewal-1.tsr"));
    assert_eq!(lines.len(), 5);

    // With stock tools, from the unzipped bag.
    let dest = s.path("unzipped");
    common::unzip(&bundle, &dest);
    std::fs::copy(Pki::get().path("root.pem"), dest.join("tsa-root.pem")).expect("copy");
    let bag = dest.join("case");
    let m = "custody/0001-sealed.json.renewal-2.txt";
    assert!(openssl_ts_verify(
        &bag,
        m,
        "custody/0001-sealed.json.renewal-2.tsr"
    ));
    let sums = format!("grep -E '^(data|token) ' {m} | cut -d' ' -f2- | sha256sum -c --strict");
    assert!(ok_in(&bag, Command::new("sh").args(["-c", &sums])));
    if have_python_module("cryptography") {
        let fp = report["events"][0]["key"]
            .as_str()
            .expect("key")
            .to_string();
        assert_eq!(code(&common::run_verify_txt_block(&bag, Some(&[fp]))), 0);
    }

    // Removing a token a renewal covers breaks the renewals that cover it.
    let cut = s.path("cut.zip");
    rewrite(&bundle, &cut, |entries| {
        entries.retain(|e| e.name != "case/custody/0001-sealed.json.tsr");
    });
    let (c, report) = verify(&cut, &args);
    assert_eq!(
        (c, codes(&report)),
        (1, vec!["custody.timestamp.invalid".to_string(); 2])
    );
    let message = report["findings"][0]["message"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(message.contains("no longer holds"), "{message}");
}

#[test]
fn the_tsa_time_governs_trust_windows_and_warns_of_later_claims() {
    let Some((s, key, input)) = setup() else {
        return;
    };
    let rsa = tsa::serve(Mode::Tsa(TSA_RSA));
    let now = jiff::Timestamp::now().as_second();
    // Sealed two days ago, says the sealer's clock; the TSA says now. The key is trusted only
    // until yesterday.
    let (out, bundle) = seal(&s, &key, &input, "old", now - 2 * 86400, &[&rsa]);
    assert_eq!(code(&out), 0);
    let yesterday = jiff::Timestamp::from_second(now - 86400).expect("time");
    let public = std::fs::read_to_string(trust_key(&key)).expect("pub");
    let key_part: Vec<&str> = public.split_whitespace().take(2).collect();
    let line = format!(
        "officer namespaces=\"earwitness\",valid-before=\"{}\" {}\n",
        yesterday.strftime("%Y%m%d%H%M%SZ"),
        key_part.join(" ")
    );
    let signers = s.path("allowed_signers");
    std::fs::write(&signers, line).expect("write");
    let file = signers.to_string_lossy().into_owned();
    let (c, report) = verify(&bundle, &["--trust-file", &file]);
    assert_eq!(
        (c, codes(&report)),
        (0, vec!["custody.timestamp.untrusted".to_string()])
    );
    let (c, report) = verify(&bundle, &["--trust-file", &file, "--trust-tsa", &root()]);
    assert_eq!(
        (c, codes(&report)),
        (3, vec!["signer.untrusted".to_string()])
    );
    assert_eq!(report["events"][0]["trust"], "outside_validity");

    // Sealed "an hour from now": later than the TSA saw it.
    let (out, bundle) = seal(&s, &key, &input, "future", now + 3600, &[&rsa]);
    assert_eq!(code(&out), 0);
    let pubkey = trust_key(&key);
    let args = ["--trust", pubkey.as_str(), "--trust-tsa", &root()];
    let (c, report) = verify(&bundle, &args);
    assert_eq!(
        (c, codes(&report)),
        (0, vec!["custody.time.after_timestamp".to_string()])
    );
    let (c, report) = verify(&bundle, &[&args[..], &["--tsa-tolerance", "7200"]].concat());
    assert_eq!((c, codes(&report)), (0, Vec::<String>::new()));
}
