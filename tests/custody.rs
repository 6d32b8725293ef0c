//! Chain of custody across people: seal, transfer, receive, note; every hand-off checked by
//! earwitness and by stock tools; every reordering, deletion, splice and forgery caught.

mod common;

use common::zipcraft::{self, Entry};
use common::{
    Scratch, bin, code, fixtures, have_python_module, have_tool, run, unzip, verify_codes,
};
use std::path::{Path, PathBuf};
use std::process::Command;

struct People {
    s: Scratch,
    officer: PathBuf,
    lawyer: PathBuf,
    court: PathBuf,
}

fn people() -> People {
    let s = Scratch::new();
    People {
        officer: s.keygen("officer"),
        lawyer: s.keygen("lawyer"),
        court: s.keygen("court"),
        s,
    }
}

fn pubkey(key: &Path) -> String {
    key.with_extension("pub").to_str().unwrap().to_string()
}

/// `earwitness transfer BUNDLE --key KEY --to TO --to-key RECIPIENT.pub`.
fn transfer(bundle: &Path, key: &Path, to: &str, recipient: &Path) -> Command {
    let mut cmd = bin();
    cmd.arg("transfer").arg(bundle).arg("--key").arg(key).args([
        "--to",
        to,
        "--to-key",
        &pubkey(recipient),
    ]);
    cmd
}

fn ok(cmd: &mut Command) {
    let out = run(cmd);
    assert_eq!(code(&out), 0, "command failed");
}

impl People {
    fn allowed_signers(&self) -> PathBuf {
        let path = self.s.path("allowed_signers");
        let mut text = String::new();
        for (name, key) in [
            ("officer", &self.officer),
            ("lawyer", &self.lawyer),
            ("court", &self.court),
        ] {
            text.push_str(&format!(
                "{name} namespaces=\"earwitness\" {}",
                std::fs::read_to_string(key.with_extension("pub")).unwrap()
            ));
        }
        std::fs::write(&path, text).unwrap();
        path
    }

    /// seal (officer) → transfer to lawyer → receive (receipt) → note → transfer to court → receive.
    fn chain(&self, name: &str) -> PathBuf {
        let bundle = self.s.seal(
            &self.officer,
            name,
            &[fixtures().join("audio/call-8k-pcm16.wav")],
        );
        ok(bin()
            .arg("transfer")
            .arg(&bundle)
            .arg("--key")
            .arg(&self.officer)
            .args([
                "--actor",
                "Field Officer",
                "--to",
                "Lawyer B",
                "--to-key",
                &pubkey(&self.lawyer),
                "--note",
                "in person",
            ]));
        ok(bin()
            .arg("receive")
            .arg(&bundle)
            .arg("--key")
            .arg(&self.lawyer)
            .args(["--actor", "Lawyer B", "--receipt"])
            .arg(self.s.path(&format!("{name}-receipt-3.json"))));
        ok(bin()
            .arg("note")
            .arg(&bundle)
            .arg("--key")
            .arg(&self.lawyer)
            .args([
                "--actor",
                "Lawyer B",
                "--text",
                "Copied to the court's evidence server",
            ]));
        ok(bin()
            .arg("transfer")
            .arg(&bundle)
            .arg("--key")
            .arg(&self.lawyer)
            .args([
                "--actor",
                "Lawyer B",
                "--to",
                "Registry",
                "--to-key",
                &pubkey(&self.court),
            ]));
        ok(bin()
            .arg("receive")
            .arg(&bundle)
            .arg("--key")
            .arg(&self.court)
            .args(["--actor", "Registry"]));
        bundle
    }

    fn trusted(&self) -> Vec<String> {
        vec![
            "--trust-file".into(),
            self.allowed_signers().to_str().unwrap().to_string(),
        ]
    }

    fn expect(&self, bundle: &Path, extra: &[&str], codes: &[&str]) {
        let mut args: Vec<String> = self.trusted();
        args.extend(extra.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (c, found) = verify_codes(bundle, &args);
        assert_eq!(c, 1, "verify must fail; findings {found:?}");
        for want in codes {
            assert!(
                found.iter().any(|f| f == want),
                "expected {want} among {found:?}"
            );
        }
    }

    fn variant(&self, bundle: &Path, name: &str, edit: impl FnOnce(&mut Vec<Entry>)) -> PathBuf {
        let mut entries = zipcraft::entries_of(bundle);
        edit(&mut entries);
        let path = self.s.path(name);
        std::fs::write(&path, zipcraft::write(&entries)).unwrap();
        path
    }
}

fn data<'a>(entries: &'a [Entry], suffix: &str) -> &'a [u8] {
    &entries
        .iter()
        .find(|e| e.name.ends_with(suffix))
        .unwrap_or_else(|| panic!("no {suffix}"))
        .data
}

