//! Sign-in and sign-out. A person signs in with the user token an administrator issued
//! (`vigil user add`); a site key is refused, whatever its site. The login form is guarded by
//! a one-off cookie matched against a hidden field (no session exists yet to hold a token).
//! Sign-in and sign-out are audited; the session row is deleted at sign-out.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use super::Console;
use super::error::ConsoleError;
use super::page;
use super::session::{ConsoleUser, cookie, is_tls};
use crate::console::session::{self, COOKIE, LIFETIME_HOURS, LOGIN_COOKIE};
use crate::domain::audit::AuditDraft;
use crate::error::AppError;
use crate::http::AppState;
use crate::service::admin::{Principal, authenticate};
use crate::storage::sessions::ConsoleSession;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/login", web::get().to(login_page))
        .route("/login", web::post().to(post_login))
        .route("/logout", web::post().to(post_logout));
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

fn form(csrf: &str, next: &str, problem: Option<&str>) -> Markup {
    html! {
        @if let Some(p) = problem {
            div.notice.error role="alert" id="login-error" { (p) }
        }
        form.card.narrow method="post" action="/console/login" {
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="next" value=(next);
            label for="token" { "Access token" }
            input id="token" name="token" type="password" required autocomplete="off"
                spellcheck="false" aria-describedby="token-help";
            p.muted id="token-help" {
                "Paste the user token your administrator gave you (it starts with "
                code { "vut_" } "). Site keys cannot sign in."
            }
            button type="submit" { "Sign in" }
        }
    }
}

fn login_response(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    next: &str,
    problem: Option<&str>,
) -> HttpResponse {
    let nonce = session::random_token();
    let markup = page::bare("Sign in", form(&nonce, next, problem));
    let mut res = page::respond(status, &markup);
    let c = cookie(LOGIN_COOKIE, nonce, 3600, is_tls(req, state));
    let _ = res.add_cookie(&c);
    res
}

async fn login_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<NextQuery>,
) -> HttpResponse {
    let next = session::safe_next(q.next.as_deref());
    login_response(&req, &state, StatusCode::OK, &next, None)
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    csrf: String,
    next: Option<String>,
}

async fn post_login(
    req: HttpRequest,
    state: web::Data<AppState>,
    console: web::Data<Console>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, ConsoleError> {
    let form = form.into_inner();
    let expected = req.cookie(LOGIN_COOKIE).map(|c| c.value().to_string());
    if !session::tokens_match(expected.as_deref().unwrap_or(""), &form.csrf) {
        return Err(AppError::CsrfRefused.into());
    }
    let next = session::safe_next(form.next.as_deref());
    let st = state.clone();
    let token = form.token.trim().to_string();
    let principal = web::block(move || authenticate(&*st.store, &token)).await??;
    let user = match principal {
        Some(Principal::User(u)) => u,
        Some(Principal::Site(_)) => {
            let why = "A site key cannot sign in to the console; use a user token.";
            return Ok(login_response(
                &req,
                &state,
                StatusCode::FORBIDDEN,
                &next,
                Some(why),
            ));
        }
        None => {
            let why = "That token is unknown or disabled. Check it and try again.";
            return Ok(login_response(
                &req,
                &state,
                StatusCode::UNAUTHORIZED,
                &next,
                Some(why),
            ));
        }
    };
    let id = session::random_token();
    let now = state.clock.now();
    let row = ConsoleSession {
        id_hash: session::id_hash(&id),
        user_id: user.id.clone(),
        csrf_token: session::random_token(),
        created_at: now,
        expires_at: session::expiry(now),
    };
    let audit = AuditDraft {
        actor: format!("user:{}", user.name),
        action: "console.sign_in".into(),
        target: user.name.clone(),
        details: "{}".into(),
    };
    let (st, c) = (state.clone(), console.clone());
    web::block(move || -> Result<(), crate::storage::StoreError> {
        c.sessions.delete_expired_sessions(now)?;
        c.sessions.insert_session(&row)?;
        st.store.append_audit(&audit).map(|_| ())
    })
    .await??;
    let secure = is_tls(&req, &state);
    let mut res = HttpResponse::SeeOther()
        .insert_header(("Location", next))
        .finish();
    let _ = res.add_cookie(&cookie(COOKIE, id, LIFETIME_HOURS * 3600, secure));
    let _ = res.add_cookie(&cookie(LOGIN_COOKIE, String::new(), 0, secure));
    Ok(res)
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

async fn post_logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    console: web::Data<Console>,
    user: ConsoleUser,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, ConsoleError> {
    user.check_csrf(&form.csrf)?;
    let audit = AuditDraft {
        actor: format!("user:{}", user.user.name),
        action: "console.sign_out".into(),
        target: user.user.name.clone(),
        details: "{}".into(),
    };
    let (st, c, hash) = (state.clone(), console.clone(), user.session_hash.clone());
    web::block(move || -> Result<(), crate::storage::StoreError> {
        c.sessions.delete_session(&hash)?;
        st.store.append_audit(&audit).map(|_| ())
    })
    .await??;
    let mut res = HttpResponse::SeeOther()
        .insert_header(("Location", "/console/login"))
        .finish();
    let _ = res.add_cookie(&cookie(COOKIE, String::new(), 0, is_tls(&req, &state)));
    Ok(res)
}
