use perfkit_layout::Soa;

#[derive(Soa)]
struct Point(f32, f32);

fn main() {}
