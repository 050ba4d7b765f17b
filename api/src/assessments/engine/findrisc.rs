//! FINDRISC: the Finnish Diabetes Risk Score (10-year risk of type 2 diabetes).
//!
//! Source: Lindström J, Tuomilehto J. The diabetes risk score: a practical tool to predict
//! type 2 diabetes risk. Diabetes Care 2003;26:725-731, as distributed in the "Type 2
//! Diabetes Risk Assessment Form" (8 items, 0-26 points). The printed bands include both
//! ends ("25-30", "94-102", "80-88"): BMI 30.0 scores 1, a man's waist of 102 cm scores 3.

use super::{FieldError, FieldSpec, Guidance, InstrumentInfo, Outcome, framingham::Sex, in_range};
use crate::enums::{AssessmentType, RiskLevel};

pub const VERSION: &str = "findrisc-2003/1";

/// The closest relatives with diabetes (type 1 or 2).
#[derive(
    async_graphql::Enum, serde::Serialize, serde::Deserialize, Debug, Clone, Copy, PartialEq, Eq,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FamilyHistory {
    /// No relative with diabetes.
    None,
    /// Grandparent, aunt, uncle or first cousin.
    SecondDegree,
    /// Parent, brother, sister or own child.
    FirstDegree,
}

/// Answers for FINDRISC. Give `bmi`, or `heightCm` and `weightKg` to compute it.
#[derive(
    async_graphql::InputObject,
    async_graphql::SimpleObject,
    serde::Serialize,
    serde::Deserialize,
    Debug,
    Clone,
)]
#[serde(rename_all = "camelCase")]
#[graphql(name = "FindriscAnswers", input_name = "FindriscInput")]
pub struct FindriscInput {
    /// Sex at birth (the waist bands differ).
    pub sex: Sex,
    /// Years, 18 to 120.
    pub age: f64,
    /// Body mass index, kg/m² (10 to 80).
    pub bmi: Option<f64>,
    /// Height in cm (100 to 250), with weightKg instead of bmi.
    pub height_cm: Option<f64>,
    /// Weight in kg (25 to 350), with heightCm instead of bmi.
    pub weight_kg: Option<f64>,
    /// Waist circumference at the navel, cm (40 to 200).
    pub waist_cm: f64,
    /// At least 30 minutes of physical activity every day (work or leisure).
    pub physically_active_daily: bool,
    /// Vegetables, fruit or berries every day.
    pub eats_vegetables_daily: bool,
    /// Has ever taken medication for high blood pressure.
    pub ever_on_bp_medication: bool,
    /// Has ever been found to have high blood glucose (check-up, illness, pregnancy).
    pub ever_high_glucose: bool,
    /// The closest relatives with diabetes.
    pub family_history: FamilyHistory,
}

super::instrument!(FindriscInput, AssessmentType::Diabetes, "diabetes");

/// What the FINDRISC scoring found.
#[derive(
    async_graphql::SimpleObject, serde::Serialize, serde::Deserialize, Debug, Clone, Copy, PartialEq,
)]
#[serde(rename_all = "camelCase")]
pub struct FindriscDetails {
    /// FINDRISC points, 0 to 26.
    pub points: i32,
    /// The body mass index scored, kg/m², one decimal (given, or computed from height and weight).
    pub bmi: f64,
}

pub fn info() -> InstrumentInfo {
    InstrumentInfo {
        code: AssessmentType::Diabetes,
        title: "Type 2 diabetes: 10-year risk (FINDRISC)",
        description: "Eight questions about age, weight, waist, activity, diet, blood pressure, blood sugar and family history that estimate the chance of developing type 2 diabetes in the next 10 years.",
        source: "Lindström J, Tuomilehto J. The diabetes risk score: a practical tool to predict type 2 diabetes risk. Diabetes Care 2003;26:725-731 (Type 2 Diabetes Risk Assessment Form).",
        version: VERSION,
        fields: vec![
            FieldSpec::choice("sex", "Sex", &["FEMALE", "MALE"]),
            FieldSpec::number("age", "Age", "years", 18.0, 120.0),
            FieldSpec::number(
                "bmi",
                "Body mass index (or give height and weight)",
                "kg/m²",
                10.0,
                80.0,
            )
            .optional(),
            FieldSpec::number("heightCm", "Height", "cm", 100.0, 250.0).optional(),
            FieldSpec::number("weightKg", "Weight", "kg", 25.0, 350.0).optional(),
            FieldSpec::number("waistCm", "Waist circumference", "cm", 40.0, 200.0),
            FieldSpec::boolean(
                "physicallyActiveDaily",
                "At least 30 minutes of physical activity every day",
            ),
            FieldSpec::boolean(
                "eatsVegetablesDaily",
                "Vegetables, fruit or berries every day",
            ),
            FieldSpec::boolean(
                "everOnBpMedication",
                "Ever taken medication for high blood pressure",
            ),
            FieldSpec::boolean("everHighGlucose", "Ever found to have high blood glucose"),
            FieldSpec::choice(
                "familyHistory",
                "Family members with diabetes",
                &["NONE", "SECOND_DEGREE", "FIRST_DEGREE"],
            ),
        ],
    }
}

