//! Sites, users and keys for administrators (`/console/admin`): register a site or a user,
//! rotate a site's key, disable or re-enable either. Every action goes through
//! `service::admin`, like the CLI and the API, and is audited there. A new key or token is
//! shown once on the answer page (never in a URL) and is not stored in clear anywhere.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use super::error::ConsoleError;
use super::page;
use super::session::ConsoleUser;
use crate::domain::Role;
use crate::domain::site::Site;
use crate::domain::user::User;
use crate::error::AppError;
use crate::http::AppState;
use crate::service::admin::{self, AdminError};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin", web::get().to(admin_page))
        .route("/admin/sites", web::post().to(post_site))
        .route(
            "/admin/sites/{id}/{action}",
            web::post().to(post_site_action),
        )
        .route("/admin/users", web::post().to(post_user))
        .route(
            "/admin/users/{name}/{action}",
            web::post().to(post_user_action),
        );
}

fn map_admin(e: AdminError) -> ConsoleError {
    match e {
        AdminError::Invalid(m) => AppError::Validation {
            message: m,
            details: vec![],
        }
        .into(),
        AdminError::Store(s) => s.into(),
    }
}

async fn admin_page(
    user: ConsoleUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    user.require_page("admin")?;
    let st = state.clone();
    let (sites, users) = web::block(move || -> Result<_, crate::storage::StoreError> {
        Ok((st.store.list_sites()?, st.store.list_users()?))
    })
    .await??;
    let body = html! { (site_section(&user, &sites)) (user_section(&user, &users)) };
    Ok(page::ok("Sites & users", &user, "admin", body))
}

fn small_post(user: &ConsoleUser, action: String, label: &str, id: &str) -> Markup {
    html! { form.inline method="post" action=(action) {
        (page::csrf_field(user)) button.small type="submit" aria-label={ (label) " " (id) } { (label) }
    } }
}

fn site_section(user: &ConsoleUser, sites: &[Site]) -> Markup {
    html! {
        h2 { "Sites" }
        @if sites.is_empty() { p.empty { "No sites yet: register the first one below." } }
        @else { div.scroll { table {
            thead { tr { th scope="col" { "Site" } th scope="col" { "Country" } th scope="col" { "Key rotated" }
                th scope="col" { "Status" } th scope="col" { "Actions" } } }
            tbody { @for s in sites { tr {
                td.long { span.id { (s.id) } br; span.muted { (s.name) } }
                td { (s.country) } td { (page::time(s.key_rotated_at)) }
                td { @if s.disabled { (page::badge("off", "disabled")) } @else { (page::badge("ok", "active")) } }
                td.actions {
                    (small_post(user, format!("/console/admin/sites/{}/rotate-key", s.id), "Rotate key", &s.id))
                    @if s.disabled { (small_post(user, format!("/console/admin/sites/{}/enable", s.id), "Enable", &s.id)) }
                    @else { (small_post(user, format!("/console/admin/sites/{}/disable", s.id), "Disable", &s.id)) }
                }
            } } }
        } } }
        form.card method="post" action="/console/admin/sites" {
            h3 { "Register a site" }
            (page::csrf_field(user))
            label for="site-id" { "Site id (pseudonymous, a-z 0-9 . _ -)" }
            input id="site-id" name="id" required pattern="[a-z0-9][a-z0-9._\\-]{0,63}";
            label for="site-name" { "Name" } input id="site-name" name="name" required maxlength="200";
            label for="site-country" { "Country (ISO 3166 alpha-2)" }
            input id="site-country" name="country" required maxlength="2" size="3";
            button type="submit" { "Register site" }
        }
    }
}

fn user_section(user: &ConsoleUser, users: &[User]) -> Markup {
    html! {
        h2 { "Users" }
        div.scroll { table {
            thead { tr { th scope="col" { "User" } th scope="col" { "Role" } th scope="col" { "Created" }
                th scope="col" { "Status" } th scope="col" { "Actions" } } }
            tbody { @for u in users { tr {
                td.id { (u.name) } td { (u.role.as_str()) } td { (page::time(u.created_at)) }
                td { @if u.disabled { (page::badge("off", "disabled")) } @else { (page::badge("ok", "active")) } }
                td.actions { @if u.id != user.user.id {
                    @if u.disabled { (small_post(user, format!("/console/admin/users/{}/enable", u.name), "Enable", &u.name)) }
                    @else { (small_post(user, format!("/console/admin/users/{}/disable", u.name), "Disable", &u.name)) }
                } @else { span.muted { "you" } } }
            } } }
        } }
        form.card method="post" action="/console/admin/users" {
            h3 { "Add a user" }
            (page::csrf_field(user))
            label for="user-name" { "User name" } input id="user-name" name="name" required;
            label for="user-role" { "Role" }
            select id="user-role" name="role" required {
                option value="" disabled selected { "Choose a role" }
                @for r in [Role::Quality, Role::Regulatory, Role::Ml, Role::Admin] {
                    option value=(r.as_str()) { (r.as_str()) }
                }
            }
            button type="submit" { "Add user" }
        }
    }
}

