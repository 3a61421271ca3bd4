//! Every output file of the CLI (traces, models, data sets, pictures) is written here, so that no output
//! ever destroys anything:
//!
//! * A **regular file** (or a name that does not exist yet) is written to a temporary file in the same
//!   folder and renamed into place only when complete, so a failed or interrupted command never leaves a
//!   half-written file. An existing file keeps its permissions; a read-only one is refused.
//! * A **symbolic link** is written through: the file it points to is replaced (as above), the link
//!   stays a link.
//! * `-` is **standard output**, and an existing **FIFO, character device or socket** (`/dev/stdout`,
//!   `/dev/null`, a named pipe) is written to directly, once the whole content is ready (it is staged
//!   in a temporary file in the system's temporary folder).
//! * Before any work, [`check_outputs`] refuses an output that is the same file as one of the command's
//!   inputs or as another of its outputs, after resolving links and `..`.
//!
//! Temporary files are registered while they exist, so that a SIGINT or SIGTERM can remove them
//! ([`remove_temporaries`]).

use anyhow::{anyhow, bail, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// The folder a file lives in (`.` for a bare file name).
pub fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Whether `path` means standard output.
pub fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Where an output path leads.
#[derive(Debug)]
enum Dest {
    /// `-`.
    Stdout,
    /// An existing FIFO, character or block device, or socket: opened and written directly.
    Stream(PathBuf),
    /// A regular file at `real` (symbolic links resolved), existing or not.
    File {
        real: PathBuf,
        permissions: Option<std::fs::Permissions>,
    },
}

/// Follows the symbolic links of `path`'s last component, also dangling ones, to the path a new file
/// would be created at.
fn follow_links(path: &Path) -> PathBuf {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::read_link(&p) {
            Ok(target) if target.is_absolute() => p = target,
            Ok(target) => p = folder_of(&p).join(target),
            Err(_) => break,
        }
    }
    p
}

/// Resolves an output path (see the module docs).
fn resolve(flag: &str, path: &Path) -> Result<Dest> {
    if is_stdout(path) {
        return Ok(Dest::Stdout);
    }
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => bail!(
            "{flag} {}: is a folder, expected a file name",
            path.display()
        ),
        Ok(m) if m.is_file() => {
            if m.permissions().readonly() {
                bail!(
                    "{flag} {}: the file is read-only; make it writable or choose another name",
                    path.display()
                );
            }
            let real = std::fs::canonicalize(path)
                .map_err(|e| anyhow!("{flag} {}: {}", path.display(), e.kind()))?;
            Ok(Dest::File {
                real,
                permissions: Some(m.permissions()),
            })
        }
        Ok(_) => Ok(Dest::Stream(path.to_path_buf())),
        Err(_) => Ok(Dest::File {
            real: follow_links(path),
            permissions: None,
        }),
    }
}

/// What identifies a file for collisions: its device and inode when it exists, else its absolute
/// path with the folder's links and `..` resolved.
#[derive(Debug, PartialEq, Eq)]
enum Identity {
    Stdout,
    Node(u64, u64),
    Path(PathBuf),
}

