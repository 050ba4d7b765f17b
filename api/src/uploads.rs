//! Checks an uploaded file before anything is stored: its type is decided by its content's
//! magic bytes (the `infer` crate), never by the name or type the client sent, and a claim that
//! contradicts the content is refused. Also measures the size and SHA-256, and turns the
//! client's file name into a safe display name.

use std::io::{self, Read, Seek};

use sha2::{Digest, Sha256};

use crate::error::AppError;

pub const PDF: &str = "application/pdf";
pub const PNG: &str = "image/png";
pub const JPEG: &str = "image/jpeg";
pub const WEBP: &str = "image/webp";
pub const TEXT: &str = "text/plain";
pub const CSV: &str = "text/csv";

pub const REPORT_TYPES: &[&str] = &[PDF, PNG, JPEG, WEBP, TEXT, CSV];
pub const IMAGE_TYPES: &[&str] = &[PNG, JPEG, WEBP];

const MAX_NAME_CHARS: usize = 120;

/// A file as a client uploaded it, in plain terms (the GraphQL layer converts its own type:
/// `scalars::Upload::file`).
pub struct Upload {
    /// The name the client gave.
    pub file_name: String,
    /// The type the client claimed, if any.
    pub content_type: Option<String>,
    /// The bytes, in a temporary file.
    pub content: std::fs::File,
}

/// An upload that passed [`check`]: what it is, its content rewound, its display name.
pub struct Checked {
    pub inspected: Inspected,
    pub content: std::fs::File,
    pub name: String,
}

/// [`inspect`] on a blocking thread (it reads the whole file), for `field` of a request.
pub async fn check(
    upload: Upload,
    field: &'static str,
    accepted: &'static [&'static str],
    max_bytes: u64,
) -> Result<Checked, AppError> {
    tokio::task::spawn_blocking(move || {
        let Upload {
            file_name,
            content_type,
            mut content,
        } = upload;
        let inspected = inspect(
            &mut content,
            field,
            &file_name,
            content_type.as_deref(),
            accepted,
            max_bytes,
        )?;
        Ok(Checked {
            inspected,
            content,
            name: display_name(&file_name),
        })
    })
    .await
    .map_err(AppError::internal)?
}

/// What the server measured about an upload.
#[derive(Debug, Clone)]
pub struct Inspected {
    pub mime: &'static str,
    pub size: u64,
    pub sha256: String,
}

/// Measures `file` and decides its type; refuses what is not in `accepted`, what is larger
/// than `max_bytes`, and what the client claimed to be something else. Leaves `file` rewound.
pub fn inspect(
    file: &mut std::fs::File,
    field: &str,
    file_name: &str,
    claimed: Option<&str>,
    accepted: &[&'static str],
    max_bytes: u64,
) -> Result<Inspected, AppError> {
    let bad = |message: String| AppError::bad_input(field, message);
    let size = file.metadata().map_err(AppError::internal)?.len();
    if size == 0 {
        return Err(bad("the file is empty".into()));
    }
    if size > max_bytes {
        return Err(bad(format!("the file is larger than {max_bytes} bytes")));
    }
    file.rewind().map_err(AppError::internal)?;
    let mut head = Vec::with_capacity(8192);
    file.by_ref()
        .take(8192)
        .read_to_end(&mut head)
        .map_err(AppError::internal)?;
    let mime = match infer::get(&head) {
        Some(kind) => accepted
            .iter()
            .find(|m| **m == kind.mime_type())
            .copied()
            .ok_or_else(|| {
                bad(format!(
                    "files of type {} are not accepted",
                    kind.mime_type()
                ))
            })?,
        None if accepted.contains(&TEXT) => {
            file.rewind().map_err(AppError::internal)?;
            if !is_text(file).map_err(AppError::internal)? {
                return Err(bad("the file's type is not recognised; accepted are PDF, PNG, JPEG, WebP and plain text or CSV".into()));
            }
            if extension(file_name).as_deref() == Some("csv") || normalise(claimed) == Some(CSV) {
                CSV
            } else {
                TEXT
            }
        }
        None => return Err(bad("the file's type is not recognised".into())),
    };
    if let Some(claimed) = normalise(claimed)
        && !compatible(claimed, mime)
    {
        return Err(bad(format!(
            "the file was sent as {claimed} but its content is {mime}"
        )));
    }
    if let Some(extension) = extension(file_name)
        && !extensions(mime).contains(&extension.as_str())
    {
        return Err(bad(format!(
            "the file name ends in .{extension} but its content is {mime}"
        )));
    }
    file.rewind().map_err(AppError::internal)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 64 * 1024];
    loop {
        let read = file.read(&mut buffer).map_err(AppError::internal)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    file.rewind().map_err(AppError::internal)?;
    Ok(Inspected {
        mime,
        size,
        sha256: hex::encode(hasher.finalize()),
    })
}

/// UTF-8 (an optional BOM) with no control characters but tab, line breaks and form feed.
fn is_text(file: &mut std::fs::File) -> io::Result<bool> {
    let mut content = Vec::new();
    file.read_to_end(&mut content)?;
    let content = content.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&content);
    Ok(std::str::from_utf8(content).is_ok_and(|text| {
        text.chars()
            .all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r' | '\x0c'))
    }))
}

