//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod zipcraft;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The earwitness binary built for these tests.
pub fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_earwitness"));
    // Keep the user's real config (and default key) out of the tests.
    cmd.env("XDG_CONFIG_HOME", "/nonexistent-earwitness-test-config");
    cmd.env_remove("SOURCE_DATE_EPOCH");
    cmd.env_remove("EARWITNESS_PASSPHRASE");
    cmd
}

/// The repository's fixtures folder.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Runs `cmd` and returns its output, printing it for failing tests.
pub fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("the command could not be started");
    eprintln!(
        "$ {:?}\n--- exit {:?}\n--- stdout\n{}--- stderr\n{}",
        cmd,
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The exit code, panicking on death by signal.
pub fn code(out: &Output) -> i32 {
    out.status
        .code()
        .expect("the process was killed by a signal")
}

/// A scratch folder with a key pair in it.
pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Self {
        Scratch {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Makes a key pair at `<dir>/<name>` with earwitness keygen.
    pub fn keygen(&self, name: &str) -> PathBuf {
        let key = self.path(name);
        let out = run(bin().args(["keygen", "--comment", name, "--out"]).arg(&key));
        assert_eq!(code(&out), 0, "keygen failed");
        key
    }

    /// Seals `inputs` with `key` into `<dir>/<name>.zip` at a fixed time.
    pub fn seal(&self, key: &Path, name: &str, inputs: &[PathBuf]) -> PathBuf {
        let out_path = self.path(&format!("{name}.zip"));
        let out = run(bin()
            .env("SOURCE_DATE_EPOCH", "1761177600")
            .args(["seal", "--case", "CASE-2026-17", "--actor", "Field Officer"])
            .args([
                "--org",
                "Crew Against Torture",
                "--note",
                "Call received 23 October",
            ])
            .arg("--key")
            .arg(key)
            .arg("--out")
            .arg(&out_path)
            .args(inputs));
        assert_eq!(code(&out), 0, "seal failed");
        out_path
    }
}

/// Runs `earwitness verify --json` and returns (exit code, finding codes).
pub fn verify_codes(bundle: &Path, extra: &[&str]) -> (i32, Vec<String>) {
    let out = run(bin().arg("verify").arg(bundle).arg("--json").args(extra));
    let code = code(&out);
    if code == 2 {
        return (2, Vec::new());
    }
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("verify --json prints JSON");
    let codes = report["findings"]
        .as_array()
        .expect("findings is a list")
        .iter()
        .map(|f| f["code"].as_str().expect("code is a string").to_string())
        .collect();
    (code, codes)
}

/// Reads every entry of a ZIP as (name, bytes), in order.
pub fn read_zip(path: &Path) -> Vec<(String, Vec<u8>)> {
    use std::io::Read;
    let file = std::fs::File::open(path).expect("open zip");
    let mut archive = zip::ZipArchive::new(file).expect("read zip");
    let mut out = Vec::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).expect("entry");
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).expect("entry bytes");
        out.push((entry.name().expect("entry name").to_string(), bytes));
    }
    out
}

/// Unzips a bundle into `dest` (the stock-tool tests work on the unzipped folder, as a user does).
pub fn unzip(path: &Path, dest: &Path) {
    for (name, bytes) in read_zip(path) {
        assert!(!name.contains(".."), "refusing to extract {name}");
        let target = dest.join(&name);
        std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        std::fs::write(target, bytes).expect("write");
    }
}

/// Whether an outside tool is usable: it starts, and with `probe_args` it also exits 0. Under
/// CI=true a missing tool fails the test; elsewhere the test is skipped with a printed reason.
pub fn have_tool(program: &str, probe_args: &[&str]) -> bool {
    let ok = Command::new(program)
        .args(probe_args)
        .output()
        .map(|o| probe_args.is_empty() || o.status.success())
        .unwrap_or(false);
    if !ok {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!(
                "{program} is required under CI=true but is not usable (install it; see .ci/run)"
            );
        }
        // Straight to stderr, not through eprintln!, which the test harness hides for a test
        // that passes: a skip must show in a plain `cargo test`.
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: {program} is not installed here; this test needs it (CI installs it)"
        );
    }
    ok
}

/// Whether python3 can import `module`; same rules as [`have_tool`].
pub fn have_python_module(module: &str) -> bool {
    have_tool("python3", &["-c", &format!("import {module}")])
}

/// The names of temporary bundle files (`*.earwitness-partial`) left in `dir`.
pub fn partial_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("read the scratch folder")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(earwitness::atomic::PARTIAL_SUFFIX))
        .collect()
}

/// The Python block of a bag's VERIFY.txt, exactly as printed: the shell here-document from
/// `python3 - <<'PY'` to the line `PY`, which a person pastes into a shell.
pub fn verify_txt_block(bag: &Path) -> String {
    let text = std::fs::read_to_string(bag.join("VERIFY.txt")).expect("VERIFY.txt");
    let start = text
        .find("python3 - <<'PY'\n")
        .expect("VERIFY.txt has a Python block");
    let end = start + text[start..].find("\nPY\n").expect("the block ends") + "\nPY\n".len();
    text[start..end].to_string()
}

/// Runs VERIFY.txt's Python block with bash inside `bag`, as a person pasting it would; with
/// `trusted`, the TRUSTED line is replaced by those fingerprints first.
pub fn run_verify_txt_block(bag: &Path, trusted: Option<&[String]>) -> Output {
    let mut block = verify_txt_block(bag);
    if let Some(fps) = trusted {
        let line = block
            .lines()
            .find(|l| l.starts_with("TRUSTED = "))
            .expect("a TRUSTED line")
            .to_string();
        let quoted: Vec<String> = fps.iter().map(|f| format!("\"{f}\"")).collect();
        block = block.replace(&line, &format!("TRUSTED = {{{}}}", quoted.join(", ")));
    }
    run(Command::new("bash").current_dir(bag).arg("-c").arg(block))
}
