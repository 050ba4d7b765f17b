//! Reading one resource by its id. Every id names the row it comes from
//! (`assessment-12…` from health assessment 12, `report-7…` and `lab-7-…` from medical report
//! 7), so the row is loaded, its owner's record opened for the caller, and the row mapped.

use chrono::{DateTime, Utc};
use entity::{health_assessments, medical_reports, users};
use sea_orm::{ConnectionTrait, EntityTrait};

use super::{
    assessments,
    entry::Entry,
    record::{self, Access},
    reports,
};
use crate::{enums::CareTeamScope, error::AppError};

/// Why a read found nothing to give.
pub enum Refused {
    /// No such resource, or not the caller's to see (one answer for both).
    NotFound,
    /// The caller may see the patient, but their grant lacks this scope.
    OutOfScope(CareTeamScope),
    Failed(AppError),
}

impl From<AppError> for Refused {
    fn from(err: AppError) -> Self {
        match err {
            AppError::NotFound => Self::NotFound,
            err => Self::Failed(err),
        }
    }
}

impl From<sea_orm::DbErr> for Refused {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::Failed(err.into())
    }
}

enum Row {
    Assessment(health_assessments::Model),
    Report(medical_reports::Model),
}

/// The row an id comes from; none for an id this server never issues.
async fn row_of(conn: &impl ConnectionTrait, id: &str) -> Result<Option<Row>, sea_orm::DbErr> {
    let number = |rest: &str| rest.split('-').next().and_then(|n| n.parse::<i32>().ok());
    if let Some(row_id) = id.strip_prefix("assessment-").and_then(number) {
        let row = health_assessments::Entity::find_by_id(row_id)
            .one(conn)
            .await?;
        return Ok(row.map(Row::Assessment));
    }
    let report = id
        .strip_prefix("report-")
        .or_else(|| id.strip_prefix("lab-"));
    if let Some(row_id) = report.and_then(number) {
        let row = medical_reports::Entity::find_by_id(row_id)
            .one(conn)
            .await?;
        return Ok(row.map(Row::Report));
    }
    Ok(None)
}

/// The resource `resource_type/id` as `caller` may see it, with the access it was seen under.
pub async fn one(
    conn: &impl ConnectionTrait,
    caller: &users::Model,
    resource_type: &str,
    id: &str,
    file_url: &(dyn Fn(&medical_reports::Model) -> String + Sync),
    now: DateTime<Utc>,
) -> Result<(Access, Entry), Refused> {
    let row = row_of(conn, id).await?.ok_or(Refused::NotFound)?;
    let (owner, scope) = match &row {
        Row::Assessment(row) => (row.user_id, CareTeamScope::Assessments),
        Row::Report(row) => (row.user_id, CareTeamScope::Reports),
    };
    let access = record::open(conn, caller, owner, now).await?;
    if !access.allows(scope) {
        return Err(Refused::OutOfScope(scope));
    }
    let entries = match &row {
        Row::Assessment(row) => assessments::resources(row)?,
        Row::Report(row) => reports::resources(row, &file_url(row)),
    };
    let entry = entries
        .into_iter()
        .find(|e| e.resource_type == resource_type && e.id == id)
        .ok_or(Refused::NotFound)?;
    Ok((access, entry))
}
