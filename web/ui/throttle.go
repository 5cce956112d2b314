package ui

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/activedefense/activedefense/schema"
)

// Login throttling: failed logins are counted per user name and per client
// address over a window; past the limit further attempts are refused
// without checking the password until the window has passed.
const (
	throttleWindow  = 15 * time.Minute
	maxFailsPerUser = 5
	maxFailsPerAddr = 20
	throttleEntries = 100000 // memory bound: the oldest half is dropped beyond it
)

type throttle struct {
	mu    sync.Mutex
	fails map[string][]time.Time
}

func newThrottle() *throttle { return &throttle{fails: map[string][]time.Time{}} }

func userKey(name string) string { return "u:" + strings.ToLower(name) }
func addrKey(addr string) string { return "a:" + addr }

// blocked returns how long the user or address must wait (0: may try).
func (t *throttle) blocked(now time.Time, user, addr string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	wait := t.waitLocked(now, userKey(user), maxFailsPerUser)
	return max(wait, t.waitLocked(now, addrKey(addr), maxFailsPerAddr))
}

func (t *throttle) waitLocked(now time.Time, key string, limit int) time.Duration {
	fs := t.recent(now, key)
	if len(fs) < limit {
		return 0
	}
	return fs[len(fs)-limit].Add(throttleWindow).Sub(now)
}

// recent drops failures older than the window and returns the rest.
func (t *throttle) recent(now time.Time, key string) []time.Time {
	fs := t.fails[key]
	i := 0
	for i < len(fs) && now.Sub(fs[i]) >= throttleWindow {
		i++
	}
	fs = fs[i:]
	if len(fs) == 0 {
		delete(t.fails, key)
		return nil
	}
	t.fails[key] = fs
	return fs
}

// fail records a failed login.
func (t *throttle) fail(now time.Time, user, addr string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.fails) > throttleEntries {
		n := 0
		for k := range t.fails {
			delete(t.fails, k)
			if n++; n > throttleEntries/2 {
				break
			}
		}
	}
	for _, k := range []string{userKey(user), addrKey(addr)} {
		t.fails[k] = append(t.recent(now, k), now)
	}
}

// success forgets the user's failures (not the address's).
func (t *throttle) success(user string) {
	t.mu.Lock()
	delete(t.fails, userKey(user))
	t.mu.Unlock()
}

// userCache keeps users for a few seconds so that a page does not read
// the users table on every request; changes made here drop the entry.
type userCache struct {
	mu sync.Mutex
	m  map[string]cachedUser
}

type cachedUser struct {
	u   schema.User
	err error
	exp time.Time
}

const userCacheTTL = 5 * time.Second

func newUserCache() *userCache { return &userCache{m: map[string]cachedUser{}} }

func (uc *userCache) get(ctx context.Context, q schema.Querier, name string) (schema.User, error) {
	uc.mu.Lock()
	c, ok := uc.m[name]
	uc.mu.Unlock()
	if ok && time.Now().Before(c.exp) {
		return c.u, c.err
	}
	usr, err := schema.GetUser(ctx, q, name)
	if err != nil && !isUserError(err) {
		return usr, err // store trouble is not cached
	}
	uc.mu.Lock()
	if len(uc.m) > 10000 {
		clear(uc.m)
	}
	uc.m[name] = cachedUser{u: usr, err: err, exp: time.Now().Add(userCacheTTL)}
	uc.mu.Unlock()
	return usr, err
}

func (uc *userCache) forget(name string) {
	uc.mu.Lock()
	delete(uc.m, name)
	uc.mu.Unlock()
}
