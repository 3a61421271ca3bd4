//! How an operation reaches this thread's tape: a thread-local raw pointer, [`with_tape`], the
//! debug-build re-entry check, and [`panic_in_tape`], through which every panic raised while the tape
//! is borrowed goes.
//!
//! The contract, kept by every caller in the engine: **a `with_tape` closure never calls `with_tape`
//! again and never runs user code** (closures, iterators, `Drop` of user types), and **every panic it
//! raises goes through `panic_in_tape`**. Together they make the `&mut TapeInner` that `with_tape`
//! hands out the only reference to the tape while it lives.

use super::storage::TapeInner;
use std::cell::Cell;
use std::fmt;

thread_local! {
    /// This thread's tape, allocated on first use (null before that and after the thread's exit began).
    /// A plain pointer, which needs no destructor, so reaching it costs one load; a `RefCell` here
    /// would add a destructor-registration check and a borrow flag to every operation.
    /// `BUSY` while a panic raised inside `with_tape` is being reported (see `panic_in_tape`).
    static TAPE: Cell<*mut TapeInner> = const { Cell::new(std::ptr::null_mut()) };
    /// Owns the tape and frees it when the thread exits.
    static OWNER: TapeOwner = const { TapeOwner };
}

/// Stands in `TAPE` for the tape while a panic from inside `with_tape` is reported: never dereferenced
/// (an aligned dangling address, just above null, so that one compare catches both).
const BUSY: *mut TapeInner = std::ptr::NonNull::dangling().as_ptr();

/// Frees the thread's tape when the thread exits.
struct TapeOwner;

impl Drop for TapeOwner {
    fn drop(&mut self) {
        let p = TAPE.with(|t| t.replace(std::ptr::null_mut()));
        if !p.is_null() {
            // SAFETY: `p` came from `Box::into_raw` in `new_tape` and has just been unpublished, so no
            // other pointer to the tape remains; no `with_tape` call is running (this destructor runs
            // outside any of them, as they call no user code).
            drop(unsafe { Box::from_raw(p) });
        }
    }
}

#[cold]
#[inline(never)]
fn new_tape(p: *mut TapeInner) -> *mut TapeInner {
    assert!(
        p != BUSY,
        "micrograd: the tape was used while one of its panics was being reported (from a panic hook)"
    );
    // Touching OWNER registers its destructor; this fails once the thread has begun to exit.
    let owner = OWNER.try_with(|_| ());
    assert!(
        owner.is_ok(),
        "micrograd: a Value was used while its thread was exiting, after the thread's tape was freed"
    );
    let p = Box::into_raw(Box::new(TapeInner::new()));
    TAPE.with(|t| t.set(p));
    p
}

/// Runs `f` on this thread's tape.
///
/// The tape is reached through a raw pointer, so exclusivity rests on two rules, kept by every caller
/// in the engine: **`f` never calls `with_tape` again and never runs user code** (closures, iterators,
/// `Drop` of user types); user callbacks (`Value::custom`, the iterator of `Value::sum`) run before
/// or after. And **every panic `f` raises goes through `panic_in_tape`**, which makes the tape
/// unavailable before the panic hook (user code) runs. Debug builds check the first rule at run time,
/// and `cargo miri test -p micrograd --test engine` checks the aliasing of these accesses.
#[inline(always)]
pub(super) fn with_tape<R>(f: impl FnOnce(&mut TapeInner) -> R) -> R {
    let mut p = TAPE.with(Cell::get);
    // (null before the first use, `BUSY` while a panic from inside is being reported)
    if p as usize <= BUSY as usize {
        p = new_tape(p);
    }
    #[cfg(debug_assertions)]
    let _busy = reentry::Busy::enter();
    // SAFETY: `p` points to this thread's live tape (allocated by `new_tape`, freed only by `TapeOwner`
    // after being unpublished), which no other thread can reach (the pointer is thread-local and
    // `Value` is not `Send`), and the rules above mean no other reference to it exists while `f` runs.
    f(unsafe { &mut *p })
}

/// Debug-build check of `with_tape`'s rule: a nested call panics instead of aliasing the tape.
#[cfg(debug_assertions)]
mod reentry {
    use std::cell::Cell;

    thread_local! {
        static BUSY: Cell<bool> = const { Cell::new(false) };
    }

    pub(super) struct Busy;

    impl Busy {
        pub(super) fn enter() -> Busy {
            assert!(
                !BUSY.with(|b| b.replace(true)),
                "micrograd: internal error: nested access to the tape"
            );
            Busy
        }
    }

    impl Drop for Busy {
        fn drop(&mut self) {
            BUSY.with(|b| b.set(false));
        }
    }
}

/// Panics from inside `with_tape`. Every panic the engine raises there goes through here, because the
/// panic hook, which is user code, runs before the stack unwinds, while `with_tape`'s `&mut TapeInner`
/// is still live. So the panic is raised with the tape made unavailable (`TAPE` holds `BUSY`: a hook
/// that touches the tape panics in turn and the process aborts, instead of aliasing it), caught here
/// right after the hook has run, and resumed with the tape back in place (`resume_unwind` runs no hook).
/// Done here rather than by a guard in `with_tape`, whose cleanup would sit on every operation's
/// unwind path and push a chain's running value out of registers.
#[cold]
#[inline(never)]
pub(super) fn panic_in_tape(message: fmt::Arguments<'_>) -> ! {
    let tape = TAPE.with(|t| t.replace(BUSY));
    let payload = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| panic!("{message}")))
        .expect_err("panic! returned");
    TAPE.with(|t| t.set(tape));
    std::panic::resume_unwind(payload)
}
