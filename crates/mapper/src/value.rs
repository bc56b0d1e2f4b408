//! Value parsers for CSV cells, on bytes, without allocating.
//!
//! The accepted literal forms follow batchload-spec §2.3 and §3; the
//! service documents the types, not their literal forms, so each grammar is
//! our inference \[INF\]:
//!
//! | type | accepted | rejected |
//! |---|---|---|
//! | time, TIMESTAMP | `^[0-9]+$` in `TimeUnit` that fits i64 nanoseconds | sign, decimals, exponents, white space |
//! | BIGINT | `^[+-]?[0-9]+$` in i64 | decimals (`12.5`, `12.`), exponents (`1e3`) |
//! | DOUBLE | `^[+-]?([0-9]+\.?[0-9]*\|\.[0-9]+)([eE][+-]?[0-9]+)?$`, finite | `NaN`, `Infinity`, `inf`, hex floats, overflow (`1e400`) |
//! | BOOLEAN | `true`, `false`; other letter cases with a warning | `1`, `0`, `t`, `yes`, … |

/// Why a value was rejected; rendered into messages on the cold path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Fault {
    /// Starts with `-`.
    Negative,
    /// Starts with `+` (time and TIMESTAMP take digits only).
    Sign,
    /// Has a fractional part.
    Decimal,
    /// Has an exponent.
    Exponent,
    /// Leading or trailing white space.
    Whitespace,
    /// A decimal comma (`1,5`).
    DecimalComma,
    /// Looks like a date or time of day (`2023-11-14T22:13:20Z`).
    DateLike,
    /// Anything else that is not a number.
    NotNumber,
    /// Out of range for the type.
    Overflow,
    /// `NaN` in any case.
    NaN,
    /// `Infinity`/`inf` in any case, with or without a sign.
    Infinite,
    /// Another word for a BOOLEAN (`yes`, `on`, …).
    NotBoolean,
}

impl Fault {
    /// A short phrase for messages: "it is negative".
    pub(crate) fn phrase(self) -> &'static str {
        match self {
            Self::Negative => "it is negative",
            Self::Sign => "it has a sign",
            Self::Decimal => "it has a fractional part",
            Self::Exponent => "it has an exponent",
            Self::Whitespace => "it has leading or trailing white space",
            Self::DecimalComma => "it uses a decimal comma",
            Self::DateLike => "it looks like a formatted date",
            Self::NotNumber => "it is not a number",
            Self::Overflow => "it is out of range",
            Self::NaN => "NaN cannot be written",
            Self::Infinite => "infinite values cannot be written",
            Self::NotBoolean => "it is not a truth value",
        }
    }
}

#[inline]
fn has_edge_space(b: &[u8]) -> bool {
    matches!(b.first(), Some(c) if c.is_ascii_whitespace())
        || matches!(b.last(), Some(c) if c.is_ascii_whitespace())
}

/// Whether `b` is an integer written with what plain digits lack: a
/// leading sign, or spaces around it (`+5`, `-5`, ` 5`). The time column
/// documents integer epochs \[DOC\]; that these forms are refused is the
/// conservative profile's guess \[INF\] (batchload-spec §2.3).
pub(crate) fn is_signed_or_padded_integer(b: &[u8]) -> bool {
    let t = b.trim_ascii();
    let digits = match t.first() {
        Some(b'+' | b'-') => &t[1..],
        _ => t,
    };
    !digits.is_empty() && digits.len() != b.len() && digits.iter().all(u8::is_ascii_digit)
}

fn is_date_like(b: &[u8]) -> bool {
    // `2023-11-14…`, `14/11/2023`, `22:13:20`.
    let digits = b.iter().filter(|c| c.is_ascii_digit()).count();
    digits >= 4
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || b"-/:.+ ,TZ".contains(c))
        && b.iter().any(|c| matches!(c, b'-' | b'/' | b':'))
        && !b.starts_with(b"-")
}