fn set(entries: &mut [Entry], suffix: &str, bytes: Vec<u8>) {
    entries
        .iter_mut()
        .find(|e| e.name.ends_with(suffix))
        .unwrap_or_else(|| panic!("no {suffix}"))
        .data = bytes;
}

#[test]
fn three_people_chain_verifies_and_names_the_holder() {
    let p = people();
    let bundle = p.chain("case");
    let args = p.trusted();
    let out = run(bin().arg("log").arg(&bundle).arg("--json").args(&args));
    assert_eq!(code(&out), 0);
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let actions: Vec<&str> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "sealed",
            "transferred",
            "received",
            "noted",
            "transferred",
            "received"
        ]
    );
    let names: Vec<&str> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["trusted_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["officer", "officer", "lawyer", "lawyer", "lawyer", "court"]
    );
    assert_eq!(log["holder"]["trusted_name"], "court", "{}", log["holder"]);
    assert_eq!(log["holder"]["claimed_name"], "Registry");
    let receipt = p.s.path("case-receipt-3.json");
    let (c, found) = verify_codes(
        &bundle,
        &[
            &args[0],
            &args[1],
            "--expect-receipt",
            receipt.to_str().unwrap(),
        ],
    );
    assert_eq!(c, 0, "{found:?}");
    // verify says visibly what the receipt check did.
    let out = run(bin()
        .arg("verify")
        .arg(&bundle)
        .args(&args)
        .arg("--expect-receipt")
        .arg(&receipt));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.contains("Receipts checked (--expect-receipt):")
            && text.contains("custody/0003-received.json: the bundle holds this exact event"),
        "{text}"
    );
    // With trust, the timeline shows the trusted names beside the bundle's claims.
    let out = run(bin().arg("log").arg(&bundle).args(&args));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.contains("lawyer (trusted; the bundle says \"Lawyer B\")"),
        "{text}"
    );
    // Without trust, the text output names every signer's claim as a claim, and exits 3.
    let out = run(bin().arg("log").arg(&bundle));
    assert_eq!(code(&out), 3);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let claims = text
        .lines()
        .filter(|l| l.contains("(a claim; no key trusted)"))
        .count();
    assert_eq!(claims, 6, "{text}");
}

#[test]
fn stock_tools_check_every_hand_off() {
    let p = people();
    let bundle = p.chain("case");
    let dest = p.s.path("unzipped");
    unzip(&bundle, &dest);
    let bag = dest.join("case");
    let signers = ["officer", "officer", "lawyer", "lawyer", "lawyer", "court"];
    let events: Vec<String> = {
        let mut v: Vec<String> = std::fs::read_dir(bag.join("custody"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_str().unwrap().to_string())
            .filter(|n| n.ends_with(".json"))
            .collect();
        v.sort();
        v
    };
    assert_eq!(events.len(), 6);
    if have_tool("openssl", &["version"]) {
        for event in &events {
            let bytes = std::fs::read(bag.join("custody").join(event)).unwrap();
            let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            let fp = v["key"].as_str().unwrap().trim_start_matches("SHA256:");
            let hex = base64_to_hex(fp);
            let out = run(Command::new("openssl")
                .current_dir(&bag)
                .args(["pkeyutl", "-verify", "-pubin", "-inkey"])
                .arg(format!("custody/keys/{hex}.pem"))
                .args(["-rawin", "-in"])
                .arg(format!("custody/{event}"))
                .arg("-sigfile")
                .arg(format!("custody/{event}.sig")));
            assert!(out.status.success(), "openssl rejected {event}");
        }
    }
    if have_tool("ssh-keygen", &[]) {
        let allowed = p.allowed_signers();
        for (event, who) in events.iter().zip(signers) {
            let out = run(Command::new("ssh-keygen")
                .current_dir(&bag)
                .args(["-Y", "verify", "-f"])
                .arg(&allowed)
                .args(["-I", who, "-n", "earwitness", "-s"])
                .arg(format!("custody/{event}.sshsig"))
                .stdin(std::fs::File::open(bag.join("custody").join(event)).unwrap()));
            assert!(out.status.success(), "ssh-keygen rejected {event} as {who}");
        }
    }
    if have_python_module("cryptography") {
        assert!(
            python_check(&bag, &p),
            "the Python check in VERIFY.txt rejected the chain"
        );
    }
}

/// Runs VERIFY.txt's Python check in `bag`, trusting all three people; true when it passes and
/// says "ok" for every event.
fn python_check(bag: &Path, p: &People) -> bool {
    let fps: Vec<String> = [&p.officer, &p.lawyer, &p.court]
        .iter()
        .map(|k| {
            let (vk, _) = earwitness::keys::load_public(&k.with_extension("pub")).unwrap();
            earwitness::keys::Fingerprint::of(&vk).to_string()
        })
        .collect();
    let out = common::run_verify_txt_block(bag, Some(&fps));
    let events = std::fs::read_dir(bag.join("custody"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".json")
        })
        .count();
    let stdout = String::from_utf8_lossy(&out.stdout);
    out.status.success()
        && stdout.lines().filter(|l| l.starts_with("ok ")).count() == events
        && stdout.contains(&format!("all {events} events verified"))
}

