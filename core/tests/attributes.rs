//! How reply attributes read, through the `Client` and the `Mux`: a word `=key` without a
//! second `=` is kept with an empty value; on duplicate keys `get` returns the later value
//! while the iterator yields both in order.

mod support;

use routeros_core::mux::Mux;
use routeros_core::proto::Value;
use routeros_core::Client;
use support::{run_bounded, Script};

const ROW: [&str; 6] = [
    "!re",
    "=only-key",
    "=list=first",
    "=name=x",
    "=list=second",
    ".tag=TAG",
];

fn row(tag: u32) -> Vec<String> {
    ROW.iter()
        .map(|w| w.replace("TAG", &tag.to_string()))
        .collect()
}

/// Checks a row built from `ROW`, given as its attributes in order and its `get`, read the
/// same way through either client.
fn check_row<'v>(
    attributes: impl Iterator<Item = (Value<'v>, Value<'v>)>,
    get: impl Fn(&str) -> Option<Value<'v>>,
) {
    assert_eq!(get("only-key").map(|v| v.as_bytes()), Some(&b""[..]));
    assert_eq!(get("list").unwrap().as_bytes(), b"second");
    let attributes: Vec<(Vec<u8>, Vec<u8>)> = attributes
        .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
        .collect();
    assert_eq!(
        attributes,
        [
            (b"only-key".to_vec(), b"".to_vec()),
            (b"list".to_vec(), b"first".to_vec()),
            (b"name".to_vec(), b"x".to_vec()),
            (b"list".to_vec(), b"second".to_vec()),
        ]
    );
}

#[test]
fn client_keeps_bare_keys_and_the_last_duplicate() {
    let script = Script::new();
    script.send(&row(1));
    script.send(&["!done", ".tag=1"]);
    let mut client = Client::new(script, vec![0u8; 256], vec![0u8; 256]);
    run_bounded(
        async {
            let mut rows = client
                .command(&["/ip/firewall/address-list/print"])
                .await
                .unwrap();
            let row = rows.next().await.unwrap().unwrap();
            check_row(row.attributes(), |name| row.get(name));
            assert!(rows.next().await.is_none());
        },
        1000,
    )
    .expect("finished");
}

#[test]
fn mux_rows_read_the_same_way() {
    let script = Script::new();
    // One slot: its first command is tagged 2.
    script.send(&row(2));
    script.send(&["!done", ".tag=2"]);
    let (mut rx, mut tx) = ([0u8; 256], [0u8; 256]);
    let mux: Mux<'_, _, _, (), 1, 512> = Mux::new(script.clone(), script, &mut rx, &mut tx);
    run_bounded(
        async {
            let mut rows = mux
                .command(&["/ip/firewall/address-list/print"])
                .await
                .unwrap();
            let row = rows.next().await.unwrap().unwrap();
            check_row(row.attributes(), |name| row.get(name));
            assert_eq!(row.reply().get("list").unwrap().as_bytes(), b"second");
            drop(row);
            assert!(rows.next().await.is_none());
        },
        1000,
    )
    .expect("finished");
}
