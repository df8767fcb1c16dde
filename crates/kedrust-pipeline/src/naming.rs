//! Names: node-name and tag rules, transcoding (`name@suffix`), parameter names and the
//! deterministic default node name.

/// Prefix of a single-parameter input (`params:a.b.c`).
pub const PARAMS_PREFIX: &str = "params:";
/// The input that receives every parameter.
pub const ALL_PARAMETERS: &str = "parameters";
/// The transcoding separator.
pub const TRANSCODING_SEPARATOR: char = '@';

/// Whether `s` is a valid node name or tag: letters, digits, `_`, `-` and `.`.
pub fn is_valid_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_name_char)
}

/// Whether `c` may be in a node name or tag: a letter, a digit, `_`, `-` or `.`.
pub fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// Whether an input names parameters rather than a dataset.
pub fn is_parameter(name: &str) -> bool {
    name == ALL_PARAMETERS || name.starts_with(PARAMS_PREFIX)
}

/// The part before `@`: the dataset all transcoded variants share.
pub fn base_name(name: &str) -> &str {
    name.split_once(TRANSCODING_SEPARATOR)
        .map_or(name, |(base, _)| base)
}

/// Whether a name carries a transcoding suffix.
pub fn is_transcoded(name: &str) -> bool {
    name.contains(TRANSCODING_SEPARATOR)
}

/// What is wrong with a dataset name, if anything.
pub fn dataset_name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("it is empty");
    }
    if name.trim() != name {
        return Some("it starts or ends with white space");
    }
    if name.matches(TRANSCODING_SEPARATOR).count() > 1 {
        return Some("it has more than one transcoding separator '@'");
    }
    if let Some((base, suffix)) = name.split_once(TRANSCODING_SEPARATOR)
        && (base.is_empty() || suffix.is_empty())
    {
        return Some("a transcoded name needs text on both sides of '@'");
    }
    if name == PARAMS_PREFIX {
        return Some("'params:' must be followed by a parameter path");
    }
    None
}

/// The function's own name from its type path: `my::mod::clean_rows` gives `clean_rows`,
/// a closure gives `closure`.
pub fn function_name(type_path: &str) -> &str {
    let without_generics = type_path.split('<').next().unwrap_or(type_path);
    let last = without_generics
        .rsplit("::")
        .next()
        .unwrap_or(without_generics);
    if last.contains("{{closure}}") || last.is_empty() {
        "closure"
    } else {
        last
    }
}

/// The default node name, `{function}__{hash}`, stable across runs and machines: the hash
/// (64-bit FNV-1a, first 8 hex digits) covers the function's path and the node's inputs and
/// outputs, so `--nodes` keeps working from one run to the next.
pub fn default_node_name(function_path: &str, inputs: &[String], outputs: &[String]) -> String {
    let hex = fingerprint(function_path, inputs, outputs);
    format!("{}__{}", function_name(function_path), &hex[..8])
}

/// A node's fingerprint: 64-bit FNV-1a of its function's path, inputs and outputs, as 16 hex
/// digits. It changes when the node is rewired or its function renamed, not when the
/// function's body changes.
pub fn fingerprint(function_path: &str, inputs: &[String], outputs: &[String]) -> String {
    hash_hex(&format!("{function_path}|{inputs:?}|{outputs:?}"))
}

/// 64-bit FNV-1a of `text`, as 16 hex digits: the same on every machine and every build, so
/// it may be stored and compared later.
pub fn hash_hex(text: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_kedro_rules() {
        assert!(is_valid_name("a.b-c_d9"));
        assert!(!is_valid_name("a b"));
        assert!(!is_valid_name(""));
        assert!(!is_valid_name("a/b"));
    }

    #[test]
    fn transcoding_splits_at_the_separator() {
        assert_eq!(base_name("cars@pandas"), "cars");
        assert_eq!(base_name("cars"), "cars");
        assert_eq!(
            dataset_name_problem("a@b@c"),
            Some("it has more than one transcoding separator '@'")
        );
        assert_eq!(dataset_name_problem("a@b"), None);
    }

    #[test]
    fn function_names_come_from_type_paths() {
        assert_eq!(function_name("app::nodes::clean_rows"), "clean_rows");
        assert_eq!(function_name("app::main::{{closure}}"), "closure");
        assert_eq!(
            function_name("app::generic<alloc::string::String>"),
            "generic"
        );
    }

    #[test]
    fn default_names_are_stable() {
        let a = default_node_name("m::f", &["A".into()], &["B".into()]);
        assert_eq!(a, default_node_name("m::f", &["A".into()], &["B".into()]));
        assert!(a.starts_with("f__") && a.len() == "f__".len() + 8);
        assert_ne!(a, default_node_name("m::f", &["A".into()], &["C".into()]));
        // A golden value: a change of the hash renames every unnamed node of every project,
        // and `--nodes` on a saved command line stops matching.
        assert_eq!(a, "f__a7e47afe");
    }
}