fn base64_to_hex(b64: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in b64.bytes() {
        let v = ALPHABET.iter().position(|&a| a == c).unwrap() as u32;
        bits = (bits << 6) | v;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    out.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn reordered_events_are_caught() {
    let p = people();
    let bundle = p.chain("case");
    let v = p.variant(&bundle, "reordered.zip", |e| {
        // Swap events 3 and 4 (with their signatures) but keep the file names.
        for ext in [".json", ".json.sig", ".json.sshsig"] {
            let three = data(e, &format!("0003-received{ext}")).to_vec();
            let four = data(e, &format!("0004-noted{ext}")).to_vec();
            set(e, &format!("0003-received{ext}"), four);
            set(e, &format!("0004-noted{ext}"), three);
        }
    });
    p.expect(&v, &[], &["custody.chain.broken"]);
}

#[test]
fn deleted_or_duplicated_middle_events_are_caught() {
    let p = people();
    let bundle = p.chain("case");
    let v = p.variant(&bundle, "deleted.zip", |e| {
        e.retain(|x| !x.name.contains("/custody/0003-received"))
    });
    p.expect(&v, &[], &["custody.chain.broken"]);
    let v = p.variant(&bundle, "duplicated.zip", |e| {
        for ext in [".json", ".json.sig", ".json.sshsig"] {
            let copy = data(e, &format!("0003-received{ext}")).to_vec();
            e.push(Entry::file(
                &format!("case/custody/0007-received{ext}"),
                &copy,
            ));
        }
    });
    p.expect(&v, &[], &["custody.chain.broken"]);
}

#[test]
fn an_event_spliced_from_another_bundle_by_the_same_key_is_caught() {
    let p = people();
    let bundle = p.chain("case");
    // The same officer seals another bundle and transfers it: same key, valid signature.
    let other =
        p.s.seal(&p.officer, "other", &[fixtures().join("other/notes.txt")]);
    ok(&mut transfer(&other, &p.officer, "Mallory", &p.court));
    let donor = zipcraft::entries_of(&other);
    let v = p.variant(&bundle, "spliced.zip", |e| {
        for ext in [".json", ".json.sig", ".json.sshsig"] {
            set(
                e,
                &format!("0002-transferred{ext}"),
                data(&donor, &format!("0002-transferred{ext}")).to_vec(),
            );
        }
    });
    p.expect(
        &v,
        &[],
        &["custody.tagmanifest.mismatch", "custody.chain.broken"],
    );
}

#[test]
fn a_changed_recipient_and_a_swapped_signature_are_caught() {
    let p = people();
    let bundle = p.chain("case");
    let v = p.variant(&bundle, "recipient.zip", |e| {
        let text = String::from_utf8(data(e, "0002-transferred.json").to_vec()).unwrap();
        set(
            e,
            "0002-transferred.json",
            text.replace("Lawyer B", "Lawyer X").into_bytes(),
        );
    });
    p.expect(
        &v,
        &[],
        &["custody.signature.invalid", "custody.sshsig.invalid"],
    );
    let v = p.variant(&bundle, "swapped.zip", |e| {
        let four = data(e, "0004-noted.json.sig").to_vec();
        set(e, "0003-received.json.sig", four);
    });
    p.expect(&v, &[], &["custody.signature.invalid"]);
}

#[test]
fn a_receive_signed_by_another_key_than_the_transfer_named() {
    let p = people();
    let bundle =
        p.s.seal(&p.officer, "case", &[fixtures().join("other/notes.txt")]);
    ok(&mut transfer(&bundle, &p.officer, "Lawyer B", &p.lawyer));
    // The CLI refuses: only the named recipient can receive.
    let out = run(bin().arg("receive").arg(&bundle).arg("--key").arg(&p.court));
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("only the named recipient"));
    // A forger who builds the event by hand is caught by verify.
    let forged = forge_receive(&bundle, &p.court, p.s.path("forged.zip"));
    p.expect(&forged, &[], &["custody.receiver.unexpected"]);
}

/// Appends a `received` event signed by `key`, built with the library, bypassing the CLI's checks.
fn forge_receive(bundle: &Path, key: &Path, out: PathBuf) -> PathBuf {
    forge(bundle, key, out, "received", None)
}

/// Appends an event of `action` signed by `key`, built with the library, bypassing the CLI.
fn forge(bundle: &Path, key: &Path, out: PathBuf, action: &str, to_key: Option<String>) -> PathBuf {
    use earwitness::custody::{self, Event};
    use earwitness::digest::Sha256;
    let signer = earwitness::keys::load_signer(key, &mut || None).unwrap();
    let report = earwitness::verify::verify_path(bundle, &Default::default()).unwrap();
    let last = report.events.last().unwrap();
    let bag = report.bag.clone().unwrap();
    let entries = common::read_zip(bundle);
    let file = |name: &str| {
        let full = format!("{bag}/{name}");
        Sha256::of(&entries.iter().find(|(n, _)| *n == full).unwrap().1)
    };
    let (seq, prev) = (last.seq, file(&last.path));
    let tagmanifest = file("tagmanifest-sha256.txt");
    let event = Event {
        format: custody::FORMAT.into(),
        seq: seq + 1,
        action: action.into(),
        time: "2030-01-01T00:00:00Z".into(),
        actor: Some("Impostor".into()),
        organization: None,
        key: signer.fingerprint().to_string(),
        bag: bag.clone(),
        case: None,
        note: None,
        to: to_key.as_ref().map(|_| "Accomplice".to_string()),
        payload_rehashed: (action == "received").then_some(true),
        to_key,
        prev_event_sha256: Some(prev),
        tagmanifest_sha256: tagmanifest,
    };
    let files: Vec<(String, Vec<u8>)> = custody::event_files(&event, &signer, true)
        .unwrap()
        .into_iter()
        .map(|(n, b)| (format!("{bag}/{n}"), b))
        .collect();
    let tmp = earwitness::bundle::append(bundle, &files, jiff::Timestamp::UNIX_EPOCH).unwrap();
    tmp.persist(&out).unwrap();
    out
}

#[test]
fn a_cut_off_chain_is_caught_only_with_the_receipt() {
    let p = people();
    let bundle = p.chain("case");
    // Cut events 3 to 6: what remains is a valid, shorter chain...
    let v = p.variant(&bundle, "cut.zip", |e| {
        e.retain(|x| {
            ![
                "/custody/0003",
                "/custody/0004",
                "/custody/0005",
                "/custody/0006",
            ]
            .iter()
            .any(|c| x.name.contains(c))
        });
        // ... once the keys that only the removed events used (lawyer's, court's) are gone too.
        for key in [&p.lawyer, &p.court] {
            let hex = key_hex(&x_pub(key));
            e.retain(|x| !x.name.contains(&hex));
        }
    });
    let args = p.trusted();
    let (c, found) = verify_codes(&v, &[&args[0], &args[1]]);
    assert_eq!(c, 0, "a cut chain is still a valid chain: {found:?}");
    let receipt = p.s.path("case-receipt-3.json");
    p.expect(
        &v,
        &["--expect-receipt", receipt.to_str().unwrap()],
        &["custody.receipt.missing"],
    );
}

fn x_pub(key: &Path) -> PathBuf {
    key.with_extension("pub")
}

fn key_hex(pubfile: &Path) -> String {
    let (vk, _) = earwitness::keys::load_public(pubfile).unwrap();
    earwitness::keys::Fingerprint::of(&vk).to_hex()
}

#[test]
fn receive_refuses_a_tampered_bundle_and_leaves_it_unchanged() {
    let p = people();
    let bundle = p.s.seal(
        &p.officer,
        "case",
        &[fixtures().join("audio/call-8k-pcm16.wav")],
    );
    ok(&mut transfer(&bundle, &p.officer, "Lawyer B", &p.lawyer));
    let tampered = p.variant(&bundle, "tampered.zip", |e| {
        e.iter_mut()
            .find(|x| x.name.ends_with("call-8k-pcm16.wav"))
            .unwrap()
            .data[3000] ^= 0xFF;
    });
    let before = std::fs::read(&tampered).unwrap();
    let receipt = p.s.path("never.json");
    let out = run(bin()
        .arg("receive")
        .arg(&tampered)
        .arg("--key")
        .arg(&p.lawyer)
        .arg("--receipt")
        .arg(&receipt));
    assert_eq!(code(&out), 1);
    assert!(String::from_utf8_lossy(&out.stdout).contains("payload.hash.mismatch"));
    assert_eq!(
        std::fs::read(&tampered).unwrap(),
        before,
        "the bundle was changed"
    );
    assert!(!receipt.exists());
}

#[test]
fn passphrase_protected_keys_work_and_a_wrong_passphrase_is_exit_2() {
    let s = Scratch::new();
    let key = s.path("protected");
    ok(bin()
        .env("EARWITNESS_PASSPHRASE", "correct horse")
        .args(["keygen", "--passphrase", "--out"])
        .arg(&key));
    if have_tool("ssh-keygen", &[]) {
        // OpenSSH reads it with the passphrase, and not without.
        assert!(
            run(Command::new("ssh-keygen")
                .args(["-y", "-P", "correct horse", "-f"])
                .arg(&key))
            .status
            .success()
        );
        assert!(
            !run(Command::new("ssh-keygen")
                .args(["-y", "-P", "", "-f"])
                .arg(&key))
            .status
            .success()
        );
    }
    let seal = |pass: Option<&str>, out: &str| {
        let mut cmd = bin();
        if let Some(p) = pass {
            cmd.env("EARWITNESS_PASSPHRASE", p);
        }
        run(cmd
            .arg("seal")
            .arg("--key")
            .arg(&key)
            .arg("--out")
            .arg(s.path(out))
            .arg(fixtures().join("other/notes.txt")))
    };
    let wrong = seal(Some("wrong"), "a.zip");
    assert_eq!(code(&wrong), 2);
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("wrong passphrase"));
    let missing = seal(None, "b.zip");
    assert_eq!(code(&missing), 2);
    assert!(String::from_utf8_lossy(&missing.stderr).contains("EARWITNESS_PASSPHRASE"));
    assert_eq!(code(&seal(Some("correct horse"), "c.zip")), 0);
    // key show prints the public side only.
    let shown = run(bin()
        .env("EARWITNESS_PASSPHRASE", "correct horse")
        .args(["key", "show"])
        .arg(&key));
    let text = String::from_utf8_lossy(&shown.stdout);
    assert!(
        text.contains("fingerprint: SHA256:")
            && text.contains("ssh-ed25519 ")
            && text.contains("BEGIN PUBLIC KEY")
    );
    assert!(!text.contains("PRIVATE"));
}

