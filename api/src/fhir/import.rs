//! Reading a FHIR Bundle of vital signs to import into the caller's own record
//! (docs/fhir.md, "Import"): blood-pressure panels become blood-pressure assessments, a body
//! weight with a body height of the same Bundle becomes a BMI assessment. What this reads
//! decides nothing about storage (`http::fhir::import` stores); every entry it cannot take is
//! refused on its own, with the reason, and the others go on (a `batch`).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::Value;

use super::codes::{self, Code};
use crate::assessments::{
    engine::{
        blood_pressure::{BloodPressureInput, BloodPressureReading},
        bmi::BmiInput,
    },
    input::CreateHealthAssessmentInput,
};

/// Entries one Bundle may hold.
pub const MAX_ENTRIES: usize = 100;
/// How far ahead of the server's clock a measurement may be dated (clock skew).
const FUTURE_SLACK: Duration = Duration::minutes(5);

/// What to do with one entry of the Bundle, in the Bundle's order.
pub enum Plan {
    /// Store this assessment, once per `key`, dated `effective`.
    Create {
        key: String,
        effective: DateTime<Utc>,
        input: CreateHealthAssessmentInput,
    },
    /// A height taken into the BMI of entry `by` (it is stored there, not on its own).
    Used {
        by: usize,
    },
    Refused(Refusal),
}

/// Why an entry (or the whole Bundle) was not taken: an `OperationOutcome` issue code and a
/// message that says what to send instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}

fn refuse(code: &'static str, message: impl Into<String>) -> Refusal {
    Refusal {
        code,
        message: message.into(),
    }
}

/// A measurement read from an Observation.
enum Measured {
    BloodPressure { systolic: f64, diastolic: f64 },
    WeightKg(f64),
    HeightCm(f64),
}

struct Reading {
    key: String,
    effective: DateTime<Utc>,
    measured: Measured,
}

/// The plan for every entry of `bundle`; the whole Bundle is refused when it is not one this
/// server can take (not a Bundle, a `transaction`, too many entries).
pub fn plan(bundle: &Value, now: DateTime<Utc>) -> Result<Vec<Plan>, Refusal> {
    if bundle["resourceType"] != "Bundle" {
        return Err(refuse("invalid", "send a Bundle resource"));
    }
    match bundle["type"].as_str() {
        Some("batch" | "collection" | "searchset") => {}
        Some("transaction") => {
            return Err(refuse(
                "not-supported",
                "entries are imported one by one, each refused on its own: send type `batch`",
            ));
        }
        _ => {
            return Err(refuse(
                "invalid",
                "the Bundle's type must be batch, collection or searchset",
            ));
        }
    }
    let entries = match &bundle["entry"] {
        Value::Array(entries) => entries.as_slice(),
        Value::Null => &[],
        _ => return Err(refuse("invalid", "`entry` must be an array")),
    };
    if entries.len() > MAX_ENTRIES {
        return Err(refuse(
            "too-costly",
            format!("at most {MAX_ENTRIES} entries per Bundle; send the rest in another one"),
        ));
    }
    let readings: Vec<Result<Reading, Refusal>> =
        entries.iter().map(|entry| read_entry(entry, now)).collect();
    Ok(pair(readings))
}

