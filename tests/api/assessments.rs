//! Health assessments end to end: every instrument through the one-of input, field-named
//! validation errors, ownership, filters, pagination and trends.

use api::clock::Clock;
use chrono::Duration;
use serde_json::{Value, json};
use tests::{GqlResponse, TestApp, ok, spawn_app};

const CREATE: &str = "mutation($input: CreateHealthAssessmentInput!) {
    createHealthAssessment(input: $input) { assessment {
        id assessmentType riskScore riskLevel probability assessmentData recommendations warningSigns nextSteps isApiResult createdAt } } }";

async fn signed_in(app: &TestApp, email: &str) -> String {
    let user = app.create_user(email).await;
    app.sign_in(&user).await
}

async fn create(app: &TestApp, token: &str, input: Value) -> GqlResponse {
    app.graphql_as(Some(token), CREATE, json!({ "input": input }))
        .await
}

/// Numbers as floats throughout, so `85` and `85.0` compare equal.
fn normalized(value: &Value) -> Value {
    match value {
        Value::Number(n) => json!(n.as_f64()),
        Value::Array(items) => Value::Array(items.iter().map(normalized).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), normalized(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn framingham_man() -> Value {
    json!({ "cardiovascular": { "sex": "MALE", "age": 55, "totalCholesterol": 213, "hdlCholesterol": 50, "systolicBp": 140,
        "onBpTreatment": false, "currentSmoker": false, "diabetes": false } })
}

#[tokio::test]
async fn instruments_describe_their_forms() {
    let app = spawn_app().await;
    let response = app
        .graphql("{ assessmentInstruments { code title source version fields { name kind unit min max choices required fields { name unit min max } } } }", json!({}))
        .await;
    let instruments = ok(&response)["assessmentInstruments"]
        .as_array()
        .unwrap()
        .clone();
    let codes: Vec<&str> = instruments
        .iter()
        .map(|i| i["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "CARDIOVASCULAR",
            "PREVENT",
            "DIABETES",
            "DEPRESSION",
            "ANXIETY",
            "BLOOD_PRESSURE",
            "BMI"
        ]
    );
    assert!(
        instruments
            .iter()
            .all(|i| !i["source"].as_str().unwrap().is_empty())
    );
    let age = &instruments[0]["fields"][1];
    assert_eq!(
        (
            age["name"].as_str(),
            age["unit"].as_str(),
            age["min"].as_f64(),
            age["max"].as_f64()
        ),
        (Some("age"), Some("years"), Some(30.0), Some(74.0))
    );
    let prevent: Vec<&str> = instruments[1]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        prevent,
        [
            "sex",
            "age",
            "totalCholesterol",
            "hdlCholesterol",
            "systolicBp",
            "onBpTreatment",
            "onStatin",
            "currentSmoker",
            "diabetes",
            "bmi",
            "egfr"
        ]
    );
    assert_eq!(instruments[1]["fields"][10]["min"], 15.0);
    let readings = &instruments[5]["fields"][0];
    assert_eq!(readings["kind"], "LIST");
    assert_eq!(readings["fields"][0]["name"], "systolic");
    assert_eq!(
        instruments[3]["fields"][0]["choices"]
            .as_array()
            .unwrap()
            .len(),
        4,
        "the PHQ answer scale"
    );
}

#[tokio::test]
async fn every_instrument_end_to_end() {
    let app = spawn_app().await;
    let token = signed_in(&app, "every@example.com").await;
    let cases = [
        (
            framingham_man(),
            "CARDIOVASCULAR",
            14,
            "MODERATE",
            Some(0.13534),
        ),
        (
            json!({ "diabetes": { "sex": "FEMALE", "age": 58, "heightCm": 165, "weightKg": 80, "waistCm": 85,
                "physicallyActiveDaily": false, "eatsVegetablesDaily": true, "everOnBpMedication": true, "everHighGlucose": false,
                "familyHistory": "SECOND_DEGREE" } }),
            // age 3 + BMI 29.4 -> 1 + waist 3 + inactive 2 + BP medication 2 + family 3 = 14
            "DIABETES",
            14,
            "MODERATE",
            Some(0.166667),
        ),
        (
            json!({ "depression": { "items": [1, 1, 1, 1, 1, 1, 0, 0, 0], "difficulty": "SOMEWHAT_DIFFICULT" } }),
            "DEPRESSION",
            6,
            "SLIGHTLY_ELEVATED",
            None,
        ),
        (
            json!({ "anxiety": { "items": [2, 2, 2, 2, 1, 1, 1] } }),
            "ANXIETY",
            11,
            "MODERATE",
            None,
        ),
        (
            json!({ "bloodPressure": { "readings": [{ "systolic": 132, "diastolic": 78 }, { "systolic": 128, "diastolic": 76 }] } }),
            "BLOOD_PRESSURE",
            2,
            "MODERATE",
            None,
        ),
        (
            json!({ "bmi": { "heightCm": 175, "weightKg": 70 } }),
            "BMI",
            23,
            "LOW",
            None,
        ),
    ];
    for (input, kind, score, level, probability) in cases {
        let response = create(&app, &token, input.clone()).await;
        let assessment = &ok(&response)["createHealthAssessment"]["assessment"];
        assert_eq!(assessment["assessmentType"], kind);
        assert_eq!(assessment["riskScore"], score, "{kind}");
        assert_eq!(assessment["riskLevel"], level, "{kind}");
        assert_eq!(assessment["probability"].as_f64(), probability, "{kind}");
        assert_eq!(assessment["isApiResult"], false);
        assert!(
            !assessment["recommendations"].as_array().unwrap().is_empty(),
            "{kind}"
        );
        let data = &assessment["assessmentData"];
        assert!(
            data["version"].as_str().unwrap().contains('/'),
            "{kind}: {data}"
        );
        let member = input.as_object().unwrap().values().next().unwrap();
        for (key, value) in member.as_object().unwrap() {
            assert_eq!(
                normalized(&data["inputs"][key]),
                normalized(value),
                "{kind}.{key} kept"
            );
        }
    }
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM health_assessments")
            .await,
        6
    );
    let stored = app.scalar_i64("SELECT (probability * 1000000)::bigint FROM health_assessments WHERE assessment_type = 'cardiovascular'").await;
    assert_eq!(stored, 135340, "numeric(7,6) keeps the fraction");
    let bmi = app.scalar_i64("SELECT ((assessment_data->'details'->>'bmi')::numeric * 10)::bigint FROM health_assessments WHERE assessment_type = 'bmi'").await;
    assert_eq!(bmi, 229, "WHO example: 22.9");
}

/// Every instrument's typed `result`: the concrete type matches `assessmentType`, and its
/// answers, version, band and details are the stored document's, with no JSON to parse.
#[tokio::test]
async fn typed_results_match_the_stored_document() {
    let app = spawn_app().await;
    let token = signed_in(&app, "typed@example.com").await;
    let inputs = [
        framingham_man(),
        json!({ "diabetes": { "sex": "MALE", "age": 47, "bmi": 31.2, "waistCm": 104, "physicallyActiveDaily": true,
            "eatsVegetablesDaily": false, "everOnBpMedication": false, "everHighGlucose": true, "familyHistory": "NONE" } }),
        json!({ "depression": { "items": [3, 3, 2, 2, 1, 1, 1, 1, 1], "difficulty": "VERY_DIFFICULT" } }),
        json!({ "anxiety": { "items": [1, 1, 1, 1, 1, 1, 1] } }),
        json!({ "bloodPressure": { "readings": [{ "systolic": 150, "diastolic": 95 }, { "systolic": 146, "diastolic": 91 }] } }),
        json!({ "bmi": { "heightCm": 175, "weightKg": 70 } }),
    ];
    for input in &inputs {
        ok(&create(&app, &token, input.clone()).await);
    }
    let query = "{ me { healthAssessments(first: 10) { nodes { assessmentType assessmentData aiReview { provider } aiReviewError
        result { __typename instrumentVersion band
            ... on CardiovascularResult { answers { sex age totalCholesterol hdlCholesterol systolicBp onBpTreatment currentSmoker diabetes } details { tenYearRiskPercent } }
            ... on DiabetesResult { answers { sex age bmi waistCm physicallyActiveDaily eatsVegetablesDaily everOnBpMedication everHighGlucose familyHistory } details { points bmi } }
            ... on DepressionResult { answers { items difficulty } details { total item9 difficulty } }
            ... on AnxietyResult { answers { items } details { total } }
            ... on BloodPressureResult { answers { readings { systolic diastolic } } details { averageSystolic averageDiastolic readings } }
            ... on BmiResult { answers { heightCm weightKg } details { bmi } } } } } } }";
    let response = app.graphql_as(Some(&token), query, json!({})).await;
    let nodes = ok(&response)["me"]["healthAssessments"]["nodes"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(nodes.len(), 6);
    let typename = |kind: &str| match kind {
        "CARDIOVASCULAR" => "CardiovascularResult",
        "DIABETES" => "DiabetesResult",
        "DEPRESSION" => "DepressionResult",
        "ANXIETY" => "AnxietyResult",
        "BLOOD_PRESSURE" => "BloodPressureResult",
        "BMI" => "BmiResult",
        other => panic!("unexpected {other}"),
    };
    for node in &nodes {
        let kind = node["assessmentType"].as_str().unwrap();
        let (result, data) = (&node["result"], &node["assessmentData"]);
        assert_eq!(result["__typename"], typename(kind));
        assert_eq!(result["instrumentVersion"], data["version"], "{kind}");
        assert_eq!(result["band"], data["band"], "{kind}");
        assert!(
            result["band"].as_str().is_some_and(|b| !b.is_empty()),
            "{kind}"
        );
        let input = inputs
            .iter()
            .find(|i| {
                typename(kind)
                    .to_lowercase()
                    .starts_with(&i.as_object().unwrap().keys().next().unwrap().to_lowercase())
            })
            .unwrap();
        let member = input.as_object().unwrap().values().next().unwrap();
        for (key, value) in member.as_object().unwrap() {
            assert_eq!(
                normalized(&result["answers"][key]),
                normalized(value),
                "{kind}.{key}"
            );
        }
        for (key, value) in result["details"].as_object().unwrap() {
            assert_eq!(
                normalized(value),
                normalized(&data["details"][key]),
                "{kind} details.{key}"
            );
        }
        // No AI provider configured: no review and no error.
        assert!(node["aiReview"].is_null() && node["aiReviewError"].is_null());
    }
    let by_type = |name: &str| {
        nodes
            .iter()
            .find(|n| n["result"]["__typename"] == name)
            .unwrap()["result"]
            .clone()
    };
    assert_eq!(by_type("BmiResult")["details"]["bmi"], 22.9);
    assert_eq!(by_type("DepressionResult")["details"]["total"], 15);
    assert_eq!(by_type("DepressionResult")["details"]["item9"], 1);
    assert_eq!(by_type("DepressionResult")["band"], "moderately_severe");
    assert_eq!(
        by_type("CardiovascularResult")["details"]["tenYearRiskPercent"],
        13.53
    );
    assert_eq!(
        by_type("BloodPressureResult")["details"]["averageSystolic"],
        148.0
    );
}

