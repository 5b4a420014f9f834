use embedded_io_async::{Read, Write};

use super::Execute;
use super::{flag, number, text, ItemId, Text};
use crate::mux::Mux;
use crate::telemetry::Telemetry;
use crate::{Client, Error, FromReply, Reply};

/// One row of `/ip/firewall/filter/print`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterRule {
    /// `.id`.
    pub id: ItemId,
    /// `chain`, e.g. `input`, `forward`.
    pub chain: Text<32>,
    /// `action`, e.g. `accept`, `drop`.
    pub action: Text<32>,
    /// `protocol`.
    pub protocol: Text<16>,
    /// `src-address`.
    pub src_address: Text<64>,
    /// `dst-address`.
    pub dst_address: Text<64>,
    /// `dst-port`.
    pub dst_port: Text<64>,
    /// `disabled`.
    pub disabled: bool,
    /// `bytes` counted.
    pub bytes: Option<u64>,
    /// `packets` counted.
    pub packets: Option<u64>,
    /// `comment`.
    pub comment: Text<128>,
}

impl FromReply for FilterRule {
    fn from_reply(row: &Reply<'_>) -> Result<Self, Error> {
        Ok(Self {
            id: text(row, ".id")?,
            chain: text(row, "chain")?,
            action: text(row, "action")?,
            protocol: text(row, "protocol")?,
            src_address: text(row, "src-address")?,
            dst_address: text(row, "dst-address")?,
            dst_port: text(row, "dst-port")?,
            disabled: flag(row, "disabled"),
            bytes: number(row, "bytes"),
            packets: number(row, "packets"),
            comment: text(row, "comment")?,
        })
    }
}

pub(crate) async fn list_firewall_rules<E: Execute, const L: usize>(
    e: &mut E,
) -> Result<heapless::Vec<FilterRule, L>, Error> {
    e.collect_rows(&["/ip/firewall/filter/print"]).await
}

impl<T: Read + Write, B: AsRef<[u8]> + AsMut<[u8]>, Tm: Telemetry> Client<T, B, Tm> {
    /// All firewall filter rules (`/ip/firewall/filter/print`), at most `L`.
    pub async fn list_firewall_rules<const L: usize>(
        &mut self,
    ) -> Result<heapless::Vec<FilterRule, L>, Error> {
        list_firewall_rules::<_, L>(self).await
    }
}

impl<R: Read, W: Write, Tm: Telemetry, const N: usize, const S: usize> Mux<'_, R, W, Tm, N, S> {
    /// All firewall filter rules (`/ip/firewall/filter/print`), at most `L`.
    pub async fn list_firewall_rules<const L: usize>(
        &self,
    ) -> Result<heapless::Vec<FilterRule, L>, Error> {
        list_firewall_rules::<_, L>(&mut &*self).await
    }
}
