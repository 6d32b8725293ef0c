//! Fuzzes the media probe with a full decode: `probe_input(.., Depth::Decode)`, which runs
//! untrusted recordings through symphonia and earwitness's own readers (AMR, RIFF, ISO).
//!
//! The probe reads files, so each input is written to one temporary file per process (in
//! `std::env::temp_dir()`, i.e. $TMPDIR; scripts/fuzz.sh points that at a scratch folder), reused
//! for every input.
//!
//! Panics: `probe_input` catches a panic in the decoder (`catch_unwind`) and reports it as an
//! `audio.decode.crashed` finding; that is the designed behaviour, not a crash. But libfuzzer-sys
//! installs a panic hook that aborts the process *before* unwinding, which would turn every such
//! contained panic into a crash. So this target replaces that hook with one that only notes each
//! new panic location on stderr ("contained panic #N ..."). A panic that escapes `probe_input`
//! (earwitness's own code outside the guard) is still a crash: we catch it here, print it and
//! abort. Hangs (`-timeout`) and runaway memory (`-rss_limit_mb`, `-malloc_limit_mb`) are crashes
//! too; in production `seal` runs the probe in worker processes with memory and time limits, so
//! those are contained there, but they are still findings.
#![no_main]

use std::collections::HashSet;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use earwitness::probe::{Depth, Input, probe_input};
use libfuzzer_sys::fuzz_target;

fn scratch_path() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        std::env::temp_dir().join(format!("earwitness-fuzz-probe-{}.bin", std::process::id()))
    })
}

/// The most recent panic (message and location), for reporting one that escapes the probe.
static LAST_PANIC: Mutex<String> = Mutex::new(String::new());

fn install_panic_hook() {
    static SEEN: Mutex<Option<HashSet<String>>> = Mutex::new(None);
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()))
            .unwrap_or_else(|| "<unknown>".into());
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "<non-string panic>".into());
        let what = format!("{message} at {location}");
        if let Ok(mut seen) = SEEN.lock() {
            let seen = seen.get_or_insert_with(HashSet::new);
            if seen.insert(location.clone()) {
                // Once per location: the backtrace shows whose code it was.
                let bt = std::backtrace::Backtrace::force_capture();
                eprintln!("contained panic #{}: {what}\n{bt}", seen.len());
            }
        }
        if let Ok(mut last) = LAST_PANIC.lock() {
            *last = what;
        }
    }));
}

fuzz_target!(
    init: install_panic_hook(),
    |data: &[u8]| {
        let path = scratch_path();
        {
            // Truncate and rewrite: the probe sees exactly `data`.
            let mut file = std::fs::File::create(path).expect("create the probe's scratch file");
            file.write_all(data).expect("write the probe's scratch file");
        }
        let result = std::panic::catch_unwind(|| {
            let probed = probe_input(&Input::file(path), "fuzz", Depth::Decode);
            // What ends up in evidence.json (and comes back from a worker process as JSON).
            serde_json::to_vec(&probed).expect("a probe result always serializes");
        });
        if result.is_err() {
            let what = LAST_PANIC.lock().map(|s| s.clone()).unwrap_or_default();
            eprintln!("PANIC ESCAPED probe_input: {what}");
            std::process::abort();
        }
    }
);
