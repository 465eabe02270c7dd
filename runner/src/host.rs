//! The host side: ptrace requests, the tracee's registers, memory and XSAVE state,
//! the seccomp filter, and ids/credentials read from the host kernel.

use ksignal::frame::FpHook;
use ksignal::frame::x86_64::X86_64Context;
use ksignal::syscall::{Credentials, TaskIds};
use ksignal::{Errno, UserMemory};
use std::io;

/// `PTRACE_EVENT_STOP` (include/uapi/linux/ptrace.h).
pub const PTRACE_EVENT_STOP: i32 = 128;
/// `NT_X86_XSTATE` (include/uapi/linux/elf.h).
const NT_X86_XSTATE: libc::c_int = 0x202;
/// The signal system calls the seccomp filter hands to the runner.
pub const TRAPPED: &[libc::c_long] = &[
    libc::SYS_rt_sigaction,
    libc::SYS_rt_sigprocmask,
    libc::SYS_rt_sigreturn,
    libc::SYS_pause,
    libc::SYS_kill,
    libc::SYS_rt_sigpending,
    libc::SYS_rt_sigtimedwait,
    libc::SYS_rt_sigqueueinfo,
    libc::SYS_rt_sigsuspend,
    libc::SYS_sigaltstack,
    libc::SYS_tkill,
    libc::SYS_tgkill,
    libc::SYS_rt_tgsigqueueinfo,
    libc::SYS_pidfd_send_signal,
    libc::SYS_signalfd,
    libc::SYS_signalfd4,
];

/// `PTRACE_GET_SYSCALL_INFO` (include/uapi/linux/ptrace.h).
const PTRACE_GET_SYSCALL_INFO: libc::c_uint = 0x420e;
/// `PTRACE_SYSCALL_INFO_ENTRY`: the stop is a system-call entry.
pub const PTRACE_SYSCALL_INFO_ENTRY: u8 = 1;

/// The kind of a syscall stop (`op` of `struct ptrace_syscall_info`): entry,
/// exit or seccomp; 0 if the host cannot say.
pub fn syscall_op(pid: i32) -> u8 {
    let mut b = [0u8; 88];
    // SAFETY: the kernel writes at most `b.len()` bytes into `b`.
    let r = unsafe {
        libc::ptrace(
            PTRACE_GET_SYSCALL_INFO,
            pid,
            b.len(),
            b.as_mut_ptr() as *mut libc::c_void,
        )
    };
    if r < 0 { 0 } else { b[0] }
}

/// If descriptor `fd` of `tid` is a signalfd, its file status flags (O_NONBLOCK
/// tells a read whether it may block), read from `/proc/TID/fdinfo/FD`.
pub fn signalfd_flags(tid: i32, fd: i32) -> Option<u32> {
    let text = std::fs::read_to_string(format!("/proc/{tid}/fdinfo/{fd}")).ok()?;
    if !text.lines().any(|l| l.starts_with("sigmask:")) {
        return None;
    }
    let flags = text.lines().find_map(|l| l.strip_prefix("flags:"))?;
    u32::from_str_radix(flags.trim(), 8).ok()
}

