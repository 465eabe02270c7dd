//! [`PendingSignals`] and what it is built from; the design notes are on [`PendingSignals`].

use crate::errno::Errno;
use crate::info::{KERNEL_SIGINFO_SIZE, SignalInfo, code};
use crate::set::SignalSet;
use crate::signo::Signo;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicUsize, Ordering};

/// The per-user RLIMIT_SIGPENDING account: how many siginfo entries are queued
/// for the user, and a default soft limit.
///
/// Linux's `__sigqueue_alloc` counts per user (the receiving task's real uid, its
/// `ucounts`) and compares that count with the receiving task's own
/// `task_rlimit(t, RLIMIT_SIGPENDING)`: two processes of one user share the count
/// but may have different limits. A kernel shares one `PendingLimit` (behind an
/// `Arc`) between every store whose owner has that real uid; the limit compared is
/// the receiving process's own when it has one
/// (`ProcessSignalManager::set_rlimit_sigpending`), else this account's
/// [`PendingLimit::limit`].
#[derive(Debug)]
pub struct PendingLimit {
    queued: AtomicUsize,
    limit: AtomicUsize,
}

impl PendingLimit {
    /// An account with soft limit `limit` (0 allows no queued siginfo at all).
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn new(limit: usize) -> PendingLimit {
        PendingLimit {
            queued: AtomicUsize::new(0),
            limit: AtomicUsize::new(limit),
        }
    }

    /// An account that never refuses (for kernels that do not model the limit).
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn unlimited() -> PendingLimit {
        PendingLimit::new(usize::MAX)
    }

    /// Changes the soft limit (`setrlimit`); entries already queued stay.
    ///
    /// Context: any, interrupt context included; takes no lock and never allocates.
    pub fn set_limit(&self, limit: usize) {
        self.limit.store(limit, Ordering::Relaxed);
    }

    /// The soft limit.
    ///
    /// Context: any, interrupt context included; takes no lock and never allocates.
    pub fn limit(&self) -> usize {
        self.limit.load(Ordering::Relaxed)
    }

    /// Entries currently charged.
    ///
    /// Context: any, interrupt context included; takes no lock and never allocates.
    pub fn queued(&self) -> usize {
        self.queued.load(Ordering::Relaxed)
    }

    /// Takes one charge, as `inc_rlimit_get_ucounts` then the limit check of
    /// `__sigqueue_alloc` against `rlimit` (the receiver's own limit; `None` for this
    /// account's): over the limit it gives the charge back and fails, unless
    /// `override_limit` ([rule 13]).
    ///
    /// [rule 13]: crate::docs::rules#rule-13
    fn try_charge(&self, override_limit: bool, rlimit: Option<usize>) -> bool {
        let now = self
            .queued
            .fetch_add(1, Ordering::Relaxed)
            .saturating_add(1);
        if override_limit || now <= rlimit.unwrap_or_else(|| self.limit()) {
            true
        } else {
            self.uncharge(1);
            false
        }
    }

    fn uncharge(&self, n: usize) {
        if n != 0 {
            self.queued.fetch_sub(n, Ordering::Relaxed);
        }
    }
}

/// What [`PendingSignals::put`] did with a signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PutOutcome {
    /// Pending with its siginfo (or, when sent without one and for SIGKILL, which
    /// never carries one, with its bit set).
    Queued,
    /// A standard signal that was already pending: dropped, the first siginfo kept.
    Coalesced,
    /// Pending, but without its siginfo (over the limit or out of memory): it will
    /// be received as `SI_USER` with pid, uid and value 0.
    InfoLost,
}

const NIL: u32 = u32::MAX;
const WORDS: usize = KERNEL_SIGINFO_SIZE / 8;

/// One queued siginfo in the compact 48-byte kernel form.
#[derive(Clone, Copy)]
struct Node {
    info: [u64; WORDS],
    /// Next node of the same signal, or of the free list.
    next: u32,
    /// Arrival order, to find the first queued fault ([rule 41]).
    ///
    /// [rule 41]: crate::docs::rules#rule-41
    seq: u32,
}

#[derive(Clone, Copy)]
struct Fifo {
    head: u32,
    tail: u32,
}

const EMPTY_FIFO: Fifo = Fifo {
    head: NIL,
    tail: NIL,
};

