//! The terminology of the FHIR mapping: code systems, LOINC codes and UCUM units, in one
//! table each, so that `docs/fhir.md` and the tests check one list. Sources are in
//! docs/fhir.md beside each table.

pub const LOINC: &str = "http://loinc.org";
pub const UCUM: &str = "http://unitsofmeasure.org";
pub const OBSERVATION_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/observation-category";
pub const INTERPRETATION: &str =
    "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";
pub const DIAGNOSTIC_SERVICE: &str = "http://terminology.hl7.org/CodeSystem/v2-0074";
pub const PROVENANCE_PARTICIPANT: &str =
    "http://terminology.hl7.org/CodeSystem/provenance-participant-type";
/// This server's own code system for its instruments and report types (no standard code
/// names a FINDRISC or PREVENT calculation; docs/fhir.md).
pub const ECHO_CODES: &str = "urn:echo-health:fhir:codes";
/// The extension that carries generated (built-in or AI) plain-language text, with who wrote it.
pub const GENERATED_TEXT_EXTENSION: &str = "urn:echo-health:fhir:generated-text";

/// A coded concept: system, code, display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code {
    pub system: &'static str,
    pub code: &'static str,
    pub display: &'static str,
}

const fn loinc(code: &'static str, display: &'static str) -> Code {
    Code {
        system: LOINC,
        code,
        display,
    }
}

// Vital signs and body measurements (the FHIR R4 vital-signs profile's codes).
pub const BLOOD_PRESSURE_PANEL: Code =
    loinc("85354-9", "Blood pressure panel with all children optional");
pub const SYSTOLIC: Code = loinc("8480-6", "Systolic blood pressure");
pub const DIASTOLIC: Code = loinc("8462-4", "Diastolic blood pressure");
pub const BMI: Code = loinc("39156-5", "Body mass index (BMI) [Ratio]");
pub const BODY_HEIGHT: Code = loinc("8302-2", "Body height");
pub const BODY_WEIGHT: Code = loinc("29463-7", "Body weight");
pub const WAIST: Code = loinc("8280-0", "Waist Circumference at umbilicus by Tape measure");
pub const TOBACCO_SMOKING: Code = loinc("72166-2", "Tobacco smoking status");

// Questionnaires and their scores.
pub const PHQ9_PANEL: Code = loinc(
    "44249-1",
    "PHQ-9 quick depression assessment panel [Reported.PHQ]",
);
pub const PHQ9_TOTAL: Code = loinc(
    "44261-6",
    "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]",
);
pub const GAD7_PANEL: Code = loinc("69737-5", "Generalized anxiety disorder 7 item (GAD-7)");
pub const GAD7_TOTAL: Code = loinc(
    "70274-6",
    "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]",
);

/// PHQ-9 items 1 to 9, then the difficulty question, as LOINC codes the items.
pub const PHQ9_ITEMS: [Code; 9] = [
    loinc("44250-9", "Little interest or pleasure in doing things"),
    loinc("44255-8", "Feeling down, depressed, or hopeless"),
    loinc(
        "44259-0",
        "Trouble falling or staying asleep, or sleeping too much",
    ),
    loinc("44254-1", "Feeling tired or having little energy"),
    loinc("44251-7", "Poor appetite or overeating"),
    loinc(
        "44258-2",
        "Feeling bad about yourself-or that you are a failure or have let yourself or your family down",
    ),
    loinc(
        "44252-5",
        "Trouble concentrating on things, such as reading the newspaper or watching television",
    ),
    loinc(
        "44253-3",
        "Moving or speaking so slowly that other people could have noticed. Or the opposite-being so fidgety or restless that you have been moving around a lot more than usual",
    ),
    loinc(
        "44260-8",
        "Thoughts that you would be better off dead, or of hurting yourself in some way",
    ),
];
pub const PHQ9_DIFFICULTY: Code = loinc(
    "69722-7",
    "How difficult have these problems made it for you to do your work, take care of things at home, or get along with other people",
);
pub const GAD7_ITEMS: [Code; 7] = [
    loinc("69725-0", "Feeling nervous, anxious or on edge"),
    loinc(
        "68509-9",
        "Over the past 2 weeks have you not been able to stop or control worrying",
    ),
    loinc("69733-4", "Worrying too much about different things"),
    loinc("69734-2", "Trouble relaxing"),
    loinc("69735-9", "Being so restless that it is hard to sit still"),
    loinc("69689-8", "Becoming easily annoyed or irritable"),
    loinc(
        "69736-7",
        "Feeling afraid as if something awful might happen",
    ),
];
/// The answers 0 to 3 of PHQ-9 and GAD-7 items (LOINC answer list LL358-3).
pub const FREQUENCY_ANSWERS: [Code; 4] = [
    loinc("LA6568-5", "Not at all"),
    loinc("LA6569-3", "Several days"),
    loinc("LA6570-1", "More than half the days"),
    loinc("LA6571-9", "Nearly every day"),
];
/// The answers of the PHQ-9 difficulty question, mildest first.
pub const DIFFICULTY_ANSWERS: [Code; 4] = [
    loinc("LA6572-7", "Not difficult at all"),
    loinc("LA6573-5", "Somewhat difficult"),
    loinc("LA6575-0", "Very difficult"),
    loinc("LA6574-3", "Extremely difficult"),
];

