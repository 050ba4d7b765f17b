//! A whole record of every kind of data is valid FHIR R4 with the mapped codes.

use super::*;

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
    let app = spawn_app_with(move |s| s.ai.ai_base_url = Some(url)).await;
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
    schema_valid(&documents).await;
}
