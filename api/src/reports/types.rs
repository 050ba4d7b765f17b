//! GraphQL view of a medical report. The path on disk is never exposed.

use async_graphql::{Context, ContextSelectionSet, ID, Object, SimpleObject, Value};
use entity::medical_reports;
use serde::Deserialize;

use super::analysis::{
    extract::Method,
    labs::{Flag, RangeSource},
};
use crate::{
    enums::{AnalysisStatus, ReportType},
    error::AppError,
    http::links::{self, Kind, Links},
    plain::{self, PlainFields},
    scalars,
    users::person::Person,
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

impl MedicalReport {
    fn title_text(&self) -> &str {
        self.row.title.as_deref().unwrap_or(&self.row.file_name)
    }
    /// A signed link for the viewer; the bearer-token path when there is no viewer (never
    /// the case for a report, which only a viewer reaches).
    fn download_url_for(&self, links: Option<&Links>) -> String {
        match links {
            Some(links) => links.url(Kind::Report, self.row.id, None),
            None => format!("/files/reports/{}", self.row.id),
        }
    }
}

/// Every field but `labResults` (a list of objects) and `doctorNotesBy` (a loader).
impl PlainFields for MedicalReport {
    fn plain_field(&self, ctx: &ContextSelectionSet<'_>, field: &str) -> Option<Value> {
        let row = &self.row;
        Some(match field {
            "id" => plain::value(ID::from(row.id.to_string())),
            "reportType" => plain::value(self.report_type),
            "title" => plain::text(self.title_text()),
            "downloadUrl" => plain::value(self.download_url_for(links::of(ctx))),
            "contentSha256" => plain::optional_text(row.content_sha256.as_deref()),
            "fileName" => plain::text(&row.file_name),
            "fileSize" => plain::value(row.file_size),
            "mimeType" => plain::text(&row.mime_type),
            "uploadDate" => plain::time(row.upload_date),
            "analysisStatus" => plain::value(self.analysis_status),
            "analysisError" => plain::optional_text(row.analysis_error.as_deref()),
            "analyzedAt" => plain::optional_time(row.analyzed_at),
            "analysisResult" => row
                .analysis_result
                .as_ref()
                .map_or(Value::Null, plain::json),
            "aiInsights" => plain::optional_text(row.ai_insights.as_deref()),
            "doctorNotes" => plain::optional_text(row.doctor_notes.as_deref()),
            "doctorNotesUpdatedAt" => plain::optional_time(row.doctor_notes_updated_at),
            "isArchived" => plain::value(row.is_archived),
            _ => return None,
        })
    }
}

/// An uploaded medical document and the state of its analysis.
#[Object]
impl MedicalReport {
    /// The report's id.
    async fn id(&self) -> ID {
        ID::from(self.row.id.to_string())
    }
    /// What kind of document it is.
    async fn report_type(&self) -> ReportType {
        self.report_type
    }
    /// The owner's name for the report; the file name when none was given.
    async fn title(&self) -> &str {
        self.title_text()
    }
    /// An absolute, short-lived signed link to the file (at least `DOWNLOAD_LINK_TTL_SECS`,
    /// 15 minutes by default) that works in an `<a href>` with no header, for you only: the
    /// owner, or a clinician whose grant holds REPORTS (checked again at download). Supports
    /// `Range`. `GET /files/reports/{id}` with the bearer token works too.
    async fn download_url(&self, ctx: &Context<'_>) -> String {
        self.download_url_for(links::of(ctx))
    }
    /// SHA-256 of the content (hex): the same file uploaded twice has the same digest.
    async fn content_sha256(&self) -> Option<&str> {
        self.row.content_sha256.as_deref()
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
    /// When it was uploaded.
    async fn upload_date(&self) -> scalars::DateTime {
        self.row.upload_date.into()
    }
    /// Where its analysis is: PENDING, PROCESSING, COMPLETED or FAILED.
    async fn analysis_status(&self) -> AnalysisStatus {
        self.analysis_status
    }
    /// Why the analysis FAILED, in words for the owner.
    async fn analysis_error(&self) -> Option<&str> {
        self.row.analysis_error.as_deref()
    }
    /// When the latest analysis finished (or failed).
    async fn analyzed_at(&self) -> Option<scalars::DateTime> {
        self.row.analyzed_at.map(Into::into)
    }
    /// How the latest analysis read the report: the method, the report's date and the counts
    /// per flag; null before an analysis completes. The values themselves are `labResults`.
    async fn analysis(&self) -> Option<ReportAnalysis> {
        ReportAnalysis::read(self.row.analysis_result.as_ref()?)
    }
    /// The latest analysis as stored (shape documented in docs/reports.md), as untyped JSON.
    #[graphql(deprecation = "Use the typed `analysis` and `labResults`.")]
    async fn analysis_result(&self) -> Option<scalars::Json<&serde_json::Value>> {
        self.row.analysis_result.as_ref().map(scalars::Json)
    }
    /// The lab values the latest analysis found, typed; empty before it completes.
    async fn lab_results(&self) -> Vec<LabResult> {
        self.row
            .analysis_result
            .as_ref()
            .and_then(|result| {
                serde_json::from_value::<Vec<LabResult>>(result["analytes"].clone()).ok()
            })
            .unwrap_or_default()
    }
    /// Plain-language summary of the analysis.
    async fn ai_insights(&self) -> Option<&str> {
        self.row.ai_insights.as_deref()
    }
    /// Notes written by a clinician of the owner's care team.
    async fn doctor_notes(&self) -> Option<&str> {
        self.row.doctor_notes.as_deref()
    }
    /// Who last wrote the doctor notes (null when unknown or the account is gone).
    async fn doctor_notes_by(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<Person<'static>>, AppError> {
        match self.row.doctor_notes_author_id {
            Some(id) => Ok(Some(Person::load(ctx, id).await?)),
            None => Ok(None),
        }
    }
    /// When the doctor notes last changed.
    async fn doctor_notes_updated_at(&self) -> Option<scalars::DateTime> {
        self.row.doctor_notes_updated_at.map(Into::into)
    }
    /// Whether the owner archived it (archived reports stay readable).
    async fn is_archived(&self) -> bool {
        self.row.is_archived
    }
}

/// A reference range a lab value was compared with.
#[derive(SimpleObject, Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LabRange {
    /// The lower limit; null when there is none.
    pub low: Option<f64>,
    /// The upper limit; null when there is none.
    pub high: Option<f64>,
    /// The unit of the limits.
    pub unit: String,
    /// Whose range it is: the report's own or the built-in default.
    pub source: RangeSource,
}

/// One value found in a report.
#[derive(SimpleObject, Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LabResult {
    /// Stable analyte key, e.g. `glucose`, `ldl_cholesterol`.
    pub key: String,
    /// The analyte's name, as the report printed it.
    pub name: String,
    /// The value, as printed.
    pub value: f64,
    /// `<` or `>` when the report printed a bound rather than a value.
    pub qualifier: Option<String>,
    /// The unit as printed (the standard unit when none was printed: `unitAssumed`).
    pub unit: String,
    /// True when the report gave no unit and the usual one was assumed.
    pub unit_assumed: bool,
    /// The value in `standardUnit`, when the printed unit is known.
    pub standard_value: Option<f64>,
    /// The unit `standardValue` is in.
    pub standard_unit: String,
    /// The reference range used for the flag.
    pub range: LabRange,
    /// Null only when the unit is unknown and no range was printed.
    pub flag: Option<Flag>,
    /// The line of the report the value was read from.
    pub source_line: String,
}

