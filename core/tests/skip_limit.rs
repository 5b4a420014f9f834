//! The decoder's skip limit through both clients: a word claiming an absurd length ends the
//! connection at once with a typed error (no waiting for gigabytes, no hang), while a sentence
//! larger than the receive buffer but under the limit is still skipped and charged to the
//! command its `.tag` names, wherever the tag stands.

mod support;

use routeros_core::mux::Mux;
use routeros_core::wire::{SentenceEncoder, WireError};
use routeros_core::{Buffer, Client, Error};
use support::{run_bounded, Script};

const POLLS: usize = 10_000;

/// A word claiming `u32::MAX` bytes (five-byte prefix), then one byte of it.
const ABSURD: [u8; 6] = [0xF0, 0xFF, 0xFF, 0xFF, 0xFF, b'a'];

const TOO_LARGE: Error = Error::Wire(WireError::TooLargeToSkip);

/// The tag of a command as written (`.tag=N`).
fn tag_of(words: &[String]) -> String {
    words
        .iter()
        .find_map(|w| w.strip_prefix(".tag="))
        .unwrap_or("")
        .to_string()
}

#[test]
fn client_reports_an_absurd_word_length_at_once_and_is_then_unusable() {
    for before in [false, true] {
        let script = Script::pending();
        if before {
            // A whole row first: the error comes in the middle of the reply.
            script.send(&["!re", "=name=a", ".tag=1"]);
        }
        script.send_raw(&ABSURD);
        let mut client = Client::new(script.clone(), vec![0u8; 4096], vec![0u8; 256]);
        let result = run_bounded(client.run(&["/interface/print"]), POLLS)
            .expect("the six bytes must not leave the client waiting for more");
        assert_eq!(result, Err(TOO_LARGE));
        assert!(!client.is_usable());
        let again = run_bounded(client.run(&["/system/identity/print"]), POLLS)
            .expect("a poisoned client must not wait either");
        assert!(again.is_err(), "the connection is not usable after it");
    }
}

#[test]
fn client_skip_limit_is_configurable() {
    // A 2 MiB word (four-byte prefix) is under the default limit, over a 1 MiB one.
    let claim = [3, b'!', b'r', b'e', 0xE0, 0x20, 0x00, 0x00];
    let script = Script::pending();
    script.send_raw(&claim);
    let mut client = Client::new(script.clone(), vec![0u8; 4096], vec![0u8; 256]);
    let pending = run_bounded(client.run(&["/interface/print"]), POLLS);
    assert!(
        pending.is_none(),
        "under the default limit: skipping, waiting"
    );

    let script = Script::pending();
    script.send_raw(&claim);
    let mut client = Client::new(script.clone(), vec![0u8; 4096], vec![0u8; 256]);
    client.set_skip_limit(1 << 20);
    let result = run_bounded(client.run(&["/interface/print"]), POLLS).expect("no wait");
    assert_eq!(result, Err(TOO_LARGE));
}

type M<'b, const N: usize> = Mux<'b, Script, Script, (), N, 512>;

#[test]
fn mux_reports_an_absurd_word_length_at_once_to_every_waiter() {
    let script = Script::pending();
    let (mut rx, mut tx) = ([0u8; 4096], [0u8; 256]);
    let mux: M<'_, 2> = Mux::new(script.clone(), script.clone(), &mut rx, &mut tx);
    run_bounded(
        async {
            let mut a = mux.command(&["/interface/print"]).await.unwrap();
            let mut b = mux.stream(&["/interface/monitor-traffic"]).await.unwrap();
            script.send_raw(&ABSURD);
            assert_eq!(a.next().await.unwrap().err(), Some(TOO_LARGE));
            assert!(b.next().await.unwrap().is_err());
            assert_eq!(mux.error(), Some(TOO_LARGE));
            assert!(!mux.is_usable());
            assert!(mux.run(&["/system/identity/print"]).await.is_err());
        },
        POLLS,
    )
    .expect("the six bytes must not leave the mux waiting");
}

