//! A throw-away PKI made with the `openssl` CLI, a time-stamp authority that is `openssl ts
//! -reply`, and a tiny HTTP endpoint on 127.0.0.1 in front of it (from the RFC 3161 prototype's
//! tests). Used by tests/timestamp.rs only.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use der::{Any, Decode, Encode, Sequence};

/// Runs openssl in `dir`; panics with its stderr if it fails.
pub fn openssl(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

const EXT_CNF: &str = "\
[ca_ext]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[tsa_ext]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[tsa_noeku]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
";

const CA_CNF: &str = "\
[ca]
default_ca = CA_default
[CA_default]
dir = .
database = ./index.txt
new_certs_dir = ./newcerts
serial = ./ca.serial
default_md = sha256
policy = policy_any
unique_subject = no
email_in_dn = no
[policy_any]
commonName = supplied
";

/// The test PKI, made once per test process: `root.pem` (RSA) over `int.pem` (P-384, signed with
/// RSA-PSS) over `tsa_rsa` (RSA), `tsa_ec` (P-256) and `tsa_noeku` (no timeStamping purpose)
/// directly under the root, `tsa_expired` and `tsa_future` (valid in 2020 and in 2090); and
/// `other_root.pem` over `other_tsa`, which nobody trusts.
pub struct Pki {
    pub dir: PathBuf,
}

impl Pki {
    pub fn get() -> &'static Pki {
        static PKI: OnceLock<Pki> = OnceLock::new();
        PKI.get_or_init(Pki::create)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn create() -> Pki {
        let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        // PKIs of earlier runs (one per process, so that concurrent runs do not collide).
        for old in std::fs::read_dir(&tmp).into_iter().flatten().flatten() {
            let age = old
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok());
            if old.file_name().to_string_lossy().starts_with("tsa-pki-")
                && age > Some(Duration::from_secs(3600))
            {
                let _ = std::fs::remove_dir_all(old.path());
            }
        }
        let dir = tmp.join(format!("tsa-pki-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join("ext.cnf"), EXT_CNF).expect("write");
        std::fs::write(dir.join("ca.cnf"), CA_CNF).expect("write");
        std::fs::write(dir.join("index.txt"), "").expect("write");
        std::fs::write(dir.join("ca.serial"), "1000\n").expect("write");
        std::fs::create_dir_all(dir.join("newcerts")).expect("mkdir");
        let d = dir.as_path();
        let key = |name: &str, alg: &str| {
            let opt = match alg {
                "rsa" => ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
                "p256" => ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
                _ => ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
            };
            let file = format!("{name}.key");
            let mut args = vec!["genpkey"];
            args.extend(opt);
            args.extend(["-out", &file]);
            openssl(d, &args);
        };
        let root = |name: &str, subj: &str| {
            let (k, pem) = (format!("{name}.key"), format!("{name}.pem"));
            openssl(
                d,
                &[
                    "req",
                    "-x509",
                    "-new",
                    "-key",
                    &k,
                    "-subj",
                    subj,
                    "-days",
                    "3650",
                    "-out",
                    &pem,
                    "-config",
                    "ext.cnf",
                    "-extensions",
                    "ca_ext",
                    "-sha256",
                ],
            );
        };
        let issue = |name: &str, subj: &str, ca: &str, ext: &str, sig: &[&str]| {
            let (k, csr, pem) = (
                format!("{name}.key"),
                format!("{name}.csr"),
                format!("{name}.pem"),
            );
            let (ca_pem, ca_key) = (format!("{ca}.pem"), format!("{ca}.key"));
            openssl(d, &["req", "-new", "-key", &k, "-subj", subj, "-out", &csr]);
            let mut args = vec![
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                &ca_pem,
                "-CAkey",
                &ca_key,
                "-CAcreateserial",
                "-days",
                "2000",
                "-extfile",
                "ext.cnf",
                "-extensions",
                ext,
                "-out",
                &pem,
            ];
            args.extend_from_slice(sig);
            openssl(d, &args);
        };
        key("root", "rsa");
        root("root", "/CN=Test Root CA/O=earwitness test");
        key("int", "p384");
        let pss = [
            "-sha384",
            "-sigopt",
            "rsa_padding_mode:pss",
            "-sigopt",
            "rsa_pss_saltlen:32",
        ];
        issue(
            "int",
            "/CN=Test Intermediate CA/O=earwitness test",
            "root",
            "ca_ext",
            &pss,
        );
        key("tsa_rsa", "rsa");
        issue(
            "tsa_rsa",
            "/CN=Test TSA RSA/O=earwitness test",
            "int",
            "tsa_ext",
            &["-sha384"],
        );
        key("tsa_ec", "p256");
        issue(
            "tsa_ec",
            "/CN=Test TSA EC/O=earwitness test",
            "root",
            "tsa_ext",
            &["-sha256"],
        );
        key("tsa_noeku", "p256");
        issue(
            "tsa_noeku",
            "/CN=Test TSA without EKU",
            "root",
            "tsa_noeku",
            &["-sha256"],
        );
        for (name, start, end) in [
            ("tsa_expired", "20200101000000Z", "20210101000000Z"),
            ("tsa_future", "20900101000000Z", "20910101000000Z"),
        ] {
            key(name, "p256");
            let (k, csr, pem) = (
                format!("{name}.key"),
                format!("{name}.csr"),
                format!("{name}.pem"),
            );
            let subj = format!("/CN=Test TSA {name}");
            openssl(
                d,
                &["req", "-new", "-key", &k, "-subj", &subj, "-out", &csr],
            );
            openssl(
                d,
                &[
                    "ca",
                    "-batch",
                    "-config",
                    "ca.cnf",
                    "-cert",
                    "root.pem",
                    "-keyfile",
                    "root.key",
                    "-in",
                    &csr,
                    "-out",
                    &pem,
                    "-startdate",
                    start,
                    "-enddate",
                    end,
                    "-extfile",
                    "ext.cnf",
                    "-extensions",
                    "tsa_ext",
                    "-notext",
                ],
            );
        }
        key("other_root", "p256");
        root("other_root", "/CN=Other Root CA/O=someone else");
        key("other_tsa", "p256");
        issue(
            "other_tsa",
            "/CN=Other TSA/O=someone else",
            "other_root",
            "tsa_ext",
            &["-sha256"],
        );
        std::fs::write(d.join("empty.pem"), "").expect("write");
        Pki { dir }
    }
}

/// A TSA identity of the test PKI, and how `openssl ts -reply` answers as it.
#[derive(Clone, Copy, Debug)]
pub struct Tsa {
    /// Base name of `NAME.pem` / `NAME.key`.
    pub name: &'static str,
    /// PEM file of certificates sent besides the signer's (`empty.pem` for none).
    pub chain: &'static str,
    /// `ess_cert_id_alg`: "sha1" (signing-certificate v1) or "sha256" (v2).
    pub ess_alg: &'static str,
}

/// RSA, under the intermediate (sent in the token), ESS v2.
pub const TSA_RSA: Tsa = Tsa {
    name: "tsa_rsa",
    chain: "int.pem",
    ess_alg: "sha256",
};
/// P-256, under the root, ESS v1.
pub const TSA_EC: Tsa = Tsa {
    name: "tsa_ec",
    chain: "empty.pem",
    ess_alg: "sha1",
};
/// Under a root nobody trusts.
pub const TSA_OTHER: Tsa = Tsa {
    name: "other_tsa",
    chain: "empty.pem",
    ess_alg: "sha256",
};

/// Answers a DER TimeStampReq with `openssl ts -reply`, as `tsa`.
pub fn reply(tsa: &Tsa, query: &[u8]) -> Vec<u8> {
    let pki = Pki::get();
    let tmp = tempfile::tempdir().expect("tempdir");
    let t = tmp.path();
    std::fs::write(t.join("serial"), "01\n").expect("write");
    std::fs::write(t.join("q.tsq"), query).expect("write");
    let cnf = format!(
        "[ tsa ]\ndefault_tsa = tsa_config\n[ tsa_config ]\nserial = {serial}\ncrypto_device = builtin\n\
         signer_digest = sha256\ndefault_policy = 1.3.6.1.4.1.99999.1\n\
         digests = sha256, sha384, sha512\naccuracy = secs:1, millisecs:500, microsecs:100\n\
         clock_precision_digits = 3\nordering = no\ntsa_name = yes\ness_cert_id_chain = no\n\
         ess_cert_id_alg = {ess_alg}\n",
        serial = t.join("serial").display(),
        ess_alg = tsa.ess_alg,
    );
    std::fs::write(t.join("ts.cnf"), cnf).expect("write");
    let signer = pki.path(&format!("{}.pem", tsa.name));
    let key = pki.path(&format!("{}.key", tsa.name));
    let chain = pki.path(tsa.chain);
    openssl(
        t,
        &[
            "ts",
            "-reply",
            "-queryfile",
            "q.tsq",
            "-config",
            "ts.cnf",
            "-signer",
            &signer.to_string_lossy(),
            "-inkey",
            &key.to_string_lossy(),
            "-chain",
            &chain.to_string_lossy(),
            "-out",
            "r.tsr",
        ],
    );
    std::fs::read(t.join("r.tsr")).expect("read reply")
}

#[derive(Sequence)]
struct StatusInfo {
    status: u8,
}

#[derive(Sequence)]
struct Resp {
    status: Any,
    #[asn1(optional = "true")]
    token: Option<Any>,
}

/// The encapsulated TSTInfo DER of a response.
pub fn tst_info_of(resp: &[u8]) -> Vec<u8> {
    let r = Resp::from_der(resp).expect("TimeStampResp");
    let token = r.token.expect("token").to_der().expect("encode");
    let ci = cms::content_info::ContentInfo::from_der(&token).expect("ContentInfo");
    let sd: cms::signed_data::SignedData = ci.content.decode_as().expect("SignedData");
    let econtent = sd.encap_content_info.econtent.expect("eContent");
    econtent
        .decode_as::<der::asn1::OctetString>()
        .expect("octets")
        .as_bytes()
        .to_vec()
}

/// Signs `tst_info` as an id-ct-TSTInfo SignedData with `openssl cms -sign -cades` (content-type,
/// message-digest, signing-certificate-v2) as the certificate `signer` of the test PKI, and wraps
/// it in a granted TimeStampResp: a token `openssl ts -reply` would refuse to make.
pub fn forge_token(tst_info: &[u8], signer: &str, extra: &[&str]) -> Vec<u8> {
    let pki = Pki::get();
    let tmp = tempfile::tempdir().expect("tempdir");
    let t = tmp.path();
    std::fs::write(t.join("tst.der"), tst_info).expect("write");
    let cert = pki
        .path(&format!("{signer}.pem"))
        .to_string_lossy()
        .into_owned();
    let key = pki
        .path(&format!("{signer}.key"))
        .to_string_lossy()
        .into_owned();
    let mut args = vec![
        "cms",
        "-sign",
        "-binary",
        "-nodetach",
        "-cades",
        "-nosmimecap",
        "-econtent_type",
        "1.2.840.113549.1.9.16.1.4",
        "-in",
        "tst.der",
        "-outform",
        "DER",
        "-out",
        "token.der",
        "-signer",
        &cert,
        "-inkey",
        &key,
    ];
    args.extend_from_slice(extra);
    openssl(t, &args);
    let token = std::fs::read(t.join("token.der")).expect("read token");
    Resp {
        status: Any::encode_from(&StatusInfo { status: 0 }).expect("status"),
        token: Some(Any::from_der(&token).expect("token")),
    }
    .to_der()
    .expect("encode")
}

/// How the test endpoint answers.
#[derive(Clone, Debug)]
pub enum Mode {
    /// `openssl ts -reply` as this TSA, `application/timestamp-reply`.
    Tsa(Tsa),
    /// A granted token as this TSA, for another digest than the one asked for.
    OtherDigest(Tsa),
    /// This HTTP status and a short body.
    Status(u16),
}

/// Serves requests on a fresh 127.0.0.1 port in a background thread; returns the URL.
pub fn serve(mode: Mode) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let _ = handle(stream, &mode);
        }
    });
    format!("http://{addr}/tsa")
}

