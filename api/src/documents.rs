//! GraphQL documents, parsed and checked once per distinct text.
//!
//! An app sends the same few operations over and over. Each distinct text is parsed once and
//! checked once against the operation limits (`operation_limits`) and the one-guess rule
//! (`auth::single_check`); the parsed document is remembered (up to
//! `GRAPHQL_DOCUMENT_CACHE_SIZE` texts of at most [`MAX_CACHED_TEXT`] bytes, least recently
//! used out first) and handed to async-graphql with the request, which then validates and
//! runs it without parsing again. Automatic persisted queries (Apollo APQ) are resolved here
//! too, by the same rules as async-graphql's own extension.
//!
//! These checks used to be async-graphql extensions. An extension, even one that only looks
//! at the document, makes async-graphql run the extension chain around every field it
//! resolves, which cost more than the checks themselves (docs/benchmarks.md).

use std::{
    num::NonZeroUsize,
    sync::{Arc, Mutex, PoisonError},
};

use async_graphql::{
    Request, ServerError,
    parser::{
        parse_query,
        types::{DocumentOperations, ExecutableDocument, OperationDefinition, OperationType},
    },
};
use lru::LruCache;
use sha2::{Digest, Sha256};

use crate::{auth::single_check, operation_limits::OperationLimits};

/// Longer texts are parsed on every request, so that a stream of distinct large documents
/// cannot fill the server's memory.
pub const MAX_CACHED_TEXT: usize = 8 * 1024;

/// A parsed document and what the checks found.
pub struct Document {
    document: ExecutableDocument,
    /// Why the document is refused, if it is.
    refusal: Option<ServerError>,
    /// Operations (by the name a request selected them with) that passed async-graphql's full
    /// validation and declare no variables: their validation cannot come out otherwise again.
    validated: Mutex<Vec<Option<String>>>,
}

/// Operation names remembered as validated per document; more are validated every time.
const MAX_VALIDATED_OPERATIONS: usize = 8;

impl Document {
    fn new(text: &str, limits: &OperationLimits) -> Result<Self, ServerError> {
        let document = parse_query(text)?;
        let refusal = limits
            .check(&document)
            .and_then(|()| single_check::check(&document))
            .err();
        Ok(Self {
            document,
            refusal,
            validated: Mutex::new(Vec::new()),
        })
    }

    /// The operation a request selects, as async-graphql picks it: by name, or the only one
    /// (a single named operation needs no `operationName`).
    fn operation(&self, operation_name: Option<&str>) -> Option<&OperationDefinition> {
        match (&self.document.operations, operation_name) {
            (DocumentOperations::Single(op), _) => Some(&op.node),
            (DocumentOperations::Multiple(ops), Some(name)) => ops
                .iter()
                .find(|(n, _)| n.as_str() == name)
                .map(|(_, op)| &op.node),
            (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
                ops.values().next().map(|op| &op.node)
            }
            (DocumentOperations::Multiple(_), None) => None,
        }
    }

    /// Whether the selected operation already passed the full validation. async-graphql's
    /// full validation depends on the document, the operation chosen and the variables'
    /// values; an operation without variables that passed once passes again, so it is
    /// validated with the cheaper checks only (`schema::build`).
    pub fn validated(&self, operation_name: Option<&str>) -> bool {
        lock(&self.validated)
            .iter()
            .any(|name| name.as_deref() == operation_name)
    }

    /// Records that the selected operation passed the full validation.
    pub fn mark_validated(&self, operation_name: Option<&str>) {
        let without_variables = self
            .operation(operation_name)
            .is_some_and(|op| op.variable_definitions.is_empty());
        let mut validated = lock(&self.validated);
        if without_variables
            && validated.len() < MAX_VALIDATED_OPERATIONS
            && !validated
                .iter()
                .any(|name| name.as_deref() == operation_name)
        {
            validated.push(operation_name.map(str::to_owned));
        }
    }

