//! What a report says, in order, written once for every output format through [`Sink`]: the
//! verdict first, a summary, the exhibit index, one section per recording with its pictures, the
//! custody timeline, the findings in words, and how to verify the bundle yourself.

use super::figures;
use super::strings::Lang;
use super::{Options, clean};
use crate::evidence::{Item, Media};
use crate::finding::{Finding, code};
use crate::probe::analysis::Pictures;
use crate::verify::{EventReport, Report, SignerTrust, Verdict};

/// One cell of a table.
#[derive(Clone, Debug)]
pub struct Cell {
    /// The text (already made safe).
    pub text: String,
    /// Set in a monospace font (digests, keys, commands).
    pub mono: bool,
}

impl Cell {
    pub(super) fn new(text: impl Into<String>) -> Self {
        Cell {
            text: text.into(),
            mono: false,
        }
    }

    pub(super) fn mono(text: impl Into<String>) -> Self {
        Cell {
            text: text.into(),
            mono: true,
        }
    }
}

/// One row of a table: its cells, or one cell across the whole table.
#[derive(Clone, Debug)]
pub enum Row {
    /// One cell per column.
    Cells(Vec<Cell>),
    /// One cell spanning every column (a digest, a note).
    Wide(Cell),
}

/// A table whose rows are never split across pages.
#[derive(Clone, Debug)]
pub struct Table {
    /// The column headings (repeated on each page).
    pub headers: Vec<String>,
    /// Relative column widths.
    pub widths: Vec<f32>,
    /// The rows.
    pub rows: Vec<Row>,
}

/// A picture of a recording.
#[derive(Clone, Copy, Debug)]
pub enum Figure<'a> {
    /// Level over time.
    Waveform(&'a Pictures),
    /// Frequency over time, in colour.
    Spectrogram(&'a Pictures),
}

/// How bad a verdict is, for its colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// Verified.
    Good,
    /// Intact, not fully trusted.
    Caution,
    /// Failed.
    Bad,
}

