use embedded_io_async::{Read, Write};

use super::Execute;
use super::{flag, text, ItemId, Text};
use crate::mux::Mux;
use crate::telemetry::Telemetry;
use crate::{Client, Error, FromReply, Reply};

/// One row of `/ip/dhcp-server/lease/print`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DhcpLease {
    /// `.id`.
    pub id: ItemId,
    /// `address`.
    pub address: Text<48>,
    /// `mac-address`.
    pub mac_address: Text<24>,
    /// `host-name`.
    pub host_name: Text<64>,
    /// `server`.
    pub server: Text<64>,
    /// `status`, e.g. `bound`, `waiting`.
    pub status: Text<24>,
    /// `dynamic`.
    pub dynamic: bool,
    /// `disabled`.
    pub disabled: bool,
    /// `expires-after`, as RouterOS writes durations.
    pub expires_after: Text<32>,
    /// `comment`.
    pub comment: Text<128>,
}

impl FromReply for DhcpLease {
    fn from_reply(row: &Reply<'_>) -> Result<Self, Error> {
        Ok(Self {
            id: text(row, ".id")?,
            address: text(row, "address")?,
            mac_address: text(row, "mac-address")?,
            host_name: text(row, "host-name")?,
            server: text(row, "server")?,
            status: text(row, "status")?,
            dynamic: flag(row, "dynamic"),
            disabled: flag(row, "disabled"),
            expires_after: text(row, "expires-after")?,
            comment: text(row, "comment")?,
        })
    }
}

pub(crate) async fn list_dhcp_leases<E: Execute, const L: usize>(
    e: &mut E,
) -> Result<heapless::Vec<DhcpLease, L>, Error> {
    e.collect_rows(&["/ip/dhcp-server/lease/print"]).await
}

impl<T: Read + Write, B: AsRef<[u8]> + AsMut<[u8]>, Tm: Telemetry> Client<T, B, Tm> {
    /// All DHCP server leases (`/ip/dhcp-server/lease/print`), at most `L`.
    pub async fn list_dhcp_leases<const L: usize>(
        &mut self,
    ) -> Result<heapless::Vec<DhcpLease, L>, Error> {
        list_dhcp_leases::<_, L>(self).await
    }
}

impl<R: Read, W: Write, Tm: Telemetry, const N: usize, const S: usize> Mux<'_, R, W, Tm, N, S> {
    /// All DHCP server leases (`/ip/dhcp-server/lease/print`), at most `L`.
    pub async fn list_dhcp_leases<const L: usize>(
        &self,
    ) -> Result<heapless::Vec<DhcpLease, L>, Error> {
        list_dhcp_leases::<_, L>(&mut &*self).await
    }
}
