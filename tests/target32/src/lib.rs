//! Checks of `routeros-core` that must hold on 32-bit targets too: the length codec, the
//! decoder (byte by byte, oversize sentences, words claiming up to `u32::MAX` bytes at buffer
//! offset 0), and the `Client` over a scripted transport, login included. No allocator, no
//! std: the same code runs on wasm32 under Node, on Cortex-M0 and on RV32 under QEMU.
//!
//! The vectors are a subset of `tests/vectors/` (sources named there).

#![no_std]

use core::future::Future;
use core::pin::pin;
use core::task::{Context, Poll, Waker};

use routeros_core::wire::{
    decode_length, encode_length, Decoder, LengthPrefix, SentenceEncoder, WireError,
};
use routeros_core::{Client, Error, TrapCategory};

/// What a failed check reports.
pub type Failure = &'static str;

/// One group of checks.
type Group = fn() -> Result<(), Failure>;

/// Fails with `msg` unless `ok`.
fn check(ok: bool, msg: &'static str) -> Result<(), Failure> {
    if ok {
        Ok(())
    } else {
        Err(msg)
    }
}

/// Runs every check, logging each group's name; returns how many groups passed.
pub fn run(log: &mut dyn FnMut(&str)) -> Result<u32, Failure> {
    let groups: [(&str, Group); 7] = [
        ("length codec", lengths),
        ("decoder byte by byte", decoder_byte_by_byte),
        ("decoder oversize, tag last", decoder_oversize_tag_last),
        ("decoder huge word at offset 0", decoder_huge_words),
        ("client rows, traps, =key", client_rows),
        ("client plain and MD5 login", client_login),
        ("client huge word then close", client_huge_word),
    ];
    let mut passed = 0;
    for (name, group) in groups {
        log(name);
        group()?;
        passed += 1;
    }
    Ok(passed)
}

fn lengths() -> Result<(), Failure> {
    let vectors: [(u32, &[u8]); 12] = [
        (0x01, &[0x01]),
        (0x7F, &[0x7F]),
        (0x80, &[0x80, 0x80]),
        (0x87, &[0x80, 0x87]),
        (0x3FFF, &[0xBF, 0xFF]),
        (0x4000, &[0xC0, 0x40, 0x00]),
        (0x4321, &[0xC0, 0x43, 0x21]),
        (0x2A_CDEF, &[0xE0, 0x2A, 0xCD, 0xEF]),
        (0x0FFF_FFFF, &[0xEF, 0xFF, 0xFF, 0xFF]),
        (0x1000_0000, &[0xF0, 0x10, 0x00, 0x00, 0x00]),
        (0x1000_0080, &[0xF0, 0x10, 0x00, 0x00, 0x80]),
        (u32::MAX, &[0xF0, 0xFF, 0xFF, 0xFF, 0xFF]),
    ];
    for (len, bytes) in vectors {
        let mut out = [0u8; 5];
        let n = encode_length(len, &mut out).map_err(|_| "encode_length failed")?;
        check(&out[..n] == bytes, "encode_length gave other bytes")?;
        check(
            decode_length(bytes)
                == Ok(LengthPrefix::Complete {
                    len,
                    prefix: bytes.len(),
                }),
            "decode_length gave another length",
        )?;
    }
    for first in 0xF1..=0xFFu8 {
        check(
            decode_length(&[first, 0, 0, 0, 0]) == Err(WireError::ControlByte(first)),
            "a first byte 0xF1..=0xFF was read as a length",
        )?;
    }
    Ok(())
}

/// Encodes `words` as one sentence into `out`; returns its length.
fn encode(words: &[&[u8]], out: &mut [u8]) -> usize {
    let mut enc = SentenceEncoder::new(out);
    for w in words {
        if enc.word(w).is_err() {
            return 0;
        }
    }
    enc.finish().map(|s| s.len()).unwrap_or(0)
}

fn decoder_byte_by_byte() -> Result<(), Failure> {
    // go-routeros sentence_test.go and the manual's tag-last form.
    let mut wire = [0u8; 128];
    let mut n = encode(&[b"!re", b"=tx-byte=123456789", b"=only-key"], &mut wire);
    n += encode(&[b"!done", b".tag=abc123"], &mut wire[n..]);
    let mut buf = [0u8; 64];
    let mut decoder = Decoder::new(&mut buf[..]);
    let mut seen = 0;
    for &byte in &wire[..n] {
        check(decoder.feed(&[byte]) == 1, "no room for one byte")?;
        while let Some(s) = decoder.next_sentence().map_err(|_| "decoder error")? {
            let mut words = s.words();
            match seen {
                0 => {
                    check(words.next() == Some(b"!re"), "first sentence")?;
                    check(words.nth(1) == Some(b"=only-key"), "=only-key kept")?;
                }
                _ => check(words.nth(1) == Some(b".tag=abc123"), "tag word")?,
            }
            seen += 1;
        }
    }
    check(seen == 2, "two sentences")
}

