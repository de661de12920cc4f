//! The configuration file (`--config FILE`, TOML): the seed's configuration form, every field
//! optional, flags override it. One table of fields ([`FIELDS`]) drives both the reader and
//! `grantwire config schema`, so the schema cannot drift from what is accepted.
//!
//! The file never holds a secret: `client_secret_env` names an environment variable and
//! `client_secret_file` a file; a `client_secret` field is refused.

use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use crate::output::CliError;

/// The type of a field's value.
#[derive(Clone, Copy)]
enum Kind {
    /// A string.
    Str,
    /// A string or an array of strings (one value or several).
    StrList,
    /// A positive number of seconds.
    Seconds,
    /// One of these strings.
    OneOf(&'static [&'static str]),
}

/// One field: its name, type and description.
struct Field {
    name: &'static str,
    kind: Kind,
    doc: &'static str,
}

const METHODS: &[&str] = &[
    "client_secret_basic",
    "client_secret_post",
    "client_secret_jwt",
    "private_key_jwt",
    "tls_client_auth",
    "self_signed_tls_client_auth",
    "none",
];

/// Every field of the file.
const FIELDS: &[Field] = &[
    Field {
        name: "issuer",
        kind: Kind::Str,
        doc: "The issuer identifier: the endpoints are discovered (RFC 8414, then OpenID Connect).",
    },
    Field {
        name: "token_url",
        kind: Kind::Str,
        doc: "The token endpoint URL.",
    },
    Field {
        name: "introspection_url",
        kind: Kind::Str,
        doc: "The introspection endpoint URL (RFC 7662).",
    },
    Field {
        name: "revocation_url",
        kind: Kind::Str,
        doc: "The revocation endpoint URL (RFC 7009).",
    },
    Field {
        name: "provider",
        kind: Kind::OneOf(&[
            "auth0",
            "okta",
            "entra",
            "google",
            "cognito",
            "salesforce",
            "keycloak",
        ]),
        doc: "A provider preset: fills the method and assertion audience it knows.",
    },
    Field {
        name: "client_id",
        kind: Kind::Str,
        doc: "The client identifier.",
    },
    Field {
        name: "auth_method",
        kind: Kind::OneOf(METHODS),
        doc: "The client-authentication method.",
    },
    Field {
        name: "client_secret_env",
        kind: Kind::Str,
        doc: "The name of the environment variable holding the client secret.",
    },
    Field {
        name: "client_secret_file",
        kind: Kind::Str,
        doc: "A file holding the client secret.",
    },
    Field {
        name: "key_file",
        kind: Kind::Str,
        doc: "The private key (PEM or JWK) for private_key_jwt.",
    },
    Field {
        name: "alg",
        kind: Kind::Str,
        doc: "The client assertion's signing algorithm (RS256, ES256, HS256, ...).",
    },
    Field {
        name: "kid",
        kind: Kind::Str,
        doc: "The `kid` header of client assertions.",
    },
    Field {
        name: "assertion_audience",
        kind: Kind::Str,
        doc: "The `aud` of client assertions: issuer, token-endpoint, endpoint, or a URL.",
    },
    Field {
        name: "cert_file",
        kind: Kind::Str,
        doc: "The client certificate (PEM) for the tls methods.",
    },
    Field {
        name: "cert_key_file",
        kind: Kind::Str,
        doc: "The client certificate's private key (PEM).",
    },
    Field {
        name: "ca_cert_file",
        kind: Kind::Str,
        doc: "CA certificates (PEM) trusted for the server's certificate instead of the WebPKI roots.",
    },
    Field {
        name: "grant",
        kind: Kind::OneOf(&[
            "client_credentials",
            "refresh_token",
            "jwt_bearer",
            "token_exchange",
        ]),
        doc: "The grant.",
    },
    Field {
        name: "scope",
        kind: Kind::StrList,
        doc: "The scope: a space-separated string or an array of scope tokens.",
    },
    Field {
        name: "audience",
        kind: Kind::StrList,
        doc: "The audience parameter: one or several.",
    },
    Field {
        name: "resource",
        kind: Kind::StrList,
        doc: "Resource indicators (RFC 8707): one or several absolute URIs.",
    },
    Field {
        name: "profile",
        kind: Kind::OneOf(&["strict", "default", "lenient"]),
        doc: "How forgiving the response parsers are.",
    },
    Field {
        name: "timeout",
        kind: Kind::Seconds,
        doc: "The total timeout of each request, in seconds.",
    },
];

