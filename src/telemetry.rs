//! Metrics glue: turns the pipeline's plain counters into a [`MetricsSnapshot`] and
//! serves it over HTTP on a small tokio runtime of its own, away from the packet path.

use crate::pipeline::RunHandles;
use anyhow::Context;
use mizuban_exporter::snapshot::{QueueDepth, QueueName, SourceCounters, TelecontrolCounters};
use mizuban_exporter::{Metrics, MetricsServer, MetricsSnapshot, WebConfig};
use mizuban_protocols::EngineStats;
use prometheus::Registry;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// How often the exporter's view is refreshed from the pipeline's counters.
pub const UPDATE_INTERVAL: Duration = Duration::from_millis(500);

/// Builds the exporter's snapshot from what the pipeline threads publish.
pub fn snapshot(handles: &RunHandles, source_name: &str) -> MetricsSnapshot {
    let mut s = MetricsSnapshot::default();
    let mut engine = EngineStats::default();
    if let Ok(all) = handles.engine.lock() {
        for e in all.iter() {
            engine.merge(e);
        }
    }
    s.sources.push(SourceCounters {
        name: source_name.to_string(),
        packets: handles.live.packets.load(Ordering::Relaxed),
        bytes: handles.live.bytes.load(Ordering::Relaxed),
    });
    s.drops = engine.drops.clone();
    if let Ok(d) = handles.source_drops.lock() {
        s.drops.merge(&d);
    }
    handles.syslog.add_to(&mut s.drops);
    s.syslog_sent = handles.syslog.sent.load(Ordering::Relaxed);
    if let Ok(e) = handles.live.encap.lock() {
        s.encap = *e;
    }
    s.flows_active = engine.flows_active;
    s.flows_evicted = engine.flows_evicted;
    let detector_bytes = handles.detector.lock().map_or(0, |d| d.memory_bytes);
    s.health = crate::pipeline::health::metrics(&engine, handles.memory_limit(), detector_bytes);
    s.reassembly_buffered_bytes = engine.reassembly_buffered_bytes;
    s.reassembly_gaps = engine.reassembly_gaps;
    s.tcp_acked_bytes = engine.acked_bytes;
    s.tcp_missed_bytes = engine.missed_bytes;
    s.protocol_counters = engine.protocol_counters();
    for (code, n) in engine.modbus.transactions_by_function.iter().enumerate() {
        if *n > 0 {
            s.modbus
                .transactions
                .insert(u8::try_from(code).unwrap_or(u8::MAX), *n);
        }
    }
    if let Ok(d) = handles.detector.lock() {
        s.events = d.events_by_protocol.clone();
        s.alerts = d.alert_occurrences.clone();
        s.findings_active = d.findings_active.clone();
        s.verdict = d.verdict;
    }
    let tracker = handles.tracker.lock().ok().and_then(|t| t.clone());
    if let Some(t) = tracker {
        crate::telemetry_detect::fill_assets(&mut s, &mizuban_detect::baseline::tracker::lock(&t));
    }
    fill_telecontrol(&mut s.telecontrol, &engine);
    s.modbus.exceptions = engine.modbus.exceptions.clone();
    for h in engine.modbus.response_times.by_server.values() {
        s.modbus
            .response_time
            .merge(&mizuban_exporter::snapshot::LatencyBuckets::from_hdr_micros(h));
    }
    for (i, depth) in handles.queue_depths().into_iter().enumerate() {
        s.queues.push(QueueDepth {
            queue: QueueName::Worker(u16::try_from(i).unwrap_or(u16::MAX)),
            depth: depth.0,
            capacity: depth.1,
        });
    }
    s
}

/// The DNP3 and IEC 104 counters (issue 11) by bounded labels.
fn fill_telecontrol(t: &mut TelecontrolCounters, engine: &EngineStats) {
    let (d, i) = (&engine.dnp3, &engine.iec104);
    for (name, n) in d.fragments_by_name() {
        t.pdus.insert(("dnp3", name), n);
    }
    for (name, n) in i.i_frames_by_name() {
        t.pdus.insert(("iec104", name), n);
    }
    if i.s_frames > 0 {
        t.pdus.insert(("iec104", "s_frame"), i.s_frames);
    }
    for (name, n) in &i.u_frames {
        t.pdus.insert(("iec104", name), *n);
    }
    for (r, n) in &d.parse_errors {
        t.parse_errors.insert(("dnp3", r), *n);
    }
    for (r, n) in &i.parse_errors {
        t.parse_errors.insert(("iec104", r), *n);
    }
    t.dnp3_crc_errors.insert("header", d.crc_errors_header);
    t.dnp3_crc_errors.insert("data", d.crc_errors_data);
    t.sequence_errors
        .insert(("dnp3", "transport"), d.sequence_gaps);
    t.sequence_errors
        .insert(("iec104", "send_gap"), i.sequence_gaps);
    t.sequence_errors
        .insert(("iec104", "ack_out_of_window"), i.ack_out_of_window);
    for (k, n) in [
        (("dnp3", "object_headers"), d.objects_dropped),
        (("dnp3", "decoded_objects"), d.decoded_dropped),
        (("dnp3", "requests_over_cap"), d.tx_cap),
        (("dnp3", "fragments_in_progress"), d.reassembly_evicted),
        (("dnp3", "resync_bytes"), d.resync_skipped_bytes),
        (("iec104", "information_objects"), i.objects_dropped),
        (("iec104", "requests_over_cap"), i.tx_cap),
        (("iec104", "resync_bytes"), i.resync_skipped_bytes),
    ] {
        t.dropped.insert(k, n);
    }
}

