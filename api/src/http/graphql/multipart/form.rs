//! Reads a GraphQL multipart request (the GraphQL multipart request specification): the
//! `operations` part, then `map`, then the files, each under a limit, into one
//! `async_graphql::Request` with its uploads spooled to anonymous temporary files.
//!
//! Our own front on `multer` (the MIME parser async-graphql itself uses) because
//! async-graphql's reader counts no files: it spools every file part to a temporary file, one
//! open descriptor each, mapped or not, and keeps a duplicate descriptor for every path of the
//! map, so one small request of many tiny parts, or of a long map, could take every descriptor
//! the process has. Here a request holds at most `files` files at `files` places, every file
//! must be in the map and every path of the map must name a variable of `operations`.

use std::{collections::HashMap, io::Seek};

use actix_web::web::Bytes;
use async_graphql::{BatchRequest, Request, UploadValue};
use futures_util::Stream;
use tokio::io::AsyncWriteExt;

/// What one multipart request may hold.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Bytes of the `operations` part.
    pub operations_bytes: u64,
    /// Bytes of one file.
    pub file_bytes: u64,
    /// Files per request, and places in `operations` they fill.
    pub files: usize,
}

/// The `map` part names a few paths; a longer one is not a map a client sends.
const MAP_MAX_BYTES: u64 = 16 * 1024;

#[derive(Debug)]
pub enum FormError {
    /// A part (or the whole body) is over its limit.
    TooLarge,
    /// Not a request this server takes; says why, for the client.
    Invalid(String),
    /// The server could not spool a file.
    Storage(std::io::Error),
}

fn invalid(why: impl Into<String>) -> FormError {
    FormError::Invalid(why.into())
}

impl From<multer::Error> for FormError {
    fn from(err: multer::Error) -> Self {
        match err {
            multer::Error::FieldSizeExceeded { .. } | multer::Error::StreamSizeExceeded { .. } => {
                FormError::TooLarge
            }
            other => invalid(other.to_string()),
        }
    }
}

/// Reads the request whose `Content-Type` is `content_type` from `body`.
pub async fn read<S, E>(content_type: &str, body: S, limits: Limits) -> Result<Request, FormError>
where
    S: Stream<Item = Result<Bytes, E>> + Send + 'static,
    E: Into<Box<dyn std::error::Error + Send + Sync>> + 'static,
{
    let boundary = multer::parse_boundary(content_type)
        .map_err(|_| invalid("the Content-Type names no multipart boundary"))?;
    let sizes = multer::SizeLimit::new()
        .per_field(limits.file_bytes)
        .for_field("operations", limits.operations_bytes)
        .for_field("map", MAP_MAX_BYTES);
    let mut multipart = multer::Multipart::with_constraints(
        body,
        boundary,
        multer::Constraints::new().size_limit(sizes),
    );
    let mut request: Option<Request> = None;
    let mut map: Option<HashMap<String, Vec<String>>> = None;
    let mut files: HashMap<String, UploadValue> = HashMap::new();
    while let Some(mut field) = multipart.next_field().await? {
        let name = field.name().unwrap_or_default().to_owned();
        match (name.as_str(), request.is_some(), &map) {
            ("operations", false, None) => {
                request = Some(operations(&field.bytes().await?)?);
            }
            ("map", true, None) => {
                map = Some(file_map(&field.bytes().await?, limits.files)?);
            }
            (_, true, Some(map)) => {
                if !map.contains_key(&name) {
                    return Err(invalid(format!("the part `{name}` is not in the map")));
                }
                if files.contains_key(&name) {
                    return Err(invalid(format!("the file `{name}` comes twice")));
                }
                let Some(filename) = field.file_name().map(str::to_owned) else {
                    return Err(invalid(format!("the part `{name}` is not a file")));
                };
                let content_type = field.content_type().map(ToString::to_string);
                let content = spool(&mut field).await?;
                let upload = UploadValue {
                    filename,
                    content_type,
                    content,
                };
                files.insert(name, upload);
            }
            _ => {
                return Err(invalid(
                    "the parts come in the order `operations`, `map`, then the files",
                ));
            }
        }
    }
    let mut request = request.ok_or_else(|| invalid("the `operations` part is missing"))?;
    let map = map.ok_or_else(|| invalid("the `map` part is missing"))?;
    for (name, paths) in map {
        let upload = files
            .remove(&name)
            .ok_or_else(|| invalid(format!("the file `{name}` of the map is missing")))?;
        for path in paths {
            let before = request.uploads.len();
            request.set_upload(&path, upload.try_clone().map_err(FormError::Storage)?);
            if request.uploads.len() == before {
                return Err(invalid(format!(
                    "the map's path `{path}` names no variable of the operation"
                )));
            }
        }
    }
    Ok(request)
}

/// The `operations` part: one GraphQL request in JSON (batches are not taken with files).
fn operations(bytes: &[u8]) -> Result<Request, FormError> {
    let batch: BatchRequest = serde_json::from_slice(bytes).map_err(|e| {
        invalid(format!(
            "`operations` is not a GraphQL request in JSON: {e}"
        ))
    })?;
    batch
        .into_single()
        .map_err(|_| invalid("`operations` holds a batch; send one operation with files"))
}

