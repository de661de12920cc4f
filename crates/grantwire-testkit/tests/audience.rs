//! Client-assertion audiences (RFC 7523 §3, draft-ietf-oauth-rfc7523bis): the three rules real
//! servers apply, client side (`grantwire_jose::Audience`) against server side
//! (`AssertionPolicy::audience`), at the token, introspection and revocation endpoints.
//!
//! | server demands | token endpoint accepts | introspection / revocation accept |
//! |---|---|---|
//! | issuer | issuer | issuer |
//! | token endpoint URL | token endpoint, called endpoint (the same URL there) | token endpoint |
//! | called endpoint URL | token endpoint, called endpoint (the same URL there) | called endpoint |

mod common;

use common::*;
use grantwire::{
    AssertionAudience, AuthorizationServer, Client, ClientAuthentication, ClientCredentials,
    ClientId, ClientSecret, IntrospectionRequest, RevocationRequest, SecretString,
};
use grantwire_jose::{Algorithm, Audience, ClientSecretJwt, PrivateKey, PrivateKeyJwt, SigningKey};
use grantwire_testkit::{
    AssertionPolicy, AuthServer, ClientAuthConfig, ClientConfig, ClientRegistry, EndpointKind,
    GrantType, ServerConfig,
};
use http::{Response, StatusCode};
use std::sync::Arc;

const HS_SECRET: &str = "a-client-secret-that-is-long-enough-for-hs256-0123456789";

const RULES: [AssertionAudience; 3] = [
    AssertionAudience::Issuer,
    AssertionAudience::TokenEndpoint,
    AssertionAudience::CalledEndpoint,
];

fn es256_key() -> SigningKey {
    let path = format!(
        "{}/tests/fixtures/client-a-es256.private.jwk.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let pk = PrivateKey::from_jwk(&std::fs::read(path).unwrap()).unwrap();
    SigningKey::new(Algorithm::ES256, &pk).unwrap()
}

fn server(demand: AssertionAudience) -> AuthServer {
    server_with(AssertionPolicy::new().audience(demand))
}

fn server_with(policy: AssertionPolicy) -> AuthServer {
    let registry = ClientRegistry::new()
        .with(
            ClientConfig::new(
                "pk",
                ClientAuthConfig::private_key_jwt(es256_key().jwks(), Algorithm::ES256).unwrap(),
            )
            .grant(GrantType::ClientCredentials)
            .scopes(["read"]),
        )
        .with(
            ClientConfig::new(
                "hs",
                ClientAuthConfig::client_secret_jwt(ClientSecret::new(HS_SECRET), Algorithm::HS256)
                    .unwrap(),
            )
            .grant(GrantType::ClientCredentials)
            .scopes(["read"]),
        );
    AuthServer::new(
        ServerConfig::new(ISSUER).unwrap().assertion_policy(policy),
        registry,
    )
}

/// Both JWT methods, naming their audience by `rule`.
fn clients(rule: AssertionAudience) -> [Arc<dyn ClientAuthentication>; 2] {
    let pk = PrivateKeyJwt::new(ClientId::new("pk"), es256_key()).unwrap();
    let hs = ClientSecretJwt::new(
        ClientId::new("hs"),
        &ClientSecret::new(HS_SECRET),
        Algorithm::HS256,
    )
    .unwrap();
    [
        Arc::new(pk.audience(rule.into())),
        Arc::new(hs.audience(rule.into())),
    ]
}

/// Whether a server demanding `demand` accepts a client following `rule` at `at`, written out
/// as the table in the module docs (not computed from the URLs the test sends).
fn expected(demand: AssertionAudience, rule: AssertionAudience, at: EndpointKind) -> bool {
    use AssertionAudience::{CalledEndpoint, TokenEndpoint};
    let urls_coincide = at == EndpointKind::Token
        && matches!(demand, TokenEndpoint | CalledEndpoint)
        && matches!(rule, TokenEndpoint | CalledEndpoint);
    demand == rule || urls_coincide
}

struct Rig {
    server: AuthServer,
    rng: Rng,
    now: u64,
}

impl Rig {
    fn send(&mut self, req: &impl grantwire_testkit::IncomingRequest) -> Response<Vec<u8>> {
        self.now += 1;
        send(&mut self.server, req, self.now, &mut self.rng)
    }

    /// A token request authenticated by `auth`.
    fn token(&mut self, auth: &Arc<dyn ClientAuthentication>) -> Response<Vec<u8>> {
        let client = Client::from_arcs(endpoint(&self.server).into(), auth.clone()).unwrap();
        let req = build(self.now, &mut self.rng, |c| {
            ClientCredentials::new().to_request(&client, c)
        })
        .unwrap();
        self.send(&req)
    }

    /// An introspection or revocation request for `token`, authenticated by `auth`, to the
    /// same server value as the token request: the audience comes from it.
    fn token_op(
        &mut self,
        at: EndpointKind,
        token: &str,
        auth: &Arc<dyn ClientAuthentication>,
    ) -> Response<Vec<u8>> {
        let client = Client::from_arcs(endpoint(&self.server).into(), auth.clone()).unwrap();
        let token = SecretString::new(token);
        let req = build(self.now, &mut self.rng, |c| match at {
            EndpointKind::Introspection => IntrospectionRequest::new(token).to_request(&client, c),
            _ => RevocationRequest::new(token).to_request(&client, c),
        })
        .unwrap();
        self.send(&req)
    }
}

fn access_token(resp: &Response<Vec<u8>>) -> String {
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(resp.body())
    );
    json(resp)["access_token"].as_str().unwrap().to_owned()
}

