//! `grantwire token` and `grantwire header`: one token request with the chosen grant and
//! client authentication, parsed under the chosen profile, optionally served from and stored
//! in the cache.

use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use grantwire::{
    AuthorizationServer, ClientCredentials, JwtBearer, RefreshGrant, RefreshToken, Scope,
    SecretRequest, SecretString, TokenExchange, TokenResponse, TokenType,
};
use grantwire_jose::{BearerAssertion, ServiceAccountKey};
use serde_json::{json, Map, Value};

use crate::args::{GrantArgs, GrantKind, TokenArgs};
use crate::cache::{self, CacheKey, Cached};
use crate::config::FileConfig;
use crate::output::{CliError, Format};
use crate::setup::{self, Setup, Target};
use crate::text;

/// A token as the command prints it, fresh or from the cache. Never holds a refresh token
/// when it comes from the cache.
pub(crate) struct Obtained {
    pub(crate) access_token: zeroize::Zeroizing<String>,
    pub(crate) token_type: String,
    pub(crate) expires_at: Option<SystemTime>,
    pub(crate) scope: Option<String>,
    pub(crate) refresh_token: Option<zeroize::Zeroizing<String>>,
    pub(crate) quirks: Vec<String>,
    pub(crate) cached: bool,
}

impl Obtained {
    fn from_response(r: &TokenResponse) -> Self {
        Self {
            access_token: zeroize::Zeroizing::new(r.access_token().secret().to_owned()),
            token_type: r.token_type().as_str().to_owned(),
            expires_at: r.expires_at(),
            scope: r.scope().map(|s| s.as_str().to_owned()),
            refresh_token: r
                .refresh_token()
                .map(|t| zeroize::Zeroizing::new(t.secret().to_owned())),
            quirks: r.quirks().iter().map(|q| q.as_str().to_owned()).collect(),
            cached: false,
        }
    }

    fn expires_in(&self, now: SystemTime) -> Option<Duration> {
        self.expires_at
            .map(|at| at.duration_since(now).unwrap_or(Duration::ZERO))
    }

    /// The `--output json` object.
    fn to_json(&self, now: SystemTime) -> Value {
        let mut o = Map::new();
        o.insert("access_token".into(), json!(self.access_token.as_str()));
        o.insert("token_type".into(), json!(self.token_type));
        if let Some(d) = self.expires_in(now) {
            o.insert("expires_in".into(), json!(d.as_secs()));
        }
        if let Some(at) = self
            .expires_at
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        {
            o.insert("expires_at".into(), json!(at.as_secs()));
        }
        if let Some(s) = &self.scope {
            o.insert("scope".into(), json!(s));
        }
        if let Some(r) = &self.refresh_token {
            o.insert("refresh_token".into(), json!(r.as_str()));
        }
        o.insert("quirks".into(), json!(self.quirks));
        Value::Object(o)
    }
}

/// What the grant flags build.
enum Grant {
    ClientCredentials(ClientCredentials),
    Refresh(RefreshGrant),
    JwtBearer(JwtBearer),
    TokenExchange(TokenExchange),
}

/// The grant's inputs resolved from flags and file.
struct GrantInputs {
    kind: GrantKind,
    scope: Option<Scope>,
    audience: Vec<String>,
    resource: Vec<String>,
}

fn inputs(g: &GrantArgs, config: &FileConfig) -> Result<GrantInputs, CliError> {
    let kind = match (g.grant, config.str("grant")) {
        (Some(k), _) => k,
        (None, Some(s)) => clap::ValueEnum::from_str(&s, false)
            .map_err(|_| CliError::usage("config field `grant`: unknown grant"))?,
        (None, None) => GrantKind::ClientCredentials,
    };
    let scope_text = match &g.scope {
        Some(s) => Some(s.clone()),
        None => {
            let l = config.list("scope");
            (!l.is_empty()).then(|| l.join(" "))
        }
    };
    let scope = scope_text
        .map(|s| Scope::parse(&s).map_err(|e| CliError::usage(format!("--scope: {e}"))))
        .transpose()?;
    let audience = if g.audience.is_empty() {
        config.list("audience")
    } else {
        g.audience.clone()
    };
    let resource = if g.resource.is_empty() {
        config.list("resource")
    } else {
        g.resource.clone()
    };
    Ok(GrantInputs {
        kind,
        scope,
        audience,
        resource,
    })
}

fn params(g: &GrantArgs) -> Result<Vec<(String, String)>, CliError> {
    g.param
        .iter()
        .map(|p| {
            p.split_once('=')
                .filter(|(k, _)| !k.is_empty())
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .ok_or_else(|| CliError::usage("--param: expected k=v"))
        })
        .collect()
}

