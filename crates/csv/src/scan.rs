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

    /// The masks of `block`: bit `i` set when `block[i]` is structural,
    /// and when it is the separator.
    #[inline]
    pub(crate) fn mask64(&self, block: &[u8; 64]) -> (u64, u64) {
        let (mut m, mut s) = (0, 0);
        for (k, lane) in block.chunks_exact(16).enumerate() {
            let v = u8x16::new(lane.try_into().expect("16 bytes"));
            let sep = v.simd_eq(self.sep);
            let hit = sep | v.simd_eq(self.quote) | v.simd_eq(self.lf) | v.simd_eq(self.cr);
            m |= u64::from(hit.to_bitmask() as u16) << (16 * k);
            s |= u64::from(sep.to_bitmask() as u16) << (16 * k);
        }
        (m, s)
    }
}

/// Whether `bytes` are all ASCII and none is NUL: then they are valid
/// UTF-8 without NUL, and the exact checks can be skipped. One pass of
/// `or` and unsigned `min` over 16 bytes at a time, no branch per block.
pub(crate) fn plain_ascii(bytes: &[u8]) -> bool {
    let mut or = u8x16::splat(0);
    let mut min = u8x16::splat(0xff);
    let mut blocks = bytes.chunks_exact(64);
    for block in &mut blocks {
        for lane in block.chunks_exact(16) {
            let v = u8x16::new(lane.try_into().expect("16 bytes"));
            or |= v;
            min = min.min(v);
        }
    }
    let rest = blocks.remainder();
    let (or_rest, min_rest) = rest
        .iter()
        .fold((0u8, 0xffu8), |(o, m), &b| (o | b, m.min(b)));
    or.to_bitmask() == 0
        && min.simd_eq(u8x16::splat(0)).to_bitmask() == 0
        && or_rest < 0x80
        && min_rest != 0
}

/// Blocks of 64 bytes indexed ahead in one go (4 KiB).
const GROUP: usize = 64;

/// A cursor over the structural bytes of one buffer. The masks of a group
/// of [`GROUP`] blocks are computed together, in a loop with no other
/// work (which keeps the vector code tight), then walked with
/// `trailing_zeros`: consecutive short fields cost a few bit operations
/// each.
pub(crate) struct Scanner {
    /// Offset of the first byte of `masks[0]`.
    origin: usize,
    /// Masks computed in `masks`.
    len: usize,
    /// The group reaches the end of the buffer.
    last: bool,
    valid: bool,
    /// The block of the last position returned, and its bits after it.
    block: usize,
    mask: u64,
    masks: [u64; GROUP],
    /// The separators among `masks`.
    seps: [u64; GROUP],
}

impl Scanner {
    pub(crate) fn new() -> Self {
        Self {
            origin: 0,
            len: 0,
            last: true,
            valid: false,
            block: 0,
            mask: 0,
            masks: [0; GROUP],
            seps: [0; GROUP],
        }
    }

    /// Forgets the cached masks (call when the buffer changes).
    pub(crate) fn reset(&mut self) {
        self.valid = false;
    }

    /// Indexes the group of blocks starting at `at` (`at < buf.len()`).
    #[inline(never)]
    fn fill(&mut self, needles: &Needles, buf: &[u8], at: usize) {
        let rest = &buf[at..];
        let full = (rest.len() / 64).min(GROUP);
        for ((m, sep), block) in self.masks[..full]
            .iter_mut()
            .zip(&mut self.seps[..full])
            .zip(rest.chunks_exact(64))
        {
            (*m, *sep) = needles.mask64(block.try_into().expect("64 bytes"));
        }
        let mut len = full;
        if full < GROUP && rest.len() > full * 64 {
            // The buffer's last, short block: padded with a non-needle.
            let tail = &rest[full * 64..];
            let mut block = [needles.pad; 64];
            block[..tail.len()].copy_from_slice(tail);
            (self.masks[full], self.seps[full]) = needles.mask64(&block);
            len += 1;
        }
        self.origin = at;
        self.len = len;
        self.last = at + len * 64 >= buf.len();
        self.valid = true;
    }

    /// Position of the first structural byte at or after `from`, if any.
    #[inline(always)]
    #[allow(clippy::inline_always, reason = "the per-field hot path; measured")]
    pub(crate) fn next(&mut self, needles: &Needles, buf: &[u8], from: usize) -> Option<usize> {
        let (_, block, mask, _) = self.seek(needles, buf, from)?;
        self.block = block;
        self.mask = mask;
        self.advance(needles, buf)
    }

