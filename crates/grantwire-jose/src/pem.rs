//! PEM decoding (RFC 7468): finds the first block whose label we understand, skipping others
//! (such as the `EC PARAMETERS` block `openssl ecparam` writes before the key).

use base64::Engine as _;
use zeroize::Zeroizing;

use crate::error::Error;

/// The labels this crate reads (RFC 7468 §10, §11, §13; RFC 8017 for the `RSA` ones; RFC 5915).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Label {
    /// PKCS#8 `PrivateKeyInfo`.
    PrivateKey,
    /// PKCS#1 `RSAPrivateKey`.
    RsaPrivateKey,
    /// SEC1 `ECPrivateKey`.
    EcPrivateKey,
    /// X.509 `SubjectPublicKeyInfo`.
    PublicKey,
    /// PKCS#1 `RSAPublicKey`.
    RsaPublicKey,
    /// An X.509 certificate (for `x5t#S256`).
    Certificate,
}

impl Label {
    fn parse(s: &str) -> Result<Option<Label>, Error> {
        Ok(Some(match s {
            "PRIVATE KEY" => Label::PrivateKey,
            "RSA PRIVATE KEY" => Label::RsaPrivateKey,
            "EC PRIVATE KEY" => Label::EcPrivateKey,
            "PUBLIC KEY" => Label::PublicKey,
            "RSA PUBLIC KEY" => Label::RsaPublicKey,
            "CERTIFICATE" => Label::Certificate,
            "ENCRYPTED PRIVATE KEY" => return Err(Error::EncryptedKey),
            _ => return Ok(None),
        }))
    }
}

/// True when the input looks like PEM (after leading whitespace).
pub(crate) fn looks_like_pem(input: &[u8]) -> bool {
    input.trim_ascii_start().starts_with(b"-----BEGIN ")
}

/// Decodes the first PEM block with a known label. Returns the label and the DER bytes.
pub(crate) fn decode(input: &[u8]) -> Result<(Label, Zeroizing<Vec<u8>>), Error> {
    let text = std::str::from_utf8(input).map_err(|_| Error::KeyFormat {
        reason: "PEM input is not UTF-8 text",
    })?;
    let mut rest = text;
    loop {
        let Some(start) = rest.find("-----BEGIN ") else {
            return Err(Error::KeyFormat {
                reason: "no PEM block with a key label (expected PRIVATE KEY, RSA PRIVATE KEY, EC PRIVATE KEY or PUBLIC KEY)",
            });
        };
        let after = &rest[start + "-----BEGIN ".len()..];
        let Some(label_end) = after.find("-----") else {
            return Err(Error::KeyFormat {
                reason: "unterminated PEM BEGIN line",
            });
        };
        let label_text = &after[..label_end];
        let body_start = &after[label_end + 5..];
        let end_marker_pos = body_start.find("-----END ").ok_or(Error::KeyFormat {
            reason: "PEM block without an END line",
        })?;
        let body = &body_start[..end_marker_pos];
        let end_line = &body_start[end_marker_pos + "-----END ".len()..];
        let Some(end_label_len) = end_line.find("-----") else {
            return Err(Error::KeyFormat {
                reason: "unterminated PEM END line",
            });
        };
        if &end_line[..end_label_len] != label_text {
            return Err(Error::KeyFormat {
                reason: "PEM END label differs from the BEGIN label",
            });
        }
        rest = &end_line[end_label_len + 5..];
        let Some(label) = Label::parse(label_text)? else {
            continue;
        };
        if body.contains(':') {
            // RFC 1421 headers (`Proc-Type: 4,ENCRYPTED`) mean a legacy encrypted key.
            return Err(Error::EncryptedKey);
        }
        let mut compact = Zeroizing::new(Vec::with_capacity(body.len()));
        compact.extend(body.bytes().filter(|b| !b.is_ascii_whitespace()));
        let der = base64::engine::general_purpose::STANDARD
            .decode(&*compact)
            .map_err(|_| Error::KeyFormat {
                reason: "the PEM body is not valid base64",
            })?;
        return Ok((label, Zeroizing::new(der)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_unknown_blocks_and_checks_labels() {
        let pem = "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n-----BEGIN EC PRIVATE KEY-----\nAAEC\n-----END EC PRIVATE KEY-----\n";
        let (label, der) = decode(pem.as_bytes()).unwrap();
        assert_eq!(label, Label::EcPrivateKey);
        assert_eq!(&der[..], &[0, 1, 2]);
        assert!(decode(b"-----BEGIN PRIVATE KEY-----\nAAEC\n-----END PUBLIC KEY-----").is_err());
        assert_eq!(
            decode(
                b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAEC\n-----END ENCRYPTED PRIVATE KEY-----"
            )
            .unwrap_err(),
            Error::EncryptedKey
        );
        assert!(decode(b"-----BEGIN PRIVATE KEY-----\n!!\n-----END PRIVATE KEY-----").is_err());
        assert!(decode(b"-----BEGIN PRIVATE KEY").is_err());
    }
}
