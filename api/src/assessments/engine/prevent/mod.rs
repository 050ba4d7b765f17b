//! AHA PREVENT equations, base model: 10-year (and, for ages 30-59, 30-year) risks of total
//! cardiovascular disease, atherosclerotic cardiovascular disease (ASCVD) and heart failure.
//!
//! Source: Khan SS, Matsushita K, Sang Y, et al. Development and Validation of the American
//! Heart Association's PREVENT Equations. Circulation. 2024;149:430-449,
//! doi:10.1161/CIRCULATIONAHA.123.067626; the base model's sex- and outcome-specific logistic
//! models of its supplemental material, as transcribed in shared/clinical/INSTRUMENTS.md
//! section 8 (every number below is that table's, term by term). Checked against the
//! supplement's worked example (Table S12): a 50-year-old woman, total cholesterol 200 mg/dL,
//! HDL 45, SBP 160 treated, diabetes, non-smoker, eGFR 90, BMI 35 -> 10-year total CVD 14.7 %,
//! ASCVD 9.2 %, heart failure 8.1 %; 30-year 53.0 %, 35.4 %, 39.0 %.
//!
//! `riskLevel` comes from the 10-year ASCVD risk with the categories of the 2018 ACC/AHA
//! cholesterol guideline (Grundy SM et al., Circulation 2019;139:e1082-e1143): low < 5 %,
//! borderline 5 to < 7.5 %, intermediate 7.5 to < 20 %, high >= 20 %.

mod coefficients;
mod input;
mod model;

pub use self::input::PreventInput;
use self::{
    coefficients::{TEN_YEAR_MEN, TEN_YEAR_WOMEN, THIRTY_YEAR_MEN, THIRTY_YEAR_WOMEN},
    model::{Horizon, Terms},
};
use super::{
    FieldError, FieldSpec, Guidance, InstrumentInfo, Outcome,
    framingham::{self, Sex},
    in_range, round6,
};
use crate::enums::{AssessmentType, RiskLevel};

pub const VERSION: &str = "prevent-base-2024/1";

/// The paper's valid ranges (INSTRUMENTS.md section 8).
const AGE: (f64, f64) = (30.0, 79.0);
/// 30-year risks are given for these ages only.
const THIRTY_YEAR_AGE: (f64, f64) = (30.0, 59.0);
const TOTAL_CHOLESTEROL: (f64, f64) = (130.0, 320.0);
const HDL: (f64, f64) = (20.0, 100.0);
const SBP: (f64, f64) = (90.0, 180.0);
const BMI: (f64, f64) = (18.5, 39.9);
const EGFR: (f64, f64) = (15.0, 140.0);

super::instrument!(PreventInput, AssessmentType::Prevent, "prevent");

/// What the PREVENT equations computed, in percent with two decimals.
#[derive(
    async_graphql::SimpleObject, serde::Serialize, serde::Deserialize, Debug, Clone, Copy, PartialEq,
)]
#[serde(rename_all = "camelCase")]
pub struct PreventDetails {
    /// 10-year risk of any cardiovascular disease (ASCVD or heart failure).
    pub ten_year_total_cvd_percent: f64,
    /// 10-year risk of atherosclerotic cardiovascular disease (heart attack, stroke).
    pub ten_year_ascvd_percent: f64,
    /// 10-year risk of heart failure.
    pub ten_year_heart_failure_percent: f64,
    /// 30-year risk of any cardiovascular disease; null from age 60 (outside the model).
    pub thirty_year_total_cvd_percent: Option<f64>,
    /// 30-year risk of atherosclerotic cardiovascular disease; null from age 60.
    pub thirty_year_ascvd_percent: Option<f64>,
    /// 30-year risk of heart failure; null from age 60.
    pub thirty_year_heart_failure_percent: Option<f64>,
}

