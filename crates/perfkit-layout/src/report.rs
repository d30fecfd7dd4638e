//! Struct layout reports: where the bytes of a struct go, and what reordering would save.
//!
//! Rust lays out a `repr(Rust)` struct as it likes (and usually well), but `repr(C)`
//! structs, FFI mirrors and `repr(packed)` wire formats keep the declared order, and a
//! careless order wastes bytes on padding in every element of every array. A
//! [`LayoutReport`] shows the exact layout — size, alignment, each field's offset, size and
//! alignment, and the padding between and after fields — plus the size the struct would
//! have with its fields sorted by decreasing alignment, and the bytes that would save.
//!
//! `#[derive(Layout)]` builds the report from `core::mem::offset_of!`, `size_of` and
//! `align_of`, so it is exact for the compiler that built it, on stable Rust.
//!
//! ```
//! use perfkit_layout::Layout;
//!
//! #[derive(Layout)]
//! #[repr(C)]
//! struct Header {
//!     kind: u8,
//!     length: u64,
//!     flags: u16,
//! }
//!
//! let report = Header::layout_report();
//! assert_eq!(report.size(), 24);
//! assert_eq!(report.padding(), 13); // 7 after `kind`, 6 after `flags`
//! assert_eq!(report.reordered_size(), 16); // length, flags, kind + 5 tail bytes
//! assert_eq!(report.bytes_saved(), 8);
//! println!("{report}");
//! ```

use alloc::vec::Vec;
use core::fmt;

/// Types that can describe their own memory layout (implemented by `#[derive(Layout)]`).
pub trait Layout {
    /// The exact layout of `Self` as the compiler laid it out.
    fn layout_report() -> LayoutReport;
}

/// One field of a [`LayoutReport`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FieldLayout {
    /// The field's name (its index for tuple structs).
    pub name: &'static str,
    /// The field's type as written in the source.
    pub type_name: &'static str,
    /// Byte offset of the field from the start of the struct.
    pub offset: usize,
    /// `size_of` the field's type.
    pub size: usize,
    /// `align_of` the field's type (its natural alignment, even inside a packed struct).
    pub align: usize,
}

/// The exact memory layout of a struct: see the [module docs](self).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayoutReport {
    name: &'static str,
    size: usize,
    align: usize,
    /// Invariant: sorted by offset (ties keep declaration order).
    fields: Vec<FieldLayout>,
}

impl LayoutReport {
    /// A report for a struct called `name` of the given size and alignment whose fields are
    /// `fields` (in any order; the report sorts them by offset).
    #[must_use]
    pub fn new(
        name: &'static str,
        size: usize,
        align: usize,
        mut fields: Vec<FieldLayout>,
    ) -> Self {
        fields.sort_by_key(|f| f.offset);
        Self {
            name,
            size,
            align,
            fields,
        }
    }

    /// The struct's name.
    #[must_use]
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// `size_of` the struct.
    #[must_use]
    pub fn size(&self) -> usize {
        self.size
    }

    /// `align_of` the struct.
    #[must_use]
    pub fn align(&self) -> usize {
        self.align
    }

    /// The fields, in memory order.
    #[must_use]
    pub fn fields(&self) -> &[FieldLayout] {
        &self.fields
    }

    /// The sum of the field sizes: the bytes that carry data.
    #[must_use]
    pub fn data_bytes(&self) -> usize {
        self.fields.iter().map(|f| f.size).sum()
    }

    /// Bytes of padding (between fields and after the last one).
    #[must_use]
    pub fn padding(&self) -> usize {
        self.size.saturating_sub(self.data_bytes())
    }

    /// Padding after the last field (to round the size up to the alignment).
    #[must_use]
    pub fn tail_padding(&self) -> usize {
        let end = self
            .fields
            .iter()
            .map(|f| f.offset + f.size)
            .max()
            .unwrap_or(0);
        self.size.saturating_sub(end)
    }

    /// The padding right before each field, in memory order (`(field, bytes)`).
    pub fn padding_before(&self) -> impl Iterator<Item = (&FieldLayout, usize)> + '_ {
        let mut end = 0usize;
        self.fields.iter().map(move |f| {
            let gap = f.offset.saturating_sub(end);
            end = end.max(f.offset + f.size);
            (f, gap)
        })
    }

    /// The size the struct would have with its fields sorted by decreasing alignment (the
    /// order that leaves no padding between fields). Never more than [`size`](Self::size).
    ///
    /// Each field's alignment is capped at the struct's (a `repr(packed)` struct places its
    /// fields at alignment 1), and the total is rounded up to the struct's alignment.
    #[must_use]
    pub fn reordered_size(&self) -> usize {
        let mut fields: Vec<(usize, usize)> = self
            .fields
            .iter()
            .map(|f| (f.size, f.align.min(self.align)))
            .collect();
        fields.sort_by_key(|f| core::cmp::Reverse(f.1));
        let mut end = 0usize;
        for (size, align) in fields {
            end = end.next_multiple_of(align.max(1)) + size;
        }
        let reordered = end.next_multiple_of(self.align.max(1));
        // Sorting by decreasing power-of-two alignment leaves no gaps, so this cannot exceed
        // the real size; keep the promise even for hand-built reports.
        reordered.min(self.size)
    }

    /// `size() - reordered_size()`: the bytes per value a reorder would save.
    #[must_use]
    pub fn bytes_saved(&self) -> usize {
        self.size - self.reordered_size()
    }
}

impl fmt::Display for LayoutReport {
    /// A table: one row per field in memory order, with `(padding)` rows where bytes are
    /// wasted, then the totals.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}: size {}, align {}, {} field{}",
            self.name,
            self.size,
            self.align,
            self.fields.len(),
            if self.fields.len() == 1 { "" } else { "s" }
        )?;
        let name_w = self
            .fields
            .iter()
            .map(|x| x.name.len())
            .chain([5, "(padding)".len()])
            .max()
            .unwrap_or(5);
        writeln!(
            f,
            "{:>6}  {:>6}  {:>5}  {:<name_w$}  type",
            "offset", "size", "align", "field"
        )?;
        for (field, gap) in self.padding_before() {
            if gap > 0 {
                let at = field.offset - gap;
                writeln!(f, "{at:>6}  {gap:>6}  {:>5}  {:<name_w$}", "", "(padding)")?;
            }
            writeln!(
                f,
                "{:>6}  {:>6}  {:>5}  {:<name_w$}  {}",
                field.offset, field.size, field.align, field.name, field.type_name
            )?;
        }
        let tail = self.tail_padding();
        if tail > 0 {
            let at = self.size - tail;
            writeln!(f, "{at:>6}  {tail:>6}  {:>5}  {:<name_w$}", "", "(padding)")?;
        }
        write!(
            f,
            "padding {} of {} bytes; sorted by alignment: {} bytes (saves {})",
            self.padding(),
            self.size,
            self.reordered_size(),
            self.bytes_saved()
        )
    }
}
