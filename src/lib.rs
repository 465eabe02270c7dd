//! `ksignal`: Linux-exact signal semantics for Rust kernels.
#![no_std]
#![deny(missing_docs)]

extern crate alloc;
