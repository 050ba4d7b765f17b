//! Throughput of the report analysis worker on a typical two-page lab report PDF.
//!
//!   cargo bench -p tests --bench report_analysis [-- REPORTS]
//!
//! Needs PostgreSQL on 127.0.0.1:5432. Uploads REPORTS copies (default 200) through a server
//! that runs no jobs, then starts a server with 1 and then 2 job workers on the queue and
//! times until every report is COMPLETED. Also times the pipeline itself (PDF text, lab
//! parsing, built-in summary) in-process, without database or storage.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use serde_json::json;
use tests::{UploadFile, documents::two_page_lab_report, ok, spawn_app_with};

const UPLOAD: &str = "mutation($file: Upload!) { uploadMedicalReport(file: $file, reportType: LAB_RESULT) { report { id } } }";

fn pipeline(bytes: &[u8]) -> usize {
    use api::reports::analysis::{analytes::Sex, extract, labs, summary};
    let text = extract::pdf_text(bytes).unwrap().text;
    let findings = labs::parse(&text, Sex::Unknown);
    let summary = summary::built_in(&findings.values);
    assert_eq!(findings.values.len(), 8);
    summary.len()
}

#[tokio::main]
async fn main() {
    let reports: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(200);
    let pdf = two_page_lab_report();
    println!(
        "document: two-page lab report PDF, {} bytes, 8 lab values",
        pdf.len()
    );

    let rounds = 200;
    let started = Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(pipeline(&pdf));
    }
    let per = started.elapsed() / rounds;
    println!(
        "pipeline in-process (extract + parse + summary): {:.2} ms per report, {:.0} reports/minute on one core",
        per.as_secs_f64() * 1e3,
        60.0 / per.as_secs_f64()
    );

    for workers in [1usize, 2] {
        let app = spawn_app_with(|s| s.jobs.job_workers = 0).await;
        let user = app
            .create_user(&format!("bench{workers}@example.com"))
            .await;
        let token = app.sign_in(&user).await;
        for _ in 0..reports {
            let file = UploadFile {
                name: "lab.pdf",
                content_type: Some("application/pdf"),
                bytes: pdf.clone(),
            };
            ok(&app.upload_as(Some(&token), UPLOAD, json!({}), &file).await);
        }
        let root = app.state.settings.storage_root();
        let started = Instant::now();
        let worker = app
            .another_server(move |s| {
                s.jobs.job_workers = workers;
                s.storage.storage_root = Some(root);
            })
            .await;
        loop {
            let done = app
                .scalar_i64(
                    "SELECT count(*) FROM medical_reports WHERE analysis_status = 'completed'",
                )
                .await;
            if done as usize == reports {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let elapsed = started.elapsed();
        println!(
            "job workers: {workers}; {reports} reports analysed in {:.2} s: {:.0} reports/minute ({:.1} ms each)",
            elapsed.as_secs_f64(),
            reports as f64 * 60.0 / elapsed.as_secs_f64(),
            elapsed.as_secs_f64() * 1e3 / reports as f64
        );
        drop(worker);
    }
}
