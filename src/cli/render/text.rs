//! Text output for people: what was checked, the custody timeline, the findings, and a verdict in
//! words a court clerk reads correctly.

use std::io::{self, Write};

use super::{Times, short_path};
use earwitness::evidence::Media;
use earwitness::finding::{Finding, Severity};
use earwitness::text::{count, safe, safe_short};
use earwitness::verify::{
    EventReport, Report, SignerTrust, TimestampKind, TimestampReport, Verdict,
};

/// Which parts of a report to print.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parts {
    /// Everything `verify` checked.
    Verify,
    /// The custody timeline (`log`).
    Timeline,
}

/// Prints a verification report.
pub fn report(out: &mut impl Write, r: &Report, times: &Times, parts: Parts) -> io::Result<()> {
    header(out, r, times)?;
    if parts == Parts::Verify {
        recordings(out, r)?;
    }
    timeline(out, r, times)?;
    if parts == Parts::Verify {
        receipts_and_deep(out, r)?;
    }
    holder(out, r)?;
    findings(out, &r.findings)?;
    verdict(out, r)
}

fn header(out: &mut impl Write, r: &Report, times: &Times) -> io::Result<()> {
    writeln!(out, "Bundle:          {}", r.bundle)?;
    if let Some(bag) = &r.bag {
        writeln!(out, "Bag:             {}", safe(bag))?;
    }
    if let Some(c) = &r.claims {
        let mark = if c.checked {
            ""
        } else {
            "   [claimed by evidence.json, which did NOT pass its checks]"
        };
        if let Some(case) = &c.case {
            writeln!(out, "Case:            {}{mark}", safe_short(case, 200))?;
        }
        if let Some(org) = &c.organization {
            writeln!(out, "Organisation:    {}{mark}", safe_short(org, 200))?;
        }
        writeln!(out, "Sealed at:       {}{mark}", times.show(&c.sealed_at))?;
    }
    if r.trust.given {
        writeln!(out, "Checked against: {}", r.trust.sources.join("; "))?;
    } else {
        writeln!(
            out,
            "Checked against: no trusted key (signatures are checked, but nothing shows who signed)"
        )?;
    }
    if !r.trust.tsa_roots.is_empty() {
        let roots: Vec<String> = r
            .trust
            .tsa_roots
            .iter()
            .map(|s| safe_short(s, 120))
            .collect();
        writeln!(out, "TSA roots:       {}", roots.join("; "))?;
    }
    Ok(())
}

fn recordings(out: &mut impl Write, r: &Report) -> io::Result<()> {
    writeln!(
        out,
        "\nRecordings ({}, {}):",
        count(r.payload_files, "file", "files"),
        count(r.payload_bytes, "byte", "bytes")
    )?;
    if r.recordings.is_empty() {
        writeln!(out, "  (evidence.json could not be read; see the findings)")?;
        return Ok(());
    }
    let rows: Vec<[String; 5]> = r
        .recordings
        .iter()
        .map(|rec| {
            [
                safe_short(short_path(&rec.path), 60),
                rec.duration_seconds
                    .map(|d| format!("{d:.3} s"))
                    .unwrap_or_else(|| "-".into()),
                rec.format
                    .as_deref()
                    .map(|f| safe_short(f, 40))
                    .unwrap_or_else(|| "(not audio)".into()),
                rec.sha256.chars().take(16).collect(),
                {
                    let state = if rec.intact {
                        "intact"
                    } else {
                        "FAILED ITS CHECK"
                    };
                    if rec.findings.is_empty() {
                        state.to_string()
                    } else {
                        format!("{state}; noted at sealing: {}", rec.findings.join(", "))
                    }
                },
            ]
        })
        .collect();
    table(
        out,
        &["file", "length", "format", "sha256 (start)", "state"],
        &rows,
    )?;
    more_recordings(out, r)
}

/// Says how many recordings were checked but are not listed, when the list was cut short.
pub fn more_recordings(out: &mut impl Write, r: &Report) -> io::Result<()> {
    let more = r.recordings_total.saturating_sub(r.recordings.len() as u64);
    if more > 0 {
        writeln!(
            out,
            "  ... and {} more, checked but not listed here; every failure is in the findings below.",
            count(more, "recording", "recordings")
        )?;
    }
    Ok(())
}

