//! The document model every report kind is assembled into, and every renderer reads: a cover
//! (facts), numbered sections holding text, key-value facts, narrative slots (a human's draft,
//! or MISSING), tables and figures. Each table and figure carries its provenance: the query it
//! came from, the period, the filters and a fingerprint of exactly the data it shows. The
//! document's own data fingerprint is the SHA-256 of its content with the generation time and
//! the approval left out, so two generations from the same data and inputs share it.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What a report is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportKind {
    /// Periodic safety update report (MDR Art. 86, MDCG 2022-21).
    Psur,
    /// Post-market surveillance report of a class I device (Art. 85).
    Pms,
    /// Trend report (Art. 88).
    Trend,
}

impl ReportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReportKind::Psur => "psur",
            ReportKind::Pms => "pms",
            ReportKind::Trend => "trend",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [ReportKind::Psur, ReportKind::Pms, ReportKind::Trend]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A data period, both days included.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    pub fn contains(&self, day: NaiveDate) -> bool {
        (self.from..=self.to).contains(&day)
    }

    /// `2025-03-01 to 2026-02-28`.
    pub fn label(&self) -> String {
        format!("{} to {}", self.from, self.to)
    }
}

/// Where a figure's numbers come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// The named query or port method, e.g. `usage_counts` or `findings(rule=mean_dice:*)`.
    pub query: String,
    pub period: Period,
    /// Device, model versions, region, stratum ...: what the query was restricted to.
    pub filters: BTreeMap<String, String>,
    /// SHA-256 of the canonical JSON of the source rows the figure was computed from.
    pub data_fingerprint: String,
}

/// A table; cells are already formatted (suppressed cells read `< k`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    /// Stable id, e.g. `table-1`.
    pub id: String,
    pub title: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Denominator basis, suppression rule, data gaps.
    pub note: Option<String>,
    pub provenance: Provenance,
}

/// A line chart: points, an optional horizontal limit, axis labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    pub id: String,
    pub title: String,
    pub y_label: String,
    /// (day, value) points in day order.
    pub points: Vec<(NaiveDate, f64)>,
    pub limit: Option<f64>,
    pub caption: String,
    pub provenance: Provenance,
}

/// One piece of a section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    /// Text Vigil states from the data or the rules (never judgement).
    Text {
        text: String,
    },
    /// Labelled facts, shown as a two-column list.
    Facts {
        rows: Vec<(String, String)>,
    },
    /// A slot a person fills through the API; `text: None` is shown as MISSING.
    Narrative {
        field: String,
        label: String,
        text: Option<String>,
        /// Shown in bold (the PSUR's benefit-risk statement).
        bold: bool,
    },
    Table(Table),
    Figure(Figure),
}

/// A numbered section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    /// `1`, `2`, ... or `8(e)` for a subsection.
    pub number: String,
    pub title: String,
    pub blocks: Vec<Block>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subsections: Vec<Section>,
}

/// Who approved the document, and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Approval {
    pub by: String,
    pub at: DateTime<Utc>,
}

/// A whole report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    pub kind: ReportKind,
    pub title: String,
    /// Stable across the device's updates (PSUR reference number).
    pub reference: String,
    pub version: i64,
    pub period: Period,
    /// Cover-page facts (manufacturer, devices, notified body, ...).
    pub cover: Vec<(String, String)>,
    pub sections: Vec<Section>,
    /// Key figures kept for the next report's comparison.
    pub figures: BTreeMap<String, f64>,
    pub data_fingerprint: String,
    pub generated_at: DateTime<Utc>,
    pub approval: Option<Approval>,
}

/// SHA-256 (hex) of a value's JSON. serde_json writes struct fields in declaration order and
/// `BTreeMap`s sorted, so equal values give equal hashes.
pub fn fingerprint<T: Serialize>(value: &T) -> String {
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    hex::encode(Sha256::digest(&bytes))
}