/// Turns readings into plans: a weight takes the height of the Bundle measured nearest to it.
fn pair(readings: Vec<Result<Reading, Refusal>>) -> Vec<Plan> {
    let heights: Vec<(usize, DateTime<Utc>, f64)> = readings
        .iter()
        .enumerate()
        .filter_map(|(i, r)| match r {
            Ok(Reading {
                effective,
                measured: Measured::HeightCm(cm),
                ..
            }) => Some((i, *effective, *cm)),
            _ => None,
        })
        .collect();
    let mut plans: Vec<Plan> = Vec::with_capacity(readings.len());
    let mut used_by: Vec<Option<usize>> = vec![None; readings.len()];
    for (i, reading) in readings.into_iter().enumerate() {
        let plan = match reading {
            Err(refusal) => Plan::Refused(refusal),
            Ok(Reading {
                key,
                effective,
                measured:
                    Measured::BloodPressure {
                        systolic,
                        diastolic,
                    },
            }) => Plan::Create {
                key,
                effective,
                input: CreateHealthAssessmentInput::BloodPressure(BloodPressureInput {
                    readings: vec![BloodPressureReading {
                        systolic,
                        diastolic,
                    }],
                }),
            },
            Ok(Reading {
                key,
                effective,
                measured: Measured::WeightKg(weight_kg),
            }) => {
                let nearest = heights
                    .iter()
                    .min_by_key(|(_, at, _)| (*at - effective).num_seconds().abs());
                match nearest {
                    Some(&(h, _, height_cm)) => {
                        used_by[h].get_or_insert(i);
                        Plan::Create {
                            key,
                            effective,
                            input: CreateHealthAssessmentInput::Bmi(BmiInput {
                                height_cm,
                                weight_kg,
                            }),
                        }
                    }
                    None => Plan::Refused(refuse(
                        "required",
                        format!(
                            "a body weight is imported as a BMI, which needs a body height \
                             ({}) in the same Bundle",
                            codes::BODY_HEIGHT.code
                        ),
                    )),
                }
            }
            // Settled below, once every weight has chosen.
            Ok(Reading {
                measured: Measured::HeightCm(_),
                ..
            }) => Plan::Used { by: usize::MAX },
        };
        plans.push(plan);
    }
    for (i, plan) in plans.iter_mut().enumerate() {
        if let Plan::Used { by } = plan {
            match used_by[i] {
                Some(weight) => *by = weight,
                None => {
                    *plan = Plan::Refused(refuse(
                        "not-supported",
                        format!(
                            "a body height is stored only with a body weight ({}) of the same \
                             Bundle, as a BMI",
                            codes::BODY_WEIGHT.code
                        ),
                    ));
                }
            }
        }
    }
    plans
}

fn read_entry(entry: &Value, now: DateTime<Utc>) -> Result<Reading, Refusal> {
    let resource = &entry["resource"];
    if let Some(method) = entry["request"]["method"].as_str()
        && method != "POST"
    {
        return Err(refuse(
            "not-supported",
            format!("only POST (create) is imported, not {method}"),
        ));
    }
    match resource["resourceType"].as_str() {
        Some("Observation") => {}
        Some(other) => {
            return Err(refuse(
                "not-supported",
                format!("a {other} is not imported; only Observations of vital signs are"),
            ));
        }
        None => return Err(refuse("invalid", "the entry holds no resource")),
    }
    let key = match (entry["fullUrl"].as_str(), resource["id"].as_str()) {
        (Some(url), _) if !url.is_empty() && url.len() <= 1024 => url.to_owned(),
        (_, Some(id)) if is_fhir_id(id) => format!("Observation/{id}"),
        _ => {
            return Err(refuse(
                "required",
                "an imported Observation needs an id (or the entry a fullUrl): importing the \
                 same one again is recognised by it",
            ));
        }
    };
    match resource["status"].as_str() {
        Some("final" | "amended" | "corrected") => {}
        Some(status) => {
            return Err(refuse(
                "business-rule",
                format!(
                    "an Observation with status `{status}` is not imported; only final, amended or corrected ones"
                ),
            ));
        }
        None => return Err(refuse("required", "the Observation has no status")),
    }
    let effective = effective(resource, now)?;
    let measured = if has_code(&resource["code"], &codes::BLOOD_PRESSURE_PANEL) {
        let systolic = component(resource, &codes::SYSTOLIC)?;
        let diastolic = component(resource, &codes::DIASTOLIC)?;
        Measured::BloodPressure {
            systolic,
            diastolic,
        }
    } else if has_code(&resource["code"], &codes::BODY_WEIGHT) {
        Measured::WeightKg(quantity(&resource["valueQuantity"], "value", WEIGHT_UNITS)?)
    } else if has_code(&resource["code"], &codes::BODY_HEIGHT) {
        Measured::HeightCm(quantity(&resource["valueQuantity"], "value", HEIGHT_UNITS)?)
    } else {
        return Err(refuse(
            "not-supported",
            format!(
                "this Observation's code is not imported; send LOINC {} (blood pressure panel \
                 with components {} and {}), {} (body weight) or {} (body height)",
                codes::BLOOD_PRESSURE_PANEL.code,
                codes::SYSTOLIC.code,
                codes::DIASTOLIC.code,
                codes::BODY_WEIGHT.code,
                codes::BODY_HEIGHT.code
            ),
        ));
    };
    Ok(Reading {
        key,
        effective,
        measured,
    })
}

/// FHIR's `id` type: 1 to 64 of `A-Z a-z 0-9 - .`.
fn is_fhir_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

fn has_code(concept: &Value, code: &Code) -> bool {
    concept["coding"].as_array().is_some_and(|codings| {
        codings
            .iter()
            .any(|c| c["system"] == code.system && c["code"] == code.code)
    })
}

