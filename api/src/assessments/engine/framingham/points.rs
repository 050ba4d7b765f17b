//! The Framingham office points system (lipid version): points per risk factor, the 10-year
//! CVD risk the total gives, and the heart (vascular) age: the age of a person of the same sex
//! with the same predicted risk whose risk factors are all normal.
//!
//! Source: D'Agostino RB et al., Circulation 2008;117:743-753, its sex-specific points tables
//! (lipid version) and the worked examples of Tables 11 (a woman, heart age 73) and 12 (a man,
//! heart age 64). The
//! paper's pages were not available offline; the numbers below are those that six independent
//! public implementations citing the paper agree on, and they reproduce both worked examples
//! exactly (the unit tests). docs/assessments.md lists them and the boundary choices.
//!
//! Boundaries: the paper prints whole-number ranges ("160-199"); a measured value scores the
//! band whose lower bound it has reached (199.5 mg/dL scores as 160-199), so every value has
//! exactly one band.

use super::input::{FraminghamInput, Sex};

/// (lower bound, points), ascending: a value scores the last band whose bound it reaches.
type Bands = &'static [(f64, i32)];

struct Table {
    age: Bands,
    hdl: Bands,
    total_cholesterol: Bands,
    sbp_untreated: Bands,
    sbp_treated: Bands,
    smoker: i32,
    diabetes: i32,
    /// 10-year risk in percent for totals from `risk_from` up; below: "< 1 %", above: "> 30 %".
    risk_from: i32,
    risk: &'static [f64],
    /// Heart age for totals from `heart_age_from` up; below: "< 30", above: "> 80".
    heart_age_from: i32,
    heart_age: &'static [i32],
}

const HDL: Bands = &[(f64::MIN, 2), (35.0, 1), (45.0, 0), (50.0, -1), (60.0, -2)];

const WOMEN: Table = Table {
    age: &[
        (f64::MIN, 0),
        (35.0, 2),
        (40.0, 4),
        (45.0, 5),
        (50.0, 7),
        (55.0, 8),
        (60.0, 9),
        (65.0, 10),
        (70.0, 11),
        (75.0, 12),
    ],
    hdl: HDL,
    total_cholesterol: &[
        (f64::MIN, 0),
        (160.0, 1),
        (200.0, 3),
        (240.0, 4),
        (280.0, 5),
    ],
    sbp_untreated: &[
        (f64::MIN, -3),
        (120.0, 0),
        (130.0, 1),
        (140.0, 2),
        (150.0, 4),
        (160.0, 5),
    ],
    sbp_treated: &[
        (f64::MIN, -1),
        (120.0, 2),
        (130.0, 3),
        (140.0, 5),
        (150.0, 6),
        (160.0, 7),
    ],
    smoker: 3,
    diabetes: 4,
    risk_from: -1,
    risk: &[
        1.0, 1.2, 1.5, 1.7, 2.0, 2.4, 2.8, 3.3, 3.9, 4.5, 5.3, 6.3, 7.3, 8.6, 10.0, 11.7, 13.7,
        15.9, 18.5, 21.5, 24.8, 28.5,
    ],
    heart_age_from: 1,
    heart_age: &[31, 34, 36, 39, 42, 45, 48, 51, 55, 59, 64, 68, 73, 79],
};

const MEN: Table = Table {
    age: &[
        (f64::MIN, 0),
        (35.0, 2),
        (40.0, 5),
        (45.0, 6),
        (50.0, 8),
        (55.0, 10),
        (60.0, 11),
        (65.0, 12),
        (70.0, 14),
        (75.0, 15),
    ],
    hdl: HDL,
    total_cholesterol: &[
        (f64::MIN, 0),
        (160.0, 1),
        (200.0, 2),
        (240.0, 3),
        (280.0, 4),
    ],
    sbp_untreated: &[
        (f64::MIN, -2),
        (120.0, 0),
        (130.0, 1),
        (140.0, 2),
        (160.0, 3),
    ],
    sbp_treated: &[
        (f64::MIN, 0),
        (120.0, 2),
        (130.0, 3),
        (140.0, 4),
        (160.0, 5),
    ],
    smoker: 4,
    diabetes: 3,
    risk_from: -2,
    risk: &[
        1.1, 1.4, 1.6, 1.9, 2.3, 2.8, 3.3, 3.9, 4.7, 5.6, 6.7, 7.9, 9.4, 11.2, 13.2, 15.6, 18.4,
        21.6, 25.3, 29.4,
    ],
    heart_age_from: 0,
    heart_age: &[
        30, 32, 34, 36, 38, 40, 42, 45, 48, 51, 54, 57, 60, 64, 68, 72, 76,
    ],
};

