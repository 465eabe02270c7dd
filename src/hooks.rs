//! [`SignalHooks`] and what it is built from; the design notes are on [`SignalHooks`].

use crate::halflock::HalfLock;
use crate::lock::DefaultRawMutex;
use crate::pidtype::PidType;
use crate::set::SignalSet;
use crate::signo::Signo;
use crate::sync::{AtomicU64, Ordering};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;
use lock_api::RawMutex;

/// What a hook learns about a generated signal. New fields may be added; build it
/// with [`HookEvent::new`] and the `with_*` methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct HookEvent {
    /// The signal.
    pub signo: Signo,
    /// `si_code` (`SI_USER`, `SI_QUEUE`, `SI_KERNEL`, a fault code...).
    pub code: i32,
    /// The sender's pid (0 for the kernel).
    pub sender_pid: i32,
    /// The sender's real uid.
    pub sender_uid: u32,
    /// `si_value` (`sigqueue`), or 0.
    pub value: u64,
    /// Thread-directed ([`PidType::Pid`]) or process-directed ([`PidType::Tgid`]).
    pub target: PidType,
}

impl HookEvent {
    /// An event for `signo` sent to `target`, with code, sender and value 0.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn new(signo: Signo, target: PidType) -> HookEvent {
        HookEvent {
            signo,
            code: 0,
            sender_pid: 0,
            sender_uid: 0,
            value: 0,
            target,
        }
    }

    /// With `si_code`.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn with_code(self, code: i32) -> HookEvent {
        HookEvent { code, ..self }
    }

    /// With the sender's pid and uid.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn with_sender(self, pid: i32, uid: u32) -> HookEvent {
        HookEvent {
            sender_pid: pid,
            sender_uid: uid,
            ..self
        }
    }

    /// With `si_value`.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn with_value(self, value: u64) -> HookEvent {
        HookEvent { value, ..self }
    }
}

/// A hook: called with the signal and the event, possibly in interrupt context.
pub type Hook = Arc<dyn Fn(Signo, &HookEvent) + Send + Sync>;

/// Names one registration, to [`SignalHooks::unregister`] it. Handles are unique
/// across every [`SignalHooks`], so one is never mistaken for another's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HookHandle(u64);

/// Why a hook could not be registered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HookError {
    /// The new hook list could not be allocated.
    OutOfMemory,
}

impl fmt::Display for HookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HookError::OutOfMemory => f.write_str("out of memory registering a signal hook"),
        }
    }
}

/// Source of [`HookHandle`]s. Only uniqueness matters, so `core`'s atomic is used
/// even under loom.
static NEXT_HANDLE: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(1);

#[derive(Clone)]
struct Registered {
    handle: HookHandle,
    signals: SignalSet,
    hook: Hook,
}

