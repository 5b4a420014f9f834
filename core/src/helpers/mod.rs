//! Typed helpers for common menus, as methods on [`Client`] and on [`Mux`] (and so on
//! pooled connections of either).
//!
//! Each helper returns owned values with fixed-capacity fields, so results outlive the
//! receive buffer. Text fields keep the router's text decoded as UTF-8 or else
//! Windows-1252; a value longer than its field's capacity gives
//! [`Error::BufferTooSmall`]`(`[`Buffer::Field`]`)` rather than
//! being cut. Lists take their capacity from the caller (`list_interfaces::<16>()`); more
//! rows than that give `BufferTooSmall(Rows)` after the reply was read to its end.
//!
//! | helper | command |
//! |---|---|
//! | [`list_interfaces`](crate::Client::list_interfaces), [`get_interface`](crate::Client::get_interface) | `/interface/print` |
//! | [`list_ip_addresses`](crate::Client::list_ip_addresses), [`add_ip_address`](crate::Client::add_ip_address), [`remove_ip_address`](crate::Client::remove_ip_address) | `/ip/address/...` |
//! | [`system_resource`](crate::Client::system_resource) | `/system/resource/print` |
//! | [`identity`](crate::Client::identity), [`set_identity`](crate::Client::set_identity) | `/system/identity/...` |
//! | [`list_firewall_rules`](crate::Client::list_firewall_rules) | `/ip/firewall/filter/print` |
//! | [`list_dhcp_leases`](crate::Client::list_dhcp_leases) | `/ip/dhcp-server/lease/print` |
//! | [`reboot`](crate::Client::reboot) | `/system/reboot` |

mod dhcp;
mod firewall;
mod interface;
mod ip_address;
mod system;

pub use dhcp::DhcpLease;
pub use firewall::FilterRule;
pub use interface::Interface;
pub use ip_address::IpAddress;
pub use system::SystemResource;

use embedded_io_async::{Read, Write};

use crate::client::{Done, FromReply};
use crate::error::{Buffer, Error};
use crate::mux::Mux;
use crate::proto::{Reply, Value};
use crate::request::Request;
use crate::telemetry::Telemetry;
use crate::Client;

/// What the helpers need from a connection: run a command to its end, or collect its rows.
pub(crate) trait Execute {
    async fn run_command<R: Request + ?Sized>(&mut self, request: &R) -> Result<Done, Error>;

    async fn collect_rows<T: FromReply, const N: usize, R: Request + ?Sized>(
        &mut self,
        request: &R,
    ) -> Result<heapless::Vec<T, N>, Error>;
}

impl<T: Read + Write, B: AsRef<[u8]> + AsMut<[u8]>, Tm: Telemetry> Execute for Client<T, B, Tm> {
    async fn run_command<R: Request + ?Sized>(&mut self, request: &R) -> Result<Done, Error> {
        self.run(request).await
    }

    async fn collect_rows<U: FromReply, const N: usize, R: Request + ?Sized>(
        &mut self,
        request: &R,
    ) -> Result<heapless::Vec<U, N>, Error> {
        self.collect(request).await
    }
}

impl<R: Read, W: Write, Tm: Telemetry, const N: usize, const S: usize> Execute
    for &Mux<'_, R, W, Tm, N, S>
{
    async fn run_command<Q: Request + ?Sized>(&mut self, request: &Q) -> Result<Done, Error> {
        self.run(request).await
    }

    async fn collect_rows<U: FromReply, const M: usize, Q: Request + ?Sized>(
        &mut self,
        request: &Q,
    ) -> Result<heapless::Vec<U, M>, Error> {
        self.collect(request).await
    }
}

/// Text of up to `N` bytes copied from a reply.
pub type Text<const N: usize> = heapless::String<N>;

/// A RouterOS item id such as `*1A`.
pub type ItemId = Text<16>;

/// Copies a value into a bounded string (UTF-8, else Windows-1252).
pub fn text_from<const N: usize>(value: Value<'_>) -> Result<Text<N>, Error> {
    let mut out = Text::new();
    for c in value.chars() {
        out.push(c)
            .map_err(|_| Error::BufferTooSmall(Buffer::Field))?;
    }
    Ok(out)
}

/// The text of attribute `name`, empty when absent.
pub(crate) fn text<const N: usize>(row: &Reply<'_>, name: &str) -> Result<Text<N>, Error> {
    text_from(row.get(name).unwrap_or_default())
}

/// The boolean attribute `name`; absent or unreadable counts as `false`, as RouterOS omits
/// many flags when they are off.
pub(crate) fn flag(row: &Reply<'_>, name: &str) -> bool {
    row.get(name).and_then(|v| v.to_bool()).unwrap_or(false)
}

/// The numeric attribute `name`, if present and a number.
pub(crate) fn number<N: core::str::FromStr>(row: &Reply<'_>, name: &str) -> Option<N> {
    row.get(name)?.parse()
}
