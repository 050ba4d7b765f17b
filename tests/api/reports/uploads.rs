//! Uploads that are refused store nothing; multipart bodies are held to the specification;
//! file names are display names only.

use super::*;

#[tokio::test]
async fn refused_uploads_leave_no_row_no_job_and_no_file() {
    let app = spawn_app_with(|s| s.storage.upload_max_bytes = 256 * 1024).await;
    let token = signed_in(&app, "refused@example.com").await;
    let mut elf = b"\x7fELF\x02\x01\x01\x00".to_vec();
    elf.extend(vec![0u8; 4096]);
    let mut exe = b"MZ\x90\x00\x03\x00\x00\x00".to_vec();
    exe.extend(vec![0u8; 4096]);
    let good = two_page_lab_report();
    let truncated = good[..good.len() / 2].to_vec();
    let png = png_with_location(4, 4);
    let cases: Vec<(UploadFile, &str)> = vec![
        (
            file(
                "report.pdf",
                Some("application/pdf"),
                b"just some bytes \x00\x01\x02 not a pdf".to_vec(),
            ),
            "not recognised",
        ),
        (
            file("report.pdf", Some("application/pdf"), elf),
            "not accepted",
        ),
        (file("report.pdf", None, exe), "not accepted"),
        (
            file("scan.pdf", Some("application/pdf"), png.clone()),
            "sent as application/pdf",
        ),
        (file("scan.pdf", None, png), "ends in .pdf"),
        (
            file("report.pdf", Some("application/pdf"), truncated),
            "damaged",
        ),
        (
            file("bomb.pdf", Some("application/pdf"), pdf_bomb(80 << 20)),
            "expands",
        ),
        (file("empty.txt", Some("text/plain"), Vec::new()), "empty"),
    ];
    for (case, message) in &cases {
        let response = upload(&app, &token, case).await;
        assert_eq!(
            response.error_codes(),
            ["BAD_USER_INPUT"],
            "{}: {:?}",
            case.name,
            response.body
        );
        let error = response.body["errors"][0]["message"].as_str().unwrap();
        assert!(error.contains(message), "{}: {error}", case.name);
        assert_eq!(response.body["errors"][0]["extensions"]["field"], "file");
    }

    // Larger than the limit: cut off by the multipart parser, 413.
    let mut big = b"Glucose 90 mg/dL\n".to_vec();
    big.resize(300 * 1024, b'a');
    let response = upload(&app, &token, &file("big.txt", None, big)).await;
    assert_eq!(response.status, 413, "{:?}", response.body);
    // Declared larger than the limit: refused before the body is read.
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&token)
        .header("content-type", "multipart/form-data; boundary=x")
        .header("content-length", (10u64 << 30).to_string())
        .body(vec![0u8; 16])
        .send()
        .await;
    if let Ok(response) = response {
        assert_eq!(response.status(), 413);
    }
    // Without a token: UNAUTHENTICATED.
    let response = app
        .upload_as(
            None,
            UPLOAD,
            json!({ "type": "LAB_RESULT" }),
            &file("a.pdf", None, two_page_lab_report()),
        )
        .await;
    assert_eq!(response.error_codes(), ["UNAUTHENTICATED"]);

    assert_eq!(rows(&app, "medical_reports").await, 0);
    assert_eq!(rows(&app, "jobs").await, 0);
    assert_eq!(app.stored_files(), Vec::<String>::new());
}

/// One part of a multipart body: field name, file name (for a file), content.
type RawPart<'a> = (&'a str, Option<&'a str>, &'a str);

