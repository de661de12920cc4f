//! From flags and the config file to what a request needs: the [`Client`] (server endpoints
//! and client authentication), the [`Transport`] and the parse options. Flags override the
//! file; the secret comes only from `GRANTWIRE_CLIENT_SECRET`, a file, or the environment
//! variable the file names.

use std::path::Path;
use std::time::{Duration, SystemTime};

use clap::ValueEnum;
use grantwire::providers::{self, Preset};
use grantwire::{
    AssertionAudience, AuthorizationServer, Client, ClientAuthentication, ClientId, ClientSecret,
    ClientSecretBasic, ClientSecretPost, Context, Endpoint, Issuer, NoneAuth, ParseOptions,
    Profile, SelfSignedTlsClientAuth, TlsClientAuth, Unauthenticated,
};
use grantwire_jose::{Algorithm, Audience, ClientSecretJwt, PrivateKey, PrivateKeyJwt, SigningKey};
use grantwire_ureq::{Transport, TransportOptions};
use zeroize::Zeroizing;

use crate::args::{AuthArgs, CommonArgs, EndpointArgs, Method, ProviderName};
use crate::config::FileConfig;
use crate::output::CliError;

/// The environment variable holding the client secret.
pub(crate) const SECRET_ENV: &str = "GRANTWIRE_CLIENT_SECRET";

/// The largest file read for a secret, key or certificate: anything larger is not one.
const MAX_FILE: u64 = 1024 * 1024;

/// Which endpoint the command calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// The token endpoint.
    Token,
    /// The introspection endpoint.
    Introspection,
    /// The revocation endpoint.
    Revocation,
}

/// Everything a request needs.
pub(crate) struct Setup {
    /// The client: server endpoints and authentication.
    pub(crate) client: Client,
    /// The transport (timeout, client certificate).
    pub(crate) transport: Transport,
    /// The response parsers' options.
    pub(crate) options: ParseOptions,
    /// The provider preset, when one was named.
    pub(crate) preset: Option<&'static Preset>,
    /// The client id, for the cache key (empty without client authentication).
    pub(crate) client_id: String,
}

/// Sends `request`, tracing it on stderr first when `verbose`: the request's own `Debug` (method,
/// URI, headers with `Authorization` and every sensitive value redacted, never the body), the
/// names of its form parameters (never their values), then the answer's status, content type
/// and size (never its body, which may hold tokens).
pub(crate) fn send(
    s: &Setup,
    verbose: bool,
    request: grantwire::SecretRequest,
) -> Result<http::Response<Vec<u8>>, grantwire_client::TransportFailure> {
    if verbose {
        let names: Vec<String> = grantwire::form::parse(request.body())
            .map(|pairs| pairs.into_iter().map(|(name, _)| name).collect())
            .unwrap_or_default();
        eprintln!("> {request:?}");
        eprintln!("> form parameters (values not shown): {}", names.join(", "));
    }
    let response = s.transport.send(request);
    if verbose {
        match &response {
            Ok(r) => eprintln!(
                "< {} {} ({} bytes, body not shown)",
                r.status(),
                r.headers()
                    .get(http::header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .map(|v| v
                        .chars()
                        .filter(|c| !c.is_control())
                        .take(100)
                        .collect::<String>())
                    .unwrap_or_else(|| "no content type".into()),
                r.body().len()
            ),
            Err(e) => eprintln!("< transport failure: {e}"),
        }
    }
    response
}

/// The options a command's network part shares, resolved from flags and file.
pub(crate) fn transport(common: &CommonArgs, config: &FileConfig) -> Result<Transport, CliError> {
    Ok(Transport::with_options(options(common, config)?))
}

/// The total timeout: flag, else file, else the adapter's default.
pub(crate) fn timeout(flag: Option<Duration>, config: &FileConfig) -> Duration {
    flag.or_else(|| config.seconds("timeout").map(Duration::from_secs_f64))
        .unwrap_or(grantwire_ureq::DEFAULT_TIMEOUT)
}

/// The transport options: the timeouts, and the CA certificates of `--ca-cert` (else the
/// file's `ca_cert_file`) as the only trust anchors.
fn options(common: &CommonArgs, config: &FileConfig) -> Result<TransportOptions, CliError> {
    let timeout = timeout(common.timeout, config);
    let options = TransportOptions::default()
        .timeout(timeout)
        .connect_timeout(timeout.min(grantwire_ureq::DEFAULT_CONNECT_TIMEOUT));
    let Some(path) = common
        .ca_cert
        .clone()
        .or_else(|| config.path("ca_cert_file"))
    else {
        return Ok(options);
    };
    let pem = read_small_file(&path, "CA certificate file")?;
    options
        .root_certificates_pem(&pem)
        .map_err(|e| CliError::usage(format!("--ca-cert {}: {e}", path.display())))
}

/// The parsing profile: `--strict`, `--lenient`, else the file's `profile`, else the default.
pub(crate) fn profile(common: &CommonArgs, config: &FileConfig) -> Profile {
    if common.strict {
        Profile::Strict
    } else if common.lenient {
        Profile::Lenient
    } else {
        match config.str("profile").as_deref() {
            Some("strict") => Profile::Strict,
            Some("lenient") => Profile::Lenient,
            _ => Profile::Default,
        }
    }
}

/// The config file named by `--config`, or an empty one.
pub(crate) fn load_config(path: Option<&Path>) -> Result<FileConfig, CliError> {
    path.map_or_else(|| Ok(FileConfig::default()), FileConfig::load)
}

/// Reads a small file (a secret, a key, a certificate), refusing one over 1 MiB.
pub(crate) fn read_small_file(path: &Path, what: &str) -> Result<Zeroizing<Vec<u8>>, CliError> {
    use std::io::Read;
    let file = std::fs::File::open(path)
        .map_err(|e| CliError::usage(format!("cannot read the {what} {}: {e}", path.display())))?;
    let mut bytes = Zeroizing::new(Vec::new());
    file.take(MAX_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| CliError::usage(format!("cannot read the {what} {}: {e}", path.display())))?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(CliError::usage(format!(
            "the {what} {} is larger than 1 MiB",
            path.display()
        )));
    }
    Ok(bytes)
}

