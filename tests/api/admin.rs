//! Staff administration end to end: the first admin made on the command line; account lists
//! and searches without health data; deactivation that ends sessions at once; roles; the
//! audit log and its filters; every role boundary tried from every wrong role.

use clap::Parser;
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use tests::{TestApp, nodes, ok, spawn_app};

use crate::care_team::{Person, grant, health_rows, person};

const USERS: &str = "query($search: String, $role: Role, $active: Boolean, $first: Int) {
  users(search: $search, role: $role, active: $active, first: $first) {
    totalCount edges { node { id email firstName role isActive isVerified lastActiveAt activeSessionCount } } } }";
const AUDIT: &str = "query($userId: ID, $type: AuditEventType, $from: DateTime, $to: DateTime, $first: Int, $after: String) {
  auditLog(userId: $userId, eventType: $type, from: $from, to: $to, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id eventType actorId subjectId details createdAt } } } }";

async fn run_cli(app: &TestApp, args: &[&str]) -> Result<(), String> {
    let mut argv = vec!["api", "--database-url", &app.database_url];
    argv.extend_from_slice(args);
    let cli = api::cli::Cli::try_parse_from(argv).map_err(|e| e.to_string())?;
    api::cli::run(cli).await.map_err(|e| e.to_string())
}

async fn audit_rows(app: &TestApp, event: &str) -> i64 {
    app.scalar_i64(&format!(
        "SELECT count(*) FROM audit_events WHERE event_type = '{event}'"
    ))
    .await
}

#[tokio::test]
async fn the_first_admin_is_made_on_the_command_line() {
    let app = spawn_app().await;
    let first = person(&app, "Boss@Example.com", "user", "Bo", "Boss").await;
    let users = app.graphql_as(Some(&first.token), USERS, json!({})).await;
    assert_eq!(users.error_codes(), ["FORBIDDEN"], "not yet an admin");

    run_cli(&app, &["users", "set-role", "BOSS@example.com", "admin"])
        .await
        .unwrap();
    let users = app.graphql_as(Some(&first.token), USERS, json!({})).await;
    assert_eq!(ok(&users)["users"]["totalCount"], 1);
    let role_changes = app
        .scalar_i64(&format!(
            "SELECT count(*) FROM audit_events WHERE event_type = 'role_changed' AND actor_user_id IS NULL \
             AND subject_user_id = {} AND details->>'via' = 'command_line' AND details->>'to' = 'admin'",
            first.id
        ))
        .await;
    assert_eq!(role_changes, 1);

    let unknown = run_cli(&app, &["users", "set-role", "nobody@example.com", "admin"]).await;
    assert!(unknown.unwrap_err().contains("no account"));
    let bad_role = run_cli(
        &app,
        &["users", "set-role", "boss@example.com", "superuser"],
    )
    .await;
    assert!(bad_role.unwrap_err().contains("user, clinician, admin"));
    assert_eq!(
        audit_rows(&app, "role_changed").await,
        1,
        "nothing else changed"
    );
}

