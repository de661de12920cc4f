//! A request body is allocated once: building it never reallocates (a `realloc` frees the old
//! buffer with the credentials still in it), and with the built-in client-authentication
//! methods its capacity is exactly its length.
//!
//! One test in its own binary: the counting allocator is process-wide.

use std::alloc::System;
use std::time::UNIX_EPOCH;

use grantwire::{
    AuthorizationCodeGrant, AuthorizationServer, Client, ClientAuthentication, ClientCredentials,
    ClientId, ClientSecret, ClientSecretBasic, ClientSecretPost, Context, Endpoint,
    IntrospectionRequest, JwtBearer, NoneAuth, PkceVerifier, RefreshGrant, RefreshToken,
    RevocationRequest, Scope, SecretString, SelfSignedTlsClientAuth, TlsClientAuth, TokenExchange,
    Unauthenticated,
};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

#[test]
fn request_bodies_are_written_without_reallocation() {
    // Values long enough that a 256-byte starting buffer would have to grow.
    let long = "x".repeat(400);
    let secret = "s/e c+r%e&t".repeat(20);
    let other = Endpoint::parse("https://as.example/introspect").unwrap();
    let server = AuthorizationServer::new(Endpoint::parse("https://as.example/token").unwrap())
        .with_introspection_endpoint(other.clone())
        .with_revocation_endpoint(other);
    let auths: Vec<Box<dyn ClientAuthentication>> = vec![
        Box::new(NoneAuth::new(ClientId::new("c l"))),
        Box::new(ClientSecretBasic::new(
            ClientId::new("c"),
            ClientSecret::new(secret.as_str()),
        )),
        Box::new(ClientSecretPost::new(
            ClientId::new("c l+i/ent"),
            ClientSecret::new(secret.as_str()),
        )),
        Box::new(TlsClientAuth::new(ClientId::new("c"))),
        Box::new(SelfSignedTlsClientAuth::new(ClientId::new("c"))),
        Box::new(Unauthenticated),
    ];
    let cc = ClientCredentials::new()
        .scope(Scope::parse("read write").unwrap())
        .audience(format!("https://api.example/{long}"))
        .resource("https://api.example/a")
        .resource("https://api.example/b")
        .extra("tenant", "t 1");
    let refresh = RefreshGrant::new(RefreshToken::new(long.as_str()));
    let code = AuthorizationCodeGrant::new(SecretString::new(long.as_str()))
        .redirect_uri("https://app.example/cb")
        .pkce_verifier(PkceVerifier::new("v".repeat(128)).unwrap());
    let bearer = JwtBearer::new(SecretString::new(long.as_str()));
    let exchange = TokenExchange::new(SecretString::new(long.as_str()), "urn:t")
        .actor_token(SecretString::new(secret.as_str()), "urn:a")
        .audience("a1")
        .audience("a 2");
    let introspect = IntrospectionRequest::new(SecretString::new(long.as_str()));
    let revoke = RevocationRequest::new(SecretString::new(long.as_str()));
    let mut checked = 0;
    for auth in auths {
        let client = Client::from_arcs(server.clone().into(), auth.into()).unwrap();
        let auth = &client;
        let builds: [&dyn Fn(&mut Context<'_>) -> grantwire::SecretRequest; 7] = [
            &|c| cc.to_request(auth, c).unwrap(),
            &|c| refresh.to_request(auth, c).unwrap(),
            &|c| code.to_request(auth, c).unwrap(),
            &|c| bearer.to_request(auth, c).unwrap(),
            &|c| exchange.to_request(auth, c).unwrap(),
            &|c| introspect.to_request(auth, c).unwrap(),
            &|c| revoke.to_request(auth, c).unwrap(),
        ];
        for (i, build) in builds.iter().enumerate() {
            let mut rng = |b: &mut [u8]| b.fill(1);
            let mut ctx = Context::new(UNIX_EPOCH, &mut rng);
            let region = Region::new(GLOBAL);
            let req = build(&mut ctx);
            let stats = region.change();
            assert_eq!(
                stats.reallocations,
                0,
                "build {i} with {:?}: {} reallocation(s) while building a {}-byte body",
                auth.method(),
                stats.reallocations,
                req.body().len()
            );
            assert!(req.body().len() > 256, "the body must outgrow 256 bytes");
            let (_, body) = req.into_parts();
            assert_eq!(
                body.capacity(),
                body.len(),
                "build {i} with {:?}: not sized exactly",
                auth.method()
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 42);
}