/// Builds the grant. A service account brings its own server (its `token_uri`).
fn grant(g: &GrantArgs, i: &GrantInputs) -> Result<(Grant, Option<AuthorizationServer>), CliError> {
    let one_audience = || -> Result<Option<&String>, CliError> {
        match i.audience.as_slice() {
            [] => Ok(None),
            [a] => Ok(Some(a)),
            _ => Err(CliError::usage("--audience: this grant takes one audience")),
        }
    };
    let mut fallback = None;
    let mut built = match i.kind {
        GrantKind::ClientCredentials => {
            let mut cc = ClientCredentials::new();
            if let Some(s) = &i.scope {
                cc = cc.scope(s.clone());
            }
            if let Some(a) = one_audience()? {
                cc = cc.audience(a.clone());
            }
            for r in &i.resource {
                cc = cc.resource(r.clone());
            }
            Grant::ClientCredentials(cc)
        }
        GrantKind::RefreshToken => {
            let t = g.refresh_token.as_deref().ok_or_else(|| {
                CliError::usage(
                    "--grant refresh_token needs --refresh-token TOKEN (or - for stdin)",
                )
            })?;
            let t = setup::value_or_stdin(t, "refresh token")?;
            let mut r = RefreshGrant::new(RefreshToken::new(t.as_str()));
            if let Some(s) = &i.scope {
                r = r.scope(s.clone());
            }
            Grant::Refresh(r)
        }
        GrantKind::JwtBearer => {
            let mut j =
                match (&g.assertion, &g.service_account) {
                    (Some(a), None) => {
                        let a = setup::value_or_stdin(a, "assertion")?;
                        JwtBearer::new(SecretString::new(a.as_str()))
                    }
                    (None, Some(path)) => {
                        let bytes = setup::read_small_file(path, "service account file")?;
                        let sa = ServiceAccountKey::from_json(&bytes).map_err(|e| {
                            CliError::usage(format!("--service-account {}: {e}", path.display()))
                        })?;
                        fallback = Some(sa.authorization_server()?);
                        let mut b = BearerAssertion::from_service_account(&sa)?;
                        if let Some(s) = &i.scope {
                            b = b.scope(s.as_str());
                        }
                        setup::build(|ctx| {
                            let now = ctx.now();
                            let mut entropy = |d: &mut [u8]| ctx.fill_random(d);
                            Ok(b.grant(now, &mut entropy)?)
                        })?
                    }
                    _ => return Err(CliError::usage(
                        "--grant jwt_bearer needs one of --assertion JWT or --service-account FILE",
                    )),
                };
            if g.service_account.is_none() {
                if let Some(s) = &i.scope {
                    j = j.scope(s.clone());
                }
            }
            Grant::JwtBearer(j)
        }
        GrantKind::TokenExchange => {
            let (Some(t), Some(ty)) = (&g.subject_token, &g.subject_token_type) else {
                return Err(CliError::usage(
                    "--grant token_exchange needs --subject-token TOKEN (or -) and --subject-token-type URI",
                ));
            };
            let t = setup::value_or_stdin(t, "subject token")?;
            let mut x = TokenExchange::new(SecretString::new(t.as_str()), ty.clone());
            for a in &i.audience {
                x = x.audience(a.clone());
            }
            for r in &i.resource {
                x = x.resource(r.clone());
            }
            if let Some(s) = &i.scope {
                x = x.scope(s.clone());
            }
            Grant::TokenExchange(x)
        }
    };
    if !matches!(
        i.kind,
        GrantKind::ClientCredentials | GrantKind::TokenExchange
    ) && (!i.audience.is_empty() || !i.resource.is_empty())
    {
        return Err(CliError::usage(format!(
            "--audience and --resource are for client_credentials and token_exchange, not {}",
            i.kind.as_str()
        )));
    }
    for (k, v) in params(g)? {
        built = match built {
            Grant::ClientCredentials(x) => Grant::ClientCredentials(x.extra(k, v)),
            Grant::Refresh(x) => Grant::Refresh(x.extra(k, v)),
            Grant::JwtBearer(x) => Grant::JwtBearer(x.extra(k, v)),
            Grant::TokenExchange(x) => Grant::TokenExchange(x.extra(k, v)),
        };
    }
    Ok((built, fallback))
}

fn request(grant: &Grant, s: &Setup) -> Result<SecretRequest, CliError> {
    setup::build(|ctx| match grant {
        Grant::ClientCredentials(g) => g.to_request(&s.client, ctx),
        Grant::Refresh(g) => g.to_request(&s.client, ctx),
        Grant::JwtBearer(g) => g.to_request(&s.client, ctx),
        Grant::TokenExchange(g) => g.to_request(&s.client, ctx),
    })
}

