//! An allow-list of persisted operations for production (`PERSISTED_QUERIES_FILE`): a JSON
//! object mapping each operation's SHA-256 (hex, of its exact text) to the text, as client
//! build tools export it. With the list loaded, a request is admitted only when its query's
//! hash is listed, or when it names a listed hash through the APQ extension
//! (`extensions.persistedQuery.sha256Hash`), whose text is then taken from the list.

use std::{collections::HashMap, path::Path};

use async_graphql::Request;
use sha2::{Digest, Sha256};

#[derive(Debug, Default)]
pub struct AllowList {
    operations: HashMap<String, String>,
}

impl AllowList {
    /// Reads the file and checks every entry's hash against its text.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let operations: HashMap<String, String> = serde_json::from_str(&text).map_err(|e| {
            format!(
                "{} is not a JSON object of hash -> query: {e}",
                path.display()
            )
        })?;
        for (hash, query) in &operations {
            if hex::encode(Sha256::digest(query.as_bytes())) != hash.to_ascii_lowercase() {
                return Err(format!(
                    "{}: the hash {hash} does not match its query",
                    path.display()
                ));
            }
        }
        let operations = operations
            .into_iter()
            .map(|(hash, query)| (hash.to_ascii_lowercase(), query))
            .collect();
        Ok(Self { operations })
    }

    pub fn len(&self) -> usize {
        self.operations.len()
    }

    pub fn is_empty(&self) -> bool {
        self.operations.is_empty()
    }

    /// The request, with its text filled in from the list, or why it is refused.
    pub fn admit(&self, mut request: Request) -> Result<Request, &'static str> {
        if !request.query.is_empty() {
            let hash = hex::encode(Sha256::digest(request.query.as_bytes()));
            return if self.operations.contains_key(&hash) {
                request.extensions.remove("persistedQuery");
                Ok(request)
            } else {
                Err("this server runs persisted operations only, and this one is not listed")
            };
        }
        let hash = request
            .extensions
            .get("persistedQuery")
            .and_then(|value| match value {
                async_graphql::Value::Object(fields) => fields.get("sha256Hash").cloned(),
                _ => None,
            })
            .and_then(|hash| match hash {
                async_graphql::Value::String(hash) => Some(hash.to_ascii_lowercase()),
                _ => None,
            });
        match hash.and_then(|hash| self.operations.get(&hash)) {
            Some(query) => {
                request.query = query.clone();
                request.extensions.remove("persistedQuery");
                Ok(request)
            }
            None => Err("this server runs persisted operations only, and this one is not listed"),
        }
    }
}