/// An analyte the report parser knows, as FHIR sees it: its LOINC code and the UCUM code of
/// the parser's standard unit (`reports::analysis::analytes`).
#[derive(Debug, Clone, Copy)]
pub struct LabCode {
    pub key: &'static str,
    pub code: Code,
    pub ucum: &'static str,
}

const fn analyte(
    key: &'static str,
    code: &'static str,
    display: &'static str,
    ucum: &'static str,
) -> LabCode {
    LabCode {
        key,
        code: loinc(code, display),
        ucum,
    }
}

/// Every analyte of `reports::analysis::analytes::ANALYTES`, in its order (a test checks that
/// both lists name the same analytes and that each UCUM code is the parser's unit).
pub const LABS: &[LabCode] = &[
    analyte(
        "glucose",
        "2345-7",
        "Glucose [Mass/volume] in Serum or Plasma",
        "mg/dL",
    ),
    analyte(
        "hba1c",
        "4548-4",
        "Hemoglobin A1c/Hemoglobin.total in Blood",
        "%",
    ),
    analyte(
        "total_cholesterol",
        "2093-3",
        "Cholesterol [Mass/volume] in Serum or Plasma",
        "mg/dL",
    ),
    analyte(
        "ldl_cholesterol",
        "2089-1",
        "Cholesterol in LDL [Mass/volume] in Serum or Plasma",
        "mg/dL",
    ),
    analyte(
        "hdl_cholesterol",
        "2085-9",
        "Cholesterol in HDL [Mass/volume] in Serum or Plasma",
        "mg/dL",
    ),
    analyte(
        "triglycerides",
        "2571-8",
        "Triglyceride [Mass/volume] in Serum or Plasma",
        "mg/dL",
    ),
    analyte(
        "hemoglobin",
        "718-7",
        "Hemoglobin [Mass/volume] in Blood",
        "g/dL",
    ),
    analyte(
        "hematocrit",
        "4544-3",
        "Hematocrit [Volume Fraction] of Blood by Automated count",
        "%",
    ),
    analyte(
        "wbc",
        "6690-2",
        "Leukocytes [#/volume] in Blood by Automated count",
        "10*9/L",
    ),
    analyte(
        "rbc",
        "789-8",
        "Erythrocytes [#/volume] in Blood by Automated count",
        "10*12/L",
    ),
    analyte(
        "platelets",
        "777-3",
        "Platelets [#/volume] in Blood by Automated count",
        "10*9/L",
    ),
    analyte(
        "sodium",
        "2951-2",
        "Sodium [Moles/volume] in Serum or Plasma",
        "mmol/L",
    ),
    analyte(
        "potassium",
        "2823-3",
        "Potassium [Moles/volume] in Serum or Plasma",
        "mmol/L",
    ),
    analyte(
        "chloride",
        "2075-0",
        "Chloride [Moles/volume] in Serum or Plasma",
        "mmol/L",
    ),
    analyte(
        "calcium",
        "17861-6",
        "Calcium [Mass/volume] in Serum or Plasma",
        "mg/dL",
    ),
    analyte(
        "creatinine",
        "2160-0",
        "Creatinine [Mass/volume] in Serum or Plasma",
        "mg/dL",
    ),
    analyte(
        "egfr",
        "69405-9",
        "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum, Plasma or Blood",
        "mL/min/{1.73_m2}",
    ),
    analyte(
        "bun",
        "3094-0",
        "Urea nitrogen [Mass/volume] in Serum or Plasma",
        "mg/dL",
    ),
    analyte(
        "alt",
        "1742-6",
        "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma",
        "U/L",
    ),
    analyte(
        "ast",
        "1920-8",
        "Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma",
        "U/L",
    ),
    analyte(
        "alp",
        "6768-6",
        "Alkaline phosphatase [Enzymatic activity/volume] in Serum or Plasma",
        "U/L",
    ),
    analyte(
        "bilirubin",
        "1975-2",
        "Bilirubin.total [Mass/volume] in Serum or Plasma",
        "mg/dL",
    ),
    analyte(
        "albumin",
        "1751-7",
        "Albumin [Mass/volume] in Serum or Plasma",
        "g/dL",
    ),
    analyte(
        "tsh",
        "3016-3",
        "Thyrotropin [Units/volume] in Serum or Plasma",
        "m[IU]/L",
    ),
    analyte(
        "vitamin_d",
        "62292-8",
        "25-Hydroxyvitamin D3+25-Hydroxyvitamin D2 [Mass/volume] in Serum or Plasma",
        "ng/mL",
    ),
    analyte(
        "ferritin",
        "2276-4",
        "Ferritin [Mass/volume] in Serum or Plasma",
        "ng/mL",
    ),
    analyte(
        "crp",
        "1988-5",
        "C reactive protein [Mass/volume] in Serum or Plasma",
        "mg/L",
    ),
    analyte(
        "uric_acid",
        "3084-1",
        "Urate [Mass/volume] in Serum or Plasma",
        "mg/dL",
    ),
];

