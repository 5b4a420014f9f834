//! The `Mux` over a scripted router: waiters for a slot drive the connection, oversize
//! replies are charged to their owner wherever their tag stands, a real trap is not hidden
//! behind `interrupted`, untagged replies, tiny receive buffers and wiped secrets.

mod support;

use routeros_core::mux::Mux;
use routeros_core::proto::ProtocolError;
use routeros_core::{Buffer, Error};
use support::{run_bounded, tag_word, Script};

/// Enough polls for any of these exchanges; a future still pending after them is stuck.
const POLLS: usize = 10_000;

/// A router that echoes tags: streams send two rows at once and run until cancelled,
/// prints send `rows` rows, everything else one row, then `!done`.
fn router(script: &Script, rows: usize) {
    script.respond(move |words| {
        let tag = tag_word(words).unwrap_or_default();
        let row = |i: usize| vec!["!re".to_string(), format!("=n={i}"), tag.clone()];
        match words[0].as_str() {
            "/login" => vec![vec!["!done".into(), tag]],
            "/interface/monitor-traffic" => vec![row(0), row(1)],
            "/interface/print" => {
                let mut out: Vec<_> = (0..rows).map(row).collect();
                out.push(vec!["!done".into(), tag]);
                out
            }
            "/cancel" => {
                let target = words[1].strip_prefix("=tag=").unwrap().to_string();
                vec![
                    vec![
                        "!trap".into(),
                        "=category=2".into(),
                        "=message=interrupted".into(),
                        format!(".tag={target}"),
                    ],
                    vec!["!done".into(), tag],
                    vec!["!done".into(), format!(".tag={target}")],
                ]
            }
            _ => vec![row(0), vec!["!done".into(), tag]],
        }
    });
}

type M<'b, const N: usize> = Mux<'b, Script, Script, (), N, 512>;

fn mux<'b, const N: usize>(script: &Script, rx: &'b mut [u8], tx: &'b mut [u8]) -> M<'b, N> {
    Mux::new(script.clone(), script.clone(), rx, tx)
}

#[test]
fn a_waiter_for_a_slot_reads_the_done_that_frees_it() {
    // One slot held by a dropped stream: every way of waiting for a slot must get it.
    for entry in 0..5 {
        let script = Script::pending();
        router(&script, 3);
        let (mut rx, mut tx) = ([0u8; 256], [0u8; 256]);
        let mux: M<'_, 1> = mux(&script, &mut rx, &mut tx);
        let done = run_bounded(
            async {
                drop(
                    mux.stream(&["/interface/monitor-traffic", "=interface=ether1"])
                        .await
                        .unwrap(),
                );
                assert_eq!(mux.slots_in_use(), 1);
                match entry {
                    0 => drop(mux.run(&["/system/identity/print"]).await.unwrap()),
                    1 => drop(
                        mux.command_wait(&["/system/identity/print"])
                            .await
                            .unwrap()
                            .finish()
                            .await
                            .unwrap(),
                    ),
                    2 => drop(
                        mux.stream_wait(&["/interface/monitor-traffic"])
                            .await
                            .unwrap(),
                    ),
                    3 => {
                        struct Name;
                        impl routeros_core::FromReply for Name {
                            fn from_reply(_: &routeros_core::Reply<'_>) -> Result<Self, Error> {
                                Ok(Name)
                            }
                        }
                        let rows = mux
                            .collect::<Name, 4, _>(&["/system/identity/print"])
                            .await
                            .unwrap();
                        assert_eq!(rows.len(), 1);
                    }
                    _ => mux.login("admin", "").await.unwrap(),
                }
            },
            POLLS,
        );
        assert!(done.is_some(), "entry point {entry} waited forever");
    }
}

