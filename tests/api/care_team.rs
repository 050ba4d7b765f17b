//! Care-team sharing end to end: a patient grants a clinician scoped access; the clinician
//! lists patients, reads within the scopes, downloads report files and writes doctor notes;
//! revocation and expiry cut access at once; every clinician read and write is audited; the
//! patients list costs the same SQL statements for 5 or 50 patients.

use api::clock::Clock;
use chrono::Duration;
use serde_json::{Value, json};
use tests::{TestApp, UploadFile, nodes, ok, spawn_app, spawn_app_with};

const GRANT: &str = "mutation($email: String!, $scopes: [CareTeamScope!]!, $expiresAt: DateTime) {
  grantCareTeamAccess(clinicianEmail: $email, scopes: $scopes, expiresAt: $expiresAt) {
    grant { id scopes expiresAt revokedAt isActive clinician { id email firstName lastName } } } }";
const REVOKE: &str =
    "mutation($id: ID!) { revokeCareTeamAccess(id: $id) { grant { id revokedAt isActive } } }";
const PATIENTS: &str = "query($search: String, $first: Int, $after: String) {
  patients(search: $search, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { id email firstName lastName scopes accessExpiresAt lastActiveAt
      healthAssessments(first: 10) { edges { node { id riskScore } } }
      medicalReports(first: 10) { edges { node { id fileName downloadUrl doctorNotes } } } } } } }";
const PATIENT: &str = "query($id: ID!) { patient(id: $id) { id email scopes
  healthAssessments { edges { node { id } } } medicalReports { edges { node { id } } } } }";
const NOTES: &str =
    "mutation($id: ID!, $notes: String!) { updateDoctorNotes(reportId: $id, notes: $notes) {
  reportId doctorNotes doctorNotesUpdatedAt doctorNotesBy { id email firstName lastName } } }";
const UPLOAD: &str = "mutation($file: Upload!) { uploadMedicalReport(file: $file, reportType: LAB_RESULT) { report { id } } }";

pub struct Person {
    pub id: i32,
    pub email: String,
    pub token: String,
}

pub async fn person(app: &TestApp, email: &str, role: &str, first: &str, last: &str) -> Person {
    let user = app.create_user_as(email, role, first, last).await;
    let token = app.sign_in(&user).await;
    Person {
        id: user.id,
        email: user.email,
        token,
    }
}

/// `count` assessments and reports (rows only) for `user_id`, with distinct scores and names.
pub async fn health_rows(app: &TestApp, user_id: i32, count: i32) {
    app.execute(&format!(
        "INSERT INTO health_assessments (user_id, assessment_type, risk_score, risk_level, created_at)
             SELECT {user_id}, 'bmi', i, 'low', timestamptz '2026-02-01 00:00Z' + i * interval '1 hour'
             FROM generate_series(1, {count}) i;
         INSERT INTO medical_reports (user_id, report_type, file_name, file_path, file_size, mime_type, upload_date)
             SELECT {user_id}, 'lab_result', 'report-{user_id}-' || i || '.pdf', 'reports/{user_id}/' || gen_random_uuid(),
                    100, 'application/pdf', timestamptz '2026-03-01 00:00Z' + i * interval '1 day'
             FROM generate_series(1, {count}) i;"
    ))
    .await;
}

pub async fn grant(
    app: &TestApp,
    patient: &Person,
    clinician: &Person,
    scopes: &[&str],
    expires_at: Option<String>,
) -> Value {
    let response = app
        .graphql_as(
            Some(&patient.token),
            GRANT,
            json!({ "email": clinician.email, "scopes": scopes, "expiresAt": expires_at }),
        )
        .await;
    ok(&response)["grantCareTeamAccess"]["grant"].clone()
}

async fn patients(app: &TestApp, clinician: &Person, variables: Value) -> Vec<Value> {
    let response = app
        .graphql_as(Some(&clinician.token), PATIENTS, variables)
        .await;
    nodes(&ok(&response)["patients"])
}

async fn audit_count(app: &TestApp, event: &str, actor: i32, subject: i32) -> i64 {
    app.scalar_i64(&format!(
        "SELECT count(*) FROM audit_events WHERE event_type = '{event}' \
         AND actor_user_id = {actor} AND subject_user_id = {subject}"
    ))
    .await
}