pub fn info() -> InstrumentInfo {
    InstrumentInfo {
        code: AssessmentType::Prevent,
        title: "Heart, kidneys and metabolism: PREVENT cardiovascular risk",
        description: "Estimates the chance of cardiovascular disease (heart attack, stroke or heart failure) in the next 10 years, and for ages 30-59 the next 30 years, for adults aged 30-79 without known heart disease. Uses kidney function (eGFR) and BMI as well as blood pressure, cholesterol, diabetes and smoking.",
        source: "Khan SS, Matsushita K, Sang Y, et al. Development and Validation of the American Heart Association's PREVENT Equations. Circulation 2024;149:430-449. doi:10.1161/CIRCULATIONAHA.123.067626",
        version: VERSION,
        fields: [
            framingham::risk_factor_fields(AGE, TOTAL_CHOLESTEROL, HDL, SBP),
            vec![
                FieldSpec::boolean("onStatin", "Taking a statin"),
                FieldSpec::boolean("currentSmoker", "Currently smoking"),
                FieldSpec::boolean("diabetes", "Diabetes"),
                FieldSpec::number("bmi", "Body mass index", "kg/m2", BMI.0, BMI.1),
                FieldSpec::number(
                    "egfr",
                    "Kidney function (eGFR)",
                    "mL/min/1.73 m2",
                    EGFR.0,
                    EGFR.1,
                ),
            ],
        ]
        .concat(),
    }
}

/// Every input within the paper's ranges, else an error naming the first field outside.
fn check(input: &PreventInput) -> Result<(), FieldError> {
    in_range("age", input.age, AGE.0, AGE.1, "years")?;
    in_range(
        "totalCholesterol",
        input.total_cholesterol,
        TOTAL_CHOLESTEROL.0,
        TOTAL_CHOLESTEROL.1,
        "mg/dL",
    )?;
    in_range(
        "hdlCholesterol",
        input.hdl_cholesterol,
        HDL.0,
        HDL.1,
        "mg/dL",
    )?;
    in_range("systolicBp", input.systolic_bp, SBP.0, SBP.1, "mmHg")?;
    in_range("bmi", input.bmi, BMI.0, BMI.1, "kg/m2")?;
    in_range("egfr", input.egfr, EGFR.0, EGFR.1, "mL/min/1.73 m2")?;
    Ok(())
}

/// The risks as fractions: 10-year (total CVD, ASCVD, heart failure) and, for ages 30-59,
/// 30-year.
pub fn risks(input: &PreventInput) -> Result<([f64; 3], Option<[f64; 3]>), FieldError> {
    check(input)?;
    let terms = Terms::new(input);
    let (ten, thirty) = match input.sex {
        Sex::Female => (&TEN_YEAR_WOMEN, &THIRTY_YEAR_WOMEN),
        Sex::Male => (&TEN_YEAR_MEN, &THIRTY_YEAR_MEN),
    };
    let of = |h: &Horizon| {
        [
            h.total_cvd.risk(&terms),
            h.ascvd.risk(&terms),
            h.heart_failure.risk(&terms),
        ]
    };
    let thirty_year = (THIRTY_YEAR_AGE.0..=THIRTY_YEAR_AGE.1)
        .contains(&input.age)
        .then(|| of(thirty));
    Ok((of(ten), thirty_year))
}

const LOW: Guidance = Guidance {
    recommendations: &[
        "Your estimated 10-year risk of a heart attack or stroke is low. Keep up what protects your heart and kidneys: regular activity, not smoking, and a diet rich in vegetables, fruit and whole grains.",
    ],
    warning_signs: &[],
    next_steps: &[
        "Check your blood pressure, cholesterol and kidney function again in a few years, or sooner if your clinician suggests it.",
    ],
};

const BORDERLINE: Guidance = Guidance {
    recommendations: &[
        "Your estimated 10-year risk of a heart attack or stroke is borderline. Lifestyle changes (activity, diet, not smoking, a healthy weight) lower it.",
        "Aim for at least 150 minutes of moderate activity a week and limit salt and saturated fat.",
    ],
    warning_signs: &[],
    next_steps: &[
        "Talk with your clinician about this result; together you can decide whether other factors make a statin worth considering.",
    ],
};

