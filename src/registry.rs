//! [`SignalActions`] and what it is built from; the design notes are on [`SignalActions`].

use crate::action::{Disposition, SaFlags, SignalAction};
use crate::halflock::Readers;
use crate::lock::DefaultRawMutex;
use crate::signo::{NSIG, Signo};
use crate::sync::{AtomicU64, Ordering, fence};
use core::fmt;
use lock_api::RawMutex;

/// Keeps preemption disabled for an announced read section, so that a writer
/// spinning in [`Readers::synchronize`] (possibly with interrupts off) never waits
/// for a reader the scheduler took off its CPU. A no-op without the `kspin`
/// feature, whose callers keep the contract of the design notes on [`SignalActions`] themselves.
struct NoPreemptSection {
    #[cfg(feature = "kspin")]
    _guard: kernel_guard::NoPreempt,
}

impl NoPreemptSection {
    #[inline(always)]
    fn new() -> NoPreemptSection {
        NoPreemptSection {
            #[cfg(feature = "kspin")]
            _guard: kernel_guard::NoPreempt::new(),
        }
    }
}

/// Number of entries: one per signal `1..=64`.
const ENTRIES: usize = NSIG as usize;

/// Index of the handler word in [`SignalAction::to_words`] and in a slot.
const HANDLER: usize = 0;
/// Index of the flags word in [`SignalAction::to_words`].
const FLAGS: usize = 1;

/// Optimistic reads tried before a reader announces itself. Loom models use one so
/// that the fallback is explored in small models.
pub(crate) const OPTIMISTIC_ATTEMPTS: usize = if cfg!(loom) { 1 } else { 3 };

// Both slots' `sa_flags` share one word, half each.
const _: () = assert!(SaFlags::all().bits() <= u32::MAX as u64);

/// One signal's entry, one cache line: the published slot is `seq & 1`.
///
/// A slot is its handler, mask and restorer words plus one half of `flags` (slot
/// 0 the low half, slot 1 the high half). Packing the flags keeps the entry in 64
/// bytes, so a reader touches one line and a writer of another signal none of it.
#[repr(C, align(64))]
struct Entry {
    seq: AtomicU64,
    flags: AtomicU64,
    /// Per slot: handler, mask, restorer.
    slots: [[AtomicU64; 3]; 2],
}

#[cfg(not(loom))]
const _: () = assert!(core::mem::size_of::<Entry>() == 64);

/// Whether delivering `action` resets it (`SA_RESETHAND` with a handler).
const fn resets_on_delivery(action: &SignalAction) -> bool {
    action.is_handler() && action.flags().contains(SaFlags::RESETHAND)
}

impl Entry {
    fn new(words: [u64; 4]) -> Entry {
        let [handler, flags, mask, restorer] = words;
        Entry {
            seq: AtomicU64::new(0),
            flags: AtomicU64::new(flags),
            slots: [
                [handler, mask, restorer].map(AtomicU64::new),
                [0; 3].map(AtomicU64::new),
            ],
        }
    }

    /// Slot `index` as [`SignalAction::to_words`] (relaxed loads).
    #[inline(always)]
    fn load(&self, index: usize) -> [u64; 4] {
        let slot = &self.slots[index];
        [
            slot[0].load(Ordering::Relaxed),
            (self.flags.load(Ordering::Relaxed) >> (32 * index)) & u64::from(u32::MAX),
            slot[1].load(Ordering::Relaxed),
            slot[2].load(Ordering::Relaxed),
        ]
    }

    /// One optimistic read; `None` if a publish may have overlapped it.
    #[inline(always)]
    fn try_read(&self) -> Option<[u64; 4]> {
        let s1 = self.seq.load(Ordering::Acquire);
        // Both slots are copied, so that no load waits for `s1` to pick an address
        // (one line either way); the one `s1` names is kept.
        let slot = |i: usize| self.slots[i].each_ref().map(|w| w.load(Ordering::Relaxed));
        let (flags, zero, one) = (self.flags.load(Ordering::Relaxed), slot(0), slot(1));
        fence(Ordering::Acquire);
        let s2 = self.seq.load(Ordering::Relaxed);
        let odd = s1 & 1 == 1;
        let [handler, mask, restorer] = if odd { one } else { zero };
        let flags = if odd {
            flags >> 32
        } else {
            flags & u64::from(u32::MAX)
        };
        (s1 == s2).then_some([handler, flags, mask, restorer])
    }

