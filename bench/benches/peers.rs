//! The one-run table of issue 12: every row of the issue beside its peer and the raw primitive,
//! measured in one process, with the wall clock read (`SystemTime::now`) in the timed loop of
//! every row, and OS randomness (`getrandom::fill`, what grantwire-client draws its `jti` values
//! from) in that of every assertion and raw-signature row alike.
//!
//! ```sh
//! cargo bench -p grantwire-bench --bench peers     # also the last step of `cargo xtask bench`
//! PEERS_ONLY=HS256,exchange PEERS_ROUNDS=51 cargo bench -p grantwire-bench --bench peers
//! ```
//!
//! `PEERS_ONLY` keeps the groups whose title contains one of its comma-separated words;
//! `PEERS_ROUNDS` sets the rounds per group.
//!
//! Rows (ratios are "grantwire ÷ other": below 1 grantwire is faster):
//!
//! - ES384, RS256, PS256, HS256, ES512 client assertions (`ClientAssertion::mint`): the key
//!   `SigningKey::new` picks (labelled with the backend it reports, `SigningKey::backend`), every
//!   other backend pinned with `SigningKey::with_backend`, `jsonwebtoken` 11 on aws-lc-rs and on
//!   RustCrypto (its `encode` of the same claims, `jti` from the same OS source), and the raw
//!   primitive: the backend's own signing API with the key parsed once, over an input of the
//!   assertion's exact signing-input length, after the same clock read and the same OS draw the
//!   assertion makes for its `jti` (for HS256 the HMAC key is prepared once; for ES512 the raw
//!   row is `p521`'s own `sign_with_rng` with OS randomness).
//! - The client-credentials exchange (`client_secret_basic`, canned 800-character token, the
//!   shape of `benches/exchange.rs`), with a canned transport for both: it takes the built
//!   `http::Request` and hands back a clone of the canned `http::Response` (oauth2 takes the
//!   response by value); a second grantwire row parses the canned response in place, as
//!   `exchange.rs` measures it. Each reads the clock once per exchange.
//! - The token response parse alone (`TokenResponse::parse`) against `serde_json::from_slice`
//!   of the same body into a four-field struct, each after one clock read.
//!
//! Every row's output is checked once before anything is timed (assertions, jsonwebtoken's
//! tokens and the raw signatures verify with grantwire's verifier under the same key; the
//! exchanges and parses give the canned token), so `cargo test --benches` runs those checks.
//!
//! Timing is a loop of our own, not criterion: the rows of one comparison take turns in rounds
//! (one batch of about `BATCH` of each row per round, the starting row rotating), so load that
//! comes and goes on a shared machine hits every row alike. The table gives, per row, the first
//! quartile and the median of the per-round times per call, and the ratios of the first
//! quartiles (on a loaded machine the rounds split into undisturbed and slowed ones; the lower
//! quartile reads the undisturbed ones, and on a quiet machine it is close to the median).

use std::convert::Infallible;
use std::hint::black_box;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use grantwire::ClientId;
use grantwire_jose::{Algorithm, Backend, ClientAssertion, PrivateKey, SigningKey, Verifier};

const AUDIENCE: &str = "https://as.example.com/token";
const CLIENT_ID: &str = "s6BhdRkqt3-client";
const B64URL: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// At least this many rounds per comparison; `PEERS_ROUNDS` sets the number instead.
const MIN_ROUNDS: usize = 101;
/// About how long one batch of one row runs per round: short, so that most batches on a
/// loaded machine run without being descheduled.
const BATCH: Duration = Duration::from_millis(2);
/// About how long each comparison runs: cheap groups get more rounds.
const GROUP_TIME: Duration = Duration::from_secs(4);

/// Rounds for a comparison of `rows` rows.
fn rounds(rows: usize) -> usize {
    std::env::var("PEERS_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| {
            let by_time = GROUP_TIME.as_nanos() / (BATCH.as_nanos() * rows.max(1) as u128);
            MIN_ROUNDS.max(by_time as usize)
        })
}

// ---------------------------------------------------------------------------------------------
// Randomness, as a service draws it.

