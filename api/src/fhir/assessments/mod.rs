//! Health assessments as FHIR (docs/fhir.md, "Assessments"):
//! - blood pressure: an `Observation` of the LOINC panel 85354-9 with systolic and diastolic
//!   components, the average of the readings given;
//! - BMI: `Observation`s of BMI, and of the height and weight it came from;
//! - PHQ-9 and GAD-7: a `QuestionnaireResponse` with every answer, and an `Observation` of the
//!   total score with the severity as its interpretation;
//! - Framingham, FINDRISC and PREVENT: a `RiskAssessment` with its predictions, its inputs as
//!   contained `Observation`s (the basis) and the method named;
//! - an AI review: a `Provenance` naming the model, so the text is never read as a clinician's.

use entity::health_assessments;
use serde_json::{Value, json};

mod base;
mod risk;

use self::{
    base::Base,
    risk::{prediction, predictions_of_probability, risk_assessment},
};
use super::{
    codes::{self, Code},
    entry::{Entry, coding, concept, instant, object, quantity, reference},
};
use crate::{
    assessments::{
        engine,
        result::{AssessmentResult, InstrumentResult, ai_review},
    },
    enums::AssessmentType,
    error::AppError,
};

const VITAL_SIGNS: (&str, &str) = ("vital-signs", "Vital Signs");
const SURVEY: (&str, &str) = ("survey", "Survey");

/// The instrument's band as an interpretation (no standard code names these bands).
fn band_interpretation(band: &str) -> Value {
    json!([{ "text": band.replace('_', " ") }])
}

/// Every FHIR resource of one stored assessment.
pub fn resources(row: &health_assessments::Model) -> Result<Vec<Entry>, AppError> {
    let assessment_type = AssessmentType::from_db(&row.assessment_type)?;
    let base = Base {
        row,
        subject: reference("Patient", row.user_id),
        at: row.created_at.to_utc(),
    };
    let mut entries = match AssessmentResult::read(assessment_type, &row.assessment_data)? {
        AssessmentResult::BloodPressure(result) => {
            vec![blood_pressure(&base, &result.band, &result.details)]
        }
        AssessmentResult::Bmi(result) => bmi(&base, &result),
        AssessmentResult::Depression(result) => {
            let answers: Vec<i32> = result.answers.items.clone();
            let difficulty = result.answers.difficulty.map(|d| d as usize);
            questionnaire(
                &base,
                &result.band,
                result.details.total,
                &Questionnaire::PHQ9,
                &answers,
                difficulty,
            )
        }
        AssessmentResult::Anxiety(result) => questionnaire(
            &base,
            &result.band,
            result.details.total,
            &Questionnaire::GAD7,
            &result.answers.items,
            None,
        ),
        AssessmentResult::Cardiovascular(result) => vec![risk_assessment(
            &base,
            assessment_type,
            &result,
            predictions_of_probability(
                row,
                "Cardiovascular disease (coronary heart disease, stroke, peripheral artery disease or heart failure)",
                &result.band,
            ),
        )],
        AssessmentResult::Diabetes(result) => vec![risk_assessment(
            &base,
            assessment_type,
            &result,
            predictions_of_probability(row, "Type 2 diabetes", &result.band),
        )],
        AssessmentResult::Prevent(result) => {
            let d = &result.details;
            let mut predictions = Vec::new();
            for (years, outcome, percent) in [
                (
                    10,
                    "Total cardiovascular disease",
                    Some(d.ten_year_total_cvd_percent),
                ),
                (
                    10,
                    "Atherosclerotic cardiovascular disease",
                    Some(d.ten_year_ascvd_percent),
                ),
                (10, "Heart failure", Some(d.ten_year_heart_failure_percent)),
                (
                    30,
                    "Total cardiovascular disease",
                    d.thirty_year_total_cvd_percent,
                ),
                (
                    30,
                    "Atherosclerotic cardiovascular disease",
                    d.thirty_year_ascvd_percent,
                ),
                (30, "Heart failure", d.thirty_year_heart_failure_percent),
            ] {
                if let Some(percent) = percent {
                    predictions.push(prediction(outcome, percent / 100.0, years, None));
                }
            }
            vec![risk_assessment(
                &base,
                assessment_type,
                &result,
                predictions,
            )]
        }
    };
    if let Some(review) = ai_review(&row.assessment_data)
        && let Some(first) = entries.first()
    {
        let target = first.reference();
        let resource = json!({
            "resourceType": "Provenance",
            "id": base.id(Some("ai")),
            "target": [{ "reference": target }],
            "recorded": instant(review.generated_at.0),
            "activity": { "text": "AI-suggested recommendations added to an instrument's result; not a clinician's statement" },
            "agent": [{
                "type": { "coding": [{ "system": codes::PROVENANCE_PARTICIPANT, "code": "assembler", "display": "Assembler" }] },
                "who": { "display": format!("AI model {} ({})", review.model, review.provider) }
            }],
        });
        entries.push(base.entry("Provenance", base.id(Some("ai")), resource));
    }
    Ok(entries)
}

