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
        Self::parse(&text).map_err(|why| format!("{}: {why}", path.display()))
    }

    /// Reads the file's text; every entry's hash must be its query's.
    fn parse(text: &str) -> Result<Self, String> {
        let operations: HashMap<String, String> = serde_json::from_str(text)
            .map_err(|e| format!("not a JSON object of hash -> query: {e}"))?;
        for (hash, query) in &operations {
            if hex::encode(Sha256::digest(query.as_bytes())) != hash.to_ascii_lowercase() {
                return Err(format!("the hash {hash} does not match its query"));
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn hash_of(query: &str) -> String {
        hex::encode(Sha256::digest(query.as_bytes()))
    }

    fn request(query: &str) -> Request {
        Request::new(query)
    }

    fn by_hash(hash: &str) -> Request {
        let mut request = Request::new("");
        let mut fields = async_graphql::indexmap::IndexMap::new();
        fields.insert(
            async_graphql::Name::new("sha256Hash"),
            async_graphql::Value::String(hash.to_owned()),
        );
        request.extensions.insert(
            "persistedQuery".into(),
            async_graphql::Value::Object(fields),
        );
        request
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(10_000))]

        #[test]
        fn any_file_text_is_read_or_refused_without_panicking(text in prop_oneof![
            "\\PC{0,300}",
            "\\{(\"[0-9a-fA-F]{0,64}\": ?\"[^\"\\\\]{0,20}\",?){0,3}\\}",
        ]) {
            let _ = AllowList::parse(&text);
        }

        #[test]
        fn a_listed_operation_is_admitted_by_text_and_by_hash_and_nothing_else(
            queries in proptest::collection::btree_set("\\PC{1,60}", 1..6),
            upper in any::<bool>(),
            stranger in "\\PC{1,60}",
        ) {
            let file: HashMap<String, &String> = queries
                .iter()
                .map(|q| {
                    let hash = hash_of(q);
                    (if upper { hash.to_ascii_uppercase() } else { hash }, q)
                })
                .collect();
            let list = AllowList::parse(&serde_json::to_string(&file).unwrap()).unwrap();
            prop_assert_eq!(list.len(), queries.len());
            for query in &queries {
                let admitted = list.admit(request(query)).unwrap();
                prop_assert_eq!(&admitted.query, query);
                let hash = hash_of(query);
                let hash = if upper { hash } else { hash.to_ascii_uppercase() };
                let admitted = list.admit(by_hash(&hash)).unwrap();
                prop_assert_eq!(&admitted.query, query);
                prop_assert!(admitted.extensions.get("persistedQuery").is_none());
            }
            if !queries.contains(&stranger) {
                prop_assert!(list.admit(request(&stranger)).is_err());
                prop_assert!(list.admit(by_hash(&hash_of(&stranger))).is_err());
            }
        }

        #[test]
        fn a_file_whose_hash_does_not_match_its_query_is_refused(
            query in "\\PC{1,60}",
            flip in 0usize..64,
        ) {
            let mut hash: Vec<u8> = hash_of(&query).into_bytes();
            hash[flip] = if hash[flip] == b'0' { b'1' } else { b'0' };
            let file = serde_json::json!({ String::from_utf8(hash).unwrap(): query });
            let refused = AllowList::parse(&file.to_string()).unwrap_err();
            prop_assert!(refused.contains("does not match"), "{}", refused);
        }
    }
}
