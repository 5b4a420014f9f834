//! Fault injection: fragmented writes, disconnects mid-reply, oversize words, non-UTF-8
//! bytes, control bytes, slow replies.

mod common;

use common::*;
use routeros_core::wire::WireError;
use routeros_core::{Buffer, Error, Value};
use routeros_sim::{Faults, SimConfig};

fn faulty(faults: Faults) -> SimConfig {
    SimConfig {
        faults,
        ..SimConfig::default()
    }
}

#[tokio::test]
async fn one_byte_writes_from_the_router() {
    let sim = sim(faulty(Faults {
        fragment: Some(1),
        ..Faults::default()
    }))
    .await;
    let mut client = login(&sim).await;
    let interfaces = within(client.list_interfaces::<16>()).await.unwrap();
    assert_eq!(interfaces.len(), 7);
    assert_eq!(interfaces[0].name.as_str(), "ether1");
}

#[tokio::test]
async fn slow_replies_still_arrive() {
    let sim = sim(faulty(Faults {
        delay_ms: 30,
        ..Faults::default()
    }))
    .await;
    let mut client = login(&sim).await;
    assert_in_step(&mut client).await;
}

#[tokio::test]
async fn disconnect_mid_reply_is_closed_not_a_hang() {
    let sim = sim(SimConfig {
        address_list_rows: 100,
        faults: Faults {
            disconnect_after_rows: Some(10),
            ..Faults::default()
        },
        ..SimConfig::default()
    })
    .await;
    let mut client = login(&sim).await;
    let mut response = within(client.command(&["/ip/firewall/address-list/print"]))
        .await
        .unwrap();
    let mut rows = 0;
    let err = loop {
        match within(response.next()).await {
            Some(Ok(_)) => rows += 1,
            Some(Err(e)) => break e,
            None => panic!("reply ended normally after {rows} rows"),
        }
    };
    assert_eq!(rows, 10);
    assert!(
        matches!(err, Error::Closed | Error::Io(_)),
        "expected a closed connection, got {err:?}"
    );
    drop(response);
    assert!(!client.is_usable());
    assert!(within(client.identity()).await.is_err());
}

#[tokio::test]
async fn oversize_word_is_a_typed_error_and_the_connection_survives() {
    let sim = sim(faulty(Faults {
        oversize_word: Some(70_000),
        ..Faults::default()
    }))
    .await;
    // 4 KiB receive buffer: ether1's 70 000-byte comment cannot fit.
    let mut client = connect_with(&sim, 4096).await;
    within(client.login("admin", "")).await.unwrap();
    let mut response = within(client.command(&["/interface/print"])).await.unwrap();
    let mut names = Vec::new();
    let mut errors = Vec::new();
    while let Some(row) = within(response.next()).await {
        match row {
            Ok(row) => names.push(row.get("name").unwrap().to_string()),
            Err(e) => errors.push(e),
        }
    }
    assert_eq!(errors, [Error::BufferTooSmall(Buffer::Receive)]);
    assert_eq!(names.len(), 6, "every other row arrives: {names:?}");
    assert!(!names.contains(&"ether1".to_string()));
    drop(response);
    assert_in_step(&mut client).await;

    // A large enough buffer takes the same word whole (3-byte length form).
    let mut big = connect_with(&sim, 128 * 1024).await;
    within(big.login("admin", "")).await.unwrap();
    let ether1 = within(big.get_interface("ether1")).await;
    // The typed helper's comment field is bounded: a clean error, not a cut.
    assert_eq!(ether1.unwrap_err(), Error::BufferTooSmall(Buffer::Field));
    let mut response = within(big.command(&["/interface/print", "?name=ether1"]))
        .await
        .unwrap();
    let row = within(response.next()).await.unwrap().unwrap();
    // The whole word `=comment=...` is 70 000 bytes.
    assert_eq!(
        row.get("comment").unwrap().as_bytes().len(),
        70_000 - "=comment=".len()
    );
}

#[tokio::test]
async fn non_utf8_bytes_are_kept_and_decoded_as_windows_1252() {
    let sim = sim(faulty(Faults {
        non_utf8: true,
        ..Faults::default()
    }))
    .await;
    let mut client = login(&sim).await;
    let mut response = within(client.command(&["/interface/print", "?name=ether2"]))
        .await
        .unwrap();
    let row = within(response.next()).await.unwrap().unwrap();
    let comment = row.get("comment").unwrap();
    assert_eq!(comment.as_bytes(), b"Caf\xe9 \x80 r\xe9seau");
    assert_eq!(comment.as_str(), None);
    assert_eq!(comment.to_string(), "Café € réseau");
    drop(response);
    let ether2 = within(client.get_interface("ether2")).await.unwrap();
    assert_eq!(ether2.comment.as_str(), "Café € réseau");
    assert_eq!(Value::new(b"plain").to_string(), "plain");
}

