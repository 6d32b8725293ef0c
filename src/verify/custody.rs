//! Step 9 of docs/FORMAT.md §7: the custody events. Each event's file name, key files and both
//! signatures; the chain rules (through [`Chain`], the one copy of them); each event's time-stamps
//! ([`super::timestamps`]); each signer's standing towards the verifier's trust; and the receipts
//! the verifier kept.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use ed25519_dalek::VerifyingKey;

use super::Options;
use super::read::{Bag, File};
use super::report::{EventReport, Findings, Holder, ReceiptCheck, SignerTrust};
use super::timestamps::{self, EventStamps, Stamped};
use crate::custody::{self, Chain, CustodyFile, Event, SSHSIG_NAMESPACE, Violation};
use crate::digest::Sha256;
use crate::finding::{Finding, Severity, code};
use crate::keys::{self, Fingerprint, Standing};

/// What the custody step found, for the report and for appending the next event.
#[derive(Default)]
pub(super) struct Custody {
    pub chain: Chain,
    pub events: Vec<EventReport>,
    pub holder: Option<Holder>,
    pub receipts: Vec<ReceiptCheck>,
    /// Key files present in `custody/keys/`.
    pub key_files: HashSet<String>,
    /// Whether a validly signed event names the bag's tag manifest.
    pub signed: bool,
}

/// The finding code for a broken custody rule.
fn violation_code(v: &Violation) -> &'static str {
    match v {
        Violation::NotHolder { .. } => code::CUSTODY_HOLDER_UNEXPECTED,
        Violation::NothingToReceive | Violation::NotRecipient { .. } => {
            code::CUSTODY_RECEIVER_UNEXPECTED
        }
        Violation::MissingRecipientKey
        | Violation::NotRehashed
        | Violation::UnknownAction(_)
        | Violation::BadTime(_) => code::CUSTODY_EVENT_INVALID,
        Violation::TimeBackwards { .. } => code::CUSTODY_TIME_BACKWARDS,
        _ => code::CUSTODY_CHAIN_BROKEN,
    }
}

pub(super) fn check_custody(
    bag: &Bag,
    tagmanifest: Option<Sha256>,
    options: &Options,
    findings: &mut Findings,
) -> Custody {
    let mut out = Custody::default();
    let mut events: BTreeMap<u32, Vec<(&str, &str)>> = BTreeMap::new();
    let mut signatures: BTreeSet<&str> = BTreeSet::new();
    let mut stamps: BTreeMap<&str, EventStamps> = BTreeMap::new();
    for name in bag.custody.keys() {
        match custody::classify(name) {
            Some(CustodyFile::Event(seq, action)) => {
                events.entry(seq).or_default().push((name.as_str(), action))
            }
            Some(CustodyFile::Signature(_)) => {
                signatures.insert(name.as_str());
            }
            Some(CustodyFile::Key) => {
                out.key_files.insert(name.clone());
            }
            Some(file) => EventStamps::add(&mut stamps, name, &file),
            None => {}
        }
    }
    if events.is_empty() {
        findings.error(
            code::CUSTODY_MISSING,
            "custody/",
            "the bundle has no custody events, so nothing is signed",
        );
        return out;
    }
    let mut used: HashSet<String> = HashSet::new();
    let mut keys_seen: HashMap<Fingerprint, VerifyingKey> = HashMap::new();
    let events_by_sha: HashMap<Sha256, &str> = events
        .values()
        .flatten()
        .map(|(name, _)| (bag.custody[*name].sha256, *name))
        .collect();
    for (&seq, names) in &events {
        if names.len() > 1 {
            for (name, _) in names {
                findings.error(
                    code::CUSTODY_CHAIN_BROKEN,
                    *name,
                    format!("more than one event has sequence number {seq}"),
                );
            }
        }
        for &(name, action) in names {
            let file = &bag.custody[name];
            used.extend(custody::signature_files(name));
            let event_stamps = stamps.remove(name);
            let Some((event, fp, valid)) = check_event(
                name,
                action,
                seq,
                file,
                tagmanifest,
                bag,
                findings,
                &mut keys_seen,
            ) else {
                out.chain.skip(seq, file.sha256);
                continue;
            };
            used.extend(custody::key_files(&fp));
            out.signed |= valid && Some(event.tagmanifest_sha256) == tagmanifest;
            for v in out.chain.apply(&event, fp, file.sha256) {
                let severity = if v.is_warning() {
                    Severity::Warning
                } else {
                    Severity::Error
                };
                findings.push(Finding::new(violation_code(&v), severity, v.to_string()).at(name));
            }
            let stamped = timestamps::check_event(
                name,
                crate::time::parse_utc(&event.time),
                event_stamps.as_ref(),
                bag,
                &events_by_sha,
                options,
                findings,
            );
            let report = event_report(name, &event, fp, valid, stamped, options, findings);
            out.events.push(report);
        }
    }
    for name in stamps.values().flat_map(EventStamps::files) {
        findings.error(
            code::CUSTODY_ENTRY_UNEXPECTED,
            name,
            "a time-stamp file with no event",
        );
    }
    out.holder = holder(&out.chain, options);
    for receipt in &options.expect_receipts {
        out.receipts
            .push(check_receipt(receipt, bag, &keys_seen, findings));
    }
    for name in &out.key_files {
        if !used.contains(name) {
            findings.error(
                code::CUSTODY_ENTRY_UNEXPECTED,
                name.as_str(),
                "a key that no event names",
            );
        }
    }
    for name in signatures {
        if !used.contains(name) {
            findings.error(
                code::CUSTODY_ENTRY_UNEXPECTED,
                name,
                "a signature with no event",
            );
        }
    }
    if !options.trust.is_pinned() {
        let mut signers: Vec<&str> = out.events.iter().map(|e| e.key.as_str()).collect();
        signers.dedup();
        findings.push(Finding::new(
            code::SIGNER_UNPINNED,
            Severity::Warning,
            format!(
                "the signatures are valid, but no trusted key was given, so no signer is trusted. \
                 Confirm each fingerprint with its holder, then verify with --trust or --trust-file: {}",
                signers.join(", ")
            ),
        ));
    }
    out
}