/// OS randomness, drawn as grantwire-client's token source draws it for `jti` values
/// (`getrandom::fill`).
fn os_random(dest: &mut [u8]) {
    getrandom::fill(dest).expect("the OS random number generator");
}

/// The same OS source behind `rand_core` 0.6, the RNG interface of `p521`'s `sign_with_rng`.
struct OsRng;

impl rand_core::RngCore for OsRng {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        os_random(&mut b);
        u32::from_le_bytes(b)
    }

    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        os_random(&mut b);
        u64::from_le_bytes(b)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        os_random(dest);
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        os_random(dest);
        Ok(())
    }
}

impl rand_core::CryptoRng for OsRng {}

// ---------------------------------------------------------------------------------------------
// Rows.

/// What a row is, for the ratio columns.
#[derive(Clone, PartialEq, Eq)]
enum Kind {
    /// grantwire, with the backend it signs on (none for the exchange and the parse).
    Ours(Option<Backend>),
    /// A peer crate.
    Peer,
    /// The raw primitive: the floor of the grantwire rows on these backends (empty: all).
    Floor(Vec<Backend>),
    /// For reference only (no ratio).
    Info,
}

struct Row {
    label: String,
    kind: Kind,
    /// What the timed loop reads besides the operation itself.
    reads: &'static str,
    run: Box<dyn FnMut()>,
}

struct Group {
    title: String,
    rows: Vec<Row>,
}

/// Per-call times of one row over the rounds: the first quartile (the ratio basis: on a shared
/// machine the rounds split into undisturbed ones and ones slowed by other work, and the lower
/// quartile reads the undisturbed ones; on a quiet machine it is within a few percent of the
/// median) and the median.
#[derive(Clone, Copy)]
struct Stats {
    q1: Duration,
    median: Duration,
}

// ---------------------------------------------------------------------------------------------
// Keys.

