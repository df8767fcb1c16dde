//! Data versions: a short text that changes when the data a dataset holds changes, for
//! telling whether an input or an output changed since a run recorded it. A file's is its
//! size and modification time; a folder's (a versioned dataset's versions, a partitioned
//! dataset's partitions) covers every file in it by relative path. On object storage, the
//! objects' ETags make it (`Remote::data_version`). Nothing there has none: a reader that
//! needs one treats the data as changed.

use std::path::Path;

/// The data version of the file or folder at `path`, if there is one.
pub(crate) fn local(path: &Path) -> Option<String> {
    let text = path.to_str()?;
    if crate::remote::is_url(text) {
        return None;
    }
    let meta = std::fs::metadata(path).ok()?;
    let mut listing = String::new();
    if meta.is_dir() {
        let mut files = Vec::new();
        walk(path, "", 0, &mut files)?;
        files.sort();
        for (name, size, modified) in files {
            listing.push_str(&format!("{name}\t{size}\t{modified}\n"));
        }
    } else {
        listing = format!("\t{}\t{}\n", meta.len(), modified_ns(&meta));
    }
    Some(kedrust_pipeline::naming::hash_hex(&listing))
}

fn modified_ns(meta: &std::fs::Metadata) -> u128 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos())
}

/// Every file below `dir`, links followed (data kept as links to a store, DVC's way); `None`
/// when any of it cannot be read, as a partial listing would not follow the data.
fn walk(dir: &Path, prefix: &str, depth: usize, out: &mut Vec<(String, u64, u128)>) -> Option<()> {
    // Deeper than any dataset folder: a link loop.
    if depth > 32 {
        return None;
    }
    for entry in std::fs::read_dir(dir).ok()? {
        let entry = entry.ok()?;
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        // Hidden files are the catalog's own (a writer's leftovers), not data.
        if name.rsplit('/').next().is_some_and(|n| n.starts_with('.')) {
            continue;
        }
        let meta = std::fs::metadata(entry.path()).ok()?;
        if meta.is_dir() {
            walk(&entry.path(), &format!("{name}/"), depth + 1, out)?;
        } else {
            out.push((name, meta.len(), modified_ns(&meta)));
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_changes_with_the_data_and_only_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("x.json");
        assert_eq!(local(&file), None);
        std::fs::write(&file, "1").unwrap();
        let first = local(&file).unwrap();
        assert_eq!(local(&file), Some(first.clone()));
        std::thread::sleep(std::time::Duration::from_millis(5));
        std::fs::write(&file, "22").unwrap();
        assert_ne!(local(&file), Some(first));
        let folder = dir.path().join("parts");
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("a.json"), "1").unwrap();
        let before = local(&folder).unwrap();
        std::fs::write(folder.join(".a.json.tmp"), "x").unwrap();
        assert_eq!(
            local(&folder),
            Some(before.clone()),
            "hidden files are not data"
        );
        std::fs::write(folder.join("b.json"), "2").unwrap();
        assert_ne!(local(&folder), Some(before));
        assert_eq!(local(Path::new("s3://bucket/x.json")), None);
    }
}
