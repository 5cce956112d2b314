package ingest_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/activedefense/activedefense/ingest"
)

func TestSyslogListenerUDPAndTCP(t *testing.T) {
	st := newStore(t)
	l := ingest.NewListener(ingest.ListenerConfig{UDP: "127.0.0.1:0", TCP: "127.0.0.1:0", MaxMessageBytes: 8192},
		ingest.Config{FlushInterval: 50 * time.Millisecond}, st, testLog())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	<-l.Ready()
	udpAddr, tcpAddr := l.Addrs()

	c := generate(600, 11, time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC))
	u, err := net.Dial("udp", udpAddr)
	if err != nil {
		t.Fatal(err)
	}
	for i, ln := range c.lines[:200] {
		if _, err := u.Write([]byte(ln.Text)); err != nil {
			t.Fatal(err)
		}
		// UDP may drop what the socket buffer cannot hold; wait until each
		// datagram is taken so the test counts what the listener does.
		for deadline := time.Now().Add(5 * time.Second); l.Stats().Received < uint64(i+1); {
			if time.Now().After(deadline) {
				t.Fatalf("datagram %d not received", i)
			}
			time.Sleep(100 * time.Microsecond)
		}
	}
	u.Close()
	tc, err := net.Dial("tcp", tcpAddr)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for i, ln := range c.lines[200:] {
		if i%2 == 0 { // RFC 6587 octet counting
			fmt.Fprintf(&b, "%d %s", len(ln.Text), ln.Text)
		} else { // newline framing
			b.WriteString(ln.Text + "\n")
		}
	}
	b.WriteString("9000 " + strings.Repeat("x", 9000)) // oversize, counted and skipped
	b.WriteString(c.lines[0].Text + "\n")              // still in sync afterwards
	if _, err := tc.Write([]byte(b.String())); err != nil {
		t.Fatal(err)
	}
	tc.Close()

	want := uint64(c.stored + 1)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) && (count(t, st, "SELECT count() FROM logs", nil) < want ||
		l.Stats().Received < uint64(len(c.lines)+2)) {
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := count(t, st, "SELECT count() FROM logs", nil); got != want {
		t.Fatalf("rows = %d, want %d; stats %+v", got, want, l.Stats())
	}
	if got := count(t, st, "SELECT count() FROM logs WHERE device = 'fw-lab-01'", nil); got != want {
		t.Fatalf("rows named after the syslog hostname = %d, want %d", got, want)
	}
	if got := count(t, st, "SELECT count() FROM rejected_lines", nil); got != uint64(c.rejected) {
		t.Fatalf("rejected = %d, want %d", got, c.rejected)
	}
	s := l.Stats()
	if s.DroppedOversize != 1 || s.Received != uint64(len(c.lines)+2) || s.DroppedFull != 0 {
		t.Fatalf("stats = %+v", s)
	}
}