const INTERMEDIATE: Guidance = Guidance {
    recommendations: &[
        "Your estimated 10-year risk of a heart attack or stroke is intermediate. Lowering blood pressure and cholesterol and stopping smoking can reduce it substantially.",
        "Aim for at least 150 minutes of moderate activity a week and limit salt and saturated fat.",
    ],
    warning_signs: &[],
    next_steps: &[
        "Talk with your clinician about this result, including whether a statin would be right for you.",
    ],
};

const HIGH: Guidance = Guidance {
    recommendations: &[
        "Your estimated 10-year risk of a heart attack or stroke is high. Lowering blood pressure and cholesterol and stopping smoking can reduce it substantially.",
        "Take any prescribed medicines as directed and do not stop them without advice.",
    ],
    warning_signs: &[
        "Chest pain or pressure, sudden shortness of breath, weakness on one side, or trouble speaking need emergency care: call your local emergency number.",
    ],
    next_steps: &[
        "Book an appointment with your clinician soon to discuss this result, a statin and a plan to lower your risk.",
    ],
};

/// Kidney function below this (mL/min/1.73 m2) adds to the risk in the models: the split of
/// the eGFR terms, and the threshold of chronic kidney disease (KDIGO stage 3).
const KIDNEY_ADVICE_BELOW: f64 = 60.0;
/// BMI from this (kg/m2) raises the heart-failure risk: the split of the BMI terms (WHO
/// obesity).
const WEIGHT_ADVICE_FROM: f64 = 30.0;