/// Reads a value given as `-` from stdin (one line, trailing newline removed), else the value.
pub(crate) fn value_or_stdin(value: &str, what: &str) -> Result<Zeroizing<String>, CliError> {
    if value != "-" {
        return Ok(Zeroizing::new(value.to_owned()));
    }
    use std::io::Read;
    let mut s = Zeroizing::new(String::new());
    std::io::stdin()
        .take(MAX_FILE + 1)
        .read_to_string(&mut s)
        .map_err(|e| CliError::usage(format!("cannot read the {what} from stdin: {e}")))?;
    let trimmed = Zeroizing::new(s.trim_end_matches(['\r', '\n']).to_owned());
    if trimmed.is_empty() {
        return Err(CliError::usage(format!("no {what} on stdin")));
    }
    Ok(trimmed)
}

/// The client secret: `--client-secret-file`, else `GRANTWIRE_CLIENT_SECRET`, else the file's
/// `client_secret_file` or `client_secret_env`. Never a command-line value.
fn secret(auth: &AuthArgs, config: &FileConfig) -> Result<Option<ClientSecret>, CliError> {
    let from_file = |path: &Path| -> Result<ClientSecret, CliError> {
        let bytes = read_small_file(path, "client secret file")?;
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| CliError::usage("the client secret file is not UTF-8"))?;
        Ok(ClientSecret::new(text.trim_end_matches(['\r', '\n'])))
    };
    if let Some(path) = &auth.client_secret_file {
        return from_file(path).map(Some);
    }
    if let Some(v) = std::env::var_os(SECRET_ENV) {
        let v = v
            .into_string()
            .map_err(|_| CliError::usage(format!("{SECRET_ENV} is not UTF-8")))?;
        return Ok(Some(ClientSecret::new(v)));
    }
    if let Some(path) = config.path("client_secret_file") {
        return from_file(&path).map(Some);
    }
    if let Some(name) = config.str("client_secret_env") {
        return match std::env::var(&name) {
            Ok(v) => Ok(Some(ClientSecret::new(v))),
            Err(_) => Err(CliError::usage(format!(
                "config field `client_secret_env` names {name}, which is not set (or not UTF-8)"
            ))),
        };
    }
    Ok(None)
}

