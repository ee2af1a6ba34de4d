//! The signed-in user of a console request: the session cookie is hashed and looked up,
//! checked against its expiry (on the injected clock) and the user's `disabled` flag; without
//! a valid session a page redirects to sign-in. Role and CSRF checks live here too, so every
//! handler states them in one line.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::{FromRequest, HttpRequest, dev::Payload, http::Method, web};

use super::Console;
use super::error::ConsoleError;
use crate::console::{nav, session};
use crate::domain::Role;
use crate::domain::user::User;
use crate::error::AppError;
use crate::http::AppState;

/// A request's signed-in user with the session's CSRF token.
pub struct ConsoleUser {
    pub user: User,
    pub csrf: String,
    pub session_hash: String,
}

impl ConsoleUser {
    /// 403 unless the user's role may use something open to `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), ConsoleError> {
        if nav::allows(roles, self.user.role) {
            Ok(())
        } else {
            Err(AppError::Forbidden.into())
        }
    }

    /// 403 unless the user may open the registered page `key`.
    pub fn require_page(&self, key: &str) -> Result<(), ConsoleError> {
        let page = nav::page(key).ok_or_else(|| AppError::Internal(format!("page {key}")))?;
        self.require(page.roles)
    }

    /// 403 `csrf_refused` unless `given` is this session's token.
    pub fn check_csrf(&self, given: &str) -> Result<(), ConsoleError> {
        if session::tokens_match(&self.csrf, given) {
            Ok(())
        } else {
            Err(AppError::CsrfRefused.into())
        }
    }

    pub fn may(&self, roles: &[Role]) -> bool {
        nav::allows(roles, self.user.role)
    }

    /// The actor recorded in the audit trail, as for the API.
    pub fn actor(&self) -> crate::service::admin::Actor {
        crate::service::admin::Actor(format!("user:{}", self.user.name))
    }
}

/// Whether cookies must carry `Secure`: under TLS, seen directly, through a proxy's
/// forwarded scheme, or because the public URL is https.
pub fn is_tls(req: &HttpRequest, state: &AppState) -> bool {
    req.connection_info().scheme() == "https" || state.settings.public_url.starts_with("https://")
}

/// A console cookie: HttpOnly, SameSite=Strict, scoped to `/console`, Secure under TLS.
pub fn cookie(name: &str, value: String, max_age_s: i64, secure: bool) -> Cookie<'static> {
    Cookie::build(name.to_string(), value)
        .path("/console")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .max_age(CookieDuration::seconds(max_age_s))
        .finish()
}

fn next_of(req: &HttpRequest) -> String {
    if req.method() == Method::GET {
        req.uri()
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/console".into())
    } else {
        "/console".into()
    }
}

impl FromRequest for ConsoleUser {
    type Error = ConsoleError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ConsoleError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let next = next_of(req);
        let id = req.cookie(session::COOKIE).map(|c| c.value().to_string());
        let console = req.app_data::<web::Data<Console>>().cloned();
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let sign_in = || ConsoleError::SignIn { next: next.clone() };
            let (Some(id), Some(console), Some(state)) = (id, console, state) else {
                return Err(sign_in());
            };
            let hash = session::id_hash(&id);
            let h = hash.clone();
            let found = web::block(move || console.sessions.session(&h)).await??;
            match found {
                Some((s, user))
                    if !user.disabled && session::is_live(s.expires_at, state.clock.now()) =>
                {
                    Ok(ConsoleUser {
                        user,
                        csrf: s.csrf_token,
                        session_hash: hash,
                    })
                }
                _ => Err(sign_in()),
            }
        })
    }
}
