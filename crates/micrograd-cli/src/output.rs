//! Writing output files atomically: a file is written to a temporary file in the same folder and renamed
//! into place only when complete, so a failed command never leaves a half-written file behind.

use anyhow::{Context, Result};
use std::io::Write;
use std::path::Path;

/// Writes `path` atomically with `write`. On any error the temporary file is removed and `path` is
/// left as it was.
#[allow(dead_code)]
pub fn write_atomic(path: &Path, write: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| {
        anyhow::anyhow!(
            "cannot write {}: {} (in the folder {})",
            path.display(),
            e.kind(),
            dir.display()
        )
    })?;
    {
        let mut buf = std::io::BufWriter::new(tmp.as_file_mut());
        write(&mut buf).with_context(|| format!("writing {}", path.display()))?;
        buf.flush()
            .with_context(|| format!("writing {}", path.display()))?;
    }
    // Temporary files are created private (0600); an output file gets the usual 0644.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    tmp.persist(path)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {}", path.display(), e.error.kind()))?;
    Ok(())
}

/// Checks, before any work is done, that `path` could be written: its folder exists and accepts a new
/// file (a temporary one is created and removed), and `path` is not a folder. `flag` names the option
/// in the error.
pub fn check_writable(flag: &str, path: &Path) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        anyhow::bail!(
            "{flag} {}: the folder {} does not exist",
            path.display(),
            dir.display()
        );
    }
    if path.is_dir() {
        anyhow::bail!(
            "{flag} {}: is a folder, expected a file name",
            path.display()
        );
    }
    tempfile::NamedTempFile::new_in(dir).map_err(|e| {
        anyhow::anyhow!(
            "{flag} {}: cannot write in the folder {}: {}",
            path.display(),
            dir.display(),
            e.kind()
        )
    })?;
    Ok(())
}

/// Writes `bytes` to `path` atomically.
#[allow(dead_code)]
pub fn write_bytes_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic(path, |w| Ok(w.write_all(bytes)?))
}
