// A `params:` input is deserialised from the configuration: its type must be Deserialize.
use kedrust_pipeline::{Param, node};

struct Opaque;

fn model(_: Param<Opaque>) -> i64 {
    1
}

fn main() {
    let _ = node(model, "params:model", "score");
}
