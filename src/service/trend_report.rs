//! Drafting one Art. 88 trend report: the JSON document (signal, method, expected rate and its
//! source, the daily series, provenance with the query, filters and a SHA-256 fingerprint of
//! the data, and the fields a person must write marked missing), the report document
//! (`reports::trend`) rendered as PDF and JSON by the MDR report pipeline, the EUDAMED
//! `mtrType` XML that attaches it, all stored as blobs; then the record with its audit entry,
//! and, when the model belongs to a registered device, the document's `reports` row (same id),
//! which a regulatory user approves like a PSUR. The same data and inputs give the same JSON,
//! XML and PDF bytes apart from the generation time. `requested_document` builds the same
//! document for `POST /api/v1/reports {kind: "trend"}` (every declared class of the device's
//! models over the requested period).

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::admin::Actor;
use super::reports::{ReportError, record_document, render_and_put};
use super::trend::{TrendServiceError, countries, summary, trend_data, trend_plan};
use crate::blobs::BlobStore;
use crate::domain::audit::AuditDraft;
use crate::monitoring::trend_eval::{TrendData, TrendSignal};
use crate::reports::trend::{TrendClassFacts, TrendDay, TrendInput, assemble_trend};
use crate::reports::{Document, Period, ReportKind};
use crate::storage::{Store, StoreError, TrendReportRecord};
use crate::vigilance::device::Device;
use crate::vigilance::mtr::{ENUMERATION_VALUES, MtrInput, write_mtr};

/// What a report is drafted from.
pub struct ReportFacts<'a> {
    pub model: &'a str,
    pub model_ids: &'a [String],
    pub newest_model_id: &'a str,
    pub plan_version: i64,
    pub signal: &'a TrendSignal,
    pub data: &'a TrendData,
    pub countries: Vec<String>,
    pub alert_id: Option<String>,
}

/// The daily series of the signal's class and its fingerprint.
fn series(f: &ReportFacts<'_>) -> (Value, String) {
    let counts = f
        .data
        .counts
        .get(&f.signal.class)
        .cloned()
        .unwrap_or_default();
    let rows: Vec<Value> = f
        .data
        .days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            json!({"day": d, "denominator": f.data.exposure.get(i), "events": counts.get(i)})
        })
        .collect();
    let value = Value::Array(rows);
    let fingerprint = hex::encode(Sha256::digest(value.to_string().as_bytes()));
    (value, fingerprint)
}

/// The daily series of one class, for the report document.
pub fn class_days(data: &TrendData, class: &str) -> Vec<TrendDay> {
    let counts = data.counts.get(class).cloned().unwrap_or_default();
    data.days
        .iter()
        .enumerate()
        .map(|(i, d)| TrendDay {
            day: *d,
            denominator: data.exposure.get(i).copied().unwrap_or(0),
            events: counts.get(i).copied().unwrap_or(0),
        })
        .collect()
}

/// Narrative drafts of a device's trend report period (none without a device).
fn drafts(
    store: &dyn Store,
    device: Option<&Device>,
    period: Period,
) -> Result<std::collections::BTreeMap<String, String>, StoreError> {
    let Some(d) = device else {
        return Ok(Default::default());
    };
    Ok(store
        .narratives(&d.basic_udi_di, ReportKind::Trend, period)?
        .into_iter()
        .map(|n| (n.field, n.text))
        .collect())
}

/// The version a new document of `reference` gets: one more than those stored.
fn next_version(
    store: &dyn Store,
    device: Option<&Device>,
    reference: &str,
) -> Result<i64, StoreError> {
    let Some(d) = device else { return Ok(1) };
    let n = store
        .device_reports(&d.basic_udi_di, ReportKind::Trend)?
        .iter()
        .filter(|r| r.reference == reference)
        .count();
    Ok(1 + n as i64)
}

