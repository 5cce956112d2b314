package ingest

import (
	"github.com/activedefense/activedefense/ingest/panos"
	"github.com/activedefense/activedefense/schema"
)

// logBlock accumulates firewall_logs rows column by column.
type logBlock struct {
	ts, generated                            schema.DateTimeColumn
	device, typ, subtype, format, host       schema.StringColumn
	serial, deviceName, vsys                 schema.StringColumn
	srcIP, dstIP, natSrcIP, natDstIP         schema.IPv6Column
	srcPort, dstPort, natSrcPort, natDstPort schema.UInt16Column
	srcCountry, dstCountry, srcUser, dstUser schema.StringColumn
	srcZone, dstZone, inboundIf, outboundIf  schema.StringColumn
	rule, ruleUUID, app, proto, action       schema.StringColumn
	sessionID, bytesSent, bytesRecv, packets schema.UInt64Column
	repeatCount, elapsed                     schema.UInt32Column
	category, endReason, misc, threatName    schema.StringColumn
	threatID                                 schema.UInt64Column
	severity                                 schema.Int8Column
	direction, threatCategory                schema.StringColumn
	srcEDL, dstEDL                           schema.StringColumn
	block                                    schema.Block
}

func newLogBlock() *logBlock {
	b := &logBlock{}
	b.block = schema.Block{Table: "firewall_logs", Columns: []schema.NamedColumn{
		{Name: "ts", Data: &b.ts}, {Name: "generated", Data: &b.generated},
		{Name: "device", Data: &b.device}, {Name: "type", Data: &b.typ}, {Name: "subtype", Data: &b.subtype},
		{Name: "format", Data: &b.format}, {Name: "host", Data: &b.host}, {Name: "serial", Data: &b.serial},
		{Name: "device_name", Data: &b.deviceName}, {Name: "vsys", Data: &b.vsys},
		{Name: "src_ip", Data: &b.srcIP}, {Name: "dst_ip", Data: &b.dstIP},
		{Name: "nat_src_ip", Data: &b.natSrcIP}, {Name: "nat_dst_ip", Data: &b.natDstIP},
		{Name: "src_port", Data: &b.srcPort}, {Name: "dst_port", Data: &b.dstPort},
		{Name: "nat_src_port", Data: &b.natSrcPort}, {Name: "nat_dst_port", Data: &b.natDstPort},
		{Name: "src_country", Data: &b.srcCountry}, {Name: "dst_country", Data: &b.dstCountry},
		{Name: "src_user", Data: &b.srcUser}, {Name: "dst_user", Data: &b.dstUser},
		{Name: "src_zone", Data: &b.srcZone}, {Name: "dst_zone", Data: &b.dstZone},
		{Name: "inbound_if", Data: &b.inboundIf}, {Name: "outbound_if", Data: &b.outboundIf},
		{Name: "rule", Data: &b.rule}, {Name: "rule_uuid", Data: &b.ruleUUID},
		{Name: "app", Data: &b.app}, {Name: "proto", Data: &b.proto}, {Name: "action", Data: &b.action},
		{Name: "session_id", Data: &b.sessionID}, {Name: "repeat_count", Data: &b.repeatCount},
		{Name: "bytes_sent", Data: &b.bytesSent}, {Name: "bytes_recv", Data: &b.bytesRecv},
		{Name: "packets", Data: &b.packets}, {Name: "elapsed", Data: &b.elapsed},
		{Name: "category", Data: &b.category}, {Name: "session_end_reason", Data: &b.endReason},
		{Name: "misc", Data: &b.misc}, {Name: "threat_name", Data: &b.threatName},
		{Name: "threat_id", Data: &b.threatID}, {Name: "severity", Data: &b.severity},
		{Name: "direction", Data: &b.direction}, {Name: "threat_category", Data: &b.threatCategory},
		{Name: "src_edl", Data: &b.srcEDL}, {Name: "dst_edl", Data: &b.dstEDL},
	}}
	return b
}

