//! x86-64 levels: [`sse41`] (x86-64-v2), [`avx2`] (x86-64-v3) and [`avx512`].
//!
//! Each submodule implements the vector traits for its register type and instantiates the
//! generic kernels in `#[target_feature]` wrappers whose feature list is exactly its
//! [`Level::target_features`](crate::Level::target_features).

pub(crate) mod avx2;
pub(crate) mod avx512;
pub(crate) mod sse41;