/// The event for the report, with its signer's standing: at the earliest time a trusted TSA
/// vouches for, when there is one (a signer cannot move that by writing another time), otherwise
/// at the time the event claims.
fn event_report(
    name: &str,
    event: &Event,
    fp: Fingerprint,
    valid: bool,
    stamped: Stamped,
    options: &Options,
    findings: &mut Findings,
) -> EventReport {
    let at = stamped
        .trusted_time
        .or_else(|| crate::time::parse_utc(&event.time));
    let (trust, trusted_name) = match options.trust.standing(fp, at) {
        Standing::Trusted(k) => (SignerTrust::Trusted, k.name.clone()),
        Standing::OutsideValidity(k, why) => {
            findings.warning(
                code::SIGNER_UNTRUSTED,
                name,
                format!(
                    "signed by {fp}, which your trust list names, but not for this event's time ({}): {why}",
                    if stamped.trusted_time.is_some() {
                        "the earliest time a trusted TSA time-stamped it"
                    } else {
                        "the time it claims"
                    }
                ),
            );
            (SignerTrust::OutsideValidity, k.name.clone())
        }
        Standing::NotListed => {
            findings.warning(
                code::SIGNER_UNTRUSTED,
                name,
                format!("signed by {fp}, which is not among the keys you trust"),
            );
            (SignerTrust::Untrusted, None)
        }
        Standing::Unpinned => (SignerTrust::Unpinned, None),
    };
    let to_trusted_name = event
        .to_key
        .as_deref()
        .and_then(|k| k.parse::<Fingerprint>().ok())
        .and_then(|k| options.trust.name_of(k).map(str::to_string));
    EventReport {
        seq: event.seq,
        path: name.to_string(),
        action: event.action.clone(),
        time: event.time.clone(),
        actor: event.actor.clone(),
        organization: event.organization.clone(),
        key: fp.to_string(),
        signature_valid: valid,
        trust: if valid { trust } else { SignerTrust::Untrusted },
        trusted_name,
        note: event.note.clone(),
        to: event.to.clone(),
        to_key: event.to_key.clone(),
        to_trusted_name,
        timestamps: stamped.reports,
    }
}

