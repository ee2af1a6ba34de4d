//! MDR report pages (quality, regulatory, admin): `/console/reports` lists the PSUR and PMS
//! report jobs with their state, approval and downloads, and lets regulatory affairs request
//! one for a device and period; `/console/reports/{id}` shows the job's progress and, once
//! generated, the report's reference, key figures, missing narratives, the PDF and JSON
//! downloads (served here under the console session, as the API's bytes) and the approval
//! form. The forms post to `report_actions.rs`, which calls the same service functions as the
//! API.

use actix_web::{HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use super::error::ConsoleError;
use super::page;
use super::session::ConsoleUser;
use crate::console::format::{num, short_hash};
use crate::console::nav::REPORT_ACTORS;
use crate::error::AppError;
use crate::http::AppState;
use crate::service::reports::KIND;
use crate::storage::jobs::{Job, JobFilter, JobState};
use crate::storage::reports::ReportRecord;
use crate::vigilance::device::Device;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/reports", web::get().to(report_list))
        .route("/reports/{id}", web::get().to(report_page))
        .route("/reports/{id}/pdf", web::get().to(pdf))
        .route("/reports/{id}/json", web::get().to(json));
}

/// A report job with its generated record, once there is one.
type Row = (Job, Option<ReportRecord>);

fn state_badge(j: &Job) -> Markup {
    let kind = match j.state {
        JobState::Succeeded => "ok",
        JobState::Failed => "high",
        JobState::Cancelled => "off",
        _ => "medium",
    };
    page::badge(kind, j.state.as_str())
}

fn approval_badge(r: Option<&ReportRecord>) -> Markup {
    match r {
        Some(r) if r.approval.is_some() => page::badge("ok", "approved"),
        Some(_) => page::badge("medium", "draft"),
        None => html! { span.muted { "—" } },
    }
}

/// The payload's period as `from – to`.
fn period_text(j: &Job) -> String {
    let p = &j.payload["period"];
    let day = |k: &str| p[k].as_str().unwrap_or("?").to_string();
    format!("{} – {}", day("from"), day("to"))
}

fn downloads(id: &str, r: Option<&ReportRecord>) -> Markup {
    html! {
        @if let Some(r) = r {
            a href={ "/console/reports/" (id) "/pdf" } { "PDF" } " · "
            a href={ "/console/reports/" (id) "/json" } { "JSON" }
            @if r.approval.is_some() {
                " · " a href={ "/console/reports/" (id) "/pdf?draft=true" } { "draft PDF" }
            }
        } @else { span.muted { "—" } }
    }
}

fn load_list(state: &AppState) -> Result<(Vec<Row>, Vec<Device>), AppError> {
    let filter = JobFilter {
        kind: Some(KIND.into()),
        state: None,
        subject: None,
        limit: 200,
        after: None,
    };
    let mut rows = Vec::new();
    for job in state.store.jobs(&filter)? {
        let record = state.store.report(&job.id)?;
        rows.push((job, record));
    }
    Ok((rows, state.store.devices()?))
}

async fn report_list(
    user: ConsoleUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    user.require_page("reports")?;
    let st = state.clone();
    let (rows, devices) = web::block(move || load_list(&st)).await??;
    let body = html! {
        @if rows.is_empty() {
            p.empty { "No reports yet. Regulatory affairs requests a PSUR or PMS report for a \
                       registered device and its period below; the report is generated in the \
                       background and appears here with its PDF and JSON." }
        } @else {
            div.scroll { table id="reports" {
                thead { tr { th scope="col" { "Report" } th scope="col" { "Kind" }
                    th scope="col" { "Device" } th scope="col" { "Period" }
                    th scope="col" { "State" } th scope="col" { "Approval" }
                    th scope="col" { "Download" } th scope="col" { "Requested" } } }
                tbody { @for (j, r) in &rows { tr {
                    td { a.id href={ "/console/reports/" (j.id) } { (short_hash(&j.id)) } }
                    td { (j.payload["kind"].as_str().unwrap_or("—").to_uppercase()) }
                    td.id.long { (j.payload["device"].as_str().unwrap_or("—")) }
                    td { (period_text(j)) }
                    td { (state_badge(j)) }
                    td { (approval_badge(r.as_ref())) }
                    td { (downloads(&j.id, r.as_ref())) }
                    td { (page::time(j.created_at)) br; span.muted { (j.requested_by) } }
                } } }
            } }
        }
        @if user.may(REPORT_ACTORS) { (request_form(&user, &devices)) }
    };
    Ok(page::ok("Reports", &user, "reports", body))
}

fn request_form(user: &ConsoleUser, devices: &[Device]) -> Markup {
    html! {
        h2 { "Request a report" }
        @if devices.is_empty() {
            p.empty { "No device is registered yet. Register the device (Basic UDI-DI, class, \
                       certificate date) through the API's /api/v1/devices first." }
        } @else {
            form.card method="post" action="/console/reports" {
                (page::csrf_field(user))
                label for="device" { "Device" }
                select id="device" name="device" required {
                    @for d in devices {
                        option value=(d.basic_udi_di) { (d.trade_name) " (" (d.basic_udi_di) ")" }
                    }
                }
                label for="kind" { "Kind" }
                select id="kind" name="kind" {
                    option value="psur" { "PSUR (class IIa and above, Art. 86)" }
                    option value="pms" { "PMS report (class I, Art. 85)" }
                }
                label for="from" { "Period from (UTC day)" }
                input id="from" name="from" type="date" required;
                label for="to" { "Period to (UTC day, included)" }
                input id="to" name="to" type="date" required;
                p.muted { "The first period starts on the certificate date; each next one follows \
                           the previous without a gap." }
                div.buttons { button id="request-report" type="submit" { "Request report" } }
            }
        }
    }
}

