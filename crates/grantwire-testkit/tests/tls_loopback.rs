//! The TLS listener over real handshakes with a rustls client: both RFC 8705 methods accepted
//! with the right certificate, rejected with a wrong one, without one, and with a certificate
//! whose key the client does not hold (no proof of possession: the handshake fails).
#![cfg(feature = "tls")]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use grantwire_testkit::{
    AuthFailureCause, AuthServer, ClientAuthConfig, ClientConfig, ClientIdentity, ClientRegistry,
    EndpointKind, GrantType, LoopbackServer, ServerConfig, TestPki, TlsListener,
};
use rustls::client::ResolvesClientCert;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::sign::CertifiedKey;
use rustls::{RootCertStore, SignatureScheme, SupportedProtocolVersion};

struct Fixture {
    pki: TestPki,
    pki_client: ClientIdentity,
    self_signed: ClientIdentity,
    loopback: LoopbackServer,
    tls: TlsListener,
}

fn fixture() -> Fixture {
    let pki = TestPki::generate().unwrap();
    let pki_client = pki.issue_client_certificate("tls-client").unwrap();
    let self_signed = ClientIdentity::self_signed("self-signed-client").unwrap();
    let registry = ClientRegistry::new()
        .with(
            ClientConfig::new(
                "tls",
                ClientAuthConfig::TlsClientAuth {
                    subject_dn: pki_client.subject_dn().to_owned(),
                },
            )
            .grant(GrantType::ClientCredentials),
        )
        .with(
            ClientConfig::new(
                "self",
                ClientAuthConfig::SelfSignedTlsClientAuth {
                    certificates: vec![self_signed.certificate_der().to_vec()],
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
    Fixture {
        pki,
        pki_client,
        self_signed,
        loopback,
        tls,
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn key_der(identity: &ClientIdentity) -> PrivateKeyDer<'static> {
    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        identity.private_key_der().to_vec(),
    ))
}

/// Presents `cert` but signs the handshake with `key`: a client that copied a certificate
/// without its private key.
#[derive(Debug)]
struct Resolver(Arc<CertifiedKey>);

impl ResolvesClientCert for Resolver {
    fn resolve(&self, _: &[&[u8]], _: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        Some(Arc::clone(&self.0))
    }
    fn has_certs(&self) -> bool {
        true
    }
}

/// The certificate to present and the identity whose key signs the handshake.
type Presented<'a> = Option<(&'a ClientIdentity, &'a ClientIdentity)>;

/// POSTs a client_credentials request for `client_id` over TLS; the status and body, or the
/// I/O error of a failed handshake.
fn token(
    f: &Fixture,
    presented: Presented<'_>,
    client_id: &str,
    versions: &[&'static SupportedProtocolVersion],
) -> std::io::Result<(u16, String)> {
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from(f.pki.ca_certificate_der().to_vec()))
        .unwrap();
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots);
    let config = match presented {
        None => builder.with_no_client_auth(),
        Some((cert, signer)) => {
            let key = provider()
                .key_provider
                .load_private_key(key_der(signer))
                .unwrap();
            let certified = CertifiedKey::new(
                vec![CertificateDer::from(cert.certificate_der().to_vec())],
                key,
            );
            builder.with_client_cert_resolver(Arc::new(Resolver(Arc::new(certified))))
        }
    };
    let name = ServerName::try_from("127.0.0.1").unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let tcp = TcpStream::connect(f.tls.addr())?;
    let mut stream = rustls::StreamOwned::new(conn, tcp);
    let body = format!("grant_type=client_credentials&client_id={client_id}");
    write!(
        stream,
        "POST /token HTTP/1.1\r\nhost: {}\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: {}\r\n\r\n{body}",
        f.tls.addr(),
        body.len()
    )?;
    stream.flush()?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status line"))?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

const TLS13: &[&SupportedProtocolVersion] = &[&rustls::version::TLS13];
const TLS12: &[&SupportedProtocolVersion] = &[&rustls::version::TLS12];

fn last_cause(f: &Fixture) -> Option<AuthFailureCause> {
    f.loopback
        .lock()
        .auth_events()
        .next()
        .and_then(|e| e.cause.clone())
}

#[test]
fn both_methods_succeed_with_the_right_certificate_over_tls_1_3_and_1_2() {
    let f = fixture();
    for versions in [TLS13, TLS12] {
        let c = &f.pki_client;
        let (status, body) = token(&f, Some((c, c)), "tls", versions).unwrap();
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("access_token"));
        let s = &f.self_signed;
        let (status, body) = token(&f, Some((s, s)), "self", versions).unwrap();
        assert_eq!(status, 200, "{body}");
    }
    assert_eq!(f.loopback.lock().counters().client("tls"), 2);
    assert_eq!(f.loopback.lock().counters().client("self"), 2);
}

#[test]
fn wrong_or_untrusted_certificates_are_invalid_client() {
    let f = fixture();
    // The self-signed certificate is not the registered subject's CA-issued one.
    let s = &f.self_signed;
    let (status, body) = token(&f, Some((s, s)), "tls", TLS13).unwrap();
    assert_eq!(status, 400);
    assert!(body.contains("invalid_client"), "{body}");
    assert_eq!(last_cause(&f), Some(AuthFailureCause::CertificateUntrusted));

    // Self-signed with the very subject tls_client_auth registered: the chain decides.
    let forged = ClientIdentity::self_signed("tls-client").unwrap();
    assert_eq!(forged.subject_dn(), f.pki_client.subject_dn());
    let (status, _) = token(&f, Some((&forged, &forged)), "tls", TLS13).unwrap();
    assert_eq!(status, 400);
    assert_eq!(last_cause(&f), Some(AuthFailureCause::CertificateUntrusted));

    // A CA-issued certificate with another subject.
    let other = f.pki.issue_client_certificate("someone-else").unwrap();
    let (status, _) = token(&f, Some((&other, &other)), "tls", TLS13).unwrap();
    assert_eq!(status, 400);
    assert_eq!(last_cause(&f), Some(AuthFailureCause::CertificateMismatch));

    // Another self-signed certificate than the registered one.
    let (status, _) = token(&f, Some((&forged, &forged)), "self", TLS13).unwrap();
    assert_eq!(status, 400);
    assert_eq!(last_cause(&f), Some(AuthFailureCause::CertificateMismatch));
}

#[test]
fn no_certificate_reaches_the_server_and_is_invalid_client() {
    let f = fixture();
    for id in ["tls", "self"] {
        let (status, body) = token(&f, None, id, TLS13).unwrap();
        assert_eq!(status, 400);
        assert!(body.contains("invalid_client"), "{body}");
        assert_eq!(last_cause(&f), Some(AuthFailureCause::CertificateMissing));
    }
}

#[test]
fn a_certificate_without_its_key_fails_the_handshake() {
    let f = fixture();
    let impostor = ClientIdentity::self_signed("impostor").unwrap();
    for versions in [TLS13, TLS12] {
        // The registered certificates, with a handshake signed by another key.
        for (cert, id) in [(&f.self_signed, "self"), (&f.pki_client, "tls")] {
            let outcome = token(&f, Some((cert, &impostor)), id, versions);
            assert!(outcome.is_err(), "{id}: {outcome:?}");
        }
    }
    // Nothing reached the server: no request, no authentication event.
    assert_eq!(
        f.loopback.lock().counters().endpoint(EndpointKind::Token),
        0
    );
    assert_eq!(f.loopback.lock().auth_events().count(), 0);
    // The same certificates with their own keys go through.
    let s = &f.self_signed;
    assert_eq!(token(&f, Some((s, s)), "self", TLS13).unwrap().0, 200);
}

#[test]
fn only_loopback_and_stop_ends_the_accept_loop() {
    let f = fixture();
    assert!(f.tls.addr().ip().is_loopback());
    let addr = f.tls.addr();
    f.tls.stop();
    // The port is closed or no longer answers a handshake.
    let after = TcpStream::connect(addr).and_then(|mut s| {
        s.set_read_timeout(Some(std::time::Duration::from_secs(2)))?;
        s.write_all(b"\x16\x03\x01\x00\x00")?;
        let mut b = [0u8; 1];
        s.read(&mut b)
    });
    assert!(matches!(after, Err(_) | Ok(0)), "{after:?}");
}
