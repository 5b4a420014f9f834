//! An observer that writes every event to the `log` facade.

use super::{Event, Observer};

/// Logs every [`Event`] through `log` (target `routeros_core::telemetry`): failures at `warn`,
/// everything else at `debug`. Durations are printed in microseconds.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogObserver;

impl Observer for LogObserver {
    fn on_event(&self, event: &Event<'_>) {
        const TARGET: &str = "routeros_core::telemetry";
        match *event {
            Event::ConnectionStart { attempt } => {
                log::debug!(target: TARGET, "connection start attempt={attempt}")
            }
            Event::ConnectionStop { duration } => {
                log::debug!(target: TARGET, "connection stop duration_us={}", duration.as_micros())
            }
            Event::ConnectionException { duration, error } => log::warn!(
                target: TARGET,
                "connection exception duration_us={} error={error}",
                duration.as_micros()
            ),
            Event::CommandStart { tag, path } => {
                log::debug!(target: TARGET, "command start tag={tag} path={path}")
            }
            Event::CommandStop {
                tag,
                path,
                duration,
                rows,
            } => log::debug!(
                target: TARGET,
                "command stop tag={tag} path={path} duration_us={} rows={rows}",
                duration.as_micros()
            ),
            Event::CommandException {
                tag,
                path,
                duration,
                error,
            } => log::warn!(
                target: TARGET,
                "command exception tag={tag} path={path} duration_us={} error={error}",
                duration.as_micros()
            ),
            Event::StreamStart { tag, path } => {
                log::debug!(target: TARGET, "stream start tag={tag} path={path}")
            }
            Event::StreamStop {
                tag,
                path,
                duration,
                rows,
                dropped,
                cancelled,
            } => log::debug!(
                target: TARGET,
                "stream stop tag={tag} path={path} duration_us={} rows={rows} dropped={dropped} cancelled={cancelled}",
                duration.as_micros()
            ),
            Event::PoolCheckout { index, waited } => log::debug!(
                target: TARGET,
                "pool checkout index={index} waited_us={}",
                waited.as_micros()
            ),
            Event::PoolCheckin { index, reusable } => {
                log::debug!(target: TARGET, "pool checkin index={index} reusable={reusable}")
            }
            Event::PoolHealthCheckFailed { index, error } => log::warn!(
                target: TARGET,
                "pool health check failed index={index} error={error}"
            ),
        }
    }
}
