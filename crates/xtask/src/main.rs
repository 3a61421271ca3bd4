//! Project tasks, run as `cargo xtask TASK` (the alias is in `.cargo/config.toml`):
//!
//! * `cargo xtask playground [--port N] [--dev]` builds the browser playground and serves it on
//!   127.0.0.1, printing the URL;
//! * `cargo xtask site DIR [--dev]` writes the playground as a static site into `DIR`, for any web
//!   server;
//! * `cargo xtask serve DIR [--port N]` serves a folder written by `site` (port 0: any free port).
//!
//! The build compiles `micrograd-web` for `wasm32-unknown-unknown` with cargo and generates the JS glue
//! with `wasm-bindgen-cli-support` used as a library, so nothing needs a separate install (only the
//! target: `rustup target add wasm32-unknown-unknown`).

use anyhow::{bail, Context, Result};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const USAGE: &str = "usage: cargo xtask playground [--port N] [--dev]
       cargo xtask site DIR [--dev]
       cargo xtask serve DIR [--port N]";

/// The crate compiled to WebAssembly, and the name of its `.wasm` (cargo turns `-` into `_`).
const WEB_CRATE: &str = "micrograd-web";
const WASM_NAME: &str = "micrograd_web";

/// The names microgpt trains on (the GPT tab's data).
const NAMES: &str = "crates/micrograd/tests/fixtures/names.txt";

/// The default port of `cargo xtask playground`.
const DEFAULT_PORT: u16 = 8731;

fn main() {
    if let Err(e) = run(std::env::args().skip(1).collect()) {
        eprintln!("xtask: {e:#}");
        std::process::exit(1);
    }
}

/// The parsed command line of one task.
#[derive(Debug, PartialEq)]
struct Args {
    task: String,
    dir: Option<PathBuf>,
    port: Option<u16>,
    dev: bool,
}

fn parse_args(args: &[String]) -> Result<Args> {
    let mut it = args.iter();
    let Some(task) = it.next() else {
        bail!("no task given\n{USAGE}");
    };
    let mut parsed = Args {
        task: task.clone(),
        dir: None,
        port: None,
        dev: false,
    };
    while let Some(a) = it.next() {
        match a.as_str() {
            "--dev" => parsed.dev = true,
            "--port" => {
                let p = it.next().context("--port needs a number")?;
                parsed.port = Some(p.parse().with_context(|| format!("bad port {p:?}"))?);
            }
            "-h" | "--help" => bail!("{USAGE}"),
            s if s.starts_with('-') => bail!("unknown option {s}\n{USAGE}"),
            s if parsed.dir.is_none() => parsed.dir = Some(PathBuf::from(s)),
            s => bail!("unexpected argument {s}\n{USAGE}"),
        }
    }
    Ok(parsed)
}

fn run(args: Vec<String>) -> Result<()> {
    let args = parse_args(&args)?;
    match args.task.as_str() {
        "playground" => {
            let dir = workspace_root().join("target/playground");
            build_site(&dir, args.dev)?;
            serve(&dir, args.port.unwrap_or(DEFAULT_PORT))
        }
        "site" => {
            let dir = args
                .dir
                .context("site needs a folder: cargo xtask site DIR")?;
            build_site(&dir, args.dev)
        }
        "serve" => {
            let dir = args
                .dir
                .context("serve needs a folder: cargo xtask serve DIR")?;
            if !dir.join("index.html").is_file() {
                bail!(
                    "{} has no index.html (write it with cargo xtask site DIR)",
                    dir.display()
                );
            }
            serve(&dir, args.port.unwrap_or(DEFAULT_PORT))
        }
        other => bail!("unknown task {other:?}\n{USAGE}"),
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/xtask is two levels below the workspace root")
        .to_path_buf()
}

/// Compiles the web crate to WebAssembly, generates its JS glue into `dir/pkg` and copies the page
/// (`crates/micrograd-web/www`) into `dir`.
fn build_site(dir: &Path, dev: bool) -> Result<()> {
    let root = workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let profile = if dev { "dev" } else { "wasm" };
    eprintln!("xtask: building {WEB_CRATE} for wasm32-unknown-unknown (profile {profile})");
    let status = Command::new(&cargo)
        .current_dir(&root)
        .args([
            "build",
            "-p",
            WEB_CRATE,
            "--lib",
            "--target",
            "wasm32-unknown-unknown",
        ])
        .args(["--profile", profile])
        .status()
        .with_context(|| format!("could not run {cargo}"))?;
    if !status.success() {
        bail!(
            "cargo build for wasm32-unknown-unknown failed (is the target installed? \
             rustup target add wasm32-unknown-unknown)"
        );
    }
    let profile_dir = if dev { "debug" } else { "wasm" };
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(|d| root.join(d))
        .unwrap_or_else(|| root.join("target"));
    let wasm = target_dir
        .join("wasm32-unknown-unknown")
        .join(profile_dir)
        .join(format!("{WASM_NAME}.wasm"));

    fs::create_dir_all(dir).with_context(|| format!("could not create {}", dir.display()))?;
    let pkg = dir.join("pkg");
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&wasm)
        .web(true)?
        .typescript(false)
        .debug(dev)
        .keep_debug(dev)
        .remove_producers_section(!dev)
        .generate(&pkg)
        .map_err(|e| anyhow::anyhow!("wasm-bindgen: {e:#}"))?;

    let www = root.join("crates/micrograd-web/www");
    copy_dir(&www, dir)?;
    // The GPT tab's training data: microgpt's names (fetched by the page, not built into the .wasm).
    let names = root.join(NAMES);
    fs::copy(&names, dir.join("names.txt"))
        .with_context(|| format!("could not copy {}", names.display()))?;
    let out = pkg.join(format!("{WASM_NAME}_bg.wasm"));
    let size = fs::metadata(&out)?.len();
    eprintln!(
        "xtask: wrote the site to {} ({} is {} bytes, {:.0} KiB)",
        dir.display(),
        out.strip_prefix(dir).unwrap_or(&out).display(),
        size,
        size as f64 / 1024.0
    );
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    for entry in fs::read_dir(from).with_context(|| format!("could not read {}", from.display()))? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            fs::create_dir_all(&target)?;
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), &target)
                .with_context(|| format!("could not copy to {}", target.display()))?;
        }
    }
    Ok(())
}

