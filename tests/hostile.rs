//! Hostile input and faults (shared/TESTING.md): a tamper matrix over every signed or hashed byte,
//! hostile ZIP structures, strict parsing, awkward file names, and faults while sealing.

mod common;

use common::zipcraft::{self, Entry};
use common::{Scratch, bin, code, fixtures, read_zip, run, verify_codes};
use earwitness::keys::Trust;
use earwitness::verify::{Options, verify_bytes};
use std::path::{Path, PathBuf};
use std::process::Command;

fn sealed(s: &Scratch, inputs: &[PathBuf]) -> (PathBuf, PathBuf) {
    let key = s.keygen("officer");
    let bundle = s.seal(&key, "b", inputs);
    (bundle, key.with_extension("pub"))
}

fn trust(pubkey: &Path) -> Options {
    Options::trusting(Trust::Pinned(vec![
        earwitness::keys::parse_trust(pubkey.to_str().unwrap()).unwrap(),
    ]))
}

/// Row 16: every byte of evidence.json, each manifest, bag-info.txt, each custody event, each
/// signature and each key file, flipped (XOR 0xFF) one at a time with the ZIP CRC kept valid, and
/// a sample of payload bytes. Every variant must fail. Runs through the library on bytes in memory.
#[test]
fn tamper_matrix_every_signed_or_hashed_byte() {
    let s = Scratch::new();
    let (bundle, pubkey) = sealed(&s, &[fixtures().join("other/notes.txt")]);
    let options = trust(&pubkey);
    let entries = zipcraft::entries_of(&bundle);
    // The untouched rebuild passes, so every failure below is the flip's doing.
    assert!(!verify_bytes(zipcraft::write(&entries), &options).has_errors());
    let mut variants = 0;
    let mut passed = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        let rel = entry.name.split_once('/').unwrap().1;
        let positions: Vec<usize> = if rel.starts_with("data/") {
            // A sample of payload bytes: first, last, and every 7th.
            (0..entry.data.len())
                .filter(|i| i % 7 == 0 || *i + 1 == entry.data.len())
                .collect()
        } else {
            (0..entry.data.len()).collect()
        };
        for at in positions {
            let mut variant: Vec<Entry> = entries
                .iter()
                .map(|e| Entry::file(&e.name, &e.data))
                .collect();
            variant[index].data[at] ^= 0xFF;
            let report = verify_bytes(zipcraft::write(&variant), &options);
            variants += 1;
            if !report.has_errors() {
                passed.push(format!("{rel}[{at}]"));
            }
        }
    }
    assert!(variants > 3000, "only {variants} variants");
    assert!(
        passed.is_empty(),
        "{} of {variants} flipped variants verified: {:?}",
        passed.len(),
        &passed[..passed.len().min(20)]
    );
}

#[test]
fn strict_parsers_refuse_duplicate_keys_and_unknown_fields() {
    let s = Scratch::new();
    let (bundle, _) = sealed(&s, &[fixtures().join("other/notes.txt")]);
    let files = read_zip(&bundle);
    let get = |suffix: &str| {
        String::from_utf8(
            files
                .iter()
                .find(|(n, _)| n.ends_with(suffix))
                .unwrap()
                .1
                .clone(),
        )
        .unwrap()
    };
    let evidence = get("/evidence.json");
    assert!(earwitness::evidence::Evidence::parse(evidence.as_bytes()).is_ok());
    for bad in [
        evidence.replacen('{', "{\"case\": \"OTHER\",", 1),
        evidence.replacen('{', "{\"extra\": true,", 1),
        evidence.replacen("\"size\"", "\"size\": 1, \"size\"", 1),
        evidence.replacen(
            "\"format\": \"earwitness-evidence/1\"",
            "\"format\": \"earwitness-evidence/2\"",
            1,
        ),
    ] {
        assert!(
            earwitness::evidence::Evidence::parse(bad.as_bytes()).is_err(),
            "accepted: {bad:.200}"
        );
    }
    let event = get("/custody/0001-sealed.json");
    assert!(earwitness::custody::Event::parse(event.as_bytes()).is_ok());
    for bad in [
        event.replacen('{', "{\"seq\": 9,", 1),
        event.replacen('{', "{\"trusted\": true,", 1),
        event.replacen("\"action\"", "\"action\": \"noted\", \"action\"", 1),
    ] {
        assert!(
            earwitness::custody::Event::parse(bad.as_bytes()).is_err(),
            "accepted: {bad:.200}"
        );
    }
}

