//! Restart blocks: how a system call that a signal interrupted resumes where it
//! stopped, through `restart_syscall` (Linux's `struct restart_block`,
//! include/linux/restart_block.h, and `SYSCALL_DEFINE0(restart_syscall)`).
//!
//! A sleeping call that must not simply start over (its time would start again)
//! records in the thread's [`RestartBlock`] how to go on (an absolute deadline, the
//! user pointers it needs) and returns `-ERESTART_RESTARTBLOCK`
//! ([`ThreadSignalManager::set_restart_fn`]). On the way back to user space
//! ([`crate::do_signal`], [rule 49]):
//! - if a handler runs, the call returns `-EINTR` (and `rt_sigreturn` then resets
//!   the block to "no restart", [rule 57]);
//! - if no handler runs (nothing pending any more, an ignored signal, a stop and a
//!   SIGCONT), the return register gets the first argument back, the pc goes back
//!   over the system-call instruction and the number register is loaded with the
//!   architecture's `restart_syscall` ([`crate::frame::ArchFrame::NR_RESTART_SYSCALL`]): the
//!   thread re-enters the kernel in [`sys_restart_syscall`], which calls the kernel
//!   back with the block ([rule 56]).
//!
//! The block holds an absolute deadline, so a sleep resumed after a stop ends when it
//! would have ended without the stop (the time the thread was stopped counts):
//! `nanosleep(2 s)` stopped for 0.5 s still returns after 2 s ([rule 58]).
//!
//! What the crate does and what the kernel does:
//! - the kernel sleeps; when a signal wakes a sleep early it calls
//!   [`nanosleep_interrupted`] (nanosleep, clock_nanosleep), or
//!   [`ThreadSignalManager::set_restart_fn`] with a [`FutexRestart`] or
//!   [`PollRestart`] (futex wait with a timeout, poll), and returns what they return;
//! - the kernel's `restart_syscall` entry calls [`sys_restart_syscall`] with a
//!   [`RestartHandler`], whose methods redo the sleep from the block.
//!
//! Times are nanoseconds on the block's clock, as Linux's `ktime_t`: the crate reads
//! no clock; the kernel passes the time it read ("now") where one is needed.
//!
//! A new [`ThreadSignalManager`] starts with [`RestartBlock::None`]. Linux's `fork`
//! copies the whole task, restart block included (`dup_task_struct`); a kernel that
//! wants that copies it into the child's manager with
//! [`ThreadSignalManager::set_restart_block`]. It only matters to a child that calls
//! `restart_syscall` itself.
//!
//! [rule 49]: crate::docs::rules#rule-49
//! [rule 56]: crate::docs::rules#rule-56
//! [rule 57]: crate::docs::rules#rule-57
//! [rule 58]: crate::docs::rules#rule-58
//! [`sys_restart_syscall`]: crate::syscall::sys_restart_syscall

use crate::errno::Errno;
use crate::thread::ThreadSignalManager;
use crate::uaccess::UserMemory;
use crate::wait::WaitQueue;
use lock_api::RawMutex;

/// How a nanosleep reports the time left (Linux's `enum timespec_type`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum TimeType {
    /// `TT_NONE`: no `rmtp` (NULL, or an absolute `clock_nanosleep`): nothing is
    /// written.
    #[default]
    None,
    /// `TT_NATIVE`: a 64-bit `struct __kernel_timespec` (`tv_sec` and `tv_nsec`,
    /// both 64 bits).
    Native,
    /// `TT_COMPAT`: a 32-bit `struct old_timespec32` (`tv_sec` and `tv_nsec`, both
    /// 32 bits), for a 32-bit task.
    Compat,
}

/// A sleep of `nanosleep` or `clock_nanosleep` to resume (Linux's
/// `restart_block.nanosleep`, resumed by `hrtimer_nanosleep_restart` and the clocks'
/// own `nsleep_restart`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct NanosleepRestart {
    /// The clock (`clockid_t`): `CLOCK_MONOTONIC` for `nanosleep`.
    pub clockid: i32,
    /// When the sleep ends: absolute, in nanoseconds on `clockid`.
    pub expires: u64,
    /// Where the time left is written (`rmtp`), as [`NanosleepRestart::time_type`]
    /// says.
    pub rmtp: usize,
    /// The layout of `*rmtp`, or [`TimeType::None`] for no `rmtp`.
    pub time_type: TimeType,
}

