use embedded_io_async::{Read, Write};

use super::Execute;
use super::{flag, text, text_from, ItemId, Text};
use crate::mux::Mux;
use crate::telemetry::Telemetry;
use crate::{Buffer, Client, Command, Error, FromReply, Reply};

/// One row of `/ip/address/print`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpAddress {
    /// `.id`.
    pub id: ItemId,
    /// `address` with prefix length, e.g. `192.168.88.1/24`.
    pub address: Text<64>,
    /// `network`.
    pub network: Text<48>,
    /// `interface`.
    pub interface: Text<64>,
    /// `disabled`.
    pub disabled: bool,
    /// `dynamic`.
    pub dynamic: bool,
    /// `comment`.
    pub comment: Text<128>,
}

impl FromReply for IpAddress {
    fn from_reply(row: &Reply<'_>) -> Result<Self, Error> {
        Ok(Self {
            id: text(row, ".id")?,
            address: text(row, "address")?,
            network: text(row, "network")?,
            interface: text(row, "interface")?,
            disabled: flag(row, "disabled"),
            dynamic: flag(row, "dynamic"),
            comment: text(row, "comment")?,
        })
    }
}

pub(crate) async fn list_ip_addresses<E: Execute, const L: usize>(
    e: &mut E,
) -> Result<heapless::Vec<IpAddress, L>, Error> {
    e.collect_rows(&["/ip/address/print"]).await
}

pub(crate) async fn add_ip_address<E: Execute>(
    e: &mut E,
    address: &str,
    interface: &str,
) -> Result<ItemId, Error> {
    let command = Command::<2>::new("/ip/address/add")
        .attr("address", address)
        .attr("interface", interface);
    let done = e.run_command(&command).await?;
    let ret = done.ret().ok_or(Error::Protocol(
        crate::proto::ProtocolError::UnexpectedReply,
    ))?;
    text_from(ret).map_err(|_| Error::BufferTooSmall(Buffer::Field))
}

pub(crate) async fn remove_ip_address<E: Execute>(e: &mut E, id: &str) -> Result<(), Error> {
    let command = Command::<1>::new("/ip/address/remove").attr(".id", id);
    e.run_command(&command).await.map(|_| ())
}

impl<T: Read + Write, B: AsRef<[u8]> + AsMut<[u8]>, Tm: Telemetry> Client<T, B, Tm> {
    /// All IP addresses (`/ip/address/print`), at most `L`.
    pub async fn list_ip_addresses<const L: usize>(
        &mut self,
    ) -> Result<heapless::Vec<IpAddress, L>, Error> {
        list_ip_addresses::<_, L>(self).await
    }

    /// Adds `address` (with prefix, e.g. `10.0.0.1/24`) on `interface`; returns the new id.
    pub async fn add_ip_address(
        &mut self,
        address: &str,
        interface: &str,
    ) -> Result<ItemId, Error> {
        add_ip_address(self, address, interface).await
    }

    /// Removes the address with id `id` (e.g. `*3`).
    pub async fn remove_ip_address(&mut self, id: &str) -> Result<(), Error> {
        remove_ip_address(self, id).await
    }
}

impl<R: Read, W: Write, Tm: Telemetry, const N: usize, const S: usize> Mux<'_, R, W, Tm, N, S> {
    /// All IP addresses (`/ip/address/print`), at most `L`.
    pub async fn list_ip_addresses<const L: usize>(
        &self,
    ) -> Result<heapless::Vec<IpAddress, L>, Error> {
        list_ip_addresses::<_, L>(&mut &*self).await
    }

    /// Adds `address` (with prefix, e.g. `10.0.0.1/24`) on `interface`; returns the new id.
    pub async fn add_ip_address(&self, address: &str, interface: &str) -> Result<ItemId, Error> {
        add_ip_address(&mut &*self, address, interface).await
    }

    /// Removes the address with id `id` (e.g. `*3`).
    pub async fn remove_ip_address(&self, id: &str) -> Result<(), Error> {
        remove_ip_address(&mut &*self, id).await
    }
}
