//! perfkit-layout against hand-written AoS/SoA code and the peer crates: soa_derive,
//! fixedbitset, bitvec, lasso, string-interner and std collections.
//!
//! Groups (parameter = input size):
//! - `particles_update`: one position step `p += v * dt` over 1M particles of seven `f32`s.
//! - `particles_push`: pushing 1M particles into an empty container.
//! - `bitset_union_count`: `a ∪= b` then `|a|` over 1 Mbit sets (and the fused count that
//!   builds no set, for the crates that have one).
//! - `bitset_iter`: visiting every member of a half-full 1 Mbit set (summing them).
//! - `intern`: interning 1M strings drawn from 100K unique ones (8–24 chars) into a fresh
//!   interner.
//! - `resolve`: resolving the 1M symbols back to strings (summing lengths).
//! - `packed_get`: 1M random reads of 11-bit values.
//! - `packed_unpack`: decoding 1M 11-bit values into a `u64` slice.
//!
//! After the criterion groups, paired comparisons (`perfkit_benches::paired`):
//! `particles_update_paired`, `particles_push_paired`, `bitset_iter_paired` and
//! `intern_paired`, the ratio targets with contenders timed in alternating rounds.

use std::collections::HashMap;
use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group};
use perfkit_layout::Soa;
use perfkit_layout::bits::{BitSet, PackedVec};
use perfkit_layout::strings::Interner;
use perfkit_testkit::{DEFAULT_SEED, Rng, f32_array, strings, u64_array};

const PARTICLES: usize = 1_000_000;
const DT: f32 = 0.01;

/// The AoS layout, and the row type of perfkit's derived SoA.
#[derive(Soa, Debug, Clone, Copy, PartialEq)]
struct Particle {
    x: f32,
    y: f32,
    z: f32,
    vx: f32,
    vy: f32,
    vz: f32,
    mass: f32,
}

/// The same particle for soa_derive (its generated names would clash with ours).
#[derive(soa_derive::StructOfArray, Debug, Clone, Copy)]
struct SdParticle {
    x: f32,
    y: f32,
    z: f32,
    vx: f32,
    vy: f32,
    vz: f32,
    mass: f32,
}

/// Hand-written struct of arrays.
#[derive(Default)]
struct HandSoa {
    x: Vec<f32>,
    y: Vec<f32>,
    z: Vec<f32>,
    vx: Vec<f32>,
    vy: Vec<f32>,
    vz: Vec<f32>,
    mass: Vec<f32>,
}

impl HandSoa {
    fn push(&mut self, p: Particle) {
        self.x.push(p.x);
        self.y.push(p.y);
        self.z.push(p.z);
        self.vx.push(p.vx);
        self.vy.push(p.vy);
        self.vz.push(p.vz);
        self.mass.push(p.mass);
    }
}

#[inline]
fn step(pos: &mut [f32], vel: &[f32]) {
    for (p, v) in pos.iter_mut().zip(vel) {
        *p += *v * DT;
    }
}

fn particles() -> Vec<Particle> {
    let f = f32_array(PARTICLES * 7, DEFAULT_SEED);
    f.chunks_exact(7)
        .map(|c| Particle {
            x: c[0],
            y: c[1],
            z: c[2],
            vx: c[3],
            vy: c[4],
            vz: c[5],
            mass: c[6] + 2.0,
        })
        .collect()
}

/// The same particle as soa_derive's row type.
fn sd_row(p: &Particle) -> SdParticle {
    SdParticle {
        x: p.x,
        y: p.y,
        z: p.z,
        vx: p.vx,
        vy: p.vy,
        vz: p.vz,
        mass: p.mass,
    }
}