#[tokio::test]
async fn admins_list_and_search_accounts_but_never_see_health_data() {
    let app = spawn_app().await;
    let admin = person(&app, "admin@example.com", "admin", "Ada", "Admin").await;
    let patient = person(&app, "pat@example.com", "user", "Pat", "Jones").await;
    let _second_device = app
        .sign_in(&app.create_user("spare@example.com").await)
        .await;
    person(&app, "dr@example.com", "clinician", "Dana", "Reyes").await;
    health_rows(&app, patient.id, 2).await;
    app.execute(&format!(
        "UPDATE users SET is_active = false WHERE email = 'spare@example.com'; \
         INSERT INTO user_sessions (user_id, session_token, expires_at, last_activity) \
         VALUES ({}, 'second-device', now() + interval '1 day', now())",
        patient.id
    ))
    .await;

    let all = app.graphql_as(Some(&admin.token), USERS, json!({})).await;
    let list = &ok(&all)["users"];
    assert_eq!(list["totalCount"], 4);
    let pat = nodes(list)
        .into_iter()
        .find(|u| u["email"] == "pat@example.com")
        .unwrap();
    assert_eq!(pat["role"], "USER");
    assert_eq!(pat["activeSessionCount"], 2);
    assert!(pat["lastActiveAt"].is_string());

    let cases = [
        (json!({ "search": "REYES" }), vec!["dr@example.com"]),
        (json!({ "role": "CLINICIAN" }), vec!["dr@example.com"]),
        (json!({ "active": false }), vec!["spare@example.com"]),
        (
            json!({ "search": "example.com", "role": "ADMIN" }),
            vec!["admin@example.com"],
        ),
        (json!({ "search": "_" }), vec![]),
    ];
    for (variables, expected) in cases {
        let response = app
            .graphql_as(Some(&admin.token), USERS, variables.clone())
            .await;
        let emails: Vec<Value> = nodes(&ok(&response)["users"])
            .iter()
            .map(|u| u["email"].clone())
            .collect();
        assert_eq!(emails, expected, "{variables}");
    }
    // Every list was recorded, without the search text.
    assert_eq!(audit_rows(&app, "users_listed").await, 6);
    let leaked = app
        .scalar_i64("SELECT count(*) FROM audit_events WHERE details::text ILIKE '%reyes%'")
        .await;
    assert_eq!(leaked, 0);

    // Health data needs a grant, which an admin does not get by being one.
    let as_patient = app
        .graphql_as(
            Some(&admin.token),
            "query($id: ID!) { patient(id: $id) { id } }",
            json!({ "id": patient.id.to_string() }),
        )
        .await;
    assert_eq!(as_patient.error_codes(), ["FORBIDDEN"]);
    let report_id = app
        .scalar_i64(&format!(
            "SELECT min(id)::bigint FROM medical_reports WHERE user_id = {}",
            patient.id
        ))
        .await;
    let report = app
        .graphql_as(
            Some(&admin.token),
            "query($id: ID!) { medicalReport(id: $id) { id } }",
            json!({ "id": report_id.to_string() }),
        )
        .await;
    assert_eq!(report.error_codes(), ["NOT_FOUND"]);
    let file = app
        .download(
            Some(&admin.token),
            &format!("/files/reports/{report_id}"),
            None,
        )
        .await;
    assert_eq!(file.status(), 404);
    // The account type has no health fields at all.
    let probe = app
        .graphql_as(
            Some(&admin.token),
            "{ users { edges { node { healthAssessments { totalCount } } } } }",
            json!({}),
        )
        .await;
    assert!(
        probe.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("healthAssessments")
    );
}

#[tokio::test]
async fn deactivation_ends_sessions_at_once_and_reactivation_lets_back_in() {
    let app = spawn_app().await;
    let admin = person(&app, "admin@example.com", "admin", "Ada", "Admin").await;
    let user = person(&app, "user@example.com", "user", "Uma", "User").await;
    let me = "{ me { email } }";
    assert_eq!(
        ok(&app.graphql_as(Some(&user.token), me, json!({})).await)["me"]["email"],
        "user@example.com"
    );

    let deactivate = "mutation($id: ID!) { deactivateUser(id: $id) { account { isActive activeSessionCount } } }";
    let response = app
        .graphql_as(
            Some(&admin.token),
            deactivate,
            json!({ "id": user.id.to_string() }),
        )
        .await;
    let account = &ok(&response)["deactivateUser"]["account"];
    assert_eq!(account["isActive"], false);
    assert_eq!(account["activeSessionCount"], 0);
    let after = app.graphql_as(Some(&user.token), me, json!({})).await;
    assert_eq!(after.data()["me"], Value::Null, "the token stopped working");
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT count(*) FROM user_sessions WHERE user_id = {} AND is_active",
            user.id
        ))
        .await,
        0
    );
    let recorded = app
        .scalar_i64(&format!(
            "SELECT count(*) FROM audit_events WHERE event_type = 'account_deactivated' \
             AND actor_user_id = {} AND subject_user_id = {} AND (details->>'sessions_ended')::int = 1",
            admin.id, user.id
        ))
        .await;
    assert_eq!(recorded, 1);

    // Deactivating yourself would lock you out.
    let own = app
        .graphql_as(
            Some(&admin.token),
            deactivate,
            json!({ "id": admin.id.to_string() }),
        )
        .await;
    assert_eq!(own.error_codes(), ["CONFLICT"]);

    let reactivate = "mutation($id: ID!) { reactivateUser(id: $id) { account { isActive } } }";
    let response = app
        .graphql_as(
            Some(&admin.token),
            reactivate,
            json!({ "id": user.id.to_string() }),
        )
        .await;
    assert_eq!(ok(&response)["reactivateUser"]["account"]["isActive"], true);
    assert_eq!(audit_rows(&app, "account_reactivated").await, 1);
    // The old token stays dead; a new sign-in works.
    let old = app.graphql_as(Some(&user.token), me, json!({})).await;
    assert_eq!(old.data()["me"], Value::Null);
    let row = entity::users::Entity::find_by_id(user.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let token = app.sign_in(&row).await;
    let back = app.graphql_as(Some(&token), me, json!({})).await;
    assert_eq!(ok(&back)["me"]["email"], "user@example.com");
    let missing = app
        .graphql_as(Some(&admin.token), reactivate, json!({ "id": "999999" }))
        .await;
    assert_eq!(missing.error_codes(), ["NOT_FOUND"]);
}

