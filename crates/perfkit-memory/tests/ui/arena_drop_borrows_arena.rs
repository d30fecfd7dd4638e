// A drop-running value may not borrow from the arena itself either: the arena frees its
// chunks and runs destructors in one sweep, so such a destructor could read freed memory.
use perfkit_memory::arena::Arena;

struct Borrows<'a>(&'a mut u64);

impl Drop for Borrows<'_> {
    fn drop(&mut self) {
        *self.0 += 1;
    }
}

fn main() {
    let arena = Arena::new();
    let counter = arena.alloc(0_u64);
    arena.try_alloc_with_drop(Borrows(counter)).unwrap();
}
