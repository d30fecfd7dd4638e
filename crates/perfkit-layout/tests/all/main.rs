//! Integration tests of perfkit-layout (one binary).

mod bits;
mod compile_fail;
mod report;
#[cfg(feature = "serde")]
mod serde;
mod soa;
mod soa_tamper;
mod strings;
