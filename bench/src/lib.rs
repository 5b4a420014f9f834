//! Shared pieces of the RouterOS client benchmarks.
//!
//! - `benches/codec.rs` (criterion): decoder and encoder throughput on realistic sentences
//!   built by [`address_list_row`] and [`interface_row`].
//! - `src/bin/e2e.rs`: end to end over loopback against the `routeros-sim` binary; see
//!   `bench/run.sh` for the whole comparison.
//!
//! The raw-socket baseline of the end-to-end benchmark writes its sentences with
//! [`raw_sentence`], a hand-written length-prefix encoder, so the baseline shares no code
//! with the client it is compared against.

use routeros_core::wire::SentenceEncoder;

/// Makes the words of row `i` of a sample reply, with the command's tag if any.
pub type RowFn = fn(usize, Option<u32>) -> Vec<Vec<u8>>;

/// The words of one `/ip/firewall/address-list` `!re` row as a RouterOS 7 router sends it:
/// `.id`, list, address, creation time, dynamic, disabled, a comment on every third row,
/// and the command's tag when there is one. About 117 bytes on the wire.
///
/// ```
/// let words = routeros_bench::address_list_row(2, Some(7));
/// assert_eq!(words[0], b"!re");
/// assert_eq!(words[1], b"=.id=*3");
/// assert_eq!(words.last().unwrap(), b".tag=7");
/// ```
pub fn address_list_row(i: usize, tag: Option<u32>) -> Vec<Vec<u8>> {
    let n = i as u32;
    let list = ["blocklist", "allowlist", "scanners", "tor-exits"][i % 4];
    let ip = 0x0A00_0000u32.wrapping_add(n.wrapping_mul(7919) & 0x00FF_FFFF);
    let ip = std::net::Ipv4Addr::from(ip);
    let secs = n * 37;
    let mut words = vec![
        b"!re".to_vec(),
        format!("=.id=*{:X}", n + 1).into_bytes(),
        format!("=list={list}").into_bytes(),
        format!("=address={ip}").into_bytes(),
        format!(
            "=creation-time=2023-11-{:02} {:02}:{:02}:{:02}",
            14 + secs / 86_400 % 14,
            secs / 3600 % 24,
            secs / 60 % 60,
            secs % 60
        )
        .into_bytes(),
        b"=dynamic=false".to_vec(),
        format!("=disabled={}", if i % 50 == 49 { "true" } else { "false" }).into_bytes(),
    ];
    if i.is_multiple_of(3) {
        words.push(format!("=comment=imported #{n}").into_bytes());
    }
    if let Some(tag) = tag {
        words.push(format!(".tag={tag}").into_bytes());
    }
    words
}

/// The words of one `/interface` `!re` row (about 25 attributes, 400 bytes, as
/// `/interface/print` returns for an Ethernet port).
pub fn interface_row(i: usize, tag: Option<u32>) -> Vec<Vec<u8>> {
    let name = format!("ether{}", i + 1);
    let attrs: [(&str, String); 25] = [
        (".id", format!("*{:X}", i + 1)),
        ("name", name.clone()),
        ("default-name", name),
        ("type", "ether".into()),
        ("mtu", "1500".into()),
        ("actual-mtu", "1500".into()),
        ("l2mtu", "1598".into()),
        ("max-l2mtu", "9796".into()),
        ("mac-address", format!("48:A9:8A:12:34:{:02X}", i & 0xFF)),
        ("last-link-up-time", "2024-01-15 10:23:45".into()),
        ("link-downs", "3".into()),
        ("rx-byte", (1_234_567_890u64 + i as u64 * 77).to_string()),
        ("tx-byte", (987_654_321u64 + i as u64 * 91).to_string()),
        ("rx-packet", (12_345_678u64 + i as u64).to_string()),
        ("tx-packet", (9_876_543u64 + i as u64).to_string()),
        ("rx-drop", "0".into()),
        ("tx-drop", "0".into()),
        ("tx-queue-drop", "0".into()),
        ("rx-error", "0".into()),
        ("tx-error", "0".into()),
        ("fp-rx-byte", "1234000".into()),
        ("fp-tx-byte", "0".into()),
        ("running", "true".into()),
        ("disabled", "false".into()),
        ("comment", "uplink to the core switch".into()),
    ];
    let mut words = vec![b"!re".to_vec()];
    words.extend(attrs.iter().map(|(k, v)| format!("={k}={v}").into_bytes()));
    if let Some(tag) = tag {
        words.push(format!(".tag={tag}").into_bytes());
    }
    words
}

