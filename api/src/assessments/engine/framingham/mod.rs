//! Framingham general cardiovascular disease 10-year risk.
//!
//! Source: D'Agostino RB et al., "General cardiovascular risk profile for use in primary
//! care: the Framingham Heart Study", Circulation 2008;117:743-753,
//! doi:10.1161/CIRCULATIONAHA.107.699579 (Cox model; betas, S0(10) and mean of L from the
//! Framingham Heart Study risk-function page, means also on the Medscape calculator page).
//! Valid for ages 30-74 without cardiovascular disease.

mod input;
pub mod points;

pub use self::input::{FraminghamInput, Sex};
use self::points::Bound;
use super::{FieldError, FieldSpec, Guidance, InstrumentInfo, Outcome, in_range, round6};
use crate::enums::{AssessmentType, RiskLevel};

/// `/2` added the office points, their risk and the heart age to the details.
pub const VERSION: &str = "framingham-general-cvd-2008/2";

/// Sex-specific coefficients (Circulation 2008;117:743, Table 2 / FHS risk-function page).
struct Coefficients {
    ln_age: f64,
    ln_total_cholesterol: f64,
    ln_hdl: f64,
    ln_sbp_untreated: f64,
    ln_sbp_treated: f64,
    smoker: f64,
    diabetes: f64,
    baseline_survival: f64,
    mean: f64,
}

const MEN: Coefficients = Coefficients {
    ln_age: 3.06117,
    ln_total_cholesterol: 1.12370,
    ln_hdl: -0.93263,
    ln_sbp_untreated: 1.93303,
    ln_sbp_treated: 1.99881,
    smoker: 0.65451,
    diabetes: 0.57367,
    baseline_survival: 0.88936,
    mean: 23.9802,
};

const WOMEN: Coefficients = Coefficients {
    ln_age: 2.32888,
    ln_total_cholesterol: 1.20904,
    ln_hdl: -0.70833,
    ln_sbp_untreated: 2.76157,
    ln_sbp_treated: 2.82263,
    smoker: 0.52873,
    diabetes: 0.69154,
    baseline_survival: 0.95012,
    mean: 26.1931,
};

/// Plausible ranges; outside them the model was not validated (project choice, docs).
const AGE: (f64, f64) = (30.0, 74.0);
const TOTAL_CHOLESTEROL: (f64, f64) = (100.0, 400.0);
const HDL: (f64, f64) = (20.0, 100.0);
const SBP: (f64, f64) = (90.0, 200.0);

super::instrument!(
    FraminghamInput,
    AssessmentType::Cardiovascular,
    "cardiovascular"
);

/// What the Framingham equation computed.
#[derive(
    async_graphql::SimpleObject, serde::Serialize, serde::Deserialize, Debug, Clone, Copy, PartialEq,
)]
#[serde(rename_all = "camelCase")]
pub struct FraminghamDetails {
    /// Estimated 10-year risk of a cardiovascular event, percent, two decimals (the Cox model:
    /// this is the risk `probability` and `riskLevel` use).
    pub ten_year_risk_percent: f64,
    /// The paper's office points (sex-specific tables, lipid version). Null for results stored
    /// before version `framingham-general-cvd-2008/2`.
    #[serde(default)]
    pub points: Option<i32>,
    /// The 10-year risk the points table gives, percent (the paper's rounding of the model);
    /// at the table's ends its bound, 1 or 30 (`pointsRiskBound`).
    #[serde(default)]
    pub points_risk_percent: Option<f64>,
    /// Whether `pointsRiskPercent` is the table's value or a bound ("< 1 %", "> 30 %").
    #[serde(default)]
    pub points_risk_bound: Option<Bound>,
    /// Heart (vascular) age in years: the age of someone of the same sex with the same points
    /// whose risk factors are all normal; at the table's ends its bound, 30 or 80.
    #[serde(default)]
    pub heart_age: Option<i32>,
    /// Whether `heartAge` is the table's value or a bound ("< 30", "> 80").
    #[serde(default)]
    pub heart_age_bound: Option<Bound>,
}

pub fn info() -> InstrumentInfo {
    InstrumentInfo {
        code: AssessmentType::Cardiovascular,
        title: "Heart and circulation: 10-year cardiovascular risk",
        description: "Estimates the chance of a heart attack, stroke or other cardiovascular event in the next 10 years, for adults aged 30-74 without known heart disease.",
        source: "D'Agostino RB et al. General cardiovascular risk profile for use in primary care: the Framingham Heart Study. Circulation 2008;117:743-753. doi:10.1161/CIRCULATIONAHA.107.699579",
        version: VERSION,
        fields: [
            risk_factor_fields(AGE, TOTAL_CHOLESTEROL, HDL, SBP),
            vec![
                FieldSpec::boolean("currentSmoker", "Currently smoking"),
                FieldSpec::boolean("diabetes", "Diabetes"),
            ],
        ]
        .concat(),
    }
}

