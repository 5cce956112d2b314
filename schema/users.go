package schema

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Roles a user may have.
const (
	RoleAdmin  = "admin"
	RoleViewer = "viewer"
)

// User is a web user. PasswordHash is a bcrypt hash; the store never sees a
// password.
type User struct {
	Name         string
	Role         string
	PasswordHash string
	Disabled     bool
	Created      time.Time
}

// ValidRole reports whether r is a known role.
func ValidRole(r string) bool { return r == RoleAdmin || r == RoleViewer }

// GetUser returns one user or ErrNotFound.
func GetUser(ctx context.Context, q Querier, name string) (User, error) {
	var u User
	err := QueryRow(ctx, q, `SELECT name, role, password_hash, disabled, created FROM users FINAL
WHERE deleted = 0 AND name = {name:String}`, Params{"name": name},
		&u.Name, &u.Role, &u.PasswordHash, &u.Disabled, &u.Created)
	if errors.Is(err, ErrNoRows) {
		return User{}, fmt.Errorf("user %s: %w", name, ErrNotFound)
	}
	if err != nil {
		return User{}, fmt.Errorf("reading user %s: %w", name, err)
	}
	return u, nil
}

// AddUser creates a user; it fails with ErrExists when the name is taken.
func AddUser(ctx context.Context, st Store, u User) error {
	switch {
	case !ValidName(u.Name):
		return fmt.Errorf("invalid user name %q: use 1-64 letters, digits, '.', '_', '@' or '-'", u.Name)
	case !ValidRole(u.Role):
		return fmt.Errorf("invalid role %q: want %s or %s", u.Role, RoleAdmin, RoleViewer)
	case len(u.PasswordHash) < 50 || u.PasswordHash[0] != '$':
		return errors.New("refusing to store a user without a password hash")
	}
	if _, err := GetUser(ctx, st, u.Name); err == nil {
		return fmt.Errorf("user %s: %w", u.Name, ErrExists)
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	now := time.Now()
	err := st.Exec(ctx, `INSERT INTO users (name, role, password_hash, disabled, created, updated, version, deleted)
SELECT {name:String}, {role:String}, {hash:String}, 0, {now:DateTime}, {now:DateTime}, {version:UInt64}, 0`,
		Params{"name": u.Name, "role": u.Role, "hash": u.PasswordHash, "now": now, "version": version()})
	if err != nil {
		return fmt.Errorf("saving user %s: %w", u.Name, err)
	}
	return nil
}
