//! Wireless menus: the RouterOS 7 `wifi` package, the older `wireless` package and CAPsMAN
//! (both generations), with registration tables that monitoring tools read.

use super::{counter, flag, ro, ro_flag, s, Hooks, MenuDef, Prop};
use crate::model::{Db, Row};

/// Every menu of this file.
pub(super) static MENUS: [MenuDef; 8] = [
    WIFI,
    WIFI_REGISTRATIONS,
    WIFI_REMOTE_CAP,
    WIRELESS,
    WIRELESS_REGISTRATIONS,
    CAPSMAN_REMOTE_CAP,
    CAPSMAN_REGISTRATIONS,
    CAPSMAN_INTERFACE,
];

const RADIO_PROPS: &[Prop] = &[
    s("name"),
    ro("default-name"),
    ro("mac-address"),
    s("ssid"),
    s("band"),
    s("channel"),
    s("mode").def("ap"),
    ro_flag("running"),
    flag("disabled"),
    s("comment"),
];

/// `/interface/wifi` (RouterOS 7 `wifi-qcom`), with `monitor`.
const WIFI: MenuDef = MenuDef {
    rows: &[
        &[
            ("name", "wifi1"),
            ("default-name", "wifi1"),
            ("mac-address", "4C:5E:0C:12:34:60"),
            ("ssid", "office"),
            ("band", "5ghz-ax"),
            ("channel", "5180/ax/Ceee"),
            ("running", "true"),
        ],
        &[
            ("name", "wifi2"),
            ("default-name", "wifi2"),
            ("mac-address", "4C:5E:0C:12:34:61"),
            ("ssid", "office"),
            ("band", "2ghz-ax"),
            ("channel", "2437/ax"),
            ("running", "true"),
        ],
    ],
    settable: true,
    hooks: Hooks {
        on_write: None,
        live: None,
        monitor: Some(radio_monitor),
    },
    ..MenuDef::list("interface/wifi", RADIO_PROPS)
};

/// `/interface/wireless` (the older package), with `monitor`.
const WIRELESS: MenuDef = MenuDef {
    rows: &[&[
        ("name", "wlan1"),
        ("default-name", "wlan1"),
        ("mac-address", "4C:5E:0C:12:34:56"),
        ("ssid", "legacy"),
        ("band", "2ghz-b/g/n"),
        ("channel", "2412"),
        ("mode", "ap-bridge"),
        ("running", "true"),
    ]],
    settable: true,
    hooks: Hooks {
        on_write: None,
        live: None,
        monitor: Some(radio_monitor),
    },
    ..MenuDef::list("interface/wireless", RADIO_PROPS)
};

fn radio_monitor(db: &Db, row: &Row) -> Row {
    let name = row.get("name").unwrap_or(b"").to_vec();
    let clients = [
        "interface/wifi/registration-table",
        "interface/wireless/registration-table",
    ]
    .iter()
    .filter_map(|p| db.table(p))
    .flat_map(|t| t.rows.iter())
    .filter(|r| r.get("interface") == Some(name.as_slice()))
    .count();
    Row::default()
        .with("name", name)
        .with("status", "running-ap")
        .with("channel", row.get("channel").unwrap_or(b"").to_vec())
        .with("registered-clients", clients.to_string())
        .with("registered-peers", clients.to_string())
        .with("authenticated-clients", clients.to_string())
        .with("noise-floor", "-108")
        .with("overall-tx-ccq", "87")
        .with("tx-power", "23")
}

const REGISTRATION_PROPS: &[Prop] = &[
    ro("interface"),
    ro("ssid"),
    ro("mac-address"),
    ro("band"),
    ro("tx-rate"),
    ro("rx-rate"),
    ro("uptime"),
    ro("last-activity").def("20ms"),
    ro("signal"),
    ro("signal-strength"),
    ro("signal-to-noise"),
    ro("tx-ccq"),
    ro("bytes"),
    ro("packets"),
    counter("tx-bytes-total"),
    ro_flag("authorized").def("true"),
];

