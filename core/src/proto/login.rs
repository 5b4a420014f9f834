//! Login: the plain method of RouterOS 6.43+ and the older MD5 challenge.
//!
//! The client sends the plain `/login =name=U =password=P` first. A `!done` without `=ret=`
//! means logged in. A `!done` carrying `=ret=HEX` comes from a router older than 6.43: it
//! is a challenge, not a success, and the client answers with
//! `/login =name=U =response=00` followed by the hex of `md5(0x00 ‖ password ‖ unhex(HEX))`.

use md5::{Digest, Md5};

use super::{message_str, ProtocolError, Value};
use crate::request::Request;
use crate::wire::{SentenceEncoder, WireError};
use crate::Error;

/// A `/login` sentence: the name and one secret word (`=password=` or `=response=`).
/// It has no `Debug`: the secret must never be printed.
pub(crate) struct LoginRequest<'a> {
    name: &'a [u8],
    secret_word: &'static [u8],
    secret: &'a [u8],
}

impl<'a> LoginRequest<'a> {
    /// The plain login of RouterOS 6.43+, sent first to every router.
    pub(crate) fn plain(name: &'a str, password: &'a str) -> Self {
        Self {
            name: name.as_bytes(),
            secret_word: b"=password=",
            secret: password.as_bytes(),
        }
    }

    /// The answer to a pre-6.43 MD5 challenge.
    pub(crate) fn md5(name: &'a str, response: &'a ChallengeResponse) -> Self {
        Self {
            name: name.as_bytes(),
            secret_word: b"=response=",
            secret: response.as_bytes(),
        }
    }
}

impl Request for LoginRequest<'_> {
    fn encode(&self, encoder: &mut SentenceEncoder<'_>) -> Result<(), WireError> {
        encoder.word(b"/login")?;
        encoder.word_from_parts(&[b"=name=", self.name])?;
        encoder.word_from_parts(&[self.secret_word, self.secret])?;
        Ok(())
    }
}

/// What the `!done` of the plain `/login` means: `None` when logged in, or the MD5
/// response to send when the router (older than 6.43) answered with a challenge.
pub(crate) fn answer_to_plain(
    ret: Option<Value<'_>>,
    password: &str,
) -> Result<Option<ChallengeResponse>, Error> {
    match ret {
        None => Ok(None),
        Some(challenge) => Ok(Some(challenge_response(
            password.as_bytes(),
            challenge.as_bytes(),
        )?)),
    }
}

/// Checks the `!done` of the MD5 `/login`: another challenge is not a success.
pub(crate) fn check_md5_done(ret: Option<Value<'_>>) -> Result<(), Error> {
    match ret {
        None => Ok(()),
        Some(_) => Err(Error::AuthFailed(message_str(
            "router answered the response with another challenge",
        ))),
    }
}

/// A trap during login means the credentials were refused.
pub(crate) fn auth_error(e: Error) -> Error {
    match e {
        Error::Trap(trap) => Error::AuthFailed(trap.message),
        other => other,
    }
}

/// The answer to an MD5 login challenge: `00` followed by 32 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ChallengeResponse([u8; 34]);

impl ChallengeResponse {
    /// The response as ASCII bytes, ready to send as `=response=`.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Overwrites the response in memory (it is as good as the password against this
    /// router's current challenge).
    pub(crate) fn wipe(&mut self) {
        crate::wipe::wipe(&mut self.0);
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
