//! `restart_syscall`: resumes the call the thread's restart block describes.

use super::{Caller, SyscallRet};
use crate::restart::{self, RestartHandler};
use crate::wait::WaitQueue;
use lock_api::RawMutex;

/// `restart_syscall(2)` ([rule 56]): Linux's `SYSCALL_DEFINE0(restart_syscall)`,
/// `restart->fn(restart)`. It takes no argument; the return-to-user path loaded its
/// number when a call that returned `-ERESTART_RESTARTBLOCK` was restarted with no
/// handler running ([`crate::frame::syscall_restart`]).
///
/// What it does with the caller's [`RestartBlock`](crate::RestartBlock):
/// - [`None`](crate::RestartBlock::None) (`do_no_restart_syscall`, what
///   `rt_sigreturn` leaves, [rule 57]): `-EINTR`. A program that calls
///   `restart_syscall` itself gets this unless a restart is pending.
/// - [`Nanosleep`](crate::RestartBlock::Nanosleep): `handler.nanosleep`, the block
///   kept (`hrtimer_nanosleep_restart` leaves it).
/// - [`FutexWait`](crate::RestartBlock::FutexWait): the block reset first, then
///   `handler.futex_wait` (`futex_wait_restart`).
/// - [`Poll`](crate::RestartBlock::Poll): `handler.poll`; its `-ERESTARTNOHAND`
///   becomes `-ERESTART_RESTARTBLOCK` with the block set again (`do_restart_poll`).
///
/// Context: process context, on the calling thread, with no lock of this crate held;
/// the handler sleeps.
///
/// [rule 56]: crate::docs::rules#rule-56
/// [rule 57]: crate::docs::rules#rule-57
pub fn sys_restart_syscall<W, R, H>(caller: &Caller<'_, W, R>, handler: &mut H) -> SyscallRet
where
    W: WaitQueue,
    R: RawMutex,
    H: RestartHandler + ?Sized,
{
    restart::dispatch(caller.thread, handler)
}