    /// Index of the published slot. Its words stay put (but for a handler reset)
    /// while the caller is inside a read section or holds the writer lock.
    fn published(&self) -> usize {
        (self.seq.load(Ordering::Acquire) & 1) as usize
    }

    /// Stores `words` in the spare slot and publishes it; returns the retired slot's
    /// index. The caller holds the writer lock and calls [`Readers::synchronize`]
    /// before releasing it (and before reading the retired slot).
    fn publish(&self, words: [u64; 4]) -> usize {
        let seq = self.seq.load(Ordering::Relaxed);
        let spare = ((seq + 1) & 1) as usize;
        // Seqlock edge: orders the store that published `seq` before the stores
        // below, for optimistic readers still holding an older sequence. (The
        // `SeqCst` fence of the `synchronize` that followed that publish orders them
        // too; this one keeps the argument local to the entry.)
        fence(Ordering::Release);
        // Only writers store `flags`; the published half is stored back unchanged.
        let shift = 32 * spare;
        let others = self.flags.load(Ordering::Relaxed) & !(u64::from(u32::MAX) << shift);
        self.flags
            .store(others | (words[FLAGS] << shift), Ordering::Relaxed);
        let [handler, _, mask, restorer] = words;
        for (word, value) in self.slots[spare].iter().zip([handler, mask, restorer]) {
            word.store(value, Ordering::Relaxed);
        }
        self.seq.store(seq + 1, Ordering::Release);
        spare ^ 1
    }
}

