//! Blood pressure category for adults, 2017 ACC/AHA guideline.
//!
//! Source: Whelton PK et al. 2017 ACC/AHA/AAPA/ABC/ACPM/AGS/APhA/ASH/ASPC/NMA/PCNA Guideline
//! for the Prevention, Detection, Evaluation, and Management of High Blood Pressure in Adults.
//! Hypertension 2018;71:1269-1324. Normal: SBP < 120 and DBP < 80; elevated: 120-129 and < 80;
//! stage 1: 130-139 or 80-89; stage 2: >= 140 or >= 90; hypertensive crisis: SBP > 180 and/or
//! DBP > 120. When SBP and DBP fall in different categories the higher applies; several
//! readings are averaged. Averages can be fractional, so the bands are half-open on the real
//! line (elevated is 120 <= SBP < 130); the crisis bounds are strict.

use super::{FieldError, FieldKind, FieldSpec, Guidance, InstrumentInfo, Outcome, in_range};
use crate::enums::{AssessmentType, RiskLevel};

pub const VERSION: &str = "acc-aha-2017/1";
pub const MAX_READINGS: usize = 10;

/// One measurement.
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
#[graphql(
    name = "BloodPressureReadingAnswer",
    input_name = "BloodPressureReading"
)]
pub struct BloodPressureReading {
    /// Systolic (upper) pressure, mmHg (60 to 300).
    pub systolic: f64,
    /// Diastolic (lower) pressure, mmHg (30 to 200).
    pub diastolic: f64,
}

/// One to ten readings; their average is categorised.
#[derive(
    async_graphql::InputObject,
    async_graphql::SimpleObject,
    serde::Serialize,
    serde::Deserialize,
    Debug,
    Clone,
)]
#[serde(rename_all = "camelCase")]
#[graphql(name = "BloodPressureAnswers", input_name = "BloodPressureInput")]
pub struct BloodPressureInput {
    /// One to ten readings taken at one sitting; their averages are classified.
    pub readings: Vec<BloodPressureReading>,
}

super::instrument!(
    BloodPressureInput,
    AssessmentType::BloodPressure,
    "bloodPressure"
);

/// The averages that were categorised.
#[derive(
    async_graphql::SimpleObject, serde::Serialize, serde::Deserialize, Debug, Clone, Copy, PartialEq,
)]
#[serde(rename_all = "camelCase")]
pub struct BloodPressureDetails {
    /// Average systolic pressure, mmHg, one decimal.
    pub average_systolic: f64,
    /// Average diastolic pressure, mmHg, one decimal.
    pub average_diastolic: f64,
    /// How many readings were averaged.
    pub readings: i32,
}

pub fn info() -> InstrumentInfo {
    let readings = FieldSpec {
        kind: FieldKind::List,
        min: Some(1.0),
        max: Some(MAX_READINGS as f64),
        fields: vec![
            FieldSpec::number("systolic", "Systolic (upper number)", "mmHg", 60.0, 300.0),
            FieldSpec::number("diastolic", "Diastolic (lower number)", "mmHg", 30.0, 200.0),
        ],
        ..FieldSpec::boolean(
            "readings",
            "Blood pressure readings (one to ten; they are averaged)",
        )
    };
    InstrumentInfo {
        code: AssessmentType::BloodPressure,
        title: "Blood pressure category",
        description: "Places your blood pressure in the 2017 ACC/AHA categories for adults, from one or more readings.",
        source: "Whelton PK et al. 2017 ACC/AHA Guideline for the Prevention, Detection, Evaluation, and Management of High Blood Pressure in Adults. Hypertension 2018;71:1269-1324.",
        version: VERSION,
        fields: vec![readings],
    }
}

/// The categories in rising order; `risk_score` is the index.
const CATEGORIES: [(&str, RiskLevel); 5] = [
    ("normal", RiskLevel::Low),
    ("elevated", RiskLevel::SlightlyElevated),
    ("stage_1", RiskLevel::Moderate),
    ("stage_2", RiskLevel::High),
    ("hypertensive_crisis", RiskLevel::Critical),
];

fn systolic_category(sbp: f64) -> usize {
    if sbp > 180.0 {
        4
    } else if sbp >= 140.0 {
        3
    } else if sbp >= 130.0 {
        2
    } else if sbp >= 120.0 {
        1
    } else {
        0
    }
}

/// Diastolic pressure alone never makes "elevated".
fn diastolic_category(dbp: f64) -> usize {
    if dbp > 120.0 {
        4
    } else if dbp >= 90.0 {
        3
    } else if dbp >= 80.0 {
        2
    } else {
        0
    }
}

const GUIDANCE: [Guidance; 5] = [
    Guidance {
        recommendations: &[
            "Your blood pressure is in the normal range. Activity, little salt and limited alcohol help keep it there.",
        ],
        warning_signs: &[],
        next_steps: &["Have it checked at least once a year."],
    },
    Guidance {
        recommendations: &[
            "Your blood pressure is elevated: above normal but not yet high blood pressure.",
            "Less salt, more activity, a healthy weight and limited alcohol can bring it down.",
        ],
        warning_signs: &[],
        next_steps: &["Measure again in 3-6 months, or as your doctor advises."],
    },
    Guidance {
        recommendations: &[
            "These readings are consistent with stage 1 high blood pressure.",
            "Lifestyle changes help a lot; some people also need medicine, depending on their overall heart risk.",
        ],
        warning_signs: &[],
        next_steps: &[
            "Talk with your doctor about these readings within the next month; measure at home to confirm them.",
        ],
    },
    Guidance {
        recommendations: &[
            "These readings are consistent with stage 2 high blood pressure, which usually needs treatment.",
            "Take any prescribed medicine as directed and keep measuring at home.",
        ],
        warning_signs: &[],
        next_steps: &["See your doctor soon, within the next couple of weeks."],
    },
    Guidance {
        recommendations: &["These readings are in the range of a hypertensive crisis."],
        warning_signs: &[
            "Blood pressure above 180/120 is dangerous. With chest pain, shortness of breath, back pain, numbness or weakness, change in vision or difficulty speaking, it is an emergency.",
        ],
        next_steps: &[
            "Wait five minutes and measure again. If it is still this high, or you have any of the symptoms listed, call your local emergency number now.",
            "If it stays high without symptoms, contact your doctor today.",
        ],
    },
];

