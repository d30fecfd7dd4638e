use perfkit_layout::Soa;

#[derive(Soa)]
struct Nothing;

fn main() {}
