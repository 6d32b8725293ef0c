//! Sealing: every input archived byte for byte, refusals before anything is written, determinism.

mod common;

use common::{Scratch, bin, code, fixtures, read_zip, run, verify_codes};
use std::path::PathBuf;

fn all_fixture_dirs() -> Vec<PathBuf> {
    ["audio", "broken", "other"]
        .iter()
        .map(|d| fixtures().join(d))
        .collect()
}

#[test]
fn seals_every_fixture_byte_for_byte_and_verifies() {
    let s = Scratch::new();
    let key = s.keygen("officer");
    let bundle = s.seal(&key, "case-17", &all_fixture_dirs());
    let entries = read_zip(&bundle);
    let mut payload = 0;
    for dir in ["audio", "broken", "other"] {
        for file in std::fs::read_dir(fixtures().join(dir)).unwrap() {
            let file = file.unwrap();
            let name = format!(
                "case-17/data/originals/{dir}/{}",
                file.file_name().to_str().unwrap()
            );
            let stored = entries
                .iter()
                .find(|(n, _)| *n == name)
                .unwrap_or_else(|| panic!("{name} is not in the bundle"));
            assert_eq!(
                stored.1,
                std::fs::read(file.path()).unwrap(),
                "{name} differs from the original"
            );
            payload += 1;
        }
    }
    assert!(payload >= 20, "expected every fixture, found {payload}");
    // Exactly one top-level folder, and the documented tag files.
    assert!(entries.iter().all(|(n, _)| n.starts_with("case-17/")));
    for tag in [
        "bagit.txt",
        "bag-info.txt",
        "manifest-sha256.txt",
        "tagmanifest-sha256.txt",
        "evidence.json",
        "VERIFY.txt",
        "custody/0001-sealed.json",
        "custody/0001-sealed.json.sig",
        "custody/0001-sealed.json.sshsig",
    ] {
        assert!(
            entries.iter().any(|(n, _)| *n == format!("case-17/{tag}")),
            "{tag} missing"
        );
    }
    let (code, codes) = verify_codes(
        &bundle,
        &["--trust", key.with_extension("pub").to_str().unwrap()],
    );
    assert_eq!(code, 0, "{codes:?}");
    assert!(
        codes.is_empty(),
        "a trusted intact bundle has no findings: {codes:?}"
    );
}

