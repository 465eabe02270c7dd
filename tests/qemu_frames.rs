//! Frames against an independent implementation: qemu-user's aarch64, riscv64 and
//! loongarch64 signal code (QEMU's linux-user/<arch>/signal.c, written apart from this
//! crate).
//!
//! `tests/qemu_frames/guest` is a static no_std program (raw system calls) that
//! raises 16 signals with every general and FP register holding a known value: with
//! and without `SA_SIGINFO` and `SA_RESTORER`, on the main and on an alternate stack
//! (also with an unaligned top), with a mask, an `SI_QUEUE` real-time signal, two
//! nested pairs (on the alternate stack, and the same signal again under
//! `SA_NODEFER`), one ending an `rt_sigsuspend` (ERESTARTNOHAND → -EINTR, the frame
//! saves the mask from before the call) and an itimer's SIGALRM restarting a blocked
//! `read` under `SA_RESTART` (ERESTARTSYS: pc rewound, a0/x0 restored). Its handler writes out the registers it was entered with and the
//! stack bytes around its frame, edits the ucontext (pc, a general register, an FP
//! register, the mask with SIGKILL and SIGSTOP in it) and returns through
//! `rt_sigreturn`; the code at the new pc writes out every register, the mask and
//! the alternate stack.
//!
//! For each signal this test gives ksignal's `setup_rt_frame` the same interrupted
//! state (registers, FP image, alternate stack, mask, action, siginfo; the system
//! call's result goes through `syscall_restart` first, as in `do_signal`) and compares:
//! the frame's placement and alignment, every field Linux writes (siginfo, uc_flags,
//! uc_link, uc_stack, uc_sigmask, every register, each FP record with its magic and
//! size, the end record, aarch64's frame record) and the handler's entry registers
//! (all of them: arguments, return address, sp, pc). Then ksignal's `rt_sigreturn`
//! reads the edited bytes at the handler's sp and must produce exactly the state the
//! program resumed with (registers, pc, sp, FP image, mask, alternate stack).
//!
//! Bytes Linux does not write (the unused part of `__reserved`, struct padding,
//! `sctx_info.padding`) hold whatever the user stack held and are not compared.
//! Where qemu-user 7.2 and Linux differ, Linux's source decides and only that field
//! is skipped; each skip names the Linux function (see the `Skip` texts below), and
//! ksignal's value there is checked against Linux's rule instead.
//!
//! Needs `qemu-<arch>-static` (Debian's qemu-user-static) and a nightly toolchain with
//! rust-src (the guest is built with `-Zbuild-std=core`). Without them each test
//! prints `SKIPPED: <reason>` and passes, unless `KSIGNAL_QEMU_FRAMES=require` (as in
//! .ci/run), when it fails.
#[path = "common/fp.rs"]
mod image_fp;
#[path = "qemu_frames/guest/src/protocol.rs"]
mod protocol;

