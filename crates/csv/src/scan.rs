//! Structural indexing: which bytes of a 64-byte block are a separator, a
//! quote, a line feed or a carriage return, as one `u64` bitmask.
//!
//! This is the "structural index" step of SIMD CSV and JSON parsers, done
//! without `unsafe`: the [`wide`] crate wraps the SSE2 (x86_64), NEON
//! (aarch64) or portable compare-and-movemask operations. Four compares of
//! 16 lanes and one movemask per 16 bytes replace a branch per byte; the
//! parser then walks the set bits with `trailing_zeros`.

use wide::u8x16;

/// The four structural bytes of the unquoted state, splatted once.
#[derive(Clone, Copy)]
pub(crate) struct Needles {
    sep: u8x16,
    quote: u8x16,
    lf: u8x16,
    cr: u8x16,
    /// A byte that is none of the needles, used to pad short blocks.
    pad: u8,
}

impl Needles {
    pub(crate) fn new(sep: u8, quote: u8) -> Self {
        let pad = (0u8..=255)
            .find(|b| ![sep, quote, b'\n', b'\r'].contains(b))
            .unwrap_or(0);
        Self {
            sep: u8x16::splat(sep),
            quote: u8x16::splat(quote),
            lf: u8x16::splat(b'\n'),
            cr: u8x16::splat(b'\r'),
            pad,
        }
    }

    #[inline]
    fn mask16(&self, bytes: [u8; 16]) -> u64 {
        let v = u8x16::new(bytes);
        let m =
            v.simd_eq(self.sep) | v.simd_eq(self.quote) | v.simd_eq(self.lf) | v.simd_eq(self.cr);
        u64::from(m.to_bitmask() as u16)
    }

    /// The mask of `block` (bit `i` set when `block[i]` is structural).
    #[inline]
    pub(crate) fn mask64(&self, block: &[u8; 64]) -> u64 {
        let mut m = 0;
        for k in 0..4 {
            let mut lane = [0u8; 16];
            lane.copy_from_slice(&block[k * 16..k * 16 + 16]);
            m |= self.mask16(lane) << (16 * k);
        }
        m
    }

    /// The mask of the (up to) 64 bytes of `buf` from `at`; bits past the
    /// end of `buf` are clear.
    #[inline]
    pub(crate) fn mask_at(&self, buf: &[u8], at: usize) -> u64 {
        if let Some(block) = buf.get(at..at + 64) {
            let block: &[u8; 64] = block.try_into().expect("64 bytes");
            self.mask64(block)
        } else {
            let rest = &buf[at.min(buf.len())..];
            let mut block = [self.pad; 64];
            block[..rest.len()].copy_from_slice(rest);
            self.mask64(&block)
        }
    }
}

/// A cursor over the structural bytes of one buffer. It caches the mask of
/// the current 64-byte block, so that consecutive short fields cost a few
/// bit operations each.
pub(crate) struct Scanner {
    base: usize,
    mask: u64,
    valid: bool,
}

impl Scanner {
    pub(crate) fn new() -> Self {
        Self {
            base: 0,
            mask: 0,
            valid: false,
        }
    }

    /// Forgets the cached block (call when the buffer changes).
    pub(crate) fn reset(&mut self) {
        self.valid = false;
    }

    /// Position of the first structural byte at or after `from`, if any.
    #[inline(always)]
    #[allow(clippy::inline_always, reason = "the per-field hot path; measured")]
    pub(crate) fn next(&mut self, needles: &Needles, buf: &[u8], from: usize) -> Option<usize> {
        if self.valid && from >= self.base && from < self.base + 64 {
            self.mask &= !0u64 << (from - self.base);
        } else {
            if from >= buf.len() {
                return None;
            }
            self.base = from;
            self.mask = needles.mask_at(buf, from);
            self.valid = true;
        }
        loop {
            if self.mask != 0 {
                return Some(self.base + self.mask.trailing_zeros() as usize);
            }
            self.base += 64;
            if self.base >= buf.len() {
                // Stay valid at an empty block past the end: `from` beyond
                // the end returns `None` above.
                self.valid = false;
                return None;
            }
            self.mask = needles.mask_at(buf, self.base);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(buf: &[u8], from: usize, sep: u8, quote: u8) -> Option<usize> {
        buf.iter()
            .enumerate()
            .skip(from)
            .find(|(_, b)| [sep, quote, b'\n', b'\r'].contains(b))
            .map(|(i, _)| i)
    }

    #[test]
    fn finds_every_structural_byte_like_a_naive_scan() {
        let mut buf = Vec::new();
        for i in 0..1000u32 {
            buf.push(b"abc,\"\n\r;x"[(i * 7 % 9) as usize]);
            if i % 13 == 0 {
                buf.extend_from_slice(
                    b"lorem ipsum dolor sit amet consectetur adipiscing elit sed do",
                );
            }
        }
        for (sep, quote) in [(b',', b'"'), (b';', b'\''), (b'\t', b'"'), (b'x', b'"')] {
            let n = Needles::new(sep, quote);
            let mut sc = Scanner::new();
            let mut from = 0;
            // Walk forwards with the cache, as the parser does.
            while let Some(i) = sc.next(&n, &buf, from) {
                assert_eq!(Some(i), naive(&buf, from, sep, quote));
                from = i + 1 + (i % 3);
            }
            assert_eq!(naive(&buf, from, sep, quote), None);
            // Random restarts, also near the end.
            for from in [0, 5, 63, 64, 65, 900, buf.len() - 3, buf.len()] {
                sc.reset();
                assert_eq!(sc.next(&n, &buf, from), naive(&buf, from, sep, quote));
            }
        }
    }
}
