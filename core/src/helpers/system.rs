use embedded_io_async::{Read, Write};

use super::Execute;
use super::{number, text, Text};
use crate::mux::Mux;
use crate::telemetry::Telemetry;
use crate::{Client, Command, Error, FromReply, Reply};

/// The row of `/system/resource/print`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemResource {
    /// `uptime` as RouterOS writes it, e.g. `1w2d3h4m5s`.
    pub uptime: Text<32>,
    /// `version`, e.g. `7.16 (stable)`.
    pub version: Text<48>,
    /// `board-name`.
    pub board_name: Text<64>,
    /// `architecture-name`.
    pub architecture: Text<32>,
    /// `cpu`.
    pub cpu: Text<64>,
    /// `cpu-count`.
    pub cpu_count: Option<u16>,
    /// `cpu-load` in percent.
    pub cpu_load: Option<u8>,
    /// `free-memory` in bytes.
    pub free_memory: Option<u64>,
    /// `total-memory` in bytes.
    pub total_memory: Option<u64>,
    /// `free-hdd-space` in bytes.
    pub free_hdd_space: Option<u64>,
    /// `total-hdd-space` in bytes.
    pub total_hdd_space: Option<u64>,
}

impl FromReply for SystemResource {
    fn from_reply(row: &Reply<'_>) -> Result<Self, Error> {
        Ok(Self {
            uptime: text(row, "uptime")?,
            version: text(row, "version")?,
            board_name: text(row, "board-name")?,
            architecture: text(row, "architecture-name")?,
            cpu: text(row, "cpu")?,
            cpu_count: number(row, "cpu-count"),
            cpu_load: number(row, "cpu-load"),
            free_memory: number(row, "free-memory"),
            total_memory: number(row, "total-memory"),
            free_hdd_space: number(row, "free-hdd-space"),
            total_hdd_space: number(row, "total-hdd-space"),
        })
    }
}

/// The identity row, read by [`Client::identity`].
struct Identity(Text<64>);

impl FromReply for Identity {
    fn from_reply(row: &Reply<'_>) -> Result<Self, Error> {
        text(row, "name").map(Identity)
    }
}

pub(crate) async fn system_resource<E: Execute>(e: &mut E) -> Result<SystemResource, Error> {
    let rows: heapless::Vec<SystemResource, 1> =
        e.collect_rows(&["/system/resource/print"]).await?;
    rows.into_iter().next().ok_or(Error::NotFound)
}

pub(crate) async fn identity<E: Execute>(e: &mut E) -> Result<Text<64>, Error> {
    let rows: heapless::Vec<Identity, 1> = e.collect_rows(&["/system/identity/print"]).await?;
    rows.into_iter().next().map(|i| i.0).ok_or(Error::NotFound)
}

pub(crate) async fn set_identity<E: Execute>(e: &mut E, name: &str) -> Result<(), Error> {
    let command = Command::<1>::new("/system/identity/set").attr("name", name);
    e.run_command(&command).await.map(|_| ())
}

pub(crate) async fn reboot<E: Execute>(e: &mut E) -> Result<(), Error> {
    match e.run_command(&["/system/reboot"]).await {
        Ok(_) | Err(Error::Closed) => Ok(()),
        Err(Error::Io(
            embedded_io::ErrorKind::ConnectionReset | embedded_io::ErrorKind::ConnectionAborted,
        )) => Ok(()),
        Err(e) => Err(e),
    }
}

impl<T: Read + Write, B: AsRef<[u8]> + AsMut<[u8]>, Tm: Telemetry> Client<T, B, Tm> {
    /// `/system/resource/print`.
    pub async fn system_resource(&mut self) -> Result<SystemResource, Error> {
        system_resource(self).await
    }

    /// The router's name (`/system/identity/print`).
    pub async fn identity(&mut self) -> Result<Text<64>, Error> {
        identity(self).await
    }

    /// Sets the router's name (`/system/identity/set =name=...`).
    pub async fn set_identity(&mut self, name: &str) -> Result<(), Error> {
        set_identity(self, name).await
    }

    /// Reboots the router. The router may close the connection without replying; that
    /// counts as success. The connection cannot be used afterwards.
    pub async fn reboot(&mut self) -> Result<(), Error> {
        reboot(self).await
    }
}

impl<R: Read, W: Write, Tm: Telemetry, const N: usize, const S: usize> Mux<'_, R, W, Tm, N, S> {
    /// `/system/resource/print`.
    pub async fn system_resource(&self) -> Result<SystemResource, Error> {
        system_resource(&mut &*self).await
    }

    /// The router's name (`/system/identity/print`).
    pub async fn identity(&self) -> Result<Text<64>, Error> {
        identity(&mut &*self).await
    }

    /// Sets the router's name (`/system/identity/set =name=...`).
    pub async fn set_identity(&self, name: &str) -> Result<(), Error> {
        set_identity(&mut &*self, name).await
    }

    /// Reboots the router. The router may close the connection without replying; that
    /// counts as success. The connection cannot be used afterwards.
    pub async fn reboot(&self) -> Result<(), Error> {
        reboot(&mut &*self).await
    }
}
