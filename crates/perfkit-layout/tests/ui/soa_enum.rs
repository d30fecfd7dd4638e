use perfkit_layout::Soa;

#[derive(Soa)]
enum Shape {
    Circle { r: f32 },
    Square { side: f32 },
}

fn main() {}