/// A pending-signal store. See its design notes below for its invariants.
///
/// # Design notes
///
/// `PendingSignals`: the signals generated for a thread (its private queue) or a
/// thread group (the shared queue) and not yet taken.
///
/// Shape, as Linux's `struct sigpending`: a 64-bit pending set, at most one queued
/// siginfo per standard signal (1..=31), a FIFO of siginfo per real-time signal
/// (32..=64). Invariants:
/// - a signal's bit is set iff it has at least one queued entry or an info-less
///   instance (a send that kept no siginfo, [rule 11], [rule 14]);
/// - a standard signal has at most one entry; a second send while it is pending is
///   dropped and the first siginfo kept ([rule 1]);
/// - every queued entry holds one charge on the [`PendingLimit`] it was charged to,
///   returned when the entry is dequeued or flushed ([rule 12], [rule 13], [rule 14]).
///
/// Storage: entries live in one node array with a free list, linked per signal. It
/// is allocated on the first queued entry (an idle store owns no heap) and then
/// recycled, so a warm store queues and dequeues without touching the allocator. A
/// growth that fails is Linux's failed `__sigqueue_alloc`: the signal is sent
/// without its siginfo, or refused with EAGAIN ([rule 14]), never a panic.
///
/// Context: a store is plain data, protected by its owner's lock. Every method is
/// bounded and callable with interrupts disabled; only [`PendingSignals::put`] may
/// call the allocator, and only when the recycled nodes are exhausted and the store
/// is growable (see [`PendingSignals::set_growable`]).
///
/// [rule 1]: crate::docs::rules#rule-1
/// [rule 11]: crate::docs::rules#rule-11
/// [rule 12]: crate::docs::rules#rule-12
/// [rule 13]: crate::docs::rules#rule-13
/// [rule 14]: crate::docs::rules#rule-14
#[derive(Default)]
pub struct PendingSignals {
    set: SignalSet,
    /// Per-signal FIFO of queued nodes; empty until the first entry is queued.
    fifos: Vec<Fifo>,
    nodes: Vec<Node>,
    free: u32,
    live: u32,
    seq: u32,
    no_grow: bool,
}

impl core::fmt::Debug for PendingSignals {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PendingSignals")
            .field("set", &self.set)
            .field("queued", &self.live)
            .finish()
    }
}

impl PendingSignals {
    /// An empty store; allocates nothing.
    ///
    /// Context: any; allocates nothing (an idle store owns no heap).
    pub const fn new() -> PendingSignals {
        PendingSignals {
            set: SignalSet::EMPTY,
            fifos: Vec::new(),
            nodes: Vec::new(),
            free: NIL,
            live: 0,
            seq: 0,
            no_grow: false,
        }
    }

    /// The pending set.
    ///
    /// Context: any, interrupt context included; the caller holds the lock that
    /// protects the store (the process's signal lock for the managers' queues). Never
    /// allocates.
    pub fn pending(&self) -> SignalSet {
        self.set
    }

    /// Whether nothing is pending.
    ///
    /// Context: any, interrupt context included; the caller holds the lock that
    /// protects the store (the process's signal lock for the managers' queues). Never
    /// allocates.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    /// Number of queued siginfo entries (the store's charge).
    ///
    /// Context: any, interrupt context included; the caller holds the lock that
    /// protects the store (the process's signal lock for the managers' queues). Never
    /// allocates.
    pub fn queued(&self) -> usize {
        self.live as usize
    }

    /// Number of queued siginfo entries for `sig`.
    ///
    /// Context: any, interrupt context included; the caller holds the lock that
    /// protects the store (the process's signal lock for the managers' queues). Never
    /// allocates.
    pub fn queued_for(&self, sig: Signo) -> usize {
        let mut n = 0;
        let mut i = self.fifo(sig).head;
        while let Some(node) = self.nodes.get(i as usize) {
            n += 1;
            i = node.next;
        }
        n
    }

    /// Whether `put` may call the allocator when no recycled node is free.
    ///
    /// A kernel whose allocator must not run with interrupts off turns growth off
    /// and sizes the store in process context with [`PendingSignals::reserve`]; a
    /// send that then finds no free node behaves as Linux's failed `GFP_ATOMIC`
    /// allocation (info lost, or EAGAIN for a queued real-time signal).
    pub fn set_growable(&mut self, growable: bool) {
        self.no_grow = !growable;
    }

