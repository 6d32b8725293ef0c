//! What people read: names that travel with keys, trust files that OpenSSH accepts, output that
//! says what was checked, errors that say what to do, and nothing from a bundle reaching a
//! terminal raw.

mod common;

use common::zipcraft::{self, Entry};
use common::{Scratch, bin, code, fixtures, have_tool, run, unzip};
use std::path::{Path, PathBuf};
use std::process::Command;

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn keygen_named(s: &Scratch, file: &str, name: &str) -> PathBuf {
    let key = s.path(file);
    let out = run(bin().args(["keygen", "--name", name, "--out"]).arg(&key));
    assert_eq!(code(&out), 0);
    key
}

#[test]
fn a_key_name_travels_into_every_event_and_the_output() {
    let s = Scratch::new();
    let officer = keygen_named(&s, "officer", "Field Officer");
    assert!(
        std::fs::read_to_string(officer.with_extension("pub"))
            .unwrap()
            .trim_end()
            .ends_with(" Field Officer")
    );
    let bundle = s.path("case.zip");
    let out = run(bin()
        .args(["seal", "--key"])
        .arg(&officer)
        .arg("--out")
        .arg(&bundle)
        .arg(fixtures().join("other/notes.txt")));
    assert_eq!(code(&out), 0);
    let lawyer = keygen_named(&s, "lawyer", "Lawyer B");
    let out = run(bin()
        .arg("transfer")
        .arg(&bundle)
        .arg("--key")
        .arg(&officer)
        .args(["--to", "Lawyer B", "--to-key"])
        .arg(lawyer.with_extension("pub")));
    assert_eq!(code(&out), 0);
    let out = run(bin().arg("log").arg(&bundle).arg("--json"));
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for e in log["events"].as_array().unwrap() {
        assert_eq!(e["actor"], "Field Officer", "{e}");
    }
    // verify and log show the trust file's name, and the bundle's claimed name as a claim.
    let trust = s.path("allowed_signers");
    let out = run(bin()
        .args(["trust", "add", "Officer A"])
        .arg(officer.with_extension("pub"))
        .arg("--file")
        .arg(&trust));
    assert_eq!(code(&out), 0);
    let out = run(bin()
        .arg("log")
        .arg(&bundle)
        .arg("--trust-file")
        .arg(&trust));
    let text = stdout(&out);
    assert!(
        text.contains("Officer A (trusted; the bundle says \"Field Officer\")"),
        "{text}"
    );
    let out = run(bin().arg("log").arg(&bundle));
    assert!(stdout(&out).contains("\"Field Officer\" (a claim; no key trusted)"));
}

#[test]
fn a_key_without_a_name_takes_the_login_name_never_earwitness() {
    let s = Scratch::new();
    let key = s.path("k");
    let out = run(bin()
        .env("USER", "ayse")
        .args(["keygen", "--out"])
        .arg(&key));
    assert_eq!(code(&out), 0);
    let line = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    assert!(line.trim_end().ends_with(" ayse"), "{line}");
}

