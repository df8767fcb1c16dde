// A node returning one number cannot declare two outputs.
use kedrust_pipeline::node;

fn double(x: i64) -> i64 {
    x * 2
}

fn main() {
    let _ = node(double, "x", ["twice", "again"]);
}
