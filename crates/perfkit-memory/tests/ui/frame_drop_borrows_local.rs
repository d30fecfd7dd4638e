// `with_frame` drops its values when the closure returns; a value borrowing a local of the
// closure would be dropped after that local.
use perfkit_memory::arena::with_frame;

struct Borrows<'a>(&'a [u8]);

impl Drop for Borrows<'_> {
    fn drop(&mut self) {
        println!("{}", self.0.len());
    }
}

fn main() {
    with_frame(|arena| {
        let local = vec![1_u8, 2, 3];
        arena.alloc_with_drop(Borrows(&local));
    });
}
