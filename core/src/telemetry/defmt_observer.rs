//! An observer that writes every event through `defmt`.

use super::{Event, Observer};

/// Logs every [`Event`] through `defmt`: failures at `warn`, everything else at `debug`.
/// Durations are printed in microseconds.
#[derive(Debug, Clone, Copy, Default)]
pub struct DefmtObserver;

impl Observer for DefmtObserver {
    fn on_event(&self, event: &Event<'_>) {
        match *event {
            Event::ConnectionStart { attempt } => {
                defmt::debug!("connection start attempt={}", attempt)
            }
            Event::ConnectionStop { duration } => {
                defmt::debug!(
                    "connection stop duration_us={}",
                    duration.as_micros() as u64
                )
            }
            Event::ConnectionException { duration, error } => defmt::warn!(
                "connection exception duration_us={} error={}",
                duration.as_micros() as u64,
                error
            ),
            Event::CommandStart { tag, path } => {
                defmt::debug!("command start tag={} path={=str}", tag, path)
            }
            Event::CommandStop {
                tag,
                path,
                duration,
                rows,
            } => defmt::debug!(
                "command stop tag={} path={=str} duration_us={} rows={}",
                tag,
                path,
                duration.as_micros() as u64,
                rows
            ),
            Event::CommandException {
                tag,
                path,
                duration,
                error,
            } => defmt::warn!(
                "command exception tag={} path={=str} duration_us={} error={}",
                tag,
                path,
                duration.as_micros() as u64,
                error
            ),
            Event::StreamStart { tag, path } => {
                defmt::debug!("stream start tag={} path={=str}", tag, path)
            }
            Event::StreamStop {
                tag,
                path,
                duration,
                rows,
                dropped,
                cancelled,
            } => defmt::debug!(
                "stream stop tag={} path={=str} duration_us={} rows={} dropped={} cancelled={}",
                tag,
                path,
                duration.as_micros() as u64,
                rows,
                dropped,
                cancelled
            ),
            Event::PoolCheckout { index, waited } => {
                defmt::debug!(
                    "pool checkout index={} waited_us={}",
                    index,
                    waited.as_micros() as u64
                )
            }
            Event::PoolCheckin { index, reusable } => {
                defmt::debug!("pool checkin index={} reusable={}", index, reusable)
            }
            Event::PoolHealthCheckFailed { index, error } => {
                defmt::warn!("pool health check failed index={} error={}", index, error)
            }
        }
    }
}
