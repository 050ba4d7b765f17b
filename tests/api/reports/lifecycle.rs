//! A report's life: other users' ids, updates, archiving, filters, reanalysis and deletion,
//! the storage sweeper and account deletion.

use super::*;

#[tokio::test]
async fn another_users_report_is_not_found_and_unchanged() {
    let app = spawn_app().await;
    let owner = signed_in(&app, "mine@example.com").await;
    let intruder = signed_in(&app, "intruder@example.com").await;
    let report = upload_ok(
        &app,
        &owner,
        &file("mine.txt", None, b"Glucose 90 mg/dL\n".to_vec()),
    )
    .await;
    let id = report["id"].clone();
    analysed(&app, &owner, &id).await;
    for (query, extra) in [
        (READ, json!({})),
        (
            "mutation($id: ID!) { updateMedicalReport(id: $id, title: \"pwned\") { report { id } } }",
            json!({}),
        ),
        (
            "mutation($id: ID!) { archiveMedicalReport(id: $id, archived: true) { report { id } } }",
            json!({}),
        ),
        (
            "mutation($id: ID!) { reanalyzeMedicalReport(id: $id) { report { id } } }",
            json!({}),
        ),
        (
            "mutation($id: ID!) { deleteMedicalReport(id: $id) { deletedId } }",
            json!({}),
        ),
    ] {
        let mut variables = extra;
        variables["id"] = id.clone();
        let response = app.graphql_as(Some(&intruder), query, variables).await;
        assert_eq!(
            response.error_codes(),
            ["NOT_FOUND"],
            "{query}: {:?}",
            response.body
        );
    }
    let unchanged = read(&app, &owner, &id).await;
    assert_eq!(unchanged["title"], "mine.txt");
    assert_eq!(unchanged["isArchived"], false);
    assert_eq!(unchanged["analysisStatus"], "COMPLETED");
    assert_eq!(app.stored_files().len(), 1);
}

#[tokio::test]
async fn owners_update_archive_filter_reanalyse_and_delete() {
    let app = spawn_app().await;
    let token = signed_in(&app, "manage@example.com").await;
    let first = upload_ok(
        &app,
        &token,
        &file("a.txt", None, b"Glucose 90 mg/dL\n".to_vec()),
    )
    .await;
    let second = upload_ok(
        &app,
        &token,
        &file("b.txt", None, b"HbA1c 7.1 %\n".to_vec()),
    )
    .await;
    analysed(&app, &token, &first["id"]).await;
    analysed(&app, &token, &second["id"]).await;

    let response = app.graphql_as(Some(&token), "mutation($id: ID!) { updateMedicalReport(id: $id, title: \"  March labs \", reportType: IMAGING) { report { title reportType } } }", json!({ "id": first["id"] })).await;
    assert_eq!(
        ok(&response)["updateMedicalReport"]["report"],
        json!({ "title": "March labs", "reportType": "IMAGING" })
    );
    let response = app
        .graphql_as(
            Some(&token),
            "mutation($id: ID!) { updateMedicalReport(id: $id, title: $t) { report { title } } }"
                .replace("$t", &format!("\"{}\"", "x".repeat(201)))
                .as_str(),
            json!({ "id": first["id"] }),
        )
        .await;
    assert_eq!(response.error_codes(), ["BAD_USER_INPUT"]);
    let response = app.graphql_as(Some(&token), "mutation($id: ID!) { archiveMedicalReport(id: $id, archived: true) { report { isArchived } } }", json!({ "id": first["id"] })).await;
    assert_eq!(
        ok(&response)["archiveMedicalReport"]["report"]["isArchived"],
        true
    );

    let list = |filter: &str| {
        format!(
            "{{ me {{ medicalReports({filter}) {{ totalCount edges {{ node {{ id }} }} }} }} }}"
        )
    };
    let count =
        |response: &tests::GqlResponse| ok(response)["me"]["medicalReports"]["totalCount"].clone();
    assert_eq!(
        count(
            &app.graphql_as(Some(&token), &list("archived: false"), json!({}))
                .await
        ),
        1
    );
    assert_eq!(
        count(
            &app.graphql_as(Some(&token), &list("archived: true"), json!({}))
                .await
        ),
        1
    );
    assert_eq!(
        count(
            &app.graphql_as(Some(&token), &list("reportType: IMAGING"), json!({}))
                .await
        ),
        1
    );
    assert_eq!(
        count(
            &app.graphql_as(Some(&token), &list("status: COMPLETED"), json!({}))
                .await
        ),
        2
    );
    assert_eq!(
        count(
            &app.graphql_as(Some(&token), &list("status: FAILED"), json!({}))
                .await
        ),
        0
    );
    let tomorrow = (chrono::Utc::now() + Duration::days(1)).to_rfc3339();
    assert_eq!(
        count(
            &app.graphql_as(
                Some(&token),
                &list(&format!("from: \"{tomorrow}\"")),
                json!({})
            )
            .await
        ),
        0
    );

    // Reanalysis queues a new job; a second request while it is queued is a CONFLICT.
    let reanalyze =
        "mutation($id: ID!) { reanalyzeMedicalReport(id: $id) { report { analysisStatus } } }";
    let again = app
        .graphql_as(Some(&token), reanalyze, json!({ "id": second["id"] }))
        .await;
    assert_eq!(
        ok(&again)["reanalyzeMedicalReport"]["report"]["analysisStatus"],
        "PENDING"
    );
    let conflict = app
        .graphql_as(Some(&token), reanalyze, json!({ "id": second["id"] }))
        .await;
    if conflict.error_codes().is_empty() {
        // The worker was quicker than the second request; both analyses are legitimate.
        assert_eq!(
            ok(&conflict)["reanalyzeMedicalReport"]["report"]["analysisStatus"],
            "PENDING"
        );
    } else {
        assert_eq!(conflict.error_codes(), ["CONFLICT"]);
    }
    let redone = analysed(&app, &token, &second["id"]).await;
    assert_eq!(lab(&redone, "hba1c")["flag"], "HIGH");

    // Deleting removes the row and the file.
    assert_eq!(app.stored_files().len(), 2);
    let response = app
        .graphql_as(
            Some(&token),
            "mutation($id: ID!) { deleteMedicalReport(id: $id) { deletedId } }",
            json!({ "id": first["id"] }),
        )
        .await;
    assert_eq!(
        ok(&response)["deleteMedicalReport"]["deletedId"],
        first["id"]
    );
    assert_eq!(app.stored_files().len(), 1);
    assert_eq!(rows(&app, "medical_reports").await, 1);
    let gone = app
        .graphql_as(Some(&token), READ, json!({ "id": first["id"] }))
        .await;
    assert_eq!(gone.error_codes(), ["NOT_FOUND"]);
}