impl Document {
    /// Compute and set the data fingerprint: over everything but the generation time, the
    /// approval and the fingerprint itself.
    pub fn seal(&mut self) {
        let content = (
            &self.kind,
            &self.title,
            &self.reference,
            &self.version,
            &self.period,
            &self.cover,
            &self.sections,
            &self.figures,
        );
        self.data_fingerprint = fingerprint(&content);
    }

    /// Every section and subsection in reading order.
    pub fn all_sections(&self) -> Vec<&Section> {
        fn walk<'a>(s: &'a Section, out: &mut Vec<&'a Section>) {
            out.push(s);
            for sub in &s.subsections {
                walk(sub, out);
            }
        }
        let mut out = Vec::new();
        for s in &self.sections {
            walk(s, &mut out);
        }
        out
    }

    /// Every table, in reading order.
    pub fn tables(&self) -> Vec<&Table> {
        self.all_sections()
            .into_iter()
            .flat_map(|s| s.blocks.iter())
            .filter_map(|b| match b {
                Block::Table(t) => Some(t),
                _ => None,
            })
            .collect()
    }

    /// Every figure, in reading order.
    pub fn figures_in_order(&self) -> Vec<&Figure> {
        self.all_sections()
            .into_iter()
            .flat_map(|s| s.blocks.iter())
            .filter_map(|b| match b {
                Block::Figure(f) => Some(f),
                _ => None,
            })
            .collect()
    }

    /// Narrative fields that are still missing.
    pub fn missing_narratives(&self) -> Vec<String> {
        self.all_sections()
            .into_iter()
            .flat_map(|s| s.blocks.iter())
            .filter_map(|b| match b {
                Block::Narrative {
                    field, text: None, ..
                } => Some(field.clone()),
                _ => None,
            })
            .collect()
    }
}

/// A section with blocks and no subsections.
pub fn section(number: &str, title: &str, blocks: Vec<Block>) -> Section {
    Section {
        number: number.into(),
        title: title.into(),
        blocks,
        subsections: Vec::new(),
    }
}

/// A text block.
pub fn text(s: impl Into<String>) -> Block {
    Block::Text { text: s.into() }
}

/// A narrative slot filled from the drafts (or missing).
pub fn narrative(drafts: &BTreeMap<String, String>, field: &str, label: &str, bold: bool) -> Block {
    Block::Narrative {
        field: field.into(),
        label: label.into(),
        text: drafts.get(field).filter(|t| !t.trim().is_empty()).cloned(),
        bold,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn doc(at: &str) -> Document {
        Document {
            kind: ReportKind::Psur,
            title: "PSUR".into(),
            reference: "PSUR-X".into(),
            version: 1,
            period: Period {
                from: day("2025-01-01"),
                to: day("2025-12-31"),
            },
            cover: vec![("Manufacturer".into(), "ACME".into())],
            sections: vec![section(
                "1",
                "Cover",
                vec![narrative(&BTreeMap::new(), "x", "X", false)],
            )],
            figures: BTreeMap::new(),
            data_fingerprint: String::new(),
            generated_at: at.parse().unwrap(),
            approval: None,
        }
    }

    #[test]
    fn fingerprint_ignores_generation_time_and_approval_but_not_content() {
        let (mut a, mut b) = (doc("2026-01-01T00:00:00Z"), doc("2026-02-01T00:00:00Z"));
        b.approval = Some(Approval {
            by: "user:ra".into(),
            at: "2026-02-02T00:00:00Z".parse().unwrap(),
        });
        a.seal();
        b.seal();
        assert_eq!(a.data_fingerprint, b.data_fingerprint);
        b.cover[0].1 = "ACME GmbH".into();
        b.seal();
        assert_ne!(a.data_fingerprint, b.data_fingerprint);
    }

    #[test]
    fn blank_drafts_are_missing() {
        let mut drafts = BTreeMap::new();
        drafts.insert("x".to_string(), "  ".to_string());
        let mut d = doc("2026-01-01T00:00:00Z");
        d.sections[0].blocks = vec![narrative(&drafts, "x", "X", false)];
        assert_eq!(d.missing_narratives(), vec!["x".to_string()]);
    }
}
