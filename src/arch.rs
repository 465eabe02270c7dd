//! The 64-bit architectures whose signal ABI this crate speaks, and the few ABI facts
//! that differ between them outside the signal frame.
//!
//! `linux-raw-sys` only exposes the build target's own constants, but a kernel (and
//! this crate's host tests) may need another architecture's answers, so the facts
//! that vary are stated here once, each citing the Linux header it mirrors. The
//! build target's own values are checked against `linux-raw-sys` in tests.

/// A Linux architecture's signal ABI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Arch {
    /// x86_64 (arch/x86).
    X86_64,
    /// AArch64 (arch/arm64).
    Aarch64,
    /// RISC-V 64 (arch/riscv).
    Riscv64,
    /// LoongArch64 (arch/loongarch).
    Loongarch64,
}

impl Arch {
    /// The architecture this crate is being compiled for; x86_64's ABI on any other
    /// target (host tests of foreign targets pass an explicit `Arch`).
    pub const HOST: Arch = if cfg!(target_arch = "aarch64") {
        Arch::Aarch64
    } else if cfg!(target_arch = "riscv64") {
        Arch::Riscv64
    } else if cfg!(target_arch = "loongarch64") {
        Arch::Loongarch64
    } else {
        Arch::X86_64
    };

    /// All four, for tests and tools.
    pub const ALL: [Arch; 4] = [
        Arch::X86_64,
        Arch::Aarch64,
        Arch::Riscv64,
        Arch::Loongarch64,
    ];

    /// Whether the architecture defines `SA_RESTORER` (and so a `sa_restorer` field in
    /// the kernel's `struct sigaction`): x86 and arm64 do (arch/*/include/uapi/asm/
    /// signal.h); asm-generic architectures such as riscv and loongarch do not, and
    /// there the bit is an unknown flag that `rt_sigaction` clears.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn has_sa_restorer(self) -> bool {
        matches!(self, Arch::X86_64 | Arch::Aarch64)
    }

    /// Size of the kernel's `struct sigaction` as `rt_sigaction` copies it:
    /// handler, flags, restorer (where it exists), mask.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn sigaction_size(self) -> usize {
        if self.has_sa_restorer() { 32 } else { 24 }
    }

    /// `MINSIGSTKSZ`: the smallest alternate stack `sigaltstack` accepts.
    /// x86_64 2048 (uapi asm/signal.h), arm64 5120 (uapi asm/signal.h), riscv64 2048
    /// (asm-generic/signal.h), loongarch64 4096 (uapi asm/signal.h).
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn min_sigstksz(self) -> usize {
        match self {
            Arch::X86_64 | Arch::Riscv64 => 2048,
            Arch::Aarch64 => 5120,
            Arch::Loongarch64 => 4096,
        }
    }
}

/// `SA_RESTORER` (0x0400_0000) on the architectures that have it; mirrors
/// arch/x86/include/uapi/asm/signal.h and arch/arm64/include/uapi/asm/signal.h.
pub(crate) const SA_RESTORER: u32 = 0x0400_0000;

#[cfg(test)]
mod tests {
    use super::*;
    use linux_raw_sys::general as abi;

    #[test]
    fn host_facts_match_linux_raw_sys() {
        assert_eq!(Arch::HOST.min_sigstksz(), abi::MINSIGSTKSZ as usize);
        assert_eq!(
            Arch::HOST.sigaction_size(),
            core::mem::size_of::<abi::kernel_sigaction>()
        );
        #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
        assert_eq!(SA_RESTORER, abi::SA_RESTORER);
    }
}
