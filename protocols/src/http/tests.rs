#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

use super::*;
use crate::auth::AuthOutcome;
use crate::common::testutil::stream;
use crate::event::EventKind;
use crate::parser::Direction::{ToClient, ToServer};

const GET: &[u8] = b"GET /index.html HTTP/1.1\r\n\
Host: plc.example\r\n\
User-Agent: curl/8.0\r\n\
Accept: */*\r\n\r\n";

/// RFC 7617 section 2 credentials: "Aladdin:open sesame".
const GET_BASIC: &[u8] = b"GET /admin HTTP/1.1\r\n\
Host: 10.0.0.5\r\n\
Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n";

const OK_WITH_BODY: &[u8] =
    b"HTTP/1.1 200 OK\r\nServer: lighttpd\r\nContent-Length: 5\r\n\r\nhello";
const UNAUTHORIZED: &[u8] =
    b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"x\"\r\nContent-Length: 0\r\n\r\n";

fn kinds(ev: &[EventKind]) -> Vec<&'static str> {
    ev.iter().map(EventKind::type_name).collect()
}

#[test]
fn request_fields() {
    let (r, body) = parse_request_head(GET).unwrap();
    assert_eq!(r.method, "GET");
    assert_eq!(r.uri, "/index.html");
    assert_eq!(r.host.as_deref(), Some("plc.example"));
    assert_eq!(r.user_agent.as_deref(), Some("curl/8.0"));
    assert_eq!(r.basic_auth_user, None);
    assert_eq!(body, None);
}

#[test]
fn basic_auth_reports_the_user_and_never_the_password() {
    let mut p = Parser::new();
    let ev = stream(&mut p, &[(ToServer, GET_BASIC), (ToClient, OK_WITH_BODY)]);
    assert_eq!(
        kinds(&ev),
        ["auth", "http_request", "http_response", "auth"]
    );
    let EventKind::Auth(a) = &ev[0] else { panic!() };
    assert_eq!(a.protocol, AppProtocol::Http);
    assert_eq!(a.outcome, AuthOutcome::Attempt);
    assert!(a.cleartext);
    assert_eq!(a.user.as_deref(), Some("Aladdin"));
    let EventKind::Auth(a) = &ev[3] else { panic!() };
    assert_eq!(a.outcome, AuthOutcome::Success);
    let dump = format!("{ev:?}");
    assert!(!dump.contains("sesame"), "password leaked: {dump}");
    assert!(
        !dump.contains("QWxhZGRpbjpvcGVuIHNlc2FtZQ"),
        "credential leaked"
    );
}

#[test]
fn status_401_is_a_failed_login() {
    let mut p = Parser::new();
    let ev = stream(&mut p, &[(ToServer, GET_BASIC), (ToClient, UNAUTHORIZED)]);
    let EventKind::Auth(a) = ev.last().unwrap() else {
        panic!()
    };
    assert_eq!(a.outcome, AuthOutcome::Failure);
    assert_eq!(a.status, Some(401));
    assert_eq!(a.user.as_deref(), Some("Aladdin"));
    // Without credentials a 401 is still a failure, just not a cleartext one.
    let mut p = Parser::new();
    let ev = stream(&mut p, &[(ToServer, GET), (ToClient, UNAUTHORIZED)]);
    let EventKind::Auth(a) = ev.last().unwrap() else {
        panic!()
    };
    assert_eq!(
        (a.outcome, a.cleartext, a.user.as_deref()),
        (AuthOutcome::Failure, false, None)
    );
}