/// Classifies a value that failed an integer grammar (cold path).
fn integer_fault(b: &[u8], signed: bool) -> Fault {
    if has_edge_space(b) {
        return Fault::Whitespace;
    }
    if is_date_like(b) {
        return Fault::DateLike;
    }
    let (sign, rest) = match b.first() {
        Some(b'-') => (Some(Fault::Negative), &b[1..]),
        Some(b'+') => (Some(Fault::Sign), &b[1..]),
        _ => (None, b),
    };
    if rest.contains(&b'.') && rest.iter().all(|c| c.is_ascii_digit() || *c == b'.') {
        let dots = memchr::memchr_iter(b'.', rest).count();
        if dots == 1 && rest.len() > 1 {
            // A decimal: for unsigned grammars a sign is the more basic fault.
            return match sign {
                Some(s) if !signed => s,
                _ => Fault::Decimal,
            };
        }
    }
    if looks_like_double(rest) && rest.iter().any(|c| matches!(c, b'e' | b'E')) {
        return match sign {
            Some(s) if !signed => s,
            _ => Fault::Exponent,
        };
    }
    if !rest.is_empty() && rest.iter().all(u8::is_ascii_digit) {
        return match sign {
            Some(s) if !signed => s,
            // A signed grammar accepts the sign: only the range can fail.
            _ => Fault::Overflow,
        };
    }
    if sign == Some(Fault::Negative) && !signed && looks_like_double(rest) {
        return Fault::Negative;
    }
    Fault::NotNumber
}

