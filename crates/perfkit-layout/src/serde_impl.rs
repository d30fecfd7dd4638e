//! `serde` support (feature `serde`): every container is written as its plain contents and
//! read back through its safe, checking constructors, so no input can break an invariant
//! that unchecked code relies on.
//!
//! | type | written as |
//! | --- | --- |
//! | [`BitSet`] | its words (`[u64]`, bit `i % 64` of word `i / 64` is member `i`) |
//! | [`PackedVec`] | `{ width, values }`; a bad width or a value too wide is an error |
//! | [`StringTable`] | its strings in order (`[str]`) |
//! | [`Interner`] | its strings in symbol order (`[str]`); read back, each gets the symbol it had (a repeated string is an error) |
//! | [`Resolver`] | as [`Interner`] |
//! | [`Symbol`] | its raw `u32` (non-zero) |
//! | [`Id`] / [`Id64`] | the raw integer |

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};

use crate::strings::Resolver;
use crate::strings::SeededHash;
use crate::{BitSet, Id, Id64, Interner, PackedVec, StringTable, Symbol};
use core::hash::BuildHasher;

impl Serialize for BitSet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.as_words().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for BitSet {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Vec::<u64>::deserialize(deserializer).map(BitSet::from_words)
    }
}

impl Serialize for PackedVec {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Values<'a>(&'a PackedVec);
        impl Serialize for Values<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_seq(self.0.iter())
            }
        }
        let mut s = serializer.serialize_struct("PackedVec", 2)?;
        s.serialize_field("width", &self.width())?;
        s.serialize_field("values", &Values(self))?;
        s.end()
    }
}

impl<'de> Deserialize<'de> for PackedVec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename = "PackedVec", deny_unknown_fields)]
        struct Repr {
            width: u32,
            values: Vec<u64>,
        }
        let repr = Repr::deserialize(deserializer)?;
        PackedVec::from_slice(repr.width, &repr.values).map_err(de::Error::custom)
    }
}

/// Writes any iterator of strings as a sequence.
fn strings<'a, S: Serializer>(
    serializer: S,
    len: usize,
    items: impl Iterator<Item = &'a str>,
) -> Result<S::Ok, S::Error> {
    let mut seq = serializer.serialize_seq(Some(len))?;
    for s in items {
        seq.serialize_element(s)?;
    }
    seq.end()
}

/// Reads a sequence of strings into `out`, handing each to `push` without collecting them
/// first.
struct Strings<T, F> {
    out: T,
    push: F,
}

impl<'de, T, F: FnMut(&mut T, &str) -> Result<(), String>> Visitor<'de> for Strings<T, F> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sequence of strings")
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<T, A::Error> {
        let mut out = self.out;
        let mut index = 0_usize;
        while let Some(s) = seq.next_element::<StrBuf<'de>>()? {
            (self.push)(&mut out, s.as_str())
                .map_err(|e| de::Error::custom(format_args!("string {index}: {e}")))?;
            index += 1;
        }
        Ok(out)
    }
}

/// A string borrowed from the input when the format allows it, owned otherwise.
enum StrBuf<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl StrBuf<'_> {
    fn as_str(&self) -> &str {
        match self {
            Self::Borrowed(s) => s,
            Self::Owned(s) => s,
        }
    }
}

impl<'de> Deserialize<'de> for StrBuf<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StrBuf<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(StrBuf::Borrowed(s))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Ok(StrBuf::Owned(s.into()))
            }
            fn visit_string<E: de::Error>(self, s: String) -> Result<Self::Value, E> {
                Ok(StrBuf::Owned(s))
            }
        }
        deserializer.deserialize_str(V)
    }
}

impl Serialize for StringTable {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        strings(serializer, self.len(), self.iter())
    }
}

impl<'de> Deserialize<'de> for StringTable {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let push = |t: &mut StringTable, s: &str| {
            t.try_push(s).map(drop).map_err(|e| alloc::format!("{e}"))
        };
        deserializer.deserialize_seq(Strings {
            out: StringTable::new(),
            push,
        })
    }
}

impl<H: core::hash::BuildHasher> Serialize for Interner<H> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        strings(serializer, self.len(), self.iter().map(|(_, s)| s))
    }
}

/// Read with a hasher from `H::default()` (a fresh random seed for the default
/// [`SeededHash`]).
impl<'de, H: BuildHasher + Default> Deserialize<'de> for Interner<H> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        read_interner(deserializer, H::default())
    }
}

/// An interner read into one hashing with `hasher`; a string that appears twice is an error.
fn read_interner<'de, D: Deserializer<'de>, H: BuildHasher>(
    deserializer: D,
    hasher: H,
) -> Result<Interner<H>, D::Error> {
    let intern = |i: &mut Interner<H>, s: &str| {
        let before = i.len();
        i.try_intern(s).map_err(|e| alloc::format!("{e}"))?;
        if i.len() == before {
            return Err(alloc::format!(
                "{s:?} appears twice (an interner holds each string once)"
            ));
        }
        Ok(())
    };
    deserializer.deserialize_seq(Strings {
        out: Interner::with_hasher(hasher),
        push: intern,
    })
}

impl Serialize for Resolver {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        strings(serializer, self.len(), self.iter().map(|(_, s)| s))
    }
}

impl<'de> Deserialize<'de> for Resolver {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // The duplicate check interns every string read: seeded at random under `std` (the
        // input may be crafted to collide), with a fixed seed without it.
        #[cfg(feature = "std")]
        let hasher = SeededHash::new();
        #[cfg(not(feature = "std"))]
        let hasher = SeededHash::with_seed(0x5EED);
        read_interner(deserializer, hasher).map(Interner::into_resolver)
    }
}

impl Serialize for Symbol {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u32(self.as_u32())
    }
}

impl<'de> Deserialize<'de> for Symbol {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = u32::deserialize(deserializer)?;
        Symbol::from_u32(raw).ok_or_else(|| de::Error::custom("a symbol is never 0"))
    }
}

macro_rules! id_serde {
    ($name:ident, $raw:ty) => {
        impl<T: ?Sized> Serialize for $name<T> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                self.raw().serialize(serializer)
            }
        }

        impl<'de, T: ?Sized> Deserialize<'de> for $name<T> {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                <$raw>::deserialize(deserializer).map(Self::new)
            }
        }
    };
}

id_serde!(Id, u32);
id_serde!(Id64, u64);
