//! `GET /api/v1/audit/checkpoint`: the audit trail's signed checkpoint now (entry count, head
//! hash, time, HMAC under `audit_checkpoint_key`), for an external monitor that keeps the
//! latest and checks that the count never goes down (admin, quality, regulatory).

use actix_web::{HttpResponse, web};

use super::AppState;
use super::auth::Caller;
use crate::domain::Role;
use crate::error::AppError;
use crate::service::audit_checkpoints::current_checkpoint;

/// Register the audit routes (called by `routes.rs` inside `/api/v1`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/audit/checkpoint", web::get().to(get_checkpoint));
}

/// The signed checkpoint of the audit trail now (admin, quality, regulatory).
#[utoipa::path(get, path = "/api/v1/audit/checkpoint", tag = "audit", responses((status = 200, description = "{entries, head_hash, at, signature}"), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn get_checkpoint(
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    caller.user_with(&[Role::Admin, Role::Quality, Role::Regulatory])?;
    let st = state.clone();
    let cp = web::block(move || {
        let key = st.settings.audit_checkpoint_key.expose();
        current_checkpoint(&*st.store, key, st.clock.now())
    })
    .await??;
    let cp = cp.ok_or_else(|| {
        AppError::NotFound(
            "no audit checkpoint: set audit_checkpoint_key (VIGIL_AUDIT_CHECKPOINT_KEY) to sign one"
                .into(),
        )
    })?;
    state.metrics.observe_checkpoint(&cp);
    Ok(HttpResponse::Ok().json(cp))
}
