//! The plain-language summary stored in `ai_insights`: from the AI provider when one is
//! configured (given the extracted values only, never the document's text), otherwise, or when
//! the provider fails, from the built-in summariser. The summary explains the extracted
//! numbers; it never changes them, and it never diagnoses ("consistent with", not "you have").

use serde_json::{Value, json};

use super::labs::{Flag, LabValue};
use crate::ai::{AiProvider, plain_text};

pub const MAX_SUMMARY_CHARS: usize = 1500;

pub const NOT_ADVICE: &str = "This summary explains the numbers in your report; it is not a diagnosis. Please discuss your results with your doctor.";

const SYSTEM_PROMPT: &str = "You explain lab results to the person they belong to, in plain \
language. You get the values extracted from their report, each flagged LOW, NORMAL, HIGH or \
CRITICAL against a reference range. Answer with a JSON object {\"summary\": \"...\"}: at most \
1200 characters, no markup or links. Mention the values outside their range first; for \
CRITICAL values say to contact a doctor promptly. Do not diagnose, do not change any number, \
say \"consistent with\" rather than naming a condition as certain.";

/// Where a summary came from (recorded in `analysis_result.insights`).
pub struct Summary {
    pub text: String,
    pub record: Value,
}

fn value_text(value: &LabValue) -> String {
    let qualifier = value.qualifier.unwrap_or("");
    let number = format_number(value.value);
    format!("{} {qualifier}{number} {}", value.name, value.unit)
}

fn format_number(value: f64) -> String {
    let text = format!("{value:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn range_text(value: &LabValue) -> String {
    let range = &value.range;
    let unit = &range.unit;
    match (range.low, range.high) {
        (Some(low), Some(high)) => {
            format!("{}-{} {unit}", format_number(low), format_number(high))
        }
        (None, Some(high)) => format!("below {} {unit}", format_number(high)),
        (Some(low), None) => format!("{} {unit} or more", format_number(low)),
        (None, None) => String::new(),
    }
}

/// The built-in summary: counts, then each value outside its range, critical ones first.
pub fn built_in(values: &[LabValue]) -> String {
    if values.is_empty() {
        return format!(
            "No lab values we recognise were found in this document, so nothing was compared \
             with reference ranges. {NOT_ADVICE}"
        );
    }
    let count = |flag: Flag| values.iter().filter(|v| v.flag == Some(flag)).count();
    let (critical, high, low, normal) = (
        count(Flag::Critical),
        count(Flag::High),
        count(Flag::Low),
        count(Flag::Normal),
    );
    let mut text = format!(
        "We found {} lab value{} in this report; {normal} {} within the reference range.",
        values.len(),
        if values.len() == 1 { "" } else { "s" },
        if normal == 1 { "is" } else { "are" },
    );
    if critical > 0 {
        let names: Vec<String> = values
            .iter()
            .filter(|v| v.flag == Some(Flag::Critical))
            .map(value_text)
            .collect();
        text.push_str(&format!(
            " {} far outside the usual range ({}): please contact your doctor or care team promptly.",
            if critical == 1 { "One value is" } else { "Some values are" },
            names.join("; ")
        ));
    }
    for (flag, word) in [(Flag::High, "Above"), (Flag::Low, "Below")] {
        let listed: Vec<String> = values
            .iter()
            .filter(|v| v.flag == Some(flag))
            .map(|v| format!("{} (range {})", value_text(v), range_text(v)))
            .collect();
        if !listed.is_empty() {
            text.push_str(&format!(" {word} the range: {}.", listed.join("; ")));
        }
    }
    if high + low + critical == 0 {
        text.push_str(" None is outside its range.");
    }
    text.push(' ');
    text.push_str(NOT_ADVICE);
    text
}

/// The provider's summary, checked; `Err` says why it was not used.
pub async fn from_ai(ai: &dyn AiProvider, values: &[LabValue]) -> Result<String, String> {
    let question = json!({
        "values": values.iter().map(|v| json!({
            "name": v.name,
            "value": v.value,
            "qualifier": v.qualifier,
            "unit": v.unit,
            "range": { "low": v.range.low, "high": v.range.high, "unit": v.range.unit },
            "flag": v.flag,
        })).collect::<Vec<_>>(),
    });
    let answer = ai
        .complete_json(SYSTEM_PROMPT, &question.to_string())
        .await
        .map_err(|err| err.to_string())?;
    let text = answer["summary"]
        .as_str()
        .ok_or("the answer has no summary")?;
    let text = plain_text(text, MAX_SUMMARY_CHARS).map_err(|why| format!("the summary {why}"))?;
    Ok(format!("{text} {NOT_ADVICE}"))
}

/// The AI summary when a provider is configured and answers well; the built-in one otherwise.
pub async fn summarise(ai: Option<&dyn AiProvider>, values: &[LabValue]) -> Summary {
    let Some(ai) = ai else {
        return Summary {
            text: built_in(values),
            record: json!({ "source": "built_in" }),
        };
    };
    match from_ai(ai, values).await {
        Ok(text) => Summary {
            text,
            record: json!({ "source": "ai", "provider": ai.name(), "model": ai.model() }),
        },
        Err(why) => {
            tracing::warn!(reason = %why, "AI summary not used; the built-in summary stands in");
            Summary {
                text: built_in(values),
                record: json!({
                    "source": "built_in",
                    "aiUnavailable": true,
                    "provider": ai.name(),
                    "model": ai.model(),
                }),
            }
        }
    }
}
