//! Downloads: owners only, with Range; signed links that work without a header while valid.

use super::*;

#[tokio::test]
async fn downloads_are_the_owners_with_range_support() {
    let app = spawn_app().await;
    let token = signed_in(&app, "owner@example.com").await;
    let other = signed_in(&app, "other@example.com").await;
    let bytes = two_page_lab_report();
    let report = upload_ok(&app, &token, &file("résumé lab.pdf", None, bytes.clone())).await;
    // The bearer-token route (signed links: `signed_links_*`).
    let path = TestApp::bearer_path(report["downloadUrl"].as_str().unwrap());

    let whole = app.download(Some(&token), &path, None).await;
    assert_eq!(whole.status(), 200);
    let headers = whole.headers().clone();
    assert_eq!(headers["content-type"], "application/pdf");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["accept-ranges"], "bytes");
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"r_sum_ lab.pdf\""),
        "{disposition}"
    );
    assert!(
        disposition.contains("filename*=UTF-8''r%C3%A9sum%C3%A9%20lab.pdf"),
        "{disposition}"
    );
    assert_eq!(whole.bytes().await.unwrap().to_vec(), bytes);

    let part = app
        .download(Some(&token), &path, Some("bytes=100-1099"))
        .await;
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 100-1099/{}", bytes.len())
    );
    assert_eq!(part.bytes().await.unwrap().to_vec(), bytes[100..1100]);
    let tail = app.download(Some(&token), &path, Some("bytes=-10")).await;
    assert_eq!(tail.status(), 206);
    assert_eq!(
        tail.bytes().await.unwrap().to_vec(),
        bytes[bytes.len() - 10..]
    );
    let beyond = app
        .download(
            Some(&token),
            &path,
            Some(&format!("bytes={}-", bytes.len() + 5)),
        )
        .await;
    assert_eq!(beyond.status(), 416);
    assert_eq!(
        beyond.headers()["content-range"],
        format!("bytes */{}", bytes.len())
    );

    // Anyone else, and no one, gets 404; so does a report that does not exist.
    for (who, path) in [
        (Some(other.as_str()), path.as_str()),
        (None, path.as_str()),
        (Some(token.as_str()), "/files/reports/999999"),
        (
            Some(token.as_str()),
            "/files/reports/..%2F..%2Fetc%2Fpasswd",
        ),
    ] {
        assert_eq!(
            app.download(who, path, None).await.status(),
            404,
            "{who:?} {path}"
        );
    }
}

#[tokio::test]
async fn signed_links_open_files_without_a_header_and_only_while_valid() {
    let app = spawn_app().await;
    let token = signed_in(&app, "linked@example.com").await;
    let bytes = two_page_lab_report();
    let report = upload_ok(&app, &token, &file("labs.pdf", None, bytes.clone())).await;
    let id = report["id"].as_str().unwrap().to_owned();
    let link = report["downloadUrl"].as_str().unwrap().to_owned();

    // No header needed, ranges included; the same link a moment later.
    let response = app.download(None, &link, None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "private, no-store");
    assert_eq!(response.bytes().await.unwrap().to_vec(), bytes);
    let part = app.download(None, &link, Some("bytes=0-9")).await;
    assert_eq!(part.status(), 206);
    assert_eq!(part.bytes().await.unwrap().to_vec(), bytes[..10]);
    let again = app
        .graphql_as(Some(&token), READ, json!({ "id": id }))
        .await;
    assert!(ok(&again)["medicalReport"].is_object());

    // Tampered with: another account, another file, another signature, no signature.
    let other_account = link.replacen("?u=", "?u=9", 1);
    let other_file = link.replacen(&format!("/reports/{id}?"), "/reports/999999?", 1);
    let (start, signature) = link.split_once("signature=").unwrap();
    let flipped = if signature.starts_with('A') { "B" } else { "A" };
    let bad_signature = format!("{start}signature={flipped}{}", &signature[1..]);
    let unsigned = link.split("&signature=").next().unwrap().to_owned();
    for bad in [&other_account, &other_file, &bad_signature, &unsigned] {
        assert_eq!(app.download(None, bad, None).await.status(), 404, "{bad}");
    }

    // Expired: refused with 403 (the link was genuine).
    app.clock.advance(Duration::minutes(21));
    let expired = app.download(None, &link, None).await;
    assert_eq!(expired.status(), 403);
    assert!(expired.text().await.unwrap().contains("expired"));

    // A fresh link for a deleted report opens nothing.
    let fresh = app
        .graphql_as(Some(&token), READ_LINK, json!({ "id": id }))
        .await;
    let fresh = ok(&fresh)["medicalReport"]["downloadUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(app.download(None, &fresh, None).await.status(), 200);
    let deleted = app
        .graphql_as(
            Some(&token),
            "mutation($id: ID!) { deleteMedicalReport(id: $id) { deletedId } }",
            json!({ "id": id }),
        )
        .await;
    ok(&deleted);
    assert_eq!(app.download(None, &fresh, None).await.status(), 404);

    // PUBLIC_BASE_URL sets where links start.
    let behind_proxy = spawn_app_with(|s| {
        s.server.public_base_url = Some("https://api.example.com/".into());
    })
    .await;
    let token = signed_in(&behind_proxy, "proxied@example.com").await;
    let report = upload_ok(
        &behind_proxy,
        &token,
        &file("labs.pdf", None, bytes.clone()),
    )
    .await;
    let link = report["downloadUrl"].as_str().unwrap();
    assert!(
        link.starts_with(&format!(
            "https://api.example.com/files/reports/{}?u=",
            report["id"].as_str().unwrap()
        )),
        "{link}"
    );
}