#[test]
fn a_clock_that_goes_backwards_is_a_warning() {
    let p = people();
    let bundle =
        p.s.seal(&p.officer, "case", &[fixtures().join("other/notes.txt")]);
    ok(bin()
        .env("SOURCE_DATE_EPOCH", "1000000000")
        .arg("note")
        .arg(&bundle)
        .arg("--key")
        .arg(&p.officer)
        .args(["--text", "clock was wrong"]));
    let args = p.trusted();
    let (c, found) = verify_codes(&bundle, &[&args[0], &args[1]]);
    assert_eq!(c, 0, "{found:?}");
    assert!(
        found.iter().any(|f| f == "custody.time.backwards"),
        "{found:?}"
    );
}

#[test]
fn an_untrusted_signer_in_the_chain_is_intact_but_not_fully_trusted() {
    let p = people();
    let bundle = p.chain("case");
    // Trust only the officer and the lawyer: the court's receive is untrusted. That is exit 3
    // (intact, not fully trusted), never a pass, and never worse than giving no trust at all.
    let (c, found) = verify_codes(
        &bundle,
        &[
            "--trust",
            &pubkey(&p.officer),
            "--trust",
            &pubkey(&p.lawyer),
        ],
    );
    assert_eq!(c, 3, "{found:?}");
    assert!(found.iter().any(|f| f == "signer.untrusted"), "{found:?}");
    assert_eq!(verify_codes(&bundle, &[]).0, 3, "no trust at all");
    // The words name the untrusted events and say how to trust their keys.
    let out = run(bin()
        .arg("verify")
        .arg(&bundle)
        .args(["--trust", &pubkey(&p.officer)]));
    assert_eq!(code(&out), 3);
    let text = String::from_utf8_lossy(&out.stdout);
    let result = text.lines().last().unwrap();
    assert!(
        result.starts_with("RESULT: INTACT, NOT FULLY TRUSTED."),
        "{text}"
    );
    assert!(
        result.contains("Events 3, 4 and 5 are signed by")
            && result.contains("Event 6 is signed by")
            && result.contains("named \"Registry\" in the bundle")
            && result.contains("earwitness trust add"),
        "{result}"
    );
    assert!(!text.contains("Do not rely"), "{text}");
    // The Python in VERIFY.txt agrees: intact, exit 3, naming the events.
    if have_python_module("cryptography") {
        let dest = p.s.path("partly");
        unzip(&bundle, &dest);
        let (vk, _) = earwitness::keys::load_public(&p.officer.with_extension("pub")).unwrap();
        let fp = earwitness::keys::Fingerprint::of(&vk).to_string();
        let out = common::run_verify_txt_block(&dest.join("case"), Some(&[fp]));
        assert_eq!(out.status.code(), Some(3));
        assert!(String::from_utf8_lossy(&out.stdout).contains("3, 4, 5, 6"));
    }
}

