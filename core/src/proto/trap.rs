//! Trap categories and owned trap details.

use super::message::Message;

/// The `=category=` of a `!trap`. Unknown numbers are kept in [`Other`](Self::Other).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TrapCategory {
    /// 0: missing item or command.
    MissingItem,
    /// 1: argument value failure.
    ArgumentValue,
    /// 2: execution of command interrupted (also how a cancelled stream ends).
    Interrupted,
    /// 3: scripting related failure.
    Scripting,
    /// 4: general failure.
    General,
    /// 5: API related failure.
    Api,
    /// 6: TTY related failure.
    Tty,
    /// 7: value generated with `:return`.
    Return,
    /// A category this crate does not know yet.
    Other(u8),
}

impl TrapCategory {
    /// The category for a numeric code.
    pub const fn from_code(code: u8) -> Self {
        match code {
            0 => Self::MissingItem,
            1 => Self::ArgumentValue,
            2 => Self::Interrupted,
            3 => Self::Scripting,
            4 => Self::General,
            5 => Self::Api,
            6 => Self::Tty,
            7 => Self::Return,
            other => Self::Other(other),
        }
    }

    /// The numeric code.
    pub const fn code(self) -> u8 {
        match self {
            Self::MissingItem => 0,
            Self::ArgumentValue => 1,
            Self::Interrupted => 2,
            Self::Scripting => 3,
            Self::General => 4,
            Self::Api => 5,
            Self::Tty => 6,
            Self::Return => 7,
            Self::Other(code) => code,
        }
    }
}

/// A `!trap` copied out of the receive buffer: category and message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Trap {
    /// The category, if the router sent one.
    pub category: Option<TrapCategory>,
    /// The message, decoded (UTF-8 or Windows-1252) and bounded.
    pub message: Message,
    /// How many further `!trap`s the same command produced.
    pub more: u16,
}

impl core::fmt::Display for Trap {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.message)?;
        if let Some(category) = self.category {
            write!(f, " (category {})", category.code())?;
        }
        if self.more > 0 {
            write!(f, " (+{} more)", self.more)?;
        }
        Ok(())
    }
}
