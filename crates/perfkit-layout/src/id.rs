//! Typed ids: an index that knows what it indexes.
//!
//! Code that keeps entities in vectors passes indices around; a bare `u32` for a user and a
//! bare `u32` for an order mix up silently. [`Id<T>`] (32 bits) and [`Id64<T>`] (64 bits)
//! wrap the integer with a zero-sized `PhantomData` marker, so `Id<User>` and `Id<Order>` are
//! different types at no cost: the same size as the integer, `Copy`, ordered and hashable
//! whatever `T` is, and `Debug` shows the type (`Id<User>(7)`).
//!
//! ```
//! use perfkit_layout::Id;
//!
//! struct User;
//! struct Order;
//!
//! let alice: Id<User> = Id::new(7);
//! let order: Id<Order> = Id::new(7);
//! assert_eq!(alice.raw(), order.raw()); // same number, different types:
//! // assert_eq!(alice, order);          // does not compile
//! assert_eq!(format!("{alice:?}"), "Id<User>(7)");
//! assert_eq!(core::mem::size_of::<Id<User>>(), 4);
//!
//! let users = vec!["alice"; 8];
//! assert_eq!(users[alice.index()], "alice");
//! assert_eq!(Id::<User>::from_index(1 << 40), None); // does not fit 32 bits
//! ```

use core::cmp::Ordering;
use core::fmt;
use core::hash::{Hash, Hasher};
use core::marker::PhantomData;

/// Writes `core::any::type_name::<T>()` with every path prefix removed
/// (`alloc::vec::Vec<my::User>` becomes `Vec<User>`).
fn write_short_type_name(f: &mut fmt::Formatter<'_>, full: &str) -> fmt::Result {
    let is_path_char = |c: char| c.is_alphanumeric() || c == '_' || c == ':';
    let mut rest = full;
    while !rest.is_empty() {
        let end = rest.find(|c| !is_path_char(c)).unwrap_or(rest.len());
        let (path, tail) = rest.split_at(end);
        f.write_str(path.rsplit("::").next().unwrap_or(path))?;
        let sep_end = tail.find(is_path_char).unwrap_or(tail.len());
        f.write_str(&tail[..sep_end])?;
        rest = &tail[sep_end..];
    }
    Ok(())
}

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident, $raw:ty, $label:literal) => {
        $(#[$doc])*
        #[repr(transparent)]
        pub struct $name<T: ?Sized> {
            raw: $raw,
            _marker: PhantomData<fn() -> T>,
        }

        impl<T: ?Sized> $name<T> {
            /// The id with the raw value `raw`.
            #[must_use]
            #[inline]
            pub const fn new(raw: $raw) -> Self {
                Self { raw, _marker: PhantomData }
            }

            /// The raw integer.
            #[must_use]
            #[inline]
            pub const fn raw(self) -> $raw {
                self.raw
            }

            /// The raw value as a `usize`, for indexing a `Vec`.
            #[must_use]
            #[inline]
            pub const fn index(self) -> usize {
                self.raw as usize
            }

            /// The id for index `index`, or `None` if it does not fit the raw integer.
            #[must_use]
            #[inline]
            pub fn from_index(index: usize) -> Option<Self> {
                <$raw>::try_from(index).ok().map(Self::new)
            }

            /// The next id (`raw + 1`), or `None` on overflow.
            #[must_use]
            #[inline]
            pub const fn next(self) -> Option<Self> {
                match self.raw.checked_add(1) {
                    Some(raw) => Some(Self::new(raw)),
                    None => None,
                }
            }

            /// The same number as an id of another type (an explicit, greppable cast).
            #[must_use]
            #[inline]
            pub const fn cast<U: ?Sized>(self) -> $name<U> {
                $name::new(self.raw)
            }
        }

        impl<T: ?Sized> Clone for $name<T> {
            #[inline]
            fn clone(&self) -> Self {
                *self
            }
        }

        impl<T: ?Sized> Copy for $name<T> {}

        impl<T: ?Sized> PartialEq for $name<T> {
            #[inline]
            fn eq(&self, other: &Self) -> bool {
                self.raw == other.raw
            }
        }

        impl<T: ?Sized> Eq for $name<T> {}

        impl<T: ?Sized> PartialOrd for $name<T> {
            #[inline]
            fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
                Some(self.cmp(other))
            }
        }

        impl<T: ?Sized> Ord for $name<T> {
            #[inline]
            fn cmp(&self, other: &Self) -> Ordering {
                self.raw.cmp(&other.raw)
            }
        }

        impl<T: ?Sized> Hash for $name<T> {
            #[inline]
            fn hash<H: Hasher>(&self, state: &mut H) {
                self.raw.hash(state);
            }
        }

        impl<T: ?Sized> Default for $name<T> {
            /// The id 0.
            fn default() -> Self {
                Self::new(0)
            }
        }

        impl<T: ?Sized> fmt::Debug for $name<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!($label, "<"))?;
                write_short_type_name(f, core::any::type_name::<T>())?;
                write!(f, ">({})", self.raw)
            }
        }

        impl<T: ?Sized> fmt::Display for $name<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.raw, f)
            }
        }

        impl<T: ?Sized> From<$name<T>> for $raw {
            fn from(id: $name<T>) -> $raw {
                id.raw
            }
        }
    };
}

typed_id!(
    /// A 32-bit id of a `T` (see the [module docs](self)).
    Id,
    u32,
    "Id"
);

typed_id!(
    /// A 64-bit id of a `T` (see the [module docs](self)).
    Id64,
    u64,
    "Id64"
);

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    struct User;
    mod deep {
        pub(crate) struct Order;
    }

    #[test]
    fn debug_shows_short_type_names() {
        assert_eq!(format!("{:?}", Id::<User>::new(3)), "Id<User>(3)");
        assert_eq!(
            format!("{:?}", Id64::<deep::Order>::new(9)),
            "Id64<Order>(9)"
        );
        assert_eq!(
            format!("{:?}", Id::<alloc::vec::Vec<deep::Order>>::new(1)),
            "Id<Vec<Order>>(1)"
        );
        assert_eq!(
            format!("{:?}", Id::<(u8, [User; 2])>::new(0)),
            "Id<(u8, [User; 2])>(0)"
        );
        assert_eq!(format!("{:?}", Id::<str>::new(0)), "Id<str>(0)");
    }

    #[test]
    fn ids_compare_by_raw_value_and_cast_explicitly() {
        let a = Id::<User>::new(1);
        let b = a.next().unwrap();
        assert!(a < b);
        assert_eq!(b.raw(), 2);
        assert_eq!(Id::<User>::new(u32::MAX).next(), None);
        assert_eq!(Id::<User>::from_index(usize::MAX), None);
        assert_eq!(Id64::<User>::from_index(5).map(Id64::raw), Some(5));
        assert_eq!(a.cast::<deep::Order>().raw(), 1);
        assert_eq!(u32::from(b), 2);
        assert_eq!(format!("{b}"), "2");
        assert_eq!(core::mem::size_of::<Option<Id64<User>>>(), 16);
        assert_eq!(core::mem::size_of::<Id<User>>(), 4);
    }
}
