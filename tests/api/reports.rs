//! Medical reports end to end: real multipart uploads of generated PDFs, text and images;
//! the background analysis and its flags; owner-only downloads with Range; refused uploads
//! that store nothing; a worker process killed mid-analysis; two server processes sharing a
//! queue; the sweeper; account deletion; profile images.

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

#[tokio::test]
async fn a_lab_report_pdf_is_stored_analysed_and_flagged_as_printed() {
    let app = spawn_app().await;
    let token = signed_in(&app, "labs@example.com").await;
    let bytes = two_page_lab_report();
    let report = upload_ok(
        &app,
        &token,
        &file("lab-2026-03.pdf", Some("application/pdf"), bytes.clone()),
    )
    .await;
    assert_eq!(report["mimeType"], "application/pdf");
    assert_eq!(report["fileSize"], bytes.len());
    assert_eq!(report["contentSha256"], sha256(&bytes));
    assert_eq!(report["fileName"], "lab-2026-03.pdf");
    assert_eq!(report["title"], "lab-2026-03.pdf");
    assert_eq!(report["analysisStatus"], "PENDING");
    let link = report["downloadUrl"].as_str().unwrap();
    assert!(
        link.starts_with(&format!(
            "{}/files/reports/{}?u=",
            app.address,
            report["id"].as_str().unwrap()
        )),
        "an absolute signed link: {link}"
    );

    let done = analysed(&app, &token, &report["id"]).await;
    assert_eq!(done["analysisStatus"], "COMPLETED", "{done}");
    let results = done["labResults"].as_array().unwrap();
    assert_eq!(results.len(), 8, "{results:#?}");
    let expect = |key: &str, value: f64, flag: &str, low: Value, high: Value| {
        let v = lab(&done, key);
        assert_eq!(v["value"], value, "{key}");
        assert_eq!(v["flag"], flag, "{key}");
        assert_eq!(
            (v["range"]["low"].clone(), v["range"]["high"].clone()),
            (low, high),
            "{key}"
        );
        assert_eq!(v["range"]["source"], "REPORT", "{key}");
    };
    expect("glucose", 105.0, "HIGH", json!(70.0), json!(99.0));
    expect("hba1c", 5.4, "NORMAL", json!(4.0), json!(5.6));
    expect(
        "total_cholesterol",
        212.0,
        "HIGH",
        Value::Null,
        json!(200.0),
    );
    expect("hdl_cholesterol", 38.0, "LOW", json!(40.0), Value::Null);
    expect("hemoglobin", 13.9, "NORMAL", json!(13.0), json!(17.5));
    expect("platelets", 250.0, "NORMAL", json!(150.0), json!(450.0));
    expect("potassium", 6.9, "CRITICAL", json!(3.5), json!(5.1));
    expect("tsh", 2.1, "NORMAL", json!(0.4), json!(4.0));
    assert!(
        lab(&done, "glucose")["sourceLine"]
            .as_str()
            .unwrap()
            .contains("Glucose")
    );

    let result = &done["analysisResult"];
    assert_eq!(result["reportDate"], "2026-03-14");
    assert_eq!(result["extraction"]["method"], "pdf_text");
    assert_eq!(result["extraction"]["pages"], 2);
    assert_eq!(
        result["counts"],
        json!({ "total": 8, "low": 1, "normal": 4, "high": 2, "critical": 1 })
    );
    assert_eq!(result["insights"]["source"], "built_in");
    // The same facts, typed: enums instead of strings, no JSON to parse.
    let typed = &done["analysis"];
    assert_eq!(typed["reportDate"], "2026-03-14");
    assert_eq!(typed["extraction"]["method"], "PDF_TEXT");
    assert_eq!(typed["extraction"]["pages"], 2);
    assert_eq!(
        typed["extraction"]["characters"],
        result["extraction"]["characters"]
    );
    assert!(typed["extraction"]["characters"].as_i64().unwrap() > 100);
    assert_eq!(typed["counts"], result["counts"]);
    assert_eq!(typed["insights"]["source"], "BUILT_IN");
    assert_eq!(typed["insights"]["aiUnavailable"], false);
    assert_eq!(typed["parserVersion"], result["parserVersion"]);
    assert!(
        typed["parserVersion"]
            .as_str()
            .is_some_and(|v| !v.is_empty())
    );
    let insights = done["aiInsights"].as_str().unwrap();
    assert!(insights.contains("Potassium 6.9 mmol/L"), "{insights}");
    assert!(insights.contains("contact your doctor"), "{insights}");
    assert!(insights.contains("not a diagnosis"), "{insights}");

    // The job ran once and is done.
    assert_eq!(app.scalar_i64("SELECT count(*) FROM jobs WHERE kind = 'analyze_report' AND status = 'done' AND attempts = 1").await, 1);
}