fn holder(chain: &Chain, options: &Options) -> Option<Holder> {
    let (key, claimed, in_transit) = match chain.pending() {
        Some(p) => (p.key, p.to.as_deref(), true),
        None => (chain.holder()?, chain.holder_name(), false),
    };
    Some(Holder {
        key: key.to_string(),
        trusted_name: options.trust.name_of(key).map(str::to_string),
        claimed_name: claimed.map(str::to_string),
        in_transit,
    })
}

/// Checks one event file; returns the parsed event, its signer, and whether both signatures
/// verified, once the event could be parsed and its key named.
#[allow(clippy::too_many_arguments)]
fn check_event(
    name: &str,
    action: &str,
    seq: u32,
    file: &File,
    tagmanifest: Option<Sha256>,
    bag: &Bag,
    findings: &mut Findings,
    keys_seen: &mut HashMap<Fingerprint, VerifyingKey>,
) -> Option<(Event, Fingerprint, bool)> {
    let event = match Event::parse(&file.bytes) {
        Ok(e) => e,
        Err(e) => {
            findings.error(code::CUSTODY_EVENT_INVALID, name, e.to_string());
            return None;
        }
    };
    if event.seq != seq || event.action != action {
        findings.error(
            code::CUSTODY_CHAIN_BROKEN,
            name,
            format!(
                "the file name says event {seq} ({action}), the event says {} ({}): events were renamed or reordered",
                event.seq,
                crate::text::safe(&event.action)
            ),
        );
    }
    if Some(event.tagmanifest_sha256) != tagmanifest {
        findings.error(
            code::CUSTODY_TAGMANIFEST_MISMATCH,
            name,
            "the event was signed for another tag manifest: it belongs to another bundle, or the bag was changed",
        );
    }
    let fp: Fingerprint = match event.key.parse() {
        Ok(fp) => fp,
        Err(e) => {
            findings.error(code::CUSTODY_EVENT_INVALID, name, e.to_string());
            return None;
        }
    };
    let Some(key) = signer_key(fp, bag, findings) else {
        return Some((event, fp, false));
    };
    keys_seen.insert(fp, key);
    let [sig_name, sshsig_name] = custody::signature_files(name);
    let mut valid = true;
    match bag.custody.get(&sig_name) {
        None => {
            valid = false;
            findings.error(
                code::CUSTODY_SIGNATURE_MISSING,
                name,
                "the event's raw signature (.sig) is missing",
            );
        }
        Some(sig) => {
            if let Err(e) = keys::verify_raw(&key, &file.bytes, &sig.bytes) {
                valid = false;
                findings.error(code::CUSTODY_SIGNATURE_INVALID, sig_name, e);
            }
        }
    }
    match bag.custody.get(&sshsig_name) {
        None => {
            valid = false;
            findings.error(
                code::CUSTODY_SSHSIG_INVALID,
                name,
                "the event's SSHSIG (.sshsig) is missing",
            );
        }
        Some(sig) => {
            if let Err(e) = keys::verify_sshsig(&key, SSHSIG_NAMESPACE, &file.bytes, &sig.bytes) {
                valid = false;
                findings.error(code::CUSTODY_SSHSIG_INVALID, sshsig_name, e);
            }
        }
    }
    Some((event, fp, valid))
}

