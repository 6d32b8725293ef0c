//! Reports a court can file: the HTML page is self-contained and renders in a browser, the PDF
//! earwitness writes passes qpdf, embeds its fonts, is A4, and gives back every digest and name
//! as text; the verdict comes first and the exit code is verify's; a golden report; French; and
//! a clipped recording reported as such.

mod common;

use common::{Scratch, bin, code, fixtures, have_tool, run};
use std::path::{Path, PathBuf};
use std::process::Command;

/// What one `earwitness report` run wrote.
struct Made {
    code: i32,
    stdout: String,
    html: String,
    pdf: Vec<u8>,
    pdf_path: PathBuf,
}

/// Runs `earwitness report BUNDLE --out DIR/NAME.html --pdf DIR/NAME.pdf ARGS`.
fn report(dir: &Path, name: &str, bundle: &Path, args: &[&str]) -> Made {
    let html_path = dir.join(format!("{name}.html"));
    let pdf_path = dir.join(format!("{name}.pdf"));
    let out = run(bin()
        .arg("report")
        .arg(bundle)
        .arg("--out")
        .arg(&html_path)
        .arg("--pdf")
        .arg(&pdf_path)
        .args(args));
    let code = code(&out);
    assert_ne!(code, 2, "report failed");
    Made {
        code,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        html: std::fs::read_to_string(&html_path).expect("the HTML report"),
        pdf: std::fs::read(&pdf_path).expect("the PDF report"),
        pdf_path,
    }
}

fn verify_code(bundle: &Path, args: &[&str]) -> i32 {
    code(&run(bin().arg("verify").arg(bundle).args(args)))
}

fn vector(name: &str) -> PathBuf {
    fixtures().join("vectors").join(name)
}

fn key_pub() -> String {
    vector("key.pub").display().to_string()
}