fn decoder_oversize_tag_last() -> Result<(), Failure> {
    let mut wire = [0u8; 512];
    let big = [b'x'; 300];
    let mut n = encode(&[b"!re", &big, b".tag=7"], &mut wire);
    n += encode(&[b"!done", b".tag=7"], &mut wire[n..]);
    let mut buf = [0u8; 64];
    let mut decoder = Decoder::new(&mut buf[..]);
    let (mut too_large, mut done) = (0, 0);
    let mut rest = &wire[..n];
    while !rest.is_empty() {
        let k = decoder.feed(&rest[..rest.len().min(7)]);
        rest = &rest[k..];
        loop {
            match decoder.next_sentence() {
                Ok(Some(s)) => {
                    check(s.first() == Some(b"!done"), "the !done after it")?;
                    done += 1;
                }
                Ok(None) => break,
                Err(WireError::SentenceTooLarge) => {
                    too_large += 1;
                    check(decoder.skipped().tag() == Some(b"7"), "tag found last")?;
                    check(decoder.skipped().reply_word() == Some(b"!re"), "reply word")?;
                }
                Err(_) => return Err("unexpected decoder error"),
            }
        }
    }
    check(
        too_large == 1 && done == 1,
        "one skipped sentence, then !done",
    )
}

fn decoder_huge_words() -> Result<(), Failure> {
    // A word at buffer offset 0 claiming 0xFFFF_FFFA..=0xFFFF_FFFF bytes: on a 32-bit target
    // `offset + prefix + len` overflows `usize`. It must be refused at once (past the skip
    // limit), not trap, stall or wait for more.
    for last in [0xFA, 0xFB, 0xFE, 0xFF] {
        let mut buf = [0u8; 16];
        let mut decoder = Decoder::new(&mut buf[..]);
        check(
            decoder.feed(&[0xF0, 0xFF, 0xFF, 0xFF, last, b'a']) == 6,
            "six bytes fit",
        )?;
        check(
            matches!(decoder.next_sentence(), Err(WireError::TooLargeToSkip)),
            "a huge word must be TooLargeToSkip at once",
        )?;
        check(
            matches!(decoder.next_sentence(), Err(WireError::TooLargeToSkip)),
            "the error is sticky",
        )?;
    }
    Ok(())
}

/// A transport that replays the router's bytes (queued up front: the client always writes
/// before it reads) and keeps what the client wrote. At the end of its bytes it reports the
/// connection closed.
struct Scripted<'a> {
    incoming: &'a [u8],
    written: [u8; 512],
    written_len: usize,
}

impl<'a> Scripted<'a> {
    fn new(incoming: &'a [u8]) -> Self {
        Self {
            incoming,
            written: [0; 512],
            written_len: 0,
        }
    }

    fn wrote(&self, needle: &[u8]) -> bool {
        self.written[..self.written_len]
            .windows(needle.len())
            .any(|w| w == needle)
    }
}

impl embedded_io_async::ErrorType for Scripted<'_> {
    type Error = embedded_io_async::ErrorKind;
}

impl embedded_io_async::Read for Scripted<'_> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        // Odd-sized reads: 3 bytes at a time.
        let n = buf.len().min(3).min(self.incoming.len());
        buf[..n].copy_from_slice(&self.incoming[..n]);
        self.incoming = &self.incoming[n..];
        Ok(n)
    }
}

impl embedded_io_async::Write for Scripted<'_> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        let room = self.written.len() - self.written_len;
        let n = buf.len().min(room).min(5);
        self.written[self.written_len..self.written_len + n].copy_from_slice(&buf[..n]);
        self.written_len += n;
        Ok(n)
    }

    async fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// Polls `future` to its end with a waker that does nothing (the scripted transport never
/// waits); a future still pending after many polls counts as hung.
fn block_on<F: Future>(future: F) -> Result<F::Output, Failure> {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..100_000 {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return Ok(out);
        }
    }
    Err("a call never finished")
}

/// Router bytes: sentences of words, encoded one after another.
fn script<'b>(sentences: &[&[&[u8]]], out: &'b mut [u8]) -> &'b [u8] {
    let mut n = 0;
    for words in sentences {
        n += encode(words, &mut out[n..]);
    }
    &out[..n]
}