#[test]
fn mux_run_reports_it_too_and_the_limit_is_configurable() {
    // The six bytes under the default limit; a 2 MiB claim under a 1 MiB limit.
    let claim = [3, b'!', b'r', b'e', 0xE0, 0x20, 0x00, 0x00];
    for (bytes, limit) in [(&ABSURD[..], None), (&claim[..], Some(1 << 20))] {
        let script = Script::pending();
        script.send_raw(bytes);
        let (mut rx, mut tx) = ([0u8; 64], [0u8; 256]);
        let mut mux: M<'_, 1> = Mux::new(script.clone(), script.clone(), &mut rx, &mut tx);
        if let Some(limit) = limit {
            mux.set_skip_limit(limit);
        }
        let result = run_bounded(mux.run(&["/system/identity/print"]), POLLS).expect("no hang");
        assert_eq!(result.err(), Some(TOO_LARGE));
        assert_eq!(mux.error(), Some(TOO_LARGE));
    }
}

/// Encodes one sentence of any size.
fn encode(words: &[String]) -> Vec<u8> {
    let size = words.iter().map(|w| w.len() + 5).sum::<usize>() + 1;
    let mut out = vec![0u8; size];
    let mut encoder = SentenceEncoder::new(&mut out);
    for word in words {
        encoder.word(word.as_bytes()).unwrap();
    }
    let n = encoder.finish().unwrap().len();
    out.truncate(n);
    out
}

/// A `!re` 100 KiB larger than a 4 KiB receive buffer, its `.tag` last (as real routers
/// place it), encoded.
fn oversize_row(tag: &str) -> Vec<u8> {
    encode(&[
        "!re".into(),
        format!("=comment={}", "c".repeat(4096 + 100 * 1024)),
        format!(".tag={tag}"),
    ])
}

#[test]
fn client_still_skips_and_routes_an_oversize_sentence_under_the_limit() {
    let script = Script::pending();
    script.respond_raw(|words| {
        let words: Vec<String> = words
            .iter()
            .map(|w| String::from_utf8_lossy(w).into_owned())
            .collect();
        let tag = tag_of(&words);
        let mut out = oversize_row(&tag);
        out.extend(encode(&[
            "!re".into(),
            "=name=ether1".into(),
            format!(".tag={tag}"),
        ]));
        out.extend(encode(&["!done".into(), format!(".tag={tag}")]));
        out
    });
    let mut client = Client::new(script.clone(), vec![0u8; 4096], vec![0u8; 256]);
    run_bounded(
        async {
            let mut rows = client.command(&["/interface/print"]).await.unwrap();
            assert_eq!(
                rows.next().await.unwrap().err(),
                Some(Error::BufferTooSmall(Buffer::Receive))
            );
            let row = rows.next().await.unwrap().unwrap();
            assert_eq!(row.get("name").unwrap().as_bytes(), b"ether1");
            assert!(rows.next().await.is_none());
        },
        POLLS,
    )
    .expect("finished");
    assert!(client.is_usable());
}

#[test]
fn mux_still_skips_and_routes_an_oversize_sentence_under_the_limit() {
    let script = Script::pending();
    let (mut rx, mut tx) = ([0u8; 4096], [0u8; 256]);
    let mux: M<'_, 2> = Mux::new(script.clone(), script.clone(), &mut rx, &mut tx);
    run_bounded(
        async {
            let mut a = mux.command(&["/interface/print"]).await.unwrap();
            let mut b = mux.command(&["/ip/address/print"]).await.unwrap();
            let (ta, tb) = (a.tag().to_string(), b.tag().to_string());
            // b's oversize row first, then a's row and `!done`, then b's.
            script.send_raw(&oversize_row(&tb));
            script.send(&["!re".into(), "=name=ether1".into(), format!(".tag={ta}")]);
            script.send(&["!done".into(), format!(".tag={ta}")]);
            script.send(&["!done".into(), format!(".tag={tb}")]);
            let row = a
                .next()
                .await
                .unwrap()
                .expect("a is not charged with b's row");
            assert_eq!(row.get("name").unwrap().as_bytes(), b"ether1");
            drop(row);
            assert!(a.next().await.is_none());
            assert_eq!(
                b.next().await.unwrap().err(),
                Some(Error::BufferTooSmall(Buffer::Receive))
            );
            assert!(b.next().await.is_none());
            assert!(mux.is_usable());
        },
        POLLS,
    )
    .expect("finished");
}
