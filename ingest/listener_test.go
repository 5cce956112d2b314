package ingest_test

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/activedefense/activedefense/ingest"
	"github.com/activedefense/activedefense/ingest/pangen"
	"github.com/activedefense/activedefense/schema"
)

// startListener runs a listener until the test ends; stop waits for it.
func startListener(t *testing.T, st schema.Store, cfg ingest.ListenerConfig) (*ingest.Listener, func()) {
	t.Helper()
	if cfg.UDP == "" {
		cfg.UDP = "127.0.0.1:0"
	}
	if cfg.TCP == "" {
		cfg.TCP = "127.0.0.1:0"
	}
	l := ingest.NewListener(cfg, ingest.Config{FlushInterval: 50 * time.Millisecond, ReloadInterval: time.Hour}, st, testLog())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	<-l.Ready()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
	t.Cleanup(stop)
	return l, stop
}

// sendUDP sends each line as a datagram from the local address from,
// waiting until the listener has taken it (UDP may drop what the socket
// buffer cannot hold; the tests count what the listener does).
func sendUDP(t *testing.T, l *ingest.Listener, from string, lines []pangen.Line) {
	t.Helper()
	addr, _ := l.Addrs()
	raddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	u, err := net.DialUDP("udp", &net.UDPAddr{IP: net.ParseIP(from)}, raddr)
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	for i, ln := range lines {
		before := l.Stats().Received
		if _, err := u.Write([]byte(ln.Text)); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(5 * time.Second); l.Stats().Received == before; {
			if time.Now().After(deadline) {
				t.Fatalf("datagram %d not received", i)
			}
			time.Sleep(100 * time.Microsecond)
		}
	}
}

// sendTCP sends lines over one connection from the local address from,
// alternating RFC 6587 octet counting and newline framing.
func sendTCP(t *testing.T, l *ingest.Listener, from string, lines []pangen.Line, extra string) {
	t.Helper()
	_, addr := l.Addrs()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for i, ln := range lines {
		if i%2 == 0 {
			fmt.Fprintf(&b, "%d %s", len(ln.Text), ln.Text)
		} else {
			b.WriteString(ln.Text + "\n")
		}
	}
	b.WriteString(extra)
	if _, err := c.Write([]byte(b.String())); err != nil {
		t.Fatal(err)
	}
	c.Close()
}

// waitListener waits until the listener received n lines and stored want rows.
func waitListener(t *testing.T, st schema.Store, l *ingest.Listener, n, want uint64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) && (count(t, st, "SELECT count() FROM logs", nil) < want || l.Stats().Received < n) {
		time.Sleep(50 * time.Millisecond)
	}
}

func addSenderDevice(t *testing.T, st schema.Store, name, tz string, senders ...string) {
	t.Helper()
	d := schema.Device{Name: name, Path: "/var/log/firewalls/" + name + ".log", Timezone: tz, Senders: senders, Enabled: true}
	if err := schema.AddDevice(context.Background(), st, d); err != nil {
		t.Fatal(err)
	}
}

func TestSyslogListenerUDPAndTCP(t *testing.T) {
	st := newStore(t)
	addSenderDevice(t, st, "fw1", "UTC", "127.0.0.1")
	l, stop := startListener(t, st, ingest.ListenerConfig{MaxMessageBytes: 8192})
	c := generate(600, 11, time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC))
	sendUDP(t, l, "127.0.0.1", c.lines[:200])
	sendTCP(t, l, "127.0.0.1", c.lines[200:],
		"9000 "+strings.Repeat("x", 9000)+ // oversize, counted and skipped
			c.lines[0].Text+"\n") // still in sync afterwards
	want := uint64(c.stored + 1)
	waitListener(t, st, l, uint64(len(c.lines)+2), want)
	stop()
	if got := count(t, st, "SELECT count() FROM logs WHERE device = 'fw1'", nil); got != want {
		t.Fatalf("rows of the sender's device = %d, want %d; stats %+v", got, want, l.Stats())
	}
	if got := count(t, st, "SELECT count() FROM rejected_lines WHERE device = 'fw1'", nil); got != uint64(c.rejected) {
		t.Fatalf("rejected = %d, want %d", got, c.rejected)
	}
	s := l.Stats()
	if s.DroppedOversize != 1 || s.Received != uint64(len(c.lines)+2) || s.DroppedFull != 0 || s.UnknownSender != 0 {
		t.Fatalf("stats = %+v", s)
	}
}

