#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;
use crate::common::testutil::datagrams;

const NOTIFY: &[u8] = b"NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nCACHE-CONTROL: max-age=1800\r\nLOCATION: http://192.168.1.9:2869/upnphost/udhisapi.dll?content=uuid:1\r\nNT: urn:schemas-upnp-org:device:MediaServer:1\r\nNTS: ssdp:alive\r\nSERVER: Microsoft-Windows/6.1 UPnP/1.0 UPnP-Device-Host/1.0\r\nUSN: uuid:1::urn:schemas-upnp-org:device:MediaServer:1\r\n\r\n";

#[test]
fn notify_headers() {
    let m = parse_message(NOTIFY).unwrap();
    assert_eq!(m.method.as_deref(), Some("NOTIFY"));
    assert_eq!(
        m.server.as_deref(),
        Some("Microsoft-Windows/6.1 UPnP/1.0 UPnP-Device-Host/1.0")
    );
    assert_eq!(
        m.nt.as_deref(),
        Some("urn:schemas-upnp-org:device:MediaServer:1")
    );
    assert_eq!(m.nts.as_deref(), Some("ssdp:alive"));
    assert!(m.usn.unwrap().starts_with("uuid:1"));
    assert_eq!(probe(NOTIFY, Direction::ToServer), Probe::Match);
}

#[test]
fn search_and_response() {
    let s = parse_message(b"M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n").unwrap();
    assert_eq!(s.st.as_deref(), Some("ssdp:all"));
    let r = parse_message(b"HTTP/1.1 200 OK\r\nST: upnp:rootdevice\r\nUSN: uuid:2::upnp:rootdevice\r\nSERVER: Linux/3.14 UPnP/1.0 IpBridge/1.26.0\r\n\r\n").unwrap();
    assert!(r.response);
    assert_eq!(r.status, Some(200));
    assert_eq!(
        parse_message(b"GET / HTTP/1.1\r\n\r\n"),
        Err(SsdpError::BadStartLine)
    );
}

#[test]
fn parser_counts_errors() {
    let mut p = Parser::new();
    let ev = datagrams(
        &mut p,
        &[
            (Direction::ToServer, NOTIFY),
            (Direction::ToServer, b"junk"),
        ],
    );
    assert!(matches!(ev[0], EventKind::Ssdp(_)));
    assert!(matches!(&ev[1], EventKind::ParseError(e) if e.protocol == AppProtocol::Ssdp));
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = parse_message(&b);
            let _ = probe(&b, Direction::ToServer);
        }

        #[test]
        fn headers_round_trip(v in "[A-Za-z0-9/ .:-]{1,100}") {
            let v = v.trim().to_string();
            prop_assume!(!v.is_empty());
            let msg = format!("NOTIFY * HTTP/1.1\r\nSERVER: {v}\r\n\r\n");
            prop_assert_eq!(parse_message(msg.as_bytes()).unwrap().server, Some(v));
        }
    }
}
