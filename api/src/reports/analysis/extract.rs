//! Text out of an uploaded report: PDFs through `pdf-extract` (after a bounded look at their
//! structure), text and CSV directly, images through the Tesseract command when installed.
//!
//! A PDF is checked before its text is read: it must load, have at most [`MAX_PAGES`] pages,
//! and its compressed streams together may inflate to at most [`MAX_INFLATED_BYTES`], so a
//! small "zip bomb" cannot take the worker's memory. The same check runs at upload, so such a
//! file is refused there and never stored.

use std::{io, process::Stdio, time::Duration};

use lopdf::{Document, Object};
use tokio::io::AsyncWriteExt;

pub const MAX_PAGES: usize = 200;
pub const MAX_INFLATED_BYTES: u64 = 64 * 1024 * 1024;
const OCR_TIMEOUT: Duration = Duration::from_secs(120);

/// The user-safe reason the OCR step gives when Tesseract is not installed.
pub const OCR_UNAVAILABLE: &str = "image text recognition not available";

/// How the text of a report was obtained.
#[derive(
    async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[graphql(name = "ExtractionMethod")]
pub enum Method {
    /// Read from the PDF's text layer.
    PdfText,
    /// The file was plain text (or CSV).
    PlainText,
    /// Recognised from an image or a scanned page by OCR (Tesseract).
    Ocr,
}

#[derive(Debug)]
pub struct Extracted {
    pub text: String,
    pub method: Method,
    pub pages: Option<usize>,
}

/// Why no text could be had. Every message is safe to show the report's owner.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// The file itself is the problem; trying again cannot help.
    #[error("{0}")]
    Unreadable(String),
    /// Something on the server failed; another attempt may succeed.
    #[error("{0}")]
    Transient(String),
}

/// Loads a PDF and checks its size limits; the error message is safe to show.
pub fn check_pdf(bytes: &[u8]) -> Result<Document, String> {
    let document =
        Document::load_mem(bytes).map_err(|_| "the PDF is damaged or incomplete".to_owned())?;
    let pages = document.get_pages().len();
    if pages == 0 {
        return Err("the PDF has no pages".into());
    }
    if pages > MAX_PAGES {
        return Err(format!(
            "the PDF has {pages} pages; at most {MAX_PAGES} are analysed"
        ));
    }
    if document.is_encrypted() {
        return Err("the PDF is password-protected".into());
    }
    let mut budget = MAX_INFLATED_BYTES;
    for object in document.objects.values() {
        let Object::Stream(stream) = object else {
            continue;
        };
        if !is_flate(stream.dict.get(b"Filter").ok()) {
            continue;
        }
        let decoder = flate2::read::ZlibDecoder::new(stream.content.as_slice());
        let inflated = io::copy(&mut io::Read::take(decoder, budget + 1), &mut io::sink())
            .map_err(|_| "the PDF is damaged or incomplete".to_owned())?;
        if inflated > budget {
            return Err("the PDF expands to more data than is allowed".into());
        }
        budget -= inflated;
    }
    Ok(document)
}

fn is_flate(filter: Option<&Object>) -> bool {
    match filter {
        Some(Object::Name(name)) => name == b"FlateDecode",
        Some(Object::Array(filters)) => filters.iter().any(|f| is_flate(Some(f))),
        _ => false,
    }
}

/// The text of a PDF, page by page in reading order as far as the file allows.
pub fn pdf_text(bytes: &[u8]) -> Result<Extracted, ExtractError> {
    let document = check_pdf(bytes).map_err(ExtractError::Unreadable)?;
    let pages = document.get_pages().len();
    let mut text = String::new();
    // pdf-extract panics on some malformed content streams; a panic is an unreadable file.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut output = pdf_extract::PlainTextOutput::new(&mut text);
        pdf_extract::output_doc(&document, &mut output)
    }));
    match outcome {
        Ok(Ok(())) => Ok(Extracted {
            text,
            method: Method::PdfText,
            pages: Some(pages),
        }),
        _ => Err(ExtractError::Unreadable(
            "the PDF's text could not be read".into(),
        )),
    }
}

pub fn plain_text(bytes: &[u8]) -> Extracted {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    Extracted {
        text: String::from_utf8_lossy(bytes).into_owned(),
        method: Method::PlainText,
        pages: None,
    }
}

/// CSV as table rows the line parser reads: fields (comma- or, failing that,
/// semicolon-separated, optionally double-quoted) joined by ` | `.
pub fn csv_text(bytes: &[u8]) -> Extracted {
    let plain = plain_text(bytes);
    // Where a decimal comma is used, fields are separated by semicolons.
    let first = plain.text.lines().next().unwrap_or_default();
    let delimiter = if first.matches(';').count() > first.matches(',').count() {
        ';'
    } else {
        ','
    };
    let text = plain
        .text
        .lines()
        .map(|line| csv_fields(line, delimiter).join(" | "))
        .collect::<Vec<_>>()
        .join("\n");
    Extracted { text, ..plain }
}

fn csv_fields(line: &str, delimiter: char) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                if let Some(field) = fields.last_mut() {
                    field.push('"');
                }
            }
            '"' => quoted = !quoted,
            c if c == delimiter && !quoted => fields.push(String::new()),
            c => {
                if let Some(field) = fields.last_mut() {
                    field.push(c);
                }
            }
        }
    }
    fields.into_iter().map(|f| f.trim().to_owned()).collect()
}

/// Text in an image through `<command> stdin stdout` (Tesseract 4 or later).
pub async fn ocr(command: &str, bytes: &[u8]) -> Result<Extracted, ExtractError> {
    let child = tokio::process::Command::new(command)
        .args(["stdin", "stdout"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            return Err(ExtractError::Unreadable(OCR_UNAVAILABLE.into()));
        }
        Err(err) => return Err(ExtractError::Transient(format!("OCR did not start: {err}"))),
    };
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| ExtractError::Transient("OCR has no input".into()))?;
    let input = bytes.to_vec();
    let feed = tokio::spawn(async move {
        let _ = stdin.write_all(&input).await;
    });
    let output = tokio::time::timeout(OCR_TIMEOUT, child.wait_with_output())
        .await
        .map_err(|_| ExtractError::Transient("OCR took too long".into()))?
        .map_err(|err| ExtractError::Transient(format!("OCR failed: {err}")))?;
    let _ = feed.await;
    if !output.status.success() {
        return Err(ExtractError::Unreadable(
            "the image's text could not be recognised".into(),
        ));
    }
    Ok(Extracted {
        text: String::from_utf8_lossy(&output.stdout).into_owned(),
        method: Method::Ocr,
        pages: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_become_table_cells() {
        let text = csv_text(b"test,value,unit\n\"Glucose, fasting\",\"5,4\",mmol/L\n").text;
        assert_eq!(text, "test | value | unit\nGlucose, fasting | 5,4 | mmol/L");
        let text = csv_text(b"HbA1c;6,1;%\n").text;
        assert_eq!(text, "HbA1c | 6,1 | %");
    }
}