/// POSTs a multipart body of the given parts as is.
async fn raw_multipart(app: &TestApp, token: &str, parts: &[RawPart<'_>]) -> (u16, String) {
    let mut body = String::new();
    for (name, filename, content) in parts {
        body.push_str(&format!(
            "--B\r\nContent-Disposition: form-data; name=\"{name}\""
        ));
        if let Some(filename) = filename {
            body.push_str(&format!(
                "; filename=\"{filename}\"\r\nContent-Type: text/plain"
            ));
        }
        body.push_str(&format!("\r\n\r\n{content}\r\n"));
    }
    body.push_str("--B--\r\n");
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(token)
        .header("content-type", "multipart/form-data; boundary=B")
        .body(body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn multipart_requests_hold_two_files_at_most_each_in_the_map_at_a_real_variable() {
    let app = spawn_app().await;
    let token = signed_in(&app, "parts@example.com").await;
    let operations = json!({ "query": UPLOAD, "variables": { "file": null, "type": "LAB_RESULT", "more": [null, null, null] } }).to_string();
    let lab = "Glucose 90 mg/dL";
    let map_of = |n: usize| {
        let map: serde_json::Map<String, Value> = (0..n)
            .map(|i| {
                (
                    i.to_string(),
                    json!([if i == 0 {
                        "variables.file".to_owned()
                    } else {
                        format!("variables.more.{i}")
                    }]),
                )
            })
            .collect();
        Value::Object(map).to_string()
    };
    let three = map_of(3);
    let cases: Vec<(Vec<RawPart>, &str)> = vec![
        // Three files (the old reader spooled any number, one descriptor each).
        (
            vec![
                ("operations", None, &operations),
                ("map", None, &three),
                ("0", Some("a.txt"), lab),
                ("1", Some("b.txt"), lab),
                ("2", Some("c.txt"), lab),
            ],
            "at most 2 files",
        ),
        // One file at three places.
        (
            vec![
                ("operations", None, &operations),
                (
                    "map",
                    None,
                    r#"{"0":["variables.file","variables.more.0","variables.more.1"]}"#,
                ),
                ("0", Some("a.txt"), lab),
            ],
            "at most 2 files",
        ),
        // A file the map does not name.
        (
            vec![
                ("operations", None, &operations),
                ("map", None, r#"{"0":["variables.file"]}"#),
                ("0", Some("a.txt"), lab),
                ("9", Some("x.txt"), lab),
            ],
            "`9` is not in the map",
        ),
        // A path to nowhere.
        (
            vec![
                ("operations", None, &operations),
                ("map", None, r#"{"0":["variables.nothing"]}"#),
                ("0", Some("a.txt"), lab),
            ],
            "names no variable",
        ),
        // The map before the operations.
        (
            vec![
                ("map", None, r#"{"0":["variables.file"]}"#),
                ("operations", None, &operations),
                ("0", Some("a.txt"), lab),
            ],
            "in the order",
        ),
        // The file the map names never comes.
        (
            vec![
                ("operations", None, &operations),
                ("map", None, r#"{"0":["variables.file"]}"#),
            ],
            "`0` of the map is missing",
        ),
    ];
    for (parts, message) in &cases {
        let (status, body) = raw_multipart(&app, &token, parts).await;
        assert_eq!(status, 400, "{message}: {body}");
        assert!(
            body.contains("the multipart request is not valid") && body.contains(message),
            "{message}: {body}"
        );
    }
    assert_eq!(rows(&app, "medical_reports").await, 0);

    // The same parts, well formed, upload the report.
    let (status, body) = raw_multipart(
        &app,
        &token,
        &[
            ("operations", None, &operations),
            ("map", None, r#"{"0":["variables.file"]}"#),
            ("0", Some("a.txt"), lab),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(!body.contains("errors"), "{body}");
    assert_eq!(rows(&app, "medical_reports").await, 1);
}

#[tokio::test]
async fn path_like_file_names_are_display_names_only() {
    let app = spawn_app().await;
    let token = signed_in(&app, "paths@example.com").await;
    let report = upload_ok(
        &app,
        &token,
        &file("../../etc/passwd", None, b"Glucose 90 mg/dL\n".to_vec()),
    )
    .await;
    assert_eq!(report["fileName"], "passwd");
    let id: i32 = report["id"].as_str().unwrap().parse().unwrap();
    let user_id = app.scalar_i64("SELECT id::bigint FROM users").await;
    let stored = app.scalar_i64(&format!(
        "SELECT count(*) FROM medical_reports WHERE id = {id} AND file_path ~ '^reports/{user_id}/[0-9a-f-]{{36}}$'"
    )).await;
    assert_eq!(stored, 1);
    let files = app.stored_files();
    assert_eq!(files.len(), 1);
    assert!(
        files[0].starts_with(&format!("reports/{user_id}/")),
        "{files:?}"
    );
    assert!(!std::path::Path::new("/etc/passwd.part").exists());
}

/// A right-to-left override makes `r<U+202E>gnp.txt` display as "rtxt.png"; it is removed from
/// the stored name and the download's header, and from names stored before the rule existed.
#[tokio::test]
async fn invisible_formatting_characters_never_reach_a_stored_name_or_header() {
    let app = spawn_app().await;
    let token = signed_in(&app, "bidi@example.com").await;
    let report = upload_ok(
        &app,
        &token,
        &file("r\u{202e}gnp.txt", None, b"Glucose 90 mg/dL\n".to_vec()),
    )
    .await;
    assert_eq!(report["fileName"], "rgnp.txt");
    assert_eq!(
        app.scalar_text("SELECT file_name FROM medical_reports")
            .await,
        "rgnp.txt"
    );
    // A row written under the old rules still leaves with a clean header.
    app.execute("UPDATE medical_reports SET file_name = E'lab\\u2066\\u200b.pdf\\u202e.txt'")
        .await;
    let path = TestApp::bearer_path(report["downloadUrl"].as_str().unwrap());
    let download = app.download(Some(&token), &path, None).await;
    assert_eq!(download.status(), 200);
    let disposition = download.headers()["content-disposition"].to_str().unwrap();
    assert_eq!(disposition, "attachment; filename=\"lab.pdf.txt\"");

    // Titles refuse them outright.
    let response = app
        .graphql_as(
            Some(&token),
            "mutation($id: ID!, $title: String!) { updateMedicalReport(id: $id, input: { title: $title }) { report { title } } }",
            serde_json::json!({ "id": report["id"], "title": "Blood \u{202e}work" }),
        )
        .await;
    assert_eq!(
        response.error_codes(),
        ["BAD_USER_INPUT"],
        "{:?}",
        response.body
    );
}
