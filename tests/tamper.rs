//! Tamper tests: real bytes changed on disk, each caught by `verify` with the right finding code.

mod common;

use common::zipcraft::{self, Entry};
use common::{Scratch, fixtures, verify_codes};
use std::path::{Path, PathBuf};

struct Case {
    scratch: Scratch,
    bundle: PathBuf,
    pubkey: PathBuf,
}

fn sealed() -> Case {
    let scratch = Scratch::new();
    let key = scratch.keygen("officer");
    let bundle = scratch.seal(
        &key,
        "case-17",
        &[
            fixtures().join("audio/call-8k-pcm16.wav"),
            fixtures().join("other/notes.txt"),
        ],
    );
    Case {
        pubkey: key.with_extension("pub"),
        scratch,
        bundle,
    }
}

impl Case {
    /// Writes a variant of the bundle built from its entries, changed by `edit`.
    fn variant(&self, name: &str, edit: impl FnOnce(&mut Vec<Entry>)) -> PathBuf {
        let mut entries = zipcraft::entries_of(&self.bundle);
        edit(&mut entries);
        let path = self.scratch.path(name);
        std::fs::write(&path, zipcraft::write(&entries)).unwrap();
        path
    }

    fn expect(&self, bundle: &Path, codes: &[&str]) {
        let trust = self.pubkey.to_str().unwrap();
        let (code, found) = verify_codes(bundle, &["--trust", trust]);
        assert_eq!(code, 1, "verify must fail; findings {found:?}");
        for c in codes {
            assert!(found.iter().any(|f| f == c), "expected {c} among {found:?}");
        }
    }
}

fn entry<'a>(entries: &'a mut [Entry], suffix: &str) -> &'a mut Entry {
    entries
        .iter_mut()
        .find(|e| e.name.ends_with(suffix))
        .unwrap_or_else(|| panic!("no entry {suffix}"))
}

#[test]
fn untouched_rebuild_still_verifies() {
    // The crafting itself must not break anything, or every test below would pass for nothing.
    let c = sealed();
    let same = c.variant("same.zip", |_| {});
    let (code, found) = verify_codes(&same, &["--trust", c.pubkey.to_str().unwrap()]);
    assert_eq!(code, 0, "{found:?}");
}

#[test]
fn payload_byte_flipped_with_crc_left_wrong() {
    let c = sealed();
    // Flip a byte of the payload in place in the ZIP file itself: the CRC is now wrong.
    let mut bytes = std::fs::read(&c.bundle).unwrap();
    let original = std::fs::read(fixtures().join("audio/call-8k-pcm16.wav")).unwrap();
    let at = bytes
        .windows(64)
        .position(|w| w == &original[1000..1064])
        .unwrap();
    bytes[at] ^= 0xFF;
    let path = c.scratch.path("crc-wrong.zip");
    std::fs::write(&path, bytes).unwrap();
    c.expect(&path, &["payload.hash.mismatch", "bundle.entry.crc"]);
}

#[test]
fn payload_byte_flipped_with_crc_fixed() {
    let c = sealed();
    let v = c.variant("crc-fixed.zip", |e| {
        entry(e, "call-8k-pcm16.wav").data[1000] ^= 0xFF
    });
    c.expect(&v, &["payload.hash.mismatch"]);
}

#[test]
fn evidence_json_byte_flipped() {
    let c = sealed();
    let v = c.variant("evidence.zip", |e| {
        entry(e, "/evidence.json").data[40] ^= 0xFF
    });
    c.expect(&v, &["tag.hash.mismatch"]);
}

#[test]
fn manifest_byte_flipped() {
    let c = sealed();
    let v = c.variant("manifest.zip", |e| {
        entry(e, "/manifest-sha256.txt").data[3] ^= 0xFF
    });
    c.expect(&v, &["tag.hash.mismatch"]);
}

