package ingest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/activedefense/activedefense/ingest/panos"
	"github.com/activedefense/activedefense/ingest/tail"
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
}

// Listener receives syslog over UDP and TCP into the same parser and
// batches as the file pipeline, naming each line's device after the
// sender's hostname in the syslog header, or its address. There is no
// replay for network input: what a crash loses in memory is lost (at most
// one flush interval), unlike the file path.
type Listener struct {
	cfg   ListenerConfig
	icfg  Config
	st    schema.Store
	log   *logrus.Entry
	queue chan message
	stats struct {
		received, full, oversize, store, framing, parsed, skipped, rejected atomic.Uint64
	}
	ready chan struct{}
	stop  chan struct{} // closed when Run's context ends
	addrs struct {
		sync.Mutex
		udp, tcp string
	}
}

type message struct {
	text string
	from string
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
		ready: make(chan struct{}), stop: make(chan struct{})}
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
		Skipped: s.skipped.Load(), Rejected: s.rejected.Load()}
}

// Run listens until ctx is done, then flushes what it holds.
func (l *Listener) Run(ctx context.Context) error {
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
		host := from.String()
		if a, ok := from.(*net.UDPAddr); ok {
			host = a.IP.String()
		}
		l.enqueueLines(buf[:n], host, false)
	}
}

// enqueueLines splits a datagram or frame into lines and queues them.
func (l *Listener) enqueueLines(b []byte, from string, block bool) {
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
		l.enqueue(string(line), from, block)
	}
}

func (l *Listener) enqueue(text, from string, block bool) {
	l.stats.received.Add(1)
	if len(text) > l.cfg.MaxMessageBytes {
		l.stats.oversize.Add(1)
		return
	}
	m := message{text: text, from: from}
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
			host, _, _ := net.SplitHostPort(c.RemoteAddr().String())
			l.readFrames(bufio.NewReaderSize(c, 64<<10), host)
		}()
	}
}

// readFrames reads RFC 6587 frames: "LEN SP MSG" (octet counting) when a
// frame starts with a digit, else a newline-terminated message.
func (l *Listener) readFrames(r *bufio.Reader, host string) {
	for {
		if _, err := r.Peek(1); err != nil {
			return
		}
		if octetCounted(r) {
			if !l.readCounted(r, host) {
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
			l.enqueueLines(line, host, true)
		}
		if err != nil {
			return
		}
	}
}

func (l *Listener) readCounted(r *bufio.Reader, host string) bool {
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
	l.enqueueLines(buf, host, true)
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

// consume parses queued messages into batches and flushes them on size or
// time; once the readers have stopped, it drains the queue and flushes.
func (l *Listener) consume(ctx context.Context, readersDone <-chan struct{}) {
	p := panos.NewParser(panos.Options{})
	var rec panos.Record
	b := newBatch()
	t := time.NewTicker(l.icfg.FlushInterval)
	defer t.Stop()
	for {
		select {
		case m := <-l.queue:
			l.add(p, &rec, b, m)
			if b.counts.lines >= uint64(l.icfg.BatchRows) {
				l.flush(ctx, b)
			}
		case <-t.C:
			l.flush(ctx, b)
		case <-readersDone:
		drain:
			for {
				select {
				case m := <-l.queue:
					l.add(p, &rec, b, m)
				default:
					break drain
				}
			}
			l.flush(ctx, b)
			return
		}
	}
}

func (l *Listener) add(p *panos.Parser, rec *panos.Record, b *batch, m message) {
	if b.empty() {
		b.begin(tail.FileID{}, 0, time.Now())
	}
	b.counts.lines++
	err := p.Parse(m.text, rec)
	var skip *panos.SkipError
	var rej *panos.RejectError
	switch {
	case err == nil:
		dev := rec.Host
		if dev == "" {
			dev = m.from
		}
		b.day(rec.Time).add(dev, rec)
		b.counts.parsed++
		l.stats.parsed.Add(1)
	case errors.As(err, &skip):
		b.counts.skipped++
		l.stats.skipped.Add(1)
	default:
		reason, detail := "parse_error", err.Error()
		if errors.As(err, &rej) {
			reason, detail = rej.Reason, rej.Detail
		}
		l.reject(b, m, reason, detail)
	}
}

func (l *Listener) reject(b *batch, m message, reason, detail string) {
	b.counts.rejected++
	l.stats.rejected.Add(1)
	dev := panos.SplitHeader(m.text, panos.Options{}).Host
	if dev == "" {
		dev = m.from
	}
	r := b.rejects
	r.ts.AppendTime(b.at)
	r.device.Append(dev)
	r.reason.Append(reason)
	r.detail.Append(detail)
	r.file.Append("syslog")
	r.offset = append(r.offset, 0)
	text := m.text
	if len(text) > l.icfg.RejectLineBytes {
		text = text[:l.icfg.RejectLineBytes]
	}
	r.line.Append(text)
}

// flush inserts the batch, retrying briefly; a batch the store refuses for
// longer is dropped and counted (the network cannot be replayed, and
// holding it would stop the listener).
func (l *Listener) flush(ctx context.Context, b *batch) {
	if b.empty() {
		return
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.icfg.DrainTimeout)
	defer cancel()
	blocks := []*schema.Block{&b.rejects.block}
	for _, d := range b.dayKeys() {
		blocks = append(blocks, &b.days[d].block)
	}
	for _, blk := range blocks {
		if n, _ := blk.Rows(); n == 0 {
			continue
		}
		if err := l.insert(fctx, blk); err != nil {
			n, _ := blk.Rows()
			l.stats.store.Add(uint64(n))
			l.log.WithError(err).WithField("rows", n).Error("syslog batch dropped: store unavailable")
		}
	}
	b.reset()
}

func (l *Listener) insert(ctx context.Context, blk *schema.Block) error {
	wait := l.icfg.RetryMin
	for {
		err := l.st.Insert(ctx, blk, schema.InsertOptions{})
		if err == nil || ctx.Err() != nil {
			return err
		}
		if !sleep(ctx, wait) {
			return err
		}
		wait = min(wait*2, l.icfg.RetryMax)
	}
}
