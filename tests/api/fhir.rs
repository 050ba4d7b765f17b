//! The FHIR R4 API end to end: a record with data of every kind read as FHIR by its owner, by
//! GraphQL and in the export, every resource validated against HL7's R4 JSON schema and its
//! codes checked against the mapping table; search parameters matching, missing and refused;
//! paging by `next` links; clinicians limited to what a live grant covers, and audited.

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
    let mut request = app.client.get(url);
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

#[tokio::test]
async fn a_whole_record_is_valid_fhir_r4_with_the_mapped_codes() {
    let validator = crate::clients::repository_root().join("tests/fhir");
    if crate::clients::missing(&[(&validator.join("node_modules"), "npm ci in tests/fhir")])
        .is_some()
    {
        return;
    }
    let fake = FakeAi::start(Behaviour::Good);
    let url = fake.url.clone();
    let app = spawn_app_with(move |s| s.ai_base_url = Some(url)).await;
    let patient = person(&app, "fhir@example.com", "user", "Frida", "Hirsch").await;
    let clinician = person(&app, "dr.fhir@example.com", "clinician", "Dana", "Reyes").await;
    app.execute(&format!(
        "UPDATE users SET date_of_birth = '1976-05-04', gender = 'female', phone_number = '+442071234567' WHERE id = {}",
        patient.id
    ))
    .await;
    for input in every_instrument() {
        create(&app, &patient.token, input).await;
    }
    let report_id = upload_labs(&app, &patient.token).await;
    jobs_done(&app).await;
    grant(
        &app,
        &patient,
        &clinician,
        &["ASSESSMENTS", "REPORTS", "REPORT_NOTES"],
        None,
    )
    .await;
    let notes = json!({ "id": report_id, "notes": "Potassium needs repeating this week." });
    ok(&app.graphql_as(Some(&clinician.token), NOTES, notes).await);

    let mut documents: Vec<(String, Value)> = Vec::new();
    let metadata = read_ok(&app, &patient.token, "metadata").await;
    assert_eq!(metadata["fhirVersion"], "4.0.1");
    documents.push(("metadata".into(), metadata));
    let own = read_ok(&app, &patient.token, &format!("Patient/{}", patient.id)).await;
    assert_eq!(own["birthDate"], "1976-05-04");
    assert_eq!(own["gender"], "female");
    assert_eq!(own["name"][0]["family"], "Hirsch");
    assert!(own.get("password_hash").is_none() && own.to_string().find("argon2").is_none());
    documents.push(("patient".into(), own));

    let everything = read_ok(
        &app,
        &patient.token,
        &format!("Patient/{}/$everything", patient.id),
    )
    .await;
    assert_eq!(everything["type"], "searchset");
    let count = |kind: &str| of_type(&everything, kind).len();
    assert_eq!(count("Patient"), 1);
    assert_eq!(count("Practitioner"), 1, "the author of the doctor notes");
    assert_eq!(count("QuestionnaireResponse"), 2);
    assert_eq!(
        count("RiskAssessment"),
        3,
        "Framingham, PREVENT and FINDRISC"
    );
    assert_eq!(count("DiagnosticReport"), 1);
    assert_eq!(count("DocumentReference"), 1);
    // 7 assessments reviewed by the AI model and the report's AI summary.
    assert_eq!(count("Provenance"), 8);
    for provenance in of_type(&everything, "Provenance") {
        assert!(
            provenance["agent"][0]["who"]["display"]
                .as_str()
                .unwrap()
                .contains("AI model test-model")
        );
    }
    assert_eq!(
        resources(&everything)[0]["resourceType"],
        "Patient",
        "the Patient first"
    );
    let observations = of_type(&everything, "Observation");
    // Blood pressure, BMI with height and weight, two scores, five lab values.
    assert_eq!(observations.len(), 1 + 3 + 2 + 5, "{everything}");
    for resource in resources(&everything) {
        check_required(&resource);
    }
    for observation in &observations {
        check_codes(observation);
    }

    // Lab values: in the standard unit, with the flag of the GraphQL view as interpretation.
    let labs = app
        .graphql_as(Some(&patient.token), LABS, json!({ "id": report_id }))
        .await;
    let labs = ok(&labs)["medicalReport"]["labResults"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(labs.len(), 5);
    for lab in &labs {
        let code = codes::lab(lab["key"].as_str().unwrap()).unwrap().code.code;
        let observation = observations
            .iter()
            .find(|o| o["code"]["coding"][0]["code"] == code)
            .unwrap_or_else(|| panic!("no Observation for {lab}"));
        assert_eq!(
            observation["valueQuantity"]["value"], lab["standardValue"],
            "{observation}"
        );
        assert_eq!(observation["effectiveDateTime"], "2026-03-14");
        let interpretation = observation["interpretation"][0]["coding"][0]["code"]
            .as_str()
            .unwrap();
        let expected = match lab["flag"].as_str().unwrap() {
            "LOW" => vec!["L"],
            "NORMAL" => vec!["N"],
            "HIGH" => vec!["H"],
            _ => vec!["HH", "LL"],
        };
        assert!(
            expected.contains(&interpretation),
            "{lab} -> {interpretation}"
        );
    }
    let potassium = observations
        .iter()
        .find(|o| o["code"]["coding"][0]["code"] == "2823-3")
        .unwrap();
    assert_eq!(potassium["interpretation"][0]["coding"][0]["code"], "HH");
    let crp = observations
        .iter()
        .find(|o| o["code"]["coding"][0]["code"] == "1988-5")
        .unwrap();
    assert_eq!(crp["valueQuantity"]["comparator"], "<");
    let glucose = observations
        .iter()
        .find(|o| o["code"]["coding"][0]["code"] == "2345-7")
        .unwrap();
    assert_eq!(glucose["valueQuantity"]["code"], "mg/dL");
    assert_eq!(
        glucose["referenceRange"][0]["low"]["code"], "mg/dL",
        "the printed mmol/L range, converted"
    );

    // PREVENT's worked example, as predictions; the risk instruments' inputs as their basis.
    let prevent = of_type(&everything, "RiskAssessment")
        .into_iter()
        .find(|r| r["code"]["coding"][0]["code"] == "prevent")
        .unwrap();
    let ten_year_total = prevent["prediction"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| {
            p["outcome"]["text"] == "Total cardiovascular disease"
                && p["whenRange"]["high"]["value"] == 10.0
        })
        .unwrap();
    assert!(
        (ten_year_total["probabilityDecimal"].as_f64().unwrap() - 0.147).abs() < 0.0006,
        "{ten_year_total}"
    );
    assert_eq!(
        prevent["prediction"].as_array().unwrap().len(),
        6,
        "10 and 30 years at 50"
    );
    assert_eq!(
        prevent["basis"].as_array().unwrap().len(),
        prevent["contained"].as_array().unwrap().len()
    );

    // The questionnaire: each answer coded as LOINC codes it.
    let phq9 = of_type(&everything, "QuestionnaireResponse")
        .into_iter()
        .find(|q| q["questionnaire"] == "http://loinc.org/q/44249-1")
        .unwrap();
    assert_eq!(phq9["item"].as_array().unwrap().len(), 10);
    assert_eq!(phq9["item"][0]["linkId"], "44250-9");
    assert_eq!(
        phq9["item"][0]["answer"][0]["valueCoding"]["code"],
        "LA6569-3"
    );
    assert_eq!(
        phq9["item"][9]["answer"][0]["valueCoding"]["code"],
        "LA6573-5"
    );

    // Doctor notes are the clinician's; the attachment is a working download link.
    let report = &of_type(&everything, "DiagnosticReport")[0];
    assert_eq!(report["conclusion"], "Potassium needs repeating this week.");
    assert_eq!(
        report["resultsInterpreter"][0]["reference"],
        format!("Practitioner/{}", clinician.id)
    );
    assert_eq!(report["result"].as_array().unwrap().len(), 5);
    let document = &of_type(&everything, "DocumentReference")[0];
    let link = document["content"][0]["attachment"]["url"]
        .as_str()
        .unwrap();
    let download = app.download(None, link, None).await;
    assert_eq!(download.status(), 200);
    assert_eq!(download.bytes().await.unwrap(), LAB_TEXT.as_bytes());

    // Every resource reads back by its id, the same.
    for resource in resources(&everything) {
        let kind = resource["resourceType"].as_str().unwrap();
        if kind == "Patient" || kind == "Practitioner" {
            continue;
        }
        let read = read_ok(
            &app,
            &patient.token,
            &format!("{kind}/{}", resource["id"].as_str().unwrap()),
        )
        .await;
        assert_eq!(read, resource);
    }
    documents.push(("everything".into(), everything.clone()));

    for kind in [
        "Observation",
        "DiagnosticReport",
        "DocumentReference",
        "RiskAssessment",
        "QuestionnaireResponse",
        "Provenance",
    ] {
        let bundle = read_ok(&app, &patient.token, kind).await;
        assert_eq!(
            bundle["total"].as_u64().unwrap() as usize,
            of_type(&everything, kind).len(),
            "{kind}"
        );
        documents.push((format!("search-{kind}"), bundle));
    }
    // Search parameters on the other types: a match and a miss each.
    for (query, expected) in [
        ("RiskAssessment?code=urn:echo-health:fhir:codes|prevent", 1),
        (
            "RiskAssessment?code=urn:echo-health:fhir:codes|diabetes,cardiovascular",
            2,
        ),
        ("RiskAssessment?code=http://loinc.org|prevent", 0),
        ("QuestionnaireResponse?code=44249-1", 1),
        ("QuestionnaireResponse?authored=lt2020", 0),
        (
            "DiagnosticReport?code=http://loinc.org|11502-2&date=2026-03-14",
            1,
        ),
        ("DiagnosticReport?category=LAB&date=2026-03-15", 0),
        ("DocumentReference?date=ge2000", 1),
        ("DocumentReference?date=lt2000", 0),
        ("Observation?category=laboratory&date=le2026-03-14", 5),
        ("Observation?category=laboratory&code=2823-3", 1),
        ("Observation?category=survey", 2),
    ] {
        let bundle = read_ok(&app, &patient.token, query).await;
        assert_eq!(bundle["total"], expected, "{query}");
    }
    refused(
        &app,
        Some(&patient.token),
        "DocumentReference?date=14/03/2026",
        400,
    )
    .await;
    refused(&app, Some(&patient.token), "RiskAssessment?code=|", 400).await;

    // The clinician's view of the same record.
    let seen = read_ok(
        &app,
        &clinician.token,
        &format!("Patient/{}/$everything", patient.id),
    )
    .await;
    assert_eq!(ids(&seen), ids(&everything));
    documents.push(("clinician-everything".into(), seen));

    // GraphQL gives the same Bundle.
    let graphql = app
        .graphql_as(Some(&patient.token), "{ me { fhirRecord } }", json!({}))
        .await;
    let graphql = ok(&graphql)["me"]["fhirRecord"].clone();
    assert_eq!(ids(&graphql), ids(&everything));
    documents.push(("graphql".into(), graphql));

    // And the export holds the record as one collection Bundle.
    let requested = app
        .graphql_as(
            Some(&patient.token),
            "mutation { exportMyData { export { id } } }",
            json!({}),
        )
        .await;
    ok(&requested);
    let export = crate::export::finished_export(&app, &patient.token).await;
    let archive = app
        .download(None, export["downloadUrl"].as_str().unwrap(), None)
        .await;
    let entries = crate::export::entries(&archive.bytes().await.unwrap());
    let (_, bundle) = entries
        .iter()
        .find(|(name, _)| name == "fhir-bundle.json")
        .expect("fhir-bundle.json");
    let bundle: Value = serde_json::from_slice(bundle).unwrap();
    assert_eq!(bundle["type"], "collection");
    assert_eq!(ids(&bundle), ids(&everything));
    let attachment =
        of_type(&bundle, "DocumentReference")[0]["content"][0]["attachment"]["url"].clone();
    let archived = attachment.as_str().unwrap().replace("%20", " ");
    assert!(
        entries.iter().any(|(name, _)| *name == archived),
        "{attachment} is in the archive"
    );
    documents.push(("export".into(), bundle));

    // Every document, against HL7's R4 schema.
    let dir = tempfile::tempdir().unwrap();
    for (name, document) in &documents {
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

#[tokio::test]
async fn search_parameters_match_miss_refuse_and_page() {
    let app = spawn_app().await;
    let patient = person(&app, "search@example.com", "user", "Sam", "Search").await;
    let other = person(&app, "other@example.com", "user", "Olga", "Other").await;
    five_days_of_blood_pressure(&app, &patient.token).await;
    create(
        &app,
        &other.token,
        json!({ "bloodPressure": { "readings": [{ "systolic": 150, "diastolic": 95 }] } }),
    )
    .await;
    let token = patient.token.as_str();
    let total = |bundle: &Value| bundle["total"].as_u64().unwrap();

    // Each parameter: a match, a miss and a malformed value.
    let cases: &[(&str, u64)] = &[
        ("Observation", 5),
        ("Observation?code=8480-6", 5),
        ("Observation?code=http://loinc.org|85354-9", 5),
        ("Observation?code=http://snomed.info/sct|8480-6", 0),
        ("Observation?code=39156-5,8462-4", 5),
        ("Observation?code=39156-5", 0),
        ("Observation?category=vital-signs", 5),
        (
            "Observation?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory",
            0,
        ),
        ("Observation?date=ge2026-01-03", 3),
        ("Observation?date=le2026-01-02", 2),
        ("Observation?date=ge2026-01-02&date=le2026-01-04", 3),
        ("Observation?date=2026-01-03", 1),
        ("Observation?date=gt2026-01-05T10:00:00Z", 0),
        ("Observation?date=lt2026-01-01", 0),
        ("Observation?date=2026", 5),
        ("Observation?patient=Patient/{me}", 5),
        ("Observation?subject={me}", 5),
    ];
    for (query, expected) in cases {
        let query = query.replace("{me}", &patient.id.to_string());
        let bundle = read_ok(&app, token, &query).await;
        assert_eq!(total(&bundle), *expected, "{query}");
        assert_eq!(ids(&bundle).len() as u64, *expected, "{query}");
        assert!(ids(&bundle).iter().all(|id| id.starts_with("Observation/")));
    }
    for (query, says) in [
        ("Observation?date=notadate", "is not a FHIR date"),
        ("Observation?date=ap2026", "not supported"),
        ("Observation?date=2026-02-30", "is not a FHIR date"),
        ("Observation?code=", "empty token"),
        ("Observation?category=|", "empty token"),
        (
            "Observation?patient=Practitioner/1",
            "not a patient reference",
        ),
        ("Observation?_count=lots", "not a whole number"),
        ("Observation?colour=red", "not a search parameter"),
        ("Observation?_cursor=bm90LWEtY3Vyc29y", "not a cursor"),
        ("Observation?_format=xml", "JSON only"),
    ] {
        let message = refused(&app, Some(token), query, 400).await;
        assert!(message.contains(says), "{query}: {message}");
    }
    // Another user's id is no patient of yours.
    refused(
        &app,
        Some(token),
        &format!("Observation?patient={}", other.id),
        404,
    )
    .await;

    // `_count=2` walks every page by `next` links and sees each resource exactly once.
    let mut seen = Vec::new();
    let mut next = Some(format!("{}/fhir/r4/Observation?_count=2", app.address));
    let mut pages = 0;
    while let Some(url) = next {
        let page = get(&app, Some(token), &url).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert_eq!(total(&page.body), 5);
        seen.extend(ids(&page.body));
        pages += 1;
        next = page.body["link"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["relation"] == "next")
            .map(|l| l["url"].as_str().unwrap().to_owned());
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 5);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 5);
    // Newest first.
    assert_eq!(
        seen[0],
        ids(&read_ok(&app, token, "Observation?date=2026-01-05").await)[0]
    );
    // `_count=0`: the total only.
    let counted = read_ok(&app, token, "Observation?_count=0").await;
    assert_eq!(total(&counted), 5);
    assert!(counted.get("entry").is_none());
}

#[tokio::test]
async fn clinicians_read_only_what_a_live_grant_covers_and_every_read_is_audited() {
    let app = spawn_app().await;
    let patient = person(&app, "shared@example.com", "user", "Pia", "Patient").await;
    let clinician = person(
        &app,
        "dr.scope@example.com",
        "clinician",
        "Carl",
        "Clinician",
    )
    .await;
    let stranger = person(&app, "nosy@example.com", "user", "Nils", "Nosy").await;
    create(
        &app,
        &patient.token,
        json!({ "bloodPressure": { "readings": [{ "systolic": 130, "diastolic": 85 }] } }),
    )
    .await;
    let report = upload_labs(&app, &patient.token).await;
    jobs_done(&app).await;
    let me = patient.id;
    let everything = format!("Patient/{me}/$everything");
    let observations = format!("Observation?patient={me}");
    let reports = format!("DiagnosticReport?patient={me}");
    let document = format!("DocumentReference/report-{report}");
    let patient_path = format!("Patient/{me}");

    // No grant (and no clinician role): nothing, and nothing audited.
    for token in [&clinician.token, &stranger.token] {
        for path in [
            &everything,
            &observations,
            &reports,
            &document,
            &patient_path,
        ] {
            refused(&app, Some(token), path, 404).await;
        }
    }
    assert_eq!(fhir_audits(&app, clinician.id).await, 0);

    // A grant without REPORTS: assessments yes, reports refused (403), partial results flagged.
    let assessments_only = grant(&app, &patient, &clinician, &["ASSESSMENTS"], None).await;
    let seen = read_ok(&app, &clinician.token, &observations).await;
    assert_eq!(
        ids(&seen),
        [format!(
            "Observation/assessment-{}",
            app.scalar_i64("SELECT id::bigint FROM health_assessments")
                .await
        )]
    );
    let warning = of_type(&seen, "OperationOutcome");
    assert!(
        warning[0]["issue"][0]["diagnostics"]
            .as_str()
            .unwrap()
            .contains("reports are left out")
    );
    refused(&app, Some(&clinician.token), &reports, 403).await;
    refused(&app, Some(&clinician.token), &document, 403).await;
    let whole = read_ok(&app, &clinician.token, &everything).await;
    assert!(
        of_type(&whole, "DocumentReference").is_empty()
            && of_type(&whole, "DiagnosticReport").is_empty()
    );
    assert_eq!(of_type(&whole, "Patient").len(), 1);
    read_ok(&app, &clinician.token, &patient_path).await;
    // Three reads allowed, each audited with what it returned; the refusals are not reads.
    assert_eq!(fhir_audits(&app, clinician.id).await, 3);
    let fields = app
        .scalar_text(&format!(
            "SELECT details->>'fields' FROM audit_events WHERE actor_user_id = {} AND details->>'interaction' = 'search Observation'",
            clinician.id
        ))
        .await;
    assert_eq!(fields, r#"["Observation"]"#);

    // Revoked: nothing again.
    let revoke = "mutation($id: ID!) { revokeCareTeamAccess(id: $id) { grant { id } } }";
    ok(&app
        .graphql_as(
            Some(&patient.token),
            revoke,
            json!({ "id": assessments_only["id"] }),
        )
        .await);
    for path in [&everything, &observations, &patient_path] {
        refused(&app, Some(&clinician.token), path, 404).await;
    }

    // A grant with REPORTS that then expires.
    // (Ten minutes, so that the sessions outlive it: they lapse after 30 idle minutes.)
    let expires = (app.clock.now() + Duration::minutes(10)).to_rfc3339();
    grant(&app, &patient, &clinician, &["REPORTS"], Some(expires)).await;
    let bundle = read_ok(&app, &clinician.token, &reports).await;
    assert_eq!(bundle["total"], 1);
    read_ok(&app, &clinician.token, &document).await;
    refused(
        &app,
        Some(&clinician.token),
        &format!("RiskAssessment?patient={me}"),
        403,
    )
    .await;
    app.clock.advance(Duration::minutes(11));
    for path in [&everything, &reports, &document, &patient_path] {
        refused(&app, Some(&clinician.token), path, 404).await;
    }
    assert_eq!(fhir_audits(&app, clinician.id).await, 5);
    // The patient sees their own audit trail of these reads.
    let log = app
        .scalar_i64(&format!(
            "SELECT count(*) FROM audit_events WHERE subject_user_id = {me} AND event_type = 'patient_data_read'"
        ))
        .await;
    assert_eq!(log, 5);
}

#[tokio::test]
async fn every_error_is_an_operation_outcome_with_its_status() {
    let app = spawn_app().await;
    let user = person(&app, "errors@example.com", "user", "Ed", "Errors").await;
    // The capability statement is public and tells what is implemented.
    let metadata = get(&app, None, "metadata").await;
    assert_eq!(metadata.status, 200);
    assert_eq!(metadata.body["resourceType"], "CapabilityStatement");
    let types: Vec<&str> = metadata.body["rest"][0]["resource"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "Patient",
            "Observation",
            "DiagnosticReport",
            "DocumentReference",
            "RiskAssessment",
            "QuestionnaireResponse",
            "Provenance"
        ]
    );

    let answer = get(&app, None, &format!("Patient/{}", user.id)).await;
    assert_eq!(answer.status, 401);
    assert_eq!(answer.body["issue"][0]["code"], "login");
    let bad_token = get(&app, Some("not-a-token"), "Observation").await;
    assert_eq!(bad_token.status, 401);

    let xml = app
        .client
        .get(format!("{}/fhir/r4/Observation", app.address))
        .bearer_auth(&user.token)
        .header("accept", "application/fhir+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(xml.status(), 406);
    let body: Value = xml.json().await.unwrap();
    assert_eq!(body["resourceType"], "OperationOutcome");

    refused(&app, Some(&user.token), "Medication", 404).await;
    refused(&app, Some(&user.token), "Patient/abc", 404).await;
    refused(&app, Some(&user.token), "Patient/999999", 404).await;
    refused(
        &app,
        Some(&user.token),
        "Observation/assessment-999999",
        404,
    )
    .await;
    refused(&app, Some(&user.token), "Observation/nonsense", 404).await;
    refused(
        &app,
        Some(&user.token),
        &format!("Patient/{}/$everything?code=8480-6", user.id),
        400,
    )
    .await;
    // An empty record is an empty Bundle, not an error.
    let empty = read_ok(&app, &user.token, "DiagnosticReport").await;
    assert_eq!(empty["total"], 0);
    assert!(empty.get("entry").is_none());
}
