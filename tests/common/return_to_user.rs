//! The return to user space of a kernel without process groups or ptrace.

use ksignal::frame::{FpHook, TrapFrame};
use ksignal::{
    KernelFrameInfo, NoJobControl, NoTracer, ThreadSignalManager, UserMemory, UserReturn,
    WaitQueue, do_signal,
};

/// `do_signal` with no job-control answers ([`NoJobControl`]) and no tracer.
pub fn return_to_user<W, T, M>(
    t: &ThreadSignalManager<W>,
    tf: &mut T,
    fp: &mut dyn FpHook,
    mem: &mut M,
    k: KernelFrameInfo,
) -> UserReturn
where
    W: WaitQueue,
    T: TrapFrame + ?Sized,
    M: UserMemory + ?Sized,
{
    do_signal(t, tf, fp, mem, k, &mut NoJobControl, &mut NoTracer)
}
