//! Handle validity: which [`Value`] handles still refer to their node, and which carry their node's
//! current value. All of it lives in one small type, [`Handles`], which the tape owns and asks:
//!
//! - [`Handles::key_for`]: the key (epoch and index) of a new node's handle;
//! - [`Handles::check`] / [`Handles::is_live`] (and [`Handles::check_all`] for a list): is the node
//!   of this handle still on the tape, and the one the handle was made for?
//! - [`Handles::trusts`]: is the value this handle carries its node's current value?
//! - [`Handles::before_write`]: a node's value is about to change (handles may hold copies of it);
//! - [`Handles::on_rewind`]: the tape was rewound to a mark;
//! - [`Handles::mark_is_current`]: is a mark still a position on today's tape?
//!
//! **Epochs.** Every handle records the epoch it was made in. An epoch begins at every rewind, and at a
//! write to a node some trusted handle may hold a copy of. A rewind to a mark invalidates the handles
//! of nodes at or above the mark made before it; the tape keeps a short log of the marks it was
//! rewound to, from which any handle's liveness follows: a handle from epoch `e` with index `i` is
//! live if `i` is below the lowest mark rewound to after `e` (and on the tape). The common cases
//! (a handle from the current epoch; a model's parameters, below every mark) are decided by register
//! compares on the handle's key, without reading the log.
//!
//! **Invariants** the tape relies on: indices, marks and epochs are all below 2³¹ (`MAX_NODES`), so
//! that keys compare as numbers and `in_trust_box` can test two bounds with one subtraction; no
//! handle carries an epoch later than the current one; and every handle `trusts` vouches for carries
//! the value its node holds now.

use super::access::panic_in_tape;
use super::value::Value;
use super::{MAX_NODES, NO_BOUND};

/// The handle-validity state of a tape (see the module documentation).
pub(super) struct Handles {
    /// Bumped on every rewind, and on a write to a node some handle may hold a copy of (see
    /// `before_write`); a handle records the epoch it was created in.
    epoch: u32,
    /// Every handle from this epoch or a later one is alive: the epoch that began with the last rewind.
    live_from: u32,
    /// The number of nodes when the current epoch began: only nodes from this index up, and the
    /// handles `on_mint` was told of, can have handles that carry the current epoch.
    epoch_start: usize,
    /// Whether a handle to an older node was made in the current epoch (see `on_mint`).
    minted: bool,
    /// `epoch` in a handle's key position (`epoch << 32`, see `Value::key`), so that `trusts` compares
    /// keys directly.
    epoch_key: u64,
    /// A handle from an epoch in `trust_from..epoch` with an index below `trust_below` carries its
    /// node's current value (the node was not written since, and is alive): see `trusts`. The two are
    /// kept packed as `trust_box(trust_from, trust_below)`, the form `trusts` tests (see
    /// `in_trust_box`); `trust_from` and `trust_below` unpack them.
    trust_box: u64,
    /// Handles from epochs before this one are all invalid (the tape was cleared then).
    era_start: u32,
    /// The rewinds since `era_start` that still matter, as `(epoch after the rewind, mark)`, with both
    /// strictly increasing: the lowest mark any rewind after epoch `e` went down to is the mark of the
    /// first entry whose epoch is above `e`.
    rewinds: Vec<(u32, u32)>,
    /// The lowest mark of any rewind since `era_start` (`NO_BOUND` if none): a handle from this era with
    /// an index below it is valid whatever its epoch.
    safe_below: u32,
    /// A handle from an epoch at or after `recent_epoch` (the one before the last logged rewind) is
    /// valid if its index is below `recent_mark` (the last logged rewind's mark): this covers a model's
    /// parameters made after some earlier, lower rewinds.
    recent_epoch: u32,
    recent_mark: u32,
}

impl Handles {
    pub(super) const fn new() -> Self {
        Handles {
            epoch: 0,
            live_from: 0,
            epoch_start: 0,
            minted: false,
            epoch_key: 0,
            trust_box: trust_box(0, NO_BOUND),
            era_start: 0,
            rewinds: Vec::new(),
            safe_below: NO_BOUND,
            recent_epoch: 0,
            recent_mark: NO_BOUND,
        }
    }

    /// The current epoch (a [`Mark`](super::Mark) records it).
    pub(super) fn epoch(&self) -> u32 {
        self.epoch
    }

    /// The key of a handle to node `idx` made now: the current epoch above the index (one `or`).
    #[inline(always)]
    pub(super) fn key_for(&self, idx: usize) -> u64 {
        self.epoch_key | idx as u64
    }

    /// Notes that a handle to an existing node was made with `epoch` (see `TapeInner::handle_from`):
    /// if that is the current epoch, `before_write` must treat the node as possibly copied.
    pub(super) fn on_mint(&mut self, epoch: u32) {
        self.minted |= epoch == self.epoch;
    }

