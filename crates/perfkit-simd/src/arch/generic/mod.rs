//! Every kernel, written once over the vector traits of [`crate::arch`].
//!
//! Each function is `#[inline(always)]` so that it is compiled inside the level's
//! `#[target_feature]` wrapper, with that level's instructions.
//!
//! # Safety (all functions here)
//!
//! The CPU must run the level of the vector type `V` (true inside the wrappers). Slices are
//! walked with `chunks_exact` (the integer kernels) or by offsets checked against the length
//! (the float kernels), so every pointer handed to a vector method is in bounds for the
//! lanes it touches.

mod float;
mod int;

pub(crate) use float::{
    Add, Axpy, Dot, L2, Mul, Scale, Sum, binary_into, max, min, reduce, sum_accurate, update,
};
pub(crate) use int::{And, AndNot, Or, Xor, bitwise, count_byte, popcount, sum_i32, sum_u64};
