use embedded_io_async::{Read, Write};

use super::{flag, text, text_from, ItemId, Text};
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

impl<T: Read + Write, B: AsRef<[u8]> + AsMut<[u8]>, Tm: Telemetry> Client<T, B, Tm> {
    /// All IP addresses (`/ip/address/print`), at most `N`.
    pub async fn list_ip_addresses<const N: usize>(
        &mut self,
    ) -> Result<heapless::Vec<IpAddress, N>, Error> {
        self.collect(&["/ip/address/print"]).await
    }

    /// Adds `address` (with prefix, e.g. `10.0.0.1/24`) on `interface`; returns the new id.
    pub async fn add_ip_address(
        &mut self,
        address: &str,
        interface: &str,
    ) -> Result<ItemId, Error> {
        let command = Command::<2>::new("/ip/address/add")
            .attr("address", address)
            .attr("interface", interface);
        let done = self.run(&command).await?;
        let ret = done.ret().ok_or(Error::Protocol(
            crate::proto::ProtocolError::UnexpectedReply,
        ))?;
        text_from(ret).map_err(|_| Error::BufferTooSmall(Buffer::Field))
    }

    /// Removes the address with id `id` (e.g. `*3`).
    pub async fn remove_ip_address(&mut self, id: &str) -> Result<(), Error> {
        let command = Command::<1>::new("/ip/address/remove").attr(".id", id);
        self.run(&command).await.map(|_| ())
    }
}