fn bench_particles(c: &mut Criterion) {
    let rows = particles();
    let sd = sd_row;

    let mut g = c.benchmark_group("particles_update");
    g.throughput(Throughput::Elements(PARTICLES as u64));
    let mut aos = rows.clone();
    g.bench_function(BenchmarkId::new("hand/aos", PARTICLES), |b| {
        b.iter(|| update_aos(black_box(&mut aos)));
    });
    let mut hand = HandSoa::default();
    rows.iter().for_each(|p| hand.push(*p));
    g.bench_function(BenchmarkId::new("hand/soa", PARTICLES), |b| {
        b.iter(|| update_hand(black_box(&mut hand)));
    });
    let mut sdv = SdParticleVec::new();
    rows.iter().for_each(|p| sdv.push(sd(p)));
    g.bench_function(BenchmarkId::new("soa_derive", PARTICLES), |b| {
        b.iter(|| update_soa_derive(black_box(&mut sdv)));
    });
    let mut ours: ParticleSoa = rows.iter().copied().collect();
    g.bench_function(BenchmarkId::new("perfkit", PARTICLES), |b| {
        b.iter(|| update_ours(black_box(&mut ours)));
    });
    g.finish();

    let mut g = c.benchmark_group("particles_push");
    g.throughput(Throughput::Elements(PARTICLES as u64));
    g.bench_function(BenchmarkId::new("hand/aos", PARTICLES), |b| {
        b.iter(|| {
            let mut v = Vec::new();
            for p in black_box(&rows) {
                v.push(*p);
            }
            v
        });
    });
    g.bench_function(BenchmarkId::new("hand/soa", PARTICLES), |b| {
        b.iter(|| push_hand(black_box(&rows)));
    });
    let sd_rows: Vec<SdParticle> = rows.iter().map(sd).collect();
    g.bench_function(BenchmarkId::new("soa_derive", PARTICLES), |b| {
        b.iter(|| push_soa_derive(black_box(&sd_rows)));
    });
    g.bench_function(BenchmarkId::new("perfkit", PARTICLES), |b| {
        b.iter(|| push_ours(black_box(&rows)));
    });
    g.finish();
}

const BITS: usize = 1 << 20;

fn bench_bitsets(c: &mut Criterion) {
    let wa = u64_array(BITS / 64, DEFAULT_SEED);
    let wb = u64_array(BITS / 64, DEFAULT_SEED ^ 1);

    let mut g = c.benchmark_group("bitset_union_count");
    g.throughput(Throughput::Elements(BITS as u64));
    let mut na = wa.clone();
    g.bench_function(BenchmarkId::new("naive", BITS), |b| {
        b.iter(|| {
            for (x, y) in na.iter_mut().zip(black_box(&wb)) {
                *x |= *y;
            }
            black_box(&na)
                .iter()
                .map(|w| w.count_ones() as usize)
                .sum::<usize>()
        });
    });
    let (mut fa, fbb) = (fixed_bitset(&wa), fixed_bitset(&wb));
    g.bench_function(BenchmarkId::new("fixedbitset", BITS), |b| {
        b.iter(|| {
            fa.union_with(black_box(&fbb));
            black_box(&fa).count_ones(..)
        });
    });
    g.bench_function(BenchmarkId::new("fixedbitset/union_count", BITS), |b| {
        b.iter(|| black_box(&fa).union_count(black_box(&fbb)));
    });
    let mut ba: bitvec::vec::BitVec<u64, bitvec::order::Lsb0> =
        bitvec::vec::BitVec::from_vec(wa.clone());
    let bb: bitvec::vec::BitVec<u64, bitvec::order::Lsb0> =
        bitvec::vec::BitVec::from_vec(wb.clone());
    g.bench_function(BenchmarkId::new("bitvec", BITS), |b| {
        b.iter(|| {
            *ba.as_mut_bitslice() |= black_box(bb.as_bitslice());
            black_box(&ba).count_ones()
        });
    });
    let mut pa = BitSet::from_words(wa.clone());
    let pb = BitSet::from_words(wb.clone());
    g.bench_function(BenchmarkId::new("perfkit", BITS), |b| {
        b.iter(|| {
            pa.union_with(black_box(&pb));
            black_box(&pa).len()
        });
    });
    g.bench_function(BenchmarkId::new("perfkit/union_len", BITS), |b| {
        b.iter(|| black_box(&pa).union_len(black_box(&pb)));
    });
    assert_eq!(pa.len(), fa.count_ones(..));
    assert_eq!(pa.len(), ba.count_ones());
    g.finish();

    // Iteration over a half-full set.
    let half = BitSet::from_words(wa.clone());
    let members = half.len();
    let fhalf = fixed_bitset(&wa);
    let bhalf: bitvec::vec::BitVec<u64, bitvec::order::Lsb0> =
        bitvec::vec::BitVec::from_vec(wa.clone());
    let mut g = c.benchmark_group("bitset_iter");
    g.throughput(Throughput::Elements(members as u64));
    g.bench_function(BenchmarkId::new("naive", BITS), |b| {
        b.iter(|| {
            let mut sum = 0usize;
            for (i, &w) in black_box(&wa).iter().enumerate() {
                let mut w = w;
                while w != 0 {
                    sum = sum.wrapping_add(i * 64 + w.trailing_zeros() as usize);
                    w &= w - 1;
                }
            }
            sum
        });
    });
    g.bench_function(BenchmarkId::new("fixedbitset", BITS), |b| {
        b.iter(|| black_box(&fhalf).ones().fold(0usize, usize::wrapping_add));
    });
    g.bench_function(BenchmarkId::new("bitvec", BITS), |b| {
        b.iter(|| {
            black_box(&bhalf)
                .iter_ones()
                .fold(0usize, usize::wrapping_add)
        });
    });
    g.bench_function(BenchmarkId::new("perfkit", BITS), |b| {
        b.iter(|| black_box(&half).iter().fold(0usize, usize::wrapping_add));
    });
    g.bench_function(BenchmarkId::new("perfkit/for_loop", BITS), |b| {
        b.iter(|| {
            let mut sum = 0usize;
            for i in black_box(&half) {
                sum = sum.wrapping_add(i);
            }
            sum
        });
    });
    g.bench_function(BenchmarkId::new("fixedbitset/for_loop", BITS), |b| {
        b.iter(|| {
            let mut sum = 0usize;
            for i in black_box(&fhalf).ones() {
                sum = sum.wrapping_add(i);
            }
            sum
        });
    });
    assert_eq!(
        half.iter().fold(0usize, usize::wrapping_add),
        fhalf.ones().fold(0usize, usize::wrapping_add)
    );
    g.finish();
}

