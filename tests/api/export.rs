//! "Your data, yours to take": an export of a user with rows in every table holds all of them
//! and nothing of anyone else, is built by a background job, downloads once with the owner's
//! token, expires, and is one at a time.

use std::{
    io::{Cursor, Read},
    time::Duration as StdDuration,
};

use api::clock::Clock;
use chrono::Duration;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tests::{TestApp, UploadFile, documents::png_with_location, ok, spawn_app, spawn_app_with};

use crate::care_team::{Person, grant, person};

const EXPORT: &str = "mutation { exportMyData { export { id status downloadUrl } } }";
const EXPORTS: &str =
    "{ me { dataExports { edges { node { id status downloadUrl sizeBytes expiresAt error } } } } }";

/// Rows in every table for `who`, each carrying `marker` where a table holds text.
async fn everything(app: &TestApp, who: &Person, marker: &str, clinician: &Person) {
    let id = who.id;
    app.execute(&format!(
        "INSERT INTO health_assessments (user_id, assessment_type, risk_score, risk_level, recommendations)
             VALUES ({id}, 'bmi', 21, 'low', ARRAY['{marker}-advice']), ({id}, 'depression', 3, 'low', ARRAY['{marker}-more']);
         INSERT INTO chat_sessions (user_id, total_messages) VALUES ({id}, 2);
         INSERT INTO chat_messages (session_id, sender_type, message_content)
             SELECT s.id, 'user', '{marker}-question' FROM chat_sessions s WHERE s.user_id = {id}
             UNION ALL
             SELECT s.id, 'assistant', '{marker}-answer' FROM chat_sessions s WHERE s.user_id = {id};
         INSERT INTO app_settings (user_id, setting_key, setting_value, setting_type)
             VALUES ({id}, 'custom.{marker}', 'on', 'string');
         INSERT INTO password_reset_tokens (user_id, token, expires_at)
             VALUES ({id}, '{marker}-reset-hash', now() + interval '1 hour');
         INSERT INTO otp_verifications (email, otp_code, purpose, expires_at)
             VALUES ('{email}', '{marker}-otp-hash', 'login', now() + interval '10 minutes');",
        email = who.email
    ))
    .await;
    let report = UploadFile {
        name: "labs.txt",
        content_type: Some("text/plain"),
        bytes: format!("{marker} Glucose 92 mg/dL").into_bytes(),
    };
    let response = app
        .upload_as(
            Some(&who.token),
            "mutation($file: Upload!) { uploadMedicalReport(file: $file, reportType: LAB_RESULT) { report { id } } }",
            json!({}),
            &report,
        )
        .await;
    ok(&response);
    let image = UploadFile {
        name: "me.png",
        content_type: Some("image/png"),
        bytes: png_with_location(64, 64),
    };
    let response = app
        .upload_as(
            Some(&who.token),
            "mutation($file: Upload!) { uploadProfileImage(file: $file) { user { id } } }",
            json!({}),
            &image,
        )
        .await;
    ok(&response);
    grant(app, who, clinician, &["REPORTS"], None).await;
}

/// Waits (up to 30 s) until the newest export is no longer PENDING.
pub(crate) async fn finished_export(app: &TestApp, token: &str) -> Value {
    for _ in 0..300 {
        let response = app.graphql_as(Some(token), EXPORTS, json!({})).await;
        let export = ok(&response)["me"]["dataExports"]["edges"][0]["node"].clone();
        if export["status"] != "PENDING" {
            return export;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    panic!("the export never finished");
}

pub(crate) fn entries(zip_bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(Cursor::new(zip_bytes)).unwrap();
    let mut out = Vec::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let mut content = Vec::new();
        file.read_to_end(&mut content).unwrap();
        out.push((file.name().unwrap().into_owned(), content));
    }
    out
}

fn json_file(entries: &[(String, Vec<u8>)], name: &str) -> Vec<Value> {
    let (_, content) = entries
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("{name} is in the archive"));
    serde_json::from_slice::<Vec<Value>>(content).unwrap()
}