#[tokio::test]
async fn downloads_are_the_owners_with_range_support() {
    let app = spawn_app().await;
    let token = signed_in(&app, "owner@example.com").await;
    let other = signed_in(&app, "other@example.com").await;
    let bytes = two_page_lab_report();
    let report = upload_ok(&app, &token, &file("résumé lab.pdf", None, bytes.clone())).await;
    // The bearer-token route (signed links: `signed_links_*`).
    let path = TestApp::bearer_path(report["downloadUrl"].as_str().unwrap());

    let whole = app.download(Some(&token), &path, None).await;
    assert_eq!(whole.status(), 200);
    let headers = whole.headers().clone();
    assert_eq!(headers["content-type"], "application/pdf");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["accept-ranges"], "bytes");
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"r_sum_ lab.pdf\""),
        "{disposition}"
    );
    assert!(
        disposition.contains("filename*=UTF-8''r%C3%A9sum%C3%A9%20lab.pdf"),
        "{disposition}"
    );
    assert_eq!(whole.bytes().await.unwrap().to_vec(), bytes);

    let part = app
        .download(Some(&token), &path, Some("bytes=100-1099"))
        .await;
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 100-1099/{}", bytes.len())
    );
    assert_eq!(part.bytes().await.unwrap().to_vec(), bytes[100..1100]);
    let tail = app.download(Some(&token), &path, Some("bytes=-10")).await;
    assert_eq!(tail.status(), 206);
    assert_eq!(
        tail.bytes().await.unwrap().to_vec(),
        bytes[bytes.len() - 10..]
    );
    let beyond = app
        .download(
            Some(&token),
            &path,
            Some(&format!("bytes={}-", bytes.len() + 5)),
        )
        .await;
    assert_eq!(beyond.status(), 416);
    assert_eq!(
        beyond.headers()["content-range"],
        format!("bytes */{}", bytes.len())
    );

    // Anyone else, and no one, gets 404; so does a report that does not exist.
    for (who, path) in [
        (Some(other.as_str()), path.as_str()),
        (None, path.as_str()),
        (Some(token.as_str()), "/files/reports/999999"),
        (
            Some(token.as_str()),
            "/files/reports/..%2F..%2Fetc%2Fpasswd",
        ),
    ] {
        assert_eq!(
            app.download(who, path, None).await.status(),
            404,
            "{who:?} {path}"
        );
    }
}

