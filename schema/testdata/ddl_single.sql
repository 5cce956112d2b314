-- CREATE TABLE IF NOT EXISTS `activedefense`.`schema_migrations`
(
    version   UInt32,
    name      String,
    checksum  String,
    applied   DateTime('UTC')
)
ENGINE = ReplacingMergeTree()
ORDER BY version;

CREATE TABLE IF NOT EXISTS `activedefense`.`firewall_logs`
(
    ts                 DateTime('UTC') CODEC(Delta(4), ZSTD(1)),
    generated          DateTime('UTC') CODEC(Delta(4), ZSTD(1)),
    ingested           DateTime('UTC') DEFAULT now() CODEC(Delta(4), ZSTD(1)),
    device             LowCardinality(String),
    type               LowCardinality(String),
    subtype            LowCardinality(String),
    format             LowCardinality(String),
    host               LowCardinality(String),
    serial             LowCardinality(String),
    device_name        LowCardinality(String),
    vsys               LowCardinality(String),
    src_ip             IPv6,
    dst_ip             IPv6,
    nat_src_ip         IPv6,
    nat_dst_ip         IPv6,
    src_port           UInt16,
    dst_port           UInt16,
    nat_src_port       UInt16,
    nat_dst_port       UInt16,
    src_country        LowCardinality(String),
    dst_country        LowCardinality(String),
    src_user           LowCardinality(String),
    dst_user           LowCardinality(String),
    src_zone           LowCardinality(String),
    dst_zone           LowCardinality(String),
    inbound_if         LowCardinality(String),
    outbound_if        LowCardinality(String),
    rule               LowCardinality(String),
    rule_uuid          LowCardinality(String),
    app                LowCardinality(String),
    proto              LowCardinality(String),
    action             LowCardinality(String),
    session_id         UInt64,
    repeat_count       UInt32 CODEC(T64, ZSTD(1)),
    bytes_sent         UInt64 CODEC(T64, ZSTD(1)),
    bytes_recv         UInt64 CODEC(T64, ZSTD(1)),
    packets            UInt64 CODEC(T64, ZSTD(1)),
    elapsed            UInt32 CODEC(T64, ZSTD(1)),
    category           LowCardinality(String),
    session_end_reason LowCardinality(String),
    misc               String CODEC(ZSTD(3)),
    threat_name        LowCardinality(String),
    threat_id          UInt64,
    severity           Enum8('' = 0, 'informational' = 1, 'low' = 2, 'medium' = 3, 'high' = 4, 'critical' = 5),
    direction          LowCardinality(String),
    threat_category    LowCardinality(String),
    INDEX idx_dst_ip dst_ip TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_src_user src_user TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_threat_id threat_id TYPE bloom_filter(0.01) GRANULARITY 1
)
ENGINE = MergeTree()
PARTITION BY toDate(ts)
PRIMARY KEY (toStartOfFiveMinutes(ts), type, src_ip)
ORDER BY (toStartOfFiveMinutes(ts), type, src_ip, dst_ip, ts)
TTL ts + INTERVAL 90 DAY
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, non_replicated_deduplication_window = 10000;

