//! Transports: a WebSocket, or any JavaScript object that speaks the small byte-pipe
//! interface, turned into an [`embedded_io_async`] `Read + Write` for the core client.
//!
//! JavaScript pushes received bytes from its event handlers into a shared [`Inbound`];
//! the client reads from there. Writes are copied into a fresh `Uint8Array` before they are
//! handed to JavaScript, because a transport may keep the array after `send` returns
//! (Node's `ws` and `net.Socket` queue it) while the wasm memory behind a view would change.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{ArrayBuffer, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{BinaryType, CloseEvent, MessageEvent, WebSocket};

use crate::inbound::{Inbound, Link};

#[wasm_bindgen(typescript_custom_section)]
const BYTE_PIPE_TS: &str = r#"
/**
 * A transport written in JavaScript, handed to `Connection.openPipe`. The package sets the
 * three `on*` handlers; the transport calls them. `send` gets a fresh array it may keep.
 */
export interface BytePipe {
  send(data: Uint8Array): void;
  close(): void;
  isOpen?: boolean;
  onOpen: (() => void) | null;
  onData: ((data: Uint8Array | ArrayBuffer) => void) | null;
  onClose: ((reason?: string | Error) => void) | null;
}
"#;

#[wasm_bindgen]
extern "C" {
    /// A transport written in JavaScript (Node's `net.Socket`, a test double, ...):
    ///
    /// ```ts
    /// interface BytePipe {
    ///   send(data: Uint8Array): void;   // queue bytes for the peer
    ///   close(): void;                  // close the link; no callback needed
    ///   isOpen?: boolean;               // already open when handed over
    ///   onOpen: (() => void) | null;               // set by the package
    ///   onData: ((data: Uint8Array) => void) | null;
    ///   onClose: ((reason?: string) => void) | null;
    /// }
    /// ```
    #[wasm_bindgen(typescript_type = "BytePipe")]
    pub type JsBytePipe;

    #[wasm_bindgen(method, structural, catch)]
    fn send(this: &JsBytePipe, data: &Uint8Array) -> Result<(), JsValue>;
    #[wasm_bindgen(method, structural, catch)]
    fn close(this: &JsBytePipe) -> Result<(), JsValue>;
    #[wasm_bindgen(method, structural, getter, js_name = isOpen)]
    fn is_open(this: &JsBytePipe) -> JsValue;
    #[wasm_bindgen(method, structural, setter, js_name = onOpen)]
    fn set_on_open(this: &JsBytePipe, f: &JsValue);
    #[wasm_bindgen(method, structural, setter, js_name = onData)]
    fn set_on_data(this: &JsBytePipe, f: &JsValue);
    #[wasm_bindgen(method, structural, setter, js_name = onClose)]
    fn set_on_close(this: &JsBytePipe, f: &JsValue);
}

thread_local! {
    /// A handler that does nothing, left in place of ours when a pipe is dropped. Not
    /// `null`: an emitter-based socket (Node's `ws`) with no `error` listener throws on its
    /// next error, which would take the Node process down.
    static NOOP: JsValue = Closure::<dyn FnMut(JsValue)>::new(|_| {}).into_js_value();
}

/// The failure of a write (reads never fail: a closed link reads as end of stream).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PipeError {
    /// The link is not open.
    Closed,
    /// The transport refused the bytes.
    Send,
}

impl core::fmt::Display for PipeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Closed => "the link is closed",
            Self::Send => "the transport refused the bytes",
        })
    }
}

impl core::error::Error for PipeError {}

impl embedded_io::Error for PipeError {
    fn kind(&self) -> embedded_io::ErrorKind {
        match self {
            Self::Closed => embedded_io::ErrorKind::NotConnected,
            Self::Send => embedded_io::ErrorKind::Other,
        }
    }
}

enum Transport {
    WebSocket(WebSocket),
    Js(JsBytePipe),
}

/// The transport end of a byte pipe, before it is split for the client. Dropping it (or the
/// [`PipeWriter`] it becomes) detaches its handlers and closes the transport.
pub struct Pipe {
    inbound: Rc<RefCell<Inbound>>,
    transport: Transport,
    // Kept alive as long as the handlers are attached.
    _handlers: Vec<Closure<dyn FnMut(JsValue)>>,
}

/// The read half: bytes pushed by the transport's handlers. Reads are cancel-safe (a dropped
/// read loses nothing), as the multiplexing client requires.
pub struct PipeReader {
    inbound: Rc<RefCell<Inbound>>,
}

/// The write half: owns the transport, and closes it when dropped.
pub struct PipeWriter {
    pipe: Pipe,
}

fn handler(f: impl FnMut(JsValue) + 'static) -> Closure<dyn FnMut(JsValue)> {
    Closure::<dyn FnMut(JsValue)>::new(f)
}

/// Copies a received chunk (`ArrayBuffer` or any `Uint8Array`, such as a Node `Buffer`)
/// into the inbound buffer. Anything else closes the link.
fn push_chunk(inbound: &RefCell<Inbound>, data: &JsValue) {
    let bytes = if let Some(array) = data.dyn_ref::<Uint8Array>() {
        array.clone()
    } else if let Some(buffer) = data.dyn_ref::<ArrayBuffer>() {
        Uint8Array::new(buffer)
    } else {
        inbound.borrow_mut().closed(Some(
            "received a text frame; the RouterOS API is binary".into(),
        ));
        return;
    };
    let len = bytes.length() as usize;
    inbound
        .borrow_mut()
        .push_with(len, |dst| bytes.copy_to(dst));
}