#[tokio::test]
async fn signed_links_open_files_without_a_header_and_only_while_valid() {
    let app = spawn_app().await;
    let token = signed_in(&app, "linked@example.com").await;
    let bytes = two_page_lab_report();
    let report = upload_ok(&app, &token, &file("labs.pdf", None, bytes.clone())).await;
    let id = report["id"].as_str().unwrap().to_owned();
    let link = report["downloadUrl"].as_str().unwrap().to_owned();

    // No header needed, ranges included; the same link a moment later.
    let response = app.download(None, &link, None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "private, no-store");
    assert_eq!(response.bytes().await.unwrap().to_vec(), bytes);
    let part = app.download(None, &link, Some("bytes=0-9")).await;
    assert_eq!(part.status(), 206);
    assert_eq!(part.bytes().await.unwrap().to_vec(), bytes[..10]);
    let again = app
        .graphql_as(Some(&token), READ, json!({ "id": id }))
        .await;
    assert!(ok(&again)["medicalReport"].is_object());

    // Tampered with: another account, another file, another signature, no signature.
    let other_account = link.replacen("?u=", "?u=9", 1);
    let other_file = link.replacen(&format!("/reports/{id}?"), "/reports/999999?", 1);
    let (start, signature) = link.split_once("signature=").unwrap();
    let flipped = if signature.starts_with('A') { "B" } else { "A" };
    let bad_signature = format!("{start}signature={flipped}{}", &signature[1..]);
    let unsigned = link.split("&signature=").next().unwrap().to_owned();
    for bad in [&other_account, &other_file, &bad_signature, &unsigned] {
        assert_eq!(app.download(None, bad, None).await.status(), 404, "{bad}");
    }

    // Expired: refused with 403 (the link was genuine).
    app.clock.advance(Duration::minutes(21));
    let expired = app.download(None, &link, None).await;
    assert_eq!(expired.status(), 403);
    assert!(expired.text().await.unwrap().contains("expired"));

    // A fresh link for a deleted report opens nothing.
    let fresh = app
        .graphql_as(Some(&token), READ_LINK, json!({ "id": id }))
        .await;
    let fresh = ok(&fresh)["medicalReport"]["downloadUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(app.download(None, &fresh, None).await.status(), 200);
    let deleted = app
        .graphql_as(
            Some(&token),
            "mutation($id: ID!) { deleteMedicalReport(id: $id) { deletedId } }",
            json!({ "id": id }),
        )
        .await;
    ok(&deleted);
    assert_eq!(app.download(None, &fresh, None).await.status(), 404);

    // PUBLIC_BASE_URL sets where links start.
    let behind_proxy = spawn_app_with(|s| {
        s.public_base_url = Some("https://api.example.com/".into());
    })
    .await;
    let token = signed_in(&behind_proxy, "proxied@example.com").await;
    let report = upload_ok(
        &behind_proxy,
        &token,
        &file("labs.pdf", None, bytes.clone()),
    )
    .await;
    let link = report["downloadUrl"].as_str().unwrap();
    assert!(
        link.starts_with(&format!(
            "https://api.example.com/files/reports/{}?u=",
            report["id"].as_str().unwrap()
        )),
        "{link}"
    );
}

#[tokio::test]
async fn several_layouts_text_and_csv_are_read() {
    let app = spawn_app().await;
    let token = signed_in(&app, "layouts@example.com").await;
    // Colon and bracket style, SI units: converted for the default ranges.
    let colon = pdf(&[vec![
        line("Report date 14 Mar 2026"),
        line("Glucose: 6.2 mmol/L"),
        line("LDL-C: 4.2 mmol/L [< 3.0]"),
        line("Creatinine: 80 umol/L"),
        line("eGFR (CKD-EPI 2021): 92 mL/min/1.73m2 (>= 60)"),
    ]]);
    let text = "Vitamin D, 25-hydroxy   14 ng/mL   30 - 100\nSodium 139 mmol/L 135-145\nK 3.1 mmol/L 3.5-5.1\nThis letter was written by K. Smith, MD 2026\n";
    let csv = "test,value,unit,range\nTriglycerides,480,mg/dL,<150\nALT,30,U/L,7-55\nWBC,7.2,10^9/L,4.5-11.0\n";
    let cases = [
        file("colon.pdf", Some("application/pdf"), colon),
        file("results.txt", Some("text/plain"), text.as_bytes().to_vec()),
        file("results.csv", Some("text/csv"), csv.as_bytes().to_vec()),
    ];
    let mut done = Vec::new();
    for case in &cases {
        let report = upload_ok(&app, &token, case).await;
        done.push(analysed(&app, &token, &report["id"]).await);
    }

    let glucose = lab(&done[0], "glucose");
    assert_eq!(
        (glucose["value"].clone(), glucose["unit"].clone()),
        (json!(6.2), json!("mmol/L"))
    );
    assert_eq!(glucose["standardValue"], 111.6);
    assert_eq!(glucose["range"]["source"], "DEFAULT");
    assert_eq!(glucose["flag"], "HIGH");
    let ldl = lab(&done[0], "ldl_cholesterol");
    assert_eq!(
        (ldl["flag"].clone(), ldl["range"]["high"].clone()),
        (json!("HIGH"), json!(3.0))
    );
    assert_eq!(lab(&done[0], "creatinine")["flag"], "NORMAL");
    assert_eq!(lab(&done[0], "egfr")["flag"], "NORMAL");
    assert_eq!(done[0]["analysisResult"]["reportDate"], "2026-03-14");

    assert_eq!(
        done[1]["analysisResult"]["extraction"]["method"],
        "plain_text"
    );
    assert_eq!(done[1]["analysis"]["extraction"]["method"], "PLAIN_TEXT");
    assert!(done[1]["analysis"]["extraction"]["pages"].is_null());
    assert_eq!(lab(&done[1], "vitamin_d")["flag"], "LOW");
    assert_eq!(lab(&done[1], "sodium")["flag"], "NORMAL");
    let potassium = lab(&done[1], "potassium");
    assert_eq!(
        (potassium["value"].clone(), potassium["flag"].clone()),
        (json!(3.1), json!("LOW"))
    );
    assert_eq!(
        done[1]["labResults"].as_array().unwrap().len(),
        3,
        "the signature line is not a value"
    );

    assert_eq!(lab(&done[2], "triglycerides")["flag"], "HIGH");
    assert_eq!(lab(&done[2], "alt")["flag"], "NORMAL");
    assert_eq!(lab(&done[2], "wbc")["flag"], "NORMAL");

    // A report with no recognisable values completes with an empty list and says so.
    let letter = upload_ok(
        &app,
        &token,
        &file(
            "letter.txt",
            None,
            b"Dear patient, see you in May.\n".to_vec(),
        ),
    )
    .await;
    let letter = analysed(&app, &token, &letter["id"]).await;
    assert_eq!(letter["analysisStatus"], "COMPLETED");
    assert_eq!(letter["labResults"], json!([]));
    assert!(
        letter["aiInsights"]
            .as_str()
            .unwrap()
            .starts_with("No lab values we recognise")
    );
}

#[tokio::test]
async fn refused_uploads_leave_no_row_no_job_and_no_file() {
    let app = spawn_app_with(|s| s.upload_max_bytes = 256 * 1024).await;
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
async fn an_image_without_ocr_fails_with_a_reason() {
    let app = spawn_app_with(|s| s.ocr_command = "/nonexistent/tesseract".into()).await;
    let token = signed_in(&app, "scan@example.com").await;
    let report = upload_ok(
        &app,
        &token,
        &file("scan.png", Some("image/png"), png_with_location(64, 64)),
    )
    .await;
    assert_eq!(report["mimeType"], "image/png");
    let done = analysed(&app, &token, &report["id"]).await;
    assert_eq!(done["analysisStatus"], "FAILED");
    assert_eq!(
        done["analysisError"],
        "image text recognition not available"
    );
    assert_eq!(
        app.scalar_i64("SELECT attempts::bigint FROM jobs").await,
        1,
        "a permanent failure is not retried"
    );
}

#[tokio::test]
async fn the_ai_summary_is_used_when_configured_and_the_built_in_one_otherwise() {
    let fake = FakeAi::start(Behaviour::Good);
    let url = fake.url.clone();
    let app = spawn_app_with(move |s| s.ai_base_url = Some(url)).await;
    let token = signed_in(&app, "ai@example.com").await;
    let report = upload_ok(&app, &token, &file("lab.pdf", None, two_page_lab_report())).await;
    let done = analysed(&app, &token, &report["id"]).await;
    assert!(
        done["aiInsights"]
            .as_str()
            .unwrap()
            .starts_with(REPORT_SUMMARY)
    );
    assert!(
        done["aiInsights"]
            .as_str()
            .unwrap()
            .ends_with("discuss your results with your doctor.")
    );
    assert_eq!(done["analysisResult"]["insights"]["source"], "ai");
    assert_eq!(done["analysis"]["insights"]["source"], "AI");
    let model = &done["analysis"]["insights"]["model"];
    assert!(model.is_string());
    assert_eq!(model, &done["analysisResult"]["insights"]["model"]);
    assert_eq!(
        lab(&done, "potassium")["flag"],
        "CRITICAL",
        "the numbers are ours, not the model's"
    );
    // The provider sees the extracted values, never the document's text.
    let sent = fake.requests()[0]["messages"][1]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(sent.contains("\"Potassium\""), "{sent}");
    assert!(!sent.contains("Riverside"), "{sent}");
    assert!(!sent.contains("sourceLine"), "{sent}");

    fake.set_behaviour(Behaviour::ServerError);
    let report = upload_ok(&app, &token, &file("lab2.pdf", None, two_page_lab_report())).await;
    let done = analysed(&app, &token, &report["id"]).await;
    assert_eq!(done["analysisStatus"], "COMPLETED");
    assert_eq!(done["analysisResult"]["insights"]["source"], "built_in");
    assert_eq!(done["analysisResult"]["insights"]["aiUnavailable"], true);
    assert_eq!(done["analysis"]["insights"]["source"], "BUILT_IN");
    assert_eq!(done["analysis"]["insights"]["aiUnavailable"], true);
    assert!(
        done["aiInsights"]
            .as_str()
            .unwrap()
            .starts_with("We found 8 lab values")
    );
}

#[tokio::test]
async fn a_worker_killed_mid_analysis_is_replaced_and_the_job_completes_once() {
    let fake = FakeAi::start(Behaviour::Hang);
    let url = fake.url.clone();
    // This server takes uploads but runs no jobs; the child process runs them.
    let app = spawn_app_with(|s| s.job_workers = 0).await;
    let token = signed_in(&app, "crash@example.com").await;
    let report = upload_ok(&app, &token, &file("lab.pdf", None, two_page_lab_report())).await;

    let mut child = ChildServer::start(&app, &[("ECHO_CHILD_AI_URL", url)]);
    // The child's worker has claimed the job once it asks the (hanging) provider.
    let mut waited = 0;
    while fake.requests().is_empty() {
        assert!(waited < 600, "the child never reached the AI step");
        tokio::time::sleep(StdDuration::from_millis(100)).await;
        waited += 1;
    }
    assert_eq!(
        read(&app, &token, &report["id"]).await["analysisStatus"],
        "PROCESSING"
    );
    child.kill(); // SIGKILL: no cleanup, the lease stays taken
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM jobs WHERE status = 'running' AND attempts = 1")
            .await,
        1
    );

    // Another server starts; once the lease has run out it takes the job over and finishes it.
    fake.set_behaviour(Behaviour::Good);
    let url = fake.url.clone();
    let root = app.state.settings.storage_root();
    let successor = app
        .another_server(move |s| {
            s.ai_base_url = Some(url);
            s.storage_root = Some(root);
        })
        .await;
    successor.clock.advance(Duration::seconds(301));
    let done = analysed(&app, &token, &report["id"]).await;
    assert_eq!(done["analysisStatus"], "COMPLETED");
    assert!(
        done["aiInsights"]
            .as_str()
            .unwrap()
            .starts_with(REPORT_SUMMARY)
    );
    assert_eq!(app.scalar_i64("SELECT count(*) FROM jobs").await, 1);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM jobs WHERE status = 'done' AND attempts = 2")
            .await,
        1
    );
    assert_eq!(
        fake.requests().len(),
        2,
        "one request from the killed worker, one from its successor"
    );
    assert_eq!(done["labResults"].as_array().unwrap().len(), 8);
}