fn check(r: libc::c_long) -> io::Result<libc::c_long> {
    if r == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// One ptrace request with integer arguments.
pub fn ptrace(req: libc::c_uint, pid: i32, addr: usize, data: usize) -> io::Result<libc::c_long> {
    // SAFETY: every request used with integer arguments here reads no memory of ours
    // (CONT, LISTEN, INTERRUPT, SEIZE, SETOPTIONS take values, not pointers).
    check(unsafe { libc::ptrace(req, pid, addr, data) })
}

/// PTRACE_GETREGS.
pub fn get_regs(pid: i32) -> io::Result<libc::user_regs_struct> {
    // SAFETY: user_regs_struct is plain integers; all-zero is a valid value.
    let mut r: libc::user_regs_struct = unsafe { std::mem::zeroed() };
    // SAFETY: GETREGS writes exactly one user_regs_struct at the pointer.
    check(unsafe { libc::ptrace(libc::PTRACE_GETREGS, pid, 0, &mut r as *mut _) })?;
    Ok(r)
}

/// PTRACE_SETREGS.
pub fn set_regs(pid: i32, r: &libc::user_regs_struct) -> io::Result<()> {
    // SAFETY: SETREGS reads exactly one user_regs_struct from the pointer.
    check(unsafe { libc::ptrace(libc::PTRACE_SETREGS, pid, 0, r as *const _) })?;
    Ok(())
}

/// PTRACE_GETSIGINFO: the 128-byte siginfo of a signal-delivery stop.
pub fn get_siginfo(pid: i32) -> io::Result<[u8; 128]> {
    let mut b = [0u8; 128];
    // SAFETY: GETSIGINFO writes one 128-byte siginfo_t at the pointer.
    check(unsafe { libc::ptrace(libc::PTRACE_GETSIGINFO, pid, 0, b.as_mut_ptr()) })?;
    Ok(b)
}

/// PTRACE_GETEVENTMSG.
pub fn event_msg(pid: i32) -> io::Result<u64> {
    let mut m: libc::c_ulong = 0;
    // SAFETY: GETEVENTMSG writes one unsigned long at the pointer.
    check(unsafe { libc::ptrace(libc::PTRACE_GETEVENTMSG, pid, 0, &mut m as *mut _) })?;
    Ok(m)
}

/// The crate's context from the tracee's registers.
pub fn to_ctx(r: &libc::user_regs_struct) -> X86_64Context {
    X86_64Context {
        r15: r.r15,
        r14: r.r14,
        r13: r.r13,
        r12: r.r12,
        rbp: r.rbp,
        rbx: r.rbx,
        r11: r.r11,
        r10: r.r10,
        r9: r.r9,
        r8: r.r8,
        rax: r.rax,
        rcx: r.rcx,
        rdx: r.rdx,
        rsi: r.rsi,
        rdi: r.rdi,
        rip: r.rip,
        rsp: r.rsp,
        rflags: r.eflags,
        cs: r.cs,
        ss: r.ss,
        in_syscall: (r.orig_rax as i64) >= 0,
        orig_rax: r.orig_rax,
    }
}

/// Writes the crate's context back into `r` (segment bases and selectors other
/// than cs/ss are kept). `orig_rax` is the caller's choice.
pub fn from_ctx(r: &mut libc::user_regs_struct, c: &X86_64Context) {
    r.r15 = c.r15;
    r.r14 = c.r14;
    r.r13 = c.r13;
    r.r12 = c.r12;
    r.rbp = c.rbp;
    r.rbx = c.rbx;
    r.r11 = c.r11;
    r.r10 = c.r10;
    r.r9 = c.r9;
    r.r8 = c.r8;
    r.rax = c.rax;
    r.rcx = c.rcx;
    r.rdx = c.rdx;
    r.rsi = c.rsi;
    r.rdi = c.rdi;
    r.rip = c.rip;
    r.rsp = c.rsp;
    r.eflags = c.rflags;
    r.cs = c.cs;
    r.ss = c.ss;
}

/// The tracee's address space through process_vm_readv/writev: like
/// `copy_from_user`, a read-only or unmapped page is EFAULT.
pub struct RemoteMem {
    /// The thread whose memory this is.
    pub pid: i32,
}

/// `process_vm_readv` or `process_vm_writev`.
type RemoteCopy = unsafe extern "C" fn(
    libc::pid_t,
    *const libc::iovec,
    libc::c_ulong,
    *const libc::iovec,
    libc::c_ulong,
    libc::c_ulong,
) -> isize;

impl RemoteMem {
    /// Moves `len` bytes between `local` here and `addr` in the tracee with `op`:
    /// EFAULT unless all of them moved.
    ///
    /// # Safety
    /// `local` is valid for `len` bytes, for writing when `op` reads the tracee.
    unsafe fn copy(
        &self,
        op: RemoteCopy,
        local: *mut u8,
        addr: usize,
        len: usize,
    ) -> Result<(), Errno> {
        if len == 0 {
            return Ok(());
        }
        if addr.checked_add(len).is_none() {
            return Err(Errno::EFAULT);
        }
        let local = libc::iovec {
            iov_base: local.cast(),
            iov_len: len,
        };
        let remote = libc::iovec {
            iov_base: addr as *mut libc::c_void,
            iov_len: len,
        };
        // SAFETY: `local` covers `len` bytes the caller vouches for; the remote
        // range is the tracee's and checked by the kernel.
        let n = unsafe { op(self.pid, &local, 1, &remote, 1, 0) };
        if n == len as isize {
            Ok(())
        } else {
            Err(Errno::EFAULT)
        }
    }
}

impl UserMemory for RemoteMem {
    fn read(&self, addr: usize, buf: &mut [u8]) -> Result<(), Errno> {
        // SAFETY: `buf` is ours to write, all of it.
        unsafe { self.copy(libc::process_vm_readv, buf.as_mut_ptr(), addr, buf.len()) }
    }

    fn write(&mut self, addr: usize, buf: &[u8]) -> Result<(), Errno> {
        // SAFETY: process_vm_writev only reads `buf`, all of it.
        unsafe {
            self.copy(
                libc::process_vm_writev,
                buf.as_ptr() as *mut u8,
                addr,
                buf.len(),
            )
        }
    }
}

/// The XSAVE layout of this machine, as Linux sizes signal frames for a task that
/// did not ask for AMX (`fpu_user_cfg.default_size` / `default_features`).
#[derive(Clone, Copy, Debug)]
pub struct XCfg {
    /// Bytes of the frame's XSAVE image: the end of the highest default feature.
    pub user_size: usize,
    /// The user xfeatures without the dynamic ones (XTILEDATA).
    pub xfeatures: u64,
    /// Size of the NT_X86_XSTATE regset (`fpu_user_cfg.max_size`).
    pub regset_size: usize,
    /// MXCSR bits the CPU accepts.
    pub mxcsr_mask: u32,
    /// Offset of the PKRU component, if the CPU has it.
    pub pkru_offset: Option<usize>,
}

/// `XFEATURE_XTILE_DATA`: the one dynamic user feature (needs ARCH_REQ_XCOMP_PERM).
const XFEATURE_XTILE_DATA: u32 = 18;
/// `XFEATURE_PKRU`.
const XFEATURE_PKRU: u32 = 9;

impl XCfg {
    /// Reads the layout from CPUID leaf 0xD and XCR0, and the regset size from the
    /// tracee `pid`.
    pub fn probe(pid: i32) -> XCfg {
        use std::arch::x86_64::{__cpuid_count, _xgetbv};
        let leaf1 = __cpuid_count(1, 0);
        let has_xsave = leaf1.ecx & (1 << 27) != 0; // OSXSAVE
        let mut fx = Fx([0u8; 512]);
        // SAFETY: `fx` is a 512-byte, 16-byte aligned buffer, as FXSAVE requires.
        unsafe { std::arch::x86_64::_fxsave64(fx.0.as_mut_ptr()) };
        let mask = u32::from_le_bytes([fx.0[28], fx.0[29], fx.0[30], fx.0[31]]);
        let mxcsr_mask = if mask == 0 { 0xFFBF } else { mask };
        if !has_xsave {
            return XCfg {
                user_size: 512,
                xfeatures: 0,
                regset_size: 0,
                mxcsr_mask,
                pkru_offset: None,
            };
        }
        // SAFETY: OSXSAVE is set, so XGETBV is enabled.
        let xcr0 = unsafe { _xgetbv(0) };
        let xfeatures = xcr0 & !(1u64 << XFEATURE_XTILE_DATA);
        let mut end = 576usize;
        let mut pkru_offset = None;
        for i in 2..64u32 {
            if xfeatures & (1 << i) == 0 {
                continue;
            }
            let l = __cpuid_count(0xD, i);
            let (size, off) = (l.eax as usize, l.ebx as usize);
            end = end.max(off + size);
            if i == XFEATURE_PKRU {
                pkru_offset = Some(off);
            }
        }
        let regset_size = regset_size(pid).unwrap_or(end);
        XCfg {
            user_size: end,
            xfeatures,
            regset_size,
            mxcsr_mask,
            pkru_offset,
        }
    }
}

#[repr(C, align(16))]
struct Fx([u8; 512]);

fn regset_size(pid: i32) -> io::Result<usize> {
    let mut buf = vec![0u8; 64 * 1024];
    get_xstate(pid, &mut buf)
}

fn get_xstate(pid: i32, buf: &mut [u8]) -> io::Result<usize> {
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    // SAFETY: GETREGSET writes at most iov_len bytes into `buf` and updates iov_len.
    check(unsafe {
        libc::ptrace(
            libc::PTRACE_GETREGSET,
            pid,
            NT_X86_XSTATE as usize,
            &mut iov as *mut _,
        )
    })?;
    Ok(iov.iov_len)
}

fn set_xstate(pid: i32, buf: &[u8]) -> io::Result<()> {
    let mut iov = libc::iovec {
        iov_base: buf.as_ptr() as *mut libc::c_void,
        iov_len: buf.len(),
    };
    // SAFETY: SETREGSET reads iov_len bytes from `buf`.
    check(unsafe {
        libc::ptrace(
            libc::PTRACE_SETREGSET,
            pid,
            NT_X86_XSTATE as usize,
            &mut iov as *mut _,
        )
    })?;
    Ok(())
}

/// The tracee's FP/SIMD state as an [`FpHook`]: its XSAVE area through
/// PTRACE_GETREGSET/SETREGSET NT_X86_XSTATE, sized as Linux sizes the frames of a
/// task without AMX permission.
pub struct XFp<'a> {
    /// The stopped thread.
    pub pid: i32,
    /// The machine's layout.
    pub cfg: &'a XCfg,
}

