//! The testkit's certificates, generated when asked (rcgen, ECDSA P-256 keys from ring): a CA,
//! the server certificate for `127.0.0.1` it issues, and client certificates, PKI-issued for
//! `tls_client_auth` (RFC 8705 §2.1) or self-signed for `self_signed_tls_client_auth` (§2.2).

use std::fmt;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
};
use zeroize::Zeroizing;

use crate::Error;

/// The organisation every testkit certificate names.
const ORG: &str = "grantwire testkit";

fn failed(_: rcgen::Error) -> Error {
    Error::Tls {
        reason: "certificate generation failed",
    }
}

/// `O=grantwire testkit, CN=<cn>` in DER order, so its RFC 4514 string is
/// `CN=<cn>,O=grantwire testkit`.
fn name(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, ORG);
    dn.push(DnType::CommonName, common_name);
    dn
}

fn client_params(common_name: &str) -> Result<CertificateParams, Error> {
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(failed)?;
    params.distinguished_name = name(common_name);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    Ok(params)
}

/// A certificate authority for tests, with the server certificate it issued for
/// `127.0.0.1` and `localhost`. Clients trust [`TestPki::ca_certificate_pem`]; the server trusts
/// the same CA for `tls_client_auth` client certificates
/// ([`TestPki::issue_client_certificate`]).
///
/// ```
/// # fn main() -> Result<(), grantwire_testkit::Error> {
/// let pki = grantwire_testkit::TestPki::generate()?;
/// assert!(pki.ca_certificate_pem().starts_with("-----BEGIN CERTIFICATE-----"));
/// let client = pki.issue_client_certificate("svc")?;
/// assert_eq!(client.subject_dn(), "CN=svc,O=grantwire testkit");
/// # Ok(()) }
/// ```
pub struct TestPki {
    ca: CertifiedIssuer<'static, KeyPair>,
    server: ClientIdentity,
}

impl fmt::Debug for TestPki {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestPki").finish_non_exhaustive()
    }
}

impl TestPki {
    /// A new CA (`CN=grantwire testkit CA`) and a server certificate for `127.0.0.1` and
    /// `localhost`, each with a fresh P-256 key. Valid from 1975 to 4096, so no test ever
    /// meets an expired one.
    pub fn generate() -> Result<Self, Error> {
        let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(failed)?;
        ca.distinguished_name = name("grantwire testkit CA");
        ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().map_err(failed)?)
            .map_err(failed)?;
        let mut server =
            CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
                .map_err(failed)?;
        server.distinguished_name = name("127.0.0.1");
        server.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let server = ClientIdentity::issue(&server, &ca)?;
        Ok(Self { ca, server })
    }

    /// The CA certificate, PEM: what clients add as their trust anchor.
    pub fn ca_certificate_pem(&self) -> String {
        self.ca.pem()
    }

    /// The CA certificate, DER.
    pub fn ca_certificate_der(&self) -> &[u8] {
        self.ca.der()
    }

    /// A client certificate the CA issues, subject `CN=<common_name>,O=grantwire testkit`
    /// (register that string as the `tls_client_auth` subject DN), with its own new key.
    pub fn issue_client_certificate(&self, common_name: &str) -> Result<ClientIdentity, Error> {
        ClientIdentity::issue(&client_params(common_name)?, &self.ca)
    }

    /// The server's certificate and key.
    pub(crate) fn server(&self) -> &ClientIdentity {
        &self.server
    }
}

/// A certificate with its private key: a client's (or the server's) TLS identity. The key is
/// wiped on drop and never shown by `Debug`.
#[derive(Clone)]
pub struct ClientIdentity {
    der: Vec<u8>,
    pem: String,
    key_pem: Zeroizing<String>,
    key_der: Zeroizing<Vec<u8>>,
    subject_dn: String,
}

impl fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientIdentity")
            .field("subject_dn", &self.subject_dn)
            .field("private_key", &"[redacted]")
            .finish()
    }
}

impl ClientIdentity {
    /// A self-signed client certificate (`CN=<common_name>,O=grantwire testkit`) with a new
    /// key, for `self_signed_tls_client_auth` (RFC 8705 §2.2): register
    /// [`ClientIdentity::certificate_der`].
    pub fn self_signed(common_name: &str) -> Result<Self, Error> {
        let key = KeyPair::generate().map_err(failed)?;
        let cert = client_params(common_name)?
            .self_signed(&key)
            .map_err(failed)?;
        Ok(Self::from_parts(cert.der().to_vec(), cert.pem(), &key))
    }

    fn issue(
        params: &CertificateParams,
        ca: &CertifiedIssuer<'static, KeyPair>,
    ) -> Result<Self, Error> {
        let key = KeyPair::generate().map_err(failed)?;
        let cert = params.signed_by(&key, ca).map_err(failed)?;
        Ok(Self::from_parts(cert.der().to_vec(), cert.pem(), &key))
    }

    fn from_parts(der: Vec<u8>, pem: String, key: &KeyPair) -> Self {
        let subject_dn = super::subject::subject_dn(&der).unwrap_or_default();
        Self {
            der,
            pem,
            key_pem: Zeroizing::new(key.serialize_pem()),
            key_der: Zeroizing::new(key.serialize_der()),
            subject_dn,
        }
    }

    /// The certificate, DER.
    pub fn certificate_der(&self) -> &[u8] {
        &self.der
    }

    /// The certificate, PEM (for `grantwire --cert FILE`).
    pub fn certificate_pem(&self) -> &str {
        &self.pem
    }

    /// The private key, PKCS#8 PEM (for `grantwire --cert-key FILE`).
    pub fn private_key_pem(&self) -> &str {
        &self.key_pem
    }

    /// The private key, PKCS#8 DER.
    pub fn private_key_der(&self) -> &[u8] {
        &self.key_der
    }

    /// The certificate's subject DN as an RFC 4514 string, as the server reads it.
    pub fn subject_dn(&self) -> &str {
        &self.subject_dn
    }
}
