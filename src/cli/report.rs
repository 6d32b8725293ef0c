//! `report`: verify a bundle exactly as `verify` does, and write what was found for people: one
//! self-contained HTML page, and a PDF.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::Args;

use super::args::{DecodeArgs, TrustArgs, TsaTrustArgs};
use super::error::CliError;
use earwitness::report::{self, Lang};
use earwitness::verify::{self, Deep, Options};

#[derive(Args)]
pub struct ReportArgs {
    /// The bundle: a .zip file or an unzipped bundle folder.
    bundle: PathBuf,
    /// Where to write the HTML report (one self-contained file).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Also write the report as a PDF (A4, fonts embedded).
    #[arg(long, value_name = "FILE")]
    pdf: Option<PathBuf>,
    #[command(flatten)]
    trust: TrustArgs,
    #[command(flatten)]
    tsa: TsaTrustArgs,
    /// A receipt from `receive --receipt`: the bundle must still contain its event. Repeatable.
    #[arg(long, value_name = "FILE")]
    expect_receipt: Vec<PathBuf>,
    /// Also compare a fresh decode of every recording with evidence.json (as verify --deep).
    #[arg(long)]
    deep: bool,
    /// Also show times in this time zone (an IANA name such as Europe/Paris, or `local`).
    #[arg(long, value_name = "ZONE")]
    tz: Option<String>,
    /// The report's language.
    #[arg(long, value_name = "CODE", default_value = "en")]
    lang: String,
    /// Replace existing report files.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    decode: DecodeArgs,
}

fn write_new(path: &Path, bytes: &[u8], force: bool) -> Result<(), CliError> {
    earwitness::atomic::write(path, 0o644, force, |f| f.write_all(bytes)).map_err(|e| {
        let err = CliError::io(format!("{}: cannot write the report", path.display()), e);
        if path.exists() && !force {
            err.hint("choose another file, or pass --force to replace it")
        } else {
            err
        }
    })
}

pub fn report(a: ReportArgs) -> Result<u8, CliError> {
    let lang = Lang::get(&a.lang).map_err(|e| CliError::usage(format!("--lang: {e}")))?;
    let trust = a.trust.resolve()?;
    for out in [Some(&a.out), a.pdf.as_ref()].into_iter().flatten() {
        if out.exists() && !a.force {
            return Err(
                CliError::usage(format!("{}: already exists", out.display()))
                    .hint("choose another file, or pass --force to replace it"),
            );
        }
    }
    let meta = std::fs::metadata(&a.bundle)
        .map_err(|e| CliError::io(format!("{}: no such file or folder", a.bundle.display()), e))?;
    let bundle_sha256 = if meta.is_dir() {
        "(a folder: no single file to hash)".to_string()
    } else {
        std::fs::File::open(&a.bundle)
            .and_then(earwitness::digest::hash_reader)
            .map_err(|e| CliError::io(format!("{}: cannot read", a.bundle.display()), e))?
            .sha256
            .to_hex()
    };
    let options = Options {
        trust,
        deep: Some(Deep {
            probe: a.decode.probe()?,
            parallel: a.decode.jobs(),
            compare: a.deep,
            pictures: true,
        }),
        expect_receipts: super::verify::receipts(&a.expect_receipt)?,
        tsa_roots: a.tsa.roots()?,
        tsa_tolerance: a.tsa.tolerance(),
        ..Options::default()
    };
    let found = verify::verify_path(&a.bundle, &options)
        .map_err(|e| CliError::io(format!("{}: cannot open", a.bundle.display()), e))?;
    let report_options = report::Options {
        lang,
        times: super::render::times(a.tz.as_deref())?,
        bundle_name: a
            .bundle
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| a.bundle.display().to_string()),
        bundle_sha256,
        created: earwitness::time::source_date_epoch().map_err(CliError::usage)?,
    };
    // Both are made before either is written: a PDF that cannot be made leaves nothing behind.
    let html = report::html::render(&found, &report_options);
    let pdf = match &a.pdf {
        Some(path) => Some((
            path,
            report::pdf::render(&found, &report_options)
                .map_err(|e| CliError::usage(format!("cannot make the PDF: {e}")))?,
        )),
        None => None,
    };
    write_new(&a.out, html.as_bytes(), a.force)?;
    let mut out = io::stdout().lock();
    writeln!(out, "report written to {}", a.out.display())?;
    if let Some((path, bytes)) = pdf {
        write_new(path, &bytes, a.force)?;
        writeln!(out, "PDF written to {}", path.display())?;
    }
    let (sentence, _) = report::content::verdict_sentence(&found, &report_options.lang);
    writeln!(out, "RESULT: {}", earwitness::text::safe(&sentence))?;
    Ok(super::render::exit_code(&found))
}
