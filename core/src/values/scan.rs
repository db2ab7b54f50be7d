//! A byte cursor for the fixed-shape formats of dates and times. Hand-written rather than
//! delegated to chrono's format strings, because those accept more than the formats the spec
//! names (e.g. variable-width fields), and what is read here must match Postgres exactly.

pub(super) struct Scan<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Scan<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        Scan {
            bytes: text.as_bytes(),
            pos: 0,
        }
    }

    pub(super) fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    pub(super) fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// Consumes `byte` if it is next.
    pub(super) fn eat(&mut self, byte: u8) -> bool {
        self.eat_if(|b| b == byte).is_some()
    }

    pub(super) fn eat_if(&mut self, pred: impl Fn(u8) -> bool) -> Option<u8> {
        let b = self.peek().filter(|&b| pred(b))?;
        self.pos += 1;
        Some(b)
    }

    /// Between `min` and `max` ASCII digits (as many as there are, up to `max`), as a number.
    pub(super) fn digits(&mut self, min: usize, max: usize) -> Option<u32> {
        let start = self.pos;
        let mut value: u32 = 0;
        while self.pos - start < max {
            let Some(d) = self.eat_if(|b| b.is_ascii_digit()) else {
                break;
            };
            value = value.saturating_mul(10).saturating_add(u32::from(d - b'0'));
        }
        (self.pos - start >= min).then_some(value)
    }

    /// Every ASCII digit from here on, as text (possibly empty).
    pub(super) fn digit_run(&mut self) -> &'a str {
        let start = self.pos;
        while self.eat_if(|b| b.is_ascii_digit()).is_some() {}
        // Only ASCII digits were consumed, so the slice is valid UTF-8 on char boundaries.
        std::str::from_utf8(self.bytes.get(start..self.pos).unwrap_or_default()).unwrap_or_default()
    }
}