fn bmi_of(input: &FindriscInput) -> Result<f64, FieldError> {
    match (input.bmi, input.height_cm, input.weight_kg) {
        (Some(bmi), _, _) => in_range("bmi", bmi, 10.0, 80.0, "kg/m²"),
        (None, Some(height), Some(weight)) => {
            let height = in_range("heightCm", height, 100.0, 250.0, "cm")? / 100.0;
            let weight = in_range("weightKg", weight, 25.0, 350.0, "kg")?;
            in_range("bmi", weight / (height * height), 10.0, 80.0, "kg/m²")
        }
        _ => Err(FieldError {
            field: "bmi".into(),
            message: "give bmi, or heightCm and weightKg".into(),
        }),
    }
}

fn age_points(age: f64) -> i32 {
    match age {
        a if a < 45.0 => 0,
        a if a < 55.0 => 2,
        a if a < 65.0 => 3,
        _ => 4,
    }
}

/// < 25: 0; 25-30 (inclusive): 1; > 30: 3.
fn bmi_points(bmi: f64) -> i32 {
    if bmi < 25.0 {
        0
    } else if bmi <= 30.0 {
        1
    } else {
        3
    }
}

/// Men < 94: 0, 94-102: 3, > 102: 4; women < 80: 0, 80-88: 3, > 88: 4 (both ends inclusive).
fn waist_points(sex: Sex, waist: f64) -> i32 {
    let (low, high) = match sex {
        Sex::Male => (94.0, 102.0),
        Sex::Female => (80.0, 88.0),
    };
    if waist < low {
        0
    } else if waist <= high {
        3
    } else {
        4
    }
}

pub fn points(input: &FindriscInput) -> Result<(i32, f64), FieldError> {
    let age = in_range("age", input.age, 18.0, 120.0, "years")?;
    let waist = in_range("waistCm", input.waist_cm, 40.0, 200.0, "cm")?;
    let bmi = bmi_of(input)?;
    let total = age_points(age)
        + bmi_points(bmi)
        + waist_points(input.sex, waist)
        + if input.physically_active_daily { 0 } else { 2 }
        + if input.eats_vegetables_daily { 0 } else { 1 }
        + if input.ever_on_bp_medication { 2 } else { 0 }
        + if input.ever_high_glucose { 5 } else { 0 }
        + match input.family_history {
            FamilyHistory::None => 0,
            FamilyHistory::SecondDegree => 3,
            FamilyHistory::FirstDegree => 5,
        };
    Ok((total, bmi))
}

