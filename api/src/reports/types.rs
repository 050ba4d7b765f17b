//! GraphQL view of a medical report. The path on disk is never exposed.

use async_graphql::{ID, Json, Object};
use chrono::{DateTime, Utc};
use entity::medical_reports;

use crate::{
    enums::{AnalysisStatus, ReportType},
    error::AppError,
};

/// An uploaded medical document and the state of its analysis.
pub struct MedicalReport {
    row: medical_reports::Model,
    report_type: ReportType,
    analysis_status: AnalysisStatus,
}

impl TryFrom<medical_reports::Model> for MedicalReport {
    type Error = AppError;
    fn try_from(row: medical_reports::Model) -> Result<Self, AppError> {
        Ok(Self {
            report_type: ReportType::from_db(&row.report_type)?,
            analysis_status: AnalysisStatus::from_db(&row.analysis_status)?,
            row,
        })
    }
}

#[Object]
impl MedicalReport {
    async fn id(&self) -> ID {
        ID::from(self.row.id.to_string())
    }
    async fn report_type(&self) -> ReportType {
        self.report_type
    }
    /// The file's display name (sanitised at upload).
    async fn file_name(&self) -> &str {
        &self.row.file_name
    }
    /// Size in bytes, as measured by the server.
    async fn file_size(&self) -> i32 {
        self.row.file_size
    }
    /// Media type, as detected from the content.
    async fn mime_type(&self) -> &str {
        &self.row.mime_type
    }
    async fn upload_date(&self) -> DateTime<Utc> {
        self.row.upload_date.to_utc()
    }
    async fn analysis_status(&self) -> AnalysisStatus {
        self.analysis_status
    }
    /// Structured analysis: extracted values, each against its reference range.
    async fn analysis_result(&self) -> Option<Json<serde_json::Value>> {
        self.row.analysis_result.clone().map(Json)
    }
    /// Plain-language summary of the analysis.
    async fn ai_insights(&self) -> Option<&str> {
        self.row.ai_insights.as_deref()
    }
    /// Notes written by a clinician.
    async fn doctor_notes(&self) -> Option<&str> {
        self.row.doctor_notes.as_deref()
    }
    async fn is_archived(&self) -> bool {
        self.row.is_archived
    }
}
