//! What the PREVENT equations are computed from.

use super::super::framingham::Sex;

/// Answers for the PREVENT base model.
#[derive(
    async_graphql::InputObject,
    async_graphql::SimpleObject,
    serde::Serialize,
    serde::Deserialize,
    Debug,
    Clone,
)]
#[serde(rename_all = "camelCase")]
#[graphql(name = "PreventAnswers", input_name = "PreventInput")]
pub struct PreventInput {
    /// Sex at birth (the equations are sex-specific).
    pub sex: Sex,
    /// Years, 30 to 79 (30-year risks for 30 to 59).
    pub age: f64,
    /// Total cholesterol, mg/dL (130 to 320).
    pub total_cholesterol: f64,
    /// HDL cholesterol, mg/dL (20 to 100).
    pub hdl_cholesterol: f64,
    /// Systolic blood pressure, mmHg (90 to 180).
    pub systolic_bp: f64,
    /// Currently taking blood pressure medication.
    pub on_bp_treatment: bool,
    /// Currently taking a statin (or another cholesterol-lowering medicine).
    pub on_statin: bool,
    /// Smokes now.
    pub current_smoker: bool,
    /// Has diabetes.
    pub diabetes: bool,
    /// Body mass index, kg/m2 (18.5 to 39.9); it enters the heart-failure models only.
    pub bmi: f64,
    /// Estimated glomerular filtration rate, mL/min/1.73 m2 (15 to 140), from a recent blood
    /// test.
    pub egfr: f64,
}