async fn upload_text_report(app: &TestApp, patient: &Person, body: &str) -> String {
    let file = UploadFile {
        name: "labs.txt",
        content_type: Some("text/plain"),
        bytes: body.as_bytes().to_vec(),
    };
    let response = app
        .upload_as(Some(&patient.token), UPLOAD, json!({}), &file)
        .await;
    ok(&response)["uploadMedicalReport"]["report"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn grant_read_revoke_and_the_clinician_finds_nothing() {
    let app = spawn_app().await;
    let patient = person(&app, "pat@example.com", "user", "Pat", "Jones").await;
    let other = person(&app, "other@example.com", "user", "Otto", "Other").await;
    let clinician = person(&app, "dr@example.com", "clinician", "Dana", "Reyes").await;
    health_rows(&app, patient.id, 3).await;
    health_rows(&app, other.id, 3).await;
    let report_id = upload_text_report(&app, &patient, "Glucose 92 mg/dL").await;

    assert!(
        patients(&app, &clinician, json!({})).await.is_empty(),
        "no grant, no patients"
    );
    let granted = grant(
        &app,
        &patient,
        &clinician,
        &["ASSESSMENTS", "REPORTS"],
        None,
    )
    .await;
    assert_eq!(granted["clinician"]["email"], "dr@example.com");
    assert_eq!(granted["clinician"]["firstName"], "Dana");
    assert_eq!(granted["isActive"], true);
    assert_eq!(granted["scopes"], json!(["ASSESSMENTS", "REPORTS"]));

    let list = patients(&app, &clinician, json!({})).await;
    assert_eq!(list.len(), 1, "only the patient who granted access");
    let seen = &list[0];
    assert_eq!(seen["id"], patient.id.to_string());
    assert_eq!(seen["email"], "pat@example.com");
    assert_eq!(seen["lastName"], "Jones");
    assert!(seen["lastActiveAt"].is_string());
    assert_eq!(nodes(&seen["healthAssessments"]).len(), 3);
    let reports = nodes(&seen["medicalReports"]);
    assert_eq!(reports.len(), 4);
    assert!(reports.iter().any(|r| r["id"] == report_id.as_str()));

    // The file itself, through the same grant.
    let file = app
        .download(
            Some(&clinician.token),
            &format!("/files/reports/{report_id}"),
            None,
        )
        .await;
    assert_eq!(file.status(), 200);
    assert_eq!(file.text().await.unwrap(), "Glucose 92 mg/dL");

    let one = app
        .graphql_as(
            Some(&clinician.token),
            PATIENT,
            json!({ "id": patient.id.to_string() }),
        )
        .await;
    assert_eq!(ok(&one)["patient"]["email"], "pat@example.com");
    // Someone who granted nothing is not found, whatever exists.
    let stranger = app
        .graphql_as(
            Some(&clinician.token),
            PATIENT,
            json!({ "id": other.id.to_string() }),
        )
        .await;
    assert_eq!(stranger.error_codes(), ["NOT_FOUND"]);

    // Each read was recorded: the list, the file and the single lookup.
    assert_eq!(
        audit_count(&app, "patient_data_read", clinician.id, patient.id).await,
        3
    );
    let fields = app
        .scalar_i64(&format!(
            "SELECT count(*) FROM audit_events WHERE event_type = 'patient_data_read' \
             AND subject_user_id = {} AND details->'fields' ?& array['profile', 'assessments', 'reports']",
            patient.id
        ))
        .await;
    assert_eq!(
        fields, 2,
        "the list and the lookup read profile, assessments and reports"
    );
    assert_eq!(
        audit_count(&app, "patient_data_read", clinician.id, other.id).await,
        0
    );
    // The same data read through the connection's `nodes` is recorded as well.
    let through_nodes = app
        .graphql_as(
            Some(&clinician.token),
            "{ patients { nodes { email healthAssessments { totalCount } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        ok(&through_nodes)["patients"]["nodes"][0]["email"],
        "pat@example.com"
    );
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT count(*) FROM audit_events WHERE event_type = 'patient_data_read' \
             AND subject_user_id = {} AND details->'fields' = '[\"profile\", \"assessments\"]'",
            patient.id
        ))
        .await,
        1
    );

    // The clinician's signed link opens the file with no header, and is audited the same way.
    let link = reports
        .iter()
        .find(|r| r["id"] == report_id.as_str())
        .unwrap()["downloadUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        link.contains(&format!("u={}&", clinician.id)),
        "issued to the clinician: {link}"
    );
    let before = audit_count(&app, "patient_data_read", clinician.id, patient.id).await;
    let file = app.download(None, &link, None).await;
    assert_eq!(file.status(), 200);
    assert_eq!(file.text().await.unwrap(), "Glucose 92 mg/dL");
    assert_eq!(
        audit_count(&app, "patient_data_read", clinician.id, patient.id).await,
        before + 1
    );

    // Revoked: at once, everywhere.
    let revoked = app
        .graphql_as(Some(&patient.token), REVOKE, json!({ "id": granted["id"] }))
        .await;
    assert_eq!(
        ok(&revoked)["revokeCareTeamAccess"]["grant"]["isActive"],
        false
    );
    assert!(patients(&app, &clinician, json!({})).await.is_empty());
    let gone = app
        .graphql_as(
            Some(&clinician.token),
            PATIENT,
            json!({ "id": patient.id.to_string() }),
        )
        .await;
    assert_eq!(gone.error_codes(), ["NOT_FOUND"]);
    let file = app
        .download(
            Some(&clinician.token),
            &format!("/files/reports/{report_id}"),
            None,
        )
        .await;
    assert_eq!(file.status(), 404);
    assert_eq!(
        app.download(None, &link, None).await.status(),
        404,
        "the link died with the grant"
    );
    assert_eq!(
        audit_count(&app, "care_team_revoked", patient.id, patient.id).await,
        1
    );

    // The patient's own list keeps the history.
    let mine = app
        .graphql_as(
            Some(&patient.token),
            "{ me { careTeamGrants { totalCount edges { node { id isActive revokedAt clinician { email } } } } } }",
            json!({}),
        )
        .await;
    let grants = &ok(&mine)["me"]["careTeamGrants"];
    assert_eq!(grants["totalCount"], 1);
    assert!(nodes(grants)[0]["revokedAt"].is_string());
}