/// A process's signal actions: what `rt_sigaction` sets and every delivery reads.
///
/// Shared by all threads of a process and by processes created with `CLONE_SIGHAND`
/// (put it in an `Arc`); [`SignalActions::clone_table`] makes the copy `fork` gives
/// a child. Reads ([`get`](SignalActions::get),
/// [`take_for_delivery`](SignalActions::take_for_delivery)) take no lock, allocate
/// nothing and never wait, so they may run in interrupt context; writers serialise
/// on `R` and must run in process context, never inside a read (see
/// [`HalfLock`](crate::HalfLock) for the exact contract).
///
/// The table is 4 KiB (one cache line per signal); kernels with small stacks should
/// build it in place in its final allocation rather than on the stack.
///
/// ```
/// use ksignal::{SaFlags, SignalAction, SignalActions, SignalSet, Signo};
///
/// let actions: SignalActions = SignalActions::new();
/// let oneshot = SignalAction::handler(0x40_1000, SaFlags::RESETHAND, SignalSet::EMPTY);
/// assert_eq!(actions.set(Signo::SIGINT, oneshot), SignalAction::DEFAULT);
/// // The first delivery runs the handler and leaves SIG_DFL (flags kept) behind.
/// assert_eq!(actions.take_for_delivery(Signo::SIGINT), oneshot);
/// assert_eq!(actions.get(Signo::SIGINT), oneshot.with_default_handler());
/// ```
///
/// # Design notes
///
/// `SignalActions`: a process's 64 `sigaction` entries, read without a lock on every
/// return to user space while `rt_sigaction` replaces entries on another CPU.
///
/// # Design
///
/// Each entry is one cache line: a sequence number whose low bit names the
/// published slot, and two slots of the words of [`SignalAction::to_words`] (the two
/// slots' `sa_flags` share one word, half each). The slot being written is never the
/// one being read (a "latch").
///
/// - Read ([`SignalActions::get`]): up to three optimistic reads (one in loom models)
///   (load the sequence, copy the slot it names, re-check the sequence). They write
///   no shared memory, so readers on several cores never bounce a cache line. When a
///   writer keeps overwriting the entry and every attempt fails, the reader falls back
///   to the HalfLock path: it announces itself on [`Readers`] and copies the slot the
///   sequence names, which no writer reuses until that announcement is gone. Either
///   way a read is a bounded number of steps: no lock, no allocation, no wait.
/// - Write ([`SignalActions::set`], under the writer lock `R`): store the new words in
///   the spare slot, bump the sequence (publish), [`Readers::synchronize`], and read
///   the old slot as the value to return. Nothing is allocated, so `rt_sigaction`
///   may run with interrupts off.
/// - `SA_RESETHAND` ([`SignalActions::take_for_delivery`]): inside a read section,
///   one compare-and-swap of the published slot's handler word to `SIG_DFL`.
///
/// Why (criterion medians from `benches/registry.rs` on a 2-vCPU AMD EPYC, ns per
/// read of one entry, consumed field by field; a plain unsynchronised copy is 1.2):
///
/// | design | alone | 2nd core reads | writer on a neighbour | writer on the entry |
/// |---|---|---|---|---|
/// | this table | 2.5 | 2.4 | 2.5 | 5.1 |
/// | every read announced (HalfLock only) | 6.7 | 32 | 124 | 115 |
/// | `spin::Mutex<[SignalAction; 64]>` | 2.2 | 23 | 53 | 85 |
///
/// The optimistic read writes no shared memory, and one cache line per entry means
/// a writer of another signal never touches the line read; only a writer rewriting
/// the very entry read, flat out, costs more, because every write must move that
/// line to the reader. Announcing every read makes each reader write the counters'
/// line, which then bounces between cores. Per-CPU counters would also avoid the
/// bouncing but need a CPU id on the read path and a scan of every CPU on the write
/// path. The HalfLock fallback keeps the read wait-free where a plain seqlock would
/// retry for as long as the writer keeps writing. A `set` costs 19 ns (the mutex
/// table's write 7).
///
/// # Memory ordering
///
/// The announced path and the reuse of a retired slot rest on the argument in
/// [`HalfLock`](crate::HalfLock): every publish is followed by [`Readers::synchronize`] before
/// the writer lock is released, so a slot is written again only once every announced
/// reader that could have loaded the sequence naming it has left. The optimistic path
/// is a seqlock over a latch:
///
/// - writer at sequence `s`: `fence(Release)`, relaxed stores to slot `(s + 1) & 1`,
///   store `s + 1` (`Release`);
/// - reader: load `s1` (`Acquire`), relaxed loads of the words (of both slots, so
///   that no load waits for `s1`; slot `s1 & 1` is kept), `fence(Acquire)`, load
///   `s2`; accept when `s1 == s2`.
///
/// A reader that loaded `s1` reads slot `s1 & 1`, which the writer at `s1` leaves
/// alone; the first writer to store into it is the one at `s1 + 1`, after `s1 + 1`
/// was published. If the reader read any word that writer (or a later one) stored,
/// the writer's release fence synchronizes with the reader's acquire fence, so the
/// store of `s1 + 1`, which happens before that fence, is visible to the `s2` load:
/// `s2 != s1` and the copy is dropped. An accepted copy therefore holds only the
/// words published at `s1`, all visible through the `Acquire` load of `s1`. (The
/// shared flags word is stored by every writer, but the writer at `s` stores the
/// published half back unchanged, so slot `s1 & 1`'s half too changes only from the
/// writer at `s1 + 1` on.) The payload is atomic words throughout, so even a
/// discarded copy is no data race.
///
/// # `SA_RESETHAND` against a concurrent `set`
///
/// Between two publishes the only change to an entry is the delivery path's
/// compare-and-swap of its handler word from a handler to `SIG_DFL`, and the only
/// words a reader can see it change: any copy is the action or the action with its
/// handler reset, never a mix of two actions. The CAS is done inside a read section,
/// so a `set` that publishes meanwhile waits for it in `synchronize`, and only then
/// reads the retired slot as its return value. Linearization points:
///
/// - `set`: its publishing store of the sequence;
/// - a delivery whose CAS succeeds: the CAS if the slot was still published, else
///   just before the `set` that retired the slot (the `set` returns the reset action,
///   exactly as if the delivery came first);
/// - a delivery whose CAS fails: another delivery reset the handler first; it returns
///   the reset action (the signal then takes its default action), as Linux does for
///   the second of two deliveries under `siglock`.
///
/// A handler installed with `SA_RESETHAND` is thus handed to exactly one delivery,
/// and a `set` that returns it as the old action has replaced it before any did.
///
/// # Contexts
///
/// A writer ([`SignalActions::set`], [`SignalActions::reset_for_exec`]) spins in
/// [`Readers::synchronize`] until every reader announced on the table has left, and
/// `ProcessSignalManager::sigaction` does that holding the process's signal lock,
/// which under the `kspin` feature disables interrupts and preemption on the
/// writer's CPU. Readers are announced only on the rare fallback path of
/// [`SignalActions::get`] and in [`SignalActions::take_for_delivery`]'s reset, for a
/// handful of loads (and one compare-and-swap). What keeps the writer's spin short:
///
/// - A reader on another CPU must not be preempted inside its section. Under the
///   `kspin` feature every announced section runs with preemption disabled
///   (`kernel_guard::NoPreempt`, effective when the kernel builds `kernel_guard`
///   with its `preempt` feature), so readers may be called from any context, process
///   context with preemption enabled included. Without `kspin` the crate cannot
///   disable preemption: call the readers with preemption disabled, in interrupt
///   context, or where a preempted reader runs again while the writer spins (host
///   threads, a kernel without preemption).
/// - An interrupt on the writer's own CPU cannot read while the writer spins with
///   interrupts off (inside `sigaction`, under `kspin`); a kernel that calls `set`
///   with interrupts on may read from an interrupt handler on that CPU, whose section
///   ends on top of the spinning writer. Sending a signal from an interrupt handler
///   reads the table under the target's signal lock, so it never meets a writer of
///   the same process on its own CPU.
/// - A writer must never run inside a read section, and the writer lock is a plain
///   spin lock: writers, [`SignalActions::snapshot`] and
///   [`SignalActions::clone_table`] run in process context, never in an interrupt
///   handler.
pub struct SignalActions<R: RawMutex = DefaultRawMutex> {
    entries: [Entry; ENTRIES],
    readers: Readers,
    writer: lock_api::Mutex<R, ()>,
}