/// How the latest analysis read a report.
#[derive(SimpleObject, Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportAnalysis {
    /// The version of the parser that read it (`seed` for generated demo data).
    pub parser_version: String,
    /// How the text was obtained; null for generated demo data.
    #[serde(default)]
    pub extraction: Option<ReportExtraction>,
    /// The date printed on the report ("Collected: 2026-03-14"), when one was found.
    #[serde(default)]
    pub report_date: Option<scalars::Date>,
    /// How many values were found, per flag.
    pub counts: LabCounts,
    /// Where the summary in `aiInsights` came from; null for generated demo data.
    #[serde(default)]
    pub insights: Option<ReportInsights>,
}

impl ReportAnalysis {
    /// The typed view of a stored analysis; none when the document is not one (logged).
    pub fn read(stored: &serde_json::Value) -> Option<Self> {
        Self::deserialize(stored)
            .inspect_err(
                |err| tracing::error!(error = %err, "stored report analysis is unreadable"),
            )
            .ok()
    }
}

/// How the text of a report was obtained.
#[derive(SimpleObject, Debug, Clone, serde::Deserialize)]
pub struct ReportExtraction {
    /// The method used.
    pub method: Method,
    /// Pages read, for PDFs.
    pub pages: Option<i32>,
    /// Characters of text obtained (the text itself is not stored).
    pub characters: i32,
}

/// How many lab values an analysis found, per flag.
#[derive(SimpleObject, Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct LabCounts {
    /// All values found.
    pub total: i32,
    /// Values below their range.
    pub low: i32,
    /// Values within their range.
    pub normal: i32,
    /// Values above their range.
    pub high: i32,
    /// Values beyond a critical limit.
    pub critical: i32,
}

/// Who wrote a report's summary.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InsightSource {
    /// The configured AI provider.
    Ai,
    /// The server's built-in summariser.
    BuiltIn,
}

/// Where the summary in `aiInsights` came from.
#[derive(SimpleObject, Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportInsights {
    /// Who wrote it.
    pub source: InsightSource,
    /// The AI provider asked, when one is configured (also when it failed).
    pub provider: Option<String>,
    /// The model asked, when a provider is configured.
    pub model: Option<String>,
    /// True when a provider is configured but its answer could not be used, so the built-in
    /// summary stands in.
    #[serde(default)]
    pub ai_unavailable: bool,
}
