//! Model pages: `/console/models` lists the registered models; `/console/models/{name}`
//! shows a model's versions with the baseline in force, the PMS plan history with the diff
//! between two versions (the newest against its predecessor unless chosen), and the window
//! findings over time with their chart (`findings.png`).

use actix_web::{HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use super::error::ConsoleError;
use super::page;
use super::session::ConsoleUser;
use crate::console::diff::{LineKind, line_diff};
use crate::console::findings_chart;
use crate::console::format::{interval, num, p_value, short_hash};
use crate::domain::model::ModelVersion;
use crate::error::AppError;
use crate::http::AppState;
use crate::monitoring::findings::WindowKind;
use crate::storage::{FindingQuery, StoredBaseline, StoredFinding, StoredPlan};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/models", web::get().to(model_list))
        .route("/models/{name}", web::get().to(model_page))
        .route("/models/{name}/findings.png", web::get().to(findings_png));
}

async fn model_list(
    user: ConsoleUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    user.require_page("models")?;
    let st = state.clone();
    let models = web::block(move || st.store.list_models()).await??;
    let mut names: Vec<&str> = models.iter().map(|m| m.name.as_str()).collect();
    names.dedup();
    let body = html! {
        @if names.is_empty() {
            p.empty { "No models registered. The ML team registers a version with "
                code { "vigil model add" } "." }
        } @else {
            ul.list { @for n in &names {
                li { a.id href={ "/console/models/" (n) } { (n) } span.muted { " — versions " }
                    @for (i, m) in models.iter().filter(|m| m.name == *n).enumerate() {
                        @if i > 0 { ", " } span.id { (m.version) }
                    } }
            } }
        }
    };
    Ok(page::ok("Models", &user, "models", body))
}

#[derive(Debug, Deserialize)]
pub struct DiffQuery {
    from: Option<i64>,
    to: Option<i64>,
}

type Loaded = (
    Vec<(ModelVersion, Option<StoredBaseline>)>,
    Vec<StoredPlan>,
    Vec<StoredFinding>,
);

fn load(state: &AppState, name: &str) -> Result<Loaded, crate::storage::StoreError> {
    let store = &state.store;
    let mut versions = Vec::new();
    let mut findings = Vec::new();
    for m in store.list_models()?.into_iter().filter(|m| m.name == name) {
        let b = store.latest_baseline(&m.id)?;
        findings.extend(
            store
                .findings(&FindingQuery {
                    model_id: Some(m.id.clone()),
                    limit: 5_000,
                    ..FindingQuery::default()
                })?
                .into_iter()
                .filter(|f| f.finding.window != WindowKind::Day),
        );
        versions.push((m, b));
    }
    findings.sort_by_key(|f| std::cmp::Reverse(f.finding.window_end));
    findings.truncate(100);
    Ok((versions, store.plans(name)?, findings))
}

async fn model_page(
    user: ConsoleUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<DiffQuery>,
) -> Result<HttpResponse, ConsoleError> {
    user.require_page("models")?;
    let (st, name) = (state.clone(), path.into_inner());
    let n = name.clone();
    let (versions, plans, findings) = web::block(move || load(&st, &n)).await??;
    if versions.is_empty() {
        return Err(AppError::NotFound(format!("model {name} is not registered")).into());
    }
    let body = html! {
        (version_table(&versions))
        (plan_section(&name, &plans, q.from, q.to))
        (finding_table(&name, &findings))
    };
    Ok(page::ok(&format!("Model {name}"), &user, "models", body))
}

fn version_table(versions: &[(ModelVersion, Option<StoredBaseline>)]) -> Markup {
    html! {
        h2 { "Versions and baselines" }
        div.scroll { table {
            thead { tr { th scope="col" { "Version" } th scope="col" { "Registered" }
                th scope="col" class="num" { "Features" } th scope="col" { "Baseline in force" } } }
            tbody { @for (m, b) in versions { tr {
                td.id { (m.version) }
                td { (page::time(m.created_at)) }
                td.num { (m.feature_schema.features.len()) }
                td { @match b {
                    Some(b) => { span.id { (b.source) } ", " (b.rows) " rows, frozen " (page::time(b.created_at))
                        " by " (b.created_by) " " span.id title=(b.body_sha256) { "(" (short_hash(&b.body_sha256)) ")" } }
                    None => span.muted { "none yet: freeze one with " code { "vigil baseline freeze" } }
                } }
            } } }
        } }
    }
}