/// D'Agostino 2008's two worked examples of the points system, end to end through GraphQL:
/// the woman of Table 11 (13 points, 10.0 %, heart age 73) and the man of Table 12 (13
/// points, 15.6 %, heart age 64); an old stored result without points still reads.
#[tokio::test]
async fn framingham_points_and_heart_age_of_the_papers_worked_examples() {
    let app = spawn_app().await;
    let token = signed_in(&app, "heartage@example.com").await;
    let query = "mutation($input: CreateHealthAssessmentInput!) { createHealthAssessment(input: $input) { assessment {
        result { instrumentVersion ... on CardiovascularResult { details {
          tenYearRiskPercent points pointsRiskPercent pointsRiskBound heartAge heartAgeBound } } } } } }";
    let woman = json!({ "cardiovascular": { "sex": "FEMALE", "age": 61, "totalCholesterol": 180, "hdlCholesterol": 47,
        "systolicBp": 124, "onBpTreatment": false, "currentSmoker": true, "diabetes": false } });
    let man = json!({ "cardiovascular": { "sex": "MALE", "age": 53, "totalCholesterol": 161, "hdlCholesterol": 55,
        "systolicBp": 125, "onBpTreatment": true, "currentSmoker": false, "diabetes": true } });
    for (input, risk, points_risk, heart_age) in [(woman, 10.48, 10.0, 73), (man, 15.62, 15.6, 64)]
    {
        let response = app
            .graphql_as(Some(&token), query, json!({ "input": input }))
            .await;
        let result = &ok(&response)["createHealthAssessment"]["assessment"]["result"];
        assert_eq!(result["instrumentVersion"], "framingham-general-cvd-2008/2");
        assert_eq!(
            result["details"],
            json!({ "tenYearRiskPercent": risk, "points": 13, "pointsRiskPercent": points_risk,
                    "pointsRiskBound": "EXACT", "heartAge": heart_age, "heartAgeBound": "EXACT" })
        );
    }
    // A result stored by version /1 (no points) reads with nulls, not an error.
    app.execute(
        "UPDATE health_assessments SET assessment_data = jsonb_set(assessment_data, '{details}', '{\"tenYearRiskPercent\": 10.48}')",
    )
    .await;
    let read = app
        .graphql_as(
            Some(&token),
            "{ me { healthAssessments { edges { node { result { ... on CardiovascularResult { details { points heartAge } } } } } } } }",
            json!({}),
        )
        .await;
    let edges = ok(&read)["me"]["healthAssessments"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(edges.len(), 2);
    for edge in edges {
        assert_eq!(
            edge["node"]["result"]["details"],
            json!({ "points": null, "heartAge": null })
        );
    }
}