/// The claimed media type without parameters, lower case; a generic claim is no claim.
fn normalise(claimed: Option<&str>) -> Option<&'static str> {
    let essence = claimed?.split(';').next()?.trim().to_ascii_lowercase();
    match essence.as_str() {
        "" | "application/octet-stream" | "binary/octet-stream" => None,
        "application/pdf" | "application/x-pdf" => Some(PDF),
        "image/png" => Some(PNG),
        "image/jpeg" | "image/jpg" | "image/pjpeg" => Some(JPEG),
        "image/webp" => Some(WEBP),
        "text/plain" => Some(TEXT),
        "text/csv" | "application/csv" | "text/comma-separated-values" => Some(CSV),
        _ => Some("an unaccepted type"),
    }
}

fn compatible(claimed: &str, detected: &str) -> bool {
    let text = |m: &str| m == TEXT || m == CSV;
    claimed == detected || (text(claimed) && text(detected))
}

/// The name's extension, when it looks like one (a few letters).
fn extension(file_name: &str) -> Option<String> {
    let name = display_name(file_name);
    let (_, extension) = name.rsplit_once('.')?;
    (1..=5)
        .contains(&extension.len())
        .then(|| extension.to_ascii_lowercase())
        .filter(|e| e.chars().all(|c| c.is_ascii_alphabetic()))
}

fn extensions(mime: &str) -> &'static [&'static str] {
    match mime {
        PDF => &["pdf"],
        PNG => &["png"],
        JPEG => &["jpg", "jpeg", "jpe"],
        WEBP => &["webp"],
        TEXT | CSV => &["txt", "text", "csv", "tsv", "log"],
        _ => &[],
    }
}

/// The client's file name made safe to show and to send back in `Content-Disposition`: the
/// last path component only, no control or reserved characters (replaced), no invisible
/// formatting characters such as bidirectional overrides (removed, `text::is_hidden`),
/// bounded length (the extension kept). It is never used to build a path.
pub fn display_name(file_name: &str) -> String {
    let last = file_name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| c.is_control() || !crate::text::is_hidden(*c))
        .map(|c| {
            if c.is_control() || "<>:\"|?*;".contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    // No leading dots (a hidden file) nor surrounding spaces, however they interleave.
    let cleaned = cleaned
        .trim_start_matches(|c: char| c == '.' || c.is_whitespace())
        .trim_end();
    let cleaned = if cleaned.chars().count() > MAX_NAME_CHARS {
        match cleaned.rsplit_once('.') {
            Some((stem, ext)) if ext.chars().count() <= 8 => {
                let keep = MAX_NAME_CHARS - ext.chars().count() - 1;
                format!("{}.{ext}", stem.chars().take(keep).collect::<String>())
            }
            _ => cleaned.chars().take(MAX_NAME_CHARS).collect(),
        }
    } else {
        cleaned.to_owned()
    };
    // Cutting can leave spaces at the end.
    let cleaned = cleaned.trim_end();
    if cleaned.is_empty() {
        "file".to_owned()
    } else {
        cleaned.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_are_safe() {
        assert_eq!(display_name("../../etc/passwd"), "passwd");
        assert_eq!(display_name("C:\\Users\\me\\lab.pdf"), "lab.pdf");
        assert_eq!(display_name("..."), "file");
        assert_eq!(display_name("a\u{0}b\"c.pdf"), "a_b_c.pdf");
        // "r<RLO>gnp.txt" would display as "rtxt.png".
        assert_eq!(display_name("r\u{202e}gnp.txt"), "rgnp.txt");
        assert_eq!(
            display_name("\u{2066}lab\u{200b}\u{200f}\u{feff}.pdf\u{2069}"),
            "lab.pdf"
        );
        assert_eq!(display_name("Blutbild März.pdf"), "Blutbild März.pdf");
        assert_eq!(display_name("\u{202e}"), "file");
        // Found by the property test: dots and spaces interleaved at the start.
        assert_eq!(display_name(". .bashrc"), "bashrc");
        assert_eq!(display_name(". ."), "file");
        let long = format!("{}.pdf", "x".repeat(500));
        let name = display_name(&long);
        assert_eq!(name.chars().count(), MAX_NAME_CHARS);
        assert!(name.ends_with(".pdf"));
    }

    #[test]
    fn extensions_are_letters_only() {
        assert_eq!(extension("lab.PDF").as_deref(), Some("pdf"));
        assert_eq!(extension("results.2026"), None);
        assert_eq!(extension("noext"), None);
    }
}

/// File names come from clients: whatever they send, the stored name keeps every promise of
/// `display_name` (10,000 cases).
#[cfg(test)]
mod name_properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(10_000))]

        #[test]
        fn every_display_name_is_safe_and_stable(
            raw in prop_oneof!["\\PC*", ".{0,300}", "[ ./\\\\a\u{202e}\u{200b}\u{0}-]{0,20}"],
        ) {
            let name = display_name(&raw);
            prop_assert!(!name.is_empty());
            prop_assert!(name.chars().count() <= MAX_NAME_CHARS, "{name:?}");
            prop_assert!(!name.starts_with('.'), "{name:?}");
            prop_assert_eq!(name.trim(), name.as_str());
            prop_assert!(!name.chars().any(|c| crate::text::is_hidden(c)
                || "/\\<>:\"|?*;".contains(c)), "{:?}", name);
            prop_assert_eq!(display_name(&name), name.clone(), "cleaning twice changes nothing");
        }
    }
}
