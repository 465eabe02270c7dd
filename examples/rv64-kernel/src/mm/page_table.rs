//! Sv39 page tables and the kernel's own mapping.
//!
//! Sv39 translates 39-bit virtual addresses through three levels of 512
//! eight-byte entries: VA bits 38..30, 29..21 and 20..12 index levels 2, 1
//! and 0, bits 11..0 are the page offset. An entry holds a physical page
//! number (bits 53..10) and flags (bits 7..0). An entry with R, W or X set is
//! a leaf; a valid entry without them points to the next-level table.

use super::frame::Frame;
use super::{MEMORY_END, PAGE_SIZE};
use core::arch::asm;
use core::sync::atomic::{AtomicUsize, Ordering};

pub const PTE_V: u64 = 1 << 0;
pub const PTE_R: u64 = 1 << 1;
pub const PTE_W: u64 = 1 << 2;
pub const PTE_X: u64 = 1 << 3;
pub const PTE_U: u64 = 1 << 4;
pub const PTE_G: u64 = 1 << 5;
/// Accessed / dirty. We set both up front: hardware is allowed to fault
/// instead of setting them, and we have no use for the information.
pub const PTE_A: u64 = 1 << 6;
pub const PTE_D: u64 = 1 << 7;

const SATP_MODE_SV39: usize = 8 << 60;

fn vpn(va: usize, level: usize) -> usize {
    (va >> (12 + 9 * level)) & 0x1ff
}

fn pte_pa(pte: u64) -> usize {
    ((pte >> 10) << 12) as usize
}

fn make_pte(pa: usize, flags: u64) -> u64 {
    ((pa as u64 >> 12) << 10) | flags
}

/// A view of the 512 entries of the table at physical address `pa`.
///
/// # Safety
/// `pa` must be a page-table frame that the caller may access exclusively
/// (tables are only written while building an address space that no hart
/// runs yet, at load and fork; later they are only read, under the
/// process's lock).
unsafe fn entries<'a>(pa: usize) -> &'a mut [u64; 512] {
    // SAFETY: forwarded to the caller; RAM is identity mapped.
    unsafe { &mut *(pa as *mut [u64; 512]) }
}

/// Finds the level-0 entry for `va` in the tree rooted at `root`. Missing
/// intermediate tables are allocated (and pushed to `new_tables`) if
/// `new_tables` is given; otherwise a missing table gives None.
///
/// # Safety
/// `root` must be a valid Sv39 root table owned by the caller.
pub unsafe fn walk(
    root: usize,
    va: usize,
    mut new_tables: Option<&mut alloc::vec::Vec<Frame>>,
) -> Option<*mut u64> {
    let mut table = root;
    for level in [2, 1] {
        // SAFETY: `table` is a page table of this tree (caller's contract).
        let entry = unsafe { &mut entries(table)[vpn(va, level)] };
        if *entry & PTE_V == 0 {
            let tables = new_tables.as_deref_mut()?;
            let frame = Frame::alloc()?;
            *entry = make_pte(frame.pa(), PTE_V);
            tables.push(frame);
        } else if *entry & (PTE_R | PTE_W | PTE_X) != 0 {
            return None; // a huge-page leaf: not used by this kernel
        }
        table = pte_pa(*entry);
    }
    // SAFETY: as above, `table` is now the level-0 table.
    Some(unsafe { &mut entries(table)[vpn(va, 0)] as *mut u64 })
}

/// The leaf entry (physical address, flags) for `va`, if mapped.
///
/// # Safety
/// As for `walk`.
pub unsafe fn lookup(root: usize, va: usize) -> Option<(usize, u64)> {
    // SAFETY: forwarded to the caller.
    let pte = unsafe { *walk(root, va, None)? };
    (pte & PTE_V != 0).then(|| (pte_pa(pte), pte & 0xff))
}

