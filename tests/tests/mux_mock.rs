//! The multiplexing client over a scripted in-memory transport: exact reply orders, replies
//! that arrive before a command's write finishes, writes cut short, the bytes of `/cancel`.

use std::time::Duration;

use routeros_core::mux::Mux;
use routeros_core::Error;
use routeros_test_support::Script;

type MockMux = Mux<'static, Script, Script, (), 4, 512>;

fn mock() -> (Script, MockMux) {
    // Reads pend until the test queues the router's bytes.
    let script = Script::pending();
    let rx = Box::leak(vec![0u8; 1024].into_boxed_slice());
    let tx = Box::leak(vec![0u8; 512].into_boxed_slice());
    let mux = Mux::new(script.clone(), script.clone(), rx, tx);
    (script, mux)
}

async fn within<F: std::future::Future>(f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(5), f)
        .await
        .expect("finished in time")
}

// With 4 slots, slot `s` in its first generation is tagged `1 + s + 4` on the wire.
const T0: &str = ".tag=5";
const T1: &str = ".tag=6";
const CANCEL_T0: &str = ".tag=2147483653";

#[tokio::test]
async fn replies_routed_by_tag_whatever_their_order() {
    // (An untagged reply here, with two commands running, would end the connection: see
    // `untagged_reply_with_two_commands_running_ends_the_connection`.)
    let (script, mux) = mock();
    let mut a = mux.command(&["/a"]).await.unwrap();
    let mut b = mux.command(&["/b"]).await.unwrap();
    assert_eq!(script.written_whole(), [vec!["/a", T0], vec!["/b", T1]]);
    script.send(&["!re", "=n=b1", T1]);
    script.send(&["!re", "=n=x", ".tag=99"]); // foreign
    script.send(&["!weird", T0]); // unknown reply word
    script.send(&["!re", "=n=a1", T0]);
    script.send(&["!done", T1]);
    script.send(&["!empty", T0]);
    script.send(&["!done", "=ret=*7", T0]);
    let row = within(a.next()).await.unwrap().unwrap();
    assert_eq!(row.get("n").unwrap().as_str(), Some("a1"));
    drop(row);
    let row = within(b.next()).await.unwrap().unwrap();
    assert_eq!(row.get("n").unwrap().as_str(), Some("b1"));
    drop(row);
    assert!(within(b.next()).await.is_none());
    let done = within(a.finish()).await.unwrap();
    assert_eq!(done.ret().unwrap().as_str(), Some("*7"));
    assert_eq!(mux.slots_in_use(), 0);
    assert!(mux.is_usable());
}

#[tokio::test]
async fn a_reply_arriving_before_the_write_finishes_is_kept() {
    let (script, mux) = mock();
    let mut stream = mux.stream(&["/s"]).await.unwrap();
    script.stall_writes(true);
    let start = mux.command(&["/fast"]);
    let reader = async {
        // The command's whole reply is there before its write completes; the stream's
        // reader routes it into the already registered slot.
        script.send(&["!re", "=n=early", T1]);
        script.send(&["!done", T1]);
        script.send(&["!re", "=n=s1", T0]);
        let row = stream.next().await.unwrap().unwrap();
        assert_eq!(row.get("n").unwrap().as_str(), Some("s1"));
        drop(row);
        script.stall_writes(false);
    };
    let (started, ()) = within(async { tokio::join!(start, reader) }).await;
    let mut response = started.unwrap();
    let row = within(response.next()).await.unwrap().unwrap();
    assert_eq!(row.get("n").unwrap().as_str(), Some("early"));
    drop(row);
    assert!(within(response.next()).await.is_none());
    drop(stream);
    let mut x = mux.command(&["/x"]).await.unwrap();
    let tx = format!(".tag={}", x.tag());
    script.send(TRAP);
    script.send(DONE);
    script.send(&["!done", &tx]);
    assert!(within(x.next()).await.is_none());
    assert_eq!(mux.slots_in_use(), 0);
}