/// Patches a ZIP's central directory so that entry `victim` points at entry `target`'s data.
fn overlap(zip: &mut [u8], victim: &str, target: &str) {
    let find_central = |name: &str| -> usize {
        let mut at = 0;
        loop {
            let i = at
                + zip[at..]
                    .windows(4)
                    .position(|w| w == b"PK\x01\x02")
                    .expect("central header");
            let n = u16::from_le_bytes([zip[i + 28], zip[i + 29]]) as usize;
            if &zip[i + 46..i + 46 + n] == name.as_bytes() {
                return i;
            }
            at = i + 4;
        }
    };
    let t = find_central(target);
    let v = find_central(victim);
    let offset: [u8; 4] = zip[t + 42..t + 46].try_into().unwrap();
    zip[v + 42..v + 46].copy_from_slice(&offset);
}

#[test]
fn overlapping_entries_and_size_lies_are_rejected() {
    let s = Scratch::new();
    let (bundle, pubkey) = sealed(
        &s,
        &[
            fixtures().join("other/notes.txt"),
            fixtures().join("other/random.bin"),
        ],
    );
    let options = trust(&pubkey);
    let entries = zipcraft::entries_of(&bundle);
    let mut zip = zipcraft::write(&entries);
    overlap(
        &mut zip,
        "b/data/originals/random.bin",
        "b/data/originals/notes.txt",
    );
    let report = verify_bytes(zip, &options);
    let codes: Vec<&str> = report.findings.iter().map(|f| f.code.as_str()).collect();
    assert!(report.has_errors(), "{codes:?}");
    assert!(codes.iter().any(|c| c.starts_with("bundle.")), "{codes:?}");

    // A deflated entry that inflates beyond the size it declares.
    let path = s.path("lie.zip");
    {
        use std::io::Write;
        let mut w = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        let deflated = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for e in &entries {
            w.start_file(e.name.as_str(), deflated).unwrap();
            w.write_all(&e.data).unwrap();
        }
        w.finish().unwrap();
    }
    let mut bytes = std::fs::read(&path).unwrap();
    // Halve the declared size of notes.txt in its central directory header and local header.
    let name = b"b/data/originals/notes.txt";
    let mut i = 0;
    while let Some(p) = bytes[i..].windows(name.len()).position(|w| w == name) {
        let at = i + p;
        for (sig, field) in [(b"PK\x01\x02", 24usize), (b"PK\x03\x04", 22usize)] {
            let Some(header) = at.checked_sub(if sig == b"PK\x01\x02" { 46 } else { 30 }) else {
                continue;
            };
            if &bytes[header..header + 4] == sig {
                let size = u32::from_le_bytes(
                    bytes[header + field..header + field + 4]
                        .try_into()
                        .unwrap(),
                );
                bytes[header + field..header + field + 4]
                    .copy_from_slice(&(size / 2).to_le_bytes());
            }
        }
        i = at + name.len();
    }
    let report = verify_bytes(bytes, &options);
    let codes: Vec<&str> = report.findings.iter().map(|f| f.code.as_str()).collect();
    assert!(codes.contains(&"bundle.entry.oversize"), "{codes:?}");
}

#[test]
fn a_deflate_bomb_is_refused_before_it_is_inflated() {
    use std::io::Write;
    let s = Scratch::new();
    let path = s.path("bomb.zip");
    let mut w = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    w.start_file("b/data/originals/zeros.wav", deflated)
        .unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..200 {
        w.write_all(&zeros).unwrap();
    }
    w.finish().unwrap();
    assert!(std::fs::metadata(&path).unwrap().len() < 1 << 20);
    let start = std::time::Instant::now();
    let (c, codes) = verify_codes(&path, &[]);
    assert_eq!(c, 1);
    assert!(
        codes.iter().any(|c| c == "bundle.entry.oversize"),
        "{codes:?}"
    );
    assert!(start.elapsed().as_secs() < 20);
}

