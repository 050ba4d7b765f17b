//! The settings the app knows, with their type, default and allowed values, and the rules for
//! custom settings (`custom.` prefix). A value is validated and normalised before it is stored,
//! so what `me.settings` returns can be read without guessing.

use crate::{enums::SettingType, reminders::schedule::Schedule};

pub const CUSTOM_PREFIX: &str = "custom.";
/// Longest custom key (the prefix included; the column holds 100).
pub const MAX_CUSTOM_KEY_CHARS: usize = 64;
pub const MAX_CUSTOM_VALUE_CHARS: usize = 2048;
/// Custom settings one user may keep.
pub const MAX_CUSTOM_SETTINGS: usize = 50;

/// How a known setting's value is checked.
#[derive(Debug, Clone, Copy)]
pub enum Rule {
    OneOf(&'static [&'static str]),
    Boolean,
    /// A well-formed BCP 47 language tag.
    LanguageTag,
    /// The reminder schedule JSON (docs/settings.md).
    ReminderSchedule,
}

#[derive(Debug)]
pub struct Known {
    pub key: &'static str,
    pub setting_type: SettingType,
    pub default: &'static str,
    pub rule: Rule,
    pub description: &'static str,
}

pub static KNOWN: &[Known] = &[
    Known {
        key: "theme",
        setting_type: SettingType::String,
        default: "system",
        rule: Rule::OneOf(&["light", "dark", "system"]),
        description: "Colour scheme of the app.",
    },
    Known {
        key: "units",
        setting_type: SettingType::String,
        default: "metric",
        rule: Rule::OneOf(&["metric", "imperial"]),
        description: "Units for weights, heights and lab values shown to the user.",
    },
    Known {
        key: "language",
        setting_type: SettingType::String,
        default: "en",
        rule: Rule::LanguageTag,
        description: "Preferred language as a BCP 47 tag, e.g. en, de-AT, pt-BR.",
    },
    Known {
        key: "notifications_email",
        setting_type: SettingType::Boolean,
        default: "true",
        rule: Rule::Boolean,
        description: "Whether the app may send notification emails.",
    },
    Known {
        key: "notifications_push",
        setting_type: SettingType::Boolean,
        default: "true",
        rule: Rule::Boolean,
        description: "Whether the app may send push notifications.",
    },
    Known {
        key: "ai_context_sharing",
        setting_type: SettingType::Boolean,
        default: "false",
        rule: Rule::Boolean,
        description: "Whether a summary of the user's assessments and lab findings may be sent to the external AI model in chat.",
    },
    Known {
        key: "reminder_schedule",
        setting_type: SettingType::Json,
        default: r#"{"reminders":[],"timezone":"UTC"}"#,
        rule: Rule::ReminderSchedule,
        description: "Reminders: {\"timezone\": IANA name, \"reminders\": [{\"label\", \"time\": \"HH:MM\", \"days\": [\"mon\", ...]}]}.",
    },
];

pub fn known(key: &str) -> Option<&'static Known> {
    KNOWN.iter().find(|k| k.key == key)
}