fn vector(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../crates/grantwire-jose/tests/vectors/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn pem_body(pem: &[u8]) -> Vec<u8> {
    let text = std::str::from_utf8(pem).expect("PEM is text");
    let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .expect("PEM body is base64")
}

/// The HS256 secret: 32 bytes, the hash length.
const HMAC_SECRET: [u8; 32] = [0x5a; 32];

/// PKCS #8 DER of the key for `alg` (one RSA-2048 key for RS*/PS*).
fn pkcs8_der(alg: Algorithm) -> Vec<u8> {
    match alg {
        Algorithm::ES384 => vector("p384_pkcs8.der"),
        Algorithm::ES512 => pem_body(&vector("rfc7515_a4_private.pem")),
        _ => vector("rsa2048_pkcs8.der"),
    }
}

fn private_key(alg: Algorithm) -> PrivateKey {
    if alg.is_symmetric() {
        PrivateKey::from_secret(&HMAC_SECRET)
    } else {
        PrivateKey::from_der(&pkcs8_der(alg)).expect("benchmark key")
    }
}

/// A verifier for what `key` signs, used to check every row of its group.
fn verifier(key: &SigningKey) -> Verifier {
    Verifier::new(vec![key.verifying_key().expect("a local key")])
        .algorithms(&[key.algorithm()])
        .audience(AUDIENCE)
        .issuer(CLIENT_ID)
        .subject(CLIENT_ID)
}

fn check(verifier: &Verifier, token: &str, what: &str) {
    if let Err(e) = verifier.verify(token, SystemTime::now()) {
        panic!("{what}: the token does not verify: {e}");
    }
}

// ---------------------------------------------------------------------------------------------
// grantwire assertions.

/// How many bytes one grantwire mint draws from the caller's entropy.
fn drawn_by(assertion: &ClientAssertion) -> usize {
    let mut bytes = 0;
    let mut counting = |b: &mut [u8]| {
        bytes += b.len();
        os_random(b);
    };
    assertion
        .mint(AUDIENCE, SystemTime::now(), &mut counting)
        .expect("mint");
    bytes
}

/// The grantwire rows of `alg`: the `SigningKey::new` choice first, then every other backend.
/// Returns the default key (for the verifier) and one assertion's signing input (for the raw
/// rows' input length).
fn ours(alg: Algorithm, rows: &mut Vec<Row>) -> (SigningKey, String) {
    let pk = private_key(alg);
    let default = SigningKey::new(alg, &pk).expect("SigningKey::new");
    let default_backend = default.backend().expect("a local key has a backend");
    let v = verifier(&default);
    let mut sample = String::new();
    let mut backends = Backend::available();
    backends.retain(|&b| b != default_backend);
    backends.insert(0, default_backend);
    for backend in backends {
        let key = if backend == default_backend {
            default.clone()
        } else {
            SigningKey::with_backend(backend, alg, &pk).expect("SigningKey::with_backend")
        };
        let label = if backend == default_backend {
            format!("grantwire {backend} = SigningKey::new")
        } else {
            format!("grantwire {backend}")
        };
        let assertion = ClientAssertion::new(ClientId::new(CLIENT_ID), key);
        let mut e = os_random;
        let jwt = assertion
            .mint(AUDIENCE, SystemTime::now(), &mut e)
            .expect("mint");
        check(&v, jwt.secret(), &label);
        if sample.is_empty() {
            let secret = jwt.secret();
            sample = secret[..secret.rfind('.').expect("compact JWS")].to_owned();
        }
        rows.push(Row {
            label,
            kind: Kind::Ours(Some(backend)),
            reads: "clock, OS rng",
            run: Box::new(move || {
                let mut e = os_random;
                black_box(
                    assertion
                        .mint(AUDIENCE, SystemTime::now(), &mut e)
                        .expect("mint"),
                );
            }),
        });
    }
    (default, sample)
}

// ---------------------------------------------------------------------------------------------
// jsonwebtoken 11, both providers in one process.

/// jsonwebtoken selects its provider once per process; this one forwards to the provider the
/// switch names, so both are measured in one run (one relaxed atomic load per encode).
static USE_AWS_LC: AtomicBool = AtomicBool::new(false);

static SWITCH: jsonwebtoken::crypto::CryptoProvider = jsonwebtoken::crypto::CryptoProvider {
    signer_factory: |alg, key| {
        if USE_AWS_LC.load(Ordering::Relaxed) {
            (jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.signer_factory)(alg, key)
        } else {
            (jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.signer_factory)(alg, key)
        }
    },
    verifier_factory: |alg, key| {
        if USE_AWS_LC.load(Ordering::Relaxed) {
            (jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.verifier_factory)(alg, key)
        } else {
            (jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.verifier_factory)(alg, key)
        }
    },
    key_utils: jsonwebtoken::crypto::KeyUtils::new_unimplemented(),
};

/// The claims grantwire's assertion carries, in the same order.
#[derive(serde::Serialize)]
struct JwtClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    exp: u64,
    iat: u64,
    jti: String,
}

/// The jsonwebtoken rows of `alg` (none for ES512, which it does not support), the header as
/// grantwire's (`alg` and the same `kid`, no `typ`).
fn jsonwebtoken_rows(alg: Algorithm, key: &SigningKey, v: &Verifier, rows: &mut Vec<Row>) {
    use jsonwebtoken::{Algorithm as J, EncodingKey};
    let (j, encoding) = match alg {
        Algorithm::HS256 => (J::HS256, EncodingKey::from_secret(&HMAC_SECRET)),
        Algorithm::ES384 => (J::ES384, EncodingKey::from_ec_der(&pkcs8_der(alg))),
        Algorithm::RS256 => (J::RS256, EncodingKey::from_rsa_der(&rsa_pkcs1())),
        Algorithm::PS256 => (J::PS256, EncodingKey::from_rsa_der(&rsa_pkcs1())),
        _ => return,
    };
    let mut header = jsonwebtoken::Header::new(j);
    header.typ = None;
    header.kid = key.kid().map(str::to_owned);
    for (name, aws) in [("aws-lc-rs", true), ("rust_crypto", false)] {
        let header = header.clone();
        let encoding = encoding.clone();
        let mint = move || {
            USE_AWS_LC.store(aws, Ordering::Relaxed);
            let iat = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .expect("after 1970")
                .as_secs();
            let mut jti = [0u8; 16];
            os_random(&mut jti);
            let claims = JwtClaims {
                iss: CLIENT_ID,
                sub: CLIENT_ID,
                aud: AUDIENCE,
                exp: iat + 60,
                iat,
                jti: B64URL.encode(jti),
            };
            jsonwebtoken::encode(&header, &claims, &encoding).expect("jsonwebtoken encode")
        };
        let label = format!("jsonwebtoken 11, {name}");
        check(v, &mint(), &label);
        rows.push(Row {
            label,
            kind: Kind::Peer,
            reads: "clock, OS rng",
            run: Box::new(move || {
                black_box(mint());
            }),
        });
    }
}