/// An output format: receives the report's content in order.
pub trait Sink {
    /// The verdict, in one sentence: the first line of every report.
    fn verdict(&mut self, text: &str, tone: Tone);
    /// The document title and subtitle.
    fn title(&mut self, title: &str, subtitle: &str);
    /// A section heading.
    fn heading(&mut self, text: &str);
    /// A heading within a section.
    fn subheading(&mut self, text: &str);
    /// A paragraph.
    fn paragraph(&mut self, text: &str);
    /// Labels and values.
    fn key_values(&mut self, rows: &[(String, Cell)]);
    /// A table.
    fn table(&mut self, table: &Table);
    /// A picture, with its caption.
    fn figure(&mut self, figure: Figure<'_>, lang: &Lang);
    /// Commands to type, one per line.
    fn commands(&mut self, lines: &[String]);
    /// Starts a new page (in print).
    fn new_page(&mut self);
}

/// A recording's exhibit number: E-001, E-002, ...
pub fn exhibit(n: usize) -> String {
    format!("E-{n:03}")
}

fn seconds(s: f64) -> String {
    format!("{s:.3}")
}

/// The short name of a recording: its path below `data/originals/`.
fn short(path: &str) -> &str {
    path.strip_prefix("data/originals/").unwrap_or(path)
}

/// A finding in words: the language's explanation of its code, or its own message.
fn in_words(f: &Finding, lang: &Lang) -> String {
    let key = format!("code.{}", f.code);
    if lang.has(&key) {
        format!("{} ({})", lang.t(&key), f.code)
    } else {
        format!("{} ({})", clean(&f.message), f.code)
    }
}

/// The verdict sentence.
pub fn verdict_sentence(r: &Report, lang: &Lang) -> (String, Tone) {
    match r.verdict {
        Verdict::Verified => (lang.t("verdict.verified").to_string(), Tone::Good),
        Verdict::Failed => {
            let n = r.error_count();
            let errors = if n == 1 {
                "1 error".to_string()
            } else {
                format!("{n} errors")
            };
            (lang.f("verdict.failed", &[("errors", &errors)]), Tone::Bad)
        }
        Verdict::IntactNotFullyTrusted if !r.trust.given => (
            lang.t("verdict.intact_untrusted").to_string(),
            Tone::Caution,
        ),
        Verdict::IntactNotFullyTrusted => {
            let seqs: Vec<String> = r.untrusted_events().map(|e| e.seq.to_string()).collect();
            let key = if seqs.len() == 1 {
                "events.one"
            } else {
                "events.many"
            };
            let events = lang.f(key, &[("list", &seqs.join(", "))]);
            (
                lang.f("verdict.intact_partly", &[("events", &events)]),
                Tone::Caution,
            )
        }
    }
}

/// Writes the whole report into `sink`.
pub fn write(r: &Report, options: &Options, sink: &mut dyn Sink) {
    let lang = &options.lang;
    let (sentence, tone) = verdict_sentence(r, lang);
    sink.verdict(&sentence, tone);
    sink.title(lang.t("title"), lang.t("subtitle"));
    cover(r, options, sink);
    let items: Vec<&Item> = r
        .evidence
        .as_ref()
        .map(|e| e.items.iter().collect())
        .unwrap_or_default();
    exhibits(r, &items, lang, sink);
    for (i, item) in items.iter().enumerate() {
        recording(r, i + 1, item, options, sink);
    }
    sink.new_page();
    super::sections::custody(r, options, sink);
    super::sections::findings(r, lang, sink);
    super::sections::how_to_verify(r, options, sink);
}

fn cover(r: &Report, options: &Options, sink: &mut dyn Sink) {
    let lang = &options.lang;
    sink.heading(lang.t("cover"));
    let mut rows: Vec<(String, Cell)> = Vec::new();
    let mark = |checked: bool| {
        if checked {
            String::new()
        } else {
            format!(" [{}]", lang.t("claim_unchecked"))
        }
    };
    if let Some(c) = &r.claims {
        let m = mark(c.checked);
        if let Some(case) = &c.case {
            rows.push((
                lang.t("case").into(),
                Cell::new(format!("{}{m}", clean(case))),
            ));
        }
        if let Some(org) = &c.organization {
            rows.push((
                lang.t("organisation").into(),
                Cell::new(format!("{}{m}", clean(org))),
            ));
        }
        rows.push((
            lang.t("sealed_at").into(),
            Cell::new(format!("{}{m}", options.times.show(&c.sealed_at))),
        ));
    }
    if let Some(first) = r.events.first() {
        rows.push((lang.t("sealed_by").into(), Cell::new(signer(first, lang))));
    }
    rows.push((
        lang.t("bundle_file").into(),
        Cell::new(clean(&options.bundle_name)),
    ));
    rows.push((
        lang.t("bundle_sha256").into(),
        Cell::mono(options.bundle_sha256.clone()),
    ));
    let trust = if r.trust.given {
        r.trust
            .sources
            .iter()
            .map(|s| clean(s))
            .collect::<Vec<_>>()
            .join("; ")
    } else {
        lang.t("no_trust").to_string()
    };
    rows.push((lang.t("checked_against").into(), Cell::new(trust)));
    sink.key_values(&rows);
}

/// Who signed an event, for people: the trusted name, or the claim marked as one.
pub(super) fn signer(e: &EventReport, lang: &Lang) -> String {
    let claim = e.actor.as_deref().map(clean).unwrap_or_default();
    match (&e.trust, &e.trusted_name) {
        (SignerTrust::Trusted, Some(name)) => format!("{} ({})", clean(name), lang.t("trusted")),
        (SignerTrust::Trusted, None) => format!("{claim} ({})", lang.t("trusted")),
        _ => format!(
            "\"{claim}\" ({}; {})",
            lang.t("a_claim"),
            lang.t("not_trusted")
        ),
    }
}

fn format_of(m: Option<&Media>, lang: &Lang) -> String {
    match m {
        None => lang.t("not_audio").to_string(),
        Some(m) => match &m.codec {
            Some(c) => format!("{} / {}", clean(&m.container), clean(c)),
            None => clean(&m.container),
        },
    }
}

fn exhibits(r: &Report, items: &[&Item], lang: &Lang, sink: &mut dyn Sink) {
    sink.heading(lang.t("exhibits"));
    let mut rows = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let m = item.media.as_ref();
        let intact = r
            .recordings
            .iter()
            .find(|x| x.path == item.path)
            .is_some_and(|x| x.intact);
        rows.push(Row::Cells(vec![
            Cell::new(exhibit(i + 1)),
            Cell::new(clean(short(&item.path))),
            Cell::new(lang.f("bytes", &[("n", &item.size.to_string())])),
            Cell::new(format_of(m, lang)),
            Cell::new(
                m.and_then(|m| m.sample_rate)
                    .map(|r| format!("{r} Hz"))
                    .unwrap_or_default(),
            ),
            Cell::new(
                m.and_then(|m| m.channels)
                    .map(|c| c.to_string())
                    .unwrap_or_default(),
            ),
            Cell::new(
                m.and_then(|m| m.duration_seconds)
                    .map(|d| format!("{} ({} s)", figures::mmss(d), seconds(d)))
                    .unwrap_or_default(),
            ),
        ]));
        rows.push(Row::Wide(Cell::mono(format!("SHA-256 {}", item.sha256))));
        let mut notes: Vec<String> = item.findings.iter().map(|f| in_words(f, lang)).collect();
        if !intact {
            notes.insert(0, lang.t("changed").to_string());
        }
        if let Some(p) = r.pictures.get(&item.path)
            && let Some(f) = clipping_finding(p, &item.path, lang)
        {
            notes.push(in_words(&f, lang));
        }
        let text = if notes.is_empty() {
            format!("{}: {}", lang.t("findings_short"), lang.t("none"))
        } else {
            format!("{}: {}", lang.t("findings_short"), notes.join(" "))
        };
        rows.push(Row::Wide(Cell::new(text)));
    }
    sink.table(&Table {
        headers: [
            "exhibit", "file", "size", "format", "rate", "channels", "duration",
        ]
        .iter()
        .map(|k| lang.t(k).to_string())
        .collect(),
        widths: vec![1.2, 4.0, 1.8, 2.2, 1.5, 1.2, 1.8],
        rows,
    });
}