#[test]
fn evidence_records_findings_for_unreadable_files() {
    let s = Scratch::new();
    let key = s.keygen("officer");
    let bundle = s.seal(&key, "b", &[fixtures().join("other")]);
    let evidence = read_zip(&bundle)
        .into_iter()
        .find(|(n, _)| n == "b/evidence.json")
        .unwrap()
        .1;
    let ev: serde_json::Value = serde_json::from_slice(&evidence).unwrap();
    let item = |path: &str| {
        ev["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["path"] == path)
            .unwrap_or_else(|| panic!("{path} missing"))
            .clone()
    };
    let codes = |path: &str| -> Vec<String> {
        item(path)["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(codes("data/originals/other/empty.wav"), ["file.empty"]);
    assert_eq!(
        codes("data/originals/other/notes.txt"),
        ["format.unrecognized"]
    );
    assert_eq!(
        codes("data/originals/other/random.bin"),
        ["format.unrecognized"]
    );
    assert!(item("data/originals/other/notes.txt")["media"].is_null());
    assert_eq!(item("data/originals/other/empty.wav")["size"], 0);
    assert_eq!(ev["case"], "CASE-2026-17");
    assert_eq!(ev["actor"], "Field Officer");
    assert_eq!(ev["organization"], "Crew Against Torture");
    assert_eq!(ev["sealed_at"], "2025-10-23T00:00:00Z");
    assert_eq!(ev["tool"]["name"], "earwitness");
}

#[test]
fn same_inputs_key_and_time_give_identical_bundles() {
    let s = Scratch::new();
    let key = s.keygen("officer");
    let a = s.seal(&key, "one", &[fixtures().join("audio")]);
    let b_dir = s.path("again");
    std::fs::create_dir(&b_dir).unwrap();
    let b = b_dir.join("one.zip");
    std::fs::copy(&a, s.path("first.zip")).unwrap();
    std::fs::remove_file(&a).unwrap();
    let b_made = s.seal(&key, "one", &[fixtures().join("audio")]);
    std::fs::rename(&b_made, &b).unwrap();
    assert_eq!(
        std::fs::read(s.path("first.zip")).unwrap(),
        std::fs::read(&b).unwrap()
    );
}

#[test]
fn refuses_existing_output_without_force() {
    let s = Scratch::new();
    let key = s.keygen("officer");
    let bundle = s.seal(&key, "b", &[fixtures().join("other/notes.txt")]);
    let before = std::fs::read(&bundle).unwrap();
    let out = run(bin()
        .arg("seal")
        .arg("--key")
        .arg(&key)
        .arg("--out")
        .arg(&bundle)
        .arg(fixtures().join("other/random.bin")));
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));
    assert_eq!(
        std::fs::read(&bundle).unwrap(),
        before,
        "the existing bundle was changed"
    );
    let out = run(bin()
        .arg("seal")
        .arg("--force")
        .arg("--key")
        .arg(&key)
        .arg("--out")
        .arg(&bundle)
        .arg(fixtures().join("other/random.bin")));
    assert_eq!(code(&out), 0);
    assert_ne!(std::fs::read(&bundle).unwrap(), before);
}

fn assert_refused(s: &Scratch, key: &std::path::Path, input: &std::path::Path, needle: &str) {
    let out_path = s.path("refused.zip");
    let out = run(bin()
        .arg("seal")
        .arg("--key")
        .arg(key)
        .arg("--out")
        .arg(&out_path)
        .arg(fixtures().join("other/notes.txt"))
        .arg(input));
    assert_eq!(code(&out), 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(needle), "expected {needle:?} in {stderr}");
    assert!(!out_path.exists(), "no output may appear");
    let leftovers = common::partial_files(s.dir.path());
    assert!(leftovers.is_empty(), "temporary files left behind");
}

#[cfg(unix)]
#[test]
fn refuses_symlinks_fifos_devices_and_missing_paths() {
    let s = Scratch::new();
    let key = s.keygen("officer");
    let link = s.path("link.wav");
    std::os::unix::fs::symlink(fixtures().join("audio/call-8k-pcm16.wav"), &link).unwrap();
    assert_refused(&s, &key, &link, "symbolic link");
    // A link inside a folder is refused too.
    let dir = s.path("dir");
    std::fs::create_dir(&dir).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", dir.join("inner")).unwrap();
    assert_refused(&s, &key, &dir, "symbolic link");
    let fifo = s.path("fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    assert_refused(&s, &key, &fifo, "FIFO");
    assert_refused(
        &s,
        &key,
        std::path::Path::new("/dev/null"),
        "character device",
    );
    assert_refused(&s, &key, &s.path("no-such-file.wav"), "no such file");
}

#[test]
fn refuses_two_inputs_with_the_same_bundle_name() {
    let s = Scratch::new();
    let key = s.keygen("officer");
    let a = s.path("a");
    let b = s.path("b");
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    std::fs::write(a.join("call.wav"), b"one").unwrap();
    std::fs::write(b.join("call.wav"), b"two").unwrap();
    let out_path = s.path("x.zip");
    let out = run(bin()
        .arg("seal")
        .arg("--key")
        .arg(&key)
        .arg("--out")
        .arg(&out_path)
        .arg(a.join("call.wav"))
        .arg(b.join("call.wav")));
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("would both be stored as"));
    assert!(!out_path.exists());
}

#[test]
fn default_key_is_created_on_first_use_and_reused() {
    let s = Scratch::new();
    let config = s.path("config");
    let seal = |name: &str| {
        run(bin()
            .env("XDG_CONFIG_HOME", &config)
            .arg("seal")
            .arg("--out")
            .arg(s.path(name))
            .arg(fixtures().join("other/notes.txt")))
    };
    let first = seal("one.zip");
    assert_eq!(code(&first), 0);
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(
        stderr.contains("created your default signing key"),
        "{stderr}"
    );
    let key = config.join("earwitness/default-key");
    assert!(key.exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let second = seal("two.zip");
    assert_eq!(code(&second), 0);
    assert!(!String::from_utf8_lossy(&second.stderr).contains("created"));
    let pubkey = config.join("earwitness/default-key.pub");
    for name in ["one.zip", "two.zip"] {
        let (c, codes) = verify_codes(&s.path(name), &["--trust", pubkey.to_str().unwrap()]);
        assert_eq!(c, 0, "{codes:?}");
    }
}

#[test]
fn keygen_writes_private_0600_and_refuses_to_overwrite() {
    let s = Scratch::new();
    let key = s.keygen("officer");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            std::fs::metadata(key.with_extension("pub"))
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o644
        );
    }
    let before = std::fs::read(&key).unwrap();
    let out = run(bin().args(["keygen", "--out"]).arg(&key));
    assert_eq!(code(&out), 2);
    assert_eq!(std::fs::read(&key).unwrap(), before);
}

