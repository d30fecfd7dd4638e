//! `serde::Serialize` for the stats structs (feature `serde`): a struct of their counters, by
//! field name, as `#[derive(Serialize)]` would write it. Written out rather than derived so
//! the docs label the impls with their feature.

use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::{AllocStats, PoolStats};

macro_rules! serialize_counters {
    ($ty:ident { $($field:ident),* $(,)? }) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let fields = [$(stringify!($field)),*].len();
                let mut s = serializer.serialize_struct(stringify!($ty), fields)?;
                $(s.serialize_field(stringify!($field), &self.$field)?;)*
                s.end()
            }
        }
    };
}

serialize_counters!(AllocStats {
    allocations,
    deallocations,
    reallocations,
    bytes_allocated,
    bytes_deallocated,
    live_bytes,
    peak_live_bytes,
});

serialize_counters!(PoolStats {
    hits,
    misses,
    prefilled,
    returns,
    discarded,
    detached,
    idle,
});

#[cfg(test)]
mod tests {
    #[test]
    fn counters_are_written_by_field_name() {
        let json = serde_json::to_string(&crate::PoolStats::default()).unwrap();
        assert_eq!(
            json,
            r#"{"hits":0,"misses":0,"prefilled":0,"returns":0,"discarded":0,"detached":0,"idle":0}"#
        );
        let v: serde_json::Value = serde_json::to_value(crate::AllocStats::default()).unwrap();
        assert_eq!(v.as_object().map(|o| o.len()), Some(7));
        assert_eq!(v["peak_live_bytes"], 0);
    }
}
