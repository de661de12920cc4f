//! The subject distinguished name of an X.509 certificate as an RFC 4514 string, read with a
//! small bounded DER walk (RFC 5280 §4.1): no recursion, every length checked against what is
//! left, work linear in the certificate's size.

/// A DER element: its tag and contents.
struct Tlv<'a> {
    tag: u8,
    contents: &'a [u8],
}

/// Reads one element from the front of `input`, returning it and the rest. Definite lengths
/// only, at most four length bytes (DER, X.690 §10.1).
fn next(input: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
    let (&tag, rest) = input.split_first()?;
    if tag & 0x1f == 0x1f {
        return None; // high tag numbers never occur in a Name
    }
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let (bytes, after) = rest.split_at(n);
        rest = after;
        bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
    };
    if rest.len() < len {
        return None;
    }
    let (contents, rest) = rest.split_at(len);
    Some((Tlv { tag, contents }, rest))
}

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const OID: u8 = 0x06;

/// The short names of RFC 4514 §3, by OID contents; others are written as dotted OIDs.
fn short_name(oid: &[u8]) -> Option<&'static str> {
    Some(match oid {
        [0x55, 0x04, 0x03] => "CN",
        [0x55, 0x04, 0x06] => "C",
        [0x55, 0x04, 0x07] => "L",
        [0x55, 0x04, 0x08] => "ST",
        [0x55, 0x04, 0x09] => "STREET",
        [0x55, 0x04, 0x0a] => "O",
        [0x55, 0x04, 0x0b] => "OU",
        [0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19] => "DC",
        [0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01] => "UID",
        _ => return None,
    })
}

/// Writes an OID's dotted form (X.690 §8.19).
fn dotted(oid: &[u8], out: &mut String) -> Option<()> {
    let mut arcs = Vec::new();
    let mut value: u64 = 0;
    for &b in oid {
        value = value.checked_mul(128)? | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            arcs.push(value);
            value = 0;
        }
    }
    let (&first, rest) = arcs.split_first()?;
    let (a, b) = match first {
        0..=39 => (0, first),
        40..=79 => (1, first - 40),
        _ => (2, first - 80),
    };
    out.push_str(&format!("{a}.{b}"));
    for arc in rest {
        out.push_str(&format!(".{arc}"));
    }
    Some(())
}

/// Appends an attribute value (RFC 4514 §2.4): a string type as its text with the special
/// characters escaped; anything else as `#` and the hex of its whole DER encoding.
fn value(tlv: &Tlv<'_>, der: &[u8], out: &mut String) {
    // UTF8String, PrintableString, IA5String.
    let text = match tlv.tag {
        0x0c | 0x13 | 0x16 => std::str::from_utf8(tlv.contents).ok(),
        _ => None,
    };
    let Some(text) = text else {
        out.push('#');
        for b in der {
            out.push_str(&format!("{b:02x}"));
        }
        return;
    };
    let last = text.chars().count().saturating_sub(1);
    for (i, c) in text.chars().enumerate() {
        let special = matches!(c, '"' | '+' | ',' | ';' | '<' | '>' | '\\')
            || (i == 0 && matches!(c, ' ' | '#'))
            || (i == last && c == ' ');
        if c == '\0' {
            out.push_str("\\00");
            continue;
        }
        if special {
            out.push('\\');
        }
        out.push(c);
    }
}

