// Registering a struct that is not a dataset type says which trait to implement.
#[derive(Debug)]
struct Orders;

fn main() {
    let mut registry = kedrust_catalog::Registry::with_builtins();
    registry.dataset::<Orders>();
}