/// Obtains a token (from the cache when `--cache` has a fresh one).
pub(crate) fn obtain(args: &TokenArgs) -> Result<Obtained, CliError> {
    let config = setup::load_config(args.common.config.as_deref())?;
    let i = inputs(&args.grant, &config)?;
    let (grant, fallback) = grant(&args.grant, &i)?;
    let unauthenticated_ok = i.kind == GrantKind::JwtBearer;
    let s = setup::setup(
        &args.endpoint,
        &args.auth,
        &args.common,
        &config,
        Target::Token,
        fallback,
        unauthenticated_ok,
    )?;
    if let Some(p) = s.preset {
        if i.kind == GrantKind::ClientCredentials {
            p.check_request(i.scope.as_ref(), i.audience.first().map(String::as_str))?;
        }
    }
    let key = args.cache.then(|| CacheKey {
        server: s
            .client
            .server()
            .issuer()
            .map_or_else(
                || s.client.server().token_endpoint().as_str(),
                |i| i.as_str(),
            )
            .to_owned(),
        token_endpoint: s.client.server().token_endpoint().as_str().to_owned(),
        client_id: s.client_id.clone(),
        method: setup::method_name(&s.client).to_owned(),
        grant: i.kind.as_str().to_owned(),
        scope: i
            .scope
            .as_ref()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        audience: i.audience.clone(),
        resource: i.resource.clone(),
    });
    let now = SystemTime::now();
    if let Some(key) = &key {
        if let Some(c) = cache::load(key, now) {
            return Ok(Obtained {
                access_token: c.access_token,
                token_type: c.token_type,
                expires_at: Some(c.expires_at),
                scope: c.scope,
                refresh_token: None,
                quirks: c.quirks,
                cached: true,
            });
        }
    }
    let req = request(&grant, &s)?;
    let response = setup::send(&s, args.common.verbose, req)?;
    let received = SystemTime::now();
    let parsed = TokenResponse::parse_with(&response, received, &s.options)?;
    let obtained = Obtained::from_response(&parsed);
    if let (Some(key), Some(expires_at)) = (&key, parsed.expires_at()) {
        // A failure to store is not a failure to get a token: the next call fetches again.
        let _ = cache::store(
            key,
            &Cached {
                access_token: obtained.access_token.clone(),
                token_type: obtained.token_type.clone(),
                received_at: received,
                expires_at,
                scope: obtained.scope.clone(),
                quirks: obtained.quirks.clone(),
            },
        );
    }
    Ok(obtained)
}

/// `grantwire token`.
pub(crate) fn run_token(args: &TokenArgs) -> Result<ExitCode, CliError> {
    let t = obtain(args)?;
    let now = SystemTime::now();
    let mut out = std::io::stdout().lock();
    match args.common.output {
        Format::Json => {
            let _ = writeln!(out, "{}", t.to_json(now));
        }
        Format::Text => {
            // The token alone on stdout (so `$(grantwire token …)` works); the rest is for
            // the person, on stderr.
            let _ = writeln!(out, "{}", t.access_token.as_str());
            let _ = writeln!(std::io::stderr().lock(), "{}", describe(&t, now));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `grantwire header`: `Authorization: Bearer …`.
pub(crate) fn run_header(args: &TokenArgs) -> Result<ExitCode, CliError> {
    let t = obtain(args)?;
    if TokenType::parse(&t.token_type) == Some(TokenType::DPoP) {
        return Err(CliError::usage(
            "the server issued a DPoP-bound token, which needs a proof per request; `header` prints Bearer tokens only",
        ));
    }
    let _ = writeln!(
        std::io::stdout().lock(),
        "Authorization: Bearer {}",
        t.access_token.as_str()
    );
    Ok(ExitCode::SUCCESS)
}

/// The text description of a token (never the token itself).
fn describe(t: &Obtained, now: SystemTime) -> String {
    let mut lines = vec![format!(
        "token type: {}{}",
        text::printable(&t.token_type, 32),
        if t.cached { " (from the cache)" } else { "" }
    )];
    lines.push(match t.expires_in(now) {
        Some(d) => format!("expires in: {}", text::words(d)),
        None => "expires in: unknown (the server sent no expires_in)".into(),
    });
    lines.push(format!(
        "scope: {}",
        t.scope
            .as_deref()
            .map_or("(as requested; the server did not say)".into(), |s| {
                text::printable(s, 512)
            })
    ));
    if t.refresh_token.is_some() {
        lines.push("refresh token: issued (shown with --output json)".into());
    }
    lines.push(format!(
        "quirks: {}",
        if t.quirks.is_empty() {
            "none".into()
        } else {
            t.quirks.join(", ")
        }
    ));
    lines.join("\n")
}