/// The value to store for `key`, normalised, with its type; `Err` says why not (for the
/// user). `custom_type` is the type a custom setting is declared with.
pub fn validate(
    key: &str,
    value: &str,
    custom_type: Option<SettingType>,
) -> Result<(String, SettingType), String> {
    if let Some(known) = known(key) {
        if custom_type.is_some_and(|t| t != known.setting_type) {
            return Err(format!(
                "`{key}` is a {} setting",
                known.setting_type.as_db()
            ));
        }
        let value = match known.rule {
            Rule::OneOf(allowed) => {
                let value = value.trim().to_ascii_lowercase();
                if !allowed.contains(&value.as_str()) {
                    return Err(format!("`{key}` is one of {}", allowed.join(", ")));
                }
                value
            }
            Rule::Boolean => boolean(value).map_err(|why| format!("`{key}` {why}"))?,
            Rule::LanguageTag => language_tag(value).map_err(|why| format!("`{key}` {why}"))?,
            Rule::ReminderSchedule => {
                reminder_schedule(value).map_err(|why| format!("`{key}`: {why}"))?
            }
        };
        return Ok((value, known.setting_type));
    }
    let Some(name) = key.strip_prefix(CUSTOM_PREFIX) else {
        return Err(format!(
            "`{key}` is not a known setting; app-specific settings start with `{CUSTOM_PREFIX}`"
        ));
    };
    let key_ok = key.chars().count() <= MAX_CUSTOM_KEY_CHARS
        && !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(c));
    if !key_ok {
        return Err(format!(
            "a custom key is `{CUSTOM_PREFIX}` and 1 to {} of a-z, 0-9, _ . -",
            MAX_CUSTOM_KEY_CHARS - CUSTOM_PREFIX.len()
        ));
    }
    if value.chars().count() > MAX_CUSTOM_VALUE_CHARS {
        return Err(format!(
            "a custom value has at most {MAX_CUSTOM_VALUE_CHARS} characters"
        ));
    }
    let setting_type = custom_type.unwrap_or(SettingType::String);
    let value = match setting_type {
        SettingType::String => value.to_owned(),
        SettingType::Integer => value
            .trim()
            .parse::<i64>()
            .map(|n| n.to_string())
            .map_err(|_| format!("`{key}` is not an integer"))?,
        SettingType::Float => value
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(|f| f.to_string())
            .ok_or_else(|| format!("`{key}` is not a finite number"))?,
        SettingType::Boolean => boolean(value).map_err(|why| format!("`{key}` {why}"))?,
        SettingType::Json => serde_json::from_str::<serde_json::Value>(value)
            .map(|v| v.to_string())
            .map_err(|_| format!("`{key}` is not valid JSON"))?,
    };
    Ok((value, setting_type))
}

fn boolean(value: &str) -> Result<String, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" => Ok("true".into()),
        "false" => Ok("false".into()),
        _ => Err("is true or false".into()),
    }
}

fn language_tag(value: &str) -> Result<String, String> {
    let tag = language_tags::LanguageTag::parse(value.trim())
        .map_err(|_| "is not a well-formed BCP 47 language tag".to_owned())?;
    if tag.as_str().len() > 35 {
        return Err("is longer than 35 characters".into());
    }
    Ok(tag.as_str().to_owned())
}

