//! Body mass index, WHO classes.
//!
//! Source: World Health Organization, body mass index classification (WHO Technical Report
//! Series 894, 2000; WHO Europe "A healthy lifestyle - WHO recommendations"). BMI = kg / m²;
//! 70 kg at 1.75 m gives 22.9. < 16 severe thinness, 16-16.99 moderate, 17-18.49 mild;
//! 18.5-24.99 normal; 25-29.99 pre-obese; 30-34.99 obese I; 35-39.99 obese II; >= 40 obese III.
//! The printed upper ends (16.99, 18.49, 24.99 ...) mean the classes are half-open at the
//! next cut-off: the unrounded BMI is compared with 16, 17, 18.5, 25, 30, 35 and 40.

use super::{FieldError, FieldSpec, Guidance, InstrumentInfo, Outcome, in_range};
use crate::enums::{AssessmentType, RiskLevel};

pub const VERSION: &str = "who-bmi-2000/1";

/// Height and weight of an adult.
#[derive(
    async_graphql::InputObject,
    async_graphql::SimpleObject,
    serde::Serialize,
    serde::Deserialize,
    Debug,
    Clone,
    Copy,
)]
#[serde(rename_all = "camelCase")]
#[graphql(name = "BmiAnswers", input_name = "BmiInput")]
pub struct BmiInput {
    /// Height in cm (100 to 250).
    pub height_cm: f64,
    /// Weight in kg (25 to 350).
    pub weight_kg: f64,
}

super::instrument!(BmiInput, AssessmentType::Bmi, "bmi");

/// What the BMI computation found.
#[derive(
    async_graphql::SimpleObject, serde::Serialize, serde::Deserialize, Debug, Clone, Copy, PartialEq,
)]
#[serde(rename_all = "camelCase")]
pub struct BmiDetails {
    /// Body mass index, kg/m², one decimal.
    pub bmi: f64,
}

pub fn info() -> InstrumentInfo {
    InstrumentInfo {
        code: AssessmentType::Bmi,
        title: "Body mass index (BMI)",
        description: "Weight relative to height, in the World Health Organization's classes for adults.",
        source: "World Health Organization. Obesity: preventing and managing the global epidemic. WHO Technical Report Series 894, 2000 (BMI classification).",
        version: VERSION,
        fields: vec![
            FieldSpec::number("heightCm", "Height", "cm", 100.0, 250.0),
            FieldSpec::number("weightKg", "Weight", "kg", 25.0, 350.0),
        ],
    }
}

const UNDERWEIGHT: &[&str] = &[
    "Your weight is below the healthy range for your height. Regular, varied meals with enough energy and protein help.",
];
const SEE_DOCTOR_WEIGHT: &str =
    "Talk with your doctor about your weight and any recent unintended weight change.";

const GUIDANCE: [(f64, &str, RiskLevel, Guidance); 8] = [
    (
        16.0,
        "severe_thinness",
        RiskLevel::High,
        Guidance {
            recommendations: UNDERWEIGHT,
            warning_signs: &["A BMI this low can harm the heart, bones and immune system."],
            next_steps: &["See your doctor soon about your weight."],
        },
    ),
    (
        17.0,
        "moderate_thinness",
        RiskLevel::Moderate,
        Guidance {
            recommendations: UNDERWEIGHT,
            warning_signs: &[],
            next_steps: &[SEE_DOCTOR_WEIGHT],
        },
    ),
    (
        18.5,
        "mild_thinness",
        RiskLevel::SlightlyElevated,
        Guidance {
            recommendations: UNDERWEIGHT,
            warning_signs: &[],
            next_steps: &[SEE_DOCTOR_WEIGHT],
        },
    ),
    (
        25.0,
        "normal",
        RiskLevel::Low,
        Guidance {
            recommendations: &[
                "Your weight is in the healthy range for your height. Regular activity and a varied diet help keep it there.",
            ],
            warning_signs: &[],
            next_steps: &["Check again in a year or if your weight changes."],
        },
    ),
    (
        30.0,
        "pre_obese",
        RiskLevel::SlightlyElevated,
        Guidance {
            recommendations: &[
                "Your weight is above the healthy range. Small, lasting changes in activity and diet make a difference.",
            ],
            warning_signs: &[],
            next_steps: &["Consider checking your blood pressure and your diabetes risk too."],
        },
    ),
    (
        35.0,
        "obese_class_1",
        RiskLevel::Moderate,
        Guidance {
            recommendations: &[
                "Your BMI is in the obese range (class I), which raises the risk of diabetes, heart disease and joint problems.",
            ],
            warning_signs: &[],
            next_steps: &["Talk with your doctor about support for weight loss."],
        },
    ),
    (
        40.0,
        "obese_class_2",
        RiskLevel::High,
        Guidance {
            recommendations: &[
                "Your BMI is in the obese range (class II). Weight loss of even 5-10% brings real health benefits.",
            ],
            warning_signs: &[],
            next_steps: &["See your doctor about a weight-management plan."],
        },
    ),
    (
        f64::INFINITY,
        "obese_class_3",
        RiskLevel::VeryHigh,
        Guidance {
            recommendations: &[
                "Your BMI is in the obese range (class III), which carries the highest health risks.",
            ],
            warning_signs: &[],
            next_steps: &["See your doctor soon about treatment options for weight loss."],
        },
    ),
];