impl<R: RawMutex> Default for SignalActions<R> {
    fn default() -> SignalActions<R> {
        SignalActions::new()
    }
}

impl<R: RawMutex> fmt::Debug for SignalActions<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_map();
        for n in 1..=NSIG {
            let signo = Signo::new(n).map_err(|_| fmt::Error)?;
            let action = self.get(signo);
            if action != SignalAction::DEFAULT {
                list.entry(&signo, &action);
            }
        }
        list.finish()
    }
}

impl<R: RawMutex> SignalActions<R> {
    /// Every signal `SIG_DFL`, no flags, empty mask: the table of the first process.
    ///
    /// Context: any; allocates nothing.
    pub fn new() -> SignalActions<R> {
        SignalActions::from_actions(&[SignalAction::DEFAULT; ENTRIES])
    }

    /// A table holding `actions[n - 1]` for signal `n`.
    ///
    /// Context: any; allocates nothing.
    pub fn from_actions(actions: &[SignalAction; ENTRIES]) -> SignalActions<R> {
        SignalActions {
            entries: core::array::from_fn(|i| Entry::new(actions[i].to_words())),
            readers: Readers::new(),
            writer: lock_api::Mutex::new(()),
        }
    }

    #[inline(always)]
    fn entry(&self, signo: Signo) -> &Entry {
        // `Signo` keeps the number in 1..=64; the mask lets the compiler see it.
        &self.entries[(signo.get() as usize - 1) % ENTRIES]
    }

    /// The action of `signo`, by value. Lock-free, allocation-free and wait-free:
    /// safe on every return to user space and in interrupt handlers.
    ///
    /// Context: any with the `kspin` feature; without it, preemption disabled or
    /// interrupt context, or a host thread (see the design notes, "Contexts").
    #[inline]
    pub fn get(&self, signo: Signo) -> SignalAction {
        let entry = self.entry(signo);
        let words = match entry.try_read() {
            Some(words) => words,
            None => self.read_contended(entry),
        };
        SignalAction::from_words(words)
    }

    /// The rest of [`SignalActions::get`] once an optimistic read failed: the other
    /// optimistic attempts, then the HalfLock fallback. Out of line, so that the
    /// inlined fast path is one optimistic read.
    #[cold]
    #[inline(never)]
    fn read_contended(&self, entry: &Entry) -> [u64; 4] {
        // The first attempt was made inline.
        for _ in 0..OPTIMISTIC_ATTEMPTS.saturating_sub(1) {
            if let Some(words) = entry.try_read() {
                return words;
            }
        }
        let _no_preempt = NoPreemptSection::new();
        let _section = self.readers.enter();
        entry.load(entry.published())
    }

