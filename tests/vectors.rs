//! The test vectors in fixtures/vectors: every variant gets exactly its expected verdict, and
//! resealing the vector inputs reproduces the good bundle byte for byte.

mod common;

use common::{bin, code, fixtures, run, verify_codes};
use std::collections::BTreeSet;

#[test]
fn every_vector_gets_its_expected_verdict() {
    let dir = fixtures().join("vectors");
    let key = dir.join("key.pub");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("zip") {
            continue;
        }
        let expect = std::fs::read_to_string(path.with_extension("expect"))
            .unwrap_or_else(|_| panic!("{} has no .expect file", path.display()));
        let mut lines = expect.lines();
        let exit: i32 = lines
            .next()
            .and_then(|l| l.strip_prefix("exit: "))
            .and_then(|n| n.parse().ok())
            .expect("the first line is `exit: N`");
        let want: BTreeSet<&str> = lines.filter(|l| !l.is_empty()).collect();

        let out = run(bin()
            .arg("verify")
            .arg(&path)
            .arg("--json")
            .arg("--trust")
            .arg(&key));
        assert_eq!(code(&out), exit, "{}", path.display());
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let got: BTreeSet<&str> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["severity"] == "error")
            .map(|f| f["code"].as_str().unwrap())
            .collect();
        assert_eq!(got, want, "{}", path.display());
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} vectors found");
}

#[test]
fn resealing_the_vector_inputs_reproduces_good_zip() {
    let dir = fixtures().join("vectors");
    let scratch = tempfile::tempdir().unwrap();
    let input = scratch.path().join("input");
    std::fs::create_dir(&input).unwrap();
    let mtime = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_761_130_000);
    for (from, to) in [
        ("input-call.wav", "call.wav"),
        ("input-notes.txt", "notes.txt"),
    ] {
        let target = input.join(to);
        std::fs::copy(dir.join(from), &target).unwrap();
        std::fs::File::options()
            .write(true)
            .open(&target)
            .unwrap()
            .set_modified(mtime)
            .unwrap();
    }
    let out_path = scratch.path().join("good.zip");
    let out = run(bin()
        .current_dir(scratch.path())
        .env("SOURCE_DATE_EPOCH", "1761177600")
        .args([
            "seal",
            "--case",
            "VECTOR-1",
            "--actor",
            "Test Officer",
            "--org",
            "Test Org",
            "--note",
            "test vector",
        ])
        .arg("--key")
        .arg(dir.join("key"))
        .arg("--out")
        .arg(&out_path)
        .arg("input"));
    assert_eq!(code(&out), 0);
    let made = std::fs::read(&out_path).unwrap();
    let want = std::fs::read(dir.join("good.zip")).unwrap();
    assert!(
        made == want,
        "the sealed bundle differs from fixtures/vectors/good.zip: the format changed"
    );
    let (c, findings) = verify_codes(
        &out_path,
        &["--trust", dir.join("key.pub").to_str().unwrap()],
    );
    assert_eq!(c, 0, "{findings:?}");
}