/// Points the level-0 entry for `va` at `pa`.
///
/// # Safety
/// As for `walk`; `pa` must be a frame that may be mapped with `flags`.
pub unsafe fn map(
    root: usize,
    va: usize,
    pa: usize,
    flags: u64,
    tables: &mut alloc::vec::Vec<Frame>,
) -> Option<()> {
    // SAFETY: forwarded to the caller.
    let pte = unsafe { walk(root, va, Some(tables))? };
    // SAFETY: `walk` returned a pointer into a live table of this tree.
    unsafe { *pte = make_pte(pa, flags | PTE_V | PTE_A | PTE_D) };
    Some(())
}

/// The kernel's page table root, built once at boot.
static KERNEL_ROOT: AtomicUsize = AtomicUsize::new(0);

pub fn kernel_root() -> usize {
    let root = KERNEL_ROOT.load(Ordering::Relaxed);
    assert!(root != 0, "kernel page table not built yet");
    root
}

unsafe extern "C" {
    static stext: u8;
    static etext: u8;
    static srodata: u8;
    static erodata: u8;
    static sdata: u8;
    static ekernel: u8;
}

/// Builds the identity map of the kernel and free RAM (text R-X, rodata R--,
/// the rest RW-, all global and without U) and turns paging on.
pub fn init_kernel_space() {
    let root = Frame::alloc().expect("no frame for the kernel page table");
    let root_pa = root.leak();
    let mut tables = alloc::vec::Vec::new();
    let ranges = [
        (&raw const stext as usize, &raw const etext as usize, PTE_R | PTE_X),
        (&raw const srodata as usize, &raw const erodata as usize, PTE_R),
        (&raw const sdata as usize, &raw const ekernel as usize, PTE_R | PTE_W),
        (&raw const ekernel as usize, MEMORY_END, PTE_R | PTE_W),
    ];
    for (start, end, flags) in ranges {
        for va in (start..end).step_by(PAGE_SIZE) {
            // SAFETY: `root_pa` is our fresh root; identity mapping kernel RAM.
            unsafe { map(root_pa, va, va, flags | PTE_G, &mut tables) }
                .expect("out of frames mapping the kernel");
        }
    }
    // The kernel tables live forever and are shared by every address space.
    for table in tables {
        table.leak();
    }
    KERNEL_ROOT.store(root_pa, Ordering::Relaxed);
    activate(root_pa);
    println!("[kernel] Sv39 paging on, kernel root table at {root_pa:#x}");
}

/// The satp value that selects the tree rooted at `root`.
pub fn satp_for(root: usize) -> usize {
    SATP_MODE_SV39 | (root >> 12)
}

/// Switches to the address space rooted at `root`.
pub fn activate(root: usize) {
    let satp = satp_for(root);
    // SAFETY: every root we switch to maps the kernel identically (see
    // `AddressSpace::new`), so the code and stack we are running on stay
    // valid. `sfence.vma` drops stale translations from the old space.
    unsafe {
        asm!("csrw satp, {0}", "sfence.vma", in(reg) satp);
    }
}

/// Switches back to the kernel-only address space.
pub fn activate_kernel() {
    activate(kernel_root());
}

/// Root-table slots that the kernel mapping uses (copied into every user
/// root). All kernel addresses are >= USER_END, i.e. slots 2.. in level 2.
pub fn kernel_root_slots() -> impl Iterator<Item = (usize, u64)> {
    // SAFETY: the kernel root is never modified after `init_kernel_space`.
    let root = unsafe { entries(kernel_root()) };
    root.iter()
        .copied()
        .enumerate()
        .filter(|&(i, e)| e & PTE_V != 0 && i >= vpn(super::USER_END, 2))
}

/// Copies kernel root slots into a new root table.
///
/// # Safety
/// `root` must be a freshly allocated root table owned by the caller.
pub unsafe fn install_kernel_slots(root: usize) {
    // SAFETY: forwarded to the caller.
    let new = unsafe { entries(root) };
    for (i, e) in kernel_root_slots() {
        new[i] = e;
    }
}
