//! Authenticated downloads of stored files: `GET /files/reports/{id}`,
//! `GET /files/avatars/{user id}` and `GET /files/exports/{id}`, with the bearer token or as a
//! signed link from the API (`http::links`: `?u=..&expires=..&signature=..`, no header needed;
//! an expired link is 403). Either way the account must be allowed now: anyone but the owner
//! (or, for a report, a clinician whose grant holds REPORTS) gets 404 (no existence leak). One byte range (`Range: bytes=a-b`) is answered with 206; several ranges
//! are answered with the whole file (RFC 9110 allows that); an unsatisfiable one with 416.

use std::str::FromStr;

use actix_web::{
    HttpRequest, HttpResponse,
    http::{
        StatusCode,
        header::{
            self, Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue,
            HeaderValue, Range,
        },
    },
    web,
};
use entity::{medical_reports, users};
use sea_orm::EntityTrait;

use super::{
    caller::{client_ip, viewer},
    links::{Kind, Signed, Verdict},
};
use crate::{
    auth::audit::{self, AuditEvent},
    care_team,
    enums::{AuditEventType, CareTeamScope, Role},
    error::{AppError, error_chain},
    export::service as export_service,
    state::AppState,
    storage::StorageKey,
};

/// What a download serves.
struct Download {
    key: StorageKey,
    mime: String,
    file_name: String,
    disposition: DispositionType,
    etag: Option<String>,
    /// False for a one-time download: a partial answer would use up the only one.
    ranges: bool,
}

pub async fn report(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let download = report_download(&req, &path, &state).await;
    answer(&req, &state, download).await
}

/// A report file: its owner's, or a clinician's whose grant holds REPORTS.
async fn report_download(
    req: &HttpRequest,
    path: &str,
    state: &AppState,
) -> Result<Download, HttpResponse> {
    let (id, caller) = opening(req, path, state, Kind::Report).await?;
    let row = found(medical_reports::Entity::find_by_id(id).one(&state.db).await)?;
    if row.user_id != caller.id {
        let ip = client_ip(req, state);
        let allowed = clinician_may_download(state, &caller, &row, ip)
            .await
            .map_err(|err| unavailable(&err))?;
        if !allowed {
            return Err(not_found());
        }
    }
    Ok(Download {
        key: StorageKey::parse(&row.file_path).ok_or_else(not_found)?,
        mime: row.mime_type,
        file_name: row.file_name,
        disposition: DispositionType::Attachment,
        etag: row.content_sha256,
        ranges: true,
    })
}

pub async fn avatar(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let download = avatar_download(&req, &path, &state).await;
    answer(&req, &state, download).await
}

/// A profile image: its owner's only.
async fn avatar_download(
    req: &HttpRequest,
    path: &str,
    state: &AppState,
) -> Result<Download, HttpResponse> {
    let (user_id, caller) = opening(req, path, state, Kind::Avatar).await?;
    if caller.id != user_id {
        return Err(not_found());
    }
    let user = found(users::Entity::find_by_id(user_id).one(&state.db).await)?;
    let key = user
        .profile_image_url
        .as_deref()
        .and_then(StorageKey::parse)
        .ok_or_else(not_found)?;
    Ok(Download {
        etag: Some(key.id.simple().to_string()),
        key,
        mime: "image/jpeg".into(),
        file_name: "profile.jpg".into(),
        disposition: DispositionType::Inline,
        ranges: true,
    })
}

/// The caller's export archive, once: the first download takes it (docs/export.md).
pub async fn export(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let download = export_download(&req, &path, &state).await;
    answer(&req, &state, download).await
}

