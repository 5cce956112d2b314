package main

// baselineSQL is the engine's own ingest of the same file: one
// INSERT ... SELECT over file(path, 'LineAsString'), extracting the columns
// with regular expressions (key=value) or by splitting on commas (CSV), as
// a ClickHouse user would without a parser in front. It writes the same
// table and the same columns the Go pipeline fills from these lines, so the
// engine does the same storage work. It is a speed reference, not a
// parser: its CSV split ignores quoting, so THREAT columns after the quoted
// URL field land one place off; it does no validation, no header handling,
// no rejects and no exactly-once bookkeeping.
func baselineSQL(format string) string {
	if format == "csv" {
		return baselineCSV
	}
	return baselineKV
}

const insertCols = `INSERT INTO firewall_logs (ts, generated, device, type, subtype, format, src_ip, dst_ip, src_port, dst_port,
	src_country, dst_country, src_user, rule, rule_uuid, action, threat_name, threat_id, severity)`

const baselineKV = insertCols + `
SELECT
	parseDateTime(extract(line, 'TimeReceived=([^;]*)'), '%Y/%m/%d %H:%i:%s', 'UTC') AS t, t, 'bench',
	trim(extract(line, 'Type=([^;]*)')), extract(line, 'Subtype=([^;]*)'), 'kv',
	toIPv6(extract(line, 'SrcIP=([^;]*)')), toIPv6(extract(line, 'DstIP=([^;]*)')),
	toUInt16OrZero(extract(line, 'SrcPort=([^;]*)')), toUInt16OrZero(extract(line, 'DstPort=([^;]*)')),
	extract(line, 'SrcLocation=([^;]*)'), extract(line, 'DstLocation=([^;]*)'), extract(line, 'SrcUser=([^;]*)'),
	extract(line, 'RuleName=([^;]*)'), extract(line, 'RuleID=([^;]*)'), extract(line, 'Action=([^;]*)'),
	extract(line, 'ThreatName=([^;(]*)'), toUInt64OrZero(extract(line, 'ThreatID=[^;]*\\((\\d+)\\)')),
	CAST(lower(extract(line, 'Severity=([^;]*)')) AS Enum8('' = 0, 'informational' = 1, 'low' = 2, 'medium' = 3, 'high' = 4, 'critical' = 5))
FROM file({path:String}, 'LineAsString')`

const baselineCSV = insertCols + `
SELECT
	parseDateTime(f[2], '%Y/%m/%d %H:%i:%s', 'UTC') AS t, parseDateTime(f[7], '%Y/%m/%d %H:%i:%s', 'UTC'), 'bench',
	f[4], f[5], 'csv', toIPv6(f[8]), toIPv6(f[9]), toUInt16OrZero(f[25]), toUInt16OrZero(f[26]),
	if(f[4] = 'THREAT', f[39], f[42]), if(f[4] = 'THREAT', f[40], f[43]), f[13], f[12],
	if(f[4] = 'THREAT', f[77], f[66]), f[31],
	if(f[4] = 'THREAT', extract(arrayFirst(x -> match(x, '\\(\\d+\\)$'), f), '^(.*)\\(\\d+\\)$'), ''),
	toUInt64OrZero(extract(arrayFirst(x -> match(x, '\\(\\d+\\)$'), f), '\\((\\d+)\\)$')),
	CAST(if(f[4] = 'THREAT', lower(arrayFirst(x -> lower(x) IN ('informational', 'low', 'medium', 'high', 'critical'), arraySlice(f, 34, 4))), '')
		AS Enum8('' = 0, 'informational' = 1, 'low' = 2, 'medium' = 3, 'high' = 4, 'critical' = 5))
FROM (SELECT splitByChar(',', substring(line, position(line, ' 1,') + 1)) AS f FROM file({path:String}, 'LineAsString'))`