/// When it was measured: `effectiveDateTime` (a whole date at least; a date alone is its
/// start in UTC), `effectiveInstant`, or `effectivePeriod.start`. Not later than now.
fn effective(resource: &Value, now: DateTime<Utc>) -> Result<DateTime<Utc>, Refusal> {
    let text = resource["effectiveDateTime"]
        .as_str()
        .or_else(|| resource["effectiveInstant"].as_str())
        .or_else(|| resource["effectivePeriod"]["start"].as_str())
        .ok_or_else(|| {
            refuse(
                "required",
                "the Observation needs effectiveDateTime: when it was measured",
            )
        })?;
    let at = DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .or_else(|_| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(|date| date.and_time(chrono::NaiveTime::MIN).and_utc())
        })
        .map_err(|_| {
            refuse(
                "value",
                format!("`{text}` is not a date-time with a time zone, or a whole date"),
            )
        })?;
    if at > now + FUTURE_SLACK {
        return Err(refuse("value", format!("`{text}` is in the future")));
    }
    Ok(at)
}

/// The component of a panel with `code`, in mmHg.
fn component(resource: &Value, code: &Code) -> Result<f64, Refusal> {
    let found = resource["component"]
        .as_array()
        .and_then(|components| components.iter().find(|c| has_code(&c["code"], code)))
        .ok_or_else(|| {
            refuse(
                "required",
                format!("the blood pressure panel has no {} component", code.code),
            )
        })?;
    quantity(&found["valueQuantity"], code.display, PRESSURE_UNITS)
}

/// A unit this server converts from: (UCUM code, factor to ours).
type Units = &'static [(&'static str, f64)];
const PRESSURE_UNITS: Units = &[("mm[Hg]", 1.0)];
const WEIGHT_UNITS: Units = &[("kg", 1.0), ("g", 0.001), ("[lb_av]", 0.453_592_37)];
const HEIGHT_UNITS: Units = &[("cm", 1.0), ("m", 100.0), ("[in_i]", 2.54)];