/// A fake router that answers anything with the given bytes.
async fn scripted_router(reply: &'static [u8]) -> std::net::SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 1024];
        let _ = socket.read(&mut buf).await;
        let _ = socket.write_all(reply).await;
        let mut rest = Vec::new();
        let _ = socket.read_to_end(&mut rest).await;
    });
    addr
}

async fn client_for(addr: std::net::SocketAddr) -> TestClient {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    routeros_core::Client::new(
        embedded_io_adapters::tokio_1::FromTokio::new(stream),
        vec![0; 1024],
        vec![0; 1024],
    )
}

#[tokio::test]
async fn control_byte_is_a_wire_error_and_poisons_the_client() {
    let addr = scripted_router(b"\x03!re\xf8\x00").await;
    let mut client = client_for(addr).await;
    let err = within(client.run(&["/interface/print"])).await.unwrap_err();
    assert_eq!(err, Error::Wire(WireError::ControlByte(0xF8)));
    assert!(!client.is_usable());
    assert_eq!(
        within(client.run(&["/interface/print"])).await.unwrap_err(),
        Error::Poisoned
    );
}

#[tokio::test]
async fn multiple_traps_are_all_read_up_to_the_done() {
    let addr = scripted_router(
        b"\x05!trap\x0a=message=a\x0b=category=1\x00\
          \x05!trap\x0a=message=b\x00\
          \x05!done\x00\
          \x03!re\x0a=name=next\x00\x05!done\x00",
    )
    .await;
    // The scripted reply is untagged; the client accepts untagged replies as its own.
    let mut client = client_for(addr).await;
    let err = within(client.run(&["/x"])).await.unwrap_err();
    let trap = err.as_trap().unwrap();
    assert_eq!(trap.message.as_str(), "a");
    assert_eq!(
        trap.category,
        Some(routeros_core::TrapCategory::ArgumentValue)
    );
    assert_eq!(trap.more, 1);
}

#[tokio::test]
async fn non_utf8_bytes_written_come_back_unchanged() {
    let sim = sim(SimConfig::default()).await;
    let mut client = login(&sim).await;
    let set: [&[u8]; 2] = [b"/system/identity/set", b"=name=R\xe9seau \x80"];
    within(client.run(&set)).await.unwrap();
    let mut response = within(client.command(&["/system/identity/print"]))
        .await
        .unwrap();
    let row = within(response.next()).await.unwrap().unwrap();
    assert_eq!(row.get("name").unwrap().as_bytes(), b"R\xe9seau \x80");
    drop(response);
    assert_eq!(
        within(client.identity()).await.unwrap().as_str(),
        "Réseau €"
    );

    let add: [&[u8]; 4] = [
        b"/ip/address/add",
        b"=address=10.7.7.7/24",
        b"=interface=ether4",
        b"=comment=caf\xe9",
    ];
    within(client.run(&add)).await.unwrap();
    let addresses = within(client.list_ip_addresses::<16>()).await.unwrap();
    let added = addresses
        .iter()
        .find(|a| a.address.as_str() == "10.7.7.7/24")
        .unwrap();
    assert_eq!(added.comment.as_str(), "café");
}

#[tokio::test]
async fn oversize_done_ends_the_command_instead_of_hanging() {
    use routeros_core::wire::SentenceEncoder;
    let mut bytes = vec![0u8; 8192];
    let mut enc = SentenceEncoder::new(&mut bytes);
    enc.word(b"!done").unwrap();
    enc.word(b".tag=1").unwrap();
    enc.attribute("ret", &[b'r'; 5000]).unwrap();
    let len = enc.finish().unwrap().len();
    let reply: &'static [u8] = Vec::leak(bytes[..len].to_vec());
    // The client's receive buffer is 1 KiB: the `!done` of its first command (tag 1) is
    // skipped, and that must end the command rather than wait for a `!done` forever.
    let mut client = client_for(scripted_router(reply).await).await;
    let err = within(client.run(&["/system/script/run", "=number=0"]))
        .await
        .unwrap_err();
    assert_eq!(err, Error::BufferTooSmall(Buffer::Receive));
    assert!(client.is_usable());
}