#[tokio::test]
async fn two_server_processes_share_a_queue_of_fifty_jobs_without_doing_any_twice() {
    let fake = FakeAi::start(Behaviour::Brief);
    let app = spawn_app_with(|s| s.job_workers = 0).await;
    let token = signed_in(&app, "queue@example.com").await;
    let mut ids = Vec::new();
    for i in 0..50 {
        let text = format!("Glucose {} mg/dL 70-99\n", 60 + i);
        let report = upload_ok(&app, &token, &file("q.txt", None, text.into_bytes())).await;
        ids.push(report["id"].clone());
    }
    // Two server processes with two job workers each, on the same database and storage.
    let servers: Vec<ChildServer> = ["model-a", "model-b"]
        .into_iter()
        .map(|model| {
            let env = [
                ("ECHO_CHILD_AI_URL", fake.url.clone()),
                ("ECHO_CHILD_AI_MODEL", model.to_owned()),
                ("ECHO_CHILD_JOB_WORKERS", "2".to_owned()),
            ];
            ChildServer::start(&app, &env)
        })
        .collect();
    for id in &ids {
        assert_eq!(
            analysed(&app, &token, id).await["analysisStatus"],
            "COMPLETED"
        );
    }
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM jobs WHERE status = 'done' AND attempts = 1")
            .await,
        50
    );
    let requests = fake.requests();
    assert_eq!(requests.len(), 50, "each report analysed exactly once");
    let mut glucose: Vec<String> = requests
        .iter()
        .map(|r| r["messages"][1]["content"].as_str().unwrap().to_owned())
        .collect();
    glucose.sort();
    glucose.dedup();
    assert_eq!(glucose.len(), 50, "no report was sent twice");
    for model in ["model-a", "model-b"] {
        assert!(
            requests.iter().any(|r| r["model"] == model),
            "{model} did none of the work"
        );
    }
    drop(servers);
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
            s.storage_root = Some(root.clone());
            s.storage_sweep_interval_secs = 1;
            s.storage_orphan_grace_secs = 0;
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

