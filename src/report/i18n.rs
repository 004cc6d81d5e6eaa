//! Every string of the report in Japanese and English. One table, one row per key with
//! both languages, so a missing translation is a missing column a test finds
//! (`every_key_has_both_languages`), and a key the renderer asks for that the table
//! lacks is recorded and failed by `rendering_asks_only_for_known_keys`.
//!
//! The Japanese follows the terms of the MLIT water-sector guideline and the ordinance
//! (../shared/GUIDELINE.md): 閉域網, インターネットVPN, 主体認証, サポートが終了したOS,
//! 資産の管理, ネットワークセグメントの分割, ログや通信の監視等の代替策.
//! Templates use `{name}` placeholders; values are filled in by the renderer and
//! escaped with the rest.

use std::cell::RefCell;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Lang {
    Ja,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "ja" => Some(Lang::Ja),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// Japanese when the locale (LC_ALL, then LC_MESSAGES, then LANG, as POSIX orders
    /// them) is Japanese, else English.
    pub fn from_env() -> Lang {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let locale = var("LC_ALL")
            .or_else(|| var("LC_MESSAGES"))
            .or_else(|| var("LANG"))
            .unwrap_or_default();
        if locale.starts_with("ja") {
            Lang::Ja
        } else {
            Lang::En
        }
    }
}