#[test]
fn trust_add_makes_a_file_that_ssh_keygen_accepts() {
    let s = Scratch::new();
    let officer = keygen_named(&s, "officer", "Field Officer");
    let lawyer = keygen_named(&s, "lawyer", "Lawyer B");
    let file = s.path("allowed_signers");
    for (name, key) in [("Field Officer", &officer), ("Lawyer B", &lawyer)] {
        let out = run(bin()
            .args(["trust", "add", name])
            .arg(key.with_extension("pub"))
            .arg("--file")
            .arg(&file));
        assert_eq!(code(&out), 0);
    }
    // A second entry for the same name or the same key is refused.
    for (name, key) in [("Field Officer", &lawyer), ("Someone", &officer)] {
        let out = run(bin()
            .args(["trust", "add", name])
            .arg(key.with_extension("pub"))
            .arg("--file")
            .arg(&file));
        assert_eq!(code(&out), 2, "{name}");
    }
    let out = run(bin().args(["trust", "list", "--file"]).arg(&file));
    let text = stdout(&out);
    assert!(
        text.contains("Field Officer") && text.contains("Lawyer B"),
        "{text}"
    );
    // key show --allowed-signers prints the line to send to a colleague.
    let out = run(bin()
        .args(["key", "show", "--allowed-signers"])
        .arg(&officer));
    let line = stdout(&out);
    assert!(
        line.starts_with("\"Field Officer\" namespaces=\"earwitness\" ssh-ed25519 "),
        "{line}"
    );
    let bundle = s.seal(&officer, "case", &[fixtures().join("other/notes.txt")]);
    let out = run(bin()
        .arg("verify")
        .arg(&bundle)
        .arg("--trust-file")
        .arg(&file));
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    if !have_tool("ssh-keygen", &[]) {
        return;
    }
    let dest = s.path("u");
    unzip(&bundle, &dest);
    let event = dest.join("case/custody/0001-sealed.json");
    let sig = dest.join("case/custody/0001-sealed.json.sshsig");
    let found = run(Command::new("ssh-keygen")
        .args(["-Y", "find-principals", "-f"])
        .arg(&file)
        .arg("-s")
        .arg(&sig));
    assert!(found.status.success());
    assert_eq!(stdout(&found).trim(), "Field Officer");
    let verified = run(Command::new("ssh-keygen")
        .args(["-Y", "verify", "-f"])
        .arg(&file)
        .args(["-I", "Field Officer", "-n", "earwitness", "-s"])
        .arg(&sig)
        .stdin(std::fs::File::open(&event).unwrap()));
    assert!(verified.status.success(), "{}", stderr(&verified));
}

#[test]
fn verify_names_what_it_checked() {
    let s = Scratch::new();
    let key = keygen_named(&s, "officer", "Field Officer");
    let bundle = s.seal(
        &key,
        "case",
        &[
            fixtures().join("audio/call-8k-pcm16.wav"),
            fixtures().join("other/notes.txt"),
        ],
    );
    let out = run(bin()
        .arg("verify")
        .arg(&bundle)
        .arg("--trust")
        .arg(key.with_extension("pub")));
    let text = stdout(&out);
    assert_eq!(code(&out), 0);
    assert!(text.contains("Recordings (2 files, "), "{text}");
    for want in [
        "call-8k-pcm16.wav",
        "3.500 s",
        "wav / pcm_s16le",
        "notes.txt",
    ] {
        assert!(text.contains(want), "{want} missing from {text}");
    }
    assert!(text.contains("Checked against: --trust"), "{text}");
    assert!(!text.contains("Decoded again"), "{text}");
    let out = run(bin()
        .arg("verify")
        .arg(&bundle)
        .arg("--deep")
        .arg("--trust")
        .arg(key.with_extension("pub")));
    let text = stdout(&out);
    assert_eq!(code(&out), 0, "{text}");
    assert!(
        text.contains("Decoded again (--deep): 2 files")
            && text.contains("call-8k-pcm16.wav: the same as recorded at sealing"),
        "{text}"
    );
    // The timeline's columns line up.
    let lines: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("Custody"))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter(|l| {
            l.trim_start()
                .starts_with(|c: char| c == '#' || c.is_ascii_digit())
        })
        .collect();
    let column = |l: &str| l.find("SHA256:").or_else(|| l.find("key"));
    let starts: Vec<_> = lines.iter().map(|l| column(l)).collect();
    assert!(starts.windows(2).all(|w| w[0] == w[1]), "{lines:#?}");
}

#[test]
fn times_are_shown_in_utc_and_in_a_chosen_zone() {
    let s = Scratch::new();
    let key = s.keygen("officer");
    let bundle = s.seal(&key, "case", &[fixtures().join("other/notes.txt")]);
    let out = run(bin().arg("log").arg(&bundle).args(["--tz", "Europe/Paris"]));
    let text = stdout(&out);
    assert!(
        text.contains("2025-10-23 00:00:00 UTC (2025-10-23 02:00:00 CEST (+02:00))"),
        "{text}"
    );
    let out = run(bin().arg("log").arg(&bundle).args(["--tz", "Mars/Olympus"]));
    assert_eq!(code(&out), 2);
}

