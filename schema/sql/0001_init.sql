-- 0001_init: the whole first schema. Rendered by ddl.go for one node or a
-- cluster; see docs/SCHEMA.md for every table and column.

-- Firewall TRAFFIC and THREAT logs, one row per log line. Storage table; the
-- documented query interface is the logs view below.
CREATE TABLE IF NOT EXISTS {{local "firewall_logs"}}{{onCluster}}
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
ENGINE = {{shardEngine "MergeTree" ""}}
PARTITION BY toDate(ts)
PRIMARY KEY (toStartOfFiveMinutes(ts), type, src_ip)
ORDER BY (toStartOfFiveMinutes(ts), type, src_ip, dst_ip, ts)
TTL ts + INTERVAL {{.RetentionDays}} DAY
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, {{dedupWindow}};

{{distributed "firewall_logs" "cityHash64(src_ip)"}}

-- The hunting interface: one row per TRAFFIC or THREAT log, addresses as
-- text (IPv4 dotted, IPv6 compressed). src_ip6/dst_ip6 keep the IPv6 values
-- for index-friendly filters.
CREATE VIEW IF NOT EXISTS {{tbl "logs"}}{{onCluster}} AS
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
FROM {{tbl "firewall_logs"}} AS f;

-- Lines that could not be parsed, kept for inspection.
CREATE TABLE IF NOT EXISTS {{local "rejected_lines"}}{{onCluster}}
(
    ts       DateTime('UTC') CODEC(Delta(4), ZSTD(1)),
    device   LowCardinality(String),
    reason   LowCardinality(String),
    detail   String CODEC(ZSTD(3)),
    file     String CODEC(ZSTD(3)),
    offset   UInt64,
    line     String CODEC(ZSTD(3))
)
ENGINE = {{shardEngine "MergeTree" ""}}
PARTITION BY toDate(ts)
ORDER BY (device, reason, ts)
TTL ts + INTERVAL {{.RejectRetentionDays}} DAY
SETTINGS ttl_only_drop_parts = 1, {{dedupWindow}};

{{distributed "rejected_lines" "cityHash64(device)"}}

-- Ingest progress per stream (a tailed device, an import): where to resume,
-- the batch in flight, and running counters. Written once or twice per
-- batch, so on one node it is a key-value table (updated in place, ~4 ms a
-- write, against ~12 ms for a MergeTree part); in a cluster a replicated
-- table, so an ingest host that fails over to another ClickHouse node still
-- finds its checkpoints. Reads take the latest version per stream (argMax),
-- which works on both.
CREATE TABLE IF NOT EXISTS {{tbl "ingest_checkpoints"}}{{onCluster}}
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
{{if clustered}}ENGINE = {{engine "ReplacingMergeTree" "version"}}
ORDER BY stream{{else}}ENGINE = EmbeddedRocksDB
PRIMARY KEY stream{{end}};

-- Registered log files, one per firewall.
CREATE TABLE IF NOT EXISTS {{tbl "devices"}}{{onCluster}}
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
ENGINE = {{engine "ReplacingMergeTree" "version, deleted"}}
ORDER BY name;

-- Web users. password_hash is a bcrypt hash, never a password.
CREATE TABLE IF NOT EXISTS {{tbl "users"}}{{onCluster}}
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
ENGINE = {{engine "ReplacingMergeTree" "version, deleted"}}
ORDER BY name;

-- Key/value settings (detection thresholds, retention, ...).
CREATE TABLE IF NOT EXISTS {{tbl "settings"}}{{onCluster}}
(
    key      String,
    value    String,
    updated  DateTime('UTC'),
    version  UInt64
)
ENGINE = {{engine "ReplacingMergeTree" "version"}}
ORDER BY key;

-- Outgoing mail server. password_enc is encrypted with a key file kept
-- outside the engine (never a readable password).
CREATE TABLE IF NOT EXISTS {{tbl "smtp_settings"}}{{onCluster}}
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
ENGINE = {{engine "ReplacingMergeTree" "version"}}
ORDER BY id;

-- Who gets mail about new blacklist entries.
CREATE TABLE IF NOT EXISTS {{tbl "recipients"}}{{onCluster}}
(
    email    String,
    created  DateTime('UTC'),
    version  UInt64,
    deleted  UInt8
)
ENGINE = {{engine "ReplacingMergeTree" "version, deleted"}}
ORDER BY email;

-- Addresses and networks that are never blocked.
CREATE TABLE IF NOT EXISTS {{tbl "allowlist"}}{{onCluster}}
(
    cidr        String,
    note        String,
    created_by  String,
    created     DateTime('UTC'),
    version     UInt64,
    deleted     UInt8
)
ENGINE = {{engine "ReplacingMergeTree" "version, deleted"}}
ORDER BY cidr;

-- Blocked addresses, served as the External Dynamic List.
CREATE TABLE IF NOT EXISTS {{tbl "blacklist"}}{{onCluster}}
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
ENGINE = {{engine "ReplacingMergeTree" "version, deleted"}}
ORDER BY ip;

-- Who changed what, when.
CREATE TABLE IF NOT EXISTS {{tbl "audit_log"}}{{onCluster}}
(
    ts           DateTime64(3, 'UTC'),
    actor        LowCardinality(String),
    action       LowCardinality(String),
    object       String,
    detail       String CODEC(ZSTD(3)),
    remote_addr  String
)
ENGINE = {{engine "MergeTree" ""}}
PARTITION BY toYYYYMM(ts)
ORDER BY ts
TTL toDateTime(ts) + INTERVAL 400 DAY;