// TestSyslogListenerMapsSenders: the device is the one whose senders hold
// the packet's source address, whatever host name the line claims, and the
// line is read in that device's time zone; lines from other addresses are
// counted and dropped. A device added later counts after Reload.
func TestSyslogListenerMapsSenders(t *testing.T) {
	st := newStore(t)
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	addSenderDevice(t, st, "fw-ny", "America/New_York", "192.0.2.10", "127.0.0.1")
	l, stop := startListener(t, st, ingest.ListenerConfig{})
	g := pangen.New(12, time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC), ny)
	g.Host = "fw-spoofed" // the host name in the header is not trusted
	c := &corpus{}
	for range 400 {
		c.add(g.Mix())
	}
	sendUDP(t, l, "127.0.0.1", c.lines[:200])
	sendTCP(t, l, "127.0.0.1", c.lines[200:], "")
	spoofed := generate(300, 13, time.Date(2026, 11, 28, 11, 0, 0, 0, time.UTC))
	sendUDP(t, l, "127.0.0.2", spoofed.lines[:100])
	sendTCP(t, l, "127.0.0.2", spoofed.lines[100:], "")
	waitListener(t, st, l, 700, uint64(c.stored))
	if s := l.Stats(); s.UnknownSender != 300 {
		t.Fatalf("lines from an unknown sender = %d, want 300; stats %+v", s.UnknownSender, s)
	}

	addSenderDevice(t, st, "fw-two", "UTC", "127.0.0.2")
	l.Reload()
	later := generate(100, 14, time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC))
	for deadline := time.Now().Add(10 * time.Second); count(t, st, "SELECT count() FROM logs WHERE device = 'fw-two'", nil) == 0; {
		if time.Now().After(deadline) {
			t.Fatal("lines of a device added while listening never stored")
		}
		sendUDP(t, l, "127.0.0.2", later.lines[:1])
		time.Sleep(100 * time.Millisecond)
	}
	stop()
	verify(t, st, "fw-ny", c) // every value, and every time read in New York
	if n := count(t, st, "SELECT count() FROM logs WHERE device NOT IN ('fw-ny', 'fw-two')", nil); n != 0 {
		t.Fatalf("%d rows under other device names", n)
	}
}

// TestSyslogListenerTrustHostnames: the opt-in keeps the old behaviour for
// senders that belong to no device.
func TestSyslogListenerTrustHostnames(t *testing.T) {
	st := newStore(t)
	l, stop := startListener(t, st, ingest.ListenerConfig{TrustHostnames: true})
	c := generate(100, 15, time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC))
	sendUDP(t, l, "127.0.0.1", c.lines)
	waitListener(t, st, l, 100, uint64(c.stored))
	stop()
	if got := count(t, st, "SELECT count() FROM logs WHERE device = 'fw-lab-01'", nil); got != uint64(c.stored) {
		t.Fatalf("rows named after the syslog host name = %d, want %d; stats %+v", got, c.stored, l.Stats())
	}
}

func TestDeviceSenders(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	addSenderDevice(t, st, "fw1", "", "192.0.2.1", "2001:DB8::1")
	for _, tc := range []struct {
		d       schema.Device
		wantErr string
	}{
		{schema.Device{Name: "fw2", Path: "/x", Senders: []string{"fw2.example.com"}}, `invalid sender address "fw2.example.com"`},
		{schema.Device{Name: "fw2", Path: "/x", Senders: []string{"2001:db8:0::1"}}, "sender 2001:db8::1 already belongs to device fw1"},
	} {
		if err := schema.AddDevice(ctx, st, tc.d); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("AddDevice(%+v) = %v, want an error containing %s", tc.d, err, tc.wantErr)
		}
	}
	d, err := schema.GetDevice(ctx, st, "fw1")
	if err != nil || !slices.Equal(d.Senders, []string{"192.0.2.1", "2001:db8::1"}) {
		t.Fatalf("device %+v %v", d, err)
	}
}
