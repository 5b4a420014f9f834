//! Each knob of the scripted link does what its documentation says.

use embedded_io_async::{ErrorKind, Read, Write};
use routeros_test_support::{run_bounded, sentence, tag_word, Script};

/// Polls `f` once with a no-op waker.
fn once<F: std::future::Future>(f: F) -> Option<F::Output> {
    run_bounded(f, 1)
}

#[test]
fn reads_come_in_chunks_then_end_or_pend() {
    let mut link = Script::replay(b"abcdefg", 3);
    let mut buf = [0u8; 16];
    assert_eq!(once(link.read(&mut buf)), Some(Ok(3)));
    assert_eq!(&buf[..3], b"abc");
    assert_eq!(once(link.read(&mut buf)), Some(Ok(3)));
    assert_eq!(once(link.read(&mut buf)), Some(Ok(1)));
    assert!(link.drained());
    assert_eq!(link.reads(), 3);
    assert_eq!(once(link.read(&mut buf)), Some(Ok(0)));

    let mut pending = Script::pending();
    assert_eq!(once(pending.read(&mut buf)), None);
    pending.close();
    assert_eq!(once(pending.read(&mut buf)), Some(Ok(0)));

    let mut reset = Script::new();
    reset.reset_at_end();
    assert_eq!(
        once(reset.read(&mut buf)),
        Some(Err(ErrorKind::ConnectionReset))
    );
}

#[test]
fn every_other_read_and_write_pends_first() {
    let mut link = Script::replay(b"xy", 1);
    link.pend_every_other_read();
    link.pend_every_other_write();
    let mut buf = [0u8; 4];
    assert_eq!(once(link.read(&mut buf)), None);
    assert_eq!(run_bounded(link.read(&mut buf), 2), Some(Ok(1)));
    assert_eq!(once(link.write(b"ab")), None);
    assert_eq!(run_bounded(link.write(b"ab"), 2), Some(Ok(2)));
    assert_eq!(link.written_bytes(), b"ab");
}

#[test]
fn writes_are_chunked_budgeted_stalled_and_failed() {
    let mut link = Script::new();
    link.write_chunk(2);
    assert_eq!(once(link.write(b"abcde")), Some(Ok(2)));
    link.write_budget(Some(1));
    assert_eq!(once(link.write(b"cde")), Some(Ok(1)));
    assert_eq!(once(link.write(b"de")), None);
    link.write_budget(None);
    link.stall_writes(true);
    assert_eq!(once(link.write(b"de")), None);
    link.stall_writes(false);
    assert_eq!(once(link.write(b"de")), Some(Ok(2)));
    assert_eq!(link.written_bytes(), b"abcde");
    link.fail_writes_after(5);
    assert_eq!(once(link.write(b"f")), Some(Err(ErrorKind::BrokenPipe)));
}

#[test]
fn the_responder_answers_flushed_sentences_and_the_peer_closes_after_the_last() {
    let mut link = Script::pending();
    link.respond(|words| {
        let tag = tag_word(words).unwrap_or_default();
        vec![vec!["!done".into(), tag]]
    });
    link.close_after_answers(2);
    let mut buf = [0u8; 64];
    let first = sentence(&["/a", ".tag=1"]);
    assert_eq!(once(link.write(&first)), Some(Ok(first.len())));
    // Not answered before the flush.
    assert_eq!(once(link.read(&mut buf)), None);
    assert_eq!(once(link.flush()), Some(Ok(())));
    let done = sentence(&["!done", ".tag=1"]);
    assert_eq!(once(link.read(&mut buf)), Some(Ok(done.len())));
    assert_eq!(&buf[..done.len()], &done[..]);
    // One answer of two: the peer still waits.
    assert_eq!(once(link.read(&mut buf)), None);
    let second = sentence(&["/b", ".tag=2"]);
    once(link.write(&second)).unwrap().unwrap();
    once(link.flush()).unwrap().unwrap();
    let done = sentence(&["!done", ".tag=2"]);
    assert_eq!(once(link.read(&mut buf)), Some(Ok(done.len())));
    assert_eq!(once(link.read(&mut buf)), Some(Ok(0)));
    assert_eq!(link.queued_total(), 2 * done.len());
    assert_eq!(link.written_whole(), [["/a", ".tag=1"], ["/b", ".tag=2"]]);
    assert_eq!(link.malformed(), None);
}

#[test]
fn a_silent_peer_answers_nothing_and_malformed_writes_are_named() {
    let mut link = Script::pending();
    link.respond(|_| vec![vec!["!done".into()]]);
    link.go_silent();
    let mut buf = [0u8; 16];
    once(link.write(&sentence(&["/a"]))).unwrap().unwrap();
    once(link.flush()).unwrap().unwrap();
    assert_eq!(once(link.read(&mut buf)), None);

    let mut bad = Script::new();
    bad.respond_raw(|_| Vec::new());
    // 0xF8 starts no valid length prefix.
    once(bad.write(&[0xF8, 0, 0])).unwrap().unwrap();
    once(bad.flush()).unwrap().unwrap();
    assert!(bad.malformed().is_some());
}
