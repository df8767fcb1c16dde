//! Dataset factories: catalog keys with `{placeholders}`, matched and ranked exactly as Kedro
//! (the `parse` library) does.
//!
//! - The whole name must match; each placeholder takes one or more characters, as few as
//!   possible; literal text matches ignoring case.
//! - Ranking: more literal characters first, then more placeholders, then by pattern text.
//! - A pattern without literal characters is a catch-all; tried after all the others.

use serde_json::Value as Json;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};

/// One part of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    /// Text, kept lower-cased for matching.
    Literal(Vec<char>),
    /// `{name}` (a format spec after `:` is ignored).
    Field(String),
}

/// A parsed factory pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    text: String,
    segments: Vec<Segment>,
    specificity: usize,
    fields: usize,
}

/// What a pattern captured from a name.
pub type Captures = BTreeMap<String, String>;

impl Pattern {
    /// Parses a catalog key; `None` when it has no placeholder (an explicit entry).
    pub fn parse(text: &str) -> Result<Option<Self>, String> {
        if !text.contains('{') {
            return Ok(None);
        }
        let mut segments = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                segments.push(Segment::Literal(lower(&rest[..open])));
            }
            let close = rest[open..]
                .find('}')
                .ok_or_else(|| format!("pattern '{text}' has a '{{' without '}}'"))?;
            let inner = &rest[open + 1..open + close];
            let name = inner.split(':').next().unwrap_or_default().trim();
            if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
                return Err(format!(
                    "pattern '{text}' has an invalid placeholder '{{{inner}}}'; use letters, digits and '_'"
                ));
            }
            segments.push(Segment::Field(name.to_owned()));
            rest = &rest[open + close + 1..];
        }
        if !rest.is_empty() {
            segments.push(Segment::Literal(lower(rest)));
        }
        let specificity = segments
            .iter()
            .map(|s| match s {
                Segment::Literal(l) => l.len(),
                Segment::Field(_) => 0,
            })
            .sum();
        let fields = segments
            .iter()
            .filter(|s| matches!(s, Segment::Field(_)))
            .count();
        Ok(Some(Self {
            text: text.to_owned(),
            segments,
            specificity,
            fields,
        }))
    }

    /// The pattern as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether it has no literal characters (`{default}`, `{a}{b}`).
    pub fn is_catch_all(&self) -> bool {
        self.specificity == 0
    }

    /// The placeholder names.
    pub fn field_names(&self) -> BTreeSet<&str> {
        self.segments
            .iter()
            .filter_map(|s| match s {
                Segment::Field(f) => Some(f.as_str()),
                Segment::Literal(_) => None,
            })
            .collect()
    }

    /// Kedro's priority: literal length, then placeholder count (both descending), then text.
    pub fn priority(&self) -> (Reverse<usize>, Reverse<usize>, &str) {
        (Reverse(self.specificity), Reverse(self.fields), &self.text)
    }

    /// The captures when `name` matches.
    pub fn matches(&self, name: &str) -> Option<Captures> {
        self.matches_prepared(&Candidate::new(name))
    }

    /// [`Pattern::matches`] for a name prepared once for many patterns.
    pub fn matches_prepared(&self, name: &Candidate) -> Option<Captures> {
        // Cheap rejections first: a literal start or end must be the name's start or end.
        if let Some(Segment::Literal(first)) = self.segments.first()
            && !name.lowered.starts_with(first)
        {
            return None;
        }
        if let Some(Segment::Literal(last)) = self.segments.last()
            && !name.lowered.ends_with(last)
        {
            return None;
        }
        // Every literal must occur somewhere: most non-matching patterns stop here.
        let all_literals_occur = self.segments.iter().all(|s| match s {
            Segment::Literal(l) => name.lowered.windows(l.len()).any(|w| w == l.as_slice()),
            Segment::Field(_) => true,
        });
        if !all_literals_occur {
            return None;
        }
        let mut spans = Vec::with_capacity(self.fields);
        self.match_from(0, name, 0, &mut spans).then(|| {
            spans
                .into_iter()
                .map(|(field, start, end)| {
                    (field.to_owned(), name.chars[start..end].iter().collect())
                })
                .collect()
        })
    }

    /// Backtracking over segment `seg` at `pos`; captured spans are indices, not strings, so
    /// a failed attempt allocates nothing.
    fn match_from<'p>(
        &'p self,
        seg: usize,
        name: &Candidate,
        pos: usize,
        spans: &mut Vec<(&'p str, usize, usize)>,
    ) -> bool {
        let Some(segment) = self.segments.get(seg) else {
            return pos == name.chars.len();
        };
        match segment {
            Segment::Literal(lit) => {
                name.lowered[pos..].starts_with(lit)
                    && self.match_from(seg + 1, name, pos + lit.len(), spans)
            }
            Segment::Field(field) => {
                let earlier = spans
                    .iter()
                    .find(|(f, _, _)| f == field)
                    .map(|&(_, s, e)| (s, e));
                for end in pos + 1..=name.chars.len() {
                    if let Some((s, e)) = earlier {
                        // A repeated placeholder must capture the same text again.
                        if name.chars[pos..end] != name.chars[s..e] {
                            continue;
                        }
                        if self.match_from(seg + 1, name, end, spans) {
                            return true;
                        }
                        continue;
                    }
                    spans.push((field, pos, end));
                    if self.match_from(seg + 1, name, end, spans) {
                        return true;
                    }
                    spans.pop();
                }
                false
            }
        }
    }
}

