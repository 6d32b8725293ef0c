//! `VERIFY.txt`: how to check a bundle with stock tools, as commands to paste. It is a tag file,
//! covered by the tag manifest, so it cannot be altered unnoticed, but it is written by the
//! sealer: the steps never take the signer's key from the bundle on trust.
//!
//! Its Python block is the independent copy of earwitness's checks (docs/FORMAT.md §7): every file
//! that may exist and nothing else, every hash, every signature (both kinds), the chain and the
//! hand-off rules. Tests run it on intact and on tampered bundles, and it must refuse whatever
//! earwitness refuses.

use crate::keys::Fingerprint;

/// The file's name at the top of the bag.
pub const FILE_NAME: &str = "VERIFY.txt";

/// The text of `VERIFY.txt` for bag `bag`, sealed by `sealer`.
pub fn verify_txt(bag: &str, sealer: &Fingerprint) -> String {
    TEMPLATE
        .replace("@BAG@", bag)
        .replace("@SEALER@", &sealer.to_string())
}

const TEMPLATE: &str = r#"HOW TO VERIFY THIS BUNDLE WITHOUT EARWITNESS
============================================

This bundle ("@BAG@") says it was sealed by the key with the OpenSSH fingerprint

    @SEALER@

Do not take that from this file: it is written by the sealer. A valid signature proves only
that the holder of the signing key signed. Get each signer's public key (signer.pub) or its
fingerprint from the signer through another channel (in person, by phone, from a key list you
already trust), and check the bundle against THAT. Every command below uses stock tools;
docs/FORMAT.md in the earwitness sources defines every file.

0. Unzip the bundle you received (here BUNDLE.zip) in an empty folder, and work inside its one
   folder, the bag. Keep your own files (signer.pub, allowed_signers) in the folder above:

unzip BUNDLE.zip && cd "@BAG@"

1. Payload and tag files, with coreutils. Both must print only "OK" lines:

sha256sum -c --strict manifest-sha256.txt
sha256sum -c --strict tagmanifest-sha256.txt

   Proves: every file the manifests list has the listed SHA-256. Does NOT prove: who made the
   manifests (step 3 does), or that no other file was added beside them (step 4 does).

2. The whole bag, with the Library of Congress BagIt tool (pip install bagit):

bagit.py --validate .

   Proves: the bag is complete; no file is missing or added under data/. Does NOT prove: who
   made it, or that no file was added outside data/ (step 4 does).

3. The custody events: custody/0001-sealed.json, then any later hand-offs (NNNN-transferred,
   NNNN-received, NNNN-noted). Each is signed twice over its exact bytes. For each event, with
   the public key of the person who signed it (its "key" field names the fingerprint):

   OpenSSH SSHSIG, namespace "earwitness", against the key YOU trust:

echo "signer namespaces=\"earwitness\" $(cat ../signer.pub)" > ../allowed_signers
ssh-keygen -Y verify -f ../allowed_signers -I signer -n earwitness -s custody/0001-sealed.json.sshsig < custody/0001-sealed.json

   Raw Ed25519 (RFC 8032), with OpenSSL 3, again with the key you trust, converted to PEM (a
   fixed 12-byte DER header, written in octal so any sh prints it, then the key's last 32 bytes):

(printf '\060\052\060\005\006\003\053\145\160\003\041\000'; cut -d' ' -f2 ../signer.pub | base64 -d | tail -c 32) | openssl pkey -pubin -inform DER -out ../signer.pem
openssl pkeyutl -verify -pubin -inkey ../signer.pem -rawin -in custody/0001-sealed.json -sigfile custody/0001-sealed.json.sig

   Proves: the holder of the key you trust signed these exact event bytes; each event names the
   SHA-256 of tagmanifest-sha256.txt, which names every other file's SHA-256. Does NOT prove:
   that the events form one unbroken chain, follow the hand-off rules, or that no file was
   added (step 4 checks all of that), nor who holds the key.

3b. Time-stamps, if the bundle has any: custody/NNNN-<action>.json.tsr (then .2.tsr, .3.tsr, ...
   for more time-stamp authorities), each the answer of an RFC 3161 time-stamp authority (TSA)
   over the exact bytes of its event. With OpenSSL 3 and the root certificate of a TSA YOU trust
   (tsa-root.pem, obtained from the TSA, kept in the folder above), for each token it prints
   "Verification: OK":

openssl ts -verify -data custody/0001-sealed.json -in custody/0001-sealed.json.tsr -CAfile ../tsa-root.pem
openssl ts -reply -in custody/0001-sealed.json.tsr -text

   (the second shows the TSA's time and name). A renewal, custody/...json.renewal-K.txt with its
   token .renewal-K.tsr, time-stamps a list of the SHA-256 of the event and of its earlier
   tokens; check its token, then its lines:

openssl ts -verify -data custody/0001-sealed.json.renewal-1.txt -in custody/0001-sealed.json.renewal-1.tsr -CAfile ../tsa-root.pem
grep -E '^(data|token) ' custody/0001-sealed.json.renewal-1.txt | cut -d' ' -f2- | sha256sum -c --strict

   Proves: the event file existed, byte for byte, no later than the TSA's time, as the holder of
   the TSA's key says. Does NOT prove: that the event happened at the time it claims (only that
   it was not written after the TSA's time), who signed it (step 3 does), that the TSA's clock or
   certificate could be trusted, or that no token was removed (a renewal shows the removal of a
   token it covers). OpenSSL checks the TSA's certificates at today's date: for an old token
   whose TSA certificate has expired since, add -attime with a time (in seconds since 1970) when
   it was valid. Step 4 does not check tokens; earwitness verify --trust-tsa does (see below).

4. Everything above and the rest, in Python (pip install cryptography). Put the fingerprints
   you trust in TRUSTED first (the one below is what the sealer claims: confirm it). Then paste
   everything from "python3" to the line "PY", exactly as printed, into a shell inside the bag.
   It lists every file that may exist (an event's time-stamp files too, which only step 3b
   checks) and refuses any other; checks every hash, Payload-Oxum, evidence.json, both
   signatures of every event, the key files, the chain and the hand-off rules. It ends with "all N events verified" (exit 0); "FAILED: ..." (exit 1) if anything is
   wrong; or, exit 3, which events are signed by keys not in TRUSTED.

python3 - <<'PY'
import base64, hashlib, json, pathlib, re, struct, sys
from datetime import datetime
from cryptography.hazmat.primitives.serialization import load_pem_public_key, Encoding, PublicFormat
TRUSTED = {"@SEALER@"}  # fingerprints YOU confirmed with their holders
sys.excepthook = lambda kind, error, trace: print("FAILED:", kind.__name__, error)

def fail(why):
    sys.exit("FAILED: " + why)

def strict_json(raw):
    def pairs(kv):
        if len({k for k, _ in kv}) != len(kv):
            fail("a JSON file has a duplicate key")
        return dict(kv)
    return json.loads(raw, object_pairs_hook=pairs)

def sha_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()

def manifest(name):
    text = pathlib.Path(name).read_text("utf-8")
    if not text.endswith("\n"):
        fail(name + " does not end with a line feed")
    out = {}
    for line in text[:-1].split("\n"):
        m = re.fullmatch(r"([0-9a-f]{64})[ \t]+(.+)", line.removesuffix("\r")) or fail(name + ": malformed line")
        path = re.sub("%(25|0[aAdD])", lambda p: {"25": "%", "0A": "\n", "0D": "\r"}[p.group(1).upper()], m.group(2))
        if path in out:
            fail(name + " lists " + path + " twice")
        out[path] = m.group(1)
    return out

def wire(raw_key):
    return struct.pack(">I", 11) + b"ssh-ed25519" + struct.pack(">I", 32) + raw_key

def fingerprint(raw_key):
    return "SHA256:" + base64.b64encode(hashlib.sha256(wire(raw_key)).digest()).decode().rstrip("=")

def ssh_string(blob, at):
    n = struct.unpack(">I", blob[at:at + 4])[0]
    if at + 4 + n > len(blob):
        fail("a truncated SSHSIG")
    return blob[at + 4:at + 4 + n], at + 4 + n

P = 2 ** 255 - 19
SMALL_ORDER_Y = {0, 1, P - 1, 0x7a03ac9277fdc74ec6cc392cfa53202a0f67100d760b3cba4fd84d3d706a17c7, P - 0x7a03ac9277fdc74ec6cc392cfa53202a0f67100d760b3cba4fd84d3d706a17c7}
everything = set()
for p in pathlib.Path(".").rglob("*"):
    if p.is_symlink() or not (p.is_file() or p.is_dir()):
        fail(p.as_posix() + " is a link or special file")
    if p.is_file():
        everything.add(p.as_posix())
TAGS = {"bagit.txt", "bag-info.txt", "manifest-sha256.txt", "evidence.json", "VERIFY.txt"}
expected = TAGS | {"tagmanifest-sha256.txt"}
if pathlib.Path("bagit.txt").read_bytes() != b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n":
    fail("bagit.txt is not the BagIt 1.0 declaration")
payload, tags = manifest("manifest-sha256.txt"), manifest("tagmanifest-sha256.txt")
if set(tags) != TAGS:
    fail("tagmanifest-sha256.txt must list exactly " + ", ".join(sorted(TAGS)))
for path, digest in list(payload.items()) + list(tags.items()):
    if (path in payload and not path.startswith("data/")) or path not in everything or sha_file(path) != digest:
        fail(path + " is missing or changed")
expected |= set(payload)
oxum = [l.split(":", 1)[1].strip() for l in pathlib.Path("bag-info.txt").read_text("utf-8").split("\n") if l.startswith("Payload-Oxum:")]
data = [p for p in everything if p.startswith("data/")]
if oxum != [f"{sum(pathlib.Path(p).stat().st_size for p in data)}.{len(data)}"]:
    fail("Payload-Oxum does not match the payload")
evidence = strict_json(pathlib.Path("evidence.json").read_bytes())
if evidence.get("format") != "earwitness-evidence/1":
    fail("evidence.json has an unknown format")
items = {i["path"]: i for i in evidence["items"]}
if len(items) != len(evidence["items"]) or set(items) != set(payload):
    fail("evidence.json and manifest-sha256.txt list different files")
for path, item in items.items():
    if item["sha256"] != payload[path] or item["size"] != pathlib.Path(path).stat().st_size:
        fail("evidence.json disagrees with " + path)
tm = sha_file("tagmanifest-sha256.txt")
MEMBERS = {"format", "seq", "action", "time", "actor", "organization", "key", "bag", "case", "note", "to", "to_key", "payload_rehashed", "prev_event_sha256", "tagmanifest_sha256"}
events = sorted((p for p in everything if re.fullmatch(r"custody/[0-9]{4,}-[a-z_]+\.json", p)), key=lambda p: int(p[8:].split("-")[0]))
if not events:
    fail("the bundle has no custody events, so nothing is signed")
prev = pending = holder = None
untrusted = []
for n, path in enumerate(events, start=1):
    raw = pathlib.Path(path).read_bytes()
    ev = strict_json(raw)
    if not set(ev) <= MEMBERS or ev.get("format") != "earwitness-custody/1":
        fail(path + " has unknown members or format")
    if path != f"custody/{ev['seq']:04d}-{ev['action']}.json" or ev["seq"] != n:
        fail(path + ": file name, sequence number and action disagree")
    if (n == 1) != (ev["action"] == "sealed") or ev.get("prev_event_sha256") != prev:
        fail(path + ": the chain is broken")
    if ev["tagmanifest_sha256"] != tm:
        fail(path + " was signed for another tag manifest")
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z", ev["time"]):
        fail(path + ": time is not RFC 3339 in UTC with whole seconds")
    datetime.fromisoformat(ev["time"].replace("Z", "+00:00"))  # raises if not a real date
    if not re.fullmatch(r"SHA256:[A-Za-z0-9+/]{43}", ev["key"]):
        fail(path + ": key is not a fingerprint")
    hexfp = base64.b64decode(ev["key"][7:] + "=").hex()
    pem, pub = f"custody/keys/{hexfp}.pem", f"custody/keys/{hexfp}.pub"
    key = load_pem_public_key(pathlib.Path(pem).read_bytes())
    raw_key = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    if (int.from_bytes(raw_key, "little") & (2 ** 255 - 1)) % P in SMALL_ORDER_Y:
        fail(pem + " is a weak (small-order) key")
    if fingerprint(raw_key) != ev["key"] or pathlib.Path(pem).read_bytes() != key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo):
        fail(pem + " is not the key the event names, in its one form")
    if pathlib.Path(pub).read_bytes() != b"ssh-ed25519 " + base64.b64encode(wire(raw_key)) + b"\n":
        fail(pub + " is not exactly the event's key")
    key.verify(pathlib.Path(path + ".sig").read_bytes(), raw)  # raises InvalidSignature if forged
    armor = pathlib.Path(path + ".sshsig").read_text("ascii")
    blob = base64.b64decode("".join(armor.split("\n")[1:-2]))
    b64 = base64.b64encode(blob).decode()
    if armor != "-----BEGIN SSH SIGNATURE-----\n" + "".join(b64[i:i + 70] + "\n" for i in range(0, len(b64), 70)) + "-----END SSH SIGNATURE-----\n":
        fail(path + ".sshsig is not a plain SSHSIG")
    if blob[:6] != b"SSHSIG" or blob[6:10] != b"\0\0\0\1":
        fail(path + ".sshsig has another magic or version")
    signer_key, at = ssh_string(blob, 10)
    namespace, at = ssh_string(blob, at)
    reserved, at = ssh_string(blob, at)
    hash_alg, at = ssh_string(blob, at)
    sig, at = ssh_string(blob, at)
    sig_alg, s_at = ssh_string(sig, 0)
    sig_bytes, s_at = ssh_string(sig, s_at)
    if signer_key != wire(raw_key) or namespace != b"earwitness" or hash_alg not in (b"sha256", b"sha512") or sig_alg != b"ssh-ed25519" or at != len(blob) or s_at != len(sig):
        fail(path + ".sshsig does not hold an earwitness signature by the event's key")
    digest = (hashlib.sha512 if hash_alg == b"sha512" else hashlib.sha256)(raw).digest()
    signed = b"SSHSIG" + b"".join(struct.pack(">I", len(x)) + x for x in (namespace, reserved, hash_alg, digest))
    key.verify(sig_bytes, signed)
    expected |= {path, path + ".sig", path + ".sshsig", pem, pub}
    expected |= {p for p in everything if re.fullmatch(re.escape(path) + r"\.(tsr|([2-9]|[1-9][0-9]+)\.tsr|renewal-[1-9][0-9]*\.(txt|tsr))", p)}
    if ev["key"] not in TRUSTED:
        untrusted.append(n)
    if ev["action"] == "sealed":
        holder = ev["key"]
    elif ev["action"] == "transferred":
        if pending is not None or ev["key"] != holder:
            fail(path + ": only the holder can transfer, once at a time")
        if not re.fullmatch(r"SHA256:[A-Za-z0-9+/]{43}", ev.get("to_key") or ""):
            fail(path + ": a transfer must name the recipient's key")
        pending = ev["to_key"]
    elif ev["action"] == "received":
        if ev["key"] != pending or ev.get("payload_rehashed") is not True:
            fail(path + ": received by a key the transfer did not name, or not re-hashed")
        holder, pending = ev["key"], None
    elif ev["action"] != "noted":
        fail(path + ": unknown action")
    prev = hashlib.sha256(raw).hexdigest()
    print("ok", path, ev["action"], ev["time"], ev["key"])
if everything != expected:
    fail("files no manifest or event accounts for: " + ", ".join(sorted(everything - expected)))
if untrusted:
    print("INTACT, NOT FULLY TRUSTED: event(s)", ", ".join(map(str, untrusted)), "are signed by keys not in TRUSTED")
    sys.exit(3)
print(f"all {len(events)} events verified" if len(events) > 1 else "the 1 event verified")
PY

   Does NOT prove: who holds a key (only your own check of the fingerprint does), or that no
   newest event was deleted (a shorter chain is still a valid chain; a receipt the sender
   kept shows the cut: earwitness verify --expect-receipt).

With earwitness itself, all of the above in one command (it refuses the same things). Give it
the key of every signer you trust, or a trust file that names them:

earwitness verify . --trust ../signer.pub
earwitness verify . --trust-file ../allowed_signers
earwitness verify . --trust ../signer.pub --trust-tsa ../tsa-root.pem
"#;
