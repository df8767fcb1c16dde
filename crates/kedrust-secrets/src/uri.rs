//! Passwords in URIs: `postgresql://app:pass@host/db` is shown as
//! `postgresql://app:***@host/db`, whatever the scheme and wherever the URI sits in a text.

use std::borrow::Cow;

/// `text` with the password of every `scheme://user:password@host` replaced by [`crate::MASK`].
pub fn mask_uri_passwords(text: &str) -> Cow<'_, str> {
    if !text.contains("://") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut changed = false;
    while let Some(at) = rest.find("://") {
        let start = at + 3;
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        // The authority ends at the path, query, fragment, or where the URI ends in text.
        let end = rest
            .find(|c: char| matches!(c, '/' | '?' | '#') || c.is_whitespace() || is_quote(c))
            .unwrap_or(rest.len());
        let authority = &rest[..end];
        match authority.rfind('@') {
            Some(at_sign) => match authority[..at_sign].find(':') {
                Some(colon) if colon + 1 < at_sign => {
                    out.push_str(&authority[..=colon]);
                    out.push_str(crate::MASK);
                    out.push_str(&authority[at_sign..]);
                    changed = true;
                }
                _ => out.push_str(authority),
            },
            None => out.push_str(authority),
        }
        rest = &rest[end..];
    }
    if !changed {
        return Cow::Borrowed(text);
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// The password of `value` when it is one URI with a password in it.
pub(crate) fn password_of(value: &str) -> Option<&str> {
    let (_, rest) = value.split_once("://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let userinfo = &authority[..authority.rfind('@')?];
    let (_, password) = userinfo.split_once(':')?;
    Some(password).filter(|p| !p.is_empty())
}

fn is_quote(c: char) -> bool {
    matches!(c, '"' | '\'' | '`' | '<' | '>')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_uris_are_masked_and_the_rest_kept() {
        let cases = [
            (
                "postgresql://app:s3cret@db.internal:5432/sales",
                "postgresql://app:***@db.internal:5432/sales",
            ),
            (
                "load failed: 's3://KEY:SECRET@bucket/x.csv' and https://u:p%40ss@h/?q=1",
                "load failed: 's3://KEY:***@bucket/x.csv' and https://u:***@h/?q=1",
            ),
            (
                "redis://:onlypass@127.0.0.1:6379",
                "redis://:***@127.0.0.1:6379",
            ),
            ("https://user@host/path", "https://user@host/path"),
            ("http://127.0.0.1:5000/api", "http://127.0.0.1:5000/api"),
            ("no uri at all", "no uri at all"),
        ];
        for (text, shown) in cases {
            assert_eq!(mask_uri_passwords(text), shown, "{text}");
        }
    }

    #[test]
    fn the_password_of_a_uri_is_found() {
        assert_eq!(password_of("postgresql://app:pw-1@h:5432/db"), Some("pw-1"));
        assert_eq!(password_of("redis://:p@ss@h"), Some("p@ss"));
        assert_eq!(password_of("https://user@host"), None);
        assert_eq!(password_of("plain"), None);
    }

    #[test]
    fn text_without_a_password_is_not_copied() {
        assert!(matches!(
            mask_uri_passwords("http://127.0.0.1:5000"),
            Cow::Borrowed(_)
        ));
    }
}