/// A futex wait with a timeout to resume (Linux's `restart_block.futex`, resumed by
/// `futex_wait_restart`). A wait without a timeout is not resumed through a block:
/// it returns `-ERESTARTSYS` and starts over.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct FutexRestart {
    /// The futex word (`uaddr`).
    pub uaddr: usize,
    /// The value the word must still hold (`val`).
    pub val: u32,
    /// The wake-up bitset (`FUTEX_BITSET_MATCH_ANY` for a plain `FUTEX_WAIT`).
    pub bitset: u32,
    /// The kernel's own futex flags (private or shared, clock, size); the crate keeps
    /// them for the kernel and reads nothing in them.
    pub flags: u32,
    /// When the wait ends: absolute, in nanoseconds on the futex's clock (Linux sets
    /// `FLAGS_HAS_TIMEOUT` with it).
    pub deadline: u64,
}

/// A `poll` to resume (Linux's `restart_block.poll`, resumed by `do_restart_poll`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PollRestart {
    /// The user array of `struct pollfd` (`ufds`).
    pub ufds: usize,
    /// Its length (`nfds`).
    pub nfds: u32,
    /// When the poll ends: absolute, in nanoseconds on `CLOCK_MONOTONIC`; `None` for
    /// a poll without a timeout (a negative `timeout_msecs`, `has_timeout == 0`).
    pub deadline: Option<u64>,
}

/// What `restart_syscall` does for this thread (Linux's `restart_block.fn` with the
/// union member it reads).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum RestartBlock {
    /// `do_no_restart_syscall`: `restart_syscall` returns `-EINTR`.
    #[default]
    None,
    /// Resume a `nanosleep` / `clock_nanosleep`.
    Nanosleep(NanosleepRestart),
    /// Resume a futex wait with a timeout.
    FutexWait(FutexRestart),
    /// Resume a `poll`.
    Poll(PollRestart),
}

/// The kernel's side of `restart_syscall`: redoes the call a [`RestartBlock`]
/// describes. Called by [`crate::syscall::sys_restart_syscall`]; each method returns
/// the system call's value (or `-errno`, or a restart code again if a signal
/// interrupts the resumed call, after setting the block again where Linux does).
///
/// Context: process context, on the thread that called `restart_syscall`, with no
/// lock of this crate held; the methods sleep.
pub trait RestartHandler {
    /// `hrtimer_nanosleep_restart` (or the clock's `nsleep_restart`): sleeps until
    /// `sleep.expires` on `sleep.clockid`; returns 0 when the time is reached, or
    /// what [`nanosleep_interrupted`] returns if a signal cuts it short again. The
    /// block is still set (Linux's `hrtimer_nanosleep_restart` leaves `fn` as it is).
    fn nanosleep(&mut self, sleep: &NanosleepRestart) -> isize;

    /// `futex_wait_restart`: waits on the futex again until `wait.deadline`. The
    /// block is already reset to [`RestartBlock::None`], as Linux resets `fn` before
    /// waiting; if a signal interrupts the wait again the kernel sets it again with
    /// [`ThreadSignalManager::set_restart_fn`], as its first wait did.
    fn futex_wait(&mut self, wait: &FutexRestart) -> isize;

    /// `do_restart_poll`: polls `poll.ufds` again until `poll.deadline`. Return
    /// `-ERESTARTNOHAND` if a signal interrupts it: the crate then sets the block
    /// again and returns `-ERESTART_RESTARTBLOCK`, as `do_restart_poll` does.
    fn poll(&mut self, poll: &PollRestart) -> isize;
}

impl<W: WaitQueue, R: RawMutex> ThreadSignalManager<W, R> {
    /// The thread's restart block (a copy).
    ///
    /// Context: process context, on this thread; takes the thread's restart-block
    /// lock briefly, never allocates or sleeps.
    pub fn restart_block(&self) -> RestartBlock {
        *self.restart.lock()
    }

    /// Replaces the thread's restart block. [`RestartBlock::None`] is Linux's
    /// `restart_block.fn = do_no_restart_syscall`, which `nanosleep` and
    /// `clock_nanosleep` do on entry and `rt_sigreturn` does on the way out
    /// ([`crate::rt_sigreturn`] does that part).
    ///
    /// Context: process context, on this thread; takes the thread's restart-block
    /// lock briefly, never allocates or sleeps.
    pub fn set_restart_block(&self, block: RestartBlock) {
        *self.restart.lock() = block;
    }

    /// Linux's `set_restart_fn`: stores `block` and returns `-ERESTART_RESTARTBLOCK`,
    /// the value the interrupted system call returns ([rule 56]).
    ///
    /// Context: as [`ThreadSignalManager::set_restart_block`].
    ///
    /// [rule 56]: crate::docs::rules#rule-56
    pub fn set_restart_fn(&self, block: RestartBlock) -> isize {
        self.set_restart_block(block);
        Errno::ERESTART_RESTARTBLOCK.as_neg_ret()
    }
}