#[test]
fn keep_alive_with_bodies_and_byte_splits() {
    let mut up = GET.to_vec();
    up.extend_from_slice(b"POST /x HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcd");
    up.extend_from_slice(GET);
    let mut down = OK_WITH_BODY.to_vec();
    down.extend_from_slice(OK_WITH_BODY);
    down.extend_from_slice(UNAUTHORIZED);
    for chunk in [1, 3, 7, 1000] {
        let mut p = Parser::new();
        let mut feed: Vec<_> = up.chunks(chunk).map(|c| (ToServer, c)).collect();
        feed.extend(down.chunks(chunk).map(|c| (ToClient, c)));
        let ev = stream(&mut p, &feed);
        let reqs: Vec<_> = ev
            .iter()
            .filter_map(|e| match e {
                EventKind::HttpRequest(r) => Some(r.method.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(reqs, ["GET", "POST", "GET"], "chunk {chunk}");
        let statuses: Vec<_> = ev
            .iter()
            .filter_map(|e| match e {
                EventKind::HttpResponse(r) => Some(r.status),
                _ => None,
            })
            .collect();
        assert_eq!(statuses, [200, 200, 401], "chunk {chunk}");
    }
}

#[test]
fn chunked_body_is_skipped_by_resync() {
    let down = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
5\r\nhello\r\n0\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    let mut p = Parser::new();
    let ev = stream(&mut p, &[(ToClient, down)]);
    let statuses: Vec<_> = ev
        .iter()
        .filter_map(|e| match e {
            EventKind::HttpResponse(r) => Some(r.status),
            _ => None,
        })
        .collect();
    assert_eq!(statuses, [200, 404]);
}

#[test]
fn http_0_9_simple_request() {
    let (r, body) = parse_request_head(b"GET /\r\n\r\n").unwrap();
    assert_eq!(
        (r.method.as_str(), r.uri.as_str(), body),
        ("GET", "/", None)
    );
    assert!(parse_request_head(b"GET\r\n\r\n").is_err());
}

#[test]
fn head_without_end_is_capped() {
    let mut up = b"GET / HTTP/1.1\r\nX: ".to_vec();
    up.resize(MAX_HEAD_LEN + 100, b'a');
    let mut p = Parser::new();
    let ev = stream(&mut p, &[(ToServer, &up)]);
    assert!(matches!(&ev[..], [EventKind::ParseError(e)] if e.reason == "head_too_long"));
}

#[test]
fn long_fields_are_capped_and_non_utf8_replaced() {
    let mut up = b"GET /".to_vec();
    up.extend_from_slice(&[b'a'; 400]);
    up.extend_from_slice(b" HTTP/1.1\r\nUser-Agent: bad\xff\xfe\r\n\r\n");
    let (r, _) = parse_request_head(&up).unwrap();
    assert_eq!(r.uri.len(), MAX_FIELD_LEN);
    assert_eq!(r.user_agent.as_deref(), Some("bad\u{fffd}\u{fffd}"));
}

#[test]
fn probe_cases() {
    assert_eq!(probe(GET, ToServer), Probe::Match);
    assert_eq!(probe(b"GE", ToServer), Probe::NeedMore);
    assert_eq!(probe(b"\x16\x03\x01", ToServer), Probe::NoMatch);
    assert_eq!(probe(OK_WITH_BODY, ToClient), Probe::Match);
    assert_eq!(probe(b"SSH-2.0-", ToClient), Probe::NoMatch);
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(a in proptest::collection::vec(any::<u8>(), 0..500),
                                        b in proptest::collection::vec(any::<u8>(), 0..500)) {
            let mut p = Parser::new();
            let _ = stream(&mut p, &[(ToServer, &a), (ToClient, &b), (ToServer, GET), (ToClient, &a)]);
            let _ = parse_request_head(&a);
            let _ = parse_response_head(&b);
        }

        #[test]
        fn split_points_do_not_change_events(cut in 0usize..300) {
            let mut up = GET_BASIC.to_vec();
            up.extend_from_slice(GET);
            let cut = cut.min(up.len());
            let mut p = Parser::new();
            let whole = stream(&mut p, &[(ToServer, &up)]);
            let mut p = Parser::new();
            let split = stream(&mut p, &[(ToServer, &up[..cut]), (ToServer, &up[cut..])]);
            prop_assert_eq!(whole, split);
        }
    }
}
