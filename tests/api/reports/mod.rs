//! Medical reports end to end: real multipart uploads of generated PDFs, text and images;
//! the background analysis and its flags; owner-only downloads with Range; refused uploads
//! that store nothing; a worker process killed mid-analysis; two server processes sharing a
//! queue; the sweeper; account deletion; profile images.

mod analysis;
mod downloads;
mod lifecycle;
mod profile_images;
mod uploads;
mod workers;

use std::time::Duration as StdDuration;

use chrono::Duration;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tests::{
    ChildServer, TestApp, UploadFile,
    documents::{line, pdf, pdf_bomb, png_with_location, two_page_lab_report},
    fake_ai::{Behaviour, FakeAi, REPORT_SUMMARY},
    ok, spawn_app, spawn_app_with,
};

const UPLOAD: &str = "mutation($file: Upload!, $type: ReportType!, $title: String) { uploadMedicalReport(file: $file, reportType: $type, title: $title) { report { id title fileName fileSize mimeType contentSha256 analysisStatus downloadUrl } } }";

const READ_LINK: &str = "query($id: ID!) { medicalReport(id: $id) { downloadUrl } }";

const READ: &str = "query($id: ID!) { medicalReport(id: $id) { id title reportType fileName isArchived analysisStatus analysisError analysisResult analysis { parserVersion reportDate extraction { method pages characters } counts { total low normal high critical } insights { source provider model aiUnavailable } } aiInsights labResults { key name value qualifier unit unitAssumed standardValue standardUnit flag sourceLine range { low high unit source } } } }";

fn file<'a>(name: &'a str, content_type: Option<&'a str>, bytes: Vec<u8>) -> UploadFile<'a> {
    UploadFile {
        name,
        content_type,
        bytes,
    }
}

async fn signed_in(app: &TestApp, email: &str) -> String {
    let user = app.create_user(email).await;
    app.sign_in(&user).await
}

async fn upload(app: &TestApp, token: &str, upload: &UploadFile<'_>) -> tests::GqlResponse {
    app.upload_as(Some(token), UPLOAD, json!({ "type": "LAB_RESULT" }), upload)
        .await
}

async fn upload_ok(app: &TestApp, token: &str, upload_file: &UploadFile<'_>) -> Value {
    let response = upload(app, token, upload_file).await;
    ok(&response)["uploadMedicalReport"]["report"].clone()
}

async fn read(app: &TestApp, token: &str, id: &Value) -> Value {
    let response = app.graphql_as(Some(token), READ, json!({ "id": id })).await;
    ok(&response)["medicalReport"].clone()
}

/// Waits (up to 30 s) until the report's analysis is COMPLETED or FAILED.
async fn analysed(app: &TestApp, token: &str, id: &Value) -> Value {
    for _ in 0..300 {
        let report = read(app, token, id).await;
        if matches!(
            report["analysisStatus"].as_str(),
            Some("COMPLETED" | "FAILED")
        ) {
            return report;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    panic!(
        "the analysis never finished: {}",
        read(app, token, id).await
    );
}

fn lab<'a>(report: &'a Value, key: &str) -> &'a Value {
    report["labResults"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["key"] == key)
        .unwrap_or_else(|| panic!("no {key} in {}", report["labResults"]))
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

async fn rows(app: &TestApp, table: &str) -> i64 {
    app.scalar_i64(&format!("SELECT count(*) FROM {table}"))
        .await
}