/// The report document of one drafted signal.
pub fn signal_document(
    store: &dyn Store,
    f: &ReportFacts<'_>,
    device: Option<&Device>,
    now: DateTime<Utc>,
) -> Result<Document, StoreError> {
    let s = f.signal;
    let period = Period {
        from: s.period_from,
        to: s.period_to,
    };
    let owner = device.map_or(f.model, |d| d.basic_udi_di.as_str());
    let reference = format!("TREND-{owner}-{}-{}", s.class, s.period_to);
    let input = TrendInput {
        version: next_version(store, device, &reference)?,
        reference,
        model: f.model.into(),
        model_versions: f.model_ids.to_vec(),
        device: device.cloned(),
        plan_version: f.plan_version,
        period,
        countries: f.countries.clone(),
        alert_id: f.alert_id.clone(),
        classes: vec![TrendClassFacts {
            signal: s.clone(),
            daily: class_days(f.data, &s.class),
        }],
        narratives: drafts(store, device, period)?,
    };
    Ok(assemble_trend(&input, now))
}

/// The JSON report (without the XML's hash, which refers to it); `pdf`: the rendered
/// document's (pdf, json) keys, or why it was not rendered.
pub fn report_json(
    f: &ReportFacts<'_>,
    device: Option<&str>,
    pdf: &Result<(String, String), String>,
    now: DateTime<Utc>,
) -> Value {
    let s = f.signal;
    let (daily, fingerprint) = series(f);
    json!({
        "kind": "trend",
        "status": "draft",
        "generated_at": now,
        "model": f.model,
        "model_versions": f.model_ids,
        "device": device,
        "plan_version": f.plan_version,
        "alert_id": f.alert_id,
        "signal": s,
        "statement": summary(s),
        "countries": f.countries,
        "daily": daily,
        "provenance": {
            "source": "daily_rollups",
            "query": "SUM(n) FROM daily_rollups WHERE model_id IN (model_versions) AND day BETWEEN period_from AND period_to AND measure IN (denominator, class measure) GROUP BY day, measure, value",
            "period": {"from": s.period_from, "to": s.period_to},
            "filters": {"model_versions": f.model_ids, "class": s.class},
            "data_fingerprint": fingerprint,
        },
        "to_be_written_by_the_manufacturer": {
            "root_cause_analysis": "missing",
            "risk_reduction_actions": "missing",
            "benefit_risk_assessment": "missing",
        },
        "pdf": match pdf {
            Ok((json, pdf)) => json!({"sha256": pdf, "document_json_sha256": json}),
            Err(e) => json!({"sha256": null, "not_rendered": e}),
        },
        "eudamed_enumeration_values": ENUMERATION_VALUES
            .iter()
            .map(|(e, v)| (e.to_string(), Value::from(*v)))
            .collect::<serde_json::Map<_, _>>(),
    })
}

fn blob_err(e: impl std::fmt::Display) -> TrendServiceError {
    TrendServiceError::Blob(e.to_string())
}

