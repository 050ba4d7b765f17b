//! Files under a root folder: `<root>/<kind>/<user id>/<uuid>`. A write goes to a hidden
//! `.part` file beside its final name, is fsynced, renamed into place and the folder fsynced:
//! after a crash there is either the whole object or a `.part` leftover the sweeper removes.

use std::{
    fs,
    io::{self, Read, Seek, SeekFrom, Write},
    ops::Range,
    path::{Path, PathBuf},
};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures_util::stream;
use tokio::io::AsyncReadExt;

use super::{ByteStream, KeyKind, ObjectInfo, Storage, StorageKey};

const PART_SUFFIX: &str = ".part";
const CHUNK: usize = 64 * 1024;

pub struct LocalStorage {
    root: PathBuf,
}

impl LocalStorage {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn user_dir(&self, kind: KeyKind, user_id: i32) -> PathBuf {
        self.root.join(kind.prefix()).join(user_id.to_string())
    }

    /// The file behind a key. Keys are parsed, never free text, so this stays under the root.
    fn path(&self, key: &StorageKey) -> PathBuf {
        self.user_dir(key.kind, key.user_id)
            .join(key.id.hyphenated().to_string())
    }
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(io::Error::other)?
}

fn write_durably(dir: &Path, final_path: &Path, content: &mut dyn Read) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    let name = final_path
        .file_name()
        .ok_or_else(|| io::Error::other("a storage path has no file name"))?;
    let part = dir.join(format!(".{}{PART_SUFFIX}", name.to_string_lossy()));
    let written = (|| {
        let mut file = fs::File::create(&part)?;
        io::copy(content, &mut file)?;
        file.flush()?;
        file.sync_all()?;
        fs::rename(&part, final_path)?;
        fs::File::open(dir)?.sync_all()
    })();
    if written.is_err() {
        let _ = fs::remove_file(&part);
    }
    written
}

fn modified(metadata: &fs::Metadata) -> DateTime<Utc> {
    metadata
        .modified()
        .map(DateTime::<Utc>::from)
        .unwrap_or_else(|_| Utc::now())
}

/// Every `(path, metadata)` one level below `<root>/<kind>/<user id>/`.
fn walk(root: &Path) -> io::Result<Vec<(KeyKind, i32, PathBuf, fs::Metadata)>> {
    let mut found = Vec::new();
    for kind in KeyKind::ALL {
        let kind_dir = root.join(kind.prefix());
        let users = match fs::read_dir(&kind_dir) {
            Ok(users) => users,
            Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
            Err(err) => return Err(err),
        };
        for user in users {
            let user = user?;
            let Some(user_id) = user
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<i32>().ok())
            else {
                continue;
            };
            for entry in fs::read_dir(user.path())? {
                let entry = entry?;
                let metadata = entry.metadata()?;
                if metadata.is_file() {
                    found.push((kind, user_id, entry.path(), metadata));
                }
            }
        }
    }
    Ok(found)
}

#[async_trait]
impl Storage for LocalStorage {
    async fn put(&self, key: &StorageKey, mut content: Box<dyn Read + Send>) -> io::Result<()> {
        let dir = self.user_dir(key.kind, key.user_id);
        let path = self.path(key);
        blocking(move || write_durably(&dir, &path, &mut content)).await
    }

    async fn size(&self, key: &StorageKey) -> io::Result<u64> {
        Ok(tokio::fs::metadata(self.path(key)).await?.len())
    }

    async fn read(&self, key: &StorageKey, range: Option<Range<u64>>) -> io::Result<ByteStream> {
        let mut file = tokio::fs::File::open(self.path(key)).await?;
        let range = match range {
            Some(range) => range,
            None => 0..file.metadata().await?.len(),
        };
        {
            use tokio::io::AsyncSeekExt;
            file.seek(SeekFrom::Start(range.start)).await?;
        }
        let remaining = range.end.saturating_sub(range.start);
        let chunks = stream::try_unfold((file, remaining), |(mut file, remaining)| async move {
            if remaining == 0 {
                return Ok(None);
            }
            let want = usize::try_from(remaining).unwrap_or(CHUNK).min(CHUNK);
            let mut buffer = vec![0; want];
            let read = file.read(&mut buffer).await?;
            if read == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the stored file is shorter than expected",
                ));
            }
            buffer.truncate(read);
            Ok(Some((
                actix_web::web::Bytes::from(buffer),
                (file, remaining - read as u64),
            )))
        });
        Ok(Box::pin(chunks))
    }

    async fn read_all(&self, key: &StorageKey, limit: u64) -> io::Result<Vec<u8>> {
        let path = self.path(key);
        blocking(move || {
            let mut file = fs::File::open(path)?;
            if file.metadata()?.len() > limit {
                return Err(io::Error::other("the stored file is larger than allowed"));
            }
            let mut content = Vec::new();
            file.rewind()?;
            file.take(limit).read_to_end(&mut content)?;
            Ok(content)
        })
        .await
    }

    async fn delete(&self, key: &StorageKey) -> io::Result<()> {
        match tokio::fs::remove_file(self.path(key)).await {
            Err(err) if err.kind() != io::ErrorKind::NotFound => Err(err),
            _ => Ok(()),
        }
    }

    async fn delete_user(&self, user_id: i32) -> io::Result<()> {
        for kind in KeyKind::ALL {
            match tokio::fs::remove_dir_all(self.user_dir(kind, user_id)).await {
                Err(err) if err.kind() != io::ErrorKind::NotFound => return Err(err),
                _ => {}
            }
        }
        Ok(())
    }

    async fn list(&self) -> io::Result<Vec<ObjectInfo>> {
        let root = self.root.clone();
        let found = blocking(move || walk(&root)).await?;
        Ok(found
            .into_iter()
            .filter_map(|(kind, user_id, path, metadata)| {
                let name = path.file_name()?.to_str()?;
                let key = StorageKey::parse(&format!("{}/{user_id}/{name}", kind.prefix()))?;
                Some(ObjectInfo {
                    key,
                    modified: modified(&metadata),
                })
            })
            .collect())
    }

    async fn remove_partial_writes(&self, older_than: DateTime<Utc>) -> io::Result<usize> {
        let root = self.root.clone();
        blocking(move || {
            let mut removed = 0;
            for (_, _, path, metadata) in walk(&root)? {
                let partial = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with('.') && n.ends_with(PART_SUFFIX));
                if partial && modified(&metadata) < older_than {
                    fs::remove_file(&path)?;
                    removed += 1;
                }
            }
            Ok(removed)
        })
        .await
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use futures_util::TryStreamExt;

    use super::*;

    #[tokio::test]
    async fn put_read_range_delete() {
        let root = std::env::temp_dir().join(format!("echo-storage-{}", uuid::Uuid::new_v4()));
        let storage = LocalStorage::new(&root);
        let key = StorageKey::new(KeyKind::Report, 7);
        let content: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        storage
            .put(&key, Box::new(io::Cursor::new(content.clone())))
            .await
            .unwrap();
        assert_eq!(storage.size(&key).await.unwrap(), 200_000);
        let chunks: Vec<actix_web::web::Bytes> = storage
            .read(&key, Some(70_000..140_001))
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        let part = chunks.concat();
        assert_eq!(part, content[70_000..140_001]);
        let listed = storage.list().await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].key, key);
        assert!(storage.read_all(&key, 10).await.is_err());
        storage.delete(&key).await.unwrap();
        storage.delete(&key).await.unwrap();
        assert!(storage.list().await.unwrap().is_empty());
        fs::remove_dir_all(root).unwrap();
    }
}
