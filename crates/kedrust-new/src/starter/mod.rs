//! The projects `kedrust new` starts from, as `kedro new --starter` has them: each is a set of
//! files with `{{name}}`-style holes.

mod empty;
mod spaceflights;

use std::path::PathBuf;

/// A starter of `kedrust new --starter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Starter {
    /// The smallest project that runs: one pipeline of one node, and its unit test.
    Empty,
    /// Kedro's spaceflights tutorial on Polars: data processing, a regression, its metrics,
    /// and a `generate` command that writes the raw data.
    Spaceflights,
}

impl Starter {
    /// The starter's files, holes filled.
    pub fn files(self, holes: &Holes<'_>) -> Vec<(PathBuf, String)> {
        match self {
            Starter::Empty => empty::files(holes),
            Starter::Spaceflights => spaceflights::files(holes),
        }
    }

    /// What to run first in the new project.
    pub fn first_command(self) -> &'static str {
        match self {
            Starter::Empty => "cargo run -- run",
            Starter::Spaceflights => "cargo run -- generate && cargo run -- run",
        }
    }
}

/// Where a new project takes kedrust from.
#[derive(Debug, Clone)]
pub enum KedrustSource {
    /// A checkout's `crates/kedrust`.
    Path(PathBuf),
    /// crates.io, at the version of this command.
    Registry,
}

/// What the templates' holes are filled with.
pub struct Holes<'a> {
    /// The project's (and crate's) name.
    pub name: &'a str,
    /// The kedrust crate the project depends on.
    pub kedrust: &'a KedrustSource,
}

impl Holes<'_> {
    fn kedrust_source(&self) -> String {
        match self.kedrust {
            KedrustSource::Path(path) => format!("path = \"{}\"", path.display()),
            KedrustSource::Registry => format!("version = \"{}\"", env!("CARGO_PKG_VERSION")),
        }
    }

    /// `template` with `{{name}}`, `{{crate}}` (the name as Rust spells a crate) and
    /// `{{kedrust}}` (the dependency's source, as `Cargo.toml` writes it) filled.
    pub fn fill(&self, template: &str) -> String {
        template
            .replace("{{name}}", self.name)
            .replace("{{crate}}", &self.name.replace('-', "_"))
            .replace("{{kedrust}}", &self.kedrust_source())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn a_project_depends_on_a_checkout_or_on_crates_io() {
        let cargo_toml = |kedrust: &KedrustSource| {
            let holes = Holes {
                name: "shop",
                kedrust,
            };
            Starter::Spaceflights
                .files(&holes)
                .into_iter()
                .find(|(path, _)| path == Path::new("Cargo.toml"))
                .map(|(_, text)| text)
                .unwrap()
        };
        let registry = cargo_toml(&KedrustSource::Registry);
        assert!(
            registry.contains(&format!(
                "kedrust = {{ version = \"{}\", features = [\"polars\"] }}",
                env!("CARGO_PKG_VERSION")
            )),
            "{registry}"
        );
        let checkout = cargo_toml(&KedrustSource::Path("/src/kedrust/crates/kedrust".into()));
        assert!(
            checkout.contains("kedrust = { path = \"/src/kedrust/crates/kedrust\", features"),
            "{checkout}"
        );
    }
}
