//! Profile images: re-encoded, resized and stripped of metadata.

use super::*;

#[tokio::test]
async fn profile_images_are_reencoded_resized_and_stripped_of_metadata() {
    let app = spawn_app().await;
    let token = signed_in(&app, "avatar@example.com").await;
    let other = signed_in(&app, "peek@example.com").await;
    let original = png_with_location(1200, 800);
    assert!(original.windows(11).any(|w| w == b"GPSLatitude"));
    let set = "mutation($file: Upload!) { uploadProfileImage(file: $file) { user { id profileImageUrl } } }";
    let response = app
        .upload_as(
            Some(&token),
            set,
            json!({}),
            &file("me.png", Some("image/png"), original),
        )
        .await;
    let user = ok(&response)["uploadProfileImage"]["user"].clone();
    let url = user["profileImageUrl"].as_str().unwrap().to_owned();
    assert!(
        url.starts_with(&format!(
            "{}/files/avatars/{}?v=",
            app.address,
            user["id"].as_str().unwrap()
        )),
        "an absolute signed link: {url}"
    );

    // The link works in an <img src>: no header.
    let download = app.download(None, &url, None).await;
    assert_eq!(download.status(), 200);
    assert_eq!(download.headers()["content-type"], "image/jpeg");
    let bytes = download.bytes().await.unwrap().to_vec();
    assert!(!bytes.windows(3).any(|w| w == b"GPS"), "metadata survived");
    let decoded = image::load_from_memory(&bytes).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (512, 341));
    // The bearer-token route is the owner's only.
    let path = TestApp::bearer_path(&url);
    assert_eq!(app.download(Some(&token), &path, None).await.status(), 200);
    assert_eq!(app.download(Some(&other), &path, None).await.status(), 404);
    assert_eq!(app.download(None, &path, None).await.status(), 404);

    // Not an image, or too large: refused, nothing changes.
    let response = app
        .upload_as(
            Some(&token),
            set,
            json!({}),
            &file("me.pdf", None, two_page_lab_report()),
        )
        .await;
    assert_eq!(response.error_codes(), ["BAD_USER_INPUT"]);
    let mut huge = png_with_location(16, 16);
    huge.resize(6 * 1024 * 1024, 0);
    let response = app
        .upload_as(Some(&token), set, json!({}), &file("me.png", None, huge))
        .await;
    assert_eq!(
        response.error_codes(),
        ["BAD_USER_INPUT"],
        "{:?}",
        response.body
    );
    assert_eq!(app.stored_files().len(), 1);

    // Replacing deletes the old file; removing deletes the last one.
    let response = app
        .upload_as(
            Some(&token),
            set,
            json!({}),
            &file("me.webp", None, png_with_location(10, 10)),
        )
        .await;
    assert_eq!(
        response.error_codes(),
        ["BAD_USER_INPUT"],
        "a PNG named .webp is refused"
    );
    let response = app
        .upload_as(
            Some(&token),
            set,
            json!({}),
            &file("me2.png", None, png_with_location(10, 10)),
        )
        .await;
    let new_url = ok(&response)["uploadProfileImage"]["user"]["profileImageUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(new_url, url);
    assert_eq!(app.stored_files().len(), 1);
    let response = app
        .graphql_as(
            Some(&token),
            "mutation { removeProfileImage { user { profileImageUrl } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        ok(&response)["removeProfileImage"]["user"]["profileImageUrl"],
        Value::Null
    );
    assert_eq!(app.stored_files(), Vec::<String>::new());
}