impl XFp<'_> {
    fn fetch(&self) -> Vec<u8> {
        let mut buf = vec![0u8; self.cfg.regset_size.max(self.cfg.user_size)];
        let _ = get_xstate(self.pid, &mut buf);
        buf
    }
}

const XSTATE_BV: usize = 512;

impl FpHook for XFp<'_> {
    fn image_len(&self) -> usize {
        self.cfg.user_size
    }

    fn save(&mut self, image: &mut [u8]) {
        let buf = self.fetch();
        let n = image.len().min(buf.len());
        image[..n].copy_from_slice(&buf[..n]);
        if image.len() >= XSTATE_BV + 8 {
            let mut bv = [0u8; 8];
            bv.copy_from_slice(&image[XSTATE_BV..XSTATE_BV + 8]);
            let bv = u64::from_le_bytes(bv) & self.cfg.xfeatures;
            image[XSTATE_BV..XSTATE_BV + 8].copy_from_slice(&bv.to_le_bytes());
        }
    }

    fn restore(&mut self, image: &[u8]) -> bool {
        let mut buf = vec![0u8; self.cfg.regset_size.max(image.len())];
        buf[..image.len()].copy_from_slice(image);
        set_xstate(self.pid, &buf).is_ok()
    }

    /// `fpu__clear_user_states`: every user feature to its initial state, PKRU kept.
    fn reset(&mut self) {
        let cur = self.fetch();
        let mut buf = vec![0u8; cur.len()];
        buf[0..2].copy_from_slice(&0x037Fu16.to_le_bytes()); // FCW
        buf[24..28].copy_from_slice(&0x1F80u32.to_le_bytes()); // MXCSR
        buf[28..32].copy_from_slice(&self.cfg.mxcsr_mask.to_le_bytes());
        let mut bv: u64 = 0b11;
        if let Some(off) = self.cfg.pkru_offset
            && off + 8 <= cur.len()
        {
            buf[off..off + 8].copy_from_slice(&cur[off..off + 8]);
            bv |= 1 << XFEATURE_PKRU;
        }
        buf[XSTATE_BV..XSTATE_BV + 8].copy_from_slice(&bv.to_le_bytes());
        let _ = set_xstate(self.pid, &buf);
    }

    fn x86_xfeatures(&self) -> u64 {
        self.cfg.xfeatures
    }

    fn x86_mxcsr_mask(&self) -> u32 {
        self.cfg.mxcsr_mask
    }
}

