//! The token checks of `earwitness::timestamp` on their own, with `openssl ts` as the TSA and as
//! the reference verifier: every byte of a token flipped, the signature algorithms TSAs use,
//! certificate validity at genTime, requests both ways, refusals and garbage.

mod common;
#[path = "common/tsa.rs"]
mod tsa;

use std::path::Path;

use earwitness::timestamp::{
    self, Certificate, GrantStatus, Request, TokenError, TsaTrust, Untrusted, check_response,
    verify_token,
};
use tsa::{Pki, TSA_EC, TSA_RSA, Tsa};

const EVENT: &[u8] = b"{\"format\": \"earwitness-custody/1\", \"seq\": 1}\n";

fn sha(bytes: &[u8]) -> [u8; 32] {
    earwitness::digest::Sha256::of(bytes).0
}

fn roots(name: &str) -> Vec<Certificate> {
    let pem = std::fs::read(Pki::get().path(name)).expect("read PEM");
    timestamp::load_pem_certificates(&pem).expect("certificates")
}

/// A fresh request for `EVENT` and `tsa`'s answer to it.
fn answered(tsa: &Tsa) -> (Request, Vec<u8>) {
    let request = Request::new(sha(EVENT)).expect("request");
    let answer = tsa::reply(tsa, request.der());
    (request, answer)
}