    /// Whether the operation `operation_name` selects (the only one when unnamed) is a
    /// mutation or a subscription. An operation that is not there is not a write.
    pub fn selects_write(&self, operation_name: Option<&str>) -> bool {
        self.operation(operation_name)
            .is_some_and(|op| op.ty != OperationType::Query)
    }

    /// Whether every operation of the document is a query.
    pub fn only_queries(&self) -> bool {
        self.document
            .operations
            .iter()
            .all(|(_, op)| op.node.ty == OperationType::Query)
    }
}

pub struct Documents {
    limits: OperationLimits,
    parsed: Option<Mutex<LruCache<Arc<str>, Arc<Document>>>>,
    /// APQ: the SHA-256 (hex) of each text a client registered, to that text.
    persisted: Option<Mutex<LruCache<String, Arc<str>>>>,
}

impl Documents {
    /// `cache_size` documents parsed ahead (0: none), `apq_size` APQ registrations (0: APQ off).
    pub fn new(limits: OperationLimits, cache_size: usize, apq_size: usize) -> Self {
        fn lru<K: std::hash::Hash + Eq, V>(size: usize) -> Option<Mutex<LruCache<K, V>>> {
            NonZeroUsize::new(size).map(|size| Mutex::new(LruCache::new(size)))
        }
        Self {
            limits,
            parsed: lru(cache_size),
            persisted: lru(apq_size),
        }
    }

    /// The request with its document parsed in, and the document; or the error that refuses
    /// it (a syntax error, a broken limit, an unknown persisted query).
    pub fn prepare(&self, mut request: Request) -> Result<(Request, Arc<Document>), ServerError> {
        if let Some(persisted) = &self.persisted
            && let Some(extension) = request.extensions.remove("persistedQuery")
        {
            let hash = persisted_hash(extension)?;
            if request.query.is_empty() {
                let text = lock(persisted)
                    .get(&hash)
                    .cloned()
                    .ok_or_else(|| ServerError::new("PersistedQueryNotFound", None))?;
                request.query = text.to_string();
            } else if hex::encode(Sha256::digest(request.query.as_bytes())) != hash {
                return Err(ServerError::new("provided sha does not match query", None));
            } else {
                // Registered only once it parses: a hash stands for a usable document.
                self.document(&request.query)?;
                lock(persisted).put(hash, Arc::from(request.query.as_str()));
            }
        }
        let document = self.document(&request.query)?;
        if let Some(refusal) = &document.refusal {
            return Err(refusal.clone());
        }
        request.set_parsed_query(document.document.clone());
        Ok((request, document))
    }

    fn document(&self, text: &str) -> Result<Arc<Document>, ServerError> {
        let Some(parsed) = self
            .parsed
            .as_ref()
            .filter(|_| text.len() <= MAX_CACHED_TEXT)
        else {
            return Document::new(text, &self.limits).map(Arc::new);
        };
        if let Some(document) = lock(parsed).get(text) {
            return Ok(document.clone());
        }
        let document = Arc::new(Document::new(text, &self.limits)?);
        lock(parsed).put(Arc::from(text), document.clone());
        Ok(document)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The hash of an APQ `persistedQuery` extension (`{"version": 1, "sha256Hash": "..."}`),
/// with async-graphql's messages for a malformed one.
fn persisted_hash(extension: async_graphql::Value) -> Result<String, ServerError> {
    let invalid = || ServerError::new("Invalid \"PersistedQuery\" extension configuration.", None);
    let async_graphql::Value::Object(fields) = extension else {
        return Err(invalid());
    };
    let version = match fields.get("version") {
        Some(async_graphql::Value::Number(n)) => n.as_i64().ok_or_else(invalid)?,
        _ => return Err(invalid()),
    };
    let hash = match fields.get("sha256Hash") {
        Some(async_graphql::Value::String(hash)) => hash.clone(),
        _ => return Err(invalid()),
    };
    if version != 1 {
        return Err(ServerError::new(
            format!(
                "Only the \"PersistedQuery\" extension of version \"1\" is supported, and the current version is \"{version}\"."
            ),
            None,
        ));
    }
    Ok(hash)
}
