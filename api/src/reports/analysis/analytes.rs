//! The adult lab analytes the report analyser recognises: the names reports print them under,
//! the units they come in (with conversion to one comparison unit), a default reference range
//! for when the report prints none, and critical limits. Sources and reasons: docs/reports.md.

/// `canonical = printed * factor + offset`.
#[derive(Debug, Clone, Copy)]
pub struct Conversion {
    pub factor: f64,
    pub offset: f64,
}

const fn times(factor: f64) -> Conversion {
    Conversion {
        factor,
        offset: 0.0,
    }
}

/// A range of values; `None` is open-ended. `a - b` includes both ends, `< b` excludes `b`
/// ("< 200 desirable": 200 is already borderline), `> a` excludes `a`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub low_inclusive: bool,
    pub high_inclusive: bool,
}

/// Where a value sits against [`Bounds`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    Below,
    Within,
    Above,
}

impl Bounds {
    pub fn position(&self, value: f64) -> Position {
        let below = self.low.is_some_and(|low| {
            if self.low_inclusive {
                value < low
            } else {
                value <= low
            }
        });
        let above = self.high.is_some_and(|high| {
            if self.high_inclusive {
                value > high
            } else {
                value >= high
            }
        });
        match (below, above) {
            (true, _) => Position::Below,
            (_, true) => Position::Above,
            _ => Position::Within,
        }
    }
}

pub const fn between(low: f64, high: f64) -> Bounds {
    Bounds {
        low: Some(low),
        high: Some(high),
        low_inclusive: true,
        high_inclusive: true,
    }
}

pub const fn below(high: f64) -> Bounds {
    Bounds {
        low: None,
        high: Some(high),
        low_inclusive: true,
        high_inclusive: false,
    }
}

pub const fn at_least(low: f64) -> Bounds {
    Bounds {
        low: Some(low),
        high: None,
        low_inclusive: true,
        high_inclusive: true,
    }
}

const NONE: Bounds = Bounds {
    low: None,
    high: None,
    low_inclusive: true,
    high_inclusive: true,
};

/// Critical limits: only values beyond them count.
const fn critical_outside(low: Option<f64>, high: Option<f64>) -> Bounds {
    Bounds {
        low,
        high,
        low_inclusive: true,
        high_inclusive: true,
    }
}

/// A default reference range, the same for everyone or by sex.
#[derive(Debug, Clone, Copy)]
pub enum DefaultRange {
    All(Bounds),
    BySex { male: Bounds, female: Bounds },
}

/// Sex for sex-specific default ranges; unknown uses the span of both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    Male,
    Female,
    Unknown,
}

impl DefaultRange {
    pub fn for_sex(&self, sex: Sex) -> Bounds {
        match (*self, sex) {
            (Self::All(bounds), _) => bounds,
            (Self::BySex { male, .. }, Sex::Male) => male,
            (Self::BySex { female, .. }, Sex::Female) => female,
            (Self::BySex { male, female }, Sex::Unknown) => Bounds {
                low: min_option(male.low, female.low),
                high: max_option(male.high, female.high),
                ..male
            },
        }
    }
}

fn min_option(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        _ => None,
    }
}

fn max_option(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        _ => None,
    }
}

#[derive(Debug)]
pub struct Analyte {
    /// Stable key in `analysis_result` (snake_case).
    pub key: &'static str,
    /// Display name.
    pub name: &'static str,
    /// Lower-case names as reports print them; the longest match at the start of a line wins.
    pub names: &'static [&'static str],
    /// The unit defaults and critical limits are given in.
    pub unit: &'static str,
    /// Other accepted spellings, normalised by [`normalise_unit`], with their conversion.
    pub units: &'static [(&'static str, Conversion)],
    pub default_range: DefaultRange,
    pub critical: Bounds,
    /// Where the default range comes from (short form; full references in docs/reports.md).
    pub source: &'static str,
}

impl Analyte {
    /// The conversion of a printed unit to [`Analyte::unit`], when the unit is known.
    pub fn conversion(&self, printed: &str) -> Option<Conversion> {
        let printed = normalise_unit(printed);
        if printed == normalise_unit(self.unit) {
            return Some(times(1.0));
        }
        self.units
            .iter()
            .find(|(spelling, _)| *spelling == printed)
            .map(|(_, conversion)| *conversion)
    }
}

