//! A minimal, strict DER reader and writer for the few key structures we accept:
//! PKCS#8 `PrivateKeyInfo` (RFC 5208 §5), PKCS#1 `RSAPrivateKey`/`RSAPublicKey` (RFC 8017 A.1),
//! SEC1 `ECPrivateKey` (RFC 5915 §3) and X.509 `SubjectPublicKeyInfo` (RFC 5280 §4.1).
//!
//! Every read is bounds-checked and returns a typed error; nothing recurses on input.

use crate::error::Error;

pub(crate) const TAG_INTEGER: u8 = 0x02;
pub(crate) const TAG_BIT_STRING: u8 = 0x03;
pub(crate) const TAG_OCTET_STRING: u8 = 0x04;
pub(crate) const TAG_NULL: u8 = 0x05;
pub(crate) const TAG_OID: u8 = 0x06;
pub(crate) const TAG_SEQUENCE: u8 = 0x30;

/// 1.2.840.113549.1.1.1
pub(crate) const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
/// 1.2.840.113549.1.1.10 (RSASSA-PSS-restricted keys).
pub(crate) const OID_RSA_PSS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
/// 1.2.840.10045.2.1
pub(crate) const OID_EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
/// 1.2.840.10045.3.1.7
pub(crate) const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// 1.3.132.0.34
pub(crate) const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
/// 1.3.132.0.35
pub(crate) const OID_P521: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x23];
/// 1.3.101.112
pub(crate) const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];

fn bad(reason: &'static str) -> Error {
    Error::KeyFormat { reason }
}

/// A cursor over DER bytes.
#[derive(Clone, Copy)]
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(input: &'a [u8]) -> Self {
        Self { rest: input }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    pub(crate) fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// Reads one TLV and returns (tag, contents).
    pub(crate) fn any(&mut self) -> Result<(u8, &'a [u8]), Error> {
        let (&tag, rest) = self.rest.split_first().ok_or(bad("truncated DER"))?;
        if tag & 0x1f == 0x1f {
            return Err(bad("multi-byte DER tags are not used by key formats"));
        }
        let (&first, mut rest) = rest.split_first().ok_or(bad("truncated DER length"))?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 {
                return Err(bad("unsupported DER length (indefinite or over 4 bytes)"));
            }
            if rest.len() < n {
                return Err(bad("truncated DER length"));
            }
            let mut len = 0usize;
            for &b in &rest[..n] {
                len = (len << 8) | usize::from(b);
            }
            if len < 0x80 || (n > 1 && rest[0] == 0) {
                return Err(bad("non-minimal DER length"));
            }
            rest = &rest[n..];
            len
        };
        if rest.len() < len {
            return Err(bad("DER value runs past the end of the input"));
        }
        let (value, after) = rest.split_at(len);
        self.rest = after;
        Ok((tag, value))
    }

    pub(crate) fn expect(&mut self, tag: u8, what: &'static str) -> Result<&'a [u8], Error> {
        let (t, v) = self.any()?;
        if t != tag {
            return Err(bad(what));
        }
        Ok(v)
    }

    pub(crate) fn sequence(&mut self) -> Result<Reader<'a>, Error> {
        Ok(Reader::new(
            self.expect(TAG_SEQUENCE, "expected a DER SEQUENCE")?,
        ))
    }

    /// A non-negative INTEGER, returned big-endian without leading zeros.
    pub(crate) fn uint(&mut self) -> Result<&'a [u8], Error> {
        let v = self.expect(TAG_INTEGER, "expected a DER INTEGER")?;
        match v {
            [] => Err(bad("empty DER INTEGER")),
            [b, ..] if b & 0x80 != 0 => Err(bad("negative DER INTEGER in a key")),
            [0, rest @ ..] => {
                if rest.first().is_some_and(|b| b & 0x80 == 0) {
                    return Err(bad("non-minimal DER INTEGER"));
                }
                Ok(rest)
            }
            _ => Ok(v),
        }
    }

    /// A small INTEGER (versions).
    pub(crate) fn small_uint(&mut self) -> Result<u32, Error> {
        let v = self.uint()?;
        if v.len() > 4 {
            return Err(bad("DER version number too large"));
        }
        Ok(v.iter().fold(0u32, |a, &b| (a << 8) | u32::from(b)))
    }

    pub(crate) fn finish(&self, what: &'static str) -> Result<(), Error> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(bad(what))
        }
    }
}

/// Strips leading zero bytes of a big-endian unsigned integer.
pub(crate) fn trim_zeros(mut v: &[u8]) -> &[u8] {
    while let [0, rest @ ..] = v {
        v = rest;
    }
    v
}

fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

pub(crate) fn push_tlv(out: &mut Vec<u8>, tag: u8, value: &[u8]) {
    out.push(tag);
    push_len(out, value.len());
    out.extend_from_slice(value);
}

/// Appends an unsigned big-endian integer as a minimal DER INTEGER.
pub(crate) fn push_uint(out: &mut Vec<u8>, v: &[u8]) {
    let v = trim_zeros(v);
    let pad = !matches!(v.first(), Some(b) if b & 0x80 == 0);
    out.push(TAG_INTEGER);
    push_len(out, v.len() + usize::from(pad));
    if pad {
        out.push(0);
    }
    out.extend_from_slice(v);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_round_trip() {
        for v in [&[0u8][..], &[1], &[0x80], &[0, 0, 0x7f, 1], &[0xff; 300]] {
            let mut out = Vec::new();
            push_uint(&mut out, v);
            let mut r = Reader::new(&out);
            let got = r.uint().unwrap();
            let want = trim_zeros(v);
            if want.is_empty() {
                assert!(got.is_empty() || got == [0]);
            } else {
                assert_eq!(got, want);
            }
            assert!(r.is_empty());
        }
    }

    #[test]
    fn rejects_bad_lengths() {
        assert!(Reader::new(&[0x30, 0x81, 0x05, 0, 0, 0, 0, 0])
            .any()
            .is_err());
        assert!(Reader::new(&[0x30, 0x80]).any().is_err());
        assert!(Reader::new(&[0x30, 0x05, 0]).any().is_err());
        assert!(Reader::new(&[0x02, 0x02, 0x00, 0x01]).uint().is_err());
        assert!(Reader::new(&[0x02, 0x01, 0x80]).uint().is_err());
    }
}