#[test]
fn awkward_names_get_stable_distinct_bundle_names() {
    let s = Scratch::new();
    let dir = s.path("calls");
    std::fs::create_dir(&dir).unwrap();
    let names: Vec<std::ffi::OsString> = {
        let mut v = vec![
            std::ffi::OsString::from("caf\u{e9}.wav"),   // NFC
            std::ffi::OsString::from("cafe\u{301}.wav"), // NFD: the same text, other bytes
            std::ffi::OsString::from("100% loud~1.wav"),
            std::ffi::OsString::from("next\u{85}line.wav"),
        ];
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStringExt;
            v.push(std::ffi::OsString::from_vec(b"latin1-caf\xe9.wav".to_vec()));
        }
        v
    };
    for (i, n) in names.iter().enumerate() {
        std::fs::write(dir.join(n), format!("recording {i}\n")).unwrap();
    }
    let (bundle, pubkey) = sealed(&s, std::slice::from_ref(&dir));
    let stored: Vec<String> = read_zip(&bundle)
        .into_iter()
        .map(|(n, _)| n)
        .filter(|n| n.contains("/data/"))
        .collect();
    for want in [
        "b/data/originals/calls/caf\u{e9}.wav",
        "b/data/originals/calls/cafe\u{301}.wav",
        "b/data/originals/calls/100~25 loud~7E1.wav",
        "b/data/originals/calls/next~C2~85line.wav",
    ] {
        assert!(
            stored.iter().any(|n| n == want),
            "{want} not among {stored:?}"
        );
    }
    #[cfg(unix)]
    assert!(
        stored
            .iter()
            .any(|n| n == "b/data/originals/calls/latin1-caf~E9.wav"),
        "{stored:?}"
    );
    assert_eq!(stored.len(), names.len(), "names collided");
    let (c, found) = verify_codes(&bundle, &["--trust", pubkey.to_str().unwrap()]);
    assert_eq!(c, 0, "{found:?}");
    // The same names again give the same bundle names: stable.
    let again = s.seal(&s.path("officer"), "again", &[dir]);
    let again_names: Vec<String> = read_zip(&again)
        .into_iter()
        .map(|(n, _)| n.replacen("again/", "b/", 1))
        .filter(|n| n.contains("/data/"))
        .collect();
    assert_eq!(again_names, stored);
    // bagit.py agrees, with the names as they are on disk after unzipping.
    if common::have_tool("bagit.py", &["--version"]) {
        let dest = s.path("unzipped");
        common::unzip(&bundle, &dest);
        let out = run(Command::new("bagit.py")
            .arg("--validate")
            .arg(dest.join("b")));
        assert!(out.status.success(), "bagit.py rejects awkward names");
    }
}

#[test]
fn two_inputs_with_the_same_name_are_refused() {
    let s = Scratch::new();
    let key = s.keygen("officer");
    for d in ["p/x", "q/x"] {
        std::fs::create_dir_all(s.path(d)).unwrap();
    }
    std::fs::write(s.path("p/x/a.wav"), b"a").unwrap();
    std::fs::write(s.path("q/x/b.wav"), b"b").unwrap();
    let out = run(bin()
        .arg("seal")
        .arg("--key")
        .arg(&key)
        .arg("--out")
        .arg(s.path("o.zip"))
        .arg(s.path("p/x"))
        .arg(s.path("q/x")));
    assert_eq!(code(&out), 2);
    assert!(!s.path("o.zip").exists());
}

#[test]
fn disk_full_and_failing_fsync_leave_nothing_behind() {
    let s = Scratch::new();
    let key = s.keygen("officer");
    for (var, value, needle) in [
        (earwitness::faults::DISK_FULL_ENV, "30000", "no space left"),
        (earwitness::faults::DISK_FULL_ENV, "1", "no space left"),
        (earwitness::faults::FSYNC_FAIL_ENV, "1", "fsync"),
    ] {
        let out_path = s.path("full.zip");
        let out = run(bin()
            .env(earwitness::faults::FAULT_ENV, "1")
            .env(var, value)
            .arg("seal")
            .arg("--key")
            .arg(&key)
            .arg("--out")
            .arg(&out_path)
            .arg(fixtures().join("audio")));
        assert_eq!(code(&out), 2, "{var}={value}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(needle),
            "{var}={value}"
        );
        assert!(!out_path.exists(), "{var}={value}: an output appeared");
        assert!(
            common::partial_files(s.dir.path()).is_empty(),
            "{var}={value}: a temporary file was left"
        );
    }
    // An append (transfer) that hits a full disk leaves the bundle as it was.
    let bundle = s.seal(&key, "kept", &[fixtures().join("other/notes.txt")]);
    let before = std::fs::read(&bundle).unwrap();
    let other = s.keygen("lawyer");
    let out = run(bin()
        .env(earwitness::faults::FAULT_ENV, "1")
        .env(earwitness::faults::FSYNC_FAIL_ENV, "1")
        .arg("transfer")
        .arg(&bundle)
        .arg("--key")
        .arg(&key)
        .args(["--to", "L", "--to-key"])
        .arg(other.with_extension("pub")));
    assert_eq!(code(&out), 2);
    assert_eq!(std::fs::read(&bundle).unwrap(), before);
    assert!(common::partial_files(s.dir.path()).is_empty());
}