func (b *logBlock) rows() int { return b.ts.Len() }

// capacity is how many rows the block can hold without growing.
func (b *logBlock) capacity() int { return cap(b.ts) }

func (b *logBlock) reset() { b.block.Reset() }

// add appends one parsed record for device.
func (b *logBlock) add(device string, r *panos.Record) {
	b.ts.AppendTime(r.Time)
	b.generated.AppendTime(r.Generated)
	b.device.Append(device)
	b.typ.Append(r.Type)
	b.subtype.Append(r.Subtype)
	b.format.Append(r.Format.String())
	b.host.Append(r.Host)
	b.serial.Append(r.Serial)
	b.deviceName.Append(r.DeviceName)
	b.vsys.Append(r.Vsys)
	b.srcIP.AppendAddr(r.SrcIP)
	b.dstIP.AppendAddr(r.DstIP)
	b.natSrcIP.AppendAddr(r.NATSrcIP)
	b.natDstIP.AppendAddr(r.NATDstIP)
	b.srcPort = append(b.srcPort, r.SrcPort)
	b.dstPort = append(b.dstPort, r.DstPort)
	b.natSrcPort = append(b.natSrcPort, r.NATSrcPort)
	b.natDstPort = append(b.natDstPort, r.NATDstPort)
	b.addStrings(r)
	b.sessionID = append(b.sessionID, r.SessionID)
	b.repeatCount = append(b.repeatCount, r.RepeatCount)
	b.bytesSent = append(b.bytesSent, r.BytesSent)
	b.bytesRecv = append(b.bytesRecv, r.BytesRecv)
	b.packets = append(b.packets, r.Packets)
	b.elapsed = append(b.elapsed, r.ElapsedSec)
	b.threatID = append(b.threatID, r.ThreatID)
	b.severity = append(b.severity, int8(r.Severity))
}

func (b *logBlock) addStrings(r *panos.Record) {
	b.srcCountry.Append(r.SrcCountry)
	b.dstCountry.Append(r.DstCountry)
	b.srcUser.Append(r.SrcUser)
	b.dstUser.Append(r.DstUser)
	b.srcZone.Append(r.SrcZone)
	b.dstZone.Append(r.DstZone)
	b.inboundIf.Append(r.InboundIf)
	b.outboundIf.Append(r.OutboundIf)
	b.rule.Append(r.Rule)
	b.ruleUUID.Append(r.RuleUUID)
	b.app.Append(r.App)
	b.proto.Append(r.Proto)
	b.action.Append(r.Action)
	b.category.Append(r.Category)
	b.endReason.Append(r.SessionEndReason)
	b.misc.Append(r.Misc)
	b.threatName.Append(r.ThreatName)
	b.direction.Append(r.Direction)
	b.threatCategory.Append(r.ThreatCategory)
	b.srcEDL.Append(r.SrcEDL)
	b.dstEDL.Append(r.DstEDL)
}

// rejectBlock accumulates rejected_lines rows.
type rejectBlock struct {
	ts                     schema.DateTimeColumn
	device, reason, detail schema.StringColumn
	file, line             schema.StringColumn
	offset                 schema.UInt64Column
	block                  schema.Block
}

func newRejectBlock() *rejectBlock {
	b := &rejectBlock{}
	b.block = schema.Block{Table: "rejected_lines", Columns: []schema.NamedColumn{
		{Name: "ts", Data: &b.ts}, {Name: "device", Data: &b.device}, {Name: "reason", Data: &b.reason},
		{Name: "detail", Data: &b.detail}, {Name: "file", Data: &b.file}, {Name: "offset", Data: &b.offset},
		{Name: "line", Data: &b.line},
	}}
	return b
}

func (b *rejectBlock) rows() int { return b.ts.Len() }

func (b *rejectBlock) reset() { b.block.Reset() }