/// A tool's standard output, asserting it succeeded.
fn tool(program: &str, args: &[&str], file: &Path) -> String {
    let out = run(Command::new(program).args(args).arg(file));
    assert!(
        out.status.success(),
        "{program} failed on {}",
        file.display()
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `pdftotext FILE -` (reading order), with every run of white space made one space.
fn pdf_words(file: &Path) -> String {
    let out = run(Command::new("pdftotext").arg(file).arg("-"));
    assert!(out.status.success(), "pdftotext failed");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn first_line(file: &Path) -> String {
    let out = run(Command::new("pdftotext").arg(file).arg("-"));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default()
        .to_string()
}

/// pdfinfo's page count and page size in points.
fn pdf_pages_and_size(file: &Path) -> (usize, f64, f64) {
    let info = tool("pdfinfo", &[], file);
    let field = |name: &str| {
        info.lines()
            .find_map(|l| l.strip_prefix(name))
            .map(str::trim)
            .unwrap_or_else(|| panic!("pdfinfo has no {name}: {info}"))
            .to_string()
    };
    let pages: usize = field("Pages:").parse().expect("a page count");
    let size = field("Page size:");
    let mut numbers = size
        .split_whitespace()
        .filter_map(|w| w.parse::<f64>().ok());
    let (w, h) = (numbers.next().unwrap(), numbers.next().unwrap());
    (pages, w, h)
}

fn assert_a4(w: f64, h: f64) {
    assert!(
        (w - 595.28).abs() <= 1.0 && (h - 841.89).abs() <= 1.0,
        "not A4: {w} x {h} pts"
    );
}

/// The text of the HTML body's first element, unescaped enough for these reports.
fn html_verdict(html: &str) -> String {
    let body = &html[html.find("<body>").expect("a body") + "<body>".len()..];
    let start = body.find('>').expect("a first element") + 1;
    let end = start + body[start..].find('<').expect("its end");
    body[start..end]
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// SHA-256 of a file, in hex.
fn sha256_file(path: &Path) -> String {
    let file = std::fs::File::open(path).expect("open");
    earwitness::digest::hash_reader(file)
        .expect("hash")
        .sha256
        .to_hex()
}

/// Checks the verdict comes first in the HTML body and in the PDF's text, and says `prefix`.
fn assert_verdict_first(made: &Made, prefix: &str) {
    let verdict = html_verdict(&made.html);
    assert!(verdict.starts_with(prefix), "{verdict:?}");
    assert!(
        made.html
            .split("<body>")
            .nth(1)
            .is_some_and(|b| b.trim_start().starts_with("<p class=\"verdict")),
        "the verdict is the body's first element"
    );
    assert!(
        made.stdout.contains(&format!("RESULT: {verdict}")),
        "{}",
        made.stdout
    );
    if have_tool("pdftotext", &["-v"]) {
        let sentence = verdict.split_whitespace().collect::<Vec<_>>().join(" ");
        let first = first_line(&made.pdf_path);
        let label = &prefix[..prefix.find(':').expect("a label") + 1];
        assert!(
            first.starts_with(label) && sentence.starts_with(first.trim_end()),
            "first line of the PDF: {first:?}"
        );
        let words = pdf_words(&made.pdf_path);
        assert!(words.starts_with(&sentence), "{words:.300}");
    }
}

#[test]
fn each_verdict_comes_first_with_verifys_exit_code() {
    let s = Scratch::new();
    let dir = s.dir.path();
    let good = vector("good.zip");
    let trust = key_pub();

    let made = report(dir, "verified", &good, &["--trust", &trust]);
    assert_eq!(made.code, 0);
    assert_eq!(verify_code(&good, &["--trust", &trust]), 0);
    assert_verdict_first(&made, "VERIFIED: every file is exactly as it was sealed");

    let made = report(dir, "untrusted", &good, &[]);
    assert_eq!((made.code, verify_code(&good, &[])), (3, 3));
    assert_verdict_first(
        &made,
        "INTACT, NOT FULLY TRUSTED: every file is exactly as it was sealed and every signature is valid, but no trusted key was given",
    );

    let tampered = vector("payload-flipped.zip");
    let made = report(dir, "tampered", &tampered, &["--trust", &trust]);
    assert_eq!(
        (made.code, verify_code(&tampered, &["--trust", &trust])),
        (1, 1)
    );
    assert_verdict_first(&made, "FAILED: this bundle is not as it was sealed");
    assert!(made.html.contains("payload.hash.mismatch"));

    // Partly trusted: the officer seals and hands over, the lawyer receives; only the officer
    // is trusted, so the receipt event is not.
    let officer = s.keygen("officer");
    let lawyer = s.keygen("lawyer");
    let bundle = s.seal(&officer, "chain", &[vector("input-call.wav")]);
    let out = run(bin()
        .arg("transfer")
        .arg(&bundle)
        .arg("--key")
        .arg(&officer)
        .args(["--to", "Lawyer B", "--to-key"])
        .arg(lawyer.with_extension("pub")));
    assert_eq!(code(&out), 0);
    let out = run(bin().arg("receive").arg(&bundle).arg("--key").arg(&lawyer));
    assert_eq!(code(&out), 0);
    let officer_pub = officer.with_extension("pub").display().to_string();
    let made = report(dir, "partly", &bundle, &["--trust", &officer_pub]);
    assert_eq!(
        (made.code, verify_code(&bundle, &["--trust", &officer_pub])),
        (3, 3)
    );
    assert_verdict_first(
        &made,
        "INTACT, NOT FULLY TRUSTED: every file is exactly as it was sealed and every signature is valid, but event 3 is signed by keys",
    );
}

#[test]
fn the_html_is_self_contained() {
    let s = Scratch::new();
    let made = report(
        s.dir.path(),
        "r",
        &vector("good.zip"),
        &["--trust", &key_pub()],
    );
    let html = &made.html;
    let csp = html
        .lines()
        .find(|l| l.contains("http-equiv=\"Content-Security-Policy\""))
        .expect("a Content-Security-Policy meta tag");
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(!html.to_ascii_lowercase().contains("<script"));
    // Every src and href is inline data; no attribute points at the network.
    let mut attributes = 0;
    for attr in ["src=\"", "href=\"", "src='", "href='"] {
        for (i, _) in html.match_indices(attr) {
            let value = &html[i + attr.len()..];
            attributes += 1;
            assert!(value.starts_with("data:"), "{:.80}", value);
        }
    }
    assert!(attributes >= 2, "the pictures are inline images");
    for url in ["http://", "https://"] {
        for (i, _) in html.match_indices(url) {
            let before = &html[i.saturating_sub(7)..i];
            assert_eq!(before, "xmlns=\"", "a URL outside an SVG namespace");
        }
    }
    // The waveform and the spectrogram are there.
    assert!(html.contains("<path d=\"M") && html.contains("data:image/png;base64,"));
}

/// A bundle of several recordings: every shipped audio fixture and a text file.
fn many_recordings(s: &Scratch) -> PathBuf {
    let key = s.keygen("key");
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(fixtures().join("audio"))
        .expect("fixtures/audio")
        .map(|e| e.expect("entry").path())
        .collect();
    inputs.sort();
    inputs.push(fixtures().join("other/notes.txt"));
    s.seal(&key, "many", &inputs)
}

#[test]
fn the_pdf_is_valid_a4_with_fonts_embedded_and_every_digest_as_text() {
    let s = Scratch::new();
    let bundle = many_recordings(&s);
    let key = s.path("key.pub").display().to_string();
    let made = report(s.dir.path(), "r", &bundle, &["--trust", &key]);
    assert_eq!(made.code, 0);
    assert!(made.pdf.starts_with(b"%PDF-"));
    // The same bundle gives the same PDF, byte for byte.
    let again = report(s.dir.path(), "again", &bundle, &["--trust", &key]);
    assert!(again.pdf == made.pdf, "the PDF is not deterministic");

    let pdf = &made.pdf_path;
    if have_tool("qpdf", &["--version"]) {
        let out = run(Command::new("qpdf").arg("--check").arg(pdf));
        assert_eq!(out.status.code(), Some(0), "qpdf --check");
    }
    if !have_tool("pdfinfo", &["-v"]) {
        return;
    }
    let (pages, w, h) = pdf_pages_and_size(pdf);
    assert_a4(w, h);
    let recordings = std::fs::read_dir(fixtures().join("audio")).unwrap().count();
    assert!(pages > recordings + 1, "{pages} pages");
    let fonts = tool("pdffonts", &[], pdf);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert_eq!(rows.len(), 3, "three faces: {fonts}");
    for row in &rows {
        let cols: Vec<&str> = row.split_whitespace().collect();
        // name type encoding emb sub uni object ID
        let n = cols.len();
        assert_eq!(&cols[n - 5..n - 2], &["yes", "yes", "yes"], "{row}");
    }
    // PDF/A-2b, and the only date is the seal's (the clock is never read) ...
    let meta = tool("pdfinfo", &["-meta"], pdf);
    assert!(meta.contains("<pdfaid:part>2</pdfaid:part>"), "{meta}");
    assert!(meta.contains("<pdfaid:conformance>B</pdfaid:conformance>"));
    assert!(meta.contains("<xmp:CreateDate>2025-10-23T00:00:00+00:00</xmp:CreateDate>"));
    // ... unless SOURCE_DATE_EPOCH says otherwise.
    let dated = s.path("dated.pdf");
    let out = run(bin()
        .env("SOURCE_DATE_EPOCH", "1800000000")
        .arg("report")
        .arg(&bundle)
        .arg("--out")
        .arg(s.path("dated.html"))
        .arg("--pdf")
        .arg(&dated));
    assert_eq!(code(&out), 3);
    let meta = tool("pdfinfo", &["-meta"], &dated);
    assert!(meta.contains("<xmp:CreateDate>2027-01-15T08:00:00+00:00</xmp:CreateDate>"));

    let words = pdf_words(pdf);
    let listing: serde_json::Value =
        serde_json::from_slice(&run(bin().arg("verify").arg(&bundle).arg("--json")).stdout)
            .unwrap();
    let recordings = listing["recordings"].as_array().expect("recordings");
    assert_eq!(recordings.len(), 13);
    for r in recordings {
        let sha = r["sha256"].as_str().unwrap();
        assert!(words.contains(sha), "{sha} is not in the PDF's text");
        let name = r["name"].as_str().unwrap();
        assert!(words.contains(name), "{name} is not in the PDF's text");
    }
    assert!(words.contains(&sha256_file(&bundle)));
    assert!(words.contains("CASE-2026-17"));
    assert!(words.contains(&format!("Page {pages} of {pages}")));
}

#[test]
fn chromium_renders_the_html_on_a4() {
    if !have_tool("chromium", &["--version"]) {
        return;
    }
    let s = Scratch::new();
    let made = report(
        s.dir.path(),
        "r",
        &vector("good.zip"),
        &["--trust", &key_pub()],
    );
    let html = s.path("r.html");
    let chromium = |extra: &[&str]| {
        let profile = s.path("profile");
        let out = run(Command::new("chromium")
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .args(extra)
            .arg(format!("file://{}", html.display())));
        assert!(out.status.success(), "chromium failed");
    };
    let png_path = s.path("r.png");
    chromium(&[
        &format!("--screenshot={}", png_path.display()),
        "--window-size=1200,1600",
    ]);
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(&png_path).expect("the screenshot"),
    ));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("a size")];
    let frame = reader.next_frame(&mut buf).expect("a frame");
    assert_eq!((frame.width, frame.height), (1200, 1600));
    let channels = frame.color_type.samples();
    let pixels = &buf[..frame.buffer_size()];
    let ink = pixels
        .chunks(channels)
        .filter(|p| p.iter().take(3).any(|v| *v < 200))
        .count();
    let coloured = pixels
        .chunks(channels)
        .filter(|p| p.len() >= 3 && p[0].abs_diff(p[1]).max(p[1].abs_diff(p[2])) > 40)
        .count();
    let total = (frame.width * frame.height) as usize;
    // Text, tables and the verdict's green box: ink on a few percent of the page, some colour.
    assert!(ink * 100 > total, "{ink} of {total} pixels are not white");
    assert!(coloured > 1000, "{coloured} coloured pixels");

    if !have_tool("pdfinfo", &["-v"]) {
        return;
    }
    let printed = s.path("printed.pdf");
    chromium(&[
        &format!("--print-to-pdf={}", printed.display()),
        "--no-pdf-header-footer",
    ]);
    let (pages, w, h) = pdf_pages_and_size(&printed);
    assert_a4(w, h);
    // At least the pages the report breaks before: the cover, one page per recording (a WAV
    // and a text file), and the custody, findings and how-to-verify sections; and about as many
    // as earwitness's own PDF, which breaks at the same places.
    let (own, _, _) = pdf_pages_and_size(&made.pdf_path);
    assert!((4..=6).contains(&pages), "{pages} printed pages");
    assert!(
        pages.abs_diff(own) <= 1,
        "{pages} printed, {own} in earwitness's PDF"
    );
}

/// The golden report: regenerate with `EARWITNESS_UPDATE_GOLDEN=1 cargo test --test report`
/// after a change that is meant to change it, and review the diff.
#[test]
fn the_golden_report_changes_only_with_the_code() {
    let s = Scratch::new();
    let html = s.path("report.html");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = run(bin().current_dir(root).args([
        "report",
        "fixtures/vectors/good.zip",
        "--trust",
        "fixtures/vectors/key.pub",
        "--tz",
        "UTC",
        "--out",
        &html.display().to_string(),
    ]));
    assert_eq!(code(&out), 0);
    let got = std::fs::read_to_string(&html).unwrap();
    let golden = root.join("tests/golden/report/report.html");
    if std::env::var("EARWITNESS_UPDATE_GOLDEN").as_deref() == Ok("1") {
        std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
        std::fs::write(&golden, &got).unwrap();
    }
    let want = std::fs::read_to_string(&golden).expect(
        "tests/golden/report/report.html (make it with EARWITNESS_UPDATE_GOLDEN=1 cargo test --test report)",
    );
    if got != want {
        let line = got
            .lines()
            .zip(want.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        panic!(
            "the report differs from tests/golden/report/report.html from line {}:\n got: {:.200}\nwant: {:.200}\n(if the change is meant, EARWITNESS_UPDATE_GOLDEN=1 cargo test --test report)",
            line + 1,
            got.lines().nth(line).unwrap_or(""),
            want.lines().nth(line).unwrap_or("")
        );
    }
}

#[test]
fn the_french_report_is_in_french() {
    let s = Scratch::new();
    let made = report(
        s.dir.path(),
        "fr",
        &vector("good.zip"),
        &["--trust", &key_pub(), "--lang", "fr"],
    );
    assert_eq!(made.code, 0);
    assert!(made.html.contains("<html lang=\"fr\""));
    assert_verdict_first(
        &made,
        "VÉRIFIÉ : chaque fichier est exactement tel qu'il a été scellé",
    );
    assert!(made.html.contains("Rapport de preuve"));
    assert!(!made.html.contains("Evidence report"));
    if have_tool("pdftotext", &["-v"]) {
        let words = pdf_words(&made.pdf_path);
        assert!(words.contains("Rapport de preuve"), "{words:.400}");
        assert!(words.contains("Page 1 sur"), "{words:.400}");
    }
    let out = run(bin()
        .arg("report")
        .arg(vector("good.zip"))
        .args(["--lang", "xx", "--out"])
        .arg(s.path("xx.html")));
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("en, fr"));
}

/// A mono 16-bit WAV of a 440 Hz sine at `gain` times full scale, clamped; and how many of its
/// samples sit at full scale in runs of two or more (the analysis's rule).
fn clipped_wav(path: &Path, gain: f64) -> (u64, u64) {
    let rate = 8000u32;
    let samples: Vec<i16> = (0..rate * 2)
        .map(|i| {
            let v =
                gain * (2.0 * std::f64::consts::PI * 440.0 * f64::from(i) / f64::from(rate)).sin();
            (v * 32768.0).round().clamp(-32768.0, 32767.0) as i16
        })
        .collect();
    let mut clipped = 0u64;
    let mut run_len = 0u64;
    for s in samples.iter().chain(std::iter::once(&0)) {
        if *s == 32767 || *s == -32768 {
            run_len += 1;
        } else {
            if run_len >= 2 {
                clipped += run_len;
            }
            run_len = 0;
        }
    }
    let data: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
    let mut wav = Vec::new();
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes()); // PCM
    wav.extend_from_slice(&1u16.to_le_bytes()); // mono
    wav.extend_from_slice(&rate.to_le_bytes());
    wav.extend_from_slice(&(rate * 2).to_le_bytes());
    wav.extend_from_slice(&2u16.to_le_bytes());
    wav.extend_from_slice(&16u16.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&(data.len() as u32).to_le_bytes());
    wav.extend_from_slice(&data);
    std::fs::write(path, wav).unwrap();
    (clipped, samples.len() as u64)
}