#[test]
fn a_failed_seal_does_not_wait_for_decoding_to_finish() {
    // A decode hangs (it sorts first, so it is under way), then the disk fills half way through a
    // 64 MiB file: the seal must stop the hanging decode and fail promptly, not after the hang's
    // 60-second timeout.
    let s = Scratch::new();
    let key = s.keygen("officer");
    let inputs = s.path("inputs");
    std::fs::create_dir(&inputs).unwrap();
    std::fs::copy(
        fixtures().join("faults/hang.bin"),
        inputs.join("a-hang.bin"),
    )
    .unwrap();
    std::fs::write(inputs.join("b-big.bin"), vec![7u8; 64 << 20]).unwrap();
    let start = std::time::Instant::now();
    let out = run(bin()
        .env(earwitness::faults::FAULT_ENV, "1")
        .env(earwitness::faults::DISK_FULL_ENV, (32u64 << 20).to_string())
        .args(["seal", "--decode-timeout", "60", "--key"])
        .arg(&key)
        .arg("--out")
        .arg(s.path("x.zip"))
        .arg(&inputs));
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no space left"));
    assert!(start.elapsed().as_secs() < 20, "took {:?}", start.elapsed());
    assert!(common::partial_files(s.dir.path()).is_empty());
}

#[cfg(unix)]
#[test]
fn kill_9_during_a_seal_leaves_the_old_bundle_or_none() {
    let s = Scratch::new();
    let key = s.keygen("officer");
    let old = s.seal(&key, "case", &[fixtures().join("other/notes.txt")]);
    let old_bytes = std::fs::read(&old).unwrap();
    // A hanging decode keeps the seal busy after the copy, with the temporary file half made.
    for (output, force) in [(old.clone(), true), (s.path("fresh.zip"), false)] {
        let mut cmd = bin();
        cmd.env(earwitness::faults::FAULT_ENV, "1")
            .args(["seal", "--decode-timeout", "60", "--key"])
            .arg(&key)
            .arg("--out")
            .arg(&output)
            .arg(fixtures().join("faults/hang.bin"))
            .arg(fixtures().join("audio"));
        if force {
            cmd.arg("--force");
        }
        let mut child = cmd
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Wait until the temporary file exists, then kill -9.
        let start = std::time::Instant::now();
        while common::partial_files(s.dir.path()).is_empty() && start.elapsed().as_secs() < 30 {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
        child.kill().unwrap();
        child.wait().unwrap();
        // Its decode workers, one of them stuck in a hang, die with it (Linux).
        #[cfg(target_os = "linux")]
        {
            std::thread::sleep(std::time::Duration::from_millis(500));
            let orphans = orphaned_workers(child.id());
            assert!(
                orphans.is_empty(),
                "decode workers outlived the killed seal: {orphans:?}"
            );
        }
        if force {
            assert_eq!(
                std::fs::read(&output).unwrap(),
                old_bytes,
                "the old bundle was damaged"
            );
        } else {
            assert!(
                !output.exists(),
                "a partial bundle appeared at the output path"
            );
        }
        // The leftover is recognisable by name, and is never taken for a bundle.
        let leftovers = common::partial_files(s.dir.path());
        assert!(
            !leftovers.is_empty(),
            "expected a leftover temporary file to examine"
        );
        for name in leftovers {
            let path = s.dir.path().join(&name);
            assert!(!name.ends_with(".zip"));
            let (c, _) = verify_codes(&path, &[]);
            assert_eq!(c, 1, "a partial file must never verify");
            std::fs::remove_file(path).unwrap();
        }
    }
}

#[test]
fn a_file_that_grows_while_sealed_is_refused() {
    let s = Scratch::new();
    let key = s.keygen("officer");
    let growing = s.path("growing.wav");
    std::fs::write(&growing, vec![0u8; 32 << 20]).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let stop = stop.clone();
        let growing = growing.clone();
        std::thread::spawn(move || {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .open(&growing)
                .unwrap();
            // Append without pause, so the file changes throughout the seal even on a busy machine.
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                f.write_all(&[1u8; 4096]).unwrap();
                std::thread::yield_now();
            }
        })
    };
    // Start the seal only once the file is really growing.
    while std::fs::metadata(&growing).unwrap().len() == 32 << 20 {
        std::thread::yield_now();
    }
    let out_path = s.path("grown.zip");
    let out = run(bin()
        .arg("seal")
        .arg("--key")
        .arg(&key)
        .arg("--out")
        .arg(&out_path)
        .arg(&growing));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().unwrap();
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("while it was being read"));
    assert!(!out_path.exists());
    assert!(common::partial_files(s.dir.path()).is_empty());
}