/// The classic BPF program: SECCOMP_RET_TRACE for the x86_64 signal system calls,
/// SECCOMP_RET_ALLOW for everything else (other ABIs included).
pub fn seccomp_filter() -> Vec<libc::sock_filter> {
    filter_for(TRAPPED, false)
}

/// The system calls the filter a process with a signalfd adds on top traps, so
/// that the runner can serve them on a signalfd: `read` and `readv`, the calls
/// that wait for readiness, and the ones that duplicate a descriptor (with
/// `fcntl`'s F_DUPFD and F_DUPFD_CLOEXEC, see [`read_filter`]).
pub const SFD_TRAPPED: &[libc::c_long] = &[
    libc::SYS_read,
    libc::SYS_readv,
    libc::SYS_poll,
    libc::SYS_ppoll,
    libc::SYS_select,
    libc::SYS_pselect6,
    libc::SYS_epoll_wait,
    libc::SYS_epoll_pwait,
    libc::SYS_epoll_pwait2,
    libc::SYS_dup,
    libc::SYS_dup2,
    libc::SYS_dup3,
];

/// The filter a process with a signalfd adds on top: SECCOMP_RET_TRACE for
/// [`SFD_TRAPPED`] and for `fcntl` whose command is F_DUPFD or F_DUPFD_CLOEXEC
/// (every other `fcntl` stays in the host).
pub fn read_filter() -> Vec<libc::sock_filter> {
    filter_for(SFD_TRAPPED, true)
}

