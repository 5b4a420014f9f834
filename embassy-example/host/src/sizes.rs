//! `--print-future-sizes`: how much memory the client's futures take.
//!
//! An async fn's future holds every local that lives across an `.await` of the deepest
//! path through it, so its size (measured before it is first polled) is an upper bound on
//! the stack-like state it needs; embassy tasks store that state statically. Measured over
//! the real transports (`TcpSocket`, and `TlsConnection` over it), since each transport's own
//! read/write futures are part of the total.

use core::mem::size_of_val;

use embassy_net::tcp::TcpSocket;
use embassy_net::Stack;
use embedded_io_async::{Read, Write};
use rand_core::OsRng;
use routeros_embassy_app::embedded_tls::{NoClock, TlsConfig, TlsConnection, TlsContext};
use routeros_embassy_app::monitor::{session, Progress};
use routeros_embassy_app::routeros_core::Client;
use routeros_embassy_app::tls::tls13::{CipherSuite, Provider};
use routeros_embassy_app::{run, Buffers, RouterSettings, TlsStack};

/// Connects to the router, builds each future without polling it, prints its size.
pub async fn print(
    stack: Stack<'static>,
    buffers: &'static mut Buffers,
    settings: &RouterSettings<'_>,
) {
    {
        let (mut rng, mut observer) = (OsRng, ());
        let fut = run(stack, &mut *buffers, settings, &mut rng, &mut observer);
        println!(
            "future-size run(...) whole firmware loop, TLS path included: {} bytes",
            size_of_val(&fut)
        );
    }
    stack.wait_config_up().await;
    let Buffers {
        tcp_rx,
        tcp_tx,
        tls_read,
        tls_write,
        client_rx,
        client_tx,
    } = buffers;
    let mut socket = TcpSocket::new(stack, tcp_rx, tcp_tx);
    if let Err(e) = socket.connect((settings.address, settings.port)).await {
        println!("cannot connect to measure: {e:?}");
        return;
    }
    match &settings.tls {
        None => measure("TcpSocket", &mut socket, client_rx, client_tx, settings).await,
        Some(tls) if tls.stack == TlsStack::MbedTls => {
            // The MbedTLS session keeps its state on the TLS heap, not in the future; the
            // whole loop's size above includes its handshake future.
            println!("(MbedTLS: only the whole loop is measured; see the TLS heap figures)");
        }
        Some(tls) => {
            let mut conn: TlsConnection<'_, _, CipherSuite> =
                TlsConnection::new(&mut socket, tls_read, tls_write);
            let config = TlsConfig::new().with_server_name(tls.server_name);
            let mut rng = OsRng;
            let provider: Provider<'_, _, NoClock> = Provider::new(&mut rng, tls.verify);
            let open = conn.open(TlsContext::new(&config, provider));
            println!(
                "future-size TlsConnection::open: {} bytes",
                size_of_val(&open)
            );
            match open.await {
                Ok(()) => {
                    measure(
                        "TlsConnection<TcpSocket>",
                        &mut conn,
                        client_rx,
                        client_tx,
                        settings,
                    )
                    .await
                }
                Err(e) => println!("TLS handshake failed: {e:?}"),
            }
        }
    }
    socket.abort();
    let _ = socket.flush().await;
}

async fn measure<T: Read + Write>(
    name: &str,
    mut io: T,
    rx: &mut [u8],
    tx: &mut [u8],
    settings: &RouterSettings<'_>,
) {
    {
        let (mut progress, mut observer) = (Progress::default(), ());
        let fut = session(
            &mut io,
            &mut *rx,
            &mut *tx,
            settings,
            &mut observer,
            &mut progress,
        );
        println!(
            "future-size session over {name}: {} bytes",
            size_of_val(&fut)
        );
    }
    let mut client = Client::new(io, rx, tx);
    {
        let fut = client.login(settings.username, settings.password);
        println!(
            "future-size Client::login over {name}: {} bytes",
            size_of_val(&fut)
        );
    }
    {
        let fut = client.command(&["/system/identity/print"]);
        println!(
            "future-size Client::command over {name}: {} bytes",
            size_of_val(&fut)
        );
    }
    // A real Response needs the command written; the router answers (a not-logged-in
    // trap or rows), which is irrelevant here: only the futures' sizes are printed.
    let sent = client.command(&["/system/identity/print"]).await;
    match sent {
        Ok(mut response) => {
            {
                let fut = response.next();
                println!(
                    "future-size Response::next over {name}: {} bytes",
                    size_of_val(&fut)
                );
            }
            let fut = response.cancel();
            println!(
                "future-size Response::cancel over {name}: {} bytes",
                size_of_val(&fut)
            );
        }
        Err(e) => println!("cannot send a command to measure: {e}"),
    }
}
