//! Medical reports as FHIR (docs/fhir.md, "Reports"): the uploaded file as a
//! `DocumentReference` whose attachment is a download link; a finished analysis as a
//! `DiagnosticReport` grouping one laboratory `Observation` per value found, LOINC-coded, in
//! UCUM units, with its reference range and interpretation; doctor notes as the report's
//! conclusion with their author as `resultsInterpreter`; the generated summary in an extension
//! naming who wrote it, with a `Provenance` when an AI model did.

use chrono::{DateTime, NaiveTime, Utc};
use entity::medical_reports;
use serde_json::{Value, json};

use super::{
    codes::{self, Code},
    entry::{
        Entry, concept, date, id, instant, interpretation, observation_category, quantity,
        reference,
    },
};
use crate::{
    enums::AnalysisStatus,
    reports::{
        analysis::{analytes::ANALYTES, labs::Flag},
        types::{InsightSource, LabResult, ReportAnalysis},
    },
};

const LAB_REPORT: Code = Code {
    system: codes::LOINC,
    code: "11502-2",
    display: "Laboratory report",
};

/// Every FHIR resource of one report; `file_url` is where the attachment can be downloaded.
pub fn resources(row: &medical_reports::Model, file_url: &str) -> Vec<Entry> {
    let subject = reference("Patient", row.user_id);
    let uploaded = row.upload_date.to_utc();
    let own = row.id.to_string();
    let report_type_text = row.report_type.replace('_', " ");
    let attachment = json!({
        "contentType": row.mime_type,
        "url": file_url,
        "size": row.file_size,
        "title": row.file_name,
        "creation": instant(uploaded),
    });
    let document_id = id(&["report", &own]);
    let mut document = Entry::new(
        "DocumentReference",
        document_id.clone(),
        json!({
            "resourceType": "DocumentReference",
            "id": document_id,
            // Archiving only hides a report from the app's lists; the document stays current.
            "status": "current",
            "type": { "coding": [{ "system": codes::ECHO_CODES, "code": format!("report-{}", row.report_type) }], "text": report_type_text },
            "subject": subject,
            "date": instant(uploaded),
            "description": row.title,
            "content": [{ "attachment": attachment }],
        }),
    );
    document.date = Some(uploaded);
    let mut entries = vec![document];

    let analysis = row
        .analysis_result
        .as_ref()
        .filter(|_| row.analysis_status == AnalysisStatus::Completed.as_db());
    let Some(stored) = analysis else {
        return entries;
    };
    let Some(read) = ReportAnalysis::read(stored) else {
        return entries;
    };
    let values: Vec<LabResult> =
        serde_json::from_value(stored["analytes"].clone()).unwrap_or_default();
    // The time the values describe: the date printed on the report, else the upload.
    let effective = read.report_date.as_ref().map(|d| d.0);
    let effective_text = effective.map_or_else(|| instant(uploaded), date);
    let effective_at: DateTime<Utc> =
        effective.map_or(uploaded, |d| d.and_time(NaiveTime::MIN).and_utc());
    let issued = row.analyzed_at.map(|at| instant(at.to_utc()));
    let report_id = id(&["report", &own]);

    let mut results = Vec::new();
    for value in &values {
        let Some(entry) = lab_observation(
            row,
            value,
            &subject,
            &effective_text,
            effective_at,
            issued.as_deref(),
        ) else {
            continue;
        };
        results.push(json!({ "reference": entry.reference() }));
        entries.push(entry);
    }
    let interpreter = row
        .doctor_notes
        .as_ref()
        .and(row.doctor_notes_author_id)
        .map(|a| reference("Practitioner", a));
    let summary = row.ai_insights.as_ref().map(|text| {
        let insights = read.insights.as_ref();
        let source = match insights.map(|i| i.source) {
            Some(InsightSource::Ai) => "ai",
            _ => "built-in",
        };
        let mut parts = vec![
            json!({ "url": "text", "valueString": text }),
            json!({ "url": "source", "valueCode": source }),
        ];
        // An extension holds a value or extensions, never neither: `model` only when known.
        if let Some(model) = insights
            .filter(|_| source == "ai")
            .and_then(|i| i.model.clone())
        {
            parts.push(json!({ "url": "model", "valueString": model }));
        }
        json!({ "url": codes::GENERATED_TEXT_EXTENSION, "extension": parts })
    });
    let lab = row.report_type == "lab_result";
    let code = if lab {
        concept(&LAB_REPORT)
    } else {
        json!({ "coding": [{ "system": codes::ECHO_CODES, "code": format!("report-{}", row.report_type) }], "text": report_type_text })
    };
    let mut report = Entry::new(
        "DiagnosticReport",
        report_id.clone(),
        json!({
            "resourceType": "DiagnosticReport",
            "id": report_id,
            "extension": summary.map(|s| vec![s]),
            "status": "final",
            "category": [{ "coding": [{ "system": codes::DIAGNOSTIC_SERVICE, "code": "LAB", "display": "Laboratory" }] }],
            "code": code,
            "subject": subject,
            "effectiveDateTime": effective_text,
            "issued": issued,
            "resultsInterpreter": interpreter.map(|i| vec![i]),
            "result": results,
            "conclusion": row.doctor_notes,
            "presentedForm": [{ "contentType": row.mime_type, "url": file_url, "title": row.file_name }],
        }),
    );
    report.date = Some(effective_at);
    report.categories.push((codes::DIAGNOSTIC_SERVICE, "LAB"));
    if lab {
        report.codes.push((LAB_REPORT.system, LAB_REPORT.code));
    }
    let ai = read
        .insights
        .as_ref()
        .filter(|i| i.source == InsightSource::Ai && row.ai_insights.is_some());
    if let Some(insights) = ai {
        let provenance_id = id(&["report", &own, "ai"]);
        let model = insights.model.clone().unwrap_or_default();
        let provider = insights.provider.clone().unwrap_or_default();
        let mut provenance = Entry::new(
            "Provenance",
            provenance_id.clone(),
            json!({
                "resourceType": "Provenance",
                "id": provenance_id,
                "target": [{ "reference": report.reference() }],
                "recorded": issued.clone().unwrap_or_else(|| instant(uploaded)),
                "activity": { "text": "Plain-language summary (extension urn:echo-health:fhir:generated-text) written by an AI model from the extracted values; not a clinician's statement" },
                "agent": [{
                    "type": { "coding": [{ "system": codes::PROVENANCE_PARTICIPANT, "code": "author", "display": "Author" }] },
                    "who": { "display": format!("AI model {model} ({provider})") }
                }],
            }),
        );
        provenance.date = row.analyzed_at.map(|at| at.to_utc());
        entries.push(provenance);
    }
    entries.insert(1, report);
    entries
}

