//! What you verify is what you open: every way a ZIP can show one thing to earwitness and another
//! to unzip, Python or 7-Zip is refused with its own code; on the bundles earwitness accepts, all
//! of those tools extract exactly the bytes earwitness checked; and no small bundle can make
//! verify use much memory or time.

mod common;

use common::zipcraft::{self, End, Entry};
use common::{Scratch, bin, fixtures, have_tool, run};
use earwitness::keys::Trust;
use earwitness::verify::{Options, verify_bytes};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A sealed bundle's entries, its trusted key, and the scratch folder holding them.
fn sealed() -> (Scratch, Vec<Entry>, Options) {
    let s = Scratch::new();
    let key = s.keygen("officer");
    let bundle = s.seal(
        &key,
        "b",
        &[
            fixtures().join("other/notes.txt"),
            fixtures().join("audio/call-8k-pcm16.wav"),
        ],
    );
    let trust = Trust::Pinned(vec![
        earwitness::keys::parse_trust(key.with_extension("pub").to_str().unwrap()).unwrap(),
    ]);
    let entries = zipcraft::entries_of(&bundle);
    (s, entries, Options::trusting(trust))
}

fn codes_of(zip: Vec<u8>, options: &Options) -> Vec<String> {
    let report = verify_bytes(zip, options);
    report
        .findings
        .iter()
        .filter(|f| f.severity == earwitness::finding::Severity::Error)
        .map(|f| f.code.clone())
        .collect()
}

fn entry<'a>(entries: &'a mut [Entry], suffix: &str) -> &'a mut Entry {
    entries
        .iter_mut()
        .find(|e| e.name.ends_with(suffix))
        .unwrap()
}