/// The `audio.clipping` finding for pictures whose clipped share is notable (0.01 % or more).
pub fn clipping_finding(p: &Pictures, path: &str, lang: &Lang) -> Option<Finding> {
    let share = p.clipped_share();
    (share >= 1e-4).then(|| {
        Finding::warning(
            code::AUDIO_CLIPPING,
            path,
            lang.f(
                "clipping.finding",
                &[
                    ("share", &format!("{:.2} %", share * 100.0)),
                    ("clipped", &p.clipped_samples.to_string()),
                    ("samples", &p.samples.to_string()),
                ],
            ),
        )
        .values("0", p.clipped_samples)
    })
}

fn recording(r: &Report, n: usize, item: &Item, options: &Options, sink: &mut dyn Sink) {
    let lang = &options.lang;
    sink.new_page();
    sink.heading(&lang.f(
        "recording",
        &[("n", &exhibit(n)), ("name", &clean(&item.original.name))],
    ));
    match r.pictures.get(&item.path) {
        Some(p) if p.frames > 0 => {
            sink.subheading(lang.t("waveform"));
            sink.figure(Figure::Waveform(p), lang);
            sink.subheading(lang.t("spectrogram"));
            sink.figure(Figure::Spectrogram(p), lang);
        }
        _ => {
            let intact = r.recordings.iter().any(|x| x.path == item.path && x.intact);
            let why = match (&item.media, intact) {
                (_, false) => "no_pictures.failed",
                (Some(m), true) if m.decoder.is_some() => "no_pictures.compressed",
                _ => "no_pictures.not_decoded",
            };
            sink.paragraph(&lang.f("no_pictures", &[("why", lang.t(why))]));
        }
    }
    let Some(m) = &item.media else {
        return;
    };
    sink.subheading(lang.t("decode"));
    let length = |frames: Option<u64>| {
        frames
            .map(|f| {
                let secs = m
                    .sample_rate
                    .filter(|r| *r > 0)
                    .map(|r| seconds(f as f64 / f64::from(r)))
                    .unwrap_or_else(|| "?".into());
                lang.f(
                    "frames_seconds",
                    &[("frames", &f.to_string()), ("seconds", &secs)],
                )
            })
            .unwrap_or_else(|| "-".into())
    };
    let mut rows = vec![
        (
            lang.t("format").to_string(),
            Cell::new(format_of(Some(m), lang)),
        ),
        (lang.t("reader").to_string(), Cell::new(clean(&m.reader))),
        (
            lang.t("declared_length").to_string(),
            Cell::new(length(m.declared_frames)),
        ),
        (
            lang.t("decoded_length").to_string(),
            Cell::new(length(m.decoded_frames)),
        ),
        (
            lang.t("decoder").to_string(),
            Cell::new(
                m.decoder
                    .as_deref()
                    .map(clean)
                    .unwrap_or_else(|| "-".into()),
            ),
        ),
        (
            lang.t("embedded_checksum").to_string(),
            Cell::new(
                m.embedded_checksum
                    .map(|c| format!("{c:?}").to_lowercase())
                    .unwrap_or_else(|| "-".into()),
            ),
        ),
    ];
    if let Some(sha) = &m.pcm_sha256 {
        rows.push((
            lang.t("pcm_sha256").to_string(),
            Cell::mono(format!(
                "{sha} ({})",
                m.pcm_format.as_deref().map(clean).unwrap_or_default()
            )),
        ));
    }
    if let Some(p) = r.pictures.get(&item.path) {
        rows.push((
            lang.t("clipping").to_string(),
            Cell::new(format!(
                "{} / {} ({:.3} %)",
                p.clipped_samples,
                p.samples,
                p.clipped_share() * 100.0
            )),
        ));
    }
    sink.key_values(&rows);
    if !m.tags.is_empty() {
        sink.subheading(lang.t("tags"));
        let rows = m
            .tags
            .iter()
            .map(|t| {
                let key = match &t.key {
                    Some(k) => format!("{} [{}]", clean(k), clean(&t.raw_key)),
                    None => clean(&t.raw_key),
                };
                Row::Cells(vec![Cell::new(key), Cell::new(clean(&t.value))])
            })
            .collect();
        sink.table(&Table {
            headers: vec![lang.t("tag_key").into(), lang.t("tag_value").into()],
            widths: vec![1.0, 3.0],
            rows,
        });
    }
}