/// The preset of `--provider` (or the file's `provider`).
pub(crate) fn preset(
    flag: Option<ProviderName>,
    config: &FileConfig,
) -> Result<Option<&'static Preset>, CliError> {
    let name = match flag {
        Some(p) => Some(p),
        None => match config.str("provider") {
            Some(s) => Some(
                ProviderName::from_str(&s, false)
                    .map_err(|_| CliError::usage("config field `provider`: unknown provider"))?,
            ),
            None => None,
        },
    };
    Ok(name.map(|p| match p {
        ProviderName::Auth0 => &providers::AUTH0,
        ProviderName::Okta => &providers::OKTA_CUSTOM,
        ProviderName::Entra => &providers::ENTRA_ID_V2,
        ProviderName::Google => &providers::GOOGLE_SERVICE_ACCOUNT,
        ProviderName::Cognito => &providers::AWS_COGNITO,
        ProviderName::Salesforce => &providers::SALESFORCE,
        ProviderName::Keycloak => &providers::KEYCLOAK,
    }))
}

fn parse_endpoint(url: &str, name: &str) -> Result<Endpoint, CliError> {
    Endpoint::parse(url).map_err(|e| CliError::usage(format!("{name}: {e}")))
}

/// The server value: explicit endpoints, or discovery from the issuer for what is missing.
/// `fallback` is the server a grant brings (a service account's `token_uri`).
pub(crate) fn server(
    endpoint: &EndpointArgs,
    config: &FileConfig,
    transport: &Transport,
    target: Target,
    fallback: Option<AuthorizationServer>,
) -> Result<AuthorizationServer, CliError> {
    let pick = |flag: &Option<String>, field: &str| flag.clone().or_else(|| config.str(field));
    let issuer = pick(&endpoint.issuer, "issuer");
    let token = pick(&endpoint.token_endpoint, "token_url");
    let introspection = pick(&endpoint.introspection_endpoint, "introspection_url");
    let revocation = pick(&endpoint.revocation_endpoint, "revocation_url");
    let needed = match target {
        Target::Token => &token,
        Target::Introspection => &introspection,
        Target::Revocation => &revocation,
    };
    let mut server = match (&issuer, needed, &token) {
        // Discovery (RFC 8414, then OpenID Connect) fills what was not given.
        (Some(issuer), None, _) | (Some(issuer), _, None) => {
            let issuer =
                Issuer::parse(issuer).map_err(|e| CliError::usage(format!("--issuer: {e}")))?;
            grantwire_ureq::discover(transport, issuer)?.authorization_server()?
        }
        (issuer, _, Some(token)) => {
            let s = AuthorizationServer::new(parse_endpoint(token, "--token-endpoint")?);
            match issuer {
                Some(i) => s.with_issuer(
                    Issuer::parse(i).map_err(|e| CliError::usage(format!("--issuer: {e}")))?,
                ),
                None => s,
            }
        }
        (None, Some(called), None) => {
            // No token endpoint: the called endpoint stands for it (only a token-endpoint
            // assertion audience would read it; give --token-endpoint for that).
            AuthorizationServer::new(parse_endpoint(called, "endpoint")?)
        }
        (None, None, None) => match fallback.clone() {
            Some(s) => s,
            None => {
                return Err(CliError::usage(match target {
                    Target::Token => "no endpoint: give --issuer URL or --token-endpoint URL",
                    Target::Introspection => {
                        "no endpoint: give --issuer URL or --introspection-endpoint URL"
                    }
                    Target::Revocation => {
                        "no endpoint: give --issuer URL or --revocation-endpoint URL"
                    }
                }))
            }
        },
    };
    if let Some(url) = &introspection {
        server =
            server.with_introspection_endpoint(parse_endpoint(url, "--introspection-endpoint")?);
    }
    if let Some(url) = &revocation {
        server = server.with_revocation_endpoint(parse_endpoint(url, "--revocation-endpoint")?);
    }
    Ok(server)
}

/// `--assertion-audience`: `issuer`, `token-endpoint`, `endpoint` or a URL; default the
/// preset's rule, else the issuer when known, else the token endpoint.
fn assertion_audience(
    value: Option<String>,
    preset: Option<&Preset>,
    server: &AuthorizationServer,
) -> Result<Audience, CliError> {
    Ok(match value.as_deref() {
        Some("issuer") => Audience::Issuer,
        Some("token-endpoint") => Audience::TokenEndpoint,
        Some("endpoint") => Audience::CalledEndpoint,
        Some(url) if url.contains("://") => Audience::Fixed(url.to_owned()),
        Some(_) => {
            return Err(CliError::usage(
                "--assertion-audience: expected issuer, token-endpoint, endpoint or a URL",
            ))
        }
        None => match preset {
            Some(p) => p.assertion_audience.into(),
            None if server.issuer().is_some() => AssertionAudience::Issuer.into(),
            None => AssertionAudience::TokenEndpoint.into(),
        },
    })
}

