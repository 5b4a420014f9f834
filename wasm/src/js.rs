//! Small pieces of the JavaScript boundary: promises settled from Rust, and commands read
//! from JavaScript arrays.

use js_sys::{Array, Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::error::{ErrorType, Failure};

/// The two functions that settle a JavaScript promise.
pub(crate) struct Resolver {
    resolve: js_sys::Function,
    reject: js_sys::Function,
}

impl Resolver {
    pub(crate) fn resolve(self, value: &JsValue) {
        // A promise's resolve function never throws.
        let _ = self.resolve.call1(&JsValue::UNDEFINED, value);
    }

    pub(crate) fn reject(self, failure: &Failure) {
        let _ = self.reject.call1(&JsValue::UNDEFINED, &failure.to_js());
    }
}

/// A promise, with `f` run at once to keep its resolver.
pub(crate) fn promise(f: impl FnOnce(Resolver)) -> Promise {
    let mut f = Some(f);
    Promise::new(&mut |resolve, reject| {
        if let Some(f) = f.take() {
            f(Resolver { resolve, reject })
        }
    })
}

/// A promise already rejected with `failure`.
pub(crate) fn rejected(failure: &Failure) -> Promise {
    Promise::reject(&failure.to_js())
}

/// Turns a JavaScript array of strings (sent as UTF-8) and `Uint8Array`s (sent as they are)
/// into words.
pub(crate) fn words_from_js(words: &JsValue) -> Result<Vec<Vec<u8>>, Failure> {
    let invalid = |m: &str| Failure::new(ErrorType::InvalidArgument, m);
    if !Array::is_array(words) {
        return Err(invalid(
            "a command is an array of words, such as [\"/interface/print\", \"?type=ether\"]",
        ));
    }
    let array: &Array = words.unchecked_ref();
    if array.length() == 0 {
        return Err(invalid("a command needs at least its path"));
    }
    let mut out = Vec::with_capacity(array.length() as usize);
    for word in array.iter() {
        let bytes = if let Some(text) = word.as_string() {
            text.into_bytes()
        } else if let Some(bytes) = word.dyn_ref::<Uint8Array>() {
            bytes.to_vec()
        } else {
            return Err(invalid("each word must be a string or a Uint8Array"));
        };
        if bytes.is_empty() {
            return Err(invalid(
                "a word cannot be empty (write an empty value as \"=name=\")",
            ));
        }
        out.push(bytes);
    }
    Ok(out)
}

#[wasm_bindgen]
extern "C" {
    /// The host's `TextDecoder` (browsers, Node).
    type TextDecoder;
    #[wasm_bindgen(constructor)]
    fn new() -> TextDecoder;
    /// Decodes a view of WebAssembly memory into a JavaScript string (no copy in between).
    #[wasm_bindgen(method)]
    fn decode(this: &TextDecoder, bytes: &[u8]) -> JsValue;
    #[wasm_bindgen(js_namespace = JSON, js_name = parse, catch)]
    fn json_parse(text: &JsValue) -> Result<JsValue, JsValue>;
}

thread_local! {
    static DECODER: TextDecoder = TextDecoder::new();
}

/// `JSON.parse` of UTF-8 JSON text (such as [`crate::json::RowsJson`] writes).
pub(crate) fn parse_json(bytes: &[u8]) -> Result<JsValue, JsValue> {
    let text = DECODER.with(|d| d.decode(bytes));
    json_parse(&text)
}

/// Reads a per-call time limit: `undefined`/`null` for the connection's, `0` for none, else
/// a positive number of milliseconds.
pub(crate) fn call_timeout(value: &JsValue, default: Option<f64>) -> Result<Option<f64>, Failure> {
    if value.is_undefined() || value.is_null() {
        return Ok(default);
    }
    match value.as_f64() {
        Some(0.0) => Ok(None),
        Some(t) if t > 0.0 && t.is_finite() => Ok(Some(t)),
        _ => Err(Failure::new(
            ErrorType::InvalidArgument,
            "timeoutMs must be a positive number of milliseconds (0: no limit)",
        )),
    }
}