#[tokio::test]
async fn the_sweeper_removes_files_no_row_refers_to() {
    let app = spawn_app().await;
    let token = signed_in(&app, "sweep@example.com").await;
    upload_ok(
        &app,
        &token,
        &file("kept.txt", None, b"Glucose 90 mg/dL\n".to_vec()),
    )
    .await;
    let root = app.state.settings.storage_root();
    let user_id = app.scalar_i64("SELECT id::bigint FROM users").await;
    let orphan = root.join(format!("reports/{user_id}/{}", uuid::Uuid::new_v4()));
    std::fs::write(&orphan, b"left behind by a crash").unwrap();
    let partial = root.join(format!("reports/{user_id}/.{}.part", uuid::Uuid::new_v4()));
    std::fs::write(&partial, b"half a write").unwrap();
    assert_eq!(app.stored_files().len(), 3);

    let sweeper = app
        .another_server(|s| {
            s.storage.storage_root = Some(root.clone());
            s.storage.storage_sweep_interval_secs = 1;
            s.storage.storage_orphan_grace_secs = 0;
        })
        .await;
    for _ in 0..100 {
        if app.stored_files().len() == 1 {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    assert!(
        !orphan.exists() && !partial.exists(),
        "{:?}",
        app.stored_files()
    );
    let kept = app.stored_files();
    assert_eq!(kept.len(), 1);
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT count(*) FROM medical_reports WHERE file_path = '{}'",
            kept[0]
        ))
        .await,
        1
    );
    drop(sweeper);
}

#[tokio::test]
async fn deleting_the_account_removes_its_files() {
    let app = spawn_app().await;
    let user = app.create_user("leaving@example.com").await;
    let hash = api::auth::password::hash_blocking("a long enough passphrase 42").unwrap();
    app.execute(&format!(
        "UPDATE users SET password_hash = '{hash}' WHERE id = {}",
        user.id
    ))
    .await;
    let token = app.sign_in(&user).await;
    let staying = signed_in(&app, "staying@example.com").await;
    upload_ok(&app, &token, &file("a.pdf", None, two_page_lab_report())).await;
    upload_ok(
        &app,
        &staying,
        &file("b.txt", None, b"Glucose 90 mg/dL\n".to_vec()),
    )
    .await;
    let avatar = app
        .upload_as(
            Some(&token),
            "mutation($file: Upload!) { uploadProfileImage(file: $file) { user { id } } }",
            json!({}),
            &file("me.png", None, png_with_location(40, 40)),
        )
        .await;
    ok(&avatar);
    assert_eq!(app.stored_files().len(), 3);

    let response = app.graphql_as(Some(&token), "mutation { deleteAccount(input: { password: \"a long enough passphrase 42\" }) { accepted } }", json!({})).await;
    assert!(response.body.get("errors").is_none(), "{:?}", response.body);
    let left = app.stored_files();
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(!left[0].contains(&format!("/{}/", user.id)));
}