/// A dataset name split into characters once, as written and lower-cased.
#[derive(Debug, Clone)]
pub struct Candidate {
    chars: Vec<char>,
    lowered: Vec<char>,
}

impl Candidate {
    /// Prepares `name`.
    pub fn new(name: &str) -> Self {
        let chars: Vec<char> = name.chars().collect();
        let lowered = chars.iter().map(|c| lower_char(*c)).collect();
        Self { chars, lowered }
    }
}

fn lower(text: &str) -> Vec<char> {
    text.chars().map(lower_char).collect()
}

fn lower_char(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
}

/// Fills `{placeholders}` in every string value (keys are left alone); `{{` and `}}` stand
/// for literal braces, as in Python's `str.format`.
pub fn fill(value: &Json, captures: &Captures) -> Result<Json, String> {
    Ok(match value {
        Json::String(s) if s.contains(['{', '}']) => Json::String(format_str(s, captures)?),
        Json::Array(items) => Json::Array(
            items
                .iter()
                .map(|i| fill(i, captures))
                .collect::<Result<_, _>>()?,
        ),
        Json::Object(map) => Json::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), fill(v, captures)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => other.clone(),
    })
}

fn format_str(text: &str, captures: &Captures) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        match (&rest[i..=i], after.chars().next()) {
            ("{", Some('{')) | ("}", Some('}')) => {
                out.push_str(&rest[i..=i]);
                rest = &after[1..];
            }
            ("{", _) => {
                let close = after
                    .find('}')
                    .ok_or_else(|| format!("'{text}' has a '{{' without '}}'"))?;
                let name = after[..close].split(':').next().unwrap_or_default();
                match captures.get(name) {
                    Some(value) => out.push_str(value),
                    // Filled later with the run's partition key.
                    None if name == "partition" => out.push_str(crate::PARTITION_PLACEHOLDER),
                    None => {
                        return Err(format!(
                            "'{text}' uses '{{{name}}}', which the pattern does not capture"
                        ));
                    }
                }
                rest = &after[close + 1..];
            }
            _ => {
                return Err(format!(
                    "'{text}' has a '}}' without '{{'; write '}}}}' for a brace"
                ));
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Every `{placeholder}` used in the string values of `value`.
pub fn placeholders(value: &Json, out: &mut BTreeSet<String>) {
    match value {
        Json::String(s) => {
            let mut rest = s.as_str();
            while let Some(i) = rest.find('{') {
                let after = &rest[i + 1..];
                if let Some(escaped) = after.strip_prefix('{') {
                    rest = escaped;
                    continue;
                }
                let Some(close) = after.find('}') else { break };
                out.insert(
                    after[..close]
                        .split(':')
                        .next()
                        .unwrap_or_default()
                        .to_owned(),
                );
                rest = &after[close + 1..];
            }
        }
        Json::Array(items) => items.iter().for_each(|i| placeholders(i, out)),
        Json::Object(map) => map.values().for_each(|v| placeholders(v, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Pattern {
        Pattern::parse(text).unwrap().unwrap()
    }

    #[test]
    fn placeholders_are_lazy_and_literals_ignore_case() {
        let c = p("{a}.{b}").matches("x.y.z").unwrap();
        assert_eq!((c["a"].as_str(), c["b"].as_str()), ("x", "y.z"));
        let c = p("{a}{b}").matches("xyz").unwrap();
        assert_eq!((c["a"].as_str(), c["b"].as_str()), ("x", "yz"));
        assert!(p("data_{name}").matches("DATA_x").is_some());
        assert!(
            p("{name}_csv").matches("_csv").is_none(),
            "a field takes one or more characters"
        );
        assert!(p("{a}_{a}").matches("x_x").is_some());
        assert!(p("{a}_{a}").matches("x_y").is_none());
    }

    #[test]
    fn ranking_follows_kedro() {
        let mut ps: Vec<Pattern> = [
            "{dataset}",
            "{dataset}s",
            "{namespace}.{dataset}",
            "{a}_{b}@{c}",
            "{namespace}.companies",
            "{namespace}.{a}",
        ]
        .into_iter()
        .map(p)
        .collect();
        ps.sort_by(|a, b| a.priority().cmp(&b.priority()));
        let order: Vec<&str> = ps.iter().map(Pattern::text).collect();
        assert_eq!(
            order,
            [
                "{namespace}.companies",
                "{a}_{b}@{c}",
                "{namespace}.{a}",
                "{namespace}.{dataset}",
                "{dataset}s",
                "{dataset}"
            ]
        );
        assert!(p("{a}{b}").is_catch_all());
    }

    #[test]
    fn filling_formats_values_not_keys() {
        let captures: Captures = [("name".to_owned(), "boats".to_owned())].into();
        let v = serde_json::json!({"filepath": "data/{name}.csv", "{name}": "{{x}}", "n": 1});
        assert_eq!(
            fill(&v, &captures).unwrap(),
            serde_json::json!({"filepath": "data/boats.csv", "{name}": "{x}", "n": 1})
        );
        assert!(fill(&serde_json::json!("{other}"), &captures).is_err());
    }
}