/// Where a looked-up value sits against the table.
#[derive(
    async_graphql::Enum, serde::Serialize, serde::Deserialize, Debug, Clone, Copy, PartialEq, Eq,
)]
#[graphql(name = "PointsTableBound")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Bound {
    /// The table's own value.
    Exact,
    /// Below the table's first row: the value is an upper bound ("< 1 %", "< 30 years").
    Below,
    /// Beyond the table's last row: the value is a lower bound ("> 30 %", "> 80 years").
    Above,
}

/// What the points system gives for one person.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Points {
    pub total: i32,
    /// 10-year CVD risk in percent (at the table's ends, its bound: 1 or 30).
    pub risk_percent: f64,
    pub risk_bound: Bound,
    /// Heart age in years (at the table's ends, its bound: 30 or 80).
    pub heart_age: i32,
    pub heart_age_bound: Bound,
}

fn band(bands: Bands, value: f64) -> i32 {
    bands
        .iter()
        .rev()
        .find(|(lower, _)| value >= *lower)
        .map_or(0, |(_, points)| *points)
}

/// The row of `total` in a table starting at `from`, or which end it falls beyond.
fn lookup<T: Copy>(rows: &[T], from: i32, total: i32, below: T, above: T) -> (T, Bound) {
    let index = total - from;
    if index < 0 {
        return (below, Bound::Below);
    }
    match usize::try_from(index).ok().and_then(|i| rows.get(i)) {
        Some(value) => (*value, Bound::Exact),
        None => (above, Bound::Above),
    }
}

