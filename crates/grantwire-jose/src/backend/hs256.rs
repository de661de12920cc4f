//! The pure-Rust backend's HS256 prefix MAC ([`super::PrefixMac`]) on `sha2`'s SHA-256
//! compression function: HMAC (RFC 2104 §2) as two chaining values, the inner one past the
//! padded key and the constant prefix, the outer one past the padded key.
//!
//! An assertion's last inner bytes and their padding (FIPS 180-4 §5.1.1) are laid out in one
//! or two blocks on the stack and compressed, then the outer block (the inner hash, padding and
//! the 96-byte length) once: two compressions and a few copies, where the `hmac` crate's
//! wrappers around the same two compressions cost about as much as a third. HS384 and HS512
//! keep the `hmac` crate. The tags are byte for byte the `hmac` crate's (unit test below, and
//! the crate's `hmac_prefix` tests through whole assertions); the chaining values, derived
//! from the key, are wiped when dropped.

use std::slice::from_ref;

use sha2::digest::generic_array::GenericArray;
use sha2::Digest as _;
use zeroize::Zeroize;

use super::{MacState, PrefixMac, MAX_TAG};

/// SHA-256's initial hash value (FIPS 180-4 §5.3.3).
const IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];
/// The SHA-256 block length.
const BLOCK: usize = 64;

/// One SHA-256 compression of each 64-byte block of `blocks`.
fn compress(state: &mut [u32; 8], blocks: &[u8]) {
    for block in blocks.chunks_exact(BLOCK) {
        sha2::compress256(state, from_ref(GenericArray::from_slice(block)));
    }
}

/// HMAC-SHA256 with a constant prefix absorbed.
#[derive(Clone)]
pub(super) struct Hs256 {
    /// The inner chaining value after `blocks` whole blocks (the padded key's first).
    inner: [u32; 8],
    blocks: u64,
    /// The bytes after those blocks.
    pending: [u8; BLOCK],
    filled: usize,
    /// The outer chaining value after the padded key.
    outer: [u32; 8],
}

impl Hs256 {
    /// The MAC of `secret`, nothing absorbed yet.
    pub(super) fn new(secret: &[u8]) -> Self {
        // RFC 2104 §2: a key longer than the block is hashed first, then padded with zeros to
        // the block; ipad is 0x36 repeated, opad 0x5C.
        let mut key = [0u8; BLOCK];
        if secret.len() > BLOCK {
            let mut hashed = sha2::Sha256::digest(secret);
            key[..hashed.len()].copy_from_slice(&hashed);
            hashed.as_mut_slice().zeroize();
        } else {
            key[..secret.len()].copy_from_slice(secret);
        }
        let padded = |byte: u8| {
            let mut block = key.map(|k| k ^ byte);
            let mut state = IV;
            compress(&mut state, &block);
            block.as_mut_slice().zeroize();
            state
        };
        let (inner, outer) = (padded(0x36), padded(0x5c));
        key.as_mut_slice().zeroize();
        Hs256 {
            inner,
            blocks: 1,
            pending: [0; BLOCK],
            filled: 0,
            outer,
        }
    }

    /// A copy that has also absorbed `data`.
    fn absorbed(&self, mut data: &[u8]) -> Self {
        let mut next = self.clone();
        while !data.is_empty() {
            let take = (BLOCK - next.filled).min(data.len());
            next.pending[next.filled..next.filled + take].copy_from_slice(&data[..take]);
            next.filled += take;
            data = &data[take..];
            if next.filled == BLOCK {
                compress(&mut next.inner, &next.pending);
                next.blocks += 1;
                next.filled = 0;
            }
        }
        next
    }
}

impl Drop for Hs256 {
    fn drop(&mut self) {
        self.inner.as_mut_slice().zeroize();
        self.outer.as_mut_slice().zeroize();
        self.pending.as_mut_slice().zeroize();
    }
}

impl PrefixMac for Hs256 {
    fn absorb(&self, prefix: &[u8]) -> Box<dyn MacState> {
        Box::new(self.absorbed(prefix))
    }
}

impl MacState for Hs256 {
    fn extend(&self, more: &[u8]) -> Box<dyn MacState> {
        Box::new(self.absorbed(more))
    }

    fn finish(&self, rest: &[u8], more: &[u8], tag: &mut [u8; MAX_TAG]) -> usize {
        let p = self.filled;
        let n = p + rest.len() + more.len();
        // The 0x80 byte and the 8-byte length must fit in the two blocks laid out below.
        if n + 9 > 2 * BLOCK {
            return self.absorbed(rest).absorbed(more).finish(&[], &[], tag);
        }
        let mut block = [0u8; 2 * BLOCK];
        block[..p].copy_from_slice(&self.pending[..p]);
        block[p..p + rest.len()].copy_from_slice(rest);
        block[p + rest.len()..n].copy_from_slice(more);
        // FIPS 180-4 §5.1.1: a 1 bit, zeros, the message length in bits in the last 8 bytes.
        block[n] = 0x80;
        let end = if n + 9 <= BLOCK { BLOCK } else { 2 * BLOCK };
        let bits = (self.blocks * BLOCK as u64 + n as u64) * 8;
        block[end - 8..end].copy_from_slice(&bits.to_be_bytes());
        let mut inner = self.inner;
        compress(&mut inner, &block[..end]);
        // The outer message: the padded key (absorbed), the 32-byte inner hash, its padding.
        let mut outer_block = [0u8; BLOCK];
        for (bytes, word) in outer_block.chunks_exact_mut(4).zip(&inner) {
            bytes.copy_from_slice(&word.to_be_bytes());
        }
        outer_block[32] = 0x80;
        outer_block[BLOCK - 8..].copy_from_slice(&((BLOCK as u64 + 32) * 8).to_be_bytes());
        let mut outer = self.outer;
        compress(&mut outer, &outer_block);
        for (bytes, word) in tag.chunks_exact_mut(4).zip(&outer) {
            bytes.copy_from_slice(&word.to_be_bytes());
        }
        block.as_mut_slice().zeroize();
        outer_block.as_mut_slice().zeroize();
        inner.as_mut_slice().zeroize();
        outer.as_mut_slice().zeroize();
        32
    }
}

#[cfg(test)]
mod tests {
    use hmac::Mac as _;

    use super::*;

    /// Keys shorter than, as long as and longer than the block; messages whose last block and
    /// padding take one block, two blocks, or more than the two laid out (the fallback), each
    /// split into prefix, `rest` and `more` several ways: the `hmac` crate's tag every time.
    #[test]
    fn tags_equal_the_hmac_crate_for_every_padding_layout() {
        for key_len in [0, 1, 32, 63, 64, 65, 200] {
            let key: Vec<u8> = (0..key_len).map(|i| (i * 7 + 3) as u8).collect();
            let mac = Hs256::new(&key);
            for len in 0..=3 * BLOCK + 10 {
                let message: Vec<u8> = (0..len).map(|i| (i * 13 + 1) as u8).collect();
                let mut reference = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
                reference.update(&message);
                let expected = reference.finalize().into_bytes();
                for (a, b) in [(0, 0), (len / 3, 2 * len / 3), (len, len), (len / 2, len)] {
                    let state = mac.absorbed(&message[..a]);
                    let mut tag = [0u8; MAX_TAG];
                    let n = state.finish(&message[a..b], &message[b..], &mut tag);
                    assert_eq!(
                        &tag[..n],
                        &expected[..],
                        "key {key_len}, message {len}, {a}/{b}"
                    );
                }
            }
        }
    }
}