/// Draft, store and record the trend report of one significant signal.
pub fn draft_report(
    store: &dyn Store,
    blobs: &dyn BlobStore,
    f: &ReportFacts<'_>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<TrendReportRecord, TrendServiceError> {
    // The device of the newest version, else of the newest older version linked to one.
    let mut device = None;
    let newest_first =
        std::iter::once(f.newest_model_id).chain(f.model_ids.iter().rev().map(String::as_str));
    for id in newest_first {
        if let Some(udi) = store.device_for_model(id)? {
            device = store.device(&udi)?;
            break;
        }
    }
    let document = signal_document(store, f, device.as_ref(), now)?;
    // Without the `pdf` feature (or if typst fails) the JSON and XML are still drafted.
    let rendered = render_and_put(blobs, &document).map_err(|e| e.to_string());
    if let Err(e) = &rendered {
        tracing::warn!(error = %e, "trend report PDF not rendered");
    }
    let doc = report_json(
        f,
        device.as_ref().map(|d| d.basic_udi_di.as_str()),
        &rendered,
        now,
    );
    let json_bytes = serde_json::to_vec_pretty(&doc).map_err(blob_err)?;
    let json_key = blobs.put_bytes(&json_bytes).map_err(blob_err)?.key;
    let s = f.signal;
    let name = format!("trend-{}-{}-{}.json", f.model, s.class, s.period_to);
    let uri = format!("{}/trendDocument/{}/{name}", f.model, json_key.as_str());
    let xml = write_mtr(&MtrInput {
        created_at: now,
        identified: s.period_to,
        period_from: s.period_from,
        period_to: s.period_to,
        countries: &f.countries,
        device: device.as_ref(),
        background: &summary(s),
        imdrf_codes: &s.imdrf_codes,
        document: Some((&name, &uri)),
    })
    .map_err(blob_err)?;
    let xml_key = blobs.put_bytes(&xml).map_err(blob_err)?.key;
    let record = TrendReportRecord {
        id: uuid::Uuid::new_v4().to_string(),
        model_name: f.model.into(),
        class_name: s.class.clone(),
        period_from: s.period_from,
        period_to: s.period_to,
        plan_version: f.plan_version,
        alert_id: f.alert_id.clone(),
        json_sha256: json_key.as_str().into(),
        xml_sha256: xml_key.as_str().into(),
        pdf_sha256: rendered.as_ref().ok().map(|(_, pdf)| pdf.clone()),
        created_at: now,
        created_by: actor.into(),
    };
    let audit = AuditDraft {
        actor: actor.into(),
        action: "trend_report.draft".into(),
        target: record.id.clone(),
        details: json!({"model": f.model, "class": s.class, "period_to": s.period_to,
                        "json_sha256": record.json_sha256, "xml_sha256": record.xml_sha256})
        .to_string(),
    };
    match store.insert_trend_report(&record, &audit) {
        Ok(()) => {
            if let (Some(d), Ok(keys)) = (&device, &rendered) {
                // The document's reports row: approval, downloads and the PSUR's listing.
                let who = (
                    record.id.as_str(),
                    d.basic_udi_di.as_str(),
                    &Actor(actor.into()),
                );
                record_document(store, who, &document, keys.clone()).map_err(|e| match e {
                    ReportError::Store(s) => TrendServiceError::Store(s),
                    other => TrendServiceError::Invalid(other.to_string()),
                })?;
            }
            Ok(record)
        }
        // A concurrent evaluation drafted the same period first: keep its record.
        Err(StoreError::Conflict(_)) => store
            .trend_report_for(f.model, &s.class, s.period_to)?
            .ok_or_else(|| TrendServiceError::Invalid("trend report vanished".into())),
        Err(e) => Err(e.into()),
    }
}

/// The trend document `POST /api/v1/reports {kind: "trend"}` generates: every class the plans
/// of the device's models declare, evaluated over the requested period (significant or not),
/// with the narrative drafts of that device, kind and period. Nothing is drafted or alerted.
pub fn requested_document(
    store: &dyn Store,
    device: &Device,
    period: Period,
    now: DateTime<Utc>,
) -> Result<Document, TrendServiceError> {
    let software = store.device_software(&device.basic_udi_di)?;
    let mut models = Vec::new();
    let mut classes = Vec::new();
    let mut plan_version = 0;
    let mut versions: Vec<String> = Vec::new();
    for name in super::report_data::model_names(&software) {
        let ids: Vec<String> = software
            .iter()
            .filter(|s| s.model_id.split('@').next() == Some(name.as_str()))
            .map(|s| s.model_id.clone())
            .collect();
        let (version, _, trend) = match trend_plan(store, &name) {
            Ok(p) => p,
            Err(TrendServiceError::NoTrendSection(_)) => continue,
            Err(e) => return Err(e),
        };
        let data = trend_data(store, &ids, &trend, period.from, period.to)?;
        let signals = crate::monitoring::trend_eval::evaluate_trend(&trend, &data)
            .map_err(|e| TrendServiceError::Invalid(e.to_string()))?;
        for signal in signals {
            let daily = class_days(&data, &signal.class);
            classes.push(TrendClassFacts { signal, daily });
        }
        plan_version = plan_version.max(version);
        versions.extend(ids);
        models.push(name);
    }
    if models.is_empty() {
        return Err(TrendServiceError::NoTrendSection(
            super::report_data::model_names(&software).join(", "),
        ));
    }
    let reference = format!("TREND-{}-{}", device.basic_udi_di, period.to);
    let input = TrendInput {
        version: next_version(store, Some(device), &reference)?,
        reference,
        model: models.join(", "),
        countries: countries(store, &versions, period.from, period.to)?,
        model_versions: versions,
        device: Some(device.clone()),
        plan_version,
        period,
        alert_id: None,
        classes,
        narratives: drafts(store, Some(device), period)?,
    };
    Ok(assemble_trend(&input, now))
}
