//! GAD-7 anxiety severity.
//!
//! Source: Spitzer RL, Kroenke K, Williams JBW, Löwe B. A brief measure for assessing
//! generalized anxiety disorder: the GAD-7. Arch Intern Med 2006;166:1092-1097. Seven items
//! 0-3, total 0-21; 0-4 minimal, 5-9 mild, 10-14 moderate, 15-21 severe; a total of 10 or more
//! warrants further evaluation.

use super::{
    FREQUENCY_SCALE, FieldError, FieldSpec, Guidance, InstrumentInfo, Outcome, frequency_items,
};
use crate::enums::{AssessmentType, RiskLevel};

pub const VERSION: &str = "gad7-2006/1";

/// Answers to the seven GAD-7 items (0 = not at all ... 3 = nearly every day), in order.
#[derive(
    async_graphql::InputObject,
    async_graphql::SimpleObject,
    serde::Serialize,
    serde::Deserialize,
    Debug,
    Clone,
)]
#[serde(rename_all = "camelCase")]
#[graphql(name = "Gad7Answers", input_name = "Gad7Input")]
pub struct Gad7Input {
    /// The seven answers in the questionnaire's order, each 0 (not at all) to 3 (nearly every day).
    pub items: Vec<i32>,
}

super::instrument!(Gad7Input, AssessmentType::Anxiety, "anxiety");

/// What the GAD-7 scoring found.
#[derive(
    async_graphql::SimpleObject, serde::Serialize, serde::Deserialize, Debug, Clone, Copy, PartialEq,
)]
#[serde(rename_all = "camelCase")]
pub struct Gad7Details {
    /// Sum of the seven items, 0 to 21.
    pub total: i32,
}

pub fn info() -> InstrumentInfo {
    let mut items = FieldSpec::integer(
        "items",
        "Over the last 2 weeks, how often have you been bothered by each of 7 problems?",
        0.0,
        3.0,
    );
    items.choices = FREQUENCY_SCALE;
    InstrumentInfo {
        code: AssessmentType::Anxiety,
        title: "Anxiety questionnaire (GAD-7)",
        description: "Seven questions about the last two weeks that measure how strongly worry and anxiety affect you. It is a screening tool, not a diagnosis.",
        source: "Spitzer RL, Kroenke K, Williams JBW, Löwe B. A brief measure for assessing generalized anxiety disorder: the GAD-7. Arch Intern Med 2006;166:1092-1097.",
        version: VERSION,
        fields: vec![items],
    }
}

const FURTHER_EVALUATION: &str = "A score of 10 or more is a reason to talk with your doctor or a mental health professional for a fuller assessment.";

const MINIMAL: Guidance = Guidance {
    recommendations: &["Your answers suggest little or no anxiety."],
    warning_signs: &[],
    next_steps: &["Repeat this questionnaire if worry starts to affect your days."],
};
const MILD: Guidance = Guidance {
    recommendations: &[
        "Your answers are consistent with mild anxiety.",
        "Regular activity, enough sleep, less caffeine and relaxation or breathing exercises often help.",
    ],
    warning_signs: &[],
    next_steps: &[
        "Repeat this questionnaire in two to four weeks; if it is not better, talk with your doctor.",
    ],
};
const MODERATE: Guidance = Guidance {
    recommendations: &[
        "Your answers are consistent with moderate anxiety. Effective help exists, including talking therapies.",
    ],
    warning_signs: &[],
    next_steps: &[FURTHER_EVALUATION],
};
const SEVERE: Guidance = Guidance {
    recommendations: &[
        "Your answers are consistent with severe anxiety. You do not have to manage this alone.",
    ],
    warning_signs: &[
        "Chest pain, fainting or panic that does not settle need urgent medical care.",
    ],
    next_steps: &[
        FURTHER_EVALUATION,
        "Make that appointment soon, ideally within the next week.",
    ],
};

pub fn evaluate(input: &Gad7Input) -> Result<Outcome, FieldError> {
    let total = frequency_items(&input.items, 7)?;
    let (level, band, guidance) = match total {
        0..=4 => (RiskLevel::Low, "minimal", &MINIMAL),
        5..=9 => (RiskLevel::SlightlyElevated, "mild", &MILD),
        10..=14 => (RiskLevel::Moderate, "moderate", &MODERATE),
        _ => (RiskLevel::High, "severe", &SEVERE),
    };
    Ok(guidance.outcome(total, level, None, band, Gad7Details { total }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn outcome(total: i32) -> Outcome {
        let mut items = vec![0; 7];
        let mut left = total;
        for item in &mut items {
            *item = left.min(3);
            left -= *item;
        }
        evaluate(&Gad7Input { items }).unwrap()
    }

    #[test]
    fn every_severity_boundary() {
        for (total, band, level) in [
            (0, "minimal", RiskLevel::Low),
            (4, "minimal", RiskLevel::Low),
            (5, "mild", RiskLevel::SlightlyElevated),
            (9, "mild", RiskLevel::SlightlyElevated),
            (10, "moderate", RiskLevel::Moderate),
            (14, "moderate", RiskLevel::Moderate),
            (15, "severe", RiskLevel::High),
            (21, "severe", RiskLevel::High),
        ] {
            let o = outcome(total);
            assert_eq!(
                (o.score, o.band, o.level),
                (total, band, level),
                "total {total}"
            );
            assert_eq!(
                o.next_steps.contains(&FURTHER_EVALUATION.to_owned()),
                total >= 10,
                "total {total}"
            );
        }
    }

    #[test]
    fn answers_are_checked() {
        assert_eq!(
            evaluate(&Gad7Input { items: vec![1; 9] })
                .unwrap_err()
                .field,
            "items"
        );
        assert_eq!(
            evaluate(&Gad7Input {
                items: vec![0, 0, 9, 0, 0, 0, 0]
            })
            .unwrap_err()
            .field,
            "items[2]"
        );
    }
}
