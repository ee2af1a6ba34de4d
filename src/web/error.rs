//! Console errors answer a person, not a program: a missing or expired session redirects to
//! the sign-in page (remembering where the user was going), everything else is an HTML page
//! with the same stable code and status as the API's error table.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use maud::html;

use super::page;
use crate::error::AppError;
use crate::storage::StoreError;

/// Why a console request did not produce its page.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// No valid session: sign in, then continue to `next`.
    #[error("sign in first")]
    SignIn { next: String },
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<StoreError> for ConsoleError {
    fn from(e: StoreError) -> Self {
        ConsoleError::App(e.into())
    }
}

impl From<actix_web::error::BlockingError> for ConsoleError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        ConsoleError::App(e.into())
    }
}

/// Percent-encode a path and query for a `next=` parameter.
pub fn encode_component(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl ResponseError for ConsoleError {
    fn status_code(&self) -> StatusCode {
        match self {
            ConsoleError::SignIn { .. } => StatusCode::SEE_OTHER,
            ConsoleError::App(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        let e = match self {
            ConsoleError::SignIn { next } => {
                let to = format!("/console/login?next={}", encode_component(next));
                return HttpResponse::SeeOther()
                    .insert_header(("Location", to))
                    .finish();
            }
            ConsoleError::App(e) => e,
        };
        match e {
            AppError::Internal(cause) | AppError::Unavailable(cause) => {
                tracing::error!(error.code = e.code(), %cause, "console request failed")
            }
            _ => tracing::info!(error.code = e.code(), "console request refused"),
        }
        let hint = match e {
            AppError::Forbidden => {
                "Your role may not open this page or take this action. \
                                    Ask an administrator if you need it."
            }
            AppError::CsrfRefused => "Go back, reload the page and submit the form again.",
            AppError::NotFound(_) => "It may have been removed, or the link is mistyped.",
            _ => "Go back and try again; if it persists, tell your administrator the code.",
        };
        let body = html! {
            div.notice.error role="alert" {
                p { strong { (e.to_string()) } }
                @if let Some(details) = e.details() {
                    ul.details { @for d in details { li { code { (d.path) } ": " (d.message) } } }
                }
                p { (hint) }
                p.muted { "Error code: " code { (e.code()) } }
            }
            p { a href="/console" { "Back to the fleet overview" } }
        };
        page::respond(e.status_code(), &page::bare("Something went wrong", body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_targets_keep_slashes_and_escape_the_query() {
        assert_eq!(
            encode_component("/console/alerts?state=open&model=a b"),
            "/console/alerts%3Fstate%3Dopen%26model%3Da%20b"
        );
    }
}
