//! Login: the plain method of RouterOS 6.43+ and the older MD5 challenge.
//!
//! The client sends the plain `/login =name=U =password=P` first. A `!done` without `=ret=`
//! means logged in. A `!done` carrying `=ret=HEX` comes from a router older than 6.43: it
//! is a challenge, not a success, and the client answers with
//! `/login =name=U =response=00` followed by the hex of `md5(0x00 ‖ password ‖ unhex(HEX))`.

use md5::{Digest, Md5};

use super::ProtocolError;

/// The answer to an MD5 login challenge: `00` followed by 32 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ChallengeResponse([u8; 34]);

impl ChallengeResponse {
    /// The response as ASCII bytes, ready to send as `=response=`.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The response as text.
    pub fn as_str(&self) -> &str {
        // Only ASCII hex digits are ever written.
        core::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl core::fmt::Debug for ChallengeResponse {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("ChallengeResponse(<redacted>)")
    }
}

/// The largest challenge accepted, in bytes after hex decoding. Routers send 16.
const MAX_CHALLENGE: usize = 64;

/// Computes the response to the MD5 challenge `challenge_hex` (the `=ret=` of the first
/// `/login`).
///
/// ```
/// use routeros_core::proto::challenge_response;
/// let r = challenge_response(b"", b"856780b7411eefd3abadee2058c149a3").unwrap();
/// assert_eq!(r.as_str(), "005062f7a5ef124d34675bf3e81f56c556");
/// ```
pub fn challenge_response(
    password: &[u8],
    challenge_hex: &[u8],
) -> Result<ChallengeResponse, ProtocolError> {
    if challenge_hex.len() % 2 != 0 || challenge_hex.len() > MAX_CHALLENGE * 2 {
        return Err(ProtocolError::BadChallenge);
    }
    let mut challenge = [0u8; MAX_CHALLENGE];
    for (i, pair) in challenge_hex.chunks_exact(2).enumerate() {
        let hi = hex_digit(pair[0]).ok_or(ProtocolError::BadChallenge)?;
        let lo = hex_digit(pair[1]).ok_or(ProtocolError::BadChallenge)?;
        challenge[i] = hi << 4 | lo;
    }
    let mut hasher = Md5::new();
    hasher.update([0u8]);
    hasher.update(password);
    hasher.update(&challenge[..challenge_hex.len() / 2]);
    let digest = hasher.finalize();
    let mut out = [b'0'; 34];
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (i, byte) in digest.iter().enumerate() {
        out[2 + 2 * i] = HEX[usize::from(byte >> 4)];
        out[3 + 2 * i] = HEX[usize::from(byte & 0xF)];
    }
    Ok(ChallengeResponse(out))
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_vectors() {
        let r = challenge_response(b"", b"856780b7411eefd3abadee2058c149a3").unwrap();
        assert_eq!(r.as_str(), "005062f7a5ef124d34675bf3e81f56c556");
        let r = challenge_response(b"passTest", b"abc123").unwrap();
        assert_eq!(r.as_str(), "0021277bff9ac7caf06aa608e46616d47f");
    }

    #[test]
    fn bad_challenges() {
        assert_eq!(
            challenge_response(b"", b"abc"),
            Err(ProtocolError::BadChallenge)
        );
        assert_eq!(
            challenge_response(b"", b"zz"),
            Err(ProtocolError::BadChallenge)
        );
        let long = [b'a'; 200];
        assert_eq!(
            challenge_response(b"", &long),
            Err(ProtocolError::BadChallenge)
        );
    }

    #[test]
    fn debug_hides_the_response() {
        let r = challenge_response(b"secret", b"abc123").unwrap();
        let mut s = heapless::String::<64>::new();
        core::fmt::write(&mut s, format_args!("{r:?}")).unwrap();
        assert!(!s.contains(r.as_str()));
    }
}