/// The `map` part: file part name -> the paths it fills, at most `files` of both.
fn file_map(bytes: &[u8], files: usize) -> Result<HashMap<String, Vec<String>>, FormError> {
    let map: HashMap<String, Vec<String>> = serde_json::from_slice(bytes).map_err(|e| {
        invalid(format!(
            "`map` is not a JSON object of file part -> paths: {e}"
        ))
    })?;
    let paths: usize = map.values().map(Vec::len).sum();
    if map.len() > files || paths > files || map.values().any(Vec::is_empty) {
        return Err(invalid(format!(
            "`map` names at most {files} files, each filling one place of the operation"
        )));
    }
    Ok(map)
}

/// Copies a file part into an anonymous temporary file (gone when closed), rewound.
async fn spool(field: &mut multer::Field<'_>) -> Result<std::fs::File, FormError> {
    let file = tempfile::tempfile().map_err(FormError::Storage)?;
    let mut file = tokio::fs::File::from_std(file);
    while let Some(chunk) = field.chunk().await? {
        file.write_all(&chunk).await.map_err(FormError::Storage)?;
    }
    file.flush().await.map_err(FormError::Storage)?;
    let mut file = file.into_std().await;
    file.rewind().map_err(FormError::Storage)?;
    Ok(file)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::io::Read;

    use proptest::prelude::*;

    use super::*;

    const BOUNDARY: &str = "echo-b0undary";
    const LIMITS: Limits = Limits {
        operations_bytes: 4096,
        file_bytes: 1000,
        files: 2,
    };
    const OPERATIONS: &str = r#"{"query":"mutation($a: Upload, $b: [Upload]) { x }","variables":{"a":null,"b":[null,null]}}"#;

    /// One part: field name, file name (for a file), content.
    type Part = (String, Option<String>, Vec<u8>);

    fn body(parts: &[Part]) -> Vec<u8> {
        let mut body = Vec::new();
        for (name, filename, content) in parts {
            body.extend_from_slice(
                format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"")
                    .as_bytes(),
            );
            if let Some(filename) = filename {
                body.extend_from_slice(
                    format!("; filename=\"{filename}\"\r\nContent-Type: application/octet-stream")
                        .as_bytes(),
                );
            }
            body.extend_from_slice(b"\r\n\r\n");
            body.extend_from_slice(content);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        body
    }

    /// Reads `body` delivered in chunks of the given sizes (cycled).
    fn read_in_chunks(body: Vec<u8>, sizes: &[usize]) -> Result<Request, FormError> {
        let mut chunks = Vec::new();
        let mut rest = body.as_slice();
        let mut turn = 0;
        while !rest.is_empty() {
            let size = sizes
                .get(turn % sizes.len().max(1))
                .copied()
                .unwrap_or(64)
                .clamp(1, rest.len());
            chunks.push(Ok::<_, std::io::Error>(Bytes::copy_from_slice(
                &rest[..size],
            )));
            rest = &rest[size..];
            turn += 1;
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
        runtime.block_on(read(
            &content_type,
            futures_util::stream::iter(chunks),
            LIMITS,
        ))
    }

    fn file_part(name: &str, content: Vec<u8>) -> Part {
        (name.to_owned(), Some(format!("{name}.bin")), content)
    }

    fn text_part(name: &str, text: &str) -> Part {
        (name.to_owned(), None, text.as_bytes().to_vec())
    }

    /// Parts as a client might send them, and as it should not.
    fn any_part() -> impl Strategy<Value = Part> {
        let name = prop_oneof![
            Just("operations".to_owned()),
            Just("map".to_owned()),
            "[0-9a-z]{0,2}",
        ];
        let filename = proptest::option::of("[a-zA-Z0-9 ._-]{0,12}");
        let path = prop_oneof![
            Just("variables.a".to_owned()),
            "variables\\.b\\.[0-9]{1,3}",
            "[a-z.0-9]{0,16}",
        ];
        let map = proptest::collection::hash_map(
            "[0-9a-z]{0,2}",
            proptest::collection::vec(path, 0..4),
            0..4,
        )
        .prop_map(|map| serde_json::to_vec(&map).unwrap());
        let content = prop_oneof![
            Just(OPERATIONS.as_bytes().to_vec()),
            map,
            proptest::collection::vec(any::<u8>(), 0..64),
            "\\PC{0,40}".prop_map(String::into_bytes),
        ];
        (name, filename, content)
    }

    fn uploads_placed(request: &Request) -> usize {
        let variables = serde_json::to_string(&request.variables).unwrap();
        variables.matches("#__graphql_file__:").count()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(10_000))]

        #[test]
        fn any_body_is_read_or_refused_without_panicking_and_never_holds_more_than_two_files(
            parts in proptest::collection::vec(any_part(), 0..8),
            garbage in proptest::collection::vec(any::<u8>(), 0..32),
            sizes in proptest::collection::vec(1usize..200, 1..4),
        ) {
            let mut bytes = body(&parts);
            bytes.extend_from_slice(&garbage);
            if let Ok(request) = read_in_chunks(bytes, &sizes) {
                prop_assert!(request.uploads.len() <= LIMITS.files);
                prop_assert_eq!(uploads_placed(&request), request.uploads.len());
            }
        }

        #[test]
        fn a_well_formed_request_delivers_every_file_whole(
            a in proptest::collection::vec(any::<u8>(), 0..1000),
            b in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..1000)),
            sizes in proptest::collection::vec(1usize..300, 1..4),
        ) {
            let mut parts = vec![text_part("operations", OPERATIONS)];
            let mut sent = vec![a.clone()];
            match &b {
                Some(b) => {
                    parts.push(text_part("map", r#"{"0":["variables.a"],"1":["variables.b.1"]}"#));
                    parts.push(file_part("0", a));
                    parts.push(file_part("1", b.clone()));
                    sent.push(b.clone());
                }
                None => {
                    parts.push(text_part("map", r#"{"0":["variables.a"]}"#));
                    parts.push(file_part("0", a));
                }
            }
            let request = read_in_chunks(body(&parts), &sizes).unwrap();
            prop_assert_eq!(request.uploads.len(), sent.len());
            prop_assert_eq!(uploads_placed(&request), sent.len());
            let mut received: Vec<Vec<u8>> = request.uploads.iter().map(|upload| {
                let mut content = Vec::new();
                upload.try_clone().unwrap().content.read_to_end(&mut content).unwrap();
                content
            }).collect();
            received.sort();
            sent.sort();
            prop_assert_eq!(received, sent);
        }

        #[test]
        fn more_files_or_places_than_allowed_are_refused(extra in 3usize..40) {
            // Many tiny files, each in the map: refused at the map, before any is stored.
            let map: HashMap<String, Vec<String>> = (0..extra)
                .map(|i| (i.to_string(), vec![format!("variables.b.{i}")]))
                .collect();
            let mut parts = vec![text_part("operations", OPERATIONS), text_part("map", &serde_json::to_string(&map).unwrap())];
            parts.extend((0..extra).map(|i| file_part(&i.to_string(), vec![b'x'])));
            prop_assert!(matches!(read_in_chunks(body(&parts), &[512]), Err(FormError::Invalid(_))));

            // One file at many places.
            let paths: Vec<String> = (0..extra).map(|i| format!("variables.b.{i}")).collect();
            let map = serde_json::json!({ "0": paths }).to_string();
            let parts = vec![text_part("operations", OPERATIONS), text_part("map", &map), file_part("0", vec![b'x'])];
            prop_assert!(matches!(read_in_chunks(body(&parts), &[512]), Err(FormError::Invalid(_))));

            // Files the map does not name.
            let mut parts = vec![text_part("operations", OPERATIONS), text_part("map", r#"{"0":["variables.a"]}"#), file_part("0", vec![1])];
            parts.extend((1..extra).map(|i| file_part(&i.to_string(), vec![b'x'])));
            prop_assert!(matches!(read_in_chunks(body(&parts), &[512]), Err(FormError::Invalid(_))));
        }

        #[test]
        fn a_file_over_its_limit_is_too_large(size in 1001usize..3000) {
            let parts = vec![
                text_part("operations", OPERATIONS),
                text_part("map", r#"{"0":["variables.a"]}"#),
                file_part("0", vec![7; size]),
            ];
            prop_assert!(matches!(read_in_chunks(body(&parts), &[4096]), Err(FormError::TooLarge)));
        }
    }

    #[test]
    fn each_broken_rule_is_named() {
        let why = |parts: Vec<Part>| match read_in_chunks(body(&parts), &[100]) {
            Err(FormError::Invalid(why)) => why,
            other => panic!("{other:?}"),
        };
        let ops = || text_part("operations", OPERATIONS);
        assert!(why(vec![text_part("map", "{}"), ops()]).contains("order"));
        assert!(why(vec![ops()]).contains("`map` part is missing"));
        assert!(
            why(vec![
                ops(),
                text_part("map", r#"{"0":["variables.nothing"]}"#),
                file_part("0", vec![1])
            ])
            .contains("names no variable")
        );
        assert!(why(vec![ops(), text_part("map", r#"{"0":["variables.a"]}"#)]).contains("missing"));
        assert!(
            why(vec![
                ops(),
                text_part("map", r#"{"0":["variables.a"]}"#),
                text_part("0", "not a file")
            ])
            .contains("not a file")
        );
        assert!(why(vec![text_part("operations", r#"[{"query":"{x}"}]"#)]).contains("batch"));
        assert!(why(vec![text_part("operations", "{")]).contains("not a GraphQL request"));
        assert!(
            why(vec![ops(), text_part("map", r#"{"0":"variables.a"}"#)]).contains("JSON object")
        );
    }
}
