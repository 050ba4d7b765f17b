//! The typed view of a stored assessment's `assessment_data`: per instrument, the answers as
//! given and what the instrument computed, so clients switch on `__typename` instead of
//! parsing JSON. The stored document is written by `input::evaluate` (answers, version, band,
//! details) and `enrich` (`ai`, `aiError`); the answers are the input types themselves, read
//! back, and the details are each instrument's `…Details` type, so the two cannot drift apart.

use async_graphql::{Interface, OutputType, SimpleObject};
use serde::{Deserialize, de::DeserializeOwned};
use serde_json::Value;

use super::engine::{
    blood_pressure::{BloodPressureDetails, BloodPressureInput},
    bmi::{BmiDetails, BmiInput},
    findrisc::{FindriscDetails, FindriscInput},
    framingham::{FraminghamDetails, FraminghamInput},
    gad7::{Gad7Details, Gad7Input},
    phq9::{Phq9Details, Phq9Input},
    prevent::{PreventDetails, PreventInput},
};
use crate::{enums::AssessmentType, error::AppError, scalars};

/// One instrument's result: the answers as given and what the instrument computed from them.
#[derive(SimpleObject, Deserialize, Debug, Clone)]
#[graphql(concrete(
    name = "CardiovascularResult",
    params(FraminghamInput, FraminghamDetails)
))]
#[graphql(concrete(name = "PreventResult", params(PreventInput, PreventDetails)))]
#[graphql(concrete(name = "DiabetesResult", params(FindriscInput, FindriscDetails)))]
#[graphql(concrete(name = "DepressionResult", params(Phq9Input, Phq9Details)))]
#[graphql(concrete(name = "AnxietyResult", params(Gad7Input, Gad7Details)))]
#[graphql(concrete(
    name = "BloodPressureResult",
    params(BloodPressureInput, BloodPressureDetails)
))]
#[graphql(concrete(name = "BmiResult", params(BmiInput, BmiDetails)))]
pub struct InstrumentResult<A: OutputType, D: OutputType> {
    /// The version of the instrument's implementation that computed it, e.g. `phq9-2001/1`.
    #[serde(rename = "version")]
    pub instrument_version: String,
    /// The instrument's own band, in snake case (docs/assessments.md lists each instrument's
    /// bands), e.g. `moderately_severe`; `riskLevel` places it on the common scale.
    pub band: String,
    /// The answers as submitted.
    #[serde(rename = "inputs")]
    pub answers: A,
    /// What the instrument computed from them.
    pub details: D,
}

/// What an instrument found, typed per instrument: `CardiovascularResult`, `PreventResult`, `DiabetesResult`,
/// `DepressionResult`, `AnxietyResult`, `BloodPressureResult` or `BmiResult`, matching the
/// assessment's `assessmentType`.
#[derive(Interface, Debug, Clone)]
// Each `field(...)` names its type with `ty`; clippy reads the two as one attribute repeated.
#[allow(clippy::duplicated_attributes)]
#[graphql(
    field(
        name = "instrument_version",
        ty = "&String",
        desc = "The version of the instrument's implementation that computed it, e.g. `phq9-2001/1`."
    ),
    field(
        name = "band",
        ty = "&String",
        desc = "The instrument's own band, in snake case (docs/assessments.md lists each instrument's bands), e.g. `moderately_severe`; `riskLevel` places it on the common scale."
    )
)]
pub enum AssessmentResult {
    Cardiovascular(InstrumentResult<FraminghamInput, FraminghamDetails>),
    Prevent(InstrumentResult<PreventInput, PreventDetails>),
    Diabetes(InstrumentResult<FindriscInput, FindriscDetails>),
    Depression(InstrumentResult<Phq9Input, Phq9Details>),
    Anxiety(InstrumentResult<Gad7Input, Gad7Details>),
    BloodPressure(InstrumentResult<BloodPressureInput, BloodPressureDetails>),
    Bmi(InstrumentResult<BmiInput, BmiDetails>),
}

impl AssessmentResult {
    /// Reads the stored document of an assessment of `assessment_type`.
    pub fn read(assessment_type: AssessmentType, data: &Value) -> Result<Self, AppError> {
        Ok(match assessment_type {
            AssessmentType::Cardiovascular => Self::Cardiovascular(parse(data)?),
            AssessmentType::Prevent => Self::Prevent(parse(data)?),
            AssessmentType::Diabetes => Self::Diabetes(parse(data)?),
            AssessmentType::Depression => Self::Depression(parse(data)?),
            AssessmentType::Anxiety => Self::Anxiety(parse(data)?),
            AssessmentType::BloodPressure => Self::BloodPressure(parse(data)?),
            AssessmentType::Bmi => Self::Bmi(parse(data)?),
        })
    }
}

fn parse<T: DeserializeOwned>(data: &Value) -> Result<T, AppError> {
    // Only the engine writes this document; a row it cannot read is ours to fix, not the
    // client's, and the error says which shape broke without echoing health data.
    T::deserialize(data).map_err(|err| {
        AppError::internal(format!(
            "stored assessment data does not match its instrument: {err}"
        ))
    })
}

/// What an external AI model added to an assessment (its suggestions are also in
/// `recommendations`, marked as AI-written).
#[derive(SimpleObject, Deserialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct AssessmentAiReview {
    /// The provider's name, e.g. `openai-compatible`.
    pub provider: String,
    /// The model that answered.
    pub model: String,
    /// When the suggestions were added.
    pub generated_at: scalars::DateTime,
    /// The suggestions as the model gave them (checked: plain text, at most three).
    pub recommendations: Vec<String>,
}

