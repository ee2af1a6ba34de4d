//! The roles matrix walked whole: every route of `http::roles::ROUTES` called by every kind of
//! principal on the real server; a refused principal gets 403 before its body is read, an
//! allowed one never does, a known path with another method gets 405 with `Allow`, and
//! README's role table is the one generated from the matrix.

use serde_json::Value;
use vigil::domain::Role;
use vigil::http::roles::{ROUTES, Who, markdown_table};
use vigil::service::admin::{Actor, add_user};

use crate::support::{databases, spawn_app, test_now};

/// A concrete path for a template: every `{param}` becomes `x`.
fn concrete(template: &str) -> String {
    let mut out = String::new();
    let mut skip = false;
    for c in template.chars() {
        match c {
            '{' => {
                skip = true;
                out.push('x');
            }
            '}' => skip = false,
            _ if !skip => out.push(c),
            _ => {}
        }
    }
    out
}

#[actix_web::test]
async fn every_role_on_every_route_gets_what_the_matrix_says() {
    for db in databases() {
        let app = spawn_app(&db).await;
        let (_, regulatory) = add_user(
            &*app.store,
            &Actor("cli:test".into()),
            "ra1",
            Role::Regulatory,
            test_now(),
        )
        .unwrap();
        let principals: [(&str, &str, Option<Role>); 5] = [
            ("site", &app.site_key, None),
            ("admin", &app.admin, Some(Role::Admin)),
            ("quality", &app.quality, Some(Role::Quality)),
            ("regulatory", &regulatory, Some(Role::Regulatory)),
            ("ml", &app.ml, Some(Role::Ml)),
        ];
        let mut wrong = Vec::new();
        for rule in ROUTES {
            let url = format!("{}{}", app.base, concrete(rule.path));
            for (name, token, role) in &principals {
                let method = reqwest::Method::from_bytes(rule.method.as_bytes()).unwrap();
                let res = app
                    .client
                    .request(method, &url)
                    .bearer_auth(token)
                    .header("content-type", "application/json")
                    .body("{}")
                    .send()
                    .await
                    .unwrap();
                let status = res.status().as_u16();
                let allowed = match rule.who {
                    Who::Anyone => true,
                    Who::Site => role.is_none(),
                    Who::Users(roles) => role.is_some_and(|r| roles.contains(&r)),
                };
                let ok = if rule.who == Who::Anyone {
                    // /metrics checks its own token: 401 is its answer to user tokens.
                    ![403, 405, 500].contains(&status)
                } else if allowed {
                    ![401, 403, 405, 500].contains(&status)
                } else {
                    status == 403
                };
                if !ok {
                    wrong.push(format!("{} {} as {name}: {status}", rule.method, rule.path));
                }
            }
        }
        assert!(wrong.is_empty(), "{}: {wrong:#?}", app.label);
    }
}

#[actix_web::test]
async fn a_known_path_with_another_method_is_405_with_allow() {
    let db = crate::support::sqlite_db();
    let app = spawn_app(&db).await;
    let res = app
        .client
        .delete(format!("{}/api/v1/sites", app.base))
        .bearer_auth(&app.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 405);
    assert_eq!(res.headers()["allow"], "GET, POST, HEAD");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "method_not_allowed");
    let res = app
        .client
        .get(format!("{}/api/v1/alerts/x/escalate", app.base))
        .bearer_auth(&app.quality)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 405);
    assert_eq!(res.headers()["allow"], "POST");
    // HEAD works where GET does: the headers of the GET answer, no body.
    let url = format!("{}/api/v1/models", app.base);
    let get = app
        .client
        .get(&url)
        .bearer_auth(&app.quality)
        .send()
        .await
        .unwrap();
    let get_len = get.headers()["content-length"].clone();
    assert!(!get.bytes().await.unwrap().is_empty());
    let head = app
        .client
        .head(&url)
        .bearer_auth(&app.quality)
        .send()
        .await
        .unwrap();
    assert_eq!(head.status().as_u16(), 200);
    assert_eq!(head.headers()["content-length"], get_len);
    assert!(head.bytes().await.unwrap().is_empty());
    let site_head = app
        .client
        .head(&url)
        .bearer_auth(&app.site_key)
        .send()
        .await
        .unwrap();
    assert_eq!(site_head.status().as_u16(), 403);
    let healthz = app
        .client
        .head(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(healthz.status().as_u16(), 200);
    // An unknown path stays a 404.
    assert_eq!(app.get("/api/v1/nothing-here", &app.admin).await.0, 404);
}

#[test]
fn readme_role_table_is_generated_from_the_matrix() {
    let readme = include_str!("../../README.md");
    let table = readme
        .split("<!-- roles:begin -->\n")
        .nth(1)
        .and_then(|rest| rest.split("<!-- roles:end -->").next())
        .expect("README has the roles markers");
    assert_eq!(
        table,
        markdown_table(),
        "paste vigil::http::roles::markdown_table() between the markers"
    );
}

#[test]
fn every_route_registered_in_src_http_has_a_row() {
    // A tripwire beside the middleware's 500: route strings in `.route("...")` calls of every
    // file under src/http must end one of the matrix's templates.
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/http");
    let re = regex::Regex::new(r#"\.route\(\s*"([^"]+)""#).unwrap();
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        for c in re.captures_iter(&text) {
            let route = &c[1];
            if !ROUTES.iter().any(|r| r.path.ends_with(route)) {
                missing.push(format!("{}: {route}", path.display()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "routes without a row in http::roles::ROUTES: {missing:#?}"
    );
}
