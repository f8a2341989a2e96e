//! Slow request bodies (security review, issue 9 item 6): a body that has not arrived in full
//! within `body_read_timeout` is answered 408 in the family's envelope and the connection is
//! closed; a body the handler never reads does not hold the connection either. These tests
//! speak HTTP/1.1 over a raw TCP connection, since an HTTP client would send the whole body.

use crate::families::{assert_application_error, assert_v1_error};
use crate::helpers::{
    ADMIN_PASSWORD, ADMIN_USERNAME, Backend, TestApp, TestResponse, assert_v2_error,
    assert_v2_message, both_backends, spawn_app_with,
};
use base64::Engine;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// The body read deadline of these tests' apps.
const DEADLINE: Duration = Duration::from_secs(1);
/// How long a test waits beyond the deadline for the answer and the close before it fails.
const GRACE: Duration = Duration::from_secs(5);

async fn spawn(backend: Backend) -> TestApp {
    spawn_app_with(backend, |s| s.body_read_timeout = DEADLINE).await
}

/// `Authorization: Basic …` for the first admin.
fn admin_basic() -> String {
    let pair = format!("{ADMIN_USERNAME}:{ADMIN_PASSWORD}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// Opens a connection and sends `bytes` (a request head and the start of its body).
async fn send_start(app: &TestApp, bytes: &str) -> TcpStream {
    let mut stream = TcpStream::connect(("127.0.0.1", app.port))
        .await
        .expect("connect");
    stream.write_all(bytes.as_bytes()).await.expect("write");
    stream
}

/// What arrived on a connection until the server closed it.
struct Received {
    bytes: Vec<u8>,
}

/// Reads until the server closes the connection (end of stream or reset); fails the test when
/// it is still open `DEADLINE + GRACE` after `since`.
async fn read_until_closed(stream: &mut (impl AsyncRead + Unpin), since: Instant) -> Received {
    let limit = since + DEADLINE + GRACE;
    let mut bytes = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(limit, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Received { bytes },
            Ok(Ok(n)) => bytes.extend_from_slice(&buf[..n]),
            Err(_) => panic!(
                "the connection is still open {:?} after the request started; received {:?}",
                DEADLINE + GRACE,
                String::from_utf8_lossy(&bytes)
            ),
        }
    }
}

/// Reads one response (head and `Content-Length` body) from an open connection, failing the
/// test when it does not arrive within `GRACE`.
async fn read_one_response(stream: &mut TcpStream) -> TestResponse {
    let limit = Instant::now() + GRACE;
    let mut bytes = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some((response, _)) = parse_response(&bytes) {
            return response;
        }
        match tokio::time::timeout_at(limit, stream.read(&mut buf)).await {
            Ok(Ok(0)) => panic!("closed before a whole response: {bytes:?}"),
            Ok(Ok(n)) => bytes.extend_from_slice(&buf[..n]),
            Ok(Err(e)) => panic!("read failed: {e}"),
            Err(_) => panic!("no whole response within {GRACE:?}: {bytes:?}"),
        }
    }
}

/// Parses one HTTP/1.1 response with a `Content-Length` body from the start of `bytes`;
/// `None` while it is incomplete. Returns the response and the number of bytes it took.
fn parse_response(bytes: &[u8]) -> Option<(TestResponse, usize)> {
    let head_end = bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&bytes[..head_end]).expect("an ASCII head");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("a status line");
    let code: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("a status line: {status_line:?}"));
    let mut headers = HeaderMap::new();
    for line in lines {
        let (name, value) = line.split_once(':').expect("a header line");
        headers.append(
            HeaderName::from_bytes(name.trim().as_bytes()).unwrap(),
            HeaderValue::from_str(value.trim()).unwrap(),
        );
    }
    let length: usize = headers
        .get("content-length")
        .map_or(0, |v| v.to_str().unwrap().parse().unwrap());
    let body_start = head_end + 4;
    if bytes.len() < body_start + length {
        return None;
    }
    Some((
        TestResponse {
            status: StatusCode::from_u16(code).unwrap(),
            headers,
            body: bytes[body_start..body_start + length].to_vec(),
        },
        body_start + length,
    ))
}

/// The one response on a connection the server has closed, with `Connection: close`.
#[track_caller]
fn only_response(received: &Received) -> TestResponse {
    let (response, used) = parse_response(&received.bytes).unwrap_or_else(|| {
        panic!(
            "no whole response before the close: {:?}",
            String::from_utf8_lossy(&received.bytes)
        )
    });
    assert_eq!(used, received.bytes.len(), "exactly one response");
    assert_eq!(
        response.header("connection").as_deref(),
        Some("close"),
        "{:?}",
        response.headers
    );
    response
}

both_backends!(a_token_body_that_stops_arriving_is_408_in_the_v2_envelope_and_closes);
async fn a_token_body_that_stops_arriving_is_408_in_the_v2_envelope_and_closes(backend: Backend) {
    let app = spawn(backend).await;
    let started = Instant::now();
    let mut stream = send_start(
        &app,
        "POST /token HTTP/1.1\r\nHost: rollcall\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n\
         username=adm",
    )
    .await;
    let response = only_response(&read_until_closed(&mut stream, started).await);
    assert_v2_message(
        &response,
        408,
        "The request body did not arrive in full within 1 s.",
    );
}

