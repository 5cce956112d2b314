package panos

import "strconv"

// SkipError reports a well-formed PAN-OS log of a type the parser does not turn into records
// (SYSTEM, CONFIG, HIPMATCH, GLOBALPROTECT, CORRELATION, USERID, ...).
type SkipError struct {
	// Type is the canonical upper-case PAN-OS log type, e.g. "SYSTEM".
	Type string
}

// Error returns "skipped log type <Type>".
func (e *SkipError) Error() string { return "skipped log type " + e.Type }

// RejectError reports a line that is not a usable PAN-OS TRAFFIC or THREAT log.
type RejectError struct {
	// Reason is a short stable snake_case code suitable as a metric label.
	Reason string
	// Detail is human-readable text; it may quote the offending value, truncated to 64 bytes.
	Detail string
}

// Error returns "rejected (<reason>): <detail>".
func (e *RejectError) Error() string { return "rejected (" + e.Reason + "): " + e.Detail }

// Reject reasons. They are part of the API: metrics and tests use them as labels.
const (
	// ReasonEmptyLine means the line is empty or blank.
	ReasonEmptyLine = "empty_line"
	// ReasonUnrecognizedFormat means neither a CSV nor a Key=value payload was found.
	ReasonUnrecognizedFormat = "unrecognized_format"
	// ReasonUnsupportedFormat means a known non-PAN-OS-syslog format (CEF, LEEF).
	ReasonUnsupportedFormat = "unsupported_format"
	// ReasonTooFewFields means a CSV line ends before the action column.
	ReasonTooFewFields = "too_few_fields"
	// ReasonMissingType means the type column is empty.
	ReasonMissingType = "missing_type"
	// ReasonUnknownType means the type column is not a PAN-OS log type.
	ReasonUnknownType = "unknown_type"
	// ReasonBadTime means no valid receive time (nor, for Key=value, a header time).
	ReasonBadTime = "bad_time"
	// ReasonBadSrcIP means the source address is missing or invalid.
	ReasonBadSrcIP = "bad_src_ip"
	// ReasonBadDstIP means the destination address is missing or invalid.
	ReasonBadDstIP = "bad_dst_ip"
	// ReasonBadPort means a port is not a number in 0..65535.
	ReasonBadPort = "bad_port"
	// ReasonBadSeverity means a CSV THREAT severity is present but not a PAN-OS severity.
	ReasonBadSeverity = "bad_severity"
	// ReasonBadField means another column (counter, NAT address) is malformed.
	ReasonBadField = "bad_field"
)

// maxDetailValue bounds how much of an offending value is quoted in a RejectError.
const maxDetailValue = 64

// reject builds a RejectError whose detail names the field and quotes its value.
func reject(reason, field, value string) *RejectError {
	if len(value) > maxDetailValue {
		value = value[:maxDetailValue] + "..."
	}
	return &RejectError{Reason: reason, Detail: field + " " + strconv.Quote(value)}
}

// rejectText builds a RejectError with a fixed detail text.
func rejectText(reason, detail string) *RejectError {
	return &RejectError{Reason: reason, Detail: detail}
}
