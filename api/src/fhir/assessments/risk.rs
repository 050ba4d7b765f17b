//! Risk instruments (Framingham, FINDRISC, PREVENT) as `RiskAssessment`s: the instrument as
//! `code` and `method`, one prediction per outcome and horizon, the answers as contained
//! `Observation`s referenced from `basis`, and the recommendations as `mitigation`.

use entity::health_assessments;
use serde_json::{Value, json};

use super::base::Base;
use crate::fhir::{
    codes::{self, Code},
    entry::{Entry, concept, instant, object, quantity},
};
use crate::{
    assessments::{engine, result::InstrumentResult},
    enums::AssessmentType,
};

/// One prediction: `probability` (a fraction) of `outcome` within `years`.
pub(super) fn prediction(outcome: &str, probability: f64, years: u32, band: Option<&str>) -> Value {
    json!({
        "outcome": { "text": outcome },
        "probabilityDecimal": (probability * 1e6).round() / 1e6,
        "qualitativeRisk": band.map(|b| json!({ "text": b.replace('_', " ") })),
        "whenRange": { "high": quantity(f64::from(years), "years", "a") },
    })
}

/// The stored probability as the one prediction (Framingham, FINDRISC).
pub(super) fn predictions_of_probability(
    row: &health_assessments::Model,
    outcome: &str,
    band: &str,
) -> Vec<Value> {
    let probability = row
        .probability
        .and_then(|p| rust_decimal::prelude::ToPrimitive::to_f64(&p));
    match probability {
        Some(p) => vec![prediction(outcome, p, 10, Some(band))],
        None => vec![
            json!({ "outcome": { "text": outcome }, "qualitativeRisk": { "text": band.replace('_', " ") } }),
        ],
    }
}

/// An input of a risk instrument as a contained `Observation`: coded when LOINC has a code for
/// it, else named by this server's code system.
fn basis(index: usize, name: &str, value: &Value, subject: &Value) -> Option<Value> {
    let coded: Option<(&Code, &str, &str)> = match name {
        "totalCholesterol" => Some((&codes::LABS[2].code, "mg/dL", "mg/dL")),
        "hdlCholesterol" => Some((&codes::LABS[4].code, "mg/dL", "mg/dL")),
        "systolicBp" => Some((&codes::SYSTOLIC, "mmHg", "mm[Hg]")),
        "bmi" => Some((&codes::BMI, "kg/m2", "kg/m2")),
        "heightCm" => Some((&codes::BODY_HEIGHT, "cm", "cm")),
        "weightKg" => Some((&codes::BODY_WEIGHT, "kg", "kg")),
        "waistCm" => Some((&codes::WAIST, "cm", "cm")),
        "egfr" => Some((&codes::LABS[16].code, "mL/min/1.73m2", "mL/min/{1.73_m2}")),
        _ => None,
    };
    let (code, value) = match (coded, value) {
        (Some((code, unit, ucum)), Value::Number(n)) => (
            concept(code),
            json!({ "valueQuantity": quantity(n.as_f64()?, unit, ucum) }),
        ),
        (_, Value::Bool(b)) => (own_concept(name), json!({ "valueBoolean": b })),
        (_, Value::Number(n)) if name == "age" => (
            own_concept(name),
            json!({ "valueQuantity": quantity(n.as_f64()?, "years", "a") }),
        ),
        (_, Value::Number(n)) => (
            own_concept(name),
            json!({ "valueQuantity": { "value": n } }),
        ),
        (_, Value::String(s)) => (own_concept(name), json!({ "valueString": s })),
        _ => return None,
    };
    let mut observation = json!({
        "resourceType": "Observation",
        "id": format!("basis{index}"),
        "status": "final",
        "code": code,
        "subject": subject,
    });
    if let (Value::Object(map), Value::Object(mut value)) = (&mut observation, value) {
        map.append(&mut value);
    }
    Some(observation)
}

fn own_concept(name: &str) -> Value {
    json!({ "coding": [{ "system": codes::ECHO_CODES, "code": format!("input-{name}") }], "text": name })
}

pub(super) fn risk_assessment<A, D>(
    base: &Base<'_>,
    assessment_type: AssessmentType,
    result: &InstrumentResult<A, D>,
    predictions: Vec<Value>,
) -> Entry
where
    A: async_graphql::OutputType + serde::Serialize,
    D: async_graphql::OutputType,
{
    let inputs = serde_json::to_value(&result.answers).unwrap_or(Value::Null);
    let contained: Vec<Value> = object(inputs)
        .iter()
        .enumerate()
        .filter_map(|(i, (name, value))| basis(i, name, value, &base.subject))
        .collect();
    let basis_refs: Vec<Value> = contained
        .iter()
        .map(|c| json!({ "reference": format!("#{}", c["id"].as_str().unwrap_or_default()) }))
        .collect();
    let info = engine::registry()
        .into_iter()
        .find(|i| i.code == assessment_type);
    let title = info.as_ref().map_or(assessment_type.as_db(), |i| i.title);
    // The method is the published instrument, cited as docs/assessments.md cites it.
    let method = info.as_ref().map_or(title, |i| i.source);
    let id = base.id(None);
    let resource = json!({
        "resourceType": "RiskAssessment",
        "id": id,
        "contained": contained,
        "status": "final",
        "code": { "coding": [{ "system": codes::ECHO_CODES, "code": instrument_code(assessment_type), "display": title }], "text": title },
        "method": { "coding": [{ "system": codes::ECHO_CODES, "code": result.instrument_version }], "text": method },
        "subject": base.subject,
        "occurrenceDateTime": instant(base.at),
        "basis": basis_refs,
        "prediction": predictions,
        "mitigation": (!base.row.recommendations.is_empty()).then(|| base.row.recommendations.join("\n")),
    });
    let mut entry = base.entry("RiskAssessment", id, resource);
    entry
        .codes
        .push((codes::ECHO_CODES, instrument_code(assessment_type)));
    entry
}

/// This server's code for a risk instrument (`method` carries the versioned one).
pub fn instrument_code(assessment_type: AssessmentType) -> &'static str {
    assessment_type.as_db()
}
