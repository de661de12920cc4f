//! Mutual TLS through the adapter against the testkit's TLS listener: the CA added as the only
//! trust anchor, and a client certificate for `tls_client_auth` (RFC 8705 §2.1).

use std::time::SystemTime;

use grantwire::{
    AuthorizationServer, Client, ClientCredentials, ClientId, Context, Endpoint, TlsClientAuth,
    TokenResponse,
};
use grantwire_testkit::{
    AuthServer, ClientAuthConfig, ClientConfig, ClientRegistry, GrantType, LoopbackServer,
    ServerConfig, TestPki,
};
use grantwire_ureq::{Transport, TransportOptions};

#[test]
fn tls_client_auth_through_the_adapter_needs_the_ca_and_the_certificate() {
    let pki = TestPki::generate().unwrap();
    let identity = pki.issue_client_certificate("ureq-client").unwrap();
    let registry = ClientRegistry::new().with(
        ClientConfig::new(
            "svc",
            ClientAuthConfig::TlsClientAuth {
                subject_dn: identity.subject_dn().to_owned(),
            },
        )
        .grant(GrantType::ClientCredentials),
    );
    let server = AuthServer::new(
        ServerConfig::new("https://placeholder.example").unwrap(),
        registry,
    );
    let loopback = LoopbackServer::start(server).unwrap();
    let tls = loopback.start_tls(&pki).unwrap();
    let endpoint = Endpoint::parse(&tls.token_endpoint()).unwrap();
    let client = Client::new(
        AuthorizationServer::new(endpoint),
        TlsClientAuth::new(ClientId::new("svc")),
    )
    .unwrap();
    let request = || {
        let mut entropy = |b: &mut [u8]| b.fill(1);
        ClientCredentials::new()
            .to_request(&client, &mut Context::new(SystemTime::now(), &mut entropy))
            .unwrap()
    };
    let cert = identity.certificate_pem().as_bytes();
    let key = identity.private_key_pem().as_bytes();

    // The WebPKI roots do not know the testkit CA: the handshake fails.
    let untrusting =
        Transport::with_client_certificate(TransportOptions::default(), cert, key).unwrap();
    assert!(untrusting.send(request()).is_err());

    let options = TransportOptions::default()
        .root_certificates_pem(pki.ca_certificate_pem().as_bytes())
        .unwrap();
    assert_eq!(
        options.root_certificates,
        vec![pki.ca_certificate_der().to_vec()]
    );
    let response = Transport::with_client_certificate(options.clone(), cert, key)
        .unwrap()
        .send(request())
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(TokenResponse::parse(&response, SystemTime::now()).is_ok());

    // Without the certificate the server answers invalid_client.
    let response = Transport::with_options(options).send(request()).unwrap();
    assert_eq!(response.status(), 400);
    assert!(String::from_utf8_lossy(response.body()).contains("invalid_client"));

    // Not PEM: a typed error that does not quote the input.
    let e = TransportOptions::default()
        .root_certificates_pem(b"secret-ish text")
        .unwrap_err();
    assert!(!e.to_string().contains("secret"));
    assert!(Transport::with_client_certificate(TransportOptions::default(), cert, cert).is_err());
    // Another certificate's key: refused here (ureq would panic at the first connection).
    let other = TestPki::generate()
        .unwrap()
        .issue_client_certificate("x")
        .unwrap();
    let e = Transport::with_client_certificate(
        TransportOptions::default(),
        cert,
        other.private_key_pem().as_bytes(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("belongs to the certificate"), "{e}");
}