#[tokio::test]
async fn profile_images_are_reencoded_resized_and_stripped_of_metadata() {
    let app = spawn_app().await;
    let token = signed_in(&app, "avatar@example.com").await;
    let other = signed_in(&app, "peek@example.com").await;
    let original = png_with_location(1200, 800);
    assert!(original.windows(11).any(|w| w == b"GPSLatitude"));
    let set = "mutation($file: Upload!) { uploadProfileImage(file: $file) { user { id profileImageUrl } } }";
    let response = app
        .upload_as(
            Some(&token),
            set,
            json!({}),
            &file("me.png", Some("image/png"), original),
        )
        .await;
    let user = ok(&response)["uploadProfileImage"]["user"].clone();
    let url = user["profileImageUrl"].as_str().unwrap().to_owned();
    assert!(
        url.starts_with(&format!(
            "{}/files/avatars/{}?v=",
            app.address,
            user["id"].as_str().unwrap()
        )),
        "an absolute signed link: {url}"
    );

    // The link works in an <img src>: no header.
    let download = app.download(None, &url, None).await;
    assert_eq!(download.status(), 200);
    assert_eq!(download.headers()["content-type"], "image/jpeg");
    let bytes = download.bytes().await.unwrap().to_vec();
    assert!(!bytes.windows(3).any(|w| w == b"GPS"), "metadata survived");
    let decoded = image::load_from_memory(&bytes).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (512, 341));
    // The bearer-token route is the owner's only.
    let path = TestApp::bearer_path(&url);
    assert_eq!(app.download(Some(&token), &path, None).await.status(), 200);
    assert_eq!(app.download(Some(&other), &path, None).await.status(), 404);
    assert_eq!(app.download(None, &path, None).await.status(), 404);

    // Not an image, or too large: refused, nothing changes.
    let response = app
        .upload_as(
            Some(&token),
            set,
            json!({}),
            &file("me.pdf", None, two_page_lab_report()),
        )
        .await;
    assert_eq!(response.error_codes(), ["BAD_USER_INPUT"]);
    let mut huge = png_with_location(16, 16);
    huge.resize(6 * 1024 * 1024, 0);
    let response = app
        .upload_as(Some(&token), set, json!({}), &file("me.png", None, huge))
        .await;
    assert_eq!(
        response.error_codes(),
        ["BAD_USER_INPUT"],
        "{:?}",
        response.body
    );
    assert_eq!(app.stored_files().len(), 1);

    // Replacing deletes the old file; removing deletes the last one.
    let response = app
        .upload_as(
            Some(&token),
            set,
            json!({}),
            &file("me.webp", None, png_with_location(10, 10)),
        )
        .await;
    assert_eq!(
        response.error_codes(),
        ["BAD_USER_INPUT"],
        "a PNG named .webp is refused"
    );
    let response = app
        .upload_as(
            Some(&token),
            set,
            json!({}),
            &file("me2.png", None, png_with_location(10, 10)),
        )
        .await;
    let new_url = ok(&response)["uploadProfileImage"]["user"]["profileImageUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(new_url, url);
    assert_eq!(app.stored_files().len(), 1);
    let response = app
        .graphql_as(
            Some(&token),
            "mutation { removeProfileImage { user { profileImageUrl } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        ok(&response)["removeProfileImage"]["user"]["profileImageUrl"],
        Value::Null
    );
    assert_eq!(app.stored_files(), Vec::<String>::new());
}

