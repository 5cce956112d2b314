package schema

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"
)

// Device is a registered firewall log file.
type Device struct {
	Name     string
	Path     string
	Timezone string // IANA zone of the firewall's timestamps; "" = the server's zone
	Enabled  bool
	Created  time.Time
	Updated  time.Time
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

// ListDevices returns the registered devices ordered by name.
func ListDevices(ctx context.Context, q Querier) ([]Device, error) {
	var out []Device
	err := QueryEach(ctx, q, `SELECT name, path, timezone, enabled, created, updated
FROM devices FINAL WHERE deleted = 0 ORDER BY name`, nil, func(r Rows) error {
		var d Device
		if err := r.Scan(&d.Name, &d.Path, &d.Timezone, &d.Enabled, &d.Created, &d.Updated); err != nil {
			return err
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
// taken.
func AddDevice(ctx context.Context, st Store, d Device) error {
	if !ValidName(d.Name) {
		return fmt.Errorf("invalid device name %q: use 1-64 letters, digits, '.', '_', '@' or '-'", d.Name)
	}
	if _, err := GetDevice(ctx, st, d.Name); err == nil {
		return fmt.Errorf("device %s: %w", d.Name, ErrExists)
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	return putDevice(ctx, st, d, false)
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
	err := st.Exec(ctx, `INSERT INTO devices (name, path, timezone, enabled, created, updated, version, deleted)
SELECT {name:String}, {path:String}, {tz:String}, {enabled:UInt8}, {created:DateTime}, {updated:DateTime}, {version:UInt64}, {deleted:UInt8}`,
		Params{"name": d.Name, "path": d.Path, "tz": d.Timezone, "enabled": d.Enabled, "created": d.Created,
			"updated": now, "version": version(), "deleted": deleted})
	if err != nil {
		return fmt.Errorf("saving device %s: %w", d.Name, err)
	}
	return nil
}