/// Prints rows under headers, each column as wide as its widest cell.
fn table<const N: usize>(
    out: &mut impl Write,
    headers: &[&str; N],
    rows: &[[String; N]],
) -> io::Result<()> {
    let mut widths = headers.map(|h| h.chars().count());
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::from(" ");
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            s.push(' ');
            s.push_str(cell);
            if i + 1 < N {
                s.push_str(&" ".repeat(w - cell.chars().count() + 1));
            }
        }
        s
    };
    writeln!(out, "{}", line(headers.to_vec()))?;
    for row in rows {
        writeln!(out, "{}", line(row.iter().map(String::as_str).collect()))?;
    }
    Ok(())
}

/// Who signed an event, for people: the trusted name, or the bundle's claim marked as one.
pub fn signer(e: &EventReport) -> String {
    let claim = e
        .actor
        .as_deref()
        .map(|a| format!("\"{}\"", safe_short(a, 80)));
    if !e.signature_valid {
        return format!(
            "SIGNATURE INVALID{}",
            claim
                .map(|c| format!(", claims to be {c}"))
                .unwrap_or_default()
        );
    }
    match e.trust {
        SignerTrust::Trusted => {
            let name = e
                .trusted_name
                .as_deref()
                .map(|n| safe_short(n, 80).to_string())
                .unwrap_or_else(|| "a key you trust".into());
            match &claim {
                Some(c) if e.trusted_name.as_deref() != e.actor.as_deref() => {
                    format!("{name} (trusted; the bundle says {c})")
                }
                _ => format!("{name} (trusted)"),
            }
        }
        SignerTrust::Untrusted => format!(
            "NOT TRUSTED: {}",
            claim
                .map(|c| format!("claims to be {c}"))
                .unwrap_or_else(|| "no name".into())
        ),
        SignerTrust::OutsideValidity => format!(
            "NOT TRUSTED at this time: {}",
            e.trusted_name
                .as_deref()
                .map(|n| safe_short(n, 80))
                .unwrap_or_default()
        ),
        SignerTrust::Unpinned => match claim {
            Some(c) => format!("{c} (a claim; no key trusted)"),
            None => "(no name; no key trusted)".into(),
        },
    }
}

fn timeline(out: &mut impl Write, r: &Report, times: &Times) -> io::Result<()> {
    if r.events.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "\nCustody ({}):",
        count(r.events.len() as u64, "event", "events")
    )?;
    let rows: Vec<[String; 5]> = r
        .events
        .iter()
        .map(|e| {
            [
                e.seq.to_string(),
                safe_short(&e.action, 20),
                times.show(&e.time),
                signer(e),
                e.key.clone(),
            ]
        })
        .collect();
    let mut buf = Vec::new();
    table(
        &mut buf,
        &["#", "action", "time", "signed by", "key"],
        &rows,
    )?;
    let text = String::from_utf8_lossy(&buf);
    let mut lines = text.lines();
    if let Some(h) = lines.next() {
        writeln!(out, "{h}")?;
    }
    for (line, e) in lines.zip(&r.events) {
        writeln!(out, "{line}")?;
        if let Some(to) = &e.to_key {
            let name =
                e.to.as_deref()
                    .map(|t| safe_short(t, 80))
                    .unwrap_or_default();
            let trusted = e
                .to_trusted_name
                .as_deref()
                .map(|n| format!(", trusted as \"{}\"", safe_short(n, 80)))
                .unwrap_or_default();
            writeln!(
                out,
                "        to:   \"{name}\" (a claim) {}{trusted}",
                safe(to)
            )?;
        }
        if let Some(note) = &e.note {
            writeln!(out, "        note: {}", safe_short(note, 400))?;
        }
        for t in &e.timestamps {
            writeln!(out, "        {}", timestamp(t, times))?;
        }
    }
    Ok(())
}

