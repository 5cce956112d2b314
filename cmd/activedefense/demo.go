package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/activedefense/activedefense/ingest/pangen"
	"github.com/activedefense/activedefense/schema"
	"github.com/activedefense/activedefense/web/api"
)

// The demo is a simulated firewall: it appends PAN-OS lines to a file it
// registers as a device of the running server. Background traffic comes
// from pangen's mix; the attacks come from random addresses of two public
// /8s (documentation ranges are never listed), at the current time, so
// the next detection run lists them.

type demoFlags struct {
	file     string
	device   string
	rate     int
	every    time.Duration
	duration time.Duration
	wait     time.Duration
}

func cmdDemo(ctx context.Context, a *app, args []string) error {
	f, err := a.parseDemo(args)
	if err != nil {
		return err
	}
	c, err := waitServer(ctx, a.io.out, a.g.dataDir, f.wait)
	if err != nil {
		return err
	}
	defer c.Close()
	w, err := openDemoFile(f.file)
	if err != nil {
		return err
	}
	defer w.Close()
	if err := demoDevice(ctx, c, f.device, f.file); err != nil {
		return err
	}
	d := newDemo(w, a.io.out, time.Now())
	d.intro(ctx, c, f)
	if f.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.duration)
		defer cancel()
	}
	err = d.run(ctx, c, f)
	d.status(context.WithoutCancel(ctx), c, f.device, true) // the server may be stopping too
	fmt.Fprintf(a.io.out, "demo stopped. The device stays registered (`activedefense device remove %s` removes it);\n"+
		"listed sources stay until released (`activedefense blacklist remove IP`).\n", f.device)
	return err
}

func (a *app) parseDemo(args []string) (demoFlags, error) {
	fs := a.flagSet("demo")
	var f demoFlags
	fs.StringVar(&f.file, "file", "", "the simulated firewall's log file (default LOG-DIR/demo-fw.log, LOG-DIR being serve's --log-dir)")
	fs.StringVar(&f.device, "device", "demo-fw", "device name of the simulated firewall")
	fs.IntVar(&f.rate, "rate", 20, "background lines a second")
	fs.DurationVar(&f.every, "attack-every", 20*time.Second, "start a new simulated attack this often")
	fs.DurationVar(&f.duration, "duration", 0, "stop after this long (0: run until interrupted)")
	fs.DurationVar(&f.wait, "wait", 5*time.Second, "how long to wait for the server to answer on its socket")
	pos, err := a.parse(fs, args)
	if err != nil {
		return f, err
	}
	if err := wantArgs(pos, 0, "no arguments"); err != nil {
		return f, err
	}
	switch {
	case f.rate < 1 || f.rate > 10000:
		return f, fmt.Errorf("%w: --rate must be 1 to 10000 lines a second", errUsage)
	case f.every < time.Second:
		return f, fmt.Errorf("%w: --attack-every must be at least 1s", errUsage)
	case f.duration < 0:
		return f, fmt.Errorf("%w: --duration must not be negative", errUsage)
	case !schema.ValidName(f.device):
		return f, fmt.Errorf("%w: invalid device name %q", errUsage, f.device)
	}
	if f.file == "" {
		f.file = filepath.Join(a.logDir, "demo-fw.log")
	}
	f.file, err = absPath(f.file)
	return f, err
}

