//! The one-of input of `createHealthAssessment`: exactly one typed member per instrument, so
//! generated clients are typed. Adding an instrument adds its member here.

use async_graphql::OneofObject;
use serde_json::{Value, json};

use super::engine::{
    FieldError, Instrument, Outcome, blood_pressure::BloodPressureInput, bmi::BmiInput,
    findrisc::FindriscInput, framingham::FraminghamInput, gad7::Gad7Input, phq9::Phq9Input,
    prevent::PreventInput,
};
use crate::enums::AssessmentType;

/// Answers for exactly one instrument.
#[derive(OneofObject, Debug)]
pub enum CreateHealthAssessmentInput {
    /// Framingham general cardiovascular 10-year risk.
    Cardiovascular(FraminghamInput),
    /// AHA PREVENT (2024) 10- and 30-year cardiovascular, ASCVD and heart-failure risk.
    Prevent(PreventInput),
    /// FINDRISC type 2 diabetes risk.
    Diabetes(FindriscInput),
    /// PHQ-9 depression questionnaire.
    Depression(Phq9Input),
    /// GAD-7 anxiety questionnaire.
    Anxiety(Gad7Input),
    /// 2017 ACC/AHA blood pressure category.
    BloodPressure(BloodPressureInput),
    /// WHO body mass index.
    Bmi(BmiInput),
}

/// An evaluated submission, ready to store.
pub struct Evaluated {
    pub assessment_type: AssessmentType,
    pub outcome: Outcome,
    /// assessment_data: the inputs, the instrument version, its band and computed extras.
    pub data: Value,
}

impl CreateHealthAssessmentInput {
    pub fn evaluate(&self) -> Result<Evaluated, FieldError> {
        match self {
            Self::Cardiovascular(input) => evaluate(input),
            Self::Prevent(input) => evaluate(input),
            Self::Diabetes(input) => evaluate(input),
            Self::Depression(input) => evaluate(input),
            Self::Anxiety(input) => evaluate(input),
            Self::BloodPressure(input) => evaluate(input),
            Self::Bmi(input) => evaluate(input),
        }
    }
}

fn evaluate<I: Instrument>(input: &I) -> Result<Evaluated, FieldError> {
    let outcome = input.evaluate().map_err(|e| FieldError {
        field: format!("{}.{}", I::MEMBER, e.field),
        message: e.message,
    })?;
    let data = json!({
        "instrument": I::ASSESSMENT_TYPE.as_db(),
        "version": I::VERSION,
        "band": outcome.band,
        "inputs": serde_json::to_value(input).unwrap_or(Value::Null),
        "details": outcome.details,
    });
    Ok(Evaluated {
        assessment_type: I::ASSESSMENT_TYPE,
        outcome,
        data,
    })
}