/// D'Agostino 2008's worked example (the woman of its Table 11): 10.48 %, end to end.
#[tokio::test]
async fn the_papers_worked_example_end_to_end() {
    let app = spawn_app().await;
    let token = signed_in(&app, "paper@example.com").await;
    let input = json!({ "cardiovascular": { "sex": "FEMALE", "age": 61, "totalCholesterol": 180, "hdlCholesterol": 47,
        "systolicBp": 124, "onBpTreatment": false, "currentSmoker": true, "diabetes": false } });
    let response = create(&app, &token, input).await;
    let assessment = &ok(&response)["createHealthAssessment"]["assessment"];
    assert_eq!(assessment["riskScore"], 10);
    assert_eq!(assessment["riskLevel"], "MODERATE");
    assert_eq!(
        assessment["assessmentData"]["details"]["tenYearRiskPercent"],
        10.48
    );
}

fn prevent_woman() -> Value {
    json!({ "prevent": { "sex": "FEMALE", "age": 50, "totalCholesterol": 200, "hdlCholesterol": 45, "systolicBp": 160,
        "onBpTreatment": true, "onStatin": false, "currentSmoker": false, "diabetes": true, "bmi": 35, "egfr": 90 } })
}

/// The PREVENT paper's worked example (its supplement's Table S12), end to end: the stored
/// row, the deprecated JSON and the typed result agree.
#[tokio::test]
async fn the_prevent_worked_example_end_to_end() {
    let app = spawn_app().await;
    let token = signed_in(&app, "prevent@example.com").await;
    let response = app
        .graphql_as(
            Some(&token),
            "mutation($input: CreateHealthAssessmentInput!) { createHealthAssessment(input: $input) { assessment {
                assessmentType riskScore riskLevel probability recommendations nextSteps assessmentData
                result { band instrumentVersion ... on PreventResult { answers { age egfr bmi onStatin }
                  details { tenYearTotalCvdPercent tenYearAscvdPercent tenYearHeartFailurePercent
                            thirtyYearTotalCvdPercent thirtyYearAscvdPercent thirtyYearHeartFailurePercent } } } } } }",
            json!({ "input": prevent_woman() }),
        )
        .await;
    let assessment = &ok(&response)["createHealthAssessment"]["assessment"];
    assert_eq!(assessment["assessmentType"], "PREVENT");
    assert_eq!(
        assessment["probability"], 0.146839,
        "10-year total CVD as a fraction"
    );
    assert_eq!(assessment["riskScore"], 15);
    assert_eq!(
        assessment["riskLevel"], "MODERATE",
        "ASCVD 9.2 %: intermediate"
    );
    let result = &assessment["result"];
    assert_eq!(result["band"], "intermediate");
    assert_eq!(result["instrumentVersion"], "prevent-base-2024/1");
    assert_eq!(
        result["answers"],
        json!({ "age": 50.0, "egfr": 90.0, "bmi": 35.0, "onStatin": false })
    );
    let details = &result["details"];
    assert_eq!(details["tenYearTotalCvdPercent"], 14.68);
    assert_eq!(details["tenYearAscvdPercent"], 9.2);
    assert_eq!(details["tenYearHeartFailurePercent"], 8.06);
    let one_decimal = |v: &Value| (v.as_f64().unwrap() * 10.0).round() / 10.0;
    assert_eq!(one_decimal(&details["thirtyYearTotalCvdPercent"]), 53.0);
    assert_eq!(one_decimal(&details["thirtyYearAscvdPercent"]), 35.4);
    assert_eq!(one_decimal(&details["thirtyYearHeartFailurePercent"]), 39.0);
    assert_eq!(
        normalized(&assessment["assessmentData"]["details"]),
        normalized(details)
    );
    let advice = assessment["recommendations"].to_string();
    assert!(advice.contains("heart failure"), "BMI 35: {advice}");
    assert!(assessment["nextSteps"].to_string().contains("statin"));
    assert_eq!(
        app.scalar_text("SELECT assessment_type || ' ' || risk_level || ' ' || probability FROM health_assessments")
            .await,
        "prevent moderate 0.146839"
    );

    // From 60 the 30-year risks are outside the model: null, not extrapolated.
    let mut older = prevent_woman();
    older["prevent"]["age"] = json!(65);
    let response = create(&app, &token, older).await;
    let details =
        &ok(&response)["createHealthAssessment"]["assessment"]["assessmentData"]["details"];
    assert!(details["tenYearTotalCvdPercent"].as_f64().unwrap() > 14.68);
    assert_eq!(details["thirtyYearTotalCvdPercent"], Value::Null);
}

