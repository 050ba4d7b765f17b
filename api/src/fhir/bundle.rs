//! Bundles, OperationOutcomes and the CapabilityStatement.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{
    entry::{Entry, instant},
    search::DEFAULT_COUNT,
};

/// A `searchset` Bundle: `total` matches, this page's entries, `self` and `next` links.
/// `base` is the FHIR base URL (`…/fhir/r4`), for each entry's `fullUrl`.
pub fn searchset(
    base: &str,
    total: usize,
    entries: &[Entry],
    self_link: &str,
    next_link: Option<&str>,
    warnings: &[String],
) -> Value {
    let mut items: Vec<Value> = entries
        .iter()
        .map(|e| {
            json!({
                "fullUrl": format!("{base}/{}", e.reference()),
                "resource": e.resource,
                "search": { "mode": if e.resource_type == "Patient" || e.resource_type == "Practitioner" { "include" } else { "match" } },
            })
        })
        .collect();
    if !warnings.is_empty() {
        items.push(json!({
            "resource": outcome("warning", "suppressed", warnings),
            "search": { "mode": "outcome" },
        }));
    }
    let mut link = vec![json!({ "relation": "self", "url": self_link })];
    if let Some(next) = next_link {
        link.push(json!({ "relation": "next", "url": next }));
    }
    let mut bundle = json!({
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": link,
    });
    if !items.is_empty() {
        bundle["entry"] = Value::Array(items);
    }
    bundle
}

/// A `collection` Bundle of a whole record (the export). `base`, when known, gives each
/// entry an absolute `fullUrl`.
pub fn collection(base: Option<&str>, entries: &[Entry], now: DateTime<Utc>) -> Value {
    let items: Vec<Value> = entries
        .iter()
        .map(|e| match base {
            Some(base) => {
                json!({ "fullUrl": format!("{base}/{}", e.reference()), "resource": e.resource })
            }
            None => json!({ "resource": e.resource }),
        })
        .collect();
    let mut bundle = json!({
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": instant(now),
    });
    if !items.is_empty() {
        bundle["entry"] = Value::Array(items);
    }
    bundle
}

/// An `OperationOutcome` of one issue per message.
pub fn outcome(severity: &str, code: &str, messages: &[String]) -> Value {
    let issues: Vec<Value> = messages
        .iter()
        .map(|m| json!({ "severity": severity, "code": code, "diagnostics": m }))
        .collect();
    json!({ "resourceType": "OperationOutcome", "issue": issues })
}

/// A search parameter as the CapabilityStatement lists it.
fn param(name: &str, kind: &str, documentation: &str) -> Value {
    json!({ "name": name, "type": kind, "documentation": documentation })
}

/// What this server does, truthfully: reads, the vital-signs import, JSON, bearer tokens, the types and search
/// parameters `http::fhir` implements.
pub fn capability_statement(base: &str, version: &str, published: DateTime<Utc>) -> Value {
    let common = || {
        vec![
            param(
                "patient",
                "reference",
                "Patient/{id} or {id}; defaults to the caller's own record. A clinician must name a patient who granted them access. `subject` is a synonym.",
            ),
            param(
                "date",
                "date",
                "When measured, answered, assessed or uploaded; prefixes eq, gt, lt, ge, le; any precision from a year to seconds.",
            ),
            param(
                "_count",
                "number",
                &format!(
                    "Results per page (default {DEFAULT_COUNT}, at most {}); 0 gives the total only.",
                    super::search::MAX_COUNT
                ),
            ),
        ]
    };
    let with = |extra: Vec<Value>| {
        let mut params = common();
        params.extend(extra);
        params
    };
    let category = param(
        "category",
        "token",
        "system|code, code or system|; comma-separated values are alternatives.",
    );
    let code = param(
        "code",
        "token",
        "system|code, code or system|; comma-separated values are alternatives.",
    );
    let search = |kind: &str, params: Vec<Value>, documentation: &str| {
        json!({
            "type": kind,
            "interaction": [{ "code": "read" }, { "code": "search-type" }],
            "searchParam": params,
            "documentation": documentation,
        })
    };
    json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": instant(published),
        "publisher": "Echo Health",
        "kind": "instance",
        "software": { "name": "Echo Health API", "version": version },
        "implementation": { "description": "Echo Health API: a person's own health record, read, and vital signs imported into it", "url": base },
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [{
            "mode": "server",
            "interaction": [{ "code": "batch", "documentation": "Imports vital-sign Observations into the caller's own record; see the documentation above and docs/fhir.md, \"Import\"." }],
            "documentation": "Reads the record; writes only by importing vital signs (a `batch` Bundle POSTed to the base: blood-pressure panels 85354-9, and body weight 29463-7 with a body height 8302-2 as a BMI, into the caller's own record, once per entry fullUrl or Observation id). Every request needs `Authorization: Bearer <session token>` (the same tokens as the GraphQL API). A person reads their own record; a clinician reads a patient's record only through a live care-team grant, within its scopes, and every such read is recorded in the patient's audit log. Unknown search parameters are refused (400), never ignored. Paging follows the Bundle's `next` link.",
            "security": {
                "cors": false,
                "description": "Bearer session tokens from the GraphQL `signIn` mutation; see docs/fhir.md."
            },
            "resource": [
                {
                    "type": "Patient",
                    "interaction": [{ "code": "read" }],
                    "operation": [{ "name": "everything", "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything" }],
                    "documentation": "The account holder: name, birth date, gender, email and phone. `$everything` returns the whole record the caller may see (with `_count` paging)."
                },
                search("Observation", with(vec![category.clone(), code.clone()]), "Vital signs (blood pressure, BMI, height, weight), questionnaire scores (PHQ-9, GAD-7) and laboratory values from analysed reports."),
                search("DiagnosticReport", with(vec![category.clone(), code.clone()]), "One per analysed report, grouping its laboratory Observations."),
                search("DocumentReference", with(vec![category.clone(), code.clone()]), "One per uploaded report file; the attachment URL is a signed, short-lived download link."),
                search("RiskAssessment", with(vec![code.clone()]), "Framingham, FINDRISC and PREVENT results; code is urn:echo-health:fhir:codes|cardiovascular, diabetes or prevent."),
                search("QuestionnaireResponse", with(vec![code]), "PHQ-9 and GAD-7 answers; code matches the questionnaire's LOINC panel code; `authored` is a synonym of `date`."),
                search("Provenance", with(vec![]), "Marks text written by an AI model (report summaries, assessment suggestions) as such."),
            ]
        }]
    })
}