pub fn evaluate(input: &PreventInput) -> Result<Outcome, FieldError> {
    let ([total_cvd, ascvd, heart_failure], thirty_year) = risks(input)?;
    let ascvd_percent = ascvd * 100.0;
    // The 2018 ACC/AHA categories of 10-year ASCVD risk, mapped to the common scale.
    let (level, band, guidance) = if ascvd_percent < 5.0 {
        (RiskLevel::Low, "low", &LOW)
    } else if ascvd_percent < 7.5 {
        (RiskLevel::SlightlyElevated, "borderline", &BORDERLINE)
    } else if ascvd_percent < 20.0 {
        (RiskLevel::Moderate, "intermediate", &INTERMEDIATE)
    } else {
        (RiskLevel::High, "high", &HIGH)
    };
    let percent = |risk: f64| (risk * 10_000.0).round() / 100.0;
    let details = PreventDetails {
        ten_year_total_cvd_percent: percent(total_cvd),
        ten_year_ascvd_percent: percent(ascvd),
        ten_year_heart_failure_percent: percent(heart_failure),
        thirty_year_total_cvd_percent: thirty_year.map(|r| percent(r[0])),
        thirty_year_ascvd_percent: thirty_year.map(|r| percent(r[1])),
        thirty_year_heart_failure_percent: thirty_year.map(|r| percent(r[2])),
    };
    #[allow(clippy::cast_possible_truncation)]
    let score = (total_cvd * 100.0).round() as i32;
    let mut outcome = guidance.outcome(score, level, Some(round6(total_cvd)), band, details);
    // What drives the risk beyond the common factors, where the model says it does.
    if input.egfr < KIDNEY_ADVICE_BELOW {
        outcome.recommendations.push(
            "Your kidney function (eGFR below 60) adds to your heart risk. Ask your clinician how to protect your kidneys: blood pressure and blood sugar control, and which medicines suit your kidneys.".into(),
        );
    }
    if input.bmi >= WEIGHT_ADVICE_FROM {
        outcome.recommendations.push(
            "Your weight (BMI 30 or more) raises your risk of heart failure. Even a 5 to 10 % weight loss helps; your clinician can suggest a plan that suits you.".into(),
        );
    }
    if input.current_smoker {
        outcome.recommendations.push(
            "Stopping smoking is the single biggest step you can take; ask your clinician or a quit line for support.".into(),
        );
    }
    Ok(outcome)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The supplement's worked example (Table S12): woman, 50, TC 200, HDL 45, SBP 160
    /// treated, diabetes, non-smoker, no statin, eGFR 90, BMI 35.
    fn example(sex: Sex) -> PreventInput {
        PreventInput {
            sex,
            age: 50.0,
            total_cholesterol: 200.0,
            hdl_cholesterol: 45.0,
            systolic_bp: 160.0,
            on_bp_treatment: true,
            on_statin: false,
            current_smoker: false,
            diabetes: true,
            bmi: 35.0,
            egfr: 90.0,
        }
    }

    fn details(input: &PreventInput) -> PreventDetails {
        serde_json::from_value(evaluate(input).unwrap().details).unwrap()
    }

    #[test]
    fn the_papers_worked_example() {
        let d = details(&example(Sex::Female));
        assert_eq!(d.ten_year_total_cvd_percent, 14.68);
        assert_eq!(d.ten_year_ascvd_percent, 9.20);
        assert_eq!(d.ten_year_heart_failure_percent, 8.06);
        // One decimal, as the paper prints them.
        let one = |p: Option<f64>| (p.unwrap() * 10.0).round() / 10.0;
        assert_eq!(one(d.thirty_year_total_cvd_percent), 53.0);
        assert_eq!(one(d.thirty_year_ascvd_percent), 35.4);
        assert_eq!(one(d.thirty_year_heart_failure_percent), 39.0);
        let outcome = evaluate(&example(Sex::Female)).unwrap();
        assert_eq!(outcome.probability, Some(0.146839));
        assert_eq!(outcome.score, 15);
        // ASCVD 9.2 %: intermediate (7.5 to < 20 %).
        assert_eq!(
            (outcome.level, outcome.band),
            (RiskLevel::Moderate, "intermediate")
        );
        assert!(
            outcome
                .recommendations
                .iter()
                .any(|r| r.contains("heart failure")),
            "BMI 35 brings the weight advice"
        );
        assert!(!outcome.recommendations.iter().any(|r| r.contains("kidney")));
    }

    #[test]
    fn the_same_profile_for_a_man() {
        // The supplement's example for a man (Table S12): 10-year total CVD 16.3 %, 30-year
        // ASCVD 34.9 %.
        let d = details(&example(Sex::Male));
        assert_eq!(d.ten_year_total_cvd_percent, 16.32);
        assert_eq!(
            (d.thirty_year_ascvd_percent.unwrap() * 10.0).round() / 10.0,
            34.9
        );
    }

    #[test]
    fn thirty_year_risks_stop_at_59() {
        let mut input = example(Sex::Female);
        input.age = 59.0;
        assert!(details(&input).thirty_year_total_cvd_percent.is_some());
        input.age = 59.5;
        let d = details(&input);
        assert_eq!(d.thirty_year_total_cvd_percent, None);
        assert_eq!(d.thirty_year_ascvd_percent, None);
        assert_eq!(d.thirty_year_heart_failure_percent, None);
        input.age = 79.0;
        assert!(details(&input).ten_year_total_cvd_percent > 0.0);
    }

    #[test]
    fn every_input_bound_is_inclusive_and_the_next_value_refused() {
        type Set = fn(&mut PreventInput, f64);
        let fields: [(&str, Set, f64, f64, f64); 6] = [
            ("age", |i, v| i.age = v, 30.0, 79.0, 0.5),
            (
                "totalCholesterol",
                |i, v| i.total_cholesterol = v,
                130.0,
                320.0,
                0.1,
            ),
            (
                "hdlCholesterol",
                |i, v| i.hdl_cholesterol = v,
                20.0,
                100.0,
                0.1,
            ),
            ("systolicBp", |i, v| i.systolic_bp = v, 90.0, 180.0, 0.1),
            ("bmi", |i, v| i.bmi = v, 18.5, 39.9, 0.1),
            ("egfr", |i, v| i.egfr = v, 15.0, 140.0, 0.1),
        ];
        for (name, set, min, max, step) in fields {
            for (value, ok) in [
                (min, true),
                (max, true),
                (min - step, false),
                (max + step, false),
                (f64::NAN, false),
                (f64::INFINITY, false),
            ] {
                let mut input = example(Sex::Male);
                set(&mut input, value);
                match evaluate(&input) {
                    Ok(_) => assert!(ok, "{name} = {value} must be refused"),
                    Err(err) => {
                        assert!(!ok, "{name} = {value} must be accepted: {err:?}");
                        assert_eq!(err.field, name);
                    }
                }
            }
        }
    }

    /// `base` aged so that its 10-year ASCVD risk is `target` percent (the risk rises with
    /// age): the youngest such age found by bisection, and the age just below it.
    fn aged_to(base: &PreventInput, target: f64) -> (PreventInput, PreventInput) {
        let ascvd = |i: &PreventInput| risks(i).unwrap().0[1] * 100.0;
        let (mut below, mut from) = (base.clone(), base.clone());
        below.age = AGE.0;
        from.age = AGE.1;
        assert!(
            ascvd(&below) < target && ascvd(&from) >= target,
            "{target} % inside the ages"
        );
        for _ in 0..100 {
            let mut middle = base.clone();
            middle.age = (below.age + from.age) / 2.0;
            if ascvd(&middle) < target {
                below = middle;
            } else {
                from = middle;
            }
        }
        assert!(from.age - below.age < 1e-9 && ascvd(&from) - target < 1e-6);
        (below, from)
    }

    #[test]
    fn bands_follow_the_2018_categories_of_ascvd_risk_at_their_edges() {
        let mut plain = example(Sex::Male);
        plain.diabetes = false;
        plain.on_bp_treatment = false;
        plain.systolic_bp = 130.0;
        let mut smoker = example(Sex::Male);
        smoker.current_smoker = true;
        let low = (RiskLevel::Low, "low");
        let borderline = (RiskLevel::SlightlyElevated, "borderline");
        let intermediate = (RiskLevel::Moderate, "intermediate");
        let high = (RiskLevel::High, "high");
        for (base, edge, under, over) in [
            (&plain, 5.0, low, borderline),
            (&plain, 7.5, borderline, intermediate),
            (&smoker, 20.0, intermediate, high),
        ] {
            let (below, from) = aged_to(base, edge);
            let level = |i: &PreventInput| {
                let o = evaluate(i).unwrap();
                (o.level, o.band)
            };
            assert_eq!(level(&below), under, "just below {edge} %");
            assert_eq!(level(&from), over, "at {edge} %");
        }
    }

    #[test]
    fn kidney_function_and_weight_bring_their_advice_where_they_drive_the_risk() {
        let mut input = example(Sex::Female);
        input.bmi = 29.9;
        input.egfr = 60.0;
        let plain = evaluate(&input).unwrap();
        assert!(
            !plain
                .recommendations
                .iter()
                .any(|r| r.contains("kidney") || r.contains("BMI"))
        );
        input.egfr = 59.9;
        input.bmi = 30.0;
        let flagged = evaluate(&input).unwrap();
        assert!(
            flagged
                .recommendations
                .iter()
                .any(|r| r.contains("kidney function"))
        );
        assert!(flagged.recommendations.iter().any(|r| r.contains("BMI 30")));
        // Lower kidney function raises every 10-year risk.
        let ([cvd_low, ascvd_low, hf_low], _) = risks(&input).unwrap();
        input.egfr = 90.0;
        let ([cvd, ascvd, hf], _) = risks(&input).unwrap();
        assert!(cvd_low > cvd && ascvd_low > ascvd && hf_low > hf);
    }

    #[test]
    fn no_recommendation_prescribes() {
        for guidance in [&LOW, &BORDERLINE, &INTERMEDIATE, &HIGH] {
            for line in guidance.recommendations.iter().chain(guidance.next_steps) {
                let lower = line.to_lowercase();
                assert!(
                    !lower.contains("start taking") && !lower.contains(" mg"),
                    "{line}"
                );
            }
        }
    }
}
