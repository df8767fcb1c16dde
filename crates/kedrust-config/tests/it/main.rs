//! Integration tests of the config loader over fixture projects in `tests/fixtures`.

mod interpolation;
mod limits;
mod loading;
mod runtime_params;

/// A configuration folder with `files` (paths inside `base`) and an empty `local`.
pub fn conf_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("local")).unwrap();
    for (file, text) in files {
        let path = dir.path().join("base").join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

/// Why `group` of `local` in `dir` does not load, the folder shown as `<conf>`.
pub fn load_error(dir: &tempfile::TempDir, group: &str) -> String {
    kedrust_config::ConfigLoader::new(dir.path(), "local")
        .load(group)
        .unwrap_err()
        .to_string()
        .replace(&dir.path().display().to_string(), "<conf>")
}
