package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/activedefense/activedefense/schema"
)

// tokenPrefix marks Active Defense API tokens (secret scanners find them).
const tokenPrefix = "adt_"

// cacheTTL bounds how long a verified token or session is trusted without
// asking the store again (a removal takes effect within it; removals made
// through this process take effect at once).
const cacheTTL = 10 * time.Second

// Tokens manages API tokens.
type Tokens struct {
	st    schema.Store
	mu    sync.Mutex
	cache map[string]cachedToken // by hash
}

type cachedToken struct {
	t   schema.Token
	ok  bool
	exp time.Time
}

// NewTokens returns the token operations on st.
func NewTokens(st schema.Store) *Tokens {
	return &Tokens{st: st, cache: map[string]cachedToken{}}
}

// TokenAdd creates a token.
type TokenAdd struct {
	Name  string `json:"name"`
	Scope string `json:"scope"`
}

// NewToken is a created token; Secret is shown once and never stored.
type NewToken struct {
	schema.Token
	Secret string `json:"token"`
}

// Add creates a token and returns its value, which is stored only hashed.
func (t *Tokens) Add(ctx context.Context, actor schema.Actor, req TokenAdd) (NewToken, error) {
	name := strings.TrimSpace(req.Name)
	if !schema.ValidName(name) {
		return NewToken{}, schema.Invalid("name", "use 1-64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit")
	}
	if !schema.ValidScope(req.Scope) {
		return NewToken{}, schema.Invalid("scope", "must be read, write or hunt, got %q", req.Scope)
	}
	cur, err := schema.ListTokens(ctx, t.st)
	if err != nil {
		return NewToken{}, err
	}
	if slices.ContainsFunc(cur, func(x schema.Token) bool { return x.Name == name }) {
		return NewToken{}, fmt.Errorf("token %s: %w", name, schema.ErrExists)
	}
	secret := tokenPrefix + schema.NewToken(32)
	tok := schema.Token{Name: name, Scope: req.Scope, Hash: schema.HashToken(secret), CreatedBy: actor.Name, Created: time.Now().UTC()}
	if err := schema.PutToken(ctx, t.st, tok, false); err != nil {
		return NewToken{}, err
	}
	if err := schema.PutAudit(ctx, t.st, actor.Event(schema.AuditAdd, "token "+name, "scope "+req.Scope)); err != nil {
		return NewToken{}, err
	}
	tok.Hash = ""
	return NewToken{Token: tok, Secret: secret}, nil
}

// List returns the tokens (without hashes).
func (t *Tokens) List(ctx context.Context) ([]schema.Token, error) {
	ts, err := schema.ListTokens(ctx, t.st)
	for i := range ts {
		ts[i].Hash = ""
	}
	return ts, err
}

// Remove deletes a token; it stops working at once.
func (t *Tokens) Remove(ctx context.Context, actor schema.Actor, name string) error {
	ts, err := schema.ListTokens(ctx, t.st)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(ts, func(x schema.Token) bool { return x.Name == name })
	if i < 0 {
		return fmt.Errorf("token %s: %w", name, schema.ErrNotFound)
	}
	if err := schema.PutToken(ctx, t.st, ts[i], true); err != nil {
		return err
	}
	t.mu.Lock()
	delete(t.cache, ts[i].Hash)
	t.mu.Unlock()
	return schema.PutAudit(ctx, t.st, actor.Event(schema.AuditRemove, "token "+name, ""))
}

// Verify returns the token a secret belongs to.
func (t *Tokens) Verify(ctx context.Context, secret string) (schema.Token, error) {
	if !strings.HasPrefix(secret, tokenPrefix) || len(secret) > 128 {
		return schema.Token{}, fmt.Errorf("invalid API token: %w", schema.ErrUnauthorized)
	}
	h := schema.HashToken(secret)
	t.mu.Lock()
	c, ok := t.cache[h]
	t.mu.Unlock()
	if !ok || time.Now().After(c.exp) {
		tok, err := schema.TokenByHash(ctx, t.st, h)
		if err != nil && !errors.Is(err, schema.ErrNotFound) {
			return schema.Token{}, err
		}
		c = cachedToken{t: tok, ok: err == nil, exp: time.Now().Add(cacheTTL)}
		t.mu.Lock()
		if len(t.cache) > 10000 {
			clear(t.cache)
		}
		t.cache[h] = c
		t.mu.Unlock()
	}
	if !c.ok {
		return schema.Token{}, fmt.Errorf("invalid API token: %w", schema.ErrUnauthorized)
	}
	return c.t, nil
}

// VerifyHunt checks ClickHouse-style credentials: user is the token's name,
// key the token, and the token's scope must be hunt.
func (t *Tokens) VerifyHunt(ctx context.Context, user, key string) error {
	tok, err := t.Verify(ctx, key)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare([]byte(tok.Name), []byte(user)) != 1 {
		return fmt.Errorf("user %q does not match the token: %w", user, schema.ErrUnauthorized)
	}
	if tok.Scope != schema.ScopeHunt {
		return fmt.Errorf("token %s has scope %s, hunting needs scope hunt: %w", tok.Name, tok.Scope, schema.ErrForbidden)
	}
	return nil
}

// Principal returns the principal of a verified token.
func TokenPrincipal(tok schema.Token, remote string) Principal {
	return Principal{Name: tok.Name, Kind: KindToken, Scope: tok.Scope, Hunt: tok.Scope == schema.ScopeHunt, Remote: remote}
}