/// A value read from the file.
#[derive(Clone, Debug)]
pub(crate) enum ConfigValue {
    /// A string.
    Str(String),
    /// A list of strings.
    List(Vec<String>),
    /// Seconds.
    Seconds(f64),
}

/// The configuration file, read and checked; [`FileConfig::str`] and friends give the values.
#[derive(Debug, Default)]
pub(crate) struct FileConfig {
    values: Vec<(&'static str, ConfigValue)>,
    /// The directory of the file: relative paths in it are read from there.
    dir: Option<PathBuf>,
}

impl FileConfig {
    /// Reads `path`; every error names the file and the field.
    pub(crate) fn load(path: &Path) -> Result<Self, CliError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            CliError::usage(format!(
                "cannot read the config file {}: {e}",
                path.display()
            ))
        })?;
        let mut config = Self::parse(&text)
            .map_err(|e| CliError::usage(format!("config file {}: {e}", path.display())))?;
        config.dir = path.parent().map(Path::to_path_buf);
        Ok(config)
    }

    /// Parses the TOML text of a configuration file.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| format!("not valid TOML: {}", e.message()))?;
        let mut values = Vec::new();
        for (key, value) in &table {
            if key == "client_secret" {
                return Err("field `client_secret`: a secret is never written in the config file; use `client_secret_env` (an environment variable name) or `client_secret_file`".into());
            }
            let field = FIELDS.iter().find(|f| f.name == key).ok_or_else(|| {
                format!(
                    "unknown field `{}` (`grantwire config schema` lists the fields)",
                    crate::text::printable(key, 64)
                )
            })?;
            values.push((field.name, read(field, value)?));
        }
        Ok(Self { values, dir: None })
    }

    fn get(&self, name: &str) -> Option<&ConfigValue> {
        self.values.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// A string field.
    pub(crate) fn str(&self, name: &str) -> Option<String> {
        match self.get(name)? {
            ConfigValue::Str(s) => Some(s.clone()),
            _ => None,
        }
    }

    /// A path field, relative to the file's directory.
    pub(crate) fn path(&self, name: &str) -> Option<PathBuf> {
        let p = PathBuf::from(self.str(name)?);
        Some(match &self.dir {
            Some(dir) if p.is_relative() => dir.join(p),
            _ => p,
        })
    }

    /// A list field (a single string is a list of one).
    pub(crate) fn list(&self, name: &str) -> Vec<String> {
        match self.get(name) {
            Some(ConfigValue::List(l)) => l.clone(),
            Some(ConfigValue::Str(s)) => vec![s.clone()],
            _ => Vec::new(),
        }
    }

    /// The `timeout` field.
    pub(crate) fn seconds(&self, name: &str) -> Option<f64> {
        match self.get(name)? {
            ConfigValue::Seconds(s) => Some(*s),
            _ => None,
        }
    }
}