async fn export_download(
    req: &HttpRequest,
    path: &str,
    state: &AppState,
) -> Result<Download, HttpResponse> {
    let (id, caller) = opening(req, path, state, Kind::Export).await?;
    let now = state.services.clock.now();
    let ip = client_ip(req, state);
    let row = found(export_service::claim_download(&state.db, caller.id, id, ip, now).await)?;
    Ok(Download {
        key: (row.file_path.as_deref())
            .and_then(StorageKey::parse)
            .ok_or_else(not_found)?,
        mime: "application/zip".into(),
        file_name: format!("echo-health-export-{}.zip", now.format("%Y-%m-%d")),
        disposition: DispositionType::Attachment,
        etag: None,
        ranges: false,
    })
}

/// What every download starts with: the id in the path, and the caller its bearer token or
/// signed link names for `kind` and that id; else the answer to send.
async fn opening(
    req: &HttpRequest,
    path: &str,
    state: &AppState,
    kind: Kind,
) -> Result<(i32, users::Model), HttpResponse> {
    let Ok(id) = path.parse::<i32>() else {
        return Err(not_found());
    };
    Ok((id, caller(req, state, kind, id).await?))
}

/// A row a download needs: none is 404, a failed query 503 (logged here).
fn found<T, E: std::error::Error + 'static>(result: Result<Option<T>, E>) -> Result<T, Missing> {
    match result {
        Ok(Some(row)) => Ok(row),
        Ok(None) => Err(Missing::NotFound),
        Err(err) => {
            log_failure(&err);
            Err(Missing::Unavailable)
        }
    }
}

/// Why [`found`] found nothing to serve.
enum Missing {
    NotFound,
    Unavailable,
}

impl From<Missing> for HttpResponse {
    fn from(missing: Missing) -> Self {
        match missing {
            Missing::NotFound => not_found(),
            Missing::Unavailable => unavailable_response(),
        }
    }
}

/// Serves the file, or sends the refusal.
async fn answer(
    req: &HttpRequest,
    state: &AppState,
    download: Result<Download, HttpResponse>,
) -> HttpResponse {
    match download {
        Ok(download) => serve(req, state, download).await,
        Err(refused) => refused,
    }
}

/// Whether `caller` is a clinician whose grant from the report's owner holds REPORTS; a
/// download that is allowed is recorded in the owner's audit log.
async fn clinician_may_download(
    state: &AppState,
    caller: &users::Model,
    report: &medical_reports::Model,
    ip: Option<std::net::IpAddr>,
) -> Result<bool, AppError> {
    if Role::from_db(&caller.role)? != Role::Clinician {
        return Ok(false);
    }
    let now = state.services.clock.now();
    match care_team::service::require_scope(
        &state.db,
        caller.id,
        report.user_id,
        CareTeamScope::Reports,
        now,
    )
    .await
    {
        Ok(_) => {}
        Err(AppError::NotFound) => return Ok(false),
        Err(err) => return Err(err),
    }
    let event = AuditEvent::about(
        AuditEventType::PatientDataRead,
        caller.id,
        report.user_id,
        ip,
    )
    .with_details(serde_json::json!({ "report_id": report.id, "fields": ["report_file"] }));
    audit::record(&state.db, event, now).await?;
    Ok(true)
}

/// Who downloads `kind` `id`: the account a valid signed link was issued to (a link for
/// another file is no link), or the bearer token's; the refusal otherwise (404, or 403 for a
/// genuine link that has expired).
async fn caller(
    req: &HttpRequest,
    state: &AppState,
    kind: Kind,
    id: i32,
) -> Result<users::Model, HttpResponse> {
    if let Some(signed) = Signed::from_query(req.query_string()) {
        let now = state.services.clock.now();
        return match signed.check(&state.services.otp_key, kind, id, now) {
            Verdict::Valid(user_id) => {
                match users::Entity::find_by_id(user_id).one(&state.db).await {
                    Ok(Some(user)) if user.is_active => Ok(user),
                    Ok(_) => Err(not_found()),
                    Err(err) => Err(unavailable(&err)),
                }
            }
            Verdict::Expired => Err(HttpResponse::Forbidden()
                .content_type("text/plain; charset=utf-8")
                .body("this download link has expired; ask the API for a new one")),
            Verdict::Invalid => Err(not_found()),
        };
    }
    match viewer(req, state, false).await {
        Ok(viewer) => viewer.0.map(|v| v.user).ok_or_else(not_found),
        Err(err) => {
            tracing::error!(error = %error_chain(&err), "could not resolve the bearer token");
            Err(not_found())
        }
    }
}