#[tokio::test]
async fn prevent_refuses_inputs_outside_the_papers_ranges_naming_the_field() {
    let app = spawn_app().await;
    let token = signed_in(&app, "prevent-bounds@example.com").await;
    for (field, value) in [
        ("age", json!(29)),
        ("age", json!(80)),
        ("totalCholesterol", json!(129)),
        ("hdlCholesterol", json!(101)),
        ("systolicBp", json!(181)),
        ("bmi", json!(40)),
        ("egfr", json!(14)),
    ] {
        let mut input = prevent_woman();
        input["prevent"][field] = value.clone();
        let response = create(&app, &token, input).await;
        assert_eq!(
            response.error_codes(),
            ["BAD_USER_INPUT"],
            "{field} {value}"
        );
        assert_eq!(
            response.body["errors"][0]["extensions"]["field"],
            format!("prevent.{field}")
        );
    }
    let mut missing = prevent_woman();
    missing["prevent"].as_object_mut().unwrap().remove("egfr");
    let mut wrong_type = prevent_woman();
    wrong_type["prevent"]["onStatin"] = json!("no");
    for input in [missing, wrong_type] {
        let response = create(&app, &token, input).await;
        assert_eq!(response.error_codes(), ["BAD_USER_INPUT"]);
    }
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM health_assessments")
            .await,
        0
    );
}

