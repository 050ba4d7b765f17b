//! The FHIR R4 REST API at `/fhir/r4` (docs/fhir.md): `metadata`, `Patient/{id}`,
//! `Patient/{id}/$everything`, search on the record's resource types, read by id, and the
//! import of a Bundle of vital signs (`POST` to the base). JSON
//! (`application/fhir+json`) only; every error is an `OperationOutcome` with its HTTP status.
//! The same bearer tokens as GraphQL; `fhir::record` decides what a caller may see.

mod answer;

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use entity::{medical_reports, users};
use serde_json::Value;

use self::answer::{Refusal, check_accept, link, ok, respond};
use super::{
    caller::{client_ip, viewer},
    links::{self, Kind},
};
use crate::{
    enums::CareTeamScope,
    error::AppError,
    fhir::{
        self, bundle,
        entry::Entry,
        read::Refused,
        record::{self, Access, FROM_ASSESSMENTS, FROM_REPORTS},
        search::Search,
    },
    state::AppState,
};

/// The resource types that can be searched and read (Patient is read on its own route).
const SEARCHABLE: &[&str] = &[
    "Observation",
    "DiagnosticReport",
    "DocumentReference",
    "RiskAssessment",
    "QuestionnaireResponse",
    "Provenance",
];

/// The caller behind the bearer token; 401 without one.
async fn caller(req: &HttpRequest, state: &AppState) -> Result<users::Model, Refusal> {
    caller_for(req, state, false).await
}

/// The caller of a request that `writes` (an import): with a read replica, the session then
/// reads from the primary for a while and sees what it wrote (`AppState::database_for`).
async fn caller_for(
    req: &HttpRequest,
    state: &AppState,
    writes: bool,
) -> Result<users::Model, Refusal> {
    check_accept(req)?;
    match viewer(req, state, writes && state.read_db.is_some()).await {
        Ok(viewer) => viewer.0.map(|v| v.user).ok_or_else(|| {
            Refusal::new(
                StatusCode::UNAUTHORIZED,
                "login",
                "send `Authorization: Bearer <session token>` (sign in through the GraphQL API)",
            )
        }),
        Err(err) => Err(AppError::from(err).into()),
    }
}

/// `{base}/fhir/r4`.
fn base(req: &HttpRequest, state: &AppState) -> String {
    format!(
        "{}/fhir/r4",
        links::base_url(req, state.settings.server.public_base_url.as_deref())
    )
}

/// Download links of reports for this caller.
fn file_links(
    req: &HttpRequest,
    state: &AppState,
    caller: &users::Model,
) -> impl Fn(&medical_reports::Model) -> String + Sync {
    let now = state.services.clock.now();
    let key = &state.services.otp_key;
    let links = links::for_request(req, &state.settings, key, caller.id, now);
    move |row: &medical_reports::Model| links.url(Kind::Report, row.id, None)
}

fn parse_id(text: &str) -> Result<i32, Refusal> {
    text.parse()
        .map_err(|_| Refusal::not_found(&format!("Patient/{text}")))
}

/// What a grant leaves out of `types`, as warnings (an outcome entry of the Bundle); 403 when
/// it leaves out everything asked for.
fn scope_warnings(access: &Access, types: &[&str]) -> Result<Vec<String>, Refusal> {
    let from = |list: &[&str]| types.iter().any(|t| list.contains(t));
    let mut missing = Vec::new();
    if from(FROM_ASSESSMENTS) && !access.allows(CareTeamScope::Assessments) {
        missing.push("assessments");
    }
    if from(FROM_REPORTS) && !access.allows(CareTeamScope::Reports) {
        missing.push("reports");
    }
    let all_missing = types.iter().all(|t| {
        (!FROM_ASSESSMENTS.contains(t) || !access.assessments)
            && (!FROM_REPORTS.contains(t) || !access.reports)
    });
    if all_missing && !types.contains(&"Patient") {
        return Err(Refusal::out_of_scope(&missing.join(" or ")));
    }
    Ok(missing
        .into_iter()
        .map(|m| format!("{m} are left out: the patient's care-team grant does not cover them"))
        .collect())
}

