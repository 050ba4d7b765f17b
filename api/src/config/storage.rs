//! Uploaded files: where they are kept, how large they may be, OCR, sweeping, links.

use std::path::PathBuf;

use clap::Args;

/// Uploaded files: where they are kept, how large they may be, OCR, sweeping, links.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Files")]
pub struct StorageSettings {
    /// Where uploaded files are kept (local storage); default `DATA_DIR/files`.
    #[arg(long, env = "STORAGE_ROOT", global = true)]
    pub storage_root: Option<PathBuf>,

    /// Largest medical report upload, in bytes (20 MiB).
    #[arg(long, env = "UPLOAD_MAX_BYTES", default_value_t = 20 * 1024 * 1024, global = true)]
    pub upload_max_bytes: usize,

    /// Largest profile image upload, in bytes (5 MiB).
    #[arg(long, env = "AVATAR_MAX_BYTES", default_value_t = 5 * 1024 * 1024, global = true)]
    pub avatar_max_bytes: usize,

    /// The Tesseract command for text in images; reports that are images fail with a clear
    /// reason when it is not installed.
    #[arg(long, env = "OCR_COMMAND", default_value = "tesseract", global = true)]
    pub ocr_command: String,

    /// Seconds between sweeps for stored files that no row refers to (0 turns sweeping off).
    #[arg(
        long,
        env = "STORAGE_SWEEP_INTERVAL_SECS",
        default_value_t = 3600,
        global = true
    )]
    pub storage_sweep_interval_secs: u64,

    /// How old an unreferenced file must be before the sweeper removes it: uploads in flight
    /// are younger.
    #[arg(
        long,
        env = "STORAGE_ORPHAN_GRACE_SECS",
        default_value_t = 3600,
        global = true
    )]
    pub storage_orphan_grace_secs: u64,

    /// Seconds a download link works at least (rounded up to whole 5 minutes).
    #[arg(
        long,
        env = "DOWNLOAD_LINK_TTL_SECS",
        default_value_t = 900,
        global = true
    )]
    pub download_link_ttl_secs: u64,
}
