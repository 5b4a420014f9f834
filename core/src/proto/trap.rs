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

/// The traps of one command, gathered as its replies arrive; shared by the client and the
/// mux so both report the same error.
///
/// A trap of category 2 ("interrupted") is how a cancelled command ends. It is kept apart
/// from the others: a real failure (any other category) is always the one reported, never
/// hidden behind `interrupted` (RouterOS can answer a cancel with `interrupted` plus, for
/// example, `failure: 301 Moved Permanently`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Traps {
    /// The first trap that is not category 2, with the count of later ones.
    real: Option<Trap>,
    /// The first category-2 trap.
    interrupted: Option<Trap>,
}

impl Traps {
    pub(crate) const fn new() -> Self {
        Self {
            real: None,
            interrupted: None,
        }
    }

    /// Notes one `!trap`.
    pub(crate) fn note(&mut self, category: Option<TrapCategory>, message: Message) {
        if category == Some(TrapCategory::Interrupted) {
            self.interrupted.get_or_insert(Trap {
                category,
                message,
                more: 0,
            });
            return;
        }
        match &mut self.real {
            Some(first) => first.more = first.more.saturating_add(1),
            None => {
                self.real = Some(Trap {
                    category,
                    message,
                    more: 0,
                })
            }
        }
    }

    /// Whether a category-2 trap arrived.
    pub(crate) fn interrupted(&self) -> bool {
        self.interrupted.is_some()
    }

    /// The error the command ends with: its first real trap; otherwise `interrupted` unless
    /// this client cancelled it (`expected_interrupt`), which makes that the normal end.
    pub(crate) fn take_outcome(&mut self, expected_interrupt: bool) -> Option<Trap> {
        let interrupted = self.interrupted.clone();
        self.real.take().or(if expected_interrupt {
            None
        } else {
            interrupted
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::message_str;

    #[test]
    fn a_real_failure_is_never_hidden_behind_interrupted() {
        let mut traps = Traps::new();
        traps.note(Some(TrapCategory::Interrupted), message_str("interrupted"));
        traps.note(None, message_str("failure: 301 Moved Permanently"));
        let trap = traps.clone().take_outcome(true).unwrap();
        assert_eq!(trap.message.as_str(), "failure: 301 Moved Permanently");
        assert_eq!(trap.more, 0);
        assert_eq!(traps.take_outcome(false), Some(trap));
    }

    #[test]
    fn interrupted_alone_is_an_error_only_when_not_cancelled_here() {
        let mut traps = Traps::new();
        traps.note(Some(TrapCategory::Interrupted), message_str("interrupted"));
        assert!(traps.interrupted());
        assert_eq!(traps.clone().take_outcome(true), None);
        let trap = traps.take_outcome(false).unwrap();
        assert_eq!(trap.category, Some(TrapCategory::Interrupted));
    }
}
