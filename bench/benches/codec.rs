//! Codec throughput: the borrowing decoder on realistic reply streams fed in 64 KiB chunks,
//! and the sentence encoder on typical commands.
//!
//! Run with `cargo bench -p routeros-bench --bench codec` (about a minute).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use routeros_bench::{address_list_row, interface_row, reply_stream, RowFn};
use routeros_core::wire::{Decoder, SentenceEncoder};
use routeros_core::{Command, Reply, ReplyKind, Request};

/// Chunk size of the simulated socket reads, and size of the decoder's buffer.
const CHUNK: usize = 64 * 1024;

/// Decodes a whole reply stream the way the client does: feed a chunk, then take every whole
/// sentence, check its reply word, and read one attribute of each row. Returns the rows
/// seen and the total length of the attribute read (so nothing is optimised away).
fn decode_stream(wire: &[u8], buf: &mut [u8], field: &str) -> (usize, usize) {
    let mut decoder = Decoder::new(buf);
    let mut rows = 0;
    let mut touched = 0;
    for chunk in wire.chunks(CHUNK) {
        let mut rest = chunk;
        while !rest.is_empty() {
            let n = decoder.feed(rest);
            rest = &rest[n..];
            while let Ok(Some(sentence)) = decoder.next_sentence() {
                let Ok(reply) = Reply::parse(sentence) else {
                    continue;
                };
                if reply.kind() == ReplyKind::Re {
                    rows += 1;
                    touched += reply.get(field).map_or(0, |v| v.as_bytes().len());
                }
            }
        }
    }
    (rows, touched)
}

fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode");
    let mut buf = vec![0u8; CHUNK];
    let samples: [(&str, usize, RowFn, &str); 2] = [
        ("address-list-row", 20_000, address_list_row, "address"),
        ("interface-row", 5_000, interface_row, "name"),
    ];
    for (name, rows, row, field) in samples {
        let wire = reply_stream(rows, Some(1), row);
        let (seen, _) = decode_stream(&wire, &mut buf, field);
        assert_eq!(seen, rows, "the sample stream must decode whole");
        group.throughput(Throughput::Bytes(wire.len() as u64));
        group.bench_with_input(BenchmarkId::new("bytes", name), &wire, |b, wire| {
            b.iter(|| decode_stream(black_box(wire), &mut buf, field))
        });
        // The same work, reported per sentence (rows plus the final `!done`).
        group.throughput(Throughput::Elements(rows as u64 + 1));
        group.bench_with_input(BenchmarkId::new("sentences", name), &wire, |b, wire| {
            b.iter(|| decode_stream(black_box(wire), &mut buf, field))
        });
    }
    group.finish();
}

fn encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode");
    let mut buf = [0u8; 512];
    group.throughput(Throughput::Elements(1));

    let proplist = ["address", "list", "comment"];
    let print = Command::<8>::new("/ip/firewall/address-list/print")
        .query("list", "blocklist")
        .query("disabled", "false")
        .operations("&")
        .proplist(&proplist);
    group.bench_function("command-builder/print-query-proplist", |b| {
        b.iter(|| {
            let mut encoder = SentenceEncoder::new(&mut buf);
            black_box(&print).encode(&mut encoder).ok();
            encoder.api_attribute("tag", b"42").ok();
            encoder.finish().map(|s| s.len()).unwrap_or(0)
        })
    });

    let add = [
        "/ip/address/add",
        "=address=192.168.88.1/24",
        "=interface=ether1",
        "=comment=management network",
    ];
    group.bench_function("word-list/ip-address-add", |b| {
        b.iter(|| {
            let mut encoder = SentenceEncoder::new(&mut buf);
            black_box(&add).encode(&mut encoder).ok();
            encoder.api_attribute("tag", b"42").ok();
            encoder.finish().map(|s| s.len()).unwrap_or(0)
        })
    });

    group.bench_function("word-list/identity-print", |b| {
        b.iter(|| {
            let mut encoder = SentenceEncoder::new(&mut buf);
            black_box(&["/system/identity/print"])
                .encode(&mut encoder)
                .ok();
            encoder.api_attribute("tag", b"7").ok();
            encoder.finish().map(|s| s.len()).unwrap_or(0)
        })
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
}

criterion_group! {
    name = benches;
    config = config();
    targets = decode, encode
}
criterion_main!(benches);
