//! PDF rendering with typst in-process (`report.typ`): the document goes in as JSON
//! (`sys.inputs.doc`), each figure as a PNG drawn with plotters (the alert chart's renderer,
//! embedded DejaVu font), the DejaVu Sans fonts are embedded and subset. The PDF carries no
//! creation timestamp and its identifier is derived from the data fingerprint, so the same
//! document always gives the same bytes. Cover page, table of contents, page numbers, table
//! headers repeated on every page a table spans, and "DRAFT - generated from data
//! fingerprint ..." on every page until the document carries an approval.

use chrono::NaiveDate;
use typst::foundations::{Dict, IntoValue, Smart};
use typst_as_lib::TypstEngine;
use typst_layout::PagedDocument;

use super::{RenderError, render_json};
use crate::alerting::chart::{SignalSeries, render_png};
use crate::reports::{Document, Figure};

static TEMPLATE: &str = include_str!("report.typ");

/// One figure as PNG: x is days since the first point.
pub fn figure_png(f: &Figure) -> Result<Vec<u8>, RenderError> {
    let origin: NaiveDate = f.points.first().map_or(NaiveDate::MIN, |p| p.0);
    let series = SignalSeries {
        title: f.title.clone(),
        y_label: f.y_label.clone(),
        points: f
            .points
            .iter()
            .map(|(d, v)| ((*d - origin).num_days() as f64, *v))
            .collect(),
        limit: f.limit,
    };
    render_png(&series).map_err(|e| RenderError::Chart(e.to_string()))
}

/// Render the document as PDF bytes.
pub fn render_pdf(doc: &Document) -> Result<Vec<u8>, RenderError> {
    let json =
        String::from_utf8(render_json(doc)?).map_err(|e| RenderError::Json(e.to_string()))?;
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for f in doc.figures_in_order() {
        files.push((format!("{}.png", f.id), figure_png(f)?));
    }
    let engine = TypstEngine::builder()
        .main_file(TEMPLATE)
        .fonts([
            dejavu::sans::regular(),
            dejavu::sans::bold(),
            dejavu::sans::oblique(),
        ])
        .with_static_file_resolver(
            files
                .iter()
                .map(|(name, png)| (name.as_str(), png.as_slice())),
        )
        .build();
    let mut input = Dict::new();
    input.insert("doc".into(), json.into_value());
    let paged: PagedDocument = engine
        .compile_with_input(input)
        .output
        .map_err(|e| RenderError::Typst(format!("{e:?}")))?;
    let ident = format!("vigil-{}-{}", doc.reference, doc.data_fingerprint);
    let options = typst_pdf::PdfOptions {
        ident: Smart::Custom(ident),
        timestamp: None,
        ..Default::default()
    };
    typst_pdf::pdf(&paged, &options).map_err(|e| RenderError::Pdf(format!("{e:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::{Approval, assemble, tests::sample_input};

    #[test]
    fn same_document_gives_the_same_pdf_bytes() {
        let doc = assemble(&sample_input(), "2026-01-10T00:00:00Z".parse().unwrap());
        let a = render_pdf(&doc).unwrap();
        let b = render_pdf(&doc).unwrap();
        assert!(a.starts_with(b"%PDF-"));
        assert_eq!(a, b);
        let mut approved = doc.clone();
        approved.approval = Some(Approval {
            by: "user:ra1".into(),
            at: "2026-01-11T00:00:00Z".parse().unwrap(),
        });
        assert_ne!(render_pdf(&approved).unwrap(), a);
    }
}
