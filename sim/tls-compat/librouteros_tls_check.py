#!/usr/bin/env python3
"""Drive routeros-sim's API-SSL modes with the established Python client `librouteros`, using
Python's `ssl` module (OpenSSL) the way librouteros documents it.

Usage: librouteros_tls_check.py PATH_TO_ROUTEROS_SIM

For each mode: the handshake a stock client negotiates, a login and a print over it, and the
clients that must be refused (a TLS 1.3-only client against a RouterOS profile, a verifying
client against certificate-less api-ssl, a client that trusts another certificate). Exits
non-zero on the first mismatch.
"""

import os
import socket
import ssl
import subprocess
import sys
import tempfile
import warnings

import librouteros
from librouteros.login import plain

PASSWORD = "s3cret"


class Sim:
    """A simulator process; stderr's first line is the `tls profile=...` notice."""

    def __init__(self, binary, *args):
        self.proc = subprocess.Popen(
            [binary, "--listen", "127.0.0.1:0", "--password", PASSWORD, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.notice = self.proc.stderr.readline().strip()
        line = self.proc.stdout.readline().strip()
        host, port = line.rsplit(":", 1)
        self.host, self.port = host, int(port)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def expect(cond, what):
    if not cond:
        raise AssertionError(what)
    print(f"ok - {what}")


def context(cafile=None, anonymous=False, tls13_only=False, tls10=False):
    """A client context: verifying against `cafile`, or librouteros's recipe for api-ssl
    without a certificate (anonymous DH at security level 0, no verification)."""
    if anonymous:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.set_ciphers("ADH:@SECLEVEL=0")
    else:
        ctx = ssl.create_default_context(cafile=cafile)
    if tls13_only:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    if tls10:
        # RouterOS 6 still takes TLS 1.0; Python deprecates naming it, deliberately done here.
        warnings.filterwarnings("ignore", "ssl.TLSVersion.TLSv1 is deprecated", DeprecationWarning)
        ctx.set_ciphers("ALL:@SECLEVEL=0")
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1
    return ctx


def session(sim, ctx, label=""):
    """Logs in through librouteros over TLS; returns (version, cipher, identity)."""
    wrapped = []

    def wrapper(sock):
        s = ctx.wrap_socket(sock, server_hostname="localhost")
        wrapped.append(s)
        return s

    api = librouteros.connect(
        sim.host, "admin", PASSWORD, port=sim.port, ssl_wrapper=wrapper, login_method=plain, timeout=5
    )
    try:
        identity = tuple(api.path("system", "identity"))[0]["name"]
        names = {row["name"] for row in api.path("interface")}
        expect("ether1" in names, f"{label}: interface print over TLS")
        return wrapped[0].version(), wrapped[0].cipher()[0], identity
    finally:
        api.close()


def refused(sim, ctx, what):
    try:
        session(sim, ctx, what)
    except (ssl.SSLError, ConnectionError, socket.timeout, OSError) as e:
        expect(True, f"{what}: refused ({type(e).__name__}: {e})")
        return
    raise AssertionError(f"{what}: accepted")


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        for profile, want in [
            ("v7", ("TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384")),
            ("v6", ("TLSv1.2", "DHE-RSA-AES256-GCM-SHA384")),
            ("terminator-tls13", ("TLSv1.3", "TLS_AES_256_GCM_SHA384")),
        ]:
            cert = os.path.join(tmp, f"{profile}.pem")
            args = ["--tls-generate", "--tls-cert-out", cert, "--tls-profile", profile]
            with Sim(binary, *args) as sim:
                expect(sim.notice.startswith(f"tls profile={profile} sha256="), f"{profile}: notice")
                version, cipher, identity = session(sim, context(cafile=cert), profile)
                expect((version, cipher) == want, f"{profile}: {version} {cipher}")
                expect(identity == "MikroTik", f"{profile}: identity over TLS")
                other = os.path.join(tmp, "other.pem")
                with Sim(binary, "--tls-generate", "--tls-cert-out", other):
                    pass
                refused(sim, context(cafile=other), f"{profile}: a client trusting another certificate")
                if profile != "terminator-tls13":
                    refused(sim, context(cafile=cert, tls13_only=True), f"{profile}: a TLS 1.3-only client")
                else:
                    ctx = context(cafile=cert)
                    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
                    refused(sim, ctx, "terminator-tls13: a TLS 1.2-only client")
                if profile == "v6":
                    version, cipher, _ = session(sim, context(cafile=cert, tls10=True), "v6, TLS 1.0")
                    expect((version, cipher) == ("TLSv1", "DHE-RSA-AES256-SHA"), f"v6: {version} {cipher}")
        with Sim(binary, "--tls-anonymous") as sim:
            expect(sim.notice == "tls profile=v7 anonymous", "anonymous: notice")
            version, cipher, _ = session(sim, context(anonymous=True), "anonymous")
            expect((version, cipher) == ("TLSv1.2", "ADH-AES256-GCM-SHA384"), f"anonymous: {version} {cipher}")
            refused(sim, ssl.create_default_context(), "anonymous: a verifying client")
            # mktxp's recipe (`no_ssl_certificate = True`): the default context, no host name
            # check, anonymous suites; OpenSSL has no certificate to verify.
            mktxp = ssl.create_default_context()
            mktxp.check_hostname = False
            mktxp.set_ciphers("ADH:@SECLEVEL=0")
            version, cipher, _ = session(sim, mktxp, "anonymous, mktxp's recipe")
            expect((version, cipher) == ("TLSv1.2", "ADH-AES256-GCM-SHA384"), f"anonymous, mktxp's recipe: {version} {cipher}")
    print("librouteros over API-SSL: every mode behaves as expected")


if __name__ == "__main__":
    main()