/// The page that shows a new secret once.
fn secret_page(user: &ConsoleUser, title: &str, what: &str, secret: &str) -> HttpResponse {
    let body = html! {
        div.notice.ok role="status" {
            p { (what) " It is shown only now; Vigil keeps only its hash." }
            p { code.secret id="secret" { (secret) } }
        }
        p { a href="/console/admin" { "Back to sites & users" } }
    };
    page::respond(
        StatusCode::OK,
        &page::layout(title, Some(user), "admin", body),
    )
}

fn back() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", "/console/admin"))
        .finish()
}

#[derive(Debug, Deserialize)]
pub struct SiteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    country: String,
}

async fn post_site(
    user: ConsoleUser,
    state: web::Data<AppState>,
    form: web::Form<SiteForm>,
) -> Result<HttpResponse, ConsoleError> {
    user.require(crate::console::nav::ADMINS)?;
    let f = form.into_inner();
    user.check_csrf(&f.csrf)?;
    let (st, actor) = (state.clone(), user.actor());
    let country = f.country.trim().to_ascii_uppercase();
    let (site, key) = web::block(move || {
        admin::add_site(
            &*st.store,
            &actor,
            f.id.trim(),
            f.name.trim(),
            &country,
            st.clock.now(),
        )
    })
    .await?
    .map_err(map_admin)?;
    let what = format!("Site {} registered. Give the site this key:", site.id);
    Ok(secret_page(&user, "Site registered", &what, &key))
}

#[derive(Debug, Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

async fn post_site_action(
    user: ConsoleUser,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, ConsoleError> {
    user.require(crate::console::nav::ADMINS)?;
    user.check_csrf(&form.csrf)?;
    let (id, action) = path.into_inner();
    let (st, actor, site) = (state.clone(), user.actor(), id.clone());
    let key = web::block(move || match action.as_str() {
        "rotate-key" => admin::rotate_site_key(&*st.store, &actor, &site, st.clock.now()).map(Some),
        "disable" => admin::set_site_disabled(&*st.store, &actor, &site, true).map(|_| None),
        "enable" => admin::set_site_disabled(&*st.store, &actor, &site, false).map(|_| None),
        _ => Err(AdminError::Invalid(
            "action must be rotate-key, disable or enable".into(),
        )),
    })
    .await?
    .map_err(map_admin)?;
    Ok(match key {
        Some(k) => {
            let what = format!("New key of site {id}; the old key no longer works.");
            secret_page(&user, "Site key rotated", &what, &k)
        }
        None => back(),
    })
}

#[derive(Debug, Deserialize)]
pub struct UserForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
}

async fn post_user(
    user: ConsoleUser,
    state: web::Data<AppState>,
    form: web::Form<UserForm>,
) -> Result<HttpResponse, ConsoleError> {
    user.require(crate::console::nav::ADMINS)?;
    let f = form.into_inner();
    user.check_csrf(&f.csrf)?;
    let role: Role = f.role.parse().map_err(|m: String| AppError::Validation {
        message: format!("role: {m}"),
        details: vec![],
    })?;
    let (st, actor) = (state.clone(), user.actor());
    let (added, token) = web::block(move || {
        admin::add_user(&*st.store, &actor, f.name.trim(), role, st.clock.now())
    })
    .await?
    .map_err(map_admin)?;
    let what = format!(
        "User {} ({}) added. Give them this sign-in token:",
        added.name, added.role
    );
    Ok(secret_page(&user, "User added", &what, &token))
}

async fn post_user_action(
    user: ConsoleUser,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, ConsoleError> {
    user.require(crate::console::nav::ADMINS)?;
    user.check_csrf(&form.csrf)?;
    let (name, action) = path.into_inner();
    let disabled = match action.as_str() {
        "disable" => true,
        "enable" => false,
        _ => return Err(AppError::NotFound("no such user action".into()).into()),
    };
    let (st, actor) = (state.clone(), user.actor());
    web::block(move || admin::set_user_disabled(&*st.store, &actor, &name, disabled))
        .await?
        .map_err(map_admin)?;
    Ok(back())
}