#[tokio::test]
async fn roles_are_assigned_by_admins_and_audited() {
    let app = spawn_app().await;
    let admin = person(&app, "admin@example.com", "admin", "Ada", "Admin").await;
    let user = person(&app, "dr@example.com", "user", "Dana", "Reyes").await;
    let patient = person(&app, "pat@example.com", "user", "Pat", "Jones").await;
    let set_role = "mutation($id: ID!, $role: Role!) { setUserRole(id: $id, role: $role) { account { role } } }";

    let response = app
        .graphql_as(
            Some(&admin.token),
            set_role,
            json!({ "id": user.id.to_string(), "role": "CLINICIAN" }),
        )
        .await;
    assert_eq!(ok(&response)["setUserRole"]["account"]["role"], "CLINICIAN");
    // Now a clinician: the patient can grant access, and the clinician sees them.
    grant(&app, &patient, &user, &["ASSESSMENTS"], None).await;
    let patients = app
        .graphql_as(
            Some(&user.token),
            "{ patients { edges { node { email } } } }",
            json!({}),
        )
        .await;
    assert_eq!(nodes(&ok(&patients)["patients"]).len(), 1);

    // Demoted: the grant stays, but the role no longer lets it be used.
    app.graphql_as(
        Some(&admin.token),
        set_role,
        json!({ "id": user.id.to_string(), "role": "USER" }),
    )
    .await;
    let patients = app
        .graphql_as(
            Some(&user.token),
            "{ patients { edges { node { email } } } }",
            json!({}),
        )
        .await;
    assert_eq!(patients.error_codes(), ["FORBIDDEN"]);

    let own = app
        .graphql_as(
            Some(&admin.token),
            set_role,
            json!({ "id": admin.id.to_string(), "role": "USER" }),
        )
        .await;
    assert_eq!(own.error_codes(), ["CONFLICT"]);
    let changes = app
        .scalar_i64(&format!(
            "SELECT count(*) FROM audit_events WHERE event_type = 'role_changed' \
             AND actor_user_id = {} AND subject_user_id = {}",
            admin.id, user.id
        ))
        .await;
    assert_eq!(changes, 2);
}

#[tokio::test]
async fn every_role_boundary_holds_from_every_wrong_role() {
    let app = spawn_app().await;
    let user = person(&app, "user@example.com", "user", "Uma", "User").await;
    let clinician = person(&app, "dr@example.com", "clinician", "Dana", "Reyes").await;
    let admin = person(&app, "admin@example.com", "admin", "Ada", "Admin").await;
    let target = person(&app, "target@example.com", "user", "Tia", "Target").await;
    health_rows(&app, target.id, 1).await;
    let report = app
        .scalar_i64(&format!(
            "SELECT id::bigint FROM medical_reports WHERE user_id = {}",
            target.id
        ))
        .await;
    let id = target.id.to_string();

    // (operation, the only role allowed)
    let operations = [
        ("{ patients { totalCount } }".to_owned(), "clinician"),
        (format!("{{ patient(id: \"{id}\") {{ id }} }}"), "clinician"),
        (
            format!(
                "mutation {{ updateDoctorNotes(reportId: \"{report}\", notes: \"x\") {{ reportId }} }}"
            ),
            "clinician",
        ),
        ("{ users { totalCount } }".to_owned(), "admin"),
        ("{ auditLog { totalCount } }".to_owned(), "admin"),
        (
            format!("mutation {{ deactivateUser(id: \"{id}\") {{ account {{ id }} }} }}"),
            "admin",
        ),
        (
            format!("mutation {{ reactivateUser(id: \"{id}\") {{ account {{ id }} }} }}"),
            "admin",
        ),
        (
            format!("mutation {{ setUserRole(id: \"{id}\", role: ADMIN) {{ account {{ id }} }} }}"),
            "admin",
        ),
    ];
    let callers: [(&str, Option<&Person>); 4] = [
        ("anonymous", None),
        ("user", Some(&user)),
        ("clinician", Some(&clinician)),
        ("admin", Some(&admin)),
    ];
    for (query, allowed) in &operations {
        for (role, caller) in &callers {
            if role == allowed {
                continue;
            }
            let response = app
                .graphql_as(caller.map(|c| c.token.as_str()), query, json!({}))
                .await;
            let expected = if caller.is_none() {
                "UNAUTHENTICATED"
            } else {
                "FORBIDDEN"
            };
            assert_eq!(response.error_codes(), [expected], "{role}: {query}");
        }
    }
    // Nothing changed: the target is an active USER without notes.
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT count(*) FROM users WHERE id = {} AND is_active AND role = 'user'",
            target.id
        ))
        .await,
        1
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM medical_reports WHERE doctor_notes IS NOT NULL")
            .await,
        0
    );
    assert_eq!(
        app.scalar_i64(
            "SELECT count(*) FROM audit_events WHERE event_type IN \
             ('users_listed', 'audit_log_read', 'account_deactivated', 'role_changed', 'patient_data_read')"
        )
        .await,
        0,
        "refused calls record nothing"
    );
}