    /// The block holding `from` as `(base, block, mask, seps)`: the offset
    /// of its first byte, its index in the group, its structural bits at or
    /// after `from` and which of them are separators. `None` when `from` is
    /// past the buffer. The caller
    /// walks the bits and asks [`Scanner::next_block`] for more, keeping
    /// the state in registers (the unquoted fast path of the parser).
    #[inline(always)]
    #[allow(clippy::inline_always, reason = "the per-field hot path; measured")]
    pub(crate) fn seek(
        &mut self,
        needles: &Needles,
        buf: &[u8],
        from: usize,
    ) -> Option<(usize, usize, u64, u64)> {
        let mut rel = from.wrapping_sub(self.origin);
        if !self.valid || from < self.origin || rel >= self.len * 64 {
            if from >= buf.len() {
                return None;
            }
            self.fill(needles, buf, from);
            rel = 0;
        }
        let block = rel / 64;
        let from_bit = !0u64 << (rel % 64);
        Some((
            self.origin + block * 64,
            block,
            self.masks[block] & from_bit,
            self.seps[block] & from_bit,
        ))
    }

    /// Moves `(base, block)` to the next block and returns its masks
    /// (structural bytes, separators); `None` at the end of the buffer.
    #[inline(always)]
    #[allow(clippy::inline_always, reason = "the per-field hot path; measured")]
    pub(crate) fn next_block(
        &mut self,
        needles: &Needles,
        buf: &[u8],
        base: &mut usize,
        block: &mut usize,
    ) -> Option<(u64, u64)> {
        if *block + 1 < self.len {
            *block += 1;
            *base += 64;
        } else if self.last {
            return None;
        } else {
            *base = self.origin + self.len * 64;
            self.fill(needles, buf, *base);
            *block = 0;
        }
        Some((self.masks[*block], self.seps[*block]))
    }

    #[inline(always)]
    #[allow(clippy::inline_always, reason = "the per-field hot path; measured")]
    fn advance(&mut self, needles: &Needles, buf: &[u8]) -> Option<usize> {
        while self.mask == 0 {
            if self.block + 1 < self.len {
                self.block += 1;
            } else if self.last {
                return None;
            } else {
                let at = self.origin + self.len * 64;
                self.fill(needles, buf, at);
                self.block = 0;
            }
            self.mask = self.masks[self.block];
        }
        let j = self.origin + self.block * 64 + self.mask.trailing_zeros() as usize;
        self.mask &= self.mask - 1;
        Some(j)
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
        for i in 0..3000u32 {
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
            // Every structural byte in turn, block by block, from
            // everywhere near a group's edge.
            let all: Vec<usize> = (0..buf.len())
                .filter(|&i| [sep, quote, b'\n', b'\r'].contains(&buf[i]))
                .collect();
            for from in [0, 1, 4095, 4096, 5000, buf.len() - 1] {
                sc.reset();
                let (mut base, mut block, mut mask, mut seps) = sc.seek(&n, &buf, from).unwrap();
                let (mut seen, mut seen_seps) = (Vec::new(), Vec::new());
                loop {
                    assert_eq!(seps & !mask, 0, "separators are structural");
                    while mask != 0 {
                        let j = base + mask.trailing_zeros() as usize;
                        seen.push(j);
                        if seps & (1 << (j - base)) != 0 {
                            seen_seps.push(j);
                        }
                        mask &= mask - 1;
                    }
                    match sc.next_block(&n, &buf, &mut base, &mut block) {
                        Some((m, s)) => (mask, seps) = (m, s),
                        None => break,
                    }
                }
                let want: Vec<usize> = all.iter().copied().filter(|&j| j >= from).collect();
                assert_eq!(seen, want, "from {from}");
                let want: Vec<usize> = want.into_iter().filter(|&j| buf[j] == sep).collect();
                assert_eq!(seen_seps, want, "separators from {from}");
            }
            // At the end: nothing (or an empty rest of the last block).
            assert!(
                sc.seek(&n, &buf, buf.len())
                    .is_none_or(|(_, _, mask, seps)| mask == 0 && seps == 0)
            );
            // Random restarts, also near the end.
            for from in [
                0,
                5,
                63,
                64,
                65,
                900,
                4095,
                4096,
                4160,
                buf.len() - 3,
                buf.len(),
            ] {
                sc.reset();
                assert_eq!(sc.next(&n, &buf, from), naive(&buf, from, sep, quote));
            }
        }
    }

    #[test]
    fn plain_ascii_finds_any_high_or_nul_byte() {
        for len in [0, 1, 15, 16, 17, 63, 64, 65, 200] {
            let clean: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            assert!(plain_ascii(&clean), "{len}");
            for at in 0..len {
                for bad in [0u8, 0x80, 0xff, 0xc3] {
                    let mut v = clean.clone();
                    v[at] = bad;
                    assert!(!plain_ascii(&v), "{len} {at} {bad}");
                }
            }
        }
    }
}
