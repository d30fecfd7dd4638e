//! aarch64 levels: [`neon`].

pub(crate) mod neon;