#[tokio::test]
async fn the_audit_log_filters_by_user_type_and_time_and_pages() {
    let app = spawn_app().await;
    let admin = person(&app, "admin@example.com", "admin", "Ada", "Admin").await;
    let alice = person(&app, "alice@example.com", "user", "Alice", "A").await;
    let bob = person(&app, "bob@example.com", "user", "Bob", "B").await;
    app.execute(&format!(
        "INSERT INTO audit_events (actor_user_id, subject_user_id, event_type, created_at, details)
             SELECT {a}, {a}, 'profile_updated', timestamptz '2026-05-01 00:00Z' + i * interval '1 hour', '{{}}'
             FROM generate_series(1, 5) i;
         INSERT INTO audit_events (actor_user_id, subject_user_id, event_type, created_at, details)
             SELECT {b}, {b}, 'sign_in_succeeded', timestamptz '2026-05-01 00:00Z' + i * interval '1 hour', '{{}}'
             FROM generate_series(1, 3) i;",
        a = alice.id,
        b = bob.id
    ))
    .await;
    let query = |variables: Value| {
        let token = admin.token.clone();
        let app = &app;
        async move {
            let response = app.graphql_as(Some(&token), AUDIT, variables).await;
            ok(&response)["auditLog"].clone()
        }
    };
    let alices = query(json!({ "userId": alice.id.to_string() })).await;
    assert_eq!(alices["totalCount"], 5);
    assert!(
        nodes(&alices)
            .iter()
            .all(|e| e["subjectId"].as_str() == Some(alice.id.to_string().as_str()))
    );
    let sign_ins = query(json!({ "type": "SIGN_IN_SUCCEEDED" })).await;
    assert_eq!(sign_ins["totalCount"], 3);
    let window = query(json!({
        "userId": alice.id.to_string(),
        "from": "2026-05-01T02:00:00Z",
        "to": "2026-05-01T04:00:00Z"
    }))
    .await;
    let times: Vec<Value> = nodes(&window)
        .iter()
        .map(|e| e["createdAt"].clone())
        .collect();
    assert_eq!(
        times,
        [
            json!("2026-05-01T03:00:00+00:00"),
            json!("2026-05-01T02:00:00+00:00")
        ],
        "newest first, from inclusive, to exclusive"
    );

    // Pages of three through Alice's five, no gaps or repeats.
    let first = query(json!({ "userId": alice.id.to_string(), "first": 3 })).await;
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    let second = query(json!({
        "userId": alice.id.to_string(),
        "first": 3,
        "after": first["pageInfo"]["endCursor"]
    }))
    .await;
    assert_eq!(second["pageInfo"]["hasNextPage"], false);
    let mut ids: Vec<Value> = nodes(&first).iter().map(|e| e["id"].clone()).collect();
    ids.extend(nodes(&second).iter().map(|e| e["id"].clone()));
    ids.dedup();
    assert_eq!(ids.len(), 5);

    let bad = app
        .graphql_as(
            Some(&admin.token),
            AUDIT,
            json!({ "userId": "not-a-number" }),
        )
        .await;
    assert_eq!(bad.error_codes(), ["BAD_USER_INPUT"]);

    // Reading the log is itself in the log, filters included.
    let reads = app
        .scalar_i64(&format!(
            "SELECT count(*) FROM audit_events WHERE event_type = 'audit_log_read' AND actor_user_id = {} \
             AND details->'filters'->>'user_id' = '{}'",
            admin.id, alice.id
        ))
        .await;
    assert_eq!(reads, 4);

    // `userId` matches the actor or the subject: Alice acting on Bob, and Bob acting on Alice.
    app.execute(&format!(
        "INSERT INTO audit_events (actor_user_id, subject_user_id, event_type, created_at) VALUES
             ({a}, {b}, 'patient_data_read', '2026-06-01T00:00:00Z'),
             ({b}, {a}, 'account_deactivated', '2026-06-02T00:00:00Z')",
        a = alice.id,
        b = bob.id
    ))
    .await;
    for who in [&alice, &bob] {
        let june =
            query(json!({ "userId": who.id.to_string(), "from": "2026-06-01T00:00:00Z" })).await;
        let types: Vec<Value> = nodes(&june)
            .iter()
            .map(|e| e["eventType"].clone())
            .collect();
        assert_eq!(
            types,
            [json!("ACCOUNT_DEACTIVATED"), json!("PATIENT_DATA_READ")],
            "user {}",
            who.id
        );
    }
}
