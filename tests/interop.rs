//! Independent verification: stock tools that earwitness did not write must agree with it, on an
//! intact bundle and on a tampered one. Each command is the one documented in VERIFY.txt.

mod common;

use common::{Scratch, code, fixtures, have_python_module, have_tool, run, unzip, verify_codes};
use std::path::{Path, PathBuf};
use std::process::Command;

struct Unzipped {
    scratch: Scratch,
    key: PathBuf,
    bundle: PathBuf,
    bag: PathBuf,
}

fn sealed_and_unzipped(key_from_ssh_keygen: bool) -> Unzipped {
    let scratch = Scratch::new();
    let key = if key_from_ssh_keygen {
        let key = scratch.path("officer");
        let out = run(Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", "officer", "-f"])
            .arg(&key));
        assert_eq!(code(&out), 0);
        key
    } else {
        scratch.keygen("officer")
    };
    let bundle = scratch.seal(
        &key,
        "case-17",
        &[fixtures().join("audio"), fixtures().join("other")],
    );
    let dest = scratch.path("unzipped");
    unzip(&bundle, &dest);
    Unzipped {
        bag: dest.join("case-17"),
        scratch,
        key,
        bundle,
    }
}

fn ok_in(dir: &Path, cmd: &mut Command) -> bool {
    let out = run(cmd.current_dir(dir));
    out.status.success()
}

fn sha256sum(bag: &Path, manifest: &str) -> bool {
    ok_in(
        bag,
        Command::new("sha256sum").args(["-c", "--strict", manifest]),
    )
}

fn bagit_validate(bag: &Path) -> bool {
    ok_in(bag, Command::new("bagit.py").args(["--validate", "."]))
}

/// Step 3's OpenSSL commands of VERIFY.txt, run as written, with `trusted_pub` as ../signer.pub.
fn openssl_verify(bag: &Path, trusted_pub: &Path) -> bool {
    std::fs::copy(trusted_pub, bag.parent().unwrap().join("signer.pub")).unwrap();
    let text = std::fs::read_to_string(bag.join("VERIFY.txt")).unwrap();
    let start = text
        .find("\n(printf")
        .expect("VERIFY.txt has the OpenSSL key conversion");
    let end = start
        + text[start..]
            .find("custody/0001-sealed.json.sig\n")
            .expect("and the openssl command")
        + "custody/0001-sealed.json.sig".len();
    let script = &text[start + 1..end];
    ok_in(
        bag,
        Command::new("bash")
            .arg("-c")
            .arg(format!("set -e -o pipefail\n{script}")),
    )
}

fn ssh_keygen_verify(bag: &Path, trusted_pub: &Path, scratch: &Scratch) -> bool {
    let allowed = scratch.path("allowed_signers");
    let line = std::fs::read_to_string(trusted_pub).unwrap();
    std::fs::write(&allowed, format!("signer namespaces=\"earwitness\" {line}")).unwrap();
    let event = std::fs::File::open(bag.join("custody/0001-sealed.json")).unwrap();
    ok_in(
        bag,
        Command::new("ssh-keygen")
            .args(["-Y", "verify", "-f"])
            .arg(&allowed)
            .args([
                "-I",
                "signer",
                "-n",
                "earwitness",
                "-s",
                "custody/0001-sealed.json.sshsig",
            ])
            .stdin(event),
    )
}

/// The Python block of VERIFY.txt, run as written.
fn python_snippet(bag: &Path) -> bool {
    common::run_verify_txt_block(bag, None).status.success()
}

#[test]
fn sha256sum_agrees() {
    if !have_tool("sha256sum", &["--version"]) {
        return;
    }
    let u = sealed_and_unzipped(false);
    assert!(sha256sum(&u.bag, "manifest-sha256.txt"));
    assert!(sha256sum(&u.bag, "tagmanifest-sha256.txt"));
    let target = u.bag.join("data/originals/audio/call-8k-pcm16.wav");
    let mut bytes = std::fs::read(&target).unwrap();
    bytes[5000] ^= 0xFF;
    std::fs::write(&target, bytes).unwrap();
    assert!(
        !sha256sum(&u.bag, "manifest-sha256.txt"),
        "sha256sum missed a flipped payload byte"
    );
    assert_eq!(verify_codes(&u.bag, &[]).0, 1, "earwitness missed it too");
}

#[test]
fn bagit_py_agrees() {
    if !have_tool("bagit.py", &["--version"]) {
        return;
    }
    let u = sealed_and_unzipped(false);
    assert!(
        bagit_validate(&u.bag),
        "bagit.py rejects a bundle earwitness made"
    );
    let target = u.bag.join("evidence.json");
    let mut bytes = std::fs::read(&target).unwrap();
    bytes[20] ^= 0xFF;
    std::fs::write(&target, bytes).unwrap();
    assert!(
        !bagit_validate(&u.bag),
        "bagit.py missed a flipped evidence.json byte"
    );
    assert_eq!(verify_codes(&u.bag, &[]).0, 1);
}

