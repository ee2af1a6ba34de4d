//! The alert inbox (`/console/alerts`, filters by state and model) and the alert page
//! (`/console/alerts/{id}`): the alert's facts, the stream's chart (the one its e-mail carries),
//! the alert's history, its window findings with statistic, effect size, interval, plan
//! version and baseline, and the lifecycle form for the roles allowed to act. E-mails, digests and webhooks link here.

use actix_web::{HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use super::error::ConsoleError;
use super::page;
use super::session::ConsoleUser;
use crate::alerting::alert::Alert;
use crate::alerting::rules::{AlertState, Transition, transition};
use crate::console::alert_view::{chart, window_findings};
use crate::console::format::{interval, num, p_value, short_hash};
use crate::console::nav::ALERT_ACTORS;
use crate::error::AppError;
use crate::http::AppState;
use crate::service::alerts::MAX_NOTE_CHARS;
use crate::storage::{AlertEvent, AlertFilter, FindingQuery, StoredFinding};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/alerts", web::get().to(inbox))
        .route("/alerts/{id}", web::get().to(alert_page));
}

#[derive(Debug, Deserialize)]
pub struct InboxQuery {
    state: Option<String>,
    model: Option<String>,
}

const STATES: [&str; 4] = ["open", "acknowledged", "escalated", "resolved"];

async fn inbox(
    user: ConsoleUser,
    state: web::Data<AppState>,
    q: web::Query<InboxQuery>,
) -> Result<HttpResponse, ConsoleError> {
    user.require_page("alerts")?;
    let q = q.into_inner();
    let wanted = match q.state.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(AlertState::parse(s).ok_or_else(|| {
            AppError::BadRequest("state must be open, acknowledged, escalated or resolved".into())
        })?),
        None => None,
    };
    let model = q.model.filter(|m| !m.trim().is_empty());
    let filter = AlertFilter {
        state: wanted,
        model: model.clone(),
        limit: 500,
        after: None,
    };
    let st = state.clone();
    let alerts = web::block(move || st.store.alerts(&filter)).await??;
    let body = html! {
        form.filters method="get" action="/console/alerts" {
            label for="f-state" { "State" }
            select id="f-state" name="state" {
                option value="" { "any" }
                @for s in STATES {
                    option value=(s) selected[wanted.map(|w| w.as_str()) == Some(s)] { (s) }
                }
            }
            label for="f-model" { "Model" }
            input id="f-model" name="model" type="text" value=[model.as_deref()]
                placeholder="name or name@version";
            button type="submit" { "Filter" }
        }
        (alert_table(&alerts, wanted.is_some() || model.is_some()))
    };
    Ok(page::ok("Alerts", &user, "alerts", body))
}

fn severity(a: &Alert) -> String {
    format!("{:?}", a.severity).to_lowercase()
}

