//! Test-only fault switches. They let the tests reach error paths that a real machine rarely
//! takes (a full disk, a failing fsync, a decoder that panics, hangs or eats memory). Nothing acts
//! unless `EARWITNESS_FAULT_INJECTION=1`; docs/FORMAT.md, appendix A, lists them.

use std::time::Duration;

/// With this set to `1`, the switches below act.
pub const FAULT_ENV: &str = "EARWITNESS_FAULT_INJECTION";
/// Bundle writes fail with "no space left" after this many bytes.
pub const DISK_FULL_ENV: &str = "EARWITNESS_FAULT_DISK_FULL_AFTER";
/// With `1`, the final fsync of a bundle fails.
pub const FSYNC_FAIL_ENV: &str = "EARWITNESS_FAULT_FSYNC";
/// A file starting with this, followed by `panic`, `abort`, `hang`, `spin` or `oom`, makes the
/// probe do exactly that.
pub const PROBE_MAGIC: &[u8] = b"EARWITNESS-FAULT:";

/// Whether fault injection is on.
pub fn enabled() -> bool {
    std::env::var(FAULT_ENV).as_deref() == Ok("1")
}

/// The byte count after which bundle writes fail, if that fault is on.
pub fn disk_full_after() -> Option<u64> {
    if !enabled() {
        return None;
    }
    std::env::var(DISK_FULL_ENV).ok()?.parse().ok()
}

/// Whether the final fsync of a bundle must fail.
pub fn fail_fsync() -> bool {
    enabled() && std::env::var(FSYNC_FAIL_ENV).as_deref() == Ok("1")
}

/// Does what a fault file asks for, if `head` starts with [`PROBE_MAGIC`] and faults are on.
pub fn maybe_inject_probe_fault(head: &[u8]) {
    let Some(what) = head.strip_prefix(PROBE_MAGIC) else {
        return;
    };
    if !enabled() {
        return;
    }
    if what.starts_with(b"panic") {
        panic!("injected decoder panic");
    } else if what.starts_with(b"abort") {
        std::process::abort();
    } else if what.starts_with(b"hang") {
        loop {
            std::thread::sleep(Duration::from_secs(1));
        }
    } else if what.starts_with(b"spin") {
        let mut x = 0u64;
        loop {
            x = std::hint::black_box(x.wrapping_add(1));
        }
    } else if what.starts_with(b"oom") {
        let mut hog: Vec<Vec<u8>> = Vec::new();
        loop {
            hog.push(vec![1u8; 64 << 20]);
        }
    }
}