/// (key, English, Japanese).
pub type Row = (&'static str, &'static str, &'static str);

/// The translator: lookups, and the keys asked for that the table lacks.
pub struct Tr {
    lang: Lang,
    missing: RefCell<Vec<String>>,
}

impl Tr {
    pub fn new(lang: Lang) -> Tr {
        Tr {
            lang,
            missing: RefCell::new(Vec::new()),
        }
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    fn row(key: &str) -> Option<&'static Row> {
        STRINGS
            .iter()
            .chain(RULES.iter())
            .chain(EVIDENCE.iter())
            .find(|r| r.0 == key)
    }

    pub fn has(&self, key: &str) -> bool {
        Tr::row(key).is_some()
    }

    /// The string of `key`; the key itself (recorded as missing) when there is none.
    pub fn get(&self, key: &str) -> &str {
        match Tr::row(key) {
            Some((_, en, ja)) => match self.lang {
                Lang::En => en,
                Lang::Ja => ja,
            },
            None => {
                self.missing.borrow_mut().push(key.to_owned());
                // Leaked only on a bug (a test fails on any missing key); keeps the
                // signature simple for the renderer.
                Box::leak(key.to_owned().into_boxed_str())
            }
        }
    }

    /// Keys asked for that the table lacks.
    pub fn missing(&self) -> Vec<String> {
        self.missing.borrow().clone()
    }
}

/// Titles of every rule (`rule.<id>`); a test checks every known rule id has one.
pub const RULES: &[Row] = &[
    (
        "rule.internet_egress",
        "Internet contact (outbound)",
        "インターネットへの通信 (外向き)",
    ),
    (
        "rule.internet_ingress",
        "Internet contact (inbound)",
        "インターネットからの通信 (内向き)",
    ),
    (
        "rule.zone_violation",
        "Traffic between zones not allowed",
        "許可されていないゾーン間の通信",
    ),
    (
        "rule.external_dns_query",
        "Internet name resolved",
        "インターネットの名前の名前解決",
    ),
    (
        "rule.external_dns_answer",
        "DNS answer with an internet address",
        "インターネットのアドレスを返したDNS応答",
    ),
    (
        "rule.external_service_name",
        "Connection to an internet service name (TLS SNI, HTTP Host)",
        "インターネットのサービス名への接続 (TLS SNI, HTTP Host)",
    ),
    ("rule.internet_vpn", "Internet VPN", "インターネットVPN"),
    ("rule.vpn", "VPN inside the network", "ネットワーク内のVPN"),
    ("rule.remote_access", "Remote access", "リモートアクセス"),
    (
        "rule.cleartext_auth",
        "Login in cleartext",
        "平文でのログイン",
    ),
    (
        "rule.repeated_login_failure",
        "Repeated failed logins",
        "複数回連続して失敗したログイン",
    ),
    ("rule.new_host", "New host", "新しいホスト"),
    (
        "rule.ip_mac_change",
        "Known address with a new MAC address",
        "既知のアドレスに新しいMACアドレス",
    ),
    (
        "rule.new_conversation",
        "New conversation",
        "新しい通信の組み合わせ",
    ),
    ("rule.new_service", "New service", "新しいサービス"),
    (
        "rule.new_ics_protocol",
        "New industrial protocol on a host",
        "ホストの新しい制御系プロトコル",
    ),
    (
        "rule.new_modbus_client",
        "New Modbus client",
        "新しいModbusクライアント",
    ),
    (
        "rule.new_modbus_writer",
        "New Modbus writer",
        "新しいModbus書き込み元",
    ),
    (
        "rule.new_modbus_function",
        "New Modbus function or unit",
        "新しいModbusファンクションまたはユニット",
    ),
    (
        "rule.unsupported_os",
        "Operating system out of support",
        "サポートが終了したOS",
    ),
    (
        "rule.smb_signing_not_required",
        "SMB signing not required",
        "SMB署名が必須でない",
    ),
    (
        "rule.unauthorized_control_action",
        "Unauthorized control action",
        "許可されていない制御操作",
    ),
    (
        "rule.address_scan",
        "Address scan (one host probing many addresses)",
        "アドレススキャン (1台のホストによる多数のアドレスへの探索)",
    ),
    (
        "rule.port_scan",
        "Port scan (one host probing many ports)",
        "ポートスキャン (1台のホストによる多数のポートへの探索)",
    ),
    (
        "rule.ics_discovery",
        "Industrial device discovery",
        "制御機器の探索",
    ),
    (
        "rule.control_action_failed",
        "Repeated refused control actions",
        "繰り返し拒否された制御操作",
    ),
];

/// Labels of common evidence keys (`evidence.<key>`); others are shown as the key.
pub const EVIDENCE: &[Row] = &[
    ("evidence.dns_name", "name resolved", "解決された名前"),
    ("evidence.query", "DNS query", "DNS問い合わせ"),
    ("evidence.sni", "TLS server name", "TLSサーバ名"),
    ("evidence.http_host", "HTTP Host", "HTTP Host"),
    ("evidence.ports", "ports", "ポート"),
    ("evidence.user", "user", "ユーザー"),
    ("evidence.users", "users", "ユーザー"),
    ("evidence.protocol", "protocol", "プロトコル"),
    ("evidence.outcome", "outcome", "結果"),
    ("evidence.resolver", "resolver", "DNSサーバ"),
    ("evidence.addresses", "addresses", "アドレス"),
    ("evidence.failures", "failures", "失敗回数"),
    ("evidence.window_secs", "window (s)", "期間 (秒)"),
    ("evidence.os", "OS", "OS"),
    (
        "evidence.end_of_support",
        "end of support",
        "サポート終了日",
    ),
    ("evidence.action", "action", "操作"),
    ("evidence.function", "function", "ファンクション"),
    (
        "evidence.function_name",
        "function name",
        "ファンクション名",
    ),
    ("evidence.target", "target", "対象"),
    ("evidence.bytes_out", "bytes out", "送信バイト"),
    ("evidence.bytes_in", "bytes in", "受信バイト"),
    ("evidence.reach", "reach", "到達"),
];

pub const STRINGS: &[Row] = &[
    (
        "report.title",
        "Network security audit report",
        "ネットワーク情報セキュリティ監査報告書",
    ),
    (
        "report.subtitle",
        "Evidence from passive traffic monitoring, mapped to the water-sector security guideline",
        "受動的な通信監視による証跡 (水道分野における情報セキュリティ確保に係る安全ガイドラインの項目別)",
    ),
    (
        "report.about",
        "Every statement below rests on observed traffic: first and last seen times (UTC), counts, the capture file (or interface) and frame number of the packet, and the alert id, which also appears in the alerts log. Passwords are never recorded. What was not seen cannot be proven absent: read the summary with the capture health in section Monitoring health.",
        "以下の記載はすべて観測された通信に基づきます。初回・最終観測時刻 (UTC)、件数、キャプチャファイル (またはインタフェース) とフレーム番号、アラートID (アラートログと同じ) を証跡として示します。パスワードは記録しません。観測されなかったものは存在しないことの証明にはなりません。要約は「監視の健全性」の章のキャプチャ状況と合わせてお読みください。",
    ),
    ("report.page", "Page ", "ページ "),
    ("meta.sensor", "Sensor / inputs", "センサー・入力"),
    ("meta.period", "Observation period", "観測期間"),
    ("meta.source", "Data", "データ"),
    ("meta.generator", "Produced by", "作成"),
    (
        "origin.replay",
        "replay of the capture files {files}",
        "キャプチャファイル {files} の再生",
    ),
    (
        "origin.state",
        "state of a live sensor: {path}",
        "稼働中のセンサーの状態ファイル: {path}",
    ),
    ("period.none", "no packets", "パケットなし"),
    ("toc.title", "Contents", "目次"),
    ("toc.section", "Section", "章"),
    (
        "toc.guideline",
        "Guideline item served",
        "対応するガイドライン項目",
    ),
    ("toc.findings", "Findings", "検出数"),
    ("label.guideline", "Guideline:", "ガイドライン:"),
    ("label.first_frame", "first:", "初回:"),
    ("label.last_frame", "last:", "最終:"),
    ("label.yes", "yes", "はい"),
    ("label.no", "NO", "いいえ"),
    ("severity.critical", "critical", "緊急"),
    ("severity.high", "high", "高"),
    ("severity.medium", "medium", "中"),
    ("severity.low", "low", "低"),
    ("severity.info", "info", "情報"),
    ("col.severity", "Severity", "重要度"),
    ("col.finding", "Finding", "検出内容"),
    ("col.host", "Internal host", "内部ホスト"),
    ("col.section", "Section", "章"),
    ("col.alert_id", "Alert id (first)", "アラートID (代表)"),
    ("col.alerts", "Alerts", "件数"),
    ("col.from", "From (client)", "送信元 (クライアント)"),
    ("col.to", "To (server)", "宛先 (サーバ)"),
    ("col.count", "Count", "件数"),
    (
        "col.seen",
        "First / last seen (UTC)",
        "初回 / 最終観測 (UTC)",
    ),
    ("col.evidence", "Evidence", "証跡"),
    ("col.name", "Internet name", "インターネットの名前"),
    ("col.how", "Seen as", "観測の種類"),
    ("col.from_zone", "From zone", "送信元ゾーン"),
    ("col.to_zone", "To zone", "宛先ゾーン"),
    ("col.links", "Host pairs", "ホストの組"),
    ("col.flows", "Flows", "フロー数"),
    ("col.address", "Address", "アドレス"),
    ("col.mac", "MAC / vendor", "MAC / ベンダー"),
    ("col.names", "Names (source)", "名前 (情報源)"),
    ("col.roles", "Roles", "役割"),
    ("col.protocols", "Services (→ used)", "サービス (→ 利用先)"),
    ("col.identity", "Device identity", "機器情報"),
    ("col.os", "Operating system", "OS"),
    ("col.client", "Client (who)", "操作元 (クライアント)"),
    ("col.server", "Controller (server)", "制御機器 (サーバ)"),
    ("col.action", "Action", "操作"),
    ("col.authorized", "Authorized", "許可"),
    (
        "col.functions",
        "Functions / targets",
        "ファンクション / 対象",
    ),
    ("col.inputs", "Inputs", "入力"),
    ("col.period", "Period (UTC)", "期間 (UTC)"),
    ("col.packets", "Packets", "パケット数"),
    ("col.loss", "Capture loss", "取りこぼし率"),
    ("col.one_sided", "One-sided flows", "片方向フロー"),
    ("col.verdict", "Verdict", "判定"),
    ("col.reason", "Reason", "理由"),
    (
        "table.more",
        "… and {n} more (all are in the alerts log).",
        "… ほか {n} 件 (すべてアラートログにあります)。",
    ),
    // Sections: title, the guideline item it serves, and what it shows.
    ("section.summary.title", "Summary", "要約"),
    (
        "section.summary.guideline",
        "Chapter 2 closed network; 4.2.2 monitoring as the compensating control",
        "第2章 閉域網、4.2.2 ログや通信の監視等の代替策",
    ),
    (
        "section.summary.intro",
        "The closed-network verdict over the observation period, the facts it rests on, and what to fix first.",
        "観測期間における閉域網の判定、その根拠となる事実、優先して対処すべき事項です。",
    ),
    (
        "section.internet.title",
        "Internet contact",
        "インターネットとの接点",
    ),
    (
        "section.internet.guideline",
        "Chapter 2: no point of contact with the internet; an internet VPN is not a closed network",
        "第2章 インターネットとの接点を排除。インターネットVPNは閉域網ではない",
    ),
    (
        "section.internet.intro",
        "Traffic with internet addresses in either direction, internet names resolved or contacted by internal hosts (DNS, TLS SNI, HTTP Host), and internet VPNs (SSL-VPN, IPsec, OpenVPN, WireGuard).",
        "内外いずれの方向でもインターネットのアドレスとの通信、内部ホストが名前解決または接続したインターネットの名前 (DNS、TLS SNI、HTTP Host)、インターネットVPN (SSL-VPN、IPsec、OpenVPN、WireGuard) です。",
    ),
    (
        "section.networks.title",
        "Connections to other networks and zones",
        "他ネットワーク・ゾーンとの接続",
    ),
    (
        "section.networks.guideline",
        "Chapter 2: a network joined to one that touches the internet is not closed; 5.4.1 network segmentation",
        "第2章 インターネットに接する接続先があれば閉域網ではない、5.4.1 ネットワークセグメントの分割によるアクセス制御",
    ),
    (
        "section.networks.intro",
        "Traffic between zones that the policy does not allow, VPNs inside the network, and every pair of zones that exchanged traffic.",
        "ポリシーで許可されていないゾーン間の通信、ネットワーク内のVPN、通信のあったゾーンの組み合わせです。",
    ),
    (
        "section.remote.title",
        "Remote access and exposed services",
        "リモートアクセスと公開されたサービス",
    ),
    (
        "section.remote.guideline",
        "5.4.1 no exploitable services (RDP, SSH, SMB) exposed; 5.2.2 remote access environment",
        "5.4.1 悪用されやすいサービス (RDP、SSH、SMB) を公開しない、5.2.2 リモートアクセス環境",
    ),
    (
        "section.remote.intro",
        "RDP, SSH, SMB, VNC, Telnet and remote-support tools (TeamViewer, AnyDesk), inbound and outbound, across zones or the boundary.",
        "RDP、SSH、SMB、VNC、Telnet、リモートサポートツール (TeamViewer、AnyDesk) の内向き・外向きの通信 (ゾーンや境界をまたぐもの) です。",
    ),
    (
        "section.recon.title",
        "Reconnaissance",
        "偵察行為 (攻撃の予兆)",
    ),
    (
        "section.recon.guideline",
        "5.4.1 measures against unauthorized access; the May 2026 notice: threat hunting and reporting signs of attack",
        "5.4.1 不正アクセス等の脅威への対策、2026年5月通知 脅威ハンティング・予兆の報告",
    ),
    (
        "section.recon.intro",
        "Hosts inside the network probing many addresses or ports, or discovering industrial devices: often the first step of an attack, and a sign (予兆) to report.",
        "ネットワーク内で多数のアドレスやポートを探索したり、制御機器を探索したりするホストです。攻撃の最初の段階であることが多く、報告すべき予兆です。",
    ),
    (
        "recon.none",
        "No scan or device discovery was seen.",
        "スキャンや機器の探索は観測されませんでした。",
    ),
    ("section.auth.title", "Authentication", "認証"),
    (
        "section.auth.guideline",
        "Ordinance ① authentication of who accesses (主体認証); 5.4.1 repeated failed logins",
        "省令① 主体認証を行うことができる機能、5.4.1 複数回連続して失敗したログイン",
    ),
    (
        "section.auth.intro",
        "Logins sent in cleartext (user names only, never a password), repeated failed logins, and industrial protocols used without any authentication.",
        "平文で送られたログイン (ユーザー名のみ。パスワードは記録しません)、連続したログイン失敗、認証のない制御系プロトコルの使用です。",
    ),
    ("section.assets.title", "Assets", "資産の管理"),
    (
        "section.assets.guideline",
        "5.1.1 asset management (資産管理を徹底); ordinance ③ no OS out of support",
        "5.1.1 資産の管理 (資産管理を徹底)、省令③ サポートが終了したOSを使用しない",
    ),
    (
        "section.assets.intro",
        "Every internal host seen, with its addresses, names and where they came from, roles, services, device identity and operating-system hints; operating systems out of vendor support are flagged.",
        "観測されたすべての内部ホストのアドレス、名前とその情報源、役割、サービス、機器情報、OSの推定です。サポートが終了したOSを明示します。",
    ),
    ("section.control.title", "Control actions", "制御操作"),
    (
        "section.control.guideline",
        "5.4.1 measures against unauthorized access; zero trust: verify every access",
        "5.4.1 不正アクセス等の脅威への対策、ゼロトラスト",
    ),
    (
        "section.control.intro",
        "Who wrote to, programmed, stopped or restarted which controller, and whether the control policy allowed it.",
        "どの操作元がどの制御機器に書き込み・プログラム転送・停止・再起動を行ったか、制御ポリシーで許可されていたかです。",
    ),
    (
        "section.changes.title",
        "Changes against the baseline",
        "ベースラインからの変化",
    ),
    (
        "section.changes.guideline",
        "5.1.1 asset management; 4.2.2 monitoring of traffic (通信の監視)",
        "5.1.1 資産の管理、4.2.2 ログや通信の監視等の代替策",
    ),
    (
        "section.changes.intro",
        "New hosts, address changes, new conversations, services, industrial protocols, clients and writers compared with the learned baseline.",
        "学習したベースラインと比べた新しいホスト、アドレスの変化、新しい通信、サービス、制御系プロトコル、クライアント、書き込み元です。",
    ),
    ("section.map.title", "Communication map", "通信マップ"),
    (
        "section.map.guideline",
        "Chapter 2 closed network; 5.4.1 network segmentation",
        "第2章 閉域網、5.4.1 ネットワークセグメントの分割",
    ),
    (
        "section.map.intro",
        "Hosts grouped by zone (or subnet), industrial client→server links by protocol, and internet peers outside the boundary of the internal network, with their links in red. Hosts with findings are ringed in red with their number of alerts.",
        "ゾーン (またはサブネット) ごとのホスト、プロトコル別の制御系のクライアント→サーバの通信、内部ネットワークの境界の外にあるインターネットの通信相手 (赤い線) を示します。検出のあるホストは赤枠とアラート数で示します。",
    ),
    ("section.health.title", "Monitoring health", "監視の健全性"),
    (
        "section.health.guideline",
        "4.2.2 monitoring as the compensating control: the monitoring itself must be shown to work",
        "4.2.2 ログや通信の監視等の代替策 (監視自体が機能していることの確認)",
    ),
    (
        "section.health.intro",
        "The sensor's own periods of operation, packets, capture loss, one-sided flows and everything dropped, by reason: a monitor that misses traffic cannot prove its absence.",
        "センサーの稼働期間、パケット数、取りこぼし率、片方向フロー、理由別の破棄数です。通信を取りこぼす監視は、その通信がないことを証明できません。",
    ),
    ("section.other.title", "Other findings", "その他の検出"),
    (
        "section.other.guideline",
        "findings of rules no other section covers",
        "他の章に該当しない検出",
    ),
    (
        "section.other.intro",
        "Alerts whose guideline point no other section covers.",
        "他の章のガイドライン項目に該当しないアラートです。",
    ),
    // Summary.
    (
        "verdict.label",
        "Closed-network verdict (閉域網)",
        "閉域網の判定",
    ),
    ("verdict.closed", "CLOSED", "閉域"),
    ("verdict.not_closed", "NOT CLOSED", "閉域ではない"),
    ("verdict.undetermined", "UNDETERMINED", "判定不能"),
    (
        "verdict.closed.explain",
        "No contact with the internet and no internet VPN was seen over the observation period, with enough traffic and little capture loss.",
        "観測期間中、インターネットとの通信およびインターネットVPNは観測されませんでした (十分な通信量があり、取りこぼしも少ない状態です)。",
    ),
    (
        "verdict.not_closed.explain",
        "Traffic with the internet or an internet VPN was seen: the network is not a closed network in the sense of the guideline (chapter 2).",
        "インターネットとの通信またはインターネットVPNが観測されました。ガイドライン第2章の意味での閉域網ではありません。",
    ),
    (
        "verdict.undetermined.explain",
        "No internet contact was seen, but the view was too thin or too lossy for that absence to prove anything.",
        "インターネットとの通信は観測されませんでしたが、観測量が少ないか取りこぼしが多いため、ないことの証明にはなりません。",
    ),
    ("fact.period", "Observation period", "観測期間"),
    ("fact.duration", "(duration {d})", "(期間 {d})"),
    ("fact.packets", "Packets observed", "観測パケット数"),
    ("fact.loss", "Estimated capture loss", "推定取りこぼし率"),
    (
        "fact.loss_value",
        "{pct} ({missed} of {acked} acknowledged TCP bytes never seen; threshold {max})",
        "{pct} (確認応答されたTCP {acked} バイトのうち {missed} バイトを未観測。閾値 {max})",
    ),
    (
        "fact.one_sided",
        "One-sided flows",
        "片方向のみ観測されたフロー",
    ),
    (
        "fact.one_sided_value",
        "{share} ({n} of {flows} TCP sessions seen in one direction only)",
        "{share} (TCPセッション {flows} 件中 {n} 件が片方向のみ)",
    ),
    (
        "fact.one_sided_unknown",
        "not measured by this sensor version",
        "このセンサーのバージョンでは未計測",
    ),
    (
        "fact.breaches",
        "Alerts showing internet contact",
        "インターネットとの接点を示すアラート",
    ),
    (
        "fact.breaches_value",
        "{n} alert(s) from {hosts} internal host(s)",
        "内部ホスト {hosts} 台から {n} 件",
    ),
    (
        "fact.alerts",
        "All alerts by severity",
        "重要度別の全アラート",
    ),
    (
        "reason.few_packets",
        "Too little traffic: {n} packets seen, {min} needed.",
        "通信量が不足: 観測 {n} パケット、必要 {min} パケット。",
    ),
    (
        "reason.one_sided",
        "{share} of the TCP sessions were seen in one direction only: the mirror port may copy one direction (see Monitoring health).",
        "TCPセッションの {share} が片方向のみ観測されています。ミラーポートが片方向しか複製していない可能性があります (監視の健全性を参照)。",
    ),
    (
        "reason.loss",
        "Capture loss {pct} is above the {max} threshold.",
        "取りこぼし率 {pct} が閾値 {max} を超えています。",
    ),
    (
        "summary.fix_first",
        "Fix first (most severe findings)",
        "優先して対処すべき事項 (重要度の高い順)",
    ),
    ("summary.nothing", "No findings.", "検出はありません。"),
    ("summary.no_alerts", "none", "なし"),
    // Internet.
    (
        "internet.vpn_callout",
        "{n} internet VPN finding(s): an internet VPN (SSL-VPN, IPsec-VPN) is not physically separated and is not compatible with a closed network (guideline chapter 2).",
        "インターネットVPNの検出 {n} 件: インターネットVPN (SSL-VPN、IPsec-VPN) は物理的に分離されておらず、閉域網とはみなされません (ガイドライン第2章)。",
    ),
    (
        "internet.none",
        "No traffic with the internet was seen.",
        "インターネットとの通信は観測されませんでした。",
    ),
    (
        "internet.names",
        "Internet names by internal host",
        "内部ホスト別のインターネットの名前",
    ),
    (
        "internet.no_names",
        "No internet name was resolved or contacted.",
        "インターネットの名前の名前解決・接続は観測されませんでした。",
    ),
    ("how.query", "DNS query", "DNS問い合わせ"),
    ("how.sni", "TLS server name (SNI)", "TLSサーバ名 (SNI)"),
    ("how.http_host", "HTTP Host", "HTTP Host"),
    (
        "how.dns_name",
        "resolved, then contacted",
        "名前解決後に接続",
    ),
    // Networks.
    (
        "networks.joined",
        "Zone {a} has contact with the internet and exchanged traffic with zone {b}: by the guideline (chapter 2), {b} is not closed either.",
        "ゾーン {a} はインターネットと接点があり、ゾーン {b} と通信しています。ガイドライン第2章により、{b} も閉域網とはみなされません。",
    ),
    (
        "networks.none",
        "No traffic between zones outside the allowed pairs, and no VPN inside the network, was seen.",
        "許可されていないゾーン間の通信およびネットワーク内のVPNは観測されませんでした。",
    ),
    ("networks.pairs", "Traffic between zones", "ゾーン間の通信"),
    (
        "networks.no_pairs",
        "No traffic between different zones (zones are configured in [detect.policy] zones).",
        "異なるゾーン間の通信はありません (ゾーンは [detect.policy] zones で設定します)。",
    ),
    // Remote, auth.
    (
        "remote.none",
        "No remote-access traffic across zones or the boundary was seen.",
        "ゾーンや境界をまたぐリモートアクセスの通信は観測されませんでした。",
    ),
    (
        "auth.none",
        "No cleartext login and no repeated login failure was seen.",
        "平文のログインおよび連続したログイン失敗は観測されませんでした。",
    ),
    (
        "auth.unauthenticated",
        "Industrial protocols used without authentication",
        "認証のない制御系プロトコルの使用",
    ),
    (
        "auth.unauthenticated_intro",
        "These protocols carry no authentication of the client: any host that reaches the controller can send these commands. Restrict who can reach it (segmentation) and watch it (control actions, below).",
        "これらのプロトコルにはクライアントの認証がなく、制御機器に到達できるホストは誰でもこれらの命令を送れます。到達できる範囲の制限 (セグメント分割) と監視 (制御操作の章) が必要です。",
    ),
    (
        "auth.no_unauthenticated",
        "No control action over an unauthenticated industrial protocol was seen.",
        "認証のない制御系プロトコルによる制御操作は観測されませんでした。",
    ),
    // Assets.
    (
        "assets.eos_callout",
        "{n} host(s) run an operating system whose security support has ended (ordinance ③ サポートが終了したOS).",
        "セキュリティサポートが終了したOSのホストが {n} 台あります (省令③)。",
    ),
    (
        "assets.no_findings",
        "No operating system out of support was seen.",
        "サポートが終了したOSは観測されませんでした。",
    ),
    ("assets.inventory", "Inventory", "資産一覧"),
    (
        "assets.count",
        "{n} internal host(s), in address order.",
        "内部ホスト {n} 台 (アドレス順)。",
    ),
    ("assets.eos", "support ended", "サポート終了"),
    // Control.
    (
        "control.none",
        "No control action (write, program transfer, mode change, restart...) was seen.",
        "制御操作 (書き込み、プログラム転送、モード変更、再起動など) は観測されませんでした。",
    ),
    (
        "control.count",
        "{n} control action(s) in {rows} row(s) (client, controller, action); {bad} row(s) not authorized by the control policy.",
        "制御操作 {n} 件 ({rows} 行: 操作元・制御機器・操作の組)。うち制御ポリシーで許可されていない行は {bad} 行。",
    ),
    (
        "control.outcome",
        "ok {ok} / refused {refused} / no answer {unanswered}",
        "成功 {ok} / 拒否 {refused} / 無応答 {unanswered}",
    ),
    (
        "control.alerts",
        "Control-action alerts",
        "制御操作のアラート",
    ),
    (
        "control.no_alerts",
        "No unauthorized or repeatedly refused control action was seen.",
        "許可されていない制御操作・繰り返し拒否された制御操作は観測されませんでした。",
    ),
    ("action.write", "write", "書き込み"),
    ("action.operate", "operate", "操作実行"),
    ("action.select", "select", "選択"),
    (
        "action.program_download",
        "program download",
        "プログラム書き込み",
    ),
    (
        "action.program_upload",
        "program upload",
        "プログラム読み出し",
    ),
    (
        "action.mode_change",
        "mode change (run/stop)",
        "モード変更 (運転/停止)",
    ),
    ("action.restart", "restart", "再起動"),
    (
        "action.firmware_update",
        "firmware update",
        "ファームウェア更新",
    ),
    ("action.time_set", "time set", "時刻設定"),
    ("action.file_transfer", "file transfer", "ファイル転送"),
    ("action.config_change", "configuration change", "設定変更"),
    // Changes.
    (
        "changes.baseline",
        "Baseline: {mode}, learned from {since} until {until}; {hosts} host(s) known, {pending} finding(s) awaiting approval.",
        "ベースライン: {mode}。学習期間 {since} ～ {until}。既知のホスト {hosts} 台、承認待ちの検出 {pending} 件。",
    ),
    (
        "changes.no_baseline",
        "No baseline was enforced, so changes cannot be stated: learn one with `mizuban baseline learn` and replay with --baseline, or set [detect.baseline] on the sensor.",
        "ベースラインが適用されていないため、変化は判定できません。`mizuban baseline learn` で学習し --baseline で再生するか、センサーで [detect.baseline] を設定してください。",
    ),
    (
        "changes.none",
        "No change against the baseline was seen.",
        "ベースラインからの変化は観測されませんでした。",
    ),
    ("mode.learning", "learning", "学習中"),
    ("mode.enforcing", "enforcing", "適用中"),
    // Map.
    ("map.title", "Communication map", "通信マップ"),
    (
        "map.boundary",
        "Internal network (the network to be closed)",
        "内部ネットワーク (閉域であるべき範囲)",
    ),
    ("map.outside", "Internet (outside)", "インターネット (外部)"),
    ("map.cluster", "+{n} hosts", "ほか {n} 台"),
    (
        "map.legend_ics",
        "{p} client → server",
        "{p} クライアント → サーバ",
    ),
    (
        "map.legend_internet",
        "internet contact",
        "インターネットとの通信",
    ),
    ("map.legend_other", "other traffic", "その他の通信"),
    (
        "map.legend_findings",
        "alerts on the host",
        "ホストのアラート数",
    ),
    (
        "map.counts",
        "{hosts} internal host(s), {external} internet address(es).",
        "内部ホスト {hosts} 台、インターネットのアドレス {external} 件。",
    ),
    (
        "map.folded",
        "Over {max} hosts: {n} host(s) without findings or industrial role are summarised as \"+N hosts\" in their group.",
        "{max} 台を超えるため、検出も制御系の役割もないホスト {n} 台をグループごとに「ほか N 台」にまとめています。",
    ),
    (
        "map.folded_external",
        "{n} more internet address(es) are summarised as one node.",
        "ほか {n} 件のインターネットのアドレスを1つにまとめています。",
    ),
    (
        "map.other_left_out",
        "{n} other link(s) are left out of the picture.",
        "その他の通信 {n} 本は図から省いています。",
    ),
    // Health.
    ("health.runs", "Periods of operation", "稼働期間"),
    (
        "health.runs_dropped",
        "{n} older run(s) are no longer kept.",
        "古い稼働記録 {n} 件は保持されていません。",
    ),
    (
        "health.drops",
        "Dropped or unparsed, by reason",
        "理由別の破棄・未解析",
    ),
    (
        "health.no_drops",
        "Nothing was dropped.",
        "破棄はありません。",
    ),
    (
        "health.tables",
        "Capture and tables",
        "キャプチャと内部テーブル",
    ),
    (
        "health.loss",
        "Capture loss over all runs",
        "全期間の取りこぼし率",
    ),
    (
        "health.one_sided",
        "Share of one-sided flows",
        "片方向フローの割合",
    ),
    (
        "health.suppressed",
        "New alerts dropped by the rate limit or the alert cap",
        "レート制限・上限により破棄された新規アラート",
    ),
    (
        "health.inventory_full",
        "Items the inventory could not keep (full)",
        "資産一覧の上限により保持できなかった項目",
    ),
    (
        "health.evidence_full",
        "Report tables full (dropped)",
        "報告書用テーブルの上限超過 (破棄)",
    ),
    (
        "health.evidence_full_value",
        "links {links}, control rows {controls}, alerts {alerts}",
        "通信 {links}、制御操作 {controls}、アラート {alerts}",
    ),
    ("other.none", "None.", "なし。"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_key_has_both_languages_once() {
        let mut seen = BTreeSet::new();
        for (k, en, ja) in STRINGS.iter().chain(RULES).chain(EVIDENCE) {
            assert!(seen.insert(*k), "duplicate key {k}");
            assert!(!en.trim().is_empty(), "{k}: no English");
            assert!(!ja.trim().is_empty(), "{k}: no Japanese");
        }
    }

    #[test]
    fn placeholders_match_between_languages() {
        let ph = |s: &str| -> BTreeSet<String> {
            s.split('{')
                .skip(1)
                .filter_map(|p| p.split_once('}').map(|(n, _)| n.to_owned()))
                .collect()
        };
        for (k, en, ja) in STRINGS.iter().chain(RULES).chain(EVIDENCE) {
            assert_eq!(ph(en), ph(ja), "{k}: placeholders differ");
        }
    }

    #[test]
    fn every_rule_has_a_title() {
        for id in mizuban_detect::registry::known_rule_ids() {
            let k = format!("rule.{id}");
            assert!(RULES.iter().any(|r| r.0 == k), "no title for rule {id}");
        }
    }

    #[test]
    fn every_control_action_class_has_a_name() {
        for a in mizuban_protocols::facts::Action::ALL {
            let k = format!("action.{}", a.as_str());
            assert!(Tr::new(Lang::Ja).has(&k), "no name for action {k}");
        }
    }

    #[test]
    fn locale_selects_japanese() {
        // Only the parsing: the environment is the test runner's.
        assert_eq!(Lang::parse("ja"), Some(Lang::Ja));
        assert_eq!(Lang::parse("fr"), None);
    }
}