/// The stock-tool path of VERIFY.txt (sha256sum -c on both manifests, then its Python block, with
/// the test key trusted) refuses every bag-level vector that earwitness refuses, and accepts the
/// good ones: on the folder that `unzip` extracts, as a person would.
#[test]
fn the_stock_tool_steps_refuse_what_earwitness_refuses() {
    use common::{have_python_module, have_tool};
    if !have_tool("unzip", &["-v"])
        || !have_tool("sha256sum", &["--version"])
        || !have_python_module("cryptography")
    {
        return;
    }
    let dir = fixtures().join("vectors");
    let (vk, _) = earwitness::keys::load_public(&dir.join("key.pub")).unwrap();
    let trusted = [earwitness::keys::Fingerprint::of(&vk).to_string()];
    let bag_level = [
        ("good", true),
        ("rezipped-deflate", true),
        ("payload-flipped", false),
        ("payload-missing", false),
        ("payload-extra", false),
        ("evidence-flipped", false),
        ("manifest-flipped", false),
        ("bag-info-flipped", false),
        ("event-flipped", false),
        ("sig-flipped", false),
        ("weak-key", false),
        ("no-custody", false),
        ("unlisted-tag-file", false),
        ("event-renamed", false),
        ("key-commented", false),
        ("sshsig-labelled-rsa", false),
    ];
    let scratch = tempfile::tempdir().unwrap();
    for (name, good) in bag_level {
        let expect = std::fs::read_to_string(dir.join(format!("{name}.expect"))).unwrap();
        assert_eq!(
            expect.starts_with("exit: 0"),
            good,
            "{name}.expect disagrees"
        );
        let dest = scratch.path().join(name);
        std::fs::create_dir(&dest).unwrap();
        let out = run(std::process::Command::new("unzip")
            .arg("-q")
            .arg(dir.join(format!("{name}.zip")))
            .arg("-d")
            .arg(&dest));
        assert!(out.status.success(), "unzip failed on {name}");
        let bag = dest.join("good");
        let sums = ["manifest-sha256.txt", "tagmanifest-sha256.txt"]
            .iter()
            .all(|m| {
                bag.join(m).exists()
                    && run(std::process::Command::new("sha256sum")
                        .current_dir(&bag)
                        .args(["-c", "--strict", "--quiet", m]))
                    .status
                    .success()
            });
        let python = bag.join("VERIFY.txt").exists()
            && common::run_verify_txt_block(&bag, Some(&trusted))
                .status
                .success();
        assert_eq!(
            sums && python,
            good,
            "{name}: the stock-tool steps {} (sha256sum {sums}, python {python})",
            if good {
                "refused a good bundle"
            } else {
                "accepted a bundle earwitness refuses"
            }
        );
    }
}

#[test]
fn the_time_stamp_vectors_check_with_earwitness_and_openssl_ts() {
    let dir = fixtures().join("vectors");
    let root = dir.join("tsa/root.pem");
    // earwitness, trusting the vectors' TSA root: the token is sound and trusted.
    let out = run(bin()
        .arg("verify")
        .arg(dir.join("timestamped.zip"))
        .args(["--json", "--trust"])
        .arg(dir.join("key.pub"))
        .arg("--trust-tsa")
        .arg(&root));
    assert_eq!(code(&out), 0);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let stamps = report["events"][0]["timestamps"].as_array().cloned();
    let stamps = stamps.unwrap_or_default();
    assert_eq!(stamps.len(), 1, "{report}");
    assert_eq!(stamps[0]["trusted"], true);
    assert_eq!(stamps[0]["valid"], true);

    // openssl ts -verify, VERIFY.txt's step, accepts the token and refuses the flipped one.
    if !common::have_tool("openssl", &["version"]) {
        return;
    }
    for (vector, accepted) in [("timestamped", true), ("timestamp-flipped", false)] {
        let files = common::read_zip(&dir.join(format!("{vector}.zip")));
        let get = |suffix: &str| {
            files
                .iter()
                .find(|(n, _)| n.ends_with(suffix))
                .map(|(_, b)| b.clone())
                .unwrap_or_else(|| panic!("{vector}.zip has no {suffix}"))
        };
        let scratch = tempfile::tempdir().unwrap();
        let event = scratch.path().join("0001-sealed.json");
        let token = scratch.path().join("0001-sealed.json.tsr");
        std::fs::write(&event, get("/custody/0001-sealed.json")).unwrap();
        std::fs::write(&token, get("/custody/0001-sealed.json.tsr")).unwrap();
        let out = std::process::Command::new("openssl")
            .args(["ts", "-verify", "-data"])
            .arg(&event)
            .arg("-in")
            .arg(&token)
            .arg("-CAfile")
            .arg(&root)
            .output()
            .expect("run openssl");
        assert_eq!(
            out.status.success(),
            accepted,
            "{vector}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
