//! The decoder fed arbitrary bytes in arbitrary chunk sizes, into a buffer of arbitrary size:
//! it must never panic or stall, and must hand out the same sentences and errors however the
//! bytes are split.
#![no_main]

use libfuzzer_sys::fuzz_target;
use routeros_core::wire::{Decoder, WireError};
use routeros_fuzz::Input;

#[derive(Debug, PartialEq)]
enum Out {
    Sentence(Vec<Vec<u8>>),
    Error(WireError),
}

/// Decodes `bytes` fed in pieces whose sizes come from `sizes` (cycled).
fn decode(bytes: &[u8], rx: usize, sizes: &[u8]) -> Vec<Out> {
    let mut decoder = Decoder::new(vec![0u8; rx]);
    let mut out = Vec::new();
    let mut rest = bytes;
    let mut turn = 0;
    while !rest.is_empty() {
        let size = match sizes {
            [] => rest.len(),
            _ => usize::from(sizes[turn % sizes.len()]).max(1),
        };
        turn += 1;
        let piece = &rest[..size.min(rest.len())];
        let taken = decoder.feed(piece);
        rest = &rest[taken..];
        let before = out.len();
        loop {
            match decoder.next_sentence() {
                Ok(Some(sentence)) => {
                    assert!(!sentence.is_empty(), "an empty sentence was handed out");
                    let words: Vec<Vec<u8>> = sentence.words().map(<[u8]>::to_vec).collect();
                    assert_eq!(words.len(), sentence.len());
                    assert!(words.iter().all(|w| !w.is_empty()));
                    out.push(Out::Sentence(words));
                }
                Ok(None) => break,
                Err(WireError::SentenceTooLarge) => {
                    out.push(Out::Error(WireError::SentenceTooLarge))
                }
                Err(e) => {
                    // Sticky: the stream cannot be resynchronised.
                    assert_eq!(decoder.next_sentence().err(), Some(e));
                    out.push(Out::Error(e));
                    return out;
                }
            }
        }
        assert!(
            taken > 0 || out.len() > before,
            "the decoder stalled: no room and nothing to hand out"
        );
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let rx = input.range(5, 300);
    let n_sizes = input.range(0, 8);
    let sizes: Vec<u8> = (0..n_sizes).map(|_| input.byte()).collect();
    let bytes = input.rest();
    let chunked = decode(bytes, rx, &sizes);
    let whole = decode(bytes, rx, &[]);
    assert_eq!(chunked, whole, "the split changed what came out");
});