    /// Whether a handle refers to a live node (on a tape of `len` nodes). Register-only in the common
    /// cases: a handle from the current epoch, or one below every mark rewound to since it was made (a
    /// model's parameters).
    #[inline(always)]
    pub(super) fn is_live(&self, v: Value, len: usize) -> bool {
        self.is_live_fast(v) || self.is_live_slow(v.idx(), v.epoch(), len)
    }

    /// The register-only part of the check: true for a handle made since the last rewind, or one below
    /// every mark rewound to since it was made. (On keys: a key at or above `key(e)` is from epoch `e`
    /// or later.)
    #[inline(always)]
    fn is_live_fast(&self, v: Value) -> bool {
        let (k, i) = (v.key, v.idx());
        let key = |e: u32| u64::from(e) << 32;
        k >= key(self.live_from)
            || (k >= key(self.era_start) && i < self.safe_below)
            || (k >= key(self.recent_epoch) && i < self.recent_mark)
    }

    /// The full check, for handles the fast one cannot vouch for (it takes the handle's fields, not the
    /// handle, so that callers need not keep a copy of the handle in memory for it).
    #[cold]
    #[inline(never)]
    fn is_live_slow(&self, idx: u32, epoch: u32, len: usize) -> bool {
        if epoch < self.era_start || epoch > self.epoch || idx as usize >= len {
            return false;
        }
        self.lowest_rewind_since(epoch)
            .map_or(true, |mark| idx < mark)
    }

    /// The lowest mark rewound to after epoch `epoch` (since `era_start`), if any: the mark of the
    /// first logged rewind after it (see `rewinds`).
    fn lowest_rewind_since(&self, epoch: u32) -> Option<u32> {
        let k = self.rewinds.partition_point(|&(e, _)| e <= epoch);
        self.rewinds.get(k).map(|&(_, mark)| mark)
    }

    #[cold]
    #[inline(never)]
    fn check_slow(&self, idx: u32, epoch: u32, len: usize) {
        if !self.is_live_slow(idx, epoch, len) {
            stale_handle(idx, len)
        }
    }

    /// Panics with a clear message if the handle is stale (on a tape of `len` nodes).
    #[inline(always)]
    pub(super) fn check(&self, v: Value, len: usize) {
        if !self.is_live_fast(v) {
            self.check_slow(v.idx(), v.epoch(), len)
        }
    }

    /// Panics with a clear message if any of the handles is stale, and returns the items' node range
    /// if they are a run: consecutive nodes, all from one epoch (a model's weight matrix, a layer's
    /// outputs). A run needs one check, of its last handle: for a given epoch, liveness only depends
    /// on the index being below some mark, so the last one being live vouches for the rest. Otherwise
    /// every handle is checked (register compares only, in the common case).
    #[inline]
    pub(super) fn check_all(&self, items: &[Value], len: usize) -> Option<std::ops::Range<usize>> {
        let (first, last) = items.first().zip(items.last())?;
        // Keys hold index and epoch as one number: item k of a run has the first's key plus k (an
        // index plus a position stays below 2³², so it never carries into the epoch). The ends
        // first: most lists that are not runs fail there.
        let mut run = last.key == first.key + (items.len() as u64 - 1);
        if run {
            let (mut expect, mut diff) = (first.key, 0);
            for v in items {
                diff |= v.key ^ expect;
                expect += 1;
            }
            run = diff == 0;
        }
        if run {
            self.check(*last, len);
            let i0 = first.idx() as usize;
            Some(i0..i0 + items.len())
        } else {
            // (every handle made since the last rewind is live: a key minus the first such key has
            // its top bit clear, so one `or` over all of them tells, without a branch per handle)
            let from = u64::from(self.live_from) << 32;
            let below = items
                .iter()
                .fold(0, |acc, v| acc | v.key.wrapping_sub(from));
            if below >> 63 != 0 {
                items.iter().for_each(|&v| self.check(v, len));
            }
            None
        }
    }

    /// Whether the value `v` carries is its node's current value (and the node is alive): `v` is from
    /// the current epoch, or from an epoch since the last write that started one (see `before_write`)
    /// with an index below every mark rewound to since. Register compares only.
    ///
    /// On keys (epoch above index): a key at or above `epoch_key` is from the current epoch (no handle
    /// is from a later one); `in_trust_box` tests the rest.
    #[inline(always)]
    pub(super) fn trusts(&self, v: Value) -> bool {
        v.key >= self.epoch_key || in_trust_box(v.key, self.trust_box)
    }

    /// Called before the values of nodes `lo..=hi` are overwritten, on a tape of `len` nodes (a write
    /// to one node passes it twice). If a handle that `trusts` vouches for may exist for one of them
    /// (made in this epoch, by an operation or through `on_mint`, or an older one below
    /// `trust_below`), a new epoch begins and older handles are no longer trusted. So an optimizer's
    /// writes to a model's parameters start at most one epoch per training step.
    #[inline]
    pub(super) fn before_write(&mut self, lo: usize, hi: usize, len: usize) {
        if hi >= self.epoch_start
            || self.minted
            || (self.trust_from() < self.epoch && lo < self.trust_below() as usize)
        {
            self.new_epoch(len);
            self.trust_box = trust_box(self.epoch, NO_BOUND);
        }
    }

