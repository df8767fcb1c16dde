// The serde datasets store a type through its codec: the type must be Serialize and
// Deserialize, which the compiler checks where the codec is registered.
use kedrust_catalog::Registry;

struct Model {
    weights: Vec<f64>,
}

fn main() {
    let mut registry = Registry::with_builtins();
    registry.serde_type::<Model>();
}
