//! How kedrust signs in to an MLflow server, as MLflow's own client does: a token
//! (`Authorization: Bearer`) or a user and password (`Authorization: Basic`).
//!
//! Where they come from, first found wins:
//! 1. `server.credentials` in `mlflow.yml`: the name of a credentials entry whose keys are
//!    MLflow's variables (`MLFLOW_TRACKING_TOKEN`, or `MLFLOW_TRACKING_USERNAME` and
//!    `MLFLOW_TRACKING_PASSWORD`), as kedro-mlflow reads them;
//! 2. those variables in the environment.
//!
//! Every process of a run resolves them itself from its own catalog and environment: the
//! run store, which every process shares, never holds them.

use base64::Engine;
use kedrust_catalog::Catalog;
use serde_json::Value as Json;

/// The token variable.
pub const TOKEN_VAR: &str = "MLFLOW_TRACKING_TOKEN";
/// The user variable.
pub const USERNAME_VAR: &str = "MLFLOW_TRACKING_USERNAME";
/// The password variable.
pub const PASSWORD_VAR: &str = "MLFLOW_TRACKING_PASSWORD";

/// What a request to the server carries to sign in.
#[derive(Clone, Default, PartialEq, Eq)]
pub enum Auth {
    /// Nothing: a server without authentication.
    #[default]
    None,
    /// `Authorization: Basic`.
    Basic {
        /// The user.
        username: String,
        /// The password.
        password: String,
    },
    /// `Authorization: Bearer`.
    Token(String),
}

/// Never shows the password or the token.
impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::None => f.write_str("Auth::None"),
            Self::Basic { username, .. } => write!(f, "Auth::Basic({username}, ***)"),
            Self::Token(_) => f.write_str("Auth::Token(***)"),
        }
    }
}

impl Auth {
    /// The `Authorization` header's value, if any.
    pub fn header(&self) -> Option<String> {
        match self {
            Self::None => None,
            Self::Basic { username, password } => Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"))
            )),
            Self::Token(token) => Some(format!("Bearer {token}")),
        }
    }

    /// The sign-in of `server.credentials` (the entry `credentials` names in `catalog`'s
    /// credentials), else of the environment.
    pub fn resolve(credentials: Option<&str>, catalog: &Catalog) -> Result<Self, String> {
        Self::resolve_in(
            credentials,
            |name| catalog.credentials(name),
            catalog.credential_names(),
        )
    }

    /// [`Self::resolve`] over the credentials entries `entry` finds (named `names`), before
    /// any catalog exists: the check before a run.
    pub fn resolve_in<'a>(
        credentials: Option<&str>,
        entry: impl Fn(&str) -> Option<&'a Json>,
        names: impl Iterator<Item = &'a str>,
    ) -> Result<Self, String> {
        match credentials {
            Some(name) => {
                let Some(entry) = entry(name) else {
                    let hint = kedrust_pipeline::suggest::hint(name, names);
                    return Err(format!(
                        "mlflow.yml: server.credentials names '{name}', which the credentials \
                         config does not have{hint}"
                    ));
                };
                let value = |key: &str| entry.get(key).and_then(Json::as_str).map(str::to_owned);
                Self::from_values(value, &format!("credentials entry '{name}'"))
            }
            None => Self::from_values(
                |key| std::env::var(key).ok().filter(|v| !v.is_empty()),
                "the environment",
            ),
        }
    }

    fn from_values(value: impl Fn(&str) -> Option<String>, source: &str) -> Result<Self, String> {
        if let Some(token) = value(TOKEN_VAR) {
            return Ok(Self::Token(token));
        }
        match (value(USERNAME_VAR), value(PASSWORD_VAR)) {
            (Some(username), Some(password)) => Ok(Self::Basic { username, password }),
            (None, None) if source == "the environment" => Ok(Self::None),
            (None, None) => Err(format!(
                "mlflow.yml: {source} has neither {TOKEN_VAR} nor {USERNAME_VAR} and \
                 {PASSWORD_VAR}"
            )),
            (Some(_), None) => Err(format!(
                "MLflow sign-in: {source} gives {USERNAME_VAR} without {PASSWORD_VAR}"
            )),
            (None, Some(_)) => Err(format!(
                "MLflow sign-in: {source} gives {PASSWORD_VAR} without {USERNAME_VAR}"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_mlflows() {
        let basic = Auth::Basic {
            username: "admin".into(),
            password: "password1234".into(),
        };
        assert_eq!(basic.header().unwrap(), "Basic YWRtaW46cGFzc3dvcmQxMjM0");
        assert_eq!(Auth::Token("t0k".into()).header().unwrap(), "Bearer t0k");
        assert_eq!(Auth::None.header(), None);
        assert_eq!(format!("{basic:?}"), "Auth::Basic(admin, ***)");
    }

    #[test]
    fn a_user_without_a_password_is_refused() {
        let only_user = |k: &str| (k == USERNAME_VAR).then(|| "me".to_owned());
        let err = Auth::from_values(only_user, "credentials entry 'mlflow'").unwrap_err();
        assert_eq!(
            err,
            "MLflow sign-in: credentials entry 'mlflow' gives MLFLOW_TRACKING_USERNAME without \
             MLFLOW_TRACKING_PASSWORD"
        );
    }
}
