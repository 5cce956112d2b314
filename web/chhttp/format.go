package chhttp

import "strings"

// contentType is the Content-Type ClickHouse sends for a format. No client
// reads it; browsers and curl users see sensible types.
func contentType(format string) string {
	f := strings.ToLower(format)
	switch {
	case strings.HasPrefix(f, "tabseparated") || strings.HasPrefix(f, "tsv"):
		return "text/tab-separated-values; charset=UTF-8"
	case strings.HasPrefix(f, "csv"):
		return "text/csv; charset=UTF-8"
	case strings.HasSuffix(f, "eachrow") || f == "jsonlines" || f == "ndjson":
		return "application/x-ndjson; charset=UTF-8"
	case strings.HasPrefix(f, "json"):
		return "application/json; charset=UTF-8"
	case f == "native" || strings.HasPrefix(f, "rowbinary") || f == "parquet" || f == "arrow" ||
		f == "arrowstream" || f == "orc" || f == "avro" || f == "msgpack":
		return "application/octet-stream"
	default:
		return "text/plain; charset=UTF-8"
	}
}