#[test]
fn every_server_rule_against_every_client_rule_at_every_endpoint() {
    let mut accepted = 0;
    for demand in RULES {
        for rule in RULES {
            for (i, auth) in clients(rule).iter().enumerate() {
                let mut rig = Rig {
                    server: server(demand),
                    rng: Rng(7 + i as u64),
                    now: T0,
                };
                let case = format!("server {demand:?}, client {rule:?}, client #{i}");
                // A token to introspect and revoke, from a client following the server's rule.
                let own = &clients(demand)[i];
                let token = access_token(&rig.token(own));

                let resp = rig.token(auth);
                if expected(demand, rule, EndpointKind::Token) {
                    access_token(&resp);
                    accepted += 1;
                } else {
                    assert_error(&resp, "invalid_client", 400);
                }

                let resp = rig.token_op(EndpointKind::Introspection, &token, auth);
                if expected(demand, rule, EndpointKind::Introspection) {
                    assert_eq!(resp.status(), StatusCode::OK, "{case}");
                    assert_eq!(json(&resp)["active"], true, "{case}");
                    accepted += 1;
                } else {
                    assert_error(&resp, "invalid_client", 400);
                }

                let resp = rig.token_op(EndpointKind::Revocation, &token, auth);
                if expected(demand, rule, EndpointKind::Revocation) {
                    assert_eq!(resp.status(), StatusCode::OK, "{case}");
                    // Revoked: the server's own-rule client now sees it inactive.
                    let after = rig.token_op(EndpointKind::Introspection, &token, own);
                    assert_eq!(json(&after)["active"], false, "{case}");
                    accepted += 1;
                } else {
                    assert_error(&resp, "invalid_client", 400);
                    let after = rig.token_op(EndpointKind::Introspection, &token, own);
                    assert_eq!(json(&after)["active"], true, "{case}");
                }
            }
        }
    }
    // Per method: 3 diagonal cases × 3 endpoints, plus the 2 token-endpoint cases where the
    // token endpoint and the called endpoint are the same URL.
    assert_eq!(accepted, 2 * (9 + 2));
}

#[test]
fn a_server_accepting_several_rules_takes_each() {
    // Authlib: the issuer or the token endpoint URL, at every endpoint.
    let policy = AssertionPolicy::new().also_accept_audience(AssertionAudience::TokenEndpoint);
    let mut rig = Rig {
        server: server_with(policy),
        rng: Rng(5),
        now: T0,
    };
    let [issuer_pk, _] = clients(AssertionAudience::Issuer);
    let token = access_token(&rig.token(&issuer_pk));
    for (rule, ok) in [
        (AssertionAudience::Issuer, true),
        (AssertionAudience::TokenEndpoint, true),
        (AssertionAudience::CalledEndpoint, false),
    ] {
        let [pk, hs] = clients(rule);
        for auth in [pk, hs] {
            let resp = rig.token_op(EndpointKind::Introspection, &token, &auth);
            if ok {
                assert_eq!(resp.status(), StatusCode::OK, "{rule:?}");
            } else {
                assert_error(&resp, "invalid_client", 400);
            }
        }
    }
}

#[test]
fn a_server_value_without_issuer_refuses_the_issuer_rule_when_configured() {
    let mut rig = Rig {
        server: server(AssertionAudience::TokenEndpoint),
        rng: Rng(3),
        now: T0,
    };
    let full = endpoint(&rig.server);
    let no_issuer = AuthorizationServer::new(full.token_endpoint().clone())
        .with_introspection_endpoint(full.introspection_endpoint().unwrap().clone());
    let [pk, _] = clients(AssertionAudience::Issuer);
    let err = Client::from_arcs(no_issuer.clone().into(), pk).unwrap_err();
    assert_eq!(
        err,
        grantwire::Error::AudienceUnavailable {
            audience: AssertionAudience::Issuer
        }
    );
    assert!(err.to_string().contains("issuer"), "{err}");
    // The token-endpoint rule and a fixed audience need no issuer.
    let [pk, _] = clients(AssertionAudience::TokenEndpoint);
    let fixed = PrivateKeyJwt::new(ClientId::new("pk"), es256_key())
        .unwrap()
        .audience(Audience::Fixed(rig.server.token_endpoint()));
    for auth in [pk, Arc::new(fixed) as Arc<dyn ClientAuthentication>] {
        let client = Client::from_arcs(no_issuer.clone().into(), auth).unwrap();
        let req = build(rig.now, &mut rig.rng, |c| {
            IntrospectionRequest::new(SecretString::new("t")).to_request(&client, c)
        })
        .unwrap();
        assert_eq!(rig.send(&req).status(), StatusCode::OK);
    }
}