const LOW: Guidance = Guidance {
    recommendations: &[
        "Your risk of type 2 diabetes is low. Regular activity, a varied diet and a healthy weight keep it that way.",
    ],
    warning_signs: &[],
    next_steps: &["Repeat this questionnaire every few years."],
};
const SLIGHTLY_ELEVATED: Guidance = Guidance {
    recommendations: &[
        "Your risk is slightly raised. Daily activity and plenty of vegetables, fruit and whole grains lower it.",
        "Keeping your weight and waist in a healthy range matters most.",
    ],
    warning_signs: &[],
    next_steps: &["Repeat this questionnaire in a year or two."],
};
const MODERATE: Guidance = Guidance {
    recommendations: &[
        "Your risk is moderate: about 1 in 6 people with this score develop type 2 diabetes within 10 years.",
        "Losing even 5% of your weight and being active for 30 minutes a day clearly lowers the risk.",
    ],
    warning_signs: &[],
    next_steps: &["Ask your doctor or nurse whether a blood sugar test is advisable."],
};
const HIGH: Guidance = Guidance {
    recommendations: &[
        "Your risk is high: about 1 in 3 people with this score develop type 2 diabetes within 10 years.",
        "Lifestyle changes work: more activity, less sugar and saturated fat, and weight loss if needed.",
    ],
    warning_signs: &[
        "Strong thirst, passing a lot of urine, tiredness or blurred vision can be signs of high blood sugar: see a doctor.",
    ],
    next_steps: &["See your doctor for a blood sugar test (fasting glucose or HbA1c)."],
};
const VERY_HIGH: Guidance = Guidance {
    recommendations: &[
        "Your risk is very high: about 1 in 2 people with this score develop type 2 diabetes within 10 years.",
        "Starting lifestyle changes now, with support from your doctor, can delay or prevent it.",
    ],
    warning_signs: &[
        "Strong thirst, passing a lot of urine, tiredness or blurred vision can be signs of high blood sugar: see a doctor.",
    ],
    next_steps: &["See your doctor soon for a blood sugar test (fasting glucose or HbA1c)."],
};

