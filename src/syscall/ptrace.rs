//! The signal requests of `ptrace` (kernel/ptrace.c's `ptrace_request` arms for
//! PTRACE_GETSIGINFO and PTRACE_SETSIGINFO, and `ptrace_resume`'s check of the
//! signal a tracer resumes with). The rest of `ptrace` (attaching, finding the
//! tracee and checking it is stopped for the caller, `ptrace_check_attach`'s
//! ESRCH, registers, memory) is the kernel's.

use super::{SyscallRet, copy_siginfo_from_user, copy_siginfo_to_user, encode};
use crate::errno::Errno;
use crate::signo::Signo;
use crate::thread::ThreadSignalManager;
use crate::uaccess::UserMemory;
use crate::wait::WaitQueue;
use lock_api::RawMutex;

/// PTRACE_GETSIGINFO on `tracee`, which the kernel has found and checked
/// (traced by the caller and stopped for it: ESRCH otherwise, before this is
/// called): EINVAL if it is in no signal-delivery stop ([rule 65]); else its
/// siginfo is copied to `data` (48 bytes, then 80 zero bytes; EFAULT). Returns 0.
///
/// Context: process context, on the tracer's thread; takes the tracee's signal lock
/// briefly; writes user memory.
///
/// [rule 65]: crate::docs::rules#rule-65
pub fn sys_ptrace_getsiginfo<W: WaitQueue, R: RawMutex, M: UserMemory + ?Sized>(
    tracee: &ThreadSignalManager<W, R>,
    mem: &mut M,
    data: usize,
) -> SyscallRet {
    encode(|| {
        let info = tracee.ptrace_getsiginfo()?;
        copy_siginfo_to_user(mem, data, &info)?;
        Ok(0)
    })
}

/// PTRACE_SETSIGINFO on `tracee` (found and checked by the kernel, as for
/// [`sys_ptrace_getsiginfo`]): the siginfo at `data` is copied in first, as Linux's
/// `copy_siginfo_from_user` does (EFAULT; E2BIG if its `(si_signo, si_code)` has no
/// known layout and bytes 48 to 128 are not all zero), then it replaces the
/// stop's siginfo (EINVAL if the tracee is in no signal-delivery stop, [rule 68]).
/// Nothing in it is checked or rewritten, `si_signo` included. Returns 0.
///
/// Context: process context, on the tracer's thread; reads user memory; takes the
/// tracee's signal lock briefly.
///
/// [rule 68]: crate::docs::rules#rule-68
pub fn sys_ptrace_setsiginfo<W: WaitQueue, R: RawMutex, M: UserMemory + ?Sized>(
    tracee: &ThreadSignalManager<W, R>,
    mem: &M,
    data: usize,
) -> SyscallRet {
    encode(|| {
        let info = copy_siginfo_from_user(mem, data, None)?;
        tracee.ptrace_setsiginfo(&info)?;
        Ok(0)
    })
}

/// The `data` of a resuming request (PTRACE_CONT, PTRACE_SYSCALL, PTRACE_DETACH,
/// ...) as `ptrace_resume` checks it with `valid_signal`: 0 is no signal, 1 to 64 a
/// signal, anything else EIO. What the tracee's [`crate::Tracer::ptrace_stop`] then
/// returns ([rule 68]).
///
/// Context: any, interrupt context included: a pure function of its arguments (no
/// lock, no allocation).
///
/// [rule 68]: crate::docs::rules#rule-68
pub fn ptrace_resume_signal(data: usize) -> Result<Option<Signo>, Errno> {
    if data == 0 {
        return Ok(None);
    }
    u32::try_from(data)
        .ok()
        .and_then(|n| Signo::new(n).ok())
        .map(Some)
        .ok_or(Errno::EIO)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resume_data_is_checked_as_valid_signal_does() {
        assert_eq!(ptrace_resume_signal(0), Ok(None));
        assert_eq!(ptrace_resume_signal(1), Ok(Some(Signo::SIGHUP)));
        assert_eq!(ptrace_resume_signal(64), Ok(Some(Signo::new(64).unwrap())));
        for bad in [65, 1 << 32, (1 << 32) | 10, usize::MAX] {
            assert_eq!(ptrace_resume_signal(bad), Err(Errno::EIO), "{bad:#x}");
        }
    }
}
