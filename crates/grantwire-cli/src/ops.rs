//! `grantwire introspect` (RFC 7662), `grantwire revoke` (RFC 7009) and `grantwire discover`
//! (RFC 8414, then OpenID Connect Discovery).

use std::io::Write;
use std::process::ExitCode;
use std::time::SystemTime;

use grantwire::{
    IntrospectionRequest, IntrospectionResponse, Issuer, RevocationOutcome, SecretString,
    ServerMetadata, TokenTypeHint,
};
use serde_json::{json, Map, Value};

use crate::args::{DiscoverArgs, TokenOpArgs};
use crate::output::{CliError, Format};
use crate::setup::{self, Target};
use crate::text;

fn hint(h: Option<&str>) -> Option<TokenTypeHint> {
    h.map(|h| match h {
        "access_token" => TokenTypeHint::AccessToken,
        "refresh_token" => TokenTypeHint::RefreshToken,
        other => TokenTypeHint::Other(other.to_owned()),
    })
}

/// `grantwire introspect`.
pub(crate) fn run_introspect(args: &TokenOpArgs) -> Result<ExitCode, CliError> {
    let config = setup::load_config(args.common.config.as_deref())?;
    let token = setup::value_or_stdin(&args.token, "token")?;
    let s = setup::setup(
        &args.endpoint,
        &args.auth,
        &args.common,
        &config,
        Target::Introspection,
        None,
        false,
    )?;
    let mut req = IntrospectionRequest::new(SecretString::new(token.as_str()));
    if let Some(h) = hint(args.token_type_hint.as_deref()) {
        req = req.token_type_hint(h);
    }
    let built = setup::build(|ctx| req.to_request(&s.client, ctx))?;
    let response = setup::send(&s, args.common.verbose, built)?;
    let parsed = IntrospectionResponse::parse_with(&response, SystemTime::now(), &s.options)?;
    let mut out = std::io::stdout().lock();
    match args.common.output {
        Format::Json => {
            // The members as the server sent them (already checked and bounded by the parser).
            let v = match parsed.active() {
                Some(t) => Value::Object(t.members().iter().cloned().collect::<Map<_, _>>()),
                None => json!({ "active": false }),
            };
            let _ = writeln!(out, "{v}");
        }
        Format::Text => {
            let _ = writeln!(out, "{}", describe(&parsed));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn describe(r: &IntrospectionResponse) -> String {
    let Some(t) = r.active() else {
        return "active: no (expired, revoked, unknown, or not this client's to ask about)".into();
    };
    let now = SystemTime::now();
    let mut lines = vec!["active: yes".to_owned()];
    let mut add = |name: &str, v: Option<String>| {
        if let Some(v) = v {
            lines.push(format!("{name}: {}", text::printable(&v, 256)));
        }
    };
    add("client_id", t.client_id().map(|c| c.as_str().to_owned()));
    add("scope", t.scope().map(|s| s.as_str().to_owned()));
    add("sub", t.sub().map(str::to_owned));
    add("username", t.username().map(str::to_owned));
    add("token_type", t.token_type().map(str::to_owned));
    add("iss", t.iss().map(str::to_owned));
    add("aud", (!t.aud().is_empty()).then(|| t.aud().join(" ")));
    add(
        "expires in",
        t.exp().map(|exp| match exp.duration_since(now) {
            Ok(d) => text::words(d),
            Err(_) => "already expired".into(),
        }),
    );
    let quirks: Vec<&str> = t.quirks().iter().map(|q| q.as_str()).collect();
    lines.push(format!(
        "quirks: {}",
        if quirks.is_empty() {
            "none".into()
        } else {
            quirks.join(", ")
        }
    ));
    lines.join("\n")
}

/// `grantwire revoke`: prints nothing on success with `--output json`.
pub(crate) fn run_revoke(args: &TokenOpArgs) -> Result<ExitCode, CliError> {
    let config = setup::load_config(args.common.config.as_deref())?;
    let token = setup::value_or_stdin(&args.token, "token")?;
    let s = setup::setup(
        &args.endpoint,
        &args.auth,
        &args.common,
        &config,
        Target::Revocation,
        None,
        false,
    )?;
    let mut req = grantwire::RevocationRequest::new(SecretString::new(token.as_str()));
    if let Some(h) = hint(args.token_type_hint.as_deref()) {
        req = req.token_type_hint(h);
    }
    let built = setup::build(|ctx| req.to_request(&s.client, ctx))?;
    let response = setup::send(&s, args.common.verbose, built)?;
    let _revoked: RevocationOutcome =
        RevocationOutcome::parse_with(&response, SystemTime::now(), &s.options)?;
    if args.common.output == Format::Text {
        let _ = writeln!(
            std::io::stderr().lock(),
            "revoked (or it was already invalid: RFC 7009 §2.2 answers the same)"
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `grantwire discover`.
pub(crate) fn run_discover(args: &DiscoverArgs) -> Result<ExitCode, CliError> {
    let issuer =
        Issuer::parse(&args.issuer).map_err(|e| CliError::usage(format!("--issuer: {e}")))?;
    let transport = setup::transport(
        &crate::args::CommonArgs {
            timeout: args.timeout,
            ca_cert: args.ca_cert.clone(),
            ..Default::default()
        },
        &crate::config::FileConfig::default(),
    )?;
    let metadata = grantwire_ureq::discover(&transport, issuer)?;
    let v = metadata_json(&metadata);
    let mut out = std::io::stdout().lock();
    match args.output {
        Format::Json => {
            let _ = writeln!(out, "{v}");
        }
        Format::Text => {
            if let Value::Object(o) = &v {
                for (k, v) in o {
                    let shown = match v {
                        Value::String(s) => s.clone(),
                        Value::Array(a) => a
                            .iter()
                            .filter_map(Value::as_str)
                            .collect::<Vec<_>>()
                            .join(" "),
                        other => other.to_string(),
                    };
                    let _ = writeln!(out, "{k}: {}", text::printable(&shown, 512));
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The metadata the core read, as JSON: the typed members, then the others as sent.
fn metadata_json(m: &ServerMetadata) -> Value {
    let mut o = Map::new();
    o.insert("issuer".into(), json!(m.issuer().as_str()));
    let endpoints = [
        ("authorization_endpoint", m.authorization_endpoint()),
        ("token_endpoint", m.token_endpoint()),
        ("jwks_uri", m.jwks_uri()),
        ("registration_endpoint", m.registration_endpoint()),
        ("userinfo_endpoint", m.userinfo_endpoint()),
        ("introspection_endpoint", m.introspection_endpoint()),
        ("revocation_endpoint", m.revocation_endpoint()),
        (
            "device_authorization_endpoint",
            m.device_authorization_endpoint(),
        ),
    ];
    for (name, e) in endpoints {
        if let Some(e) = e {
            o.insert(name.into(), json!(e.as_str()));
        }
    }
    o.insert(
        "grant_types_supported".into(),
        json!(m.grant_types_supported()),
    );
    o.insert(
        "token_endpoint_auth_methods_supported".into(),
        json!(m.token_endpoint_auth_methods_supported()),
    );
    let lists = [
        ("scopes_supported", m.scopes_supported()),
        ("response_types_supported", m.response_types_supported()),
        (
            "code_challenge_methods_supported",
            m.code_challenge_methods_supported(),
        ),
        (
            "token_endpoint_auth_signing_alg_values_supported",
            m.token_endpoint_auth_signing_alg_values_supported(),
        ),
        (
            "introspection_endpoint_auth_methods_supported",
            m.introspection_endpoint_auth_methods_supported(),
        ),
    ];
    for (name, l) in lists {
        if let Some(l) = l {
            o.insert(name.into(), json!(l));
        }
    }
    for (k, v) in m.extra() {
        o.entry(k.clone()).or_insert_with(|| v.clone());
    }
    Value::Object(o)
}
