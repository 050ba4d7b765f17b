//! Workers in other processes: one killed mid-analysis, two sharing one queue.

use super::*;

#[tokio::test]
async fn a_worker_killed_mid_analysis_is_replaced_and_the_job_completes_once() {
    let fake = FakeAi::start(Behaviour::Hang);
    let url = fake.url.clone();
    // This server takes uploads but runs no jobs; the child process runs them.
    let app = spawn_app_with(|s| s.jobs.job_workers = 0).await;
    let token = signed_in(&app, "crash@example.com").await;
    let report = upload_ok(&app, &token, &file("lab.pdf", None, two_page_lab_report())).await;

    let mut child = ChildServer::start(&app, &[("ECHO_CHILD_AI_URL", url)]);
    // The child's worker has claimed the job once it asks the (hanging) provider.
    let mut waited = 0;
    while fake.requests().is_empty() {
        assert!(waited < 600, "the child never reached the AI step");
        tokio::time::sleep(StdDuration::from_millis(100)).await;
        waited += 1;
    }
    assert_eq!(
        read(&app, &token, &report["id"]).await["analysisStatus"],
        "PROCESSING"
    );
    child.kill(); // SIGKILL: no cleanup, the lease stays taken
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM jobs WHERE status = 'running' AND attempts = 1")
            .await,
        1
    );

    // Another server starts; once the lease has run out it takes the job over and finishes it.
    fake.set_behaviour(Behaviour::Good);
    let url = fake.url.clone();
    let root = app.state.settings.storage_root();
    let successor = app
        .another_server(move |s| {
            s.ai.ai_base_url = Some(url);
            s.storage.storage_root = Some(root);
        })
        .await;
    successor.clock.advance(Duration::seconds(301));
    let done = analysed(&app, &token, &report["id"]).await;
    assert_eq!(done["analysisStatus"], "COMPLETED");
    assert!(
        done["aiInsights"]
            .as_str()
            .unwrap()
            .starts_with(REPORT_SUMMARY)
    );
    assert_eq!(app.scalar_i64("SELECT count(*) FROM jobs").await, 1);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM jobs WHERE status = 'done' AND attempts = 2")
            .await,
        1
    );
    assert_eq!(
        fake.requests().len(),
        2,
        "one request from the killed worker, one from its successor"
    );
    assert_eq!(done["labResults"].as_array().unwrap().len(), 8);
}

#[tokio::test]
async fn two_server_processes_share_a_queue_of_fifty_jobs_without_doing_any_twice() {
    let fake = FakeAi::start(Behaviour::Brief);
    let app = spawn_app_with(|s| s.jobs.job_workers = 0).await;
    let token = signed_in(&app, "queue@example.com").await;
    let mut ids = Vec::new();
    for i in 0..50 {
        let text = format!("Glucose {} mg/dL 70-99\n", 60 + i);
        let report = upload_ok(&app, &token, &file("q.txt", None, text.into_bytes())).await;
        ids.push(report["id"].clone());
    }
    // Two server processes with two job workers each, on the same database and storage.
    let servers: Vec<ChildServer> = ["model-a", "model-b"]
        .into_iter()
        .map(|model| {
            let env = [
                ("ECHO_CHILD_AI_URL", fake.url.clone()),
                ("ECHO_CHILD_AI_MODEL", model.to_owned()),
                ("ECHO_CHILD_JOB_WORKERS", "2".to_owned()),
            ];
            ChildServer::start(&app, &env)
        })
        .collect();
    for id in &ids {
        assert_eq!(
            analysed(&app, &token, id).await["analysisStatus"],
            "COMPLETED"
        );
    }
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM jobs WHERE status = 'done' AND attempts = 1")
            .await,
        50
    );
    let requests = fake.requests();
    assert_eq!(requests.len(), 50, "each report analysed exactly once");
    let mut glucose: Vec<String> = requests
        .iter()
        .map(|r| r["messages"][1]["content"].as_str().unwrap().to_owned())
        .collect();
    glucose.sort();
    glucose.dedup();
    assert_eq!(glucose.len(), 50, "no report was sent twice");
    for model in ["model-a", "model-b"] {
        assert!(
            requests.iter().any(|r| r["model"] == model),
            "{model} did none of the work"
        );
    }
    drop(servers);
}
