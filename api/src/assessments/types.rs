//! GraphQL view of a stored health assessment.

use async_graphql::{ContextSelectionSet, ID, Object, Value};
use entity::health_assessments;
use rust_decimal::prelude::ToPrimitive;

use super::result::{self, AssessmentAiReview, AssessmentResult};
use crate::{
    enums::{AssessmentType, RiskLevel},
    error::AppError,
    plain::{self, PlainFields},
    scalars,
};

/// The result of one clinical instrument for one person at one time.
pub struct HealthAssessment {
    row: health_assessments::Model,
    assessment_type: AssessmentType,
    risk_level: RiskLevel,
}

impl TryFrom<health_assessments::Model> for HealthAssessment {
    type Error = AppError;
    fn try_from(row: health_assessments::Model) -> Result<Self, AppError> {
        Ok(Self {
            assessment_type: AssessmentType::from_db(&row.assessment_type)?,
            risk_level: RiskLevel::from_db(&row.risk_level)?,
            row,
        })
    }
}

impl HealthAssessment {
    pub fn row(&self) -> &health_assessments::Model {
        &self.row
    }
    pub fn level(&self) -> RiskLevel {
        self.risk_level
    }
    pub fn probability_f64(&self) -> Option<f64> {
        self.row.probability.and_then(|p| p.to_f64())
    }
}

/// The result of one validated clinical instrument for one person at one time.
#[Object]
impl HealthAssessment {
    /// The assessment's id.
    async fn id(&self) -> ID {
        ID::from(self.row.id.to_string())
    }
    /// The instrument used.
    async fn assessment_type(&self) -> AssessmentType {
        self.assessment_type
    }
    /// The instrument's own score (for Framingham, the rounded 10-year risk percentage).
    async fn risk_score(&self) -> i32 {
        self.row.risk_score
    }
    /// The score placed on the common risk scale.
    async fn risk_level(&self) -> RiskLevel {
        self.risk_level
    }
    /// Estimated probability of the outcome as a fraction from 0 to 1, for instruments that
    /// give one.
    async fn probability(&self) -> Option<f64> {
        self.probability_f64()
    }
    /// The answers given and what the instrument computed, typed per instrument (switch on
    /// `__typename`).
    async fn result(&self) -> Result<AssessmentResult, AppError> {
        AssessmentResult::read(self.assessment_type, &self.row.assessment_data)
    }
    /// What an external AI model added (its suggestions are also in `recommendations`, marked
    /// as AI-written); null when none did.
    async fn ai_review(&self) -> Option<AssessmentAiReview> {
        result::ai_review(&self.row.assessment_data)
    }
    /// Why the last attempt at an AI review failed, in words for the owner; null otherwise.
    async fn ai_review_error(&self) -> Option<&str> {
        result::ai_review_error(&self.row.assessment_data)
    }
    /// The stored document behind `result`, `aiReview` and `aiReviewError` (answers, version,
    /// band, details), as untyped JSON.
    #[graphql(deprecation = "Use the typed `result`, `aiReview` and `aiReviewError`.")]
    async fn assessment_data(&self) -> scalars::Json<&serde_json::Value> {
        scalars::Json(&self.row.assessment_data)
    }
    /// Plain-language recommendations.
    async fn recommendations(&self) -> &[String] {
        &self.row.recommendations
    }
    /// Signs that need prompt attention.
    async fn warning_signs(&self) -> &[String] {
        &self.row.warning_signs
    }
    /// What to do next, most urgent first.
    async fn next_steps(&self) -> &[String] {
        &self.row.next_steps
    }
    /// Whether an external AI model contributed to this result.
    async fn is_api_result(&self) -> bool {
        self.row.is_api_result
    }
    /// When it was computed.
    async fn created_at(&self) -> scalars::DateTime {
        self.row.created_at.into()
    }
}

impl PlainFields for HealthAssessment {
    fn plain_field(&self, _ctx: &ContextSelectionSet<'_>, field: &str) -> Option<Value> {
        Some(match field {
            "id" => plain::value(ID::from(self.row.id.to_string())),
            "assessmentType" => plain::value(self.assessment_type),
            "riskScore" => plain::value(self.row.risk_score),
            "riskLevel" => plain::value(self.risk_level),
            "probability" => plain::value(self.probability_f64()),
            "assessmentData" => plain::json(&self.row.assessment_data),
            "aiReviewError" => {
                plain::optional_text(result::ai_review_error(&self.row.assessment_data))
            }
            "recommendations" => plain::texts(&self.row.recommendations),
            "warningSigns" => plain::texts(&self.row.warning_signs),
            "nextSteps" => plain::texts(&self.row.next_steps),
            "isApiResult" => plain::value(self.row.is_api_result),
            "createdAt" => plain::time(self.row.created_at),
            _ => return None,
        })
    }
}
