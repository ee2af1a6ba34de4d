//! The audit log (`/console/audit`): the hash chain recomputed on every visit (intact, or
//! the first broken entry named) and the entries, newest first.

use actix_web::{HttpResponse, web};
use maud::html;

use super::error::ConsoleError;
use super::page;
use super::session::ConsoleUser;
use crate::console::format::short_hash;
use crate::domain::audit::verify_chain;
use crate::http::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/audit", web::get().to(audit_page));
}

/// Entries listed on the page (the chain is verified over all of them).
const SHOWN: usize = 500;

async fn audit_page(
    user: ConsoleUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    user.require_page("audit")?;
    let st = state.clone();
    let entries = web::block(move || st.store.audit_entries()).await??;
    let verdict = verify_chain(&entries);
    let body = html! {
        @match &verdict {
            Ok(n) => div.notice.ok role="status" id="chain" {
                "Chain intact: " (n) " entries recomputed from the first, each hash matching its content and its predecessor." }
            Err(b) => div.notice.error role="alert" id="chain" {
                "Chain broken at entry #" (b.seq) ": " (b.reason) ". Entries from there on cannot be trusted; \
                 compare with a backup and record a deviation." }
        }
        @if entries.is_empty() {
            p.empty { "No entries yet: every change by a user or an admin command is recorded here." }
        } @else {
            p.muted { "Newest first; showing " (entries.len().min(SHOWN)) " of " (entries.len()) "." }
            div.scroll { table {
                thead { tr { th scope="col" class="num" { "#" } th scope="col" { "When" }
                    th scope="col" { "Who, action" } th scope="col" { "Target, details" }
                    th scope="col" { "Hash" } } }
                tbody { @for e in entries.iter().rev().take(SHOWN) { tr {
                    td.num { (e.seq) }
                    td { (page::time(e.at)) }
                    td { span.id { (e.actor) } br; span.id { (e.action) } }
                    td { span.id { (e.target) } br; span.id.details.muted { (e.details) } }
                    td.id.hash title=(e.hash) { (short_hash(&e.hash)) }
                } } }
            } }
        }
    };
    Ok(page::ok("Audit log", &user, "audit", body))
}