/// What a searchset answers: the resource types it lists (None: the whole record), the path
/// its links repeat, the interaction the audit log names, and the page size when `_count` is
/// absent (None: one page).
struct Listing<'a> {
    types: Option<&'a [&'a str]>,
    path: &'a str,
    interaction: &'a str,
    default_count: Option<usize>,
}

/// Loads what the grant covers of `listing`'s types (403 when it covers none of them), then
/// filters, pages, audits and wraps it as a searchset, with a warning for what was left out.
async fn searchset(
    req: &HttpRequest,
    state: &AppState,
    caller: &users::Model,
    access: &Access,
    search: &Search,
    listing: Listing<'_>,
) -> Result<Value, Refusal> {
    let Listing {
        types,
        path,
        interaction,
        default_count,
    } = listing;
    let everything: Vec<&str> = SEARCHABLE.iter().copied().chain(["Patient"]).collect();
    let warnings = scope_warnings(access, types.unwrap_or(&everything))?;
    let files = file_links(req, state, caller);
    let entries = record::load(&state.db, access, types, &files).await?;
    let matching: Vec<Entry> = entries.into_iter().filter(|e| search.matches(e)).collect();
    let total = matching.len();
    let (page, next) = search.page(matching, default_count);
    let now = state.services.clock.now();
    let ip = client_ip(req, state);
    record::audit_read(&state.db, access, interaction, &page, ip, now).await?;
    let base = base(req, state);
    let self_link = link(&base, path, &search.echo, None);
    let next_link = next.map(|n| link(&base, path, &search.echo, Some(&n.encode())));
    Ok(bundle::searchset(
        &base,
        total,
        &page,
        &self_link,
        next_link.as_deref(),
        &warnings,
    ))
}

/// `GET /fhir/r4/metadata`: the CapabilityStatement (no token needed).
pub async fn metadata(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    if let Err(refusal) = check_accept(&req) {
        return refusal.into_response();
    }
    let published = state.services.clock.now();
    ok(&bundle::capability_statement(
        &base(&req, &state),
        env!("CARGO_PKG_VERSION"),
        published,
    ))
}

/// `GET /fhir/r4/Patient/{id}`.
pub async fn patient(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    respond(
        async {
            let caller = caller(&req, &state).await?;
            let id = parse_id(&path)?;
            let access = open(&state, &caller, id).await?;
            let patient = fhir::people::patient(&access.patient);
            let now = state.services.clock.now();
            let ip = client_ip(&req, &state);
            let read = std::slice::from_ref(&patient);
            record::audit_read(&state.db, &access, "read Patient", read, ip, now).await?;
            Ok(patient.resource)
        }
        .await,
    )
}

/// `GET /fhir/r4/Patient/{id}/$everything`: the whole record the caller may see.
pub async fn everything(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    respond(
        async {
            let caller = caller(&req, &state).await?;
            let search = Search::parse(req.query_string(), false)?;
            let id = parse_id(&path)?;
            let access = open(&state, &caller, id).await?;
            let path = format!("Patient/{id}/$everything");
            let listing = Listing {
                types: None,
                path: &path,
                interaction: "Patient/$everything",
                default_count: None,
            };
            searchset(&req, &state, &caller, &access, &search, listing).await
        }
        .await,
    )
}

/// `GET /fhir/r4/{type}?...`: search one resource type of one patient's record.
pub async fn search(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    respond(
        async {
            let caller = caller(&req, &state).await?;
            let resource_type = supported(&path)?;
            let search = Search::parse(req.query_string(), true)?;
            let patient_id = search.patient.unwrap_or(caller.id);
            let access = open(&state, &caller, patient_id).await?;
            let interaction = format!("search {resource_type}");
            let listing = Listing {
                types: Some(&[resource_type]),
                path: resource_type,
                interaction: &interaction,
                default_count: Some(fhir::search::DEFAULT_COUNT),
            };
            searchset(&req, &state, &caller, &access, &search, listing).await
        }
        .await,
    )
}