/// The content type of a file served, by its extension (`.wasm` must be `application/wasm` for
/// `WebAssembly.instantiateStreaming`).
fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "json" => "application/json",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The file under `dir` that a request path names: `/` is `index.html`; the query string is ignored;
/// any `..`, absolute or otherwise odd component is refused (`None`).
fn resolve(dir: &Path, url: &str) -> Option<PathBuf> {
    let path = url.split(['?', '#']).next().unwrap_or("");
    let mut out = dir.to_path_buf();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        if part == "." || part == ".." || part.contains('\\') || part.contains(':') {
            return None;
        }
        out.push(part);
    }
    if out.is_dir() {
        out.push("index.html");
    }
    Some(out)
}

/// Serves `dir` on 127.0.0.1:`port` until stopped, printing the URL (port 0: any free port).
fn serve(dir: &Path, port: u16) -> Result<()> {
    let server = tiny_http::Server::http(("127.0.0.1", port))
        .map_err(|e| anyhow::anyhow!("could not listen on 127.0.0.1:{port}: {e}"))?;
    let addr = server
        .server_addr()
        .to_ip()
        .context("the server has no IP address")?;
    println!("micrograd playground: http://{addr}/");
    use std::io::Write as _;
    std::io::stdout().flush()?;
    for request in server.incoming_requests() {
        let file = resolve(dir, request.url());
        let response = match file.as_deref().map(|f| (f, fs::read(f))) {
            Some((f, Ok(bytes))) => {
                let header = tiny_http::Header::from_bytes("Content-Type", content_type(f))
                    .expect("a valid header");
                let cache = tiny_http::Header::from_bytes("Cache-Control", "no-cache")
                    .expect("a valid header");
                tiny_http::Response::from_data(bytes)
                    .with_header(header)
                    .with_header(cache)
            }
            _ => tiny_http::Response::from_string("not found").with_status_code(404),
        };
        // A client that went away is not the server's problem.
        let _ = request.respond(response);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn parses_tasks() {
        let a = parse_args(&args("site out --dev")).unwrap();
        assert_eq!(a.task, "site");
        assert_eq!(a.dir, Some(PathBuf::from("out")));
        assert!(a.dev);
        let a = parse_args(&args("playground --port 0")).unwrap();
        assert_eq!(a.port, Some(0));
        assert!(parse_args(&args("serve a b")).is_err());
        assert!(parse_args(&args("serve --port x")).is_err());
        assert!(parse_args(&[]).is_err());
    }

    #[test]
    fn resolves_paths_inside_the_folder_only() {
        let dir = Path::new("/srv/site");
        assert_eq!(
            resolve(dir, "/pkg/a.js?x=1"),
            Some(PathBuf::from("/srv/site/pkg/a.js"))
        );
        assert_eq!(resolve(dir, "/../etc/passwd"), None);
        assert_eq!(resolve(dir, "/a/%2e%2e/..//b"), None);
        assert_eq!(content_type(Path::new("x.wasm")), "application/wasm");
    }
}