#[tokio::test]
async fn a_grant_ends_by_itself_when_it_expires() {
    let app = spawn_app().await;
    let patient = person(&app, "pat@example.com", "user", "Pat", "Jones").await;
    let clinician = person(&app, "dr@example.com", "clinician", "Dana", "Reyes").await;
    health_rows(&app, patient.id, 1).await;
    let expires = (app.clock.now() + Duration::minutes(10)).to_rfc3339();
    let granted = grant(&app, &patient, &clinician, &["ASSESSMENTS"], Some(expires)).await;
    assert!(granted["expiresAt"].is_string());
    assert_eq!(patients(&app, &clinician, json!({})).await.len(), 1);

    app.clock.advance(Duration::minutes(11));
    assert!(
        patients(&app, &clinician, json!({})).await.is_empty(),
        "expired"
    );
    let gone = app
        .graphql_as(
            Some(&clinician.token),
            PATIENT,
            json!({ "id": patient.id.to_string() }),
        )
        .await;
    assert_eq!(gone.error_codes(), ["NOT_FOUND"]);
    let mine = app
        .graphql_as(
            Some(&patient.token),
            "{ me { careTeamGrants { edges { node { isActive revokedAt } } } } }",
            json!({}),
        )
        .await;
    let node = &nodes(&ok(&mine)["me"]["careTeamGrants"])[0];
    assert_eq!(node["isActive"], false);
    assert_eq!(node["revokedAt"], Value::Null, "expired, not revoked");
}

#[tokio::test]
async fn scopes_limit_what_the_clinician_sees_and_does() {
    let app = spawn_app().await;
    let patient = person(&app, "pat@example.com", "user", "Pat", "Jones").await;
    let clinician = person(&app, "dr@example.com", "clinician", "Dana", "Reyes").await;
    health_rows(&app, patient.id, 2).await;
    let report_id = upload_text_report(&app, &patient, "Glucose 92 mg/dL").await;
    grant(&app, &patient, &clinician, &["ASSESSMENTS"], None).await;

    let list = patients(&app, &clinician, json!({})).await;
    assert_eq!(nodes(&list[0]["healthAssessments"]).len(), 2);
    assert_eq!(
        list[0]["medicalReports"],
        Value::Null,
        "reports were not shared"
    );
    assert_eq!(list[0]["scopes"], json!(["ASSESSMENTS"]));
    let file = app
        .download(
            Some(&clinician.token),
            &format!("/files/reports/{report_id}"),
            None,
        )
        .await;
    assert_eq!(file.status(), 404);
    let notes = app
        .graphql_as(
            Some(&clinician.token),
            NOTES,
            json!({ "id": report_id, "notes": "Looks fine" }),
        )
        .await;
    assert_eq!(notes.error_codes(), ["NOT_FOUND"]);
    // The audit log says what was read: no reports.
    let read_reports = app
        .scalar_i64(
            "SELECT count(*) FROM audit_events WHERE event_type = 'patient_data_read' \
             AND details->'fields' ? 'reports'",
        )
        .await;
    assert_eq!(read_reports, 0);

    // REPORTS only: the other way round.
    grant(&app, &patient, &clinician, &["REPORTS"], None).await;
    let list = patients(&app, &clinician, json!({})).await;
    assert_eq!(list[0]["healthAssessments"], Value::Null);
    assert_eq!(nodes(&list[0]["medicalReports"]).len(), 3);
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT count(*) FROM care_team_grants WHERE patient_id = {} AND revoked_at IS NULL",
            patient.id
        ))
        .await,
        1,
        "granting again replaced the grant"
    );
}