    /// Replaces the action of `signo` and returns the one it replaced
    /// (`rt_sigaction`'s `act` and `oact`). Takes the writer lock and waits for
    /// readers of the old action to leave; never allocates.
    ///
    /// This is mechanism only: it stores whatever it is given. Refusing SIGKILL and
    /// SIGSTOP (EINVAL), and discarding pending signals that the new action ignores,
    /// happen one level up, in [`ProcessSignalManager::sigaction`], which is Linux's
    /// `do_sigaction` and the only caller a kernel should use for `rt_sigaction`.
    ///
    /// [`ProcessSignalManager::sigaction`]: crate::process::ProcessSignalManager::sigaction
    ///
    /// Context: process context, never inside a read section; may run with
    /// interrupts disabled (its wait covers other CPUs' readers only).
    pub fn set(&self, signo: Signo, action: SignalAction) -> SignalAction {
        let _writer = self.writer.lock();
        let retired = self.entry(signo).publish(action.to_words());
        self.readers.synchronize();
        // Every delivery that could reset the retired slot has left: its value is final.
        SignalAction::from_words(self.entry(signo).load(retired))
    }

    /// The action to carry out for a delivery of `signo`, in one atomic step with
    /// `SA_RESETHAND`'s reset: returns the action as it was and, if it runs a
    /// handler and has `SA_RESETHAND`, leaves `SIG_DFL` behind with flags, mask and
    /// restorer kept (Linux's `get_signal`). Lock-free and wait-free; see the module
    /// documentation for how it linearizes against [`SignalActions::set`].
    ///
    /// Context: as [`SignalActions::get`].
    #[inline]
    pub fn take_for_delivery(&self, signo: Signo) -> SignalAction {
        let seen = self.get(signo);
        if resets_on_delivery(&seen) {
            self.take_resetting(self.entry(signo))
        } else {
            seen
        }
    }

    /// The resetting half of [`SignalActions::take_for_delivery`].
    fn take_resetting(&self, entry: &Entry) -> SignalAction {
        let _no_preempt = NoPreemptSection::new();
        let _section = self.readers.enter();
        let slot = entry.published();
        let words = entry.load(slot);
        let action = SignalAction::from_words(words);
        if !resets_on_delivery(&action) {
            return action;
        }
        let dfl = Disposition::Default.to_raw() as u64;
        match entry.slots[slot][HANDLER].compare_exchange(
            words[HANDLER],
            dfl,
            Ordering::Relaxed,
            Ordering::Relaxed,
        ) {
            Ok(_) => action,
            // Only a reset by another delivery changes a published slot.
            Err(_) => action.with_default_handler(),
        }
    }

    /// What `execve` does to the table (Linux's `flush_signal_handlers(t, 0)`): every
    /// entry gets `sa_flags = 0`, an empty `sa_mask` and no restorer; handlers become
    /// `SIG_DFL`; `SIG_IGN` stays. Each entry changes atomically, not the table as a
    /// whole: call it once the process is single-threaded and no longer shares its
    /// table (`CLONE_SIGHAND` sharers get a [`SignalActions::clone_table`] first), as
    /// Linux does after `de_thread`.
    ///
    /// Context: process context, from `execve`: takes the writer lock and waits for
    /// readers, as [`SignalActions::set`].
    pub fn reset_for_exec(&self) {
        let _writer = self.writer.lock();
        let mut published = false;
        for entry in &self.entries {
            let now = entry.load(entry.published());
            let after = match Disposition::from_raw(now[HANDLER] as usize) {
                Disposition::Ignore => SignalAction::IGNORE,
                Disposition::Default | Disposition::Handler(_) => SignalAction::DEFAULT,
            }
            .to_words();
            if now != after {
                entry.publish(after);
                published = true;
            }
        }
        if published {
            // One wait for the 64 entries: each was published at most once.
            self.readers.synchronize();
        }
    }