/// The hooks observing signal generation for one process (or for the whole system,
/// where the kernel keeps one).
///
/// ```
/// use ksignal::{HookEvent, PidType, SignalHooks, SignalSet, Signo};
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU32, Ordering};
///
/// let hooks: SignalHooks = SignalHooks::new();
/// let seen = Arc::new(AtomicU32::new(0));
/// let s = seen.clone();
/// let handle = hooks
///     .register(
///         SignalSet::single(Signo::SIGKILL),
///         Arc::new(move |signo: Signo, _: &HookEvent| s.store(signo.get(), Ordering::Relaxed)),
///     )
///     .expect("out of memory");
/// hooks.run(Signo::SIGKILL, &HookEvent::new(Signo::SIGKILL, PidType::Tgid));
/// assert_eq!(seen.load(Ordering::Relaxed), 9);
/// assert!(hooks.unregister(handle));
/// ```
///
/// Capacity rule that keeps unregistering allocation-free: the spare list can always
/// hold one fewer hook than the published one (both lists keep their capacity, and
/// each publish retires a list at least as long as the next one minus one).
///
/// # Design notes
///
/// Kernel-side hooks on signal generation: subsystems that must observe a signal sent
/// to a process (a signalfd-style reader to wake, a tracer, an audit log) register a
/// hook for a set of signals and get a [`HookHandle`] back.
///
/// - Hooks observe only: they get `(Signo, &HookEvent)` and cannot change what
///   happens to the signal. SIGKILL and SIGSTOP can be observed like any other.
/// - [`SignalHooks::run`] calls the hooks of a signal in registration order, from
///   any context, interrupts included: it reads the hook list through a
///   [`HalfLock`], so it takes no lock, allocates nothing and never waits, and it only
///   borrows the hooks, so no `Arc` is ever dropped there.
/// - Registering allocates (process context only) and reports failure as
///   [`HookError::OutOfMemory`] instead of aborting. Unregistering never allocates.
///   Both wait for running hooks to finish with the old list and drop the retired
///   references afterwards, in the writer's context.
///
/// A hook must be short and must not block, sleep, or register or unregister hooks on
/// the same [`SignalHooks`]: it runs inside a read section, and a writer waiting for
/// that section from inside it would wait forever (see [`HalfLock`](crate::HalfLock)).
pub struct SignalHooks<R: RawMutex = DefaultRawMutex> {
    list: HalfLock<Vec<Registered>, R>,
    /// Union of the registered sets, so that `run` for an unobserved signal returns
    /// after one load.
    observed: AtomicU64,
}

impl<R: RawMutex> Default for SignalHooks<R> {
    fn default() -> SignalHooks<R> {
        SignalHooks::new()
    }
}

impl<R: RawMutex> fmt::Debug for SignalHooks<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignalHooks")
            .field("observed", &self.observed())
            .finish_non_exhaustive()
    }
}

impl<R: RawMutex> SignalHooks<R> {
    /// No hook.
    ///
    /// Context: any; allocates nothing.
    pub fn new() -> SignalHooks<R> {
        SignalHooks {
            list: HalfLock::new(Vec::new(), Vec::new()),
            observed: AtomicU64::new(0),
        }
    }

    /// The signals at least one hook observes.
    ///
    /// Context: any, interrupt context included; takes no lock and never allocates.
    pub fn observed(&self) -> SignalSet {
        SignalSet::from_bits(self.observed.load(Ordering::Relaxed))
    }

    /// Registers `hook` for `signals`; it runs after every hook registered before it.
    /// Context: process context only: allocates, and waits for running hooks to
    /// finish.
    pub fn register(&self, signals: SignalSet, hook: Hook) -> Result<HookHandle, HookError> {
        let handle = HookHandle(NEXT_HANDLE.fetch_add(1, Ordering::Relaxed));
        let entry = Registered {
            handle,
            signals,
            hook,
        };
        let mut writer = self.list.write();
        writer.modify(|now, spare| {
            spare.clear();
            spare
                .try_reserve(now.len() + 1)
                .map_err(|_| HookError::OutOfMemory)?;
            spare.extend(now.iter().cloned());
            spare.push(entry);
            Ok(())
        })?;
        self.publish(&mut writer);
        Ok(handle)
    }

    /// Removes the hook `handle` names; returns whether it was registered here.
    /// Never allocates; waits for running hooks to finish before dropping it.
    ///
    /// Context: process context; takes the hooks' writer lock and waits for running
    /// hooks to finish. Never allocates.
    pub fn unregister(&self, handle: HookHandle) -> bool {
        self.remove_where(|r| r.handle == handle) != 0
    }

    /// Removes every hook whose set contains `signo` (also for the other signals it
    /// observed); returns how many were removed. Never allocates.
    ///
    /// Context: process context; takes the hooks' writer lock and waits for running
    /// hooks to finish. Never allocates.
    pub fn unregister_signal(&self, signo: Signo) -> usize {
        self.remove_where(|r| r.signals.contains(signo))
    }

