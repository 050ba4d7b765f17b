//! What the server talks to besides PostgreSQL: mail, the one-time-code key, OCR and the AI
//! provider.

use super::check::{Check, NETWORK_TIMEOUT, Status, check};
use crate::{
    config::Settings,
    preflight::{self},
};

pub(super) async fn mail(settings: &Settings) -> Check {
    match &settings.mail.smtp_url {
        Some(url) => match crate::mail::SmtpMailer::check(url, NETWORK_TIMEOUT).await {
            Ok(()) => check(
                "mail",
                Status::Ok,
                format!("SMTP server at {} answers EHLO and NOOP", smtp_place(url)),
            ),
            Err(err) => check(
                "mail",
                Status::Fail,
                format!("SMTP server at {}: {err}", smtp_place(url)),
            ),
        },
        None => {
            let outbox = settings.outbox_dir();
            match preflight::writable("DATA_DIR", &outbox) {
                Ok(()) => check(
                    "mail",
                    Status::Ok,
                    format!("no SMTP_URL: mail is written to {}", outbox.display()),
                ),
                Err(problem) => check(
                    "mail",
                    Status::Fail,
                    format!(
                        "no SMTP_URL, and the outbox {}: {}",
                        outbox.display(),
                        problem.cause
                    ),
                ),
            }
        }
    }
}

/// `host:port` of an SMTP URL, without credentials.
pub(super) fn smtp_place(url: &str) -> String {
    url::Url::parse(url)
        .map(|u| {
            format!(
                "{}:{}",
                u.host_str().unwrap_or("?"),
                u.port_or_known_default().unwrap_or(25)
            )
        })
        .unwrap_or_else(|_| "an unparseable SMTP_URL".into())
}

pub(super) fn otp_key(settings: &Settings) -> Check {
    match &settings.accounts.otp_secret {
        Some(hex) => match crate::auth::otp::OtpKey::from_hex(hex) {
            Ok(_) => check("one-time-code key", Status::Ok, "OTP_SECRET set"),
            Err(err) => check(
                "one-time-code key",
                Status::Fail,
                format!("OTP_SECRET: {err}"),
            ),
        },
        None => {
            let path = settings.otp_key_file();
            match std::fs::read_to_string(&path) {
                Ok(text) => match crate::auth::otp::OtpKey::from_hex(&text) {
                    Ok(_) => check(
                        "one-time-code key",
                        Status::Ok,
                        format!(
                            "{} (replicas must share it: set OTP_SECRET)",
                            path.display()
                        ),
                    ),
                    Err(err) => check(
                        "one-time-code key",
                        Status::Fail,
                        format!("{}: {err}", path.display()),
                    ),
                },
                Err(_) => check(
                    "one-time-code key",
                    Status::Warn,
                    format!("none yet; generated into {} at first start", path.display()),
                ),
            }
        }
    }
}

pub(super) async fn ocr(settings: &Settings) -> Check {
    let output = tokio::process::Command::new(&settings.storage.ocr_command)
        .arg("--list-langs")
        .kill_on_drop(true)
        .output();
    match tokio::time::timeout(NETWORK_TIMEOUT, output).await {
        Ok(Ok(output)) if output.status.success() => {
            // Tesseract lists its languages after a heading line (on stdout or stderr by version).
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            let languages: Vec<&str> = text
                .lines()
                .skip(1)
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            if languages.contains(&"eng") {
                check(
                    "ocr",
                    Status::Ok,
                    format!(
                        "{}: languages {}",
                        settings.storage.ocr_command,
                        languages.join(", ")
                    ),
                )
            } else {
                check(
                    "ocr",
                    Status::Warn,
                    format!(
                        "{}: no English data (eng); install tesseract-ocr-eng",
                        settings.storage.ocr_command
                    ),
                )
            }
        }
        Ok(Ok(output)) => check(
            "ocr",
            Status::Warn,
            format!(
                "{} exited with {}",
                settings.storage.ocr_command, output.status
            ),
        ),
        Ok(Err(err)) => check(
            "ocr",
            Status::Warn,
            format!(
                "{}: {err}; scanned images are stored but not read (install tesseract-ocr)",
                settings.storage.ocr_command
            ),
        ),
        Err(_) => check(
            "ocr",
            Status::Warn,
            format!("{} did not answer within 5 s", settings.storage.ocr_command),
        ),
    }
}

pub(super) async fn ai(settings: &Settings) -> Check {
    let Some(base) = &settings.ai.ai_base_url else {
        return check(
            "ai provider",
            Status::Skip,
            "AI_BASE_URL not set: the built-in assistant answers",
        );
    };
    let url = format!("{}/models", base.trim_end_matches('/'));
    let client = match reqwest::Client::builder().timeout(NETWORK_TIMEOUT).build() {
        Ok(client) => client,
        Err(err) => return check("ai provider", Status::Fail, err.to_string()),
    };
    let mut request = client.get(&url);
    if let Some(key) = &settings.ai.ai_api_key {
        request = request.bearer_auth(key);
    }
    let response = match request.send().await {
        Ok(response) => response,
        Err(err) => {
            return check(
                "ai provider",
                Status::Fail,
                format!("{url}: {}", crate::error::error_chain(&err)),
            );
        }
    };
    let status = response.status();
    if !status.is_success() {
        return check(
            "ai provider",
            Status::Fail,
            format!("{url} answered {status}"),
        );
    }
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    let listed = body["data"].as_array().is_some_and(|models| {
        models
            .iter()
            .any(|m| m["id"] == settings.ai.ai_model.as_str())
    });
    if listed {
        check(
            "ai provider",
            Status::Ok,
            format!("{url} lists {}", settings.ai.ai_model),
        )
    } else {
        check(
            "ai provider",
            Status::Warn,
            format!(
                "{url} answers but does not list the model {}",
                settings.ai.ai_model
            ),
        )
    }
}
