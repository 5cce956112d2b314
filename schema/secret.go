package schema

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Keyring encrypts the secrets that must be read back (the SMTP password,
// webhook secrets) and hashes the ones that are only compared (the EDL
// password) with a 32-byte key kept in a file outside the engine: whoever
// can read every table (the hunting console) still reads no secret.
type Keyring struct {
	key []byte
}

// ErrNoKeyring is returned when a secret is used without a key file.
var ErrNoKeyring = errors.New("no key file configured for secrets")

// LoadOrCreateKeyring reads the key file, creating it (mode 0600, in a
// directory of mode 0700 if it must create that too) when it does not exist.
func LoadOrCreateKeyring(path string) (*Keyring, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("creating key directory: %w", err)
		}
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("generating secret key: %w", err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			if errors.Is(err, os.ErrExist) { // another process won the race
				return LoadOrCreateKeyring(path)
			}
			return nil, fmt.Errorf("creating key file: %w", err)
		}
		_, werr := f.WriteString(hex.EncodeToString(key) + "\n")
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return nil, fmt.Errorf("writing key file: %w", werr)
		}
		return &Keyring{key: key}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading key file: %w", err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("key file %s: want 64 hex digits", path)
	}
	return &Keyring{key: key}, nil
}

// NewKeyring returns a keyring on a 32-byte key (tests).
func NewKeyring(key []byte) *Keyring { return &Keyring{key: key} }

const sealPrefix = "enc1:"

// Seal encrypts plaintext with AES-256-GCM; "" stays "".
func (k *Keyring) Seal(plaintext string) (string, error) {
	if plaintext == "" {
		return "", nil
	}
	if k == nil {
		return "", ErrNoKeyring
	}
	gcm, err := k.aead()
	if err != nil {
		return "", err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("generating nonce: %w", err)
	}
	out := gcm.Seal(nonce, nonce, []byte(plaintext), nil)
	return sealPrefix + base64.RawStdEncoding.EncodeToString(out), nil
}

// Open decrypts what Seal returned.
func (k *Keyring) Open(sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	if k == nil {
		return "", ErrNoKeyring
	}
	raw, err := base64.RawStdEncoding.DecodeString(strings.TrimPrefix(sealed, sealPrefix))
	if err != nil || !strings.HasPrefix(sealed, sealPrefix) {
		return "", errors.New("decrypting secret: not a sealed value")
	}
	gcm, err := k.aead()
	if err != nil {
		return "", err
	}
	if len(raw) < gcm.NonceSize() {
		return "", errors.New("decrypting secret: too short")
	}
	pt, err := gcm.Open(nil, raw[:gcm.NonceSize()], raw[gcm.NonceSize():], nil)
	if err != nil {
		return "", errors.New("decrypting secret: wrong key file or damaged value")
	}
	return string(pt), nil
}

func (k *Keyring) aead() (cipher.AEAD, error) {
	block, err := aes.NewCipher(k.key)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	return cipher.NewGCM(block)
}

const digestPrefix = "hmac1:"

// Digest returns a keyed SHA-256 hash of s; "" stays "".
func (k *Keyring) Digest(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	if k == nil {
		return "", ErrNoKeyring
	}
	return digestPrefix + hex.EncodeToString(k.mac(s)), nil
}

// Matches reports in constant time whether candidate hashes to digest.
func (k *Keyring) Matches(digest, candidate string) bool {
	if k == nil || !strings.HasPrefix(digest, digestPrefix) {
		return false
	}
	want, err := hex.DecodeString(strings.TrimPrefix(digest, digestPrefix))
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare(want, k.mac(candidate)) == 1
}

func (k *Keyring) mac(s string) []byte {
	m := hmac.New(sha256.New, k.key)
	m.Write([]byte(s))
	return m.Sum(nil)
}

// HashToken returns the SHA-256 of an API token or session id, as stored:
// tokens are long random values, so a plain hash is enough to keep them
// unreadable.
func HashToken(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

// NewToken returns a random token of n bytes, URL-safe base64.
func NewToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("BUG: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