// waitServer connects to the server's socket, waiting up to wait for it.
func waitServer(ctx context.Context, out io.Writer, dir string, wait time.Duration) (*client, error) {
	deadline := time.Now().Add(wait)
	for i := 0; ; i++ {
		if c, ok := dialSocket(ctx, dir); ok {
			return c, nil
		}
		if i == 5 {
			fmt.Fprintf(out, "waiting for serve to answer in data dir %s …\n", dir)
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("no server answers in data dir %s: the demo feeds a running server; start `activedefense serve` first (or run `make demo`)", dir)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func openDemoFile(path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("creating the demo's log directory: %w (pass --file in a directory you may write, inside serve's --log-dir)", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("opening the demo's log file: %w (pass --file in a directory you may write, inside serve's --log-dir)", err)
	}
	return f, nil
}

// demoDevice registers the simulated firewall, or reuses it when it is
// already registered with the same file.
func demoDevice(ctx context.Context, c *client, name, path string) error {
	err := c.do(ctx, http.MethodPost, "/devices", schema.DeviceAdd{Name: name, Path: path, Timezone: "UTC"}, nil)
	if !errors.Is(err, schema.ErrExists) {
		return err
	}
	var devs []schema.DeviceStatus
	if err := c.do(ctx, http.MethodGet, "/devices", nil, &devs); err != nil {
		return err
	}
	for _, d := range devs {
		if d.Name == name && d.Path != path {
			return fmt.Errorf("device %s already reads %s: pass --file %s, or another --device", name, d.Path, d.Path)
		}
	}
	return nil
}

// demo writes the simulated firewall's lines.
type demo struct {
	g       *pangen.Generator
	rng     *rand.Rand
	w       io.Writer
	out     io.Writer
	n       int
	next    int
	pending []demoEvent
	sources []netip.Addr // the simulated attackers so far
}

type demoEvent struct {
	at     time.Time
	e      pangen.Event
	threat bool
}

func newDemo(w, out io.Writer, now time.Time) *demo {
	seed := uint64(now.UnixNano())
	g := pangen.New(seed, now, time.UTC)
	g.Step, g.Host = 0, "demo-fw"
	return &demo{g: g, rng: rand.New(rand.NewPCG(seed, seed>>7)), w: w, out: out}
}

func (d *demo) intro(ctx context.Context, c *client, f demoFlags) {
	fmt.Fprintf(d.out, `Active Defense demo: a simulated PAN-OS firewall %q appends TRAFFIC and THREAT lines
(CSV and key=value formats) to %s:
about %d lines a second of background traffic, and every %s a port scan, a host sweep
or a critical vulnerability attack.
The attackers are SIMULATED: random public addresses in 45.0.0.0/8 and 185.0.0.0/8, not real attacks.
`, f.device, f.file, f.rate, f.every)
	var ss []api.Setting
	if err := c.do(ctx, http.MethodGet, "/settings", nil, &ss); err == nil {
		v := map[string]string{}
		for _, s := range ss {
			v[s.Key] = s.Value
		}
		fmt.Fprintf(d.out, "Detection runs every %s (setting detect.interval).\n", v[schema.DetectInterval])
		if v[schema.SystemEnabled] == "false" {
			fmt.Fprintln(d.out, "WARNING: system.enabled is false: detection is off and nothing will be listed.")
		}
		if v[schema.DetectMode] == schema.ModeMonitor {
			fmt.Fprintln(d.out, "Note: detect.mode is monitor: sources are recorded as would-block, not listed in the EDL.")
		}
	}
	fmt.Fprint(d.out, `Within two minutes you should see:
  activedefense blacklist list     the listed sources
  activedefense detections list    what was detected, and why
  activedefense device list        the lines stored from the simulated firewall
  /edl/blacklist.txt               the External Dynamic List, on serve's web address
  and the dashboards in the web app.
Stop with Ctrl-C.

`)
}

// run writes a second's lines each second until ctx is done.
func (d *demo) run(ctx context.Context, c *client, f demoFlags) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	start := time.Now()
	for i := 0; i < 3; i++ { // one of each kind at once: the first run lists them
		d.attack(start)
	}
	nextAttack, nextStatus := start.Add(f.every), start.Add(30*time.Second)
	for {
		now := time.Now()
		if !now.Before(nextAttack) {
			d.attack(now)
			nextAttack = nextAttack.Add(f.every)
		}
		if err := d.write(now, f.rate); err != nil {
			return err
		}
		if !now.Before(nextStatus) {
			d.status(ctx, c, f.device, false)
			nextStatus = nextStatus.Add(30 * time.Second)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// write appends rate background lines and the attack lines that are due,
// all stamped now, in one write of whole lines.
func (d *demo) write(now time.Time, rate int) error {
	var b bytes.Buffer
	d.g.Start = now
	for i := 0; i < rate; i++ {
		b.WriteString(d.noise().Text)
		b.WriteByte('\n')
	}
	kept := d.pending[:0]
	for _, p := range d.pending {
		if p.at.After(now) {
			kept = append(kept, p)
			continue
		}
		p.e.Time = now
		b.WriteString(d.g.Line(d.kind(p.threat), p.e).Text)
		b.WriteByte('\n')
	}
	d.pending = kept
	if _, err := d.w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("writing the demo's log file: %w", err)
	}
	return nil
}

// noise is a background line. pangen's mix makes one in fifteen lines a
// critical threat from a random address; the demo keeps one in a hundred
// of those, so that the simulated attacks stand out in the list.
func (d *demo) noise() pangen.Line {
	for {
		l := d.g.Mix()
		if l.Type != "THREAT" || !strings.EqualFold(l.Severity, "critical") || d.rng.IntN(100) == 0 {
			return l
		}
	}
}

// kind alternates the CSV and key=value formats.
func (d *demo) kind(threat bool) pangen.Kind {
	d.n++
	switch {
	case threat && d.n%2 == 0:
		return pangen.CSVThreat
	case threat:
		return pangen.KVThreat
	case d.n%2 == 0:
		return pangen.CSVTraffic
	}
	return pangen.KVTraffic
}

// attack schedules the next simulated attack over the coming seconds.
func (d *demo) attack(now time.Time) {
	src, ours := d.attacker(), d.ours()
	d.sources = append(d.sources, src)
	spread := func(i, n int) time.Time { return now.Add(10 * time.Second * time.Duration(i) / time.Duration(n)) }
	var what string
	switch d.next % 3 {
	case 0:
		ports := d.rng.Perm(1000)[:30]
		for i, p := range ports {
			d.pending = append(d.pending, demoEvent{at: spread(i, len(ports)),
				e: pangen.Event{Src: src, Dst: ours, DstPort: uint16(p + 1)}})
		}
		what = fmt.Sprintf("port scan: %s -> %s, %d ports", src, ours, len(ports))
	case 1:
		port := []uint16{22, 23, 445, 3389}[d.rng.IntN(4)]
		for i := 0; i < 25; i++ {
			dst := netip.AddrFrom4([4]byte{203, 0, 113, byte(20 + i)})
			d.pending = append(d.pending, demoEvent{at: spread(i, 25), e: pangen.Event{Src: src, Dst: dst, DstPort: port}})
		}
		what = fmt.Sprintf("host sweep: %s -> 25 hosts of 203.0.113.0/24 on port %d", src, port)
	default:
		v := demoVulns[d.rng.IntN(len(demoVulns))]
		for i := 0; i < 3; i++ {
			d.pending = append(d.pending, demoEvent{at: spread(i, 3), threat: true, e: pangen.Event{Src: src, Dst: ours,
				DstPort: 443, Action: "reset-both", Rule: "Inbound-Web", Subtype: "vulnerability", Severity: "critical",
				ThreatName: v.name, ThreatID: v.id}})
		}
		what = fmt.Sprintf("critical vulnerability attack: %s -> %s, %s", src, ours, v.name)
	}
	d.next++
	fmt.Fprintf(d.out, "[%s] simulated %s\n", now.Format("15:04:05"), what)
}

var demoVulns = []struct {
	name string
	id   uint64
}{
	{"Apache Log4j Remote Code Execution Vulnerability", 91991},
	{"Microsoft Exchange Server Remote Code Execution Vulnerability", 91368},
	{"Apache Struts2 Remote Code Execution Vulnerability", 33338},
	{"Citrix ADC and Gateway Directory Traversal Vulnerability", 57497},
}

// attacker is a random address of 45.0.0.0/8 or 185.0.0.0/8.
func (d *demo) attacker() netip.Addr {
	first := []byte{45, 185}[d.rng.IntN(2)]
	return netip.AddrFrom4([4]byte{first, byte(1 + d.rng.IntN(254)), byte(d.rng.IntN(256)), byte(1 + d.rng.IntN(254))})
}

// ours is one of the simulated site's public servers.
func (d *demo) ours() netip.Addr {
	return netip.AddrFrom4([4]byte{203, 0, 113, byte(10 + d.rng.IntN(5))})
}

// status prints what the server made of the lines so far; quiet leaves
// out an unreachable server.
func (d *demo) status(ctx context.Context, c *client, device string, quiet bool) {
	var devs []schema.DeviceStatus
	var listed []schema.BlacklistEntry
	err := c.do(ctx, http.MethodGet, "/devices", nil, &devs)
	if err == nil {
		err = c.do(ctx, http.MethodGet, "/blacklist", nil, &listed)
	}
	if err != nil {
		if !quiet {
			fmt.Fprintf(d.out, "[%s] status unavailable: %v\n", time.Now().Format("15:04:05"), err)
		}
		return
	}
	var stored uint64
	for _, dv := range devs {
		if dv.Name == device {
			stored = dv.Parsed
		}
	}
	caught := 0
	for _, e := range listed {
		if slices.Contains(d.sources, e.IP.Unmap()) {
			caught++
		}
	}
	fmt.Fprintf(d.out, "[%s] %d lines stored from %s; %d sources listed, %d of the %d simulated attackers so far\n",
		time.Now().Format("15:04:05"), stored, device, len(listed), caught, len(d.sources))
}
