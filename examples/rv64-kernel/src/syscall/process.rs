//! Process and thread syscalls: ids, exit, clone (threads and fork), wait4.

use crate::errno::{Errno, SysResult};
use crate::mm::uaccess;
use crate::sched::{self, WakeReason};
use crate::task::{self, JobEvent, Process, Thread, wait_status};
use crate::trap::TrapFrame;
use alloc::sync::Arc;

const CSIGNAL: usize = 0xff;
const CLONE_VM: usize = 0x100;
const CLONE_SIGHAND: usize = 0x800;
const CLONE_VFORK: usize = 0x4000;
const CLONE_THREAD: usize = 0x10000;
const CLONE_SETTLS: usize = 0x80000;
const CLONE_PARENT_SETTID: usize = 0x100000;
const CLONE_CHILD_CLEARTID: usize = 0x200000;
const CLONE_CHILD_SETTID: usize = 0x1000000;

const WNOHANG: usize = 1;
const WUNTRACED: usize = 2;
const WCONTINUED: usize = 8;
const WNOTHREAD: usize = 0x2000_0000;
const WALL: usize = 0x4000_0000;
const WCLONE: usize = 0x8000_0000;

pub fn getpid() -> SysResult {
    Ok(task::current_process().pid)
}

pub fn gettid() -> SysResult {
    Ok(task::current().tid)
}

pub fn getppid() -> SysResult {
    Ok(task::current_process().parent_pid())
}

/// getpgid(pid): pid 0 = the caller.
pub fn getpgid(pid: usize) -> SysResult {
    let process = if pid == 0 {
        task::current_process()
    } else {
        task::PROCESSES.lock().get(&pid).cloned().ok_or(Errno::ESRCH)?
    };
    let pgid = process.inner.lock().pgid;
    Ok(pgid)
}

/// setpgid(pid, pgid): pid 0 = the caller, pgid 0 = pid. Simplified Linux
/// rules (no sessions): the target is the caller or one of its children,
/// and the group must be new (pgid == pid) or already exist.
pub fn setpgid(pid: usize, pgid: usize) -> SysResult {
    let me = task::current_process();
    let target = if pid == 0 || pid == me.pid {
        me.clone()
    } else {
        let inner = me.inner.lock();
        inner.children.iter().find(|c| c.pid == pid).cloned().ok_or(Errno::ESRCH)?
    };
    let pgid = if pgid == 0 { target.pid } else { pgid };
    if pgid as isize <= 0 {
        return Err(Errno::EINVAL);
    }
    if pgid != target.pid && task::process_group(pgid).is_empty() {
        return Err(Errno::EPERM);
    }
    target.inner.lock().pgid = pgid;
    Ok(0)
}

/// sched_getaffinity(pid, len, mask): every thread may run on every online
/// hart. As Linux's raw system call: EINVAL unless `len` is a multiple of
/// 8 with room for every possible CPU (MAX_HARTS), ESRCH for an unknown
/// thread; returns the bytes written (one 64-bit word).
pub fn sched_getaffinity(tid: usize, len: usize, mask: usize) -> SysResult {
    if len * 8 < crate::smp::MAX_HARTS || !len.is_multiple_of(8) {
        return Err(Errno::EINVAL);
    }
    if tid != 0 && !task::THREADS.lock().contains_key(&tid) {
        return Err(Errno::ESRCH);
    }
    uaccess::write_user(mask, &(crate::smp::online_mask() as u64))?;
    Ok(8)
}

pub fn sched_yield() -> SysResult {
    sched::yield_now();
    Ok(0)
}

/// exit(2): ends the calling thread only (done on the way out to user).
pub fn exit(code: usize) -> SysResult {
    task::current().inner.lock().exit_code = Some(code as i32);
    Ok(0)
}

/// exit_group(2): ends every thread of the process.
pub fn exit_group(code: usize) -> SysResult {
    task::start_group_exit(&task::current_process(), wait_status::exited(code as i32));
    Ok(0)
}

pub fn set_tid_address(addr: usize) -> SysResult {
    let thread = task::current();
    thread.inner.lock().clear_child_tid = addr;
    Ok(thread.tid)
}

