//! The whole client fed arbitrary bytes by a "router": it must end every call with rows or a
//! typed error, never panic and never wait forever (the transport ends after its bytes).

use proptest::prelude::*;
use routeros_core::wire::SentenceEncoder;
use routeros_core::Client;
use routeros_test_support::Script;

/// Sentences made of reply words, tags and attributes in any order, some oversize.
fn replies() -> impl Strategy<Value = Vec<u8>> {
    let word = prop_oneof![
        Just(b"!re".to_vec()),
        Just(b"!done".to_vec()),
        Just(b"!trap".to_vec()),
        Just(b"!empty".to_vec()),
        Just(b"!fatal".to_vec()),
        Just(b".tag=1".to_vec()),
        Just(b".tag=2".to_vec()),
        Just(b".tag=3".to_vec()),
        Just(b"=ret=*1".to_vec()),
        Just(b"=category=2".to_vec()),
        Just(b"=message=x".to_vec()),
        prop::collection::vec(any::<u8>(), 1..20),
        prop::collection::vec(any::<u8>(), 200..400),
    ];
    prop::collection::vec(prop::collection::vec(word, 0..6), 0..12).prop_map(|sentences| {
        let mut wire = Vec::new();
        for words in sentences {
            let mut buf = vec![0u8; 4096];
            let mut enc = SentenceEncoder::new(&mut buf);
            for w in &words {
                enc.word(w).unwrap();
            }
            wire.extend_from_slice(enc.finish().unwrap());
        }
        wire
    })
}

fn run(bytes: Vec<u8>, chunk: usize) {
    // The router sends `bytes` in reads of at most `chunk`, then closes.
    let io = Script::replay(&bytes, chunk);
    let mut client = Client::new(io, vec![0u8; 128], vec![0u8; 256]);
    futures_executor::block_on(async {
        let _ = client.login("admin", "pw").await;
        for _ in 0..3 {
            let Ok(mut response) = client.command(&["/interface/print"]).await else {
                return;
            };
            let mut steps = 0;
            while let Some(row) = response.next().await {
                if let Ok(row) = row {
                    let _ = row.get("name");
                }
                steps += 1;
                assert!(steps < 10_000, "a response that never ends");
            }
        }
    });
}

fn run_mux(bytes: Vec<u8>, chunk: usize) {
    use routeros_core::mux::Mux;
    let io = Script::replay(&bytes, chunk);
    let (mut rx, mut tx) = ([0u8; 128], [0u8; 256]);
    let mux: Mux<'_, Script, Script, (), 2, 256> = Mux::new(io, Script::new(), &mut rx, &mut tx);
    futures_executor::block_on(async {
        let _ = mux.login("admin", "pw").await;
        let Ok(mut stream) = mux.stream(&["/interface/monitor-traffic"]).await else {
            return;
        };
        let Ok(mut command) = mux.command(&["/interface/print"]).await else {
            return;
        };
        let mut steps = 0;
        while let Some(row) = command.next().await {
            let _ = row.map(|r| r.get("name").is_some());
            steps += 1;
            assert!(steps < 10_000, "a response that never ends");
        }
        while let Some(row) = stream.next().await {
            let _ = row.map(|r| r.get("name").is_some());
            steps += 1;
            assert!(steps < 20_000, "a stream that never ends");
        }
    });
}

proptest! {
    #[test]
    fn the_mux_never_panics_or_hangs_on_structured_replies(bytes in replies(), chunk in 1usize..64) {
        run_mux(bytes, chunk);
    }

    #[test]
    fn the_mux_never_panics_or_hangs_on_random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..600), chunk in 1usize..64) {
        run_mux(bytes, chunk);
    }

    #[test]
    fn structured_replies_never_panic_or_hang(bytes in replies(), chunk in 1usize..64) {
        run(bytes, chunk);
    }

    #[test]
    fn random_bytes_never_panic_or_hang(bytes in prop::collection::vec(any::<u8>(), 0..600), chunk in 1usize..64) {
        run(bytes, chunk);
    }
}
