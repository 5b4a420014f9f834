//! Arbitrary word lists encoded and decoded again, and arbitrary lengths through the codec.
#![no_main]

use libfuzzer_sys::fuzz_target;
use routeros_core::wire::{
    decode_length, encode_length, prefix_len, Decoder, LengthPrefix, SentenceEncoder, WireError,
};
use routeros_fuzz::Input;

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    // A length through the codec.
    let len = u32::from_be_bytes([input.byte(), input.byte(), input.byte(), input.byte()]);
    let mut prefix = [0u8; 5];
    let n = encode_length(len, &mut prefix).unwrap();
    assert_eq!(n, prefix_len(len));
    assert_eq!(
        decode_length(&prefix[..n]),
        Ok(LengthPrefix::Complete { len, prefix: n })
    );
    for cut in 0..n {
        assert_eq!(decode_length(&prefix[..cut]), Ok(LengthPrefix::Partial));
    }
    // Words: each introduced by its length byte (0 ends the list), then its bytes; a long
    // word (at most two an input) repeats its bytes to reach the 3-byte length form.
    let mut sentences: Vec<Vec<Vec<u8>>> = vec![Vec::new()];
    let body = input.rest();
    let mut rest = body;
    let mut long_words = 0;
    while let Some((&len, tail)) = rest.split_first() {
        rest = tail;
        if len == 0 {
            sentences.push(Vec::new());
            continue;
        }
        let take = usize::from(len & 0x3F).min(rest.len());
        let mut word = rest[..take].to_vec();
        rest = &rest[take..];
        // At most two long words an input, so each run stays fast.
        if len & 0x40 != 0 && !word.is_empty() && long_words < 2 {
            long_words += 1;
            word = word.repeat(0x4000 / word.len() + 1);
        }
        if !word.is_empty() {
            sentences.last_mut().unwrap().push(word);
        }
    }
    let mut wire = Vec::new();
    for words in &sentences {
        let size: usize = words.iter().map(|w| w.len() + 5).sum::<usize>() + 1;
        let mut buf = vec![0u8; size];
        let mut enc = SentenceEncoder::new(&mut buf);
        for w in words {
            enc.word(w).unwrap();
        }
        assert_eq!(enc.word(b"").unwrap_err(), WireError::EmptyWord);
        wire.extend_from_slice(enc.finish().unwrap());
    }
    let mut decoder = Decoder::new(vec![0u8; wire.len().max(16)]);
    assert_eq!(decoder.feed(&wire), wire.len());
    let mut decoded = Vec::new();
    while let Some(sentence) = decoder.next_sentence().unwrap() {
        decoded.push(sentence.words().map(<[u8]>::to_vec).collect::<Vec<_>>());
    }
    let expected: Vec<_> = sentences.into_iter().filter(|s| !s.is_empty()).collect();
    assert_eq!(decoded, expected);
    assert_eq!(decoder.buffered(), 0);
});
