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
	Name         string    `json:"name"`
	Role         string    `json:"role"`
	Hunt         bool      `json:"hunt"` // may use the hunting console (admins always may)
	PasswordHash string    `json:"-"`
	Disabled     bool      `json:"disabled"`
	Created      time.Time `json:"created"`
}

// ValidRole reports whether r is a known role.
func ValidRole(r string) bool { return r == RoleAdmin || r == RoleViewer }

// GetUser returns one user or ErrNotFound.
func GetUser(ctx context.Context, q Querier, name string) (User, error) {
	var u User
	err := QueryRow(ctx, q, `SELECT name, role, hunt, password_hash, disabled, created FROM users FINAL
WHERE deleted = 0 AND name = {name:String}`, Params{"name": name},
		&u.Name, &u.Role, &u.Hunt, &u.PasswordHash, &u.Disabled, &u.Created)
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
	return PutUser(ctx, st, u, false)
}

// PutUser stores a user (a new version replaces the old), or removes it when
// deleted is true.
func PutUser(ctx context.Context, st Store, u User, deleted bool) error {
	now := time.Now()
	if u.Created.IsZero() {
		u.Created = now
	}
	err := st.Exec(ctx, `INSERT INTO users (name, role, hunt, password_hash, disabled, created, updated, version, deleted)
SELECT {name:String}, {role:String}, {hunt:UInt8}, {hash:String}, {disabled:UInt8}, {created:DateTime}, {now:DateTime}, {version:UInt64}, {deleted:UInt8}`,
		Params{"name": u.Name, "role": u.Role, "hunt": u.Hunt, "hash": u.PasswordHash, "disabled": u.Disabled,
			"created": u.Created, "now": now, "version": version(), "deleted": deleted})
	if err != nil {
		return fmt.Errorf("saving user %s: %w", u.Name, err)
	}
	return nil
}

// ListUsers returns the users ordered by name.
func ListUsers(ctx context.Context, q Querier) ([]User, error) {
	var out []User
	err := QueryEach(ctx, q, `SELECT name, role, hunt, password_hash, disabled, created FROM users FINAL
WHERE deleted = 0 ORDER BY name`, nil, func(r Rows) error {
		var u User
		err := r.Scan(&u.Name, &u.Role, &u.Hunt, &u.PasswordHash, &u.Disabled, &u.Created)
		out = append(out, u)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("listing users: %w", err)
	}
	return out, nil
}
