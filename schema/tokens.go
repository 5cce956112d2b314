package schema

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Token scopes.
const (
	ScopeRead  = "read"  // read the API
	ScopeWrite = "write" // read and change (blacklist, allowlist, feeds, settings, runs)
	ScopeHunt  = "hunt"  // read the API and query the hunting endpoint
)

// ValidScope reports whether s is a token scope.
func ValidScope(s string) bool { return s == ScopeRead || s == ScopeWrite || s == ScopeHunt }

// Token is an API token; only the SHA-256 of its value is stored.
type Token struct {
	Name      string    `json:"name"`
	Scope     string    `json:"scope"`
	Hash      string    `json:"-"`
	CreatedBy string    `json:"created_by"`
	Created   time.Time `json:"created"`
}

// ListTokens returns the tokens ordered by name.
func ListTokens(ctx context.Context, q Querier) ([]Token, error) {
	var out []Token
	err := QueryEach(ctx, q, "SELECT name, scope, hash, created_by, created FROM api_tokens FINAL WHERE deleted = 0 ORDER BY name", nil,
		func(r Rows) error {
			var t Token
			err := r.Scan(&t.Name, &t.Scope, &t.Hash, &t.CreatedBy, &t.Created)
			out = append(out, t)
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("listing tokens: %w", err)
	}
	return out, nil
}

// TokenByHash returns the token whose value hashes to hash.
func TokenByHash(ctx context.Context, q Querier, hash string) (Token, error) {
	var t Token
	err := QueryRow(ctx, q, `SELECT name, scope, hash, created_by, created FROM api_tokens FINAL
WHERE deleted = 0 AND hash = {h:String}`, Params{"h": hash}, &t.Name, &t.Scope, &t.Hash, &t.CreatedBy, &t.Created)
	if errors.Is(err, ErrNoRows) {
		return t, ErrNotFound
	}
	if err != nil {
		return t, fmt.Errorf("reading token: %w", err)
	}
	return t, nil
}

// PutToken stores a token, or removes it when deleted is true.
func PutToken(ctx context.Context, st Store, t Token, deleted bool) error {
	if t.Created.IsZero() {
		t.Created = time.Now()
	}
	err := st.Exec(ctx, `INSERT INTO api_tokens (name, scope, hash, created_by, created, version, deleted)
SELECT {n:String}, {s:String}, {h:String}, {by:String}, {c:DateTime}, {v:UInt64}, {d:UInt8}`,
		Params{"n": t.Name, "s": t.Scope, "h": t.Hash, "by": t.CreatedBy, "c": t.Created, "v": version(), "d": deleted})
	if err != nil {
		return fmt.Errorf("saving token %s: %w", t.Name, err)
	}
	return nil
}

// Session is a web login; only the SHA-256 of its id is stored.
type Session struct {
	IDHash  string
	User    string
	Created time.Time
	Expires time.Time
}

// GetSession returns a live session by the hash of its id.
func GetSession(ctx context.Context, q Querier, idHash string) (Session, error) {
	var s Session
	err := QueryRow(ctx, q, `SELECT id_hash, user, created, expires FROM sessions FINAL
WHERE deleted = 0 AND id_hash = {h:String} AND expires > now()`, Params{"h": idHash}, &s.IDHash, &s.User, &s.Created, &s.Expires)
	if errors.Is(err, ErrNoRows) {
		return s, ErrNotFound
	}
	if err != nil {
		return s, fmt.Errorf("reading session: %w", err)
	}
	return s, nil
}

// PutSession stores a session, or ends it when deleted is true.
func PutSession(ctx context.Context, st Store, s Session, deleted bool) error {
	err := st.Exec(ctx, `INSERT INTO sessions (id_hash, user, created, expires, version, deleted)
SELECT {h:String}, {u:String}, {c:DateTime}, {e:DateTime}, {v:UInt64}, {d:UInt8}`,
		Params{"h": s.IDHash, "u": s.User, "c": s.Created, "e": s.Expires, "v": version(), "d": deleted})
	if err != nil {
		return fmt.Errorf("saving session: %w", err)
	}
	return nil
}

// EndSessions ends every session of a user (password change, removal).
func EndSessions(ctx context.Context, st Store, user string) error {
	err := st.Exec(ctx, `INSERT INTO sessions (id_hash, user, created, expires, version, deleted)
SELECT id_hash, user, created, expires, {v:UInt64}, 1 FROM sessions FINAL WHERE deleted = 0 AND user = {u:String}`,
		Params{"u": user, "v": version()})
	if err != nil {
		return fmt.Errorf("ending sessions of %s: %w", user, err)
	}
	return nil
}