#[test]
fn only_the_holder_can_transfer() {
    let p = people();
    let bundle =
        p.s.seal(&p.officer, "case", &[fixtures().join("other/notes.txt")]);
    // The lawyer never received it: the CLI refuses.
    let out = run(&mut transfer(&bundle, &p.lawyer, "Court", &p.court));
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("only the holder can transfer"));
    // A transfer forged by hand is caught by verify.
    let (vk, _) = earwitness::keys::load_public(&p.court.with_extension("pub")).unwrap();
    let court = earwitness::keys::Fingerprint::of(&vk).to_string();
    let forged = forge(
        &bundle,
        &p.lawyer,
        p.s.path("forged-transfer.zip"),
        "transferred",
        Some(court),
    );
    p.expect(&forged, &[], &["custody.holder.unexpected"]);
    // VERIFY.txt's Python check refuses it too, even trusting every key.
    if have_python_module("cryptography") {
        let dest = p.s.path("forged-unzipped");
        unzip(&forged, &dest);
        assert!(
            !python_check(&dest.join("case"), &p),
            "the Python check accepted a transfer by a non-holder"
        );
    }
}

#[test]
fn a_receipt_must_name_a_signed_received_event() {
    let p = people();
    let bundle = p.chain("case");
    let good = p.s.path("case-receipt-3.json");
    let receipt: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&good).unwrap()).unwrap();
    let write = |name: &str, r: &serde_json::Value| {
        let path = p.s.path(name);
        std::fs::write(&path, serde_json::to_vec_pretty(r).unwrap()).unwrap();
        path
    };
    // Pointing at another event.
    let mut moved = receipt.clone();
    moved["event_path"] = "custody/0002-transferred.json".into();
    // A receipt made for the transfer: its own event text, hash and signature, all consistent.
    let entries = zipcraft::entries_of(&bundle);
    let transfer = data(&entries, "custody/0002-transferred.json");
    let transfer_sig = data(&entries, "custody/0002-transferred.json.sig");
    let mut for_transfer = receipt.clone();
    for_transfer["event_path"] = "custody/0002-transferred.json".into();
    for_transfer["event"] = String::from_utf8(transfer.to_vec()).unwrap().into();
    for_transfer["event_sha256"] = earwitness::digest::Sha256::of(transfer).to_hex().into();
    for_transfer["signature_hex"] = hex::encode(transfer_sig).into();
    // A signature that does not verify.
    let mut unsigned = receipt.clone();
    let mut sig = receipt["signature_hex"].as_str().unwrap().to_string();
    sig.replace_range(0..2, if sig.starts_with("00") { "11" } else { "00" });
    unsigned["signature_hex"] = sig.into();
    for (name, r) in [
        ("moved.json", &moved),
        ("transfer.json", &for_transfer),
        ("unsigned.json", &unsigned),
    ] {
        let path = write(name, r);
        p.expect(
            &bundle,
            &["--expect-receipt", path.to_str().unwrap()],
            &["custody.receipt.invalid"],
        );
    }
    let args = p.trusted();
    let (c, found) = verify_codes(
        &bundle,
        &[
            &args[0],
            &args[1],
            "--expect-receipt",
            good.to_str().unwrap(),
        ],
    );
    assert_eq!(c, 0, "{found:?}");
}

