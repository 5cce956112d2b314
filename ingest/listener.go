package ingest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/activedefense/activedefense/schema"
)

// ListenerConfig configures the built-in syslog listener, for sites without
// rsyslog. It is off unless an address is set.
type ListenerConfig struct {
	UDP string // e.g. ":5514"; "" = off
	TCP string // RFC 6587 octet counting or newline framing; "" = off
	// MaxMessageBytes drops longer messages (default 64 KiB).
	MaxMessageBytes int
	// QueueLen bounds messages waiting to be parsed (default 65536); UDP
	// messages arriving when it is full are dropped and counted, TCP
	// senders are slowed down instead.
	QueueLen int
	// TrustHostnames takes lines from senders that belong to no device,
	// named after the host name in their syslog header (else the sender's
	// address) and read in this server's time zone, as before devices had
	// senders. Anyone who can reach the port can then store lines under
	// any device name, and so get chosen addresses blocked: use it only on
	// a network where only firewalls can send. Off by default.
	TrustHostnames bool
}

// ListenerStats counts what the listener did.
type ListenerStats struct {
	Received        uint64 `json:"received"`
	DroppedFull     uint64 `json:"dropped_queue_full"`
	DroppedOversize uint64 `json:"dropped_oversize"`
	DroppedStore    uint64 `json:"dropped_store_failure"`
	FramingErrors   uint64 `json:"framing_errors"`
	Parsed          uint64 `json:"parsed"`
	Skipped         uint64 `json:"skipped"`
	Rejected        uint64 `json:"rejected"`
	// UnknownSender counts lines dropped because their source address is
	// no enabled device's sender.
	UnknownSender uint64 `json:"dropped_unknown_sender"`
}

// Listener receives syslog over UDP and TCP into the same parser and
// batches as the file pipeline. A line's device is the enabled device whose
// senders hold the packet's (or connection's) source address, and it is
// read in that device's time zone; lines from other addresses are counted
// and dropped (see ListenerConfig.TrustHostnames). The devices are re-read
// every Config.ReloadInterval and on Reload. There is no replay for network
// input: what a crash loses in memory is lost (at most one flush interval),
// unlike the file path.
type Listener struct {
	cfg   ListenerConfig
	icfg  Config
	st    schema.Store
	log   *logrus.Entry
	queue chan message
	stats struct {
		received, full, oversize, store, framing, parsed, skipped, rejected, unknown atomic.Uint64
	}
	senders atomic.Pointer[map[netip.Addr]sender]
	reload  chan struct{}
	warned  struct { // throttles the unknown-sender warning
		sync.Mutex
		at      time.Time
		dropped uint64
	}
	ready chan struct{}
	stop  chan struct{} // closed when Run's context ends
	addrs struct {
		sync.Mutex
		udp, tcp string
	}
}

// sender is the device a source address belongs to.
type sender struct {
	device, zone string
}

type message struct {
	text string
	from netip.Addr
	sender
	known bool // from a device's sender (else trusted by host name)
}

// NewListener returns a listener; nothing listens until Run.
func NewListener(cfg ListenerConfig, icfg Config, st schema.Store, log *logrus.Entry) *Listener {
	if cfg.MaxMessageBytes <= 0 {
		cfg.MaxMessageBytes = 64 << 10
	}
	if cfg.QueueLen <= 0 {
		cfg.QueueLen = 65536
	}
	return &Listener{cfg: cfg, icfg: icfg.withDefaults(), st: st, log: log, queue: make(chan message, cfg.QueueLen),
		reload: make(chan struct{}, 1), ready: make(chan struct{}), stop: make(chan struct{})}
}

// Reload makes Run re-read the devices' senders now.
func (l *Listener) Reload() {
	select {
	case l.reload <- struct{}{}:
	default:
	}
}

// Enabled reports whether any address is configured.
func (l *Listener) Enabled() bool { return l.cfg.UDP != "" || l.cfg.TCP != "" }

// Ready is closed once the sockets listen.
func (l *Listener) Ready() <-chan struct{} { return l.ready }

// Addrs returns the bound UDP and TCP addresses once Ready.
func (l *Listener) Addrs() (udp, tcp string) {
	l.addrs.Lock()
	defer l.addrs.Unlock()
	return l.addrs.udp, l.addrs.tcp
}

// Stats returns the counters.
func (l *Listener) Stats() ListenerStats {
	s := &l.stats
	return ListenerStats{Received: s.received.Load(), DroppedFull: s.full.Load(), DroppedOversize: s.oversize.Load(),
		DroppedStore: s.store.Load(), FramingErrors: s.framing.Load(), Parsed: s.parsed.Load(),
		Skipped: s.skipped.Load(), Rejected: s.rejected.Load(), UnknownSender: s.unknown.Load()}
}