fn load_report(state: &AppState, id: &str) -> Result<Row, AppError> {
    let job = state
        .store
        .job(id)?
        .filter(|j| j.kind == KIND)
        .ok_or_else(|| AppError::NotFound(format!("report {id}")))?;
    let record = state.store.report(id)?;
    Ok((job, record))
}

async fn report_page(
    user: ConsoleUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    user.require_page("reports")?;
    let (st, id) = (state.clone(), path.into_inner());
    let (job, record) = web::block(move || load_report(&st, &id)).await??;
    let body = html! {
        (job_facts(&job))
        @match &record {
            Some(r) => (report_facts(&user, &job, r)),
            None => (in_progress(&job)),
        }
    };
    let title = format!("Report {}", short_hash(&job.id));
    Ok(page::ok(&title, &user, "reports", body))
}

/// The narrative page of the job's device, kind and period.
fn narratives_link(j: &Job) -> String {
    let p = &j.payload;
    format!(
        "/console/reports/narratives/{}/{}/{}/{}",
        p["device"].as_str().unwrap_or_default(),
        p["kind"].as_str().unwrap_or_default(),
        p["period"]["from"].as_str().unwrap_or_default(),
        p["period"]["to"].as_str().unwrap_or_default()
    )
}

fn job_facts(j: &Job) -> Markup {
    html! {
        dl.facts {
            dt { "State" } dd id="report-state" { (state_badge(j)) }
            dt { "Kind" } dd { (j.payload["kind"].as_str().unwrap_or("—").to_uppercase()) }
            dt { "Device" } dd.id { (j.payload["device"].as_str().unwrap_or("—")) }
            dt { "Period" } dd { (period_text(j)) }
            dt { "Narratives" } dd { a href=(narratives_link(j)) { "Narrative drafts for this period" } }
            dt { "Requested" } dd { (page::time(j.created_at)) " by " (j.requested_by) }
            @if let Some(e) = &j.error { dt { "Error" } dd { (e) } }
        }
    }
}

fn in_progress(j: &Job) -> Markup {
    let (done, total) = (j.progress.done, j.progress.total.max(1));
    let pct = (done * 100 / total).clamp(0, 100);
    html! {
        h2 { "Progress" }
        p id="progress" { label for="report-progress" { (done) " of " (total) " steps"
            @if let Some(m) = &j.progress.message { " (" (m) ")" } }
            " " progress id="report-progress" max="100" value=(pct) { (pct) "%" } }
        @if !j.state.is_final() {
            p.muted { "Reload the page to follow the report; a worker generates it in the background." }
        } @else if j.state != JobState::Succeeded {
            p.empty { "The job ended without a report (" (j.state.as_str()) "). Fix the cause \
                       named above and request the report again." }
        }
    }
}

fn report_facts(user: &ConsoleUser, j: &Job, r: &ReportRecord) -> Markup {
    html! {
        h2 { "Report" }
        dl.facts {
            dt { "Reference" } dd.id { (r.reference) " (version " (r.version) ")" }
            dt { "Generated" } dd { (page::time(r.generated_at)) " by " (r.generated_by) }
            dt { "Data fingerprint" } dd.id { (short_hash(&r.data_fingerprint)) }
            dt { "Approval" } dd id="approval" { @match &r.approval {
                Some(a) => { "Approved " (page::time(a.at)) " by " (a.by) },
                None => { "Draft (the PDF is marked DRAFT until approved)" },
            } }
            dt { "Download" } dd id="downloads" { (downloads(&j.id, Some(r))) }
        }
        @if !r.missing_narratives.is_empty() {
            p id="missing" { "Narratives shown as MISSING: " (r.missing_narratives.join(", "))
                ". " a href=(narratives_link(j)) { "Write them" } ", then request the report again." }
        }
        @if !r.figures.is_empty() {
            h3 { "Key figures" }
            div.scroll { table id="figures" { tbody { @for (k, v) in &r.figures {
                tr { th scope="row" { (k.replace('_', " ")) } td.num { (num(Some(*v))) } }
            } } } }
        }
        @if r.approval.is_none() && user.may(REPORT_ACTORS) {
            form.inline method="post" action={ "/console/reports/" (j.id) "/approve" } {
                (page::csrf_field(user))
                button id="approve" type="submit" { "Approve report" }
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct DownloadQuery {
    draft: Option<bool>,
}

async fn pdf(
    user: ConsoleUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<DownloadQuery>,
) -> Result<HttpResponse, ConsoleError> {
    user.require_page("reports")?;
    let draft = q.draft.unwrap_or(false);
    Ok(crate::http::reports::download(state, path.into_inner(), draft, true).await?)
}

async fn json(
    user: ConsoleUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<DownloadQuery>,
) -> Result<HttpResponse, ConsoleError> {
    user.require_page("reports")?;
    let draft = q.draft.unwrap_or(false);
    Ok(crate::http::reports::download(state, path.into_inner(), draft, false).await?)
}