    fn remove_where(&self, doomed: impl Fn(&Registered) -> bool) -> usize {
        let mut writer = self.list.write();
        let removed = writer.modify(|now, spare| {
            let removed = now.iter().filter(|r| doomed(r)).count();
            if removed != 0 {
                spare.clear();
                // Capacity rule: `spare` holds `now.len() - 1` without allocating.
                debug_assert!(spare.capacity() >= now.len() - removed);
                spare.extend(now.iter().filter(|r| !doomed(r)).cloned());
            }
            removed
        });
        if removed != 0 {
            self.publish(&mut writer);
        }
        removed
    }

    /// Publishes the spare list, updates `observed`, and drops the retired list's
    /// references once no hook can still be running from it.
    fn publish(&self, writer: &mut crate::halflock::HalfLockWriter<'_, Vec<Registered>, R>) {
        writer.publish();
        writer.modify(|now, retired| {
            let observed = now.iter().fold(SignalSet::EMPTY, |acc, r| acc | r.signals);
            self.observed.store(observed.bits(), Ordering::Relaxed);
            retired.clear();
        });
    }

    /// Calls every hook registered for `signo`, in registration order. Any context:
    /// no lock, no allocation, no wait (beyond what the hooks themselves do).
    #[inline]
    pub fn run(&self, signo: Signo, event: &HookEvent) {
        if !self.observed().contains(signo) {
            return;
        }
        self.list.read(|hooks| {
            for r in hooks.iter().filter(|r| r.signals.contains(signo)) {
                (r.hook)(signo, event);
            }
        });
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    extern crate std;
    use super::*;
    use std::sync::Mutex;
    use std::vec;

    type Hooks = SignalHooks;
    type Log = Arc<Mutex<Vec<(u32, u32)>>>;

    fn recorder(log: &Log, tag: u32) -> Hook {
        let log = log.clone();
        Arc::new(move |signo: Signo, _: &HookEvent| log.lock().unwrap().push((tag, signo.get())))
    }

    fn event(signo: Signo) -> HookEvent {
        HookEvent::new(signo, PidType::Tgid)
    }

    fn fire(hooks: &SignalHooks, signo: Signo) {
        hooks.run(signo, &event(signo));
    }

    #[test]
    fn hooks_run_in_registration_order() {
        let (hooks, log) = (Hooks::new(), Log::default());
        for tag in 0..3 {
            hooks
                .register(SignalSet::single(Signo::SIGUSR1), recorder(&log, tag))
                .unwrap();
        }
        fire(&hooks, Signo::SIGUSR1);
        assert_eq!(*log.lock().unwrap(), [(0, 10), (1, 10), (2, 10)]);
    }

    #[test]
    fn hooks_see_only_the_signals_they_registered_for() {
        let (hooks, log) = (Hooks::new(), Log::default());
        let set = SignalSet::single(Signo::SIGKILL) | SignalSet::single(Signo::SIGSTOP);
        hooks.register(set, recorder(&log, 7)).unwrap();
        fire(&hooks, Signo::SIGTERM);
        fire(&hooks, Signo::SIGKILL);
        fire(&hooks, Signo::SIGSTOP);
        assert_eq!(*log.lock().unwrap(), [(7, 9), (7, 19)]);
        assert_eq!(hooks.observed(), set);
    }

    #[test]
    fn unregister_removes_exactly_that_hook() {
        let (hooks, log) = (Hooks::new(), Log::default());
        let usr1 = SignalSet::single(Signo::SIGUSR1);
        let handles: Vec<_> = (0..3)
            .map(|tag| hooks.register(usr1, recorder(&log, tag)).unwrap())
            .collect();
        assert!(hooks.unregister(handles[1]));
        assert!(!hooks.unregister(handles[1]), "already gone");
        fire(&hooks, Signo::SIGUSR1);
        assert_eq!(*log.lock().unwrap(), [(0, 10), (2, 10)]);
        assert!(hooks.unregister(handles[0]) && hooks.unregister(handles[2]));
        assert!(hooks.observed().is_empty());
    }

    #[test]
    fn a_handle_from_another_hook_table_removes_nothing() {
        let (a, b, log) = (Hooks::new(), Hooks::new(), Log::default());
        let h = a.register(SignalSet::ALL, recorder(&log, 0)).unwrap();
        b.register(SignalSet::ALL, recorder(&log, 1)).unwrap();
        assert!(!b.unregister(h));
        assert!(a.unregister(h));
    }

    #[test]
    fn unregister_signal_removes_every_hook_observing_it() {
        let (hooks, log) = (Hooks::new(), Log::default());
        let int = SignalSet::single(Signo::SIGINT);
        let term = SignalSet::single(Signo::SIGTERM);
        hooks.register(int, recorder(&log, 0)).unwrap();
        hooks.register(int | term, recorder(&log, 1)).unwrap();
        hooks.register(term, recorder(&log, 2)).unwrap();
        assert_eq!(hooks.unregister_signal(Signo::SIGINT), 2);
        assert_eq!(hooks.unregister_signal(Signo::SIGINT), 0);
        fire(&hooks, Signo::SIGINT);
        fire(&hooks, Signo::SIGTERM);
        assert_eq!(*log.lock().unwrap(), [(2, 15)]);
    }

    #[test]
    fn hooks_get_the_event_as_sent() {
        let seen = Arc::new(Mutex::new(None));
        let hooks = Hooks::new();
        let s = seen.clone();
        hooks
            .register(
                SignalSet::ALL,
                Arc::new(move |_: Signo, e: &HookEvent| *s.lock().unwrap() = Some(*e)),
            )
            .unwrap();
        let e = HookEvent::new(Signo::SIGRTMIN, PidType::Pid)
            .with_code(-1)
            .with_sender(42, 1000)
            .with_value(0xfeed);
        hooks.run(Signo::SIGRTMIN, &e);
        assert_eq!(*seen.lock().unwrap(), Some(e));
    }

    #[test]
    fn unregistering_drops_the_hook_once_no_reader_holds_it() {
        let (hooks, log) = (Hooks::new(), Log::default());
        let hook = recorder(&log, 0);
        let h = hooks
            .register(SignalSet::single(Signo::SIGHUP), hook.clone())
            .unwrap();
        assert!(Arc::strong_count(&hook) > 1);
        hooks.unregister(h);
        assert_eq!(Arc::strong_count(&hook), 1, "retired references dropped");
    }

    #[test]
    fn registration_churn_keeps_unregister_allocation_free() {
        // Exercises the capacity rule's debug assertion through grow/shrink cycles.
        let hooks = Hooks::new();
        let noop: Hook = Arc::new(|_: Signo, _: &HookEvent| {});
        let mut live = vec![];
        for round in 0..6 {
            for _ in 0..round {
                live.push(hooks.register(SignalSet::ALL, noop.clone()).unwrap());
            }
            for _ in 0..(round / 2 + 1).min(live.len()) {
                assert!(hooks.unregister(live.pop().unwrap()));
            }
        }
    }

    #[test]
    fn concurrent_runs_see_whole_lists_while_hooks_come_and_go() {
        use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
        let hooks = Arc::new(Hooks::new());
        let calls = Arc::new(AtomicUsize::new(0));
        let c = calls.clone();
        let always: Hook = Arc::new(move |_: Signo, _: &HookEvent| {
            c.fetch_add(1, Relaxed);
        });
        hooks.register(SignalSet::ALL, always).unwrap();
        let runner = {
            let hooks = hooks.clone();
            std::thread::spawn(move || {
                for _ in 0..50 {
                    fire(&hooks, Signo::SIGCHLD);
                }
            })
        };
        for _ in 0..20 {
            let h = hooks
                .register(SignalSet::ALL, Arc::new(|_: Signo, _: &HookEvent| {}))
                .unwrap();
            hooks.unregister(h);
        }
        runner.join().unwrap();
        assert_eq!(
            calls.load(Relaxed),
            50,
            "the first hook ran on every signal"
        );
    }
}