/// SECCOMP_RET_TRACE for the x86_64 system calls in `trapped` (and, with
/// `fcntl_dup`, for `fcntl(fd, F_DUPFD | F_DUPFD_CLOEXEC, ..)`),
/// SECCOMP_RET_ALLOW for everything else.
fn filter_for(trapped: &[libc::c_long], fcntl_dup: bool) -> Vec<libc::sock_filter> {
    const AUDIT_ARCH_X86_64: u32 = 0xC000_003E; // EM_X86_64 | __AUDIT_ARCH_64BIT | LE
    const SECCOMP_RET_ALLOW: u32 = 0x7fff_0000;
    const SECCOMP_RET_TRACE: u32 = 0x7ff0_0000;
    /// `offsetof(struct seccomp_data, args[1])`, its low half on little-endian.
    const ARG1_LO: u32 = 24;
    let stmt = |code: u32, k: u32| libc::sock_filter {
        code: code as u16,
        jt: 0,
        jf: 0,
        k,
    };
    let jeq = |k: u32, jt: usize, jf: usize| libc::sock_filter {
        code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
        jt: jt as u8,
        jf: jf as u8,
        k,
    };
    let ld = libc::BPF_LD | libc::BPF_W | libc::BPF_ABS;
    let ret = libc::BPF_RET | libc::BPF_K;
    // Jump offsets count from the next instruction.
    let allow = 3 + usize::from(fcntl_dup) + trapped.len();
    let mut f = vec![
        stmt(ld, 4), // seccomp_data.arch
        jeq(AUDIT_ARCH_X86_64, 0, allow - 2),
        stmt(ld, 0), // seccomp_data.nr
    ];
    if fcntl_dup {
        // To the fcntl block after the TRACE return.
        f.push(jeq(libc::SYS_fcntl as u32, allow + 2 - 4, 0));
    }
    for nr in trapped {
        // Match: jump to the TRACE return after the ALLOW.
        let at = f.len();
        f.push(jeq(*nr as u32, allow - at, 0));
    }
    f.push(stmt(ret, SECCOMP_RET_ALLOW));
    f.push(stmt(ret, SECCOMP_RET_TRACE));
    if fcntl_dup {
        f.push(stmt(ld, ARG1_LO));
        f.push(jeq(libc::F_DUPFD as u32, 2, 0));
        f.push(jeq(libc::F_DUPFD_CLOEXEC as u32, 1, 0));
        f.push(stmt(ret, SECCOMP_RET_ALLOW));
        f.push(stmt(ret, SECCOMP_RET_TRACE));
    }
    f
}

/// A task's ids as the host sees them.
pub fn task_ids(tid: i32, tgid: i32) -> TaskIds {
    // SAFETY: getpgid/getsid take a pid value and touch no memory.
    let (pgid, sid) = unsafe { (libc::getpgid(tid), libc::getsid(tid)) };
    TaskIds {
        tid,
        tgid,
        pgid,
        sid,
    }
}