/// Appends `words` as one encoded sentence (with terminator) to `out`, using the core
/// crate's encoder.
pub fn encode_sentence<W: AsRef<[u8]>>(words: &[W], out: &mut Vec<u8>) {
    let size: usize = words.iter().map(|w| w.as_ref().len() + 5).sum::<usize>() + 1;
    let mut buf = vec![0u8; size];
    let mut encoder = SentenceEncoder::new(&mut buf);
    for word in words {
        // The buffer was sized for the longest prefixes, and the sample words are not
        // empty: neither error can happen.
        if encoder.word(word.as_ref()).is_err() {
            return;
        }
    }
    if let Ok(bytes) = encoder.finish() {
        out.extend_from_slice(bytes);
    }
}

/// A reply stream: `rows` rows made by `row`, then `!done` (tagged when `tag` is set).
///
/// ```
/// let wire = routeros_bench::reply_stream(10, None, routeros_bench::address_list_row);
/// assert!(wire.ends_with(b"\x05!done\x00"));
/// ```
pub fn reply_stream(rows: usize, tag: Option<u32>, row: RowFn) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..rows {
        encode_sentence(&row(i, tag), &mut out);
    }
    let mut done = vec![b"!done".to_vec()];
    if let Some(tag) = tag {
        done.push(format!(".tag={tag}").into_bytes());
    }
    encode_sentence(&done, &mut out);
    out
}

/// Encodes `words` as one sentence with a hand-written length prefix, independent of the
/// core crate: the raw baseline of the end-to-end benchmark.
///
/// ```
/// assert_eq!(routeros_bench::raw_sentence(&[b"/quit"]), b"\x05/quit\x00");
/// assert_eq!(routeros_bench::raw_sentence(&[&[b'a'; 0x87][..]])[..2], [0x80, 0x87]);
/// ```
pub fn raw_sentence(words: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for word in words {
        let len = word.len() as u32;
        let be = len.to_be_bytes();
        match len {
            0..=0x7F => out.push(be[3]),
            0x80..=0x3FFF => out.extend_from_slice(&[be[2] | 0x80, be[3]]),
            0x4000..=0x1F_FFFF => out.extend_from_slice(&[be[1] | 0xC0, be[2], be[3]]),
            0x20_0000..=0x0FFF_FFFF => out.extend_from_slice(&[be[0] | 0xE0, be[1], be[2], be[3]]),
            _ => out.extend_from_slice(&[0xF0, be[0], be[1], be[2], be[3]]),
        }
        out.extend_from_slice(word);
    }
    out.push(0);
    out
}

/// Memory figures of this process from `/proc/self/status`, in KiB.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Memory {
    /// Peak resident set size (`VmHWM`).
    pub peak_rss_kib: u64,
    /// Current resident set size (`VmRSS`).
    pub rss_kib: u64,
}

/// Reads [`Memory`] from `/proc/self/status`; `None` where that file does not exist.
pub fn memory() -> Option<Memory> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        line[name.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    };
    Some(Memory {
        peak_rss_kib: field("VmHWM:")?,
        rss_kib: field("VmRSS:")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use routeros_core::wire::Decoder;
    use routeros_core::Reply;

    #[test]
    fn address_list_rows_are_about_117_bytes() {
        let wire = reply_stream(1000, None, address_list_row);
        let avg = wire.len() / 1000;
        assert!((105..=130).contains(&avg), "average row is {avg} bytes");
    }

    #[test]
    fn streams_decode_back() {
        let wire = reply_stream(50, Some(3), interface_row);
        let mut buf = vec![0u8; 4096];
        let mut decoder = Decoder::new(&mut buf[..]);
        let mut rest = &wire[..];
        let mut rows = 0;
        let mut done = false;
        while !rest.is_empty() {
            let n = decoder.feed(rest);
            rest = &rest[n..];
            while let Some(s) = decoder.next_sentence().unwrap() {
                let reply = Reply::parse(s).unwrap();
                assert_eq!(reply.tag().unwrap().as_bytes(), b"3");
                match reply.get("name") {
                    Some(name) => {
                        rows += 1;
                        assert_eq!(name.to_string(), format!("ether{rows}"));
                    }
                    None => done = true,
                }
            }
        }
        assert_eq!((rows, done), (50, true));
    }

    #[test]
    fn raw_sentence_matches_the_core_encoder() {
        let long = vec![b'x'; 0x4321];
        let words: [&[u8]; 4] = [b"/login", b"=name=admin", &[b'x'; 300], &long];
        let mut core = Vec::new();
        encode_sentence(&words, &mut core);
        assert_eq!(raw_sentence(&words), core);
    }

    #[test]
    fn memory_is_read() {
        let m = memory().unwrap();
        assert!(m.peak_rss_kib >= m.rss_kib && m.rss_kib > 0);
    }
}
