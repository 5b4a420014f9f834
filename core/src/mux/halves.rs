//! The two halves of the transport, each with its buffer.

use embedded_io::Error as _;
use embedded_io_async::Write;

use super::*;
use crate::error::Error;
use crate::request::{encode_tagged, Request};

pub(super) struct ReadHalf<'b, R> {
    pub(super) io: R,
    pub(super) decoder: Decoder<&'b mut [u8]>,
    /// A sentence that could not be routed yet (its command's buffer was full).
    pub(super) pending: Option<Frame>,
}

pub(super) struct WriteHalf<'b, W> {
    pub(super) io: W,
    pub(super) buf: &'b mut [u8],
    /// `buf[pos..end]` is the rest of a sentence still to be written.
    pub(super) pos: usize,
    pub(super) end: usize,
    /// `buf` holds a login secret: wiped as soon as its sentence is written.
    pub(super) secret: bool,
}

impl<W: Write> WriteHalf<'_, W> {
    /// Writes whatever is pending; cancel-safe (progress is kept in `pos`).
    pub(super) async fn drain(&mut self) -> Result<(), Error> {
        while self.pos < self.end {
            match self.io.write(&self.buf[self.pos..self.end]).await {
                Ok(0) => return Err(Error::Io(embedded_io::ErrorKind::WriteZero)),
                Ok(n) => self.pos += n.min(self.end - self.pos),
                Err(e) => return Err(Error::Io(e.kind())),
            }
        }
        self.wipe_secret();
        self.io.flush().await.map_err(|e| Error::Io(e.kind()))
    }

    /// Zeroes the buffer if it holds a login secret whose sentence is out (or never will
    /// be: after a failure, or when the halves are given back).
    pub(super) fn wipe_secret(&mut self) {
        if self.secret {
            crate::wipe::wipe(self.buf);
            self.secret = false;
        }
    }

    /// Encodes `request` with `.tag=tag` as the pending sentence; returns its path.
    /// `secret`: the request carries a password or login response, wiped once written.
    pub(super) fn encode<Q: Request + ?Sized>(
        &mut self,
        request: &Q,
        tag: u32,
        secret: bool,
    ) -> Result<Path, Error> {
        self.secret |= secret;
        let len = match encode_tagged(request, tag, self.buf) {
            Ok(len) => len,
            Err(e) => {
                self.wipe_secret();
                return Err(e.into());
            }
        };
        let path = path_from(leading_words(&self.buf[..len]).next().unwrap_or_default());
        self.pos = 0;
        self.end = len;
        Ok(path)
    }
}