/// The RSA key of [`pkcs8_der`] as PKCS #1 (what jsonwebtoken's `from_rsa_der` takes).
fn rsa_pkcs1() -> Vec<u8> {
    vector("rsa2048_pkcs1.der")
}

// ---------------------------------------------------------------------------------------------
// Raw primitives.

/// Signs its input and hands the signature to the callback (no allocation of ours).
type RawSign = Box<dyn FnMut(&[u8], &mut dyn FnMut(&[u8]))>;

/// The raw signer of `alg` on ring or aws-lc-rs (their APIs are alike).
macro_rules! ring_like {
    ($c:ident, $alg:expr, $ec_pair:expr) => {{
        use $c::signature as s;
        let alg: Algorithm = $alg;
        let rng = $c::rand::SystemRandom::new();
        let sign: RawSign = match alg {
            Algorithm::HS256 => {
                let key = $c::hmac::Key::new($c::hmac::HMAC_SHA256, &HMAC_SECRET);
                Box::new(move |m, out| out($c::hmac::sign(&key, m).as_ref()))
            }
            Algorithm::RS256 | Algorithm::PS256 => {
                let pair = s::RsaKeyPair::from_pkcs8(&pkcs8_der(alg)).expect("RSA key");
                let enc: &'static dyn s::RsaEncoding = if alg == Algorithm::RS256 {
                    &s::RSA_PKCS1_SHA256
                } else {
                    &s::RSA_PSS_SHA256
                };
                // The benchmark key is RSA-2048: 256-byte signatures.
                let mut sig = vec![0u8; 256];
                Box::new(move |m, out| {
                    pair.sign(enc, &rng, m, &mut sig).expect("RSA sign");
                    out(&sig);
                })
            }
            Algorithm::ES384 => {
                let pair = $ec_pair(&s::ECDSA_P384_SHA384_FIXED_SIGNING, &pkcs8_der(alg), &rng);
                Box::new(move |m, out| out(pair.sign(&rng, m).expect("ECDSA sign").as_ref()))
            }
            _ => unreachable!("no raw {alg} row on {}", stringify!($c)),
        };
        sign
    }};
}

fn raw_ring(alg: Algorithm) -> RawSign {
    ring_like!(
        ring,
        alg,
        |a, der: &[u8], rng: &ring::rand::SystemRandom| {
            ring::signature::EcdsaKeyPair::from_pkcs8(a, der, rng).expect("EC key")
        }
    )
}

fn raw_aws_lc(alg: Algorithm) -> RawSign {
    if alg == Algorithm::ES512 {
        use aws_lc_rs::signature as s;
        let pair =
            s::EcdsaKeyPair::from_pkcs8(&s::ECDSA_P521_SHA512_FIXED_SIGNING, &pkcs8_der(alg))
                .expect("P-521 key");
        let rng = aws_lc_rs::rand::SystemRandom::new();
        return Box::new(move |m, out| out(pair.sign(&rng, m).expect("ECDSA sign").as_ref()));
    }
    ring_like!(
        aws_lc_rs,
        alg,
        |a, der: &[u8], _: &aws_lc_rs::rand::SystemRandom| {
            aws_lc_rs::signature::EcdsaKeyPair::from_pkcs8(a, der).expect("EC key")
        }
    )
}

/// HMAC-SHA256 with the `hmac` crate (the pure-Rust backend's primitive), key prepared once.
fn raw_hmac_rust_crypto() -> RawSign {
    use hmac::Mac as _;
    let mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&HMAC_SECRET).expect("HMAC key");
    Box::new(move |m, out| out(&mac.clone().chain_update(m).finalize().into_bytes()))
}