/// The fixedbitset holding the bits of `words`, set one at a time.
fn fixed_bitset(words: &[u64]) -> fixedbitset::FixedBitSet {
    let mut s = fixedbitset::FixedBitSet::with_capacity(words.len() * 64);
    for (i, word) in words.iter().enumerate() {
        for bit in 0..64 {
            if word >> bit & 1 == 1 {
                s.insert(i * 64 + bit);
            }
        }
    }
    s
}

const DRAWS: usize = 1_000_000;
const UNIQUE: usize = 100_000;

fn bench_strings(c: &mut Criterion) {
    let input = strings(DRAWS, UNIQUE, DEFAULT_SEED);

    let mut g = c.benchmark_group("intern");
    g.throughput(Throughput::Elements(DRAWS as u64));
    // Each iteration interns 1M strings (hundreds of ms): criterion's minimum sample count.
    g.sample_size(10);
    g.bench_function(BenchmarkId::new("hand/hashmap", DRAWS), |b| {
        b.iter(|| {
            let mut map: HashMap<String, u32> = HashMap::new();
            let mut names: Vec<String> = Vec::new();
            let mut last = 0;
            for s in black_box(&input) {
                last = match map.get(s.as_str()) {
                    Some(&id) => id,
                    None => {
                        let id = names.len() as u32;
                        map.insert(s.clone(), id);
                        names.push(s.clone());
                        id
                    }
                };
            }
            (map, names, last)
        });
    });
    g.bench_function(BenchmarkId::new("lasso", DRAWS), |b| {
        b.iter(|| intern_lasso(black_box(&input)));
    });
    g.bench_function(BenchmarkId::new("string-interner", DRAWS), |b| {
        b.iter(|| intern_string_interner(black_box(&input)));
    });
    g.bench_function(BenchmarkId::new("perfkit", DRAWS), |b| {
        b.iter(|| intern_ours(black_box(&input)));
    });
    g.finish();

    // Resolve every drawn symbol back (in draw order: random over the 100K strings).
    let mut g = c.benchmark_group("resolve");
    g.throughput(Throughput::Elements(DRAWS as u64));
    let mut names: Vec<String> = Vec::new();
    let mut map: HashMap<String, u32> = HashMap::new();
    let hand_ids: Vec<u32> = input
        .iter()
        .map(|s| {
            *map.entry(s.clone()).or_insert_with(|| {
                names.push(s.clone());
                names.len() as u32 - 1
            })
        })
        .collect();
    g.bench_function(BenchmarkId::new("hand/vec", DRAWS), |b| {
        b.iter(|| {
            black_box(&hand_ids)
                .iter()
                .map(|&id| names[id as usize].len())
                .sum::<usize>()
        });
    });
    let mut rodeo = lasso::Rodeo::default();
    let lasso_ids: Vec<_> = input.iter().map(|s| rodeo.get_or_intern(s)).collect();
    g.bench_function(BenchmarkId::new("lasso", DRAWS), |b| {
        b.iter(|| {
            black_box(&lasso_ids)
                .iter()
                .map(|id| rodeo.resolve(id).len())
                .sum::<usize>()
        });
    });
    let mut si = string_interner::DefaultStringInterner::default();
    let si_ids: Vec<_> = input.iter().map(|s| si.get_or_intern(s)).collect();
    g.bench_function(BenchmarkId::new("string-interner", DRAWS), |b| {
        b.iter(|| {
            black_box(&si_ids)
                .iter()
                .map(|&id| si.resolve(id).map_or(0, str::len))
                .sum::<usize>()
        });
    });
    let mut interner = Interner::new();
    let ids: Vec<_> = input.iter().map(|s| interner.intern(s)).collect();
    g.bench_function(BenchmarkId::new("perfkit", DRAWS), |b| {
        b.iter(|| {
            black_box(&ids)
                .iter()
                .map(|&id| interner.resolve(id).len())
                .sum::<usize>()
        });
    });
    let frozen = interner.clone().into_resolver();
    g.bench_function(BenchmarkId::new("perfkit/resolver", DRAWS), |b| {
        b.iter(|| {
            black_box(&ids)
                .iter()
                .map(|&id| frozen.resolve(id).len())
                .sum::<usize>()
        });
    });
    g.finish();
}