/// Whether the eight bytes of `v` (little-endian) are all ASCII digits
/// (SWAR, as in fast_float: the high nibbles are 3, and stay 3 after
/// adding 6).
#[inline(always)]
#[allow(clippy::inline_always, reason = "per value in the hot loop; measured")]
fn is_eight_digits(v: u64) -> bool {
    ((v & 0xF0F0_F0F0_F0F0_F0F0)
        | ((v.wrapping_add(0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0) >> 4))
        == 0x3333_3333_3333_3333
}

/// The value of eight ASCII digits (little-endian in `v`, first digit in
/// the low byte): three multiplications instead of eight steps (Lemire).
#[inline(always)]
#[allow(clippy::inline_always, reason = "per value in the hot loop; measured")]
fn eight_digits(v: u64) -> u64 {
    const MASK: u64 = 0x0000_00FF_0000_00FF;
    const MUL1: u64 = 100 + (1_000_000 << 32);
    const MUL2: u64 = 1 + (10_000 << 32);
    let v = v.wrapping_sub(0x3030_3030_3030_3030);
    let v = v.wrapping_mul(10).wrapping_add(v >> 8);
    (v & MASK)
        .wrapping_mul(MUL1)
        .wrapping_add(((v >> 16) & MASK).wrapping_mul(MUL2))
        >> 32
}

/// Up to eight bytes as a little-endian word, right-aligned behind ASCII
/// `0`s (leading zeros change no value): `b"123"` reads as `b"00000123"`.
#[inline(always)]
#[allow(clippy::inline_always, reason = "per value in the hot loop; measured")]
fn padded8(b: &[u8]) -> u64 {
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    let n = b.len();
    debug_assert!(n <= 8);
    if n >= 4 {
        // Two overlapping 4-byte loads (no copy loop, no `memcpy` call):
        // the last four bytes on top, the first four below them, `0`s
        // underneath. Overlapping bytes are equal, so or-ing them is fine.
        let first = u64::from(u32::from_le_bytes(b[..4].try_into().expect("4 bytes")));
        let last = u64::from(u32::from_le_bytes(b[n - 4..].try_into().expect("4 bytes")));
        let pad = 8 * (8 - n) as u32;
        let zeros = ZEROS & ((1u64 << pad) - 1);
        (last << 32) | (first << pad) | zeros
    } else {
        b.iter()
            .fold(ZEROS, |w, &c| (w >> 8) | (u64::from(c) << 56))
    }
}

/// The value of 1 to 19 ASCII digits (`None` if any byte is not a digit).
/// Up to 16 digits take one or two eight-digit words (the first one padded
/// with zeros); longer runs take the leading `len % 8` digits one at a
/// time, then eight at a time. 19 digits always fit a `u64`.
#[inline(always)]
#[allow(clippy::inline_always, reason = "per value in the hot loop; measured")]
fn digits_value(b: &[u8]) -> Option<u64> {
    debug_assert!((1..=19).contains(&b.len()));
    let n = b.len();
    // Plain `if`s, not `bool::then` closures: the compiler kept one of
    // those out of line in the fast path (2.5% of a run, `perf`).
    if n <= 8 {
        let w = padded8(b);
        return if is_eight_digits(w) {
            Some(eight_digits(w))
        } else {
            None
        };
    }
    if n <= 16 {
        let (hi, lo) = b.split_at(n - 8);
        let w1 = padded8(hi);
        let w2 = u64::from_le_bytes(lo.try_into().expect("8 bytes"));
        return if is_eight_digits(w1) && is_eight_digits(w2) {
            Some(eight_digits(w1) * 100_000_000 + eight_digits(w2))
        } else {
            None
        };
    }
    let head = n % 8;
    let mut v: u64 = 0;
    for &c in &b[..head] {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v * 10 + u64::from(d);
    }
    for chunk in b[head..].chunks_exact(8) {
        let w = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        if !is_eight_digits(w) {
            return None;
        }
        v = v * 100_000_000 + eight_digits(w);
    }
    Some(v)
}

/// Parses an epoch integer (`^[0-9]+$`) and scales it to nanoseconds.
/// Returns the nanoseconds and the number of significant digits (for the
/// time-unit heuristic).
#[inline(always)]
#[allow(clippy::inline_always, reason = "per value in the hot loop; measured")]
pub(crate) fn parse_epoch(b: &[u8], unit_nanos: i64) -> Result<(i64, u8), Fault> {
    if !b.is_empty()
        && b.len() <= 19
        && let Some(v) = digits_value(b)
    {
        // Fast path: up to 19 digits, no sign, nothing else.
        let sig = (b.len() - b.iter().take_while(|&&c| c == b'0').count()) as u8;
        if v > i64::MAX as u64 {
            return Err(Fault::Overflow);
        }
        return (v as i64)
            .checked_mul(unit_nanos)
            .map(|ns| (ns, sig))
            .ok_or(Fault::Overflow);
    }
    parse_epoch_slow(b, unit_nanos)
}

/// [`parse_epoch`] off its fast path: empty, long or not digits.
#[cold]
#[inline(never)]
fn parse_epoch_slow(b: &[u8], unit_nanos: i64) -> Result<(i64, u8), Fault> {
    if b.is_empty() || b.len() > 40 {
        return Err(if b.is_empty() {
            Fault::NotNumber
        } else {
            integer_fault(b, false)
        });
    }
    let mut v: u64 = 0;
    let mut sig: u8 = 0;
    for &c in b {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return Err(integer_fault(b, false));
        }
        if sig > 0 || d != 0 {
            sig += 1;
        }
        if sig > 19 {
            return Err(Fault::Overflow);
        }
        v = v * 10 + u64::from(d);
    }
    if v > i64::MAX as u64 {
        return Err(Fault::Overflow);
    }
    (v as i64)
        .checked_mul(unit_nanos)
        .map(|ns| (ns, sig))
        .ok_or(Fault::Overflow)
}

