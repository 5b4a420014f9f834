//! Handles: the rows of a command or a stream, one borrowed row at a time.

use core::cell::Ref;

use embedded_io_async::{Read, Write};

use super::{Counts, Front, Link, Mux, SlotId};
use crate::client::Done;
use crate::error::Error;
use crate::proto::{split_attribute, Reply, Value};
use crate::telemetry::Telemetry;
use crate::wire::Sentence;

/// One `!re` row, borrowed from its slot's buffer until dropped (the slot's space is then
/// reused). Holding a row keeps that slot's buffer busy: a stream drops rows that arrive
/// meanwhile, a command pauses reading; drop it before awaiting anything else.
pub struct Row<'r> {
    bytes: Option<Ref<'r, [u8]>>,
    words: usize,
    link: &'r dyn Link,
    slot: usize,
}

impl<'r> Row<'r> {
    pub(crate) fn new(bytes: Ref<'r, [u8]>, words: usize, link: &'r dyn Link, slot: usize) -> Self {
        Self {
            bytes: Some(bytes),
            words,
            link,
            slot,
        }
    }

    /// The row's sentence (`!re`, the attributes, `.tag=`).
    pub fn sentence(&self) -> Sentence<'_> {
        let bytes: &[u8] = self.bytes.as_deref().unwrap_or_default();
        Sentence::from_validated(bytes, self.words)
    }

    /// The row as a [`Reply`], for [`FromReply`](crate::FromReply) and the typed helpers.
    pub fn reply(&self) -> Reply<'_> {
        Reply::row(self.sentence())
    }

    /// The value of attribute `name`; on duplicate keys the last one wins, as for
    /// [`Reply::get`].
    pub fn get(&self, name: &str) -> Option<Value<'_>> {
        crate::proto::last_attribute(self.sentence().words().skip(1), name)
    }

    /// All `=name=value` attributes in order (duplicates included; `=name` alone as an
    /// empty value).
    pub fn attributes(&self) -> impl Iterator<Item = (Value<'_>, Value<'_>)> + '_ {
        self.sentence().words().skip(1).filter_map(split_attribute)
    }
}

impl core::fmt::Debug for Row<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(&self.sentence(), f)
    }
}

impl Drop for Row<'_> {
    fn drop(&mut self) {
        drop(self.bytes.take());
        self.link.release_row(self.slot);
    }
}

/// How a stream ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct StreamEnd {
    /// Rows received (delivered or dropped).
    pub rows: u32,
    /// Rows dropped because the slot's buffer was full.
    pub dropped: u32,
}

/// The shared part of [`Response`] and [`Stream`].
struct Handle<'m, M: Link> {
    mux: &'m M,
    id: SlotId,
    ended: bool,
    counts: Counts,
}

impl<'m, M: Link> Handle<'m, M> {
    fn new(mux: &'m M, id: SlotId) -> Self {
        Self {
            mux,
            id,
            ended: false,
            counts: Counts::default(),
        }
    }
}

impl<M: Link> Drop for Handle<'_, M> {
    fn drop(&mut self) {
        if !self.ended {
            self.mux.abandon(self.id);
        }
    }
}

impl<'m, 'b, R: Read, W: Write, Tm: Telemetry, const N: usize, const S: usize>
    Handle<'m, Mux<'b, R, W, Tm, N, S>>
{
    async fn next(&mut self, done: &mut Done) -> Option<Result<Row<'m>, Error>> {
        if self.ended {
            return None;
        }
        let mux = self.mux;
        match mux.advance(self.id, done).await {
            Ok(Front::Row) => match mux.front_row(self.id.slot) {
                Some(row) => Some(Ok(row)),
                None => Some(Err(Error::Poisoned)),
            },
            Ok(Front::End) => {
                self.ended = true;
                match mux.end(self.id, None) {
                    Ok(counts) => {
                        self.counts = counts;
                        None
                    }
                    Err(e) => Some(Err(e)),
                }
            }
            Err(Error::StaleHandle) => {
                self.ended = true;
                Some(Err(Error::StaleHandle))
            }
            Err(e) => {
                self.ended = true;
                let _ = mux.end(self.id, Some(&e));
                Some(Err(e))
            }
        }
    }

    fn counts(&self) -> Counts {
        if self.ended {
            self.counts
        } else {
            self.mux.counts(self.id)
        }
    }
}

/// The reply to one command started with [`Mux::command`]: its rows, one at a time.
///
/// After the `!done`, [`next`](Self::next) yields the first trap (if any) as
/// `Err(`[`Error::Trap`]`)`, then `None`. Dropping a `Response` before its end cancels the
/// command and frees its slot when the `!done` arrives.
pub struct Response<'m, M: Link> {
    handle: Handle<'m, M>,
    done: Done,
}

