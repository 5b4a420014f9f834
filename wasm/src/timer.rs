//! Timers from the JavaScript host (`setTimeout` / `clearTimeout`, present in browsers and
//! in Node), and a timeout combinator for futures.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &js_sys::Function, ms: f64) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
}

/// The longest delay `setTimeout` takes (about 24.8 days); longer ones fire at once.
const MAX_DELAY_MS: f64 = 2_147_483_647.0;

/// Milliseconds since the epoch, from the host clock.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// A pending `setTimeout`. Dropping it clears the timeout before the callback is freed, so
/// a late timer can never call into freed memory (and a Node process is not kept alive by a
/// timer nobody waits for).
pub struct Timer {
    id: JsValue,
    _callback: Closure<dyn FnMut()>,
}

impl Timer {
    /// Calls `f` once after `ms` milliseconds.
    pub fn new(ms: f64, f: impl FnMut() + 'static) -> Self {
        Self::start(ms, f, false)
    }

    /// Like [`new`](Self::new), for a timer that should not keep a Node process running by
    /// itself (Node's `Timeout.unref()`; browsers have nothing to unref).
    pub fn idle(ms: f64, f: impl FnMut() + 'static) -> Self {
        Self::start(ms, f, true)
    }

    fn start(ms: f64, f: impl FnMut() + 'static, idle: bool) -> Self {
        let callback = Closure::<dyn FnMut()>::new(f);
        let id = set_timeout(
            callback.as_ref().unchecked_ref(),
            ms.clamp(0.0, MAX_DELAY_MS),
        );
        if idle {
            let unref = js_sys::Reflect::get(&id, &JsValue::from_str("unref"))
                .ok()
                .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
            if let Some(unref) = unref {
                let _ = unref.call0(&id);
            }
        }
        Self {
            id,
            _callback: callback,
        }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        clear_timeout(&self.id);
    }
}

/// A future that completes after a delay.
pub struct Sleep {
    fired: Rc<Cell<bool>>,
    waker: Rc<RefCell<Option<Waker>>>,
    _timer: Timer,
}

/// Sleeps `ms` milliseconds.
pub fn sleep(ms: f64) -> Sleep {
    sleep_with(ms, false)
}

/// Sleeps `ms` milliseconds on a timer that does not keep a Node process running.
pub fn sleep_idle(ms: f64) -> Sleep {
    sleep_with(ms, true)
}

fn sleep_with(ms: f64, idle: bool) -> Sleep {
    let fired = Rc::new(Cell::new(false));
    let waker: Rc<RefCell<Option<Waker>>> = Rc::default();
    let timer = {
        let fired = fired.clone();
        let waker = waker.clone();
        let wake = move || {
            fired.set(true);
            if let Some(w) = waker.borrow_mut().take() {
                w.wake();
            }
        };
        if idle {
            Timer::idle(ms, wake)
        } else {
            Timer::new(ms, wake)
        }
    };
    Sleep {
        fired,
        waker,
        _timer: timer,
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.fired.get() {
            Poll::Ready(())
        } else {
            *self.waker.borrow_mut() = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}

/// The deadline passed before the future completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed;

/// Runs `fut`, giving up after `ms` milliseconds (`None`: no limit). On timeout the future
/// is dropped, which the core client's futures tolerate (see their cancel-safety notes).
pub async fn with_timeout<F: Future>(ms: Option<f64>, fut: F) -> Result<F::Output, Elapsed> {
    with_timeout_on(ms, fut, false).await
}

/// Like [`with_timeout`], on a timer that does not keep a Node process running.
pub async fn with_timeout_idle<F: Future>(ms: Option<f64>, fut: F) -> Result<F::Output, Elapsed> {
    with_timeout_on(ms, fut, true).await
}

async fn with_timeout_on<F: Future>(
    ms: Option<f64>,
    fut: F,
    idle: bool,
) -> Result<F::Output, Elapsed> {
    let Some(ms) = ms else {
        return Ok(fut.await);
    };
    if ms <= 0.0 {
        return Err(Elapsed);
    }
    let mut fut = pin!(fut);
    let mut timer = pin!(sleep_with(ms, idle));
    std::future::poll_fn(|cx| {
        if let Poll::Ready(out) = fut.as_mut().poll(cx) {
            return Poll::Ready(Ok(out));
        }
        timer.as_mut().poll(cx).map(|()| Err(Elapsed))
    })
    .await
}

/// Time left until `deadline` (ms since the epoch); `None` for no deadline.
pub fn remaining(deadline: Option<f64>) -> Option<f64> {
    deadline.map(|d| d - now_ms())
}