/// The AI review recorded in `data`, if any (none for a malformed record).
pub fn ai_review(data: &Value) -> Option<AssessmentAiReview> {
    data.get("ai")
        .and_then(|ai| AssessmentAiReview::deserialize(ai).ok())
}

/// The notice for the owner when the last attempt at an AI review failed.
pub fn ai_review_error(data: &Value) -> Option<&str> {
    data.get("aiError")?.get("error")?.as_str()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::assessments::{
        engine::{
            blood_pressure::BloodPressureReading, findrisc::FamilyHistory, framingham::Sex,
            phq9::Difficulty,
        },
        input::CreateHealthAssessmentInput as Input,
    };

    fn one_of_each() -> Vec<Input> {
        vec![
            Input::Cardiovascular(FraminghamInput {
                sex: Sex::Female,
                age: 61.0,
                total_cholesterol: 180.0,
                hdl_cholesterol: 47.0,
                systolic_bp: 124.0,
                on_bp_treatment: true,
                current_smoker: false,
                diabetes: true,
            }),
            Input::Prevent(PreventInput {
                sex: Sex::Female,
                age: 50.0,
                total_cholesterol: 200.0,
                hdl_cholesterol: 45.0,
                systolic_bp: 160.0,
                on_bp_treatment: true,
                on_statin: false,
                current_smoker: false,
                diabetes: true,
                bmi: 35.0,
                egfr: 90.0,
            }),
            // A 30-year risk only for ages 30-59: the absent ones read back as null too.
            Input::Prevent(PreventInput {
                sex: Sex::Male,
                age: 70.0,
                total_cholesterol: 210.0,
                hdl_cholesterol: 40.0,
                systolic_bp: 138.0,
                on_bp_treatment: false,
                on_statin: true,
                current_smoker: true,
                diabetes: false,
                bmi: 27.0,
                egfr: 52.0,
            }),
            Input::Diabetes(FindriscInput {
                sex: Sex::Male,
                age: 52.0,
                bmi: None,
                height_cm: Some(180.0),
                weight_kg: Some(95.0),
                waist_cm: 101.0,
                physically_active_daily: false,
                eats_vegetables_daily: true,
                ever_on_bp_medication: true,
                ever_high_glucose: false,
                family_history: FamilyHistory::SecondDegree,
            }),
            Input::Depression(Phq9Input {
                items: vec![1, 2, 0, 3, 1, 0, 2, 1, 1],
                difficulty: Some(Difficulty::VeryDifficult),
            }),
            Input::Anxiety(Gad7Input {
                items: vec![2, 1, 0, 3, 1, 2, 0],
            }),
            Input::BloodPressure(BloodPressureInput {
                readings: vec![
                    BloodPressureReading {
                        systolic: 131.0,
                        diastolic: 84.0,
                    },
                    BloodPressureReading {
                        systolic: 127.0,
                        diastolic: 79.0,
                    },
                ],
            }),
            Input::Bmi(BmiInput {
                height_cm: 175.0,
                weight_kg: 70.0,
            }),
        ]
    }

    /// The answers, version, band and details of `result`, serialised back to JSON.
    fn stored_form(result: &AssessmentResult) -> Value {
        fn form<A, D>(r: &InstrumentResult<A, D>) -> Value
        where
            A: OutputType + serde::Serialize,
            D: OutputType + serde::Serialize,
        {
            serde_json::json!({
                "version": r.instrument_version,
                "band": r.band,
                "inputs": serde_json::to_value(&r.answers).unwrap(),
                "details": serde_json::to_value(&r.details).unwrap(),
            })
        }
        match result {
            AssessmentResult::Cardiovascular(r) => form(r),
            AssessmentResult::Prevent(r) => form(r),
            AssessmentResult::Diabetes(r) => form(r),
            AssessmentResult::Depression(r) => form(r),
            AssessmentResult::Anxiety(r) => form(r),
            AssessmentResult::BloodPressure(r) => form(r),
            AssessmentResult::Bmi(r) => form(r),
        }
    }

    /// Every instrument's stored document reads back as its typed result, losing nothing.
    #[test]
    fn every_instrument_reads_back_what_the_engine_stored() {
        for input in one_of_each() {
            let evaluated = input.evaluate().unwrap();
            let result = AssessmentResult::read(evaluated.assessment_type, &evaluated.data)
                .unwrap_or_else(|e| panic!("{:?}: {e}", evaluated.assessment_type));
            let mut expected = evaluated.data.clone();
            expected.as_object_mut().unwrap().remove("instrument");
            assert_eq!(stored_form(&result), expected);
        }
    }

    #[test]
    fn a_document_of_another_instrument_is_an_internal_error() {
        let bmi = one_of_each().pop().unwrap().evaluate().unwrap();
        let err = AssessmentResult::read(AssessmentType::Anxiety, &bmi.data).unwrap_err();
        assert_eq!(err.code(), crate::error::code::INTERNAL);
    }

    #[test]
    fn the_ai_review_and_its_failure_notice_read_back() {
        let data = serde_json::json!({
            "ai": {
                "provider": "openai-compatible",
                "model": "m",
                "generatedAt": "2026-12-02T10:00:00Z",
                "recommendations": ["Walk after dinner."]
            },
            "aiError": { "error": "could not be added", "at": "2026-12-02T10:00:00Z" }
        });
        let review = ai_review(&data).unwrap();
        assert_eq!(review.model, "m");
        assert_eq!(review.recommendations, ["Walk after dinner."]);
        assert_eq!(ai_review_error(&data), Some("could not be added"));
        assert!(ai_review(&serde_json::json!({ "ai": { "provider": 1 } })).is_none());
    }
}
