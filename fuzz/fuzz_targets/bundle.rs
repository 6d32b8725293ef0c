//! Fuzzes `verify_bytes`: a whole bundle ZIP from an untrusted source, read in memory. Verify must
//! never panic, whatever the bytes: everything wrong with a bundle is a finding in the report.
#![no_main]

use earwitness::verify::{Options, verify_bytes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let report = verify_bytes(data.to_vec(), &Options::default());
    // What `verify --json` prints: serializing the report must not fail either.
    serde_json::to_vec(&report).expect("a verify report always serializes");
    let _ = report.has_errors();
});
