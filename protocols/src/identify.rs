//! Which application protocol a flow carries, and the parser that decodes it.
//!
//! A flow is identified once, from its first payloads:
//! 1. The IP protocol alone for ESP, AH, GRE and L2TPv3 (no ports, nothing to probe).
//! 2. Payload probes: the port's protocol first, then every protocol with a distinctive
//!    header, on any port (so Modbus on 5020 is still Modbus). The first `Match` wins
//!    ([`DetectedBy::Probe`]).
//! 3. Otherwise the port: a well-known server port whose protocol has no probe, or whose
//!    probe did not confirm, names the flow ([`DetectedBy::Port`]).
//!
//! A strict port claim (Modbus on TCP 502, see [`ProtocolSpec::strict`]): a client
//! payload its probe rejects (or, with no client payload in the first
//! [`MAX_PROBE_PAYLOADS`], a rejected server payload) is reported as
//! [`EventKind::NotProtocol`] and the flow is never handed to that parser, since
//! misparsing arbitrary bytes as register writes would feed false facts to detection.
//!
//! Which protocols exist, their ports, probes and probe order come from
//! [`crate::registry`].
//!
//! Probing stops after [`MAX_PROBE_PAYLOADS`] payloads; bytes seen while probing are not
//! replayed to the parser chosen later (parsers resynchronise on their own).

use crate::event::{AppProtocol, DetectedBy, EventKind, ProtocolDetected};
use crate::parser::{AppParser, Direction, ParseCtx, Probe};
use crate::registry::{self, ProtocolSpec, ProtocolsConfig, Transport};

/// Payloads (either direction) probed before settling on the port hint or Unknown.
pub const MAX_PROBE_PAYLOADS: u8 = 4;

/// Identification state of one flow: 5 bytes.
#[derive(Copy, Clone, Debug, Default)]
pub struct Ident {
    app: Option<AppProtocol>,
    hint: Option<AppProtocol>,
    payloads: u8,
    /// The port's strict protocol whose probe disagreed: never parse this flow as it.
    rejected: Option<AppProtocol>,
    /// The strict hint's probe rejected the server's bytes; the client's are not seen yet.
    doubt: bool,
}

impl Ident {
    /// The identified protocol, `Unknown` until (or unless) there is one.
    pub fn app(&self) -> AppProtocol {
        self.app.unwrap_or(AppProtocol::Unknown)
    }

    /// Still looking at payloads.
    #[inline]
    pub fn probing(&self) -> bool {
        self.app.is_none() && self.payloads < MAX_PROBE_PAYLOADS
    }
}

/// Sets the port hint of a new flow, or identifies it outright by IP protocol.
pub fn on_flow_start(
    ident: &mut Ident,
    parser: &mut AppParser,
    ctx: &mut ParseCtx<'_>,
    cfg: &ProtocolsConfig,
    proto: u8,
    server_port: u16,
    client_port: u16,
) {
    if let Some(app) = registry::ip_proto_app(proto) {
        settle(ident, parser, ctx, cfg, app, DetectedBy::Port, 0);
        return;
    }
    ident.hint =
        registry::port_hint(proto, server_port).or_else(|| registry::port_hint(proto, client_port));
}

/// Looks at one payload of a flow still being identified; on success creates the parser
/// (the caller then hands it this same payload).
#[allow(clippy::too_many_arguments)]
pub fn on_payload(
    ident: &mut Ident,
    parser: &mut AppParser,
    ctx: &mut ParseCtx<'_>,
    cfg: &ProtocolsConfig,
    proto: u8,
    server_port: u16,
    dir: Direction,
    data: &[u8],
) {
    if !ident.probing() || data.is_empty() {
        return;
    }
    let Some(transport) = Transport::of(proto) else {
        return;
    };
    ident.payloads = ident.payloads.saturating_add(1);
    let mut hint_verdict = None;
    let hint = ident.hint.map(registry::spec);
    if let Some(h) = hint
        && let Some(probe) = h.on(transport).probe
    {
        let mut v = probe(data, dir);
        if v == Probe::Match {
            settle(
                ident,
                parser,
                ctx,
                cfg,
                h.app,
                DetectedBy::Probe,
                server_port,
            );
            return;
        }
        if h.strict && v == Probe::NoMatch {
            if dir == Direction::ToServer || !ident.probing() {
                reject(ident, ctx, h, server_port);
            } else {
                // A server's bytes alone do not condemn the port (a fuzzed or odd first
                // segment): wait for a request, the unit a client must send.
                ident.doubt = true;
                v = Probe::NeedMore;
            }
        }
        hint_verdict = Some(v);
    }
    let hint_app = ident.hint;
    for (s, on) in registry::probes(transport) {
        if Some(s.app) == hint_app || !on.any_port || Some(s.app) == ident.rejected {
            continue;
        }
        if on
            .probe
            .is_some_and(|probe| probe(data, dir) == Probe::Match)
        {
            settle(
                ident,
                parser,
                ctx,
                cfg,
                s.app,
                DetectedBy::Probe,
                server_port,
            );
            return;
        }
    }
    if let Some(h) = ident.hint.map(registry::spec) {
        // The port's protocol has no probe, or its probe did not confirm: the port
        // decides, unless the probe still wants more bytes and we may wait for them.
        if hint_verdict != Some(Probe::NeedMore) || !ident.probing() {
            if h.strict && ident.doubt {
                reject(ident, ctx, h, server_port);
            } else {
                settle(
                    ident,
                    parser,
                    ctx,
                    cfg,
                    h.app,
                    DetectedBy::Port,
                    server_port,
                );
            }
        }
    }
}

/// A strict port carrying something else: say so once, and never parse the flow as the
/// port's protocol.
fn reject(ident: &mut Ident, ctx: &mut ParseCtx<'_>, hint: &ProtocolSpec, server_port: u16) {
    ident.rejected = Some(hint.app);
    ident.hint = None;
    ctx.emit(EventKind::NotProtocol(ProtocolDetected {
        protocol: hint.app,
        by: DetectedBy::Probe,
        server_port,
    }));
}

/// Records the protocol, emits `protocol_detected`, counts it and creates the parser.
fn settle(
    ident: &mut Ident,
    parser: &mut AppParser,
    ctx: &mut ParseCtx<'_>,
    cfg: &ProtocolsConfig,
    app: AppProtocol,
    by: DetectedBy,
    server_port: u16,
) {
    ident.app = Some(app);
    let n = ctx.stats.protocols.entry(app).or_insert(0);
    *n = n.saturating_add(1);
    ctx.emit(EventKind::ProtocolDetected(ProtocolDetected {
        protocol: app,
        by,
        server_port,
    }));
    *parser = match registry::spec(app).parser {
        Some(new) => AppParser::new(new(cfg)),
        None => AppParser::default(),
    };
}
