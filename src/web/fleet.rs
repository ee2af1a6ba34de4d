//! The fleet overview (`/console`): sites with their last contact and studies this week,
//! model versions with their studies and active alerts. Sites and alerts are shown only to
//! the roles the API lets read them.

use actix_web::{HttpResponse, web};
use chrono::Duration;
use maud::{Markup, html};

use super::error::ConsoleError;
use super::page;
use super::session::ConsoleUser;
use crate::console::fleet::{ModelRow, SiteRow, model_rows, site_rows};
use crate::console::nav;
use crate::domain::Role;
use crate::http::AppState;
use crate::storage::{AlertFilter, CountFilter};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("", web::get().to(fleet))
        .route("/", web::get().to(fleet));
}

const SITE_READERS: &[Role] = &[Role::Quality, Role::Regulatory, Role::Admin];

async fn fleet(
    user: ConsoleUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    user.require_page("fleet")?;
    let today = state.clock.now().date_naive();
    let (see_sites, see_alerts) = (
        user.may(SITE_READERS),
        user.may(nav::page("alerts").map_or(&[], |p| p.roles)),
    );
    let st = state.clone();
    let (sites, models) = web::block(move || -> Result<_, crate::storage::StoreError> {
        let counts = st.store.daily_counts(&CountFilter {
            from: Some(today - Duration::days(90)),
            ..CountFilter::default()
        })?;
        let alerts = if see_alerts {
            st.store.alerts(&AlertFilter {
                state: None,
                model: None,
                limit: 10_000,
                after: None,
            })?
        } else {
            vec![]
        };
        let sites = if see_sites {
            Some(site_rows(&st.store.list_sites()?, &counts, today))
        } else {
            None
        };
        let models = model_rows(&st.store.list_models()?, &counts, &alerts, today);
        Ok((sites, models))
    })
    .await??;
    let body = html! {
        (summary(sites.as_deref(), &models, see_alerts))
        @if let Some(sites) = &sites { (site_table(sites)) }
        (model_table(&models, see_alerts))
    };
    Ok(page::ok("Fleet overview", &user, "fleet", body))
}

fn summary(sites: Option<&[SiteRow]>, models: &[ModelRow], see_alerts: bool) -> Markup {
    let studies: i64 = models.iter().map(|m| m.studies_week).sum();
    let alerts: usize = models.iter().map(|m| m.active_alerts).sum();
    html! {
        ul.cards aria-label="Summary" {
            @if let Some(s) = sites {
                li { span.big { (s.len()) } " sites" }
            }
            li { span.big { (models.len()) } " model versions" }
            li { span.big { (studies) } " studies this week" }
            @if see_alerts {
                li { a href="/console/alerts?state=open" { span.big { (alerts) } " active alerts" } }
            }
        }
    }
}

fn site_table(sites: &[SiteRow]) -> Markup {
    html! {
        h2 { "Sites" }
        @if sites.is_empty() {
            p.empty { "No sites yet. An administrator registers one under “Sites & users” \
                      (or with " code { "vigil site add" } "), then gives the site its key." }
        } @else {
            div.scroll { table {
                thead { tr { th scope="col" { "Site" } th scope="col" { "Country" }
                    th scope="col" { "Last contact (UTC day)" } th scope="col" class="num" { "Studies this week" }
                    th scope="col" { "Status" } } }
                tbody { @for s in sites { tr {
                    td.long { span.id { (s.id) } br; span.muted { (s.name) } }
                    td { (s.country) }
                    td { (page::day(s.last_contact)) }
                    td.num { (s.studies_week) }
                    td { @if s.disabled { (page::badge("off", "disabled")) } @else { (page::badge("ok", "active")) } }
                } } }
            } }
        }
    }
}

fn model_table(models: &[ModelRow], see_alerts: bool) -> Markup {
    html! {
        h2 { "Model versions" }
        @if models.is_empty() {
            p.empty { "No model versions yet. The ML team registers one with "
                code { "vigil model add" } " or " code { "POST /api/v1/models" } "." }
        } @else {
            div.scroll { table {
                thead { tr { th scope="col" { "Model version" } th scope="col" class="num" { "Studies this week" }
                    @if see_alerts { th scope="col" class="num" { "Active alerts" } } } }
                tbody { @for m in models { tr {
                    td { a.id href={ "/console/models/" (m.name) } { (m.id) } }
                    td.num { (m.studies_week) }
                    @if see_alerts { td.num {
                        @if m.active_alerts > 0 {
                            a href={ "/console/alerts?model=" (m.id) } { (m.active_alerts) }
                        } @else { "0" }
                    } }
                } } }
            } }
        }
    }
}