/// Each class of disagreement, crafted byte by byte, and the code earwitness must report.
#[test]
fn every_ambiguous_zip_is_refused_with_its_code() {
    let (_s, entries, options) = sealed();
    let rebuilt = || -> Vec<Entry> {
        entries
            .iter()
            .map(|e| Entry::file(&e.name, &e.data))
            .collect()
    };
    // The untouched rebuild passes, so each failure below is the craft's doing.
    assert!(codes_of(zipcraft::write(&rebuilt()), &options).is_empty());

    type Craft = Box<dyn Fn(&mut Vec<Entry>, &mut End)>;
    let cases: Vec<(&str, Craft, &str)> = vec![
        (
            "a local header covering the genuine text plus a forged sentence",
            Box::new(|e, _| {
                let notes = entry(e, "notes.txt");
                let mut forged = notes.data.clone();
                forged.extend(b"He said he knows where you live.\n");
                notes.local_data = Some(forged);
            }),
            "bundle.entry.header_mismatch",
        ),
        (
            "a local header describing a truncated recording",
            Box::new(|e, _| {
                let wav = entry(e, "call-8k-pcm16.wav");
                let mut cut = wav.data.clone();
                cut.truncate(cut.len() / 2);
                wav.local_data = Some(cut);
            }),
            "bundle.entry.header_mismatch",
        ),
        (
            "another name in the local header",
            Box::new(|e, _| {
                let notes = entry(e, "notes.txt");
                notes.local_name = Some(notes.name.replace("notes", "nodes"));
            }),
            "bundle.entry.header_mismatch",
        ),
        (
            "other flags in the local header than the directory",
            Box::new(|e, _| entry(e, "notes.txt").local_flags = Some(0x0808)),
            "bundle.entry.header_mismatch",
        ),
        (
            "an end record that counts one entry fewer, hiding a second notes",
            Box::new(|e, end| {
                e.push(Entry::file("b/TRANSCRIPT.txt", b"other words\n"));
                end.count_delta = -1;
            }),
            "bundle.directory.mismatch",
        ),
        (
            "an end record whose directory offset is off (read as prepended data by Python)",
            Box::new(|e, end| {
                e[0].gap_before = vec![0u8; 16];
                end.offset_delta = -16;
            }),
            "bundle.directory.mismatch",
        ),
        (
            "bytes before the first entry",
            Box::new(|e, _| e[0].gap_before = b"MZ\x90\x00 a stub".to_vec()),
            "bundle.hidden_bytes",
        ),
        (
            "bytes between two entries",
            Box::new(|e, _| e[3].gap_before = b"PLANTED TEXT\n".to_vec()),
            "bundle.hidden_bytes",
        ),
        (
            "bytes after the end record",
            Box::new(|_, end| end.trailing = b"PLANTED TEXT\n".to_vec()),
            "bundle.hidden_bytes",
        ),
        (
            "an archive comment",
            Box::new(|_, end| end.comment = b"VERIFIED BY THE COURT".to_vec()),
            "bundle.hidden_bytes",
        ),
        (
            "an entry comment",
            Box::new(|e, _| entry(e, "notes.txt").comment = b"forged".to_vec()),
            "bundle.hidden_bytes",
        ),
        (
            "a folder entry that carries data",
            Box::new(|e, _| e.push(Entry::folder("b/data/originals/extra/", b"hidden"))),
            "bundle.entry.folder",
        ),
        (
            "a folder entry that shadows a file",
            Box::new(|e, _| e.push(Entry::folder("b/data/originals/notes.txt/", b""))),
            "bundle.entry.folder",
        ),
        (
            "a file stored below another file",
            Box::new(|e, _| e.push(Entry::file("b/data/originals/notes.txt/x", b"x"))),
            "bundle.entry.folder",
        ),
        (
            "a file marked as a folder",
            Box::new(|e, _| entry(e, "notes.txt").mode = 0o040755),
            "bundle.entry.folder",
        ),
        (
            "a non-ASCII name without the UTF-8 flag",
            Box::new(|e, _| {
                let mut x = Entry::file("b/data/originals/café.txt", b"x");
                x.flags = Some(0);
                e.push(x);
            }),
            "bundle.entry.name_ambiguous",
        ),
        (
            "a Unicode Path extra field naming another file",
            Box::new(|e, _| {
                let notes = entry(e, "notes.txt");
                let other = b"b/data/originals/other.txt";
                let mut field = vec![0x75, 0x70];
                field.extend(((5 + other.len()) as u16).to_le_bytes());
                field.push(1);
                field.extend(crc32fast::hash(notes.name.as_bytes()).to_le_bytes());
                field.extend(other);
                notes.extra = field;
            }),
            "bundle.entry.name_ambiguous",
        ),
        (
            "a bidi override in an entry name",
            Box::new(|e, _| e.push(Entry::file("b/data/originals/evil\u{202e}vaw.txt", b"x"))),
            "bundle.entry.unsafe_name",
        ),
    ];
    let mut missed = Vec::new();
    for (what, craft, want) in &cases {
        let mut variant = rebuilt();
        let mut end = End::default();
        craft(&mut variant, &mut end);
        let found = codes_of(zipcraft::write_with(&variant, &end), &options);
        if !found.iter().any(|c| c == want) {
            missed.push(format!("{what}: wanted {want}, found {found:?}"));
        }
    }
    assert!(missed.is_empty(), "{missed:#?}");
}

/// Every file a bundle holds, as earwitness reads it: bag path → SHA-256.
fn as_earwitness_reads(bundle: &Path) -> BTreeMap<String, String> {
    let opened = earwitness::bundle::open(bundle).unwrap().unwrap();
    assert!(opened.problems.is_empty(), "{:?}", opened.problems);
    let mut container = opened.container;
    opened
        .entries
        .iter()
        .map(|e| {
            let bytes = container.read_small(e, u64::MAX).unwrap();
            (
                e.name.clone(),
                earwitness::digest::Sha256::of(&bytes).to_hex(),
            )
        })
        .collect()
}

/// Every regular file below `dir`: path relative to it → SHA-256.
fn extracted(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                let bytes = std::fs::read(&p).unwrap();
                out.insert(rel, earwitness::digest::Sha256::of(&bytes).to_hex());
            }
        }
    }
    out
}

fn extract_with(tool: &str, bundle: &Path, dest: &Path) -> bool {
    std::fs::create_dir_all(dest).unwrap();
    let mut cmd = match tool {
        "unzip" => {
            let mut c = Command::new("unzip");
            c.arg("-q").arg(bundle).arg("-d").arg(dest);
            c
        }
        "python" => {
            let mut c = Command::new("python3");
            c.args([
                "-c",
                "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])",
            ])
            .arg(bundle)
            .arg(dest);
            c
        }
        _ => {
            let mut c = Command::new("7z");
            c.arg("x")
                .arg("-y")
                .arg(format!("-o{}", dest.display()))
                .arg(bundle);
            c
        }
    };
    run(&mut cmd).status.success()
}