/// The client-authentication method: flag, file, preset, else client_secret_basic when a
/// secret is given, private_key_jwt when a key is.
fn method(
    auth: &AuthArgs,
    config: &FileConfig,
    preset: Option<&Preset>,
    has_secret: bool,
    has_key: bool,
) -> Result<Option<Method>, CliError> {
    if let Some(m) = auth.auth_method {
        return Ok(Some(m));
    }
    if let Some(s) = config.str("auth_method") {
        return Method::from_str(&s, false)
            .map(Some)
            .map_err(|_| CliError::usage("config field `auth_method`: unknown method"));
    }
    if let Some(p) = preset {
        return Ok(Method::from_str(p.auth_method.as_str(), false).ok());
    }
    Ok(if has_key {
        Some(Method::PrivateKeyJwt)
    } else if has_secret {
        Some(Method::ClientSecretBasic)
    } else {
        None
    })
}

fn algorithm(name: &str) -> Result<Algorithm, CliError> {
    Algorithm::from_name(name).ok_or_else(|| {
        CliError::usage(format!(
            "--alg: unknown algorithm {:?}",
            crate::text::printable(name, 16)
        ))
    })
}

/// Builds the whole setup. `fallback` is a server the grant brings (a service account),
/// used when no endpoint is given; `unauthenticated_ok` lets a grant go without client
/// authentication when no client id is given (the JWT bearer grant, RFC 7523 §3.1).
pub(crate) fn setup(
    endpoint: &EndpointArgs,
    auth: &AuthArgs,
    common: &CommonArgs,
    config: &FileConfig,
    target: Target,
    fallback: Option<AuthorizationServer>,
    unauthenticated_ok: bool,
) -> Result<Setup, CliError> {
    let preset = preset(endpoint.provider, config)?;
    let transport_options = options(common, config)?;
    let cert = auth.cert.clone().or_else(|| config.path("cert_file"));
    let cert_key = auth
        .cert_key
        .clone()
        .or_else(|| config.path("cert_key_file"));
    let key_path = auth.key.clone().or_else(|| config.path("key_file"));
    let secret = secret(auth, config)?;
    let method = method(auth, config, preset, secret.is_some(), key_path.is_some())?;
    let transport = match method {
        Some(Method::TlsClientAuth | Method::SelfSignedTlsClientAuth) => {
            let (Some(cert), Some(key)) = (&cert, &cert_key) else {
                return Err(CliError::usage(
                    "the tls methods need --cert FILE and --cert-key FILE (PEM)",
                ));
            };
            tls_transport(cert, key, transport_options)?
        }
        _ => Transport::with_options(transport_options),
    };
    let server = server(endpoint, config, &transport, target, fallback)?;
    let client_id = auth.client_id.clone().or_else(|| config.str("client_id"));
    let alg = auth.alg.clone().or_else(|| config.str("alg"));
    let kid = auth.kid.clone().or_else(|| config.str("kid"));
    let audience_rule = auth
        .assertion_audience
        .clone()
        .or_else(|| config.str("assertion_audience"));
    let mut options = preset.map_or_else(ParseOptions::default, |p| p.parse_options());
    options.profile = profile(common, config);

    let Some(id) = client_id else {
        // No client id and no method asked for: the grant alone identifies the caller (a
        // secret in the environment is not a request to use it).
        if unauthenticated_ok && auth.auth_method.is_none() && config.str("auth_method").is_none() {
            let client = Client::new(server, Unauthenticated)?;
            return Ok(Setup {
                client,
                transport,
                options,
                preset,
                client_id: String::new(),
            });
        }
        return Err(CliError::usage(
            "no client: give --client-id ID (or client_id in the config file)",
        ));
    };
    let Some(method) = method else {
        return Err(CliError::usage(format!(
            "no client authentication: give --auth-method METHOD, a secret ({SECRET_ENV} or --client-secret-file) or --key FILE"
        )));
    };
    let need_secret = || {
        secret.clone().ok_or_else(|| {
            CliError::usage(format!(
                "{} needs the client secret: set {SECRET_ENV} or give --client-secret-file FILE",
                method.as_str()
            ))
        })
    };
    let cid = ClientId::new(id.clone());
    let auth: Box<dyn FnOnce(AuthorizationServer) -> Result<Client, CliError>> = match method {
        Method::ClientSecretBasic => {
            let a = ClientSecretBasic::new(cid, need_secret()?);
            Box::new(move |s| Ok(Client::new(s, a)?))
        }
        Method::ClientSecretPost => {
            let a = ClientSecretPost::new(cid, need_secret()?);
            Box::new(move |s| Ok(Client::new(s, a)?))
        }
        Method::None => Box::new(move |s| Ok(Client::new(s, NoneAuth::new(cid))?)),
        Method::TlsClientAuth => Box::new(move |s| Ok(Client::new(s, TlsClientAuth::new(cid))?)),
        Method::SelfSignedTlsClientAuth => {
            Box::new(move |s| Ok(Client::new(s, SelfSignedTlsClientAuth::new(cid))?))
        }
        Method::ClientSecretJwt => {
            let alg = algorithm(alg.as_deref().unwrap_or("HS256"))?;
            let secret = need_secret()?;
            let mut key = SigningKey::hmac(alg, secret.secret().as_bytes())?;
            if let Some(kid) = &kid {
                key = key.with_kid(kid.clone());
            }
            let audience = assertion_audience(audience_rule, preset, &server)?;
            let a = ClientSecretJwt::from_key(cid, key)?.audience(audience);
            Box::new(move |s| Ok(Client::new(s, a)?))
        }
        Method::PrivateKeyJwt => {
            let path = key_path.ok_or_else(|| {
                CliError::usage("private_key_jwt needs --key FILE (a PEM or JWK private key)")
            })?;
            let key = load_key(&path, alg.as_deref(), kid.as_deref())?;
            let audience = assertion_audience(audience_rule, preset, &server)?;
            let a = PrivateKeyJwt::new(cid, key)?.audience(audience);
            Box::new(move |s| Ok(Client::new(s, a)?))
        }
    };
    let client = auth(server)?;
    Ok(Setup {
        client,
        transport,
        options,
        preset,
        client_id: id,
    })
}