impl<'m, M: Link> Response<'m, M> {
    pub(crate) fn new(mux: &'m M, id: SlotId) -> Self {
        Self {
            handle: Handle::new(mux, id),
            done: Done::default(),
        }
    }

    /// The slot and generation this handle holds.
    pub fn id(&self) -> SlotId {
        self.handle.id
    }
}

impl<'m, 'b, R: Read, W: Write, Tm: Telemetry, const N: usize, const S: usize>
    Response<'m, Mux<'b, R, W, Tm, N, S>>
{
    /// The command's tag on the wire.
    pub fn tag(&self) -> u32 {
        super::tag::command_tag(N, self.handle.id.slot, self.handle.id.generation)
    }

    /// The next row, an error, or `None` after the end.
    ///
    /// **Cancel safety**: cancel-safe: a dropped call loses no row.
    pub async fn next(&mut self) -> Option<Result<Row<'_>, Error>> {
        self.handle.next(&mut self.done).await
    }

    /// Rows received so far.
    pub fn rows(&self) -> u32 {
        self.handle.counts().rows
    }

    /// Reads the rest of the reply, skipping rows, and returns its `!done` (with `=ret=`) or
    /// the first error.
    ///
    /// **Cancel safety**: safe to drop; the command is then cancelled.
    pub async fn finish(mut self) -> Result<Done, Error> {
        let mut first = None;
        while let Some(item) = self.next().await {
            if let Err(e) = item {
                first.get_or_insert(e);
            }
        }
        match first {
            Some(e) => Err(e),
            None => Ok(core::mem::take(&mut self.done)),
        }
    }
}

/// A streaming command started with [`Mux::stream`]: rows until it is cancelled or ends by
/// itself (`=duration=`, `=count=`, `=once=`).
///
/// A `!trap` with category 2 ("interrupted") is the normal end of a cancelled stream and not
/// an error. When the slot's buffer is full, the oldest row is dropped and counted
/// ([`dropped`](Self::dropped)). Dropping a `Stream` cancels it.
pub struct Stream<'m, M: Link> {
    handle: Handle<'m, M>,
    done: Done,
}

impl<'m, M: Link> Stream<'m, M> {
    pub(crate) fn new(mux: &'m M, id: SlotId) -> Self {
        Self {
            handle: Handle::new(mux, id),
            done: Done::default(),
        }
    }

    /// The slot and generation this handle holds.
    pub fn id(&self) -> SlotId {
        self.handle.id
    }
}

impl<'m, 'b, R: Read, W: Write, Tm: Telemetry, const N: usize, const S: usize>
    Stream<'m, Mux<'b, R, W, Tm, N, S>>
{
    /// The stream's tag on the wire.
    pub fn tag(&self) -> u32 {
        super::tag::command_tag(N, self.handle.id.slot, self.handle.id.generation)
    }

    /// The next row, an error, or `None` once the stream ended.
    ///
    /// **Cancel safety**: cancel-safe: a dropped call loses no row.
    pub async fn next(&mut self) -> Option<Result<Row<'_>, Error>> {
        self.handle.next(&mut self.done).await
    }

    /// Rows received so far (delivered or dropped).
    pub fn rows(&self) -> u32 {
        self.handle.counts().rows
    }

    /// Rows dropped so far because the slot's buffer was full.
    pub fn dropped(&self) -> u32 {
        self.handle.counts().dropped
    }

    /// Stops the stream: sends `/cancel` for its tag and reads (dropping rows) until the
    /// stream's `!done`. Works whatever the order of the stream's trap, the cancel's `!done`
    /// and the stream's `!done`; a stream that already ended is fine too.
    ///
    /// **Cancel safety**: safe to drop: the stream is then cancelled as on drop.
    pub async fn cancel(mut self) -> Result<StreamEnd, Error> {
        self.handle.mux.cancel_slot(self.handle.id);
        self.finish_inner().await
    }

    /// Reads the stream to its natural end (dropping rows) and returns its counts.
    pub async fn finish(mut self) -> Result<StreamEnd, Error> {
        self.finish_inner().await
    }

    async fn finish_inner(&mut self) -> Result<StreamEnd, Error> {
        let mut first = None;
        while let Some(item) = self.next().await {
            if let Err(e) = item {
                first.get_or_insert(e);
            }
        }
        match first {
            Some(e) => Err(e),
            None => {
                let counts = self.handle.counts();
                Ok(StreamEnd {
                    rows: counts.rows,
                    dropped: counts.dropped,
                })
            }
        }
    }
}