/// The subject DN of a DER certificate, as RFC 4514 §2.1 writes it: the RDNs from last to
/// first, joined by `,`, the attributes of a multi-valued RDN joined by `+`. `None` when the
/// certificate is not well-formed DER as far as the subject.
pub(crate) fn subject_dn(certificate: &[u8]) -> Option<String> {
    let (cert, _) = next(certificate).filter(|(t, _)| t.tag == SEQUENCE)?;
    let (tbs, _) = next(cert.contents).filter(|(t, _)| t.tag == SEQUENCE)?;
    let mut rest = tbs.contents;
    // version [0] EXPLICIT (optional), serialNumber, signature, issuer, validity, subject.
    let (first, after) = next(rest)?;
    if first.tag == 0xa0 {
        rest = after;
    }
    for _ in 0..4 {
        rest = next(rest)?.1;
    }
    let (subject, _) = next(rest).filter(|(t, _)| t.tag == SEQUENCE)?;
    let mut rdns = Vec::new();
    let mut left = subject.contents;
    while !left.is_empty() {
        let (rdn, after) = next(left).filter(|(t, _)| t.tag == SET)?;
        left = after;
        let mut rendered = String::new();
        let mut atvs = rdn.contents;
        while !atvs.is_empty() {
            let (atv, after) = next(atvs).filter(|(t, _)| t.tag == SEQUENCE)?;
            atvs = after;
            let (oid, after) = next(atv.contents).filter(|(t, _)| t.tag == OID)?;
            let (val, trailing) = next(after)?;
            if !trailing.is_empty() {
                return None;
            }
            if !rendered.is_empty() {
                rendered.push('+');
            }
            match short_name(oid.contents) {
                Some(name) => rendered.push_str(name),
                None => dotted(oid.contents, &mut rendered)?,
            }
            rendered.push('=');
            value(&val, &after[..after.len() - trailing.len()], &mut rendered);
        }
        rdns.push(rendered);
    }
    rdns.reverse();
    Some(rdns.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(rdns: &[&[(&[u8], u8, &str)]]) -> Vec<u8> {
        fn wrap(tag: u8, body: &[u8]) -> Vec<u8> {
            assert!(body.len() < 128);
            let mut v = vec![tag, body.len() as u8];
            v.extend_from_slice(body);
            v
        }
        let mut seq = Vec::new();
        for rdn in rdns {
            let mut set = Vec::new();
            for (oid, tag, text) in *rdn {
                let mut atv = wrap(OID, oid);
                atv.extend(wrap(*tag, text.as_bytes()));
                set.extend(wrap(SEQUENCE, &atv));
            }
            seq.extend(wrap(SET, &set));
        }
        // A tbsCertificate with placeholder fields before the subject.
        let mut tbs = wrap(0xa0, &[2, 1, 2]);
        tbs.extend(wrap(2, &[1]));
        tbs.extend(wrap(SEQUENCE, &[]));
        tbs.extend(wrap(SEQUENCE, &[]));
        tbs.extend(wrap(SEQUENCE, &[]));
        tbs.extend(wrap(SEQUENCE, &seq));
        wrap(SEQUENCE, &wrap(SEQUENCE, &tbs))
    }

    const CN: &[u8] = &[0x55, 0x04, 0x03];
    const O: &[u8] = &[0x55, 0x04, 0x0a];

    #[test]
    fn rdns_last_first_with_escapes() {
        let der = name(&[&[(O, 0x13, "Example")], &[(CN, 0x0c, "svc, \"one\"")]]);
        assert_eq!(
            subject_dn(&der).as_deref(),
            Some("CN=svc\\, \\\"one\\\",O=Example")
        );
        let multi = name(&[&[(CN, 0x0c, "a"), (O, 0x0c, " b ")]]);
        assert_eq!(subject_dn(&multi).as_deref(), Some("CN=a+O=\\ b\\ "));
    }

    #[test]
    fn unknown_oid_and_non_string_value() {
        let der = name(&[&[(&[0x2a, 0x03], 0x04, "x")]]);
        assert_eq!(subject_dn(&der).as_deref(), Some("1.2.3=#040178"));
    }

    #[test]
    fn truncated_input_is_none_never_a_panic() {
        let der = name(&[&[(CN, 0x0c, "svc")]]);
        for cut in 0..der.len() {
            assert_eq!(subject_dn(&der[..cut]), None, "cut at {cut}");
        }
        assert_eq!(subject_dn(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), None);
    }
}
