//! The report as a PDF written by earwitness itself.

use crate::verify::Report;

/// Why the PDF could not be made.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PdfError(String);

/// The PDF's bytes.
pub fn render(_report: &Report, _options: &super::Options) -> Result<Vec<u8>, PdfError> {
    Err(PdfError("not yet".into()))
}