use image_fp::ImageFp;
use ksignal::frame::aarch64::Aarch64Context;
use ksignal::frame::loongarch64::Loongarch64Context;
use ksignal::frame::riscv64::Riscv64Context;
use ksignal::frame::{HandlerFrame, RestartOutcome, TrapFrame};
use ksignal::{
    Disposition, SaFlags, SignalAction, SignalInfo, SignalSet, SignalStack, Signo, StackT,
    UserBuffer, UserMemory,
};
use linux_raw_sys::general::{
    SA_RESTORER, SA_SIGINFO, SI_KERNEL, SI_QUEUE, SS_DISABLE, SS_ONSTACK,
};
use protocol::{
    Mode, QUEUE_UID, QUEUE_VALUE, RAISED_WORDS, Raised, TAG_EDITED, TAG_FRAME, TAG_RESUMED,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The guest's cases (its `CASES`).
const CASES: usize = 16;

/// What the handler received, and the interrupted state (see the guest's `Raise`).
#[derive(Clone, Debug)]
struct Frame {
    sig: u64,
    flags: u64,
    restorer: u64,
    handler: u64,
    sa_mask: u64,
    /// The mask when the signal was raised.
    blocked: u64,
    /// `sigaltstack`'s answer when the signal was raised: sp, flags, size.
    ss: [u64; 3],
    /// How the signal interrupted the system call.
    mode: Mode,
    /// The registers the signal was raised with.
    raised: Raised,
    entry: [u64; 32],
    base: u64,
    bytes: Vec<u8>,
}

#[derive(Clone, Debug)]
struct Resumed {
    gpr: [u64; 32],
    fpr: [u64; 64],
    fpctl: [u64; 4],
    sp: u64,
    blocked: u64,
    ss: [u64; 3],
}

#[derive(Default)]
struct Run {
    frames: BTreeMap<u64, Frame>,
    edited: BTreeMap<u64, (u64, Vec<u8>)>,
    resumed: BTreeMap<u64, Resumed>,
}

/// [`Raised`] from its words in a frame record.
fn raised(w: &[u64]) -> Raised {
    Raised {
        gpr: arr(w),
        fpr: arr(&w[32..]),
        fpctl: arr(&w[96..]),
        sp: w[100],
        pc: w[101],
        resume: w[102],
    }
}

fn arr<const N: usize>(w: &[u64]) -> [u64; N] {
    w[..N].try_into().unwrap()
}

fn bytes_of(w: &[u64]) -> Vec<u8> {
    w.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn parse(out: &[u8]) -> Run {
    assert_eq!(out.len() % 8, 0, "guest output is whole words");
    let w: Vec<u64> = out
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    let mut run = Run::default();
    let mut i = 0;
    while i < w.len() {
        let (tag, id, n) = (w[i], w[i + 1], w[i + 2] as usize);
        let r = &w[i + 3..i + 3 + n];
        match tag {
            TAG_FRAME => {
                let f = Frame {
                    sig: r[0],
                    flags: r[1],
                    restorer: r[2],
                    handler: r[3],
                    sa_mask: r[4],
                    blocked: r[5],
                    ss: arr(&r[6..]),
                    mode: [Mode::Kill, Mode::Queue, Mode::Suspend, Mode::PipeRead]
                        .into_iter()
                        .find(|&m| m as u64 == r[9])
                        .expect("a mode the guest knows"),
                    raised: raised(&r[10..10 + RAISED_WORDS]),
                    entry: arr(&r[113..]),
                    base: r[145],
                    bytes: bytes_of(&r[147..]),
                };
                assert_eq!(f.bytes.len() as u64, r[146]);
                run.frames.insert(id, f);
            }
            TAG_EDITED => {
                let b = bytes_of(&r[2..]);
                assert_eq!(b.len() as u64, r[1]);
                run.edited.insert(id, (r[0], b));
            }
            TAG_RESUMED => {
                run.resumed.insert(
                    id,
                    Resumed {
                        gpr: arr(r),
                        fpr: arr(&r[32..]),
                        fpctl: arr(&r[96..]),
                        sp: r[100],
                        blocked: r[101],
                        ss: arr(&r[102..]),
                    },
                );
            }
            t => panic!("unknown record tag {t}"),
        }
        i += 3 + n;
    }
    run
}

/// One field Linux writes: its name, its offset in ksignal's (Linux's) frame and in
/// QEMU's (`None`: QEMU has no such field), its length; if QEMU may differ, why Linux
/// decides (recorded only when QEMU does differ) and, when known here, Linux's value,
/// which ksignal's must then equal.
struct Field {
    name: String,
    k_off: u64,
    q_off: Option<u64>,
    len: u64,
    skip: Option<&'static str>,
    linux: Option<Vec<u8>>,
}

fn field(name: impl Into<String>, off: u64, len: u64) -> Field {
    Field {
        name: name.into(),
        k_off: off,
        q_off: Some(off),
        len,
        skip: None,
        linux: None,
    }
}

/// One architecture: how to turn the guest's words into ksignal's inputs and back.
trait QemuArch {
    const NAME: &'static str;
    const TARGET: &'static str;
    const QEMU: &'static str;
    const QEMU_ARGS: &'static [&'static str];
    /// Register number of the return value (the system call's result: 0).
    const RET: usize;
    /// Register number of the stack pointer in the guest's arrays.
    const SP: usize;
    /// Why QEMU's frame may sit elsewhere than Linux's (ksignal is then checked
    /// against Linux's get_sigframe only).
    const PLACEMENT_DIFFERS: &'static str = "";
    /// Whether the siginfo is written without SA_SIGINFO too.
    const SIGINFO_ALWAYS: bool;
    type Ctx: TrapFrame + Copy + std::fmt::Debug;

    /// The context when the signal is found: in the system call, whose result
    /// register holds `ret` (its first argument is the guest's).
    fn ctx(f: &Frame, ret: u64) -> Self::Ctx;
    /// For [`ctx`](Self::ctx) where the registers are one array of 32 with the zero
    /// register first (riscv64, loongarch64): the guest's, sp included, and `ret`.
    fn gprs_in_syscall(f: &Frame, ret: u64) -> [u64; 32] {
        let mut x = f.raised.gpr;
        (x[0], x[Self::SP], x[Self::RET]) = (0, f.raised.sp, ret);
        x
    }
    /// General registers by number (the sp slot holds sp) and pc.
    fn regs(c: &Self::Ctx) -> ([u64; 32], u64);
    fn set_sp(c: &mut Self::Ctx, sp: u64);
    /// ksignal's FP image for the guest's FP words.
    fn fp_image(fpr: &[u64; 64], fpctl: &[u64; 4]) -> Vec<u8>;
    /// Bytes of the FP image that carry state (the rest is struct padding, which
    /// Linux copies but nothing reads).
    const FP_STATE_BYTES: usize;
    /// The trampoline the kernel passes: the return address QEMU gave a handler
    /// without `SA_RESTORER` (its sigtramp page, Linux's vDSO).
    fn trampoline(f: &Frame) -> u64;
    /// The architecture's fields Linux writes (offsets from the frame; the siginfo
    /// and uc_stack.ss_flags are in `common_fields`). `q` is QEMU's frame.
    fn fields(q_frame: u64, q: &Mem) -> Vec<Field>;
    /// Where Linux puts the frame for this delivery (its get_sigframe), given the
    /// stack pointer after `sigsp`.
    fn linux_frame(f: &Frame, sigsp: u64) -> u64;
    /// Registers that may differ between the two handler entries only because the
    /// frames sit at different addresses: (register, offset from the frame).
    fn frame_relative_entry_regs(f: &Frame) -> Vec<(usize, u64)>;
    /// Linux-only bytes of the frame that QEMU does not write, as Linux writes them
    /// (offset from the frame, bytes): put under QEMU's frame before ksignal's
    /// rt_sigreturn reads it.
    fn linux_only(_f: &Frame) -> Vec<(u64, Vec<u8>)> {
        Vec::new()
    }
    /// The resumed pstate bits the program could observe, compared with ksignal's.
    fn resumed_flags(_k: &Self::Ctx, _r: &Resumed, _errs: &mut Vec<String>) {}
}

/// The guest's dumped bytes, addressed.
struct Mem {
    base: u64,
    bytes: Vec<u8>,
}

impl Mem {
    fn get(&self, addr: u64, len: u64) -> &[u8] {
        let off = addr.checked_sub(self.base).expect("address below the dump") as usize;
        &self.bytes[off..off + len as usize]
    }
    fn u32(&self, addr: u64) -> u32 {
        u32::from_le_bytes(self.get(addr, 4).try_into().unwrap())
    }
}

fn kbytes(m: &UserBuffer, addr: u64, len: u64) -> Vec<u8> {
    m.bytes(addr as usize, len as usize)
        .expect("ksignal's frame inside the dumped range")
        .to_vec()
}

fn action(f: &Frame) -> SignalAction {
    SignalAction::new(
        Disposition::Handler(f.handler as usize),
        SaFlags::from_bits_retain(f.flags),
        SignalSet::from_bits(f.sa_mask),
        f.restorer as usize,
    )
}

/// The task's alternate stack when the signal was raised, rebuilt from what
/// `sigaltstack` reported (SS_ONSTACK there is computed from sp, not stored).
fn stack_of(ss: [u64; 3]) -> SignalStack {
    let mut s = SignalStack::DISABLED;
    if ss[1] & u64::from(SS_DISABLE) == 0 {
        s.sigaltstack(
            Some(StackT {
                ss_sp: ss[0] as usize,
                ss_flags: ss[1] as u32 & !SS_ONSTACK,
                ss_size: ss[2] as usize,
            }),
            0,
            0,
        )
        .expect("the guest's alternate stack is valid");
    }
    s
}

/// The siginfo the kernel's send path makes for the guest's tgkill (SI_TKILL),
/// rt_tgsigqueueinfo (SI_QUEUE, the guest's own fields) or itimer (SI_KERNEL); the
/// sender's pid and uid are the process's, read from QEMU's frame.
fn siginfo(f: &Frame, q: &Mem, q_frame: u64) -> [u8; 128] {
    let sig = Signo::new(f.sig as u32).unwrap();
    let code = q.u32(q_frame + 8) as i32;
    let pid = q.u32(q_frame + 16) as i32;
    let uid = q.u32(q_frame + 20);
    let info = match code {
        SI_QUEUE => {
            assert_eq!(u64::from(uid), QUEUE_UID);
            SignalInfo::queue(sig, pid, uid, QUEUE_VALUE)
        }
        // The itimer's SIGALRM: SEND_SIG_PRIV.
        c if c == SI_KERNEL as i32 => SignalInfo::kernel(sig),
        _ => SignalInfo::tkill(sig, pid, uid),
    };
    *info.as_bytes()
}

struct Counts {
    frames: usize,
    sigreturns: usize,
    skipped: BTreeMap<String, &'static str>,
}

fn compare<A: QemuArch>(run: &Run) -> Result<Counts, Vec<String>> {
    let mut errs = Vec::new();
    let mut counts = Counts {
        frames: 0,
        sigreturns: 0,
        skipped: BTreeMap::new(),
    };
    for (id, f) in &run.frames {
        let e0 = errs.len();
        let q = Mem {
            base: f.base,
            bytes: f.bytes.clone(),
        };
        let q_frame = f.entry[A::SP];
        // --- ksignal's frame for the same interrupted state ---
        // The system call's result when the signal was found: 0 for tgkill and
        // rt_tgsigqueueinfo, ERESTARTNOHAND for rt_sigsuspend, ERESTARTSYS for the
        // read; do_signal applies the restart table before the frame is built.
        let ret = match f.mode {
            Mode::Suspend => ksignal::Errno::ERESTARTNOHAND.as_neg_ret() as u64,
            Mode::PipeRead => ksignal::Errno::ERESTARTSYS.as_neg_ret() as u64,
            Mode::Kill | Mode::Queue => 0,
        };
        let mut ctx = A::ctx(f, ret);
        let act = action(f);
        let (expected, outcome) = (
            match f.mode {
                Mode::Suspend => RestartOutcome::Interrupted,
                Mode::PipeRead => RestartOutcome::Restarted,
                _ => RestartOutcome::NotRestartable,
            },
            ksignal::frame::syscall_restart(&mut ctx, Some(&act)),
        );
        if outcome != expected {
            errs.push(format!(
                "case {id}: syscall_restart gave {outcome:?}, expected {expected:?}"
            ));
        }
        let mut fp = ImageFp::new(A::fp_image(&f.raised.fpr, &f.raised.fpctl));
        let fp_before = fp.state.clone();
        let mut kmem = UserBuffer::new().with_region(f.base as usize, f.bytes.len());
        let mut stack = stack_of(f.ss);
        let stack_at_raise = stack;
        let info = siginfo(f, &q, q_frame);
        let req = ksignal::frame::FrameRequest {
            sig: Signo::new(f.sig as u32).unwrap(),
            action: &act,
            info: &info,
            saved_mask: SignalSet::from_bits(f.blocked),
            trampoline: A::trampoline(f),
            fault: ksignal::frame::FaultInfo::default(),
        };
        let hf: HandlerFrame =
            match ksignal::frame::setup_rt_frame(&mut ctx, &mut fp, &mut kmem, &mut stack, &req) {
                Ok(h) => h,
                Err(e) => {
                    errs.push(format!("case {id}: ksignal's setup_rt_frame failed: {e:?}"));
                    continue;
                }
            };
        let k_frame = hf.frame;
        if fp.state != fp_before {
            errs.push(format!("case {id}: setup_rt_frame changed the FP state"));
        }
        // Placement: Linux's get_sigframe for this delivery; QEMU's frame too when
        // its layout has Linux's size.
        let onstack = f.flags & 0x0800_0000 != 0;
        let sigsp = stack_at_raise
            .sigsp(f.raised.sp as usize, onstack)
            .expect("sigsp") as u64;
        let linux = A::linux_frame(f, sigsp);
        if k_frame != linux {
            errs.push(format!(
                "case {id}: ksignal's frame at {k_frame:#x}, Linux's get_sigframe gives {linux:#x}"
            ));
        }
        if !k_frame.is_multiple_of(16) {
            errs.push(format!("case {id}: frame {k_frame:#x} not 16-byte aligned"));
        }
        if linux != q_frame {
            counts
                .skipped
                .insert("frame placement".into(), A::PLACEMENT_DIFFERS);
        }
        // Fields.
        let mut fields = A::fields(q_frame, &q);
        fields.extend(common_fields::<A>(f, &info));
        for fl in fields {
            let k = kbytes(&kmem, k_frame + fl.k_off, fl.len);
            if let Some(l) = &fl.linux
                && &k != l
            {
                errs.push(format!(
                    "case {id}: {}: ksignal {:02x?}, Linux writes {:02x?}",
                    fl.name, k, l
                ));
            }
            let qb = fl.q_off.map(|o| q.get(q_frame + o, fl.len).to_vec());
            if qb.as_ref() == Some(&k) {
                continue;
            }
            match (fl.skip, qb) {
                (Some(why), _) => {
                    counts.skipped.insert(fl.name.clone(), why);
                }
                (None, qb) => errs.push(format!(
                    "case {id}: {} differs: ksignal {:02x?}, qemu {:02x?}",
                    fl.name, k, qb
                )),
            }
        }
        // Handler entry registers.
        let (kregs, kpc) = A::regs(&ctx);
        if kpc != f.handler {
            errs.push(format!(
                "case {id}: entry pc {kpc:#x}, handler {:#x}",
                f.handler
            ));
        }
        let rel = A::frame_relative_entry_regs(f);
        for (r, (&kr, &qr)) in kregs.iter().zip(&f.entry).enumerate() {
            let (k, qv) = match rel.iter().find(|(n, _)| *n == r) {
                Some((_, off)) => {
                    if kr != k_frame + off {
                        errs.push(format!(
                            "case {id}: entry reg {r} = {kr:#x}, expected frame+{off}"
                        ));
                    }
                    (kr.wrapping_sub(k_frame), qr.wrapping_sub(q_frame))
                }
                None => (kr, qr),
            };
            if k != qv {
                errs.push(format!(
                    "case {id}: entry register {r}: ksignal {k:#x}, qemu {qv:#x}"
                ));
            }
        }
        if errs.len() == e0 {
            counts.frames += 1;
        }

        // --- rt_sigreturn on the bytes the handler left ---
        let e1 = errs.len();
        let (Some((ebase, ebytes)), Some(res)) = (run.edited.get(id), run.resumed.get(id)) else {
            errs.push(format!("case {id}: no edited frame or resumed state"));
            continue;
        };
        // Linux's frame may reach above QEMU's (riscv64: 1088 bytes against 832).
        let len = ebytes.len().max((q_frame + 4096 - ebase) as usize);
        let mut smem = UserBuffer::new().with_region(*ebase as usize, len);
        smem.write(*ebase as usize, ebytes).unwrap();
        for (off, b) in A::linux_only(f) {
            smem.write((q_frame + off) as usize, &b).unwrap();
        }
        let mut sctx = ctx;
        A::set_sp(&mut sctx, q_frame);
        let mut sfp = ImageFp::new(vec![0xEE; fp_before.len()]);
        let mut sstack = stack;
        match ksignal::frame::restore_rt_frame(&mut sctx, &mut sfp, &smem, &mut sstack) {
            Err(e) => errs.push(format!("case {id}: ksignal's rt_sigreturn failed: {e:?}")),
            Ok(sr) => {
                let (regs, pc) = A::regs(&sctx);
                if pc != f.raised.resume {
                    errs.push(format!(
                        "case {id}: resumed pc {pc:#x}, the program resumed at {:#x}",
                        f.raised.resume
                    ));
                }
                for (r, (&kr, &qr)) in regs.iter().zip(&res.gpr).enumerate() {
                    let want = if r == A::SP { res.sp } else { qr };
                    if kr != want {
                        errs.push(format!(
                            "case {id}: resumed register {r}: ksignal {kr:#x}, qemu {want:#x}"
                        ));
                    }
                }
                if sr.ret != res.gpr[A::RET] {
                    errs.push(format!("case {id}: sigreturn's return value differs"));
                }
                let want_fp = A::fp_image(&res.fpr, &res.fpctl);
                let n = A::FP_STATE_BYTES;
                if sfp.state.len() != want_fp.len() || sfp.state[..n] != want_fp[..n] {
                    let at = sfp.state.iter().zip(&want_fp).position(|(a, b)| a != b);
                    errs.push(format!(
                        "case {id}: resumed FP state differs from byte {at:?}: ksignal {:02x?}, qemu {:02x?}",
                        sfp.state, want_fp
                    ));
                }
                // Linux's set_current_blocked removes SIGKILL and SIGSTOP; QEMU 7.2's
                // do_rt_sigreturn (set_sigmask) keeps them in the mask it reports.
                let unblockable = (1 << (9 - 1)) | (1 << (19 - 1));
                if sr.mask.bits() & unblockable != 0 {
                    errs.push(format!("case {id}: ksignal's mask keeps SIGKILL/SIGSTOP"));
                }
                if sr.mask.bits() != res.blocked & !unblockable {
                    errs.push(format!(
                        "case {id}: resumed mask: ksignal {:#x}, qemu {:#x}",
                        sr.mask.bits(),
                        res.blocked
                    ));
                }
                if res.blocked & unblockable != 0 {
                    counts.skipped.insert(
                        "SIGKILL/SIGSTOP in the restored mask".into(),
                        "Linux's set_current_blocked (via rt_sigreturn) removes them; \
                         QEMU 7.2's set_sigmask keeps them",
                    );
                }
                if sr.force_sigfpe {
                    errs.push(format!("case {id}: ksignal forced SIGFPE"));
                }
                let old = sstack.old_stack(res.sp as usize);
                let got = [old.ss_sp as u64, old.ss_flags as u64, old.ss_size as u64];
                if got != res.ss {
                    errs.push(format!(
                        "case {id}: altstack after sigreturn: ksignal {got:x?}, qemu {:x?}",
                        res.ss
                    ));
                }
                A::resumed_flags(&sctx, res, &mut errs);
            }
        }
        if errs.len() == e1 {
            counts.sigreturns += 1;
        }
    }
    if run.frames.len() != CASES {
        errs.push(format!("{} frames, expected {CASES}", run.frames.len()));
    }
    if errs.is_empty() {
        Ok(counts)
    } else {
        Err(errs)
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn required() -> bool {
    std::env::var("KSIGNAL_QEMU_FRAMES").is_ok_and(|v| v == "require")
}

fn skip(what: &str, why: String) -> Option<Vec<u8>> {
    assert!(!required(), "{what}: {why} (KSIGNAL_QEMU_FRAMES=require)");
    println!("SKIPPED: {what}: {why}");
    None
}

/// Builds the guest for `A` (cached under target/qemu-frames) and runs it.
fn guest_output<A: QemuArch>() -> Option<Vec<u8>> {
    let qemu = Path::new("/usr/bin").join(A::QEMU);
    if !qemu.exists() {
        return skip(
            A::NAME,
            format!(
                "{} not found (Debian package qemu-user-static)",
                qemu.display()
            ),
        );
    }
    let root = root();
    let target_dir = root.join("target/qemu-frames");
    let mut build = Command::new("rustup");
    build
        .args(["run", "nightly", "cargo", "build", "--release", "--quiet"])
        .args([
            "-Zbuild-std=core",
            "-Zbuild-std-features=compiler-builtins-mem",
        ])
        .args(["--target", A::TARGET])
        .arg("--manifest-path")
        .arg(root.join("tests/qemu_frames/guest/Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir);
    // The outer cargo's settings are for the host build, not this one.
    for v in [
        "RUSTUP_TOOLCHAIN",
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_TARGET",
        "CARGO_TARGET_DIR",
        "RUSTC",
        "RUSTC_WRAPPER",
        "RUSTDOC",
        "CARGO",
    ] {
        build.env_remove(v);
    }
    match build.output() {
        Err(e) => return skip(A::NAME, format!("rustup cannot be run: {e}")),
        Ok(o) if !o.status.success() => {
            let msg = String::from_utf8_lossy(&o.stderr);
            return skip(
                A::NAME,
                format!(
                    "the guest does not build with nightly -Zbuild-std=core (needs the \
                     nightly toolchain with rust-src): {}",
                    msg.lines().last().unwrap_or("")
                ),
            );
        }
        Ok(_) => {}
    }
    let bin = target_dir.join(A::TARGET).join("release/qemu-frames-guest");
    let out = Command::new(&qemu)
        .args(A::QEMU_ARGS)
        .arg(&bin)
        .output()
        .expect("run qemu-user");
    assert!(
        out.status.success(),
        "{}: the guest failed under {}: {:?}",
        A::NAME,
        A::QEMU,
        out.status
    );
    Some(out.stdout)
}

fn check_arch<A: QemuArch>() {
    let Some(out) = guest_output::<A>() else {
        return;
    };
    let run = parse(&out);
    match compare::<A>(&run) {
        Ok(c) => {
            let skipped: Vec<&str> = c.skipped.keys().map(|s| s.as_str()).collect();
            println!(
                "{}: {} frames and {} sigreturns identical to qemu-user{}",
                A::NAME,
                c.frames,
                c.sigreturns,
                if skipped.is_empty() {
                    String::new()
                } else {
                    format!(" (Linux decides, QEMU differs: {})", skipped.join(", "))
                }
            );
            for (name, why) in &c.skipped {
                println!("  {}: {name} not compared with QEMU: {why}", A::NAME);
            }
        }
        Err(errs) => panic!(
            "{}: {} differences:\n{}",
            A::NAME,
            errs.len(),
            errs.join("\n")
        ),
    }
}

// ---------------------------------------------------------------------------
// aarch64
// ---------------------------------------------------------------------------

struct A64;

impl QemuArch for A64 {
    const NAME: &'static str = "aarch64";
    const TARGET: &'static str = "aarch64-unknown-none";
    const QEMU: &'static str = "qemu-aarch64-static";
    /// A CPU without SVE, SME, MTE, BTI or GCS, as ksignal models (its frames carry
    /// fpsimd, esr and the terminator only).
    const QEMU_ARGS: &'static [&'static str] = &["-cpu", "cortex-a57"];
    const RET: usize = 0;
    const SP: usize = 31;
    const SIGINFO_ALWAYS: bool = false;
    const FP_STATE_BYTES: usize = 520;
    type Ctx = Aarch64Context;

    fn ctx(f: &Frame, ret: u64) -> Aarch64Context {
        let mut x: [u64; 31] = arr(&f.raised.gpr);
        x[0] = ret;
        Aarch64Context {
            x,
            sp: f.raised.sp,
            pc: f.raised.pc,
            // EL0t, AArch64, DAIF clear: only the condition flags the guest set.
            pstate: f.raised.fpctl[2],
            in_syscall: true,
            orig_x0: f.raised.gpr[0],
        }
    }
    fn regs(c: &Aarch64Context) -> ([u64; 32], u64) {
        let mut r = [0; 32];
        r[..31].copy_from_slice(&c.x);
        r[31] = c.sp;
        (r, c.pc)
    }
    fn set_sp(c: &mut Aarch64Context, sp: u64) {
        c.sp = sp;
    }
    fn fp_image(fpr: &[u64; 64], fpctl: &[u64; 4]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend((fpctl[0] as u32).to_le_bytes());
        v.extend((fpctl[1] as u32).to_le_bytes());
        v.extend(bytes_of(fpr));
        v
    }
    fn trampoline(f: &Frame) -> u64 {
        if f.flags & u64::from(SA_RESTORER) != 0 {
            // Not used: x30 must be sa_restorer.
            0x7fff_dead_0000
        } else {
            f.entry[30]
        }
    }
    fn fields(_q_frame: u64, _q: &Mem) -> Vec<Field> {
        let mut v = uc_header();
        v.push(field("fault_address", 304, 8));
        for i in 0..31 {
            v.push(field(format!("regs[{i}]"), 312 + 8 * i, 8));
        }
        v.push(field("sp", 560, 8));
        v.push(field("pc", 568, 8));
        v.push(field("pstate", 576, 8));
        v.push(field("fpsimd.magic", 592, 4));
        v.push(field("fpsimd.size", 596, 4));
        v.push(field("fpsimd.fpsr", 600, 4));
        v.push(field("fpsimd.fpcr", 604, 4));
        for i in 0..32 {
            v.push(field(format!("fpsimd.vregs[{i}]"), 608 + 16 * i, 16));
        }
        v.push(field("terminator", 1120, 8));
        // The frame record {x29, x30} right above the rt_sigframe.
        v.push(field("frame_record.fp", 4688, 8));
        v.push(field("frame_record.lr", 4696, 8));
        v
    }
    fn linux_frame(_f: &Frame, sigsp: u64) -> u64 {
        // get_sigframe: the frame record at round_down(sp - 16, 16), the 4688-byte
        // rt_sigframe (fpsimd + terminator fit in __reserved) below it.
        ((sigsp - 16) & !15) - 4688
    }
    fn frame_relative_entry_regs(f: &Frame) -> Vec<(usize, u64)> {
        // setup_return: x29 = the frame record.
        let mut v = vec![(29, 4688)];
        if f.flags & u64::from(SA_SIGINFO) != 0 {
            v.push((1, 0));
            v.push((2, 128));
        }
        v
    }
    fn resumed_flags(k: &Aarch64Context, r: &Resumed, errs: &mut Vec<String>) {
        let nzcv = 0xF000_0000;
        if k.pstate & nzcv != r.fpctl[2] {
            errs.push(format!(
                "resumed NZCV: ksignal {:#x}, qemu {:#x}",
                k.pstate & nzcv,
                r.fpctl[2]
            ));
        }
    }
}

/// uc_flags, uc_link, uc_stack (but ss_flags: see `common_fields`), uc_sigmask: the
/// same offsets on all three.
fn uc_header() -> Vec<Field> {
    vec![
        field("uc_flags", 128, 8),
        field("uc_link", 136, 8),
        field("uc_stack.ss_sp", 144, 8),
        field("uc_stack.ss_size", 160, 8),
        field("uc_sigmask", 168, 8),
    ]
}

/// The fields whose rules are the same on the three architectures: the siginfo and
/// uc_stack.ss_flags.
fn common_fields<A: QemuArch>(f: &Frame, info: &[u8; 128]) -> Vec<Field> {
    let mut v = Vec::new();
    // arm64's setup_rt_frame copies the siginfo only with SA_SIGINFO; riscv's and
    // loongarch's always.
    if f.flags & u64::from(SA_SIGINFO) != 0 || A::SIGINFO_ALWAYS {
        v.push(Field {
            linux: Some(info[..24].to_vec()),
            ..field("siginfo[0..24]", 0, 24)
        });
        v.push(Field {
            skip: Some(
                "Linux's copy_siginfo_to_user writes all 128 bytes (the kernel_siginfo, then \
                 zeros); QEMU 7.2's tswap_siginfo writes only the union member of the \
                 si_code, leaving the user stack's old bytes in the rest",
            ),
            linux: Some(info[24..].to_vec()),
            ..field("siginfo[24..128]", 24, 104)
        });
    }
    // Linux's __save_altstack writes the stored t->sas_ss_flags (0 while running on
    // the stack); QEMU 7.2's target_save_altstack writes sas_ss_flags(sp), which is
    // SS_ONSTACK for a signal nested on the alternate stack.
    let stored = if f.ss[1] as u32 & SS_DISABLE != 0 {
        SS_DISABLE
    } else {
        f.ss[1] as u32 & !SS_ONSTACK
    };
    v.push(Field {
        skip: Some(
            "Linux's __save_altstack writes the stored sas_ss_flags; QEMU 7.2's \
             target_save_altstack writes sas_ss_flags(sp) (SS_ONSTACK when nested on the stack)",
        ),
        linux: Some(stored.to_le_bytes().to_vec()),
        ..field("uc_stack.ss_flags", 152, 4)
    });
    v
}

// ---------------------------------------------------------------------------
// riscv64
// ---------------------------------------------------------------------------

struct Rv64;

/// Linux's riscv64 `struct rt_sigframe` without V: siginfo, ucontext with the
/// 528-byte `__riscv_fp_state` union, whose `__riscv_extra_ext_header` holds
/// `reserved` at sigcontext+772 and the first context header (END) at +776.
const RV_LINUX_FRAME: u64 = 1088;
const RV_SC: u64 = 304;

impl QemuArch for Rv64 {
    const NAME: &'static str = "riscv64";
    const TARGET: &'static str = "riscv64gc-unknown-none-elf";
    const QEMU: &'static str = "qemu-riscv64-static";
    /// The default CPU; with no vector state in use Linux writes no V record.
    const QEMU_ARGS: &'static [&'static str] = &[];
    const RET: usize = 10;
    const SP: usize = 2;
    const SIGINFO_ALWAYS: bool = true;
    const PLACEMENT_DIFFERS: &'static str = "Linux's get_rt_frame_size is 1088: its \
        sigcontext holds the 528-byte __riscv_fp_state union and the extension header; \
        QEMU 7.2's target_sigcontext ends after fcsr, so its 832-byte frame sits higher";
    /// f[32] and fcsr (u32), not the 4 padding bytes after it.
    const FP_STATE_BYTES: usize = 260;
    type Ctx = Riscv64Context;

    fn ctx(f: &Frame, ret: u64) -> Riscv64Context {
        Riscv64Context {
            pc: f.raised.pc,
            x: Self::gprs_in_syscall(f, ret),
            sstatus: 1 << 5,
            in_syscall: true,
            orig_a0: f.raised.gpr[10],
        }
    }
    fn regs(c: &Riscv64Context) -> ([u64; 32], u64) {
        let mut r = c.x;
        r[0] = 0;
        (r, c.pc)
    }
    fn set_sp(c: &mut Riscv64Context, sp: u64) {
        c.x[2] = sp;
    }
    fn fp_image(fpr: &[u64; 64], fpctl: &[u64; 4]) -> Vec<u8> {
        let mut v = bytes_of(&fpr[..32]);
        v.extend((fpctl[0] as u32).to_le_bytes());
        v.extend([0; 4]);
        v
    }
    fn trampoline(f: &Frame) -> u64 {
        // Linux ignores sa_restorer on riscv64: ra is always the vDSO's.
        f.entry[1]
    }
    fn fields(_q_frame: u64, _q: &Mem) -> Vec<Field> {
        let mut v = uc_header();
        v.push(field("sc_regs.pc", RV_SC, 8));
        for i in 1..32 {
            v.push(field(format!("sc_regs.x{i}"), RV_SC + 8 * i, 8));
        }
        for i in 0..32 {
            v.push(field(format!("sc_fpregs.d.f[{i}]"), RV_SC + 256 + 8 * i, 8));
        }
        v.push(field("sc_fpregs.d.fcsr", RV_SC + 512, 4));
        // Linux-only: ksignal is checked against Linux's values, QEMU has none.
        v.push(Field {
            skip: Some(
                "Linux's setup_sigcontext writes sc_extdesc.reserved = 0 and the END header \
                 (END_MAGIC, END_HDR_SIZE) at sigcontext+772..784; QEMU 7.2's \
                 target_sigcontext ends after fcsr (no __riscv_extra_ext_header)",
            ),
            q_off: None,
            linux: Some(vec![0; 12]),
            ..field("sc_extdesc (reserved, END header)", RV_SC + 772, 12)
        });
        v
    }
    fn linux_frame(_f: &Frame, sigsp: u64) -> u64 {
        // get_sigframe: (sigsp - get_rt_frame_size()) & ~0xf.
        (sigsp - RV_LINUX_FRAME) & !15
    }
    fn frame_relative_entry_regs(_f: &Frame) -> Vec<(usize, u64)> {
        vec![(2, 0), (11, 0), (12, 128)]
    }
    fn linux_only(_f: &Frame) -> Vec<(u64, Vec<u8>)> {
        vec![(RV_SC + 772, vec![0; 12])]
    }
}

// ---------------------------------------------------------------------------
// loongarch64
// ---------------------------------------------------------------------------

struct La64;

const LA_SC: u64 = 304;
const LA_EXT: u64 = 576;
/// Linux's fpu_context record: sctx_info (16) + 272 bytes of payload, 16-aligned.
const LA_FPU_REC: u64 = 288;

impl QemuArch for La64 {
    const NAME: &'static str = "loongarch64";
    const TARGET: &'static str = "loongarch64-unknown-none";
    const QEMU: &'static str = "qemu-loongarch64-static";
    /// QEMU 7.2's loongarch64 linux-user writes only the FPU context (no LSX, LASX
    /// or LBT records), as Linux does for a task using the scalar FPU only.
    const QEMU_ARGS: &'static [&'static str] = &[];
    const RET: usize = 4;
    const SP: usize = 3;
    const SIGINFO_ALWAYS: bool = true;
    const PLACEMENT_DIFFERS: &'static str = "Linux's frame is 880 bytes (576 + the \
        288-byte FPU record + END, setup_extcontext/extframe_alloc); QEMU 7.2's is 1184 \
        (its FPU record is sized from the rt_sigframe), so it sits lower";
    /// regs[32], fcc and fcsr (u32), not the 4 padding bytes after it.
    const FP_STATE_BYTES: usize = 268;
    type Ctx = Loongarch64Context;

    fn ctx(f: &Frame, ret: u64) -> Loongarch64Context {
        Loongarch64Context {
            era: f.raised.pc,
            regs: Self::gprs_in_syscall(f, ret),
            prmd: 0b111,
            in_syscall: true,
            orig_a0: f.raised.gpr[4],
        }
    }
    fn regs(c: &Loongarch64Context) -> ([u64; 32], u64) {
        let mut r = c.regs;
        r[0] = 0;
        (r, c.era)
    }
    fn set_sp(c: &mut Loongarch64Context, sp: u64) {
        c.regs[3] = sp;
    }
    fn fp_image(fpr: &[u64; 64], fpctl: &[u64; 4]) -> Vec<u8> {
        let mut v = bytes_of(&fpr[..32]);
        v.extend(fpctl[1].to_le_bytes());
        v.extend((fpctl[0] as u32).to_le_bytes());
        v.extend([0; 4]);
        v
    }
    fn trampoline(f: &Frame) -> u64 {
        // No SA_RESTORER on loongarch64: ra is always the vDSO's.
        f.entry[1]
    }
    fn fields(q_frame: u64, q: &Mem) -> Vec<Field> {
        let mut v = uc_header();
        v.push(field("sc_pc", LA_SC, 8));
        for i in 0..32 {
            v.push(field(format!("sc_regs[{i}]"), LA_SC + 8 + 8 * i, 8));
        }
        v.push(field("sc_flags", LA_SC + 264, 4));
        v.push(field("fpu_context.magic", LA_EXT, 4));
        v.push(Field {
            skip: Some(
                "Linux's extframe_alloc sizes the record from sizeof(struct fpu_context) \
                 (16 + 272 → 288); QEMU 7.2's setup_extcontext passes \
                 sizeof(struct target_rt_sigframe), so its record (and frame) is larger",
            ),
            linux: Some((LA_FPU_REC as u32).to_le_bytes().to_vec()),
            ..field("fpu_context.size", LA_EXT + 4, 4)
        });
        for i in 0..32 {
            v.push(field(
                format!("fpu_context.regs[{i}]"),
                LA_EXT + 16 + 8 * i,
                8,
            ));
        }
        v.push(field("fpu_context.fcc", LA_EXT + 16 + 256, 8));
        v.push(field("fpu_context.fcsr", LA_EXT + 16 + 264, 4));
        // The END record follows each implementation's FPU record.
        let q_end = LA_EXT + u64::from(q.u32(q_frame + LA_EXT + 4));
        v.push(Field {
            q_off: Some(q_end),
            ..field("end.magic", LA_EXT + LA_FPU_REC, 4)
        });
        v.push(Field {
            q_off: Some(q_end + 4),
            skip: Some(
                "Linux's setup_sigcontext writes 0 as the END record's size; QEMU 7.2 writes \
                 the 16 bytes it allocated",
            ),
            linux: Some(vec![0; 4]),
            ..field("end.size", LA_EXT + LA_FPU_REC + 4, 4)
        });
        v
    }
    fn linux_frame(_f: &Frame, sigsp: u64) -> u64 {
        // get_sigframe → setup_extcontext: round_down(sp, 16), END (16 bytes), the
        // FPU record (extframe_alloc), then the 576-byte rt_sigframe.
        let end = (sigsp & !15) - 16;
        let fpu = ((end - 272) & !15) - 16;
        fpu - LA_EXT
    }
    fn frame_relative_entry_regs(_f: &Frame) -> Vec<(usize, u64)> {
        vec![(3, 0), (5, 0), (6, 128)]
    }
}

#[test]
fn aarch64_frames_and_sigreturns_match_qemu_user_where_linux_agrees() {
    check_arch::<A64>();
}

#[test]
fn riscv64_frames_and_sigreturns_match_qemu_user_where_linux_agrees() {
    check_arch::<Rv64>();
}

#[test]
fn loongarch64_frames_and_sigreturns_match_qemu_user_where_linux_agrees() {
    check_arch::<La64>();
}
