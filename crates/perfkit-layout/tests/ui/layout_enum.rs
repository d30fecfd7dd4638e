use perfkit_layout::Layout;

#[derive(Layout)]
enum Kind {
    A,
    B,
}

fn main() {}
