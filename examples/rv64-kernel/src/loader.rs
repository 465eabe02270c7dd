//! Loading a static ELF64 RISC-V executable into an address space.
//!
//! Only what `user/` produces is supported: ET_EXEC, little-endian, no
//! interpreter, no relocations. Every field read from the image is
//! bounds-checked: the image is data, not trusted structure.

use crate::errno::Errno;
use crate::mm::page_table::{PTE_R, PTE_W, PTE_X};
use crate::mm::{
    AddressSpace, PAGE_SIZE, SIGRETURN_TRAMPOLINE, USER_END, USER_STACK_SIZE, USER_STACK_TOP,
};

#[derive(Debug)]
#[allow(dead_code)] // the fields are for the Debug output
pub enum LoadError {
    /// Not an ELF file we can run; the text says which check failed.
    BadImage(&'static str),
    Memory(Errno),
}

pub struct LoadedImage {
    pub entry: usize,
    pub stack_pointer: usize,
}

const PT_LOAD: u32 = 1;
const PF_X: u32 = 1;
const PF_W: u32 = 2;
const PF_R: u32 = 4;
const EM_RISCV: u16 = 243;
const ET_EXEC: u16 = 2;
const PHDR_SIZE: usize = 56;

/// Little-endian field readers that fail instead of panicking.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn get<const N: usize>(&self, off: usize) -> Result<[u8; N], LoadError> {
        let end = off.checked_add(N).ok_or(LoadError::BadImage("offset overflow"))?;
        let slice = self.0.get(off..end).ok_or(LoadError::BadImage("truncated"))?;
        Ok(slice.try_into().expect("slice has length N"))
    }
    fn u16(&self, off: usize) -> Result<u16, LoadError> {
        self.get(off).map(u16::from_le_bytes)
    }
    fn u32(&self, off: usize) -> Result<u32, LoadError> {
        self.get(off).map(u32::from_le_bytes)
    }
    fn u64(&self, off: usize) -> Result<usize, LoadError> {
        self.get(off).map(|b| u64::from_le_bytes(b) as usize)
    }
}

fn ensure(cond: bool, what: &'static str) -> Result<(), LoadError> {
    if cond { Ok(()) } else { Err(LoadError::BadImage(what)) }
}

/// Maps and fills the PT_LOAD segments and a user stack.
pub fn load(image: &[u8], space: &mut AddressSpace) -> Result<LoadedImage, LoadError> {
    let elf = Bytes(image);
    ensure(elf.get::<4>(0)? == *b"\x7fELF", "no ELF magic")?;
    ensure(elf.get::<1>(4)? == [2], "not ELF64")?;
    ensure(elf.get::<1>(5)? == [1], "not little-endian")?;
    ensure(elf.u16(16)? == ET_EXEC, "not ET_EXEC")?;
    ensure(elf.u16(18)? == EM_RISCV, "not RISC-V")?;
    let entry = elf.u64(24)?;
    let phoff = elf.u64(32)?;
    ensure(elf.u16(54)? as usize == PHDR_SIZE, "odd program header size")?;
    let phnum = elf.u16(56)? as usize;

    for i in 0..phnum {
        let ph = phoff.checked_add(i * PHDR_SIZE).ok_or(LoadError::BadImage("phdr overflow"))?;
        if elf.u32(ph)? != PT_LOAD {
            continue;
        }
        let flags = elf.u32(ph + 4)?;
        let offset = elf.u64(ph + 8)?;
        let vaddr = elf.u64(ph + 16)?;
        let filesz = elf.u64(ph + 32)?;
        let memsz = elf.u64(ph + 40)?;
        if memsz == 0 {
            continue;
        }
        ensure(filesz <= memsz, "filesz > memsz")?;
        let end = vaddr.checked_add(memsz).ok_or(LoadError::BadImage("segment overflow"))?;
        ensure(end <= USER_END, "segment outside user space")?;
        let data = offset.checked_add(filesz).and_then(|e| image.get(offset..e));
        let data = data.ok_or(LoadError::BadImage("segment data outside file"))?;

        let mut pte = 0;
        for (pf, bit) in [(PF_R, PTE_R), (PF_W, PTE_W), (PF_X, PTE_X)] {
            if flags & pf != 0 {
                pte |= bit;
            }
        }
        // Pages start zeroed, so the bss part (memsz beyond filesz) is done.
        space.map_anonymous(vaddr, end, pte).map_err(LoadError::Memory)?;
        space.write_bytes(vaddr, data).map_err(LoadError::Memory)?;
    }
    ensure(
        space.translate(entry).is_some_and(|(_, f)| f & PTE_X != 0),
        "entry not in executable memory",
    )?;

    // The stack. Linux starts a process with sp pointing at argc, followed
    // by argv[], envp[] and the auxiliary vector; ours are all empty:
    // argc = 0, argv = {NULL}, envp = {NULL}, auxv = {AT_NULL, 0}, which is
    // what the freshly zeroed page already contains.
    space
        .map_anonymous(USER_STACK_TOP - USER_STACK_SIZE, USER_STACK_TOP, PTE_R | PTE_W)
        .map_err(LoadError::Memory)?;

    // The signal-return trampoline: `addi a7, zero, 139` then `ecall`.
    const TRAMPOLINE: [u32; 2] = [0x08b0_0893, 0x0000_0073];
    let code: alloc::vec::Vec<u8> = TRAMPOLINE.iter().flat_map(|w| w.to_le_bytes()).collect();
    space
        .map_anonymous(SIGRETURN_TRAMPOLINE, SIGRETURN_TRAMPOLINE + PAGE_SIZE, PTE_R | PTE_X)
        .map_err(LoadError::Memory)?;
    space.write_bytes(SIGRETURN_TRAMPOLINE, &code).map_err(LoadError::Memory)?;

    Ok(LoadedImage { entry, stack_pointer: USER_STACK_TOP - 64 })
}
