//! PHQ-9 depression severity.
//!
//! Source: Kroenke K, Spitzer RL, Williams JBW. The PHQ-9: validity of a brief depression
//! severity measure. J Gen Intern Med 2001;16:606-613. Nine items over the last two weeks,
//! 0-3 each, total 0-27; severity 0-4 minimal, 5-9 mild, 10-14 moderate, 15-19 moderately
//! severe, 20-27 severe. Item 9 (thoughts of being better off dead or of self-harm) above 0
//! is a warning sign whatever the total, and crisis resources come first. The tenth
//! (difficulty) question is recorded, not scored.

use super::{
    FREQUENCY_SCALE, FieldError, FieldSpec, Guidance, InstrumentInfo, Outcome, frequency_items,
};
use crate::enums::{AssessmentType, RiskLevel};

pub const VERSION: &str = "phq9-2001/1";

/// How difficult the problems have made work, home life or getting along with people (the PHQ-9's
/// last question; not scored).
#[derive(
    async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Difficulty {
    /// Not difficult at all.
    NotDifficult,
    /// Somewhat difficult.
    SomewhatDifficult,
    /// Very difficult.
    VeryDifficult,
    /// Extremely difficult.
    ExtremelyDifficult,
}

/// Answers to the nine PHQ-9 items (0 = not at all ... 3 = nearly every day), in order.
#[derive(
    async_graphql::InputObject,
    async_graphql::SimpleObject,
    serde::Serialize,
    serde::Deserialize,
    Debug,
    Clone,
)]
#[serde(rename_all = "camelCase")]
#[graphql(name = "Phq9Answers", input_name = "Phq9Input")]
pub struct Phq9Input {
    /// The nine answers in the questionnaire's order, each 0 (not at all) to 3 (nearly every day).
    pub items: Vec<i32>,
    /// How difficult the problems made work, home or getting along with people (not scored).
    pub difficulty: Option<Difficulty>,
}

super::instrument!(Phq9Input, AssessmentType::Depression, "depression");

/// What the PHQ-9 scoring found.
#[derive(
    async_graphql::SimpleObject, serde::Serialize, serde::Deserialize, Debug, Clone, Copy, PartialEq,
)]
#[serde(rename_all = "camelCase")]
pub struct Phq9Details {
    /// Sum of the nine items, 0 to 27.
    pub total: i32,
    /// The answer to item 9 (thoughts of self-harm), 0 to 3; above 0 raises the risk to at least
    /// HIGH.
    pub item9: i32,
    /// The unscored difficulty question, when answered.
    pub difficulty: Option<Difficulty>,
}

pub fn info() -> InstrumentInfo {
    let mut items = FieldSpec::integer(
        "items",
        "Over the last 2 weeks, how often have you been bothered by each of 9 problems?",
        0.0,
        3.0,
    );
    items.choices = FREQUENCY_SCALE;
    InstrumentInfo {
        code: AssessmentType::Depression,
        title: "Mood: depression questionnaire (PHQ-9)",
        description: "Nine questions about the last two weeks that measure how strongly low mood affects you. It is a screening tool, not a diagnosis.",
        source: "Kroenke K, Spitzer RL, Williams JBW. The PHQ-9: validity of a brief depression severity measure. J Gen Intern Med 2001;16:606-613.",
        version: VERSION,
        fields: vec![
            items,
            FieldSpec::choice(
                "difficulty",
                "How difficult have these problems made things for you?",
                &[
                    "NOT_DIFFICULT",
                    "SOMEWHAT_DIFFICULT",
                    "VERY_DIFFICULT",
                    "EXTREMELY_DIFFICULT",
                ],
            )
            .optional(),
        ],
    }
}

const CRISIS_STEP: &str = "If you are thinking about harming yourself or feel you would be better off dead, get help now: call your local emergency number or a suicide and crisis line (988 in the US, 116 123 in the UK and Ireland), or go to the nearest emergency department.";
const CRISIS_SIGN: &str = "You said you have had thoughts of being better off dead or of hurting yourself. That deserves attention today, whatever your total score.";

const MINIMAL: Guidance = Guidance {
    recommendations: &[
        "Your answers suggest few or no symptoms of depression. Sleep, activity and time with people you like all support good mood.",
    ],
    warning_signs: &[],
    next_steps: &["Repeat this questionnaire if your mood changes."],
};
const MILD: Guidance = Guidance {
    recommendations: &[
        "Your answers are consistent with mild symptoms of depression.",
        "Regular activity, a steady sleep routine and talking with someone you trust often help.",
    ],
    warning_signs: &[],
    next_steps: &[
        "Repeat this questionnaire in two to four weeks; if it is not better, talk with your doctor.",
    ],
};
const MODERATE: Guidance = Guidance {
    recommendations: &[
        "Your answers are consistent with moderate symptoms of depression. Effective help exists, including talking therapies.",
    ],
    warning_signs: &[],
    next_steps: &[
        "Make an appointment with your doctor or a mental health professional to talk about these results.",
    ],
};
const MODERATELY_SEVERE: Guidance = Guidance {
    recommendations: &[
        "Your answers are consistent with moderately severe symptoms of depression. Treatment works and is worth asking for.",
    ],
    warning_signs: &[],
    next_steps: &[
        "See your doctor or a mental health professional soon, ideally within the next week.",
    ],
};
const SEVERE: Guidance = Guidance {
    recommendations: &[
        "Your answers are consistent with severe symptoms of depression. You do not have to manage this alone.",
    ],
    warning_signs: &["Severe symptoms of depression need prompt professional care."],
    next_steps: &[
        "Contact your doctor or a mental health service as soon as possible, today if you can.",
    ],
};

