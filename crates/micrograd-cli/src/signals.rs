//! SIGINT and SIGTERM (Ctrl-C, `kill`).
//!
//! Outside training, a signal removes the temporary files of outputs being written and exits with code
//! 130 at once. While a command trains ([`checkpoint_on_signal`]), the first signal only asks the
//! training loop to stop at the end of the current step; the command then saves what
//! `--save` and `--trace` asked for as a checkpoint, says so, and exits with code 130. A second signal
//! exits at once (temporary files removed).

use anyhow::Result;
use signal_hook::consts::{SIGINT, SIGTERM};
use std::sync::atomic::{AtomicBool, Ordering};

/// The exit code after a signal (128 + SIGINT's number, the shell's convention for Ctrl-C).
pub const EXIT_CODE: u8 = 130;

static STOP: AtomicBool = AtomicBool::new(false);
static DEFER: AtomicBool = AtomicBool::new(false);

/// Starts the thread that handles SIGINT and SIGTERM.
pub fn install() -> Result<()> {
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;
    std::thread::spawn(move || {
        for _ in signals.forever() {
            if DEFER.load(Ordering::SeqCst) && !STOP.swap(true, Ordering::SeqCst) {
                crate::errln!(
                    "interrupted: stopping at the end of the current step to save a checkpoint \
                     (interrupt again to quit at once)"
                );
                continue;
            }
            let _no_more_temporaries = crate::output::remove_temporaries();
            crate::errln!("interrupted");
            std::process::exit(EXIT_CODE.into());
        }
    });
    Ok(())
}

/// From now on (until the command ends), a signal stops training at the end of the current step
/// instead of exiting: the command saves a checkpoint (see the module docs).
pub fn checkpoint_on_signal() {
    DEFER.store(true, Ordering::SeqCst);
}

/// Whether a signal asked training to stop.
pub fn stop_requested() -> bool {
    STOP.load(Ordering::SeqCst)
}

/// The flag a signal sets (after [`checkpoint_on_signal`]), for a library loop that checks it
/// before every step ([`micrograd::train::fit_until`]).
pub fn stop_flag() -> &'static AtomicBool {
    &STOP
}