/// clone(flags, newsp, parent_tid, tls, child_tid) — the riscv64 argument
/// order. Two shapes are supported:
/// - a thread: CLONE_VM | CLONE_SIGHAND | CLONE_THREAD (+ the usual extras);
/// - fork: no CLONE_VM; the low byte is the exit signal (SIGCHLD).
pub fn clone(
    tf: &TrapFrame,
    flags: usize,
    newsp: usize,
    ptid: usize,
    tls: usize,
    ctid: usize,
) -> SysResult {
    let exit_signal = flags & CSIGNAL;
    let is_thread = flags & CLONE_THREAD != 0;
    if is_thread && flags & (CLONE_VM | CLONE_SIGHAND) != CLONE_VM | CLONE_SIGHAND {
        return Err(Errno::EINVAL); // Linux: THREAD needs SIGHAND, SIGHAND needs VM
    }
    if !is_thread && flags & (CLONE_VM | CLONE_SIGHAND | CLONE_VFORK) != 0 {
        return Err(Errno::EINVAL); // vfork-style sharing is not supported here
    }

    // The child resumes after the same ecall with a0 = 0.
    let mut child_tf = tf.clone();
    child_tf.regs[TrapFrame::A0] = 0;
    child_tf.in_syscall = 0;
    if newsp != 0 {
        child_tf.regs[TrapFrame::SP] = newsp;
    }
    if flags & CLONE_SETTLS != 0 {
        child_tf.regs[TrapFrame::TP] = tls;
    }

    let parent = task::current_process();
    let me = task::current().signals().ok_or(Errno::ESRCH)?;
    // The new thread starts with the creator's signal mask.
    let mask = me.blocked();
    let tid = task::alloc_id();
    let thread = if is_thread {
        let thread = Thread::new(tid, parent.clone(), child_tf, mask)?;
        task::add_thread(&parent, thread.clone());
        thread
    } else {
        let space = {
            let inner = parent.inner.lock();
            inner.address_space.as_ref().ok_or(Errno::ENOMEM)?.fork()?
        };
        // The child shares this ELF's name; tid == pid for its main thread.
        // Its sigaction table is a copy; nothing is pending; mask and
        // alternate stack are the forking thread's.
        let signals = parent.signals.fork(false);
        let child = Arc::new(Process::new(
            tid,
            parent.name.clone(),
            space,
            Some(&parent),
            exit_signal,
            signals,
        ));
        // The child's descriptors are a copy sharing the open files.
        let files = parent.files.lock().clone();
        *child.files.lock() = files;
        child.inner.lock().parent_tid = task::current().tid;
        let thread = Thread::new(tid, child.clone(), child_tf, mask)?;
        if let Some(s) = thread.signals() {
            s.set_altstack(me.altstack());
        }
        task::add_thread(&child, thread.clone());
        parent.inner.lock().children.push(child.clone());
        task::PROCESSES.lock().insert(tid, child);
        thread
    };

    // Linux's clone copies the whole task, restart block included.
    if let Some(s) = thread.signals() {
        s.set_restart_block(me.restart_block());
    }

    // Like Linux, failures to store the tid are ignored.
    if flags & CLONE_PARENT_SETTID != 0 {
        let _ = uaccess::write_user(ptid, &(tid as u32));
    }
    if flags & CLONE_CHILD_SETTID != 0 {
        let bytes = (tid as u32).to_le_bytes();
        if is_thread {
            let _ = uaccess::write_user(ctid, &(tid as u32));
        } else if let Some(space) = thread.process.inner.lock().address_space.as_mut() {
            let _ = space.write_bytes(ctid, &bytes);
        }
    }
    if flags & CLONE_CHILD_CLEARTID != 0 {
        thread.inner.lock().clear_child_tid = ctid;
    }
    sched::make_runnable(thread);
    Ok(tid)
}

/// What `wait4` found among the children.
enum Found {
    /// (pid, wait status); a zombie has already been reaped.
    Child(usize, i32),
    NoneYet,
    NoChildren,
}

/// wait4(pid, wstatus, options, rusage). pid > 0: that child; -1: any
/// child; 0: any child in the caller's process group; < -1: any child in
/// group -pid. Reports exits, and with WUNTRACED / WCONTINUED also stops
/// and continues.
pub fn wait4(pid: isize, wstatus: usize, options: usize, rusage: usize) -> SysResult {
    if options & !(WNOHANG | WUNTRACED | WCONTINUED | WNOTHREAD | WALL | WCLONE) != 0 {
        return Err(Errno::EINVAL);
    }
    let me = task::current_process();
    loop {
        // Read before looking, so an exit or stop after the look wakes us.
        let generation = me.child_wait.generation();
        match find_child(&me, pid, options) {
            Found::Child(child, status) => {
                if wstatus != 0 {
                    uaccess::write_user(wstatus, &status)?;
                }
                if rusage != 0 {
                    uaccess::write_user(rusage, &[0u64; 18])?; // struct rusage: all zero
                }
                return Ok(child);
            }
            Found::NoChildren => return Err(Errno::ECHILD),
            Found::NoneYet if options & WNOHANG != 0 => return Ok(0),
            Found::NoneYet => {
                if me.child_wait.block_current_since(generation) == WakeReason::Interrupted {
                    return Err(Errno::ERESTARTSYS);
                }
            }
        }
    }
}

fn find_child(me: &Arc<Process>, pid: isize, options: usize) -> Found {
    let mut inner = me.inner.lock();
    let my_pgid = inner.pgid;
    let mut any = false;
    for i in 0..inner.children.len() {
        let child = inner.children[i].clone();
        let mut c = child.inner.lock();
        let wanted = match pid {
            -1 => true,
            0 => c.pgid == my_pgid,
            p if p > 0 => child.pid == p as usize,
            p => c.pgid == p.unsigned_abs(),
        };
        if !wanted {
            continue;
        }
        any = true;
        // A ptrace stop of a tracee among its threads: reported without
        // WUNTRACED, once, with the thread's id (`wait_task_stopped`).
        let threads = c.threads.clone();
        if let Some((tid, status)) = crate::signal::ptrace::take_stop_report(me, &child, &threads) {
            return Found::Child(tid, status);
        }
        if let Some(status) = c.exit_status {
            // A zombie: reap it (it leaves the process table for good). The
            // table's lock is taken after ours is dropped: `process_group`
            // and the signal task table take it first and a process's lock
            // inside, so holding both the other way round could deadlock
            // two harts.
            drop(c);
            inner.children.remove(i);
            drop(inner);
            task::PROCESSES.lock().remove(&child.pid);
            return Found::Child(child.pid, status);
        }
        let report = match c.job_event {
            Some(JobEvent::Stopped(sig)) if options & WUNTRACED != 0 => {
                Some(wait_status::stopped(sig))
            }
            Some(JobEvent::Continued) if options & WCONTINUED != 0 => Some(wait_status::CONTINUED),
            _ => None,
        };
        if let Some(status) = report {
            c.job_event = None;
            return Found::Child(child.pid, status);
        }
    }
    if any { Found::NoneYet } else { Found::NoChildren }
}
