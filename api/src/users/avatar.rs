//! Profile images: uploaded through the same checks as reports (type by content, size), then
//! decoded and re-encoded as a JPEG of at most 512 x 512 pixels. Re-encoding keeps only the
//! pixels, so metadata such as GPS position or camera serial numbers never reaches storage.
//! `users.profile_image_url` holds the storage key; clients get a download path.

use std::io::{Cursor, Read};

use entity::users;
use image::{ImageReader, Limits, Rgb, RgbImage, codecs::jpeg::JpegEncoder, imageops::FilterType};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, DatabaseConnection, EntityTrait, QuerySelect,
    TransactionTrait,
};

use crate::http::links::{Kind, Links};
use crate::{
    error::AppError,
    services::AppServices,
    storage::{KeyKind, StorageKey},
    uploads::{self, Upload},
};

/// The longest side of a stored profile image, in pixels.
pub const MAX_SIDE: u32 = 512;
const JPEG_QUALITY: u8 = 85;
/// Decoding refuses images larger than this before allocating them.
const MAX_DECODED_SIDE: u32 = 12_000;
const MAX_DECODE_BYTES: u64 = 256 * 1024 * 1024;

/// The download link of a user's profile image: signed for the viewer when there is one (for
/// an `<img src>`), else the bearer-token path; `v` changes with the image (cache busting).
pub fn download_url(user: &users::Model, links: Option<&Links>) -> Option<String> {
    let key = StorageKey::parse(user.profile_image_url.as_deref()?)?;
    let version = key.id.simple().to_string();
    let version = format!("v={}", &version[..12]);
    Some(match links {
        Some(links) => links.url(Kind::Avatar, user.id, Some(&version)),
        None => format!("/files/avatars/{}?{version}", user.id),
    })
}

/// Decodes an image (within limits), fits it into `MAX_SIDE`, flattens transparency onto
/// white, and encodes it as JPEG.
pub fn reencode(mut content: impl Read) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    content
        .read_to_end(&mut bytes)
        .map_err(|_| "the image could not be read".to_owned())?;
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| "the image could not be read".to_owned())?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DECODED_SIDE);
    limits.max_image_height = Some(MAX_DECODED_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let image = reader
        .decode()
        .map_err(|_| "the image is damaged or too large to decode".to_owned())?;
    let image = if image.width() > MAX_SIDE || image.height() > MAX_SIDE {
        image.resize(MAX_SIDE, MAX_SIDE, FilterType::Lanczos3)
    } else {
        image
    };
    let rgba = image.to_rgba8();
    let flat = RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let over_white = |c: u8| {
            let alpha = u16::from(a);
            ((u16::from(c) * alpha + 255 * (255 - alpha)) / 255) as u8
        };
        Rgb([over_white(r), over_white(g), over_white(b)])
    });
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
        .encode_image(&flat)
        .map_err(|_| "the image could not be re-encoded".to_owned())?;
    Ok(out)
}

/// Replaces the user's profile image; the old file is deleted once the row points elsewhere.
pub async fn set(
    db: &DatabaseConnection,
    services: &AppServices,
    user_id: i32,
    upload: Upload,
) -> Result<users::Model, AppError> {
    let max_bytes = services.uploads.avatar_max_bytes;
    let content = uploads::check(upload, "file", uploads::IMAGE_TYPES, max_bytes)
        .await?
        .content;
    let jpeg = tokio::task::spawn_blocking(move || reencode(content))
        .await
        .map_err(AppError::internal)?
        .map_err(|why| AppError::bad_input("file", why))?;
    let key = StorageKey::new(KeyKind::Avatar, user_id);
    services
        .storage
        .put(&key, Box::new(Cursor::new(jpeg)))
        .await
        .map_err(AppError::internal)?;
    match point_to(db, user_id, Some(key.to_string())).await {
        Ok((user, old)) => {
            delete_old(services, old).await;
            Ok(user)
        }
        Err(err) => {
            let _ = services.storage.delete(&key).await;
            Err(err)
        }
    }
}

/// Removes the user's profile image.
pub async fn remove(
    db: &DatabaseConnection,
    services: &AppServices,
    user_id: i32,
) -> Result<users::Model, AppError> {
    let (user, old) = point_to(db, user_id, None).await?;
    delete_old(services, old).await;
    Ok(user)
}

/// Sets `profile_image_url`; returns the updated user and the key it held before.
async fn point_to(
    db: &DatabaseConnection,
    user_id: i32,
    key: Option<String>,
) -> Result<(users::Model, Option<String>), AppError> {
    let txn = db.begin().await?;
    let user = users::Entity::find_by_id(user_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let old = user.profile_image_url.clone();
    let mut active: users::ActiveModel = user.into();
    active.profile_image_url = Set(key);
    let user = active.update(&txn).await?;
    txn.commit().await?;
    Ok((user, old))
}

async fn delete_old(services: &AppServices, old: Option<String>) {
    if let Some(old) = old.as_deref().and_then(StorageKey::parse)
        && let Err(err) = services.storage.delete(&old).await
    {
        tracing::error!(error = %err, "could not delete a replaced profile image; the sweeper will");
    }
}
