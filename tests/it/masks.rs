//! `POST /api/v1/reviews/{id}/masks`: real NIfTI fixture pairs (multipart) and run-length JSON,
//! metrics stored on the review, and the refusals a site can run into.

use diesel::prelude::*;
use serde_json::{Value, json};

use crate::support::{TestApp, databases, event, review, spawn_app};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/metrics");

fn expected(case: &str) -> Value {
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{FIXTURES}/vectors.json")).unwrap())
            .unwrap();
    v["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == case)
        .unwrap()["expected"]
        .clone()
}

async fn seed_review(app: &TestApp) -> String {
    app.post(
        "/api/v1/events",
        &app.site_key,
        &json!({"events": [event(1)]}),
    )
    .await;
    let r = review(1, 1);
    app.post(
        "/api/v1/reviews",
        &app.site_key,
        &json!({"reviews": [r.clone()]}),
    )
    .await;
    r["review_id"].as_str().unwrap().to_string()
}

async fn upload(
    app: &TestApp,
    key: &str,
    review_id: &str,
    pred: &str,
    reference: &str,
) -> (u16, Value) {
    let file = |name: &str| {
        let bytes = std::fs::read(format!("{FIXTURES}/cases/{name}")).unwrap();
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_string())
    };
    let form = reqwest::multipart::Form::new()
        .part("prediction", file(pred))
        .part("reference", file(reference));
    let url = format!("{}/api/v1/reviews/{review_id}/masks", app.base);
    let res = app
        .client
        .post(url)
        .bearer_auth(key)
        .multipart(form)
        .send()
        .await
        .unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

fn stored_metrics(url: &str, review_id: &str) -> Option<String> {
    use vigil::storage::diesel::schema::reviews;
    let q = reviews::table
        .find(review_id)
        .select(reviews::server_metrics);
    if let Some(path) = url.strip_prefix("sqlite://") {
        q.first(&mut SqliteConnection::establish(path).unwrap())
            .unwrap()
    } else {
        q.first(&mut PgConnection::establish(url).unwrap()).unwrap()
    }
}

#[actix_web::test]
async fn nifti_upload_gives_the_reference_metrics_and_stores_them() {
    for db in databases() {
        let app = spawn_app(&db).await;
        let review_id = seed_review(&app).await;
        let (status, body) = upload(
            &app,
            &app.site_key,
            &review_id,
            "shifted_sphere_diag_pred.nii.gz",
            "shifted_sphere_diag_ref.nii.gz",
        )
        .await;
        assert_eq!(status, 200, "{}: {body}", app.label);
        let want = expected("shifted_sphere_diag");
        let got = &body["labels"][0];
        assert_eq!(got["label"].as_f64(), Some(1.0));
        for (field, key) in [("dice", "dice"), ("hd95", "hd95"), ("masd", "masd")] {
            let (g, w) = (got[field].as_f64().unwrap(), want[key].as_f64().unwrap());
            assert!((g - w).abs() <= 1e-9 * w.abs(), "{field}: {g} vs {w}");
        }
        let stored: Value =
            serde_json::from_str(&stored_metrics(&db.url, &review_id).unwrap()).unwrap();
        assert_eq!(stored, body["labels"], "{}", app.label);
    }
}

#[actix_web::test]
async fn run_length_upload_and_refusals() {
    for db in databases() {
        let app = spawn_app(&db).await;
        let review_id = seed_review(&app).await;
        let path = format!("/api/v1/reviews/{review_id}/masks");
        let rle = |runs: Value, shape: Value| json!({"shape": shape, "spacing": [1.0, 1.0, 1.0], "runs": runs});
        // 4x4x4 grid: prediction covers voxels 0..8, reference 0..4 -> Dice 2*4/(8+4).
        let ok = json!({"prediction": rle(json!([[0, 8]]), json!([4, 4, 4])), "reference": rle(json!([[0, 4]]), json!([4, 4, 4]))});
        let (status, body) = app.post(&path, &app.site_key, &ok).await;
        assert_eq!(status, 200, "{body}");
        assert!((body["labels"][0]["dice"].as_f64().unwrap() - 8.0 / 12.0).abs() < 1e-15);
        let mismatch = json!({"prediction": rle(json!([[0, 8]]), json!([4, 4, 4])), "reference": rle(json!([[0, 4]]), json!([4, 4, 5]))});
        let (status, body) = app.post(&path, &app.site_key, &mismatch).await;
        assert_eq!(
            (status, body["code"].clone()),
            (422, json!("shape_mismatch")),
            "{body}"
        );
        let outside = json!({"prediction": rle(json!([[60, 8]]), json!([4, 4, 4])), "reference": rle(json!([[0, 4]]), json!([4, 4, 4]))});
        assert_eq!(
            app.post(&path, &app.site_key, &outside).await.1["code"],
            "invalid_rle"
        );
        let (status, _) = app.post(&path, &app.other_site_key, &ok).await;
        assert_eq!(status, 404, "another site's review");
        let (status, _) = app
            .post(
                "/api/v1/reviews/10000000-0000-4000-8000-999999999999/masks",
                &app.site_key,
                &ok,
            )
            .await;
        assert_eq!(status, 404);
        let (status, body) = upload(
            &app,
            &app.site_key,
            &review_id,
            "thin_line_pred.nii.gz",
            "../vectors.json",
        )
        .await;
        assert_eq!(
            (status, body["code"].clone()),
            (422, json!("not_nifti")),
            "{body}"
        );
    }
}

#[actix_web::test]
async fn volumes_above_the_voxel_limit_are_refused_before_decoding() {
    let db = crate::support::sqlite_db();
    let mut settings = crate::support::settings_for(&db);
    settings.max_mask_voxels = 1000;
    let app = crate::support::spawn_app_with(&db, settings).await;
    let review_id = seed_review(&app).await;
    let (status, body) = upload(
        &app,
        &app.site_key,
        &review_id,
        "random_blobs_64_pred.nii.gz",
        "random_blobs_64_ref.nii.gz",
    )
    .await;
    assert_eq!(
        (status, body["code"].clone()),
        (413, json!("payload_too_large")),
        "{body}"
    );
}
