//! The one-of input of `createHealthAssessment`: exactly one typed member per instrument, so
//! generated clients are typed. Adding an instrument adds its member here.

use async_graphql::OneofObject;
use serde_json::{Value, json};

use super::engine::{
    FieldError, Outcome,
    blood_pressure::{self, BloodPressureInput},
    bmi::{self, BmiInput},
    findrisc::{self, FindriscInput},
    framingham::{self, FraminghamInput},
    gad7::{self, Gad7Input},
    phq9::{self, Phq9Input},
};
use crate::enums::AssessmentType;

/// Answers for exactly one instrument.
#[derive(OneofObject, Debug)]
pub enum CreateHealthAssessmentInput {
    /// Framingham general cardiovascular 10-year risk.
    Cardiovascular(FraminghamInput),
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
        fn run<I: serde::Serialize>(
            member: &str,
            assessment_type: AssessmentType,
            version: &str,
            input: &I,
            evaluate: fn(&I) -> Result<Outcome, FieldError>,
        ) -> Result<Evaluated, FieldError> {
            let outcome = evaluate(input).map_err(|e| FieldError {
                field: format!("{member}.{}", e.field),
                message: e.message,
            })?;
            let data = json!({
                "instrument": assessment_type.as_db(),
                "version": version,
                "band": outcome.band,
                "inputs": serde_json::to_value(input).unwrap_or(Value::Null),
                "details": outcome.details,
            });
            Ok(Evaluated {
                assessment_type,
                outcome,
                data,
            })
        }
        match self {
            Self::Cardiovascular(i) => run(
                "cardiovascular",
                AssessmentType::Cardiovascular,
                framingham::VERSION,
                i,
                framingham::evaluate,
            ),
            Self::Diabetes(i) => run(
                "diabetes",
                AssessmentType::Diabetes,
                findrisc::VERSION,
                i,
                findrisc::evaluate,
            ),
            Self::Depression(i) => run(
                "depression",
                AssessmentType::Depression,
                phq9::VERSION,
                i,
                phq9::evaluate,
            ),
            Self::Anxiety(i) => run(
                "anxiety",
                AssessmentType::Anxiety,
                gad7::VERSION,
                i,
                gad7::evaluate,
            ),
            Self::BloodPressure(i) => run(
                "bloodPressure",
                AssessmentType::BloodPressure,
                blood_pressure::VERSION,
                i,
                blood_pressure::evaluate,
            ),
            Self::Bmi(i) => run("bmi", AssessmentType::Bmi, bmi::VERSION, i, bmi::evaluate),
        }
    }
}