pub fn bmi(input: &BmiInput) -> Result<f64, FieldError> {
    let height = in_range("heightCm", input.height_cm, 100.0, 250.0, "cm")? / 100.0;
    let weight = in_range("weightKg", input.weight_kg, 25.0, 350.0, "kg")?;
    Ok(weight / (height * height))
}

pub fn evaluate(input: &BmiInput) -> Result<Outcome, FieldError> {
    let value = bmi(input)?;
    let (_, band, level, guidance) = GUIDANCE
        .iter()
        .find(|(below, ..)| value < *below)
        .unwrap_or(&GUIDANCE[7]);
    let rounded = (value * 10.0).round() / 10.0;
    #[allow(clippy::cast_possible_truncation)]
    let score = value.round() as i32;
    Ok(guidance.outcome(score, *level, None, band, BmiDetails { bmi: rounded }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_who_worked_example() {
        // WHO: 70 kg at 1.75 m -> 22.9.
        let o = evaluate(&BmiInput {
            height_cm: 175.0,
            weight_kg: 70.0,
        })
        .unwrap();
        assert_eq!(o.details["bmi"], 22.9);
        assert_eq!((o.band, o.level, o.score), ("normal", RiskLevel::Low, 23));
    }

    /// Weight at 1.00 m height equals the BMI, which puts every boundary exactly.
    fn band_at(bmi: f64) -> &'static str {
        evaluate(&BmiInput {
            height_cm: 100.0,
            weight_kg: bmi.max(25.0),
        })
        .map(|o| o.band)
        .unwrap_or("invalid")
    }

    #[test]
    fn every_class_boundary() {
        // Boundaries below 25 kg/m² need a taller person: 1.50 m.
        let at_150 = |bmi: f64| {
            evaluate(&BmiInput {
                height_cm: 150.0,
                weight_kg: bmi * 2.25,
            })
            .unwrap()
            .band
        };
        for (value, expected) in [
            (15.99, "severe_thinness"),
            (16.0, "moderate_thinness"),
            (16.99, "moderate_thinness"),
            (17.0, "mild_thinness"),
            (18.49, "mild_thinness"),
            (18.5, "normal"),
            (24.99, "normal"),
        ] {
            assert_eq!(at_150(value), expected, "{value}");
        }
        for (value, expected) in [
            (25.0, "pre_obese"),
            (29.99, "pre_obese"),
            (30.0, "obese_class_1"),
            (34.99, "obese_class_1"),
            (35.0, "obese_class_2"),
            (39.99, "obese_class_2"),
            (40.0, "obese_class_3"),
        ] {
            assert_eq!(band_at(value), expected, "{value}");
        }
    }

    #[test]
    fn implausible_measurements_name_their_field() {
        assert_eq!(
            evaluate(&BmiInput {
                height_cm: 1.75,
                weight_kg: 70.0
            })
            .unwrap_err()
            .field,
            "heightCm"
        );
        assert_eq!(
            evaluate(&BmiInput {
                height_cm: 175.0,
                weight_kg: 7000.0
            })
            .unwrap_err()
            .field,
            "weightKg"
        );
    }
}
