//! The signal side of POSIX timers (`timer_create` and friends) and of the
//! interval timers (`setitimer`, `alarm`), as Linux 6.18 does it
//! (kernel/signal.c's `posixtimer_*` functions, kernel/time/posix-timers.c,
//! kernel/time/itimer.c). The clock stays the kernel's: it arms, forwards and
//! cancels its own timers, and tells the crate when one expires.
//!
//! # POSIX timers
//! A [`PosixTimer`] is made at `timer_create` ([`PosixTimer::create`]): it takes one
//! RLIMIT_SIGPENDING charge for its whole life and one *preallocated* entry in the
//! queue its signal goes to (the shared queue for SIGEV_SIGNAL, the thread's private
//! queue for SIGEV_THREAD_ID), so an expiry never allocates and never fails with
//! EAGAIN ([rule 60]). On expiry the kernel calls [`PosixTimer::expire`], from its
//! timer interrupt: the entry is queued with an `SI_TIMER` siginfo (`si_tid` the
//! timer id, `si_value` the `sigev_value`), unless it is queued already: a timer's
//! signal is never pending twice.
//!
//! A periodic timer is **not** restarted by the kernel when it expires (Linux's
//! `posix_timer_fn` returns `HRTIMER_NORESTART`): its status becomes
//! [`TimerStatus::RequeuePending`], and when its signal is dequeued the crate calls
//! the kernel's [`TimerRearm::rearm`], which forwards the timer past now by whole
//! intervals, restarts it and returns how many intervals it moved. That count, less
//! one, is the signal's `si_overrun` and what `timer_getoverrun` returns until the
//! next delivery ([rule 61]). A signal queued before the timer was deleted or set
//! again is dropped when dequeued, and the dequeue goes on to the next signal
//! ([rule 62]). A periodic timer whose signal is ignored is parked, not rearmed, and
//! queued again when the signal's action stops being SIG_IGN ([rule 63]).
//!
//! # Interval timers
//! ITIMER_REAL, ITIMER_VIRTUAL and ITIMER_PROF send SIGALRM, SIGVTALRM and SIGPROF
//! to the process as the kernel itself (`SI_KERNEL`, Linux's `SEND_SIG_PRIV`):
//! [`crate::ProcessSignalManager::itimer_expired`]. A periodic ITIMER_REAL is
//! rearmed when SIGALRM is dequeued from the shared queue, through the callback
//! the kernel registers with
//! [`crate::ProcessSignalManager::set_itimer_real_rearm`] ([rule 64]).
//!
//! # Locks and contexts
//! A timer's signal state lives under its process's signal lock. The crate calls
//! [`TimerRearm::rearm`] from the dequeuing thread **with that lock held** (Linux
//! drops the signal lock and takes the timer's `it_lock` instead): the callback must
//! not take a lock the kernel holds while it calls [`PosixTimer::expire`] or sends a
//! signal, must not allocate, and must not sleep.
//!
//! [rule 60]: crate::docs::rules#rule-60
//! [rule 61]: crate::docs::rules#rule-61
//! [rule 62]: crate::docs::rules#rule-62
//! [rule 63]: crate::docs::rules#rule-63
//! [rule 64]: crate::docs::rules#rule-64

use crate::errno::Errno;
use crate::info::SignalInfo;
use crate::lock::DefaultRawMutex;
use crate::process::{ProcessSignalManager, TimerSpec};
use crate::signo::Signo;
use crate::thread::ThreadSignalManager;
use crate::wait::WaitQueue;
use alloc::sync::Arc;
use linux_raw_sys::general as abi;
use lock_api::RawMutex;

/// The kernel's half of a periodic timer: restarting it at delivery.
pub trait TimerRearm: Send + Sync {
    /// Forwards the expired timer past the current time by whole intervals,
    /// restarts it, and returns how many intervals its expiry moved (Linux's
    /// `hrtimer_forward`; at least 1 for a timer that expired). For ITIMER_REAL
    /// (`posixtimer_rearm_itimer`) the kernel does this only if the timer is not
    /// running and has an interval; the return value is not used.
    ///
    /// Context: called by the crate on the dequeuing thread, in process context,
    /// with the process's signal lock held (see the module docs): no allocation,
    /// no sleeping, no lock the kernel holds around [`PosixTimer::expire`].
    fn rearm(&self) -> u64;
}

/// A POSIX timer's state, as Linux's `it_status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimerStatus {
    /// Not armed (`POSIX_TIMER_DISARMED`): never set, set to zero, a one-shot that
    /// expired, or deleted.
    Disarmed,
    /// Armed and running (`POSIX_TIMER_ARMED`).
    Armed,
    /// A periodic timer that expired and waits for its signal's delivery to be
    /// rearmed (`POSIX_TIMER_REQUEUE_PENDING`). `timer_gettime` forwards it past
    /// now and reports the intervals with [`PosixTimer::add_overrun`]
    /// (`common_timer_get`).
    RequeuePending,
}

