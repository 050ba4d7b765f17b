//! Who reads what: clinicians through live grants only, every read audited, every error an OperationOutcome.

use super::*;

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