fn blood_pressure(
    base: &Base<'_>,
    band: &str,
    details: &engine::blood_pressure::BloodPressureDetails,
) -> Entry {
    let mmhg = |v: f64| quantity(v, "mmHg", "mm[Hg]");
    let mut entry = base.observation(
        base.id(None),
        VITAL_SIGNS,
        &codes::BLOOD_PRESSURE_PANEL,
        object(json!({
            "component": [
                { "code": concept(&codes::SYSTOLIC), "valueQuantity": mmhg(details.average_systolic) },
                { "code": concept(&codes::DIASTOLIC), "valueQuantity": mmhg(details.average_diastolic) },
            ],
            "interpretation": band_interpretation(band),
            "note": [{ "text": format!("Average of {} reading(s) entered by the patient.", details.readings) }],
        })),
    );
    entry
        .codes
        .push((codes::SYSTOLIC.system, codes::SYSTOLIC.code));
    entry
        .codes
        .push((codes::DIASTOLIC.system, codes::DIASTOLIC.code));
    entry
}

fn bmi(
    base: &Base<'_>,
    result: &InstrumentResult<engine::bmi::BmiInput, engine::bmi::BmiDetails>,
) -> Vec<Entry> {
    let height = base.observation(
        base.id(Some("height")),
        VITAL_SIGNS,
        &codes::BODY_HEIGHT,
        object(json!({ "valueQuantity": quantity(result.answers.height_cm, "cm", "cm") })),
    );
    let weight = base.observation(
        base.id(Some("weight")),
        VITAL_SIGNS,
        &codes::BODY_WEIGHT,
        object(json!({ "valueQuantity": quantity(result.answers.weight_kg, "kg", "kg") })),
    );
    let bmi = base.observation(
        base.id(None),
        VITAL_SIGNS,
        &codes::BMI,
        object(json!({
            "valueQuantity": quantity(result.details.bmi, "kg/m2", "kg/m2"),
            "interpretation": band_interpretation(&result.band),
            "derivedFrom": [{ "reference": height.reference() }, { "reference": weight.reference() }],
        })),
    );
    vec![bmi, height, weight]
}

/// A questionnaire as LOINC codes it.
struct Questionnaire {
    panel: &'static Code,
    total: &'static Code,
    items: &'static [Code],
}

impl Questionnaire {
    const PHQ9: Self = Self {
        panel: &codes::PHQ9_PANEL,
        total: &codes::PHQ9_TOTAL,
        items: &codes::PHQ9_ITEMS,
    };
    const GAD7: Self = Self {
        panel: &codes::GAD7_PANEL,
        total: &codes::GAD7_TOTAL,
        items: &codes::GAD7_ITEMS,
    };
}

fn questionnaire(
    base: &Base<'_>,
    band: &str,
    total: i32,
    q: &Questionnaire,
    answers: &[i32],
    difficulty: Option<usize>,
) -> Vec<Entry> {
    let answer = |item: &Code, value: Option<&Code>| json!({ "linkId": item.code, "text": item.display, "answer": value.map(|v| vec![json!({ "valueCoding": coding(v) })]).unwrap_or_default() });
    let mut items: Vec<Value> = q
        .items
        .iter()
        .zip(answers)
        .map(|(item, &value)| {
            answer(
                item,
                usize::try_from(value)
                    .ok()
                    .and_then(|v| codes::FREQUENCY_ANSWERS.get(v)),
            )
        })
        .collect();
    if let Some(difficulty) = difficulty.and_then(|d| codes::DIFFICULTY_ANSWERS.get(d)) {
        items.push(answer(&codes::PHQ9_DIFFICULTY, Some(difficulty)));
    }
    let response_id = base.id(None);
    let response = json!({
        "resourceType": "QuestionnaireResponse",
        "id": response_id,
        "questionnaire": format!("http://loinc.org/q/{}", q.panel.code),
        "status": "completed",
        "subject": base.subject,
        "authored": instant(base.at),
        "author": base.subject,
        "item": items,
    });
    let mut response = base.entry("QuestionnaireResponse", response_id, response);
    response.codes.push((q.panel.system, q.panel.code));
    let score = base.observation(
        base.id(Some("score")),
        SURVEY,
        q.total,
        object(json!({
            "valueInteger": total,
            "interpretation": band_interpretation(band),
            "derivedFrom": [{ "reference": response.reference() }],
        })),
    );
    vec![response, score]
}
