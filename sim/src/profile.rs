//! RouterOS version profiles: what changes in the API between the versions clients meet.

/// A RouterOS version whose API behaviour the simulator reproduces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RosVersion {
    /// 6.42: only the MD5 challenge login; `cannot log in`; `yes`/`no`.
    V6_42,
    /// 6.48: plain login; a bare `/login` still answers `=ret=` but the MD5 response is
    /// refused; `yes`/`no`; `=.dead=yes`.
    V6_48,
    /// 7.16: `true`/`false`, `=.dead=true`, no `!empty`.
    V7_16,
    /// 7.18 (the default): as 7.16, and a `print` with no rows answers `!empty`.
    #[default]
    V7_18,
}

impl RosVersion {
    /// Every profile, oldest first.
    pub const ALL: [RosVersion; 4] = [
        RosVersion::V6_42,
        RosVersion::V6_48,
        RosVersion::V7_16,
        RosVersion::V7_18,
    ];

    /// Parses `6.42`, `6.48`, `7.16` or `7.18`.
    pub fn parse(s: &str) -> Option<RosVersion> {
        RosVersion::ALL.into_iter().find(|v| v.name() == s)
    }

    /// The short name used by `--ros`.
    pub fn name(self) -> &'static str {
        match self {
            RosVersion::V6_42 => "6.42",
            RosVersion::V6_48 => "6.48",
            RosVersion::V7_16 => "7.16",
            RosVersion::V7_18 => "7.18",
        }
    }

    /// The full version `/system/resource` reports.
    pub fn full(self) -> &'static str {
        match self {
            RosVersion::V6_42 => "6.42.12",
            RosVersion::V6_48 => "6.48.7",
            RosVersion::V7_16 => "7.16.2",
            RosVersion::V7_18 => "7.18.2",
        }
    }
}

/// How the simulator logs clients in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LoginMode {
    /// Before 6.43: every `/login` without `=response=` gets a challenge.
    Md5Only,
    /// 6.43 and later: `=name= =password=`; a bare `/login` (no name) gets a challenge whose
    /// response is then refused (as routers from 6.45.1 do).
    Plain,
}

/// Everything a version (plus the override flags) decides, resolved once.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Profile {
    pub login: LoginMode,
    pub empty_replies: bool,
    pub v6_bools: bool,
    pub dead_value: &'static str,
    pub bad_login: &'static str,
}

impl Profile {
    /// The profile of `version`, with `--legacy-login` and `--empty` as overrides.
    pub fn new(version: RosVersion, legacy_login: bool, empty: bool) -> Profile {
        let v6 = matches!(version, RosVersion::V6_42 | RosVersion::V6_48);
        let md5 = legacy_login || version == RosVersion::V6_42;
        Profile {
            login: if md5 {
                LoginMode::Md5Only
            } else {
                LoginMode::Plain
            },
            empty_replies: empty || version == RosVersion::V7_18,
            v6_bools: v6,
            dead_value: if v6 { "yes" } else { "true" },
            bad_login: if md5 {
                "cannot log in"
            } else {
                "invalid user name or password (6)"
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles() {
        assert_eq!(RosVersion::parse("6.48"), Some(RosVersion::V6_48));
        assert_eq!(RosVersion::parse("7.1"), None);
        let old = Profile::new(RosVersion::V6_42, false, false);
        assert_eq!(old.login, LoginMode::Md5Only);
        assert_eq!(old.bad_login, "cannot log in");
        assert!(old.v6_bools && !old.empty_replies);
        let new = Profile::new(RosVersion::V7_18, false, false);
        assert_eq!(new.login, LoginMode::Plain);
        assert!(new.empty_replies && !new.v6_bools);
        assert_eq!(new.dead_value, "true");
        let forced = Profile::new(RosVersion::V7_16, true, true);
        assert_eq!(forced.login, LoginMode::Md5Only);
        assert!(forced.empty_replies);
    }
}
