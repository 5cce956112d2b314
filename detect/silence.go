package detect

import (
	"fmt"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/activedefense/activedefense/schema"
)

// SilenceWatch alerts once when a device falls silent (no new line for
// device.silence_minutes) and once when it recovers: a firewall that stopped
// sending logs is a firewall whose attackers are no longer detected.
type SilenceWatch struct {
	n   *Notifier
	log *logrus.Entry

	mu     sync.Mutex
	silent map[string]bool
}

// NewSilenceWatch returns a watcher alerting through the service's notifier.
func (s *Service) NewSilenceWatch() *SilenceWatch {
	return &SilenceWatch{n: s.notify, log: s.log.WithField("component", "silence"), silent: map[string]bool{}}
}

// Check takes the devices' current state (their Silent flag) and alerts on
// every change since the last check.
func (w *SilenceWatch) Check(devs []schema.DeviceStatus) {
	w.mu.Lock()
	defer w.mu.Unlock()
	seen := map[string]bool{}
	for _, d := range devs {
		seen[d.Name] = true
		if d.Silent == w.silent[d.Name] {
			continue
		}
		w.silent[d.Name] = d.Silent
		last := "never"
		if !d.LastLine.IsZero() {
			last = d.LastLine.UTC().Format(time.RFC3339)
		}
		log := w.log.WithFields(logrus.Fields{"device": d.Name, "last_line": last})
		if d.Silent {
			log.Warn("device silent")
			w.n.Send(Message{Event: EventAlert, Subject: "Active Defense: firewall " + d.Name + " is silent",
				Text: fmt.Sprintf("No new log line from %s (%s) since %s: its attackers are not being detected. Check the firewall's log forwarding and rsyslog.",
					d.Name, d.Path, last), Time: time.Now().UTC()})
		} else {
			log.Info("device recovered")
			w.n.Send(Message{Event: EventAlert, Subject: "Active Defense: firewall " + d.Name + " sends logs again",
				Text: fmt.Sprintf("%s is sending logs again (last line %s).", d.Name, last), Time: time.Now().UTC()})
		}
	}
	for name := range w.silent {
		if !seen[name] {
			delete(w.silent, name)
		}
	}
}

// Silent returns the names of the devices currently silent.
func (w *SilenceWatch) Silent() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for n, s := range w.silent {
		if s {
			out = append(out, n)
		}
	}
	return out
}
