//! Migration 8: the AHA PREVENT equations as an assessment type (docs/assessments.md).

use sea_orm_migration::prelude::*;

sql_migration!(UP, DOWN);

const UP: &str = r#"
ALTER TABLE health_assessments DROP CONSTRAINT "ck-health_assessments-assessment_type";
ALTER TABLE health_assessments ADD CONSTRAINT "ck-health_assessments-assessment_type"
    CHECK (assessment_type IN
        ('cardiovascular', 'diabetes', 'depression', 'anxiety', 'blood_pressure', 'bmi', 'prevent'));
"#;

// Going back removes what only the new instrument could have written.
const DOWN: &str = r#"
DELETE FROM health_assessments WHERE assessment_type = 'prevent';
ALTER TABLE health_assessments DROP CONSTRAINT "ck-health_assessments-assessment_type";
ALTER TABLE health_assessments ADD CONSTRAINT "ck-health_assessments-assessment_type"
    CHECK (assessment_type IN
        ('cardiovascular', 'diabetes', 'depression', 'anxiety', 'blood_pressure', 'bmi'));
"#;