/// A `Quantity` in one of `units` (UCUM codes), converted to the first.
fn quantity(value: &Value, what: &str, units: Units) -> Result<f64, Refusal> {
    let number = value["value"].as_f64().ok_or_else(|| {
        refuse(
            "required",
            format!("{what}: a valueQuantity with a numeric value is needed"),
        )
    })?;
    let code = value["code"].as_str().unwrap_or_default();
    let system_ok = value["system"].is_null() || value["system"] == codes::UCUM;
    match units.iter().find(|(unit, _)| *unit == code) {
        Some((_, factor)) if system_ok && number.is_finite() => Ok(number * factor),
        _ => Err(refuse(
            "value",
            format!(
                "{what}: the unit must be a UCUM code ({}), not `{code}`",
                units.iter().map(|(u, _)| *u).collect::<Vec<_>>().join(", ")
            ),
        )),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-12-03T12:00:00Z".parse().unwrap()
    }

    fn observation(id: &str, code: &str, extra: Value) -> Value {
        let mut resource = json!({
            "resourceType": "Observation",
            "id": id,
            "status": "final",
            "code": { "coding": [{ "system": codes::LOINC, "code": code }] },
            "effectiveDateTime": "2026-11-30T08:15:00+01:00",
        });
        for (k, v) in extra.as_object().unwrap() {
            resource[k] = v.clone();
        }
        json!({ "resource": resource })
    }

    fn bp(id: &str, systolic: f64, diastolic: f64) -> Value {
        let part = |code: &str, v: f64| {
            json!({ "code": { "coding": [{ "system": codes::LOINC, "code": code }] },
                    "valueQuantity": { "value": v, "system": codes::UCUM, "code": "mm[Hg]" } })
        };
        observation(
            id,
            "85354-9",
            json!({ "component": [part("8480-6", systolic), part("8462-4", diastolic)] }),
        )
    }

    fn measure(id: &str, code: &str, value: f64, unit: &str, at: &str) -> Value {
        observation(
            id,
            code,
            json!({ "valueQuantity": { "value": value, "system": codes::UCUM, "code": unit },
                    "effectiveDateTime": at }),
        )
    }

    fn batch(entries: Vec<Value>) -> Value {
        json!({ "resourceType": "Bundle", "type": "batch", "entry": entries })
    }

    fn refusal(plan: &Plan) -> &Refusal {
        match plan {
            Plan::Refused(r) => r,
            _ => panic!("not refused"),
        }
    }

    #[test]
    fn a_blood_pressure_panel_becomes_one_reading_dated_when_measured() {
        let plans = plan(&batch(vec![bp("bp1", 132.0, 84.0)]), now()).unwrap();
        let Plan::Create {
            key,
            effective,
            input: CreateHealthAssessmentInput::BloodPressure(input),
        } = &plans[0]
        else {
            panic!("a blood pressure")
        };
        assert_eq!(key, "Observation/bp1");
        assert_eq!(effective.to_rfc3339(), "2026-11-30T07:15:00+00:00");
        assert_eq!(input.readings.len(), 1);
        assert_eq!(input.readings[0].systolic, 132.0);
        assert_eq!(input.readings[0].diastolic, 84.0);
    }

    #[test]
    fn a_weight_takes_the_nearest_height_in_converted_units() {
        let plans = plan(
            &batch(vec![
                measure("h-old", "8302-2", 1.70, "m", "2020-01-01"),
                measure("w", "29463-7", 154.0, "[lb_av]", "2026-11-01T10:00:00Z"),
                measure("h-new", "8302-2", 68.0, "[in_i]", "2026-10-01T10:00:00Z"),
            ]),
            now(),
        )
        .unwrap();
        let Plan::Create {
            input: CreateHealthAssessmentInput::Bmi(bmi),
            ..
        } = &plans[1]
        else {
            panic!("a BMI")
        };
        assert!((bmi.height_cm - 172.72).abs() < 1e-9);
        assert!((bmi.weight_kg - 69.853_224_98).abs() < 1e-6);
        assert!(matches!(plans[2], Plan::Used { by: 1 }));
        assert_eq!(refusal(&plans[0]).code, "not-supported", "an unused height");
    }

    #[test]
    fn each_bad_entry_is_refused_with_its_reason_and_the_rest_go_on() {
        let mut no_id = bp("x", 120.0, 80.0);
        no_id["resource"].as_object_mut().unwrap().remove("id");
        let mut preliminary = bp("p", 120.0, 80.0);
        preliminary["resource"]["status"] = json!("preliminary");
        let mut future = bp("f", 120.0, 80.0);
        future["resource"]["effectiveDateTime"] = json!("2027-01-01T00:00:00Z");
        let mut undated = bp("u", 120.0, 80.0);
        undated["resource"]
            .as_object_mut()
            .unwrap()
            .remove("effectiveDateTime");
        let mut kpa = bp("k", 120.0, 80.0);
        kpa["resource"]["component"][0]["valueQuantity"]["code"] = json!("kPa");
        let mut half_panel = bp("h", 120.0, 80.0);
        half_panel["resource"]["component"]
            .as_array_mut()
            .unwrap()
            .pop();
        let glucose = measure("g", "2345-7", 99.0, "mg/dL", "2026-11-01");
        let patient = json!({ "resource": { "resourceType": "Patient", "id": "p1" } });
        let mut delete = bp("d", 120.0, 80.0);
        delete["request"] = json!({ "method": "DELETE", "url": "Observation/d" });
        let lone_weight = measure("w", "29463-7", 70.0, "kg", "2026-11-01");
        let plans = plan(
            &batch(vec![
                no_id,
                preliminary,
                future,
                undated,
                kpa,
                half_panel,
                glucose,
                patient,
                delete,
                lone_weight,
                bp("ok", 118.0, 76.0),
            ]),
            now(),
        )
        .unwrap();
        let codes: Vec<&str> = plans[..10].iter().map(|p| refusal(p).code).collect();
        assert_eq!(
            codes,
            [
                "required",
                "business-rule",
                "value",
                "required",
                "value",
                "required",
                "not-supported",
                "not-supported",
                "not-supported",
                "required"
            ]
        );
        assert!(refusal(&plans[4]).message.contains("mm[Hg]"));
        assert!(refusal(&plans[5]).message.contains("8462-4"));
        assert!(matches!(plans[10], Plan::Create { .. }));
    }

    #[test]
    fn bundles_this_server_cannot_take_are_refused_whole() {
        let transaction = json!({ "resourceType": "Bundle", "type": "transaction", "entry": [] });
        assert_eq!(
            plan(&transaction, now()).err().unwrap().code,
            "not-supported"
        );
        let not_a_bundle = json!({ "resourceType": "Observation" });
        assert_eq!(plan(&not_a_bundle, now()).err().unwrap().code, "invalid");
        let too_many = batch(vec![bp("b", 120.0, 80.0); MAX_ENTRIES + 1]);
        assert_eq!(plan(&too_many, now()).err().unwrap().code, "too-costly");
        assert!(plan(&batch(vec![]), now()).unwrap().is_empty());
    }
}