/// `GET /fhir/r4/{type}/{id}`: one resource (`fhir::read`).
pub async fn read(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let (resource_type, id) = path.into_inner();
    respond(
        async {
            let caller = caller(&req, &state).await?;
            let resource_type = supported(&resource_type)?;
            let now = state.services.clock.now();
            let files = file_links(&req, &state, &caller);
            let (access, entry) =
                fhir::read::one(&state.db, &caller, resource_type, &id, &files, now)
                    .await
                    .map_err(|refused| match refused {
                        Refused::NotFound => Refusal::not_found(&format!("{resource_type}/{id}")),
                        Refused::OutOfScope(scope) => Refusal::out_of_scope(scope.as_db()),
                        Refused::Failed(err) => err.into(),
                    })?;
            let ip = client_ip(&req, &state);
            let interaction = format!("read {resource_type}");
            record::audit_read(
                &state.db,
                &access,
                &interaction,
                std::slice::from_ref(&entry),
                ip,
                now,
            )
            .await?;
            Ok(entry.resource)
        }
        .await,
    )
}

fn supported(resource_type: &str) -> Result<&'static str, Refusal> {
    SEARCHABLE.iter().copied().find(|t| *t == resource_type).ok_or_else(|| {
        Refusal::new(
            StatusCode::NOT_FOUND,
            "not-supported",
            format!("`{resource_type}` is not a resource type this server serves (see GET /fhir/r4/metadata)"),
        )
    })
}

async fn open(state: &AppState, caller: &users::Model, patient_id: i32) -> Result<Access, Refusal> {
    let now = state.services.clock.now();
    record::open(&state.db, caller, patient_id, now)
        .await
        .map_err(|err| match err {
            AppError::NotFound => Refusal::not_found(&format!("Patient/{patient_id}")),
            err => err.into(),
        })
}

/// The largest Bundle `import` reads.
const IMPORT_MAX_BYTES: usize = 1 << 20;

/// `POST [base]`: a Bundle of vital signs imported into the caller's own record, answered by
/// a `batch-response` Bundle (docs/fhir.md, "Import"). Whatever the Observations' `subject`
/// says, they go into the caller's record: nobody imports into anyone else's.
pub async fn import(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    respond(import_bundle(&req, payload, &state).await)
}

async fn import_bundle(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
) -> Result<Value, Refusal> {
    let user = caller_for(req, state, true).await?;
    let media = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    if !matches!(
        media.as_deref(),
        Some("application/fhir+json" | "application/json")
    ) {
        return Err(Refusal::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "not-supported",
            "send the Bundle as application/fhir+json",
        ));
    }
    let too_large = || {
        Refusal::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-costly",
            format!("a Bundle of at most {IMPORT_MAX_BYTES} bytes"),
        )
    };
    let body = payload
        .to_bytes_limited(IMPORT_MAX_BYTES)
        .await
        .map_err(|_| too_large())?
        .map_err(|_| {
            Refusal::new(
                StatusCode::BAD_REQUEST,
                "invalid",
                "the body could not be read",
            )
        })?;
    let bundle: Value = serde_json::from_slice(&body).map_err(|err| {
        Refusal::new(
            StatusCode::BAD_REQUEST,
            "invalid",
            format!("the body is not JSON: {err}"),
        )
    })?;
    let now = state.services.clock.now();
    let plans = fhir::import::plan(&bundle, now)
        .map_err(|r| Refusal::new(StatusCode::BAD_REQUEST, r.code, r.message))?;
    let answers = fhir::imported::store(&state.db, user.id, plans, now).await?;
    Ok(fhir::imported::response(&base(req, state), &answers))
}

/// The routes, under `/fhir/r4`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("", web::post().to(import))
        .route("/", web::post().to(import))
        .route("/metadata", web::get().to(metadata))
        .route("/Patient/{id}/$everything", web::get().to(everything))
        .route("/Patient/{id}", web::get().to(patient))
        .route("/{type}", web::get().to(search))
        .route("/{type}/{id}", web::get().to(read));
}
