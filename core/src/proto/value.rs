//! Attribute values: raw bytes, with text and typed views on top.

use core::fmt;

/// One value (or word) exactly as the router sent it.
///
/// RouterOS stores whatever bytes a writer sent; names and comments made in WinBox are often
/// in a Windows code page. A `Value` never fails on such bytes: [`as_bytes`](Self::as_bytes)
/// is always there, [`as_str`](Self::as_str) when the bytes are UTF-8, and [`chars`](Self::chars)
/// (also used by `Display`) falls back to a lossless Windows-1252 reading.
///
/// ```
/// use routeros_core::Value;
/// assert_eq!(Value::new(b"yes").to_bool(), Some(true));
/// assert_eq!(Value::new(b"1500").parse::<u32>(), Some(1500));
/// let latin = Value::new(b"Caf\xe9");
/// assert_eq!(latin.as_str(), None);
/// assert_eq!(format!("{latin}"), "Café");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Value<'a>(&'a [u8]);

impl<'a> Value<'a> {
    /// Wraps raw bytes.
    pub const fn new(bytes: &'a [u8]) -> Self {
        Self(bytes)
    }

    /// The bytes as sent.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.0
    }

    /// The value as text, if it is valid UTF-8.
    pub fn as_str(&self) -> Option<&'a str> {
        core::str::from_utf8(self.0).ok()
    }

    /// Whether the value is empty (an attribute written as `=name=`).
    pub const fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `yes`/`true` → `true`, `no`/`false` → `false`, anything else → `None`.
    pub fn to_bool(&self) -> Option<bool> {
        match self.0 {
            b"yes" | b"true" => Some(true),
            b"no" | b"false" => Some(false),
            _ => None,
        }
    }

    /// Parses the value with [`FromStr`](core::str::FromStr) (numbers, addresses, ...).
    pub fn parse<T: core::str::FromStr>(&self) -> Option<T> {
        self.as_str()?.parse().ok()
    }

    /// The characters of the value: UTF-8 when valid, otherwise every byte read as
    /// Windows-1252 (lossless: each byte maps to exactly one character).
    pub fn chars(&self) -> Chars<'a> {
        match self.as_str() {
            Some(text) => Chars::Utf8(text.chars()),
            None => Chars::Windows1252(self.0.iter()),
        }
    }
}

impl fmt::Display for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.as_str() {
            Some(text) => f.write_str(text),
            None => self.chars().try_for_each(|c| fmt::Write::write_char(f, c)),
        }
    }
}

impl fmt::Debug for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        for c in self.chars() {
            for e in c.escape_debug() {
                fmt::Write::write_char(f, e)?;
            }
        }
        f.write_str("\"")
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Value<'_> {
    fn format(&self, f: defmt::Formatter) {
        match self.as_str() {
            Some(text) => defmt::write!(f, "{=str}", text),
            None => defmt::write!(f, "{=[u8]}", self.0),
        }
    }
}

/// Characters of a [`Value`]; see [`Value::chars`].
#[derive(Clone)]
pub enum Chars<'a> {
    /// The value was UTF-8.
    Utf8(core::str::Chars<'a>),
    /// The value was read byte by byte as Windows-1252.
    Windows1252(core::slice::Iter<'a, u8>),
}

impl Iterator for Chars<'_> {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        match self {
            Self::Utf8(chars) => chars.next(),
            Self::Windows1252(bytes) => bytes.next().map(|&b| windows_1252_char(b)),
        }
    }
}

/// Characters for bytes `0x80..=0x9F` in Windows-1252. The five bytes the code page leaves
/// undefined map to the C1 control of the same number, as in the WHATWG encoding standard,
/// which keeps the mapping one-to-one.
const WINDOWS_1252_HIGH: [char; 32] = [
    '\u{20AC}', '\u{0081}', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{02C6}', '\u{2030}', '\u{0160}', '\u{2039}', '\u{0152}', '\u{008D}', '\u{017D}', '\u{008F}',
    '\u{0090}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{02DC}', '\u{2122}', '\u{0161}', '\u{203A}', '\u{0153}', '\u{009D}', '\u{017E}', '\u{0178}',
];

/// The character a Windows-1252 byte stands for.
///
/// ```
/// use routeros_core::windows_1252_char;
/// assert_eq!(windows_1252_char(b'A'), 'A');
/// assert_eq!(windows_1252_char(0x80), '€');
/// assert_eq!(windows_1252_char(0xE9), 'é');
/// ```
pub const fn windows_1252_char(byte: u8) -> char {
    match byte {
        0x80..=0x9F => WINDOWS_1252_HIGH[(byte - 0x80) as usize],
        // Latin-1 and ASCII bytes are their own code point.
        _ => byte as char,
    }
}

/// The Windows-1252 byte for a character, the inverse of [`windows_1252_char`].
pub fn windows_1252_byte(c: char) -> Option<u8> {
    match c as u32 {
        0..=0x7F | 0xA0..=0xFF => Some(c as u8),
        _ => WINDOWS_1252_HIGH
            .iter()
            .position(|&h| h == c)
            .map(|i| 0x80 + i as u8),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_1252_is_lossless() {
        for b in 0..=255u8 {
            assert_eq!(windows_1252_byte(windows_1252_char(b)), Some(b));
        }
    }

    #[test]
    fn bools() {
        for (text, want) in [
            ("yes", Some(true)),
            ("true", Some(true)),
            ("no", Some(false)),
            ("false", Some(false)),
            ("", None),
            ("Yes", None),
        ] {
            assert_eq!(Value::new(text.as_bytes()).to_bool(), want);
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(Value::new(b"-12").parse::<i64>(), Some(-12));
        assert_eq!(Value::new(b"x").parse::<u8>(), None);
        assert_eq!(Value::new(b"\xff").parse::<u8>(), None);
    }
}
