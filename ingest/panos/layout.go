package panos

import "strings"

// layout gives the 0-based CSV column of every Record field for one log type and
// column convention; -1 means the column does not exist in that layout.
type layout struct {
	recv, serial, typ, subtype, gen           int
	src, dst, natSrc, natDst                  int
	rule, srcUser, dstUser, app, vsys         int
	from, to, inIf, outIf                     int
	session, repeat, sport, dport, natSport   int
	natDport, proto, action                   int
	bytesSent, bytesRecv, packets, elapsed    int
	category, srcLoc, dstLoc, endReason       int
	device, ruleUUID                          int
	misc, threat, severity, direction, thrCat int
	srcEDL, dstEDL                            int
	// minFields is how many columns a line needs (through action).
	minFields int
	// need is how many columns to split (one past the highest index used).
	need int
	// threatOrCategory: the threat column holds the URL category when it has no "(id)".
	threatOrCategory bool
}

// common1to31 fills the columns that TRAFFIC and THREAT share in the default CSV format
// (PANOS-FORMATS.md §3/§4, 1-based positions 1–31 minus one).
func common1to31() layout {
	return layout{
		recv: 1, serial: 2, typ: 3, subtype: 4, gen: 6,
		src: 7, dst: 8, natSrc: 9, natDst: 10,
		rule: 11, srcUser: 12, dstUser: 13, app: 14, vsys: 15,
		from: 16, to: 17, inIf: 18, outIf: 19,
		session: 22, repeat: 23, sport: 24, dport: 25, natSport: 26, natDport: 27,
		proto: 29, action: 30, minFields: 31,
	}
}

// csvTraffic is the default TRAFFIC layout, PAN-OS 6.1 through 11.x.
var csvTraffic = func() layout {
	l := common1to31()
	l.bytesSent, l.bytesRecv, l.packets, l.elapsed, l.category = 32, 33, 34, 36, 37
	l.srcLoc, l.dstLoc, l.endReason, l.device, l.ruleUUID = 41, 42, 46, 52, 65
	l.misc, l.threat, l.severity, l.direction, l.thrCat = -1, -1, -1, -1, -1
	l.srcEDL, l.dstEDL = 95, 96 // PAN-OS 10.0+
	l.need = 97
	return l
}()

// csvThreat is the default THREAT layout, PAN-OS 6.1 through 11.x.
var csvThreat = func() layout {
	l := common1to31()
	l.misc, l.threat, l.category, l.severity, l.direction = 31, 32, 33, 34, 35
	l.srcLoc, l.dstLoc, l.device, l.thrCat, l.ruleUUID = 38, 39, 59, 69, 76
	l.bytesSent, l.bytesRecv, l.packets, l.elapsed, l.endReason = -1, -1, -1, -1, -1
	l.srcEDL, l.dstEDL = 99, 100 // PAN-OS 10.0+
	l.need = 101
	return l
}()

// cdlCommon fills the shared columns of Cortex Data Lake / Strata Logging Service
// forwarder lines. They have no field 1 and omit the FUTURE_USE column 22 and the flags
// column 29 of the default format, so columns 2–21 move left by one and 23–28, 30–31 by
// two and three.
func cdlCommon() layout {
	return layout{
		recv: 0, serial: 1, typ: 2, subtype: 3, gen: 5,
		src: 6, dst: 7, natSrc: 8, natDst: 9,
		rule: 10, srcUser: 11, dstUser: 12, app: 13, vsys: 14,
		from: 15, to: 16, inIf: 17, outIf: 18,
		session: 20, repeat: 21, sport: 22, dport: 23, natSport: 24, natDport: 25,
		proto: 26, action: 27, minFields: 28,
	}
}

// cdlTraffic is the CDL TRAFFIC layout (also without FUTURE_USE 39, actionflags 41 and FUTURE_USE 44).
var cdlTraffic = func() layout {
	l := cdlCommon()
	l.bytesSent, l.bytesRecv, l.packets, l.elapsed, l.category = 29, 30, 31, 33, 34
	l.srcLoc, l.dstLoc, l.endReason, l.device, l.ruleUUID = 36, 37, 40, 46, 59
	l.misc, l.threat, l.severity, l.direction, l.thrCat = -1, -1, -1, -1, -1
	l.srcEDL, l.dstEDL = -1, -1
	l.need = 60
	return l
}()

// cdlThreat is the CDL THREAT layout: misc, one threat-or-category column, severity,
// direction, seqno, srcloc, dstloc. Later columns differ by subtype and are not used.
var cdlThreat = func() layout {
	l := cdlCommon()
	l.misc, l.threat, l.severity, l.direction, l.srcLoc, l.dstLoc = 28, 29, 30, 31, 33, 34
	l.category, l.device, l.thrCat, l.ruleUUID = -1, -1, -1, -1
	l.bytesSent, l.bytesRecv, l.packets, l.elapsed, l.endReason = -1, -1, -1, -1, -1
	l.srcEDL, l.dstEDL = -1, -1
	l.need, l.threatOrCategory = 35, true
	return l
}()

// skipTypes are the PAN-OS log types that are recognised but not parsed.
var skipTypes = [...]string{
	"SYSTEM", "CONFIG", "HIPMATCH", "HIP-MATCH", "GLOBALPROTECT", "CORRELATION", "USERID",
	"DECRYPTION", "AUTHENTICATION", "IPTAG", "GTP", "SCTP", "TUNNEL",
}

// classifyType returns the canonical type name and whether it is parsed (TRAFFIC or THREAT).
// An unknown word returns "", false.
func classifyType(s string) (string, bool) {
	switch {
	case strings.EqualFold(s, typeTraffic):
		return typeTraffic, true
	case strings.EqualFold(s, typeThreat):
		return typeThreat, true
	}
	for _, t := range skipTypes {
		if strings.EqualFold(s, t) {
			return t, false
		}
	}
	return "", false
}

// typeError returns the SkipError or RejectError for a type column that is not TRAFFIC or THREAT.
func typeError(raw string) error {
	raw = trimSpace(raw)
	if raw == "" {
		return rejectText(ReasonMissingType, "empty log type column")
	}
	if canon, _ := classifyType(raw); canon != "" {
		return &SkipError{Type: canon}
	}
	return reject(ReasonUnknownType, "log type", raw)
}