/// The form fields both cardiovascular instruments open with, within each one's ranges: sex,
/// age, total and HDL cholesterol, systolic pressure and its treatment.
pub(super) fn risk_factor_fields(
    age: (f64, f64),
    total_cholesterol: (f64, f64),
    hdl: (f64, f64),
    sbp: (f64, f64),
) -> Vec<FieldSpec> {
    vec![
        FieldSpec::choice("sex", "Sex", &["FEMALE", "MALE"]),
        FieldSpec::number("age", "Age", "years", age.0, age.1),
        FieldSpec::number(
            "totalCholesterol",
            "Total cholesterol",
            "mg/dL",
            total_cholesterol.0,
            total_cholesterol.1,
        ),
        FieldSpec::number("hdlCholesterol", "HDL cholesterol", "mg/dL", hdl.0, hdl.1),
        FieldSpec::number(
            "systolicBp",
            "Systolic blood pressure",
            "mmHg",
            sbp.0,
            sbp.1,
        ),
        FieldSpec::boolean("onBpTreatment", "Taking blood pressure medication"),
    ]
}

/// The 10-year risk as a fraction, from the Cox model: 1 - S0^exp(L - mean).
pub fn ten_year_risk(input: &FraminghamInput) -> Result<f64, FieldError> {
    let age = in_range("age", input.age, AGE.0, AGE.1, "years")?;
    let tc = in_range(
        "totalCholesterol",
        input.total_cholesterol,
        TOTAL_CHOLESTEROL.0,
        TOTAL_CHOLESTEROL.1,
        "mg/dL",
    )?;
    let hdl = in_range(
        "hdlCholesterol",
        input.hdl_cholesterol,
        HDL.0,
        HDL.1,
        "mg/dL",
    )?;
    let sbp = in_range("systolicBp", input.systolic_bp, SBP.0, SBP.1, "mmHg")?;
    let c = match input.sex {
        Sex::Male => &MEN,
        Sex::Female => &WOMEN,
    };
    let sbp_beta = if input.on_bp_treatment {
        c.ln_sbp_treated
    } else {
        c.ln_sbp_untreated
    };
    let l = c.ln_age * age.ln()
        + c.ln_total_cholesterol * tc.ln()
        + c.ln_hdl * hdl.ln()
        + sbp_beta * sbp.ln()
        + if input.current_smoker { c.smoker } else { 0.0 }
        + if input.diabetes { c.diabetes } else { 0.0 };
    Ok(1.0 - c.baseline_survival.powf((l - c.mean).exp()))
}

const LOW: Guidance = Guidance {
    recommendations: &[
        "Keep up what protects your heart: regular activity, not smoking, and a diet rich in vegetables, fruit and whole grains.",
        "Check your blood pressure and cholesterol again in a few years, or sooner if your doctor suggests it.",
    ],
    warning_signs: &[],
    next_steps: &["Repeat this check when your numbers or habits change."],
};

const MODERATE: Guidance = Guidance {
    recommendations: &[
        "Your estimated risk is in the intermediate range. Changes in blood pressure, cholesterol and smoking can lower it.",
        "Aim for at least 150 minutes of moderate activity a week and limit salt and saturated fat.",
        "If you smoke, stopping is the single biggest step you can take.",
    ],
    warning_signs: &[],
    next_steps: &[
        "Talk with your doctor about this result and whether treatment for blood pressure or cholesterol would help.",
    ],
};

const HIGH: Guidance = Guidance {
    recommendations: &[
        "Your estimated risk is high. Lowering blood pressure and cholesterol and stopping smoking can reduce it substantially.",
        "Take any prescribed medicines as directed and do not stop them without advice.",
    ],
    warning_signs: &[
        "Chest pain or pressure, sudden shortness of breath, weakness on one side, or trouble speaking need emergency care: call your local emergency number.",
    ],
    next_steps: &[
        "Book an appointment with your doctor soon to discuss this result and a plan to lower your risk.",
    ],
};