    /// The first epoch whose handles `trusts` may vouch for (see `trust_box`).
    fn trust_from(&self) -> u32 {
        ((self.trust_box >> 32) as u32).wrapping_add(1)
    }

    /// The bound below which older handles' indices must be for `trusts` to vouch for them.
    fn trust_below(&self) -> u32 {
        self.trust_box as u32
    }

    /// Begins a new epoch on a tape of `len` nodes: the nodes pushed from now on, and the handles
    /// minted, are its own.
    fn new_epoch(&mut self, len: usize) {
        if self.epoch >= MAX_NODES {
            too_many_epochs();
        }
        self.epoch += 1;
        self.epoch_key = u64::from(self.epoch) << 32;
        self.epoch_start = len;
        self.minted = false;
    }

    /// Whether a mark taken at `epoch` with `nodes` nodes still marks the same nodes: no rewind since
    /// has gone below it. (The tape checks the rest: that it still holds that many nodes.)
    pub(super) fn mark_is_current(&self, epoch: u32, nodes: u32) -> bool {
        if epoch < self.era_start {
            return false;
        }
        self.lowest_rewind_since(epoch)
            .map_or(true, |lowest| nodes <= lowest)
    }

    /// The tape is being rewound to a (current) mark of `nodes` nodes: begins the epoch that makes
    /// every handle at or above the mark stale. Panics, before changing anything, if no epoch is
    /// left, so the caller may call it before truncating its storage.
    pub(super) fn on_rewind(&mut self, nodes: u32) {
        if self.epoch >= MAX_NODES {
            too_many_epochs();
        }
        self.new_epoch(nodes as usize);
        self.live_from = self.epoch;
        self.trust_box = trust_box(self.trust_from(), self.trust_below().min(nodes));
        if nodes == 0 {
            // Nothing survives: every older handle is invalid, whatever its index.
            self.era_start = self.epoch;
            self.rewinds.clear();
        } else {
            // An earlier rewind to a mark at or above this one tells nothing this one does not.
            while self.rewinds.last().is_some_and(|&(_, m)| m >= nodes) {
                self.rewinds.pop();
            }
            self.rewinds.push((self.epoch, nodes));
        }
        self.safe_below = self.rewinds.first().map_or(NO_BOUND, |&(_, m)| m);
        let n = self.rewinds.len();
        (self.recent_epoch, self.recent_mark) = match n {
            0 => (self.era_start, NO_BOUND),
            1 => (self.era_start, self.rewinds[0].1),
            _ => (self.rewinds[n - 2].0, self.rewinds[n - 1].1),
        };
    }

    /// Bytes allocated for the rewind log.
    pub(super) fn allocated_bytes(&self) -> usize {
        self.rewinds.capacity() * 8
    }

    /// Frees the rewind log's spare capacity.
    pub(super) fn shrink_to_fit(&mut self) {
        self.rewinds.shrink_to_fit();
    }
}

/// `trusts`' second test, `epoch(key) >= from && idx(key) < below`, packed as `trust_box(from, below)`
/// so that it takes one subtraction and one mask instead of two compares and two branches. Sound
/// because indices, `below` and epochs are all below 2³¹: for `key − ((from − 1) << 32 | below)`, the
/// low half borrows (and so has its top bit set) exactly when `idx < below`; given that borrow, the
/// high half is `epoch − from`, whose top bit is clear exactly when `epoch >= from`.
#[inline(always)]
pub(super) fn in_trust_box(key: u64, trust_box: u64) -> bool {
    const SIGNS: u64 = 1 << 63 | 1 << 31;
    key.wrapping_sub(trust_box) & SIGNS == 1 << 31
}

/// See `in_trust_box`.
pub(super) const fn trust_box(from: u32, below: u32) -> u64 {
    (from.wrapping_sub(1) as u64) << 32 | below as u64
}

#[cold]
#[inline(never)]
fn stale_handle(idx: u32, len: usize) -> ! {
    if (idx as usize) >= len {
        panic_in_tape(format_args!(
            "micrograd: Value #{idx} was rewound from the tape (the tape now holds {len} nodes): \
             a Value created after a Tape::mark() is invalid after Tape::rewind()/Tape::clear()"
        ))
    }
    panic_in_tape(format_args!(
        "micrograd: Value #{idx} was rewound from the tape and its slot reused by a newer node: \
         a Value created after a Tape::mark() is invalid after Tape::rewind()/Tape::clear()"
    ))
}

#[cold]
#[inline(never)]
fn too_many_epochs() -> ! {
    panic_in_tape(format_args!(
        "micrograd: this thread's tape has begun 2^31 - 1 epochs (rewinds, and writes to values read \
         since the last one began), the most whose handles it can tell apart"
    ))
}