CREATE VIEW IF NOT EXISTS `activedefense`.`logs` AS
SELECT
    f.ts AS ts,
    f.device AS device,
    f.type AS type,
    f.subtype AS subtype,
    replaceRegexpOne(IPv6NumToString(f.src_ip), '^::ffff:', '') AS src_ip,
    f.src_port AS src_port,
    replaceRegexpOne(IPv6NumToString(f.dst_ip), '^::ffff:', '') AS dst_ip,
    f.dst_port AS dst_port,
    f.src_country AS src_country,
    f.dst_country AS dst_country,
    f.src_user AS src_user,
    f.dst_user AS dst_user,
    f.action AS action,
    f.rule AS rule,
    f.threat_name AS threat_name,
    f.threat_id AS threat_id,
    f.severity AS severity,
    f.app AS app,
    f.proto AS proto,
    f.src_zone AS src_zone,
    f.dst_zone AS dst_zone,
    replaceRegexpOne(IPv6NumToString(f.nat_src_ip), '^::ffff:', '') AS nat_src_ip,
    f.nat_src_port AS nat_src_port,
    replaceRegexpOne(IPv6NumToString(f.nat_dst_ip), '^::ffff:', '') AS nat_dst_ip,
    f.nat_dst_port AS nat_dst_port,
    f.category AS category,
    f.direction AS direction,
    f.threat_category AS threat_category,
    f.misc AS misc,
    f.bytes_sent AS bytes_sent,
    f.bytes_recv AS bytes_recv,
    f.packets AS packets,
    f.elapsed AS elapsed,
    f.session_id AS session_id,
    f.session_end_reason AS session_end_reason,
    f.repeat_count AS repeat_count,
    f.rule_uuid AS rule_uuid,
    f.inbound_if AS inbound_if,
    f.outbound_if AS outbound_if,
    f.vsys AS vsys,
    f.serial AS serial,
    f.device_name AS device_name,
    f.host AS host,
    f.format AS format,
    f.generated AS generated,
    f.ingested AS ingested,
    f.src_ip AS src_ip6,
    f.dst_ip AS dst_ip6
FROM `activedefense`.`firewall_logs` AS f;

CREATE TABLE IF NOT EXISTS `activedefense`.`rejected_lines`
(
    ts       DateTime('UTC') CODEC(Delta(4), ZSTD(1)),
    device   LowCardinality(String),
    reason   LowCardinality(String),
    detail   String CODEC(ZSTD(3)),
    file     String CODEC(ZSTD(3)),
    offset   UInt64,
    line     String CODEC(ZSTD(3))
)
ENGINE = MergeTree()
PARTITION BY toDate(ts)
ORDER BY (device, reason, ts)
TTL ts + INTERVAL 30 DAY
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS `activedefense`.`ingest_checkpoints`
(
    stream         String,
    device         String,
    path           String,
    file           String,
    offset         UInt64,
    pending_end    UInt64,
    lines          UInt64,
    parsed         UInt64,
    skipped        UInt64,
    rejected       UInt64,
    timezone       String,
    updated        DateTime64(6, 'UTC'),
    version        UInt64
)
ENGINE = EmbeddedRocksDB
PRIMARY KEY stream;

CREATE TABLE IF NOT EXISTS `activedefense`.`devices`
(
    name      String,
    path      String,
    timezone  String,
    enabled   UInt8,
    created   DateTime('UTC'),
    updated   DateTime('UTC'),
    version   UInt64,
    deleted   UInt8
)
ENGINE = ReplacingMergeTree(version, deleted)
ORDER BY name;

CREATE TABLE IF NOT EXISTS `activedefense`.`users`
(
    name           String,
    role           LowCardinality(String),
    password_hash  String,
    disabled       UInt8,
    created        DateTime('UTC'),
    updated        DateTime('UTC'),
    version        UInt64,
    deleted        UInt8
)
ENGINE = ReplacingMergeTree(version, deleted)
ORDER BY name;