/// Parses a BIGINT: `^[+-]?[0-9]+$` within i64.
#[inline(always)]
#[allow(clippy::inline_always, reason = "per value in the hot loop; measured")]
pub(crate) fn parse_bigint(b: &[u8]) -> Result<i64, Fault> {
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    if !digits.is_empty()
        && digits.len() <= 18
        && let Some(v) = digits_value(digits)
    {
        // Fast path: 18 digits are below 10^18 < 2^63, no overflow checks.
        return Ok(if neg { -(v as i64) } else { v as i64 });
    }
    parse_bigint_slow(b, neg, digits)
}

/// [`parse_bigint`] off its fast path: empty, long or not digits.
#[cold]
#[inline(never)]
fn parse_bigint_slow(b: &[u8], neg: bool, digits: &[u8]) -> Result<i64, Fault> {
    if digits.is_empty() || digits.len() > 40 {
        return Err(integer_fault(b, true));
    }
    let mut v: u64 = 0;
    for &c in digits {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return Err(integer_fault(b, true));
        }
        v = match v.checked_mul(10).and_then(|v| v.checked_add(u64::from(d))) {
            Some(v) => v,
            None => return Err(Fault::Overflow),
        };
    }
    if neg {
        if v > 1u64 << 63 {
            return Err(Fault::Overflow);
        }
        Ok((v as i64).wrapping_neg())
    } else if v > i64::MAX as u64 {
        Err(Fault::Overflow)
    } else {
        Ok(v as i64)
    }
}

/// Whether `b` matches the DOUBLE grammar
/// `^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`.
#[inline]
fn looks_like_double(b: &[u8]) -> bool {
    let mut i = 0;
    let n = b.len();
    if i < n && matches!(b[i], b'+' | b'-') {
        i += 1;
    }
    let int_start = i;
    while i < n && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = i - int_start;
    let mut frac_digits = 0;
    if i < n && b[i] == b'.' {
        i += 1;
        let f = i;
        while i < n && b[i].is_ascii_digit() {
            i += 1;
        }
        frac_digits = i - f;
    }
    if int_digits == 0 && frac_digits == 0 {
        return false;
    }
    if i < n && matches!(b[i], b'e' | b'E') {
        i += 1;
        if i < n && matches!(b[i], b'+' | b'-') {
            i += 1;
        }
        let e = i;
        while i < n && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == e {
            return false;
        }
    }
    i == n
}

/// Powers of ten exactly representable in binary64.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Clinger's fast path for plain decimals (`[+-]?[0-9]*\.?[0-9]*`, no
/// exponent): a mantissa below 2^53 and at most 22 fraction digits give the
/// correctly rounded value with one division. `None` when it does not
/// apply (the caller then uses the standard parser).
#[inline(always)]
#[allow(clippy::inline_always, reason = "per value in the hot loop; measured")]
fn fast_decimal(b: &[u8]) -> Option<f64> {
    let (neg, m, scale) = decimal_parts(b)?;
    let v = m as f64 / POW10[scale];
    Some(if neg { -v } else { v })
}

/// The sign, mantissa and fraction digits of a plain decimal that
/// [`fast_decimal`] converts; `None` when it does not apply.
#[inline(always)]
#[allow(clippy::inline_always, reason = "per value in the hot loop; measured")]
fn decimal_parts(b: &[u8]) -> Option<(bool, u64, usize)> {
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    let (m, scale) = if digits.len() <= 8 {
        short_decimal(digits)?
    } else {
        long_decimal(digits)?
    };
    Some((neg, m, scale))
}

