// A value whose destructor reads a borrow must not be stored in a drop-running arena: the
// arena runs the destructor when it resets or drops, after the borrowed local is gone.
use perfkit_memory::arena::Arena;

struct Borrows<'a>(&'a str);

impl Drop for Borrows<'_> {
    fn drop(&mut self) {
        println!("{}", self.0);
    }
}

fn main() {
    let arena = Arena::new();
    let local = String::from("freed before the arena drops");
    arena.alloc_with_drop(Borrows(&local));
    drop(local);
    drop(arena);
}
