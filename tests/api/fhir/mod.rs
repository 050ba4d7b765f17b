//! The FHIR R4 API end to end: a record with data of every kind read as FHIR by its owner, by
//! GraphQL and in the export, every resource validated against HL7's R4 JSON schema and its
//! codes checked against the mapping table; search parameters matching, missing and refused;
//! paging by `next` links; clinicians limited to what a live grant covers, and audited.

mod access;
mod import;
mod record;
mod search;

use std::{collections::HashSet, time::Duration as StdDuration};

use api::{clock::Clock, fhir::codes};
use chrono::Duration;
use serde_json::{Value, json};
use tests::{
    TestApp, UploadFile,
    fake_ai::{Behaviour, FakeAi},
    ok, spawn_app, spawn_app_with,
};

use crate::care_team::{grant, person};

const CREATE: &str = "mutation($input: CreateHealthAssessmentInput!) { createHealthAssessment(input: $input) { assessment { id } } }";
const UPLOAD: &str = "mutation($file: Upload!) { uploadMedicalReport(file: $file, reportType: LAB_RESULT, title: \"Annual bloods\") { report { id } } }";
const LABS: &str = "query($id: ID!) { medicalReport(id: $id) { analysisStatus labResults { key value unit standardValue standardUnit flag } } }";
const NOTES: &str = "mutation($id: ID!, $notes: String!) { updateDoctorNotes(reportId: $id, notes: $notes) { reportId } }";

/// A lab report with a printed date, a unit to convert, a printed range, a default range, a
/// bound ("<") and a critical value.
const LAB_TEXT: &str = "Collected: 2026-03-14\nGlucose 6.2 mmol/L 3.9-5.5\nHDL cholesterol 35 mg/dL\nSodium 139 mmol/L 135-145\nPotassium 7.1 mmol/L 3.5-5.1\nCRP < 0.5 mg/L\n";

/// Every instrument, once (the PREVENT input is the paper's worked example).
fn every_instrument() -> Vec<Value> {
    vec![
        json!({ "cardiovascular": { "sex": "MALE", "age": 55, "totalCholesterol": 213, "hdlCholesterol": 50, "systolicBp": 140,
            "onBpTreatment": false, "currentSmoker": false, "diabetes": false } }),
        json!({ "prevent": { "sex": "FEMALE", "age": 50, "totalCholesterol": 200, "hdlCholesterol": 45, "systolicBp": 160,
            "onBpTreatment": true, "onStatin": false, "currentSmoker": false, "diabetes": true, "bmi": 35, "egfr": 90 } }),
        json!({ "diabetes": { "sex": "FEMALE", "age": 58, "heightCm": 165, "weightKg": 80, "waistCm": 85,
            "physicallyActiveDaily": false, "eatsVegetablesDaily": true, "everOnBpMedication": true, "everHighGlucose": false,
            "familyHistory": "SECOND_DEGREE" } }),
        json!({ "depression": { "items": [1, 1, 1, 1, 1, 1, 0, 0, 0], "difficulty": "SOMEWHAT_DIFFICULT" } }),
        json!({ "anxiety": { "items": [2, 2, 2, 2, 1, 1, 1] } }),
        json!({ "bloodPressure": { "readings": [{ "systolic": 132, "diastolic": 78 }, { "systolic": 128, "diastolic": 76 }] } }),
        json!({ "bmi": { "heightCm": 172, "weightKg": 81 } }),
    ]
}

/// A FHIR answer: status, content type, body.
struct Answer {
    status: u16,
    content_type: String,
    body: Value,
}

async fn get(app: &TestApp, token: Option<&str>, path_or_url: &str) -> Answer {
    let url = if path_or_url.starts_with("http") {
        path_or_url.to_owned()
    } else {
        format!("{}/fhir/r4/{path_or_url}", app.address)
    };
    send(app.client.get(url), token).await
}