/// Lower case, no spaces, `µ`/`μ` as `u`, `²` as `2`, `*` and `e` powers as `^`.
pub fn normalise_unit(unit: &str) -> String {
    unit.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            'µ' | 'μ' => 'u',
            '²' => '2',
            '*' => '^',
            other => other.to_ascii_lowercase(),
        })
        .collect::<String>()
        .replace("10e", "10^")
}

const MG_DL: &str = "mg/dL";
const MMOL_L: &str = "mmol/L";
const U_L: &str = "U/L";
const PER_NL: &str = "10^9/L";

/// Cell counts per nanolitre, in every spelling reports use.
const PER_NL_SPELLINGS: &[(&str, Conversion)] = &[
    ("x10^9/l", times(1.0)),
    ("10^3/ul", times(1.0)),
    ("x10^3/ul", times(1.0)),
    ("k/ul", times(1.0)),
    ("thou/ul", times(1.0)),
    ("10^3/mm3", times(1.0)),
    ("g/l", times(1.0)),
    ("/nl", times(1.0)),
    ("/ul", times(0.001)),
    ("cells/ul", times(0.001)),
    ("/mm3", times(0.001)),
];
const ENZYME: &[(&str, Conversion)] = &[("iu/l", times(1.0)), ("u/l", times(1.0))];
const MEQ: &[(&str, Conversion)] = &[("meq/l", times(1.0))];