pub fn evaluate(input: &Phq9Input) -> Result<Outcome, FieldError> {
    let total = frequency_items(&input.items, 9)?;
    let (mut level, band, guidance) = match total {
        0..=4 => (RiskLevel::Low, "minimal", &MINIMAL),
        5..=9 => (RiskLevel::SlightlyElevated, "mild", &MILD),
        10..=14 => (RiskLevel::Moderate, "moderate", &MODERATE),
        15..=19 => (RiskLevel::High, "moderately_severe", &MODERATELY_SEVERE),
        _ => (RiskLevel::VeryHigh, "severe", &SEVERE),
    };
    let item9 = input.items[8];
    let details = Phq9Details {
        total,
        item9,
        difficulty: input.difficulty,
    };
    let mut outcome = guidance.outcome(total, level, None, band, details);
    if item9 > 0 {
        // Project choice (docs/assessments.md): any thought of self-harm is at least High.
        if matches!(
            level,
            RiskLevel::Low | RiskLevel::SlightlyElevated | RiskLevel::Moderate
        ) {
            level = RiskLevel::High;
        }
        outcome.level = level;
        outcome.warning_signs.insert(0, CRISIS_SIGN.to_owned());
        outcome.next_steps.insert(0, CRISIS_STEP.to_owned());
    }
    Ok(outcome)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Nine answers summing to `total` with item 9 = `item9`.
    fn answers(total: i32, item9: i32) -> Vec<i32> {
        let mut items = vec![0; 9];
        items[8] = item9;
        let mut left = total - item9;
        for item in items.iter_mut().take(8) {
            let v = left.min(3);
            *item = v;
            left -= v;
        }
        assert_eq!(left, 0);
        items
    }

    fn outcome(total: i32, item9: i32) -> Outcome {
        evaluate(&Phq9Input {
            items: answers(total, item9),
            difficulty: None,
        })
        .unwrap()
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
            (15, "moderately_severe", RiskLevel::High),
            (19, "moderately_severe", RiskLevel::High),
            (20, "severe", RiskLevel::VeryHigh),
            (24, "severe", RiskLevel::VeryHigh),
        ] {
            let o = outcome(total, 0);
            assert_eq!(
                (o.score, o.band, o.level),
                (total, band, level),
                "total {total}"
            );
            assert!(o.next_steps.iter().all(|s| !s.contains("crisis")));
        }
        assert_eq!(outcome(27, 3).score, 27);
    }

    #[test]
    fn item_nine_is_a_warning_whatever_the_total_and_crisis_help_comes_first() {
        let o = outcome(1, 1);
        assert_eq!(o.band, "minimal");
        assert_eq!(o.level, RiskLevel::High);
        assert_eq!(o.warning_signs[0], CRISIS_SIGN);
        assert_eq!(o.next_steps[0], CRISIS_STEP);
        let severe = outcome(24, 3);
        assert_eq!(severe.level, RiskLevel::VeryHigh);
        assert_eq!(severe.next_steps[0], CRISIS_STEP);
    }

    #[test]
    fn answers_are_checked_item_by_item() {
        let err = evaluate(&Phq9Input {
            items: vec![0; 8],
            difficulty: None,
        })
        .unwrap_err();
        assert_eq!(err.field, "items");
        let mut items = vec![0; 9];
        items[4] = 4;
        assert_eq!(
            evaluate(&Phq9Input {
                items,
                difficulty: None
            })
            .unwrap_err()
            .field,
            "items[4]"
        );
        let mut items = vec![0; 9];
        items[0] = -1;
        assert_eq!(
            evaluate(&Phq9Input {
                items,
                difficulty: None
            })
            .unwrap_err()
            .field,
            "items[0]"
        );
    }

    #[test]
    fn difficulty_is_recorded_not_scored() {
        let o = evaluate(&Phq9Input {
            items: answers(7, 0),
            difficulty: Some(Difficulty::VeryDifficult),
        })
        .unwrap();
        assert_eq!(o.score, 7);
        assert_eq!(o.details["difficulty"], "VERY_DIFFICULT");
    }
}