/// One value as a laboratory `Observation`: in the analyte's standard UCUM unit when the
/// printed unit converts to it, else as printed without a code.
fn lab_observation(
    row: &medical_reports::Model,
    value: &LabResult,
    subject: &Value,
    effective: &str,
    effective_at: DateTime<Utc>,
    issued: Option<&str>,
) -> Option<Entry> {
    let lab = codes::lab(&value.key)?;
    let analyte = ANALYTES.iter().find(|a| a.key == value.key)?;
    let observation_id = id(&["lab", &row.id.to_string(), &value.key]);
    let comparator = value
        .qualifier
        .as_deref()
        .filter(|q| ["<", ">"].contains(q));
    let mut quantity_value = match value.standard_value {
        Some(standard) => quantity(standard, &value.standard_unit, lab.ucum),
        None => json!({ "value": value.value, "unit": value.unit }),
    };
    if let (Some(comparator), Value::Object(map)) = (comparator, &mut quantity_value) {
        map.insert("comparator".into(), comparator.into());
    }
    // The range in the value's unit: converted like the value when it was printed in another.
    let range_conversion = match value.standard_value {
        Some(_) => analyte.conversion(&value.range.unit),
        None => None,
    };
    let bound = |limit: Option<f64>| {
        limit.map(|l| match range_conversion {
            Some(c) => quantity(
                ((l * c.factor + c.offset) * 1000.0).round() / 1000.0,
                &value.standard_unit,
                lab.ucum,
            ),
            None => json!({ "value": l, "unit": value.range.unit }),
        })
    };
    let range_text = match value.range.source {
        crate::reports::analysis::labs::RangeSource::Report => {
            "reference range printed on the report"
        }
        crate::reports::analysis::labs::RangeSource::Default => {
            "this service's default reference range (docs/reports.md)"
        }
    };
    let interpretation_code = value.flag.map(|flag| match flag {
        Flag::Low => "L",
        Flag::Normal => "N",
        Flag::High => "H",
        Flag::Critical => {
            let high = value.standard_value.map(|v| analyte.critical.position(v))
                == Some(crate::reports::analysis::analytes::Position::Above);
            if high { "HH" } else { "LL" }
        }
    });
    let mut entry = Entry::new(
        "Observation",
        observation_id.clone(),
        json!({
            "resourceType": "Observation",
            "id": observation_id,
            "status": "final",
            "category": observation_category("laboratory", "Laboratory"),
            "code": concept(&lab.code),
            "subject": subject,
            "effectiveDateTime": effective,
            "issued": issued,
            "valueQuantity": quantity_value,
            "interpretation": interpretation_code.map(interpretation),
            "referenceRange": [{ "low": bound(value.range.low), "high": bound(value.range.high), "text": range_text }],
            "derivedFrom": [reference("DocumentReference", id(&["report", &row.id.to_string()]))],
        }),
    );
    entry.date = Some(effective_at);
    entry
        .categories
        .push((codes::OBSERVATION_CATEGORY, "laboratory"));
    entry.codes.push((lab.code.system, lab.code.code));
    Some(entry)
}