#[test]
fn openssl_agrees() {
    if !have_tool("openssl", &["version"]) {
        return;
    }
    let u = sealed_and_unzipped(false);
    let trusted = u.key.with_extension("pub");
    assert!(openssl_verify(&u.bag, &trusted));
    // Another key than the signer's is refused, whatever key the bundle carries.
    let other = u.scratch.keygen("other");
    assert!(!openssl_verify(&u.bag, &other.with_extension("pub")));
    flip_actor(&u.bag);
    assert!(
        !openssl_verify(&u.bag, &trusted),
        "openssl accepted a changed event"
    );
    assert_eq!(verify_codes(&u.bag, &[]).0, 1);
}

#[test]
fn ssh_keygen_agrees_and_its_keys_seal() {
    // ssh-keygen has no version flag that exits 0; starting it is the check.
    if !have_tool("ssh-keygen", &[]) {
        return;
    }
    let u = sealed_and_unzipped(true);
    let pubkey = u.key.with_extension("pub");
    // The fingerprint earwitness reports is the one ssh-keygen prints.
    let listed = run(Command::new("ssh-keygen").arg("-l").arg("-f").arg(&pubkey));
    let fp = String::from_utf8_lossy(&listed.stdout)
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_string();
    let report = run(common::bin().arg("verify").arg("--json").arg(&u.bundle));
    let v: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    assert_eq!(v["events"][0]["key"], fp.as_str());
    assert!(ssh_keygen_verify(&u.bag, &pubkey, &u.scratch));
    // A key the verifier does not trust is refused by ssh-keygen too.
    let other = u.scratch.keygen("other");
    assert!(!ssh_keygen_verify(
        &u.bag,
        &other.with_extension("pub"),
        &u.scratch
    ));
    flip_actor(&u.bag);
    assert!(
        !ssh_keygen_verify(&u.bag, &pubkey, &u.scratch),
        "ssh-keygen accepted a changed event"
    );
}

#[test]
fn python_cryptography_agrees() {
    if !have_python_module("cryptography") {
        return;
    }
    let u = sealed_and_unzipped(false);
    assert!(
        python_snippet(&u.bag),
        "the Python check in VERIFY.txt failed on an intact bundle"
    );
    flip_actor(&u.bag);
    assert!(
        !python_snippet(&u.bag),
        "the Python check accepted a changed event"
    );
}

#[test]
fn python_chain_check_catches_a_changed_tag_manifest() {
    if !have_python_module("cryptography") {
        return;
    }
    let u = sealed_and_unzipped(false);
    let target = u.bag.join("tagmanifest-sha256.txt");
    let mut bytes = std::fs::read(&target).unwrap();
    bytes[0] ^= 0x01;
    std::fs::write(&target, bytes).unwrap();
    assert!(!python_snippet(&u.bag));
    assert_eq!(verify_codes(&u.bag, &[]).0, 1);
}

/// Changes one letter of the actor's name in the first event, keeping it valid JSON.
fn flip_actor(bag: &Path) {
    let path = bag.join("custody/0001-sealed.json");
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes.windows(5).position(|w| w == b"Field").unwrap();
    bytes[at] ^= 0x20;
    std::fs::write(&path, bytes).unwrap();
}

#[test]
fn python_check_refuses_the_small_order_key_forgery() {
    // OpenSSL and Python's cryptography both accept the (identity, 0) signature under the
    // small-order key; VERIFY.txt's Python check must still refuse it, because it only accepts
    // fingerprints the user trusts.
    if !have_python_module("cryptography") {
        return;
    }
    let scratch = Scratch::new();
    let dest = scratch.path("unzipped");
    unzip(&fixtures().join("vectors/weak-key.zip"), &dest);
    assert!(
        !python_snippet(&dest.join("good")),
        "the forged event passed VERIFY.txt's Python check"
    );
}

#[test]
fn ssh_keygen_refuses_what_earwitness_refuses_in_an_sshsig() {
    // The SSHSIG's signature blob relabelled ssh-rsa: ssh-keygen refuses it, and so must we
    // (fixtures/vectors/sshsig-labelled-rsa.expect says custody.sshsig.invalid).
    if !have_tool("ssh-keygen", &[]) {
        return;
    }
    let scratch = Scratch::new();
    let dest = scratch.path("u");
    unzip(&fixtures().join("vectors/sshsig-labelled-rsa.zip"), &dest);
    let bag = dest.join("good");
    let key = std::fs::read_to_string(fixtures().join("vectors/key.pub")).unwrap();
    let allowed = scratch.path("allowed");
    std::fs::write(&allowed, format!("signer namespaces=\"earwitness\" {key}")).unwrap();
    let out = run(Command::new("ssh-keygen")
        .current_dir(&bag)
        .args(["-Y", "verify", "-f"])
        .arg(&allowed)
        .args([
            "-I",
            "signer",
            "-n",
            "earwitness",
            "-s",
            "custody/0001-sealed.json.sshsig",
        ])
        .stdin(std::fs::File::open(bag.join("custody/0001-sealed.json")).unwrap()));
    assert!(
        !out.status.success(),
        "ssh-keygen accepted the relabelled SSHSIG"
    );
    let (c, found) = verify_codes(&fixtures().join("vectors/sshsig-labelled-rsa.zip"), &[]);
    assert_eq!(c, 1);
    assert!(
        found.iter().any(|f| f == "custody.sshsig.invalid"),
        "{found:?}"
    );
}