/// Sends `request` (with the bearer `token`, if any) and reads the FHIR answer.
async fn send(mut request: reqwest::RequestBuilder, token: Option<&str>) -> Answer {
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("request reaches the server");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = response.json().await.expect("a JSON body");
    Answer {
        status,
        content_type,
        body,
    }
}

/// A 200 FHIR answer's body.
async fn read_ok(app: &TestApp, token: &str, path: &str) -> Value {
    let answer = get(app, Some(token), path).await;
    assert_eq!(answer.status, 200, "{path}: {}", answer.body);
    assert_eq!(answer.content_type, "application/fhir+json; charset=utf-8");
    answer.body
}

/// The OperationOutcome of a refused request, checked for its status.
async fn refused(app: &TestApp, token: Option<&str>, path: &str, status: u16) -> String {
    let answer = get(app, token, path).await;
    assert_eq!(answer.status, status, "{path}: {}", answer.body);
    assert_eq!(answer.body["resourceType"], "OperationOutcome", "{path}");
    assert!(answer.content_type.starts_with("application/fhir+json"));
    assert!(answer.body.get("entry").is_none());
    answer.body["issue"][0]["diagnostics"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn resources(bundle: &Value) -> Vec<Value> {
    bundle["entry"]
        .as_array()
        .map(|entries| entries.iter().map(|e| e["resource"].clone()).collect())
        .unwrap_or_default()
}

fn of_type(bundle: &Value, resource_type: &str) -> Vec<Value> {
    resources(bundle)
        .into_iter()
        .filter(|r| r["resourceType"] == resource_type)
        .collect()
}

fn ids(bundle: &Value) -> Vec<String> {
    resources(bundle)
        .iter()
        .filter(|r| r["resourceType"] != "OperationOutcome")
        .map(|r| {
            format!(
                "{}/{}",
                r["resourceType"].as_str().unwrap(),
                r["id"].as_str().unwrap()
            )
        })
        .collect()
}

async fn create(app: &TestApp, token: &str, input: Value) {
    ok(&app
        .graphql_as(Some(token), CREATE, json!({ "input": input }))
        .await);
}

async fn upload_labs(app: &TestApp, token: &str) -> String {
    let file = UploadFile {
        name: "annual bloods.txt",
        content_type: Some("text/plain"),
        bytes: LAB_TEXT.as_bytes().to_vec(),
    };
    let response = app.upload_as(Some(token), UPLOAD, json!({}), &file).await;
    ok(&response)["uploadMedicalReport"]["report"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Waits (up to 30 s) until no job is queued or running: analyses and AI reviews are done.
async fn jobs_done(app: &TestApp) {
    for _ in 0..300 {
        let busy = app
            .scalar_i64("SELECT count(*) FROM jobs WHERE status IN ('queued', 'running')")
            .await;
        if busy == 0 {
            return;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    panic!("jobs never finished");
}

async fn fhir_audits(app: &TestApp, clinician: i32) -> i64 {
    app.scalar_i64(&format!(
        "SELECT count(*) FROM audit_events WHERE event_type = 'patient_data_read' \
         AND actor_user_id = {clinician} AND details->>'via' = 'fhir'"
    ))
    .await
}

/// Every resource type's own required elements that HL7's JSON schema cannot check (it leaves
/// required primitives such as `status` to the validator).
fn check_required(resource: &Value) {
    let kind = resource["resourceType"].as_str().unwrap();
    let needs: &[&str] = match kind {
        "Observation" => &["status", "code", "subject"],
        "QuestionnaireResponse" => &["status", "questionnaire", "item"],
        "RiskAssessment" => &["status", "subject", "prediction"],
        "DiagnosticReport" => &["status", "code", "subject"],
        "DocumentReference" => &["status", "content", "subject"],
        "Provenance" => &["target", "recorded", "agent"],
        _ => &[],
    };
    for element in needs {
        assert!(
            resource.get(*element).is_some(),
            "{kind} without {element}: {resource}"
        );
    }
    assert!(
        resource["id"]
            .as_str()
            .is_some_and(|id| !id.is_empty() && id.len() <= 64)
    );
}

/// The codes and units of every Observation, against the mapping table (`fhir::codes`).
fn check_codes(observation: &Value) {
    let coding = &observation["code"]["coding"][0];
    let code = coding["code"].as_str().unwrap();
    let category = observation["category"][0]["coding"][0]["code"]
        .as_str()
        .unwrap();
    assert_eq!(coding["system"], codes::LOINC, "{observation}");
    let unit = |quantity: &Value| quantity["code"].as_str().unwrap_or_default().to_owned();
    match category {
        "laboratory" => {
            let lab = codes::LABS
                .iter()
                .find(|l| l.code.code == code)
                .unwrap_or_else(|| panic!("unmapped lab code {code}"));
            assert_eq!(coding["display"], lab.code.display);
            if observation["valueQuantity"]["system"] == codes::UCUM {
                assert_eq!(unit(&observation["valueQuantity"]), lab.ucum);
            }
        }
        "vital-signs" => match code {
            "85354-9" => {
                let components: Vec<(&str, String)> = observation["component"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| {
                        (
                            c["code"]["coding"][0]["code"].as_str().unwrap(),
                            unit(&c["valueQuantity"]),
                        )
                    })
                    .collect();
                assert_eq!(
                    components,
                    [
                        ("8480-6", "mm[Hg]".to_owned()),
                        ("8462-4", "mm[Hg]".to_owned())
                    ]
                );
            }
            "39156-5" => assert_eq!(unit(&observation["valueQuantity"]), "kg/m2"),
            "8302-2" => assert_eq!(unit(&observation["valueQuantity"]), "cm"),
            "29463-7" => assert_eq!(unit(&observation["valueQuantity"]), "kg"),
            other => panic!("unexpected vital sign {other}"),
        },
        "survey" => {
            assert!(
                [codes::PHQ9_TOTAL.code, codes::GAD7_TOTAL.code].contains(&code),
                "{code}"
            );
            assert!(observation["valueInteger"].is_i64());
        }
        other => panic!("unexpected category {other}"),
    }
}

/// Five blood-pressure readings a day apart, from 2026-01-01 10:00 UTC.
async fn five_days_of_blood_pressure(app: &TestApp, token: &str) {
    let now = app.clock.now();
    let start = chrono::DateTime::parse_from_rfc3339("2026-01-01T10:00:00Z")
        .unwrap()
        .to_utc();
    app.clock.advance(start - now);
    for day in 0..5 {
        if day > 0 {
            app.clock.advance(Duration::days(1));
        }
        let reading = json!({ "bloodPressure": { "readings": [{ "systolic": 120 + day, "diastolic": 80 }] } });
        create(app, token, reading).await;
    }
}

/// Checks `documents` (named) against HL7's R4 JSON schema with `tests/fhir/validate.mjs`.
/// Skipped (with a note) where `npm ci` has not been run in tests/fhir; CI runs it.
async fn schema_valid(documents: &[(String, Value)]) {
    let validator = crate::clients::repository_root().join("tests/fhir");
    if crate::clients::missing(&[(&validator.join("node_modules"), "npm ci in tests/fhir")])
        .is_some()
    {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (name, document) in documents {
        std::fs::write(
            dir.path().join(format!("{name}.json")),
            document.to_string(),
        )
        .unwrap();
    }
    let dir_arg = dir.path().to_str().unwrap().to_owned();
    let validated = tokio::process::Command::new("node")
        .arg("validate.mjs")
        .arg(&dir_arg)
        .current_dir(&validator)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&validated.stdout);
    assert!(
        validated.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&validated.stderr)
    );
    assert!(
        stdout.contains(&format!("validated {} files, 0 invalid", documents.len())),
        "{stdout}"
    );
}
