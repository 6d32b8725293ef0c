//! The earwitness binary: a probe worker when started as one, otherwise the command line
//! ([`cli`]), which parses flags, calls the library, prints, and picks the exit code.

mod cli;

use std::process::ExitCode;

use clap::Parser;

use earwitness::probe::worker;

fn main() -> ExitCode {
    // rusty-opus picks SIMD kernels by CPU, and they differ in the last bits of the decoded
    // samples; pin its scalar kernels so an Opus recording's pcm_sha256 is the same on every
    // machine (and in the decode workers, which inherit the environment).
    // SAFETY: nothing else runs yet; no other thread can read the environment concurrently.
    unsafe { std::env::set_var("RUSTY_OPUS_ISA", "scalar") };
    // A probe worker (see earwitness::probe::worker): not a user command.
    let mut args = std::env::args_os().skip(1);
    if args.next().is_some_and(|a| a == worker::WORKER_ARG) {
        let memory = args
            .next()
            .and_then(|m| m.to_str().and_then(|m| m.parse().ok()))
            .unwrap_or(worker::Limits::default().memory_mib);
        return match worker::serve(memory) {
            Ok(()) => ExitCode::SUCCESS,
            Err(_) => ExitCode::from(2),
        };
    }
    match cli::run(cli::Cli::parse()) {
        Ok(code) => code,
        Err(e) if e.code == 0 => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("earwitness: error: {e}");
            if let Some(hint) = &e.hint {
                eprintln!("earwitness: hint: {hint}");
            }
            ExitCode::from(e.code)
        }
    }
}