/// `p521`'s own `sign_with_rng` with OS randomness (the primitive under grantwire's ES512 on
/// the ring and pure-Rust backends).
fn raw_p521() -> RawSign {
    use p521::ecdsa::signature::RandomizedSigner as _;
    let jwk: serde_json::Value =
        serde_json::from_slice(&vector("rfc7515_a4.jwk")).expect("P-521 JWK");
    let d = B64URL
        .decode(jwk["d"].as_str().expect("d"))
        .expect("d is base64url");
    let key = p521::ecdsa::SigningKey::from_slice(&d).expect("P-521 scalar");
    Box::new(move |m, out| {
        let sig: p521::ecdsa::Signature = key.sign_with_rng(&mut OsRng, m);
        out(&sig.to_bytes());
    })
}

/// A raw row: checks once that `sign` over `input` (an assertion's signing input) gives a
/// signature `v` accepts, then times the clock read, the OS draw of `draw` bytes (written into
/// the input) and the signature over an input of the same length.
fn raw_row(
    label: &str,
    backends: Vec<Backend>,
    mut sign: RawSign,
    input: &str,
    v: &Verifier,
    draw: usize,
) -> Row {
    let mut sig = Vec::new();
    sign(input.as_bytes(), &mut |s| sig.extend_from_slice(s));
    check(v, &format!("{input}.{}", B64URL.encode(&sig)), label);
    let mut buf = input.as_bytes().to_vec();
    let at = buf.len() / 2;
    assert!(at + draw <= buf.len(), "{label}: the draw fits the input");
    Row {
        label: label.to_owned(),
        kind: Kind::Floor(backends),
        reads: "clock, OS rng",
        run: Box::new(move || {
            black_box(SystemTime::now());
            os_random(&mut buf[at..at + draw]);
            sign(&buf, &mut |s| {
                black_box(s);
            });
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// The assertion groups.

fn assertion_group(alg: Algorithm) -> Group {
    let mut rows = Vec::new();
    let (key, input) = ours(alg, &mut rows);
    let v = verifier(&key);
    let hs = ClientAssertion::new(
        ClientId::new(CLIENT_ID),
        SigningKey::new(Algorithm::HS256, &private_key(Algorithm::HS256)).expect("HS256 key"),
    );
    // The raw rows draw what the assertion draws for its `jti` (measured on HS256, whose
    // signature takes no randomness), in one call.
    let draw = drawn_by(&hs);
    jsonwebtoken_rows(alg, &key, &v, &mut rows);
    if alg == Algorithm::HS256 {
        // What every assertion and raw row of every group spends besides its own work.
        let mut jti = vec![0u8; draw];
        rows.push(Row {
            label: "clock read + OS draw alone".into(),
            kind: Kind::Info,
            reads: "clock, OS rng",
            run: Box::new(move || {
                black_box(SystemTime::now());
                os_random(&mut jti);
                black_box(&jti);
            }),
        });
    }
    let mut raw = |label: &str, backends: Vec<Backend>, sign: RawSign| {
        rows.push(raw_row(label, backends, sign, &input, &v, draw));
    };
    match alg {
        Algorithm::HS256 => {
            raw("raw HMAC, ring", vec![Backend::Ring], raw_ring(alg));
            raw("raw HMAC, aws-lc-rs", vec![Backend::AwsLc], raw_aws_lc(alg));
            raw(
                "raw HMAC, hmac crate",
                vec![Backend::RustCrypto],
                raw_hmac_rust_crypto(),
            );
        }
        Algorithm::ES512 => {
            raw(
                "raw p521 sign_with_rng",
                vec![Backend::Ring, Backend::RustCrypto],
                raw_p521(),
            );
            raw("raw aws-lc-rs", vec![Backend::AwsLc], raw_aws_lc(alg));
        }
        _ => {
            raw("raw aws-lc-rs", vec![Backend::AwsLc], raw_aws_lc(alg));
            raw("raw ring", vec![Backend::Ring], raw_ring(alg));
        }
    }
    Group {
        title: format!(
            "{} client assertion ({} bytes signed, {draw} bytes of OS randomness per jti)",
            alg.name(),
            input.len()
        ),
        rows,
    }
}

// ---------------------------------------------------------------------------------------------
// The client-credentials exchange and the token parse (the shape of benches/exchange.rs).

use grantwire_bench::exchange::{oauth2_exchange, CannedExchange, SCOPE, TOKEN_URL};
use grantwire_bench::exchange::{CLIENT_ID as EX_CLIENT_ID, CLIENT_SECRET as EX_CLIENT_SECRET};

/// The canned exchange of `benches/exchange.rs`, with the steps this table times.
struct Exchange(CannedExchange);

impl std::ops::Deref for Exchange {
    type Target = CannedExchange;

    fn deref(&self) -> &CannedExchange {
        &self.0
    }
}

impl Exchange {
    fn new() -> Self {
        Self(CannedExchange::new())
    }

    /// The canned transport both sides call: takes the request, answers a copy of the canned
    /// response.
    fn transport(&self, request: http::Request<Vec<u8>>) -> http::Response<Vec<u8>> {
        black_box(request);
        self.response.clone()
    }

    /// grantwire's token request at `now` (OS randomness in the context, as a service has).
    fn grantwire_request(&self, now: SystemTime) -> http::Request<Vec<u8>> {
        let mut e = os_random;
        let mut ctx = grantwire::Context::new(now, &mut e);
        self.grant
            .to_request(&self.client, &mut ctx)
            .expect("grantwire request")
            .into_http()
    }

    /// grantwire's exchange at `now`: through [`Exchange::transport`] if `transport`, else the
    /// request is dropped and the canned response parsed in place (as `exchange.rs` measures).
    fn grantwire(&self, now: SystemTime, transport: bool) -> grantwire::TokenResponse {
        let request = self.grantwire_request(now);
        let token = if transport {
            let response = self.transport(request);
            grantwire::TokenResponse::parse(&response, now)
        } else {
            black_box(request);
            grantwire::TokenResponse::parse(&self.response, now)
        };
        token.expect("grantwire parse")
    }

    fn oauth2(
        &self,
        transport: &impl Fn(oauth2::HttpRequest) -> Result<oauth2::HttpResponse, Infallible>,
    ) -> oauth2::basic::BasicTokenResponse {
        oauth2_exchange(&self.oauth2, transport)
    }

    fn check_request(&self, request: &http::Request<Vec<u8>>) {
        let basic = base64::engine::general_purpose::STANDARD
            .encode(format!("{EX_CLIENT_ID}:{EX_CLIENT_SECRET}"));
        assert_eq!(request.uri(), TOKEN_URL);
        assert_eq!(
            request.headers()[http::header::AUTHORIZATION],
            format!("Basic {basic}").as_str()
        );
        assert_eq!(
            request.body().as_slice(),
            b"grant_type=client_credentials&scope=read%20write"
        );
    }

    fn check_token(&self, token: &grantwire::TokenResponse) {
        assert_eq!(token.access_token().secret(), self.token);
        assert_eq!(token.expires_in(), Some(Duration::from_secs(3600)));
        assert_eq!(token.scope().map(grantwire::Scope::as_str), Some(SCOPE));
    }
}

/// What the plain serde_json parse keeps of a token response.
#[derive(serde::Deserialize)]
struct PlainToken {
    access_token: String,
    token_type: String,
    expires_in: Option<u64>,
    scope: Option<String>,
}

fn exchange_group(x: &Rc<Exchange>) -> Group {
    // Check every path once.
    x.check_request(&x.grantwire_request(SystemTime::now()));
    x.check_token(&x.grantwire(SystemTime::now(), true));
    x.check_token(&x.grantwire(SystemTime::now(), false));
    let o = x.oauth2(&|request| Ok(x.transport(request)));
    assert_eq!(oauth2::TokenResponse::access_token(&o).secret(), &x.token);
    assert_eq!(
        oauth2::TokenResponse::expires_in(&o),
        Some(Duration::from_secs(3600))
    );

    let gw = {
        let x = Rc::clone(x);
        move || {
            black_box(x.grantwire(SystemTime::now(), true));
        }
    };
    let gw_in_place = {
        let x = Rc::clone(x);
        move || {
            black_box(x.grantwire(SystemTime::now(), false));
        }
    };
    let o2 = {
        let x = Rc::clone(x);
        move || {
            // What a service keeps to know when the token expires.
            black_box(SystemTime::now());
            black_box(x.oauth2(&|request| Ok(x.transport(request))));
        }
    };
    Group {
        title: "client-credentials exchange, client_secret_basic, 800-char token".into(),
        rows: vec![
            Row {
                label: "grantwire, transport returns a clone".into(),
                kind: Kind::Ours(None),
                reads: "clock",
                run: Box::new(gw),
            },
            Row {
                label: "grantwire, response parsed in place".into(),
                kind: Kind::Ours(None),
                reads: "clock",
                run: Box::new(gw_in_place),
            },
            Row {
                label: "oauth2 5, transport returns a clone".into(),
                kind: Kind::Peer,
                reads: "clock",
                run: Box::new(o2),
            },
        ],
    }
}

fn parse_group(x: &Rc<Exchange>) -> Group {
    let gw = grantwire::TokenResponse::parse(&x.response, SystemTime::now()).expect("parse");
    assert_eq!(gw.access_token().secret(), x.token);
    assert_eq!(gw.token_type(), grantwire::TokenType::Bearer);
    assert_eq!(gw.expires_in(), Some(Duration::from_secs(3600)));
    assert_eq!(gw.scope().map(grantwire::Scope::as_str), Some(SCOPE));
    let plain: PlainToken = serde_json::from_slice(x.response.body()).expect("serde_json");
    assert_eq!(plain.access_token, x.token);
    assert_eq!(plain.token_type, "Bearer");
    assert_eq!(plain.expires_in, Some(3600));
    assert_eq!(plain.scope.as_deref(), Some(SCOPE));

    let ours = {
        let x = Rc::clone(x);
        move || {
            let now = SystemTime::now();
            black_box(grantwire::TokenResponse::parse(&x.response, now).expect("parse"));
        }
    };
    let floor = {
        let x = Rc::clone(x);
        move || {
            black_box(SystemTime::now());
            let t: PlainToken = serde_json::from_slice(x.response.body()).expect("serde_json");
            black_box(t);
        }
    };
    Group {
        title: "token response parse alone (same body)".into(),
        rows: vec![
            Row {
                label: "grantwire TokenResponse::parse".into(),
                kind: Kind::Ours(None),
                reads: "clock",
                run: Box::new(ours),
            },
            Row {
                label: "serde_json::from_slice, 4-field struct".into(),
                kind: Kind::Floor(Vec::new()),
                reads: "clock",
                run: Box::new(floor),
            },
        ],
    }
}

// ---------------------------------------------------------------------------------------------
// Timing and the table.

/// Times the rows of `group` in interleaved rounds (see the module docs).
fn measure(group: &mut Group) -> Vec<Stats> {
    let n = group.rows.len();
    let rounds = rounds(n);
    // Warm up and size each row's batch to about `BATCH`.
    let batches: Vec<u32> = group
        .rows
        .iter_mut()
        .map(|row| {
            (row.run)();
            let start = Instant::now();
            let mut calls = 0u32;
            while start.elapsed() < BATCH / 4 {
                (row.run)();
                calls += 1;
            }
            let per_call = start.elapsed() / calls;
            (BATCH.as_nanos() / per_call.as_nanos().max(1)).clamp(1, 1_000_000) as u32
        })
        .collect();
    let mut times = vec![Vec::with_capacity(rounds); n];
    for round in 0..rounds {
        for k in 0..n {
            let i = (k + round) % n;
            let run = &mut group.rows[i].run;
            let start = Instant::now();
            for _ in 0..batches[i] {
                run();
            }
            times[i].push(start.elapsed() / batches[i]);
        }
    }
    times
        .into_iter()
        .map(|mut t| {
            t.sort_unstable();
            Stats {
                q1: t[t.len() / 4],
                median: t[t.len() / 2],
            }
        })
        .collect()
}

fn fmt_time(d: Duration) -> String {
    let ns = d.as_secs_f64() * 1e9;
    if ns >= 10_000.0 {
        format!("{:.1} µs", ns / 1000.0)
    } else {
        format!("{ns:.0} ns")
    }
}

fn ratio(a: Duration, b: Option<Duration>) -> String {
    b.map_or_else(
        || "-".into(),
        |b| format!("{:.2}", a.as_secs_f64() / b.as_secs_f64()),
    )
}

fn print_table(groups: &[Group], stats: &[Vec<Stats>]) {
    println!();
    println!(
        "One-run table (issue 12): time per call over interleaved rounds (how many: after each \
         group's title), first quartile (q1, the ratio basis) and median; ratios are \
         grantwire's q1 / the other row's q1 (below 1: grantwire faster)."
    );
    println!(
        "{:<42} {:>10} {:>10} {:>13} {:>7} {:>7} {:>7}",
        "row", "q1", "median", "reads", "/peer", "/floor", "/minfl"
    );
    for (group, stats) in groups.iter().zip(stats) {
        println!("-- {} [{} rounds]", group.title, rounds(group.rows.len()));
        let fastest = |want: &dyn Fn(&Kind) -> bool| {
            group
                .rows
                .iter()
                .zip(stats)
                .filter(|(r, _)| want(&r.kind))
                .map(|(_, s)| s.q1)
                .min()
        };
        let peer = fastest(&|k| *k == Kind::Peer);
        let min_floor = fastest(&|k| matches!(k, Kind::Floor(_)));
        for (row, s) in group.rows.iter().zip(stats) {
            let (to_peer, to_floor, to_min) = match &row.kind {
                Kind::Ours(backend) => {
                    let floor = fastest(&|k| match k {
                        Kind::Floor(bs) => {
                            bs.is_empty() || backend.is_some_and(|b| bs.contains(&b))
                        }
                        _ => false,
                    });
                    (
                        ratio(s.q1, peer),
                        ratio(s.q1, floor),
                        ratio(s.q1, min_floor),
                    )
                }
                _ => (String::new(), String::new(), String::new()),
            };
            println!(
                "{:<42} {:>10} {:>10} {:>13} {:>7} {:>7} {:>7}",
                row.label,
                fmt_time(s.q1),
                fmt_time(s.median),
                row.reads,
                to_peer,
                to_floor,
                to_min
            );
        }
    }
    println!(
        "/peer: the group's fastest peer row; /floor: the raw row of the same backend (or the \
         plain parse); /minfl: the group's fastest raw row."
    );
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "n/a".into())
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "n/a".into())
}

/// Whether this is `cargo bench` (measure) rather than `cargo test --benches` (checks only).
fn measuring() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test" || a == "--list")
}

fn main() {
    jsonwebtoken::crypto::CryptoProvider::install_default(&SWITCH)
        .expect("no other jsonwebtoken provider installed");
    // Building the groups checks every row once.
    let x = Rc::new(Exchange::new());
    let mut groups: Vec<Group> = [
        Algorithm::ES384,
        Algorithm::RS256,
        Algorithm::PS256,
        Algorithm::HS256,
        Algorithm::ES512,
    ]
    .into_iter()
    .map(assertion_group)
    .collect();
    groups.push(exchange_group(&x));
    groups.push(parse_group(&x));
    let rows: usize = groups.iter().map(|g| g.rows.len()).sum();
    if !measuring() {
        println!("peers: {rows} rows in {} groups checked", groups.len());
        return;
    }
    // `PEERS_ONLY=HS256,exchange`: only the groups whose title contains one of the words.
    if let Ok(only) = std::env::var("PEERS_ONLY") {
        let words: Vec<&str> = only.split(',').filter(|w| !w.is_empty()).collect();
        groups.retain(|g| words.iter().any(|w| g.title.contains(w)));
    }
    let load_before = load_average();
    let started = Instant::now();
    let mut stats = Vec::new();
    for group in &mut groups {
        eprintln!("peers: measuring {}", group.title);
        stats.push(measure(group));
    }
    print_table(&groups, &stats);
    println!(
        "machine: {} cores, {}; load average {} before, {} after; {:.0} s of timing",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu_model(),
        load_before,
        load_average(),
        started.elapsed().as_secs_f64()
    );
}
