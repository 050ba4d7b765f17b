//! What the Framingham equation and its office points are computed from.

/// Sex at birth, as the risk equations were fitted.
#[derive(
    async_graphql::Enum, serde::Serialize, serde::Deserialize, Debug, Clone, Copy, PartialEq, Eq,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Sex {
    /// Female.
    Female,
    /// Male.
    Male,
}

/// Answers for the Framingham general CVD risk.
#[derive(
    async_graphql::InputObject,
    async_graphql::SimpleObject,
    serde::Serialize,
    serde::Deserialize,
    Debug,
    Clone,
)]
#[serde(rename_all = "camelCase")]
#[graphql(name = "FraminghamAnswers", input_name = "FraminghamInput")]
pub struct FraminghamInput {
    /// Sex at birth.
    pub sex: Sex,
    /// Years, 30 to 74.
    pub age: f64,
    /// Total cholesterol, mg/dL (100 to 400).
    pub total_cholesterol: f64,
    /// HDL cholesterol, mg/dL (20 to 100).
    pub hdl_cholesterol: f64,
    /// Systolic blood pressure, mmHg (90 to 200).
    pub systolic_bp: f64,
    /// Currently taking blood pressure medication.
    pub on_bp_treatment: bool,
    /// Smokes now.
    pub current_smoker: bool,
    /// Has diabetes.
    pub diabetes: bool,
}
