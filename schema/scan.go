package schema

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// NullText is how TabSeparated output spells NULL.
const NullText = `\N`

// ScanText converts the (unescaped) ClickHouse text form of one value into
// dest, one of the destinations Rows.Scan documents. Engines that receive
// text use it; it defines the conversions both engines must agree on.
func ScanText(dest any, text string) error {
	switch d := dest.(type) {
	case *string:
		*d = text
	case *any:
		*d = text
	case *[]byte:
		*d = append((*d)[:0], text...)
	case *bool:
		switch text {
		case "1", "true":
			*d = true
		case "0", "false", "":
			*d = false
		default:
			return fmt.Errorf("converting %q to bool", text)
		}
	case *time.Time:
		t, err := ParseTimeText(text)
		if err != nil {
			return err
		}
		*d = t
	case *netip.Addr:
		a, err := netip.ParseAddr(text)
		if err != nil {
			return fmt.Errorf("converting %q to an address: %w", text, err)
		}
		*d = a.Unmap()
	default:
		return scanNumber(dest, text)
	}
	return nil
}

func scanNumber(dest any, text string) error {
	switch d := dest.(type) {
	case *float64, *float32:
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return fmt.Errorf("converting %q to float: %w", text, err)
		}
		if p, ok := d.(*float64); ok {
			*p = f
		} else {
			*d.(*float32) = float32(f)
		}
		return nil
	case *int, *int8, *int16, *int32, *int64:
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return fmt.Errorf("converting %q to int: %w", text, err)
		}
		return setInt(dest, n)
	case *uint, *uint8, *uint16, *uint32, *uint64:
		n, err := strconv.ParseUint(text, 10, 64)
		if err != nil {
			return fmt.Errorf("converting %q to uint: %w", text, err)
		}
		return setUint(dest, n)
	default:
		return fmt.Errorf("unsupported scan destination %T", dest)
	}
}

func setInt(dest any, n int64) error {
	switch d := dest.(type) {
	case *int:
		*d = int(n)
	case *int8:
		*d = int8(n)
	case *int16:
		*d = int16(n)
	case *int32:
		*d = int32(n)
	case *int64:
		*d = n
	}
	return nil
}

func setUint(dest any, n uint64) error {
	switch d := dest.(type) {
	case *uint:
		*d = uint(n)
	case *uint8:
		*d = uint8(n)
	case *uint16:
		*d = uint16(n)
	case *uint32:
		*d = uint32(n)
	case *uint64:
		*d = n
	}
	return nil
}

// ParseTimeText parses DateTime and DateTime64 text ("2006-01-02 15:04:05"
// with optional fraction) and Date text, all as UTC, which is the session
// time zone both engines use.
func ParseTimeText(text string) (time.Time, error) {
	layout := time.DateTime
	switch {
	case len(text) == len(time.DateOnly):
		layout = time.DateOnly
	case strings.IndexByte(text, '.') > 0:
		layout = "2006-01-02 15:04:05.999999999"
	}
	t, err := time.ParseInLocation(layout, text, time.UTC)
	if err != nil {
		return time.Time{}, fmt.Errorf("converting %q to time: %w", text, err)
	}
	return t, nil
}