fn client_rows() -> Result<(), Failure> {
    let mut bytes = [0u8; 512];
    // Tags: the client numbers its commands 1, 2, ... (login is 1).
    let wire = script(
        &[
            &[b"!done", b".tag=1"],
            &[b"!re", b"=name=ether1", b"=only-key", b".tag=2"],
            &[b"!re", b"=name=foreign", b".tag=99"],
            &[b"!re", b"=list=a", b"=list=b", b".tag=2"],
            &[b"!done", b".tag=2"],
            &[b"!trap", b"=category=1", b"=message=bad", b".tag=3"],
            &[b"!done", b".tag=3"],
        ],
        &mut bytes,
    );
    let (mut rx, mut tx) = ([0u8; 256], [0u8; 128]);
    let mut client = Client::new(Scripted::new(wire), &mut rx[..], &mut tx[..]);
    block_on(client.login("admin", ""))?.map_err(|_| "login failed")?;
    block_on(async {
        let mut rows = client
            .command(&["/interface/print"])
            .await
            .map_err(|_| "command failed")?;
        let row = rows
            .next()
            .await
            .ok_or("no first row")?
            .map_err(|_| "row 1")?;
        check(
            row.get("name").map(|v| v.as_bytes()) == Some(&b"ether1"[..]),
            "name=ether1",
        )?;
        check(
            row.get("only-key").map(|v| v.as_bytes()) == Some(&b""[..]),
            "=only-key kept with an empty value",
        )?;
        let row = rows
            .next()
            .await
            .ok_or("no second row")?
            .map_err(|_| "row 2")?;
        check(
            row.get("list").map(|v| v.as_bytes()) == Some(&b"b"[..]),
            "the later of two duplicate keys",
        )?;
        check(rows.next().await.is_none(), "the !done ends the rows")?;
        Ok::<_, Failure>(())
    })??;
    let trap = block_on(client.run(&["/ip/address/add"]))?;
    match trap {
        Err(Error::Trap(t)) => check(
            t.category == Some(TrapCategory::from_code(1)) && t.message.as_str() == "bad",
            "the trap's category and message",
        ),
        _ => Err("a trap was expected"),
    }
}

fn client_login() -> Result<(), Failure> {
    // The MD5 challenge of MikroTik's API manual, empty password.
    let mut bytes = [0u8; 256];
    let wire = script(
        &[
            &[
                b"!done",
                b"=ret=856780b7411eefd3abadee2058c149a3",
                b".tag=1",
            ],
            &[b"!done", b".tag=2"],
        ],
        &mut bytes,
    );
    let (mut rx, mut tx) = ([0u8; 128], [0u8; 128]);
    let mut client = Client::new(Scripted::new(wire), &mut rx[..], &mut tx[..]);
    block_on(client.login("admin", ""))?.map_err(|_| "MD5 login failed")?;
    let io = client.into_inner();
    check(
        io.wrote(b"=response=005062f7a5ef124d34675bf3e81f56c556"),
        "the MD5 response of the manual's example",
    )?;
    // Wrong credentials (RouterOS 6.47 capture) are AuthFailed, never a success.
    let wire = script(
        &[
            &[
                b"!trap",
                b"=message=invalid user name or password (6)",
                b".tag=1",
            ],
            &[b"!done", b".tag=1"],
        ],
        &mut bytes,
    );
    let (mut rx, mut tx) = ([0u8; 128], [0u8; 128]);
    let mut client = Client::new(Scripted::new(wire), &mut rx[..], &mut tx[..]);
    match block_on(client.login("admin", "wrong"))? {
        Err(Error::AuthFailed(_)) => Ok(()),
        _ => Err("wrong credentials must be AuthFailed"),
    }
}

fn client_huge_word() -> Result<(), Failure> {
    let mut bytes = [0u8; 64];
    let n = encode(&[b"!done", b".tag=1"], &mut bytes);
    bytes[n..n + 6].copy_from_slice(&[0xF0, 0xFF, 0xFF, 0xFF, 0xFF, 0x61]);
    let (mut rx, mut tx) = ([0u8; 64], [0u8; 64]);
    let mut client = Client::new(Scripted::new(&bytes[..n + 6]), &mut rx[..], &mut tx[..]);
    block_on(client.login("admin", ""))?.map_err(|_| "login failed")?;
    // The router sends a word claiming 4 GiB: a typed error at once, no trap, no hang.
    match block_on(client.run(&["/x"]))? {
        Err(Error::Wire(WireError::TooLargeToSkip)) => Ok(()),
        _ => Err("a huge word must be Wire(TooLargeToSkip)"),
    }
}
