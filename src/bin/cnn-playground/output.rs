//! Files the CLI writes (`--out`, `--output`, `--json`, `--predictions`): written whole beside
//! the target and renamed over it, so a failure half-way — a full disk, an interrupted run —
//! leaves the old file as it was instead of a truncated one.

use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` atomically (a temporary file in the same folder, then a rename).
pub fn write(path: &str, bytes: &[u8]) -> Result<(), String> {
    let target = Path::new(path);
    let name = target
        .file_name()
        .ok_or_else(|| format!("{path}: not a file name"))?;
    if target.is_dir() {
        return Err(format!("{path}: is a folder, not a file"));
    }
    let folder = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let partial = folder.join(format!(
        ".{}.partial-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let written = std::fs::File::create(&partial)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()))
        .and_then(|()| std::fs::rename(&partial, target));
    written.map_err(|e| {
        let _ = std::fs::remove_file(&partial);
        format!("{path}: {e}")
    })
}