    /// Makes room for `additional` more queued entries without further allocation.
    ///
    /// Context: process context: it calls the allocator (the caller holds the store's
    /// lock).
    pub fn reserve(&mut self, additional: usize) -> Result<(), Errno> {
        self.ensure_fifos()?;
        let free = self.free_nodes();
        if additional > free {
            self.nodes
                .try_reserve_exact(additional - free)
                .map_err(|_| Errno::ENOMEM)?;
        }
        Ok(())
    }

    /// Frees the node storage if nothing is queued (memory returns to the idle 0).
    ///
    /// Context: process context: it calls the deallocator (the caller holds the store's
    /// lock).
    pub fn shrink_if_idle(&mut self) {
        if self.live == 0 {
            self.fifos = Vec::new();
            self.nodes = Vec::new();
            self.free = NIL;
        }
    }

    /// Heap bytes held by this store.
    ///
    /// Context: any, interrupt context included; the caller holds the lock that
    /// protects the store (the process's signal lock for the managers' queues). Never
    /// allocates.
    pub fn heap_bytes(&self) -> usize {
        self.fifos.capacity() * core::mem::size_of::<Fifo>()
            + self.nodes.capacity() * core::mem::size_of::<Node>()
    }

    /// Adds a signal, as Linux's `__send_signal_locked` does once the signal has
    /// passed `prepare_signal`.
    ///
    /// `info` is `None` for a send without siginfo (Linux's `SEND_SIG_NOINFO`: it
    /// reads as SI_USER from the current task; the caller passes it explicitly when
    /// it wants the pid recorded). The siginfo is charged to `limit`:
    /// - SIGKILL only sets its bit ([rule 11]);
    /// - a standard signal already pending is dropped ([rule 1]);
    /// - a standard signal with `si_code >= 0` is queued past the limit ([rule 13]);
    /// - otherwise, over the limit or out of memory, a real-time signal whose
    ///   `si_code` is not SI_USER fails with EAGAIN and nothing changes; any other
    ///   signal becomes pending without its siginfo ([rule 14]).
    ///
    /// Context: any, interrupt context included, under the store's lock; calls the
    /// allocator only when the recycled entries ran out and the store is growable.
    ///
    /// [rule 1]: crate::docs::rules#rule-1
    /// [rule 11]: crate::docs::rules#rule-11
    /// [rule 13]: crate::docs::rules#rule-13
    /// [rule 14]: crate::docs::rules#rule-14
    pub fn put(
        &mut self,
        sig: Signo,
        info: Option<&SignalInfo>,
        limit: &PendingLimit,
    ) -> Result<PutOutcome, Errno> {
        self.put_with_rlimit(sig, info, limit, None)
    }

    /// [`PendingSignals::put`] comparing the user's count in `account` with
    /// `rlimit`, the receiving task's own RLIMIT_SIGPENDING soft limit (Linux's
    /// `task_rlimit(t, RLIMIT_SIGPENDING)`), or with the account's
    /// [`PendingLimit::limit`] when `None`.
    ///
    /// Context: as [`PendingSignals::put`].
    pub fn put_with_rlimit(
        &mut self,
        sig: Signo,
        info: Option<&SignalInfo>,
        account: &PendingLimit,
        rlimit: Option<usize>,
    ) -> Result<PutOutcome, Errno> {
        let limit = account;
        if !sig.is_realtime() && self.set.contains(sig) {
            return Ok(PutOutcome::Coalesced);
        }
        let Some(info) = info.filter(|_| sig != Signo::SIGKILL) else {
            self.set.insert(sig);
            return Ok(PutOutcome::Queued);
        };
        let override_limit = !sig.is_realtime() && info.code() >= 0;
        if limit.try_charge(override_limit, rlimit) {
            if let Some(index) = self.alloc_node() {
                self.link(sig, index, info);
                return Ok(PutOutcome::Queued);
            }
            limit.uncharge(1);
        }
        if sig.is_realtime() && info.code() != code::SI_USER {
            return Err(Errno::EAGAIN);
        }
        self.set.insert(sig);
        Ok(PutOutcome::InfoLost)
    }

    /// Takes the next signal in `allowed` (the complement of the blocked mask, or a
    /// sigtimedwait set): a synchronous fault first, else the lowest number; for a
    /// queued signal its oldest siginfo (`next_signal` + `collect_signal`).
    ///
    /// Context: any, interrupt context included; the caller holds the lock that
    /// protects the store (the process's signal lock for the managers' queues). Never
    /// allocates.
    pub fn dequeue(
        &mut self,
        allowed: SignalSet,
        limit: &PendingLimit,
    ) -> Option<(Signo, SignalInfo)> {
        let mut info = SignalInfo::ZERO;
        let sig = self.dequeue_into(allowed, limit, &mut info)?;
        Some((sig, info))
    }