#[cfg(unix)]
#[test]
fn a_hand_off_through_a_symbolic_link_updates_the_file_it_points_to() {
    let p = people();
    let bundle =
        p.s.seal(&p.officer, "case", &[fixtures().join("other/notes.txt")]);
    let link = p.s.path("link.zip");
    std::os::unix::fs::symlink(&bundle, &link).unwrap();
    ok(bin()
        .arg("note")
        .arg(&link)
        .arg("--key")
        .arg(&p.officer)
        .args(["--text", "through a link"]));
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link was replaced by a file"
    );
    let entries = zipcraft::entries_of(&bundle);
    assert!(entries.iter().any(|e| e.name.ends_with("0002-noted.json")));
}

#[test]
fn hand_offs_check_earlier_signers_against_the_trust_given() {
    let p = people();
    let bundle =
        p.s.seal(&p.officer, "case", &[fixtures().join("other/notes.txt")]);
    // Trusting only the court: the officer's seal is not trusted, so nothing is appended (exit 3).
    let before = std::fs::read(&bundle).unwrap();
    let out = run(bin()
        .arg("note")
        .arg(&bundle)
        .arg("--key")
        .arg(&p.lawyer)
        .args(["--text", "x", "--trust", &pubkey(&p.court)]));
    assert_eq!(code(&out), 3);
    assert!(String::from_utf8_lossy(&out.stdout).contains("Nothing was added"));
    assert_eq!(std::fs::read(&bundle).unwrap(), before);
    // Trusting the officer: it goes ahead, and says nothing about unchecked signers.
    let out = run(bin()
        .arg("note")
        .arg(&bundle)
        .arg("--key")
        .arg(&p.lawyer)
        .args(["--text", "x", "--trust", &pubkey(&p.officer)]));
    assert_eq!(code(&out), 0);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("NOT checked"));
    // Without trust: it goes ahead, and names the earlier signers as not checked.
    let out = run(bin()
        .arg("note")
        .arg(&bundle)
        .arg("--key")
        .arg(&p.court)
        .args(["--text", "y"]));
    assert_eq!(code(&out), 0);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("NOT checked against keys you trust"),
        "{text}"
    );
    for key in [&p.officer, &p.lawyer] {
        let (vk, _) = earwitness::keys::load_public(&key.with_extension("pub")).unwrap();
        let fp = earwitness::keys::Fingerprint::of(&vk).to_string();
        assert!(text.contains(&fp), "{fp} not named in {text}");
    }
}

#[test]
fn trust_file_validity_and_options_are_honoured() {
    let p = people();
    let bundle =
        p.s.seal(&p.officer, "case", &[fixtures().join("other/notes.txt")]);
    let line = std::fs::read_to_string(p.officer.with_extension("pub")).unwrap();
    let file = p.s.path("allowed");
    // The bundle was sealed at 2025-10-23 (SOURCE_DATE_EPOCH in the helper).
    for (options, want) in [
        ("valid-before=\"20250101Z\"", 3),
        ("valid-after=\"20260101Z\"", 3),
        ("valid-after=\"20250101Z\",valid-before=\"20260101Z\"", 0),
        ("namespaces=\"git\"", 2),
        ("cert-authority", 2),
        ("no-touch-required", 2),
    ] {
        std::fs::write(&file, format!("officer {options} {line}")).unwrap();
        let out = run(bin()
            .arg("verify")
            .arg(&bundle)
            .arg("--trust-file")
            .arg(&file));
        assert_eq!(code(&out), want, "{options}");
    }
}
