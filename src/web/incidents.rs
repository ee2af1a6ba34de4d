//! Incident pages (quality, regulatory): `/console/incidents` lists the serious-incident cases
//! with their deadline clocks (state, due date, days left) and lets a quality manager open
//! one; `/console/incidents/{id}` shows the case, its clock and clock history, the report
//! stages with their MIR XML downloads, and the forms to classify, add the next report stage
//! and record a submission. The forms post to `incident_actions.rs`, which calls the same
//! service functions as the API.

use actix_web::{HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use super::error::ConsoleError;
use super::page;
use super::session::ConsoleUser;
use crate::console::format::short_hash;
use crate::console::incident_view::{CLASSES, class_label, clock_text, next_stages, stage_label};
use crate::console::nav::{INCIDENT_CLASSIFIERS, INCIDENT_REPORTERS};
use crate::error::AppError;
use crate::http::AppState;
use crate::service::incidents::{IncidentQuery, list_incidents, show_incident};
use crate::vigilance::incident::{IncidentReport, IncidentView};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/incidents", web::get().to(incident_list))
        .route("/incidents/{id}", web::get().to(incident_page));
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    state: Option<String>,
}

const STATES: [&str; 5] = [
    "awaiting_classification",
    "due",
    "overdue",
    "reported",
    "not_reportable",
];