/// What [`PosixTimer::expire`] did (Linux's `trace_signal_generate` results).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimerFire {
    /// The entry was queued and a thread chosen (`TRACE_SIGNAL_DELIVERED`).
    Queued,
    /// The entry was still queued: nothing changed (`TRACE_SIGNAL_ALREADY_PENDING`).
    AlreadyPending,
    /// The signal is ignored: a periodic timer is parked on the ignored list, a
    /// one-shot's signal is dropped (`TRACE_SIGNAL_IGNORED`, [rule 63]).
    ///
    /// [rule 63]: crate::docs::rules#rule-63
    Ignored,
    /// No target: SIGEV_NONE, the target thread has exited, or the group has no
    /// thread left.
    NoTarget,
    /// The timer was deleted.
    Deleted,
}

/// `sizeof(struct sigevent)`.
pub const SIGEVENT_SIZE: usize = abi::SIGEV_MAX_SIZE as usize;
/// `SIGEV_SIGNAL`: a process-directed signal.
pub const SIGEV_SIGNAL: i32 = abi::SIGEV_SIGNAL as i32;
/// `SIGEV_NONE`: no signal.
pub const SIGEV_NONE: i32 = abi::SIGEV_NONE as i32;
/// `SIGEV_THREAD`: for the kernel, the same as SIGEV_SIGNAL (the C library
/// starts the thread).
pub const SIGEV_THREAD: i32 = abi::SIGEV_THREAD as i32;
/// `SIGEV_THREAD_ID`: a signal to one thread of the caller's group.
pub const SIGEV_THREAD_ID: i32 = abi::SIGEV_THREAD_ID as i32;

// Offsets in the 64-bit `struct sigevent` (include/uapi/asm-generic/siginfo.h).
const OFF_VALUE: usize = 0;
const OFF_SIGNO: usize = 8;
const OFF_NOTIFY: usize = 12;
const OFF_TID: usize = 16;

/// A `struct sigevent` as copied in by `timer_create`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigEvent {
    /// `sigev_value` (`sival_ptr`-wide).
    pub value: u64,
    /// `sigev_signo`.
    pub signo: i32,
    /// `sigev_notify`.
    pub notify: i32,
    /// `sigev_notify_thread_id` (`_sigev_un._tid`), read for SIGEV_THREAD_ID.
    pub tid: i32,
}

impl SigEvent {
    /// Decodes the 64 bytes of a user `struct sigevent` (any bytes are valid).
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn from_bytes(b: &[u8; SIGEVENT_SIZE]) -> SigEvent {
        let i32_at = |o: usize| i32::from_ne_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
        let mut v = [0u8; 8];
        v.copy_from_slice(&b[OFF_VALUE..OFF_VALUE + 8]);
        SigEvent {
            value: u64::from_ne_bytes(v),
            signo: i32_at(OFF_SIGNO),
            notify: i32_at(OFF_NOTIFY),
            tid: i32_at(OFF_TID),
        }
    }

    /// Encodes it as a user `struct sigevent` (the rest of the union zero).
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn to_bytes(&self) -> [u8; SIGEVENT_SIZE] {
        let mut b = [0u8; SIGEVENT_SIZE];
        b[OFF_VALUE..OFF_VALUE + 8].copy_from_slice(&self.value.to_ne_bytes());
        b[OFF_SIGNO..OFF_SIGNO + 4].copy_from_slice(&self.signo.to_ne_bytes());
        b[OFF_NOTIFY..OFF_NOTIFY + 4].copy_from_slice(&self.notify.to_ne_bytes());
        b[OFF_TID..OFF_TID + 4].copy_from_slice(&self.tid.to_ne_bytes());
        b
    }

    /// What `timer_create` with a NULL `sevp` means (`do_timer_create`):
    /// SIGEV_SIGNAL, SIGALRM, and `sival_int` the timer id.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn default_for(id: i32) -> SigEvent {
        SigEvent {
            value: id as u32 as u64,
            signo: Signo::SIGALRM.get() as i32,
            notify: SIGEV_SIGNAL,
            tid: 0,
        }
    }

    /// Whether the event names a thread (`sigev_notify` is SIGEV_THREAD_ID), whose
    /// manager [`PosixTimer::create`] then needs.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn names_thread(&self) -> bool {
        self.notify == (SIGEV_SIGNAL | SIGEV_THREAD_ID)
    }
}

