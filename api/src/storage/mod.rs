//! Where uploaded files live. Callers see a [`Storage`] and [`StorageKey`]s only; the local
//! filesystem is the one implementation today, and an S3-compatible store can be another
//! without touching callers (put a finished local file, read a byte range, delete, list).

mod key;
mod local;

use std::{
    io::{self, Read},
    ops::Range,
    pin::Pin,
    sync::Arc,
};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures_util::Stream;

pub use key::{KeyKind, StorageKey};
pub use local::LocalStorage;

pub type ByteStream = Pin<Box<dyn Stream<Item = io::Result<actix_web::web::Bytes>> + Send>>;

/// A stored object as the sweeper sees it.
#[derive(Debug, Clone)]
pub struct ObjectInfo {
    pub key: StorageKey,
    pub modified: DateTime<Utc>,
}

#[async_trait]
pub trait Storage: Send + Sync + 'static {
    /// Stores `content` under `key`, durably: when this returns, the object survives a
    /// crash; a reader never sees a partial object.
    async fn put(&self, key: &StorageKey, content: Box<dyn Read + Send>) -> io::Result<()>;

    /// The object's size in bytes.
    async fn size(&self, key: &StorageKey) -> io::Result<u64>;

    /// Streams `range` of the object (the whole object when `None`).
    async fn read(&self, key: &StorageKey, range: Option<Range<u64>>) -> io::Result<ByteStream>;

    /// The whole object in memory, refused when larger than `limit`.
    async fn read_all(&self, key: &StorageKey, limit: u64) -> io::Result<Vec<u8>>;

    /// Removes the object; a missing object is not an error.
    async fn delete(&self, key: &StorageKey) -> io::Result<()>;

    /// Removes every object of a user.
    async fn delete_user(&self, user_id: i32) -> io::Result<()>;

    /// Every object, and leftovers of interrupted writes (for the sweeper).
    async fn list(&self) -> io::Result<Vec<ObjectInfo>>;

    /// Removes leftovers of writes interrupted before `older_than`; returns how many.
    async fn remove_partial_writes(&self, older_than: DateTime<Utc>) -> io::Result<usize>;
}

pub type SharedStorage = Arc<dyn Storage>;
