//! Property tests of the wire layer: round trips and decoding at any chunk boundary.

use proptest::prelude::*;
use routeros_core::wire::{
    decode_length, encode_length, Decoder, LengthPrefix, Sentence, SentenceEncoder, WireError,
};

/// Sentences of 1..8 non-empty words, some long enough for the 2- and 3-byte length forms.
fn sentences() -> impl Strategy<Value = Vec<Vec<Vec<u8>>>> {
    let word = prop_oneof![
        8 => prop::collection::vec(any::<u8>(), 1..40),
        1 => prop::collection::vec(any::<u8>(), 120..300),
        1 => prop::collection::vec(any::<u8>(), 16_380..16_400),
    ];
    prop::collection::vec(prop::collection::vec(word, 1..8), 1..6)
}

fn encode_all(sentences: &[Vec<Vec<u8>>]) -> Vec<u8> {
    let mut wire = Vec::new();
    for sentence in sentences {
        let size: usize = sentence.iter().map(|w| w.len() + 5).sum::<usize>() + 1;
        let mut buf = vec![0u8; size];
        let mut enc = SentenceEncoder::new(&mut buf);
        for word in sentence {
            enc.word(word).unwrap();
        }
        wire.extend_from_slice(enc.finish().unwrap());
    }
    wire
}

/// Feeds `wire` in chunks of the sizes `chunks` cycles through and collects the sentences.
fn decode_in_chunks(wire: &[u8], chunks: &[usize], capacity: usize) -> Vec<Vec<Vec<u8>>> {
    let mut buf = vec![0u8; capacity];
    let mut decoder = Decoder::new(&mut buf[..]);
    let mut out = Vec::new();
    let mut rest = wire;
    let mut sizes = chunks.iter().cycle();
    while !rest.is_empty() {
        let want = (*sizes.next().unwrap()).clamp(1, rest.len());
        let took = decoder.feed(&rest[..want]);
        rest = &rest[took..];
        while let Some(sentence) = decoder.next_sentence().unwrap() {
            out.push(sentence.words().map(<[u8]>::to_vec).collect());
        }
    }
    assert_eq!(decoder.buffered(), 0);
    out
}

proptest! {
    #[test]
    fn length_round_trips(len in any::<u32>()) {
        let mut out = [0u8; 5];
        let n = encode_length(len, &mut out).unwrap();
        prop_assert_eq!(decode_length(&out[..n]), Ok(LengthPrefix::Complete { len, prefix: n }));
    }

    #[test]
    fn sentences_round_trip_at_random_chunk_sizes(
        sentences in sentences(),
        chunks in prop::collection::vec(1usize..5000, 1..16),
    ) {
        let wire = encode_all(&sentences);
        // The tightest buffer: the largest sentence fits exactly.
        let capacity = sentences.iter().map(|s| encode_all(std::slice::from_ref(s)).len()).max().unwrap();
        prop_assert_eq!(decode_in_chunks(&wire, &chunks, capacity), sentences);
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2000), chunk in 1usize..64) {
        let mut buf = [0u8; 256];
        let mut decoder = Decoder::new(&mut buf[..]);
        for piece in bytes.chunks(chunk) {
            let mut rest = piece;
            while !rest.is_empty() {
                let took = decoder.feed(rest);
                rest = &rest[took..];
                loop {
                    match decoder.next_sentence() {
                        Ok(Some(s)) => { let _ = s.words().count(); }
                        Ok(None) | Err(WireError::SentenceTooLarge) => break,
                        Err(_) => return Ok(()),
                    }
                }
                if took == 0 { return Ok(()); }
            }
        }
    }

    #[test]
    fn checked_view_accepts_exactly_whole_words(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(sentence) = Sentence::new_checked(&bytes) {
            let total: usize = sentence.words().map(|w| w.len() + routeros_core::wire::prefix_len(w.len() as u32)).sum();
            prop_assert_eq!(total, bytes.len());
        }
    }
}

#[test]
fn every_split_point_of_a_realistic_reply() {
    let sentences = vec![
        vec![
            b"!re".to_vec(),
            b"=.id=*1".to_vec(),
            b"=name=ether1".to_vec(),
            vec![b'c'; 200],
        ],
        vec![
            b"!trap".to_vec(),
            b"=category=2".to_vec(),
            b"=message=interrupted".to_vec(),
        ],
        vec![b"!empty".to_vec(), b".tag=9".to_vec()],
        vec![b"!done".to_vec(), b"=ret=*3".to_vec()],
    ];
    let wire = encode_all(&sentences);
    for split in 0..=wire.len() {
        let first = split.max(1);
        let chunks = [first, wire.len()];
        assert_eq!(
            decode_in_chunks(&wire, &chunks, 512),
            sentences,
            "split at {split}"
        );
    }
    assert_eq!(decode_in_chunks(&wire, &[1], 512), sentences);
}

proptest! {
    /// An oversize sentence is reported once, after it has passed, with its reply word and
    /// its tag wherever the tag stood, whatever the chunking; the next sentence is intact.
    #[test]
    fn oversize_sentences_keep_their_tag_wherever_it_stands(
        fillers in prop::collection::vec(prop::collection::vec(b'a'..=b'z', 1..200), 1..6),
        tag in 0u32..1_000_000,
        position in 0usize..8,
        chunks in prop::collection::vec(1usize..64, 1..8),
    ) {
        let tag_word = format!(".tag={tag}").into_bytes();
        let mut words: Vec<Vec<u8>> = vec![b"!re".to_vec()];
        words.extend(fillers.iter().map(|f| [b"=x=".as_slice(), f].concat()));
        words.insert(1 + position % words.len(), tag_word);
        // At least 300 bytes: never fits a 64-byte buffer.
        words.push([b"=pad=".as_slice(), &[b'p'; 300]].concat());
        let next: Vec<Vec<u8>> = vec![b"!done".to_vec(), b".tag=1".to_vec()];
        let wire = encode_all(&[words, next.clone()]);

        let mut buf = [0u8; 64];
        let mut decoder = Decoder::new(&mut buf[..]);
        let mut heads = Vec::new();
        let mut whole = Vec::new();
        let mut rest = &wire[..];
        let mut sizes = chunks.iter().cycle();
        loop {
            loop {
                match decoder.next_sentence() {
                    Ok(Some(s)) => whole.push(s.words().map(<[u8]>::to_vec).collect::<Vec<_>>()),
                    Ok(None) => break,
                    Err(WireError::SentenceTooLarge) => heads.push((
                        decoder.skipped().reply_word().map(<[u8]>::to_vec),
                        decoder.skipped().tag().map(<[u8]>::to_vec),
                    )),
                    Err(e) => panic!("{e:?}"),
                }
            }
            if rest.is_empty() {
                break;
            }
            let want = (*sizes.next().unwrap()).min(rest.len());
            let n = decoder.feed(&rest[..want]);
            rest = &rest[n..];
        }
        prop_assert_eq!(heads, vec![(Some(b"!re".to_vec()), Some(tag.to_string().into_bytes()))]);
        prop_assert_eq!(whole, vec![next]);
    }
}
