//! How every training command reports: one progress reporter ([`Progress`]: a bar on a terminal,
//! plain lines on standard error otherwise), the trace writer ([`write_lines`],
//! [`write_json_lines`]: one line per step or epoch, `wrote PATH (N what)`), and losses for people
//! ([`fmt_loss`]).

use crate::errln;
use crate::output::{write_atomic, wrote};
use anyhow::Result;
use std::io::{IsTerminal, Write};
use std::path::Path;

/// A loss for people: 6 decimals in the usual range, scientific notation when huge or tiny.
pub fn fmt_loss(x: f64) -> String {
    if x != 0.0 && x.is_finite() && !(1e-4..1e5).contains(&x.abs()) {
        format!("{x:.4e}")
    } else {
        format!("{x:.6}")
    }
}

/// The progress of `total` steps (or epochs) on standard error: a bar with a live status when
/// standard error is a terminal; otherwise plain lines, one every `plain_every` items (item 0, then
/// every `plain_every`-th, and the last).
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    total: usize,
    plain_every: usize,
    echo_every: Option<usize>,
}

impl Progress {
    /// A reporter of `total` items printing a plain line every `plain_every` of them (at least 1).
    pub fn new(total: usize, plain_every: usize) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(total as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:40.cyan/blue} {pos}/{len} {msg}",
                )
                .expect("a valid template")
                .progress_chars("=> "),
            );
            bar
        });
        Progress {
            bar,
            total,
            plain_every: plain_every.max(1),
            echo_every: None,
        }
    }

    /// With a bar, also prints the line of every `n`-th item (counting from 1) above it.
    pub fn echo_every(self, n: usize) -> Progress {
        Progress {
            echo_every: Some(n.max(1)),
            ..self
        }
    }

    /// Item `i` (from 0) is done: `line()` is its plain line, `status()` the bar's message.
    pub fn update(&self, i: usize, line: impl FnOnce() -> String, status: impl FnOnce() -> String) {
        match &self.bar {
            Some(bar) => {
                if self.echo_every.is_some_and(|n| (i + 1) % n == 0) {
                    bar.println(line());
                }
                bar.set_message(status());
                bar.set_position(i as u64 + 1);
            }
            None if i % self.plain_every == 0 || i + 1 == self.total => errln!("{}", line()),
            None => {}
        }
    }

    /// One more item done, out of order (trials finishing on several threads): advances the bar
    /// with `status` as its message; plain output prints nothing for it.
    pub fn inc(&self, status: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(status.to_string());
            bar.inc(1);
        }
    }

    /// Ends the report: the bar stays, full or where training stopped (`ok`), or is abandoned
    /// (an error follows).
    pub fn finish(&self, ok: bool) {
        if let Some(bar) = &self.bar {
            if ok {
                bar.finish();
            } else {
                bar.abandon();
            }
        }
    }
}

/// Writes one line per item of `items` to `path` (if given), each written by `line` (without its
/// newline), and reports `wrote PATH (N what)`.
pub fn write_lines<T>(
    path: Option<&Path>,
    items: &[T],
    what: &str,
    line: impl Fn(&mut dyn Write, usize, &T) -> Result<()>,
) -> Result<()> {
    if let Some(path) = path {
        write_atomic(path, |w| {
            for (i, item) in items.iter().enumerate() {
                line(&mut *w, i, item)?;
                w.write_all(b"\n")?;
            }
            Ok(())
        })?;
        wrote(path, &format!("{} {what}", items.len()));
    }
    Ok(())
}

/// [`write_lines`] with each line the JSON of `json(item)` (fields in order, numbers in shortest
/// round-trip form).
pub fn write_json_lines<T, J: serde::Serialize>(
    path: Option<&Path>,
    items: &[T],
    what: &str,
    json: impl Fn(&T) -> J,
) -> Result<()> {
    write_lines(path, items, what, |w, _, item| {
        Ok(serde_json::to_writer(w, &json(item))?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn losses_read_well() {
        assert_eq!(fmt_loss(0.5), "0.500000");
        assert_eq!(fmt_loss(0.0), "0.000000");
        assert_eq!(fmt_loss(1e-7), "1.0000e-7");
        assert_eq!(fmt_loss(3e6), "3.0000e6");
        assert_eq!(fmt_loss(f64::INFINITY), "inf");
    }
}
