//! [`PendingSignals`] and what it is built from; the design notes are on [`PendingSignals`].

use crate::errno::Errno;
use crate::info::{KERNEL_SIGINFO_SIZE, SIGINFO_SIZE, SignalInfo, code};
use crate::set::SignalSet;
use crate::signo::Signo;
use alloc::boxed::Box;
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
    pub(crate) fn try_charge(&self, override_limit: bool, rlimit: Option<usize>) -> bool {
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

    pub(crate) fn uncharge(&self, n: usize) {
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
/// Tag of an index into the timer-owned nodes ([`Store::owned`]); an untagged index
/// is an ordinary node ([`Store::nodes`]). `NIL` carries the tag too, so `NIL` is
/// tested first.
const OWNED: u32 = 1 << 31;
/// Bytes of a queued siginfo a node keeps: `struct kernel_siginfo` but `si_signo`,
/// which is the signal the node is queued under (see [`PendingSignals::put`]).
const KEPT: usize = KERNEL_SIGINFO_SIZE - 4;
/// Signals 1..=64: one FIFO each.
const SIGNALS: usize = 64;
/// Synchronous signals (SEGV, BUS, ILL, TRAP, FPE, SYS): the faults whose arrival
/// order [`PendingSignals::dequeue_synchronous`] needs.
const SYNC: usize = SignalSet::SYNCHRONOUS.len() as usize;

/// `sig`'s slot in [`Store::fault_seq`] (its rank among the synchronous signals), or
/// `None` for any other signal.
#[inline]
fn sync_slot(sig: Signo) -> Option<usize> {
    let sync = SignalSet::SYNCHRONOUS.bits();
    (sync & sig.bit() != 0).then(|| (sync & (sig.bit() - 1)).count_ones() as usize)
}

/// One queued siginfo: bytes 4..48 of the kernel siginfo (`si_errno`, `si_code`,
/// the hole after it and the `_sifields` union, kept byte for byte) and the link.
#[derive(Clone, Copy)]
struct Node {
    info: [u8; KEPT],
    /// Next node of the same signal (`OWNED`-tagged for a timer's node), or of the
    /// free list it is on; `NIL` ends either.
    next: u32,
}

impl Node {
    const EMPTY: Node = Node {
        info: [0; KEPT],
        next: NIL,
    };

    /// `si_code`, at byte 8 of the siginfo.
    #[inline]
    fn code(&self) -> i32 {
        let i = &self.info;
        i32::from_ne_bytes([i[4], i[5], i[6], i[7]])
    }

    /// Keeps bytes 4..48 of `info` (all of it but `si_signo`), unlinked.
    #[inline]
    fn fill(&mut self, info: &SignalInfo) {
        self.info
            .copy_from_slice(&info.as_bytes()[4..KERNEL_SIGINFO_SIZE]);
        self.next = NIL;
    }

    /// Writes the whole siginfo of `sig` to `out`: `si_signo`, the kept bytes, then
    /// zeros to 128 bytes (`copy_siginfo_to_user`).
    #[inline]
    fn read(&self, sig: Signo, out: &mut SignalInfo) {
        let mut b = [0u8; SIGINFO_SIZE];
        b[..4].copy_from_slice(&(sig.get() as i32).to_ne_bytes());
        b[4..KERNEL_SIGINFO_SIZE].copy_from_slice(&self.info);
        *out = SignalInfo::from_bytes(b);
    }
}

/// A node owned by a POSIX timer (Linux's `SIGQUEUE_PREALLOC` entry embedded in
/// the `k_itimer`): never charged, never freed by a dequeue or a flush, only
/// unlinked ([rule 60]). They live apart from the ordinary nodes so that an
/// ordinary node carries nothing for them.
///
/// [rule 60]: crate::docs::rules#rule-60
#[derive(Clone, Copy)]
struct Owned {
    node: Node,
    /// The owning timer, handed back when the node is taken or unlinked.
    timer: u32,
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

/// What a store allocates on its first queued entry (or `reserve`, or
/// `alloc_owned`), behind one pointer so that an idle store is three words.
struct Store {
    /// Per-signal FIFO of queued nodes.
    fifos: [Fifo; SIGNALS],
    /// Arrival order of each synchronous signal's ordinary entry, to find the first
    /// queued fault ([rule 41]), by [`sync_slot`]. A standard signal has at most one
    /// ordinary entry and it heads its FIFO: a send while the signal is pending
    /// coalesces, so an ordinary entry joins only an empty FIFO, and only
    /// timer-owned entries (whose `SI_TIMER` never makes them a fault) can follow it.
    ///
    /// [rule 41]: crate::docs::rules#rule-41
    fault_seq: [u32; SYNC],
    nodes: Vec<Node>,
    owned: Vec<Owned>,
    /// Free lists of `nodes` and of `owned` (the latter `OWNED`-tagged).
    free: u32,
    owned_free: u32,
    /// Charged entries queued (ordinary nodes in use).
    live: u32,
    /// Nodes owned by POSIX timers (queued or not): neither free nor charged.
    owned_live: u32,
    seq: u32,
}

impl Store {
    const EMPTY: Store = Store {
        fifos: [EMPTY_FIFO; SIGNALS],
        fault_seq: [0; SYNC],
        nodes: Vec::new(),
        owned: Vec::new(),
        free: NIL,
        owned_free: NIL,
        live: 0,
        owned_live: 0,
        seq: 0,
    };

    /// A boxed empty store, or `None` if the allocator refuses. `Box::new` would
    /// abort instead: the one-element `Vec` reserved fallibly becomes the box
    /// without a second allocation (its capacity is exactly its length).
    fn boxed() -> Option<Box<[Store; 1]>> {
        let mut v = Vec::new();
        v.try_reserve_exact(1).ok()?;
        v.push(Store::EMPTY);
        v.into_boxed_slice().try_into().ok()
    }

    #[inline]
    fn node(&self, i: u32) -> &Node {
        if i & OWNED == 0 {
            &self.nodes[i as usize]
        } else {
            &self.owned[(i & !OWNED) as usize].node
        }
    }

    #[inline]
    fn node_mut(&mut self, i: u32) -> &mut Node {
        if i & OWNED == 0 {
            &mut self.nodes[i as usize]
        } else {
            &mut self.owned[(i & !OWNED) as usize].node
        }
    }

    /// Ordinary nodes that can be used without allocating.
    fn spare(&self) -> usize {
        self.nodes.capacity() - self.live as usize
    }

    /// Links node `i` (already filled) at the tail of `sig`'s FIFO.
    #[inline]
    fn link(&mut self, sig: Signo, i: u32) {
        let idx = sig.get() as usize - 1;
        match self.fifos[idx].tail {
            NIL => self.fifos[idx].head = i,
            tail => self.node_mut(tail).next = i,
        }
        self.fifos[idx].tail = i;
    }

    fn free_node(&mut self, i: u32) {
        self.nodes[i as usize].next = self.free;
        self.free = i;
        self.live -= 1;
    }

    /// Unlinks from `sig`'s FIFO every entry `remove` selects, keeping the others in
    /// order: an ordinary entry is freed, a timer-owned one handed to
    /// `unlinked_timer` (`sigqueue_free` of a `SIGQUEUE_PREALLOC` entry). Returns the
    /// number of ordinary entries freed and whether any entry is left.
    fn unlink_where(
        &mut self,
        sig: Signo,
        remove: impl Fn(&Node) -> bool,
        unlinked_timer: &mut dyn FnMut(u32),
    ) -> (usize, bool) {
        let idx = sig.get() as usize - 1;
        let mut freed = 0;
        let mut i = self.fifos[idx].head;
        self.fifos[idx] = EMPTY_FIFO;
        while i != NIL {
            let node = *self.node(i);
            if !remove(&node) {
                self.node_mut(i).next = NIL;
                self.link(sig, i);
            } else if i & OWNED != 0 {
                self.node_mut(i).next = NIL;
                unlinked_timer(self.owned[(i & !OWNED) as usize].timer);
            } else {
                self.free_node(i);
                freed += 1;
            }
            i = node.next;
        }
        (freed, self.fifos[idx].head != NIL)
    }
}

/// A pending-signal store. See its design notes below for its invariants.
///
/// # Design notes
///
/// `PendingSignals`: the signals generated for a thread (its private queue) or a
/// thread group (the shared queue) and not yet taken.
///
/// Shape, as Linux's `struct sigpending`: a 64-bit pending set, at most one queued
/// siginfo per standard signal (1..=31) but for POSIX timers' own entries, a FIFO
/// of siginfo per real-time signal (32..=64). Invariants:
/// - a signal's bit is set iff it has at least one queued entry or an info-less
///   instance (a send that kept no siginfo, [rule 11], [rule 14]);
/// - a standard signal has at most one ordinary entry; a second send while it is
///   pending is dropped and the first siginfo kept ([rule 1]);
/// - every ordinary entry holds one charge on the [`PendingLimit`] it was charged
///   to, returned when the entry is dequeued or flushed ([rule 12], [rule 13],
///   [rule 14]).
///
/// Storage: an idle store is its pending set, one pointer and two small fields
/// (24 bytes on 64-bit) and owns no heap. The first queued entry allocates, behind
/// that pointer, the per-signal FIFO table and the node arrays, which are then
/// recycled through free lists, so a warm store queues and dequeues without touching
/// the allocator. An ordinary node is 48 bytes: bytes 4..48 of the kernel siginfo
/// and a 4-byte link (`si_signo` is not kept: it is the signal the node is queued
/// under). A growth that fails is Linux's failed `__sigqueue_alloc`: the signal is
/// sent without its siginfo, or refused with EAGAIN ([rule 14]), never a panic.
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
pub struct PendingSignals {
    set: SignalSet,
    /// The FIFOs and nodes; `None` until the first entry is queued.
    store: Option<Box<[Store; 1]>>,
    /// The timer whose owned node the last dequeue took, or `NIL`: read by the
    /// process code right after a dequeue that returned an `SI_TIMER` siginfo.
    taken_timer: u32,
    no_grow: bool,
}

impl Default for PendingSignals {
    fn default() -> PendingSignals {
        PendingSignals::new()
    }
}

impl core::fmt::Debug for PendingSignals {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PendingSignals")
            .field("set", &self.set)
            .field("queued", &self.queued())
            .finish()
    }
}

/// An ordinary node for a new entry: recycled first, else a new one if growth is
/// allowed and the allocator agrees. `None` is Linux's failed `__sigqueue_alloc`.
/// A free function of the two fields it needs, so that the store it returns and the
/// pending set can be borrowed together.
#[inline]
fn alloc_node(slot: &mut Option<Box<[Store; 1]>>, no_grow: bool) -> Option<(&mut Store, u32)> {
    // Tested through a shared borrow first: returning the store borrowed by an
    // `if let` would keep `slot` borrowed on the fallback path too.
    if slot.as_deref().is_some_and(|[s]| s.free != NIL) {
        let [s] = slot.as_deref_mut()?;
        let i = s.free;
        s.free = s.nodes[i as usize].next;
        s.live += 1;
        return Some((s, i));
    }
    new_node(slot, no_grow)
}

/// [`alloc_node`] once the free list is empty.
fn new_node(slot: &mut Option<Box<[Store; 1]>>, no_grow: bool) -> Option<(&mut Store, u32)> {
    if slot.is_none() {
        if no_grow {
            return None;
        }
        *slot = Some(Store::boxed()?);
    }
    let [s] = slot.as_deref_mut()?;
    if s.nodes.len() >= OWNED as usize {
        return None;
    }
    if s.nodes.len() == s.nodes.capacity() {
        if no_grow {
            return None;
        }
        s.nodes.try_reserve(1).ok()?;
    }
    s.nodes.push(Node::EMPTY);
    s.live += 1;
    let i = s.nodes.len() as u32 - 1;
    Some((s, i))
}

impl PendingSignals {
    /// An empty store; allocates nothing.
    ///
    /// Context: any; allocates nothing (an idle store owns no heap).
    pub const fn new() -> PendingSignals {
        PendingSignals {
            set: SignalSet::EMPTY,
            store: None,
            taken_timer: NIL,
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
        self.store().map_or(0, |s| s.live as usize)
    }

    /// Number of queued siginfo entries for `sig`.
    ///
    /// Context: any, interrupt context included; the caller holds the lock that
    /// protects the store (the process's signal lock for the managers' queues). Never
    /// allocates.
    pub fn queued_for(&self, sig: Signo) -> usize {
        let Some(s) = self.store() else {
            return 0;
        };
        let mut n = 0;
        let mut i = s.fifos[sig.get() as usize - 1].head;
        while i != NIL {
            n += 1;
            i = s.node(i).next;
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
        let s = self.store_or_alloc()?;
        let spare = s.spare();
        if additional > spare {
            s.nodes
                .try_reserve_exact(additional - spare)
                .map_err(|_| Errno::ENOMEM)?;
        }
        Ok(())
    }

    /// Frees the node storage if nothing is queued (memory returns to the idle 0).
    ///
    /// Context: process context: it calls the deallocator (the caller holds the store's
    /// lock).
    pub fn shrink_if_idle(&mut self) {
        if self
            .store()
            .is_some_and(|s| s.live == 0 && s.owned_live == 0)
        {
            self.store = None;
        }
    }

    /// Heap bytes held by this store.
    ///
    /// Context: any, interrupt context included; the caller holds the lock that
    /// protects the store (the process's signal lock for the managers' queues). Never
    /// allocates.
    pub fn heap_bytes(&self) -> usize {
        self.store().map_or(0, |s| {
            core::mem::size_of::<Store>()
                + s.nodes.capacity() * core::mem::size_of::<Node>()
                + s.owned.capacity() * core::mem::size_of::<Owned>()
        })
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
    /// The store keeps `sig` as the entry's `si_signo` and every other byte of the
    /// 48 Linux keeps (`struct kernel_siginfo`) as `info` has it: Linux's senders
    /// always queue a siginfo whose `si_signo` is the signal (`rt_sigqueueinfo`
    /// replaces the caller's, [rule 26]; `pidfd_send_signal` refuses a mismatch; the
    /// kernel's own siginfo is built for the signal), so a dequeue reads back what
    /// Linux's would.
    ///
    /// Context: any, interrupt context included, under the store's lock; calls the
    /// allocator only when the recycled entries ran out and the store is growable.
    ///
    /// [rule 1]: crate::docs::rules#rule-1
    /// [rule 11]: crate::docs::rules#rule-11
    /// [rule 13]: crate::docs::rules#rule-13
    /// [rule 14]: crate::docs::rules#rule-14
    /// [rule 26]: crate::docs::rules#rule-26
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
            if let Some((s, i)) = alloc_node(&mut self.store, self.no_grow) {
                s.nodes[i as usize].fill(info);
                if let Some(seq) = sync_slot(sig).and_then(|k| s.fault_seq.get_mut(k)) {
                    *seq = s.seq;
                    s.seq = s.seq.wrapping_add(1);
                }
                s.link(sig, i);
                self.set.insert(sig);
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
    #[inline(always)]
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
        let s = self.store()?;
        let mut best: Option<(u32, Signo)> = None;
        for sig in self.set & SignalSet::SYNCHRONOUS {
            let idx = sig.get() as usize - 1;
            let head = s.fifos[idx].head;
            // Only an ordinary entry can be a fault, and it heads its FIFO (an empty
            // FIFO's `NIL` head carries the `OWNED` tag too).
            if head & OWNED != 0 || s.node(head).code() <= code::SI_USER {
                continue;
            }
            let Some(&seq) = sync_slot(sig).and_then(|k| s.fault_seq.get(k)) else {
                continue;
            };
            if best.is_none_or(|(b, _)| seq.wrapping_sub(s.seq) < b.wrapping_sub(s.seq)) {
                best = Some((seq, sig));
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
        self.flush_with(set, limit, &mut |_| {})
    }

    /// [`PendingSignals::flush`], handing each timer-owned entry it unlinks to
    /// `unlinked_timer` instead of freeing it (`sigqueue_free_ignored`).
    pub(crate) fn flush_with(
        &mut self,
        set: SignalSet,
        limit: &PendingLimit,
        unlinked_timer: &mut dyn FnMut(u32),
    ) -> usize {
        let hit = self.set & set;
        let mut freed = 0;
        if let Some([s]) = self.store.as_deref_mut() {
            for sig in hit {
                freed += s.unlink_where(sig, |_| true, unlinked_timer).0;
            }
        }
        self.set = self.set - hit;
        limit.uncharge(freed);
        freed
    }

    /// Removes every queued entry whose `si_code` is `code`, whatever its signal
    /// (`__flush_itimer_signals` with `SI_TIMER`); a signal left with no entry and
    /// no info-less instance leaves the set. Timer-owned entries are unlinked and
    /// handed to `unlinked_timer`. Returns the charge freed.
    pub(crate) fn flush_code(
        &mut self,
        code: i32,
        limit: &PendingLimit,
        unlinked_timer: &mut dyn FnMut(u32),
    ) -> usize {
        let Some([s]) = self.store.as_deref_mut() else {
            return 0;
        };
        let mut freed = 0;
        for sig in self.set {
            if s.fifos[sig.get() as usize - 1].head == NIL {
                continue;
            }
            let (n, left) = s.unlink_where(sig, |node| node.code() == code, unlinked_timer);
            freed += n;
            if !left {
                // Every entry was removed: Linux's `sigdelset` for it. An info-less
                // instance has no entry and so none was removed.
                self.set.remove(sig);
            }
        }
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
        let Some([s]) = self.store.as_deref_mut() else {
            self.set.remove(sig);
            *out = SignalInfo::infoless(sig);
            return;
        };
        let head = s.fifos[idx].head;
        if head == NIL {
            self.set.remove(sig);
            *out = SignalInfo::infoless(sig);
            return;
        }
        let node = s.node(head);
        node.read(sig, out);
        let next = node.next;
        let fifo = &mut s.fifos[idx];
        fifo.head = next;
        if next == NIL {
            fifo.tail = NIL;
            self.set.remove(sig);
        }
        if head & OWNED != 0 {
            self.taken_timer = took_timer_entry(s, head);
            return;
        }
        s.free_node(head);
        limit.uncharge(1);
    }

    /// A node owned by timer `timer` (`posixtimer_init_sigqueue`): never charged to a
    /// [`PendingLimit`]. Errors: ENOMEM.
    ///
    /// Context: process context (`timer_create`): it may call the allocator, whatever
    /// [`PendingSignals::set_growable`] says.
    pub(crate) fn alloc_owned(&mut self, timer: u32) -> Result<u32, Errno> {
        let s = self.store_or_alloc()?;
        let fresh = Owned {
            node: Node::EMPTY,
            timer,
        };
        let i = if s.owned_free != NIL {
            let i = s.owned_free;
            s.owned_free = s.node(i).next;
            s.owned[(i & !OWNED) as usize] = fresh;
            i
        } else {
            if s.owned.len() >= (OWNED - 1) as usize {
                return Err(Errno::ENOMEM);
            }
            s.owned.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
            s.owned.push(fresh);
            (s.owned.len() as u32 - 1) | OWNED
        };
        s.owned_live += 1;
        Ok(i)
    }

    /// Gives an owned node back to the free list (the timer is gone and its
    /// entry is not queued).
    pub(crate) fn release_owned(&mut self, i: u32) {
        let Some([s]) = self.store.as_deref_mut() else {
            return;
        };
        if i == NIL || i & OWNED == 0 {
            return;
        }
        if let Some(o) = s.owned.get_mut((i & !OWNED) as usize) {
            o.node.next = s.owned_free;
            s.owned_free = i;
            s.owned_live -= 1;
        }
    }

    /// Queues the owned node `i` at the tail of `sig`'s FIFO with `info`
    /// (`posixtimer_queue_sigqueue`): no allocation, no charge.
    #[inline(never)]
    pub(crate) fn queue_owned(&mut self, sig: Signo, i: u32, info: &SignalInfo) {
        let Some([s]) = self.store.as_deref_mut() else {
            return;
        };
        s.node_mut(i).fill(info);
        s.link(sig, i);
        self.set.insert(sig);
    }

    /// The timer whose owned entry the last dequeue took, if it took one; clears
    /// the mark.
    #[inline]
    pub(crate) fn take_timer_mark(&mut self) -> Option<u32> {
        let t = core::mem::replace(&mut self.taken_timer, NIL);
        (t != NIL).then_some(t)
    }

    fn store(&self) -> Option<&Store> {
        self.store.as_deref().map(|[s]| s)
    }

    /// The store, allocated if there is none yet. Errors: ENOMEM.
    fn store_or_alloc(&mut self) -> Result<&mut Store, Errno> {
        if self.store.is_none() {
            self.store = Some(Store::boxed().ok_or(Errno::ENOMEM)?);
        }
        match self.store.as_deref_mut() {
            Some([s]) => Ok(s),
            None => Err(Errno::ENOMEM),
        }
    }
}

/// `collect_signal` with SIGQUEUE_PREALLOC: the timer's entry is only unlinked; the
/// process code decides its fate ([rule 62]). Returns the owning timer.
///
/// [rule 62]: crate::docs::rules#rule-62
#[cold]
fn took_timer_entry(s: &mut Store, node: u32) -> u32 {
    let o = &mut s.owned[(node & !OWNED) as usize];
    o.node.next = NIL;
    o.timer
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
    fn rule60_timer_owned_entry_is_never_charged_nor_freed_by_dequeue_or_flush() {
        let limit = PendingLimit::unlimited();
        let mut s = PendingSignals::new();
        let node = s.alloc_owned(3).unwrap();
        let info = SignalInfo::timer(rt(40), 9, 0, 1);
        s.queue_owned(rt(40), node, &info);
        s.put(rt(40), Some(&SignalInfo::queue(rt(40), 1, 1, 7)), &limit)
            .unwrap();
        assert_eq!(
            (s.queued(), limit.queued()),
            (1, 1),
            "only the sigqueue is charged"
        );
        let (sig, got) = s.dequeue(SignalSet::ALL, &limit).unwrap();
        assert_eq!((sig, got.code()), (rt(40), code::SI_TIMER));
        assert_eq!(s.take_timer_mark(), Some(3));
        assert_eq!(s.take_timer_mark(), None);
        assert_eq!(
            limit.queued(),
            1,
            "taking the timer's entry gives nothing back"
        );
        // Queued again behind nothing, then flushed: unlinked, handed back, kept.
        s.queue_owned(rt(40), node, &info);
        let mut seen = alloc::vec::Vec::new();
        assert_eq!(
            s.flush_with(SignalSet::ALL, &limit, &mut |t| seen.push(t)),
            1
        );
        assert_eq!(seen, [3]);
        assert!(s.is_empty() && limit.queued() == 0);
        s.shrink_if_idle();
        assert!(s.heap_bytes() > 0, "the owned entry keeps the storage");
        s.release_owned(node);
        s.shrink_if_idle();
        assert_eq!(s.heap_bytes(), 0);
    }

    #[test]
    fn each_synchronous_signal_has_its_own_fault_order_slot() {
        let slots: alloc::vec::Vec<usize> =
            SignalSet::ALL.into_iter().filter_map(sync_slot).collect();
        assert_eq!(slots, [0, 1, 2, 3, 4, 5], "ILL, TRAP, BUS, FPE, SEGV, SYS");
        assert_eq!(sync_slot(Signo::SIGSEGV), Some(4));
        assert_eq!(sync_slot(Signo::SIGUSR1), None);
    }

    #[test]
    fn a_queued_entry_is_48_bytes_and_an_idle_store_three_words() {
        assert_eq!(core::mem::size_of::<Node>(), KERNEL_SIGINFO_SIZE);
        assert!(core::mem::size_of::<PendingSignals>() <= 3 * core::mem::size_of::<usize>());
    }

    #[test]
    fn rule41_a_timer_entry_behind_a_fault_is_no_fault_and_keeps_the_signal_pending() {
        let limit = PendingLimit::unlimited();
        let mut s = PendingSignals::new();
        let segv = SignalInfo::fault(Signo::SIGSEGV, 1, 0x10);
        s.put(Signo::SIGSEGV, Some(&segv), &limit).unwrap();
        let node = s.alloc_owned(5).unwrap();
        s.queue_owned(
            Signo::SIGSEGV,
            node,
            &SignalInfo::timer(Signo::SIGSEGV, 1, 0, 2),
        );
        let bus = SignalInfo::fault(Signo::SIGBUS, 2, 0x20);
        s.put(Signo::SIGBUS, Some(&bus), &limit).unwrap();
        let mut out = SignalInfo::ZERO;
        let got = s.dequeue_synchronous(SignalSet::ALL, &limit, &mut out);
        assert_eq!((got, out), (Some(Signo::SIGSEGV), segv), "the older fault");
        assert!(
            s.pending().contains(Signo::SIGSEGV),
            "the timer's entry is left"
        );
        let got = s.dequeue_synchronous(SignalSet::ALL, &limit, &mut out);
        assert_eq!((got, out), (Some(Signo::SIGBUS), bus));
        assert_eq!(
            s.dequeue_synchronous(SignalSet::ALL, &limit, &mut out),
            None,
            "SI_TIMER is below SI_USER: not a fault"
        );
        assert_eq!(
            s.dequeue_into(SignalSet::ALL, &limit, &mut out),
            Some(Signo::SIGSEGV)
        );
        assert_eq!((out.code(), s.take_timer_mark()), (code::SI_TIMER, Some(5)));
        assert!(s.is_empty() && limit.queued() == 0);
    }

    #[test]
    fn flush_code_removes_only_that_code_and_keeps_the_rest_in_order() {
        let limit = PendingLimit::unlimited();
        let mut s = PendingSignals::new();
        let forged = SignalInfo::timer(rt(40), 7, 0, 0);
        let node = s.alloc_owned(9).unwrap();
        s.put(rt(40), Some(&SignalInfo::queue(rt(40), 1, 1, 1)), &limit)
            .unwrap();
        s.queue_owned(rt(40), node, &SignalInfo::timer(rt(40), 1, 0, 0));
        s.put(rt(40), Some(&forged), &limit).unwrap();
        s.put(rt(40), Some(&SignalInfo::queue(rt(40), 1, 1, 2)), &limit)
            .unwrap();
        s.put(rt(41), Some(&forged), &limit).unwrap();
        let mut seen = alloc::vec::Vec::new();
        let freed = s.flush_code(code::SI_TIMER, &limit, &mut |t| seen.push(t));
        assert_eq!((freed, seen.as_slice()), (2, &[9][..]));
        assert_eq!(
            s.pending(),
            SignalSet::single(rt(40)),
            "rt 41 had only SI_TIMER"
        );
        let values: alloc::vec::Vec<u64> =
            core::iter::from_fn(|| s.dequeue(SignalSet::ALL, &limit))
                .map(|(_, i)| i.value())
                .collect();
        assert_eq!(values, [1, 2]);
        assert_eq!(limit.queued(), 0);
        assert_eq!(
            s.take_timer_mark(),
            None,
            "the unlinked timer entry was not taken"
        );
    }

    // ---- Reference model with timer-owned entries: Linux's `struct sigpending`
    // (a set and one list in arrival order), each entry tagged with its owning timer.

    use alloc::vec::Vec;
    use proptest::prelude::*;

    const TIMERS: usize = 3;

    struct Entry {
        sig: Signo,
        info: SignalInfo,
        timer: Option<u32>,
    }

    struct Model {
        /// RLIMIT_SIGPENDING.
        limit: usize,
        set: SignalSet,
        list: Vec<Entry>,
        charged: usize,
    }

    impl Model {
        /// `__send_signal_locked` on the list (rules 1, 11, 13, 14).
        fn put(&mut self, s: Signo, info: Option<SignalInfo>) -> Result<PutOutcome, Errno> {
            let rt = s.is_realtime();
            let outcome = match info.filter(|_| s != Signo::SIGKILL) {
                _ if !rt && self.set.contains(s) => return Ok(PutOutcome::Coalesced),
                None => PutOutcome::Queued,
                Some(i) if (!rt && i.code() >= 0) || self.charged < self.limit => {
                    let (sig, timer) = (s, None);
                    self.list.push(Entry {
                        sig,
                        info: i,
                        timer,
                    });
                    self.charged += 1;
                    PutOutcome::Queued
                }
                Some(i) if rt && i.code() != code::SI_USER => return Err(Errno::EAGAIN),
                Some(_) => PutOutcome::InfoLost,
            };
            self.set.insert(s);
            Ok(outcome)
        }

        /// Takes entry `i` (`collect_signal` / `dequeue_synchronous_signal`): the bit
        /// stays if a later entry has the same signal.
        fn take(&mut self, i: usize) -> (Signo, SignalInfo, Option<u32>) {
            let e = self.list.remove(i);
            if !self.list[i..].iter().any(|l| l.sig == e.sig) {
                self.set.remove(e.sig);
            }
            if e.timer.is_none() {
                self.charged -= 1;
            }
            (e.sig, e.info, e.timer)
        }

        fn dequeue(&mut self, allowed: SignalSet) -> Option<(Signo, SignalInfo, Option<u32>)> {
            let s = (self.set & allowed).next_signal()?;
            Some(match self.list.iter().position(|e| e.sig == s) {
                Some(i) => self.take(i),
                None => {
                    self.set.remove(s);
                    (s, SignalInfo::infoless(s), None)
                }
            })
        }

        fn dequeue_synchronous(
            &mut self,
            allowed: SignalSet,
        ) -> Option<(Signo, SignalInfo, Option<u32>)> {
            if (self.set & allowed & SignalSet::SYNCHRONOUS).is_empty() {
                return None;
            }
            let i = self.list.iter().position(|e| {
                e.info.code() > code::SI_USER && SignalSet::SYNCHRONOUS.contains(e.sig)
            })?;
            Some(self.take(i))
        }

        /// Removes the entries `remove` selects; returns the ordinary ones freed, the
        /// timers unlinked (sorted) and the signals that lost an entry.
        fn remove(&mut self, remove: impl Fn(&Entry) -> bool) -> (usize, Vec<u32>, SignalSet) {
            let (mut freed, mut timers, mut hit) = (0, Vec::new(), SignalSet::EMPTY);
            self.list.retain(|e| {
                if !remove(e) {
                    return true;
                }
                hit.insert(e.sig);
                match e.timer {
                    Some(t) => timers.push(t),
                    None => freed += 1,
                }
                false
            });
            self.charged -= freed;
            timers.sort_unstable();
            (freed, timers, hit)
        }

        fn flush(&mut self, set: SignalSet) -> (usize, Vec<u32>) {
            let (freed, timers, _) = self.remove(|e| set.contains(e.sig));
            self.set = self.set - set;
            (freed, timers)
        }

        /// `__flush_itimer_signals`.
        fn flush_code(&mut self, code: i32) -> (usize, Vec<u32>) {
            let (freed, timers, hit) = self.remove(|e| e.info.code() == code);
            let mut retain = SignalSet::EMPTY;
            for e in &self.list {
                retain.insert(e.sig);
            }
            self.set = (self.set - hit) | retain;
            (freed, timers)
        }
    }

    #[derive(Debug, Clone)]
    enum Op {
        Put { sig: u32, kind: u8, value: u64 },
        Fire { timer: usize, value: u64 },
        Release { timer: usize },
        Dequeue { allowed: u64 },
        DequeueSync { allowed: u64 },
        Flush { set: u64 },
        FlushTimerCode,
        Shrink,
    }

    fn signo() -> impl Strategy<Value = u32> {
        prop_oneof![1u32..=64, Just(4), Just(7), Just(11), Just(31), 32u32..=35]
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            5 => (signo(), 0u8..7, any::<u64>()).prop_map(|(sig, kind, value)| Op::Put { sig, kind, value }),
            3 => (0..TIMERS, any::<u64>()).prop_map(|(timer, value)| Op::Fire { timer, value }),
            1 => (0..TIMERS).prop_map(|timer| Op::Release { timer }),
            3 => prop_oneof![Just(u64::MAX), any::<u64>()].prop_map(|allowed| Op::Dequeue { allowed }),
            2 => prop_oneof![Just(u64::MAX), any::<u64>()].prop_map(|allowed| Op::DequeueSync { allowed }),
            1 => any::<u64>().prop_map(|set| Op::Flush { set: set & set.rotate_left(7) }),
            1 => Just(Op::FlushTimerCode),
            1 => Just(Op::Shrink),
        ]
    }

    fn info(s: Signo, kind: u8, value: u64) -> Option<SignalInfo> {
        Some(match kind {
            0 => return None,
            1 => SignalInfo::user(s, value as i32, 1),
            2 => SignalInfo::queue(s, 1, 1, value),
            3 => SignalInfo::fault(s, 1 + (value % 3) as i32, value as usize),
            4 => SignalInfo::kernel(s),
            // A forged SI_TIMER (rt_sigqueueinfo allows it): exec flushes it too.
            5 => SignalInfo::timer(s, value as i32, 0, value),
            _ => {
                let mut b = [0u8; 128];
                for (k, byte) in b[4..48].iter_mut().enumerate() {
                    *byte = value.rotate_left(k as u32 * 5) as u8;
                }
                b[..4].copy_from_slice(&(s.get() as i32).to_ne_bytes());
                SignalInfo::from_bytes(b)
            }
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn store_with_timer_entries_matches_linux_list_model(
            limit in 0usize..6,
            timer_sigs in proptest::array::uniform3(signo()),
            ops in proptest::collection::vec(op(), 1..150),
        ) {
            let account = PendingLimit::new(limit);
            let mut store = PendingSignals::new();
            let mut model = Model {
                limit,
                set: SignalSet::EMPTY,
                list: Vec::new(),
                charged: 0,
            };
            // Per timer: its node (None once released) and whether it is queued.
            let mut nodes: [Option<u32>; TIMERS] = [None; TIMERS];
            let mut queued = [false; TIMERS];
            for (t, node) in nodes.iter_mut().enumerate() {
                *node = Some(store.alloc_owned(t as u32).unwrap());
            }
            let mut out = SignalInfo::ZERO;
            for op in ops {
                match op {
                    Op::Put { sig, kind, value } => {
                        let s = Signo::new(sig).unwrap();
                        let i = info(s, kind, value);
                        prop_assert_eq!(store.put(s, i.as_ref(), &account), model.put(s, i));
                    }
                    Op::Fire { timer, value } => {
                        let s = Signo::new(timer_sigs[timer]).unwrap();
                        let node = match nodes[timer] {
                            Some(n) => n,
                            None => store.alloc_owned(timer as u32).unwrap(),
                        };
                        nodes[timer] = Some(node);
                        if !queued[timer] {
                            let i = SignalInfo::timer(s, timer as i32, 0, value);
                            store.queue_owned(s, node, &i);
                            queued[timer] = true;
                            model.set.insert(s);
                            model.list.push(Entry { sig: s, info: i, timer: Some(timer as u32) });
                        }
                    }
                    Op::Release { timer } => {
                        if let (Some(node), false) = (nodes[timer], queued[timer]) {
                            store.release_owned(node);
                            nodes[timer] = None;
                        }
                    }
                    Op::Dequeue { allowed } => {
                        let allowed = SignalSet::from_bits(allowed);
                        let got = store.dequeue_into(allowed, &account, &mut out).map(|s| (s, out, store.take_timer_mark()));
                        let want = model.dequeue(allowed);
                        prop_assert_eq!(got, want);
                        if let Some((_, _, Some(t))) = want {
                            queued[t as usize] = false;
                        }
                    }
                    Op::DequeueSync { allowed } => {
                        let allowed = SignalSet::from_bits(allowed);
                        let got = store.dequeue_synchronous(allowed, &account, &mut out).map(|s| (s, out, store.take_timer_mark()));
                        prop_assert_eq!(got, model.dequeue_synchronous(allowed));
                    }
                    Op::Flush { set } => {
                        let set = SignalSet::from_bits(set);
                        let mut timers = Vec::new();
                        let freed = store.flush_with(set, &account, &mut |t| timers.push(t));
                        timers.sort_unstable();
                        let want = model.flush(set);
                        for &t in &want.1 {
                            queued[t as usize] = false;
                        }
                        prop_assert_eq!((freed, timers), want);
                    }
                    Op::FlushTimerCode => {
                        let mut timers = Vec::new();
                        let freed = store.flush_code(code::SI_TIMER, &account, &mut |t| timers.push(t));
                        timers.sort_unstable();
                        let want = model.flush_code(code::SI_TIMER);
                        for &t in &want.1 {
                            queued[t as usize] = false;
                        }
                        prop_assert_eq!((freed, timers), want);
                    }
                    Op::Shrink => {
                        store.shrink_if_idle();
                        let idle = model.charged == 0 && nodes.iter().all(Option::is_none);
                        prop_assert_eq!(store.heap_bytes() == 0, idle);
                    }
                }
                prop_assert_eq!(store.pending(), model.set);
                prop_assert_eq!(store.queued(), model.charged);
                prop_assert_eq!(account.queued(), model.charged);
                for n in 1..=64 {
                    let s = Signo::new(n).unwrap();
                    let want = model.list.iter().filter(|e| e.sig == s).count();
                    prop_assert_eq!(store.queued_for(s), want);
                }
            }
        }
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
