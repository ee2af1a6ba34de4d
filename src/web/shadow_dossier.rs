//! The dossier part of a shadow-run page: the verdict with its reasons, the paired statistics
//! (mean difference, one-sided lower bounds from the paired t test and the bootstrap,
//! Wilcoxon), the per-stratum breakdown with flags, the hardware budget lines, the chart of
//! paired differences, the cases and the provenance; and the promotion form (ML team; an
//! admin may override a run that did not pass, with a written reason).

use maud::{Markup, html};

use super::page;
use super::session::ConsoleUser;
use super::shadow::{p, signed};
use crate::console::format::short_hash;
use crate::console::nav::SHADOW_ACTORS;
use crate::console::shadow_view::DossierView;
use crate::domain::Role;
use crate::storage::jobs::Job;
use crate::storage::shadow::ModelRole;

/// The whole dossier of a finished run.
pub fn dossier(job: &Job, d: &DossierView) -> Markup {
    let o = &d.overall;
    let metric = d.metric_name();
    html! {
        h2 { "Verdict" }
        p.verdict id="verdict" {
            @if d.passed { (page::badge("ok", "passed")) " The candidate is non-inferior, no stratum is flagged and every budget line passed." }
            @else { (page::badge("high", "not passed")) " Read the reasons before promoting." }
        }
        @if !d.reasons.is_empty() {
            ul.reasons { @for r in &d.reasons { li { (r) } } }
        }
        h2 { "Paired " (metric) " differences (candidate better above 0)" }
        dl.facts id="overall" {
            dt { "Cases" } dd { (o.n) }
            dt { "Mean difference" } dd { (signed(o.mean_difference)) }
            dt { "Margin" } dd { "−" (signed(d.settings.margin)) ", alpha " (signed(d.settings.alpha)) }
            dt { "Lower bound, paired t" } dd { (signed(o.t_ci_low)) " (t " (signed(o.t_statistic)) ", p " (p(o.t_pvalue)) ")" }
            dt { "Lower bound, bootstrap" } dd { (signed(o.bootstrap_ci_low)) " (" (d.settings.bootstrap_resamples) " resamples, seed " (d.settings.seed) ")" }
            dt { "Wilcoxon signed-rank" } dd { "W " (signed(o.wilcoxon_statistic)) ", p " (p(o.wilcoxon_pvalue)) }
            dt { "Non-inferior" } dd { (if o.noninferior { "yes" } else { "no" }) }
        }
        figure {
            img src={ "/console/shadow-runs/" (job.id) "/chart.png" } width="800" height="400"
                alt={ "Paired " (metric) " differences per case, with the margin line" };
            figcaption { "Each point is one case; the red line is −margin." }
        }
        (strata(d))
        (budget(d))
        (cases(d))
        (provenance(d))
    }
}

fn strata(d: &DossierView) -> Markup {
    html! {
        h2 { "Strata" }
        div.scroll { table id="strata" {
            thead { tr { th scope="col" { "Stratum" } th scope="col" class="num" { "n" }
                th scope="col" class="num" { "Mean difference" } th scope="col" class="num" { "Lower bound" }
                th scope="col" { "Flag" } } }
            tbody { @for s in &d.strata { tr {
                td.id.long { (s.stratum) } td.num { (s.n) } td.num { (signed(s.mean_difference)) }
                td.num { (s.ci_low.map_or("—".into(), signed)) }
                td { @if s.flagged { (page::badge("high", "candidate worse")) } @else { (page::badge("ok", "ok")) } }
            } } }
        } }
    }
}

fn budget(d: &DossierView) -> Markup {
    html! {
        h2 { "Hardware budget (" (d.provenance.profile["name"].as_str().unwrap_or("profile")) ")" }
        div.scroll { table id="budget" {
            thead { tr { th scope="col" { "Line" } th scope="col" class="num" { "Measured" }
                th scope="col" class="num" { "Limit" } th scope="col" { "Result" } } }
            tbody { @for b in &d.budget { tr {
                td { (b.line.replace('_', " ")) } td.num { (signed(b.measured)) } td.num { (signed(b.limit)) }
                td { @if b.pass { (page::badge("ok", "pass")) } @else { (page::badge("high", "fail")) } }
            } } }
        } }
    }
}

fn cases(d: &DossierView) -> Markup {
    html! {
        h2 { "Cases" }
        div.scroll { table.figures id="cases" {
            thead { tr { th scope="col" { "Case" } th scope="col" { "Stratum" }
                th scope="col" class="num" { "Candidate" } th scope="col" class="num" { "Baseline" }
                th scope="col" class="num" { "Difference" } th scope="col" class="num" { "Wall, ORT ms" }
                th scope="col" class="num" { "Peak MiB" } } }
            tbody { @for c in &d.cases { tr {
                td.id title=(c.case_ref) { (short_hash(&c.case_ref)) } td.id.long { (c.stratum) }
                td.num { (signed(c.candidate)) } td.num { (signed(c.baseline)) }
                td.num { (signed(c.difference)) }
                td.num { (format!("{:.0}", c.wall_ms)) ", " (format!("{:.0}", c.compute_ms)) }
                td.num { (format!("{:.0}", c.peak_mib)) }
            } } }
        } }
    }
}

fn provenance(d: &DossierView) -> Markup {
    let p = &d.provenance;
    html! {
        h2 { "Provenance" }
        dl.facts {
            dt { "Candidate SHA-256" } dd.id title=(p.candidate_sha256) { (short_hash(&p.candidate_sha256)) }
            dt { "Baseline SHA-256" } dd.id title=(p.baseline_sha256) { (short_hash(&p.baseline_sha256)) }
            dt { "Case list SHA-256" } dd.id title=(p.case_list_sha256) { (short_hash(&p.case_list_sha256)) }
            dt { "ONNX Runtime" } dd { (p.onnxruntime) }
            dt { "Retraining request" } dd.id { (p.retraining_request.as_deref().unwrap_or("—")) }
        }
    }
}

/// The promotion form, when the user may promote and the candidate is not deployed yet.
pub fn promotion(
    user: &ConsoleUser,
    job: &Job,
    d: Option<&DossierView>,
    role: Option<ModelRole>,
) -> Markup {
    let passed = d.is_some_and(|d| d.passed);
    let is_admin = user.user.role == Role::Admin;
    let action = format!("/console/shadow-runs/{}/promote", job.id);
    html! {
        h2 { "Promotion" }
        @if role == Some(ModelRole::Deployed) {
            p.empty id="promotion" { "The candidate is the deployed version." }
        } @else if !user.may(SHADOW_ACTORS) {
            p.empty id="promotion" { "The ML team promotes a candidate once its run has passed." }
        } @else if passed {
            form.card method="post" action=(action) {
                (page::csrf_field(user))
                p { "Promotion makes this version the deployed one and retires the previous; it is audited with this run." }
                button id="promote" type="submit" { "Promote to deployed" }
            }
        } @else if is_admin && d.is_some() {
            form.card method="post" action=(action) {
                (page::csrf_field(user))
                label for="override_reason" { "Override reason (admin; audited): why promote although the run did not pass" }
                textarea id="override_reason" name="override_reason" rows="2" required {}
                button.danger id="promote" type="submit" { "Promote with override" }
            }
        } @else {
            p.empty id="promotion" { "Promotion needs a finished run whose verdict passed (or an admin override)." }
        }
    }
}
