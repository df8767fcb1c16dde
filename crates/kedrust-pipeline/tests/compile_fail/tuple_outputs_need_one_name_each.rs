// A node returning a pair cannot declare three outputs.
use kedrust_pipeline::node;

fn split(x: i64) -> (i64, i64) {
    (x, x + 1)
}

fn main() {
    let _ = node(split, "x", ["low", "high", "extra"]);
}
