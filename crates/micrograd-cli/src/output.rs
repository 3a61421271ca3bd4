//! Writing output files atomically: a file is written to a temporary file in the same folder and renamed
//! into place only when complete, so a failed command never leaves a half-written file behind. Every
//! output of the CLI (traces, models, data sets, pictures) goes through [`write_atomic_path`].

use anyhow::{anyhow, bail, Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The folder a file lives in (`.` for a bare file name).
pub fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Writes `path` atomically: `write` fills a temporary file in the same folder (its name ends in
/// `suffix`, for writers that pick a format from the name), which is then given ordinary permissions
/// (0644 on Unix; temporary files are created 0600) and renamed into place. On any error the temporary
/// file is removed and `path` is left as it was. Errors name `path`, never the temporary file.
pub fn write_atomic_path(
    path: &Path,
    suffix: &str,
    write: impl FnOnce(&Path) -> Result<()>,
) -> Result<()> {
    let dir = folder_of(path);
    let tmp = tempfile::Builder::new()
        .prefix(".micrograd-")
        .suffix(suffix)
        .tempfile_in(dir)
        .map_err(|e| {
            anyhow!(
                "cannot write {}: {} (in the folder {})",
                path.display(),
                e.kind(),
                dir.display()
            )
        })?;
    write(tmp.path()).with_context(|| format!("writing {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    tmp.persist(path)
        .map_err(|e| anyhow!("cannot write {}: {}", path.display(), e.error.kind()))?;
    Ok(())
}

/// Writes `path` atomically with `write`, through a buffered writer (see [`write_atomic_path`]).
pub fn write_atomic(path: &Path, write: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    write_atomic_path(path, "", |tmp| {
        let mut buf = std::io::BufWriter::new(std::fs::File::create(tmp)?);
        write(&mut buf)?;
        buf.flush()?;
        Ok(())
    })
}

/// Writes `bytes` to `path` atomically.
pub fn write_bytes_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic(path, |w| Ok(w.write_all(bytes)?))
}

/// [`check_writable`] for each of a command's optional outputs, as `(flag, path)` pairs.
pub fn check_outputs(outputs: &[(&str, &Option<PathBuf>)]) -> Result<()> {
    for &(flag, path) in outputs {
        if let Some(p) = path {
            check_writable(flag, p)?;
        }
    }
    Ok(())
}

/// Checks, before any work is done, that `path` could be written: its folder exists and accepts a new
/// file (a temporary one is created and removed), and `path` is not a folder. `flag` names the option
/// in the error.
pub fn check_writable(flag: &str, path: &Path) -> Result<()> {
    let dir = folder_of(path);
    if !dir.is_dir() {
        bail!(
            "{flag} {}: the folder {} does not exist",
            path.display(),
            dir.display()
        );
    }
    if path.is_dir() {
        bail!(
            "{flag} {}: is a folder, expected a file name",
            path.display()
        );
    }
    tempfile::NamedTempFile::new_in(dir).map_err(|e| {
        anyhow!(
            "{flag} {}: cannot write in the folder {}: {}",
            path.display(),
            dir.display(),
            e.kind()
        )
    })?;
    Ok(())
}
