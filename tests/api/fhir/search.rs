//! Search parameters: a match, a miss and a refusal each, and paging by next links.

use super::*;

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
