//! Finding the files of a config group inside an environment folder.
//!
//! A group is matched by file-name patterns as Kedro's are (`catalog*` matches
//! `catalog.yml`, `catalog_prod.yml`, `catalog/cars.yml` and `pipelines/catalog.yml`): a
//! file belongs to the group when its name or any folder above it (inside the environment)
//! matches. Hidden files and folders are ignored; YAML and JSON files are read.

use crate::error::ConfigError;
use std::path::{Path, PathBuf};

/// A config group: a name and the glob patterns (`*`, `?`) of its files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// The group's name, e.g. `catalog`.
    pub name: String,
    /// Patterns matched against each path component, e.g. `catalog*`.
    pub patterns: Vec<String>,
}

impl Group {
    /// A group whose files start with `name` (Kedro's default patterns).
    pub fn named(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            patterns: vec![format!("{name}*")],
        }
    }
}

/// The groups every project has.
pub fn default_groups() -> Vec<Group> {
    [
        "catalog",
        "parameters",
        "credentials",
        "globals",
        "dagster",
        "mlflow",
    ]
    .into_iter()
    .map(Group::named)
    .collect()
}

const EXTENSIONS: [&str; 3] = ["yml", "yaml", "json"];

/// Every file of the group under `env_dir`, sorted by path.
pub fn files(env_dir: &Path, group: &Group) -> Result<Vec<PathBuf>, ConfigError> {
    let mut all = Vec::new();
    walk(env_dir, &mut all)?;
    let mut out: Vec<PathBuf> = all
        .into_iter()
        .filter(|f| {
            let rel = f.strip_prefix(env_dir).unwrap_or(f);
            let parts: Vec<String> = rel
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            let Some((file, folders)) = parts.split_last() else {
                return false;
            };
            let matches = |name: &str| group.patterns.iter().any(|p| glob(p, name));
            folders.iter().any(|d| matches(d)) || matches(stem(file)) || matches(file)
        })
        .collect();
    out.sort();
    Ok(out)
}

fn stem(file_name: &str) -> &str {
    file_name.rsplit_once('.').map_or(file_name, |(s, _)| s)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), ConfigError> {
    let io = |e: std::io::Error| ConfigError::Io {
        path: dir.to_owned(),
        message: e.to_string(),
    };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        if entry.file_type().map_err(io)?.is_dir() {
            walk(&path, out)?;
        } else if path
            .extension()
            .is_some_and(|e| EXTENSIONS.contains(&e.to_string_lossy().as_ref()))
        {
            out.push(path);
        }
    }
    Ok(())
}

/// Matches one path component against a pattern of literal characters, `*` and `?`.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn globs_match_components() {
        assert!(glob("catalog*", "catalog"));
        assert!(glob("catalog*", "catalog_prod"));
        assert!(!glob("catalog*", "my_catalog"));
        assert!(glob("*_spark", "cars_spark"));
        assert!(glob("p?rams*", "params"));
    }
}