fn alert_table(alerts: &[Alert], filtered: bool) -> Markup {
    html! {
        @if alerts.is_empty() {
            @if filtered {
                p.empty { "No alert matches these filters. " a href="/console/alerts" { "Show all alerts" } "." }
            } @else {
                p.empty { "No alerts yet. The evaluator opens one when a monitored signal crosses \
                           its PMS plan threshold; the plan's recipients get an e-mail with a link here." }
            }
        } @else {
            div.scroll { table {
                thead { tr { th scope="col" { "Severity" } th scope="col" { "Alert" }
                    th scope="col" { "Model" } th scope="col" { "Stratum" }
                    th scope="col" { "State" } th scope="col" { "Opened" } } }
                tbody { @for a in alerts { tr {
                    td { (page::badge(&severity(a), &severity(a))) }
                    td { a href={ "/console/alerts/" (a.id) } { (a.title) } }
                    td.id.long { (a.model) }
                    td.id.long { (a.stratum) }
                    td { (page::badge(a.state.as_str(), a.state.as_str())) }
                    td { (page::time(a.opened_at)) }
                } } }
            } }
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct MovedQuery {
    moved: Option<String>,
}

async fn alert_page(
    user: ConsoleUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<MovedQuery>,
) -> Result<HttpResponse, ConsoleError> {
    user.require_page("alerts")?;
    let (st, id) = (state.clone(), path.into_inner());
    let (alert, history, findings) =
        web::block(move || -> Result<_, crate::storage::StoreError> {
            let Some(alert) = st.store.alert(&id)? else {
                return Ok((None, vec![], vec![]));
            };
            let history = st.store.alert_events(&id)?;
            let findings = st.store.findings(&FindingQuery {
                model_id: Some(alert.model.clone()),
                rule: Some(alert.rule.clone()),
                stratum: Some(alert.stratum.clone()),
                limit: 2_000,
                ..FindingQuery::default()
            })?;
            Ok((Some(alert), history, findings))
        })
        .await??;
    let alert = alert.ok_or_else(|| AppError::NotFound("alert not found".into()))?;
    let moved = q.moved.as_deref().and_then(AlertState::parse);
    let has_chart = chart(&alert, &history, &findings).is_some();
    let body = html! {
        @if let Some(m) = moved {
            div.notice.ok role="status" id="moved" { "Alert " (m.as_str()) "." }
        }
        (facts(&alert))
        p.summary { (alert.summary) }
        @if has_chart {
            figure {
                img src={ "/console/alerts/" (alert.id) "/chart.png" } width="800" height="520"
                    alt={ "Daily values and chart statistic of " (alert.rule) " for " (alert.stratum)
                          ", with the baseline, the plan's acceptance limit and the decision limit" };
                figcaption { "The chart the alert e-mail carries: above, the stream's daily values \
                              with the baseline (dashed) and the plan's acceptance limit; below, \
                              the chart statistic with its decision limit. Red points signalled; \
                              the window the alert rests on is shaded." }
            }
        }
        (history_table(&history))
        (findings_table(&window_findings(&findings)))
        (actions(&user, &alert))
    };
    Ok(page::ok(&alert.title, &user, "alerts", body))
}

fn facts(a: &Alert) -> Markup {
    let model_name = a.model.split('@').next().unwrap_or(&a.model);
    html! {
        dl.facts {
            dt { "State" } dd id="alert-state" { (page::badge(a.state.as_str(), a.state.as_str())) }
            dt { "Severity" } dd { (page::badge(&severity(a), &severity(a))) }
            dt { "Model" } dd { a.id href={ "/console/models/" (model_name) } { (a.model) } }
            dt { "Rule" } dd.id { (a.rule) }
            dt { "Stratum" } dd.id { (a.stratum) }
            dt { "Opened" } dd { (page::time(a.opened_at)) }
            dt { "Last signal" } dd { (page::time(a.last_signal_at)) }
            dt { "Handled by" } dd { (a.handled_by.as_deref().unwrap_or("—")) }
            dt { "Comment" } dd { (a.note.as_deref().unwrap_or("—")) }
            @if a.awareness_at.is_some() {
                dt { "Awareness date" } dd { (page::time_opt(a.awareness_at)) }
            }
        }
    }
}

fn history_table(rows: &[AlertEvent]) -> Markup {
    html! {
        h2 { "History of this alert" }
        @if rows.is_empty() {
            p.empty { "No history recorded for this alert." }
        } @else {
            div.scroll { table.figures id="alert-history" {
                thead { tr {
                    th scope="col" { "Evaluated (UTC)" } th scope="col" { "Event, severity" }
                    th scope="col" { "Current, baseline, plan limit" }
                    th scope="col" { "Chart statistic, decision limit" }
                    th scope="col" { "Test" }
                } }
                tbody { @for h in rows { @let e = h.evidence.as_ref(); tr id={ "history-" (h.seq) } {
                    td { (page::time(h.at)) }
                    td { (h.event) br; (format!("{:?}", h.severity).to_lowercase()) }
                    td { (num(e.and_then(|e| e.current))) " " (e.map_or("", |e| e.unit.as_str())) br;
                        "baseline " (num(e.and_then(|e| e.baseline))) br;
                        "limit " (num(e.and_then(|e| e.acceptance_limit))) }
                    td { (num(e.and_then(|e| e.chart_statistic))) br;
                        "h " (num(e.and_then(|e| e.chart_limit))) }
                    td { (e.and_then(|e| e.test.as_deref()).unwrap_or("—")) }
                } } }
            } }
        }
    }
}

fn findings_table(rows: &[&StoredFinding]) -> Markup {
    html! {
        h2 { "Findings of this stream" }
        @if rows.is_empty() {
            p.empty { "No window findings stored for this stream yet; they appear after the \
                       next evaluation that closes a window." }
        } @else {
            div.scroll { table.figures id="stream-findings" {
                thead { tr {
                    th scope="col" { "Window (UTC)" } th scope="col" { "Test, status" }
                    th scope="col" class="num" { "n" } th scope="col" { "Estimate, 95% CI, limit" }
                    th scope="col" { "Statistic, p, q (BH)" }
                    th scope="col" { "Plan, baseline, data" }
                } }
                tbody { @for s in rows { @let f = &s.finding; tr {
                    td { (f.window.as_str()) br; (f.window_start) br; "to " (f.window_end) }
                    td { (f.method) br; (page::badge(f.status.as_str(), f.status.as_str())) }
                    td.num { (f.n) }
                    td { (num(f.estimate)) br; span.muted { (interval(f.ci_low, f.ci_high)) } br;
                        "limit " (num(f.limit)) }
                    td { (num(f.statistic)) br; "p " (p_value(f.p_value)) br; "q " (p_value(f.q_value)) }
                    td { "plan v" (s.plan_version) br;
                        span.id title=(s.baseline_id) { "baseline " (short_hash(&s.baseline_id)) } br;
                        span.id title=(f.fingerprint) { "data " (short_hash(&f.fingerprint)) } }
                } } }
            } }
        }
    }
}

fn actions(user: &ConsoleUser, a: &Alert) -> Markup {
    let can = |t| transition(a.state, t).is_some();
    let any = can(Transition::Acknowledge) || can(Transition::Resolve) || can(Transition::Escalate);
    let base = format!("/console/alerts/{}", a.id);
    html! {
        h2 { "Act on this alert" }
        @if !any {
            p.empty { "This alert is " (a.state.as_str()) "; no further step is possible." }
        } @else if !user.may(ALERT_ACTORS) {
            p.empty { "Only quality managers acknowledge, resolve or escalate alerts." }
        } @else {
            form.card method="post" action={ (base) "/acknowledge" } {
                (page::csrf_field(user))
                label for="note" { "Comment (kept on the alert and in the audit trail)" }
                textarea id="note" name="note" rows="3" maxlength=(MAX_NOTE_CHARS) {}
                label for="awareness_at" { "Awareness date, UTC (escalation only; empty means now)" }
                input id="awareness_at" name="awareness_at" type="datetime-local";
                label for="reporting_country" { "Reporting country (escalation only; empty means the alert's site's country)" }
                input id="reporting_country" name="reporting_country" maxlength="2" size="3";
                div.buttons {
                    @if can(Transition::Acknowledge) {
                        button id="act-acknowledge" type="submit" formaction={ (base) "/acknowledge" } { "Acknowledge" }
                    }
                    @if can(Transition::Resolve) {
                        button id="act-resolve" type="submit" formaction={ (base) "/resolve" } { "Resolve" }
                    }
                    @if can(Transition::Escalate) {
                        button.danger id="act-escalate" type="submit" formaction={ (base) "/escalate" } {
                            "Escalate: open an incident" }
                    }
                }
            }
        }
    }
}