async fn cancel_in_order(order: &[&[&str]]) {
    let (script, mux) = mock();
    let mut stream = mux
        .stream(&["/interface/monitor-traffic", "=interface=ether1"])
        .await
        .unwrap();
    script.send(&["!re", "=rx=1", T0]);
    within(stream.next()).await.unwrap().unwrap();
    let cancel = stream.cancel();
    let router = async {
        // Wait until the /cancel is on the wire, then answer in the given order.
        loop {
            if script.written_whole().iter().any(|s| s[0] == "/cancel") {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert_eq!(script.written_whole()[1], ["/cancel", "=tag=5", CANCEL_T0]);
        // A row already in flight when the cancel arrived.
        script.send(&["!re", "=rx=2", T0]);
        for sentence in order {
            script.send(sentence);
        }
    };
    let (end, ()) = within(async { tokio::join!(cancel, router) }).await;
    let end = end.unwrap();
    assert_eq!(end.rows, 2);
    assert_eq!(mux.slots_in_use(), 0);
    // Whatever was left (the cancel's own !done) is dropped: the next command gets its own.
    let mut next = mux.command(&["/next"]).await.unwrap();
    let tag = format!(".tag={}", next.tag());
    script.send(&["!re", "=ok=yes", &tag]);
    script.send(&["!done", &tag]);
    let row = within(next.next()).await.unwrap().unwrap();
    assert_eq!(row.get("ok").unwrap().as_str(), Some("yes"));
    drop(row);
    assert!(within(next.next()).await.is_none());
    assert_eq!(mux.slots_in_use(), 0);
}

const TRAP: &[&str] = &["!trap", "=category=2", "=message=interrupted", T0];
const DONE: &[&str] = &["!done", T0];
const CANCEL_DONE: &[&str] = &["!done", CANCEL_T0];

#[tokio::test]
async fn cancel_documented_order() {
    cancel_in_order(&[TRAP, CANCEL_DONE, DONE]).await;
}

#[tokio::test]
async fn cancel_done_first() {
    cancel_in_order(&[CANCEL_DONE, TRAP, DONE]).await;
}

#[tokio::test]
async fn stream_done_first() {
    cancel_in_order(&[TRAP, DONE, CANCEL_DONE]).await;
}

#[tokio::test]
async fn stream_already_ended_when_cancel_arrived() {
    cancel_in_order(&[
        DONE,
        &["!trap", "=message=unknown command tag", CANCEL_T0],
        CANCEL_DONE,
    ])
    .await;
}

#[tokio::test]
async fn a_real_trap_while_cancelling_is_reported() {
    let (script, mux) = mock();
    let stream = mux
        .stream(&["/tool/torch", "=interface=nope"])
        .await
        .unwrap();
    script.send(&["!trap", "=message=no such item", T0]);
    script.send(&["!done", T0]);
    let err = within(stream.cancel()).await.unwrap_err();
    assert_eq!(err.as_trap().unwrap().message.as_str(), "no such item");
    assert_eq!(mux.slots_in_use(), 0);
}

#[tokio::test]
async fn dropped_stream_writes_its_cancel_on_the_next_poll() {
    let (script, mux) = mock();
    let mut stream = mux.stream(&["/s"]).await.unwrap();
    let mut other = mux.command(&["/other"]).await.unwrap();
    script.send(&["!re", T0]);
    within(stream.next()).await.unwrap().unwrap();
    drop(stream);
    // Nothing is written by the drop itself...
    assert_eq!(script.written_whole().len(), 2);
    assert_eq!(mux.slots_in_use(), 2);
    // ...but by the next poll that drives the connection.
    let reader = other.next();
    let router = async {
        while script.written_whole().len() < 3 {
            tokio::task::yield_now().await;
        }
        assert_eq!(script.written_whole()[2], ["/cancel", "=tag=5", CANCEL_T0]);
        script.send(&["!re", "=late=1", T0]); // dropped: the stream is gone
        script.send(TRAP);
        script.send(CANCEL_DONE);
        script.send(DONE);
        script.send(&["!done", T1]);
    };
    let (end, ()) = within(async { tokio::join!(reader, router) }).await;
    assert!(end.is_none());
    assert_eq!(mux.slots_in_use(), 0);
}

#[tokio::test]
async fn a_write_cut_short_is_finished_by_the_next_writer() {
    let (script, mux) = mock();
    script.write_chunk(3);
    let mut first = mux.command(&["/first", "=a=1"]).await.unwrap();
    // Start a command and give up on it after its first five bytes.
    script.write_budget(Some(5));
    {
        let start = mux.command(&["/abandoned", "=some=value"]);
        assert!(tokio::time::timeout(Duration::from_millis(20), start)
            .await
            .is_err());
    }
    assert!(mux.slots_in_use() == 2);
    script.write_budget(None);
    // The next command first finishes the abandoned sentence, then cancels it.
    let mut third = within(mux.command(&["/third"])).await.unwrap();
    let written = script.written_whole();
    let paths: Vec<&str> = written.iter().map(|s| s[0].as_str()).collect();
    assert_eq!(paths, ["/first", "/abandoned", "/third", "/cancel"]);
    assert_eq!(written[3][1], "=tag=6");
    // The abandoned command's slot is freed by its !done.
    script.send(&["!done", T1]);
    script.send(&["!done", T0]);
    let t3 = format!(".tag={}", third.tag());
    script.send(&["!done", &t3]);
    assert!(within(first.next()).await.is_none());
    assert!(within(third.next()).await.is_none());
    assert_eq!(mux.slots_in_use(), 0);
}

#[tokio::test]
async fn a_control_byte_fails_every_handle() {
    let (script, mux) = mock();
    let mut a = mux.command(&["/a"]).await.unwrap();
    let mut b = mux.stream(&["/b"]).await.unwrap();
    script.send_raw(&[0xF9, 0x00]);
    let err = within(a.next()).await.unwrap().unwrap_err();
    assert!(matches!(err, Error::Wire(_)), "{err:?}");
    assert!(within(a.next()).await.is_none());
    assert_eq!(within(b.next()).await.unwrap().unwrap_err(), err);
    assert!(!mux.is_usable());
    assert_eq!(mux.command(&["/c"]).await.err(), Some(err));
    drop((a, b));
    assert_eq!(mux.slots_in_use(), 0);
}

#[tokio::test]
async fn peer_close_fails_handles_with_closed() {
    let (script, mux) = mock();
    let mut a = mux.command(&["/a"]).await.unwrap();
    script.close();
    assert_eq!(within(a.next()).await.unwrap().unwrap_err(), Error::Closed);
    drop(a);
    assert_eq!(mux.slots_in_use(), 0);
}

#[tokio::test]
async fn command_back_pressure_keeps_every_row() {
    let (script, mux) = mock();
    let mut big = mux.command(&["/big"]).await.unwrap();
    let mut small = mux.command(&["/small"]).await.unwrap();
    // Far more than 512 bytes for `big`, then `small`'s reply behind it.
    for i in 0..50 {
        script.send(&[
            "!re",
            &format!("=i={i}"),
            "=pad=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            T0,
        ]);
    }
    script.send(&["!done", T0]);
    script.send(&["!re", "=s=1", T1]);
    script.send(&["!done", T1]);
    // `small` cannot get its row until `big` makes room: read them together.
    let big_rows = async {
        let mut seen = Vec::new();
        while let Some(row) = big.next().await {
            seen.push(row.unwrap().get("i").unwrap().parse::<u32>().unwrap());
            tokio::task::yield_now().await;
        }
        seen
    };
    let small_rows = async {
        let mut n = 0;
        while let Some(row) = small.next().await {
            row.unwrap();
            n += 1;
        }
        n
    };
    let (seen, n) = within(async { tokio::join!(big_rows, small_rows) }).await;
    assert_eq!(seen, (0..50).collect::<Vec<_>>());
    assert_eq!(n, 1);
    assert_eq!(mux.slots_in_use(), 0);
}

// These two run the parties as separate tasks: `join!` would poll every branch on any
// wake-up and hide a missing hand-over.
#[tokio::test]
async fn a_reader_dropped_mid_read_hands_over_to_a_waiting_handle() {
    let (script, mux) = mock();
    let mux: &'static MockMux = Box::leak(Box::new(mux));
    let local = tokio::task::LocalSet::new();
    local
        .run_until(async move {
            let mut a = mux.stream(&["/a"]).await.unwrap();
            let mut b = mux.command(&["/b"]).await.unwrap();
            // `a` takes the reader first and gives up (its future is dropped) while `b` waits.
            let give_up = tokio::task::spawn_local(async move {
                assert!(tokio::time::timeout(Duration::from_millis(20), a.next())
                    .await
                    .is_err());
                a
            });
            let wait = tokio::task::spawn_local(async move {
                tokio::task::yield_now().await;
                let row = b.next().await.unwrap().unwrap();
                let got = row.get("n").unwrap().as_str().unwrap().to_string();
                drop(row);
                assert!(b.next().await.is_none());
                got
            });
            tokio::time::sleep(Duration::from_millis(60)).await;
            script.send(&["!re", "=n=for-b", T1]);
            script.send(&["!done", T1]);
            assert_eq!(within(wait).await.unwrap(), "for-b");
            drop(within(give_up).await.unwrap());
        })
        .await;
}

#[tokio::test]
async fn a_writer_dropped_mid_write_hands_over_to_a_waiting_writer() {
    let (script, mux) = mock();
    let mux: &'static MockMux = Box::leak(Box::new(mux));
    script.write_budget(Some(4));
    let local = tokio::task::LocalSet::new();
    local
        .run_until(async move {
            let first = tokio::task::spawn_local(async move {
                let start = mux.command(&["/first"]);
                assert!(tokio::time::timeout(Duration::from_millis(20), start)
                    .await
                    .is_err());
            });
            let second = tokio::task::spawn_local(async move {
                tokio::task::yield_now().await;
                mux.command(&["/second"]).await.unwrap().tag()
            });
            within(first).await.unwrap();
            script.write_budget(None);
            let tag = within(second).await.unwrap();
            let written = script.written_whole();
            assert_eq!(written[0][0], "/first");
            assert_eq!(written[1], ["/second", &format!(".tag={tag}") as &str]);
            assert_eq!(written[2], ["/cancel", "=tag=5", CANCEL_T0]);
        })
        .await;
}

/// The client and its handles can move to the thread that will use them, but are not `Sync`
/// (checked by the design: `RefCell` state); the no-op telemetry adds nothing to its size.
#[test]
fn send_and_size() {
    fn assert_send<T: Send>() {}
    type TokioRd = embedded_io_adapters::tokio_1::FromTokio<tokio::net::tcp::OwnedReadHalf>;
    type TokioWr = embedded_io_adapters::tokio_1::FromTokio<tokio::net::tcp::OwnedWriteHalf>;
    assert_send::<Mux<'static, TokioRd, TokioWr, (), 4, 512>>();
    assert_send::<routeros_core::pool::PoolState<u32, 4>>();
    assert_eq!(
        std::mem::size_of::<Mux<'static, Script, Script, (), 4, 512>>(),
        std::mem::size_of::<Mux<'static, Script, Script, ((), ()), 4, 512>>()
    );
}

#[tokio::test]
async fn a_row_kept_past_a_reconnect_holds_its_slot_back_until_dropped() {
    let (script, mux) = mock();
    let mut old = mux.command(&["/old"]).await.unwrap();
    script.send(&["!re", "=n=old", T0]);
    let row = within(old.next()).await.unwrap().unwrap();
    let fresh = Script::pending();
    within(mux.reconnect(fresh.clone(), fresh.clone()))
        .await
        .unwrap();
    // Slot 0 is free but lent out: the new command goes to slot 1 and sees nothing old.
    let mut new = mux.command(&["/new"]).await.unwrap();
    assert_eq!(new.id().slot, 1);
    assert_eq!(row.get("n").unwrap().as_str(), Some("old"));
    drop(row);
    assert_eq!(
        within(old.next()).await.unwrap().unwrap_err(),
        Error::StaleHandle
    );
    let tag = format!(".tag={}", new.tag());
    fresh.send(&["!done", &tag]);
    assert!(within(new.next()).await.is_none());
    // And slot 0 is usable again, with an empty buffer.
    let mut again = mux.command(&["/again"]).await.unwrap();
    assert_eq!(again.id().slot, 0);
    let tag = format!(".tag={}", again.tag());
    fresh.send(&["!re", "=n=new", &tag]);
    fresh.send(&["!done", &tag]);
    assert_eq!(
        within(again.next())
            .await
            .unwrap()
            .unwrap()
            .get("n")
            .unwrap()
            .as_str(),
        Some("new")
    );
    assert!(within(again.next()).await.is_none());
    drop((old, new, again));
    assert_eq!(mux.slots_in_use(), 0);
}

#[tokio::test]
async fn an_oversize_done_ends_only_its_own_command() {
    let (script, mux) = mock();
    let a = mux.command(&["/a"]).await.unwrap();
    let b = mux.command(&["/b"]).await.unwrap();
    // A `!done` for `a` whose `=ret=` is larger than the 1 KiB receive buffer.
    let ret = format!("=ret={}", "r".repeat(3000));
    script.send(&["!done", T0, &ret]);
    script.send(&["!re", "=n=b1", T1]);
    script.send(&["!done", T1]);
    assert_eq!(
        within(a.finish()).await.unwrap_err(),
        Error::BufferTooSmall(routeros_core::Buffer::Receive)
    );
    let done = within(b.finish()).await.unwrap();
    assert!(done.ret().is_none());
    assert_eq!(mux.slots_in_use(), 0);
    assert!(mux.is_usable());
}

#[tokio::test]
async fn untagged_reply_with_two_commands_running_ends_the_connection() {
    let (script, mux) = mock();
    let mut a = mux.command(&["/a"]).await.unwrap();
    let _b = mux.command(&["/b"]).await.unwrap();
    script.send(&["!re", "=n=y"]);
    let error = within(a.next()).await.unwrap().unwrap_err();
    assert_eq!(
        error,
        routeros_core::Error::Protocol(routeros_core::proto::ProtocolError::UntaggedReply)
    );
    assert!(!mux.is_usable());
}
