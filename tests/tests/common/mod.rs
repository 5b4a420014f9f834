//! Shared set-up: a simulator and a client connected to it over loopback.
#![allow(dead_code)]

use embedded_io_adapters::tokio_1::FromTokio;
use routeros_core::Client;
use routeros_sim::{SimConfig, SimHandle, Simulator};
use tokio::net::TcpStream;

/// The client type every test uses: tokio's socket, owned buffers.
pub type TestClient = Client<FromTokio<TcpStream>, Vec<u8>>;

/// Starts a simulator inside the test's runtime.
pub async fn sim(config: SimConfig) -> SimHandle {
    Simulator::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("simulator starts")
}

/// Connects (without logging in) with a receive buffer of `rx` bytes.
pub async fn connect_with(sim: &SimHandle, rx: usize) -> TestClient {
    let stream = TcpStream::connect(sim.addr()).await.expect("connect");
    stream.set_nodelay(true).unwrap();
    Client::new(FromTokio::new(stream), vec![0; rx], vec![0; 1024])
}

/// Connects and logs in as the simulator's default user.
pub async fn login(sim: &SimHandle) -> TestClient {
    let mut client = connect_with(sim, 8192).await;
    client.login("admin", "").await.expect("login");
    client
}

/// Runs a future with a deadline so a hang fails the test instead of stalling it.
pub async fn within<F: std::future::Future>(f: F) -> F::Output {
    tokio::time::timeout(std::time::Duration::from_secs(10), f)
        .await
        .expect("finished in time")
}

/// Checks the connection is still in step: the next reply is the identity, not a stale reply
/// of an earlier command.
pub async fn assert_in_step(client: &mut TestClient) {
    assert_eq!(
        within(client.identity()).await.unwrap().as_str(),
        "MikroTik"
    );
}