CREATE TABLE IF NOT EXISTS `activedefense`.`settings`
(
    key      String,
    value    String,
    updated  DateTime('UTC'),
    version  UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY key;

CREATE TABLE IF NOT EXISTS `activedefense`.`smtp_settings`
(
    id            UInt8,
    host          String,
    port          UInt16,
    username      String,
    password_enc  String,
    sender        String,
    tls           LowCardinality(String),
    updated       DateTime('UTC'),
    version       UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY id;

CREATE TABLE IF NOT EXISTS `activedefense`.`recipients`
(
    email    String,
    created  DateTime('UTC'),
    version  UInt64,
    deleted  UInt8
)
ENGINE = ReplacingMergeTree(version, deleted)
ORDER BY email;

CREATE TABLE IF NOT EXISTS `activedefense`.`allowlist`
(
    cidr        String,
    note        String,
    created_by  String,
    created     DateTime('UTC'),
    version     UInt64,
    deleted     UInt8
)
ENGINE = ReplacingMergeTree(version, deleted)
ORDER BY cidr;

CREATE TABLE IF NOT EXISTS `activedefense`.`blacklist`
(
    ip          IPv6,
    reason      String,
    detector    LowCardinality(String),
    evidence    String CODEC(ZSTD(3)),
    source      LowCardinality(String),
    created_by  String,
    first_seen  DateTime('UTC'),
    last_seen   DateTime('UTC'),
    expires     DateTime('UTC'),
    version     UInt64,
    deleted     UInt8
)
ENGINE = ReplacingMergeTree(version, deleted)
ORDER BY ip;

CREATE TABLE IF NOT EXISTS `activedefense`.`audit_log`
(
    ts           DateTime64(3, 'UTC'),
    actor        LowCardinality(String),
    action       LowCardinality(String),
    object       String,
    detail       String CODEC(ZSTD(3)),
    remote_addr  String
)
ENGINE = MergeTree()
PARTITION BY toYYYYMM(ts)
ORDER BY ts
TTL toDateTime(ts) + INTERVAL 400 DAY;

ALTER TABLE `activedefense`.`firewall_logs`
    ADD COLUMN IF NOT EXISTS src_edl LowCardinality(String) AFTER threat_category,
    ADD COLUMN IF NOT EXISTS dst_edl LowCardinality(String) AFTER src_edl;

ALTER TABLE `activedefense`.`firewall_logs`
    ADD INDEX IF NOT EXISTS idx_src_ip src_ip TYPE bloom_filter(0.01) GRANULARITY 1,
    ADD INDEX IF NOT EXISTS idx_ingested ingested TYPE minmax GRANULARITY 1;

ALTER TABLE `activedefense`.`firewall_logs` MATERIALIZE INDEX idx_src_ip;

ALTER TABLE `activedefense`.`firewall_logs` MATERIALIZE INDEX idx_ingested;

CREATE OR REPLACE VIEW `activedefense`.`logs` AS
SELECT
    f.ts AS ts,
    f.device AS device,
    f.type AS type,
    f.subtype AS subtype,
    replaceRegexpOne(IPv6NumToString(f.src_ip), '^::ffff:', '') AS src_ip,
    f.src_port AS src_port,
    replaceRegexpOne(IPv6NumToString(f.dst_ip), '^::ffff:', '') AS dst_ip,
    f.dst_port AS dst_port,
    f.src_country AS src_country,
    f.dst_country AS dst_country,
    f.src_user AS src_user,
    f.dst_user AS dst_user,
    f.action AS action,
    f.rule AS rule,
    f.threat_name AS threat_name,
    f.threat_id AS threat_id,
    f.severity AS severity,
    f.app AS app,
    f.proto AS proto,
    f.src_zone AS src_zone,
    f.dst_zone AS dst_zone,
    replaceRegexpOne(IPv6NumToString(f.nat_src_ip), '^::ffff:', '') AS nat_src_ip,
    f.nat_src_port AS nat_src_port,
    replaceRegexpOne(IPv6NumToString(f.nat_dst_ip), '^::ffff:', '') AS nat_dst_ip,
    f.nat_dst_port AS nat_dst_port,
    f.category AS category,
    f.direction AS direction,
    f.threat_category AS threat_category,
    f.src_edl AS src_edl,
    f.dst_edl AS dst_edl,
    f.misc AS misc,
    f.bytes_sent AS bytes_sent,
    f.bytes_recv AS bytes_recv,
    f.packets AS packets,
    f.elapsed AS elapsed,
    f.session_id AS session_id,
    f.session_end_reason AS session_end_reason,
    f.repeat_count AS repeat_count,
    f.rule_uuid AS rule_uuid,
    f.inbound_if AS inbound_if,
    f.outbound_if AS outbound_if,
    f.vsys AS vsys,
    f.serial AS serial,
    f.device_name AS device_name,
    f.host AS host,
    f.format AS format,
    f.generated AS generated,
    f.ingested AS ingested,
    f.src_ip AS src_ip6,
    f.dst_ip AS dst_ip6
FROM `activedefense`.`firewall_logs` AS f;

ALTER TABLE `activedefense`.`devices` ADD COLUMN IF NOT EXISTS senders Array(String) AFTER timezone;

ALTER TABLE `activedefense`.`users` ADD COLUMN IF NOT EXISTS hunt UInt8 AFTER role;

DROP TABLE IF EXISTS `activedefense`.`smtp_settings`;

DROP TABLE IF EXISTS `activedefense`.`blacklist`;

CREATE TABLE IF NOT EXISTS `activedefense`.`blacklist`
(
    ip              IPv6,
    state           LowCardinality(String),
    reason          String,
    category        LowCardinality(String),
    severity        UInt8,
    evidence        String CODEC(ZSTD(3)),
    devices         Array(LowCardinality(String)),
    source          String,
    created         DateTime('UTC'),
    first_listed    DateTime('UTC'),
    last_activity   DateTime('UTC'),
    expires         DateTime('UTC'),
    permanent       UInt8,
    release_months  UInt16,
    returns         UInt32,
    released        DateTime('UTC'),
    released_by     String,
    release_reason  String,
    updated         DateTime64(3, 'UTC'),
    version         UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY ip;

CREATE TABLE IF NOT EXISTS `activedefense`.`detections`
(
    ts            DateTime64(3, 'UTC'),
    run_id        String,
    ip            IPv6,
    kind          LowCardinality(String),
    reason        String,
    action        LowCardinality(String),
    why           String,
    severity      UInt8,
    evidence      String CODEC(ZSTD(3)),
    settings      String CODEC(ZSTD(3)),
    first_seen    DateTime('UTC'),
    last_seen     DateTime('UTC')
)
ENGINE = MergeTree()
PARTITION BY toYYYYMM(ts)
ORDER BY (ts, ip)
TTL toDateTime(ts) + INTERVAL 90 DAY;

CREATE TABLE IF NOT EXISTS `activedefense`.`detect_runs`
(
    id          String,
    started     DateTime64(3, 'UTC'),
    finished    DateTime64(3, 'UTC'),
    trigger     LowCardinality(String),
    since       DateTime('UTC'),
    windows     String,
    rows_read   UInt64,
    found       UInt32,
    blocked     UInt32,
    monitored   UInt32,
    suppressed  UInt32,
    held        UInt32,
    refreshed   UInt32,
    error       String
)
ENGINE = MergeTree()
PARTITION BY toYYYYMM(started)
ORDER BY started
TTL toDateTime(started) + INTERVAL 90 DAY;

CREATE TABLE IF NOT EXISTS `activedefense`.`feeds`
(
    name        String,
    url         String,
    interval_s  UInt32,
    created_by  String,
    created     DateTime('UTC'),
    version     UInt64,
    deleted     UInt8
)
ENGINE = ReplacingMergeTree(version, deleted)
ORDER BY name;

CREATE TABLE IF NOT EXISTS `activedefense`.`feed_state`
(
    name          String,
    entries       Array(String),
    skipped       UInt32,
    last_attempt  DateTime('UTC'),
    last_ok       DateTime('UTC'),
    last_error    String,
    version       UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY name;

CREATE TABLE IF NOT EXISTS `activedefense`.`webhooks`
(
    name        String,
    url         String,
    secret_enc  String,
    created     DateTime('UTC'),
    version     UInt64,
    deleted     UInt8
)
ENGINE = ReplacingMergeTree(version, deleted)
ORDER BY name;

CREATE TABLE IF NOT EXISTS `activedefense`.`api_tokens`
(
    name        String,
    scope       LowCardinality(String),
    hash        String,
    created_by  String,
    created     DateTime('UTC'),
    version     UInt64,
    deleted     UInt8
)
ENGINE = ReplacingMergeTree(version, deleted)
ORDER BY name;

CREATE TABLE IF NOT EXISTS `activedefense`.`sessions`
(
    id_hash     String,
    user        String,
    created     DateTime('UTC'),
    expires     DateTime('UTC'),
    version     UInt64,
    deleted     UInt8
)
ENGINE = ReplacingMergeTree(version, deleted)
ORDER BY id_hash
TTL expires + INTERVAL 1 DAY;

CREATE TABLE IF NOT EXISTS `activedefense`.`edl_clients`
(
    client      String,
    list        String,
    device      String,
    first_poll  DateTime('UTC'),
    last_poll   DateTime('UTC'),
    polls       UInt64,
    entries     UInt32,
    auth        LowCardinality(String),
    status      UInt16,
    user_agent  String,
    version     UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (client, list);

CREATE TABLE IF NOT EXISTS `activedefense`.`dash_events`
(
    bucket       DateTime('UTC'),
    device       LowCardinality(String),
    type         LowCardinality(String),
    action       LowCardinality(String),
    severity     Enum8('' = 0, 'informational' = 1, 'low' = 2, 'medium' = 3, 'high' = 4, 'critical' = 5),
    src_country  LowCardinality(String),
    lines        UInt64
)
ENGINE = SummingMergeTree(lines)
PARTITION BY toYYYYMM(bucket)
ORDER BY (bucket, device, type, action, severity, src_country)
TTL bucket + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 10000;

INSERT INTO `activedefense`.`dash_events` (bucket, device, type, action, severity, src_country, lines)
SELECT toStartOfFiveMinutes(ts) AS bucket, device, type, action, severity, src_country, count()
FROM `activedefense`.`firewall_logs`
WHERE (SELECT count() FROM `activedefense`.`dash_events`) = 0
GROUP BY bucket, device, type, action, severity, src_country;

CREATE MATERIALIZED VIEW IF NOT EXISTS `activedefense`.`dash_events_mv` TO `activedefense`.`dash_events` AS
SELECT toStartOfFiveMinutes(ts) AS bucket, device, type, action, severity, src_country, count() AS lines
FROM `activedefense`.`firewall_logs`
GROUP BY bucket, device, type, action, severity, src_country;

CREATE TABLE IF NOT EXISTS `activedefense`.`dash_top`
(
    bucket   DateTime('UTC'),
    device   LowCardinality(String),
    attacks  SimpleAggregateFunction(sum, UInt64),
    src      AggregateFunction(approx_top_count(50), IPv6),
    dst      AggregateFunction(approx_top_count(50), IPv6),
    dst_port AggregateFunction(approx_top_count(50), UInt16)
)
ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(bucket)
ORDER BY (bucket, device)
TTL bucket + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 10000;

INSERT INTO `activedefense`.`dash_top` (bucket, device, attacks, src, dst, dst_port)
SELECT toStartOfHour(ts) AS bucket, device, count(), approx_top_countState(50)(src_ip),
    approx_top_countState(50)(dst_ip), approx_top_countState(50)(dst_port)
FROM `activedefense`.`firewall_logs`
WHERE (type = 'THREAT' OR action != 'allow') AND (SELECT count() FROM `activedefense`.`dash_top`) = 0
GROUP BY bucket, device;

CREATE MATERIALIZED VIEW IF NOT EXISTS `activedefense`.`dash_top_mv` TO `activedefense`.`dash_top` AS
SELECT toStartOfHour(ts) AS bucket, device, count() AS attacks,
    approx_top_countState(50)(src_ip) AS src, approx_top_countState(50)(dst_ip) AS dst,
    approx_top_countState(50)(dst_port) AS dst_port
FROM `activedefense`.`firewall_logs`
WHERE type = 'THREAT' OR action != 'allow'
GROUP BY bucket, device;

