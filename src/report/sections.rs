//! The report's last sections: the custody timeline, the findings in words, and how to verify
//! the bundle yourself.

use super::content::{Cell, Row, Sink, Table, clipping_finding, signer};
use super::strings::Lang;
use super::{Options, clean};
use crate::finding::{Finding, Severity};
use crate::verify::Report;

pub(super) fn custody(r: &Report, options: &Options, sink: &mut dyn Sink) {
    let lang = &options.lang;
    sink.heading(lang.t("custody"));
    sink.paragraph(lang.t("custody.intro"));
    let mut rows = Vec::new();
    for e in &r.events {
        let action_key = format!("action.{}", e.action);
        let mut what = if lang.has(&action_key) {
            lang.t(&action_key).to_string()
        } else {
            clean(&e.action)
        };
        if let Some(to) = &e.to {
            what.push(' ');
            what.push_str(&lang.f("to", &[("name", &clean(to))]));
        }
        if let Some(note) = &e.note {
            what.push_str(&format!(" — “{}”", clean(note)));
        }
        rows.push(Row::Cells(vec![
            Cell::new(e.seq.to_string()),
            Cell::new(options.times.show(&e.time)),
            Cell::new(what),
            Cell::new(signer(e, lang)),
        ]));
        rows.push(Row::Wide(Cell::mono(format!(
            "{}: {}",
            lang.t("key"),
            e.key
        ))));
    }
    sink.table(&Table {
        headers: ["event_no", "when", "what", "who"]
            .iter()
            .map(|k| lang.t(k).to_string())
            .collect(),
        widths: vec![0.5, 2.6, 3.2, 3.2],
        rows,
    });
    if !r.receipts.is_empty() {
        let list: Vec<String> = r
            .receipts
            .iter()
            .map(|rc| {
                format!(
                    "{} ({})",
                    clean(&rc.event_path),
                    if rc.ok { "ok" } else { "FAILED" }
                )
            })
            .collect();
        sink.paragraph(&lang.f("receipts", &[("list", &list.join(", "))]));
    }
    if let Some(h) = &r.holder {
        let who = match (&h.trusted_name, &h.claimed_name) {
            (Some(t), _) => format!("{} ({})", clean(t), lang.t("trusted")),
            (None, Some(c)) => format!("\"{}\" ({})", clean(c), lang.t("a_claim")),
            (None, None) => String::new(),
        };
        let label = if h.in_transit {
            "in_transit"
        } else {
            "held_by"
        };
        sink.key_values(&[(
            lang.t(label).to_string(),
            Cell::new(format!("{who} {}", h.key)),
        )]);
    }
}

pub(super) fn findings(r: &Report, lang: &Lang, sink: &mut dyn Sink) {
    sink.heading(lang.t("findings"));
    let mut all: Vec<Finding> = r.findings.clone();
    for (path, p) in &r.pictures {
        all.extend(clipping_finding(p, path, lang));
    }
    if all.is_empty() {
        sink.paragraph(lang.t("findings.none"));
        return;
    }
    let rows = all
        .iter()
        .map(|f| {
            let severity = match f.severity {
                Severity::Error => lang.t("severity.error"),
                Severity::Warning => lang.t("severity.warning"),
                Severity::Info => lang.t("severity.info"),
            };
            let what = match &f.path {
                Some(p) if !p.is_empty() => format!("{}: {}", clean(p), clean(&f.message)),
                _ => clean(&f.message),
            };
            Row::Cells(vec![
                Cell::new(severity),
                Cell::mono(f.code.clone()),
                Cell::new(what),
            ])
        })
        .collect();
    sink.table(&Table {
        headers: vec!["".into(), "code".into(), lang.t("findings").into()],
        widths: vec![1.0, 2.6, 6.0],
        rows,
    });
}

pub(super) fn how_to_verify(r: &Report, options: &Options, sink: &mut dyn Sink) {
    let lang = &options.lang;
    sink.heading(lang.t("how_to_verify"));
    sink.paragraph(lang.t("how.intro"));
    let zip = shell_word(&options.bundle_name);
    let bag = shell_word(r.bag.as_deref().unwrap_or("BAG"));
    sink.paragraph(lang.t("how.hash"));
    sink.commands(&[
        format!("sha256sum {zip}"),
        format!("# expect {}", options.bundle_sha256),
    ]);
    sink.paragraph(lang.t("how.unzip"));
    sink.commands(&[
        format!("unzip {zip} && cd {bag}"),
        "sha256sum -c --strict manifest-sha256.txt".into(),
        "sha256sum -c --strict tagmanifest-sha256.txt".into(),
        "bagit.py --validate .".into(),
    ]);
    sink.paragraph(lang.t("how.signatures"));
    let mut lines = vec![
        "# allowed_signers: one line per signer you trust, e.g. from `earwitness trust add`".into(),
    ];
    for e in &r.events {
        let path = shell_word(&e.path);
        lines.push(format!(
            "ssh-keygen -Y find-principals -f ../allowed_signers -s {path}.sshsig   # expect the signer of event {}",
            e.seq
        ));
        lines.push(format!(
            "ssh-keygen -Y verify -f ../allowed_signers -I NAME -n earwitness -s {path}.sshsig < {path}"
        ));
    }
    sink.commands(&lines);
    sink.paragraph(lang.t("how.all"));
    sink.commands(&[format!(
        "earwitness verify {zip} --trust-file allowed_signers"
    )]);
}

/// `text` quoted for a POSIX shell when it needs quoting.
fn shell_word(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@+,".contains(c));
    if plain {
        text.to_string()
    } else {
        format!("'{}'", clean(text).replace('\'', "'\\''"))
    }
}