const VALUES: usize = 1_000_000;
const WIDTH: u32 = 11;

fn bench_packed(c: &mut Criterion) {
    let values: Vec<u64> = u64_array(VALUES, DEFAULT_SEED)
        .iter()
        .map(|v| v & ((1 << WIDTH) - 1))
        .collect();
    let packed = PackedVec::from_slice(WIDTH, &values).expect("11-bit values");
    let mut rng = Rng::new(DEFAULT_SEED);
    let idx: Vec<usize> = (0..VALUES)
        .map(|_| rng.below(VALUES as u64) as usize)
        .collect();
    let mut bv: bitvec::vec::BitVec<u64, bitvec::order::Lsb0> =
        bitvec::vec::BitVec::with_capacity(VALUES * WIDTH as usize);
    for &v in &values {
        for bit in 0..WIDTH {
            bv.push(v >> bit & 1 == 1);
        }
    }
    let w = WIDTH as usize;

    let mut g = c.benchmark_group("packed_get");
    g.throughput(Throughput::Elements(VALUES as u64));
    g.bench_function(BenchmarkId::new("naive", VALUES), |b| {
        b.iter(|| {
            black_box(&idx)
                .iter()
                .map(|&i| values[i])
                .fold(0u64, u64::wrapping_add)
        });
    });
    g.bench_function(BenchmarkId::new("bitvec", VALUES), |b| {
        use bitvec::field::BitField;
        b.iter(|| {
            black_box(&idx)
                .iter()
                .map(|&i| bv[i * w..(i + 1) * w].load_le::<u64>())
                .fold(0u64, u64::wrapping_add)
        });
    });
    g.bench_function(BenchmarkId::new("perfkit", VALUES), |b| {
        b.iter(|| {
            black_box(&idx)
                .iter()
                .map(|&i| packed.get(i).unwrap_or(0))
                .fold(0u64, u64::wrapping_add)
        });
    });
    g.finish();

    let mut g = c.benchmark_group("packed_unpack");
    g.throughput(Throughput::Elements(VALUES as u64));
    let mut out = vec![0u64; VALUES];
    assert_eq!(packed.unpack(0, &mut out), VALUES);
    assert_eq!(out, values);
    g.bench_function(BenchmarkId::new("naive", VALUES), |b| {
        b.iter(|| {
            out.copy_from_slice(black_box(&values));
        });
    });
    g.bench_function(BenchmarkId::new("bitvec", VALUES), |b| {
        use bitvec::field::BitField;
        b.iter(|| {
            for (o, chunk) in out.iter_mut().zip(black_box(&bv).chunks_exact(w)) {
                *o = chunk.load_le::<u64>();
            }
        });
    });
    g.bench_function(BenchmarkId::new("perfkit/get", VALUES), |b| {
        b.iter(|| {
            let p = black_box(&packed);
            for (i, o) in out.iter_mut().enumerate() {
                *o = p.get(i).unwrap_or(0);
            }
        });
    });
    g.bench_function(BenchmarkId::new("perfkit", VALUES), |b| {
        b.iter(|| black_box(&packed).unpack(0, &mut out));
    });
    g.finish();
}

// ---- contender bodies, shared by the criterion groups and the paired comparisons ----

fn update_aos(aos: &mut [Particle]) {
    for p in aos {
        p.x += p.vx * DT;
        p.y += p.vy * DT;
        p.z += p.vz * DT;
    }
}

fn update_hand(h: &mut HandSoa) {
    step(&mut h.x, &h.vx);
    step(&mut h.y, &h.vy);
    step(&mut h.z, &h.vz);
}

fn update_soa_derive(v: &mut SdParticleVec) {
    step(&mut v.x, &v.vx);
    step(&mut v.y, &v.vy);
    step(&mut v.z, &v.vz);
}

fn update_ours(v: &mut ParticleSoa) {
    let c = v.columns_mut();
    step(c.x, c.vx);
    step(c.y, c.vy);
    step(c.z, c.vz);
}

