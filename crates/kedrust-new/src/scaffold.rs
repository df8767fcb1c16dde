//! What `kedrust new` and `kedrust pipeline create` write: a starter's files (see
//! `starter/`) and what every project has (data layers, `.gitignore`, local credentials).
//! Nothing is fetched.

use crate::starter::{Holes, KedrustSource, Starter};
use std::path::{Path, PathBuf};

/// Kedro's data layers, each kept in git by an empty `.gitkeep`.
const DATA_LAYERS: [&str; 8] = [
    "01_raw",
    "02_intermediate",
    "03_primary",
    "04_feature",
    "05_model_input",
    "06_models",
    "07_model_output",
    "08_reporting",
];

const GITIGNORE: &str = r#"/target
# Local configuration and credentials stay on this machine.
conf/local/**
!conf/local/.gitkeep
# Data is not code: keep the folders, not their content.
data/**
!data/**/
!data/**/.gitkeep
# kedrust's run store and run folders.
.kedrust/
# MLflow's local store, when mlflow.yml names no server.
/mlflow.db
/mlruns/
"#;

/// The project `name` from `starter`, written into `path` (default `./<name>`), depending on
/// the kedrust at `kedrust` (crates.io's when `None`); what to tell the user.
pub fn new_project(
    name: &str,
    starter: Starter,
    path: Option<&Path>,
    kedrust: Option<&Path>,
) -> Result<String, String> {
    let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !valid {
        return Err(format!(
            "'{name}' is not a crate name: start with a letter, then letters, digits, '_' or '-'"
        ));
    }
    let root = path.map_or_else(|| PathBuf::from(name), Path::to_path_buf);
    if root.exists()
        && std::fs::read_dir(&root)
            .map_err(|e| e.to_string())?
            .next()
            .is_some()
    {
        return Err(format!("{} exists and is not empty", root.display()));
    }
    let kedrust =
        match kedrust {
            Some(path) => KedrustSource::Path(std::fs::canonicalize(path).map_err(|e| {
                format!("kedrust is not at {}: {e} (give --kedrust)", path.display())
            })?),
            None => KedrustSource::Registry,
        };
    let holes = Holes {
        name,
        kedrust: &kedrust,
    };
    let mut files = starter.files(&holes);
    // The starter's own sample data is part of the project: kept in git, so that a fresh
    // clone runs as the new project does.
    let mut gitignore = GITIGNORE.to_owned();
    for (path, _) in files.iter().filter(|(p, _)| p.starts_with("data")) {
        let parts: Vec<_> = path.iter().map(|part| part.to_string_lossy()).collect();
        gitignore.push_str(&format!("!{}\n", parts.join("/")));
    }
    files.extend([
        (
            "conf/local/credentials.yml".into(),
            "# Secrets for this machine only: this folder is not committed.\n{}\n".into(),
        ),
        ("conf/local/.gitkeep".into(), String::new()),
        (".gitignore".into(), gitignore),
    ]);
    for layer in DATA_LAYERS {
        files.push((
            PathBuf::from("data").join(layer).join(".gitkeep"),
            String::new(),
        ));
    }
    write_all(&root, &files)?;
    Ok(format!(
        "wrote the project {name} in {}\nnext: cd {} && {}\n",
        root.display(),
        root.display(),
        starter.first_command()
    ))
}

/// Adds pipeline `name` to the project in `root`: its module, its parameters file and its
/// `mod` line; what to tell the user (the one line to add to `main.rs`).
pub fn create_pipeline(root: &Path, name: &str) -> Result<String, String> {
    let valid = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid {
        return Err(format!(
            "'{name}' is not a pipeline module name: lowercase letters, digits and '_', starting with a letter"
        ));
    }
    let modules = root.join("src/pipelines/mod.rs");
    let listed = std::fs::read_to_string(&modules).map_err(|_| {
        format!(
            "{} has no src/pipelines/mod.rs: run this in a project `kedrust new` wrote",
            root.display()
        )
    })?;
    let module = root.join(format!("src/pipelines/{name}.rs"));
    if module.exists() {
        return Err(format!("{} exists already", module.display()));
    }
    let text = format!(
        "//! `{name}`.\n\nuse kedrust::prelude::*;\n\n/// The pipeline, registered in `main.rs`.\n\
         pub fn create_pipeline() -> Result<Pipeline, PipelineError> {{\n    \
         // one node(function, inputs, outputs).name(\"...\") per step\n    \
         Pipeline::new(Vec::<Node>::new())\n}}\n"
    );
    let parameters = format!("# Parameters of the {name} pipeline, read as params:<key>.\n{{}}\n");
    write_all(
        root,
        &[
            (PathBuf::from(format!("src/pipelines/{name}.rs")), text),
            (
                PathBuf::from(format!("conf/base/parameters_{name}.yml")),
                parameters,
            ),
            (
                PathBuf::from("src/pipelines/mod.rs"),
                format!("{}pub mod {name};\n", listed),
            ),
        ],
    )?;
    Ok(format!(
        "wrote src/pipelines/{name}.rs and conf/base/parameters_{name}.yml\n\
         register it in src/main.rs: .pipeline(\"{name}\", pipelines::{name}::create_pipeline)\n"
    ))
}

fn write_all(root: &Path, files: &[(PathBuf, String)]) -> Result<(), String> {
    for (path, text) in files {
        let path = root.join(path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}
