//! Integration tests of the catalog over the fixture projects in `tests/fixtures`.

mod atomic_saves;
mod bind;
mod config;
mod crash_safety;
mod object_storage;
mod partitions;
mod roundtrip;
mod typed;
mod versioning;

use kedrust_catalog::{Catalog, CatalogBuilder, Registry};
use kedrust_config::ConfigLoader;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The fixture project with every built-in type.
pub const PROJECT: &str = "tests/fixtures/project";

/// A project type stored by the serde datasets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// One weight per feature.
    pub coefficients: Vec<f64>,
    /// The constant term.
    pub intercept: f64,
    /// A name.
    pub label: String,
}

/// A model to save.
pub fn model() -> Model {
    Model {
        coefficients: vec![0.5, -1.25, 3.0],
        intercept: 42.0,
        label: "linear".into(),
    }
}

/// The built-in types plus the serde codec of [`Model`].
pub fn registry() -> Registry {
    let mut r = Registry::with_builtins();
    r.serde_type::<Model>();
    r
}

/// The fixture project's catalog in `env`, with data read from and written to `root`.
pub fn catalog_in(env: &str, root: &Path) -> CatalogBuilder {
    let conf = Path::new(PROJECT).join("conf");
    let loader = ConfigLoader::new(&conf, env);
    CatalogBuilder::new(registry())
        .config(loader.load("catalog").unwrap())
        .credentials(loader.load("credentials").unwrap().value)
        .parameters(loader.load("parameters").unwrap().value)
        .root(root)
}

/// A copy of the fixture project's data folder, so tests never write into the repository.
pub fn scratch() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    kedrust_testkit::copy_dir(&Path::new(PROJECT).join("data"), &dir.path().join("data"));
    dir
}

/// The fixture project's catalog in `local`, reading and writing under `root`.
pub fn project(root: &Path) -> Catalog {
    catalog_in("local", root).build().unwrap()
}

/// Misuses that must not compile, with the message they get (`tests/compile_fail/*.rs`): a
/// codec for a type without serde, a dataset type without the typed trait.
#[test]
fn misuses_of_the_registry_do_not_compile() {
    trybuild::TestCases::new().compile_fail("tests/compile_fail/*.rs");
}