#[cfg(unix)]
fn node_of(m: &std::fs::Metadata) -> Option<Identity> {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let t = m.file_type();
    // Writing twice to /dev/null or a terminal is harmless: devices never collide.
    (!(t.is_char_device() || t.is_block_device())).then(|| Identity::Node(m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn node_of(_: &std::fs::Metadata) -> Option<Identity> {
    None
}

/// The identities of a path: `-` is standard output and whatever file standard output is.
fn identities(path: &Path) -> Vec<Identity> {
    if is_stdout(path) {
        let mut ids = vec![Identity::Stdout];
        #[cfg(unix)]
        {
            use std::os::fd::AsFd;
            if let Ok(fd) = std::io::stdout().as_fd().try_clone_to_owned() {
                if let Ok(m) = std::fs::File::from(fd).metadata() {
                    ids.extend(node_of(&m));
                }
            }
        }
        return ids;
    }
    match std::fs::metadata(path) {
        Ok(m) => node_of(&m).into_iter().collect(),
        Err(_) => {
            let p = follow_links(path);
            let dir = std::fs::canonicalize(folder_of(&p)).unwrap_or_else(|_| folder_of(&p).into());
            vec![Identity::Path(match p.file_name() {
                Some(name) => dir.join(name),
                None => dir,
            })]
        }
    }
}

/// Checks a command's outputs before any work is done: each given output (`(flag, path)`) can be
/// written (its folder exists and accepts a new file, it is not a folder or a read-only file), and
/// none is the same file as an input (`(flag, path)`) or as another output.
pub fn check_outputs(inputs: &[(&str, &Path)], outputs: &[(&str, &Option<PathBuf>)]) -> Result<()> {
    let outputs: Vec<(&str, &Path)> = outputs
        .iter()
        .filter_map(|&(flag, p)| p.as_deref().map(|p| (flag, p)))
        .collect();
    for &(flag, path) in &outputs {
        check_writable(flag, path)?;
    }
    let input_ids: Vec<_> = inputs.iter().map(|&(f, p)| (f, p, identities(p))).collect();
    let output_ids: Vec<_> = outputs
        .iter()
        .map(|&(f, p)| (f, p, identities(p)))
        .collect();
    for (i, (flag, path, ids)) in output_ids.iter().enumerate() {
        let same = |other: &Vec<Identity>| ids.iter().any(|id| other.contains(id));
        if let Some((f, p, _)) = input_ids.iter().find(|(_, _, o)| same(o)) {
            bail!(
                "{flag} {} is the same file as the input {f} {}; refusing to overwrite it",
                path.display(),
                p.display()
            );
        }
        if let Some((f, p, _)) = output_ids[..i].iter().find(|(_, _, o)| same(o)) {
            bail!(
                "{f} {} and {flag} {} are the same file; give each output its own name",
                p.display(),
                path.display()
            );
        }
    }
    Ok(())
}

/// Checks, before any work is done, that `path` could be written (see [`check_outputs`]). `flag` names
/// the option in the error.
pub fn check_writable(flag: &str, path: &Path) -> Result<()> {
    let Dest::File { real, .. } = resolve(flag, path)? else {
        return Ok(());
    };
    let dir = folder_of(&real);
    if !dir.is_dir() {
        bail!(
            "{flag} {}: the folder {} does not exist",
            path.display(),
            dir.display()
        );
    }
    // a trial file, registered like every temporary file so that a signal cannot leave it behind
    Temporary::new(tempfile::Builder::new().prefix(".micrograd-"), dir).map_err(|e| {
        anyhow!(
            "{flag} {}: cannot write in the folder {}: {}",
            path.display(),
            dir.display(),
            e.kind()
        )
    })?;
    Ok(())
}

/// The temporary files that exist now, for [`remove_temporaries`].
static TEMPORARIES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// A temporary file, registered in [`TEMPORARIES`] while it lives.
struct Temporary(Option<tempfile::NamedTempFile>, PathBuf);

impl Temporary {
    fn new(builder: &tempfile::Builder<'_, '_>, dir: &Path) -> std::io::Result<Temporary> {
        let mut list = TEMPORARIES.lock().unwrap_or_else(|e| e.into_inner());
        let file = builder.tempfile_in(dir)?;
        let path = file.path().to_path_buf();
        list.push(path.clone());
        Ok(Temporary(Some(file), path))
    }

    fn path(&self) -> &Path {
        &self.1
    }

    /// Renames the file to `path`.
    fn persist(mut self, path: &Path) -> std::io::Result<()> {
        let file = self.0.take().expect("not persisted yet");
        file.persist(path).map(drop).map_err(|e| e.error)
    }
}

impl Drop for Temporary {
    fn drop(&mut self) {
        let mut list = TEMPORARIES.lock().unwrap_or_else(|e| e.into_inner());
        list.retain(|p| p != &self.1);
        // the file itself (if not persisted) is removed by NamedTempFile's own drop
        drop(self.0.take());
    }
}

/// Removes every temporary file that exists now (called on SIGINT or SIGTERM, just before exiting).
/// The list stays locked, so no new temporary file is created after it.
pub fn remove_temporaries() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    let list = TEMPORARIES.lock().unwrap_or_else(|e| e.into_inner());
    for p in list.iter() {
        let _ = std::fs::remove_file(p);
    }
    list
}

/// Writes `path` (see the module docs): `write` fills a temporary file (its name ends in `suffix`, for
/// writers that pick a format from the name). On any error `path` is left as it was and the temporary
/// file is removed. Errors name `path`, never the temporary file.
pub fn write_atomic_path(
    path: &Path,
    suffix: &str,
    write: impl FnOnce(&Path) -> Result<()>,
) -> Result<()> {
    let dest = resolve("output", path)?;
    let dir = match &dest {
        Dest::File { real, .. } => folder_of(real).to_path_buf(),
        Dest::Stdout | Dest::Stream(_) => std::env::temp_dir(),
    };
    let tmp = Temporary::new(
        tempfile::Builder::new()
            .prefix(".micrograd-")
            .suffix(suffix),
        &dir,
    )
    .map_err(|e| {
        anyhow!(
            "cannot write {}: {} (in the folder {})",
            path.display(),
            e.kind(),
            dir.display()
        )
    })?;
    write(tmp.path()).map_err(|e| anyhow!("writing {}: {e:#}", path.display()))?;
    match dest {
        Dest::File { real, permissions } => {
            #[cfg(unix)]
            let permissions = permissions.unwrap_or_else(|| {
                use std::os::unix::fs::PermissionsExt;
                std::fs::Permissions::from_mode(0o644)
            });
            #[cfg(unix)]
            std::fs::set_permissions(tmp.path(), permissions)
                .map_err(|e| anyhow!("cannot write {}: {}", path.display(), e.kind()))?;
            #[cfg(not(unix))]
            let _ = permissions;
            tmp.persist(&real)
                .map_err(|e| anyhow!("cannot write {}: {}", path.display(), e.kind()))?;
        }
        Dest::Stdout => {
            let mut from = std::fs::File::open(tmp.path())?;
            let mut out = std::io::stdout().lock();
            stream_result(
                "standard output",
                std::io::copy(&mut from, &mut out).and_then(|_| out.flush()),
            )?;
        }
        Dest::Stream(p) => {
            let mut from = std::fs::File::open(tmp.path())?;
            let mut to = std::fs::OpenOptions::new()
                .write(true)
                .open(&p)
                .map_err(|e| anyhow!("cannot write {}: {e}", p.display()))?;
            stream_result(
                &p.display().to_string(),
                std::io::copy(&mut from, &mut to).and_then(|_| to.flush()),
            )?;
        }
    }
    Ok(())
}

/// Set once standard output is a closed pipe: later output to it is dropped quietly.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// A write to a stream: a closed pipe (the reader is gone, as with `| head`) is not an error, any
/// other failure is.
fn stream_result<T>(name: &str, r: std::io::Result<T>) -> Result<()> {
    match r {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            if name == "standard output" {
                STDOUT_CLOSED.store(true, Ordering::Relaxed);
            }
            Ok(())
        }
        Err(e) => Err(anyhow!("cannot write to {name}: {e}")),
    }
}

/// Prints a line to standard output: a closed pipe ends the output quietly (the command goes on and
/// writes its files), any other failure (a full disk) is an error. Use through [`outln!`].
pub fn print_line(args: std::fmt::Arguments<'_>) -> Result<()> {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    stream_result("standard output", writeln!(out, "{args}"))
}

/// Flushes standard output at the end of the command (see [`print_line`]).
pub fn flush_stdout() -> Result<()> {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return Ok(());
    }
    stream_result("standard output", std::io::stdout().lock().flush())
}