async fn serve(req: &HttpRequest, state: &AppState, download: Download) -> HttpResponse {
    let size = match state.services.storage.size(&download.key).await {
        Ok(size) => size,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return not_found(),
        Err(err) => return unavailable(&err),
    };
    let requested = req
        .headers()
        .get(header::RANGE)
        .filter(|_| download.ranges)
        .and_then(|v| v.to_str().ok())
        .map(Range::from_str);
    let range = match requested {
        None => None,
        Some(Ok(Range::Bytes(specs))) if specs.len() == 1 => {
            match specs[0].to_satisfiable_range(size) {
                Some((start, end)) => Some(start..end + 1),
                None => {
                    return HttpResponse::build(StatusCode::RANGE_NOT_SATISFIABLE)
                        .insert_header((header::CONTENT_RANGE, format!("bytes */{size}")))
                        .insert_header((header::ACCEPT_RANGES, "bytes"))
                        .finish();
                }
            }
        }
        // Several ranges, another unit or a malformed header: the whole file.
        Some(_) => None,
    };
    let stream = match state
        .services
        .storage
        .read(&download.key, range.clone())
        .await
    {
        Ok(stream) => stream,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return not_found(),
        Err(err) => return unavailable(&err),
    };
    let mut response = match &range {
        Some(range) => {
            let mut builder = HttpResponse::build(StatusCode::PARTIAL_CONTENT);
            builder.insert_header((
                header::CONTENT_RANGE,
                format!("bytes {}-{}/{size}", range.start, range.end - 1),
            ));
            builder
        }
        None => HttpResponse::Ok(),
    };
    let length = range.map_or(size, |r| r.end - r.start);
    response
        .insert_header((header::CONTENT_TYPE, download.mime))
        .insert_header(disposition(download.disposition, &download.file_name))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((
            header::ACCEPT_RANGES,
            if download.ranges { "bytes" } else { "none" },
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-store"));
    if let Some(etag) = download.etag
        && let Ok(value) = HeaderValue::from_str(&format!("\"{etag}\""))
    {
        response.insert_header((header::ETAG, value));
    }
    response.no_chunking(length).streaming(stream)
}

/// `attachment; filename="<ASCII fallback>"; filename*=UTF-8''<name>` (the latter only when
/// the name is not plain ASCII). The name was sanitised at upload; it is cleaned again here
/// so that names stored under older rules never reach a header as they were.
fn disposition(kind: DispositionType, file_name: &str) -> ContentDisposition {
    let file_name = crate::uploads::display_name(file_name);
    let file_name = file_name.as_str();
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut parameters = vec![DispositionParam::Filename(ascii.clone())];
    if ascii != file_name {
        parameters.push(DispositionParam::FilenameExt(ExtendedValue {
            charset: Charset::Ext("UTF-8".into()),
            language_tag: None,
            value: file_name.as_bytes().to_vec(),
        }));
    }
    ContentDisposition {
        disposition: kind,
        parameters,
    }
}

fn not_found() -> HttpResponse {
    HttpResponse::NotFound()
        .content_type("text/plain; charset=utf-8")
        .body("not found")
}

fn unavailable(err: &(dyn std::error::Error + 'static)) -> HttpResponse {
    log_failure(err);
    unavailable_response()
}

fn log_failure(err: &(dyn std::error::Error + 'static)) {
    tracing::error!(error = %error_chain(err), "a download failed");
}

fn unavailable_response() -> HttpResponse {
    HttpResponse::ServiceUnavailable()
        .content_type("text/plain; charset=utf-8")
        .body("the file cannot be served right now")
}