pub fn evaluate(input: &FraminghamInput) -> Result<Outcome, FieldError> {
    let risk = ten_year_risk(input)?;
    let percent = risk * 100.0;
    // Thresholds from INSTRUMENTS.md: < 10 % low, 10-20 % intermediate, >= 20 % high.
    let (level, band, guidance) = if percent < 10.0 {
        (RiskLevel::Low, "low", &LOW)
    } else if percent < 20.0 {
        (RiskLevel::Moderate, "intermediate", &MODERATE)
    } else {
        (RiskLevel::High, "high", &HIGH)
    };
    #[allow(clippy::cast_possible_truncation)]
    let score = percent.round() as i32;
    let points = points::points(input);
    let details = FraminghamDetails {
        ten_year_risk_percent: (percent * 100.0).round() / 100.0,
        points: Some(points.total),
        points_risk_percent: Some(points.risk_percent),
        points_risk_bound: Some(points.risk_bound),
        heart_age: Some(points.heart_age),
        heart_age_bound: Some(points.heart_age_bound),
    };
    Ok(guidance.outcome(score, level, Some(round6(risk)), band, details))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(super) mod tests {
    use super::*;

    /// An input in the order the paper's tables list the factors (also for the points tests).
    #[allow(clippy::too_many_arguments)]
    pub(in crate::assessments::engine) fn input(
        sex: Sex,
        age: f64,
        tc: f64,
        hdl: f64,
        sbp: f64,
        treated: bool,
        smoker: bool,
        diabetes: bool,
    ) -> FraminghamInput {
        FraminghamInput {
            sex,
            age,
            total_cholesterol: tc,
            hdl_cholesterol: hdl,
            systolic_bp: sbp,
            on_bp_treatment: treated,
            current_smoker: smoker,
            diabetes,
        }
    }

    fn percent(i: &FraminghamInput) -> f64 {
        (ten_year_risk(i).unwrap() * 10_000.0).round() / 100.0
    }

    /// Published checks: CVrisk R package test suite (as listed in INSTRUMENTS.md), 2 dp.
    #[test]
    fn matches_the_published_checks() {
        assert_eq!(
            percent(&input(
                Sex::Male,
                55.0,
                213.0,
                50.0,
                140.0,
                false,
                false,
                false
            )),
            13.53
        );
        assert_eq!(
            percent(&input(
                Sex::Female,
                45.0,
                200.0,
                50.0,
                125.0,
                true,
                false,
                false
            )),
            4.68
        );
    }

    /// The paper's own worked examples (D'Agostino 2008, the example patients of its Tables
    /// 11 and 12), as encoded in the test suite of the estimateCVRisk R package
    /// (github.com/DGruen89/estimateCVRisk, "Paper example is correct" for
    /// `ascvd_frs_cvd_formula`): 10.48 % and 15.62 %.
    #[test]
    fn matches_the_papers_worked_examples() {
        let woman = input(Sex::Female, 61.0, 180.0, 47.0, 124.0, false, true, false);
        assert_eq!(percent(&woman), 10.48);
        let man = input(Sex::Male, 53.0, 161.0, 55.0, 125.0, true, false, true);
        assert_eq!(percent(&man), 15.62);
        // Both are intermediate risk.
        assert_eq!(evaluate(&woman).unwrap().level, RiskLevel::Moderate);
        assert_eq!(evaluate(&man).unwrap().score, 16);
    }

    #[test]
    fn risk_levels_follow_the_10_and_20_percent_thresholds() {
        let low = evaluate(&input(
            Sex::Female,
            45.0,
            200.0,
            50.0,
            125.0,
            true,
            false,
            false,
        ))
        .unwrap();
        assert_eq!((low.level, low.score, low.band), (RiskLevel::Low, 5, "low"));
        let mid = evaluate(&input(
            Sex::Male,
            55.0,
            213.0,
            50.0,
            140.0,
            false,
            false,
            false,
        ))
        .unwrap();
        assert_eq!(
            (mid.level, mid.score, mid.probability),
            (RiskLevel::Moderate, 14, Some(0.13534))
        );
        let high = evaluate(&input(
            Sex::Male,
            70.0,
            260.0,
            35.0,
            170.0,
            true,
            true,
            true,
        ))
        .unwrap();
        assert_eq!(high.level, RiskLevel::High);
        assert!(!high.warning_signs.is_empty());
    }

    #[test]
    fn the_treated_coefficient_replaces_the_untreated_one() {
        let untreated = ten_year_risk(&input(
            Sex::Male,
            50.0,
            200.0,
            50.0,
            130.0,
            false,
            false,
            false,
        ))
        .unwrap();
        let treated = ten_year_risk(&input(
            Sex::Male,
            50.0,
            200.0,
            50.0,
            130.0,
            true,
            false,
            false,
        ))
        .unwrap();
        assert!(treated > untreated);
    }

    #[test]
    fn inputs_outside_the_validated_ranges_name_their_field() {
        let ok = input(Sex::Male, 55.0, 213.0, 50.0, 140.0, false, false, false);
        for (field, bad) in [
            (
                "age",
                FraminghamInput {
                    age: 29.9,
                    ..ok.clone()
                },
            ),
            (
                "age",
                FraminghamInput {
                    age: 75.0,
                    ..ok.clone()
                },
            ),
            (
                "totalCholesterol",
                FraminghamInput {
                    total_cholesterol: 99.0,
                    ..ok.clone()
                },
            ),
            (
                "hdlCholesterol",
                FraminghamInput {
                    hdl_cholesterol: 101.0,
                    ..ok.clone()
                },
            ),
            (
                "systolicBp",
                FraminghamInput {
                    systolic_bp: f64::NAN,
                    ..ok.clone()
                },
            ),
        ] {
            assert_eq!(evaluate(&bad).unwrap_err().field, field);
        }
        assert!(
            evaluate(&FraminghamInput {
                age: 30.0,
                ..ok.clone()
            })
            .is_ok()
        );
        assert!(evaluate(&FraminghamInput { age: 74.0, ..ok }).is_ok());
    }
}