/// Mantissa and fraction digits of at most eight bytes of digits with at
/// most one `.` and at least one digit, in one word (SWAR): the `.` is
/// found with a zero-byte test, the integer part moved up over it, and the
/// eight digits converted at once.
#[inline(always)]
#[allow(clippy::inline_always, reason = "per value in the hot loop; measured")]
fn short_decimal(digits: &[u8]) -> Option<(u64, usize)> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    if digits.is_empty() || digits == b"." {
        return None;
    }
    let w = padded8(digits);
    // Bytes equal to `.` become 0; the exact zero-byte test (no false
    // positives, unlike the cheaper `(x - 1) & !x` form).
    let x = w ^ (u64::from(b'.') * ONES);
    let zero = !(((x & !HIGHS) + !HIGHS) | x | !HIGHS);
    if zero == 0 {
        return is_eight_digits(w).then(|| (eight_digits(w), 0));
    }
    // Byte index of the first `.` (the word is right-aligned: the digits
    // after it are the bytes above it).
    let p = zero.trailing_zeros() / 8;
    // Bytes `0..p` (the integer part) move up one byte over the `.`, an
    // ASCII `0` enters at the bottom; bytes above `p` stay.
    let below = (1u64 << (8 * p)) - 1;
    let above = !((below << 8) | 0xFF);
    let w = ((w & below) << 8) | (w & above) | u64::from(b'0');
    is_eight_digits(w).then(|| (eight_digits(w), 7 - p as usize))
}

/// [`short_decimal`] for longer inputs, one byte at a time (at most 19
/// digits). Kept out of line: short values are the common case.
#[inline(never)]
fn long_decimal(digits: &[u8]) -> Option<(u64, usize)> {
    if digits.len() > 19 {
        return None;
    }
    let mut m: u64 = 0;
    let mut frac: Option<usize> = None;
    let mut n = 0usize;
    for (i, &c) in digits.iter().enumerate() {
        let d = c.wrapping_sub(b'0');
        if d <= 9 {
            m = m * 10 + u64::from(d);
            n += 1;
        } else if c == b'.' && frac.is_none() {
            frac = Some(i);
        } else {
            return None;
        }
    }
    if n == 0 || m > (1 << 53) {
        return None;
    }
    Some((m, frac.map_or(0, |i| digits.len() - i - 1)))
}

/// Parses a DOUBLE: the grammar above, and finite.
#[inline(always)]
#[allow(clippy::inline_always, reason = "per value in the hot loop; measured")]
pub(crate) fn parse_double(b: &[u8]) -> Result<f64, Fault> {
    if let Some(v) = fast_decimal(b) {
        return Ok(v);
    }
    parse_double_slow(b)
}

/// Whether [`parse_double`] accepts `b`, without building the `f64` (and
/// its division) for plain decimals, which are always finite.
#[inline(always)]
#[allow(clippy::inline_always, reason = "per value in the hot loop; measured")]
pub(crate) fn is_double(b: &[u8]) -> bool {
    decimal_parts(b).is_some() || parse_double_slow(b).is_ok()
}

/// [`parse_double`] off its fast path: exponents, long mantissas, errors.
#[cold]
#[inline(never)]
fn parse_double_slow(b: &[u8]) -> Result<f64, Fault> {
    if !looks_like_double(b) {
        return Err(double_fault(b));
    }
    // The grammar admits ASCII only, so this cannot fail.
    let s = std::str::from_utf8(b).map_err(|_| Fault::NotNumber)?;
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(Fault::Overflow),
    }
}

fn double_fault(b: &[u8]) -> Fault {
    if has_edge_space(b) {
        return Fault::Whitespace;
    }
    let unsigned = match b.first() {
        Some(b'+' | b'-') => &b[1..],
        _ => b,
    };
    if unsigned.eq_ignore_ascii_case(b"nan") {
        return Fault::NaN;
    }
    if unsigned.eq_ignore_ascii_case(b"inf") || unsigned.eq_ignore_ascii_case(b"infinity") {
        return Fault::Infinite;
    }
    if is_date_like(b) {
        return Fault::DateLike;
    }
    let commas = memchr::memchr_iter(b',', unsigned).count();
    if commas == 1 && unsigned.iter().all(|c| c.is_ascii_digit() || *c == b',') {
        return Fault::DecimalComma;
    }
    Fault::NotNumber
}

