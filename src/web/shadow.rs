//! Shadow-run pages: `/console/shadow-runs` lists the runs with their progress and verdicts and
//! lets the ML team start one; `/console/shadow-runs/{id}` shows a run's progress while it
//! works and, once done, its dossier (verdict and reasons, paired statistics, strata, budget
//! lines, the chart and the cases, provenance) with the promotion form. The forms post to
//! `shadow_actions.rs`, which calls the same service functions as the API.

use actix_web::{HttpResponse, web};
use maud::{Markup, html};

use super::error::ConsoleError;
use super::page;
use super::session::ConsoleUser;
use crate::blobs::BlobKey;
use crate::console::format::{num, p_value, short_hash};
use crate::console::nav::SHADOW_ACTORS;
use crate::console::shadow_view::{DossierView, metric_name, percent};
use crate::error::AppError;
use crate::http::AppState;
use crate::service::shadow_job::KIND;
use crate::storage::jobs::{Job, JobFilter, JobState};
use crate::storage::shadow::ModelRole;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/shadow-runs", web::get().to(run_list))
        .route("/shadow-runs/{id}", web::get().to(run_page));
}

fn state_badge(j: &Job) -> Markup {
    let kind = match j.state {
        JobState::Succeeded => "ok",
        JobState::Failed => "high",
        JobState::Cancelled => "off",
        _ => "medium",
    };
    page::badge(kind, j.state.as_str())
}

fn verdict(j: &Job) -> Markup {
    match j.result.as_ref().map(|r| r["passed"].as_bool()) {
        Some(Some(true)) => page::badge("ok", "passed"),
        Some(Some(false)) => page::badge("high", "not passed"),
        _ => html! { span.muted { "—" } },
    }
}

async fn run_list(
    user: ConsoleUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    user.require_page("shadow")?;
    let st = state.clone();
    let runs = web::block(move || {
        st.store.jobs(&JobFilter {
            kind: Some(KIND.into()),
            state: None,
            subject: None,
            limit: 200,
            after: None,
        })
    })
    .await??;
    let body = html! {
        @if runs.is_empty() {
            p.empty { "No shadow runs yet. The ML team uploads a candidate's ONNX file and spec, \
                       archives reviewed cases, and starts a run below." }
        } @else {
            div.scroll { table id="runs" {
                thead { tr { th scope="col" { "Run" } th scope="col" { "Candidate" }
                    th scope="col" { "Baseline" } th scope="col" { "State" }
                    th scope="col" { "Cases" } th scope="col" { "Verdict" } th scope="col" { "Requested" } } }
                tbody { @for j in &runs { tr {
                    td { a.id href={ "/console/shadow-runs/" (j.id) } { (short_hash(&j.id)) } }
                    td.id.long { (j.payload["candidate"].as_str().unwrap_or("—")) }
                    td.id.long { (j.payload["baseline"].as_str().unwrap_or("—")) }
                    td { (state_badge(j)) }
                    td { (j.progress.done) " / " (j.payload["case_refs"].as_array().map_or(0, Vec::len)) }
                    td { (verdict(j)) }
                    td { (page::time(j.created_at)) br; span.muted { (j.requested_by) } }
                } } }
            } }
        }
        @if user.may(SHADOW_ACTORS) { (start_form(&user)) }
    };
    Ok(page::ok("Shadow runs", &user, "shadow", body))
}

const PROFILE: &str = r#"{"name": "product-cpu", "intra_op_threads": 1, "memory_limit_mib": 4096, "latency_budget_ms": 60000}"#;

fn start_form(user: &ConsoleUser) -> Markup {
    html! {
        h2 { "Start a shadow run" }
        form.card method="post" action="/console/shadow-runs" {
            (page::csrf_field(user))
            label for="model" { "Model" }
            input id="model" name="model" type="text" required placeholder="liver-seg";
            label for="candidate" { "Candidate version" }
            input id="candidate" name="candidate" type="text" required;
            label for="baseline" { "Baseline version (empty: the deployed version)" }
            input id="baseline" name="baseline" type="text";
            label for="metric" { "Metric" }
            select id="metric" name="metric" {
                option value="dice" { "Dice" } option value="hd95" { "HD95" }
                option value="nsd" { "NSD (tolerance below)" }
            }
            label for="tolerance_mm" { "NSD tolerance (mm)" }
            input id="tolerance_mm" name="tolerance_mm" type="number" step="any" min="0" value="1";
            label for="margin" { "Non-inferiority margin" }
            input id="margin" name="margin" type="number" step="any" min="0" required value="0.05";
            label for="alpha" { "Alpha (one-sided)" }
            input id="alpha" name="alpha" type="number" step="any" min="0" max="0.5" value="0.05";
            label for="stratum" { "Cases: only this stratum (empty: all)" }
            input id="stratum" name="stratum" type="text";
            label for="since" { "Cases archived from (UTC day, empty: any)" }
            input id="since" name="archived_from" type="date";
            label for="until" { "Cases archived until (UTC day, empty: any)" }
            input id="until" name="archived_to" type="date";
            label for="retraining_request" { "Retraining request the candidate came from (provenance)" }
            input id="retraining_request" name="retraining_request" type="text";
            label.check for="only_retraining_cases" {
                input id="only_retraining_cases" name="only_retraining_cases" type="checkbox" value="on";
                " Score only the archived cases of its manifest" }
            label for="profile" { "Hardware profile (JSON)" }
            textarea id="profile" name="profile" rows="3" required { (PROFILE) }
            div.buttons { button id="start-run" type="submit" { "Start run" } }
        }
    }
}