#[test]
fn manifest_malformed_is_one_finding() {
    // The payload manifest is streamed a line at a time: a path listed twice at its end, or one
    // line longer than any ZIP name could need, refuses the whole manifest with one finding,
    // and no per-line finding from the lines before it leaks out.
    let c = sealed();
    let twice = c.variant("manifest-twice.zip", |e| {
        let m = entry(e, "/manifest-sha256.txt");
        // The first line's digest changed too: a payload.hash.mismatch that must not be reported.
        m.data[0] = if m.data[0] == b'0' { b'1' } else { b'0' };
        let first = m.data.split(|b| *b == b'\n').next().unwrap().to_vec();
        m.data.extend_from_slice(&first);
        m.data.push(b'\n');
    });
    let long = c.variant("manifest-long.zip", |e| {
        let m = entry(e, "/manifest-sha256.txt");
        let mut line = format!("{}  data/", "0".repeat(64)).into_bytes();
        line.resize(300_000, b'x');
        line.push(b'\n');
        m.data.splice(0..0, line);
    });
    let trust = c.pubkey.to_str().unwrap();
    for (bundle, says) in [(&twice, "listed twice"), (&long, "longer than")] {
        c.expect(bundle, &["manifest.invalid", "tag.hash.mismatch"]);
        let (_, found) = verify_codes(bundle, &["--trust", trust]);
        assert!(
            !found.iter().any(|f| f.starts_with("payload.")),
            "nothing per line once the manifest is malformed: {found:?}"
        );
        let out =
            common::run(common::bin().args(["verify", bundle.to_str().unwrap(), "--trust", trust]));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(says), "the finding says {says:?}: {text}");
    }
}

#[test]
fn tagmanifest_byte_flipped() {
    let c = sealed();
    let v = c.variant("tagmanifest.zip", |e| {
        entry(e, "/tagmanifest-sha256.txt").data[3] ^= 0xFF
    });
    c.expect(&v, &["custody.tagmanifest.mismatch"]);
}

#[test]
fn event_byte_flipped() {
    let c = sealed();
    // Inside the actor's name: still valid JSON, so only the signature can catch it.
    let v = c.variant("event.zip", |e| {
        let ev = entry(e, "/0001-sealed.json");
        let at = ev.data.windows(5).position(|w| w == b"Field").unwrap();
        ev.data[at] ^= 0x20;
    });
    c.expect(&v, &["custody.signature.invalid", "custody.sshsig.invalid"]);
}

#[test]
fn signature_byte_flipped() {
    let c = sealed();
    let v = c.variant("sig.zip", |e| {
        entry(e, "/0001-sealed.json.sig").data[10] ^= 0xFF
    });
    c.expect(&v, &["custody.signature.invalid"]);
    let v = c.variant("sshsig.zip", |e| {
        let sig = entry(e, "/0001-sealed.json.sshsig");
        let mid = sig.data.len() / 2;
        // Stay inside the base64 alphabet so the armor still parses.
        sig.data[mid] = if sig.data[mid] == b'A' { b'B' } else { b'A' };
    });
    c.expect(&v, &["custody.sshsig.invalid"]);
}

#[test]
fn missing_payload_entry() {
    let c = sealed();
    let v = c.variant("missing.zip", |e| {
        e.retain(|x| !x.name.ends_with("notes.txt"))
    });
    c.expect(&v, &["payload.missing"]);
}

#[test]
fn extra_payload_entry() {
    let c = sealed();
    let v = c.variant("extra.zip", |e| {
        e.push(Entry::file("case-17/data/originals/planted.wav", b"RIFF"))
    });
    c.expect(&v, &["payload.unlisted"]);
}

#[test]
fn extra_tag_file() {
    let c = sealed();
    let v = c.variant("extra-tag.zip", |e| {
        e.push(Entry::file("case-17/README.txt", b"trust me"))
    });
    c.expect(&v, &["bundle.entry.unexpected"]);
}

#[test]
fn duplicated_entry() {
    let c = sealed();
    let v = c.variant("dup.zip", |e| {
        let copy = Entry::file(&entry(e, "notes.txt").name.clone(), b"a different text");
        e.push(copy);
    });
    c.expect(&v, &["bundle.entry.duplicate"]);
}

#[test]
fn missing_signature_and_missing_event() {
    let c = sealed();
    let v = c.variant("nosig.zip", |e| {
        e.retain(|x| !x.name.ends_with(".json.sig"))
    });
    c.expect(&v, &["custody.signature.missing"]);
    let v = c.variant("noevent.zip", |e| {
        e.retain(|x| !x.name.contains("/custody/0001"))
    });
    c.expect(&v, &["custody.missing"]);
}

