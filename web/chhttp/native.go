package chhttp

import (
	"encoding/binary"
	"strings"
)

// helloSQL is the statement clickhouse-go (v2.38 and later) sends on every
// new HTTP connection; the revision it returns decides how the driver
// decodes every later Native result.
const helloSQL = "SELECT displayName(), version(), revision(), timezone()"

// customSerializationRevision is the first protocol revision whose Native
// blocks carry a custom-serialization byte per column.
const customSerializationRevision = 54454

// isHello reports whether q is the driver's hello.
func isHello(q string) bool {
	return strings.TrimRight(strings.TrimSpace(q), ";") == helloSQL
}

// helloBlock answers the hello in Native format, framed for the client's
// protocol revision. It reports revision 0: the engine writes revision-0
// Native blocks (no block info, no serialization bytes), and a driver told
// revision 0 decodes them as they are.
func helloBlock(protoVersion uint64, displayName, version, timezone string) []byte {
	var b []byte
	if protoVersion > 0 {
		// Block info: is_overflows = 0, bucket_num = -1, end of fields.
		b = append(b, 1, 0, 2, 0xff, 0xff, 0xff, 0xff, 0)
	}
	b = binary.AppendUvarint(b, 4) // columns
	b = binary.AppendUvarint(b, 1) // rows
	column := func(name, typ string, data []byte) {
		b = appendString(b, name)
		b = appendString(b, typ)
		if protoVersion >= customSerializationRevision {
			b = append(b, 0) // no custom serialization
		}
		b = append(b, data...)
	}
	column("displayName()", "String", appendString(nil, displayName))
	column("version()", "String", appendString(nil, version))
	column("revision()", "UInt32", []byte{0, 0, 0, 0})
	column("timezone()", "String", appendString(nil, timezone))
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}