/// Row 11: a 5 GiB input (sparse) is sealed and verified in bounded memory, with ZIP64.
#[test]
fn a_5_gib_input_seals_and_verifies_in_bounded_memory() {
    let s = Scratch::new();
    let free = Command::new("df")
        .arg("--output=avail")
        .arg("-B1")
        .arg(s.dir.path())
        .output();
    let free: u64 = free
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .nth(1)
                .and_then(|l| l.trim().parse().ok())
        })
        .unwrap_or(0);
    if free < 12 << 30 {
        eprintln!("SKIPPED: this test needs 12 GiB of free disk space; {free} bytes are free");
        return;
    }
    let key = s.keygen("officer");
    let big = s.path("five-gib.wav");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(5 << 30).unwrap();
    drop(f);
    let out_path = s.path("big.zip");
    let seal_peak = run_measuring(
        bin()
            .arg("seal")
            .arg("--key")
            .arg(&key)
            .arg("--out")
            .arg(&out_path)
            .arg(&big),
    );
    let verify_peak = run_measuring(
        bin()
            .arg("verify")
            .arg(&out_path)
            .arg("--trust")
            .arg(key.with_extension("pub")),
    );
    assert!(
        seal_peak < 64 << 20,
        "seal peaked at {} MiB",
        seal_peak >> 20
    );
    assert!(
        verify_peak < 64 << 20,
        "verify peaked at {} MiB",
        verify_peak >> 20
    );
    let archive = zip::ZipArchive::new(std::fs::File::open(&out_path).unwrap()).unwrap();
    assert!(archive.decompressed_size().unwrap_or(0) > 5 << 30);
}

/// Runs `cmd` to success and returns its peak resident memory (VmHWM), polled from /proc.
fn run_measuring(cmd: &mut Command) -> u64 {
    let mut child = cmd.stdout(std::process::Stdio::null()).spawn().unwrap();
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    loop {
        if let Ok(text) = std::fs::read_to_string(&status_path)
            && let Some(line) = text.lines().find(|l| l.starts_with("VmHWM:"))
        {
            let kib: u64 = line
                .split_whitespace()
                .nth(1)
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            peak = peak.max(kib * 1024);
        }
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "{cmd:?} failed");
            return peak;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Decode workers whose parent was `parent` and that still run (now adopted by init).
#[cfg(target_os = "linux")]
fn orphaned_workers(parent: u32) -> Vec<u32> {
    let _ = parent;
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().filter_map(|e| e.ok()) {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // Field 4 of stat is the parent pid; orphans are re-parented to 1 (or a subreaper).
        let ppid: u32 = stat
            .rsplit(')')
            .next()
            .and_then(|r| r.split_whitespace().nth(1))
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        let is_worker = cmdline.split(|b| *b == 0).any(|a| a == b"__probe-worker");
        let is_ours = cmdline
            .windows(env!("CARGO_BIN_EXE_earwitness").len())
            .any(|w| w == env!("CARGO_BIN_EXE_earwitness").as_bytes());
        if is_worker && is_ours && ppid == 1 {
            found.push(pid);
        }
    }
    found
}
