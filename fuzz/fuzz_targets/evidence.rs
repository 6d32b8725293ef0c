//! Fuzzes `Evidence::parse` (the bytes of evidence.json). Parsing must never panic, and whatever
//! parses must survive a round trip through `to_bytes` (what `seal` writes).
#![no_main]

use earwitness::evidence::Evidence;
use libfuzzer_sys::fuzz_target;

/// Clears the float fields: serde_json's default float parser is best-effort (no
/// `float_roundtrip` feature), so a value may come back one ulp off. Durations are informational
/// (nothing compares them for equality), so the round trip is checked without them.
fn without_floats(mut ev: Evidence) -> Evidence {
    for item in &mut ev.items {
        if let Some(media) = &mut item.media {
            media.duration_seconds = None;
            if let Some(at) = &mut media.first_decode_error {
                at.seconds = None;
            }
        }
    }
    ev
}

fuzz_target!(|data: &[u8]| {
    let Ok(ev) = Evidence::parse(data) else {
        return;
    };
    let bytes = ev.to_bytes();
    let again = Evidence::parse(&bytes).expect("evidence that earwitness writes must parse again");
    assert_eq!(
        without_floats(again),
        without_floats(ev),
        "evidence.json changed in a round trip"
    );
});