/// `CAP_KILL` (include/uapi/linux/capability.h).
const CAP_KILL: u32 = 5;

/// A task's credentials from /proc/TID/status (`Uid:` and `CapEff:`).
pub fn task_cred(tid: i32) -> Credentials {
    let mut c = Credentials::default();
    let Ok(s) = std::fs::read_to_string(format!("/proc/{tid}/status")) else {
        return c;
    };
    for line in s.lines() {
        if let Some(rest) = line.strip_prefix("Uid:") {
            let v: Vec<u32> = rest
                .split_whitespace()
                .filter_map(|x| x.parse().ok())
                .collect();
            if v.len() >= 3 {
                (c.uid, c.euid, c.suid) = (v[0], v[1], v[2]);
            }
        } else if let Some(rest) = line.strip_prefix("CapEff:") {
            let caps = u64::from_str_radix(rest.trim(), 16).unwrap_or(0);
            c.cap_kill = caps & (1 << CAP_KILL) != 0;
        }
    }
    c
}

/// What pidfd `fd` of `tid` refers to: (pid, PIDFD_THREAD), from its fdinfo.
pub fn pidfd_target(tid: i32, fd: i32) -> Result<(i32, bool), Errno> {
    let s =
        std::fs::read_to_string(format!("/proc/{tid}/fdinfo/{fd}")).map_err(|_| Errno::EBADF)?;
    let mut pid = None;
    let mut flags = 0u32;
    for line in s.lines() {
        if let Some(v) = line.strip_prefix("Pid:") {
            pid = v.trim().parse::<i32>().ok();
        } else if let Some(v) = line.strip_prefix("flags:") {
            flags = u32::from_str_radix(v.trim(), 8).unwrap_or(0);
        }
    }
    if let Some(pid) = pid {
        return Ok((pid, flags & libc::O_EXCL as u32 != 0));
    }
    // A /proc/PID directory also names a process (`tgid_pidfd_to_pid`).
    let link = std::fs::read_link(format!("/proc/{tid}/fd/{fd}")).map_err(|_| Errno::EBADF)?;
    let link = link.to_str().ok_or(Errno::EBADF)?;
    if link.ends_with(" (deleted)") {
        // Its process is gone (`pid_task` finds nothing): ESRCH.
        return Ok((-1, false));
    }
    let pid = Some(link)
        .and_then(|l| l.strip_prefix("/proc/"))
        .and_then(|p| p.parse::<i32>().ok())
        .ok_or(Errno::EBADF)?;
    Ok((pid, false))
}

/// Whether the host has SIGCONT pending for `tid` (its own or its process's queue,
/// `SigPnd:` / `ShdPnd:` of /proc/TID/status).
pub fn sigcont_pending(tid: i32) -> bool {
    host_pending(tid) & (1u64 << (libc::SIGCONT - 1)) != 0
}

/// The host signals pending for thread `tid` (its own and its process's), from
/// `/proc/TID/status`: 0 if it cannot be read.
pub fn host_pending(tid: i32) -> u64 {
    let Ok(s) = std::fs::read_to_string(format!("/proc/{tid}/status")) else {
        return 0;
    };
    s.lines()
        .filter_map(|l| {
            l.strip_prefix("SigPnd:")
                .or_else(|| l.strip_prefix("ShdPnd:"))
        })
        .filter_map(|v| u64::from_str_radix(v.trim(), 16).ok())
        .fold(0, |a, v| a | v)
}

/// The descriptors registered in epoll instance `epfd` of `tid`, as its
/// `/proc/TID/fdinfo/EPFD` lists them (`ep_show_fdinfo`): the target descriptor
/// number, the events asked for and the user's data, each in registration terms.
/// None if `epfd` is not an epoll file.
pub fn epoll_targets(tid: i32, epfd: i32) -> Option<Vec<(i32, u32, u64)>> {
    let text = std::fs::read_to_string(format!("/proc/{tid}/fdinfo/{epfd}")).ok()?;
    let mut out = Vec::new();
    for line in text.lines().filter(|l| l.starts_with("tfd:")) {
        let mut w = line.split_whitespace();
        let mut field = |name: &str| {
            w.by_ref()
                .skip_while(|x| *x != name)
                .nth(1)
                .map(str::to_owned)
        };
        let fd = field("tfd:")?.parse().ok()?;
        let events = u32::from_str_radix(&field("events:")?, 16).ok()?;
        let data = u64::from_str_radix(&field("data:")?, 16).ok()?;
        out.push((fd, events, data));
    }
    Some(out)
}

