//! The one writer of each connection, and its queue bounded in bytes.

use std::ops::Range;
use std::sync::Arc;

use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, Semaphore};

/// Output is written in pieces of about this size.
pub(crate) const CHUNK: usize = 64 * 1024;

/// The sending side of a connection's writer queue, bounded in bytes: a sender waits while
/// the queue holds `max_queued_bytes`, so a client that does not read stops the commands that
/// produce for it instead of growing the simulator's memory.
#[derive(Clone)]
pub(crate) struct OutTx {
    tx: mpsc::Sender<(Out, u32)>,
    budget: Arc<Semaphore>,
    cap: u32,
}

/// The writer's side of [`OutTx`].
pub(crate) struct OutRx {
    rx: mpsc::Receiver<(Out, u32)>,
    budget: Arc<Semaphore>,
}

/// A queue of at most `cap` bytes.
pub(crate) fn out_queue(cap: usize) -> (OutTx, OutRx) {
    let cap = u32::try_from(cap.max(1))
        .unwrap_or(u32::MAX)
        .min(Semaphore::MAX_PERMITS as u32);
    let budget = Arc::new(Semaphore::new(cap as usize));
    let (tx, rx) = mpsc::channel(256);
    (
        OutTx {
            tx,
            budget: budget.clone(),
            cap,
        },
        OutRx { rx, budget },
    )
}

impl OutTx {
    /// Queues `out` once its bytes fit in the budget. `Err` once the writer is gone.
    pub async fn send(&self, out: Out) -> Result<(), ()> {
        let len = match &out {
            Out::Data(d) => d.len(),
            Out::Slice(_, r) => r.len(),
            Out::Close => 0,
        };
        let n = u32::try_from(len).unwrap_or(u32::MAX).min(self.cap);
        if n > 0 {
            self.budget.acquire_many(n).await.map_err(|_| ())?.forget();
        }
        self.tx.send((out, n)).await.map_err(|_| ())
    }
}

/// What the connection writer is asked to do.
pub(crate) enum Out {
    /// Whole sentences (or, only just before `Close`, part of one).
    Data(Vec<u8>),
    /// A range of a shared, pre-encoded buffer.
    Slice(Arc<Vec<u8>>, Range<usize>),
    /// Write what is queued, then close the socket.
    Close,
}

async fn write_bytes<W: AsyncWrite + Unpin>(
    w: &mut W,
    data: &[u8],
    fragment: Option<usize>,
) -> std::io::Result<()> {
    match fragment {
        Some(n) => {
            for piece in data.chunks(n.max(1)) {
                w.write_all(piece).await?;
                w.flush().await?;
                tokio::task::yield_now().await;
            }
            Ok(())
        }
        None => {
            w.write_all(data).await?;
            w.flush().await
        }
    }
}

/// The one task that writes to a connection. It coalesces queued sentences into large writes.
pub(crate) async fn writer<W: AsyncWrite + Unpin>(
    mut w: W,
    mut rx: OutRx,
    fragment: Option<usize>,
) {
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK);
    'outer: while let Some(first) = rx.rx.recv().await {
        let mut next = Some(first);
        let mut close = false;
        let mut taken = 0usize;
        while let Some((msg, n)) = next.take() {
            // Bytes moved out of the queue go back to the budget (the writer's own buffer is
            // bounded by CHUNK).
            taken += n as usize;
            match msg {
                Out::Data(d) => {
                    if buf.is_empty() && d.len() >= CHUNK {
                        if write_bytes(&mut w, &d, fragment).await.is_err() {
                            break 'outer;
                        }
                    } else {
                        buf.extend_from_slice(&d);
                    }
                }
                Out::Slice(bytes, range) => {
                    if !buf.is_empty() {
                        if write_bytes(&mut w, &buf, fragment).await.is_err() {
                            break 'outer;
                        }
                        buf.clear();
                    }
                    if write_bytes(&mut w, &bytes[range], fragment).await.is_err() {
                        break 'outer;
                    }
                }
                Out::Close => {
                    close = true;
                    break;
                }
            }
            if buf.len() < CHUNK {
                next = rx.rx.try_recv().ok();
            }
        }
        rx.budget.add_permits(taken);
        if !buf.is_empty() {
            if write_bytes(&mut w, &buf, fragment).await.is_err() {
                break;
            }
            buf.clear();
        }
        if close {
            break;
        }
    }
    // Senders waiting for room learn that nobody will write any more.
    rx.budget.close();
    let _ = w.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::Reply;
    use std::sync::Mutex;

    /// Records the size of every write.
    struct Recorder(Arc<Mutex<Vec<Vec<u8>>>>);

    impl AsyncWrite for Recorder {
        fn poll_write(
            self: std::pin::Pin<&mut Self>,
            _cx: &mut std::task::Context<'_>,
            buf: &[u8],
        ) -> std::task::Poll<std::io::Result<usize>> {
            self.0.lock().unwrap().push(buf.to_vec());
            std::task::Poll::Ready(Ok(buf.len()))
        }
        fn poll_flush(
            self: std::pin::Pin<&mut Self>,
            _cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }
        fn poll_shutdown(
            self: std::pin::Pin<&mut Self>,
            _cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }
    }

    fn written(fragment: Option<usize>, msgs: Vec<Out>) -> Vec<Vec<u8>> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = out_queue(1 << 20);
        rt.block_on(async {
            for m in msgs {
                tx.send(m).await.unwrap();
            }
            drop(tx);
            writer(Recorder(log.clone()), rx, fragment).await;
        });
        let out = log.lock().unwrap().clone();
        out
    }

    #[test]
    fn writer_coalesces_sentences() {
        let a = Reply::default().done();
        let msgs = (0..10).map(|_| Out::Data(a.clone())).collect();
        let writes = written(None, msgs);
        assert_eq!(writes.len(), 1, "ten queued sentences go out in one write");
        assert_eq!(writes[0], a.repeat(10));
    }

    #[test]
    fn writer_fragments() {
        let a = Reply::new(Some(b"7".to_vec())).trap(Some(2), "interrupted");
        let shared = Arc::new(a.clone());
        let writes = written(
            Some(3),
            vec![
                Out::Data(a.clone()),
                Out::Slice(shared, 0..a.len()),
                Out::Close,
                Out::Data(a.clone()),
            ],
        );
        assert!(writes.iter().all(|w| !w.is_empty() && w.len() <= 3));
        assert_eq!(writes.concat(), a.repeat(2), "nothing after Close");
    }

    #[test]
    fn a_full_queue_makes_the_sender_wait() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        rt.block_on(async {
            let (tx, mut rx) = out_queue(10);
            tx.send(Out::Data(vec![0; 8])).await.unwrap();
            // 8 + 8 > 10: the second waits until the writer takes the first out.
            let second = tx.send(Out::Data(vec![0; 8]));
            tokio::pin!(second);
            let waited =
                tokio::time::timeout(std::time::Duration::from_millis(50), &mut second).await;
            assert!(waited.is_err(), "queued past the budget");
            let (_, n) = rx.rx.recv().await.unwrap();
            rx.budget.add_permits(n as usize);
            second.await.unwrap();
            // One message over the whole budget still goes (it takes all of it).
            let (_, n) = rx.rx.recv().await.unwrap();
            rx.budget.add_permits(n as usize);
            tx.send(Out::Data(vec![0; 100])).await.unwrap();
            // A closed budget (writer gone) fails the sender instead of hanging it.
            rx.budget.close();
            assert!(tx.send(Out::Data(vec![0; 1])).await.is_err());
        });
    }
}