#[tokio::test]
async fn an_export_holds_all_of_the_users_data_and_nothing_of_anyone_else() {
    let app = spawn_app().await;
    let clinician = person(&app, "dr@example.com", "clinician", "Dana", "Reyes").await;
    let alma = person(&app, "alma@example.com", "user", "Alma", "Archive").await;
    let bruno = person(&app, "bruno@example.com", "user", "Bruno", "Bystander").await;
    everything(&app, &alma, "alma", &clinician).await;
    everything(&app, &bruno, "bruno", &clinician).await;

    // The clinician reads Alma's data: her archive shows that, but not the clinician's address.
    let read = app
        .graphql_as(
            Some(&clinician.token),
            "{ patients { edges { node { email } } } }",
            json!({}),
        )
        .await;
    assert_eq!(ok(&read)["patients"]["edges"].as_array().unwrap().len(), 2);

    let requested = app.graphql_as(Some(&alma.token), EXPORT, json!({})).await;
    let export = &ok(&requested)["exportMyData"]["export"];
    assert_eq!(export["status"], "PENDING");
    assert_eq!(export["downloadUrl"], Value::Null);
    let export = finished_export(&app, &alma.token).await;
    assert_eq!(export["status"], "READY", "{export}");
    let url = export["downloadUrl"].as_str().unwrap().to_owned();
    assert!(export["sizeBytes"].as_i64().unwrap() > 0);

    // Nobody else can take it by the bearer-token route, and trying does not use it up.
    let path = TestApp::bearer_path(&url);
    for token in [
        Some(bruno.token.as_str()),
        Some(clinician.token.as_str()),
        None,
    ] {
        let response = app.download(token, &path, None).await;
        assert_eq!(response.status(), 404);
    }

    // The signed link needs no header.
    let response = app.download(None, &url, None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/zip");
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("echo-health-export-")
    );
    let bytes = response.bytes().await.unwrap();
    assert_eq!(bytes.len() as i64, export["sizeBytes"].as_i64().unwrap());
    let entries = entries(&bytes);

    let profile = json_file(&entries, "profile.json");
    assert_eq!(profile.len(), 1);
    assert_eq!(profile[0]["email"], "alma@example.com");
    assert!(profile[0].get("password_hash").is_none());
    assert_eq!(profile[0]["archive_file"], "profile-image.jpg");
    assert_eq!(json_file(&entries, "health_assessments.json").len(), 2);
    let reports = json_file(&entries, "medical_reports.json");
    assert_eq!(reports.len(), 1);
    assert!(reports[0].get("file_path").is_none());
    let report_file = reports[0]["archive_file"].as_str().unwrap();
    let (_, content) = entries.iter().find(|(n, _)| n == report_file).unwrap();
    assert_eq!(content, b"alma Glucose 92 mg/dL", "the original file");
    let (_, image) = entries
        .iter()
        .find(|(n, _)| n == "profile-image.jpg")
        .unwrap();
    assert_eq!(&image[..3], &[0xFF, 0xD8, 0xFF], "the stored JPEG");
    assert_eq!(json_file(&entries, "chat_sessions.json").len(), 1);
    let messages = json_file(&entries, "chat_messages.json");
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["message_content"], "alma-question");
    assert_eq!(json_file(&entries, "app_settings.json").len(), 1);
    let sessions = json_file(&entries, "user_sessions.json");
    assert_eq!(sessions.len(), 1);
    assert!(sessions[0].get("session_token").is_none());
    let resets = json_file(&entries, "password_reset_tokens.json");
    assert_eq!(resets.len(), 1);
    assert!(resets[0].get("token").is_none());
    let codes = json_file(&entries, "otp_verifications.json");
    assert_eq!(codes.len(), 1);
    assert!(codes[0].get("otp_code").is_none());
    let grants = json_file(&entries, "care_team_grants.json");
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0]["clinician_id"], clinician.id);
    let audit = json_file(&entries, "audit_events.json");
    let events: Vec<String> = audit
        .iter()
        .map(|e| e["event_type"].as_str().unwrap().to_owned())
        .collect();
    let read_by_clinician: Vec<&Value> = audit
        .iter()
        .filter(|e| e["event_type"] == "patient_data_read")
        .collect();
    assert_eq!(read_by_clinician.len(), 1, "{audit:?}");
    assert_eq!(read_by_clinician[0]["actor_user_id"], clinician.id);
    assert_eq!(
        read_by_clinician[0]["ip_address"],
        Value::Null,
        "not staff addresses"
    );
    let granted = audit
        .iter()
        .find(|e| e["event_type"] == "care_team_granted")
        .unwrap();
    assert_eq!(
        granted["ip_address"], "127.0.0.1",
        "her own events keep their address"
    );
    assert!(
        events.contains(&"care_team_granted".to_owned()),
        "{events:?}"
    );
    assert!(events.contains(&"data_export_requested".to_owned()));
    assert_eq!(json_file(&entries, "data_exports.json").len(), 1);
    let manifest: Value = serde_json::from_slice(
        &entries
            .iter()
            .find(|(n, _)| n == "manifest.json")
            .unwrap()
            .1,
    )
    .unwrap();
    assert_eq!(manifest["user_id"], alma.id);
    assert_eq!(manifest["missing_files"], json!([]));
    assert!(entries.iter().any(|(n, _)| n == "README.txt"));

    // Nothing of Bruno's, and no secret or storage key of Alma's, anywhere in the archive.
    let token_hash = hex::encode(Sha256::digest(alma.token.as_bytes()));
    let everything: String = entries
        .iter()
        .map(|(name, content)| format!("{name}\n{}", String::from_utf8_lossy(content)))
        .collect();
    let report_key = app
        .scalar_text(&format!(
            "SELECT file_path FROM medical_reports WHERE user_id = {}",
            alma.id
        ))
        .await;
    for forbidden in [
        "bruno",
        "Bystander",
        "$argon2",
        "alma-reset-hash",
        "alma-otp-hash",
        token_hash.as_str(),
        report_key.as_str(),
    ] {
        assert!(
            !everything.contains(forbidden),
            "{forbidden:?} is in the archive"
        );
    }

    // Once only.
    let again = app.download(Some(&alma.token), &url, None).await;
    assert_eq!(again.status(), 404);
    let export = finished_export(&app, &alma.token).await;
    assert_eq!(export["status"], "DOWNLOADED");
    assert_eq!(export["downloadUrl"], Value::Null);
    for event in ["data_export_requested", "data_export_downloaded"] {
        assert_eq!(
            app.scalar_i64(&format!(
                "SELECT count(*) FROM audit_events WHERE event_type = '{event}' AND actor_user_id = {}",
                alma.id
            ))
            .await,
            1,
            "{event}"
        );
    }
}

