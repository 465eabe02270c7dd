//! read/write/close. There is no file system: fd 1 and 2 go to the console
//! and fd 0 is a terminal that never receives input, so `read(0, ..)` blocks
//! until a signal interrupts it (the test case for EINTR vs SA_RESTART).
//! Descriptors from 3 up are signalfds (`task::FdTable`): read goes to
//! ksignal's `sys_signalfd_read` (`signal::signalfd_read`), write is EINVAL
//! (a signalfd has no write), close drops the descriptor.

use crate::errno::{Errno, SysResult};
use crate::mm::uaccess;
use crate::sched::{WaitQueue, WakeReason};
use crate::task;

/// Readers of fd 0 sleep here; nothing ever wakes them except signals.
static STDIN_READERS: WaitQueue = WaitQueue::new();

pub fn write(fd: usize, buf: usize, len: usize) -> SysResult {
    if fd != 1 && fd != 2 {
        let open = task::current_process().files.lock().get(fd).is_some();
        return Err(if open { Errno::EINVAL } else { Errno::EBADF });
    }
    // Copy in chunks through a kernel buffer; like Linux, a fault after some
    // bytes were written returns the short count instead of EFAULT.
    // Each chunk goes out under the console lock in one piece, so a line
    // (user programs write one line per call, at most 512 bytes) is never
    // cut by another hart's output. The copy is done before taking the lock.
    let mut chunk = [0u8; 512];
    let mut done = 0;
    while done < len {
        let n = (len - done).min(chunk.len());
        if let Err(e) = uaccess::copy_from_user(&mut chunk[..n], buf + done) {
            return if done == 0 { Err(e) } else { Ok(done) };
        }
        crate::console::lock().write_bytes(&chunk[..n]);
        done += n;
    }
    Ok(done)
}

pub fn read(fd: usize, buf: usize, len: usize) -> SysResult {
    if fd != 0 {
        let file = task::current_process().files.lock().get(fd).cloned().ok_or(Errno::EBADF)?;
        return super::signal::signalfd_read(&file, buf, len);
    }
    if len == 0 {
        return Ok(0);
    }
    // Fail early on a bad buffer (Linux would fail at copy-out time).
    uaccess::check_writable(buf, len)?;
    loop {
        // No data ever arrives, so only an interruption ends the wait. The
        // return-to-user path turns ERESTARTSYS into EINTR or a restart.
        if STDIN_READERS.block_current(None) == WakeReason::Interrupted {
            return Err(Errno::ERESTARTSYS);
        }
    }
}

/// close(fd) on a descriptor from 3 up. The console's descriptors stay
/// open: closing one is EBADF here (Linux would close it).
pub fn close(fd: usize) -> SysResult {
    task::current_process().files.lock().close(fd)?;
    Ok(0)
}