#[test]
fn signer_outside_the_trusted_keys() {
    let c = sealed();
    let other = c.scratch.keygen("someone-else");
    let (code, found) = verify_codes(
        &c.bundle,
        &["--trust", other.with_extension("pub").to_str().unwrap()],
    );
    // Intact, but not signed by the key the verifier trusts: exit 3, never 0.
    assert_eq!(code, 3);
    assert!(found.iter().any(|f| f == "signer.untrusted"), "{found:?}");
    // Trust by fingerprint works the same way as trust by file.
    let fp = std::process::Command::new("ssh-keygen")
        .arg("-l")
        .arg("-f")
        .arg(&c.pubkey)
        .output();
    if let Some(fp) = fp.ok().filter(|o| o.status.success()) {
        let text = String::from_utf8_lossy(&fp.stdout);
        let fp = text.split_whitespace().nth(1).unwrap();
        let (code, found) = verify_codes(&c.bundle, &["--trust", fp]);
        assert_eq!(code, 0, "{found:?}");
    }
}

#[test]
fn no_trust_given_is_intact_but_untrusted() {
    let c = sealed();
    let out = common::run(common::bin().arg("verify").arg(&c.bundle));
    assert_eq!(common::code(&out), 3);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("RESULT: INTACT, NOT FULLY TRUSTED."),
        "{text}"
    );
    assert!(text.contains("you gave no trusted key"), "{text}");
    assert!(text.contains("SHA256:"), "{text}");
}

#[test]
fn a_key_swapped_into_the_bundle_is_not_trusted() {
    // An attacker re-signs a tampered bundle with their own key and ships that key: the bundle is
    // self-consistent, but verify with the officer's key must still fail.
    let c = sealed();
    let attacker = c.scratch.keygen("attacker");
    let forged = c.scratch.seal(
        &attacker,
        "case-17-forged",
        &[fixtures().join("other/notes.txt")],
    );
    let (code, found) = verify_codes(&forged, &["--trust", c.pubkey.to_str().unwrap()]);
    // Never VERIFIED: a script that checks only for exit 0 refuses the self-signed forgery.
    assert_eq!(code, 3);
    assert!(found.iter().any(|f| f == "signer.untrusted"), "{found:?}");
}

#[test]
fn hostile_containers_are_rejected_not_crashed_on() {
    let c = sealed();
    let random = c.scratch.path("random.zip");
    std::fs::write(
        &random,
        std::fs::read(fixtures().join("other/random.bin")).unwrap(),
    )
    .unwrap();
    c.expect(&random, &["bundle.unreadable"]);
    let bytes = std::fs::read(&c.bundle).unwrap();
    let truncated = c.scratch.path("truncated.zip");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    c.expect(&truncated, &["bundle.unreadable"]);
    for (file, name) in [
        ("dotdot.zip", "../evil.txt"),
        ("abs.zip", "/etc/evil"),
        ("drive.zip", "C:\\evil"),
        ("bslash.zip", "case-17\\evil"),
    ] {
        let v = c.variant(file, |e| e.push(Entry::file(name, b"x")));
        c.expect(&v, &["bundle.entry.unsafe_name"]);
    }
    let v = c.variant("second-top.zip", |e| {
        e.push(Entry::file("other/x.txt", b"x"))
    });
    c.expect(&v, &["bundle.layout"]);
    let v = c.variant("symlink.zip", |e| {
        let mut link = Entry::file("case-17/data/originals/link", b"/etc/passwd");
        link.mode = 0o120777;
        e.push(link);
    });
    c.expect(&v, &["bundle.entry.symlink"]);
    let v = c.variant("encrypted.zip", |e| entry(e, "notes.txt").encrypted = true);
    c.expect(&v, &["bundle.entry.encrypted"]);
}

#[test]
fn missing_bundle_is_a_usage_error() {
    let (code, _) = verify_codes(Path::new("/nonexistent/bundle.zip"), &[]);
    assert_eq!(code, 2);
}

#[test]
fn unzipped_folder_verifies_and_tampering_in_it_is_caught() {
    let c = sealed();
    let dir = c.scratch.path("unzipped");
    common::unzip(&c.bundle, &dir);
    let bag = dir.join("case-17");
    let (code, found) = verify_codes(&bag, &["--trust", c.pubkey.to_str().unwrap()]);
    assert_eq!(code, 0, "{found:?}");
    let target = bag.join("data/originals/notes.txt");
    let mut bytes = std::fs::read(&target).unwrap();
    bytes[0] ^= 0xFF;
    std::fs::write(&target, bytes).unwrap();
    c.expect(&bag, &["payload.hash.mismatch"]);
}
