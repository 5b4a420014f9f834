//! Login against the simulator: plain (6.43+) and the MD5 challenge (pre-6.43).

mod common;

use common::*;
use routeros_core::Error;
use routeros_sim::SimConfig;

fn config(legacy: bool) -> SimConfig {
    SimConfig {
        password: "s3cret".into(),
        legacy_login: legacy,
        ..SimConfig::default()
    }
}

#[tokio::test]
async fn plain_login_then_a_command() {
    let sim = sim(config(false)).await;
    let mut client = connect_with(&sim, 4096).await;
    within(client.login("admin", "s3cret")).await.unwrap();
    assert_in_step(&mut client).await;
}

#[tokio::test]
async fn md5_fallback_login_then_a_command() {
    let sim = sim(config(true)).await;
    let mut client = connect_with(&sim, 4096).await;
    within(client.login("admin", "s3cret")).await.unwrap();
    assert_in_step(&mut client).await;
}

#[tokio::test]
async fn wrong_password_is_auth_failed_both_ways() {
    for legacy in [false, true] {
        let sim = sim(config(legacy)).await;
        let mut client = connect_with(&sim, 4096).await;
        let err = within(client.login("admin", "wrong")).await.unwrap_err();
        let Error::AuthFailed(message) = &err else {
            panic!("legacy={legacy}: expected AuthFailed, got {err:?}");
        };
        let expected = if legacy {
            "cannot log in"
        } else {
            "invalid user name or password"
        };
        assert!(message.contains(expected), "{message}");
        // The connection stays in step: a correct login still works after a refusal.
        within(client.login("admin", "s3cret")).await.unwrap();
        within(client.identity()).await.unwrap();
    }
}

#[tokio::test]
async fn wrong_user_is_auth_failed() {
    let sim = sim(config(false)).await;
    let mut client = connect_with(&sim, 4096).await;
    let err = within(client.login("nobody", "s3cret")).await.unwrap_err();
    assert!(matches!(err, Error::AuthFailed(_)), "{err:?}");
}

#[tokio::test]
async fn commands_before_login_are_refused() {
    let sim = sim(config(false)).await;
    let mut client = connect_with(&sim, 4096).await;
    let err = within(client.run(&["/system/identity/print"]))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Trap(_)), "{err:?}");
}

#[test]
fn password_never_appears_in_debug_output() {
    use routeros_core::wire::{Sentence, SentenceEncoder};
    let mut buf = [0u8; 128];
    let mut enc = SentenceEncoder::new(&mut buf);
    enc.word(b"/login").unwrap();
    enc.attribute("name", b"admin").unwrap();
    enc.attribute("password", b"hunter2").unwrap();
    let len = enc.len();
    let shown = format!("{:?}", Sentence::new_checked(&buf[..len]).unwrap());
    assert!(shown.contains("admin"), "{shown}");
    assert!(!shown.contains("hunter2"), "{shown}");
}
