//! The syntax of `${...}`: splitting a string into literal text and interpolations, and an
//! interpolation into a key reference or a resolver call with arguments.
//!
//! Only syntax lives here; what a reference means is [`crate::interpolate`]'s business.

/// A piece of a string value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Piece {
    /// Text taken as it is.
    Literal(String),
    /// `${...}`, holding the text between the braces.
    Interpolation(String),
}

/// What the text between `${` and `}` asks for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr<'a> {
    /// `${a.b.c}`: another key of the same group.
    Reference(&'a str),
    /// `${name:arg, arg}`: a resolver.
    Call {
        /// The resolver's name.
        name: &'a str,
        /// The arguments, trimmed; each may itself hold interpolations.
        args: Vec<&'a str>,
    },
}

/// Whether `text` holds any interpolation (escaped `\${` does not count).
pub(crate) fn has_interpolation(text: &str) -> bool {
    let mut from = 0;
    while let Some(i) = text[from..].find("${") {
        let at = from + i;
        if at == 0 || text.as_bytes()[at - 1] != b'\\' {
            return true;
        }
        from = at + 2;
    }
    false
}

/// Splits `text` into pieces; `\${` stands for a literal `${`.
pub(crate) fn pieces(text: &str) -> Result<Vec<Piece>, String> {
    let mut out = Vec::new();
    let mut literal = String::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if text[i..].starts_with("\\${") {
            literal.push_str("${");
            i += 3;
        } else if text[i..].starts_with("${") {
            let end = closing_brace(text, i + 2)
                .ok_or_else(|| format!("'{}' has no closing '}}'", &text[i..]))?;
            if !literal.is_empty() {
                out.push(Piece::Literal(std::mem::take(&mut literal)));
            }
            out.push(Piece::Interpolation(text[i + 2..end].to_owned()));
            i = end + 1;
        } else {
            let c = text[i..].chars().next().unwrap_or_default();
            literal.push(c);
            i += c.len_utf8();
        }
    }
    if !literal.is_empty() {
        out.push(Piece::Literal(literal));
    }
    Ok(out)
}

/// The index of the `}` that closes an interpolation whose body starts at `start`.
fn closing_brace(text: &str, start: usize) -> Option<usize> {
    let mut depth = 0usize;
    let bytes = text.as_bytes();
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 1;
            }
            b'}' if depth == 0 => return Some(i),
            b'}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}

/// Reads the body of an interpolation.
pub(crate) fn expr(body: &str) -> Result<Expr<'_>, String> {
    let body = body.trim();
    if body.is_empty() {
        return Err("'${}' names nothing".into());
    }
    let name_end = body
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.' || c == '-'))
        .unwrap_or(body.len());
    match body[name_end..].chars().next() {
        None => Ok(Expr::Reference(body)),
        Some(':') if name_end > 0 => Ok(Expr::Call {
            name: &body[..name_end],
            args: split_args(&body[name_end + 1..]),
        }),
        Some(c) => Err(format!(
            "'${{{body}}}' is neither a key path nor a resolver call (unexpected '{c}')"
        )),
    }
}

/// Splits resolver arguments on the commas that are not inside `${...}`, brackets or quotes.
fn split_args(text: &str) -> Vec<&str> {
    let mut args = Vec::new();
    let (mut depth, mut quote, mut start) = (0i32, None, 0);
    for (i, c) in text.char_indices() {
        match (c, quote) {
            ('\'' | '"', None) => quote = Some(c),
            (q, Some(open)) if q == open => quote = None,
            (_, Some(_)) => {}
            ('{' | '[', None) => depth += 1,
            ('}' | ']', None) => depth -= 1,
            (',', None) if depth == 0 => {
                args.push(text[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    let last = text[start..].trim();
    if !last.is_empty() || !args.is_empty() {
        args.push(last);
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_literals_and_nested_interpolations() {
        assert_eq!(
            pieces("s3://${globals:bucket, ${x}}/a").unwrap(),
            vec![
                Piece::Literal("s3://".into()),
                Piece::Interpolation("globals:bucket, ${x}".into()),
                Piece::Literal("/a".into()),
            ]
        );
        assert_eq!(
            pieces(r"cost \${5}").unwrap(),
            vec![Piece::Literal("cost ${5}".into())]
        );
        assert!(pieces("${a").is_err());
        assert!(!has_interpolation(r"\${a}"));
        assert!(has_interpolation("x${a}"));
    }

    #[test]
    fn reads_references_and_calls() {
        assert_eq!(expr(" a.b ").unwrap(), Expr::Reference("a.b"));
        assert_eq!(
            expr("runtime_params:seed, ${globals:seed}").unwrap(),
            Expr::Call {
                name: "runtime_params",
                args: vec!["seed", "${globals:seed}"]
            }
        );
        assert_eq!(
            expr("oc.env:HOME").unwrap(),
            Expr::Call {
                name: "oc.env",
                args: vec!["HOME"]
            }
        );
        assert!(expr("a b").is_err());
        assert!(expr("").is_err());
    }
}
