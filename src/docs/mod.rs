//! Reference pages: the rules the crate implements and the frame layouts it
//! writes, each tied to the Linux code it follows and to the crate items and
//! tests that carry it out. This module holds documentation only.
//!
//! - [`rules`]: the numbered signal rules. Comments throughout the crate cite
//!   them as "rule N".
//! - [`frames`]: the per-architecture `rt_sigframe` layouts, handler entry,
//!   `rt_sigreturn` checks and the system-call restart table.

#[doc = include_str!("rules.md")]
pub mod rules {}

#[doc = include_str!("frame_abi.md")]
pub mod frames {}
