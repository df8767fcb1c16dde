//! Which values are secret, and text with them hidden.
//!
//! A process registers every secret it reads as it reads it: each string of the `credentials`
//! group, each value `${oc.env:...}` returns, each parameter the project marks secret. Every
//! place that shows or keeps text (error messages, log lines, the run store, Dagster, MLflow,
//! listings, `Debug` output) passes it through [`redact`] or [`redact_json`]. Passwords in URIs
//! (`scheme://user:password@host`) are masked whether registered or not.
//!
//! Owns: the process's set of secrets, and hiding them. Only this crate decides what is shown
//! of a secret: [`MASK`].
//!
//! The set is per process, not per run: a secret stays hidden for the life of the process,
//! as a run's values may appear in text built after the run (a closing error line, a
//! scheduler's log).

mod uri;

pub use uri::mask_uri_passwords;

use serde_json::Value;
use std::borrow::Cow;
use std::sync::RwLock;

/// What a secret is shown as.
pub const MASK: &str = "***";

/// Shorter values are not looked for in text: `on`, `5432` or `dev` would hide half of
/// every message. Credentials that short are not secrets anyway.
pub const MIN_LEN: usize = 5;

/// Every registered secret and its JSON-escaped form, longest first (so a secret that
/// contains another is hidden whole).
static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Registers a secret: from now on [`redact`] hides it in this process. Of a URI with a
/// password only the password is secret: the rest (scheme, user, host) stays readable in
/// messages, which is what tells a user which server failed.
pub fn register(value: &str) {
    let value = uri::password_of(value).unwrap_or(value);
    if value.chars().count() < MIN_LEN {
        return;
    }
    let escaped = serde_json::to_string(value).unwrap_or_default();
    let escaped = escaped[1..escaped.len() - 1].to_owned();
    let mut secrets = SECRETS.write().unwrap_or_else(|e| e.into_inner());
    for form in [value.to_owned(), escaped] {
        if !secrets.contains(&form) {
            secrets.push(form);
        }
    }
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// `text` with each whole-word occurrence of `secret` replaced, if there is one.
fn replace_words(text: &str, secret: &str) -> Option<String> {
    let starts_word = secret.chars().next().is_some_and(is_word);
    let ends_word = secret.chars().next_back().is_some_and(is_word);
    let mut out = String::new();
    let mut done = 0;
    for (at, _) in text.match_indices(secret) {
        let end = at + secret.len();
        let joined_before = starts_word && text[..at].chars().next_back().is_some_and(is_word);
        let joined_after = ends_word && text[end..].chars().next().is_some_and(is_word);
        if at < done || joined_before || joined_after {
            continue;
        }
        out.push_str(&text[done..at]);
        out.push_str(MASK);
        done = end;
    }
    if done == 0 {
        return None;
    }
    out.push_str(&text[done..]);
    Some(out)
}

/// Registers every string and number in `value`, at any depth.
pub fn register_all(value: &Value) {
    match value {
        Value::String(s) => register(s),
        Value::Number(n) => register(&n.to_string()),
        Value::Array(items) => items.iter().for_each(register_all),
        Value::Object(map) => map.values().for_each(register_all),
        Value::Null | Value::Bool(_) => {}
    }
}

/// `text` with every registered secret and every password in a URI replaced by [`MASK`].
///
/// A secret is found as a whole word: `admin` is hidden in `user admin` and `admin:pw`, not
/// in `mlflow_admin`, a name that merely contains it.
pub fn redact(text: &str) -> Cow<'_, str> {
    let secrets = SECRETS.read().unwrap_or_else(|e| e.into_inner());
    let mut out = Cow::Borrowed(text);
    for secret in secrets.iter() {
        if let Some(replaced) = replace_words(&out, secret) {
            out = Cow::Owned(replaced);
        }
    }
    match mask_uri_passwords(&out) {
        Cow::Owned(masked) => Cow::Owned(masked),
        Cow::Borrowed(_) => out,
    }
}

