//! Renderers of a `reports::Document`: JSON (the document itself: the same content, with the
//! provenance of every table and figure) and PDF (typst in-process, embedded DejaVu fonts,
//! charts drawn with plotters as PNG). Both are deterministic: the same document gives the
//! same bytes. This is the adapter side of `reports`, which stays pure.

#[cfg(feature = "pdf")]
pub mod pdf;

use crate::reports::Document;

/// Why a document could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("typst: {0}")]
    Typst(String),
    #[error("pdf export: {0}")]
    Pdf(String),
    #[error("{0}")]
    Chart(String),
    #[error("json: {0}")]
    Json(String),
}

/// The document as pretty JSON (the stored JSON rendering).
pub fn render_json(doc: &Document) -> Result<Vec<u8>, RenderError> {
    let mut out = serde_json::to_vec_pretty(doc).map_err(|e| RenderError::Json(e.to_string()))?;
    out.push(b'\n');
    Ok(out)
}

#[cfg(feature = "pdf")]
pub use pdf::render_pdf;

/// Without the `pdf` feature there is no PDF renderer: report jobs fail with this error.
#[cfg(not(feature = "pdf"))]
pub fn render_pdf(_doc: &Document) -> Result<Vec<u8>, RenderError> {
    Err(RenderError::Pdf(
        "this vigil was built without the pdf feature (cargo build --features pdf)".into(),
    ))
}