/// One time-stamp under its event: when, by whom, and whether that TSA is trusted.
fn timestamp(t: &TimestampReport, times: &Times) -> String {
    let what = match t.kind {
        TimestampKind::Token => "time-stamped",
        TimestampKind::Renewal => "renewal time-stamped",
    };
    let problem = t.problem.as_deref().map(|p| safe_short(p, 300));
    match (&t.time, &t.tsa) {
        (Some(time), Some(tsa)) if t.valid => format!(
            "{what} {} by {} {}",
            times.show(time),
            safe_short(tsa, 80),
            if t.trusted {
                "(trusted)".to_string()
            } else {
                format!("(TSA not trusted: {})", problem.unwrap_or_default())
            }
        ),
        _ => format!(
            "{what}: {} is INVALID: {}",
            safe(&t.path),
            problem.unwrap_or_default()
        ),
    }
}

fn receipts_and_deep(out: &mut impl Write, r: &Report) -> io::Result<()> {
    if !r.receipts.is_empty() {
        writeln!(out, "\nReceipts checked (--expect-receipt):")?;
        for rc in &r.receipts {
            let state = if rc.ok {
                "the bundle holds this exact event, signed by its signer"
            } else {
                "FAILED (see the findings)"
            };
            writeln!(out, "  {}: {state}", rc.event_path)?;
        }
    }
    if let Some(deep) = &r.deep {
        writeln!(
            out,
            "\nDecoded again (--deep): {}",
            count(deep.len() as u64, "file", "files")
        )?;
        for d in deep {
            let what = match d.result.as_str() {
                "same" => "the same as recorded at sealing",
                "differs" => "DIFFERS from what was recorded (see the findings)",
                "decoder_changed" => "differs, with another decoder version (compare by hand)",
                "not_decoded" => "not decoded: the entry is compressed",
                _ => "not decoded: its bytes failed their check",
            };
            writeln!(out, "  {}: {what}", safe_short(short_path(&d.path), 80))?;
        }
    }
    Ok(())
}

fn holder(out: &mut impl Write, r: &Report) -> io::Result<()> {
    let Some(h) = &r.holder else {
        return Ok(());
    };
    let name = match (&h.trusted_name, &h.claimed_name) {
        (Some(t), _) => format!("{} (trusted)", safe_short(t, 80)),
        (None, Some(c)) => format!("\"{}\" (a claim)", safe_short(c, 80)),
        (None, None) => "(no name)".into(),
    };
    let what = if h.in_transit {
        "In transit to:  "
    } else {
        "Held by:        "
    };
    writeln!(out, "\n{what} {name}, key {}", h.key)
}

/// Prints findings, one per line.
pub fn findings(out: &mut impl Write, findings: &[Finding]) -> io::Result<()> {
    if findings.is_empty() {
        return Ok(());
    }
    writeln!(out, "\nFindings:")?;
    for f in findings {
        let path = f
            .path
            .as_deref()
            .filter(|p| !p.is_empty())
            .map(|p| format!("{}: ", safe(p)))
            .unwrap_or_default();
        writeln!(
            out,
            "  {:7} {:32} {path}{}",
            f.severity.as_str(),
            f.code,
            safe(&f.message)
        )?;
    }
    Ok(())
}

/// "events 3 and 4", "event 2", "events 2, 3 and 5".
fn event_list(seqs: &[u32]) -> String {
    let nums: Vec<String> = seqs.iter().map(u32::to_string).collect();
    match nums.as_slice() {
        [one] => format!("Event {one} is"),
        [init @ .., last] => format!("Events {} and {last} are", init.join(", ")),
        [] => String::new(),
    }
}

/// The verdict in words: what is established, and what is not.
pub fn verdict(out: &mut impl Write, r: &Report) -> io::Result<()> {
    writeln!(out)?;
    match r.verdict {
        Verdict::Failed => {
            let n = r.error_count() as u64;
            writeln!(
                out,
                "RESULT: FAILED ({}). This bundle is not as it was sealed, or is not a valid bundle: see the findings above. Do not rely on its contents; keep this copy as it is, and ask the sender for another.",
                count(n, "error", "errors")
            )
        }
        Verdict::Verified => {
            let sealer = r
                .events
                .first()
                .and_then(|e| e.trusted_name.as_deref())
                .map(|n| format!(" Sealed by {} (trusted).", safe_short(n, 80)))
                .unwrap_or_default();
            writeln!(
                out,
                "RESULT: VERIFIED. Every file is exactly as it was sealed, and every custody event is signed by a key you trust.{sealer}"
            )
        }
        Verdict::IntactNotFullyTrusted => intact_words(out, r),
    }
}

