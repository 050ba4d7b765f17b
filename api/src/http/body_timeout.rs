//! Read timeouts for request bodies.
//!
//! actix answers 408 to a client that does not finish its headers in time, but once they are
//! in, it waits for the body for as long as the client likes: a connection that declares
//! `Content-Length: 1000` and sends one byte holds a file descriptor for minutes, and a few
//! thousand of them exhaust the server. Every body is read through [`TimedBody`] instead,
//! which fails the read when no byte arrives for `BODY_IDLE_TIMEOUT_SECS`, or when the whole
//! body takes longer than `BODY_IDLE_TIMEOUT_SECS` plus its length at `BODY_MIN_BYTES_PER_SEC`
//! (the largest accepted upload when the length is not declared). A slow but steady client
//! (a phone uploading a scan on a poor network) stays within both. The request is then
//! answered 408 and the connection closed: its unread bytes cannot be skipped.

use std::{
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    task::{Context, Poll},
    time::Duration,
};

use actix_web::{
    Error, HttpMessage, HttpResponse,
    body::{BoxBody, MessageBody},
    dev::{Payload, ServiceRequest, ServiceResponse},
    error::PayloadError,
    http::header,
    middleware::Next,
    web::Bytes,
};
use futures_util::Stream;
use tokio::time::{Instant, Sleep, sleep_until};

/// The limits for one body.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    /// Longest wait for the next bytes.
    pub idle: Duration,
    /// Longest time for the whole body.
    pub total: Duration,
}

impl BodyLimits {
    /// `idle_secs` between chunks; in all, `idle_secs` plus `length` bytes at
    /// `min_bytes_per_sec`.
    pub fn new(idle_secs: u64, min_bytes_per_sec: u64, length: u64) -> Self {
        let idle = Duration::from_secs(idle_secs);
        let transfer = Duration::from_secs(length / min_bytes_per_sec.max(1));
        Self {
            idle,
            total: idle.saturating_add(transfer),
        }
    }
}

/// A request body that fails with a timed-out read, and says so in `expired`.
pub struct TimedBody {
    inner: Payload,
    idle: Duration,
    deadline: Instant,
    timer: Pin<Box<Sleep>>,
    expired: Arc<AtomicBool>,
}

impl TimedBody {
    pub fn new(inner: Payload, limits: BodyLimits, expired: Arc<AtomicBool>) -> Self {
        let now = Instant::now();
        let deadline = now + limits.total;
        Self {
            inner,
            idle: limits.idle,
            deadline,
            timer: Box::pin(sleep_until((now + limits.idle).min(deadline))),
            expired,
        }
    }
}

impl Stream for TimedBody {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.expired.load(Ordering::Relaxed) {
            return Poll::Ready(None);
        }
        match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                let next = (Instant::now() + self.idle).min(self.deadline);
                self.timer.as_mut().reset(next);
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Pending => match self.timer.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    self.expired.store(true, Ordering::Relaxed);
                    Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "the request body was not received in time",
                    )))))
                }
                Poll::Pending => Poll::Pending,
            },
            other => other,
        }
    }
}

/// What [`time_bodies`] needs from the settings.
#[derive(Debug, Clone, Copy)]
pub struct BodyTimeouts {
    pub idle_secs: u64,
    pub min_bytes_per_sec: u64,
    /// The length assumed when none is declared: the largest body accepted anywhere.
    pub max_body: u64,
}

impl BodyTimeouts {
    pub fn from_settings(settings: &crate::config::Settings) -> Self {
        Self {
            idle_secs: settings.graphql.body_idle_timeout_secs,
            min_bytes_per_sec: settings.graphql.body_min_bytes_per_sec,
            // Every upload (reports and avatars) is a multipart body.
            max_body: super::graphql::largest_body(settings),
        }
    }
}

/// Middleware: every request's body read through [`TimedBody`]; 408 and a closed connection
/// when it expired.
pub async fn time_bodies(
    timeouts: BodyTimeouts,
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let declared = super::declared_length(req.request());
    let chunked = req.headers().contains_key(header::TRANSFER_ENCODING);
    // Without either header an HTTP/1.1 request has no body; its payload is then, for a
    // WebSocket upgrade, the socket's frames, which have their own keep-alive rules.
    if declared.is_none_or(|length| length == 0) && !chunked {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let length = declared.unwrap_or(timeouts.max_body);
    let limits = BodyLimits::new(timeouts.idle_secs, timeouts.min_bytes_per_sec, length);
    let expired = Arc::new(AtomicBool::new(false));
    let body = TimedBody::new(req.take_payload(), limits, expired.clone());
    let body: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> = Box::pin(body);
    req.set_payload(Payload::from(body));
    let response = next.call(req).await?;
    if !expired.load(Ordering::Relaxed) {
        return Ok(response.map_into_boxed_body());
    }
    let (req, _) = response.into_parts();
    let timeout = HttpResponse::RequestTimeout()
        .force_close()
        .content_type("text/plain; charset=utf-8")
        .body("the request body was not received in time");
    Ok(ServiceResponse::new(req, timeout))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deadline_grows_with_the_body() {
        let small = BodyLimits::new(10, 1024, 0);
        assert_eq!(
            (small.idle, small.total),
            (Duration::from_secs(10), Duration::from_secs(10))
        );
        let upload = BodyLimits::new(10, 1024, 20 * 1024 * 1024);
        assert_eq!(upload.total, Duration::from_secs(10 + 20 * 1024));
        assert_eq!(
            BodyLimits::new(10, 0, 5).total,
            Duration::from_secs(15),
            "a zero rate is 1 B/s"
        );
    }
}
