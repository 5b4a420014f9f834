#!/usr/bin/env python3
"""Drive routeros-sim with the established Python client `librouteros`.

Usage: librouteros_check.py PATH_TO_ROUTEROS_SIM

Starts the simulator (plain and legacy login), exercises login, print with a query, add and
remove of an address, traps, !fatal, and a short monitor-traffic stream with /cancel. Exits
non-zero on the first mismatch.
"""

import os
import subprocess
import sys
import time

import librouteros
from librouteros.exceptions import FatalError, MultiTrapError, TrapError
from librouteros.login import plain, token
from librouteros.query import Key, Or

PASSWORD = "s3cret"
# Extra simulator flags for every start (run.sh loops over tag positions and versions).
EXTRA = os.environ.get("SIM_ARGS", "").split()


# Every simulator started, so that none outlives this script.
STARTED = []


def start(binary, *args):
    proc = subprocess.Popen(
        [binary, "--listen", "127.0.0.1:0", "--password", PASSWORD, *args, *EXTRA],
        stdout=subprocess.PIPE,
        text=True,
    )
    STARTED.append(proc)
    line = proc.stdout.readline().strip()
    host, port = line.rsplit(":", 1)
    return proc, host, int(port)


def expect(cond, what):
    if not cond:
        raise AssertionError(what)
    print(f"ok - {what}")


def expect_trap(fn, message, what, category=None):
    try:
        fn()
    except TrapError as e:
        expect(e.message == message, f"{what}: message {e.message!r}")
        if category is not None:
            expect(e.category == category, f"{what}: category {e.category!r}")
        return
    raise AssertionError(f"{what}: no trap")


