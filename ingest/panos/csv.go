package panos

import "net/netip"

// parseCSV parses a default-format (or CDL) CSV payload starting at pl.start.
func (p *Parser) parseCSV(line string, pl payload, r *Record) error {
	fs := &p.fs
	fs.reset(line, pl.start)
	typIdx := csvTraffic.typ
	if pl.cdl {
		typIdx = cdlTraffic.typ
	}
	fs.splitTo(typIdx + 1)
	typ, ok := classifyType(fs.str(typIdx))
	if !ok {
		return typeError(fs.raw(typIdx))
	}
	lay := pickLayout(typ, pl.cdl)
	if n := fs.splitTo(lay.need); n < lay.minFields {
		return rejectText(ReasonTooFewFields, typ+" line ends before the action column")
	}
	r.Format, r.Type = FormatCSV, typ
	if err := p.csvTimes(lay, r); err != nil {
		return err
	}
	if err := csvAddrs(fs, lay, r); err != nil {
		return err
	}
	if err := csvNumbers(fs, lay, r); err != nil {
		return err
	}
	csvStrings(fs, lay, r)
	if typ == typeThreat {
		return csvThreatFields(fs, lay, r)
	}
	return nil
}

// pickLayout returns the column layout for a log type and column convention.
func pickLayout(typ string, cdl bool) *layout {
	switch {
	case cdl && typ == typeThreat:
		return &cdlThreat
	case cdl:
		return &cdlTraffic
	case typ == typeThreat:
		return &csvThreat
	default:
		return &csvTraffic
	}
}

// csvTimes sets Time from the receive time (required) and Generated from the generated
// time, falling back to Time when that is empty or invalid.
func (p *Parser) csvTimes(lay *layout, r *Record) error {
	fs := &p.fs
	t, ok := p.stampField(0, fs.str(lay.recv))
	if !ok {
		return reject(ReasonBadTime, "receive time", fs.raw(lay.recv))
	}
	r.Time, r.Generated = t, t
	if g, ok := p.stampField(1, fs.str(lay.gen)); ok {
		r.Generated = g
	}
	return nil
}

// csvAddrs sets the four addresses; source and destination are required.
func csvAddrs(fs *fields, lay *layout, r *Record) error {
	var ok bool
	if r.SrcIP, ok = parseAddr(fs.raw(lay.src)); !ok {
		return reject(ReasonBadSrcIP, "source address", fs.raw(lay.src))
	}
	if r.DstIP, ok = parseAddr(fs.raw(lay.dst)); !ok {
		return reject(ReasonBadDstIP, "destination address", fs.raw(lay.dst))
	}
	if r.NATSrcIP, ok = optionalAddr(fs.raw(lay.natSrc)); !ok {
		return reject(ReasonBadField, "NAT source address", fs.raw(lay.natSrc))
	}
	if r.NATDstIP, ok = optionalAddr(fs.raw(lay.natDst)); !ok {
		return reject(ReasonBadField, "NAT destination address", fs.raw(lay.natDst))
	}
	return nil
}

// csvNumbers sets ports (0..65535, else bad_port) and counters (else bad_field).
func csvNumbers(fs *fields, lay *layout, r *Record) error {
	ports := [4]struct {
		idx  int
		dst  *uint16
		name string
	}{
		{lay.sport, &r.SrcPort, "source port"}, {lay.dport, &r.DstPort, "destination port"},
		{lay.natSport, &r.NATSrcPort, "NAT source port"}, {lay.natDport, &r.NATDstPort, "NAT destination port"},
	}
	for _, pt := range ports {
		v, ok := parseUint(fs.raw(pt.idx), 65535)
		if !ok {
			return reject(ReasonBadPort, pt.name, fs.raw(pt.idx))
		}
		*pt.dst = uint16(v)
	}
	return csvCounters(fs, lay, r)
}

// csvCounters sets the session id, repeat count and TRAFFIC byte/packet/elapsed counters.
func csvCounters(fs *fields, lay *layout, r *Record) error {
	const u32 = 1<<32 - 1
	var repeat, elapsed uint64
	counters := [6]struct {
		idx   int
		dst   *uint64
		limit uint64
		name  string
	}{
		{lay.session, &r.SessionID, 1<<64 - 1, "session id"}, {lay.repeat, &repeat, u32, "repeat count"},
		{lay.bytesSent, &r.BytesSent, 1<<64 - 1, "bytes sent"}, {lay.bytesRecv, &r.BytesRecv, 1<<64 - 1, "bytes received"},
		{lay.packets, &r.Packets, 1<<64 - 1, "packets"}, {lay.elapsed, &elapsed, u32, "elapsed time"},
	}
	for _, c := range counters {
		v, ok := parseUint(fs.raw(c.idx), c.limit)
		if !ok {
			return reject(ReasonBadField, c.name, fs.raw(c.idx))
		}
		*c.dst = v
	}
	r.RepeatCount, r.ElapsedSec = uint32(repeat), uint32(elapsed)
	return nil
}

// csvStrings sets the plain string columns (trimmed, unescaped if quoted with doubled quotes).
func csvStrings(fs *fields, lay *layout, r *Record) {
	r.Subtype, r.Serial, r.DeviceName, r.Vsys = lowerASCII(fs.str(lay.subtype)), fs.str(lay.serial), fs.str(lay.device), fs.str(lay.vsys)
	r.Rule, r.RuleUUID = fs.str(lay.rule), fs.str(lay.ruleUUID)
	r.SrcUser, r.DstUser = fs.str(lay.srcUser), fs.str(lay.dstUser)
	r.SrcZone, r.DstZone = fs.str(lay.from), fs.str(lay.to)
	r.InboundIf, r.OutboundIf = fs.str(lay.inIf), fs.str(lay.outIf)
	r.App, r.Proto, r.Action = fs.str(lay.app), fs.str(lay.proto), fs.str(lay.action)
	r.Category, r.SessionEndReason = fs.str(lay.category), fs.str(lay.endReason)
	r.SrcCountry, r.DstCountry = fs.str(lay.srcLoc), fs.str(lay.dstLoc)
	r.SrcEDL, r.DstEDL = fs.str(lay.srcEDL), fs.str(lay.dstEDL)
}

// csvThreatFields sets the THREAT-only columns. An empty severity is allowed (short
// lines); a non-empty unknown one is rejected, as it usually means shifted columns.
func csvThreatFields(fs *fields, lay *layout, r *Record) error {
	r.Misc = fs.exact(lay.misc)
	r.Direction, r.ThreatCategory = fs.str(lay.direction), fs.str(lay.thrCat)
	if s := fs.str(lay.severity); s != "" {
		sev, ok := ParseSeverity(s)
		if !ok {
			return reject(ReasonBadSeverity, "severity", fs.raw(lay.severity))
		}
		r.Severity = sev
	}
	name, id := splitThreat(fs.str(lay.threat))
	if lay.threatOrCategory && id == 0 {
		r.Category = name
		return nil
	}
	r.ThreatName, r.ThreatID = name, id
	return nil
}

// optionalAddr parses an address that may be empty (zero Addr).
func optionalAddr(s string) (netip.Addr, bool) {
	if trimSpace(s) == "" {
		return netip.Addr{}, true
	}
	return parseAddr(s)
}