/// Reads a private key (PEM or JWK) and binds it to `alg` (required for PEM; a JWK may name
/// its own).
fn load_key(path: &Path, alg: Option<&str>, kid: Option<&str>) -> Result<SigningKey, CliError> {
    let bytes = read_small_file(path, "key file")?;
    let key = PrivateKey::from_bytes(&bytes)
        .map_err(|e| CliError::usage(format!("--key {}: {e}", path.display())))?;
    let alg = match alg {
        Some(a) => algorithm(a)?,
        None => {
            return Err(CliError::usage(
                "private_key_jwt needs --alg ALG (RS256, PS256, ES256, ...)",
            ))
        }
    };
    let mut signing = SigningKey::new(alg, &key)
        .map_err(|e| CliError::usage(format!("--key {}: {e}", path.display())))?;
    if let Some(kid) = kid {
        signing = signing.with_kid(kid);
    }
    Ok(signing)
}

/// A transport presenting a client certificate (RFC 8705 §2): the agent configured as
/// [`Transport::with_options`] does, plus the certificate chain and key.
fn tls_transport(
    cert: &Path,
    key: &Path,
    options: TransportOptions,
) -> Result<Transport, CliError> {
    let cert_pem = read_small_file(cert, "certificate file")?;
    let key_pem = read_small_file(key, "certificate key file")?;
    if ureq::tls::parse_pem(&cert_pem)
        .filter_map(Result::ok)
        .all(|item| !matches!(item, ureq::tls::PemItem::Certificate(_)))
    {
        return Err(CliError::usage(format!(
            "--cert {}: no PEM certificate in it",
            cert.display()
        )));
    }
    Transport::with_client_certificate(options, &cert_pem, &key_pem)
        .map_err(|e| CliError::usage(format!("--cert-key {}: {e}", key.display())))
}

/// Builds a request with the wall clock and OS randomness (a client assertion's `jti`).
pub(crate) fn build<T>(
    f: impl FnOnce(&mut Context<'_>) -> Result<T, grantwire::Error>,
) -> Result<T, CliError> {
    let mut failed = false;
    let mut entropy = |dest: &mut [u8]| failed |= getrandom::fill(dest).is_err();
    let built = f(&mut Context::new(SystemTime::now(), &mut entropy));
    if failed {
        return Err(CliError::Transport(
            "no randomness available from the operating system".into(),
        ));
    }
    Ok(built?)
}

/// The method a client authenticates with, for messages.
pub(crate) fn method_name(client: &Client) -> &'static str {
    let auth: &dyn ClientAuthentication = client.auth();
    auth.method().as_str()
}
