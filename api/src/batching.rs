//! Batched relation loads: every parent of one request that asks a relation for its rows
//! shares one SQL statement (the DataLoader pattern).
//!
//! A batch is sent once the request's resolvers that can ask have asked, not after a timer.
//! All fields of a request are resolved as futures of the request's one task, so the first
//! caller of a batch (its leader) yields, which lets the task poll every other field that is
//! ready, and yields again until a round adds no key; then the batch goes out. This is the
//! JavaScript DataLoader's "end of the tick" rule, and it costs microseconds where
//! async-graphql's DataLoader waits for a timer on every nesting level (2 ms each, with a
//! cross-thread wake-up per batch; docs/benchmarks.md).
//!
//! Loaders are built per request, on first use ([`Loaders`]), so nothing one caller loaded
//! can be served to another.

use std::{
    any::{Any, TypeId},
    collections::HashMap,
    future::Future,
    hash::Hash,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
};

use async_graphql::Context;
use chrono::{DateTime, Utc};
use sea_orm::DbErr;
use tokio::sync::oneshot;

use crate::read_pool::ReadPool;

/// Loads many keys in one statement.
pub trait BatchLoader: Send + Sync + Sized + 'static {
    type Key: Hash + Eq + Clone + Send + Sync + 'static;
    type Value: Clone + Send + Sync + 'static;

    /// The loader of one request, reading `db`; `now` is the request's time.
    fn for_request(db: &ReadPool, now: DateTime<Utc>) -> Self;

    /// The values of `keys`; a key without a value is absent from the map.
    fn load(
        &self,
        keys: &[Self::Key],
    ) -> impl Future<Output = Result<HashMap<Self::Key, Self::Value>, Arc<DbErr>>> + Send;
}

type Outcome<V> = Result<Option<V>, Arc<DbErr>>;
/// Where one waiter's value goes.
type Reply<L> = oneshot::Sender<Outcome<<L as BatchLoader>::Value>>;

/// One loader's keys of one request, gathered until they are sent as one batch.
pub struct Batcher<L: BatchLoader> {
    shared: Arc<Shared<L>>,
}

struct Shared<L: BatchLoader> {
    loader: L,
    pending: Mutex<Pending<L>>,
}

struct Pending<L: BatchLoader> {
    waiters: Vec<(L::Key, Reply<L>)>,
    /// Whether a caller is gathering the current batch.
    led: bool,
}

impl<L: BatchLoader> Shared<L> {
    fn pending(&self) -> MutexGuard<'_, Pending<L>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sends the gathered batch and hands every waiter its value.
    async fn dispatch(self: Arc<Self>) {
        let waiters = {
            let mut pending = self.pending();
            pending.led = false;
            std::mem::take(&mut pending.waiters)
        };
        let mut by_key: HashMap<L::Key, Vec<Reply<L>>> = HashMap::with_capacity(waiters.len());
        for (key, sender) in waiters {
            by_key.entry(key).or_default().push(sender);
        }
        let keys: Vec<L::Key> = by_key.keys().cloned().collect();
        match self.loader.load(&keys).await {
            Ok(mut values) => {
                for (key, senders) in by_key {
                    let mut value = values.remove(&key);
                    let count = senders.len();
                    for (i, sender) in senders.into_iter().enumerate() {
                        // The last waiter of a key takes the value; the others get copies.
                        let value = if i + 1 == count {
                            value.take()
                        } else {
                            value.clone()
                        };
                        let _ = sender.send(Ok(value));
                    }
                }
            }
            Err(err) => {
                for sender in by_key.into_values().flatten() {
                    let _ = sender.send(Err(err.clone()));
                }
            }
        }
    }
}

/// Sends the batch even when its leader is dropped before it did (a sibling field's error
/// can drop part of a request), so the other waiters are not left hanging.
struct SendOnDrop<L: BatchLoader>(Option<Arc<Shared<L>>>);

impl<L: BatchLoader> Drop for SendOnDrop<L> {
    fn drop(&mut self) {
        if let Some(shared) = self.0.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(shared.dispatch());
        }
    }
}

impl<L: BatchLoader> Batcher<L> {
    fn new(loader: L) -> Self {
        Self {
            shared: Arc::new(Shared {
                loader,
                pending: Mutex::new(Pending {
                    waiters: Vec::new(),
                    led: false,
                }),
            }),
        }
    }

    /// The value of `key`, loaded in one batch with every other key asked for meanwhile.
    pub async fn load_one(&self, key: L::Key) -> Outcome<L::Value> {
        let (receiver, lead) = {
            let mut pending = self.shared.pending();
            let (sender, receiver) = oneshot::channel();
            pending.waiters.push((key, sender));
            let lead = !pending.led;
            pending.led = true;
            (receiver, lead)
        };
        if lead {
            let mut guard = SendOnDrop(Some(self.shared.clone()));
            let mut asked = 0;
            loop {
                tokio::task::yield_now().await;
                let now_asked = self.shared.pending().waiters.len();
                if now_asked == asked {
                    break;
                }
                asked = now_asked;
            }
            // Sent from a task of its own, so that it completes even if this field is dropped.
            if let Some(shared) = guard.0.take() {
                tokio::spawn(shared.dispatch());
            }
        }
        receiver.await.unwrap_or_else(|_| {
            Err(Arc::new(DbErr::Custom(
                "a batched load was cancelled".into(),
            )))
        })
    }
}

/// The loaders of one request, each built when first used.
pub struct Loaders {
    db: ReadPool,
    now: DateTime<Utc>,
    made: Mutex<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>,
}

impl Loaders {
    pub fn new(db: ReadPool, now: DateTime<Utc>) -> Self {
        Self {
            db,
            now,
            made: Mutex::new(HashMap::new()),
        }
    }

    fn get<L: BatchLoader>(&self) -> Arc<Batcher<L>> {
        let mut made = self.made.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = made
            .entry(TypeId::of::<L>())
            .or_insert_with(|| Arc::new(Batcher::new(L::for_request(&self.db, self.now))));
        match entry.clone().downcast::<Batcher<L>>() {
            Ok(batcher) => batcher,
            // The map is keyed by the type it holds; another type under this key is impossible.
            Err(_) => unreachable!("loader stored under another type's id"),
        }
    }
}

/// The value of `key` from the request's `L` loader, batched with the request's other keys.
pub async fn load_one<L: BatchLoader>(ctx: &Context<'_>, key: L::Key) -> Outcome<L::Value> {
    // Every request gets its loaders in `schema::prepare_request`; their absence is a bug.
    let batcher = ctx.data_unchecked::<Loaders>().get::<L>();
    batcher.load_one(key).await
}