    /// [`PendingSignals::dequeue`] writing the siginfo into `out` (all 128 bytes)
    /// instead of returning it: the copy-free form the managers use.
    ///
    /// Context: any, interrupt context included; the caller holds the lock that
    /// protects the store (the process's signal lock for the managers' queues). Never
    /// allocates.
    #[inline]
    pub fn dequeue_into(
        &mut self,
        allowed: SignalSet,
        limit: &PendingLimit,
        out: &mut SignalInfo,
    ) -> Option<Signo> {
        let sig = (self.set & allowed).next_signal()?;
        self.collect(sig, limit, out);
        Some(sig)
    }

    /// Takes the first queued synchronous fault (SEGV, BUS, ILL, TRAP, FPE, SYS) whose
    /// `si_code > SI_USER`, in arrival order, if some unblocked synchronous signal is
    /// pending: what `get_signal` tries before anything else on the private queue
    /// (`dequeue_synchronous_signal`, [rule 41]). As in Linux, the entry found is taken
    /// even if that particular signal is blocked. The siginfo goes to `out`.
    ///
    /// Context: any, interrupt context included; the caller holds the lock that
    /// protects the store (the process's signal lock for the managers' queues). Never
    /// allocates.
    ///
    /// [rule 41]: crate::docs::rules#rule-41
    pub fn dequeue_synchronous(
        &mut self,
        allowed: SignalSet,
        limit: &PendingLimit,
        out: &mut SignalInfo,
    ) -> Option<Signo> {
        if (self.set & allowed & SignalSet::SYNCHRONOUS).is_empty() {
            return None;
        }
        let mut best: Option<(u32, Signo)> = None;
        for sig in self.set & SignalSet::SYNCHRONOUS {
            let head = self.fifo(sig).head;
            if let Some(node) = self.nodes.get(head as usize) {
                let code = SignalInfo::compact_code(&node.info);
                let older = best.is_none_or(|(seq, _)| {
                    node.seq.wrapping_sub(self.seq) < seq.wrapping_sub(self.seq)
                });
                if code > code::SI_USER && older {
                    best = Some((node.seq, sig));
                }
            }
        }
        let (_, sig) = best?;
        self.collect(sig, limit, out);
        Some(sig)
    }

    /// Removes every pending instance of the signals in `set` and returns the charge
    /// it held (the number of siginfo entries freed): the SIG_IGN flush ([rule 30])
    /// and the SIGCONT/stop flushes ([rule 6], [rule 7]).
    ///
    /// Context: any, interrupt context included; the caller holds the lock that
    /// protects the store (the process's signal lock for the managers' queues). Never
    /// allocates.
    ///
    /// [rule 6]: crate::docs::rules#rule-6
    /// [rule 7]: crate::docs::rules#rule-7
    /// [rule 30]: crate::docs::rules#rule-30
    pub fn flush(&mut self, set: SignalSet, limit: &PendingLimit) -> usize {
        let hit = self.set & set;
        let mut freed = 0;
        for sig in hit {
            let mut i = self.fifo(sig).head;
            while i != NIL {
                let next = self.nodes[i as usize].next;
                self.free_node(i);
                freed += 1;
                i = next;
            }
            if let Some(f) = self.fifos.get_mut(sig.get() as usize - 1) {
                *f = EMPTY_FIFO;
            }
        }
        self.set = self.set - hit;
        limit.uncharge(freed);
        freed
    }

    /// Removes everything (thread exit, exec of a new image keeps pending: see the
    /// managers). Returns the charge freed.
    ///
    /// Context: any, interrupt context included; the caller holds the lock that
    /// protects the store (the process's signal lock for the managers' queues). Never
    /// allocates.
    pub fn clear(&mut self, limit: &PendingLimit) -> usize {
        self.flush(SignalSet::ALL, limit)
    }

    /// `collect_signal`: the oldest entry of `sig`, or an info-less SI_USER reading if
    /// none is queued; the bit clears when no entry is left.
    #[inline]
    fn collect(&mut self, sig: Signo, limit: &PendingLimit, out: &mut SignalInfo) {
        let idx = sig.get() as usize - 1;
        let head = self.fifo(sig).head;
        let Some(node) = self.nodes.get(head as usize) else {
            self.set.remove(sig);
            *out = SignalInfo::infoless(sig);
            return;
        };
        out.set_compact(&node.info);
        let next = node.next;
        let fifo = &mut self.fifos[idx];
        fifo.head = next;
        if next == NIL {
            fifo.tail = NIL;
            self.set.remove(sig);
        }
        self.free_node(head);
        limit.uncharge(1);
    }

