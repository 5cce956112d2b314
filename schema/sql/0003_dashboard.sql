-- 0003_dashboard: pre-aggregated rollups for the web dashboard, fed by
-- materialized views on every insert into the log table, so a dashboard
-- over 24 h reads a few thousand rows instead of scanning the logs.
--
-- Exactly once: an insert re-sent with the same insert_deduplication_token
-- is dropped by the log table and, with
-- deduplicate_blocks_in_dependent_materialized_views (on by default in
-- ClickHouse 26), checked again by each rollup, whose own deduplication
-- window then drops what it already has. So a batch re-sent after a crash
-- is counted once, and a batch whose rollup write failed after the log
-- table had it is counted when it is re-sent. The rollups keep 400 days
-- (they are small), whatever the logs' retention.

-- Lines per five minutes by device, type, action, severity and source
-- country (events over time, threats by severity, top countries, ingest
-- rate per device).
CREATE TABLE IF NOT EXISTS {{local "dash_events"}}{{onCluster}}
(
    bucket       DateTime('UTC'),
    device       LowCardinality(String),
    type         LowCardinality(String),
    action       LowCardinality(String),
    severity     Enum8('' = 0, 'informational' = 1, 'low' = 2, 'medium' = 3, 'high' = 4, 'critical' = 5),
    src_country  LowCardinality(String),
    lines        UInt64
)
ENGINE = {{shardEngine "SummingMergeTree" "lines"}}
PARTITION BY toYYYYMM(bucket)
ORDER BY (bucket, device, type, action, severity, src_country)
TTL bucket + INTERVAL 400 DAY
SETTINGS {{dedupWindow}};

-- Rows stored before this migration, once (single node; a cluster's
-- rollups start empty). Before the view exists, so nothing is counted twice.
{{if not clustered}}INSERT INTO {{tbl "dash_events"}} (bucket, device, type, action, severity, src_country, lines)
SELECT toStartOfFiveMinutes(ts) AS bucket, device, type, action, severity, src_country, count()
FROM {{tbl "firewall_logs"}}
WHERE (SELECT count() FROM {{tbl "dash_events"}}) = 0
GROUP BY bucket, device, type, action, severity, src_country;{{end}}

CREATE MATERIALIZED VIEW IF NOT EXISTS {{tbl "dash_events_mv"}}{{onCluster}} TO {{local "dash_events"}} AS
SELECT toStartOfFiveMinutes(ts) AS bucket, device, type, action, severity, src_country, count() AS lines
FROM {{local "firewall_logs"}}
GROUP BY bucket, device, type, action, severity, src_country;

{{distributed "dash_events" "rand()"}}

-- Per hour and device, the most frequent attacking sources, targeted hosts
-- and targeted ports (approximate top-50 sketches, mergeable across hours)
-- among the lines that are attacks: THREAT lines and lines the firewall did
-- not allow.
CREATE TABLE IF NOT EXISTS {{local "dash_top"}}{{onCluster}}
(
    bucket   DateTime('UTC'),
    device   LowCardinality(String),
    attacks  SimpleAggregateFunction(sum, UInt64),
    src      AggregateFunction(approx_top_count(50), IPv6),
    dst      AggregateFunction(approx_top_count(50), IPv6),
    dst_port AggregateFunction(approx_top_count(50), UInt16)
)
ENGINE = {{shardEngine "AggregatingMergeTree" ""}}
PARTITION BY toYYYYMM(bucket)
ORDER BY (bucket, device)
TTL bucket + INTERVAL 400 DAY
SETTINGS {{dedupWindow}};

{{if not clustered}}INSERT INTO {{tbl "dash_top"}} (bucket, device, attacks, src, dst, dst_port)
SELECT toStartOfHour(ts) AS bucket, device, count(), approx_top_countState(50)(src_ip),
    approx_top_countState(50)(dst_ip), approx_top_countState(50)(dst_port)
FROM {{tbl "firewall_logs"}}
WHERE (type = 'THREAT' OR action != 'allow') AND (SELECT count() FROM {{tbl "dash_top"}}) = 0
GROUP BY bucket, device;{{end}}

CREATE MATERIALIZED VIEW IF NOT EXISTS {{tbl "dash_top_mv"}}{{onCluster}} TO {{local "dash_top"}} AS
SELECT toStartOfHour(ts) AS bucket, device, count() AS attacks,
    approx_top_countState(50)(src_ip) AS src, approx_top_countState(50)(dst_ip) AS dst,
    approx_top_countState(50)(dst_port) AS dst_port
FROM {{local "firewall_logs"}}
WHERE type = 'THREAT' OR action != 'allow'
GROUP BY bucket, device;

{{distributed "dash_top" "rand()"}}
