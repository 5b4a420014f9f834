//! The `Client` over a scripted link: secrets wiped from the send buffer, tiny receive
//! buffers refused, oversize sentences charged to their owner wherever their tag stands,
//! traps behind a cancel, untagged replies.

mod support;

use routeros_core::proto::challenge_response;
use routeros_core::{Buffer, Client, Error};
use support::{run_bounded, Script};

const PASSWORD: &str = "s3cret-Pa55";

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Answers every command with `!done` carrying its tag (and `=ret=` for a bare-login
/// challenge when `challenge` is set).
fn router(script: &Script, challenge: Option<&'static str>) {
    let mut logins = 0;
    script.respond(move |words| {
        let tag = words
            .iter()
            .find_map(|w| w.strip_prefix(".tag="))
            .unwrap_or("");
        let tag = format!(".tag={tag}");
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

#[test]
fn login_wipes_the_password_from_the_send_buffer() {
    let script = Script::new();
    router(&script, None);
    let (mut rx, mut tx) = ([0u8; 256], [0u8; 256]);
    let mut client = Client::new(script.clone(), &mut rx[..], &mut tx[..]);
    run_bounded(client.login("admin", PASSWORD), 100)
        .unwrap()
        .unwrap();
    drop(client);
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
    let script = Script::new();
    router(&script, Some(challenge));
    let (mut rx, mut tx) = ([0u8; 256], [0u8; 256]);
    let mut client = Client::new(script.clone(), &mut rx[..], &mut tx[..]);
    run_bounded(client.login("admin", PASSWORD), 100)
        .unwrap()
        .unwrap();
    drop(client);
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
        let tag = words
            .iter()
            .find(|w| w.starts_with(".tag="))
            .cloned()
            .unwrap();
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
