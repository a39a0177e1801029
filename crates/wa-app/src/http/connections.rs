//! Accepting connections: TCP_NODELAY, HTTP/1.1 with a header read timeout, graceful shutdown.
//!
//! axum's own `serve` sets no timer, so a client sending its headers a byte at a time could hold
//! a connection forever. Here each connection is served by hyper with `header_read_timeout`
//! (which also bounds how long a kept-alive connection may idle before its next request); a
//! connection closed by it is counted as `wa_http_timeouts_total{phase="headers"}`. On shutdown
//! the listener stops accepting and every open connection finishes the request in hand, then
//! closes.

use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    service::TowerToHyperService,
};
use tokio::{net::TcpListener, task::JoinSet};
use tokio_util::sync::CancellationToken;

/// Serves `router` on `listener` until `cancel` fires and every connection has finished.
pub async fn serve(
    listener: TcpListener,
    router: axum::Router,
    header_timeout: Duration,
    cancel: CancellationToken,
) {
    let mut connections = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            () = cancel.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        // Finished connections are collected as we go, so the set holds only live ones.
        while connections.try_join_next().is_some() {}
        let (tcp, _) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors and the like: wait a little rather than spin.
                tracing::warn!(error = %error, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        // Without TCP_NODELAY, a response written in two segments (head, then body) waits for
        // the client's delayed ACK before its second segment leaves: milliseconds per request
        // on a kept-alive connection, whatever the handler costs.
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::warn!(error = %error, "TCP_NODELAY could not be set on a connection");
        }
        let service = TowerToHyperService::new(router.clone());
        let cancel = cancel.clone();
        connections.spawn(async move {
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout);
            let connection = builder.serve_connection(TokioIo::new(tcp), service);
            let mut connection = std::pin::pin!(connection);
            let result = tokio::select! {
                result = connection.as_mut() => result,
                () = cancel.cancelled() => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = result {
                if error.is_timeout() {
                    metrics::counter!("wa_http_timeouts_total", "phase" => "headers").increment(1);
                    tracing::debug!("connection closed: headers not received in time");
                } else {
                    tracing::debug!(error = %error, "connection ended with an error");
                }
            }
        });
    }
    while connections.join_next().await.is_some() {}
}