/// Checks one value against its field.
fn read(field: &Field, value: &toml::Value) -> Result<ConfigValue, String> {
    let name = field.name;
    match (field.kind, value) {
        (Kind::Str, toml::Value::String(s)) => Ok(ConfigValue::Str(s.clone())),
        (Kind::Str, _) => Err(format!("field `{name}`: expected a string")),
        (Kind::OneOf(allowed), toml::Value::String(s)) if allowed.contains(&s.as_str()) => {
            Ok(ConfigValue::Str(s.clone()))
        }
        (Kind::OneOf(allowed), _) => Err(format!(
            "field `{name}`: expected one of {}",
            allowed.join(", ")
        )),
        (Kind::StrList, toml::Value::String(s)) => Ok(ConfigValue::Str(s.clone())),
        (Kind::StrList, toml::Value::Array(items)) => items
            .iter()
            .map(|i| match i {
                toml::Value::String(s) => Ok(s.clone()),
                _ => Err(format!("field `{name}`: expected strings in the array")),
            })
            .collect::<Result<_, _>>()
            .map(ConfigValue::List),
        (Kind::StrList, _) => Err(format!(
            "field `{name}`: expected a string or an array of strings"
        )),
        (Kind::Seconds, toml::Value::Integer(i)) if (1..=3600).contains(i) => {
            Ok(ConfigValue::Seconds(*i as f64))
        }
        (Kind::Seconds, toml::Value::Float(f)) if *f > 0.0 && *f <= 3600.0 => {
            Ok(ConfigValue::Seconds(*f))
        }
        (Kind::Seconds, _) => Err(format!(
            "field `{name}`: expected a number of seconds above 0 and at most 3600"
        )),
    }
}

/// The JSON Schema (draft 2020-12) of the file.
pub(crate) fn schema() -> Value {
    let mut properties = Map::new();
    for f in FIELDS {
        let mut p = match f.kind {
            Kind::Str => json!({ "type": "string" }),
            Kind::StrList => json!({
                "oneOf": [ { "type": "string" }, { "type": "array", "items": { "type": "string" } } ]
            }),
            Kind::Seconds => json!({ "type": "number", "exclusiveMinimum": 0, "maximum": 3600 }),
            Kind::OneOf(values) => json!({ "type": "string", "enum": values }),
        };
        p["description"] = json!(f.doc);
        properties.insert(f.name.into(), p);
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "grantwire configuration file",
        "description": "TOML read by `grantwire --config FILE`; every field is optional and command-line flags override it. Secrets are never stored in it: name them with client_secret_env or client_secret_file.",
        "type": "object",
        "additionalProperties": false,
        "properties": properties,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_field() {
        let e = FileConfig::parse("token_url = 3").unwrap_err();
        assert!(e.contains("`token_url`"), "{e}");
        let e = FileConfig::parse("auth_method = \"magic\"").unwrap_err();
        assert!(e.contains("`auth_method`"), "{e}");
        let e = FileConfig::parse("scope = [1]").unwrap_err();
        assert!(e.contains("`scope`"), "{e}");
        let e = FileConfig::parse("tokne_url = \"x\"").unwrap_err();
        assert!(e.contains("`tokne_url`"), "{e}");
        let e = FileConfig::parse("client_secret = \"hunter2\"").unwrap_err();
        assert!(
            e.contains("`client_secret`") && !e.contains("hunter2"),
            "{e}"
        );
    }

    #[test]
    fn values_are_read() {
        let c = FileConfig::parse(
            "token_url = \"https://as.example/token\"\nscope = [\"a\", \"b\"]\nresource = \"https://api.example\"\ntimeout = 2",
        )
        .unwrap();
        assert_eq!(
            c.str("token_url").as_deref(),
            Some("https://as.example/token")
        );
        assert_eq!(c.list("scope"), ["a", "b"]);
        assert_eq!(c.list("resource"), ["https://api.example"]);
        assert_eq!(c.seconds("timeout"), Some(2.0));
    }

    #[test]
    fn the_schema_lists_every_field_and_no_secret() {
        let s = schema();
        let props = s["properties"].as_object().unwrap();
        assert_eq!(props.len(), FIELDS.len());
        assert!(!props.contains_key("client_secret"));
        assert_eq!(s["additionalProperties"], json!(false));
    }
}