fn push_hand(rows: &[Particle]) -> HandSoa {
    let mut v = HandSoa::default();
    for p in rows {
        v.push(*p);
    }
    v
}

fn push_soa_derive(rows: &[SdParticle]) -> SdParticleVec {
    let mut v = SdParticleVec::new();
    for p in rows {
        v.push(*p);
    }
    v
}

fn push_ours(rows: &[Particle]) -> ParticleSoa {
    let mut v = ParticleSoa::new();
    for p in rows {
        v.push(*p);
    }
    v
}

fn intern_lasso(input: &[String]) -> (lasso::Rodeo, Option<lasso::Spur>) {
    let mut rodeo = lasso::Rodeo::default();
    let mut last = None;
    for s in input {
        last = Some(rodeo.get_or_intern(s));
    }
    (rodeo, last)
}

fn intern_string_interner(
    input: &[String],
) -> (
    string_interner::DefaultStringInterner,
    Option<string_interner::DefaultSymbol>,
) {
    let mut si = string_interner::DefaultStringInterner::default();
    let mut last = None;
    for s in input {
        last = Some(si.get_or_intern(s));
    }
    (si, last)
}

fn intern_ours(input: &[String]) -> (Interner, Option<perfkit_layout::strings::Symbol>) {
    let mut interner = Interner::new();
    let mut last = None;
    for s in input {
        last = Some(interner.intern(s));
    }
    (interner, last)
}

/// Paired comparisons (see `perfkit_benches::paired`) of the ratio targets: derived SoA
/// against hand SoA, soa_derive and AoS (update and push), bit set iteration against
/// fixedbitset's `ones()`, and the interners. Every contender keeps its own data, so in the
/// update comparison each call streams its arrays from memory (the four containers together
/// exceed the last-level cache), unlike the criterion group, where one contender's arrays
/// partly stay cached between iterations.
fn paired_layout() {
    use perfkit_benches::paired::{Contender, compare};
    let rows = particles();
    let sd_rows: Vec<SdParticle> = rows.iter().map(sd_row).collect();
    {
        let mut aos = rows.clone();
        let mut hand = push_hand(&rows);
        let mut sdv = push_soa_derive(&sd_rows);
        let mut ours = push_ours(&rows);
        let update: Vec<Contender<'_>> = vec![
            ("perfkit", Box::new(|| update_ours(black_box(&mut ours)))),
            ("hand/soa", Box::new(|| update_hand(black_box(&mut hand)))),
            (
                "soa_derive",
                Box::new(|| update_soa_derive(black_box(&mut sdv))),
            ),
            ("hand/aos", Box::new(|| update_aos(black_box(&mut aos)))),
        ];
        compare("particles_update_paired", PARTICLES, update);
    }
    let push: Vec<Contender<'_>> = vec![
        (
            "perfkit",
            Box::new(|| drop(black_box(push_ours(black_box(&rows))))),
        ),
        (
            "soa_derive",
            Box::new(|| drop(black_box(push_soa_derive(black_box(&sd_rows))))),
        ),
        (
            "hand/soa",
            Box::new(|| drop(black_box(push_hand(black_box(&rows))))),
        ),
    ];
    compare("particles_push_paired", PARTICLES, push);
    let words = u64_array(BITS / 64, DEFAULT_SEED);
    let half = BitSet::from_words(words.clone());
    let fhalf = fixed_bitset(&words);
    let iterate: Vec<Contender<'_>> = vec![
        (
            "perfkit",
            Box::new(|| {
                black_box(black_box(&half).iter().fold(0usize, usize::wrapping_add));
            }),
        ),
        (
            "fixedbitset",
            Box::new(|| {
                black_box(black_box(&fhalf).ones().fold(0usize, usize::wrapping_add));
            }),
        ),
    ];
    compare("bitset_iter_paired", half.len(), iterate);
    let input = strings(DRAWS, UNIQUE, DEFAULT_SEED);
    let intern: Vec<Contender<'_>> = vec![
        (
            "perfkit",
            Box::new(|| drop(black_box(intern_ours(black_box(&input))))),
        ),
        (
            "string-interner",
            Box::new(|| drop(black_box(intern_string_interner(black_box(&input))))),
        ),
        (
            "lasso",
            Box::new(|| drop(black_box(intern_lasso(black_box(&input))))),
        ),
    ];
    compare("intern_paired", DRAWS, intern);
}

criterion_group! {
    name = benches;
    config = perfkit_benches::criterion();
    targets = bench_particles, bench_bitsets, bench_strings, bench_packed
}
fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    paired_layout();
}
