//! "Did you mean" suggestions, ranked as Python's `difflib.get_close_matches` ranks them
//! (Kedro's choice): the ratio of matching characters, at most `n`, at least `cutoff`.
//! For a namespaced name (`data_science.active.model_input`), close names of its own
//! namespace come first: a typo in one pipeline variant should not point at another variant.

/// Up to `n` candidates whose similarity to `word` is at least `cutoff`, best first, those
/// of `word`'s namespace before the others.
pub fn close_matches<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    n: usize,
    cutoff: f64,
) -> Vec<&'a str> {
    let w: Vec<char> = word.chars().collect();
    let mut scored: Vec<(f64, &str)> = candidates
        .into_iter()
        .filter_map(|c| {
            let cs: Vec<char> = c.chars().collect();
            let r = ratio(&w, &cs);
            (r >= cutoff).then_some((r, c))
        })
        .collect();
    let own = |c: &str| namespace(word).is_some() && namespace(c) == namespace(word);
    scored.sort_by(|a, b| {
        own(b.1)
            .cmp(&own(a.1))
            .then_with(|| b.0.total_cmp(&a.0))
            .then_with(|| b.1.cmp(a.1))
    });
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(n).map(|(_, c)| c).collect()
}

/// The single best match with Kedro's defaults (cutoff 0.6), for "did you mean" hints.
pub fn best_match<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    close_matches(word, candidates, 1, 0.6).into_iter().next()
}

/// `"; did you mean 'x'?"` for the best match of `word`, or nothing: the tail every message
/// with a suggestion ends with.
pub fn hint<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    best_match(word, candidates)
        .map(|s| format!("; did you mean '{s}'?"))
        .unwrap_or_default()
}

/// serde says "unknown field `sepaator`, expected one of `separator`, `has_header`"; this
/// adds the nearest valid name, which serde leaves the reader to find. Other messages are
/// returned as they are.
pub fn unknown_field(message: &str) -> String {
    let Some(rest) = message.strip_prefix("unknown field `") else {
        return message.to_owned();
    };
    let Some((field, expected)) = rest.split_once('`') else {
        return message.to_owned();
    };
    let valid: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    match best_match(field, valid.iter().copied()) {
        Some(best) => format!(
            "unknown key '{field}'; did you mean '{best}'? (valid: {})",
            valid.join(", ")
        ),
        None if valid.is_empty() => format!("unknown key '{field}'; no keys are accepted here"),
        None => format!("unknown key '{field}' (valid: {})", valid.join(", ")),
    }
}

/// Everything before the last dot, as Kedro names namespaced datasets and parameters.
fn namespace(name: &str) -> Option<&str> {
    name.rsplit_once('.').map(|(ns, _)| ns)
}

/// `2 * matches / (len(a) + len(b))`, where matches are found as difflib finds them: the
/// longest common block, then recursively left and right of it.
fn ratio(a: &[char], b: &[char]) -> f64 {
    let total = a.len() + b.len();
    if total == 0 {
        return 1.0;
    }
    2.0 * matching_chars(a, b) as f64 / total as f64
}

fn matching_chars(a: &[char], b: &[char]) -> usize {
    let (i, j, k) = longest_block(a, b);
    if k == 0 {
        return 0;
    }
    k + matching_chars(&a[..i], &b[..j]) + matching_chars(&a[i + k..], &b[j + k..])
}

/// The earliest longest common substring as (start in a, start in b, length).
fn longest_block(a: &[char], b: &[char]) -> (usize, usize, usize) {
    let mut best = (0, 0, 0);
    let mut prev = vec![0usize; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![0usize; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            if ca == cb {
                cur[j + 1] = prev[j] + 1;
                if cur[j + 1] > best.2 {
                    best = (i + 1 - cur[j + 1], j + 1 - cur[j + 1], cur[j + 1]);
                }
            }
        }
        prev = cur;
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_like_difflib() {
        // difflib.get_close_matches("appel", ["ape", "apple", "peach", "puppy"]) == ["apple", "ape"]
        assert_eq!(
            close_matches("appel", ["ape", "apple", "peach", "puppy"], 3, 0.6),
            vec!["apple", "ape"]
        );
        assert_eq!(
            best_match("companys", ["companies", "shuttles"]),
            Some("companies")
        );
        assert_eq!(best_match("zzz", ["companies"]), None);
    }

    #[test]
    fn ranks_names_of_the_same_namespace_first() {
        // The name in namespace `ds.activ` is the closer string (0.94 against 0.88), but a
        // typo inside `ds.active` means a dataset of `ds.active`.
        let candidates = ["ds.activ.model_input_table", "ds.active.model_input"];
        assert_eq!(
            best_match("ds.active.model_input_tabel", candidates),
            Some("ds.active.model_input")
        );
        // Without a namespace, or when the namespace has no close name, similarity decides.
        assert_eq!(
            best_match(
                "model_input_tabel",
                ["model_input_table", "ds.model_input_table"]
            ),
            Some("model_input_table")
        );
        assert_eq!(
            best_match("ds.x.model_input_tabel", ["ds.y.model_input_table"]),
            Some("ds.y.model_input_table")
        );
    }
}