/// A URL where nothing listens.
pub fn closed_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}/tsa")
}

fn handle(mut stream: TcpStream, mode: &Mode) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut content_length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            content_length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0u8; content_length.min(1 << 20)];
    reader.read_exact(&mut body)?;
    let (status, ctype, answer) = match mode {
        Mode::Tsa(tsa) => ("200 OK", "application/timestamp-reply", reply(tsa, &body)),
        Mode::OtherDigest(tsa) => {
            let query = openssl_query(b"some other file");
            ("200 OK", "application/timestamp-reply", reply(tsa, &query))
        }
        Mode::Status(code) => {
            let status: &'static str = if *code == 500 {
                "500 Internal Server Error"
            } else {
                "403 Forbidden"
            };
            (status, "text/plain", b"no".to_vec())
        }
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        answer.len()
    )?;
    stream.write_all(&answer)?;
    stream.flush()
}

/// `openssl ts -query` for `data` (SHA-256, a nonce, certReq).
pub fn openssl_query(data: &[u8]) -> Vec<u8> {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(tmp.path().join("data"), data).expect("write");
    openssl(
        tmp.path(),
        &[
            "ts", "-query", "-data", "data", "-sha256", "-cert", "-out", "q.tsq",
        ],
    );
    std::fs::read(tmp.path().join("q.tsq")).expect("read query")
}
