//! Merging environments: the run environment overrides the base, whole top-level keys at a
//! time (Kedro's destructive merge, the default) or leaf by leaf (soft merge).

use serde_json::Value;

/// How a run environment's group overrides the base environment's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MergeStrategy {
    /// A top-level key of the run environment replaces the base's whole value.
    #[default]
    Destructive,
    /// Mappings merge recursively; other values are replaced.
    Soft,
}

/// Applies `over` onto `base` with the strategy.
pub fn merge(base: &mut Value, over: Value, strategy: MergeStrategy) {
    match (base, over, strategy) {
        (Value::Object(b), Value::Object(o), MergeStrategy::Destructive) => {
            for (k, v) in o {
                b.insert(k, v);
            }
        }
        (base, over, MergeStrategy::Soft) => deep_merge(base, over),
        (base, over, _) => *base = over,
    }
}

/// Mappings merge key by key, recursively; anything else in `over` replaces `base`.
pub fn deep_merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(existing) => deep_merge(existing, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (base, over) => *base = over,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn destructive_replaces_top_level_keys() {
        let mut base = json!({"model": {"kind": "linear", "alpha": 1}, "seed": 1});
        merge(
            &mut base,
            json!({"model": {"alpha": 2}}),
            MergeStrategy::Destructive,
        );
        assert_eq!(base, json!({"model": {"alpha": 2}, "seed": 1}));
    }

    #[test]
    fn soft_keeps_siblings() {
        let mut base = json!({"model": {"kind": "linear", "alpha": 1}, "seed": 1});
        merge(
            &mut base,
            json!({"model": {"alpha": 2}}),
            MergeStrategy::Soft,
        );
        assert_eq!(
            base,
            json!({"model": {"kind": "linear", "alpha": 2}, "seed": 1})
        );
    }
}
