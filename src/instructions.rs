//! `VERIFY.txt`: how to check a bundle with stock tools, as copy-paste commands. It is a tag file,
//! covered by the tag manifest, so it cannot be altered unnoticed.

use crate::keys::Fingerprint;

/// The file's name at the top of the bag.
pub const FILE_NAME: &str = "VERIFY.txt";

/// The text of `VERIFY.txt` for bag `bag`, sealed by `sealer`.
pub fn verify_txt(bag: &str, sealer: &Fingerprint) -> String {
    let hex = sealer.to_hex();
    format!(
        r#"HOW TO VERIFY THIS BUNDLE WITHOUT EARWITNESS
============================================

This bundle ("{bag}") was sealed by the key with the OpenSSH fingerprint

    {sealer}

A valid signature proves only that the holder of THAT key signed. Before you rely on it, confirm
the fingerprint with the signer through another channel (in person, by phone, or from a key list
you already trust). Every command below runs with stock tools; docs/FORMAT.md in the earwitness
sources defines every file.

0. Unzip, and work inside the bag folder:

    unzip {bag}.zip && cd {bag}

1. Payload and tag files, with coreutils. Both must print only "OK" lines:

    sha256sum -c manifest-sha256.txt
    sha256sum -c tagmanifest-sha256.txt

   (A path containing "%", CR or LF is written percent-encoded in the manifests, as BagIt
   requires; sha256sum cannot read such a line, but bagit.py in step 2 can.)

2. The whole bag, with the Library of Congress BagIt tool (pip install bagit):

    bagit.py --validate .

3. The custody events. Each custody/NNNN-ACTION.json is signed twice over its exact bytes. The
   signer's key is custody/keys/<HEX>.pem (and .pub), where HEX is the hex form of the event's
   "key" fingerprint. For the first event, signed by the sealer:

    ssh-keygen -l -f custody/keys/{hex}.pub      # must print {sealer}

   Raw Ed25519 (RFC 8032), with OpenSSL 3:

    openssl pkeyutl -verify -pubin -inkey custody/keys/{hex}.pem -rawin \
        -in custody/0001-sealed.json -sigfile custody/0001-sealed.json.sig

   OpenSSH SSHSIG, namespace "earwitness", against a public key YOU trust (here signer.pub, which
   you obtained from the signer, not from this bundle):

    echo "signer namespaces=\"earwitness\" $(cat signer.pub)" > allowed_signers
    ssh-keygen -Y verify -f allowed_signers -I signer -n earwitness \
        -s custody/0001-sealed.json.sshsig < custody/0001-sealed.json

4. The chain. Each event's "tagmanifest_sha256" must equal the first word of

    sha256sum tagmanifest-sha256.txt

   and each event's "prev_event_sha256" must equal the SHA-256 of the previous event file
   (null for event 0001). Numbers must run 1, 2, 3, ... without a gap.

5. Steps 3 and 4 in Python, with the "cryptography" package (pip install cryptography):

    python3 - <<'PY'
    import base64, hashlib, json, pathlib
    from cryptography.hazmat.primitives.serialization import load_pem_public_key
    tm = hashlib.sha256(pathlib.Path("tagmanifest-sha256.txt").read_bytes()).hexdigest()
    prev = None
    events = sorted(pathlib.Path("custody").glob("[0-9][0-9][0-9][0-9]*-*.json"))
    for n, path in enumerate(events, start=1):
        raw = path.read_bytes()
        ev = json.loads(raw)
        hexfp = base64.b64decode(ev["key"].removeprefix("SHA256:") + "=").hex()
        key = load_pem_public_key(pathlib.Path(f"custody/keys/{{hexfp}}.pem").read_bytes())
        key.verify(pathlib.Path(f"{{path}}.sig").read_bytes(), raw)  # raises if forged
        assert ev["seq"] == n and ev["prev_event_sha256"] == prev and ev["tagmanifest_sha256"] == tm
        prev = hashlib.sha256(raw).hexdigest()
        print("ok", path.name, ev["action"], ev["key"])
    PY

With earwitness itself, all of the above in one command:

    earwitness verify {bag}.zip --trust signer.pub
"#
    )
}