#[tokio::test]
async fn doctor_notes_need_the_report_notes_scope() {
    let app = spawn_app().await;
    let patient = person(&app, "pat@example.com", "user", "Pat", "Jones").await;
    let clinician = person(&app, "dr@example.com", "clinician", "Dana", "Reyes").await;
    let report_id = upload_text_report(&app, &patient, "Glucose 92 mg/dL").await;
    let notes_sql = format!(
        "SELECT count(*) FROM medical_reports WHERE id = {report_id} AND doctor_notes IS NOT NULL"
    );
    let notes_in_db = || app.scalar_i64(&notes_sql);

    // Reading reports is not writing notes.
    grant(&app, &patient, &clinician, &["REPORTS"], None).await;
    let refused = app
        .graphql_as(
            Some(&clinician.token),
            NOTES,
            json!({ "id": report_id, "notes": "Repeat in 3 months" }),
        )
        .await;
    assert_eq!(refused.error_codes(), ["NOT_FOUND"]);
    assert_eq!(notes_in_db().await, 0, "nothing changed");

    grant(
        &app,
        &patient,
        &clinician,
        &["REPORTS", "REPORT_NOTES"],
        None,
    )
    .await;
    let written = app
        .graphql_as(
            Some(&clinician.token),
            NOTES,
            json!({ "id": report_id, "notes": "  Repeat in 3 months  " }),
        )
        .await;
    let payload = &ok(&written)["updateDoctorNotes"];
    assert_eq!(payload["doctorNotes"], "Repeat in 3 months");
    assert_eq!(payload["doctorNotesBy"]["email"], "dr@example.com");

    // The patient sees the notes, who wrote them and when.
    let seen = app
        .graphql_as(
            Some(&patient.token),
            "query($id: ID!) { medicalReport(id: $id) { doctorNotes doctorNotesUpdatedAt doctorNotesBy { firstName lastName } } }",
            json!({ "id": report_id }),
        )
        .await;
    let report = &ok(&seen)["medicalReport"];
    assert_eq!(report["doctorNotes"], "Repeat in 3 months");
    assert_eq!(report["doctorNotesBy"]["lastName"], "Reyes");
    assert!(report["doctorNotesUpdatedAt"].is_string());
    assert_eq!(
        audit_count(&app, "patient_data_written", clinician.id, patient.id).await,
        1
    );

    // Too long: refused, the earlier notes stay.
    let long = "x".repeat(10_001);
    let refused = app
        .graphql_as(
            Some(&clinician.token),
            NOTES,
            json!({ "id": report_id, "notes": long }),
        )
        .await;
    assert_eq!(refused.error_codes(), ["BAD_USER_INPUT"]);
    assert_eq!(refused.body["errors"][0]["extensions"]["field"], "notes");
    assert_eq!(notes_in_db().await, 1);

    // A patient cannot write notes on their own report: the role is wrong.
    let own = app
        .graphql_as(
            Some(&patient.token),
            NOTES,
            json!({ "id": report_id, "notes": "I feel fine" }),
        )
        .await;
    assert_eq!(own.error_codes(), ["FORBIDDEN"]);

    // Empty notes clear them.
    let cleared = app
        .graphql_as(
            Some(&clinician.token),
            NOTES,
            json!({ "id": report_id, "notes": "" }),
        )
        .await;
    assert_eq!(
        ok(&cleared)["updateDoctorNotes"]["doctorNotes"],
        Value::Null
    );
    assert_eq!(notes_in_db().await, 0);
}

