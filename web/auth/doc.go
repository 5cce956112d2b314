// Package auth says who is asking and what they may do: users with bcrypt
// passwords, API tokens and web sessions stored only as SHA-256 hashes, and
// the Principal that every API handler and page reads from the request.
//
// Three kinds of caller reach the same operations:
//
//   - the CLI over the 0600 Unix socket in the data dir: the administrator,
//     allowed everything (read-write SQL, device files anywhere);
//   - API tokens over TCP, by scope: read, write (read and change) or hunt
//     (read and the ClickHouse-compatible hunting endpoint);
//   - web sessions, by role: admin (everything but the socket-only
//     operations) or viewer (read only).
package auth
