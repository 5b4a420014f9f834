//! The two halves of the transport, each with its buffer.

use embedded_io::Error as _;
use embedded_io_async::Write;

use super::*;
use crate::error::Error;
use crate::request::Request;
use crate::wire::SentenceEncoder;

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
        self.io.flush().await.map_err(|e| Error::Io(e.kind()))
    }

    /// Encodes `request` with `.tag=tag` as the pending sentence; returns its path.
    pub(super) fn encode<Q: Request + ?Sized>(
        &mut self,
        request: &Q,
        tag: u32,
    ) -> Result<Path, Error> {
        let mut encoder = SentenceEncoder::new(self.buf);
        request.encode(&mut encoder)?;
        encoder.api_attribute("tag", TagText::new(tag).as_bytes())?;
        let len = encoder.finish()?.len();
        let path = path_from(leading_words(&self.buf[..len]).next().unwrap_or_default());
        self.pos = 0;
        self.end = len;
        Ok(path)
    }
}