#[test]
fn a_clipped_recording_is_reported_with_its_share() {
    let s = Scratch::new();
    let loud = s.path("loud.wav");
    let quiet = s.path("quiet.wav");
    let (clipped, samples) = clipped_wav(&loud, 2.0);
    assert!(clipped > samples / 4, "{clipped} of {samples}");
    assert_eq!(clipped_wav(&quiet, 0.5).0, 0);
    let key = s.keygen("key");
    let bundle = s.seal(&key, "clip", &[loud, quiet]);
    let made = report(s.dir.path(), "r", &bundle, &[]);
    let share = format!("{:.2} %", clipped as f64 / samples as f64 * 100.0);
    let finding = format!("{share} of the samples ({clipped} of {samples}) are at full scale");
    assert!(made.html.contains(&finding), "{finding}");
    assert_eq!(
        made.html.matches("audio.clipping").count(),
        2,
        "one exhibit note and one finding"
    );
    assert!(made.html.contains("data/originals/loud.wav: "));
    assert!(!made.html.contains("data/originals/quiet.wav: "));
    if have_tool("pdftotext", &["-v"]) {
        let words = pdf_words(&made.pdf_path);
        assert!(words.contains(&finding), "{words}");
        assert!(words.contains("audio.clipping"));
    }
}
