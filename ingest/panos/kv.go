package panos

// Keys of the custom Key=value format (matched case-insensitively).
const (
	kvSrcLocation = iota
	kvSrcIP
	kvSrcPort
	kvSrcUser
	kvDstLocation
	kvDstIP
	kvDstPort
	kvAction
	kvRuleName
	kvRuleID
	kvTimeReceived
	kvThreatName
	kvThreatID
	kvSeverity
	kvSubtype
	kvType
	kvSrcEDL
	kvDstEDL
	numKV
)

var kvNames = [numKV]string{
	"SrcLocation", "SrcIP", "SrcPort", "SrcUser", "DstLocation", "DstIP", "DstPort", "Action",
	"RuleName", "RuleID", "TimeReceived", "ThreatName", "ThreatID", "Severity", "Subtype", "Type",
	"SrcEDL", "DstEDL",
}

// kvByLen lists the key indexes by key length, so a lookup compares at most four names.
var kvByLen = func() (t [13][]int) {
	for i, n := range kvNames {
		t[len(n)] = append(t[len(n)], i)
	}
	return t
}()

// kvKeyIndex returns the index of a known key (case-insensitive), or -1.
func kvKeyIndex(k string) int {
	if len(k) >= len(kvByLen) {
		return -1
	}
	for _, i := range kvByLen[len(k)] {
		if equalFoldASCII(kvNames[i], k) {
			return i
		}
	}
	return -1
}

// equalFoldASCII compares two equal-length strings ASCII-case-insensitively; a must be letters only.
func equalFoldASCII(a, b string) bool {
	for i := 0; i < len(a); i++ {
		if a[i]|0x20 != b[i]|0x20 {
			return false
		}
	}
	return true
}

// splitKV reads "Key=value;" pairs into v in one pass. Keys and values are trimmed;
// unknown keys and segments without '=' are ignored; a later duplicate wins;
// unsubstituted "$variable" values count as empty.
func splitKV(s string, v *[numKV]string) {
	i := 0
	for i < len(s) {
		j := i
		for j < len(s) && s[j] != '=' && s[j] != ';' {
			j++
		}
		if j == len(s) {
			return
		}
		if s[j] == ';' {
			i = j + 1
			continue
		}
		k := j + 1
		for k < len(s) && s[k] != ';' {
			k++
		}
		if idx := kvKeyIndex(trimSpace(s[i:j])); idx >= 0 {
			v[idx] = kvValue(s[j+1 : k])
		}
		i = k + 1
	}
}

// kvValue trims a value and maps an unsubstituted PAN variable ("$threatid") to "".
func kvValue(s string) string {
	s = trimSpace(s)
	if len(s) < 2 || s[0] != '$' {
		return s
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isLetter(c) && !isDigit(c) && c != '_' && c != '-' {
			return s
		}
	}
	return ""
}

// parseKV parses a custom Key=value payload starting at line[start].
func (p *Parser) parseKV(line string, start int, r *Record) error {
	var v [numKV]string
	splitKV(line[start:], &v)
	typ, err := kvLogType(&v)
	if err != nil {
		return err
	}
	r.Format, r.Type = FormatKV, typ
	if err := p.kvTime(line[:start], v[kvTimeReceived], r); err != nil {
		return err
	}
	if err := kvAddrs(&v, r); err != nil {
		return err
	}
	r.SrcCountry, r.DstCountry = v[kvSrcLocation], v[kvDstLocation]
	r.SrcUser, r.Action, r.Rule, r.RuleUUID = v[kvSrcUser], v[kvAction], v[kvRuleName], v[kvRuleID]
	r.SrcEDL, r.DstEDL = v[kvSrcEDL], v[kvDstEDL]
	r.Subtype = lowerASCII(v[kvSubtype])
	if typ == typeThreat {
		kvThreat(&v, r)
	}
	return nil
}

// kvLogType returns the canonical type; without a Type key it is THREAT when a threat
// id/name or severity is present, else TRAFFIC.
func kvLogType(v *[numKV]string) (string, error) {
	t := v[kvType]
	if t == "" {
		if v[kvThreatID] != "" || v[kvThreatName] != "" || v[kvSeverity] != "" {
			return typeThreat, nil
		}
		return typeTraffic, nil
	}
	if canon, ok := classifyType(t); ok {
		return canon, nil
	}
	return "", typeError(t)
}

// kvTime sets Time (and Generated) from TimeReceived, or from the syslog header when
// TimeReceived is missing or empty. A present but unparsable TimeReceived is rejected.
func (p *Parser) kvTime(header, received string, r *Record) error {
	if received != "" {
		t, ok := p.stampField(0, received)
		if !ok {
			return reject(ReasonBadTime, "TimeReceived", received)
		}
		r.Time, r.Generated = t, t
		return nil
	}
	hs := scanHeader(header)
	t, ok := hs.time(p.loc, p.opts.now())
	if !ok {
		return rejectText(ReasonBadTime, "no TimeReceived and no usable syslog header time")
	}
	r.Time, r.Generated, r.Host = t, t, hs.host
	return nil
}

// kvAddrs sets the required addresses and the optional ports.
func kvAddrs(v *[numKV]string, r *Record) error {
	var ok bool
	if r.SrcIP, ok = parseAddr(v[kvSrcIP]); !ok {
		return reject(ReasonBadSrcIP, "SrcIP", v[kvSrcIP])
	}
	if r.DstIP, ok = parseAddr(v[kvDstIP]); !ok {
		return reject(ReasonBadDstIP, "DstIP", v[kvDstIP])
	}
	sp, ok := parseUint(v[kvSrcPort], 65535)
	if !ok {
		return reject(ReasonBadPort, "SrcPort", v[kvSrcPort])
	}
	dp, ok := parseUint(v[kvDstPort], 65535)
	if !ok {
		return reject(ReasonBadPort, "DstPort", v[kvDstPort])
	}
	r.SrcPort, r.DstPort = uint16(sp), uint16(dp)
	return nil
}

// kvThreat sets ThreatName, ThreatID and Severity. ThreatID may be "Name(ID)", a bare
// number or empty; ThreatName may be "Name(ID)" too. The id comes from ThreatID when it
// has one, else from ThreatName; the name from ThreatName, else from ThreatID.
// An unknown severity is left as SeverityNone.
func kvThreat(v *[numKV]string, r *Record) {
	var idName string
	var id uint64
	if n, ok := parseUint(v[kvThreatID], 1<<64-1); ok {
		id = n
	} else {
		idName, id = splitThreat(v[kvThreatID])
	}
	name, nameID := splitThreat(v[kvThreatName])
	if id == 0 {
		id = nameID
	}
	if name == "" {
		name = idName
	}
	r.ThreatName, r.ThreatID = name, id
	r.Severity, _ = ParseSeverity(v[kvSeverity])
}