/// A run with its stored dossier and the candidate's current role.
type Loaded = (Job, Option<DossierView>, Option<ModelRole>);

fn load(state: &AppState, id: &str) -> Result<Loaded, AppError> {
    let job = state
        .store
        .job(id)?
        .filter(|j| j.kind == KIND)
        .ok_or_else(|| AppError::NotFound(format!("shadow run {id}")))?;
    let internal = |e: String| AppError::Internal(e);
    let dossier = match &job.result_blob {
        Some(k) => {
            let key = BlobKey::parse(k).map_err(|e| internal(e.to_string()))?;
            let bytes = state.blobs.get(&key).map_err(|e| internal(e.to_string()))?;
            Some(DossierView::from_json(&bytes).map_err(|e| internal(e.to_string()))?)
        }
        None => None,
    };
    let candidate = job.payload["candidate"].as_str().unwrap_or_default();
    let role = state.store.artifact(candidate)?.map(|a| a.role);
    Ok((job, dossier, role))
}

async fn run_page(
    user: ConsoleUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    user.require_page("shadow")?;
    let (st, id) = (state.clone(), path.into_inner());
    let (job, dossier, role) = web::block(move || load(&st, &id)).await??;
    let body = html! {
        (run_facts(&job, role))
        @match &dossier {
            Some(d) => (super::shadow_dossier::dossier(&job, d)),
            None => (in_progress(&user, &job)),
        }
        (super::shadow_dossier::promotion(&user, &job, dossier.as_ref(), role))
    };
    let title = format!("Shadow run {}", short_hash(&job.id));
    Ok(page::ok(&title, &user, "shadow", body))
}

fn run_facts(j: &Job, role: Option<ModelRole>) -> Markup {
    let p = &j.payload;
    html! {
        dl.facts {
            dt { "State" } dd id="run-state" { (state_badge(j)) }
            dt { "Candidate" } dd.id { (p["candidate"].as_str().unwrap_or("—"))
                @if let Some(r) = role { " (" (r.as_str()) ")" } }
            dt { "Baseline" } dd.id { (p["baseline"].as_str().unwrap_or("—")) }
            dt { "Metric, margin, alpha" } dd { (metric_name(&p["metric"])) ", "
                (num(p["margin"].as_f64())) ", " (num(p["alpha"].as_f64())) }
            dt { "Hardware profile" } dd.id { (p["profile"]["name"].as_str().unwrap_or("—")) }
            dt { "Requested" } dd { (page::time(j.created_at)) " by " (j.requested_by) }
            dt { "Attempts" } dd { (j.attempts) " of " (j.max_attempts) }
            @if let Some(e) = &j.error { dt { "Error" } dd { (e) } }
        }
    }
}

fn in_progress(user: &ConsoleUser, j: &Job) -> Markup {
    let total = j.payload["case_refs"].as_array().map_or(0, Vec::len) as i64;
    let pct = percent(j.progress.done, total);
    let mine = j.requested_by == format!("user:{}", user.user.name);
    let may_cancel = !j.state.is_final() && (mine || user.user.role == crate::domain::Role::Admin);
    html! {
        h2 { "Progress" }
        p id="progress" { label for="run-progress" { (j.progress.done) " of " (total) " cases scored by both models" }
            " " progress id="run-progress" max="100" value=(pct) { (pct) "%" } }
        @if !j.state.is_final() {
            p.muted { "Reload the page to follow the run; cases already scored are kept if a worker restarts." }
        } @else if j.state != JobState::Succeeded {
            p.empty { "The run ended without a dossier (" (j.state.as_str()) "). Start a new run once the cause is fixed." }
        }
        @if may_cancel {
            form.inline method="post" action={ "/console/shadow-runs/" (j.id) "/cancel" } {
                (page::csrf_field(user))
                button.danger.small id="cancel-run" type="submit" { "Cancel run" }
            }
        }
    }
}

/// Figures for the dossier tables.
pub(super) fn signed(v: f64) -> String {
    num(Some(v))
}

/// A p-value of the dossier.
pub(super) fn p(v: f64) -> String {
    p_value(Some(v))
}
