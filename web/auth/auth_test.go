package auth_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/activedefense/activedefense/schema"
	"github.com/activedefense/activedefense/schema/chembed/chembedtest"
	"github.com/activedefense/activedefense/web/auth"
)

func TestMain(m *testing.M) { chembedtest.Main(m) }

func store(t *testing.T) schema.Store {
	st := chembedtest.Open(t)
	if _, err := schema.Migrate(context.Background(), st, schema.DefaultRenderOptions()); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestPrincipalPermissions(t *testing.T) {
	for _, tc := range []struct {
		p                           auth.Principal
		write, admin, hunt, trusted bool
	}{
		{auth.Socket, true, true, true, true},
		{auth.Principal{Kind: auth.KindToken, Scope: schema.ScopeRead}, false, false, false, false},
		{auth.Principal{Kind: auth.KindToken, Scope: schema.ScopeWrite}, true, false, false, false},
		{auth.Principal{Kind: auth.KindToken, Scope: schema.ScopeHunt}, false, false, true, false},
		{auth.Principal{Kind: auth.KindSession, Role: schema.RoleAdmin}, true, true, true, false},
		{auth.Principal{Kind: auth.KindSession, Role: schema.RoleViewer}, false, false, false, false},
		{auth.Principal{Kind: auth.KindSession, Role: schema.RoleViewer, Hunt: true}, false, false, true, false},
		{auth.Principal{}, false, false, false, false},
	} {
		p := tc.p
		if p.CanWrite() != tc.write || p.IsAdmin() != tc.admin || p.CanHunt() != tc.hunt || p.Trusted() != tc.trusted {
			t.Errorf("%+v: write %v admin %v hunt %v trusted %v", p, p.CanWrite(), p.IsAdmin(), p.CanHunt(), p.Trusted())
		}
	}
}

// TestTokens: a token works until removed, is stored only hashed, and
// hunting needs the hunt scope and the token's own name.
func TestTokens(t *testing.T) {
	st := store(t)
	ctx := context.Background()
	ts := auth.NewTokens(st)
	actor := schema.Actor{Name: "cli"}
	hunt, err := ts.Add(ctx, actor, auth.TokenAdd{Name: "grafana", Scope: schema.ScopeHunt})
	if err != nil {
		t.Fatal(err)
	}
	read, err := ts.Add(ctx, actor, auth.TokenAdd{Name: "ci", Scope: schema.ScopeRead})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Add(ctx, actor, auth.TokenAdd{Name: "ci", Scope: schema.ScopeRead}); !errors.Is(err, schema.ErrExists) {
		t.Fatalf("duplicate name: %v", err)
	}
	if _, err := ts.Add(ctx, actor, auth.TokenAdd{Name: "x", Scope: "admin"}); !errors.Is(err, schema.ErrInvalid) {
		t.Fatalf("bad scope: %v", err)
	}
	var dump strings.Builder
	_ = schema.QueryEach(ctx, st, "SELECT name, hash FROM api_tokens", nil, func(r schema.Rows) error {
		var n, h string
		err := r.Scan(&n, &h)
		dump.WriteString(n + " " + h + "\n")
		return err
	})
	if strings.Contains(dump.String(), hunt.Secret) || !strings.Contains(dump.String(), schema.HashToken(hunt.Secret)) {
		t.Fatalf("stored: %s", dump.String())
	}
	if tok, err := ts.Verify(ctx, read.Secret); err != nil || tok.Name != "ci" || tok.Scope != schema.ScopeRead {
		t.Fatalf("verify: %+v %v", tok, err)
	}
	for _, bad := range []string{"", "adt_nope", read.Secret + "x", strings.Repeat("a", 200)} {
		if _, err := ts.Verify(ctx, bad); !errors.Is(err, schema.ErrUnauthorized) {
			t.Fatalf("verify %q: %v", bad, err)
		}
	}
	if err := ts.VerifyHunt(ctx, "grafana", hunt.Secret); err != nil {
		t.Fatalf("hunt: %v", err)
	}
	if err := ts.VerifyHunt(ctx, "ci", hunt.Secret); !errors.Is(err, schema.ErrUnauthorized) {
		t.Fatalf("another name: %v", err)
	}
	if err := ts.VerifyHunt(ctx, "ci", read.Secret); !errors.Is(err, schema.ErrForbidden) {
		t.Fatalf("read scope hunting: %v", err)
	}
	if err := ts.Remove(ctx, actor, "ci"); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Verify(ctx, read.Secret); !errors.Is(err, schema.ErrUnauthorized) {
		t.Fatalf("removed token still works: %v", err)
	}
}

// TestUsersAndSessions: bcrypt passwords, constant-time checks, sessions
// stored hashed and ended with the user's password change.
func TestUsersAndSessions(t *testing.T) {
	st := store(t)
	ctx := context.Background()
	us, ss := auth.NewUsers(st), auth.NewSessions(st)
	actor := schema.Actor{Name: "cli"}
	if _, err := us.Add(ctx, actor, auth.UserAdd{Name: "ann", Role: schema.RoleAdmin, Password: "short"}); !errors.Is(err, schema.ErrInvalid) {
		t.Fatalf("short password: %v", err)
	}
	if _, err := us.Add(ctx, actor, auth.UserAdd{Name: "ann", Role: schema.RoleAdmin, Password: "correct-horse"}); err != nil {
		t.Fatal(err)
	}
	if u, err := us.Check(ctx, "ann", "correct-horse"); err != nil || u.Role != schema.RoleAdmin {
		t.Fatalf("check: %+v %v", u, err)
	}
	for _, tc := range [][2]string{{"ann", "wrong-horse"}, {"bob", "correct-horse"}} {
		if _, err := us.Check(ctx, tc[0], tc[1]); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("check %v: %v", tc, err)
		}
	}
	id, exp, err := ss.Create(ctx, "ann")
	if err != nil || exp.Before(time.Now().Add(11*time.Hour)) {
		t.Fatalf("session: %v %v", exp, err)
	}
	if s, err := ss.Lookup(ctx, id); err != nil || s.User != "ann" {
		t.Fatalf("lookup: %+v %v", s, err)
	}
	n, _ := schema.Count(ctx, st, "SELECT count() FROM sessions WHERE id_hash = {h:String}", schema.Params{"h": id})
	if n != 0 {
		t.Fatal("session id stored in clear")
	}
	if _, err := us.Change(ctx, actor, "ann", auth.UserChange{Password: "battery-staple"}); err != nil {
		t.Fatal(err)
	}
	ss.Forget("ann")
	if _, err := ss.Lookup(ctx, id); !errors.Is(err, schema.ErrUnauthorized) {
		t.Fatalf("session survived a password change: %v", err)
	}
	if _, err := us.Check(ctx, "ann", "battery-staple"); err != nil {
		t.Fatalf("new password: %v", err)
	}
}
