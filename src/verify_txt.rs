//! `VERIFY.txt`: how to check a bundle with stock tools, as copy-paste commands. It is a tag file,
//! covered by the tag manifest, so it cannot be altered unnoticed, but it is written by the
//! sealer: the steps below never take the signer's key from the bundle on trust.

use crate::keys::Fingerprint;

/// The file's name at the top of the bag.
pub const FILE_NAME: &str = "VERIFY.txt";

/// The text of `VERIFY.txt` for bag `bag`, sealed by `sealer`.
pub fn verify_txt(bag: &str, sealer: &Fingerprint) -> String {
    format!(
        r#"HOW TO VERIFY THIS BUNDLE WITHOUT EARWITNESS
============================================

This bundle ("{bag}") says it was sealed by the key with the OpenSSH fingerprint

    {sealer}

Do not take that from this file: it is written by the sealer. A valid signature proves only
that the holder of the signing key signed. Get each signer's public key (signer.pub) or its
fingerprint from the signer through another channel (in person, by phone, from a key list you
already trust), and check the bundle against THAT. Every command below uses stock tools;
docs/FORMAT.md in the earwitness sources defines every file.

0. Unzip the bundle you received (here BUNDLE.zip), and work inside its one folder, the bag.
   Keep your own files (signer.pub, allowed_signers) outside it, in the folder above:

    unzip BUNDLE.zip && cd "{bag}"

1. Payload and tag files, with coreutils. Both must print only "OK" lines:

    sha256sum -c manifest-sha256.txt
    sha256sum -c tagmanifest-sha256.txt

2. The whole bag, with the Library of Congress BagIt tool (pip install bagit):

    bagit.py --validate .

3. The custody events: custody/0001-sealed.json, then any later hand-offs (NNNN-transferred,
   NNNN-received, NNNN-noted). Each is signed twice over its exact bytes. For each event, with
   the public key of the person who signed it (its "key" field names the fingerprint):

   OpenSSH SSHSIG, namespace "earwitness", against the key YOU trust:

    echo "signer namespaces=\"earwitness\" $(cat ../signer.pub)" > ../allowed_signers
    ssh-keygen -Y verify -f ../allowed_signers -I signer -n earwitness \
        -s custody/0001-sealed.json.sshsig < custody/0001-sealed.json

   Raw Ed25519 (RFC 8032), with OpenSSL 3, again with the key you trust, converted to PEM (a
   fixed 12-byte DER header, written in octal so any sh prints it, then the key's last 32 bytes):

    (printf '\060\052\060\005\006\003\053\145\160\003\041\000'; cut -d' ' -f2 ../signer.pub | base64 -d | tail -c 32) \
        | openssl pkey -pubin -inform DER -out ../signer.pem
    openssl pkeyutl -verify -pubin -inkey ../signer.pem -rawin \
        -in custody/0001-sealed.json -sigfile custody/0001-sealed.json.sig

4. The chain. Each event's "tagmanifest_sha256" must equal the first word of

    sha256sum tagmanifest-sha256.txt

   each event's "prev_event_sha256" must equal the SHA-256 of the previous event file (null for
   event 0001), numbers must run 1, 2, 3, ... without a gap, each "transferred" event must be
   signed by the holder (the sealer, or the last receiver), and each "received" event by the key
   the "transferred" event before it names in "to_key". Deleting the newest
   events leaves a valid, shorter chain: a receipt kept by the sender shows the cut.

5. Steps 3 and 4 in Python, with the "cryptography" package (pip install cryptography). Put the
   fingerprints you trust in TRUSTED first; any other signer, or a forged key, is refused:

    python3 - <<'PY'
    import base64, hashlib, json, pathlib
    from cryptography.hazmat.primitives.serialization import load_pem_public_key, Encoding, PublicFormat
    TRUSTED = {{"{sealer}"}}  # fingerprints confirmed out of band
    def fingerprint(key):
        raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
        blob = b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + raw
        return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    tm = hashlib.sha256(pathlib.Path("tagmanifest-sha256.txt").read_bytes()).hexdigest()
    prev, pending, holder = None, None, None
    events = sorted(pathlib.Path("custody").glob("[0-9][0-9][0-9][0-9]*-*.json"))
    for n, path in enumerate(events, start=1):
        raw = path.read_bytes()
        ev = json.loads(raw)
        hexfp = base64.b64decode(ev["key"].removeprefix("SHA256:") + "=").hex()
        key = load_pem_public_key(pathlib.Path(f"custody/keys/{{hexfp}}.pem").read_bytes())
        fp = fingerprint(key)
        assert fp == ev["key"] and fp in TRUSTED, f"{{path.name}}: signer {{fp}} is not trusted"
        key.verify(pathlib.Path(f"{{path}}.sig").read_bytes(), raw)  # raises if the bytes changed
        assert ev["seq"] == n and ev["prev_event_sha256"] == prev and ev["tagmanifest_sha256"] == tm
        if ev["action"] == "sealed":
            holder = fp
        elif ev["action"] == "transferred":
            assert pending is None and fp == holder, f"{{path.name}}: transferred by someone who does not hold it"
            pending = ev["to_key"]
        elif ev["action"] == "received":
            assert pending == fp, f"{{path.name}}: received by a key the transfer did not name"
            holder, pending = fp, None
        prev = hashlib.sha256(raw).hexdigest()
        print("ok", path.name, ev["action"], fp)
    PY

With earwitness itself, all of the above in one command:

    earwitness verify . --trust ../signer.pub
"#
    )
}