#[test]
fn two_dropped_streams_and_a_print_dropped_half_way() {
    let script = Script::pending();
    router(&script, 50);
    let (mut rx, mut tx) = ([0u8; 256], [0u8; 256]);
    let mux: M<'_, 2> = mux(&script, &mut rx, &mut tx);
    run_bounded(
        async {
            drop(mux.stream(&["/interface/monitor-traffic"]).await.unwrap());
            drop(mux.stream(&["/interface/monitor-traffic"]).await.unwrap());
            assert_eq!(mux.slots_in_use(), 2);
            mux.run(&["/system/identity/print"]).await.unwrap();
            let mut print = mux.command(&["/interface/print"]).await.unwrap();
            drop(print.next().await.unwrap().unwrap());
            drop(print);
            let mut other = mux.command(&["/interface/print"]).await.unwrap();
            drop(other.next().await.unwrap().unwrap());
            drop(other);
            mux.run(&["/system/identity/print"]).await.unwrap();
        },
        POLLS,
    )
    .expect("no wait forever");
}

/// 300 bytes of `=ret=` after the tag, or the tag last: larger than a 64-byte receive
/// buffer.
fn oversize(kind: &str, tag: u32, tag_last: bool) -> Vec<String> {
    let big = format!("=ret={}", "x".repeat(300));
    let tag = format!(".tag={tag}");
    if tag_last {
        vec![kind.into(), big, tag]
    } else {
        vec![kind.into(), "=a=b".into(), tag, big]
    }
}

#[test]
fn oversize_replies_are_charged_to_their_own_slot_wherever_the_tag_stands() {
    for tag_last in [true, false] {
        let script = Script::pending();
        let (mut rx, mut tx) = ([0u8; 64], [0u8; 256]);
        // Two slots: first commands tagged 3 (slot 0) and 4 (slot 1).
        let mux: M<'_, 2> = mux(&script, &mut rx, &mut tx);
        run_bounded(
            async {
                let mut a = mux.command(&["/interface/print"]).await.unwrap();
                let mut b = mux.command(&["/tool/fetch"]).await.unwrap();
                assert_eq!((a.tag(), b.tag()), (3, 4));
                // An oversize row and an oversize `!done` for b, then a's row and `!done`.
                script.send(&oversize("!re", 4, tag_last));
                script.send(&oversize("!done", 4, tag_last));
                script.send(&["!re", "=name=ether1", ".tag=3"]);
                script.send(&["!done", ".tag=3"]);
                let row = a
                    .next()
                    .await
                    .unwrap()
                    .expect("a is not charged with b's rows");
                assert_eq!(row.get("name").unwrap().as_bytes(), b"ether1");
                drop(row);
                assert!(a.next().await.is_none());
                assert_eq!(
                    b.next().await.unwrap().err(),
                    Some(Error::BufferTooSmall(Buffer::Receive))
                );
                assert!(b.next().await.is_none(), "the oversize `!done` ended b");
                assert_eq!(mux.slots_in_use(), 0);
            },
            POLLS,
        )
        .unwrap_or_else(|| panic!("hung (tag last: {tag_last})"));
    }
}

#[test]
fn cancel_reports_a_real_failure_behind_interrupted() {
    let script = Script::pending();
    let (mut rx, mut tx) = ([0u8; 256], [0u8; 256]);
    let mux: M<'_, 1> = mux(&script, &mut rx, &mut tx);
    let result = run_bounded(
        async {
            let stream = mux
                .stream(&["/tool/fetch", "=url=http://x/"])
                .await
                .unwrap();
            let tag = stream.tag();
            script.send(&[
                "!trap".into(),
                "=category=2".into(),
                "=message=interrupted".into(),
                format!(".tag={tag}"),
            ]);
            script.send(&[
                "!trap".into(),
                "=message=failure: 301 Moved Permanently".into(),
                format!(".tag={tag}"),
            ]);
            script.send(&["!done".into(), format!(".tag={}", tag | 1 << 31)]);
            script.send(&["!done".into(), format!(".tag={tag}")]);
            stream.cancel().await
        },
        POLLS,
    )
    .unwrap();
    let Err(Error::Trap(trap)) = result else {
        panic!("{result:?}");
    };
    assert_eq!(trap.message.as_str(), "failure: 301 Moved Permanently");
}

