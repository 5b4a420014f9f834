use embedded_io_async::{Read, Write};

use super::Execute;
use super::{flag, number, text, ItemId, Text};
use crate::mux::Mux;
use crate::telemetry::Telemetry;
use crate::{Client, Command, Error, FromReply, Reply};

/// One row of `/interface/print`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    /// `.id`, e.g. `*1`.
    pub id: ItemId,
    /// `name`, e.g. `ether1`.
    pub name: Text<64>,
    /// `type`, e.g. `ether`, `bridge`, `wlan`.
    pub kind: Text<32>,
    /// `mtu`, when it is a number (it can be `auto`).
    pub mtu: Option<u32>,
    /// `actual-mtu`.
    pub actual_mtu: Option<u32>,
    /// `mac-address`.
    pub mac_address: Text<24>,
    /// `running`.
    pub running: bool,
    /// `disabled`.
    pub disabled: bool,
    /// `comment`.
    pub comment: Text<128>,
}

impl FromReply for Interface {
    fn from_reply(row: &Reply<'_>) -> Result<Self, Error> {
        Ok(Self {
            id: text(row, ".id")?,
            name: text(row, "name")?,
            kind: text(row, "type")?,
            mtu: number(row, "mtu"),
            actual_mtu: number(row, "actual-mtu"),
            mac_address: text(row, "mac-address")?,
            running: flag(row, "running"),
            disabled: flag(row, "disabled"),
            comment: text(row, "comment")?,
        })
    }
}

pub(crate) async fn list_interfaces<E: Execute, const L: usize>(
    e: &mut E,
) -> Result<heapless::Vec<Interface, L>, Error> {
    e.collect_rows(&["/interface/print"]).await
}

pub(crate) async fn get_interface<E: Execute>(e: &mut E, name: &str) -> Result<Interface, Error> {
    let command = Command::<1>::new("/interface/print").query("name", name);
    let found: heapless::Vec<Interface, 1> = e.collect_rows(&command).await?;
    found.into_iter().next().ok_or(Error::NotFound)
}

impl<T: Read + Write, B: AsRef<[u8]> + AsMut<[u8]>, Tm: Telemetry> Client<T, B, Tm> {
    /// All interfaces (`/interface/print`), at most `L`.
    pub async fn list_interfaces<const L: usize>(
        &mut self,
    ) -> Result<heapless::Vec<Interface, L>, Error> {
        list_interfaces::<_, L>(self).await
    }

    /// The interface called `name`, or [`Error::NotFound`].
    pub async fn get_interface(&mut self, name: &str) -> Result<Interface, Error> {
        get_interface(self, name).await
    }
}

impl<R: Read, W: Write, Tm: Telemetry, const N: usize, const S: usize> Mux<'_, R, W, Tm, N, S> {
    /// All interfaces (`/interface/print`), at most `L`.
    pub async fn list_interfaces<const L: usize>(
        &self,
    ) -> Result<heapless::Vec<Interface, L>, Error> {
        list_interfaces::<_, L>(&mut &*self).await
    }

    /// The interface called `name`, or [`Error::NotFound`].
    pub async fn get_interface(&self, name: &str) -> Result<Interface, Error> {
        get_interface(&mut &*self, name).await
    }
}
