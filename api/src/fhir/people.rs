//! Accounts as FHIR: the owner of a record as `Patient`, a clinician who wrote doctor notes as
//! `Practitioner`. Names, birth date, gender and contact points only: never the password,
//! role, verification or other internal flags.

use entity::users;
use serde_json::{Value, json};

use super::entry::{Entry, date, instant};

fn name(user: &users::Model) -> Value {
    json!([{ "use": "official", "family": user.last_name, "given": [user.first_name] }])
}

fn telecom(user: &users::Model) -> Value {
    let mut points = vec![json!({ "system": "email", "value": user.email })];
    if let Some(phone) = user.phone_number.as_deref().filter(|p| !p.is_empty()) {
        points.push(json!({ "system": "phone", "value": phone }));
    }
    Value::Array(points)
}

/// FHIR's administrative gender for the profile's answer: `non_binary` and `other` are
/// `other`, `prefer_not_to_say` is `unknown`, no answer is no element.
fn gender(value: Option<&str>) -> Option<&'static str> {
    Some(match value? {
        "female" => "female",
        "male" => "male",
        "prefer_not_to_say" => "unknown",
        _ => "other",
    })
}

pub fn patient(user: &users::Model) -> Entry {
    let resource = json!({
        "resourceType": "Patient",
        "id": user.id.to_string(),
        "meta": { "lastUpdated": instant(user.updated_at.to_utc()) },
        "active": user.is_active,
        "name": name(user),
        "telecom": telecom(user),
        "gender": gender(user.gender.as_deref()),
        "birthDate": user.date_of_birth.map(date),
    });
    Entry::new("Patient", user.id.to_string(), resource)
}

pub fn practitioner(user: &users::Model) -> Entry {
    let resource = json!({
        "resourceType": "Practitioner",
        "id": user.id.to_string(),
        "active": user.is_active,
        "name": name(user),
        "telecom": [{ "system": "email", "value": user.email, "use": "work" }],
    });
    Entry::new("Practitioner", user.id.to_string(), resource)
}

#[cfg(test)]
mod tests {
    use super::gender;

    #[test]
    fn every_profile_gender_has_a_fhir_gender() {
        for value in crate::enums::Gender::ALL {
            assert!(gender(Some(value.as_db())).is_some());
        }
        assert_eq!(gender(Some("non_binary")), Some("other"));
        assert_eq!(gender(Some("prefer_not_to_say")), Some("unknown"));
        assert_eq!(gender(None), None);
    }
}