// Run listens until ctx is done, then flushes what it holds.
func (l *Listener) Run(ctx context.Context) error {
	if err := l.loadSenders(ctx); err != nil {
		l.log.WithError(err).Warn("reading devices failed")
	}
	var wg sync.WaitGroup
	var closers []io.Closer
	defer func() {
		for _, c := range closers {
			c.Close()
		}
	}()
	if l.cfg.UDP != "" {
		pc, err := net.ListenPacket("udp", l.cfg.UDP)
		if err != nil {
			return fmt.Errorf("listening for syslog on udp %s: %w", l.cfg.UDP, err)
		}
		closers = append(closers, pc)
		if uc, ok := pc.(*net.UDPConn); ok {
			_ = uc.SetReadBuffer(8 << 20) // bursts; the kernel caps it at net.core.rmem_max
		}
		l.addrs.Lock()
		l.addrs.udp = pc.LocalAddr().String()
		l.addrs.Unlock()
		wg.Add(1)
		go func() { defer wg.Done(); l.serveUDP(pc) }()
	}
	if l.cfg.TCP != "" {
		ln, err := net.Listen("tcp", l.cfg.TCP)
		if err != nil {
			return fmt.Errorf("listening for syslog on tcp %s: %w", l.cfg.TCP, err)
		}
		closers = append(closers, ln)
		l.addrs.Lock()
		l.addrs.tcp = ln.Addr().String()
		l.addrs.Unlock()
		wg.Add(1)
		go func() { defer wg.Done(); l.serveTCP(ctx, ln, &wg) }()
	}
	wg.Add(1)
	go func() { defer wg.Done(); l.reloadSenders(ctx) }()
	udp, tcp := l.Addrs()
	l.log.WithFields(logrus.Fields{"udp": udp, "tcp": tcp}).Info("syslog listener started")
	close(l.ready)
	readersDone, done := make(chan struct{}), make(chan struct{})
	go func() { l.consume(ctx, readersDone); close(done) }()
	<-ctx.Done()
	close(l.stop)
	for _, c := range closers {
		c.Close()
	}
	closers = nil
	wg.Wait() // no reader queues anything after this
	close(readersDone)
	<-done
	l.log.WithFields(logrus.Fields{"stats": fmt.Sprintf("%+v", l.Stats())}).Info("syslog listener stopped")
	return nil
}

func (l *Listener) serveUDP(pc net.PacketConn) {
	buf := make([]byte, 65536)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		l.enqueueLines(buf[:n], sourceAddr(from), false)
	}
}

// sourceAddr returns the IP address of a UDP or TCP peer (IPv4-mapped
// IPv6 as IPv4); the zero Addr for anything else.
func sourceAddr(a net.Addr) netip.Addr {
	switch a := a.(type) {
	case *net.UDPAddr:
		return a.AddrPort().Addr().Unmap()
	case *net.TCPAddr:
		return a.AddrPort().Addr().Unmap()
	}
	return netip.Addr{}
}

// enqueueLines splits a datagram or frame into lines and queues them.
func (l *Listener) enqueueLines(b []byte, from netip.Addr, block bool) {
	snd, known := l.sender(from)
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		line = trimCR(line)
		if len(line) == 0 {
			continue
		}
		if !known && !l.cfg.TrustHostnames {
			l.stats.received.Add(1)
			l.unknownSender(from)
			continue
		}
		l.enqueue(message{text: string(line), from: from, sender: snd, known: known}, block)
	}
}

func (l *Listener) enqueue(m message, block bool) {
	l.stats.received.Add(1)
	if len(m.text) > l.cfg.MaxMessageBytes {
		l.stats.oversize.Add(1)
		return
	}
	if block { // TCP: wait, which slows the sender down
		select {
		case l.queue <- m:
		case <-l.stop:
			l.stats.full.Add(1)
		}
		return
	}
	select {
	case l.queue <- m:
	default:
		l.stats.full.Add(1)
	}
}

func (l *Listener) serveTCP(ctx context.Context, ln net.Listener, wg *sync.WaitGroup) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			stop := context.AfterFunc(ctx, func() { c.Close() })
			defer stop()
			defer c.Close()
			l.readFrames(bufio.NewReaderSize(c, 64<<10), sourceAddr(c.RemoteAddr()))
		}()
	}
}

// readFrames reads RFC 6587 frames: "LEN SP MSG" (octet counting) when a
// frame starts with a digit, else a newline-terminated message.
func (l *Listener) readFrames(r *bufio.Reader, from netip.Addr) {
	for {
		if _, err := r.Peek(1); err != nil {
			return
		}
		if octetCounted(r) {
			if !l.readCounted(r, from) {
				return
			}
			continue
		}
		line, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			l.stats.oversize.Add(1)
			if !discardLine(r) {
				return
			}
			continue
		}
		if len(line) > 0 {
			l.enqueueLines(line, from, true)
		}
		if err != nil {
			return
		}
	}
}

func (l *Listener) readCounted(r *bufio.Reader, from netip.Addr) bool {
	lenText, err := r.ReadString(' ')
	if err != nil {
		return false
	}
	n, err := strconv.Atoi(lenText[:len(lenText)-1])
	if err != nil || n <= 0 || n > 8<<20 {
		l.stats.framing.Add(1)
		return false // the stream is out of sync: drop the connection
	}
	if n > l.cfg.MaxMessageBytes {
		l.stats.received.Add(1)
		l.stats.oversize.Add(1)
		_, err := r.Discard(n)
		return err == nil
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		l.stats.framing.Add(1)
		return false
	}
	l.enqueueLines(buf, from, true)
	return true
}

// octetCounted reports whether the next frame starts with "LEN SP": up to
// eight digits, not starting with 0, then a space. (A newline-framed PAN-OS
// line may well start with digits, "1,2026/...", but never digits and a
// space.)
func octetCounted(r *bufio.Reader) bool {
	b, _ := r.Peek(9)
	for i, c := range b {
		switch {
		case c == ' ':
			return i > 0
		case c < '0' || c > '9' || i == 0 && c == '0':
			return false
		}
	}
	return false
}

func discardLine(r *bufio.Reader) bool {
	for {
		_, err := r.ReadSlice('\n')
		if err == nil {
			return true
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return false
		}
	}
}

func trimCR(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\r' {
		return b[:n-1]
	}
	return b
}