/// The buffers of a `readv` as one user buffer: address `IOV_BASE + n` is byte
/// `n` of the concatenated `(base, len)` segments, so that the crate's signalfd
/// read, which writes records at consecutive offsets of one buffer, scatters them
/// as `copy_to_iter` does.
pub struct IovMem {
    /// The tracee.
    pub pid: i32,
    /// Its `struct iovec` array.
    pub iov: Vec<(usize, usize)>,
}

/// Where an [`IovMem`]'s linear buffer starts (any address the crate's checked
/// additions cannot overflow).
pub const IOV_BASE: usize = 1 << 40;

impl IovMem {
    /// Reads the `iovcnt` entries of the `struct iovec` array at `at`; EINVAL
    /// beyond UIO_MAXIOV (1024), EFAULT if unreadable.
    pub fn read(pid: i32, at: usize, iovcnt: usize) -> Result<IovMem, Errno> {
        if iovcnt > 1024 {
            return Err(Errno::EINVAL);
        }
        let mut raw = vec![0u8; iovcnt * 16];
        RemoteMem { pid }.read(at, &mut raw)?;
        let iov = raw
            .chunks(16)
            .map(|c| {
                let w = |i: usize| u64::from_ne_bytes(c[i..i + 8].try_into().unwrap()) as usize;
                (w(0), w(8))
            })
            .collect();
        Ok(IovMem { pid, iov })
    }

    /// The total length of the buffers.
    pub fn len(&self) -> usize {
        self.iov.iter().fold(0usize, |a, s| a.saturating_add(s.1))
    }

    /// Whether the buffers hold nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl UserMemory for IovMem {
    fn read(&self, _addr: usize, _buf: &mut [u8]) -> Result<(), Errno> {
        Err(Errno::EFAULT)
    }

    fn write(&mut self, addr: usize, mut buf: &[u8]) -> Result<(), Errno> {
        let mut off = addr.checked_sub(IOV_BASE).ok_or(Errno::EFAULT)?;
        let mut mem = RemoteMem { pid: self.pid };
        for &(base, len) in &self.iov {
            if buf.is_empty() {
                break;
            }
            if off >= len {
                off -= len;
                continue;
            }
            let n = (len - off).min(buf.len());
            mem.write(base + off, &buf[..n])?;
            buf = &buf[n..];
            off = 0;
        }
        if buf.is_empty() {
            Ok(())
        } else {
            Err(Errno::EFAULT)
        }
    }
}

/// `(state, ppid, pgrp, session)` of process `pid`, from `/proc/PID/stat`.
fn stat_ids(pid: i32) -> Option<(char, i32, i32, i32)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may contain anything: the fields
    // start after the last ')'.
    let mut f = text.get(text.rfind(')')? + 1..)?.split_whitespace();
    let state = f.next()?.chars().next()?;
    let mut num = || f.next()?.parse::<i32>().ok();
    Some((state, num()?, num()?, num()?))
}

/// Linux's `is_current_pgrp_orphaned` for process `pid`, from the host's
/// `/proc`: its process group is orphaned unless some member (zombies aside)
/// has a parent, other than init, in a different process group of the same
/// session (`will_become_orphaned_pgrp`).
pub fn pgrp_orphaned(pid: i32) -> bool {
    let Some((_, _, pgrp, _)) = stat_ids(pid) else {
        return false;
    };
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return false;
    };
    for entry in dir.flatten() {
        let Some(p) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        let Some((state, ppid, pg, sid)) = stat_ids(p) else {
            continue;
        };
        if pg != pgrp || state == 'Z' || ppid <= 1 {
            continue;
        }
        if let Some((_, _, parent_pg, parent_sid)) = stat_ids(ppid)
            && parent_pg != pgrp
            && parent_sid == sid
        {
            return false;
        }
    }
    true
}