/// On the bundles earwitness accepts, unzip, Python's zipfile and 7-Zip extract exactly the
/// files and bytes earwitness checked (and `sha256sum -c` then agrees, see interop.rs).
#[test]
fn accepted_bundles_extract_the_same_bytes_everywhere() {
    let s = Scratch::new();
    let key = s.keygen("officer");
    let fresh = s.seal(
        &key,
        "fresh",
        &[fixtures().join("audio"), fixtures().join("other")],
    );
    let bundles: Vec<PathBuf> = vec![
        fresh,
        fixtures().join("vectors/good.zip"),
        fixtures().join("vectors/rezipped-deflate.zip"),
    ];
    let mut tools = Vec::new();
    if have_tool("unzip", &["-v"]) {
        tools.push("unzip");
    }
    if have_tool("python3", &["-c", "import zipfile"]) {
        tools.push("python");
    }
    if have_tool("7z", &["i"]) {
        tools.push("7z");
    }
    for bundle in &bundles {
        let want = as_earwitness_reads(bundle);
        assert!(want.len() > 5);
        for tool in &tools {
            let dest = s.path(&format!(
                "{tool}-{}",
                bundle.file_stem().unwrap().to_string_lossy()
            ));
            assert!(
                extract_with(tool, bundle, &dest),
                "{tool} failed on {bundle:?}"
            );
            assert_eq!(
                extracted(&dest),
                want,
                "{tool} extracted other files or bytes than earwitness checked in {bundle:?}"
            );
        }
    }
}

/// Runs `cmd` with its output discarded, under an address-space limit, and returns its exit
/// code, its peak resident memory in MiB, and its wall time.
#[cfg(target_os = "linux")]
fn measured(cmd: &mut Command, limit_mib: u64) -> (i32, u64, std::time::Duration) {
    use std::os::unix::process::CommandExt;
    let limit = limit_mib << 20;
    // SAFETY: setrlimit is async-signal-safe and touches only the child's own limits.
    unsafe {
        cmd.pre_exec(move || {
            let rl = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            libc::setrlimit(libc::RLIMIT_AS, &rl);
            Ok(())
        });
    }
    let start = std::time::Instant::now();
    // The child is reaped by wait4 below, which also gives its resource usage.
    #[allow(clippy::zombie_processes)]
    let child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut status = 0;
    // SAFETY: wait4 writes into the zeroed rusage we own, for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert!(pid > 0, "wait4 failed");
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    (code, (usage.ru_maxrss as u64) >> 10, start.elapsed())
}

/// `size` zero bytes, deflated, with their CRC-32.
fn deflated_zeros(size: usize) -> (Vec<u8>, u32) {
    use std::io::Write;
    let zeros = vec![0u8; size];
    let mut w = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    w.write_all(&zeros).unwrap();
    (w.finish().unwrap(), crc32fast::hash(&zeros))
}