def check_plain(host, port):
    try:
        librouteros.connect(host, "admin", "wrong", port=port, login_method=plain)
        raise AssertionError("wrong password was accepted")
    except TrapError as e:
        expect(e.message == "invalid user name or password (6)", "wrong password is a trap")

    api = librouteros.connect(host, "admin", PASSWORD, port=port, login_method=plain)
    expect(True, "plain login")

    interfaces = api.path("interface")
    name, kind, running = Key("name"), Key("type"), Key("running")
    rows = list(interfaces.select(name, kind).where(kind == "ether", running == True))  # noqa: E712
    expect([r["name"] for r in rows] == ["ether1", "ether2"], "print with an AND query")
    expect(all(set(r) == {"name", "type"} for r in rows), ".proplist keeps only the keys asked")
    rows = list(interfaces.select(name).where(Or(kind == "bridge", kind == "wlan")))
    expect([r["name"] for r in rows] == ["bridge1", "wlan1"], "print with an OR query")
    rows = list(interfaces.select(name).where(kind != "ether"))
    expect([r["name"] for r in rows] == ["bridge1", "wlan1"], "print with a negated query")
    rows = list(interfaces.select(name).where(kind.In("bridge", "wlan", "vlan")))
    expect(len(rows) == 2, "print with In()")
    all_rows = list(interfaces)
    expect(len(all_rows) == 7 and all_rows[0][".id"] == "*1", "plain print of /interface")
    expect(all_rows[0]["running"] is True and all_rows[0]["mtu"] == 1500, "typed values")
    count = tuple(api("/interface/print", **{"count-only": ""}))
    expect(count == ({"ret": 7},), "count-only")

    addresses = api.path("ip", "address")
    new_id = addresses.add(address="10.77.0.1/24", interface="ether2", comment="compat")
    expect(new_id.startswith("*"), f"add returns an id ({new_id})")
    found = [r for r in addresses if r[".id"] == new_id]
    expect(len(found) == 1 and found[0]["network"] == "10.77.0.0", "added address is printed")
    addresses.update(**{".id": new_id, "disabled": True})
    found = list(addresses.select(Key(".id"), Key("disabled")).where(Key(".id") == new_id))
    expect(found == [{".id": new_id, "disabled": True}], "set disabled")
    addresses.remove(new_id)
    expect(all(r[".id"] != new_id for r in addresses), "removed address is gone")
    expect_trap(lambda: addresses.remove(new_id), "no such item (4)", "remove a missing id")
    expect_trap(
        lambda: addresses.add(address="10.1.1.1/24", interface="nope"),
        "input does not match any value of interface",
        "add on a missing interface",
        category=1,
    )
    try:
        tuple(api("/ip/adress/print"))
        raise AssertionError("unknown menu accepted")
    except MultiTrapError as e:
        msgs = [t.message for t in e.traps]
        expect(
            msgs == ["no such command or directory (adress)", "no such command prefix"],
            "unknown menu gives two traps then !done",
        )
    expect_trap(
        lambda: tuple(api("/interface/print", bogus="1")),
        "unknown parameter bogus",
        "unknown parameter",
    )

    identity = api.path("system", "identity")
    tuple(identity("set", name="compat-rtr"))
    expect(list(identity) == [{"name": "compat-rtr"}], "identity set and print")
    resource = list(api.path("system", "resource"))
    expect(resource[0]["platform"] == "MikroTik", "/system/resource/print")

    # A stream with tags, read with the protocol layer (the Api layer does not parse tags).
    proto = api.protocol
    proto.writeSentence("/interface/monitor-traffic", "=interface=ether1", "=interval=100ms", ".tag=m")
    rows = []
    while len(rows) < 3:
        reply, words = proto.readSentence()
        expect(reply == "!re" and ".tag=m" in words, f"stream row {len(rows) + 1}")
        rows.append(dict(w.split("=", 2)[1:] for w in words if w.startswith("=")))
    expect(all(r["name"] == "ether1" and int(r["rx-bits-per-second"]) > 0 for r in rows), "stream content")
    proto.writeSentence("/cancel", "=tag=m", ".tag=c")
    tail = []
    while sum(1 for s in tail if s[0] == "!done") < 2:
        reply, words = proto.readSentence()
        if reply != "!re":
            # The tag may stand anywhere in a sentence (--tag-position).
            tail.append((reply, *sorted(words)))
    expect(
        tail
        == [
            ("!trap", ".tag=m", "=category=2", "=message=interrupted"),
            ("!done", ".tag=c"),
            ("!done", ".tag=m"),
        ],
        "cancel replies in the documented order",
    )
    expect(list(identity) == [{"name": "compat-rtr"}], "connection usable after cancel")

    try:
        tuple(api("/quit"))
        raise AssertionError("/quit returned")
    except FatalError as e:
        expect(str(e) == "session terminated on request", "/quit is !fatal")


def check_legacy(host, port):
    api = librouteros.connect(host, "admin", PASSWORD, port=port, login_method=token)
    expect(True, "legacy (MD5 challenge) login")
    expect(list(api.path("system", "identity")) == [{"name": "MikroTik"}], "works after legacy login")
    api.close()
    try:
        librouteros.connect(host, "admin", "wrong", port=port, login_method=token)
        raise AssertionError("wrong legacy password accepted")
    except TrapError as e:
        expect(e.message == "cannot log in", "wrong legacy password is a trap")


def main():
    binary = sys.argv[1]
    procs = []
    try:
        # RouterOS before 6.43 has no plain login: only the legacy check applies.
        if "6.42" not in EXTRA:
            proc, host, port = start(binary)
            procs.append(proc)
            check_plain(host, port)
        proc, host, port = start(binary, "--legacy-login")
        procs.append(proc)
        check_legacy(host, port)
    finally:
        for p in STARTED:
            p.terminate()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
    for p in STARTED:
        if p.returncode not in (0, -15):
            raise AssertionError(f"simulator exited with {p.returncode}")
    print("librouteros: all checks passed")


if __name__ == "__main__":
    started = time.monotonic()
    main()
    print(f"({time.monotonic() - started:.1f}s)")