#[tokio::test]
async fn a_crisis_answer_puts_help_first() {
    let app = spawn_app().await;
    let token = signed_in(&app, "crisis@example.com").await;
    let response = create(
        &app,
        &token,
        json!({ "depression": { "items": [0, 0, 0, 0, 0, 0, 0, 0, 1] } }),
    )
    .await;
    let assessment = &ok(&response)["createHealthAssessment"]["assessment"];
    assert_eq!(assessment["riskScore"], 1);
    assert_eq!(assessment["riskLevel"], "HIGH");
    assert!(
        assessment["nextSteps"][0]
            .as_str()
            .unwrap()
            .contains("emergency")
    );
    assert!(!assessment["warningSigns"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn invalid_answers_name_their_field_and_store_nothing() {
    let app = spawn_app().await;
    let token = signed_in(&app, "invalid@example.com").await;
    let mut too_young = framingham_man();
    too_young["cardiovascular"]["age"] = json!(29);
    let cases = [
        (too_young, "cardiovascular.age"),
        (
            json!({ "depression": { "items": [0, 0, 0, 0, 4, 0, 0, 0, 0] } }),
            "depression.items[4]",
        ),
        (
            json!({ "anxiety": { "items": [0, 0, 0] } }),
            "anxiety.items",
        ),
        (
            json!({ "bloodPressure": { "readings": [{ "systolic": 80, "diastolic": 120 }] } }),
            "bloodPressure.readings[0].diastolic",
        ),
        (
            json!({ "bloodPressure": { "readings": [] } }),
            "bloodPressure.readings",
        ),
        (
            json!({ "bmi": { "heightCm": 1.75, "weightKg": 70 } }),
            "bmi.heightCm",
        ),
        (
            json!({ "diabetes": { "sex": "MALE", "age": 50, "waistCm": 90, "physicallyActiveDaily": true, "eatsVegetablesDaily": true,
            "everOnBpMedication": false, "everHighGlucose": false, "familyHistory": "NONE" } }),
            "diabetes.bmi",
        ),
    ];
    for (input, field) in cases {
        let response = create(&app, &token, input).await;
        assert_eq!(response.error_codes(), ["BAD_USER_INPUT"], "{field}");
        assert_eq!(response.body["errors"][0]["extensions"]["field"], field);
    }
    // Wrong types and two members at once are refused by the schema itself.
    for input in [
        json!({ "bmi": { "heightCm": "tall", "weightKg": 70 } }),
        json!({ "bmi": { "heightCm": 175, "weightKg": 70 }, "anxiety": { "items": [0, 0, 0, 0, 0, 0, 0] } }),
        json!({}),
    ] {
        let response = create(&app, &token, input.clone()).await;
        assert_eq!(response.error_codes(), ["BAD_USER_INPUT"], "{input}");
    }
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM health_assessments")
            .await,
        0
    );
    let anonymous = app
        .graphql(CREATE, json!({ "input": framingham_man() }))
        .await;
    assert_eq!(anonymous.error_codes(), ["UNAUTHENTICATED"]);
}

#[tokio::test]
async fn another_users_assessment_is_not_found() {
    let app = spawn_app().await;
    let owner = signed_in(&app, "owner@example.com").await;
    let other = signed_in(&app, "other@example.com").await;
    let response = create(&app, &owner, framingham_man()).await;
    let id = ok(&response)["createHealthAssessment"]["assessment"]["id"].clone();

    let read = "query($id: ID!) { healthAssessment(id: $id) { id riskScore } }";
    let delete = "mutation($id: ID!) { deleteHealthAssessment(id: $id) { deletedId } }";
    assert_eq!(
        app.graphql_as(Some(&other), read, json!({ "id": id }))
            .await
            .error_codes(),
        ["NOT_FOUND"]
    );
    assert_eq!(
        app.graphql_as(Some(&other), delete, json!({ "id": id }))
            .await
            .error_codes(),
        ["NOT_FOUND"]
    );
    assert_eq!(
        app.graphql_as(Some(&owner), read, json!({ "id": "nonsense" }))
            .await
            .error_codes(),
        ["NOT_FOUND"]
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM health_assessments")
            .await,
        1,
        "still there"
    );

    assert_eq!(
        ok(&app
            .graphql_as(Some(&owner), read, json!({ "id": id }))
            .await)["healthAssessment"]["riskScore"],
        14
    );
    assert_eq!(
        ok(&app
            .graphql_as(Some(&owner), delete, json!({ "id": id }))
            .await)["deleteHealthAssessment"]["deletedId"],
        id
    );
    assert_eq!(
        app.graphql_as(Some(&owner), read, json!({ "id": id }))
            .await
            .error_codes(),
        ["NOT_FOUND"]
    );
}

#[tokio::test]
async fn lists_filter_by_instrument_and_time_and_trends_run_oldest_first() {
    let app = spawn_app().await;
    let user = app.create_user("trend@example.com").await;
    let start = app.clock.now();
    for weight in [90, 85, 80] {
        let token = app.sign_in(&user).await;
        ok(&create(
            &app,
            &token,
            json!({ "bmi": { "heightCm": 180, "weightKg": weight } }),
        )
        .await);
        ok(&create(
            &app,
            &token,
            json!({ "anxiety": { "items": [1, 1, 1, 1, 1, 1, 1] } }),
        )
        .await);
        app.clock.advance(Duration::days(7));
    }
    let token = app.sign_in(&user).await;
    let list = "query($type: AssessmentType, $from: DateTime, $to: DateTime) { me {
        healthAssessments(type: $type, from: $from, to: $to, first: 2) { totalCount pageInfo { hasNextPage } edges { node { assessmentType riskScore } } } } }";
    let bmi = app
        .graphql_as(Some(&token), list, json!({ "type": "BMI" }))
        .await;
    let page = &ok(&bmi)["me"]["healthAssessments"];
    assert_eq!(page["totalCount"], 3);
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let scores: Vec<i64> = page["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["riskScore"].as_i64().unwrap())
        .collect();
    assert_eq!(scores, [25, 26], "newest first: 80 kg then 85 kg at 1.80 m");

    let from = (start + Duration::days(7)).to_rfc3339();
    let to = (start + Duration::days(14)).to_rfc3339();
    let window = app
        .graphql_as(Some(&token), list, json!({ "from": from, "to": to }))
        .await;
    let page = &ok(&window)["me"]["healthAssessments"];
    assert_eq!(page["totalCount"], 2, "the second week's two assessments");

    let trend = "query($type: AssessmentType!) { me { assessmentTrend(type: $type) { date score level probability } } }";
    let response = app
        .graphql_as(Some(&token), trend, json!({ "type": "BMI" }))
        .await;
    let points = ok(&response)["me"]["assessmentTrend"]
        .as_array()
        .unwrap()
        .clone();
    let scores: Vec<i64> = points
        .iter()
        .map(|p| p["score"].as_i64().unwrap())
        .collect();
    assert_eq!(scores, [28, 26, 25], "oldest first");
    assert_eq!(points[0]["level"], "SLIGHTLY_ELEVATED");
    let dates: Vec<&str> = points.iter().map(|p| p["date"].as_str().unwrap()).collect();
    assert!(dates.windows(2).all(|w| w[0] < w[1]));
}