/// Whether a command is on PATH.
fn installed(command: &str) -> bool {
    std::process::Command::new(command)
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok()
}

#[tokio::test]
async fn a_scanned_report_image_is_read_through_tesseract() {
    // Tesseract reads the image; poppler's pdftoppm makes the "scan" from a generated PDF.
    // CI installs both and sets ECHO_REQUIRE_OCR, so there this test cannot skip.
    if !(installed("tesseract") && installed("pdftoppm")) {
        assert!(
            std::env::var_os("ECHO_REQUIRE_OCR").is_none(),
            "tesseract and pdftoppm are required (Debian: tesseract-ocr poppler-utils)"
        );
        eprintln!("skipped: tesseract or pdftoppm is not installed");
        return;
    }
    let page = pdf(&[vec![
        line("Northside Laboratory"),
        line("Glucose 105 mg/dL 70 - 99"),
        line("Potassium 4.2 mmol/L 3.5 - 5.1"),
        line("Hemoglobin 11.1 g/dL 12.0 - 15.5"),
    ]]);
    let dir = std::env::temp_dir().join(format!("echo-ocr-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("page.pdf"), page).unwrap();
    let rendered = std::process::Command::new("pdftoppm")
        .args([
            "-png",
            "-r",
            "200",
            "-gray",
            "-singlefile",
            "page.pdf",
            "scan",
        ])
        .current_dir(&dir)
        .status()
        .unwrap();
    assert!(rendered.success());
    let scan = std::fs::read(dir.join("scan.png")).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();

    let app = spawn_app().await;
    let token = signed_in(&app, "ocr@example.com").await;
    let report = upload_ok(&app, &token, &file("scan.png", Some("image/png"), scan)).await;
    let done = analysed(&app, &token, &report["id"]).await;
    assert_eq!(done["analysisStatus"], "COMPLETED", "{done}");
    assert_eq!(done["analysisResult"]["extraction"]["method"], "ocr");
    assert_eq!(done["analysis"]["extraction"]["method"], "OCR");
    let glucose = lab(&done, "glucose");
    assert_eq!(
        (glucose["value"].clone(), glucose["flag"].clone()),
        (json!(105.0), json!("HIGH"))
    );
    assert_eq!(lab(&done, "potassium")["flag"], "NORMAL");
    let hemoglobin = lab(&done, "hemoglobin");
    assert_eq!(
        (hemoglobin["value"].clone(), hemoglobin["flag"].clone()),
        (json!(11.1), json!("LOW"))
    );
}