#[tokio::test]
async fn grants_are_checked_and_belong_to_their_patient() {
    let app = spawn_app().await;
    let patient = person(&app, "pat@example.com", "user", "Pat", "Jones").await;
    let other = person(&app, "other@example.com", "user", "Otto", "Other").await;
    let clinician = person(&app, "dr@example.com", "clinician", "Dana", "Reyes").await;
    let future = (app.clock.now() + Duration::days(1)).to_rfc3339();
    let past = (app.clock.now() - Duration::minutes(1)).to_rfc3339();
    let cases = [
        (
            json!({ "email": "other@example.com", "scopes": ["REPORTS"] }),
            "clinicianEmail",
        ),
        (
            json!({ "email": "nobody@example.com", "scopes": ["REPORTS"] }),
            "clinicianEmail",
        ),
        (json!({ "email": "dr@example.com", "scopes": [] }), "scopes"),
        (
            json!({ "email": "dr@example.com", "scopes": ["REPORTS"], "expiresAt": past }),
            "expiresAt",
        ),
    ];
    for (variables, field) in cases {
        let response = app
            .graphql_as(Some(&patient.token), GRANT, variables.clone())
            .await;
        assert_eq!(response.error_codes(), ["BAD_USER_INPUT"], "{variables}");
        assert_eq!(
            response.body["errors"][0]["extensions"]["field"], field,
            "{variables}"
        );
    }
    // A scope that does not exist is refused by the schema.
    let response = app
        .graphql_as(
            Some(&patient.token),
            GRANT,
            json!({ "email": "dr@example.com", "scopes": ["EVERYTHING"] }),
        )
        .await;
    assert!(response.body["errors"].is_array());
    // A clinician cannot grant access to themselves.
    let response = app
        .graphql_as(
            Some(&clinician.token),
            GRANT,
            json!({ "email": "dr@example.com", "scopes": ["REPORTS"], "expiresAt": future }),
        )
        .await;
    assert_eq!(response.error_codes(), ["BAD_USER_INPUT"]);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM care_team_grants")
            .await,
        0,
        "nothing stored"
    );

    // Someone else's grant cannot be revoked (or even found).
    let granted = grant(&app, &patient, &clinician, &["REPORTS"], None).await;
    let response = app
        .graphql_as(Some(&other.token), REVOKE, json!({ "id": granted["id"] }))
        .await;
    assert_eq!(response.error_codes(), ["NOT_FOUND"]);
    assert_eq!(patients(&app, &clinician, json!({})).await.len(), 1);

    // A deactivated patient drops out of the list.
    app.execute(&format!(
        "UPDATE users SET is_active = false WHERE id = {}",
        patient.id
    ))
    .await;
    assert!(patients(&app, &clinician, json!({})).await.is_empty());
}

#[tokio::test]
async fn patients_are_searched_by_name_or_email_and_paged() {
    let app = spawn_app().await;
    let clinician = person(&app, "dr@example.com", "clinician", "Dana", "Reyes").await;
    for (email, first, last) in [
        ("alice@example.com", "Alice", "Walker"),
        ("bob@example.com", "Bob", "Stone"),
        ("carol@example.com", "Carol", "Alison"),
        ("100%real@example.com", "Percy", "Cent"),
    ] {
        let patient = person(&app, email, "user", first, last).await;
        grant(&app, &patient, &clinician, &["ASSESSMENTS"], None).await;
    }
    let emails = |list: Vec<Value>| -> Vec<String> {
        let mut emails: Vec<String> = list
            .iter()
            .map(|p| p["email"].as_str().unwrap().to_owned())
            .collect();
        emails.sort();
        emails
    };
    let found = patients(&app, &clinician, json!({ "search": "ALI" })).await;
    assert_eq!(emails(found), ["alice@example.com", "carol@example.com"]);
    let found = patients(&app, &clinician, json!({ "search": "bob stone" })).await;
    assert_eq!(emails(found), ["bob@example.com"]);
    let found = patients(&app, &clinician, json!({ "search": "%" })).await;
    assert_eq!(emails(found), ["100%real@example.com"], "% matches itself");
    let long = app
        .graphql_as(
            Some(&clinician.token),
            PATIENTS,
            json!({ "search": "a".repeat(101) }),
        )
        .await;
    assert_eq!(long.error_codes(), ["BAD_USER_INPUT"]);

    // Two pages of two, newest grant first, no gaps or repeats.
    let first = app
        .graphql_as(Some(&clinician.token), PATIENTS, json!({ "first": 2 }))
        .await;
    let page = &ok(&first)["patients"];
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let cursor = page["pageInfo"]["endCursor"].clone();
    let second = app
        .graphql_as(
            Some(&clinician.token),
            PATIENTS,
            json!({ "first": 2, "after": cursor }),
        )
        .await;
    let mut all: Vec<Value> = nodes(page);
    all.extend(nodes(&ok(&second)["patients"]));
    assert_eq!(
        emails(all.clone()),
        [
            "100%real@example.com",
            "alice@example.com",
            "bob@example.com",
            "carol@example.com"
        ]
    );
    assert_eq!(
        all[0]["email"], "100%real@example.com",
        "newest grant first"
    );
}