#[tokio::test]
async fn exports_are_one_at_a_time_rate_limited_and_expire() {
    // No job workers: the export stays PENDING until a second server picks it up.
    let app = spawn_app_with(|s| s.jobs.job_workers = 0).await;
    let user = app
        .create_user_as("exporter@example.com", "user", "Ex", "Porter")
        .await;
    let token = app.sign_in(&user).await;
    let first = app.graphql_as(Some(&token), EXPORT, json!({})).await;
    let id = ok(&first)["exportMyData"]["export"]["id"].clone();
    let second = app.graphql_as(Some(&token), EXPORT, json!({})).await;
    assert_eq!(second.error_codes(), ["CONFLICT"]);
    let pending = app
        .download(
            Some(&token),
            &format!("/files/exports/{}", id.as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(pending.status(), 404, "nothing to download yet");

    let storage = app.state.settings.storage_root();
    // Kept to the end: dropping a test app drops the database it shares.
    let _worker = app
        .another_server(|s| {
            s.jobs.job_workers = 1;
            s.storage.storage_root = Some(storage);
        })
        .await;
    let export = finished_export(&app, &token).await;
    assert_eq!(export["status"], "READY");
    let url = export["downloadUrl"].as_str().unwrap().to_owned();
    assert_eq!(
        app.stored_files()
            .iter()
            .filter(|f| f.starts_with("exports/"))
            .count(),
        1
    );

    // A day later the link has expired (and the session idled out: sign in again).
    app.clock.advance(Duration::hours(25));
    let token = app.sign_in(&user).await;
    let export = finished_export(&app, &token).await;
    assert_eq!(export["status"], "EXPIRED");
    assert_eq!(export["downloadUrl"], Value::Null);
    assert_eq!(
        app.download(None, &url, None).await.status(),
        403,
        "the link expired"
    );
    let path = TestApp::bearer_path(&url);
    assert_eq!(app.download(Some(&token), &path, None).await.status(), 404);

    // A few a day: the sixth within 24 hours is refused.
    app.execute(&format!(
        "INSERT INTO data_exports (user_id, status, created_at)
             SELECT {}, 'failed', timestamptz '{}' FROM generate_series(1, 5)",
        user.id,
        app.clock.now().to_rfc3339()
    ))
    .await;
    let limited = app.graphql_as(Some(&token), EXPORT, json!({})).await;
    assert_eq!(limited.error_codes(), ["RATE_LIMITED"]);
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT count(*) FROM data_exports WHERE user_id = {}",
            user.id
        ))
        .await,
        6,
        "nothing new stored"
    );
}