fn plan_section(name: &str, plans: &[StoredPlan], from: Option<i64>, to: Option<i64>) -> Markup {
    let newest = plans.last().map_or(0, |p| p.version);
    let to_v = to.unwrap_or(newest);
    let from_v = from.unwrap_or(to_v - 1);
    let find = |v: i64| plans.iter().find(|p| p.version == v);
    html! {
        h2 { "PMS plan history" }
        @if plans.is_empty() {
            p.empty { "No PMS plan yet. Quality or regulatory uploads one with "
                code { "vigil plan set" } " or " code { "PUT /api/v1/models/" (name) "/plan" } "." }
        } @else {
            div.scroll { table {
                thead { tr { th scope="col" class="num" { "Version" } th scope="col" { "Uploaded" }
                    th scope="col" { "By" } th scope="col" { "SHA-256" } } }
                tbody { @for p in plans.iter().rev() { tr {
                    td.num { "v" (p.version) } td { (page::time(p.created_at)) }
                    td.id { (p.created_by) } td.id title=(p.body_sha256) { (short_hash(&p.body_sha256)) }
                } } }
            } }
            form.filters method="get" {
                label for="d-from" { "Compare version" }
                input id="d-from" name="from" type="number" min="1" max=(newest) value=(from_v.max(1));
                label for="d-to" { "with version" }
                input id="d-to" name="to" type="number" min="1" max=(newest) value=(to_v);
                button type="submit" { "Show diff" }
            }
            @match (find(from_v), find(to_v)) {
                (Some(a), Some(b)) => {
                    h3 { "Changes from v" (a.version) " to v" (b.version) }
                    pre.diff aria-label="plan diff" { @for l in line_diff(&a.body, &b.body) {
                        @match l.kind {
                            LineKind::Added => ins { "+ " (l.text) "\n" },
                            LineKind::Removed => del { "- " (l.text) "\n" },
                            LineKind::Same => span { "  " (l.text) "\n" },
                        }
                    } }
                }
                (None, Some(b)) => {
                    h3 { "Plan v" (b.version) " (the first version)" }
                    pre.diff { (b.body) }
                }
                _ => p.empty { "Choose two existing versions to compare." }
            }
        }
    }
}

/// The findings-over-time chart (`console::findings_chart`) of the model's versions.
async fn findings_png(
    user: ConsoleUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    user.require_page("models")?;
    let (st, name) = (state.clone(), path.into_inner());
    let png = web::block(move || -> Result<Option<Vec<u8>>, AppError> {
        let (_, _, findings) = load(&st, &name)?;
        findings_chart::render(&findings).map_err(|e| AppError::Internal(e.to_string()))
    })
    .await??;
    let png = png.ok_or_else(|| AppError::NotFound("no window findings to draw".into()))?;
    Ok(HttpResponse::Ok()
        .content_type("image/png")
        .insert_header(("Cache-Control", "no-store"))
        .body(png))
}

fn finding_table(name: &str, findings: &[StoredFinding]) -> Markup {
    html! {
        h2 { "Findings over time" }
        @if !findings.is_empty() {
            figure {
                img src={ "/console/models/" (name) "/findings.png" } width="800" height="400"
                    alt="Window findings per closing day: signals, ok and other";
                figcaption { "Window findings of every rule and stratum per closing day (the newest 100)." }
            }
        }
        @if findings.is_empty() {
            p.empty { "No window findings yet. They appear once a baseline is frozen and the \
                       evaluator has closed a window." }
        } @else {
            p.muted { "Newest windows first (at most 100)." }
            div.scroll { table.figures {
                thead { tr { th scope="col" { "Window end" } th scope="col" { "Version" }
                    th scope="col" { "Rule, stratum" } th scope="col" { "Status" }
                    th scope="col" { "Estimate, 95% CI" } th scope="col" { "p, q (BH)" } } }
                tbody { @for s in findings { @let f = &s.finding; tr {
                    td { (f.window_end) br; span.muted { (f.window.as_str()) } }
                    td.id { (s.model_id.rsplit('@').next().unwrap_or(&s.model_id)) }
                    td { span.id { (f.rule) } br; span.id { (f.stratum) } }
                    td { (page::badge(f.status.as_str(), f.status.as_str())) }
                    td { (num(f.estimate)) br; span.muted { (interval(f.ci_low, f.ci_high)) } }
                    td { "p " (p_value(f.p_value)) br; "q " (p_value(f.q_value)) }
                } } }
            } }
        }
    }
}