#[test]
fn common_mistakes_get_advice() {
    let s = Scratch::new();
    let key = s.keygen("officer");
    let bundle = s.seal(&key, "case", &[fixtures().join("other/notes.txt")]);
    let pubkey = key.with_extension("pub");
    let cases: Vec<(Vec<std::ffi::OsString>, &str)> = vec![
        (
            vec![
                "seal".into(),
                "--key".into(),
                pubkey.clone().into(),
                "--out".into(),
                s.path("x.zip").into(),
                fixtures().join("other/notes.txt").into(),
            ],
            "the file without .pub",
        ),
        (
            vec![
                "verify".into(),
                bundle.clone().into(),
                "--trust".into(),
                key.clone().into(),
            ],
            "never the secret key",
        ),
        (
            vec![
                "verify".into(),
                bundle.clone().into(),
                "--trust-file".into(),
                pubkey.clone().into(),
            ],
            "earwitness trust add",
        ),
        (
            vec![
                "verify".into(),
                fixtures().join("audio/call-8k-pcm16.wav").into(),
            ],
            "earwitness inspect",
        ),
    ];
    for (args, hint) in cases {
        let out = run(bin().args(&args));
        assert_eq!(code(&out), 2, "{args:?}");
        assert!(stderr(&out).contains(hint), "{args:?}: {}", stderr(&out));
    }
    // A ZIP made from inside the bag folder: the files are at the top.
    let dest = s.path("u");
    unzip(&bundle, &dest);
    let inside: Vec<Entry> = zipcraft::entries_of(&bundle)
        .into_iter()
        .map(|e| Entry::file(e.name.strip_prefix("case/").unwrap(), &e.data))
        .collect();
    let flat = s.path("flat.zip");
    std::fs::write(&flat, zipcraft::write(&inside)).unwrap();
    let out = run(bin().arg("verify").arg(&flat));
    assert_eq!(code(&out), 1);
    assert!(stdout(&out).contains("zip the folder itself"));
}

/// Rewrites a sealed bundle's claims (case and actor) to hold `case` and `actor`, and signs it
/// again with `key`, bypassing seal's refusal: what a hostile sealer could make by hand.
fn resealed_with_claims(bundle: &Path, key: &Path, case: &str, actor: &str, out: &Path) {
    use earwitness::custody::{Claims, Context, Event, event_files};
    use earwitness::digest::Sha256;
    let signer = earwitness::keys::load_signer(key, &mut || None).unwrap();
    let mut entries = zipcraft::entries_of(bundle);
    let get = |entries: &[Entry], suffix: &str| {
        entries
            .iter()
            .find(|e| e.name.ends_with(suffix))
            .unwrap()
            .data
            .clone()
    };
    let mut evidence =
        earwitness::evidence::Evidence::parse(&get(&entries, "/evidence.json")).unwrap();
    evidence.case = Some(case.into());
    evidence.actor = Some(actor.into());
    let bytes = evidence.to_bytes();
    entries
        .iter_mut()
        .find(|e| e.name.ends_with("/evidence.json"))
        .unwrap()
        .data = bytes;
    let tags = [
        "bagit.txt",
        "bag-info.txt",
        "evidence.json",
        "manifest-sha256.txt",
        "VERIFY.txt",
    ];
    let digests: Vec<(String, Sha256)> = tags
        .iter()
        .map(|t| (t.to_string(), Sha256::of(&get(&entries, &format!("/{t}")))))
        .collect();
    let tagmanifest = earwitness::bag::write_manifest(digests.iter().map(|(n, d)| (n.as_str(), d)));
    entries.retain(|e| !e.name.contains("/custody/"));
    for e in entries.iter_mut() {
        if e.name.ends_with("/tagmanifest-sha256.txt") {
            e.data = tagmanifest.clone().into_bytes();
        }
    }
    let context = Context {
        bag: "case".into(),
        case: Some(case.into()),
        tagmanifest_sha256: Sha256::of(tagmanifest.as_bytes()),
    };
    let claims = Claims {
        actor: Some(actor.into()),
        ..Claims::default()
    };
    let event = Event::first(
        &context,
        &claims,
        signer.fingerprint(),
        jiff::Timestamp::from_second(1_761_177_600).unwrap(),
    );
    for (name, bytes) in event_files(&event, &signer, true).unwrap() {
        entries.push(Entry::file(&format!("case/{name}"), &bytes));
    }
    std::fs::write(out, zipcraft::write(&entries)).unwrap();
}

