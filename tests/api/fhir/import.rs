//! Importing a Bundle of vital signs: blood pressure and weight with height become
//! assessments dated when measured, once however often the Bundle is sent; every entry that
//! cannot be taken is refused on its own with an OperationOutcome that says why.

use super::*;

const HISTORY: &str = "{ me { healthAssessments(first: 10) { edges { node { id assessmentType riskLevel createdAt result { ... on BloodPressureResult { details { averageSystolic averageDiastolic } } ... on BmiResult { details { bmi } } } } } } } }";

async fn post(app: &TestApp, token: Option<&str>, content_type: &str, body: String) -> Answer {
    let request = app
        .client
        .post(format!("{}/fhir/r4", app.address))
        .header("content-type", content_type)
        .body(body);
    send(request, token).await
}

fn coded(code: &str) -> Value {
    json!({ "coding": [{ "system": "http://loinc.org", "code": code }] })
}

fn vital(id: &str, code: &str, at: &str, body: Value) -> Value {
    let mut resource = json!({
        "resourceType": "Observation",
        "id": id,
        "status": "final",
        "category": [{ "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs" }] }],
        "code": coded(code),
        "subject": { "reference": "Patient/elsewhere-17" },
        "effectiveDateTime": at,
    });
    for (k, v) in body.as_object().unwrap() {
        resource[k] = v.clone();
    }
    json!({ "fullUrl": format!("https://old-clinic.example/fhir/Observation/{id}"), "resource": resource, "request": { "method": "POST", "url": "Observation" } })
}

fn quantity(value: f64, code: &str) -> Value {
    json!({ "value": value, "unit": code, "system": "http://unitsofmeasure.org", "code": code })
}

fn blood_pressure(id: &str, at: &str, systolic: f64, diastolic: f64) -> Value {
    vital(
        id,
        "85354-9",
        at,
        json!({ "component": [
            { "code": coded("8480-6"), "valueQuantity": quantity(systolic, "mm[Hg]") },
            { "code": coded("8462-4"), "valueQuantity": quantity(diastolic, "mm[Hg]") },
        ] }),
    )
}