async fn incident_list(
    user: ConsoleUser,
    state: web::Data<AppState>,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, ConsoleError> {
    user.require_page("incidents")?;
    let wanted = q.into_inner().state.filter(|s| !s.is_empty());
    let query = IncidentQuery {
        state: wanted.clone(),
        ..IncidentQuery::default()
    };
    let st = state.clone();
    let list = web::block(move || {
        list_incidents(&st.vigilance, &query, st.clock.now().date_naive()).map_err(AppError::from)
    })
    .await??;
    let body = html! {
        form.filters method="get" action="/console/incidents" {
            label for="f-state" { "Clock" }
            select id="f-state" name="state" {
                option value="" { "any" }
                @for s in STATES {
                    option value=(s) selected[wanted.as_deref() == Some(s)] { (s.replace('_', " ")) }
                }
            }
            button type="submit" { "Filter" }
        }
        (incident_table(&list, wanted.is_some()))
        @if user.may(INCIDENT_CLASSIFIERS) { (open_form(&user)) }
    };
    Ok(page::ok("Incidents", &user, "incidents", body))
}

fn incident_table(list: &[IncidentView], filtered: bool) -> Markup {
    html! {
        @if list.is_empty() {
            @if filtered {
                p.empty { "No incident has a clock in this state. " a href="/console/incidents" { "Show all incidents" } "." }
            } @else {
                p.empty { "No incidents. A quality manager opens one below, or from an escalated \
                           alert's id; its clock starts on the awareness date." }
            }
        } @else {
            div.scroll { table id="incidents" {
                thead { tr { th scope="col" { "Incident" } th scope="col" { "Model" }
                    th scope="col" { "Clock" } th scope="col" { "Due" }
                    th scope="col" class="num" { "Days left" } th scope="col" { "Reports" } } }
                tbody { @for v in list { @let c = clock_text(&v.clock); tr {
                    td.long { a href={ "/console/incidents/" (v.incident.id) } { (v.incident.title) } }
                    td.id.long { (v.incident.model_id) }
                    td { (page::badge(c.badge, c.state)) }
                    td { (page::day_or(v.clock.due, "—")) }
                    td.num { (v.clock.days_left.map(|d| d.to_string()).unwrap_or_else(|| "—".into())) }
                    td { @if v.reports.is_empty() { span.muted { "none" } }
                        @for (i, r) in v.reports.iter().enumerate() {
                            @if i > 0 { ", " } (stage_label(r.stage)) } }
                } } }
            } }
        }
    }
}

fn open_form(user: &ConsoleUser) -> Markup {
    html! {
        h2 { "Open an incident" }
        form.card method="post" action="/console/incidents" {
            (page::csrf_field(user))
            label for="alert_id" { "From alert (its id; fills model, title and awareness date)" }
            input id="alert_id" name="alert_id" type="text";
            label for="model_id" { "Or the affected model version (name@version)" }
            input id="model_id" name="model_id" type="text" placeholder="liver-seg@2.3.0";
            label for="title" { "Title" }
            input id="title" name="title" type="text" maxlength="200";
            label for="description" { "What happened (no patient data)" }
            textarea id="description" name="description" rows="3" required {}
            label for="awareness_date" { "Awareness date (day 0, UTC; empty: the alert's or today)" }
            input id="awareness_date" name="awareness_date" type="date";
            label for="reporting_country" { "Reporting country (ISO code; its holidays end the clock)" }
            input id="reporting_country" name="reporting_country" type="text" maxlength="2" placeholder="DE";
            div.buttons { button id="open-incident" type="submit" { "Open incident" } }
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

async fn incident_page(
    user: ConsoleUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, ConsoleError> {
    user.require_page("incidents")?;
    let (st, id) = (state.clone(), path.into_inner());
    let view = web::block(move || {
        show_incident(&st.vigilance, &id, st.clock.now().date_naive()).map_err(AppError::from)
    })
    .await??;
    let done = q
        .into_inner()
        .done
        .filter(|d| ["opened", "classified", "report", "submission"].contains(&d.as_str()));
    let body = html! {
        @if let Some(d) = done {
            div.notice.ok role="status" id="done" { (done_text(&d)) }
        }
        (facts(&view))
        (history(&view))
        (reports(&user, &view))
        (classify_form(&user, &view))
        (report_form(&user, &view))
    };
    Ok(page::ok(&view.incident.title, &user, "incidents", body))
}

fn done_text(d: &str) -> &'static str {
    match d {
        "opened" => "Incident opened.",
        "classified" => "Classification recorded.",
        "report" => "Report stage added; its MIR XML is stored.",
        _ => "Submission recorded.",
    }
}

fn facts(v: &IncidentView) -> Markup {
    let c = clock_text(&v.clock);
    let i = &v.incident;
    let model_name = i.model_id.split('@').next().unwrap_or(&i.model_id);
    html! {
        dl.facts {
            dt { "Clock" } dd id="clock-state" { (page::badge(c.badge, c.state)) }
            dt { "Deadline" } dd id="clock" { (c.sentence) }
            dt { "Class" } dd { (class_label(v.clock.seriousness)) }
            dt { "Awareness date" } dd { (page::day(Some(v.clock.awareness_date))) }
            dt { "Model" } dd { a.id href={ "/console/models/" (model_name) } { (i.model_id) } }
            dt { "Basic UDI-DI" } dd.id { (v.basic_udi_di.as_deref().unwrap_or("— (assign the version to a device before reporting)")) }
            dt { "Reporting country" } dd { (i.reporting_country) }
            dt { "Sites" } dd.id { (if i.site_ids.is_empty() { "—".to_string() } else { i.site_ids.join(", ") }) }
            @if let Some(a) = &i.alert_id {
                dt { "From alert" } dd { a.id href={ "/console/alerts/" (a) } { (a) } }
            }
            dt { "Opened" } dd { (page::time(i.created_at)) " by " (i.created_by) }
        }
        p.summary { (i.description) }
    }
}

fn history(v: &IncidentView) -> Markup {
    html! {
        h2 { "Clock history" }
        @if v.clock_history.is_empty() {
            p.empty { "Not classified yet." }
        } @else {
            div.scroll { table {
                thead { tr { th scope="col" { "When" } th scope="col" { "Decision" }
                    th scope="col" { "Class" } th scope="col" { "Day 0" } th scope="col" { "Due" }
                    th scope="col" { "Reason, by" } } }
                tbody { @for e in &v.clock_history { tr {
                    td { (page::time(e.at)) }
                    td { (format!("{:?}", e.kind).to_lowercase()) }
                    td { (class_label(e.seriousness)) }
                    td { (e.awareness_date) }
                    td { (page::day_or(e.due, "—")) }
                    td { (e.reason) br; span.muted { (e.by) } }
                } } }
            } }
        }
    }
}

fn reports(user: &ConsoleUser, v: &IncidentView) -> Markup {
    html! {
        h2 { "Report stages" }
        @if v.reports.is_empty() {
            p.empty { "No report yet. Add the initial (or combined) report below once the incident is classified." }
        } @else {
            div.scroll { table id="reports" {
                thead { tr { th scope="col" class="num" { "#" } th scope="col" { "Stage" }
                    th scope="col" { "Created" } th scope="col" { "MIR XML" }
                    th scope="col" { "Submission" } } }
                tbody { @for r in &v.reports { tr {
                    td.num { (r.seq) }
                    td { (stage_label(r.stage)) }
                    td { (page::time(r.created_at)) br; span.muted { (r.created_by) } }
                    td { a href={ "/console/incidents/" (r.incident_id) "/reports/" (r.seq) "/mir.xml" }
                            download { "Download" }
                        br; span.id title=(r.sha256) { (short_hash(&r.sha256)) } }
                    td { (submission(user, r)) }
                } } }
            } }
        }
    }
}

fn submission(user: &ConsoleUser, r: &IncidentReport) -> Markup {
    html! {
        @if let Some(s) = &r.submission {
            (s.submitted_on) " to " (s.authority) br; span.id { (s.reference) }
        } @else if user.may(INCIDENT_REPORTERS) {
            form.stack method="post" action={ "/console/incidents/" (r.incident_id) "/reports/" (r.seq) "/submission" } {
                (page::csrf_field(user))
                label for={ "on-" (r.seq) } { "Submitted on" }
                input id={ "on-" (r.seq) } name="submitted_on" type="date" required;
                label for={ "auth-" (r.seq) } { "Authority" }
                input id={ "auth-" (r.seq) } name="authority" type="text" required placeholder="BfArM";
                label for={ "ref-" (r.seq) } { "Reference" }
                input id={ "ref-" (r.seq) } name="reference" type="text" required;
                button.small type="submit" { "Record submission" }
            }
        } @else {
            span.muted { "not submitted" }
        }
    }
}

fn classify_form(user: &ConsoleUser, v: &IncidentView) -> Markup {
    html! {
        h2 { "Classify" }
        @if !user.may(INCIDENT_CLASSIFIERS) {
            p.empty { "Only quality managers classify incidents." }
        } @else {
            form.card method="post" action={ "/console/incidents/" (v.incident.id) "/classify" } {
                (page::csrf_field(user))
                label for="class" { "Class (sets the legal due date)" }
                select id="class" name="class" {
                    @for (value, label) in CLASSES { option value=(value) { (label) } }
                }
                label for="reason" { "Reason (kept in the clock history and the audit trail)" }
                textarea id="reason" name="reason" rows="2" required maxlength="2000" {}
                label for="c-aware" { "New awareness date (re-assessment after “not reportable” only)" }
                input id="c-aware" name="awareness_date" type="date";
                div.buttons { button id="act-classify" type="submit" { "Record classification" } }
            }
        }
    }
}

const FIELDS_HINT: &str = r#"{"nca_name": "BfArM", "report_next_date": "2027-01-15",
 "device_problem_codes": ["A0908"], "health_impact_codes": ["F13"],
 "preliminary_analysis": "…"}"#;

fn report_form(user: &ConsoleUser, v: &IncidentView) -> Markup {
    let previous: Vec<_> = v.reports.iter().map(|r| r.stage).collect();
    let next = next_stages(&previous);
    html! {
        h2 { "Add a report stage" }
        @if !user.may(INCIDENT_REPORTERS) {
            p.empty { "Only quality managers and regulatory affairs add reports." }
        } @else if next.is_empty() {
            p.empty { "The report sequence is closed by its final report." }
        } @else {
            form.card method="post" action={ "/console/incidents/" (v.incident.id) "/reports" } {
                (page::csrf_field(user))
                label for="stage" { "Stage" }
                select id="stage" name="stage" {
                    @for s in &next { option value=(s.as_str()) { (stage_label(*s)) } }
                }
                label for="fields" { "MIR fields Vigil cannot derive (JSON, as the API's "
                    code { "fields" } "; the device, distribution and similar incidents are filled in)" }
                textarea id="fields" name="fields" rows="6" placeholder=(FIELDS_HINT) {}
                div.buttons { button id="act-report" type="submit" { "Generate and store MIR XML" } }
            }
        }
    }
}
