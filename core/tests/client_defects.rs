//! The `Client` over a scripted link: secrets wiped from the send buffer, tiny receive
//! buffers refused, oversize sentences charged to their owner wherever their tag stands,
//! traps behind a cancel, untagged replies.

mod support;

use routeros_core::proto::challenge_response;
use routeros_core::{Buffer, Client, Error};
use support::{run_bounded, tag_word, Script};

const PASSWORD: &str = "s3cret-Pa55";

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Answers every command with `!done` carrying its tag (and `=ret=` for a bare-login
/// challenge when `challenge` is set).
fn router(script: &Script, challenge: Option<&'static str>) {
    let mut logins = 0;
    script.respond(move |words| {
        let tag = tag_word(words).unwrap_or_else(|| ".tag=".into());
        match words[0].as_str() {
            "/login" => {
                logins += 1;
                match challenge {
                    Some(c) if logins == 1 => vec![vec!["!done".into(), format!("=ret={c}"), tag]],
                    _ => vec![vec!["!done".into(), tag]],
                }
            }
            "/quit" => vec![vec![
                "!fatal".into(),
                "session terminated on request".into(),
            ]],
            _ => vec![vec!["!done".into(), tag]],
        }
    });
}

/// Logs a `Client` in through `router(challenge)`; gives the link and the send buffer as the
/// client left it.
fn login_and_keep_tx(challenge: Option<&'static str>) -> (Script, [u8; 256]) {
    let script = Script::new();
    router(&script, challenge);
    let (mut rx, mut tx) = ([0u8; 256], [0u8; 256]);
    let mut client = Client::new(script.clone(), &mut rx[..], &mut tx[..]);
    run_bounded(client.login("admin", PASSWORD), 100)
        .unwrap()
        .unwrap();
    drop(client);
    (script, tx)
}

#[test]
fn login_wipes_the_password_from_the_send_buffer() {
    let (script, tx) = login_and_keep_tx(None);
    assert!(
        contains(&script.written_bytes(), PASSWORD.as_bytes()),
        "it was sent"
    );
    assert!(
        !contains(&tx, PASSWORD.as_bytes()),
        "the password stayed in the send buffer"
    );
}

#[test]
fn md5_login_wipes_the_response_too() {
    let challenge = "856780b7411eefd3abadee2058c149a3";
    let (script, tx) = login_and_keep_tx(Some(challenge));
    let response = challenge_response(PASSWORD.as_bytes(), challenge.as_bytes()).unwrap();
    assert!(contains(&script.written_bytes(), response.as_bytes()));
    assert!(!contains(&tx, PASSWORD.as_bytes()));
    assert!(!contains(&tx, response.as_bytes()));
}

#[test]
fn a_failed_or_dropped_login_wipes_it_as_well() {
    // Refused.
    let script = Script::new();
    script.respond(|words| {
        let tag = tag_word(words).unwrap();
        vec![
            vec![
                "!trap".into(),
                "=message=invalid user name or password (6)".into(),
                tag.clone(),
            ],
            vec!["!done".into(), tag],
        ]
    });
    let (mut rx, mut tx) = ([0u8; 256], [0u8; 256]);
    let mut client = Client::new(script, &mut rx[..], &mut tx[..]);
    let refused = run_bounded(client.login("admin", PASSWORD), 100).unwrap();
    assert!(matches!(refused, Err(Error::AuthFailed(_))));
    drop(client);
    assert!(!contains(&tx, PASSWORD.as_bytes()));

    // Dropped while waiting for the answer of a silent router.
    let script = Script::pending();
    let (mut rx, mut tx) = ([0u8; 256], [0u8; 256]);
    let mut client = Client::new(script.clone(), &mut rx[..], &mut tx[..]);
    assert!(run_bounded(client.login("admin", PASSWORD), 10).is_none());
    assert!(contains(&script.written_bytes(), PASSWORD.as_bytes()));
    drop(client.into_inner());
    assert!(!contains(&tx, PASSWORD.as_bytes()));
}

#[test]
fn quit_leaves_no_password_behind() {
    let script = Script::new();
    router(&script, None);
    let (mut rx, mut tx) = ([0u8; 256], [0u8; 256]);
    let mut client = Client::new(script, &mut rx[..], &mut tx[..]);
    run_bounded(
        async {
            client.login("admin", PASSWORD).await.unwrap();
            client.quit().await.unwrap();
        },
        100,
    )
    .unwrap();
    assert!(!contains(&tx, PASSWORD.as_bytes()));
}

#[test]
fn receive_buffers_under_five_bytes_are_refused() {
    for len in 0..5 {
        let refused = Client::try_new(Script::new(), vec![0u8; len], vec![0u8; 64]);
        assert_eq!(
            refused.err(),
            Some(Error::BufferTooSmall(Buffer::Receive)),
            "{len}"
        );
        // The infallible constructor fails on first use instead of stalling.
        let script = Script::new();
        script.send(&["!done", ".tag=1"]);
        let mut client = Client::new(script, vec![0u8; len], vec![0u8; 64]);
        let result = run_bounded(client.run(&["/system/identity/print"]), 100).expect("no stall");
        assert_eq!(result, Err(Error::BufferTooSmall(Buffer::Receive)));
    }
    // Five bytes make progress: the sentence is skipped as oversize (too small even to read
    // its reply word, so the command then sees the link end), not a stall.
    let script = Script::new();
    script.send(&["!done", ".tag=1"]);
    let mut client = Client::try_new(script, vec![0u8; 5], vec![0u8; 64]).unwrap();
    let result = run_bounded(client.run(&["/system/identity/print"]), 1000).expect("no stall");
    assert_eq!(result, Err(Error::Closed));
    // Eight bytes read the reply word and the tag of the skipped `!done`: the command ends.
    let script = Script::pending();
    script.send(&["!done", ".tag=1"]);
    let mut client = Client::try_new(script, vec![0u8; 8], vec![0u8; 64]).unwrap();
    let result = run_bounded(client.run(&["/system/identity/print"]), 1000).expect("no stall");
    assert_eq!(result, Err(Error::BufferTooSmall(Buffer::Receive)));
}

/// `!done` carrying 300 bytes of `=ret=` (larger than a 64-byte receive buffer) with its tag
/// last, as MikroTik's examples place it.
fn oversize_done(tag: u32) -> Vec<String> {
    vec![
        "!done".into(),
        format!("=ret={}", "x".repeat(300)),
        format!(".tag={tag}"),
    ]
}

#[test]
fn an_oversize_reply_of_another_command_is_not_charged_to_the_running_one() {
    let script = Script::pending();
    let mut client = Client::new(script.clone(), vec![0u8; 64], vec![0u8; 256]);
    run_bounded(
        async {
            // Tag 1, dropped before its end: cancelled (tag 2) before the next command (tag 3).
            drop(client.command(&["/tool/fetch"]).await.unwrap());
            let mut rows = client.command(&["/system/identity/print"]).await.unwrap();
            script.send(&oversize_done(1));
            script.send(&["!done", ".tag=2"]);
            script.send(&["!re", "=name=MikroTik", ".tag=3"]);
            script.send(&["!done", ".tag=3"]);
            let row = rows
                .next()
                .await
                .expect("a row")
                .expect("no error for tag 1's reply");
            assert_eq!(row.get("name").unwrap().as_bytes(), b"MikroTik");
            assert!(rows.next().await.is_none());
        },
        1000,
    )
    .expect("finished");
}

#[test]
fn an_oversize_done_with_its_tag_last_ends_its_command() {
    let script = Script::pending();
    script.send(&["!re", "=name=a", ".tag=1"]);
    script.send(&oversize_done(1));
    let mut client = Client::new(script, vec![0u8; 64], vec![0u8; 256]);
    let result = run_bounded(client.run(&["/interface/print"]), 1000).expect("no hang");
    assert_eq!(result, Err(Error::BufferTooSmall(Buffer::Receive)));
    assert!(client.is_usable());
}

#[test]
fn cancel_reports_a_real_failure_behind_interrupted() {
    let script = Script::pending();
    script.send(&["!re", "=status=connecting", ".tag=1"]);
    let mut client = Client::new(script.clone(), vec![0u8; 256], vec![0u8; 256]);
    let result = run_bounded(
        async {
            let mut rows = client
                .command(&["/tool/fetch", "=url=http://x/"])
                .await
                .unwrap();
            rows.next().await.unwrap().unwrap();
            // MikroTik's "canceling with additional errors" answer.
            script.send(&["!trap", "=category=2", "=message=interrupted", ".tag=1"]);
            script.send(&["!trap", "=message=failure: 301 Moved Permanently", ".tag=1"]);
            script.send(&["!done", ".tag=2"]);
            script.send(&["!done", ".tag=1"]);
            rows.cancel().await
        },
        1000,
    )
    .expect("finished");
    let Err(Error::Trap(trap)) = result else {
        panic!("{result:?}");
    };
    assert_eq!(trap.message.as_str(), "failure: 301 Moved Permanently");
    assert_eq!(trap.more, 0);
}

#[test]
fn a_plain_cancel_and_an_uncancelled_interrupt() {
    let script = Script::pending();
    let mut client = Client::new(script.clone(), vec![0u8; 256], vec![0u8; 256]);
    run_bounded(
        async {
            let rows = client
                .command(&["/ping", "=address=10.0.0.1"])
                .await
                .unwrap();
            script.send(&["!trap", "=category=2", "=message=interrupted", ".tag=1"]);
            script.send(&["!done", ".tag=1"]);
            script.send(&["!done", ".tag=2"]);
            assert_eq!(rows.cancel().await, Ok(()));
            // Interrupted without a cancel from this client: an error.
            script.send(&["!trap", "=category=2", "=message=interrupted", ".tag=3"]);
            script.send(&["!done", ".tag=3"]);
            let Err(Error::Trap(trap)) = client.run(&["/tool/fetch"]).await else {
                panic!("interrupted is an error here");
            };
            assert_eq!(trap.message.as_str(), "interrupted");
        },
        1000,
    )
    .expect("finished");
}

#[test]
fn untagged_replies_belong_to_the_only_command_and_are_refused_when_ambiguous() {
    // A peer that never echoes `.tag`.
    let script = Script::pending();
    script.respond(|words| match words[0].as_str() {
        "/login" => vec![vec!["!done".into()]],
        "/interface/print" => vec![
            vec!["!re".into(), "=name=ether1".into()],
            vec!["!done".into()],
        ],
        _ => vec![],
    });
    let mut client = Client::new(script.clone(), vec![0u8; 256], vec![0u8; 256]);
    run_bounded(
        async {
            client.login("admin", "").await.expect("login without tags");
            let mut rows = client.command(&["/interface/print"]).await.unwrap();
            let row = rows.next().await.unwrap().unwrap();
            assert_eq!(row.get("name").unwrap().as_bytes(), b"ether1");
            assert!(rows.next().await.is_none());
            drop(rows);
            // A command dropped half-way: its cancel and its own `!done` are due, so an
            // untagged reply could be anyone's.
            drop(client.command(&["/ping"]).await.unwrap());
            script.send(&["!re", "=seq=1"]);
            let result = client.run(&["/system/identity/print"]).await;
            assert_eq!(
                result,
                Err(Error::Protocol(
                    routeros_core::proto::ProtocolError::UntaggedReply
                ))
            );
            assert!(!client.is_usable());
        },
        1000,
    )
    .expect("never hangs");
}