fn statuses(bundle: &Value) -> Vec<String> {
    bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["response"]["status"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn vital_signs_are_imported_once_dated_when_measured_and_refusals_say_why() {
    let app = spawn_app().await;
    let patient = person(&app, "import@example.com", "user", "Ida", "Port").await;
    let other = person(&app, "other@example.com", "user", "Otto", "Ther").await;

    let mut preliminary = blood_pressure("bp-pre", "2026-11-20T09:00:00Z", 150.0, 95.0);
    preliminary["resource"]["status"] = json!("preliminary");
    let mut kilopascal = blood_pressure("bp-kpa", "2026-11-21T09:00:00Z", 17.0, 11.0);
    kilopascal["resource"]["component"][0]["valueQuantity"] = quantity(17.0, "kPa");
    let implausible = blood_pressure("bp-bad", "2026-11-22T09:00:00Z", 400.0, 80.0);
    let glucose = vital(
        "glu-1",
        "2345-7",
        "2026-11-01",
        json!({ "valueQuantity": quantity(99.0, "mg/dL") }),
    );
    let entries = vec![
        blood_pressure("bp-1", "2026-11-30T08:15:00+01:00", 132.0, 84.0),
        vital(
            "wt-1",
            "29463-7",
            "2026-11-29",
            json!({ "valueQuantity": quantity(154.0, "[lb_av]") }),
        ),
        vital(
            "ht-1",
            "8302-2",
            "2026-11-29",
            json!({ "valueQuantity": quantity(1.75, "m") }),
        ),
        preliminary,
        kilopascal,
        implausible,
        glucose,
        json!({ "resource": { "resourceType": "Patient", "id": "elsewhere-17" } }),
    ];
    let bundle = json!({ "resourceType": "Bundle", "type": "batch", "entry": entries });

    let first = post(
        &app,
        Some(&patient.token),
        "application/fhir+json",
        bundle.to_string(),
    )
    .await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.content_type, "application/fhir+json; charset=utf-8");
    assert_eq!(first.body["type"], "batch-response");
    assert_eq!(
        statuses(&first.body),
        [
            "201 Created",
            "201 Created",
            "200 OK",
            "422 Unprocessable Entity",
            "422 Unprocessable Entity",
            "422 Unprocessable Entity",
            "422 Unprocessable Entity",
            "422 Unprocessable Entity",
        ]
    );
    let outcome = |i: usize| {
        let issue = &first.body["entry"][i]["response"]["outcome"]["issue"][0];
        (
            issue["code"].as_str().unwrap().to_owned(),
            issue["diagnostics"].as_str().unwrap().to_owned(),
        )
    };
    assert!(outcome(2).1.contains("entry 1"), "{:?}", outcome(2));
    assert_eq!(outcome(3).0, "business-rule");
    assert!(outcome(3).1.contains("preliminary"));
    assert_eq!(outcome(4).0, "value");
    assert!(outcome(4).1.contains("mm[Hg]"), "{:?}", outcome(4));
    assert_eq!(outcome(5).0, "value");
    assert!(outcome(5).1.contains("systolic"), "{:?}", outcome(5));
    assert_eq!(outcome(6).0, "not-supported");
    assert_eq!(outcome(7).0, "not-supported");

    // In the history, dated when measured, computed by the instruments.
    let history = ok(&app
        .graphql_as(Some(&patient.token), HISTORY, json!({}))
        .await)
    .clone();
    let nodes = tests::nodes(&history["me"]["healthAssessments"]);
    assert_eq!(nodes.len(), 2);
    let pressure = nodes
        .iter()
        .find(|n| n["assessmentType"] == "BLOOD_PRESSURE")
        .unwrap();
    assert_eq!(pressure["createdAt"], "2026-11-30T07:15:00+00:00");
    assert_eq!(pressure["riskLevel"], "MODERATE");
    assert_eq!(pressure["result"]["details"]["averageSystolic"], 132.0);
    let bmi = nodes.iter().find(|n| n["assessmentType"] == "BMI").unwrap();
    assert_eq!(bmi["createdAt"], "2026-11-29T00:00:00+00:00");
    // 154 lb at 1.75 m.
    let value = bmi["result"]["details"]["bmi"].as_f64().unwrap();
    assert!((value - 22.8).abs() < 0.05, "{value}");

    // The location reads the new Observation back.
    let location = first.body["entry"][0]["response"]["location"]
        .as_str()
        .unwrap();
    let observation = read_ok(&app, &patient.token, location).await;
    assert_eq!(observation["component"][0]["valueQuantity"]["value"], 132.0);
    assert_eq!(
        observation["subject"]["reference"],
        format!("Patient/{}", patient.id)
    );

    // The same Bundle again: nothing new, the same locations.
    let again = post(
        &app,
        Some(&patient.token),
        "application/json",
        bundle.to_string(),
    )
    .await;
    assert_eq!(again.status, 200);
    assert_eq!(statuses(&again.body)[..3], ["200 OK", "200 OK", "200 OK"]);
    assert_eq!(
        again.body["entry"][0]["response"]["location"],
        first.body["entry"][0]["response"]["location"]
    );
    let stored = app
        .scalar_i64(&format!(
            "SELECT count(*) FROM health_assessments WHERE user_id = {}",
            patient.id
        ))
        .await;
    assert_eq!(stored, 2);

    // Another user sending the same Bundle imports into their own record only.
    let theirs = post(
        &app,
        Some(&other.token),
        "application/fhir+json",
        bundle.to_string(),
    )
    .await;
    assert_eq!(statuses(&theirs.body)[..2], ["201 Created", "201 Created"]);
    let counts = app
        .scalar_text(&format!(
            "SELECT string_agg(user_id::text || ':' || n::text, ',' ORDER BY user_id) FROM \
             (SELECT user_id, count(*) AS n FROM health_assessments WHERE user_id IN ({}, {}) GROUP BY user_id) c",
            patient.id, other.id
        ))
        .await;
    assert_eq!(counts, format!("{}:2,{}:2", patient.id, other.id));

    // Deleting an imported assessment lets a later import bring it back.
    let delete = "mutation($id: ID!) { deleteHealthAssessment(id: $id) { deletedId } }";
    ok(&app
        .graphql_as(
            Some(&patient.token),
            delete,
            json!({ "id": pressure["id"] }),
        )
        .await);
    let third = post(
        &app,
        Some(&patient.token),
        "application/fhir+json",
        bundle.to_string(),
    )
    .await;
    assert_eq!(statuses(&third.body)[..2], ["201 Created", "200 OK"]);

    schema_valid(&[
        ("import-first".into(), first.body),
        ("import-again".into(), again.body),
    ])
    .await;
}

#[tokio::test]
async fn bundles_that_cannot_be_imported_are_refused_whole() {
    let app = spawn_app().await;
    let patient = person(&app, "refused@example.com", "user", "Rea", "Fused").await;
    let batch = json!({ "resourceType": "Bundle", "type": "batch", "entry": [] }).to_string();

    let cases: Vec<(Option<&str>, &str, String, u16, &str)> = vec![
        (None, "application/fhir+json", batch.clone(), 401, "login"),
        (
            Some(&patient.token),
            "text/plain",
            batch.clone(),
            415,
            "not-supported",
        ),
        (
            Some(&patient.token),
            "application/fhir+json",
            "{not json".into(),
            400,
            "invalid",
        ),
        (
            Some(&patient.token),
            "application/fhir+json",
            json!({ "resourceType": "Bundle", "type": "transaction", "entry": [] }).to_string(),
            400,
            "not-supported",
        ),
        (
            Some(&patient.token),
            "application/fhir+json",
            json!({ "resourceType": "Observation" }).to_string(),
            400,
            "invalid",
        ),
        (
            Some(&patient.token),
            "application/fhir+json",
            json!({ "resourceType": "Bundle", "type": "batch",
                    "entry": vec![blood_pressure("b", "2026-11-01", 120.0, 80.0); 101] })
            .to_string(),
            400,
            "too-costly",
        ),
        (
            Some(&patient.token),
            "application/fhir+json",
            format!("{{\"pad\": \"{}\"}}", "x".repeat(1 << 20)),
            413,
            "too-costly",
        ),
    ];
    for (token, content_type, body, status, code) in cases {
        let answer = post(&app, token, content_type, body).await;
        assert_eq!(answer.status, status, "{}", answer.body);
        assert_eq!(answer.body["resourceType"], "OperationOutcome");
        assert_eq!(answer.body["issue"][0]["code"], code, "{}", answer.body);
    }
    let stored = app
        .scalar_i64("SELECT count(*) FROM health_assessments")
        .await;
    assert_eq!(stored, 0);
}

#[tokio::test]
async fn imports_are_limited_per_user_and_hour() {
    let app = spawn_app().await;
    let busy = person(&app, "busy@example.com", "user", "Bea", "Busy").await;
    let calm = person(&app, "calm@example.com", "user", "Cal", "Calm").await;
    let empty = json!({ "resourceType": "Bundle", "type": "batch", "entry": [] }).to_string();
    let max = api::fhir::imported::IMPORTS.max;
    for _ in 0..max {
        let answer = post(
            &app,
            Some(&busy.token),
            "application/fhir+json",
            empty.clone(),
        )
        .await;
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
    let refused = post(
        &app,
        Some(&busy.token),
        "application/fhir+json",
        empty.clone(),
    )
    .await;
    assert_eq!(refused.status, 429, "{}", refused.body);
    assert_eq!(refused.body["issue"][0]["code"], "throttled");
    // Another user is not slowed by it.
    let other = post(
        &app,
        Some(&calm.token),
        "application/fhir+json",
        empty.clone(),
    )
    .await;
    assert_eq!(other.status, 200);
    // Refused all hour (each request also keeps the session from going idle), then allowed.
    for minutes in [16, 32, 48, 64] {
        app.clock.advance(chrono::Duration::minutes(16));
        let answer = post(
            &app,
            Some(&busy.token),
            "application/fhir+json",
            empty.clone(),
        )
        .await;
        let expected = if minutes < 60 { 429 } else { 200 };
        assert_eq!(
            answer.status, expected,
            "after {minutes} min: {}",
            answer.body
        );
    }
}

#[tokio::test]
async fn with_a_read_replica_an_import_marks_the_session_as_having_written() {
    // The replica is the primary under another name here: what matters is that one is set.
    let app = tests::spawn_app_with(|s| {
        s.database.database_read_url = Some(s.database.database_url.clone());
    })
    .await;
    let patient = person(&app, "replica@example.com", "user", "Rep", "Lica").await;
    let last_write = format!(
        "SELECT count(*) FROM user_sessions WHERE user_id = {} AND last_write_at IS NOT NULL",
        patient.id
    );
    assert_eq!(app.scalar_i64(&last_write).await, 0);
    let bundle = json!({ "resourceType": "Bundle", "type": "batch",
                         "entry": [blood_pressure("r1", "2026-11-01", 121.0, 79.0)] });
    let answer = post(
        &app,
        Some(&patient.token),
        "application/fhir+json",
        bundle.to_string(),
    )
    .await;
    assert_eq!(statuses(&answer.body), ["201 Created"]);
    assert_eq!(
        app.scalar_i64(&last_write).await,
        1,
        "its next reads go to the primary, which has the import"
    );
}
