//! What every FHIR resource made from one stored assessment shares.

use entity::health_assessments;
use serde_json::{Map, Value, json};

use crate::fhir::{
    codes::{self, Code},
    entry::{Entry, concept, id, instant, observation_category},
};

/// What every resource of one assessment shares.
pub(super) struct Base<'a> {
    pub row: &'a health_assessments::Model,
    pub subject: Value,
    pub at: chrono::DateTime<chrono::Utc>,
}

impl Base<'_> {
    pub fn id(&self, suffix: Option<&str>) -> String {
        let own = self.row.id.to_string();
        match suffix {
            Some(suffix) => id(&["assessment", &own, suffix]),
            None => id(&["assessment", &own]),
        }
    }

    pub fn entry(&self, resource_type: &'static str, id: String, resource: Value) -> Entry {
        let mut entry = Entry::new(resource_type, id, resource);
        entry.date = Some(self.at);
        entry
    }

    /// An `Observation` with the fields every one of ours has.
    pub fn observation(
        &self,
        id: String,
        category: (&'static str, &'static str),
        code: &Code,
        mut body: Map<String, Value>,
    ) -> Entry {
        let mut resource = json!({
            "resourceType": "Observation",
            "id": id,
            "status": "final",
            "category": observation_category(category.0, category.1),
            "code": concept(code),
            "subject": self.subject,
            "effectiveDateTime": instant(self.at),
        });
        if let Value::Object(map) = &mut resource {
            map.append(&mut body);
        }
        let mut entry = self.entry("Observation", id, resource);
        entry
            .categories
            .push((codes::OBSERVATION_CATEGORY, category.0));
        entry.codes.push((code.system, code.code));
        entry
    }
}