/// `/interface/wifi/registration-table`.
const WIFI_REGISTRATIONS: MenuDef = MenuDef {
    rows: &[
        &[
            ("interface", "wifi1"),
            ("ssid", "office"),
            ("mac-address", "AC:DE:48:00:11:22"),
            ("band", "5ghz-ax"),
            ("tx-rate", "1200.9Mbps-80MHz/2S/SGI"),
            ("rx-rate", "864.8Mbps-80MHz/2S"),
            ("uptime", "3h12m5s"),
            ("signal", "-54"),
            ("bytes", "912345678,45678901"),
            ("packets", "700123,300456"),
        ],
        &[
            ("interface", "wifi2"),
            ("ssid", "office"),
            ("mac-address", "AC:DE:48:00:11:33"),
            ("band", "2ghz-ax"),
            ("tx-rate", "143.4Mbps-20MHz/2S"),
            ("rx-rate", "86Mbps-20MHz/1S"),
            ("uptime", "47m2s"),
            ("signal", "-67"),
            ("bytes", "12345678,2345678"),
            ("packets", "10234,8123"),
        ],
    ],
    ..MenuDef::list("interface/wifi/registration-table", REGISTRATION_PROPS)
};

/// `/interface/wireless/registration-table`.
const WIRELESS_REGISTRATIONS: MenuDef = MenuDef {
    rows: &[&[
        ("interface", "wlan1"),
        ("mac-address", "AC:DE:48:00:11:44"),
        ("tx-rate", "65Mbps"),
        ("rx-rate", "58.5Mbps"),
        ("uptime", "1d2h3m"),
        ("signal-strength", "-61@HT20-7"),
        ("signal-to-noise", "47"),
        ("tx-ccq", "91"),
        ("bytes", "3456789,1234567"),
        ("packets", "5678,4321"),
    ]],
    ..MenuDef::list("interface/wireless/registration-table", REGISTRATION_PROPS)
};

const REMOTE_CAP_PROPS: &[Prop] = &[
    ro("identity"),
    ro("address"),
    ro("base-mac"),
    ro("board"),
    ro("version"),
    ro("state").def("Run"),
    ro("radios").def("2"),
];

/// `/interface/wifi/capsman/remote-cap`: access points this router manages.
const WIFI_REMOTE_CAP: MenuDef = MenuDef {
    rows: &[&[
        ("identity", "cap-hall"),
        ("address", "192.168.88.3/40321"),
        ("base-mac", "4C:5E:0C:AA:BB:02"),
        ("board", "cAP ax"),
        ("version", "7.18.2"),
    ]],
    ..MenuDef::list("interface/wifi/capsman/remote-cap", REMOTE_CAP_PROPS)
};

/// `/caps-man/remote-cap` (the older CAPsMAN).
const CAPSMAN_REMOTE_CAP: MenuDef = MenuDef {
    rows: &[&[
        ("identity", "cap-yard"),
        ("address", "4C:5E:0C:AA:BB:03/5"),
        ("base-mac", "4C:5E:0C:AA:BB:03"),
        ("board", "cAP ac"),
        ("version", "6.49.17"),
    ]],
    ..MenuDef::list("caps-man/remote-cap", REMOTE_CAP_PROPS)
};

/// `/caps-man/registration-table`.
const CAPSMAN_REGISTRATIONS: MenuDef = MenuDef {
    rows: &[&[
        ("interface", "cap-yard-1"),
        ("ssid", "yard"),
        ("mac-address", "AC:DE:48:00:11:66"),
        ("tx-rate", "72.2Mbps-20MHz/1S/SGI"),
        ("rx-rate", "65Mbps-20MHz/1S"),
        ("uptime", "5h1m"),
        ("signal", "-70"),
        ("bytes", "2345678,345678"),
        ("packets", "3456,2345"),
    ]],
    ..MenuDef::list("caps-man/registration-table", REGISTRATION_PROPS)
};

/// `/caps-man/interface`.
const CAPSMAN_INTERFACE: MenuDef = MenuDef {
    rows: &[&[
        ("name", "cap-yard-1"),
        ("configuration", "yard-cfg"),
        ("mac-address", "4C:5E:0C:AA:BB:03"),
        ("current-state", "running-ap"),
        ("current-channel", "2437/20/gn(20dBm)"),
        ("current-registered-clients", "1"),
    ]],
    ..MenuDef::list(
        "caps-man/interface",
        &[
            ro("name"),
            ro("configuration"),
            ro("mac-address"),
            ro("current-state"),
            ro("current-channel"),
            ro("current-registered-clients"),
            ro_flag("running").def("true"),
            ro_flag("disabled"),
        ],
    )
};
