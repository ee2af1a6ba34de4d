//! The API's text rule (`domain::text_rule`) on the console's form posts: a field that is
//! one line refuses line breaks and other control characters, free text (notes, reasons,
//! descriptions, narrative sections) takes lines, and every field has its length cap. A
//! refused post answers the console's error page (422 `validation_failed`, the field named in
//! the details) before its handler runs, so nothing is stored. A form field that carries JSON
//! (the report stage's `fields`) is checked field by field as the API checks that JSON body.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, ResponseError, web};
use futures_util::StreamExt;

use super::error::ConsoleError;
use crate::domain::FieldIssue;
use crate::domain::text_rule::{form_issue, json_issue};
use crate::error::AppError;
use crate::http::AppState;
use crate::http::text_guard::text_refusal;

/// `(console form route, field, API route)`: form fields whose value is a JSON body of that
/// API route.
const JSON_FIELDS: &[(&str, &str, &str)] = &[(
    "/console/incidents/{id}/reports",
    "fields",
    "/api/v1/incidents/{id}/reports",
)];

/// The first field of the form body `body`, posted to `route`, that the text rule refuses.
fn form_body_issue(route: &str, body: &[u8]) -> Option<FieldIssue> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
    let api_route = |name: &str| {
        JSON_FIELDS
            .iter()
            .find(|(r, field, _)| *r == route && *field == name)
            .map(|(_, _, api)| *api)
    };
    let (json, text): (Vec<_>, Vec<_>) = pairs
        .iter()
        .partition(|(name, _)| api_route(name).is_some());
    for (name, value) in json {
        let api = api_route(name).unwrap_or_default();
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(value)
            && let Some(issue) = json_issue(api, &v, &format!("{name}."))
        {
            return Some(issue);
        }
    }
    form_issue(route, text.iter().map(|(n, v)| (n.as_str(), v.as_str())))
}

fn is_form(req: &ServiceRequest) -> bool {
    req.headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| {
            m.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// Middleware of the console scope: refuse form posts the text rule refuses.
pub async fn refuse_bad_form_text(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if !is_form(&req) {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let limit = req
        .app_data::<web::Data<AppState>>()
        .map_or(usize::MAX, |s| s.settings.max_body_bytes);
    let mut payload = req.take_payload();
    let mut buf = web::BytesMut::new();
    let mut refused = None;
    while let Some(chunk) = payload.next().await {
        let Ok(chunk) = chunk else {
            refused = Some(AppError::BadRequest("form could not be read".into()));
            break;
        };
        if buf.len() + chunk.len() > limit {
            refused = Some(AppError::PayloadTooLarge);
            break;
        }
        buf.extend_from_slice(&chunk);
    }
    let route = req.match_pattern().unwrap_or_default();
    let refused = refused.or_else(|| form_body_issue(&route, &buf).map(text_refusal));
    if let Some(e) = refused {
        let res = ConsoleError::App(e).error_response();
        return Ok(req.into_response(res).map_into_right_body());
    }
    req.set_payload(actix_web::dev::Payload::from(buf.freeze()));
    Ok(next.call(req).await?.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_fields_refuse_line_breaks_and_free_text_takes_them() {
        let route = "/console/incidents";
        let ok = b"csrf=t&title=Drift&description=line+1%0D%0Aline+2";
        assert!(form_body_issue(route, ok).is_none());
        let bad = b"csrf=t&title=Drift%0Aagain&description=x";
        let issue = form_body_issue(route, bad).expect("refused");
        assert_eq!(
            (issue.path.as_str(), issue.code.as_str()),
            ("title", "control_character")
        );
        let narratives = "/console/reports/narratives/{device}/{kind}/{from}/{to}";
        assert!(form_body_issue(narratives, b"csrf=t&field.summary=a%0Ab").is_none());
    }

    #[test]
    fn json_fields_are_checked_field_by_field() {
        let route = "/console/incidents/{id}/reports";
        let json = r#"{"nca_name": "BfArM\n", "preliminary_analysis": "a\nb"}"#;
        let body = format!("csrf=t&stage=initial&fields={}", urlencode(json));
        let issue = form_body_issue(route, body.as_bytes()).expect("refused");
        assert_eq!(issue.path, "fields.nca_name");
        let json = "{\n  \"nca_name\": \"BfArM\",\n  \"preliminary_analysis\": \"a\\nb\"\n}";
        let body = format!("csrf=t&stage=initial&fields={}", urlencode(json));
        assert!(form_body_issue(route, body.as_bytes()).is_none());
    }

    fn urlencode(s: &str) -> String {
        form_urlencoded::byte_serialize(s.as_bytes()).collect()
    }
}
