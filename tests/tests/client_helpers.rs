//! Every typed helper against the simulator over a real loopback socket.

mod common;

use common::*;
use routeros_core::Error;
use routeros_sim::SimConfig;

#[tokio::test]
async fn interfaces() {
    let sim = sim(SimConfig::default()).await;
    let mut client = login(&sim).await;
    let all = within(client.list_interfaces::<16>()).await.unwrap();
    let names: Vec<&str> = all.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(
        names,
        ["ether1", "ether2", "ether3", "ether4", "ether5", "bridge1", "wlan1"]
    );
    let ether1 = within(client.get_interface("ether1")).await.unwrap();
    assert_eq!(ether1.kind.as_str(), "ether");
    assert_eq!(ether1.mtu, Some(1500));
    assert!(ether1.id.starts_with('*'));
    assert_eq!(
        within(client.get_interface("ether99")).await.unwrap_err(),
        Error::NotFound
    );
    // A caller-sized container that is too small is an error, and the connection survives.
    let err = within(client.list_interfaces::<2>()).await.unwrap_err();
    assert_eq!(err, Error::BufferTooSmall(routeros_core::Buffer::Rows));
    assert!(within(client.list_interfaces::<8>()).await.is_ok());
}

#[tokio::test]
async fn ip_addresses_add_list_remove() {
    let sim = sim(SimConfig::default()).await;
    let mut client = login(&sim).await;
    let before = within(client.list_ip_addresses::<32>()).await.unwrap();
    let id = within(client.add_ip_address("10.20.30.1/24", "ether2"))
        .await
        .unwrap();
    let after = within(client.list_ip_addresses::<32>()).await.unwrap();
    assert_eq!(after.len(), before.len() + 1);
    let added = after
        .iter()
        .find(|a| a.id == id)
        .expect("the new address is listed");
    assert_eq!(added.address.as_str(), "10.20.30.1/24");
    assert_eq!(added.network.as_str(), "10.20.30.0");
    assert_eq!(added.interface.as_str(), "ether2");

    // Bad input is a trap with the router's message, not a success.
    let err = within(client.add_ip_address("not-an-address", "ether2"))
        .await
        .unwrap_err();
    assert!(err.as_trap().is_some(), "{err:?}");
    let err = within(client.add_ip_address("10.1.1.1/24", "ether99"))
        .await
        .unwrap_err();
    assert!(err.as_trap().is_some(), "{err:?}");

    within(client.remove_ip_address(&id)).await.unwrap();
    let last = within(client.list_ip_addresses::<32>()).await.unwrap();
    assert_eq!(last.len(), before.len());
    let err = within(client.remove_ip_address(&id)).await.unwrap_err();
    assert!(err.as_trap().is_some(), "removing twice: {err:?}");
}

#[tokio::test]
async fn system_resource() {
    let sim = sim(SimConfig::default()).await;
    let mut client = login(&sim).await;
    let res = within(client.system_resource()).await.unwrap();
    assert!(res.version.starts_with('7'), "{res:?}");
    assert!(res.total_memory.unwrap() >= res.free_memory.unwrap());
    assert!(res.cpu_load.unwrap() <= 100);
    assert!(!res.uptime.is_empty());
    assert!(!res.board_name.is_empty());
}

#[tokio::test]
async fn identity_get_and_set() {
    let sim = sim(SimConfig::default()).await;
    let mut client = login(&sim).await;
    assert_in_step(&mut client).await;
    within(client.set_identity("core-router-1")).await.unwrap();
    assert_eq!(
        within(client.identity()).await.unwrap().as_str(),
        "core-router-1"
    );
    // The model is shared: another connection sees the change.
    let mut other = login(&sim).await;
    assert_eq!(
        within(other.identity()).await.unwrap().as_str(),
        "core-router-1"
    );
}

#[tokio::test]
async fn firewall_rules() {
    let sim = sim(SimConfig::default()).await;
    let mut client = login(&sim).await;
    let rules = within(client.list_firewall_rules::<32>()).await.unwrap();
    assert!(!rules.is_empty());
    assert!(rules
        .iter()
        .all(|r| !r.chain.is_empty() && !r.action.is_empty()));
    assert!(rules.iter().any(|r| r.chain.as_str() == "input"));
}

#[tokio::test]
async fn dhcp_leases() {
    let sim = sim(SimConfig::default()).await;
    let mut client = login(&sim).await;
    let leases = within(client.list_dhcp_leases::<32>()).await.unwrap();
    assert!(!leases.is_empty());
    for lease in &leases {
        assert!(
            lease.address.parse::<std::net::Ipv4Addr>().is_ok(),
            "{lease:?}"
        );
        assert_eq!(lease.mac_address.len(), 17, "{lease:?}");
    }
}

#[tokio::test]
async fn reboot_closes_without_a_reply_and_counts_as_success() {
    let sim = sim(SimConfig::default()).await;
    let mut client = login(&sim).await;
    within(client.reboot()).await.unwrap();
    assert!(!client.is_usable());
}
