//! The zlib (DEFLATE) stream of HdrHistogram's "V2 + DEFLATE" encoding, through miniz_oxide
//! (the `deflate` feature).

use miniz_oxide::inflate::TINFLStatus;

/// The most bytes a compressed histogram may inflate to: 64 MiB, above the largest valid V2
/// encoding (5 significant digits over the whole `u64` range: 6.3 million counts of at most
/// 9 bytes is 57 MB), so a small corrupt or hostile input cannot claim unbounded memory.
pub(crate) const MAX_INFLATED: usize = 64 << 20;

/// zlib-compresses `data` at level 6 (zlib's default, as HdrHistogram's Java `Deflater`).
pub(crate) fn compress(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(data, 6)
}

/// Inflates a zlib stream, or says what is wrong with it.
pub(crate) fn decompress(data: &[u8]) -> Result<Vec<u8>, &'static str> {
    miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(data, MAX_INFLATED).map_err(|e| match e
        .status
    {
        TINFLStatus::HasMoreOutput => "it inflates to more than 64 MiB",
        TINFLStatus::FailedCannotMakeProgress | TINFLStatus::NeedsMoreInput => {
            "it ends before the end of the zlib stream"
        }
        TINFLStatus::Adler32Mismatch => "its Adler-32 checksum does not match",
        _ => "it is not a valid zlib stream",
    })
}
