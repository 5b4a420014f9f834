//! The `.tag` the decoder notes while it reads word lengths is the one a walk over the words
//! finds: the first `.tag=value` (or bare `.tag`) after the reply word, wherever it stands,
//! at any chunking.

use proptest::prelude::*;
use routeros_core::wire::{Decoder, Sentence, SentenceEncoder};
use routeros_core::Reply;

/// The value a walk over the words finds (the meaning of `Reply::tag`).
fn walked_tag(words: &[Vec<u8>]) -> Option<Vec<u8>> {
    words[1..].iter().find_map(|word| {
        if word == b".tag" {
            Some(Vec::new())
        } else {
            word.strip_prefix(b".tag=").map(<[u8]>::to_vec)
        }
    })
}

fn encode(words: &[Vec<u8>]) -> Vec<u8> {
    let mut buf = vec![0u8; words.iter().map(|w| w.len() + 5).sum::<usize>() + 1];
    let mut enc = SentenceEncoder::new(&mut buf);
    for word in words {
        enc.word(word).unwrap();
    }
    enc.finish().unwrap().to_vec()
}

/// Decodes `wire` fed in pieces of `chunk` bytes; the tag of every reply, in order.
fn decoded_tags(wire: &[u8], chunk: usize) -> Vec<Option<Vec<u8>>> {
    let mut buf = vec![0u8; 70_000];
    let mut decoder = Decoder::new(&mut buf[..]);
    let mut tags = Vec::new();
    for piece in wire.chunks(chunk) {
        assert_eq!(decoder.feed(piece), piece.len());
        while let Some(sentence) = decoder.next_sentence().unwrap() {
            let reply = Reply::parse(sentence).unwrap();
            assert_eq!(reply.tag(), reply.api_attribute("tag"));
            tags.push(reply.tag().map(|v| v.as_bytes().to_vec()));
        }
    }
    tags
}

fn word() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => prop::collection::vec(any::<u8>(), 1..20),
        2 => "[0-9]{0,6}".prop_map(|d| format!(".tag={d}").into_bytes()),
        1 => Just(b".tag".to_vec()),
        1 => prop::sample::select(vec![&b".tags=1"[..], b".ta", b".tag1=2", b"=.tag=3", b"."])
            .prop_map(<[u8]>::to_vec),
        1 => "[a-z]{1,10}".prop_map(|v| format!("=name={v}").into_bytes()),
        1 => prop::collection::vec(any::<u8>(), 130..300),
    ]
}

fn reply() -> impl Strategy<Value = Vec<Vec<u8>>> {
    (
        prop::sample::select(vec![&b"!re"[..], b"!done", b"!trap"]),
        prop::collection::vec(word(), 0..8),
    )
        .prop_map(|(first, rest)| {
            let mut words = vec![first.to_vec()];
            words.extend(rest);
            words
        })
}

proptest! {
    #[test]
    fn the_noted_tag_is_the_walked_tag(
        replies in prop::collection::vec(reply(), 1..6),
        chunk in 1usize..64,
    ) {
        let wire: Vec<u8> = replies.iter().flat_map(|r| encode(r)).collect();
        let expected: Vec<_> = replies.iter().map(|r| walked_tag(r)).collect();
        prop_assert_eq!(decoded_tags(&wire, chunk), expected.clone());
        prop_assert_eq!(decoded_tags(&wire, wire.len()), expected.clone());
        // A sentence checked on its own agrees too.
        for (words, tag) in replies.iter().zip(&expected) {
            let bytes = encode(words);
            let sentence = Sentence::new_checked(&bytes[..bytes.len() - 1]).unwrap();
            let reply = Reply::parse(sentence).unwrap();
            prop_assert_eq!(reply.tag().map(|v| v.as_bytes().to_vec()), tag.clone());
        }
    }
}

#[test]
fn first_tag_wins_and_the_reply_word_is_not_a_tag() {
    type Case<'a> = (&'a [&'a [u8]], Option<&'a [u8]>);
    let cases: [Case<'_>; 6] = [
        (&[b"!re", b"=a=b", b".tag=7"], Some(b"7")),
        (&[b"!re", b".tag=7", b"=a=b"], Some(b"7")),
        (&[b"!re", b".tag=7", b".tag=8"], Some(b"7")),
        (&[b"!re", b".tag", b".tag=8"], Some(b"")),
        (&[b"!re", b".tags=1", b"=.tag=2"], None),
        (&[b".tag=1", b"=a=b"], None),
    ];
    for (words, want) in cases {
        let words: Vec<Vec<u8>> = words.iter().map(|w| w.to_vec()).collect();
        let wire = encode(&words);
        let mut buf = [0u8; 64];
        let mut decoder = Decoder::new(&mut buf[..]);
        decoder.feed(&wire);
        let sentence = decoder.next_sentence().unwrap().unwrap();
        // `.tag=1` as the first word is no reply word: look at the sentence's walk instead.
        match Reply::parse(sentence) {
            Ok(reply) => assert_eq!(reply.tag().map(|v| v.as_bytes()), want, "{words:?}"),
            Err(_) => assert!(want.is_none()),
        }
    }
}
