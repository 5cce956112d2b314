package main

import (
	"context"
	"sync"
	"time"

	"github.com/activedefense/activedefense/schema"
	"github.com/activedefense/activedefense/web/auth"
)

// setup is the one-time token of the web app's /setup page, which creates
// the first admin: it exists only while no user does, and serve prints it
// on the console. There is never a default password.
type setup struct {
	users *auth.Users
	mu    sync.Mutex
	tok   string
	done  bool
	check time.Time
}

func newSetup(u *auth.Users) *setup { return &setup{users: u} }

// token returns the setup token, or "" once a user exists.
func (s *setup) token() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return ""
	}
	if time.Since(s.check) > time.Second {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		n, err := s.users.Count(ctx)
		cancel()
		if err != nil {
			return "" // fail closed
		}
		s.check = time.Now()
		if n > 0 {
			s.done, s.tok = true, ""
			return ""
		}
	}
	if s.tok == "" {
		s.tok = schema.NewToken(24)
	}
	return s.tok
}
