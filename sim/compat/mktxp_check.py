"""Runs mktxp, unchanged and with its default collectors, against routeros-sim.

Usage: mktxp_check.py MKTXP_BIN SIM_BIN [SIM_ARGS...]

Starts the simulator, writes an mktxp configuration for it (through `mktxp show`, then edits
the generated files as mktxp's documentation says), runs `mktxp export`, scrapes /metrics
twice, and fails if mktxp printed any collector error or a series every default collector
produces is missing.
"""

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

# One series per default collector (names as mktxp 2.x exports them).
EXPECTED = [
    "mktxp_system_identity_info",
    "mktxp_system_uptime",
    "mktxp_system_cpu_load",
    "mktxp_system_routerboard_voltage",
    "mktxp_system_cpu_temperature",
    "mktxp_installed_packages_info",
    "mktxp_dhcp_lease_info",
    "mktxp_ip_connections_total",
    "mktxp_interface_rx_byte_total",
    "mktxp_interface_status",
    "mktxp_routes_total_routes",
    "mktxp_ip_pool_used",
    "mktxp_firewall_filter_total",
    "mktxp_firewall_nat_total",
    "mktxp_firewall_mangle_total",
    "mktxp_firewall_raw_total",
    "mktxp_neighbor_info",
    "mktxp_poe_info",
    "mktxp_interface_full_duplex",
    "mktxp_netwatch_info",
    "mktxp_public_ip_address_info",
    "mktxp_wlan_clients_tx_bytes_total",
    "mktxp_wlan_registered_clients",
    "mktxp_capsman_remote_caps_info",
    "mktxp_active_users_info",
    "mktxp_queue_simple_bytes_upload_total",
    "mktxp_queue_tree_bytes_total",
]

ERROR = re.compile(r"(error|exception|traceback|failed|could not)", re.IGNORECASE)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def configure(mktxp, cfg, sim_port, http_port, legacy):
    subprocess.run([mktxp, "--cfg-dir", cfg, "show"], capture_output=True, timeout=60)
    path = os.path.join(cfg, "mktxp.conf")
    text = open(path).read()
    text = re.sub(r"\[Sample-Router\][^\[]*", "[Sim]\n    hostname = 127.0.0.1\n\n", text)
    text = re.sub(r"(\n\s*)port = \d+", rf"\g<1>port = {sim_port}", text, count=1)
    text = re.sub(r"username = \S+", "username = admin", text, count=1)
    text = re.sub(r"password = \S+", 'password = ""', text, count=1)
    if legacy:
        text = re.sub(r"plaintext_login = \S+", "plaintext_login = False", text, count=1)
    open(path, "w").write(text)
    path = os.path.join(cfg, "_mktxp.conf")
    text = open(path).read()
    text = re.sub(r"listen = '[^']*'", f"listen = '127.0.0.1:{http_port}'", text)
    open(path, "w").write(text)


def scrape(url):
    for _ in range(100):
        try:
            return urllib.request.urlopen(url, timeout=30).read().decode()
        except OSError:
            time.sleep(0.2)
    raise SystemExit("mktxp: /metrics never answered")


def main():
    mktxp, sim_bin, sim_args = sys.argv[1], sys.argv[2], sys.argv[3:]
    label = " ".join(sim_args) or "defaults"
    sim = subprocess.Popen([sim_bin, "--listen", "127.0.0.1:0", *sim_args],
                           stdout=subprocess.PIPE, text=True)
    exporter = None
    try:
        sim_port = int(sim.stdout.readline().strip().rsplit(":", 1)[1])
        http_port = free_port()
        with tempfile.TemporaryDirectory() as cfg:
            configure(mktxp, cfg, sim_port, http_port, "6.42" in sim_args)
            log = open(os.path.join(cfg, "export.log"), "w+")
            exporter = subprocess.Popen([mktxp, "--cfg-dir", cfg, "export"],
                                        stdout=log, stderr=subprocess.STDOUT)
            url = f"http://127.0.0.1:{http_port}/metrics"
            scrape(url)
            metrics = scrape(url)
            exporter.terminate()
            exporter.wait(timeout=10)
            log.seek(0)
            output = log.read()
            if os.environ.get("MKTXP_LOG"):
                print(output)
            errors = [line for line in output.splitlines() if ERROR.search(line)]
    finally:
        if exporter and exporter.poll() is None:
            exporter.kill()
        sim.terminate()
        sim.wait(timeout=10)
    series = {line.split("{")[0].split(" ")[0] for line in metrics.splitlines()
              if line and not line.startswith("#")}
    expected = EXPECTED
    if any(v in sim_args for v in ("6.42", "6.48")):
        # mktxp monitors only radios whose `running` is the v7 spelling `true`, so it skips
        # them on a v6 router (as it would on a real one).
        expected = [e for e in EXPECTED if e != "mktxp_wlan_registered_clients"]
    missing = [name for name in expected if name not in series]
    for e in errors:
        print(f"mktxp ({label}): {e}")
    for m in missing:
        print(f"mktxp ({label}): missing series {m}")
    print(f"mktxp ({label}): {len(series)} series, {len(metrics.splitlines())} lines, "
          f"{len(errors)} errors, {len(missing)} missing")
    return 1 if errors or missing else 0


if __name__ == "__main__":
    sys.exit(main())
