package schema

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Settings are the typed, validated settings kept in the settings table,
// cached in memory, with change notification: a value changed through the
// CLI, the API or the web reaches the running scheduler and detector at
// once. Safe for concurrent use.
type Settings struct {
	st   Store
	keys *Keyring

	mu      sync.RWMutex
	vals    map[string]string // stored values (secrets sealed, digests hashed)
	changed Broadcaster
}

// NewSettings returns settings backed by st; keys may be nil (then secret
// settings cannot be set). Call Load before use.
func NewSettings(st Store, keys *Keyring) *Settings {
	return &Settings{st: st, keys: keys, vals: map[string]string{}}
}

// Load reads every stored setting, replacing the cache; subscribers are
// told when a value changed (another process may have written it).
func (s *Settings) Load(ctx context.Context) error {
	vals := map[string]string{}
	err := QueryEach(ctx, s.st, "SELECT key, value FROM settings FINAL", nil, func(r Rows) error {
		var k, v string
		err := r.Scan(&k, &v)
		vals[k] = v
		return err
	})
	if err != nil {
		return fmt.Errorf("reading settings: %w", err)
	}
	s.mu.Lock()
	changed := !maps.Equal(vals, s.vals)
	s.vals = vals
	s.mu.Unlock()
	if changed {
		s.changed.Notify()
	}
	return nil
}

// Values returns a snapshot of the effective values.
func (s *Settings) Values() Values {
	s.mu.RLock()
	defer s.mu.RUnlock()
	v := Values{m: make(map[string]string, len(SettingDefs)), keys: s.keys}
	for _, d := range SettingDefs {
		if x, ok := s.vals[d.Key]; ok {
			v.m[d.Key] = x
		} else {
			v.m[d.Key] = d.Default
		}
	}
	return v
}

// Keyring returns the key used for secrets (nil when none).
func (s *Settings) Keyring() *Keyring { return s.keys }

// Set validates and stores several values at once: either all are stored or
// none. It returns the keys whose value changed.
func (s *Settings) Set(ctx context.Context, changes map[string]string) ([]string, error) {
	cur := s.Values()
	next, stored, err := cur.with(changes, true)
	if err != nil {
		return nil, err
	}
	var changed []string
	for _, d := range SettingDefs {
		if v, ok := stored[d.Key]; ok && (v != cur.m[d.Key] || d.Kind == KindSecret || d.Kind == KindDigest) {
			changed = append(changed, d.Key)
		}
	}
	now := time.Now()
	for _, k := range changed {
		err := s.st.Exec(ctx, `INSERT INTO settings (key, value, updated, version)
SELECT {k:String}, {v:String}, {now:DateTime}, {version:UInt64}`,
			Params{"k": k, "v": next.m[k], "now": now, "version": version()})
		if err != nil {
			return nil, fmt.Errorf("saving setting %s: %w", k, err)
		}
	}
	if len(changed) > 0 {
		s.mu.Lock()
		for _, k := range changed {
			s.vals[k] = next.m[k]
		}
		s.mu.Unlock()
		s.changed.Notify()
	}
	return changed, nil
}

// Subscribe returns a channel that receives a value (coalesced) after
// settings change, and a function that ends the subscription.
func (s *Settings) Subscribe() (<-chan struct{}, func()) { return s.changed.Subscribe() }

// Values is an immutable snapshot of settings with typed getters. Getters
// of unknown keys panic: keys are constants of this package.
type Values struct {
	m    map[string]string
	keys *Keyring
}

// DefaultValues returns the defaults (tests, backtests on a fresh store).
func DefaultValues() Values {
	v := Values{m: map[string]string{}}
	for _, d := range SettingDefs {
		v.m[d.Key] = d.Default
	}
	return v
}

// With returns the values with changes applied and validated, without
// storing anything (backtests).
func (v Values) With(changes map[string]string) (Values, error) {
	next, _, err := v.with(changes, false)
	return next, err
}

// with validates changes and returns the next values and the stored form
// of each changed key. With seal, secrets are encrypted and digests hashed;
// otherwise secret settings cannot change.
func (v Values) with(changes map[string]string, seal bool) (Values, map[string]string, error) {
	next := Values{m: maps.Clone(v.m), keys: v.keys}
	stored := map[string]string{}
	var errs []error
	for k, raw := range changes {
		d, ok := SettingDefOf(k)
		if !ok {
			errs = append(errs, Invalid(k, "unknown setting (see `activedefense settings show`)"))
			continue
		}
		val, err := d.Normalize(raw)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		switch d.Kind {
		case KindSecret, KindDigest:
			if !seal {
				errs = append(errs, Invalid(k, "a secret cannot be overridden here"))
				continue
			}
			if d.Kind == KindSecret {
				val, err = v.keys.Seal(val)
			} else {
				val, err = v.keys.Digest(val)
			}
			if err != nil {
				errs = append(errs, Invalid(k, "%v", err))
				continue
			}
		}
		next.m[k] = val
		stored[k] = val
	}
	if len(errs) == 0 {
		errs = append(errs, next.crossCheck()...)
	}
	if len(errs) > 0 {
		return Values{}, nil, errors.Join(errs...)
	}
	return next, stored, nil
}

// crossCheck validates rules between settings.
func (v Values) crossCheck() []error {
	var errs []error
	if v.Int(ReleaseMaxMonths) < v.Int(ReleaseMonths) {
		errs = append(errs, Invalid(ReleaseMaxMonths, "must be at least %s (%d)", ReleaseMonths, v.Int(ReleaseMonths)))
	}
	if v.Get(EDLPassword) != "" && v.Get(EDLUser) == "" {
		errs = append(errs, Invalid(EDLUser, "must be set when %s is set", EDLPassword))
	}
	return errs
}

// Get returns the stored text of key (secrets sealed, digests hashed).
func (v Values) Get(key string) string {
	x, ok := v.m[key]
	if !ok {
		panic("BUG: unknown setting " + key)
	}
	return x
}

// Int returns an integer setting.
func (v Values) Int(key string) int {
	n, _ := strconv.Atoi(v.Get(key))
	return n
}

// Bool returns a boolean setting.
func (v Values) Bool(key string) bool {
	b, _ := strconv.ParseBool(v.Get(key))
	return b
}

// Duration returns a duration setting.
func (v Values) Duration(key string) time.Duration {
	d, _ := time.ParseDuration(v.Get(key))
	return d
}

// List returns a comma-separated setting as a slice.
func (v Values) List(key string) []string {
	s := v.Get(key)
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// Secret returns a decrypted secret setting.
func (v Values) Secret(key string) (string, error) {
	return v.keys.Open(v.Get(key))
}

// Matches reports whether candidate matches a digest setting.
func (v Values) Matches(key, candidate string) bool {
	return v.keys.Matches(v.Get(key), candidate)
}

// Map returns every value for display, secrets and digests replaced by
// "(set)" or "".
func (v Values) Map() map[string]string {
	out := make(map[string]string, len(v.m))
	for _, d := range SettingDefs {
		x := v.m[d.Key]
		if (d.Kind == KindSecret || d.Kind == KindDigest) && x != "" {
			x = "(set)"
		}
		out[d.Key] = x
	}
	return out
}

// Mode returns the effective mode (block or monitor) of a case whose mode
// key is caseKey.
func (v Values) Mode(caseKey string) string {
	if m := v.Get(caseKey); m != ModeInherit {
		return m
	}
	return v.Get(DetectMode)
}
