//! The page frame every console page shares: document head, skip link, navigation from the
//! page registry, the signed-in user with the sign-out form, and the response headers that
//! keep pages out of caches and frames and forbid any script or style from elsewhere.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use maud::{DOCTYPE, Markup, html};

use super::session::ConsoleUser;
use crate::console::nav;

const CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// An HTML response with the console's security headers.
pub fn respond(status: StatusCode, markup: &Markup) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Content-Security-Policy", CSP))
        .insert_header(("X-Frame-Options", "DENY"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Referrer-Policy", "same-origin"))
        .body(markup.clone().into_string())
}

/// 200 with the full frame for a signed-in user; `current` is the registry key of the page.
pub fn ok(title: &str, user: &ConsoleUser, current: &str, body: Markup) -> HttpResponse {
    respond(StatusCode::OK, &layout(title, Some(user), current, body))
}

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · Vigil" }
            link rel="stylesheet" href="/console/static/console.css";
            script src="/console/static/console.js" defer {}
        }
    }
}

/// The frame without navigation (sign-in and error pages).
pub fn bare(title: &str, body: Markup) -> Markup {
    layout(title, None, "", body)
}

/// The whole document.
pub fn layout(title: &str, user: Option<&ConsoleUser>, current: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href="/console" { "Vigil" }
                    @if let Some(u) = user {
                        nav aria-label="Main" {
                            ul {
                                @for p in nav::visible(u.user.role) {
                                    li {
                                        @if p.key == current {
                                            a href=(p.path) aria-current="page" { (p.label) }
                                        } @else {
                                            a href=(p.path) { (p.label) }
                                        }
                                    }
                                }
                            }
                        }
                        div.who {
                            span { (u.user.name) " · " (u.user.role.as_str()) }
                            form method="post" action="/console/logout" {
                                (csrf_field(u))
                                button.link type="submit" { "Sign out" }
                            }
                        }
                    }
                }
                main id="main" tabindex="-1" {
                    h1 { (title) }
                    (body)
                }
                footer {
                    "Times are shown in your time zone; hover over a time for UTC."
                }
            }
        }
    }
}

/// The hidden CSRF field every console form carries.
pub fn csrf_field(u: &ConsoleUser) -> Markup {
    html! { input type="hidden" name="csrf" value=(u.csrf); }
}

/// A UTC instant: the script rewrites the text in the reader's time zone; the title keeps UTC.
pub fn time(t: DateTime<Utc>) -> Markup {
    let utc = t.format("%Y-%m-%d %H:%M UTC").to_string();
    html! { time datetime=(t.to_rfc3339()) title=(utc) { (utc) } }
}

/// An optional instant, or a dash.
pub fn time_opt(t: Option<DateTime<Utc>>) -> Markup {
    match t {
        Some(t) => time(t),
        None => html! { "—" },
    }
}

/// A UTC calendar day (not converted: days are UTC days throughout Vigil).
pub fn day(d: Option<NaiveDate>) -> Markup {
    match d {
        Some(d) => html! { time datetime=(d.to_string()) data-day="" { (d.to_string()) } },
        None => html! { "never" },
    }
}

/// A UTC calendar day, or `none` when absent.
pub fn day_or(d: Option<NaiveDate>, none: &str) -> Markup {
    match d {
        Some(_) => day(d),
        None => html! { (none) },
    }
}

/// A labelled state badge, readable without colour.
pub fn badge(kind: &str, text: &str) -> Markup {
    html! { span class={ "badge " (kind) } { (text) } }
}
