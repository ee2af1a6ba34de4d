//! Authentication and authorisation: `Authorization: Bearer <site key | user token>` is
//! resolved to a principal (401 otherwise), rate-limited per credential (429 + Retry-After),
//! and each handler states which principals may call it (403 otherwise).

use std::future::Future;
use std::num::NonZeroU32;
use std::pin::Pin;

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use super::AppState;
use crate::domain::Role;
use crate::domain::credential;
use crate::domain::site::Site;
use crate::domain::user::User;
use crate::error::AppError;
use crate::service::admin::{Principal, authenticate};

/// Per-credential rate limiter keyed by the credential's hash.
pub type RateLimiter = DefaultKeyedRateLimiter<String>;

pub fn rate_limiter(per_second: u32, burst: u32) -> RateLimiter {
    let rate = NonZeroU32::new(per_second.max(1)).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
    RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
}

/// An authenticated caller.
pub struct Caller(pub Principal);

impl Caller {
    /// The calling site, or 403 for users.
    pub fn site(&self) -> Result<&Site, AppError> {
        match &self.0 {
            Principal::Site(s) => Ok(s),
            Principal::User(_) => Err(AppError::Forbidden),
        }
    }

    /// The calling user if their role is one of `roles`, else 403. Admin is no wildcard
    /// (segregation of duties): a route open to admin names it.
    pub fn user_with(&self, roles: &[Role]) -> Result<&User, AppError> {
        match &self.0 {
            Principal::User(u) if roles.contains(&u.role) => Ok(u),
            _ => Err(AppError::Forbidden),
        }
    }

    /// Any user, whatever the role; sites get 403.
    pub fn any_user(&self) -> Result<&User, AppError> {
        self.user_with(&Role::ALL)
    }
}

fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))?;
    Some(token.trim().to_string())
}

impl FromRequest for Caller {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // The roles middleware already authenticated (and rate-limited) this request.
        if let Some(principal) = req.extensions().get::<Principal>().cloned() {
            return Box::pin(async move { Ok(Caller(principal)) });
        }
        let token = bearer(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let (token, state) = match (token, state) {
                (Some(t), Some(s)) => (t, s),
                _ => return Err(AppError::Unauthenticated),
            };
            let key = credential::hash(&token);
            if let Err(not_until) = state.limiter.check_key(&key) {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                return Err(AppError::RateLimited {
                    retry_after_s: wait.as_secs_f64().ceil().max(1.0) as u64,
                });
            }
            let store = state.store.clone();
            let principal = web::block(move || authenticate(&*store, &token)).await??;
            principal.map(Caller).ok_or(AppError::Unauthenticated)
        })
    }
}