#[test]
fn login_works_against_a_peer_that_does_not_echo_tags() {
    let script = Script::pending();
    script.respond(|words| match words[0].as_str() {
        "/login" => vec![vec!["!done".into()]],
        _ => vec![vec!["!re".into(), "=name=x".into()], vec!["!done".into()]],
    });
    let (mut rx, mut tx) = ([0u8; 256], [0u8; 256]);
    let mux: M<'_, 4> = mux(&script, &mut rx, &mut tx);
    run_bounded(
        async {
            mux.login("admin", "").await.expect("login without tags");
            let mut rows = mux.command(&["/system/identity/print"]).await.unwrap();
            assert_eq!(
                rows.next()
                    .await
                    .unwrap()
                    .unwrap()
                    .get("name")
                    .unwrap()
                    .as_bytes(),
                b"x"
            );
            assert!(rows.next().await.is_none());
        },
        POLLS,
    )
    .expect("never hangs");
}

#[test]
fn an_untagged_reply_with_several_owners_ends_the_connection() {
    let script = Script::pending();
    let (mut rx, mut tx) = ([0u8; 256], [0u8; 256]);
    let mux: M<'_, 4> = mux(&script, &mut rx, &mut tx);
    run_bounded(
        async {
            let mut a = mux.command(&["/interface/print"]).await.unwrap();
            let _b = mux.command(&["/ip/address/print"]).await.unwrap();
            script.send(&["!done"]);
            let error = Error::Protocol(ProtocolError::UntaggedReply);
            assert_eq!(a.next().await.unwrap().err(), Some(error.clone()));
            assert_eq!(mux.error(), Some(error));
        },
        POLLS,
    )
    .expect("never hangs");
}

#[test]
fn receive_buffers_under_five_bytes_are_refused() {
    for len in 0..5 {
        let script = Script::new();
        let mut rx = vec![0u8; len];
        let mut tx = [0u8; 64];
        let refused = M::<1>::try_new(script.clone(), script.clone(), &mut rx, &mut tx);
        assert_eq!(refused.err(), Some(Error::BufferTooSmall(Buffer::Receive)));
        let mut rx = vec![0u8; len];
        let mut tx = [0u8; 64];
        let mux: M<'_, 1> = mux(&script, &mut rx, &mut tx);
        let result = run_bounded(mux.run(&["/system/identity/print"]), POLLS).expect("no stall");
        assert_eq!(result.err(), Some(Error::BufferTooSmall(Buffer::Receive)));
    }
}

#[test]
fn login_wipes_the_password_from_the_send_buffer() {
    const PASSWORD: &str = "s3cret-Pa55";
    let script = Script::pending();
    router(&script, 0);
    let (mut rx, mut tx) = ([0u8; 256], [0u8; 256]);
    let mux: M<'_, 2> = mux(&script, &mut rx, &mut tx);
    run_bounded(mux.login("admin", PASSWORD), POLLS)
        .unwrap()
        .unwrap();
    drop(mux);
    let has = |bytes: &[u8]| {
        bytes
            .windows(PASSWORD.len())
            .any(|w| w == PASSWORD.as_bytes())
    };
    assert!(has(&script.written_bytes()));
    assert!(!has(&tx), "the password stayed in the send buffer");
}

#[test]
fn interrupted_is_an_error_only_for_a_command_nobody_here_cancelled() {
    let script = Script::pending();
    let (mut rx, mut tx) = ([0u8; 256], [0u8; 256]);
    let mux: M<'_, 2> = mux(&script, &mut rx, &mut tx);
    // The router ends command `tag` with `interrupted` and `!done`.
    let interrupt = |tag: u32| {
        let tag = format!(".tag={tag}");
        script.send(&["!trap", "=category=2", "=message=interrupted", &tag]);
        script.send(&["!done", &tag]);
    };
    run_bounded(
        async {
            // As on the `Client`: interrupted without a cancel from here is an error.
            let fetch = mux.command(&["/tool/fetch"]).await.unwrap();
            let tag = fetch.tag();
            interrupt(tag);
            let Err(Error::Trap(trap)) = fetch.finish().await else {
                panic!("interrupted is an error here");
            };
            assert_eq!(trap.message.as_str(), "interrupted");
            // A stream ending with interrupted ended normally.
            let stream = mux.stream(&["/ping"]).await.unwrap();
            let tag = stream.tag();
            interrupt(tag);
            assert!(stream.finish().await.is_ok());
        },
        POLLS,
    )
    .expect("finished");
}
