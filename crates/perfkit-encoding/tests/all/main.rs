//! Integration tests: naive references, round-trip properties on every SIMD level, known
//! vectors, and the table of malformed inputs.

mod frame;
mod malformed;
mod reference;
mod stream_vbyte;
mod varint;
