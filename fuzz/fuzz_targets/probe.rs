//! Fuzzes the media probe with a full decode: `probe_input(.., Depth::Decode)`, which runs
//! untrusted recordings through symphonia and earwitness's own readers.
//!
//! The probe reads files, so each input is written to one temporary file per process (in
//! `std::env::temp_dir()`, i.e. $TMPDIR; scripts/fuzz.sh points that at a scratch folder), reused
//! for every input. A decoder panic is caught inside `probe_input` (and reported as
//! `audio.decode.crashed`), so only panics in earwitness's own code outside that guard, hangs
//! (`-timeout`) and runaway memory (`-rss_limit_mb`, `-malloc_limit_mb`) show up as crashes here.
//! In production `seal` runs the probe in worker processes with memory and time limits, so a hang
//! or OOM found here is contained there, but is still a finding.
#![no_main]

use std::io::Write;
use std::path::PathBuf;
use std::sync::OnceLock;

use earwitness::probe::{Depth, Input, probe_input};
use libfuzzer_sys::fuzz_target;

fn scratch_path() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        std::env::temp_dir().join(format!("earwitness-fuzz-probe-{}.bin", std::process::id()))
    })
}

fuzz_target!(|data: &[u8]| {
    let path = scratch_path();
    {
        // Truncate and rewrite: the probe sees exactly `data`.
        let mut file = std::fs::File::create(path).expect("create the probe's scratch file");
        file.write_all(data).expect("write the probe's scratch file");
    }
    let probed = probe_input(&Input::file(path), "fuzz", Depth::Decode);
    // What ends up in evidence.json (and goes back from a worker process): it must serialize.
    serde_json::to_vec(&probed).expect("a probe result always serializes");
});
