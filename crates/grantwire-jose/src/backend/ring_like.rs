//! What the `ring` and `aws-lc-rs` backends share. aws-lc-rs copies ring's API, so one body of
//! code serves both: [`ring_like!`] expands it inside each backend module over that module's
//! library. Each backend writes only where the libraries differ: `modulus_len` (how the RSA
//! key pair reports its size), `ec_signer` and `ec_verify` (ring has no P-521 and wants an RNG
//! to load an ECDSA key; aws-lc-rs signs P-521 itself).

/// Expands the shared half of a ring-like backend: the algorithm tables, the HMAC, RSA, ECDSA
/// and Ed25519 signers, `signer`, `verify` and `ed25519_public`. `$lib` is the library crate
/// (`ring` or `aws_lc_rs`), `$name` the backend name for errors.
macro_rules! ring_like {
    ($lib:ident, $name:literal) => {
        use ::$lib::rand::SystemRandom;
        use ::$lib::signature::{
            self, EcdsaKeyPair, KeyPair as _, RsaKeyPair, RsaPublicKeyComponents, UnparsedPublicKey,
        };
        use ::$lib::{digest, hmac};
        use grantwire::Entropy;

        use super::{JwsSigner, Signature};
        use crate::alg::Algorithm;
        use crate::error::Error;
        use crate::material::{PrivateMaterial, PublicMaterial};

        const NAME: &str = $name;

        fn hmac_alg(alg: Algorithm) -> hmac::Algorithm {
            match alg {
                Algorithm::HS384 => hmac::HMAC_SHA384,
                Algorithm::HS512 => hmac::HMAC_SHA512,
                _ => hmac::HMAC_SHA256,
            }
        }

        fn rsa_encoding(alg: Algorithm) -> &'static dyn signature::RsaEncoding {
            match alg {
                Algorithm::RS256 => &signature::RSA_PKCS1_SHA256,
                Algorithm::RS384 => &signature::RSA_PKCS1_SHA384,
                Algorithm::RS512 => &signature::RSA_PKCS1_SHA512,
                Algorithm::PS256 => &signature::RSA_PSS_SHA256,
                Algorithm::PS384 => &signature::RSA_PSS_SHA384,
                _ => &signature::RSA_PSS_SHA512,
            }
        }

        fn rsa_params(alg: Algorithm) -> &'static signature::RsaParameters {
            match alg {
                Algorithm::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
                Algorithm::RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
                Algorithm::RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
                Algorithm::PS256 => &signature::RSA_PSS_2048_8192_SHA256,
                Algorithm::PS384 => &signature::RSA_PSS_2048_8192_SHA384,
                _ => &signature::RSA_PSS_2048_8192_SHA512,
            }
        }

        struct HmacSigner {
            alg: Algorithm,
            key: hmac::Key,
        }

        impl JwsSigner for HmacSigner {
            fn algorithm(&self) -> Algorithm {
                self.alg
            }
            fn sign(&self, input: &[u8], _: &mut dyn Entropy) -> Result<Signature, Error> {
                Ok(Signature::from_slice(hmac::sign(&self.key, input).as_ref()))
            }
        }

        /// The HMAC of [`super::PrefixMac`], built on the library's digest (RFC 2104 §2):
        /// `H(K ^ opad || H(K ^ ipad || text))`, with both padded-key blocks absorbed once.
        /// A copy of two digest contexts and two finishes per assertion cost less than the
        /// library's `hmac::Context` (aws-lc-rs copies a C `HMAC_CTX` of three digest states
        /// and resets it after finishing); the tag is byte for byte the library's HMAC (tested
        /// on every backend). The contexts hold key-derived state as the library's own HMAC
        /// key does (aws-lc-rs frees it through AWS-LC, which cleanses freed memory).
        struct DigestHmac {
            inner: digest::Context,
            outer: digest::Context,
        }

        impl super::PrefixMac for DigestHmac {
            fn absorb(&self, prefix: &[u8]) -> Box<dyn super::MacState> {
                let mut inner = self.inner.clone();
                inner.update(prefix);
                Box::new(DigestHmac {
                    inner,
                    outer: self.outer.clone(),
                })
            }
        }

        impl super::MacState for DigestHmac {
            fn extend(&self, more: &[u8]) -> Box<dyn super::MacState> {
                super::PrefixMac::absorb(self, more)
            }

            fn finish(&self, rest: &[u8], more: &[u8], tag: &mut [u8; super::MAX_TAG]) -> usize {
                let mut inner = self.inner.clone();
                inner.update(rest);
                if !more.is_empty() {
                    inner.update(more);
                }
                let mut outer = self.outer.clone();
                outer.update(inner.finish().as_ref());
                super::put_tag(outer.finish().as_ref(), tag)
            }
        }

        pub(crate) fn prefix_mac(alg: Algorithm, secret: &[u8]) -> Box<dyn super::PrefixMac> {
            let hash = match alg {
                Algorithm::HS384 => &digest::SHA384,
                Algorithm::HS512 => &digest::SHA512,
                _ => &digest::SHA256,
            };
            let block = hash.block_len();
            // RFC 2104 §2: a key longer than the block is hashed first; the key is then
            // padded with zeros to the block length.
            let mut key = [0u8; super::MAX_BLOCK];
            if secret.len() > block {
                let hashed = digest::digest(hash, secret);
                key[..hashed.as_ref().len()].copy_from_slice(hashed.as_ref());
            } else {
                key[..secret.len()].copy_from_slice(secret);
            }
            let padded = |byte: u8| {
                let mut ctx = digest::Context::new(hash);
                let mut pad = [0u8; super::MAX_BLOCK];
                for (p, k) in pad.iter_mut().zip(&key) {
                    *p = k ^ byte;
                }
                ctx.update(&pad[..block]);
                zeroize::Zeroize::zeroize(&mut pad[..]);
                ctx
            };
            // RFC 2104 §2: ipad is 0x36 repeated, opad 0x5C repeated.
            let mac = DigestHmac {
                inner: padded(0x36),
                outer: padded(0x5c),
            };
            zeroize::Zeroize::zeroize(&mut key[..]);
            Box::new(mac)
        }

        struct RsaSigner {
            alg: Algorithm,
            pair: RsaKeyPair,
            rng: SystemRandom,
        }

        impl JwsSigner for RsaSigner {
            fn algorithm(&self) -> Algorithm {
                self.alg
            }
            fn sign(&self, input: &[u8], _: &mut dyn Entropy) -> Result<Signature, Error> {
                let mut sig = vec![0u8; modulus_len(&self.pair)];
                self.pair
                    .sign(rsa_encoding(self.alg), &self.rng, input, &mut sig)
                    .map_err(|_| Error::SigningFailed {
                        backend: NAME,
                        reason: "RSA signing failed",
                    })?;
                Ok(Signature::from_vec(sig))
            }
        }

        struct EcdsaSigner {
            alg: Algorithm,
            pair: EcdsaKeyPair,
            rng: SystemRandom,
        }

        impl JwsSigner for EcdsaSigner {
            fn algorithm(&self) -> Algorithm {
                self.alg
            }
            fn sign(&self, input: &[u8], _: &mut dyn Entropy) -> Result<Signature, Error> {
                let sig = self
                    .pair
                    .sign(&self.rng, input)
                    .map_err(|_| Error::SigningFailed {
                        backend: NAME,
                        reason: "ECDSA signing failed",
                    })?;
                Ok(Signature::from_slice(sig.as_ref()))
            }
        }

        struct Ed25519Signer {
            pair: signature::Ed25519KeyPair,
        }

        impl JwsSigner for Ed25519Signer {
            fn algorithm(&self) -> Algorithm {
                Algorithm::EdDSA
            }
            fn sign(&self, input: &[u8], _: &mut dyn Entropy) -> Result<Signature, Error> {
                // RFC 8032 Ed25519 is deterministic: no randomness involved.
                Ok(Signature::from_slice(self.pair.sign(input).as_ref()))
            }
        }

        fn rejected(e: ::$lib::error::KeyRejected) -> Error {
            Error::KeyRejected {
                backend: NAME,
                reason: e.to_string(),
            }
        }

        pub(crate) fn signer(
            alg: Algorithm,
            key: &PrivateMaterial,
        ) -> Result<Box<dyn JwsSigner>, Error> {
            Ok(match key {
                PrivateMaterial::Ed25519(k) => Box::new(Ed25519Signer {
                    pair: signature::Ed25519KeyPair::from_seed_and_public_key(&k.seed, &k.public)
                        .map_err(rejected)?,
                }),
                PrivateMaterial::Oct(secret) => Box::new(HmacSigner {
                    alg,
                    key: hmac::Key::new(hmac_alg(alg), secret),
                }),
                PrivateMaterial::Rsa(rsa) => Box::new(RsaSigner {
                    alg,
                    pair: RsaKeyPair::from_der(&rsa.pkcs1).map_err(rejected)?,
                    rng: SystemRandom::new(),
                }),
                PrivateMaterial::Ec(ec) => ec_signer(alg, ec)?,
            })
        }

        pub(crate) fn verify(
            alg: Algorithm,
            key: &PublicMaterial,
            message: &[u8],
            sig: &[u8],
        ) -> Result<(), Error> {
            let ok = match key {
                PublicMaterial::Ed25519(pk) => UnparsedPublicKey::new(&signature::ED25519, pk)
                    .verify(message, sig)
                    .is_ok(),
                PublicMaterial::Oct(secret) => {
                    hmac::verify(&hmac::Key::new(hmac_alg(alg), secret), message, sig).is_ok()
                }
                PublicMaterial::Rsa { n, e } => RsaPublicKeyComponents { n, e }
                    .verify(rsa_params(alg), message, sig)
                    .is_ok(),
                PublicMaterial::Ec { point, .. } => return ec_verify(alg, point, message, sig),
            };
            if ok {
                Ok(())
            } else {
                Err(Error::BadSignature)
            }
        }

        /// The Ed25519 public key of `seed` (RFC 8032 §5.1.5).
        #[allow(dead_code)] // used from the first compiled-in backend only
        pub(crate) fn ed25519_public(seed: &[u8]) -> Result<Vec<u8>, Error> {
            signature::Ed25519KeyPair::from_seed_unchecked(seed)
                .map(|k| k.public_key().as_ref().to_vec())
                .map_err(|_| Error::KeyFormat {
                    reason: "not an Ed25519 seed",
                })
        }

        /// The verdict of an EC verification that [`UnparsedPublicKey`] gave.
        fn ec_checked(
            a: &'static signature::EcdsaVerificationAlgorithm,
            point: &[u8],
            message: &[u8],
            sig: &[u8],
        ) -> Result<(), Error> {
            UnparsedPublicKey::new(a, point)
                .verify(message, sig)
                .map_err(|_| Error::BadSignature)
        }
    };
}

pub(crate) use ring_like;
