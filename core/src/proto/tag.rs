//! Command tags as they appear on the wire.

/// A tag written out in decimal, as it appears on the wire.
#[derive(Clone, Copy)]
pub(crate) struct TagText {
    digits: [u8; 10],
    start: usize,
}

impl TagText {
    pub(crate) fn new(mut n: u32) -> Self {
        let mut digits = [0u8; 10];
        let mut start = digits.len();
        loop {
            start -= 1;
            digits[start] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                return Self { digits, start };
            }
        }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.digits[self.start..]
    }

    /// Whether `text` is this tag. A byte loop: tags are a few digits, and this runs for
    /// every reply sentence.
    #[inline]
    pub(crate) fn is(&self, text: &[u8]) -> bool {
        // The length first (most foreign tags differ in it, and it bounds the loop), then the
        // digits from the last: tags of one command family share their leading digits.
        let Some(own) = self.digits.get(self.start..) else {
            return false;
        };
        if own.len() != text.len() {
            return false;
        }
        own.iter().rev().zip(text.iter().rev()).all(|(a, b)| a == b)
    }
}

#[cfg(test)]
mod tests {
    use super::TagText;

    #[test]
    fn tags_in_decimal() {
        assert_eq!(TagText::new(0).as_bytes(), b"0");
        assert_eq!(TagText::new(907).as_bytes(), b"907");
        assert_eq!(TagText::new(u32::MAX).as_bytes(), b"4294967295");
    }
}