/// `count` patients who granted `clinician` everything, each with 12 assessments and reports.
async fn patients_with_data(app: &TestApp, clinician: &Person, prefix: &str, count: i32) {
    app.execute(&format!(
        "INSERT INTO users (email, password_hash, first_name, last_name, is_verified)
             SELECT '{prefix}' || i || '@example.com', 'x', 'Patient', '{prefix}' || i, true
             FROM generate_series(1, {count}) i;
         INSERT INTO care_team_grants (patient_id, clinician_id, scopes)
             SELECT id, {clinician}, ARRAY['assessments', 'reports', 'report_notes']
             FROM users WHERE email LIKE '{prefix}%';
         INSERT INTO user_sessions (user_id, session_token, expires_at, last_activity)
             SELECT id, md5(email), now() + interval '1 day', now() FROM users WHERE email LIKE '{prefix}%';",
        clinician = clinician.id
    ))
    .await;
    let ids = app
        .scalar_i64(&format!(
            "SELECT min(id)::bigint FROM users WHERE email LIKE '{prefix}%'"
        ))
        .await;
    for id in ids..ids + i64::from(count) {
        health_rows(app, i32::try_from(id).unwrap(), 12).await;
    }
}

#[tokio::test]
async fn the_patients_list_costs_the_same_statements_for_5_or_50_patients() {
    // No job workers: their polling shares the counted pool and would add statements.
    let app = spawn_app_with(|s| s.jobs.job_workers = 0).await;
    let few = person(&app, "few@example.com", "clinician", "Fay", "Few").await;
    let many = person(&app, "many@example.com", "clinician", "Manny", "Many").await;
    patients_with_data(&app, &few, "small", 5).await;
    patients_with_data(&app, &many, "large", 50).await;

    // The fewest statements of three runs: a loader's batch window is a timer, and a busy
    // machine can close it before a 50-item list has asked (one statement more). Batching that
    // does not work costs dozens more, every run.
    let measure = |clinician: &Person| {
        let token = clinician.token.clone();
        let app = &app;
        async move {
            let mut fewest = u64::MAX;
            let mut list = Vec::new();
            for _ in 0..3 {
                let before = app.statements();
                let response = app
                    .graphql_as(Some(&token), PATIENTS, json!({ "first": 50 }))
                    .await;
                list = nodes(&ok(&response)["patients"]);
                fewest = fewest.min(app.statements() - before);
            }
            (list, fewest)
        }
    };
    let (small, small_statements) = measure(&few).await;
    let (large, large_statements) = measure(&many).await;
    println!(
        "patients(first: 50) with 10 assessments and 10 reports each: {small_statements} SQL \
         statements for 5 patients, {large_statements} for 50"
    );
    assert_eq!(small.len(), 5);
    assert_eq!(large.len(), 50);
    assert_eq!(small_statements, large_statements);
    // Grants page; patients' accounts; last activity; assessments page; reports page; one
    // audit insert for the whole page. (The token costs nothing from the second run on: the
    // caller is kept, docs/auth.md "The session cache".)
    assert_eq!(large_statements, 6);

    // Each patient shows their own rows, ten of each.
    for patient in &large {
        let id = patient["id"].as_str().unwrap();
        let reports = nodes(&patient["medicalReports"]);
        assert_eq!(reports.len(), 10);
        assert!(
            reports.iter().all(|r| r["fileName"]
                .as_str()
                .unwrap()
                .starts_with(&format!("report-{id}-"))),
            "{reports:?}"
        );
        assert_eq!(nodes(&patient["healthAssessments"]).len(), 10);
    }
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT count(DISTINCT subject_user_id) FROM audit_events \
             WHERE event_type = 'patient_data_read' AND actor_user_id = {}",
            many.id
        ))
        .await,
        50,
        "every patient shown is in the audit log"
    );
}