/// A running metrics endpoint and the thread that keeps it current.
pub struct Telemetry {
    pub registry: Registry,
    metrics: Arc<Mutex<Metrics>>,
    pub local_addr: Option<SocketAddr>,
    runtime: Option<tokio::runtime::Runtime>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    updater: Option<(Arc<std::sync::atomic::AtomicBool>, JoinHandle<()>)>,
    handles: RunHandles,
    source_name: String,
}

impl Telemetry {
    /// Registers the metrics; serves them on `listen` when given.
    pub fn start(
        listen: Option<SocketAddr>,
        web_config: Option<&Path>,
        handles: &RunHandles,
        source_name: &str,
    ) -> anyhow::Result<Telemetry> {
        let registry = Registry::new();
        let mut metrics = Metrics::register(&registry).context("registering metrics")?;
        metrics.declare_alert_rules(&crate::telemetry_detect::declared_rules());
        metrics.declare_control_actions(&mizuban_detect::control::policy::CONTROL_PROTOCOLS);
        let metrics = Arc::new(Mutex::new(metrics));
        let mut t = Telemetry {
            registry: registry.clone(),
            metrics: metrics.clone(),
            local_addr: None,
            runtime: None,
            shutdown: None,
            updater: None,
            handles: handles.clone(),
            source_name: source_name.to_string(),
        };
        if let Some(addr) = listen {
            let web = web_config
                .map(WebConfig::from_file)
                .transpose()
                .context("metrics web config")?;
            let server = MetricsServer::bind(addr, web, registry).context("metrics listener")?;
            t.local_addr = Some(server.local_addr());
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("mizuban-http")
                .enable_all()
                .build()
                .context("starting the HTTP runtime")?;
            let (tx, rx) = tokio::sync::oneshot::channel::<()>();
            rt.spawn(async move {
                if let Err(e) = server
                    .run(async move {
                        let _ = rx.await;
                    })
                    .await
                {
                    eprintln!("mizuban: metrics server: {e}");
                }
            });
            t.runtime = Some(rt);
            t.shutdown = Some(tx);
        }
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (stop2, h, name) = (stop.clone(), handles.clone(), source_name.to_string());
        let thread = std::thread::Builder::new()
            .name("mizuban-metrics".into())
            .spawn(move || {
                while !stop2.load(Ordering::Relaxed) {
                    let snap = snapshot(&h, &name);
                    if let Ok(mut m) = metrics.lock() {
                        m.update(&snap);
                    }
                    std::thread::sleep(UPDATE_INTERVAL);
                }
            })
            .context("starting the metrics thread")?;
        t.updater = Some((stop, thread));
        Ok(t)
    }

    /// Takes a last snapshot (after the run, so the final totals are exported).
    pub fn update_now(&self) {
        let snap = snapshot(&self.handles, &self.source_name);
        if let Ok(mut m) = self.metrics.lock() {
            m.update(&snap);
        }
    }

    /// Live capture: SIGTERM/SIGINT stop the run (the pipeline drains and flushes);
    /// SIGHUP reopens the log files (logrotate moved them), re-reads the config file
    /// and hands the new detection policy to the detector thread, or keeps the running
    /// one if the file is bad.
    pub fn on_signals(&self, handles: RunHandles, config: Option<std::path::PathBuf>) {
        let Some(rt) = &self.runtime else { return };
        rt.spawn(async move {
            use tokio::signal::unix::{SignalKind, signal};
            let (Ok(mut term), Ok(mut int), Ok(mut hup)) =
                (signal(SignalKind::terminate()), signal(SignalKind::interrupt()), signal(SignalKind::hangup()))
            else {
                eprintln!("mizuban: cannot install signal handlers");
                return;
            };
            loop {
                tokio::select! {
                    _ = term.recv() => break,
                    _ = int.recv() => break,
                    _ = hup.recv() => {
                        handles.reopen_logs.request();
                        let Some(path) = &config else {
                            eprintln!("mizuban: SIGHUP: no config file to reload");
                            continue;
                        };
                        match crate::config::Config::load(path) {
                            Ok(cfg) => {
                                if let Ok(mut slot) = handles.reload.lock() {
                                    *slot = Some(cfg.detect);
                                }
                                eprintln!("mizuban: SIGHUP: reloaded policy from {}", path.display());
                            }
                            Err(e) => eprintln!("mizuban: SIGHUP: kept the running policy: {e}"),
                        }
                    }
                }
            }
            eprintln!("mizuban: stopping: draining the pipeline");
            handles.stop.store(true, Ordering::Relaxed);
        });
    }

    /// Blocks until SIGINT or SIGTERM (for `--linger`).
    pub fn wait_for_signal(&self) {
        let Some(rt) = &self.runtime else { return };
        rt.block_on(async {
            #[cfg(unix)]
            {
                use tokio::signal::unix::{SignalKind, signal};
                match signal(SignalKind::terminate()) {
                    Ok(mut term) => {
                        tokio::select! {
                            _ = tokio::signal::ctrl_c() => {},
                            _ = term.recv() => {},
                        }
                    }
                    Err(_) => {
                        let _ = tokio::signal::ctrl_c().await;
                    }
                }
            }
            #[cfg(not(unix))]
            {
                let _ = tokio::signal::ctrl_c().await;
            }
        });
    }
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Some((stop, h)) = self.updater.take() {
            stop.store(true, Ordering::Relaxed);
            let _ = h.join();
        }
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_timeout(Duration::from_secs(2));
        }
    }
}