/// `value` with [`redact`] applied to every string (keys included) and every number that is
/// a registered secret.
pub fn redact_json(value: &Value) -> Value {
    match value {
        Value::String(s) => Value::String(redact(s).into_owned()),
        Value::Number(n) => match redact(&n.to_string()) {
            Cow::Borrowed(_) => value.clone(),
            Cow::Owned(masked) => Value::String(masked),
        },
        Value::Array(items) => Value::Array(items.iter().map(redact_json).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (redact(k).into_owned(), redact_json(v)))
                .collect(),
        ),
        Value::Null | Value::Bool(_) => value.clone(),
    }
}

/// Whether `value` had a secret hidden in it (whole, or a password in a URI): a recorded
/// value that must not be used as it is.
pub fn is_masked(value: &Value) -> bool {
    value.as_str().is_some_and(|s| s.contains(MASK))
}

/// `value` without the entries whose values had a secret hidden in them, at any depth: what
/// comes back from a display of [`redact_json`] must not be taken for the real values.
pub fn without_masked(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !is_masked(v))
                .map(|(k, v)| (k.clone(), without_masked(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Shows the names of a mapping's entries and none of their values in `Debug` output, for
/// fields that hold secrets.
pub struct Hidden<'a>(pub &'a Value);

impl std::fmt::Debug for Hidden<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Value::Object(map) => {
                let names: Vec<&str> = map.keys().map(String::as_str).collect();
                write!(f, "<values of {names:?} hidden>")
            }
            _ => f.write_str("<hidden>"),
        }
    }
}

/// `Debug` output of a value with [`redact_json`] applied.
pub struct Redacted<'a>(pub &'a Value);

impl std::fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&redact_json(self.0), f)
    }
}

/// Implements `Debug` for error types as their message with secrets hidden: an error's
/// `Debug` output is what `unwrap`, `expect` and a `main` returning `Result` print, and its
/// fields hold what a dataset, a node or a server said.
#[macro_export]
macro_rules! debug_as_message {
    ($($error:ty),+ $(,)?) => {$(
        impl ::std::fmt::Debug for $error {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_tuple(stringify!($error))
                    .field(&$crate::redact(&self.to_string()))
                    .finish()
            }
        }
    )+};
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // The set is per process and tests share it: each test registers its own values.

    #[test]
    fn registered_values_are_hidden_wherever_they_appear() {
        register("hunter2-the-password");
        assert_eq!(
            redact("cannot log in with hunter2-the-password: refused"),
            "cannot log in with ***: refused"
        );
        assert!(matches!(redact("nothing secret here"), Cow::Borrowed(_)));
    }

    #[test]
    fn a_secret_is_hidden_as_a_word_not_inside_a_name() {
        register("reporter");
        assert_eq!(
            redact("user reporter (reporter:pw) of team_reporter and reporters"),
            "user *** (***:pw) of team_reporter and reporters"
        );
    }

    #[test]
    fn short_values_are_not_looked_for() {
        register("dev");
        assert_eq!(redact("a dev environment"), "a dev environment");
    }

    #[test]
    fn a_secret_is_hidden_in_its_json_form_too() {
        register("quote\"inside-secret");
        let json = serde_json::to_string(&json!({"m": "x quote\"inside-secret y"})).unwrap();
        assert_eq!(redact(&json), r#"{"m":"x *** y"}"#);
    }

    #[test]
    fn json_values_are_redacted_at_every_depth() {
        register_all(&json!({"db": {"password": "s3cr3t-value", "port": 543_210}}));
        assert_eq!(
            redact_json(&json!({"args": ["s3cr3t-value", 543_210, 7], "ok": true})),
            json!({"args": ["***", "***", 7], "ok": true})
        );
    }

    #[test]
    fn of_a_uri_only_the_password_is_secret() {
        register("mysql://reporter:uri-pass-5150@db.internal/sales");
        assert_eq!(
            redact("cannot reach mysql://reporter:uri-pass-5150@db.internal/sales"),
            "cannot reach mysql://reporter:***@db.internal/sales"
        );
        assert_eq!(redact("echoed uri-pass-5150"), "echoed ***");
    }

    #[test]
    fn hidden_fields_show_their_names_only() {
        let creds = json!({"db": {"password": "x"}, "api": "y"});
        assert_eq!(
            format!("{:?}", Hidden(&creds)),
            r#"<values of ["db", "api"] hidden>"#
        );
    }
}