both_backends!(a_body_sent_a_byte_at_a_time_is_cut_at_the_deadline);
async fn a_body_sent_a_byte_at_a_time_is_cut_at_the_deadline(backend: Backend) {
    let app = spawn(backend).await;
    let started = Instant::now();
    let stream = send_start(
        &app,
        "POST /token HTTP/1.1\r\nHost: rollcall\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n",
    )
    .await;
    let (mut reader, mut writer) = stream.into_split();
    // A byte every fifth of the deadline: the connection is never idle for long, and the
    // whole body would take 20 deadlines.
    let dribble = tokio::spawn(async move {
        loop {
            tokio::time::sleep(DEADLINE / 5).await;
            if writer.write_all(b"u").await.is_err() {
                break;
            }
        }
    });
    let received = read_until_closed(&mut reader, started).await;
    dribble.abort();
    assert_v2_error(&only_response(&received), 408);
}

both_backends!(a_chunked_body_that_stops_arriving_is_408_and_closes);
async fn a_chunked_body_that_stops_arriving_is_408_and_closes(backend: Backend) {
    let app = spawn(backend).await;
    let started = Instant::now();
    let mut stream = send_start(
        &app,
        "POST /token HTTP/1.1\r\nHost: rollcall\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n\
         5\r\nusern\r\n",
    )
    .await;
    let response = only_response(&read_until_closed(&mut stream, started).await);
    assert_v2_error(&response, 408);
}

both_backends!(v1_and_application_answer_a_slow_body_in_their_envelopes);
async fn v1_and_application_answer_a_slow_body_in_their_envelopes(backend: Backend) {
    let app = spawn(backend).await;
    let basic = admin_basic();

    let started = Instant::now();
    let mut stream = send_start(
        &app,
        &format!(
            "PUT /api/v1/users/slowpoke HTTP/1.1\r\nHost: rollcall\r\nAuthorization: {basic}\r\n\
             Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"value\": {{\"pass"
        ),
    )
    .await;
    let response = only_response(&read_until_closed(&mut stream, started).await);
    assert_eq!(assert_v1_error(&response, 408), "Request Timeout");

    let started = Instant::now();
    let mut stream = send_start(
        &app,
        &format!(
            "POST /api/application/users HTTP/1.1\r\nHost: rollcall\r\nAuthorization: {basic}\r\n\
             Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"email\": \"slow"
        ),
    )
    .await;
    let response = only_response(&read_until_closed(&mut stream, started).await);
    let error = assert_application_error(&response, 408);
    assert_eq!(error["code"], "HttpException", "{error}");
    assert_eq!(
        error["detail"],
        "The request body did not arrive in full within 1 s."
    );

    // Nothing was written.
    app.call(reqwest::Method::GET, "/api/v1/users/slowpoke", &app.admin())
        .await
        .assert_status(404);
}

both_backends!(a_body_the_handler_never_reads_does_not_hold_the_connection);
async fn a_body_the_handler_never_reads_does_not_hold_the_connection(backend: Backend) {
    let app = spawn(backend).await;
    // (request head and the start of a body that never ends, the status answered)
    let cases = [
        // No route reads a GET body.
        (
            "GET /healthz HTTP/1.1\r\nHost: rollcall\r\nTransfer-Encoding: chunked\r\n\r\n\
             1\r\na\r\n",
            200,
        ),
        (
            "GET /healthz HTTP/1.1\r\nHost: rollcall\r\nContent-Length: 100\r\n\r\nabc",
            200,
        ),
        // Refused before the body is read.
        (
            "POST /api/v2/users HTTP/1.1\r\nHost: rollcall\r\nContent-Type: application/json\r\n\
             Transfer-Encoding: chunked\r\n\r\n1\r\n{\r\n",
            401,
        ),
        (
            "POST /api/v2/users HTTP/1.1\r\nHost: rollcall\r\nContent-Type: application/json\r\n\
             Content-Length: 100\r\n\r\n{",
            401,
        ),
        // An unknown route.
        (
            "POST /api/v2/nothing HTTP/1.1\r\nHost: rollcall\r\nTransfer-Encoding: chunked\r\n\r\n\
             1\r\n{\r\n",
            404,
        ),
    ];
    for (request, status) in cases {
        let started = Instant::now();
        let mut stream = send_start(&app, request).await;
        let received = read_until_closed(&mut stream, started).await;
        only_response(&received).assert_status(status);
    }
}

both_backends!(complete_bodies_keep_the_connection_alive);
async fn complete_bodies_keep_the_connection_alive(backend: Backend) {
    let app = spawn(backend).await;
    let form = "username=admin&password=wrong-password";
    let requests = [
        format!(
            "POST /token HTTP/1.1\r\nHost: rollcall\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
            form.len()
        ),
        format!(
            "POST /token HTTP/1.1\r\nHost: rollcall\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n\
             {:x}\r\n{form}\r\n0\r\n\r\n",
            form.len()
        ),
    ];
    let mut stream = TcpStream::connect(("127.0.0.1", app.port))
        .await
        .expect("connect");
    for request in &requests {
        stream.write_all(request.as_bytes()).await.expect("write");
        let response = read_one_response(&mut stream).await;
        assert_ne!(
            response.header("connection").as_deref(),
            Some("close"),
            "{request}"
        );
        assert_v2_message(&response, 401, "Incorrect username or password");
    }
}
