//! Tags on the wire: which slot, which generation, command or cancel.
//!
//! A command in slot `s` of generation `g` is tagged `1 + s + N * (g mod W)` with
//! `W = 2^30 / N`, so a reply's tag names its slot and generation without a lookup table, and
//! a reply for a finished command (an older generation) is recognised and dropped. The
//! `/cancel` sent for a tag `t` carries the tag `t | 2^31`: cancels need no slot of their own,
//! and their replies are told apart from every command's. Keepalive probes, which need no
//! slot either, are tagged above every cancel tag: `2^31 + 2^30 + k` with `1 <= k < 2^30`.

/// Set on the tags of `/cancel` commands.
pub(crate) const CANCEL_BIT: u32 = 1 << 31;

/// Probe tags are above this (every cancel tag is at most this).
const PROBE_BASE: u32 = CANCEL_BIT | (1 << 30);

/// The tag of keepalive probe number `seq` (any `u32`; wraps).
pub(crate) const fn probe_tag(seq: u32) -> u32 {
    PROBE_BASE + 1 + seq % ((1 << 30) - 1)
}

/// How many generations fit in the tag space for `n` slots.
pub(crate) const fn wrap(n: usize) -> u32 {
    (1u32 << 30) / (n as u32)
}

/// The tag for slot `slot` (`< n`) in generation `generation`.
pub(crate) const fn command_tag(n: usize, slot: usize, generation: u32) -> u32 {
    1 + slot as u32 + (n as u32) * (generation % wrap(n))
}

/// The tag of the `/cancel` that stops the command tagged `tag`.
pub(crate) const fn cancel_tag(tag: u32) -> u32 {
    tag | CANCEL_BIT
}

/// What a reply's tag says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Parsed {
    /// A reply to a command: its slot and generation (modulo the wrap).
    Command { slot: usize, generation: u32 },
    /// A reply to a `/cancel`.
    Cancel,
    /// A reply to a keepalive probe: its tag.
    Probe(u32),
    /// A tag this client never sent.
    Foreign,
}

/// Reads a tag value (`.tag=` bytes).
pub(crate) fn parse(n: usize, tag: &[u8]) -> Parsed {
    let Some(value) = parse_u32(tag) else {
        return Parsed::Foreign;
    };
    if value > PROBE_BASE {
        return Parsed::Probe(value);
    }
    if value & CANCEL_BIT != 0 {
        return Parsed::Cancel;
    }
    if value == 0 || value > (n as u32) * wrap(n) {
        return Parsed::Foreign;
    }
    let index = value - 1;
    Parsed::Command {
        slot: (index % n as u32) as usize,
        generation: index / n as u32,
    }
}

/// Whether the generation of a handle matches the one read from a tag.
pub(crate) const fn same_generation(n: usize, full: u32, from_tag: u32) -> bool {
    full % wrap(n) == from_tag
}

fn parse_u32(bytes: &[u8]) -> Option<u32> {
    if bytes.is_empty() || bytes.len() > 10 {
        return None;
    }
    let mut value: u32 = 0;
    for &b in bytes {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value.checked_mul(10)?.checked_add(u32::from(b - b'0'))?;
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(n: u32) -> std::vec::Vec<u8> {
        crate::proto::TagText::new(n).as_bytes().to_vec()
    }

    #[test]
    fn tags_round_trip() {
        for n in [1usize, 4, 16, 1024] {
            for slot in [0, n / 2, n - 1] {
                for generation in [0u32, 1, 77, u32::MAX] {
                    let tag = command_tag(n, slot, generation);
                    assert!(tag & CANCEL_BIT == 0 && tag != 0);
                    let Parsed::Command {
                        slot: s,
                        generation: g,
                    } = parse(n, &text(tag))
                    else {
                        panic!("not a command tag");
                    };
                    assert_eq!(s, slot);
                    assert!(same_generation(n, generation, g));
                    assert_eq!(parse(n, &text(cancel_tag(tag))), Parsed::Cancel);
                    assert!(cancel_tag(tag) < probe_tag(0));
                }
            }
        }
    }

    #[test]
    fn probe_tags_are_their_own() {
        for seq in [0, 1, (1 << 30) - 2, (1 << 30) - 1, u32::MAX] {
            let tag = probe_tag(seq);
            assert_eq!(parse(4, &text(tag)), Parsed::Probe(tag));
        }
        assert_eq!(
            parse(1, &text(cancel_tag(command_tag(1, 0, u32::MAX)))),
            Parsed::Cancel
        );
    }

    #[test]
    fn generations_differ_on_the_wire() {
        assert_ne!(command_tag(4, 2, 5), command_tag(4, 2, 6));
        assert_ne!(command_tag(4, 1, 5), command_tag(4, 2, 5));
    }

    #[test]
    fn foreign_tags() {
        assert_eq!(parse(4, b""), Parsed::Foreign);
        assert_eq!(parse(4, b"abc"), Parsed::Foreign);
        assert_eq!(parse(4, b"0"), Parsed::Foreign);
        assert_eq!(parse(4, b"99999999999"), Parsed::Foreign);
        assert_eq!(parse(4, b"-1"), Parsed::Foreign);
    }
}