/// The LOINC code and UCUM unit of the analyte `key`.
pub fn lab(key: &str) -> Option<&'static LabCode> {
    LABS.iter().find(|l| l.key == key)
}

/// The UCUM code of a unit as the parser writes it, for the units that have one.
pub fn ucum(unit: &str) -> Option<&'static str> {
    Some(match unit {
        "mg/dL" => "mg/dL",
        "g/dL" => "g/dL",
        "%" => "%",
        "mmol/L" => "mmol/L",
        "U/L" => "U/L",
        "10^9/L" => "10*9/L",
        "10^12/L" => "10*12/L",
        "mL/min/1.73m2" => "mL/min/{1.73_m2}",
        "mIU/L" => "m[IU]/L",
        "ng/mL" => "ng/mL",
        "mg/L" => "mg/L",
        _ => return None,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::reports::analysis::analytes::ANALYTES;

    #[test]
    fn every_analyte_the_parser_knows_has_its_loinc_code_and_ucum_unit() {
        let keys: Vec<&str> = LABS.iter().map(|l| l.key).collect();
        let parser: Vec<&str> = ANALYTES.iter().map(|a| a.key).collect();
        assert_eq!(keys, parser);
        for analyte in ANALYTES {
            let lab = lab(analyte.key).unwrap();
            assert_eq!(ucum(analyte.unit), Some(lab.ucum), "{}", analyte.key);
        }
        let mut codes: Vec<&str> = LABS.iter().map(|l| l.code.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), LABS.len(), "one analyte per code");
    }

    #[test]
    fn loinc_codes_carry_their_check_digit() {
        // LOINC's mod-10 check digit: a typo in a code is caught here.
        let all = LABS
            .iter()
            .map(|l| l.code)
            .chain([
                BLOOD_PRESSURE_PANEL,
                SYSTOLIC,
                DIASTOLIC,
                BMI,
                BODY_HEIGHT,
                BODY_WEIGHT,
                WAIST,
            ])
            .chain([
                TOBACCO_SMOKING,
                PHQ9_PANEL,
                PHQ9_TOTAL,
                GAD7_PANEL,
                GAD7_TOTAL,
                PHQ9_DIFFICULTY,
            ])
            .chain(PHQ9_ITEMS)
            .chain(GAD7_ITEMS);
        for code in all {
            let (number, check) = code.code.split_once('-').unwrap();
            assert_eq!(
                mod10(number),
                check.parse::<u32>().unwrap(),
                "{}",
                code.code
            );
        }
    }

    /// The LOINC check digit (Luhn's mod 10 over the digits, doubling from the right).
    fn mod10(number: &str) -> u32 {
        let sum: u32 = number
            .chars()
            .rev()
            .map(|c| c.to_digit(10).unwrap())
            .enumerate()
            .map(|(i, d)| {
                if i % 2 == 0 {
                    let x = d * 2;
                    x / 10 + x % 10
                } else {
                    d
                }
            })
            .sum();
        (10 - sum % 10) % 10
    }
}