/// Writes a ZIP of deflated entries: (name, compressed bytes, CRC-32, uncompressed size).
fn deflate_zip(path: &Path, entries: &[(String, &[u8], u32, u32)]) {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, raw, crc, size) in entries {
        let offset = out.len() as u32;
        let fixed = |sig: u32| {
            let mut h = sig.to_le_bytes().to_vec();
            h.extend(20u16.to_le_bytes());
            h
        };
        out.extend(fixed(0x0403_4b50));
        for v in [0x0800u16, 8, 0, 0x21] {
            out.extend(v.to_le_bytes());
        }
        for v in [*crc, raw.len() as u32, *size] {
            out.extend(v.to_le_bytes());
        }
        out.extend((name.len() as u16).to_le_bytes());
        out.extend(0u16.to_le_bytes());
        out.extend(name.as_bytes());
        out.extend(*raw);
        central.extend(0x0201_4b50u32.to_le_bytes());
        central.extend(0x0314u16.to_le_bytes());
        central.extend(20u16.to_le_bytes());
        for v in [0x0800u16, 8, 0, 0x21] {
            central.extend(v.to_le_bytes());
        }
        for v in [*crc, raw.len() as u32, *size] {
            central.extend(v.to_le_bytes());
        }
        central.extend((name.len() as u16).to_le_bytes());
        central.extend([0u8; 8]);
        central.extend((0o100644u32 << 16).to_le_bytes());
        central.extend(offset.to_le_bytes());
        central.extend(name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    out.extend(&central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0u8; 4]);
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend((central.len() as u32).to_le_bytes());
    out.extend(cd_offset.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    std::fs::write(path, out).unwrap();
}

/// Verify of any bundle under 10 MB uses under 256 MiB of memory and under 5 seconds: deflate
/// bombs among tag, custody and payload files, and a manifest of 160,000 missing paths.
#[cfg(target_os = "linux")]
#[test]
fn small_hostile_bundles_cannot_take_memory_or_time() {
    let s = Scratch::new();
    let mut manifest = String::new();
    for i in 0..160_000 {
        manifest.push_str(&format!(
            "{}  data/originals/missing-{i:06}.wav\n",
            "ab".repeat(32)
        ));
    }
    let deflate = |bytes: &[u8]| {
        use std::io::Write;
        let mut w = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        w.write_all(bytes).unwrap();
        (
            w.finish().unwrap(),
            crc32fast::hash(bytes),
            bytes.len() as u32,
        )
    };
    let (m_raw, m_crc, m_len) = deflate(manifest.as_bytes());
    let (d_raw, d_crc, d_len) =
        deflate(b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n");
    let (event60, crc60) = deflated_zeros(60 << 20);
    let (file64, crc64) = deflated_zeros(64 << 20);
    let mut entries: Vec<(String, &[u8], u32, u32)> = vec![
        ("b/manifest-sha256.txt".into(), &m_raw, m_crc, m_len),
        ("b/bagit.txt".into(), &d_raw, d_crc, d_len),
    ];
    // Forty custody events and forty tag-like files that each inflate to 60 MiB, and forty
    // payload files of 64 MiB of zeros.
    for i in 0..40 {
        entries.push((
            format!("b/custody/{:04}-noted.json", i + 1),
            &event60,
            crc60,
            60 << 20,
        ));
        entries.push((format!("b/evidence{i}.json"), &event60, crc60, 60 << 20));
        entries.push((
            format!("b/data/originals/silence-{i}.wav"),
            &file64,
            crc64,
            64 << 20,
        ));
    }
    entries.push(("b/evidence.json".into(), &event60, crc60, 60 << 20));
    let path = s.path("bomb.zip");
    deflate_zip(&path, &entries);
    let len = std::fs::metadata(&path).unwrap().len();
    assert!(len < 10 << 20, "the crafted bundle is {len} bytes");
    if let Ok(keep) = std::env::var("EARWITNESS_KEEP_BOMB") {
        std::fs::copy(&path, keep).unwrap();
    }
    let (code, rss_mib, took) = measured(bin().arg("verify").arg(&path), 1024);
    assert_eq!(code, 1, "a hostile bundle must fail, not crash");
    assert!(rss_mib < 256, "verify used {rss_mib} MiB");
    assert!(took.as_secs_f64() < 5.0, "verify took {took:?}");
}

/// An unzipped bundle folder: a file replaced between listing and reading is not read.
#[cfg(unix)]
#[test]
fn a_folder_file_swapped_after_listing_is_refused() {
    let s = Scratch::new();
    let key = s.keygen("officer");
    let bundle = s.seal(&key, "case", &[fixtures().join("other/notes.txt")]);
    let dest = s.path("u");
    common::unzip(&bundle, &dest);
    let bag = dest.join("case");
    let opened = earwitness::bundle::open(&bag).unwrap().unwrap();
    let mut container = opened.container;
    let notes = opened
        .entries
        .iter()
        .find(|e| e.name.ends_with("notes.txt"))
        .unwrap();
    // Swap the file for another one (a new inode), then for a link to it.
    let path = bag.join("data/originals/notes.txt");
    std::fs::write(s.path("other.txt"), b"other words\n").unwrap();
    std::fs::rename(s.path("other.txt"), &path).unwrap();
    assert!(matches!(
        container.read_small(notes, 1 << 20),
        Err(earwitness::bundle::EntryError::Replaced)
    ));
    std::fs::remove_file(&path).unwrap();
    std::os::unix::fs::symlink(s.path("elsewhere"), &path).unwrap();
    assert!(container.read_small(notes, 1 << 20).is_err());
}