/// `openssl ts -verify -data EVENT -in answer -CAfile root.pem`.
fn openssl_accepts(answer: &[u8]) -> bool {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    std::fs::write(dir.join("event"), EVENT).expect("write");
    std::fs::write(dir.join("t.tsr"), answer).expect("write");
    let root = Pki::get().path("root.pem");
    std::process::Command::new("openssl")
        .args(["ts", "-verify", "-data", "event", "-in", "t.tsr", "-CAfile"])
        .arg(&root)
        .current_dir(dir)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn have_openssl() -> bool {
    common::have_tool("openssl", &["version"])
}

#[test]
fn every_flipped_bit_of_a_token_is_refused_but_in_its_unsigned_status() {
    if !have_openssl() {
        return;
    }
    let (request, answer) = answered(&TSA_RSA);
    let root = roots("root.pem");
    let good = verify_token(&answer, &sha(EVENT), &root).expect("genuine token");
    assert!(good.is_trusted());
    assert_eq!(timestamp::tsa_name(&good.signer), "Test TSA RSA");
    assert_eq!(good.chain.len(), 3, "TSA, intermediate, root");
    assert!(timestamp::check_answer(&answer, &request).is_ok());
    assert!(openssl_accepts(&answer));
    let mut accepted = Vec::new();
    for at in 0..answer.len() {
        // The low bit changes values; the high bit changes tag classes and length forms.
        let bit = if at % 2 == 0 { 0x01u8 } else { 0x80 };
        let mut bad = answer.clone();
        bad[at] ^= bit;
        match verify_token(&bad, &sha(EVENT), &root) {
            // PKIStatus granted (0) → grantedWithMods (1): outside what the TSA signed.
            Ok(v) if v.info.status == GrantStatus::GrantedWithMods => {}
            Ok(_) => accepted.push(at),
            Err(_) => {}
        }
    }
    assert!(accepted.is_empty(), "accepted flips at {accepted:?}");
    // openssl refuses a sample of them too.
    for at in (0..answer.len()).step_by(answer.len() / 8) {
        let mut bad = answer.clone();
        bad[at] ^= 0x01;
        if verify_token(&bad, &sha(EVENT), &root).is_err() {
            assert!(!openssl_accepts(&bad), "openssl accepts a flip at {at}");
        }
    }
}

#[test]
fn rsa_pss_and_ecdsa_sha384_signers() {
    if !have_openssl() {
        return;
    }
    let root = roots("root.pem");
    // RSASSA-PSS with SHA-384, the intermediate in the token (OpenSSL 3.0's `ts -verify`
    // refuses such tokens; RFC 4056 allows them).
    let (_, answer) = answered(&TSA_RSA);
    let int = Pki::get().path("int.pem");
    let int = int.to_string_lossy();
    let pss = tsa::forge_token(
        &tsa::tst_info_of(&answer),
        "tsa_rsa",
        &[
            "-md",
            "sha384",
            "-keyopt",
            "rsa_padding_mode:pss",
            "-keyopt",
            "rsa_pss_saltlen:48",
            "-certfile",
            &int,
        ],
    );
    assert!(
        verify_token(&pss, &sha(EVENT), &root)
            .expect("PSS")
            .is_trusted()
    );
    // ECDSA P-256 hashing with SHA-384; openssl agrees.
    let (_, answer) = answered(&TSA_EC);
    let ec = tsa::forge_token(&tsa::tst_info_of(&answer), "tsa_ec", &["-md", "sha384"]);
    assert!(
        verify_token(&ec, &sha(EVENT), &root)
            .expect("ECDSA")
            .is_trusted()
    );
    assert!(openssl_accepts(&ec));
    // The same token, checked against a root that did not issue it: sound, not trusted.
    let other = roots("other_root.pem");
    let v = verify_token(&ec, &sha(EVENT), &other).expect("sound");
    assert!(
        matches!(v.trust, TsaTrust::Untrusted(Untrusted::IssuerNotFound(_))),
        "{:?}",
        v.trust
    );
}

#[test]
fn the_tsa_certificate_must_be_valid_at_gen_time() {
    if !have_openssl() {
        return;
    }
    let root = roots("root.pem");
    for (name, expired) in [("tsa_expired", true), ("tsa_future", false)] {
        let tsa = Tsa {
            name,
            chain: "empty.pem",
            ess_alg: "sha256",
        };
        let (_, answer) = answered(&tsa);
        let err = verify_token(&answer, &sha(EVENT), &root).expect_err("must fail");
        if expired {
            assert!(
                matches!(err, TokenError::CertificateExpired { .. }),
                "{err}"
            );
        } else {
            assert!(
                matches!(err, TokenError::CertificateNotYetValid { .. }),
                "{err}"
            );
        }
        assert!(!openssl_accepts(&answer));
    }
}

#[test]
fn requests_both_ways_refusals_and_garbage() {
    if !have_openssl() {
        return;
    }
    // openssl's request, read as earwitness reads a --request file; without -cert it is refused.
    let query = tsa::openssl_query(EVENT);
    let request = Request::from_der(&query).expect("openssl's request");
    assert_eq!(request.sha256(), &sha(EVENT));
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(tmp.path().join("event"), EVENT).expect("write");
    let no_cert = openssl_out(tmp.path(), &["ts", "-query", "-data", "event", "-sha256"]);
    assert!(Request::from_der(&no_cert).is_err());
    // An answer to another request: another nonce.
    let (mine, _) = answered(&TSA_RSA);
    let answer = tsa::reply(&TSA_RSA, &query);
    let err = timestamp::check_answer(&answer, &mine).expect_err("another nonce");
    assert!(matches!(err, TokenError::NonceMismatch { .. }), "{err}");
    // A token for another file.
    let err = check_response(&answer, &sha(b"other"), None).expect_err("another file");
    assert!(matches!(err, TokenError::ImprintMismatch { .. }), "{err}");
    // A refusal: a policy the TSA does not accept.
    let policy = openssl_out(
        tmp.path(),
        &[
            "ts",
            "-query",
            "-data",
            "event",
            "-sha256",
            "-cert",
            "-tspolicy",
            "1.2.3.4",
        ],
    );
    let refused = tsa::reply(&TSA_RSA, &policy);
    let err = check_response(&refused, &sha(EVENT), None).expect_err("refused");
    assert!(
        matches!(err, TokenError::BadStatus { status: 2, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("unacceptedPolicy"), "{err}");
    // Garbage and every truncation: errors, never a panic.
    for len in (0..answer.len()).step_by(7) {
        assert!(check_response(&answer[..len], &sha(EVENT), None).is_err());
    }
    assert!(check_response(b"<html>busy</html>", &sha(EVENT), None).is_err());
}

fn openssl_out(dir: &Path, args: &[&str]) -> Vec<u8> {
    tsa::openssl(dir, &[args, &["-out", "out.bin"]].concat());
    std::fs::read(dir.join("out.bin")).expect("read")
}