fn intact_words(out: &mut impl Write, r: &Report) -> io::Result<()> {
    write!(out, "RESULT: INTACT, NOT FULLY TRUSTED. ")?;
    if !r.trust.given {
        let sealer = r.events.first();
        let claim = sealer
            .and_then(|e| e.actor.as_deref())
            .map(|a| format!(" by \"{}\"", safe_short(a, 80)))
            .unwrap_or_default();
        let key = sealer.map(|e| e.key.as_str()).unwrap_or("?");
        return writeln!(
            out,
            "Every file is exactly as it was when the bundle was signed, and every signature is valid, but you gave no trusted key, so nothing here shows who signed it. The bundle says it was sealed{claim} with the key {key}. Confirm that fingerprint with its holder (in person or by phone), then verify again with --trust THEIR-KEY.pub, or add it to a trust file with `earwitness trust add NAME THEIR-KEY.pub --file allowed_signers` and use --trust-file allowed_signers."
        );
    }
    match r.events.first() {
        Some(first) if first.trust == SignerTrust::Trusted => write!(
            out,
            "The recordings are exactly as sealed by {} (trusted).",
            first
                .trusted_name
                .as_deref()
                .map(|n| safe_short(n, 80))
                .unwrap_or_else(|| "a key you trust".into())
        )?,
        _ => write!(out, "Every file is intact and every signature is valid.")?,
    }
    // Group the untrusted events by key, in order of first appearance.
    let mut by_key: Vec<(&str, Vec<u32>, Option<&str>, bool)> = Vec::new();
    for e in r.untrusted_events() {
        match by_key.iter_mut().find(|(k, ..)| *k == e.key) {
            Some((_, seqs, ..)) => seqs.push(e.seq),
            None => by_key.push((
                &e.key,
                vec![e.seq],
                e.actor.as_deref(),
                e.trust == SignerTrust::OutsideValidity,
            )),
        }
    }
    let mut suggested = None;
    for (key, seqs, claim, outside) in &by_key {
        let named = claim
            .map(|c| format!(" (named \"{}\" in the bundle)", safe_short(c, 80)))
            .unwrap_or_default();
        let why = if *outside {
            "which your trust list does not trust at that time"
        } else {
            "which you have not trusted"
        };
        write!(out, " {} signed by {key}{named}, {why}.", event_list(seqs))?;
        suggested.get_or_insert(claim.map(|c| safe_short(c, 40)));
    }
    let name = suggested.flatten().unwrap_or_else(|| "NAME".into());
    writeln!(
        out,
        " Confirm each such key with its holder, then add it with `earwitness trust add \"{name}\" KEY.pub --file allowed_signers` and verify again."
    )
}

/// Prints what a recording is, as `evidence.json` or a fresh probe records it.
pub fn media(out: &mut impl Write, media: Option<&Media>, findings: &[Finding]) -> io::Result<()> {
    match media {
        None => writeln!(out, "      media: nothing could be read")?,
        Some(m) => {
            let opt = |v: Option<String>| v.unwrap_or_else(|| "?".into());
            writeln!(
                out,
                "      media: {} / {}, {} Hz, {} ch, {} bits, {} frames, {} s  (read by {})",
                safe(&m.container),
                safe(&opt(m.codec.clone())),
                opt(m.sample_rate.map(|v| v.to_string())),
                opt(m.channels.map(|v| v.to_string())),
                opt(m.bits_per_sample.map(|v| v.to_string())),
                opt(m.declared_frames.map(|v| v.to_string())),
                opt(m.duration_seconds.map(|v| format!("{v:.3}"))),
                safe(&m.reader)
            )?;
            for t in &m.tags {
                writeln!(
                    out,
                    "      tag {} [{}] = \"{}\"",
                    safe(t.key.as_deref().unwrap_or("-")),
                    safe(&t.raw_key),
                    safe_short(&t.value, 400)
                )?;
            }
        }
    }
    for f in findings {
        let severity = if f.severity == Severity::Error {
            "error"
        } else {
            f.severity.as_str()
        };
        writeln!(out, "      {severity} {}: {}", f.code, safe(&f.message))?;
    }
    Ok(())
}