/// The signer's key from `custody/keys/`: both files present, each exactly the one form
/// earwitness writes (so no byte of them goes unchecked), the same key, with the fingerprint they
/// are named for, and not a weak key.
fn signer_key(fp: Fingerprint, bag: &Bag, findings: &mut Findings) -> Option<VerifyingKey> {
    let [pem_name, pub_name] = custody::key_files(&fp);
    let mut ok = true;
    for name in [&pem_name, &pub_name] {
        if !bag.custody.contains_key(name) {
            ok = false;
            if !findings.has_error_at(name) {
                findings.error(
                    code::CUSTODY_KEY_MISSING,
                    name.as_str(),
                    format!("the signer's key file {name} is missing"),
                );
            }
        }
    }
    let pem = bag.custody.get(&pem_name)?;
    let key = match std::str::from_utf8(&pem.bytes)
        .map_err(|_| "not UTF-8".to_string())
        .and_then(keys::parse_public_pem)
    {
        Ok(k) => k,
        Err(e) => {
            findings.error(code::CUSTODY_KEY_INVALID, pem_name, e);
            return None;
        }
    };
    if Fingerprint::of(&key) != fp {
        findings.push(
            Finding::error(
                code::CUSTODY_KEY_INVALID,
                pem_name,
                "the key does not have the fingerprint it is named for",
            )
            .values(fp, Fingerprint::of(&key)),
        );
        return None;
    }
    if pem.bytes != keys::public_pem(&key).as_bytes() {
        ok = false;
        findings.error(
            code::CUSTODY_KEY_INVALID,
            pem_name,
            "the PEM key file holds other bytes than the key's one PEM form (extra text, other line breaks or encoding)",
        );
    }
    if let Some(line) = bag.custody.get(&pub_name)
        && line.bytes != keys::public_line(&key).as_bytes()
    {
        ok = false;
        findings.error(
            code::CUSTODY_KEY_INVALID,
            pub_name,
            "the OpenSSH key file is not exactly the key's one line (`ssh-ed25519 AAAA...` and a line feed): another key, a comment, or extra bytes",
        );
    }
    ok.then_some(key)
}

/// A receipt kept by the verifier: it must name a `received` event, be for this bag, be signed by
/// that event's signer, and the bundle must still hold that exact event.
fn check_receipt(
    receipt: &custody::Receipt,
    bag: &Bag,
    keys_seen: &HashMap<Fingerprint, VerifyingKey>,
    findings: &mut Findings,
) -> ReceiptCheck {
    let shown = crate::bundle::printable(&receipt.event_path);
    let fail = |findings: &mut Findings, code: &str, why: String| {
        findings.error(code, shown.clone(), why);
        ReceiptCheck {
            event_path: shown.clone(),
            ok: false,
        }
    };
    if receipt.bag != bag.name {
        return fail(
            findings,
            code::CUSTODY_RECEIPT_INVALID,
            format!(
                "the receipt is for bag {:?}, not this one",
                crate::text::safe(&receipt.bag)
            ),
        );
    }
    if Sha256::of(receipt.event.as_bytes()) != receipt.event_sha256 {
        return fail(
            findings,
            code::CUSTODY_RECEIPT_INVALID,
            "the receipt's event text does not match its own event_sha256: the receipt is damaged"
                .into(),
        );
    }
    let event = match Event::parse(receipt.event.as_bytes()) {
        Ok(e) => e,
        Err(e) => {
            return fail(
                findings,
                code::CUSTODY_RECEIPT_INVALID,
                format!("the receipt's event is not a custody event: {e}"),
            );
        }
    };
    if event.action != custody::action::RECEIVED {
        return fail(
            findings,
            code::CUSTODY_RECEIPT_INVALID,
            format!(
                "the receipt is for a {:?} event; a receipt proves a `received` event",
                crate::text::safe(&event.action)
            ),
        );
    }
    if receipt.event_path != format!("{}/{}", custody::DIR, event.file_name()) {
        return fail(
            findings,
            code::CUSTODY_RECEIPT_INVALID,
            "the receipt's event_path is not the path of the event it holds".into(),
        );
    }
    match bag.custody.get(&receipt.event_path) {
        Some(f) if f.sha256 == receipt.event_sha256 => {}
        Some(_) => {
            return fail(
                findings,
                code::CUSTODY_RECEIPT_MISSING,
                "the bundle holds another event at this place than the receipt: the chain was cut and rewritten".into(),
            );
        }
        None => {
            return fail(
                findings,
                code::CUSTODY_RECEIPT_MISSING,
                "the receipt's event is not in the bundle: events were removed after it was received".into(),
            );
        }
    }
    let signed = event
        .key
        .parse::<Fingerprint>()
        .ok()
        .and_then(|fp| keys_seen.get(&fp))
        .zip(hex::decode(&receipt.signature_hex).ok())
        .is_some_and(|(key, sig)| keys::verify_raw(key, receipt.event.as_bytes(), &sig).is_ok());
    if !signed {
        return fail(
            findings,
            code::CUSTODY_RECEIPT_INVALID,
            "the receipt's signature_hex is not a valid signature of its event by the event's signer".into(),
        );
    }
    ReceiptCheck {
        event_path: shown,
        ok: true,
    }
}