/// `good_sigevent` ([rule 60]): where the timer's signal goes, or EINVAL. `thread`
/// is the thread the kernel found for `sigev_notify_thread_id` (only asked for
/// SIGEV_THREAD_ID); it must belong to `process`.
fn good_sigevent<W: WaitQueue, R: RawMutex>(
    process: &Arc<ProcessSignalManager<W, R>>,
    event: &SigEvent,
    thread: Option<&ThreadSignalManager<W, R>>,
) -> Result<(Option<Option<u32>>, Signo), Errno> {
    let signo = || {
        if event.signo <= 0 {
            return Err(Errno::EINVAL);
        }
        Signo::new(event.signo as u32).map_err(|_| Errno::EINVAL)
    };
    match event.notify {
        n if n == SIGEV_SIGNAL | SIGEV_THREAD_ID => {
            let t = thread
                .filter(|t| Arc::ptr_eq(t.process(), process) && t.tid() == event.tid)
                .ok_or(Errno::EINVAL)?;
            Ok((Some(Some(t.slot())), signo()?))
        }
        SIGEV_SIGNAL | SIGEV_THREAD => Ok((Some(None), signo()?)),
        // The signal number of a SIGEV_NONE timer is never checked nor used.
        SIGEV_NONE => Ok((None, Signo::SIGALRM)),
        _ => Err(Errno::EINVAL),
    }
}

/// One POSIX timer's signal side, owned by the kernel's timer object. Dropping it
/// deletes the timer ([`PosixTimer::delete`]).
pub struct PosixTimer<W: WaitQueue, R: RawMutex = DefaultRawMutex> {
    process: Arc<ProcessSignalManager<W, R>>,
    index: u32,
    id: i32,
}

impl<W: WaitQueue, R: RawMutex> PosixTimer<W, R> {
    /// `timer_create`'s signal side for timer `id` of `process`, in Linux's order:
    /// the RLIMIT_SIGPENDING charge (EAGAIN over the caller's limit, [rule 60]); the
    /// checks of `good_sigevent` on `event` (`None` for a NULL `sevp`: SIGALRM to
    /// the process with the id as value), all EINVAL: `sigev_notify` not one of
    /// SIGEV_NONE, SIGEV_SIGNAL, SIGEV_THREAD, SIGEV_SIGNAL|SIGEV_THREAD_ID; for
    /// SIGEV_THREAD_ID, `thread` (the kernel's lookup of `sigev_notify_thread_id`)
    /// missing or not in `process`; `sigev_signo` outside 1..=64 (SIGEV_NONE is
    /// not checked); then the preallocated entry (ENOMEM). On error nothing is
    /// left charged or allocated. The timer starts disarmed.
    ///
    /// Context: process context (`timer_create`): allocates; takes the signal lock.
    ///
    /// [rule 60]: crate::docs::rules#rule-60
    pub fn create(
        process: &Arc<ProcessSignalManager<W, R>>,
        id: i32,
        event: Option<&SigEvent>,
        thread: Option<&ThreadSignalManager<W, R>>,
        rearm: Option<Arc<dyn TimerRearm>>,
    ) -> Result<PosixTimer<W, R>, Errno> {
        let default = SigEvent::default_for(id);
        let event = event.unwrap_or(&default);
        let limit = &**process.limit();
        let mut st = process.state.lock();
        st.timer_charge(limit)?;
        let (target, sig) = match good_sigevent(process, event, thread) {
            Ok(t) => t,
            Err(e) => {
                limit.uncharge(1);
                return Err(e);
            }
        };
        let spec = TimerSpec {
            id,
            sig,
            value: event.value,
            target,
        };
        let index = match st.timer_create(limit, spec, rearm) {
            Ok(i) => i,
            Err(e) => {
                limit.uncharge(1);
                return Err(e);
            }
        };
        drop(st);
        Ok(PosixTimer {
            process: process.clone(),
            index,
            id,
        })
    }

    /// The timer id (`si_tid` of its signals).
    ///
    /// Context: any, interrupt context included; takes no lock and never allocates.
    pub fn id(&self) -> i32 {
        self.id
    }

    /// Replaces the kernel's rearm callback (for example once the kernel's own
    /// timer object exists).
    ///
    /// Context: process context; takes the signal lock; frees the old callback.
    pub fn set_rearm(&self, rearm: Option<Arc<dyn TimerRearm>>) {
        let old = {
            let mut st = self.process.state.lock();
            let old = st.timer_rearm(self.index);
            st.timer_set_rearm(self.index, rearm);
            old
        };
        drop(old);
    }

    /// The timer expired (`posix_timer_fn` → `posix_timer_queue_signal` →
    /// `posixtimer_send_sigqueue`): a periodic timer becomes
    /// [`TimerStatus::RequeuePending`] (the kernel does not restart it), a one-shot
    /// [`TimerStatus::Disarmed`]; then the preallocated entry is queued unless it
    /// is already, with `prepare_signal`'s stop/continue effects, and a thread is
    /// chosen and woken as for any signal ([rule 60], [rule 63]).
    ///
    /// Context: any, interrupt context included (the kernel's timer interrupt):
    /// takes the signal lock, never allocates, never sleeps.
    ///
    /// [rule 60]: crate::docs::rules#rule-60
    /// [rule 63]: crate::docs::rules#rule-63
    pub fn expire(&self) -> TimerFire {
        let p = &*self.process;
        p.state.lock().timer_expire(&p.common, self.index)
    }

