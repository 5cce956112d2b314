package ingest

import (
	"context"
	"errors"
	"net/netip"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/activedefense/activedefense/ingest/panos"
	"github.com/activedefense/activedefense/ingest/tail"
	"github.com/activedefense/activedefense/schema"
)

// loadSenders maps every enabled device's sender addresses to it.
func (l *Listener) loadSenders(ctx context.Context) error {
	devs, err := schema.ListDevices(ctx, l.st)
	if err != nil {
		return err
	}
	m := map[netip.Addr]sender{}
	for _, d := range devs {
		if !d.Enabled {
			continue
		}
		for _, s := range d.Senders {
			if a, err := netip.ParseAddr(s); err == nil {
				m[a.WithZone("").Unmap()] = sender{device: d.Name, zone: d.Timezone}
			}
		}
	}
	l.senders.Store(&m)
	return nil
}

// reloadSenders re-reads the senders every ReloadInterval and on Reload,
// until ctx is done; on failure the last mapping stays.
func (l *Listener) reloadSenders(ctx context.Context) {
	t := time.NewTicker(l.icfg.ReloadInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-l.reload:
		}
		if err := l.loadSenders(ctx); err != nil && ctx.Err() == nil {
			l.log.WithError(err).Warn("reading devices failed")
		}
	}
}

// sender returns the device whose senders hold from.
func (l *Listener) sender(from netip.Addr) (sender, bool) {
	m := l.senders.Load()
	if m == nil {
		return sender{}, false
	}
	s, ok := (*m)[from]
	return s, ok
}

// unknownSender counts a line dropped because its sender belongs to no
// device, and warns at most once a minute with the count since the last
// warning.
func (l *Listener) unknownSender(from netip.Addr) {
	l.stats.unknown.Add(1)
	w := &l.warned
	w.Lock()
	w.dropped++
	now := time.Now()
	if !w.at.IsZero() && now.Sub(w.at) < time.Minute {
		w.Unlock()
		return
	}
	n := w.dropped
	w.at, w.dropped = now, 0
	w.Unlock()
	l.log.WithFields(logrus.Fields{"remote_addr": from.String(), "dropped": n}).
		Warn("syslog from an address that is no device's sender dropped")
}

// consume parses queued messages into batches and flushes them on size or
// time; once the readers have stopped, it drains the queue and flushes.
func (l *Listener) consume(ctx context.Context, readersDone <-chan struct{}) {
	parsers := map[string]*panos.Parser{}
	var rec panos.Record
	b := newBatch()
	t := time.NewTicker(l.icfg.FlushInterval)
	defer t.Stop()
	for {
		select {
		case m := <-l.queue:
			l.add(l.parser(parsers, m.zone), &rec, b, m)
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
					l.add(l.parser(parsers, m.zone), &rec, b, m)
				default:
					break drain
				}
			}
			l.flush(ctx, b)
			return
		}
	}
}

// parser returns the parser for a device time zone ("" = this server's).
func (l *Listener) parser(parsers map[string]*panos.Parser, zone string) *panos.Parser {
	p := parsers[zone]
	if p == nil {
		loc, err := location(zone)
		if err != nil {
			l.log.WithError(err).Warn("reading lines in this server's time zone")
			loc = time.Local
		}
		p = panos.NewParser(panos.Options{Location: loc})
		parsers[zone] = p
	}
	return p
}

// device names a message's device: its sender's, else (TrustHostnames)
// the host name of its syslog header, else its source address.
func (m *message) deviceName(host string) string {
	switch {
	case m.known:
		return m.device
	case host != "":
		return host
	}
	return m.from.String()
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
		b.day(rec.Time).add(m.deviceName(rec.Host), rec)
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
	host := ""
	if !m.known {
		host = panos.SplitHeader(m.text, panos.Options{}).Host
	}
	r := b.rejects
	r.ts.AppendTime(b.at)
	r.device.Append(m.deviceName(host))
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