/// Linux's `nanosleep_copyout`: writes `remaining` to `sleep.rmtp` in the layout
/// `sleep.time_type` says (nothing for [`TimeType::None`]). EFAULT if the copy
/// faults. A 32-bit `tv_sec` keeps the low 32 bits, as `put_old_timespec32` does.
///
/// Context: process context, on the sleeping thread; writes user memory (may sleep
/// there), never allocates.
pub fn nanosleep_copyout<M: UserMemory + ?Sized>(
    mem: &mut M,
    sleep: &NanosleepRestart,
    remaining: u64,
) -> Result<(), Errno> {
    let sec = remaining / NSEC_PER_SEC;
    let nsec = remaining % NSEC_PER_SEC;
    match sleep.time_type {
        TimeType::None => Ok(()),
        TimeType::Native => {
            let mut b = [0u8; 16];
            b[..8].copy_from_slice(&(sec as i64).to_ne_bytes());
            b[8..].copy_from_slice(&(nsec as i64).to_ne_bytes());
            mem.write(sleep.rmtp, &b)
        }
        TimeType::Compat => {
            let mut b = [0u8; 8];
            b[..4].copy_from_slice(&(sec as i32).to_ne_bytes());
            b[4..].copy_from_slice(&(nsec as i32).to_ne_bytes());
            mem.write(sleep.rmtp, &b)
        }
    }
}

/// Nanoseconds in a second.
const NSEC_PER_SEC: u64 = 1_000_000_000;

/// How a nanosleep that a signal woke early was started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SleepMode {
    /// `nanosleep`, or `clock_nanosleep` without `TIMER_ABSTIME`, or a sleep resumed
    /// by `restart_syscall`: it resumes through the restart block.
    Relative,
    /// `clock_nanosleep` with `TIMER_ABSTIME`: it is restarted whole with the same
    /// absolute time (`-ERESTARTNOHAND`), no block.
    Absolute,
}

/// The end of Linux's `do_nanosleep` and `hrtimer_nanosleep` when a signal woke the
/// sleep before `sleep.expires` ([rule 58]): with an `rmtp`, the time left
/// (`sleep.expires - now`) is written there first (EFAULT if that faults; 0 if no time
/// is left after all); then an absolute `clock_nanosleep` returns `-ERESTARTNOHAND`
/// and any other sleep stores `sleep` as the thread's restart block and returns
/// `-ERESTART_RESTARTBLOCK`.
///
/// The kernel calls this from its nanosleep, clock_nanosleep and
/// [`RestartHandler::nanosleep`] when the sleep ended early, and returns what it
/// returns. (`sleep.time_type` must be [`TimeType::None`] for an absolute sleep, as
/// Linux's `clock_nanosleep` ignores `rmtp` then.)
///
/// Context: process context, on the sleeping thread, with no lock of this crate held;
/// writes user memory (may sleep there), never allocates.
///
/// [rule 58]: crate::docs::rules#rule-58
pub fn nanosleep_interrupted<W, R, M>(
    thread: &ThreadSignalManager<W, R>,
    mem: &mut M,
    sleep: NanosleepRestart,
    now: u64,
    mode: SleepMode,
) -> isize
where
    W: WaitQueue,
    R: RawMutex,
    M: UserMemory + ?Sized,
{
    if sleep.time_type != TimeType::None {
        let remaining = sleep.expires.saturating_sub(now);
        if remaining == 0 {
            return 0;
        }
        if let Err(e) = nanosleep_copyout(mem, &sleep, remaining) {
            return e.as_neg_ret();
        }
    }
    match mode {
        SleepMode::Absolute => Errno::ERESTARTNOHAND.as_neg_ret(),
        SleepMode::Relative => thread.set_restart_fn(RestartBlock::Nanosleep(sleep)),
    }
}

/// `restart_syscall` after the kernel found the block: what each kind does, in
/// Linux's words (see [`crate::syscall::sys_restart_syscall`]).
pub(crate) fn dispatch<W, R, H>(thread: &ThreadSignalManager<W, R>, handler: &mut H) -> isize
where
    W: WaitQueue,
    R: RawMutex,
    H: RestartHandler + ?Sized,
{
    match thread.restart_block() {
        RestartBlock::None => Errno::EINTR.as_neg_ret(),
        RestartBlock::Nanosleep(sleep) => handler.nanosleep(&sleep),
        RestartBlock::FutexWait(wait) => {
            thread.set_restart_block(RestartBlock::None);
            handler.futex_wait(&wait)
        }
        RestartBlock::Poll(poll) => {
            let r = handler.poll(&poll);
            if r == Errno::ERESTARTNOHAND.as_neg_ret() {
                thread.set_restart_fn(RestartBlock::Poll(poll))
            } else {
                r
            }
        }
    }
}
