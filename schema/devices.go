package schema

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Device is a registered firewall log file.
type Device struct {
	Name     string
	Path     string
	Timezone string // IANA zone of the firewall's timestamps; "" = the server's zone
	// Senders are the source addresses the device's syslog arrives from
	// (the built-in listener maps each datagram or connection by them).
	Senders []string
	Enabled bool
	Created time.Time
	Updated time.Time
}

// ErrExists is returned when creating something that already exists.
var ErrExists = errors.New("already exists")

// ErrNotFound is returned when an object does not exist.
var ErrNotFound = errors.New("not found")

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

// ValidName reports whether s is a valid device or user name: 1–64
// characters of letters, digits, '.', '_', '@' and '-', starting with a
// letter or digit.
func ValidName(s string) bool { return nameRE.MatchString(s) }

// version returns a monotonically increasing row version.
func version() uint64 { return uint64(time.Now().UnixNano()) }

// ParseSenders validates sender addresses and returns them in canonical
// form (IPv4 dotted, IPv6 compressed, IPv4-mapped IPv6 as IPv4), without
// duplicates. Each must be one IP address, not a name or a network.
func ParseSenders(in []string) ([]string, error) {
	var out []string
	for _, s := range in {
		a, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("invalid sender address %q: want an IP address such as 192.0.2.1 or 2001:db8::1", s)
		}
		if c := a.WithZone("").Unmap().String(); !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out, nil
}

// ListDevices returns the registered devices ordered by name.
func ListDevices(ctx context.Context, q Querier) ([]Device, error) {
	var out []Device
	err := QueryEach(ctx, q, `SELECT name, path, timezone, arrayStringConcat(senders, ','), enabled, created, updated
FROM devices FINAL WHERE deleted = 0 ORDER BY name`, nil, func(r Rows) error {
		var d Device
		var senders string
		if err := r.Scan(&d.Name, &d.Path, &d.Timezone, &senders, &d.Enabled, &d.Created, &d.Updated); err != nil {
			return err
		}
		if senders != "" {
			d.Senders = strings.Split(senders, ",")
		}
		out = append(out, d)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing devices: %w", err)
	}
	return out, nil
}

// GetDevice returns one device or ErrNotFound.
func GetDevice(ctx context.Context, q Querier, name string) (Device, error) {
	devs, err := ListDevices(ctx, q)
	if err != nil {
		return Device{}, err
	}
	for _, d := range devs {
		if d.Name == name {
			return d, nil
		}
	}
	return Device{}, fmt.Errorf("device %s: %w", name, ErrNotFound)
}

// AddDevice registers a new device; it fails with ErrExists when the name is
// taken, and when a sender address is invalid or belongs to another device.
func AddDevice(ctx context.Context, st Store, d Device) error {
	if !ValidName(d.Name) {
		return fmt.Errorf("invalid device name %q: use 1-64 letters, digits, '.', '_', '@' or '-'", d.Name)
	}
	senders, err := ParseSenders(d.Senders)
	if err != nil {
		return fmt.Errorf("device %s: %w", d.Name, err)
	}
	d.Senders = senders
	devs, err := ListDevices(ctx, st)
	if err != nil {
		return err
	}
	for _, o := range devs {
		if o.Name == d.Name {
			return fmt.Errorf("device %s: %w", d.Name, ErrExists)
		}
	}
	if err := sendersFree(devs, d.Name, d.Senders); err != nil {
		return err
	}
	return putDevice(ctx, st, d, false)
}

// UpdateDevice replaces an existing device's path, time zone and senders,
// keeping its created time and enabled flag. It fails with ErrNotFound when
// no device has d's name, and when a sender address is invalid or belongs
// to another device.
func UpdateDevice(ctx context.Context, st Store, d Device) error {
	senders, err := ParseSenders(d.Senders)
	if err != nil {
		return fmt.Errorf("device %s: %w", d.Name, err)
	}
	devs, err := ListDevices(ctx, st)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(devs, func(o Device) bool { return o.Name == d.Name })
	if i < 0 {
		return fmt.Errorf("device %s: %w", d.Name, ErrNotFound)
	}
	if err := sendersFree(devs, d.Name, senders); err != nil {
		return err
	}
	dev := devs[i]
	dev.Path, dev.Timezone, dev.Senders = d.Path, d.Timezone, senders
	return putDevice(ctx, st, dev, false)
}

// sendersFree refuses a sender address that belongs to a device other than
// name.
func sendersFree(devs []Device, name string, senders []string) error {
	for _, o := range devs {
		for _, s := range senders {
			if o.Name != name && slices.Contains(o.Senders, s) {
				return Invalid("senders", "sender %s already belongs to device %s", s, o.Name)
			}
		}
	}
	return nil
}

// RemoveDevice unregisters a device.
func RemoveDevice(ctx context.Context, st Store, name string) error {
	d, err := GetDevice(ctx, st, name)
	if err != nil {
		return err
	}
	return putDevice(ctx, st, d, true)
}

func putDevice(ctx context.Context, st Store, d Device, deleted bool) error {
	now := time.Now()
	if d.Created.IsZero() {
		d.Created = now
	}
	senders := d.Senders
	if senders == nil {
		senders = []string{}
	}
	err := st.Exec(ctx, `INSERT INTO devices (name, path, timezone, senders, enabled, created, updated, version, deleted)
SELECT {name:String}, {path:String}, {tz:String}, {senders:Array(String)}, {enabled:UInt8}, {created:DateTime},
       {updated:DateTime}, {version:UInt64}, {deleted:UInt8}`,
		Params{"name": d.Name, "path": d.Path, "tz": d.Timezone, "senders": senders, "enabled": d.Enabled,
			"created": d.Created, "updated": now, "version": version(), "deleted": deleted})
	if err != nil {
		return fmt.Errorf("saving device %s: %w", d.Name, err)
	}
	return nil
}

// DeviceSenders maps the syslog sender addresses of the registered devices
// (IPv4-mapped addresses as IPv4) to the device's name.
func DeviceSenders(ctx context.Context, q Querier) (map[netip.Addr]string, error) {
	devs, err := ListDevices(ctx, q)
	if err != nil {
		return nil, err
	}
	out := map[netip.Addr]string{}
	for _, d := range devs {
		for _, s := range d.Senders {
			if a, err := netip.ParseAddr(strings.TrimSpace(s)); err == nil {
				out[a.WithZone("").Unmap()] = d.Name
			}
		}
	}
	return out, nil
}