    /// All 64 actions (`[n - 1]` for signal `n`), consistent with respect to
    /// [`SignalActions::set`] (taken under the writer lock); a concurrent
    /// `SA_RESETHAND` delivery may or may not show.
    ///
    /// Context: process context (it takes the writer lock).
    pub fn snapshot(&self) -> [SignalAction; ENTRIES] {
        let _writer = self.writer.lock();
        core::array::from_fn(|i| {
            let entry = &self.entries[i];
            SignalAction::from_words(entry.load(entry.published()))
        })
    }

    /// An independent copy, as `fork` without `CLONE_SIGHAND` gives the child.
    ///
    /// Context: any; reads lock-free and allocates nothing (the table is returned by
    /// value).
    pub fn clone_table(&self) -> SignalActions<R> {
        SignalActions::from_actions(&self.snapshot())
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    extern crate std;
    use super::*;
    use crate::set::SignalSet;
    use std::sync::Arc;
    use std::thread;

    type Table = SignalActions;

    fn handler(addr: usize, flags: SaFlags) -> SignalAction {
        SignalAction::new(
            Disposition::Handler(addr),
            flags,
            SignalSet::single(Signo::SIGUSR2) | SignalSet::single(Signo::SIGHUP),
            0x7000,
        )
    }

    #[test]
    fn every_entry_starts_as_sig_dfl() {
        let t = Table::new();
        for n in 1..=NSIG {
            assert_eq!(t.get(Signo::new(n).unwrap()), SignalAction::DEFAULT);
        }
    }

    #[test]
    fn set_returns_the_previous_action_and_get_the_new_one() {
        let t = Table::new();
        let a = handler(0x4000, SaFlags::SIGINFO);
        assert_eq!(t.set(Signo::SIGUSR1, a), SignalAction::DEFAULT);
        assert_eq!(t.get(Signo::SIGUSR1), a);
        assert_eq!(t.set(Signo::SIGUSR1, SignalAction::IGNORE), a);
        assert_eq!(t.get(Signo::SIGUSR1), SignalAction::IGNORE);
        assert_eq!(t.set(Signo::SIGUSR1, a), SignalAction::IGNORE);
        assert_eq!(t.get(Signo::SIGUSR1), a);
    }

    #[test]
    fn setting_one_signal_leaves_the_others_alone() {
        let t = Table::new();
        t.set(Signo::SIGRTMAX, handler(0x5000, SaFlags::empty()));
        t.set(Signo::SIGHUP, SignalAction::IGNORE);
        for n in 2..NSIG {
            assert_eq!(t.get(Signo::new(n).unwrap()), SignalAction::DEFAULT);
        }
        assert_eq!(t.get(Signo::SIGHUP), SignalAction::IGNORE);
    }

    #[test]
    fn resethand_resets_only_the_handler_keeping_flags_and_mask() {
        let t = Table::new();
        let a = handler(0x4000, SaFlags::RESETHAND | SaFlags::SIGINFO);
        t.set(Signo::SIGINT, a);
        assert_eq!(t.take_for_delivery(Signo::SIGINT), a);
        let left = t.get(Signo::SIGINT);
        assert_eq!(left.disposition(), Disposition::Default);
        assert_eq!(left.flags(), a.flags());
        assert_eq!(left.mask(), a.mask());
        assert_eq!(left.restorer(), a.restorer());
        assert_eq!(
            t.take_for_delivery(Signo::SIGINT),
            left,
            "second delivery: SIG_DFL"
        );
    }

    /// `a` installed for `sig`, then one delivery: the action it runs with, and the
    /// one left in the table.
    fn delivered(t: &Table, sig: Signo, a: SignalAction) -> (SignalAction, SignalAction) {
        t.set(sig, a);
        (t.take_for_delivery(sig), t.get(sig))
    }

    #[test]
    fn delivery_without_resethand_changes_nothing() {
        let t = Table::new();
        let a = handler(0x4000, SaFlags::RESTART);
        assert_eq!(delivered(&t, Signo::SIGTERM, a), (a, a));
    }

    #[test]
    fn resethand_on_ignored_or_default_entries_changes_nothing() {
        let t = Table::new();
        for d in [Disposition::Ignore, Disposition::Default] {
            let a = SignalAction::new(d, SaFlags::RESETHAND, SignalSet::EMPTY, 0);
            assert_eq!(delivered(&t, Signo::SIGUSR1, a), (a, a));
        }
    }

    #[test]
    fn set_after_a_resethand_delivery_returns_the_reset_action() {
        let t = Table::new();
        let a = handler(0x4000, SaFlags::RESETHAND);
        t.set(Signo::SIGUSR1, a);
        t.take_for_delivery(Signo::SIGUSR1);
        assert_eq!(
            t.set(Signo::SIGUSR1, SignalAction::IGNORE),
            a.with_default_handler()
        );
    }

    #[test]
    fn exec_resets_handlers_but_keeps_ignored() {
        let t = Table::new();
        t.set(Signo::SIGINT, handler(0x4000, SaFlags::SIGINFO));
        let ign = SignalAction::new(
            Disposition::Ignore,
            SaFlags::RESTART,
            SignalSet::single(Signo::SIGTERM),
            0x7000,
        );
        t.set(Signo::SIGPIPE, ign);
        let dfl = SignalAction::new(
            Disposition::Default,
            SaFlags::NOCLDSTOP,
            SignalSet::single(Signo::SIGTERM),
            0,
        );
        t.set(Signo::SIGCHLD, dfl);
        t.reset_for_exec();
        assert_eq!(t.get(Signo::SIGINT), SignalAction::DEFAULT);
        // flush_signal_handlers clears flags, mask and restorer of every entry.
        assert_eq!(t.get(Signo::SIGPIPE), SignalAction::IGNORE);
        assert_eq!(t.get(Signo::SIGCHLD), SignalAction::DEFAULT);
        assert_eq!(t.get(Signo::SIGHUP), SignalAction::DEFAULT);
    }

    #[test]
    fn fork_copy_is_independent_of_the_parent() {
        let parent = Table::new();
        let a = handler(0x4000, SaFlags::RESETHAND);
        parent.set(Signo::SIGUSR1, a);
        parent.set(Signo::SIGPIPE, SignalAction::IGNORE);
        let child = parent.clone_table();
        assert_eq!(child.snapshot(), parent.snapshot());
        child.take_for_delivery(Signo::SIGUSR1);
        child.set(Signo::SIGPIPE, SignalAction::DEFAULT);
        assert_eq!(parent.get(Signo::SIGUSR1), a);
        assert_eq!(parent.get(Signo::SIGPIPE), SignalAction::IGNORE);
    }

    #[test]
    fn snapshot_lists_signal_n_at_index_n_minus_one() {
        let t = Table::new();
        t.set(Signo::SIGRTMAX, SignalAction::IGNORE);
        let all = t.snapshot();
        assert_eq!(all[63], SignalAction::IGNORE);
        assert_eq!(Table::from_actions(&all).get(Signo::SIGRTMAX), all[63]);
    }

    #[test]
    fn concurrent_resethand_deliveries_hand_the_handler_to_exactly_one() {
        let t = Arc::new(Table::new());
        let a = handler(0x4000, SaFlags::RESETHAND);
        for _ in 0..4 {
            t.set(Signo::SIGUSR1, a);
            let takers: std::vec::Vec<_> = (0..2)
                .map(|_| {
                    let t = t.clone();
                    thread::spawn(move || t.take_for_delivery(Signo::SIGUSR1))
                })
                .collect();
            let got: std::vec::Vec<_> = takers.into_iter().map(|h| h.join().unwrap()).collect();
            assert_eq!(got.iter().filter(|g| **g == a).count(), 1, "{got:?}");
            assert!(got.contains(&a.with_default_handler()));
        }
    }

    #[test]
    fn readers_never_see_a_torn_entry_while_a_writer_replaces_it() {
        let t = Arc::new(Table::new());
        let make = |k: usize| {
            SignalAction::new(
                Disposition::Handler(k + 2),
                SaFlags::from_bits_truncate(k as u64),
                SignalSet::from_bits(k as u64),
                k,
            )
        };
        let reader = {
            let t = t.clone();
            thread::spawn(move || {
                for _ in 0..100 {
                    let a = t.get(Signo::SIGUSR1);
                    if let Disposition::Handler(h) = a.disposition() {
                        assert_eq!(a, make(h - 2), "torn entry");
                    }
                }
            })
        };
        for k in 0..40 {
            t.set(Signo::SIGUSR1, make(k));
        }
        reader.join().unwrap();
        assert_eq!(t.get(Signo::SIGUSR1), make(39));
    }
}
