package auth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/activedefense/activedefense/schema"
)

// Sessions manages web sessions; only hashes of session ids are stored.
type Sessions struct {
	st  schema.Store
	TTL time.Duration // lifetime of a session; default 12h

	mu    sync.Mutex
	cache map[string]cachedSession
}

type cachedSession struct {
	s   schema.Session
	ok  bool
	exp time.Time
}

// NewSessions returns the session operations on st.
func NewSessions(st schema.Store) *Sessions {
	return &Sessions{st: st, TTL: 12 * time.Hour, cache: map[string]cachedSession{}}
}

// Create starts a session for user and returns its id (the cookie value).
func (s *Sessions) Create(ctx context.Context, user string) (id string, expires time.Time, err error) {
	id = schema.NewToken(32)
	now := time.Now().UTC()
	sess := schema.Session{IDHash: schema.HashToken(id), User: user, Created: now, Expires: now.Add(s.TTL)}
	if err := schema.PutSession(ctx, s.st, sess, false); err != nil {
		return "", time.Time{}, err
	}
	return id, sess.Expires, nil
}

// Lookup returns the live session of an id.
func (s *Sessions) Lookup(ctx context.Context, id string) (schema.Session, error) {
	if id == "" || len(id) > 128 {
		return schema.Session{}, fmt.Errorf("no session: %w", schema.ErrUnauthorized)
	}
	h := schema.HashToken(id)
	s.mu.Lock()
	c, ok := s.cache[h]
	s.mu.Unlock()
	if !ok || time.Now().After(c.exp) {
		sess, err := schema.GetSession(ctx, s.st, h)
		if err != nil && !errors.Is(err, schema.ErrNotFound) {
			return schema.Session{}, err
		}
		c = cachedSession{s: sess, ok: err == nil, exp: time.Now().Add(cacheTTL)}
		s.mu.Lock()
		if len(s.cache) > 10000 {
			clear(s.cache)
		}
		s.cache[h] = c
		s.mu.Unlock()
	}
	if !c.ok || time.Now().After(c.s.Expires) {
		return schema.Session{}, fmt.Errorf("session expired: %w", schema.ErrUnauthorized)
	}
	return c.s, nil
}

// End ends a session (logout).
func (s *Sessions) End(ctx context.Context, id string) error {
	sess, err := s.Lookup(ctx, id)
	if err != nil {
		return nil
	}
	s.mu.Lock()
	delete(s.cache, sess.IDHash)
	s.mu.Unlock()
	return schema.PutSession(ctx, s.st, sess, true)
}

// Forget drops cached sessions of a user (after EndSessions in the store).
func (s *Sessions) Forget(user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for h, c := range s.cache {
		if c.s.User == user {
			delete(s.cache, h)
		}
	}
}

// CookieName is the session cookie's name: with TLS the __Host- prefix
// pins it to this host, secure and path /.
func CookieName(secure bool) string {
	if secure {
		return "__Host-ad_session"
	}
	return "ad_session"
}
