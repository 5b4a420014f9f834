//! Which error a login, a connection or a call ends with: the classification of what the
//! core and the transport report, so that the error's type says what happened.

use std::cell::RefCell;

use routeros_core::Error;

use crate::error::{ErrorType, Failure};
use crate::inbound::Inbound;

/// The error calls made after the connection ended get: the one that ended it, except that
/// a time limit that ran out (which says nothing about the later call) becomes `closed` with
/// the timeout as its cause.
pub(crate) fn for_later_calls(failure: &Failure) -> Failure {
    if failure.kind == ErrorType::Timeout {
        Failure::new(
            ErrorType::Closed,
            format!("connection closed: {}", failure.message),
        )
        .with_cause(failure.clone())
    } else {
        failure.clone()
    }
}

/// Why the login did not succeed. A transport that closed (or went silent) after sending
/// bytes that are not an API reply is a server that does not speak the API (`protocol`); one
/// that closed without sending anything is a bridge that could not reach its router, or a
/// router refusing API connections (`connect_failed`).
pub(crate) fn login_failure(error: Option<&Error>, inbound: &RefCell<Inbound>) -> Failure {
    let inbound = inbound.borrow();
    let transport_gone = matches!(error, None | Some(Error::Closed | Error::Io(_)));
    if !transport_gone {
        return Failure::from_core(error.unwrap_or(&Error::Closed), inbound.close_reason());
    }
    if let Some(fatal) = inbound.unread_fatal() {
        return Failure::from_core(&fatal, None);
    }
    let received = inbound.received();
    if received > 0 {
        let then = if error.is_some() { ", then closed" } else { "" };
        return Failure::new(
            ErrorType::Protocol,
            format!(
                "the server does not speak the RouterOS API: it answered the login with {received} \
                 bytes that are not an API reply (\"{}\"){then}",
                inbound.head_escaped()
            ),
        );
    }
    match error {
        None => Failure::new(ErrorType::Timeout, "timed out while logging in"),
        Some(_) => {
            let how = inbound
                .close_reason()
                .map(|r| format!(" ({})", crate::error::escape_text(r)))
                .unwrap_or_default();
            Failure::new(
                ErrorType::ConnectFailed,
                format!(
                    "the connection closed before the router answered the login{how}: a bridge \
                     that cannot reach its router, or a router that refuses API connections \
                     from this address"
                ),
            )
        }
    }
}

/// The failure that ends the connection after `error`: a `!fatal` the router sent before
/// closing (still unread when nobody was reading) counts as `fatal`.
pub(crate) fn lost(error: &Error, inbound: &RefCell<Inbound>) -> Failure {
    let inbound = inbound.borrow();
    if matches!(error, Error::Closed | Error::Io(_)) {
        if let Some(fatal) = inbound.unread_fatal() {
            return Failure::from_core(&fatal, None);
        }
    }
    Failure::from_core(error, inbound.close_reason())
}

pub(crate) fn timed_out(ms: Option<f64>) -> Failure {
    let ms = ms.unwrap_or_default().max(0.0).round() as u64;
    Failure::new(ErrorType::Timeout, format!("timed out after {ms} ms"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inbound(bytes: &[u8], closed: Option<&str>) -> RefCell<Inbound> {
        let mut inbound = Inbound::new();
        inbound.opened();
        inbound.push(bytes);
        if let Some(reason) = closed {
            inbound.closed(Some(reason.into()));
        }
        RefCell::new(inbound)
    }

    #[test]
    fn a_server_that_is_not_routeros_is_protocol() {
        let web = inbound(b"HTTP/1.1 400 Bad Request\r\n\r\n", Some("closed"));
        let f = login_failure(Some(&Error::Closed), &web);
        assert_eq!(f.kind, ErrorType::Protocol);
        assert!(
            f.message.contains(r"HTTP/1.1 400 Bad Request\r\n"),
            "{}",
            f.message
        );
        // Silent after a banner: also not the API.
        let ssh = inbound(b"SSH-2.0-OpenSSH_9.2\r\n", None);
        assert_eq!(login_failure(None, &ssh).kind, ErrorType::Protocol);
    }

    #[test]
    fn closed_before_any_answer_is_connect_failed() {
        let bridge = inbound(b"", Some("WebSocket closed with code 1011"));
        let f = login_failure(Some(&Error::Closed), &bridge);
        assert_eq!(f.kind, ErrorType::ConnectFailed);
        assert!(f.message.contains("code 1011"));
        assert_eq!(
            login_failure(None, &inbound(b"", None)).kind,
            ErrorType::Timeout
        );
    }

    #[test]
    fn an_unread_fatal_is_fatal() {
        let said = inbound(b"\x06!fatal\x0ftoo many logins\x00", Some("closed"));
        assert_eq!(
            login_failure(Some(&Error::Closed), &said).kind,
            ErrorType::Fatal
        );
        let f = lost(&Error::Closed, &said);
        assert_eq!(f.kind, ErrorType::Fatal);
        assert!(f.message.contains("too many logins"));
        assert_eq!(
            lost(&Error::Closed, &inbound(b"", Some("gone"))).kind,
            ErrorType::Closed
        );
    }

    #[test]
    fn later_calls_after_a_timeout_are_closed_with_the_cause() {
        let timeout = Failure::new(ErrorType::Timeout, "timed out");
        let later = for_later_calls(&timeout);
        assert_eq!(later.kind, ErrorType::Closed);
        assert_eq!(later.cause.as_deref(), Some(&timeout));
        let fatal = Failure::new(ErrorType::Fatal, "bye");
        assert_eq!(for_later_calls(&fatal), fatal);
    }
}
