-- 0002_operations: detection, blocking, the HTTP side and the web app.
-- See docs/SCHEMA.md for every table and column.

-- PAN-OS 10+ logs name the External Dynamic List that matched the source or
-- destination: proof that a listed address is really dropped.
ALTER TABLE {{local "firewall_logs"}}{{onCluster}}
    ADD COLUMN IF NOT EXISTS src_edl LowCardinality(String) AFTER threat_category,
    ADD COLUMN IF NOT EXISTS dst_edl LowCardinality(String) AFTER src_edl;
{{if clustered}}ALTER TABLE {{tbl "firewall_logs"}}{{onCluster}}
    ADD COLUMN IF NOT EXISTS src_edl LowCardinality(String) AFTER threat_category,
    ADD COLUMN IF NOT EXISTS dst_edl LowCardinality(String) AFTER src_edl;{{end}}

-- Point searches by source address, and detection finding the rows stored
-- since its last run (late lines, imports) without reading all history.
ALTER TABLE {{local "firewall_logs"}}{{onCluster}}
    ADD INDEX IF NOT EXISTS idx_src_ip src_ip TYPE bloom_filter(0.01) GRANULARITY 1,
    ADD INDEX IF NOT EXISTS idx_ingested ingested TYPE minmax GRANULARITY 1;
ALTER TABLE {{local "firewall_logs"}}{{onCluster}} MATERIALIZE INDEX idx_src_ip;
ALTER TABLE {{local "firewall_logs"}}{{onCluster}} MATERIALIZE INDEX idx_ingested;

CREATE OR REPLACE VIEW {{tbl "logs"}}{{onCluster}} AS
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
FROM {{tbl "firewall_logs"}} AS f;

-- Which sender addresses a device's syslog comes from (listener mapping,
-- never-block list, per-firewall EDLs).
ALTER TABLE {{tbl "devices"}}{{onCluster}} ADD COLUMN IF NOT EXISTS senders Array(String) AFTER timezone;

-- Users allowed to use the hunting console besides admins.
ALTER TABLE {{tbl "users"}}{{onCluster}} ADD COLUMN IF NOT EXISTS hunt UInt8 AFTER role;

-- Mail settings are ordinary settings now (smtp.*; the password encrypted).
DROP TABLE IF EXISTS {{tbl "smtp_settings"}}{{onCluster}};

-- The blacklist, reshaped: one row per address with its whole lifecycle.
-- Nothing wrote the first shape, so it is replaced, not converted.
DROP TABLE IF EXISTS {{tbl "blacklist"}}{{onCluster}};
CREATE TABLE IF NOT EXISTS {{tbl "blacklist"}}{{onCluster}}
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
ENGINE = {{engine "ReplacingMergeTree" "version"}}
ORDER BY ip;

-- Every detection with what was done about it.
CREATE TABLE IF NOT EXISTS {{tbl "detections"}}{{onCluster}}
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
ENGINE = {{engine "MergeTree" ""}}
PARTITION BY toYYYYMM(ts)
ORDER BY (ts, ip)
TTL toDateTime(ts) + INTERVAL {{.RetentionDays}} DAY;

-- One row per detection run.
CREATE TABLE IF NOT EXISTS {{tbl "detect_runs"}}{{onCluster}}
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
ENGINE = {{engine "MergeTree" ""}}
PARTITION BY toYYYYMM(started)
ORDER BY started
TTL toDateTime(started) + INTERVAL 90 DAY;

-- Blocklist feeds and their last good copy.
CREATE TABLE IF NOT EXISTS {{tbl "feeds"}}{{onCluster}}
(
    name        String,
    url         String,
    interval_s  UInt32,
    created_by  String,
    created     DateTime('UTC'),
    version     UInt64,
    deleted     UInt8
)
ENGINE = {{engine "ReplacingMergeTree" "version, deleted"}}
ORDER BY name;

CREATE TABLE IF NOT EXISTS {{tbl "feed_state"}}{{onCluster}}
(
    name          String,
    entries       Array(String),
    skipped       UInt32,
    last_attempt  DateTime('UTC'),
    last_ok       DateTime('UTC'),
    last_error    String,
    version       UInt64
)
ENGINE = {{engine "ReplacingMergeTree" "version"}}
ORDER BY name;

-- Webhook receivers; the HMAC secret encrypted with the key file.
CREATE TABLE IF NOT EXISTS {{tbl "webhooks"}}{{onCluster}}
(
    name        String,
    url         String,
    secret_enc  String,
    created     DateTime('UTC'),
    version     UInt64,
    deleted     UInt8
)
ENGINE = {{engine "ReplacingMergeTree" "version, deleted"}}
ORDER BY name;

-- API tokens: only a SHA-256 hash of each token is kept.
CREATE TABLE IF NOT EXISTS {{tbl "api_tokens"}}{{onCluster}}
(
    name        String,
    scope       LowCardinality(String),
    hash        String,
    created_by  String,
    created     DateTime('UTC'),
    version     UInt64,
    deleted     UInt8
)
ENGINE = {{engine "ReplacingMergeTree" "version, deleted"}}
ORDER BY name;

-- Web sessions: only a SHA-256 hash of each session id is kept.
CREATE TABLE IF NOT EXISTS {{tbl "sessions"}}{{onCluster}}
(
    id_hash     String,
    user        String,
    created     DateTime('UTC'),
    expires     DateTime('UTC'),
    version     UInt64,
    deleted     UInt8
)
ENGINE = {{engine "ReplacingMergeTree" "version, deleted"}}
ORDER BY id_hash
TTL expires + INTERVAL 1 DAY;

-- Who polls the EDLs: one row per client address and list.
CREATE TABLE IF NOT EXISTS {{tbl "edl_clients"}}{{onCluster}}
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
ENGINE = {{engine "ReplacingMergeTree" "version"}}
ORDER BY (client, list);
