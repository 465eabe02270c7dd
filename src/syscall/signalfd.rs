//! `signalfd4`, `signalfd` and `read` on a signalfd (fs/signalfd.c's
//! `sys_signalfd4`, `sys_signalfd`, `do_signalfd4`, `signalfd_read`).

use super::{Caller, SigsetSize, SyscallRet, arg_int, check_sigsetsize, encode, read_sigset};
use crate::errno::Errno;
use crate::set::SignalSet;
use crate::signalfd::{SfdFlags, SignalFd};
use crate::uaccess::UserMemory;
use crate::wait::WaitQueue;
use alloc::sync::Arc;
use lock_api::RawMutex;

/// The caller's file table, as `signalfd4` needs it.
pub trait SignalFdTable {
    /// Installs a new file for `fd` (opened O_RDWR, plus O_NONBLOCK with
    /// `flags.nonblock`) at the lowest free descriptor (close-on-exec with
    /// `flags.cloexec`) and returns it; the kernel's errors (EMFILE, ENFILE,
    /// ENOMEM) otherwise.
    fn install(&mut self, fd: Arc<SignalFd>, flags: SfdFlags) -> Result<i32, Errno>;

    /// The signalfd open at `ufd`: EBADF if nothing is open there (any negative
    /// `ufd` included), EINVAL if the file there is not a signalfd.
    fn lookup(&self, ufd: i32) -> Result<Arc<SignalFd>, Errno>;
}

/// `signalfd4(ufd, user_mask, sizemask, flags)`.
///
/// Order, as in Linux: EINVAL if `sizemask != 8`; copy the mask in (EFAULT); EINVAL
/// for a flag other than SFD_CLOEXEC / SFD_NONBLOCK; SIGKILL and SIGSTOP are
/// dropped from the mask. `ufd == -1` creates a signalfd and returns its
/// descriptor ([`SignalFdTable::install`]'s errors); any other `ufd` updates the
/// mask of the signalfd open there ([`SignalFdTable::lookup`]: EBADF, EINVAL) and
/// returns `ufd`; `flags` are then checked but not applied.
///
/// x86_64's `signalfd(ufd, user_mask, sizemask)` (the generic system-call table of
/// riscv64, aarch64 and loongarch64 has none) is this call with `flags` 0, as
/// Linux's `sys_signalfd` is `do_signalfd4(.., 0)`.
///
/// Context: process context, on the calling thread; allocates (the new file).
pub fn sys_signalfd4<
    W: WaitQueue,
    R: RawMutex,
    M: UserMemory + ?Sized,
    T: SignalFdTable + ?Sized,
>(
    caller: &Caller<'_, W, R>,
    mem: &M,
    files: &mut T,
    ufd: usize,
    user_mask: usize,
    sizemask: usize,
    flags: usize,
) -> SyscallRet {
    let _ = caller;
    encode(|| {
        signalfd4(
            mem,
            files,
            arg_int(ufd),
            user_mask,
            sizemask,
            arg_int(flags),
        )
    })
}

/// The checks of `signalfd4` before the file table is touched: the mask size,
/// the mask (EFAULT), the flags; in Linux's order. Returns the mask (SIGKILL and
/// SIGSTOP removed) and the flags. For kernels (or tracers) that create the file
/// themselves.
pub fn signalfd4_args<M: UserMemory + ?Sized>(
    mem: &M,
    user_mask: usize,
    sizemask: usize,
    flags: i32,
) -> Result<(SignalSet, SfdFlags), Errno> {
    check_sigsetsize(sizemask, SigsetSize::Exact)?;
    let mask = read_sigset(mem, user_mask)?;
    let flags = SfdFlags::from_raw(flags)?;
    Ok((mask.without_unblockable(), flags))
}

fn signalfd4<M: UserMemory + ?Sized, T: SignalFdTable + ?Sized>(
    mem: &M,
    files: &mut T,
    ufd: i32,
    user_mask: usize,
    sizemask: usize,
    flags: i32,
) -> Result<usize, Errno> {
    let (mask, flags) = signalfd4_args(mem, user_mask, sizemask, flags)?;
    if ufd == -1 {
        let fd = files.install(Arc::new(SignalFd::new(mask)), flags)?;
        return Ok(fd as usize);
    }
    files.lookup(ufd)?.set_mask(mask);
    Ok(ufd as u32 as usize)
}

/// `read(fd, buf, count)` on a signalfd the kernel found at `fd` (opened with
/// O_NONBLOCK if `nonblock`): EINVAL if `count < 128`; then records of the
/// signals dequeued for the calling thread, copied to `buf` one by one (see
/// [`SignalFd::read`]); EAGAIN, ERESTARTSYS or EFAULT when none could be returned.
///
/// Context: process context, on the calling thread; blocks on its wait queue
/// unless `nonblock`.
pub fn sys_signalfd_read<W: WaitQueue + 'static, R: RawMutex, M: UserMemory + ?Sized>(
    caller: &Caller<'_, W, R>,
    mem: &mut M,
    fd: &SignalFd,
    nonblock: bool,
    buf: usize,
    count: usize,
) -> SyscallRet {
    encode(|| {
        fd.read(caller.thread, count, nonblock, |off, rec| {
            let at = buf.checked_add(off).ok_or(Errno::EFAULT)?;
            mem.write(at, &rec.to_bytes())
        })
    })
}
