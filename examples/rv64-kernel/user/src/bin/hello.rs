//! The smallest test: write to the console, check the basic ids, exit 0.
#![no_std]
#![no_main]

use user::*;

fn main() -> i32 {
    println!("hello from user space (pid {}, tid {})", getpid(), gettid());
    check!(getpid() > 0, "hello: getpid returned {}", getpid());
    check!(getpid() == gettid(), "hello: main thread tid != pid");
    check!(getppid() == 0, "hello: a boot process has no parent, got {}", getppid());
    check!(sched_yield() == 0, "hello: sched_yield");
    check!(syscall(9999, 0, 0, 0) == -ENOSYS, "hello: unknown syscall is not ENOSYS");
    // clone: CLONE_THREAD needs CLONE_SIGHAND and CLONE_VM (as in Linux).
    let r = syscall6(SYS_CLONE, [CLONE_THREAD | CLONE_VM, 0, 0, 0, 0, 0]);
    check!(r == -EINVAL, "hello: clone(THREAD|VM) = {}", r);
    // A kernel pointer and an unmapped pointer must give EFAULT, not a crash.
    check!(syscall(SYS_WRITE, 1, 0x8020_0000, 16) == -EFAULT, "hello: write(kernel ptr)");
    check!(syscall(SYS_WRITE, 1, 0x3000_0000, 16) == -EFAULT, "hello: write(unmapped ptr)");
    // The kernel maps a read-only sigreturn trampoline right above the stack.
    // SAFETY: reading two words of a page the kernel maps in every process.
    let tramp = unsafe { core::ptr::read_volatile(SIGRETURN_TRAMPOLINE as *const [u32; 2]) };
    check!(tramp == [0x08b0_0893, 0x0000_0073], "hello: trampoline is {:x?}", tramp);
    println!("PASS hello");
    0
}

entry!(main);