/// Checked by `reminders::schedule` (the zone against the IANA database).
fn reminder_schedule(value: &str) -> Result<String, String> {
    Schedule::parse(value)?;
    // Stored compact, keys in alphabetical order.
    serde_json::from_str::<serde_json::Value>(value)
        .map(|v| v.to_string())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::reminders::schedule::{DAYS, MAX_REMINDERS};

    fn any_key() -> impl Strategy<Value = String> {
        prop_oneof![
            proptest::sample::select(KNOWN.iter().map(|k| k.key.to_owned()).collect::<Vec<_>>()),
            "custom\\.[a-z0-9_.-]{0,70}",
            "\\PC{0,30}",
        ]
    }

    fn any_value() -> impl Strategy<Value = String> {
        prop_oneof![
            "\\PC{0,120}",
            " ?-?[0-9]{1,25}(\\.[0-9]{0,6})?([eE][+-]?[0-9]{1,3})? ?",
            any::<f64>().prop_map(|f| f.to_string()),
            "(true|false|TRUE|False|yes|1| true )",
            "(light|dark|system|metric|imperial|[a-z]{2}(-[A-Z]{2})?)",
            schedule().prop_map(|v| v.to_string()),
            "\\{\"timezone\":\"[A-Za-z/_+-]{0,70}\",\"reminders\":\\[\\{\"label\":\"\\PC{0,70}\",\"time\":\"[0-9:]{0,6}\",\"days\":\\[\"(mon|tue|sun|xyz)\"\\]\\}\\]\\}",
        ]
    }

    fn any_type() -> impl Strategy<Value = Option<SettingType>> {
        proptest::option::of(proptest::sample::select(vec![
            SettingType::String,
            SettingType::Integer,
            SettingType::Float,
            SettingType::Boolean,
            SettingType::Json,
        ]))
    }

    /// A reminder schedule that keeps every documented rule.
    fn schedule() -> impl Strategy<Value = serde_json::Value> {
        let reminder = (
            "[A-Za-z0-9][A-Za-z0-9 ,.-]{0,40}[A-Za-z]",
            0u32..24,
            0u32..60,
            proptest::sample::subsequence(DAYS.to_vec(), 1..=7),
        )
            .prop_map(|(label, hour, minute, days)| {
                serde_json::json!({ "label": label, "time": format!("{hour:02}:{minute:02}"), "days": days })
            });
        (
            proptest::sample::select(chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect::<Vec<_>>()),
            proptest::collection::vec(reminder, 0..=MAX_REMINDERS),
        )
            .prop_map(|(timezone, reminders)| {
                serde_json::json!({ "timezone": timezone, "reminders": reminders })
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(10_000))]

        #[test]
        fn any_setting_is_stored_in_a_form_that_validates_to_itself(
            key in any_key(),
            value in any_value(),
            setting_type in any_type(),
        ) {
            if let Ok((stored, stored_type)) = validate(&key, &value, setting_type) {
                prop_assert_eq!(
                    validate(&key, &stored, Some(stored_type)),
                    Ok((stored.clone(), stored_type)),
                    "{}={:?} stored as {:?}", key, value, stored
                );
            }
        }

        #[test]
        fn every_well_formed_reminder_schedule_is_accepted_unchanged(schedule in schedule()) {
            let (stored, _) = validate("reminder_schedule", &schedule.to_string(), None).unwrap();
            prop_assert_eq!(serde_json::from_str::<serde_json::Value>(&stored).unwrap(), schedule);
        }
    }

    fn ok(key: &str, value: &str) -> String {
        validate(key, value, None)
            .unwrap_or_else(|e| panic!("{key}={value}: {e}"))
            .0
    }

    fn refused(key: &str, value: &str) {
        assert!(
            validate(key, value, None).is_err(),
            "{key}={value} was accepted"
        );
    }

    #[test]
    fn defaults_pass_their_own_rules() {
        for known in KNOWN {
            assert_eq!(ok(known.key, known.default), known.default, "{}", known.key);
        }
    }

    #[test]
    fn each_rule() {
        assert_eq!(ok("theme", " Dark "), "dark");
        refused("theme", "blue");
        assert_eq!(ok("units", "imperial"), "imperial");
        refused("units", "metrics");
        assert_eq!(ok("language", "de-AT"), "de-AT");
        assert_eq!(ok("language", "zh-Hant-TW"), "zh-Hant-TW");
        refused("language", "english please");
        refused("language", "e");
        assert_eq!(ok("notifications_push", "FALSE"), "false");
        refused("notifications_push", "yes");
        let schedule = r#"{"timezone":"Europe/Berlin","reminders":[{"label":"Blood pressure","time":"08:30","days":["mon","thu"]}]}"#;
        let stored = ok("reminder_schedule", schedule);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&stored).unwrap(),
            serde_json::from_str::<serde_json::Value>(schedule).unwrap()
        );
        refused(
            "reminder_schedule",
            r#"{"timezone":"UTC","reminders":[{"label":"x","time":"25:00","days":["mon"]}]}"#,
        );
        refused(
            "reminder_schedule",
            r#"{"timezone":"UTC","reminders":[{"label":"x","time":"08:00","days":["mon","mon"]}]}"#,
        );
        refused(
            "reminder_schedule",
            r#"{"timezone":"UTC","reminders":[],"extra":1}"#,
        );
        refused(
            "reminder_schedule",
            r#"{"timezone":"Europe/Nowhere","reminders":[]}"#,
        );
        refused("reminder_schedule", "[]");
    }

    #[test]
    fn custom_settings() {
        assert_eq!(
            validate("custom.widget_order", "a,b", None).unwrap().1,
            SettingType::String
        );
        assert_eq!(
            validate("custom.count", " 42 ", Some(SettingType::Integer))
                .unwrap()
                .0,
            "42"
        );
        assert!(validate("custom.count", "4.2", Some(SettingType::Integer)).is_err());
        assert!(validate("custom.ratio", "NaN", Some(SettingType::Float)).is_err());
        assert_eq!(
            validate("custom.obj", r#"{ "a": 1 }"#, Some(SettingType::Json))
                .unwrap()
                .0,
            r#"{"a":1}"#
        );
        assert!(validate("custom.", "x", None).is_err());
        assert!(validate("custom.Upper", "x", None).is_err());
        assert!(validate(&format!("custom.{}", "k".repeat(58)), "x", None).is_err());
        assert!(validate("custom.big", &"v".repeat(2049), None).is_err());
        assert!(validate("favourite_colour", "red", None).is_err());
        assert!(validate("theme", "dark", Some(SettingType::Integer)).is_err());
    }
}