pub fn evaluate(input: &FindriscInput) -> Result<Outcome, FieldError> {
    let (total, bmi) = points(input)?;
    // Bands: < 7 low (1 in 100); 7-11 slightly elevated (1 in 25); 12-14 moderate (1 in 6);
    // 15-20 high (1 in 3); > 20 very high (1 in 2).
    let (level, band, probability, guidance) = match total {
        ..=6 => (RiskLevel::Low, "low", 1.0 / 100.0, &LOW),
        7..=11 => (
            RiskLevel::SlightlyElevated,
            "slightly_elevated",
            1.0 / 25.0,
            &SLIGHTLY_ELEVATED,
        ),
        12..=14 => (RiskLevel::Moderate, "moderate", 1.0 / 6.0, &MODERATE),
        15..=20 => (RiskLevel::High, "high", 1.0 / 3.0, &HIGH),
        _ => (RiskLevel::VeryHigh, "very_high", 1.0 / 2.0, &VERY_HIGH),
    };
    let details = FindriscDetails {
        points: total,
        bmi: (bmi * 10.0).round() / 10.0,
    };
    Ok(guidance.outcome(
        total,
        level,
        Some(super::round6(probability)),
        band,
        details,
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn base() -> FindriscInput {
        FindriscInput {
            sex: Sex::Male,
            age: 40.0,
            bmi: Some(22.0),
            height_cm: None,
            weight_kg: None,
            waist_cm: 85.0,
            physically_active_daily: true,
            eats_vegetables_daily: true,
            ever_on_bp_medication: false,
            ever_high_glucose: false,
            family_history: FamilyHistory::None,
        }
    }

    fn score(input: FindriscInput) -> i32 {
        points(&input).unwrap().0
    }

    #[test]
    fn age_bands() {
        for (age, pts) in [
            (44.9, 0),
            (45.0, 2),
            (54.9, 2),
            (55.0, 3),
            (64.9, 3),
            (65.0, 4),
        ] {
            assert_eq!(score(FindriscInput { age, ..base() }), pts, "age {age}");
        }
    }

    #[test]
    fn bmi_bands_include_both_printed_ends() {
        for (bmi, pts) in [(24.99, 0), (25.0, 1), (30.0, 1), (30.01, 3)] {
            assert_eq!(
                score(FindriscInput {
                    bmi: Some(bmi),
                    ..base()
                }),
                pts,
                "bmi {bmi}"
            );
        }
    }

    #[test]
    fn waist_bands_by_sex_include_both_printed_ends() {
        for (waist, pts) in [(93.9, 0), (94.0, 3), (102.0, 3), (102.1, 4)] {
            assert_eq!(
                score(FindriscInput {
                    waist_cm: waist,
                    ..base()
                }),
                pts,
                "men {waist}"
            );
        }
        for (waist, pts) in [(79.9, 0), (80.0, 3), (88.0, 3), (88.1, 4)] {
            assert_eq!(
                score(FindriscInput {
                    sex: Sex::Female,
                    waist_cm: waist,
                    ..base()
                }),
                pts,
                "women {waist}"
            );
        }
    }

    #[test]
    fn yes_no_items_and_family_history() {
        assert_eq!(
            score(FindriscInput {
                physically_active_daily: false,
                ..base()
            }),
            2
        );
        assert_eq!(
            score(FindriscInput {
                eats_vegetables_daily: false,
                ..base()
            }),
            1
        );
        assert_eq!(
            score(FindriscInput {
                ever_on_bp_medication: true,
                ..base()
            }),
            2
        );
        assert_eq!(
            score(FindriscInput {
                ever_high_glucose: true,
                ..base()
            }),
            5
        );
        assert_eq!(
            score(FindriscInput {
                family_history: FamilyHistory::SecondDegree,
                ..base()
            }),
            3
        );
        assert_eq!(
            score(FindriscInput {
                family_history: FamilyHistory::FirstDegree,
                ..base()
            }),
            5
        );
    }

    #[test]
    fn the_maximum_is_26() {
        let worst = FindriscInput {
            age: 70.0,
            bmi: Some(35.0),
            waist_cm: 110.0,
            physically_active_daily: false,
            eats_vegetables_daily: false,
            ever_on_bp_medication: true,
            ever_high_glucose: true,
            family_history: FamilyHistory::FirstDegree,
            ..base()
        };
        assert_eq!(score(worst), 26);
    }

    /// Sets one item of an input.
    type SetItem = fn(&mut FindriscInput);

    /// An input worth exactly `total` points, built from items worth 5, 5, 4, 4, 3, 2, 2, 1.
    fn input_with_total(total: i32) -> FindriscInput {
        let mut input = base();
        let mut left = total;
        let items: [(i32, SetItem); 8] = [
            (5, |i| i.ever_high_glucose = true),
            (5, |i| i.family_history = FamilyHistory::FirstDegree),
            (4, |i| i.waist_cm = 110.0),
            (4, |i| i.age = 70.0),
            (3, |i| i.bmi = Some(35.0)),
            (2, |i| i.physically_active_daily = false),
            (2, |i| i.ever_on_bp_medication = true),
            (1, |i| i.eats_vegetables_daily = false),
        ];
        for (points, set) in items {
            if left >= points {
                set(&mut input);
                left -= points;
            }
        }
        assert_eq!(left, 0, "total {total} reachable");
        input
    }

    #[test]
    fn score_bands_and_their_risks() {
        for (total, level, probability) in [
            (0, RiskLevel::Low, 0.01),
            (6, RiskLevel::Low, 0.01),
            (7, RiskLevel::SlightlyElevated, 0.04),
            (11, RiskLevel::SlightlyElevated, 0.04),
            (12, RiskLevel::Moderate, 0.166667),
            (14, RiskLevel::Moderate, 0.166667),
            (15, RiskLevel::High, 0.333333),
            (20, RiskLevel::High, 0.333333),
            (21, RiskLevel::VeryHigh, 0.5),
            (26, RiskLevel::VeryHigh, 0.5),
        ] {
            let outcome = evaluate(&input_with_total(total)).unwrap();
            assert_eq!(
                (outcome.score, outcome.level, outcome.probability),
                (total, level, Some(probability)),
                "total {total}"
            );
        }
    }

    #[test]
    fn bmi_is_computed_from_height_and_weight_when_not_given() {
        // WHO example: 70 kg at 1.75 m -> 22.9 (0 points); 95 kg at 1.75 m -> 31.0 (3 points).
        let input = FindriscInput {
            bmi: None,
            height_cm: Some(175.0),
            weight_kg: Some(70.0),
            ..base()
        };
        assert_eq!(points(&input).unwrap(), (0, 70.0 / (1.75 * 1.75)));
        assert_eq!(
            score(FindriscInput {
                bmi: None,
                height_cm: Some(175.0),
                weight_kg: Some(95.0),
                ..base()
            }),
            3
        );
        let missing = FindriscInput {
            bmi: None,
            height_cm: Some(175.0),
            weight_kg: None,
            ..base()
        };
        assert_eq!(points(&missing).unwrap_err().field, "bmi");
        let bad = FindriscInput {
            bmi: None,
            height_cm: Some(17.5),
            weight_kg: Some(70.0),
            ..base()
        };
        assert_eq!(points(&bad).unwrap_err().field, "heightCm");
    }
}