impl Pipe {
    /// Attaches to a WebSocket (a browser's, Node 22's global one, or one from the `ws`
    /// package, which is why events are read through `unchecked_into`): sets
    /// `binaryType = "arraybuffer"` and takes over its `on*` handlers.
    pub fn websocket(socket: WebSocket) -> Self {
        let inbound = Rc::new(RefCell::new(Inbound::new()));
        socket.set_binary_type(BinaryType::Arraybuffer);
        let on_open = {
            let inbound = inbound.clone();
            handler(move |_| inbound.borrow_mut().opened())
        };
        let on_message = {
            let inbound = inbound.clone();
            handler(move |event: JsValue| {
                let event: MessageEvent = event.unchecked_into();
                push_chunk(&inbound, &event.data());
            })
        };
        let on_close = {
            let inbound = inbound.clone();
            handler(move |event: JsValue| {
                let event: CloseEvent = event.unchecked_into();
                let reason = event.reason();
                let text = if reason.is_empty() {
                    format!("WebSocket closed with code {}", event.code())
                } else {
                    format!("WebSocket closed with code {}: {reason}", event.code())
                };
                inbound.borrow_mut().closed(Some(text));
            })
        };
        let on_error = {
            let inbound = inbound.clone();
            handler(move |_| {
                inbound.borrow_mut().closed(Some(
                    "WebSocket error (refused, unreachable or dropped)".into(),
                ))
            })
        };
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        socket.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        match socket.ready_state() {
            WebSocket::OPEN => inbound.borrow_mut().opened(),
            WebSocket::CLOSING | WebSocket::CLOSED => inbound
                .borrow_mut()
                .closed(Some("WebSocket was already closed".into())),
            _ => {}
        }
        Self {
            inbound,
            transport: Transport::WebSocket(socket),
            _handlers: vec![on_open, on_message, on_close, on_error],
        }
    }

    /// Attaches to a JavaScript [`JsBytePipe`] and sets its `onOpen`, `onData` and
    /// `onClose`.
    pub fn js(pipe: JsBytePipe) -> Self {
        let inbound = Rc::new(RefCell::new(Inbound::new()));
        let on_open = {
            let inbound = inbound.clone();
            handler(move |_| inbound.borrow_mut().opened())
        };
        let on_data = {
            let inbound = inbound.clone();
            handler(move |data: JsValue| push_chunk(&inbound, &data))
        };
        let on_close = {
            let inbound = inbound.clone();
            handler(move |reason: JsValue| {
                let text = reason.as_string().filter(|r| !r.is_empty()).or_else(|| {
                    reason
                        .dyn_ref::<js_sys::Error>()
                        .map(|e| String::from(e.message()))
                });
                inbound.borrow_mut().closed(text)
            })
        };
        pipe.set_on_open(on_open.as_ref());
        pipe.set_on_data(on_data.as_ref());
        pipe.set_on_close(on_close.as_ref());
        if pipe.is_open().is_truthy() {
            inbound.borrow_mut().opened();
        }
        Self {
            inbound,
            transport: Transport::Js(pipe),
            _handlers: vec![on_open, on_data, on_close],
        }
    }

    /// The receiving state, shared with whoever waits for the open or the close.
    pub fn inbound(&self) -> Rc<RefCell<Inbound>> {
        self.inbound.clone()
    }

    /// Splits into the halves the multiplexing client takes.
    pub fn split(self) -> (PipeReader, PipeWriter) {
        (
            PipeReader {
                inbound: self.inbound.clone(),
            },
            PipeWriter { pipe: self },
        )
    }

    fn send_bytes(&self, bytes: &[u8]) -> Result<(), PipeError> {
        if self.inbound.borrow().link() != Link::Open {
            return Err(PipeError::Closed);
        }
        let Ok(len) = u32::try_from(bytes.len()) else {
            return Err(PipeError::Send);
        };
        let array = Uint8Array::new_with_length(len);
        array.copy_from(bytes);
        let sent = match &self.transport {
            Transport::WebSocket(socket) => {
                if socket.ready_state() != WebSocket::OPEN {
                    return Err(PipeError::Closed);
                }
                socket.send_with_array_buffer_view(&array)
            }
            Transport::Js(pipe) => pipe.send(&array),
        };
        sent.map_err(|_| PipeError::Send)
    }

    fn shut(&mut self) {
        self.inbound
            .borrow_mut()
            .closed(Some("closed by this side".into()));
        NOOP.with(|noop| match &self.transport {
            Transport::WebSocket(socket) => {
                let f: Option<&js_sys::Function> = Some(noop.unchecked_ref());
                socket.set_onopen(f);
                socket.set_onmessage(f);
                socket.set_onclose(f);
                socket.set_onerror(f);
                if matches!(
                    socket.ready_state(),
                    WebSocket::CONNECTING | WebSocket::OPEN
                ) {
                    let _ = socket.close();
                }
            }
            Transport::Js(pipe) => {
                pipe.set_on_open(noop);
                pipe.set_on_data(noop);
                pipe.set_on_close(noop);
                let _ = pipe.close();
            }
        });
    }
}

impl Drop for Pipe {
    fn drop(&mut self) {
        self.shut();
    }
}

impl embedded_io::ErrorType for PipeReader {
    type Error = PipeError;
}

impl embedded_io::ErrorType for PipeWriter {
    type Error = PipeError;
}

impl embedded_io_async::Read for PipeReader {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, PipeError> {
        Ok(std::future::poll_fn(|cx| self.inbound.borrow_mut().poll_read(cx, buf)).await)
    }
}

impl embedded_io_async::Write for PipeWriter {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, PipeError> {
        self.pipe.send_bytes(buf)?;
        Ok(buf.len())
    }

    async fn flush(&mut self) -> Result<(), PipeError> {
        // `send` hands every byte to the transport, which delivers in order.
        Ok(())
    }
}