    /// `timer_settime`'s signal side (`do_timer_settime` + `common_timer_set`): a
    /// signal of this timer still queued will be dropped when dequeued
    /// ([rule 62]), the overrun counts restart, and the timer is `armed` (a
    /// non-zero `it_value`) and `periodic` (a non-zero `it_interval`) or not. A
    /// SIGEV_NONE timer never counts as armed.
    ///
    /// Context: process context, or any context the kernel sets timers from: takes
    /// the signal lock, never allocates.
    ///
    /// [rule 62]: crate::docs::rules#rule-62
    pub fn set(&self, armed: bool, periodic: bool) {
        self.process
            .state
            .lock()
            .timer_set(self.index, armed, periodic);
    }

    /// The timer's status (`it_status`).
    ///
    /// Context: any, interrupt context included with the `kspin` feature's lock;
    /// takes the signal lock briefly, never allocates or sleeps.
    pub fn status(&self) -> TimerStatus {
        self.process.state.lock().timer_status(self.index)
    }

    /// `timer_gettime` forwarded a timer that was not [`TimerStatus::Armed`] by
    /// `intervals` (`common_timer_get` adds them to `it_overrun`).
    ///
    /// Context: as [`PosixTimer::status`].
    pub fn add_overrun(&self, intervals: u64) {
        self.process
            .state
            .lock()
            .timer_add_overrun(self.index, intervals);
    }

    /// `timer_getoverrun`: the overrun of the last delivered signal, at most
    /// `INT_MAX` (`timer_overrun_to_int`, [rule 61]).
    ///
    /// Context: as [`PosixTimer::status`].
    ///
    /// [rule 61]: crate::docs::rules#rule-61
    pub fn overrun(&self) -> i32 {
        self.process.state.lock().timer_overrun(self.index)
    }

    /// `timer_delete`'s signal side (`posix_timer_delete`): the timer is invalid;
    /// its signal, if queued, stays in the pending set until a dequeue finds it and
    /// drops it ([rule 62]); its charge and entry are given back when nothing refers
    /// to them any more. The kernel cancels its own timer.
    ///
    /// Context: process context; takes the signal lock; frees the rearm callback.
    ///
    /// [rule 62]: crate::docs::rules#rule-62
    pub fn delete(self) {
        drop(self);
    }
}

impl<W: WaitQueue, R: RawMutex> Drop for PosixTimer<W, R> {
    fn drop(&mut self) {
        let p = &*self.process;
        let rearm = {
            let mut st = p.state.lock();
            let rearm = st.timer_rearm(self.index);
            st.timer_delete(self.index, &p.common.limit);
            rearm
        };
        drop(rearm);
    }
}

impl<W: WaitQueue, R: RawMutex> core::fmt::Debug for PosixTimer<W, R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PosixTimer").field("id", &self.id).finish()
    }
}

/// The three interval timers of `setitimer`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Itimer {
    /// `ITIMER_REAL`: wall-clock time, SIGALRM (also `alarm`).
    Real,
    /// `ITIMER_VIRTUAL`: user CPU time of the process, SIGVTALRM.
    Virtual,
    /// `ITIMER_PROF`: user and system CPU time of the process, SIGPROF.
    Prof,
}

impl Itimer {
    /// `which` of `getitimer`/`setitimer`; anything else is EINVAL.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn from_raw(which: i32) -> Result<Itimer, Errno> {
        match which {
            w if w == abi::ITIMER_REAL as i32 => Ok(Itimer::Real),
            w if w == abi::ITIMER_VIRTUAL as i32 => Ok(Itimer::Virtual),
            w if w == abi::ITIMER_PROF as i32 => Ok(Itimer::Prof),
            _ => Err(Errno::EINVAL),
        }
    }

    /// The signal it sends ([rule 64]).
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    ///
    /// [rule 64]: crate::docs::rules#rule-64
    pub fn signal(self) -> Signo {
        match self {
            Itimer::Real => Signo::SIGALRM,
            Itimer::Virtual => Signo::SIGVTALRM,
            Itimer::Prof => Signo::SIGPROF,
        }
    }

    /// The siginfo it sends: `SI_KERNEL`, no sender (Linux's `SEND_SIG_PRIV` in
    /// `it_real_fn` and `check_cpu_itimer`).
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn siginfo(self) -> SignalInfo {
        SignalInfo::kernel(self.signal())
    }
}
