//! `timer_create`, `timer_getoverrun` and `timer_delete`: the parts of
//! kernel/time/posix-timers.c that are the signal side of a POSIX timer. The clock
//! (`timer_settime`, `timer_gettime`, expiry) stays the kernel's; its timer object
//! holds the [`PosixTimer`] made here.

use super::{Caller, SyscallRet, arg_int, encode};
use crate::errno::Errno;
use crate::thread::ThreadSignalManager;
use crate::timer::{PosixTimer, SIGEVENT_SIZE, SigEvent};
use crate::uaccess::UserMemory;
use crate::wait::WaitQueue;
use lock_api::RawMutex;

/// What [`PosixTimerTable::find_thread`] calls with the thread it found.
pub type ThreadVisitor<'f, W, R> = dyn FnMut(Option<&ThreadSignalManager<W, R>>) + 'f;

/// What [`PosixTimerTable::with_timer`] calls with the timer it found.
pub type TimerVisitor<'f, W, R> = dyn FnMut(&PosixTimer<W, R>) + 'f;

/// The caller's process's POSIX timers, as the kernel keeps them (Linux's
/// `signal->posix_timers` and the timer-id hash).
pub trait PosixTimerTable {
    /// The kernel's wait queue.
    type Wait: WaitQueue;
    /// The signal lock.
    type Lock: RawMutex;

    /// `clockid_to_kclock` for `timer_create`: EINVAL if `clock` names no clock,
    /// EOPNOTSUPP if its timers cannot be created.
    fn check_clock(&self, clock: i32) -> Result<(), Errno>;

    /// `posix_timer_add`: a timer id of the process not in use (0..=INT_MAX),
    /// reserved until [`PosixTimerTable::install`] or [`PosixTimerTable::free_id`];
    /// EAGAIN when none is left.
    fn alloc_id(&mut self) -> Result<i32, Errno>;

    /// Gives back an id from [`PosixTimerTable::alloc_id`] whose timer was not made.
    fn free_id(&mut self, id: i32);

    /// Calls `f` once with the thread of the caller's thread group whose id is
    /// `tid`, or with `None` (SIGEV_THREAD_ID's `find_vpid` + `same_thread_group`).
    fn find_thread(&self, tid: i32, f: &mut ThreadVisitor<'_, Self::Wait, Self::Lock>);

    /// `kc->timer_create` and the timer's entry in the process's list: the kernel
    /// makes its own disarmed timer for `clock` around `timer`, under id `id`. An
    /// error is returned as it is (the kernel then frees the id itself).
    fn install(
        &mut self,
        id: i32,
        clock: i32,
        timer: PosixTimer<Self::Wait, Self::Lock>,
    ) -> Result<(), Errno>;

    /// Calls `f` with timer `id` of the caller's process (`__lock_timer`); EINVAL
    /// if it has none.
    fn with_timer(
        &self,
        id: i32,
        f: &mut TimerVisitor<'_, Self::Wait, Self::Lock>,
    ) -> Result<(), Errno>;

    /// Removes timer `id` from the caller's process and cancels the kernel's timer
    /// (`posix_timer_delete` + `posix_timer_unhash_and_free`), handing back its
    /// signal side; `None` if there is no such timer.
    fn remove(&mut self, id: i32) -> Option<PosixTimer<Self::Wait, Self::Lock>>;
}

/// `timer_create(clockid, sevp, timerid)` ([rule 60]).
///
/// Order, as in Linux: a non-NULL `sevp` is copied in (EFAULT); the clock is
/// checked ([`PosixTimerTable::check_clock`]: EINVAL, EOPNOTSUPP); an id is
/// allocated and the timer's RLIMIT_SIGPENDING charge taken (EAGAIN; Linux charges
/// first, both fail with EAGAIN); `good_sigevent` (EINVAL); the id is written to
/// `timerid` (EFAULT, and the timer is gone); then the kernel's own timer is made
/// ([`PosixTimerTable::install`]). Returns 0.
///
/// Context: process context, on the calling thread; allocates.
///
/// [rule 60]: crate::docs::rules#rule-60
pub fn sys_timer_create<W, R, M, T>(
    caller: &Caller<'_, W, R>,
    mem: &mut M,
    timers: &mut T,
    clock: usize,
    sevp: usize,
    timerid: usize,
) -> SyscallRet
where
    W: WaitQueue,
    R: RawMutex,
    M: UserMemory + ?Sized,
    T: PosixTimerTable<Wait = W, Lock = R> + ?Sized,
{
    encode(|| {
        let event = if sevp != 0 {
            let mut b = [0u8; SIGEVENT_SIZE];
            mem.read(sevp, &mut b)?;
            Some(SigEvent::from_bytes(&b))
        } else {
            None
        };
        let clock = arg_int(clock);
        timers.check_clock(clock)?;
        let id = timers.alloc_id()?;
        let process = caller.thread.process();
        let made = match event {
            Some(ev) if ev.names_thread() => {
                let mut made = Err(Errno::EINVAL);
                timers.find_thread(ev.tid, &mut |thread| {
                    made = PosixTimer::create(process, id, Some(&ev), thread, None);
                });
                made
            }
            _ => PosixTimer::create(process, id, event.as_ref(), None, None),
        };
        let timer = match made {
            Ok(t) => t,
            Err(e) => {
                timers.free_id(id);
                return Err(e);
            }
        };
        if let Err(e) = mem.write(timerid, &id.to_ne_bytes()) {
            drop(timer);
            timers.free_id(id);
            return Err(e);
        }
        timers.install(id, clock, timer)?;
        Ok(0)
    })
}

/// `timer_getoverrun(timerid)` ([rule 61]): EINVAL if the caller's process has no
/// timer `timerid` (negative ids included); otherwise the overrun of its last
/// delivered signal, at most `INT_MAX`.
///
/// Context: process context, on the calling thread; never allocates or sleeps.
///
/// [rule 61]: crate::docs::rules#rule-61
pub fn sys_timer_getoverrun<T: PosixTimerTable + ?Sized>(timers: &T, timerid: usize) -> SyscallRet {
    encode(|| {
        let id = arg_int(timerid);
        if id < 0 {
            return Err(Errno::EINVAL);
        }
        let mut overrun = 0;
        timers.with_timer(id, &mut |t| overrun = t.overrun())?;
        Ok(overrun as usize)
    })
}

/// `timer_delete(timerid)` ([rule 62]): EINVAL if the caller's process has no timer
/// `timerid`; otherwise the timer is gone and 0 is returned. Its signal, if still
/// queued, is dropped by the dequeue that finds it.
///
/// Context: process context, on the calling thread; frees memory.
///
/// [rule 62]: crate::docs::rules#rule-62
pub fn sys_timer_delete<T: PosixTimerTable + ?Sized>(timers: &mut T, timerid: usize) -> SyscallRet {
    encode(|| {
        let id = arg_int(timerid);
        if id < 0 {
            return Err(Errno::EINVAL);
        }
        let timer = timers.remove(id).ok_or(Errno::EINVAL)?;
        timer.delete();
        Ok(0)
    })
}
