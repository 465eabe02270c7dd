//! read/write. There is no file system: fd 1 and 2 go to the console and
//! fd 0 is a terminal that never receives input, so `read(0, ..)` blocks
//! until a signal interrupts it (the test case for EINTR vs SA_RESTART).

use crate::errno::{Errno, SysResult};
use crate::mm::uaccess;
use crate::sched::{WaitQueue, WakeReason};

/// Readers of fd 0 sleep here; nothing ever wakes them except signals.
static STDIN_READERS: WaitQueue = WaitQueue::new();

pub fn write(fd: usize, buf: usize, len: usize) -> SysResult {
    if fd != 1 && fd != 2 {
        return Err(Errno::EBADF);
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
        return Err(Errno::EBADF);
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