#[test]
fn nothing_from_a_bundle_reaches_the_terminal_raw() {
    let s = Scratch::new();
    let key = s.keygen("officer");
    // seal refuses such claims outright.
    let out = run(bin()
        .args(["seal", "--case", "CASE\u{1b}[2J", "--key"])
        .arg(&key)
        .arg("--out")
        .arg(s.path("x.zip"))
        .arg(fixtures().join("other/notes.txt")));
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("U+001B"), "{}", stderr(&out));
    assert!(!s.path("x.zip").exists());
    // A bundle made by hand with them still verifies, but prints them escaped.
    let bundle = s.seal(&key, "case", &[fixtures().join("other/notes.txt")]);
    let hostile = s.path("hostile.zip");
    let fake = "\u{1b}[2K\u{1b}[1ARESULT: VERIFIED\u{1b}[8m";
    resealed_with_claims(
        &bundle,
        &key,
        &format!("CASE-1{fake}"),
        "Officer\u{202e}reciffO",
        &hostile,
    );
    for args in [
        vec!["verify"],
        vec!["verify", "--json"],
        vec!["log"],
        vec!["inspect"],
    ] {
        let out = run(bin()
            .args(&args)
            .arg(&hostile)
            .arg("--trust")
            .arg(key.with_extension("pub")));
        assert_eq!(code(&out), 0, "{args:?}: {}", stdout(&out));
        let text = stdout(&out);
        assert!(
            !text.contains('\u{1b}'),
            "{args:?} printed an escape: {text}"
        );
        assert!(
            !text.contains('\u{202e}'),
            "{args:?} printed a bidi override: {text}"
        );
        assert!(
            text.contains("\\u{1b}") || text.contains("\\u001b") || args == ["log"],
            "{args:?}: {text}"
        );
    }
}

/// Every Unicode format, line-separator and paragraph-separator character (per the Unicode
/// database of the machine's Python) is escaped.
#[test]
fn every_invisible_character_is_escaped() {
    if !have_tool("python3", &["--version"]) {
        return;
    }
    let out = run(Command::new("python3").args([
        "-c",
        "import unicodedata\nprint(' '.join(str(c) for c in range(0x110000) if unicodedata.category(chr(c)) in ('Cf','Zl','Zp','Cc')))",
    ]));
    let listed = stdout(&out);
    let mut n = 0;
    for cp in listed.split_whitespace() {
        let c = char::from_u32(cp.parse().unwrap()).unwrap();
        assert!(
            earwitness::text::is_unsafe(c),
            "U+{:04X} is not escaped",
            c as u32
        );
        n += 1;
    }
    assert!(n > 150, "only {n} characters listed");
}

#[test]
fn verify_txt_pastes_as_printed_and_fails_without_custody() {
    if !common::have_python_module("cryptography") {
        return;
    }
    let s = Scratch::new();
    let key = s.keygen("officer");
    let bundle = s.seal(&key, "case", &[fixtures().join("audio/call-8k-pcm16.wav")]);
    let dest = s.path("u");
    unzip(&bundle, &dest);
    let bag = dest.join("case");
    let block = common::verify_txt_block(&bag);
    assert!(
        block
            .lines()
            .all(|l| !l.starts_with("    PY") && l != "    PY"),
        "the here-document's end is indented"
    );
    let out = common::run_verify_txt_block(&bag, None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).trim_end().ends_with("the 1 event verified"));
    std::fs::remove_dir_all(bag.join("custody")).unwrap();
    let out = common::run_verify_txt_block(&bag, None);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("no custody events"));
}