pub static ANALYTES: &[Analyte] = &[
    Analyte {
        key: "glucose",
        name: "Glucose",
        names: &[
            "glucose",
            "fasting glucose",
            "glucose, fasting",
            "glucose fasting",
            "fasting plasma glucose",
            "plasma glucose",
            "blood glucose",
            "blood sugar",
            "fpg",
            "glu",
        ],
        unit: MG_DL,
        units: &[("mmol/l", times(18.0))],
        default_range: DefaultRange::All(between(70.0, 99.0)),
        critical: between(40.0, 500.0),
        source: "ADA Standards of Care (fasting)",
    },
    Analyte {
        key: "hba1c",
        name: "HbA1c",
        names: &[
            "hba1c",
            "hb a1c",
            "hemoglobin a1c",
            "haemoglobin a1c",
            "glycated hemoglobin",
            "glycated haemoglobin",
            "glycohemoglobin",
            "a1c",
        ],
        unit: "%",
        // IFCC mmol/mol to NGSP %: % = 0.09148 x mmol/mol + 2.152.
        units: &[(
            "mmol/mol",
            Conversion {
                factor: 0.09148,
                offset: 2.152,
            },
        )],
        default_range: DefaultRange::All(below(5.7)),
        critical: NONE,
        source: "ADA Standards of Care",
    },
    Analyte {
        key: "total_cholesterol",
        name: "Total cholesterol",
        names: &[
            "total cholesterol",
            "cholesterol, total",
            "cholesterol total",
            "cholesterol",
            "chol",
        ],
        unit: MG_DL,
        units: &[("mmol/l", times(1.0 / 0.02586))],
        default_range: DefaultRange::All(below(200.0)),
        critical: NONE,
        source: "NHLBI ATP III",
    },
    Analyte {
        key: "ldl_cholesterol",
        name: "LDL cholesterol",
        names: &[
            "ldl cholesterol",
            "ldl-cholesterol",
            "ldl-c",
            "ldl chol",
            "ldl",
            "cholesterol, ldl",
            "ldl cholesterol, calculated",
            "low density lipoprotein",
            "low-density lipoprotein",
        ],
        unit: MG_DL,
        units: &[("mmol/l", times(1.0 / 0.02586))],
        default_range: DefaultRange::All(below(100.0)),
        critical: NONE,
        source: "NHLBI ATP III (optimal)",
    },
    Analyte {
        key: "hdl_cholesterol",
        name: "HDL cholesterol",
        names: &[
            "hdl cholesterol",
            "hdl-cholesterol",
            "hdl-c",
            "hdl chol",
            "hdl",
            "cholesterol, hdl",
            "high density lipoprotein",
            "high-density lipoprotein",
        ],
        unit: MG_DL,
        units: &[("mmol/l", times(1.0 / 0.02586))],
        default_range: DefaultRange::All(at_least(40.0)),
        critical: NONE,
        source: "NHLBI ATP III",
    },
    Analyte {
        key: "triglycerides",
        name: "Triglycerides",
        names: &["triglycerides", "triglyceride", "trig", "tg"],
        unit: MG_DL,
        units: &[("mmol/l", times(1.0 / 0.01129))],
        default_range: DefaultRange::All(below(150.0)),
        critical: NONE,
        source: "NHLBI ATP III",
    },
    Analyte {
        key: "hemoglobin",
        name: "Hemoglobin",
        names: &["hemoglobin", "haemoglobin", "hgb", "hb"],
        unit: "g/dL",
        units: &[("g/l", times(0.1))],
        default_range: DefaultRange::BySex {
            male: between(13.0, 17.2),
            female: between(12.0, 15.1),
        },
        critical: critical_outside(Some(7.0), Some(20.0)),
        source: "WHO anaemia cut-offs (low); MedlinePlus (high)",
    },
    Analyte {
        key: "hematocrit",
        name: "Hematocrit",
        names: &[
            "hematocrit",
            "haematocrit",
            "hct",
            "pcv",
            "packed cell volume",
        ],
        unit: "%",
        units: &[("l/l", times(100.0))],
        default_range: DefaultRange::BySex {
            male: between(40.7, 50.3),
            female: between(36.1, 44.3),
        },
        critical: between(20.0, 60.0),
        source: "MedlinePlus",
    },
    Analyte {
        key: "wbc",
        name: "White blood cells",
        names: &[
            "wbc",
            "wbc count",
            "white blood cells",
            "white blood cell count",
            "white blood cell",
            "white cell count",
            "leukocytes",
            "leucocytes",
        ],
        unit: PER_NL,
        units: PER_NL_SPELLINGS,
        default_range: DefaultRange::All(between(4.5, 11.0)),
        critical: between(1.0, 30.0),
        source: "MedlinePlus",
    },
    Analyte {
        key: "rbc",
        name: "Red blood cells",
        names: &[
            "rbc",
            "rbc count",
            "red blood cells",
            "red blood cell count",
            "red cell count",
            "erythrocytes",
        ],
        unit: "10^12/L",
        units: &[
            ("x10^12/l", times(1.0)),
            ("10^6/ul", times(1.0)),
            ("x10^6/ul", times(1.0)),
            ("m/ul", times(1.0)),
            ("mil/ul", times(1.0)),
            ("million/ul", times(1.0)),
            ("t/l", times(1.0)),
            ("/pl", times(1.0)),
        ],
        default_range: DefaultRange::BySex {
            male: between(4.7, 6.1),
            female: between(4.2, 5.4),
        },
        critical: NONE,
        source: "MedlinePlus",
    },
    Analyte {
        key: "platelets",
        name: "Platelets",
        names: &[
            "platelets",
            "platelet count",
            "platelet",
            "plt",
            "thrombocytes",
        ],
        unit: PER_NL,
        units: PER_NL_SPELLINGS,
        default_range: DefaultRange::All(between(150.0, 450.0)),
        critical: between(20.0, 1000.0),
        source: "MedlinePlus",
    },
    Analyte {
        key: "sodium",
        name: "Sodium",
        names: &["sodium", "na", "na+"],
        unit: MMOL_L,
        units: MEQ,
        default_range: DefaultRange::All(between(135.0, 145.0)),
        critical: between(120.0, 160.0),
        source: "MedlinePlus",
    },
    Analyte {
        key: "potassium",
        name: "Potassium",
        names: &["potassium", "k", "k+"],
        unit: MMOL_L,
        units: MEQ,
        default_range: DefaultRange::All(between(3.6, 5.2)),
        critical: between(2.5, 6.5),
        source: "MedlinePlus",
    },
    Analyte {
        key: "chloride",
        name: "Chloride",
        names: &["chloride", "cl", "cl-"],
        unit: MMOL_L,
        units: MEQ,
        default_range: DefaultRange::All(between(96.0, 106.0)),
        critical: NONE,
        source: "MedlinePlus",
    },
    Analyte {
        key: "calcium",
        name: "Calcium",
        names: &["calcium", "calcium, total", "total calcium", "ca"],
        unit: MG_DL,
        units: &[("mmol/l", times(4.008))],
        default_range: DefaultRange::All(between(8.5, 10.2)),
        critical: between(6.0, 13.0),
        source: "MedlinePlus",
    },
    Analyte {
        key: "creatinine",
        name: "Creatinine",
        names: &[
            "creatinine",
            "creatinine, serum",
            "serum creatinine",
            "creat",
            "crea",
        ],
        unit: MG_DL,
        units: &[("umol/l", times(1.0 / 88.4))],
        default_range: DefaultRange::BySex {
            male: between(0.74, 1.35),
            female: between(0.59, 1.04),
        },
        critical: critical_outside(None, Some(6.0)),
        source: "Mayo Clinic Laboratories",
    },
    Analyte {
        key: "egfr",
        name: "eGFR",
        names: &[
            "egfr",
            "estimated gfr",
            "gfr, estimated",
            "gfr estimated",
            "estimated glomerular filtration rate",
        ],
        unit: "mL/min/1.73m2",
        units: &[("ml/min", times(1.0)), ("ml/min/1.73", times(1.0))],
        default_range: DefaultRange::All(at_least(60.0)),
        critical: critical_outside(Some(15.0), None),
        source: "KDIGO 2012 (G3a and below < 60; kidney failure < 15)",
    },
    Analyte {
        key: "bun",
        name: "Urea nitrogen (BUN)",
        names: &["bun", "urea nitrogen", "blood urea nitrogen", "urea"],
        unit: MG_DL,
        // Urea in mmol/L to urea nitrogen in mg/dL.
        units: &[("mmol/l", times(2.8))],
        default_range: DefaultRange::All(between(6.0, 20.0)),
        critical: critical_outside(None, Some(100.0)),
        source: "MedlinePlus",
    },
    Analyte {
        key: "alt",
        name: "ALT",
        names: &[
            "alt",
            "alt (sgpt)",
            "sgpt",
            "alanine aminotransferase",
            "alanine transaminase",
            "gpt",
        ],
        unit: U_L,
        units: ENZYME,
        default_range: DefaultRange::BySex {
            male: between(7.0, 55.0),
            female: between(7.0, 45.0),
        },
        critical: NONE,
        source: "hospital laboratory catalogue (INSTRUMENTS.md §7)",
    },
    Analyte {
        key: "ast",
        name: "AST",
        names: &[
            "ast",
            "ast (sgot)",
            "sgot",
            "aspartate aminotransferase",
            "aspartate transaminase",
            "got",
        ],
        unit: U_L,
        units: ENZYME,
        default_range: DefaultRange::BySex {
            male: between(8.0, 48.0),
            female: between(8.0, 43.0),
        },
        critical: NONE,
        source: "Mayo Clinic Laboratories",
    },
    Analyte {
        key: "alp",
        name: "Alkaline phosphatase",
        names: &["alkaline phosphatase", "alk phos", "alp"],
        unit: U_L,
        units: ENZYME,
        default_range: DefaultRange::All(between(44.0, 147.0)),
        critical: NONE,
        source: "MedlinePlus",
    },
    Analyte {
        key: "bilirubin",
        name: "Total bilirubin",
        names: &[
            "total bilirubin",
            "bilirubin, total",
            "bilirubin total",
            "bilirubin",
            "tbil",
        ],
        unit: MG_DL,
        units: &[("umol/l", times(1.0 / 17.1))],
        default_range: DefaultRange::All(between(0.1, 1.2)),
        critical: NONE,
        source: "MedlinePlus",
    },
    Analyte {
        key: "albumin",
        name: "Albumin",
        names: &["albumin", "albumin, serum", "alb"],
        unit: "g/dL",
        units: &[("g/l", times(0.1))],
        default_range: DefaultRange::All(between(3.4, 5.4)),
        critical: NONE,
        source: "MedlinePlus",
    },
    Analyte {
        key: "tsh",
        name: "TSH",
        names: &[
            "tsh",
            "thyroid stimulating hormone",
            "thyroid-stimulating hormone",
            "thyrotropin",
        ],
        unit: "mIU/L",
        units: &[
            ("uiu/ml", times(1.0)),
            ("miu/l", times(1.0)),
            ("mu/l", times(1.0)),
            ("uu/ml", times(1.0)),
        ],
        default_range: DefaultRange::All(between(0.3, 4.2)),
        critical: NONE,
        source: "Mayo Clinic Laboratories",
    },
    Analyte {
        key: "vitamin_d",
        name: "Vitamin D (25-hydroxy)",
        names: &[
            "vitamin d",
            "vitamin d, 25-hydroxy",
            "vitamin d 25-hydroxy",
            "25-hydroxyvitamin d",
            "25-oh vitamin d",
            "25(oh)d",
            "25(oh) vitamin d",
            "vit d",
        ],
        unit: "ng/mL",
        units: &[("nmol/l", times(0.4006)), ("ug/l", times(1.0))],
        default_range: DefaultRange::All(between(20.0, 50.0)),
        critical: NONE,
        source: "NIH Office of Dietary Supplements",
    },
    Analyte {
        key: "ferritin",
        name: "Ferritin",
        names: &["ferritin", "ferritin, serum"],
        unit: "ng/mL",
        units: &[("ug/l", times(1.0))],
        default_range: DefaultRange::BySex {
            male: between(24.0, 336.0),
            female: between(11.0, 307.0),
        },
        critical: NONE,
        source: "MedlinePlus",
    },
    Analyte {
        key: "crp",
        name: "C-reactive protein",
        names: &["crp", "c-reactive protein", "c reactive protein"],
        unit: "mg/L",
        units: &[("mg/dl", times(10.0))],
        default_range: DefaultRange::All(below(10.0)),
        critical: NONE,
        source: "MedlinePlus",
    },
    Analyte {
        key: "uric_acid",
        name: "Uric acid",
        names: &["uric acid", "urate"],
        unit: MG_DL,
        units: &[("umol/l", times(1.0 / 59.48))],
        default_range: DefaultRange::All(between(3.5, 7.2)),
        critical: NONE,
        source: "MedlinePlus",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_names_are_unique_and_lower_case() {
        let mut keys = std::collections::HashSet::new();
        let mut names = std::collections::HashSet::new();
        for analyte in ANALYTES {
            assert!(keys.insert(analyte.key), "duplicate key {}", analyte.key);
            for name in analyte.names {
                assert_eq!(*name, name.to_lowercase());
                assert!(names.insert(*name), "{name} names two analytes");
            }
            for (spelling, _) in analyte.units {
                assert_eq!(*spelling, normalise_unit(spelling), "{spelling}");
            }
        }
    }

    #[test]
    fn conversions_match_the_published_factors() {
        let glucose = &ANALYTES[0];
        let mmol = glucose.conversion("mmol/L").map(|c| c.factor * 5.5);
        assert_eq!(mmol, Some(99.0));
        let hba1c = ANALYTES
            .iter()
            .find(|a| a.key == "hba1c")
            .map(|a| a.conversion("mmol/mol"));
        let percent = hba1c.flatten().map(|c| 48.0 * c.factor + c.offset);
        // 48 mmol/mol is the 6.5 % diabetes threshold (INSTRUMENTS.md §7).
        assert!(
            percent.is_some_and(|p| (p - 6.54).abs() < 0.01),
            "{percent:?}"
        );
        assert!(glucose.conversion("MG/DL").is_some());
        assert!(glucose.conversion("g/L").is_none());
    }

    #[test]
    fn unknown_sex_spans_both_ranges() {
        let range = DefaultRange::BySex {
            male: between(13.0, 17.5),
            female: between(12.0, 15.5),
        };
        assert_eq!(range.for_sex(Sex::Unknown), between(12.0, 17.5));
        assert_eq!(range.for_sex(Sex::Female), between(12.0, 15.5));
    }
}