    fn fifo(&self, sig: Signo) -> Fifo {
        self.fifos
            .get(sig.get() as usize - 1)
            .copied()
            .unwrap_or(EMPTY_FIFO)
    }

    fn free_nodes(&self) -> usize {
        self.nodes.len() - self.live as usize + (self.nodes.capacity() - self.nodes.len())
    }

    fn ensure_fifos(&mut self) -> Result<(), Errno> {
        if self.fifos.is_empty() {
            self.fifos
                .try_reserve_exact(SignalSet::ALL.len() as usize)
                .map_err(|_| Errno::ENOMEM)?;
            self.fifos.resize(SignalSet::ALL.len() as usize, EMPTY_FIFO);
        }
        Ok(())
    }

    /// A free node index: recycled first, else a new one if growth is allowed and the
    /// allocator agrees. `None` is Linux's failed `__sigqueue_alloc`.
    fn alloc_node(&mut self) -> Option<u32> {
        if self.free != NIL {
            let i = self.free;
            self.free = self.nodes[i as usize].next;
            self.live += 1;
            return Some(i);
        }
        if self.nodes.len() >= NIL as usize {
            return None;
        }
        let needs_alloc = self.fifos.is_empty() || self.nodes.len() == self.nodes.capacity();
        if needs_alloc && self.no_grow {
            return None;
        }
        self.ensure_fifos().ok()?;
        if self.nodes.len() == self.nodes.capacity() {
            self.nodes.try_reserve(1).ok()?;
        }
        self.nodes.push(Node {
            info: [0; WORDS],
            next: NIL,
            seq: 0,
        });
        self.live += 1;
        Some(self.nodes.len() as u32 - 1)
    }

    fn free_node(&mut self, i: u32) {
        self.nodes[i as usize].next = self.free;
        self.free = i;
        self.live -= 1;
    }

    fn link(&mut self, sig: Signo, i: u32, info: &SignalInfo) {
        let seq = self.seq;
        self.seq = self.seq.wrapping_add(1);
        self.nodes[i as usize] = Node {
            info: info.compact(),
            next: NIL,
            seq,
        };
        let fifo = &mut self.fifos[sig.get() as usize - 1];
        match fifo.tail {
            NIL => fifo.head = i,
            tail => self.nodes[tail as usize].next = i,
        }
        fifo.tail = i;
        self.set.insert(sig);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rt(n: u32) -> Signo {
        Signo::new(n).unwrap()
    }

    #[test]
    fn idle_store_allocates_nothing() {
        let s = PendingSignals::new();
        assert_eq!(s.heap_bytes(), 0);
        assert!(s.is_empty());
    }

    #[test]
    fn reserve_then_no_growth_keeps_sends_allocation_free() {
        let limit = PendingLimit::unlimited();
        let mut s = PendingSignals::new();
        s.reserve(2).unwrap();
        s.set_growable(false);
        let bytes = s.heap_bytes();
        let q = SignalInfo::queue(rt(40), 1, 1, 7);
        assert_eq!(s.put(rt(40), Some(&q), &limit), Ok(PutOutcome::Queued));
        assert_eq!(s.put(rt(40), Some(&q), &limit), Ok(PutOutcome::Queued));
        assert_eq!(
            s.put(rt(40), Some(&q), &limit),
            Err(Errno::EAGAIN),
            "pool exhausted = failed GFP_ATOMIC"
        );
        assert_eq!(s.heap_bytes(), bytes);
        assert_eq!(limit.queued(), 2);
    }

    #[test]
    fn shrink_if_idle_returns_to_zero_heap() {
        let limit = PendingLimit::unlimited();
        let mut s = PendingSignals::new();
        s.put(rt(40), Some(&SignalInfo::queue(rt(40), 1, 1, 7)), &limit)
            .unwrap();
        s.shrink_if_idle();
        assert!(s.heap_bytes() > 0, "not idle yet");
        s.dequeue(SignalSet::ALL, &limit).unwrap();
        s.shrink_if_idle();
        assert_eq!(s.heap_bytes(), 0);
    }
}
