//! Decimal numbers as text. They are never converted to binary floating point on the way to
//! Postgres: the text read here becomes a `numeric` literal, so its limits are Postgres'.

use std::cmp::Ordering;

/// Most digits a number may have. Postgres `numeric` takes far more, but a stored value this
/// long is not a number anyone meant, and the bound keeps every value cheap to compare.
pub const MAX_NUMBER_DIGITS: usize = 1000;
/// Largest exponent magnitude; Postgres' numeric input refuses anything beyond ±1000.
pub const MAX_NUMBER_EXPONENT: u64 = 1000;

/// The parts of `[+-]?(digits[.digits]?|.digits)([eE][+-]?digits)?`.
struct Parts<'a> {
    negative: bool,
    int: &'a str,
    frac: &'a str,
    exponent: i64,
    has_exponent: bool,
}

fn parts(s: &str) -> Option<Parts<'_>> {
    let (negative, body) = match s.as_bytes().first() {
        Some(b'-') => (true, s.get(1..)?),
        Some(b'+') => (false, s.get(1..)?),
        _ => (false, s),
    };
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(at) => (body.get(..at)?, Some(body.get(at + 1..)?)),
        None => (body, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        // `5.` and `.` are outside the grammar: a point needs digits after it.
        Some((_, "")) => return None,
        Some((int, frac)) => (int, frac),
        None if mantissa.is_empty() => return None,
        None => (mantissa, ""),
    };
    if !all_digits(int) || !all_digits(frac) {
        return None;
    }
    let exponent = match exponent {
        None => None,
        Some(e) => {
            let (sign, digits) = match e.as_bytes().first() {
                Some(b'-') => (-1, e.get(1..)?),
                Some(b'+') => (1, e.get(1..)?),
                _ => (1, e),
            };
            if digits.is_empty() || !all_digits(digits) {
                return None;
            }
            let magnitude = digits.bytes().fold(0i64, |acc, d| {
                acc.saturating_mul(10).saturating_add(i64::from(d - b'0'))
            });
            Some(sign * magnitude)
        }
    };
    Some(Parts {
        negative,
        int,
        frac,
        exponent: exponent.unwrap_or(0),
        has_exponent: exponent.is_some(),
    })
}

fn all_digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

/// A stored number, surrounding ASCII whitespace ignored. Returns it in a normal form that
/// Postgres `numeric` input accepts and that is also a JSON number: no `+`, no leading zeros,
/// a `0` before a leading point, a lower-case `e` with no `+`. Trailing fraction zeros are
/// kept because they are the value's scale in Postgres (`1.50`).
pub fn read_number(s: &str) -> Option<String> {
    let p = parts(s.trim_ascii())?;
    let int = p.int.trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    if int.len() + p.frac.len() > MAX_NUMBER_DIGITS
        || p.exponent.unsigned_abs() > MAX_NUMBER_EXPONENT
    {
        return None;
    }
    let mut out = String::with_capacity(int.len() + p.frac.len() + 8);
    if p.negative {
        out.push('-');
    }
    out.push_str(int);
    if !p.frac.is_empty() {
        out.push('.');
        out.push_str(p.frac);
    }
    if p.has_exponent {
        out.push('e');
        out.push_str(&p.exponent.to_string());
    }
    Some(out)
}

/// Exact order of two numbers in `read_number`'s grammar (no rounding through f64, so that
/// `between` bounds that differ in the 20th digit are still ordered right). `None` when either
/// is not a number.
pub fn compare_numbers(a: &str, b: &str) -> Option<Ordering> {
    // What integer columns print, on every maintained write: compared without building
    // decimals.
    if let (Some(a), Some(b)) = (small_integer(a), small_integer(b)) {
        return Some(a.cmp(&b));
    }
    compare_decimals(a, b)
}

/// An optional `-` and 1 to 18 digits (always within i64), as an i64.
fn small_integer(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || digits.len() > 18 || !all_digits(digits) {
        return None;
    }
    s.parse().ok()
}

fn compare_decimals(a: &str, b: &str) -> Option<Ordering> {
    let (a, b) = (Decimal::new(&parts(a)?), Decimal::new(&parts(b)?));
    Some(match (a.sign(), b.sign()) {
        (x, y) if x != y => x.cmp(&y),
        (0, _) => Ordering::Equal,
        (1, _) => a.magnitude_cmp(&b),
        _ => b.magnitude_cmp(&a),
    })
}

/// `0.digits × 10^point` with no leading or trailing zero digit; zero has no digits.
struct Decimal {
    negative: bool,
    digits: Vec<u8>,
    point: i64,
}

impl Decimal {
    fn new(p: &Parts) -> Decimal {
        let all: Vec<u8> = p.int.bytes().chain(p.frac.bytes()).collect();
        let leading = all.iter().take_while(|d| **d == b'0').count();
        let trailing = all.iter().rev().take_while(|d| **d == b'0').count();
        let digits = all
            .get(leading..all.len().saturating_sub(trailing))
            .unwrap_or_default();
        let int_len = i64::try_from(p.int.len()).unwrap_or(i64::MAX);
        let leading = i64::try_from(leading).unwrap_or(i64::MAX);
        Decimal {
            negative: p.negative,
            digits: digits.to_vec(),
            point: int_len.saturating_add(p.exponent).saturating_sub(leading),
        }
    }

    fn sign(&self) -> i8 {
        match (self.digits.is_empty(), self.negative) {
            (true, _) => 0,
            (false, true) => -1,
            (false, false) => 1,
        }
    }

    fn magnitude_cmp(&self, other: &Decimal) -> Ordering {
        self.point
            .cmp(&other.point)
            .then_with(|| self.digits.cmp(&other.digits))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_form() {
        assert_eq!(read_number("  12 ").as_deref(), Some("12"));
        assert_eq!(read_number("+5").as_deref(), Some("5"));
        assert_eq!(read_number(".5").as_deref(), Some("0.5"));
        assert_eq!(read_number("-.5E+3").as_deref(), Some("-0.5e3"));
        assert_eq!(read_number("007.50").as_deref(), Some("7.50"));
        assert_eq!(read_number("1e-0005").as_deref(), Some("1e-5"));
    }

    #[test]
    fn ordering_is_exact() {
        use Ordering::*;
        let cases = [
            ("1", "2", Less),
            ("10", "9", Greater),
            ("-10", "-9", Less),
            ("0", "-0.0", Equal),
            ("1.5", "1.50", Equal),
            ("1e2", "100", Equal),
            ("0.001", "1e-3", Equal),
            ("12345678901234567890.1", "12345678901234567890.2", Less),
            ("-1", "0", Less),
            (".5", "0.49", Greater),
            ("1e1000", "9e999", Greater),
        ];
        for (a, b, want) in cases {
            assert_eq!(compare_numbers(a, b), Some(want), "{a} vs {b}");
            assert_eq!(compare_numbers(b, a), Some(want.reverse()), "{b} vs {a}");
        }
        assert_eq!(compare_numbers("x", "1"), None);
    }

    proptest::proptest! {
        /// The integer shortcut orders as the exact comparison does, leading zeros, negative
        /// zero and the 18/19-digit edge included.
        #[test]
        fn integers_order_as_decimals(
            a in "-?0{0,2}[0-9]{1,19}",
            b in "-?0{0,2}[0-9]{1,19}",
        ) {
            proptest::prop_assert_eq!(compare_numbers(&a, &b), compare_decimals(&a, &b));
            proptest::prop_assert_eq!(compare_numbers(&a, &a), Some(Ordering::Equal));
        }
    }
}