#[test]
fn inspect_reads_a_recording_and_a_bundle() {
    let s = Scratch::new();
    let out = run(bin()
        .args(["inspect", "--json"])
        .arg(fixtures().join("audio/music-44k-stereo.flac")));
    assert_eq!(code(&out), 0);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["media"]["container"], "flac");
    assert_eq!(v["media"]["codec"], "flac");
    assert_eq!(v["media"]["sample_rate"], 44100);
    assert_eq!(v["media"]["channels"], 2);
    let key = s.keygen("officer");
    let bundle = s.seal(&key, "b", &[fixtures().join("audio/call-8k-pcm16.wav")]);
    let out = run(bin().args(["inspect", "--json"]).arg(&bundle));
    assert_eq!(code(&out), 3, "intact, no trusted key given");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["evidence"]["items"][0]["path"],
        "data/originals/call-8k-pcm16.wav"
    );
    assert_eq!(v["events"][0]["action"], "sealed");
}

#[test]
fn progress_shows_on_a_terminal_and_never_in_a_pipe() {
    if !common::have_tool("script", &["--version"]) {
        return;
    }
    let s = Scratch::new();
    let key = s.keygen("officer");
    // A decode that hangs until its one-second timeout keeps the seal busy long enough to draw.
    let args = |out: &str| {
        format!(
            "{} seal --decode-timeout 1 --key {} --out {} {} {}",
            env!("CARGO_BIN_EXE_earwitness"),
            key.display(),
            s.path(out).display(),
            fixtures().join("faults/hang.bin").display(),
            fixtures().join("audio").display()
        )
    };
    let tty = run(std::process::Command::new("script")
        .args(["-qec", &args("tty.zip"), "/dev/null"])
        .env("TERM", "xterm")
        .env("EARWITNESS_FAULT_INJECTION", "1"));
    assert_eq!(code(&tty), 0);
    let shown = String::from_utf8_lossy(&tty.stdout);
    assert!(
        shown.contains("archiving and decoding") && shown.contains("eta"),
        "no progress bar on a terminal"
    );
    let piped = run(std::process::Command::new("sh")
        .args(["-c", &args("pipe.zip")])
        .env("TERM", "xterm")
        .env("EARWITNESS_FAULT_INJECTION", "1"));
    assert_eq!(code(&piped), 0);
    assert!(
        !String::from_utf8_lossy(&piped.stderr).contains("eta"),
        "a progress bar in a pipe"
    );
    // verify shows one too, on a terminal only.
    let verify = format!(
        "{} verify {}",
        env!("CARGO_BIN_EXE_earwitness"),
        s.path("tty.zip").display()
    );
    let tty = run(std::process::Command::new("script")
        .args(["-qec", &verify, "/dev/null"])
        .env("TERM", "xterm"));
    assert_eq!(code(&tty), 3);
    assert!(
        String::from_utf8_lossy(&tty.stdout).contains("verifying"),
        "no progress bar for verify"
    );
    let piped = run(std::process::Command::new("sh")
        .args(["-c", &verify])
        .env("TERM", "xterm"));
    assert!(!String::from_utf8_lossy(&piped.stderr).contains("verifying"));
}