/// Prints a line of progress, a note or a `wrote` line to standard error; a failure to write there is
/// ignored (there is nowhere left to report it). Use through [`errln!`].
pub fn eprint_line(args: std::fmt::Arguments<'_>) {
    let _ = writeln!(std::io::stderr().lock(), "{args}");
}

/// The line that reports a written output: `wrote FILE (what)` on standard error, nothing for `-`.
pub fn wrote(path: &Path, what: &str) {
    if !is_stdout(path) {
        eprint_line(format_args!("wrote {} ({what})", path.display()));
    }
}

/// `println!` that returns an error instead of panicking (see [`print_line`]).
#[macro_export]
macro_rules! outln {
    () => {
        $crate::output::print_line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::output::print_line(format_args!($($arg)*))
    };
}

/// `eprintln!` that never panics (see [`eprint_line`]).
#[macro_export]
macro_rules! errln {
    () => {
        $crate::output::eprint_line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::output::eprint_line(format_args!($($arg)*))
    };
}

/// Writes `path` with `write`, through a buffered writer (see [`write_atomic_path`]).
pub fn write_atomic(path: &Path, write: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    write_atomic_path(path, "", |tmp| {
        let mut buf = std::io::BufWriter::new(std::fs::File::create(tmp)?);
        write(&mut buf)?;
        buf.flush()?;
        Ok(())
    })
}

/// Writes `bytes` to `path` (see [`write_atomic_path`]).
pub fn write_bytes_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic(path, |w| Ok(w.write_all(bytes)?))
}
