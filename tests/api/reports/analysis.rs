//! The background analysis: lab values read from PDFs, text, CSV and scanned images, flagged
//! against printed or default ranges, summarised by the AI provider or the built-in summariser.

use super::*;

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
async fn an_image_without_ocr_fails_with_a_reason() {
    let app = spawn_app_with(|s| s.storage.ocr_command = "/nonexistent/tesseract".into()).await;
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
    let app = spawn_app_with(move |s| s.ai.ai_base_url = Some(url)).await;
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