/// The points, their risk and the heart age of a (validated) input.
pub fn points(input: &FraminghamInput) -> Points {
    let table = match input.sex {
        Sex::Female => &WOMEN,
        Sex::Male => &MEN,
    };
    let sbp = if input.on_bp_treatment {
        table.sbp_treated
    } else {
        table.sbp_untreated
    };
    let total = band(table.age, input.age)
        + band(table.hdl, input.hdl_cholesterol)
        + band(table.total_cholesterol, input.total_cholesterol)
        + band(sbp, input.systolic_bp)
        + if input.current_smoker {
            table.smoker
        } else {
            0
        }
        + if input.diabetes { table.diabetes } else { 0 };
    let (risk_percent, risk_bound) = lookup(table.risk, table.risk_from, total, 1.0, 30.0);
    let (heart_age, heart_age_bound) = lookup(table.heart_age, table.heart_age_from, total, 30, 80);
    Points {
        total,
        risk_percent,
        risk_bound,
        heart_age,
        heart_age_bound,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assessments::engine::framingham::tests::input as person;

    #[test]
    fn the_papers_worked_examples() {
        // Table 11: age 9 + TC 1 + HDL 0 + SBP 0 + smoker 3 = 13 -> 10.0 %, heart age 73.
        let woman = points(&person(
            Sex::Female,
            61.0,
            180.0,
            47.0,
            124.0,
            false,
            true,
            false,
        ));
        assert_eq!(
            woman,
            Points {
                total: 13,
                risk_percent: 10.0,
                risk_bound: Bound::Exact,
                heart_age: 73,
                heart_age_bound: Bound::Exact
            }
        );
        // Table 12: age 8 + TC 1 + HDL -1 + treated SBP 2 + diabetes 3 = 13 -> 15.6 %, 64.
        let man = points(&person(
            Sex::Male,
            53.0,
            161.0,
            55.0,
            125.0,
            true,
            false,
            true,
        ));
        assert_eq!(
            man,
            Points {
                total: 13,
                risk_percent: 15.6,
                risk_bound: Bound::Exact,
                heart_age: 64,
                heart_age_bound: Bound::Exact
            }
        );
    }

    #[test]
    fn every_band_starts_at_its_printed_lower_bound() {
        for table in [&WOMEN, &MEN] {
            let sbp = [table.sbp_untreated, table.sbp_treated];
            for bands in [
                table.age,
                table.hdl,
                table.total_cholesterol,
                sbp[0],
                sbp[1],
            ] {
                for window in bands.windows(2) {
                    let ((_, before), (lower, here)) = (window[0], window[1]);
                    assert_eq!(band(bands, lower), here, "{lower}");
                    assert_eq!(band(bands, lower - 0.01), before, "just below {lower}");
                }
            }
        }
        // Printed ranges, spot-checked: women 60-64 -> 9, men 45-49 -> 6, TC 240-279.
        assert_eq!(band(WOMEN.age, 64.99), 9);
        assert_eq!(band(MEN.age, 49.5), 6);
        assert_eq!(band(WOMEN.total_cholesterol, 279.9), 4);
        assert_eq!(band(MEN.sbp_untreated, 159.9), 2);
    }

    #[test]
    fn totals_beyond_the_tables_are_bounds() {
        // The lowest possible woman: age 0, HDL -2, TC 0, SBP -3 = -5.
        let low = points(&person(
            Sex::Female,
            30.0,
            150.0,
            70.0,
            110.0,
            false,
            false,
            false,
        ));
        assert_eq!(
            (low.total, low.risk_bound, low.heart_age_bound),
            (-5, Bound::Below, Bound::Below)
        );
        assert_eq!((low.risk_percent, low.heart_age), (1.0, 30));
        // The highest possible man: 15 + 2 + 4 + 5 + 4 + 3 = 33.
        let high = points(&person(
            Sex::Male,
            76.0,
            300.0,
            30.0,
            170.0,
            true,
            true,
            true,
        ));
        assert_eq!(
            (high.total, high.risk_bound, high.heart_age_bound),
            (33, Bound::Above, Bound::Above)
        );
        assert_eq!((high.risk_percent, high.heart_age), (30.0, 80));
        // The tables' own ends: women -1 -> 1.0 % and 20 -> 28.5 %; men 0 -> 30 and 16 -> 76.
        assert_eq!(
            lookup(WOMEN.risk, WOMEN.risk_from, -1, 1.0, 30.0),
            (1.0, Bound::Exact)
        );
        assert_eq!(
            lookup(WOMEN.risk, WOMEN.risk_from, 20, 1.0, 30.0),
            (28.5, Bound::Exact)
        );
        assert_eq!(
            lookup(WOMEN.risk, WOMEN.risk_from, 21, 1.0, 30.0),
            (30.0, Bound::Above)
        );
        assert_eq!(
            lookup(MEN.risk, MEN.risk_from, -3, 1.0, 30.0),
            (1.0, Bound::Below)
        );
        assert_eq!(
            lookup(MEN.risk, MEN.risk_from, 17, 1.0, 30.0),
            (29.4, Bound::Exact)
        );
        assert_eq!(
            lookup(MEN.heart_age, MEN.heart_age_from, 0, 30, 80),
            (30, Bound::Exact)
        );
        assert_eq!(
            lookup(MEN.heart_age, MEN.heart_age_from, 17, 30, 80),
            (80, Bound::Above)
        );
        assert_eq!(
            lookup(WOMEN.heart_age, WOMEN.heart_age_from, 0, 30, 80),
            (30, Bound::Below)
        );
        assert_eq!(
            lookup(WOMEN.heart_age, WOMEN.heart_age_from, 14, 30, 80),
            (79, Bound::Exact)
        );
    }

    #[test]
    fn the_tables_cover_the_papers_ranges() {
        // Women: risk for -1..=20, heart age for 1..=14; men: risk -2..=17, heart age 0..=16.
        assert_eq!(WOMEN.risk.len(), 22);
        assert_eq!(WOMEN.heart_age.len(), 14);
        assert_eq!(MEN.risk.len(), 20);
        assert_eq!(MEN.heart_age.len(), 17);
        for table in [&WOMEN, &MEN] {
            assert!(table.risk.windows(2).all(|w| w[0] < w[1]));
            assert!(table.heart_age.windows(2).all(|w| w[0] < w[1]));
        }
    }
}
