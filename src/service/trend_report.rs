//! Drafting one Art. 88 trend report: the JSON document (signal, method, expected rate and its
//! source, the daily series, provenance with the query, filters and a SHA-256 fingerprint of
//! the data, and the fields a person must write marked missing), the EUDAMED `mtrType` XML
//! that attaches it, both stored as blobs; then the record with its audit entry. The same data
//! and inputs give the same JSON and XML bytes apart from `generated_at`.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::trend::{TrendServiceError, summary};
use crate::blobs::BlobStore;
use crate::domain::audit::AuditDraft;
use crate::monitoring::trend_eval::{TrendData, TrendSignal};
use crate::storage::{Store, StoreError, TrendReportRecord};
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

/// The JSON report (without the XML's hash, which refers to it).
pub fn report_json(f: &ReportFacts<'_>, device: Option<&str>, now: DateTime<Utc>) -> Value {
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
        "pdf": "not rendered: the PDF comes with the MDR report renderer",
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
    let device = match store.device_for_model(f.newest_model_id)? {
        Some(udi) => store.device(&udi)?,
        None => None,
    };
    let doc = report_json(f, device.as_ref().map(|d| d.basic_udi_di.as_str()), now);
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
        pdf_sha256: None,
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
        Ok(()) => Ok(record),
        // A concurrent evaluation drafted the same period first: keep its record.
        Err(StoreError::Conflict(_)) => store
            .trend_report_for(f.model, &s.class, s.period_to)?
            .ok_or_else(|| TrendServiceError::Invalid("trend report vanished".into())),
        Err(e) => Err(e.into()),
    }
}
