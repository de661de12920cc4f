//! Mints one client assertion and prints the compact JWT on stdout, nothing else.
//!
//! ```sh
//! cargo run -p grantwire-jose --example client_assertion -- \
//!     --alg ES256 --key key.pem --client-id my-client --audience https://as.example [--kid KID]
//! GRANTWIRE_CLIENT_SECRET=... cargo run -p grantwire-jose --example client_assertion -- \
//!     --alg HS256 --client-id my-client --audience https://as.example
//! ```
//!
//! The key file may be PEM (PKCS#8, PKCS#1, SEC1), DER or a private JWK. For HS256/384/512
//! the secret comes from the environment variable `GRANTWIRE_CLIENT_SECRET` (its UTF-8
//! bytes). The audience is used as given (the authorization server's issuer, or its token
//! endpoint for legacy servers). This program is the outer shell of a Sans-IO library, so it
//! is the one place that reads the system clock and the OS random source.

use std::process::ExitCode;
use std::time::SystemTime;

use grantwire::ClientId;
use grantwire_jose::{Algorithm, ClientAssertion, PrivateKey, SigningKey};

const USAGE: &str = "usage: client_assertion --alg ALG --key FILE --client-id ID --audience URL [--kid KID]\n(for HS256/HS384/HS512 the secret is read from GRANTWIRE_CLIENT_SECRET and --key is not needed)";

struct Args {
    alg: Algorithm,
    key: Option<String>,
    client_id: String,
    audience: String,
    kid: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut alg = None;
    let mut key = None;
    let mut client_id = None;
    let mut audience = None;
    let mut kid = None;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--alg" => {
                let v = value()?;
                alg =
                    Some(Algorithm::from_name(&v).ok_or_else(|| {
                        format!("unsupported --alg {v:?} (HS/RS/PS/ES 256/384/512)")
                    })?);
            }
            "--key" => key = Some(value()?),
            "--client-id" => client_id = Some(value()?),
            "--audience" => audience = Some(value()?),
            "--kid" => kid = Some(value()?),
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(Args {
        alg: alg.ok_or("--alg is required")?,
        key,
        client_id: client_id.ok_or("--client-id is required")?,
        audience: audience.ok_or("--audience is required")?,
        kid,
    })
}

/// The OS random source, read directly (no extra dependency).
fn os_random(buf: &mut [u8]) {
    use std::io::Read as _;
    let filled = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(buf));
    if let Err(e) = filled {
        eprintln!("cannot read /dev/urandom: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<String, String> {
    let args = parse_args()?;
    let private = if args.alg.is_symmetric() {
        let secret = std::env::var("GRANTWIRE_CLIENT_SECRET")
            .map_err(|_| "set GRANTWIRE_CLIENT_SECRET to the client secret for HS* algorithms")?;
        PrivateKey::from_secret(secret.as_bytes())
    } else {
        let path = args
            .key
            .as_deref()
            .ok_or("--key is required for RS*, PS* and ES*")?;
        let bytes = std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))?;
        PrivateKey::from_bytes(&bytes).map_err(|e| e.to_string())?
    };
    let mut key = SigningKey::new(args.alg, &private).map_err(|e| e.to_string())?;
    if let Some(kid) = args.kid {
        key = key.with_kid(kid);
    }
    let assertion = ClientAssertion::new(ClientId::new(args.client_id), key);
    let mut entropy = os_random;
    let jwt = assertion
        .mint(&args.audience, SystemTime::now(), &mut entropy)
        .map_err(|e| e.to_string())?;
    Ok(jwt.secret().to_owned())
}

fn main() -> ExitCode {
    match run() {
        Ok(jwt) => {
            println!("{jwt}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("{message}");
            ExitCode::from(2)
        }
    }
}
