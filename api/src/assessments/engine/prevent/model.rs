//! The PREVENT logistic models: the predictors as the paper transforms them, and one model's
//! risk from them.

use super::input::PreventInput;

/// mg/dL of cholesterol to mmol/L, as the paper converts.
const MMOL_PER_MG_DL: f64 = 0.02586;

/// The predictors as the paper transforms them.
pub(super) struct Terms {
    /// (age - 55) / 10
    age: f64,
    /// (total - HDL) in mmol/L - 3.5
    non_hdl: f64,
    /// (HDL in mmol/L - 1.3) / 0.3
    hdl: f64,
    /// (min(SBP, 110) - 110) / 20
    sbp_low: f64,
    /// (max(SBP, 110) - 130) / 20
    sbp_high: f64,
    diabetes: f64,
    smoker: f64,
    /// (min(BMI, 30) - 25) / 5
    bmi_low: f64,
    /// (max(BMI, 30) - 30) / 5
    bmi_high: f64,
    /// (min(eGFR, 60) - 60) / -15
    egfr_low: f64,
    /// (max(eGFR, 60) - 90) / -15
    egfr_high: f64,
    bp_treatment: f64,
    statin: f64,
}

fn flag(value: bool) -> f64 {
    if value { 1.0 } else { 0.0 }
}

impl Terms {
    pub(super) fn new(input: &PreventInput) -> Self {
        Self {
            age: (input.age - 55.0) / 10.0,
            non_hdl: (input.total_cholesterol - input.hdl_cholesterol) * MMOL_PER_MG_DL - 3.5,
            hdl: (input.hdl_cholesterol * MMOL_PER_MG_DL - 1.3) / 0.3,
            sbp_low: (input.systolic_bp.min(110.0) - 110.0) / 20.0,
            sbp_high: (input.systolic_bp.max(110.0) - 130.0) / 20.0,
            diabetes: flag(input.diabetes),
            smoker: flag(input.current_smoker),
            bmi_low: (input.bmi.min(30.0) - 25.0) / 5.0,
            bmi_high: (input.bmi.max(30.0) - 30.0) / 5.0,
            egfr_low: (input.egfr.min(60.0) - 60.0) / -15.0,
            egfr_high: (input.egfr.max(60.0) - 90.0) / -15.0,
            bp_treatment: flag(input.on_bp_treatment),
            statin: flag(input.on_statin),
        }
    }
}

/// One logistic model: a coefficient per term, zero for terms the model does not have (the
/// heart-failure models have no cholesterol or statin terms, the 10-year models no age^2).
pub(super) struct Model {
    pub(super) age: f64,
    pub(super) age_squared: f64,
    pub(super) non_hdl: f64,
    pub(super) hdl: f64,
    pub(super) sbp_low: f64,
    pub(super) sbp_high: f64,
    pub(super) diabetes: f64,
    pub(super) smoker: f64,
    pub(super) bmi_low: f64,
    pub(super) bmi_high: f64,
    pub(super) egfr_low: f64,
    pub(super) egfr_high: f64,
    pub(super) bp_treatment: f64,
    pub(super) statin: f64,
    pub(super) sbp_high_x_bp_treatment: f64,
    pub(super) non_hdl_x_statin: f64,
    pub(super) age_x_non_hdl: f64,
    pub(super) age_x_hdl: f64,
    pub(super) age_x_sbp_high: f64,
    pub(super) age_x_diabetes: f64,
    pub(super) age_x_smoker: f64,
    pub(super) age_x_bmi_high: f64,
    pub(super) age_x_egfr_low: f64,
    pub(super) constant: f64,
}

impl Model {
    /// The risk as a fraction: the logistic function of the model's log-odds.
    pub(super) fn risk(&self, t: &Terms) -> f64 {
        let x = self.age * t.age
            + self.age_squared * t.age * t.age
            + self.non_hdl * t.non_hdl
            + self.hdl * t.hdl
            + self.sbp_low * t.sbp_low
            + self.sbp_high * t.sbp_high
            + self.diabetes * t.diabetes
            + self.smoker * t.smoker
            + self.bmi_low * t.bmi_low
            + self.bmi_high * t.bmi_high
            + self.egfr_low * t.egfr_low
            + self.egfr_high * t.egfr_high
            + self.bp_treatment * t.bp_treatment
            + self.statin * t.statin
            + self.sbp_high_x_bp_treatment * t.sbp_high * t.bp_treatment
            + self.non_hdl_x_statin * t.non_hdl * t.statin
            + self.age_x_non_hdl * t.age * t.non_hdl
            + self.age_x_hdl * t.age * t.hdl
            + self.age_x_sbp_high * t.age * t.sbp_high
            + self.age_x_diabetes * t.age * t.diabetes
            + self.age_x_smoker * t.age * t.smoker
            + self.age_x_bmi_high * t.age * t.bmi_high
            + self.age_x_egfr_low * t.age * t.egfr_low
            + self.constant;
        1.0 / (1.0 + (-x).exp())
    }
}

/// A sex's three models for one horizon.
pub(super) struct Horizon {
    pub(super) total_cvd: Model,
    pub(super) ascvd: Model,
    pub(super) heart_failure: Model,
}
