//! SHA-256 certificate fingerprints.

use std::fmt;
use std::str::FromStr;

use crate::error::ConfigError;

/// The SHA-256 digest of a certificate (its DER bytes), as
/// `openssl x509 -noout -fingerprint -sha256` prints it.
///
/// Parsed from 64 hexadecimal digits, upper or lower case, with or without colons, and with
/// or without a leading `sha256:` or `SHA256 Fingerprint=`; shown upper case with colons.
///
/// ```
/// use routeros_tokio::Fingerprint;
/// let fp: Fingerprint = "sha256:7A0E553BF43C624491B46F258D060C96236B4C1DA07FAB330CF83EBD5C61F01E"
///     .parse()
///     .unwrap();
/// assert!(fp.to_string().starts_with("7A:0E:55:3B:"));
/// assert_eq!(fp.to_string().parse::<Fingerprint>().unwrap(), fp);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    /// The fingerprint of a DER-encoded certificate.
    pub fn of(der: &[u8]) -> Self {
        let digest = ring::digest::digest(&ring::digest::SHA256, der);
        let mut out = [0u8; 32];
        out.copy_from_slice(digest.as_ref());
        Self(out)
    }
}

impl FromStr for Fingerprint {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let s = match s.rsplit_once('=') {
            Some((prefix, rest)) if prefix.to_ascii_lowercase().contains("sha256") => rest,
            _ => s,
        };
        let s = match s.get(..7) {
            Some(p) if p.eq_ignore_ascii_case("sha256:") => &s[7..],
            _ => s,
        };
        let mut out = [0u8; 32];
        let mut n = 0;
        let mut high: Option<u8> = None;
        for c in s.chars() {
            if c == ':' {
                if high.is_some() {
                    return Err(ConfigError::Fingerprint);
                }
                continue;
            }
            let d = c.to_digit(16).ok_or(ConfigError::Fingerprint)? as u8;
            match high.take() {
                None => high = Some(d),
                Some(h) => {
                    *out.get_mut(n).ok_or(ConfigError::Fingerprint)? = h << 4 | d;
                    n += 1;
                }
            }
        }
        if n != 32 || high.is_some() {
            return Err(ConfigError::Fingerprint);
        }
        Ok(Self(out))
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let hex = "7a0e553bf43c624491b46f258d060c96236b4c1da07fab330cf83ebd5c61f01e";
        let fp: Fingerprint = hex.parse().unwrap();
        assert_eq!(fp.0[0], 0x7a);
        assert_eq!(fp.0[31], 0x1e);
        for form in [
            hex.to_uppercase(),
            fp.to_string(),
            format!("sha256:{hex}"),
            format!("SHA256 Fingerprint={}", fp),
        ] {
            assert_eq!(form.parse::<Fingerprint>().unwrap(), fp, "{form}");
        }
        for bad in [
            "",
            "7a",
            &hex[1..],
            &format!("{hex}00"),
            "7:a0e",
            &hex.replace('7', "g"),
        ] {
            assert!(bad.parse::<Fingerprint>().is_err(), "{bad}");
        }
    }

    #[test]
    fn digest_of_bytes() {
        // SHA-256 of "abc" (FIPS 180-2, appendix B.1).
        assert_eq!(
            Fingerprint::of(b"abc")
                .to_string()
                .replace(':', "")
                .to_lowercase(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
