//! One FHIR resource as the server holds it before it is sent: the JSON, and what searches
//! match it on (the same values the JSON carries, kept beside it so that a search does not
//! read JSON back), plus the small builders every mapping uses.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::codes::{self, Code};

/// A resource, with its search keys.
#[derive(Debug, Clone)]
pub struct Entry {
    pub resource_type: &'static str,
    pub id: String,
    /// The clinically relevant time (`date` searches): when measured, answered or assessed.
    pub date: Option<DateTime<Utc>>,
    /// Category codes as (system, code).
    pub categories: Vec<(&'static str, &'static str)>,
    /// Codes as (system, code): the resource's `code` and its components' codes.
    pub codes: Vec<(&'static str, &'static str)>,
    pub resource: Value,
}

impl Entry {
    pub fn new(resource_type: &'static str, id: String, mut resource: Value) -> Self {
        prune(&mut resource);
        Self {
            resource_type,
            id,
            date: None,
            categories: Vec::new(),
            codes: Vec::new(),
            resource,
        }
    }

    /// `Type/id`, as references write it.
    pub fn reference(&self) -> String {
        format!("{}/{}", self.resource_type, self.id)
    }
}

/// `{"reference": "Type/id"}`.
pub fn reference(resource_type: &str, id: impl std::fmt::Display) -> Value {
    json!({ "reference": format!("{resource_type}/{id}") })
}

/// A FHIR `instant`/`dateTime`: UTC, milliseconds, `Z`.
pub fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub fn date(on: NaiveDate) -> String {
    on.format("%Y-%m-%d").to_string()
}

pub fn coding(code: &Code) -> Value {
    json!({ "system": code.system, "code": code.code, "display": code.display })
}

/// A CodeableConcept of one coding, with the display as text.
pub fn concept(code: &Code) -> Value {
    json!({ "coding": [coding(code)], "text": code.display })
}

/// A Quantity in a UCUM unit.
pub fn quantity(value: f64, unit: &str, ucum: &str) -> Value {
    json!({ "value": value, "unit": unit, "system": codes::UCUM, "code": ucum })
}

/// A category of `observation-category` (`vital-signs`, `laboratory`, `survey`).
pub fn observation_category(code: &'static str, display: &'static str) -> Value {
    json!([{ "coding": [{ "system": codes::OBSERVATION_CATEGORY, "code": code, "display": display }] }])
}

/// `v3-ObservationInterpretation` codes.
pub fn interpretation(code: &'static str) -> Value {
    let display = match code {
        "H" => "High",
        "L" => "Low",
        "HH" => "Critical high",
        "LL" => "Critical low",
        _ => "Normal",
    };
    json!([{ "coding": [{ "system": codes::INTERPRETATION, "code": code, "display": display }],
             "text": display }])
}

/// Drops nulls, empty strings, empty arrays and empty objects at every depth: FHIR JSON has
/// absent elements, never empty ones (so the mappings may write `null` for "not known").
pub fn prune(value: &mut Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(items) => {
            items.retain_mut(prune);
            !items.is_empty()
        }
        Value::Object(map) => {
            map.retain(|_, v| prune(v));
            !map.is_empty()
        }
        _ => true,
    }
}

/// A resource id from parts (FHIR ids allow letters, digits, `-` and `.`, at most 64).
pub fn id(parts: &[&str]) -> String {
    parts
        .join("-")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect()
}

/// A path segment with everything but unreserved ASCII percent-encoded (FHIR `url`s hold no
/// spaces; file names may).
pub fn path_segment(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The members of a JSON object (none for anything else).
pub fn object(value: Value) -> serde_json::Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    }
}