/// How a BOOLEAN was written (spec §3: `true`/`false` accepted; case
/// variants and `1/0`/`t/f` undocumented, warned \[INF\]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Spelling {
    /// `true` or `false`.
    Exact,
    /// `TRUE`, `False`, …
    Case,
    /// `1`/`0`, `t`/`f` (either case).
    Short,
}

/// A parsed BOOLEAN: the value, and how it was spelled.
#[inline]
pub(crate) fn parse_boolean(b: &[u8]) -> Result<(bool, Spelling), Fault> {
    match b {
        b"true" => Ok((true, Spelling::Exact)),
        b"false" => Ok((false, Spelling::Exact)),
        b"1" | b"t" | b"T" => Ok((true, Spelling::Short)),
        b"0" | b"f" | b"F" => Ok((false, Spelling::Short)),
        _ if b.eq_ignore_ascii_case(b"true") => Ok((true, Spelling::Case)),
        _ if b.eq_ignore_ascii_case(b"false") => Ok((false, Spelling::Case)),
        _ if has_edge_space(b) => Err(Fault::Whitespace),
        _ => Err(Fault::NotBoolean),
    }
}

/// Nanoseconds since the epoch as an RFC 3339 UTC string (cold path).
pub(crate) fn format_ns(ns: i64) -> String {
    let dt = chrono::DateTime::from_timestamp_nanos(ns);
    dt.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_or_padded_integers() {
        for b in [&b"+5"[..], b"-5", b" 5", b"5 ", b"\t-17 "] {
            assert!(is_signed_or_padded_integer(b), "{b:?}");
        }
        for b in [
            &b"5"[..],
            b"",
            b" ",
            b"+",
            b"-1.5",
            b" abc",
            b"+x",
            b"1e3",
            b"--5",
        ] {
            assert!(!is_signed_or_padded_integer(b), "{b:?}");
        }
    }

    const MS: i64 = 1_000_000;

    #[test]
    fn epoch_accepts_digits_and_scales() {
        assert_eq!(
            parse_epoch(b"1695335950657", MS),
            Ok((1_695_335_950_657_000_000, 13))
        );
        assert_eq!(parse_epoch(b"0001", 1), Ok((1, 1)));
        assert_eq!(parse_epoch(b"0", MS), Ok((0, 0)));
        assert_eq!(
            parse_epoch(b"9223372036", 1_000_000_000),
            Ok((9_223_372_036_000_000_000, 10))
        );
    }

    #[test]
    fn epoch_rejects_with_reasons() {
        assert_eq!(parse_epoch(b"-5", MS), Err(Fault::Negative));
        assert_eq!(parse_epoch(b"+5", MS), Err(Fault::Sign));
        assert_eq!(parse_epoch(b"1699401050.0", MS), Err(Fault::Decimal));
        assert_eq!(parse_epoch(b"1.7e12", MS), Err(Fault::Exponent));
        assert_eq!(parse_epoch(b" 17", MS), Err(Fault::Whitespace));
        assert_eq!(
            parse_epoch(b"2023-11-14T22:13:20Z", MS),
            Err(Fault::DateLike)
        );
        assert_eq!(parse_epoch(b"abc", MS), Err(Fault::NotNumber));
        assert_eq!(parse_epoch(b"", MS), Err(Fault::NotNumber));
        // Overflow after scaling, at each unit's limit.
        assert_eq!(
            parse_epoch(b"9223372037", 1_000_000_000),
            Err(Fault::Overflow)
        );
        assert!(parse_epoch(b"9223372036854", MS).is_ok());
        assert_eq!(parse_epoch(b"9223372036855", MS), Err(Fault::Overflow));
        assert!(parse_epoch(b"9223372036854775807", 1).is_ok());
        assert_eq!(parse_epoch(b"9223372036854775808", 1), Err(Fault::Overflow));
        assert_eq!(
            parse_epoch(b"99999999999999999999999", 1),
            Err(Fault::Overflow)
        );
    }

    #[test]
    fn bigint() {
        assert_eq!(parse_bigint(b"42"), Ok(42));
        assert_eq!(parse_bigint(b"+5"), Ok(5));
        assert_eq!(parse_bigint(b"-9223372036854775808"), Ok(i64::MIN));
        assert_eq!(parse_bigint(b"9223372036854775807"), Ok(i64::MAX));
        assert_eq!(parse_bigint(b"9223372036854775808"), Err(Fault::Overflow));
        assert_eq!(parse_bigint(b"-9223372036854775809"), Err(Fault::Overflow));
        assert_eq!(parse_bigint(b"12.5"), Err(Fault::Decimal));
        assert_eq!(parse_bigint(b"12."), Err(Fault::Decimal));
        assert_eq!(parse_bigint(b"-12.0"), Err(Fault::Decimal));
        assert_eq!(parse_bigint(b"1e3"), Err(Fault::Exponent));
        assert_eq!(parse_bigint(b"-"), Err(Fault::NotNumber));
        assert_eq!(parse_bigint(b"x"), Err(Fault::NotNumber));
        assert_eq!(parse_bigint(b"5 "), Err(Fault::Whitespace));
    }

    #[test]
    fn double() {
        for ok in [
            "1",
            "1.5",
            "-1.5",
            "+2",
            ".5",
            "5.",
            "1e5",
            "1E-5",
            "-0",
            "1.7976931348623157e308",
            "1e-400",
        ] {
            assert!(parse_double(ok.as_bytes()).is_ok(), "{ok}");
        }
        assert_eq!(parse_double(b"1.5"), Ok(1.5));
        assert_eq!(parse_double(b"NaN"), Err(Fault::NaN));
        assert_eq!(parse_double(b"-Infinity"), Err(Fault::Infinite));
        assert_eq!(parse_double(b"inf"), Err(Fault::Infinite));
        assert_eq!(parse_double(b"1e400"), Err(Fault::Overflow));
        assert_eq!(parse_double(b"1.8e308"), Err(Fault::Overflow));
        assert_eq!(parse_double(b"n/a"), Err(Fault::NotNumber));
        assert_eq!(parse_double(b"0x1p3"), Err(Fault::NotNumber));
        assert_eq!(parse_double(b"1,5"), Err(Fault::DecimalComma));
        assert_eq!(parse_double(b"."), Err(Fault::NotNumber));
        assert_eq!(parse_double(b"1e"), Err(Fault::NotNumber));
        assert_eq!(parse_double(b" 1"), Err(Fault::Whitespace));
        assert_eq!(parse_double(b""), Err(Fault::NotNumber));
    }

    #[test]
    fn boolean() {
        assert_eq!(parse_boolean(b"true"), Ok((true, Spelling::Exact)));
        assert_eq!(parse_boolean(b"false"), Ok((false, Spelling::Exact)));
        assert_eq!(parse_boolean(b"TRUE"), Ok((true, Spelling::Case)));
        assert_eq!(parse_boolean(b"False"), Ok((false, Spelling::Case)));
        assert_eq!(parse_boolean(b"1"), Ok((true, Spelling::Short)));
        assert_eq!(parse_boolean(b"0"), Ok((false, Spelling::Short)));
        assert_eq!(parse_boolean(b"t"), Ok((true, Spelling::Short)));
        assert_eq!(parse_boolean(b"F"), Ok((false, Spelling::Short)));
        assert_eq!(parse_boolean(b"yes-ish"), Err(Fault::NotBoolean));
        assert_eq!(parse_boolean(b"2"), Err(Fault::NotBoolean));
        assert_eq!(parse_boolean(b"tru"), Err(Fault::NotBoolean));
        assert_eq!(parse_boolean(b" true"), Err(Fault::Whitespace));
    }

    #[test]
    fn formats_nanos() {
        assert_eq!(
            format_ns(1_695_335_950_657_000_000),
            "2023-09-21T22:39:10.657Z"
        );
        assert_eq!(format_ns(i64::MAX), "2262-04-11T23:47:16.854775807Z");
    }

    mod prop {
        use super::super::*;
        use proptest::prelude::*;

        /// [`long_decimal`] without its length guard: the reference for
        /// [`short_decimal`].
        fn long_decimal_any(b: &[u8]) -> Option<(u64, usize)> {
            if b.len() > 19 { None } else { long_decimal(b) }
        }

        proptest! {
            #[test]
            fn bigint_agrees_with_std(v in any::<i64>()) {
                prop_assert_eq!(parse_bigint(v.to_string().as_bytes()), Ok(v));
            }

            #[test]
            fn double_agrees_with_std_on_finite(v in any::<f64>().prop_filter("finite", |v| v.is_finite())) {
                let s = format!("{v:e}");
                prop_assert_eq!(parse_double(s.as_bytes()), Ok(v));
                let s = format!("{v}");
                prop_assert_eq!(parse_double(s.as_bytes()), Ok(v));
            }

            #[test]
            fn fast_decimals_agree_with_std(int in 0u64..10_000_000_000, frac in 0u64..100_000_000, neg: bool, w in 0usize..12) {
                let s = format!("{}{int}.{frac:0w$}", if neg { "-" } else { "" });
                prop_assert_eq!(parse_double(s.as_bytes()), Ok(s.parse::<f64>().unwrap()));
            }

            #[test]
            fn padded8_pads_with_zeros(b in proptest::collection::vec(any::<u8>(), 0..9)) {
                let mut want = [b'0'; 8];
                want[8 - b.len()..].copy_from_slice(&b);
                prop_assert_eq!(padded8(&b), u64::from_le_bytes(want));
            }

            #[test]
            fn short_decimals_agree_with_the_byte_loop(b in proptest::collection::vec(prop_oneof![
                6 => b'0'..=b'9', 2 => Just(b'.'), 1 => Just(b'-'), 1 => any::<u8>()], 0..9)) {
                prop_assert_eq!(short_decimal(&b), long_decimal_any(&b));
            }

            #[test]
            fn digits_value_agrees_with_a_loop(b in proptest::collection::vec(prop_oneof![8 => b'0'..=b'9', 1 => any::<u8>()], 1..20)) {
                let naive = b.iter().try_fold(0u64, |v, &c| c.is_ascii_digit().then(|| v * 10 + u64::from(c - b'0')));
                prop_assert_eq!(digits_value(&b), naive);
            }

            #[test]
            fn epoch_agrees_with_std(v in any::<u64>(), zeros in 0usize..4) {
                let s = format!("{}{v}", "0".repeat(zeros));
                let want = s.parse::<i64>().ok().filter(|_| s.len() <= 40);
                match parse_epoch(s.as_bytes(), 1) {
                    Ok((ns, sig)) => {
                        prop_assert_eq!(Some(ns), want);
                        prop_assert_eq!(usize::from(sig), v.to_string().len() - usize::from(v == 0));
                    }
                    Err(f) => {
                        prop_assert_eq!(f, Fault::Overflow);
                        prop_assert!(want.is_none());
                    }
                }
            }

            #[test]
            fn is_double_agrees_with_parse_double(b in proptest::collection::vec(prop_oneof![
                8 => b'0'..=b'9', 2 => Just(b'.'), 1 => Just(b'-'), 1 => Just(b'+'), 1 => Just(b'e'),
                1 => any::<u8>()], 0..28)) {
                prop_assert_eq!(is_double(&b), parse_double(&b).is_ok(), "{:?}", String::from_utf8_lossy(&b));
            }

            #[test]
            fn parsers_never_panic(b in proptest::collection::vec(any::<u8>(), 0..48)) {
                let _ = parse_bigint(&b);
                let _ = parse_double(&b);
                let _ = parse_boolean(&b);
                let _ = parse_epoch(&b, 1_000);
            }
        }
    }
}