pub fn evaluate(input: &BloodPressureInput) -> Result<Outcome, FieldError> {
    let count = input.readings.len();
    if count == 0 || count > MAX_READINGS {
        return Err(FieldError {
            field: "readings".into(),
            message: format!("give 1 to {MAX_READINGS} readings"),
        });
    }
    let mut sum = (0.0, 0.0);
    for (i, reading) in input.readings.iter().enumerate() {
        let systolic = in_range(
            &format!("readings[{i}].systolic"),
            reading.systolic,
            60.0,
            300.0,
            "mmHg",
        )?;
        let diastolic = in_range(
            &format!("readings[{i}].diastolic"),
            reading.diastolic,
            30.0,
            200.0,
            "mmHg",
        )?;
        if diastolic >= systolic {
            return Err(FieldError {
                field: format!("readings[{i}].diastolic"),
                message: "must be lower than the systolic pressure".into(),
            });
        }
        sum = (sum.0 + systolic, sum.1 + diastolic);
    }
    #[allow(clippy::cast_precision_loss)]
    let (sbp, dbp) = (sum.0 / count as f64, sum.1 / count as f64);
    let category = systolic_category(sbp).max(diastolic_category(dbp));
    let (band, level) = CATEGORIES[category];
    let details = BloodPressureDetails {
        average_systolic: (sbp * 10.0).round() / 10.0,
        average_diastolic: (dbp * 10.0).round() / 10.0,
        readings: i32::try_from(count).unwrap_or(i32::MAX),
    };
    #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
    Ok(GUIDANCE[category].outcome(category as i32, level, None, band, details))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn band(readings: &[(f64, f64)]) -> &'static str {
        let input = BloodPressureInput {
            readings: readings
                .iter()
                .map(|&(s, d)| BloodPressureReading {
                    systolic: s,
                    diastolic: d,
                })
                .collect(),
        };
        evaluate(&input).unwrap().band
    }

    #[test]
    fn every_boundary() {
        for (reading, expected) in [
            ((119.0, 79.0), "normal"),
            ((120.0, 79.0), "elevated"),
            ((129.0, 79.0), "elevated"),
            ((130.0, 79.0), "stage_1"),
            ((119.0, 80.0), "stage_1"),
            ((139.0, 89.0), "stage_1"),
            ((140.0, 70.0), "stage_2"),
            ((125.0, 90.0), "stage_2"),
            ((180.0, 110.0), "stage_2"),
            ((181.0, 100.0), "hypertensive_crisis"),
            ((150.0, 120.0), "stage_2"),
            ((150.0, 121.0), "hypertensive_crisis"),
        ] {
            assert_eq!(band(&[reading]), expected, "{reading:?}");
        }
    }

    #[test]
    fn the_higher_category_wins_and_readings_are_averaged() {
        assert_eq!(
            band(&[(125.0, 85.0)]),
            "stage_1",
            "elevated systolic, stage 1 diastolic"
        );
        // 128 and 131 average 129.5: still below 130.
        assert_eq!(band(&[(128.0, 70.0), (131.0, 70.0)]), "elevated");
        assert_eq!(
            band(&[(200.0, 100.0), (140.0, 80.0)]),
            "stage_2",
            "a single high reading is averaged out"
        );
    }

    #[test]
    fn a_crisis_is_a_warning_with_an_urgent_step() {
        let input = BloodPressureInput {
            readings: vec![BloodPressureReading {
                systolic: 190.0,
                diastolic: 100.0,
            }],
        };
        let o = evaluate(&input).unwrap();
        assert_eq!((o.level, o.score), (RiskLevel::Critical, 4));
        assert!(!o.warning_signs.is_empty());
        assert!(o.next_steps[0].contains("emergency"));
    }

    #[test]
    fn readings_are_checked_and_named() {
        let reading = |s, d| BloodPressureReading {
            systolic: s,
            diastolic: d,
        };
        assert_eq!(
            evaluate(&BloodPressureInput { readings: vec![] })
                .unwrap_err()
                .field,
            "readings"
        );
        assert_eq!(
            evaluate(&BloodPressureInput {
                readings: vec![reading(120.0, 80.0); 11]
            })
            .unwrap_err()
            .field,
            "readings"
        );
        let bad = BloodPressureInput {
            readings: vec![reading(120.0, 80.0), reading(20.0, 10.0)],
        };
        assert_eq!(evaluate(&bad).unwrap_err().field, "readings[1].systolic");
        let inverted = BloodPressureInput {
            readings: vec![reading(80.0, 120.0)],
        };
        assert_eq!(
            evaluate(&inverted).unwrap_err().field,
            "readings[0].diastolic"
        );
    }
}
