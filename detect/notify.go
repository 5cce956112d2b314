package detect

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/smtp"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/activedefense/activedefense/schema"
)

// Message kinds.
const (
	EventDetections = "detections" // a run's new entries
	EventAlert      = "alert"      // something needs a person (block storm, silent firewall)
	EventTest       = "test"
)

// Message is one notification: an e-mail digest and one JSON document per
// webhook.
type Message struct {
	Event   string                  `json:"event"`
	Subject string                  `json:"subject"`
	Text    string                  `json:"text"` // shown as is by Slack and Mattermost incoming webhooks
	Run     *schema.Run             `json:"run,omitempty"`
	Entries []schema.BlacklistEntry `json:"entries,omitempty"`
	Time    time.Time               `json:"time"`
}

// Notifier delivers messages by e-mail and webhooks in the background,
// retrying with backoff; it never blocks detection. Run it with Run.
type Notifier struct {
	cfg   Config
	set   *schema.Settings
	st    schema.Store
	log   *logrus.Entry
	queue chan Message

	// TLS is used for SMTP and webhooks; nil means the system roots.
	TLS *tls.Config
	// Backoff is the first retry delay (doubling, at most a minute);
	// default 2s.
	Backoff time.Duration
	// Attempts per delivery; default 5.
	Attempts int

	Dropped, Sent, Failed atomic.Uint64
	wg                    sync.WaitGroup
	busy                  atomic.Int64 // messages being delivered

	hcOnce sync.Once
	hc     *http.Client
}

// client is the HTTP client of every webhook delivery (one pool of
// connections, built on first use with the TLS settings).
func (n *Notifier) client() *http.Client {
	n.hcOnce.Do(func() {
		n.hc = &http.Client{Transport: &http.Transport{TLSClientConfig: n.TLS, Proxy: http.ProxyFromEnvironment,
			MaxIdleConnsPerHost: 2, IdleConnTimeout: 90 * time.Second}}
	})
	return n.hc
}

func newNotifier(cfg Config, set *schema.Settings, st schema.Store, log *logrus.Entry) *Notifier {
	return &Notifier{cfg: cfg, set: set, st: st, log: log, queue: make(chan Message, 256), Backoff: 2 * time.Second, Attempts: 5}
}

// Digest queues the message for a run with new entries or held ones.
func (n *Notifier) Digest(res schema.RunResult) {
	run := res.Run
	var b strings.Builder
	fmt.Fprintf(&b, "Active Defense listed %d new source(s) in run %s", len(res.NewEntries), run.ID)
	if run.Held > 0 {
		fmt.Fprintf(&b, "; %d more are held for approval (over detect.max_new_per_run)", run.Held)
	}
	b.WriteString(".\n")
	for _, e := range res.NewEntries {
		fmt.Fprintf(&b, "\n%s  %s  %s", e.IP, e.Reason, e.Evidence.Summary())
		if len(e.Devices) > 0 {
			fmt.Fprintf(&b, "  device %s", strings.Join(e.Devices, ","))
		}
		fmt.Fprintf(&b, "  first seen %s, last seen %s", e.Evidence.FirstSeen.Format(time.RFC3339), e.Evidence.LastSeen.Format(time.RFC3339))
	}
	n.Send(Message{Event: EventDetections, Subject: fmt.Sprintf("Active Defense: %d new blacklist entries", len(res.NewEntries)),
		Text: b.String(), Run: &run, Entries: res.NewEntries, Time: time.Now().UTC()})
	if run.Held > 0 {
		n.Send(Message{Event: EventAlert, Subject: "Active Defense: block storm held",
			Text: fmt.Sprintf("Run %s found more new sources than detect.max_new_per_run: %d are held. Approve or discard them: activedefense detections list --action held", run.ID, run.Held),
			Run:  &run, Time: time.Now().UTC()})
	}
}

// Send queues a message; when the queue is full it is dropped and counted.
func (n *Notifier) Send(m Message) {
	n.busy.Add(1)
	select {
	case n.queue <- m:
	default:
		n.busy.Add(-1)
		n.Dropped.Add(1)
		n.log.WithField("event", m.Event).Warn("notification queue full; message dropped")
	}
}

// Wait waits up to d for queued and in-flight deliveries to finish (a CLI
// command that ran detection without a server delivers its own digest).
func (n *Notifier) Wait(d time.Duration) {
	deadline := time.Now().Add(d)
	for n.busy.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
}

// Run delivers queued messages until ctx is done; deliveries in flight stop
// retrying when it is.
func (n *Notifier) Run(ctx context.Context) error {
	defer n.wg.Wait()
	for {
		select {
		case <-ctx.Done():
			return nil
		case m := <-n.queue:
			n.deliver(ctx, m)
			n.busy.Add(-1)
		}
	}
}

func (n *Notifier) deliver(ctx context.Context, m Message) {
	v := n.set.Values()
	if v.Get(schema.SMTPHost) != "" {
		rcpts, err := schema.ListRecipients(ctx, n.st)
		if err != nil {
			n.log.WithError(err).Warn("reading recipients failed")
		}
		if len(rcpts) > 0 {
			n.retry(ctx, "email", func(ctx context.Context) error { return n.mail(ctx, v, rcpts, m) })
		}
	}
	hooks, err := schema.ListWebhooks(ctx, n.st)
	if err != nil {
		n.log.WithError(err).Warn("reading webhooks failed")
	}
	for _, h := range hooks {
		n.retry(ctx, "webhook "+h.Name, func(ctx context.Context) error { return n.post(ctx, h, m) })
	}
}

// retry runs send in the background with exponential backoff.
func (n *Notifier) retry(ctx context.Context, target string, send func(context.Context) error) {
	n.wg.Add(1)
	n.busy.Add(1)
	go func() {
		defer n.wg.Done()
		defer n.busy.Add(-1)
		delay := n.Backoff
		for attempt := 1; ; attempt++ {
			err := send(ctx)
			if err == nil {
				n.Sent.Add(1)
				return
			}
			log := n.log.WithError(err).WithFields(logrus.Fields{"target": target, "attempt": attempt})
			var perm permanentError
			if attempt >= n.Attempts || errors.As(err, &perm) || ctx.Err() != nil {
				n.Failed.Add(1)
				log.Error("notification failed")
				return
			}
			log.Warn("notification failed; retrying")
			select {
			case <-ctx.Done():
				n.Failed.Add(1)
				return
			case <-time.After(delay):
			}
			delay = min(2*delay, time.Minute)
		}
	}()
}

// permanentError is not retried (a 4xx answer, bad settings).
type permanentError struct{ error }

func (e permanentError) Unwrap() error { return e.error }

// post sends m to one webhook, signed with HMAC-SHA256 when it has a secret.
func (n *Notifier) post(ctx context.Context, h schema.Webhook, m Message) error {
	body, err := json.Marshal(m)
	if err != nil {
		return permanentError{err}
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.HTTPTimeout)
	defer cancel()
	target := h.URL
	if strings.HasPrefix(target, "enc1:") {
		if target, err = n.set.Keyring().Open(target); err != nil {
			return permanentError{fmt.Errorf("webhook URL: %w", err)}
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return permanentError{fmt.Errorf("building request: %w", err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "activedefense")
	req.Header.Set("X-ActiveDefense-Event", m.Event)
	if h.Secret != "" {
		secret, err := n.set.Keyring().Open(h.Secret)
		if err != nil {
			return permanentError{err}
		}
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(body)
		req.Header.Set("X-ActiveDefense-Signature", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	}
	resp, err := n.client().Do(req)
	if err != nil {
		return fmt.Errorf("posting: %w", redactURL(err))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode/100 == 2:
		return nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return fmt.Errorf("receiver answered %s", resp.Status)
	}
	return permanentError{fmt.Errorf("receiver answered %s", resp.Status)}
}

// redactURL drops the URL from a client error: webhook URLs often carry a
// secret token in their path.
func redactURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// mail sends m to the recipients through the configured SMTP server.
func (n *Notifier) mail(ctx context.Context, v schema.Values, rcpts []string, m Message) error {
	host := v.Get(schema.SMTPHost)
	addr := net.JoinHostPort(host, strconv.Itoa(v.Int(schema.SMTPPort)))
	from := v.Get(schema.SMTPFrom)
	if from == "" {
		return permanentError{errors.New("smtp.from is not set")}
	}
	tlsCfg := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if n.TLS != nil {
		tlsCfg = n.TLS.Clone()
		tlsCfg.ServerName = host
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.HTTPTimeout)
	defer cancel()
	d := net.Dialer{Timeout: 10 * time.Second}
	var conn net.Conn
	var err error
	if v.Get(schema.SMTPTLS) == "tls" {
		conn, err = (&tls.Dialer{NetDialer: &d, Config: tlsCfg}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return fmt.Errorf("connecting to mail server: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("greeting mail server: %w", err)
	}
	defer c.Close()
	if v.Get(schema.SMTPTLS) == "starttls" {
		if err := c.StartTLS(tlsCfg); err != nil {
			return fmt.Errorf("starting TLS with mail server: %w", err)
		}
	}
	if user := v.Get(schema.SMTPUser); user != "" {
		pw, err := v.Secret(schema.SMTPPassword)
		if err != nil {
			return permanentError{fmt.Errorf("smtp.password: %w", err)}
		}
		if err := c.Auth(smtp.PlainAuth("", user, pw, host)); err != nil {
			return permanentError{fmt.Errorf("authenticating to mail server: %w", err)}
		}
	}
	if err := c.Mail(from); err != nil {
		return fmt.Errorf("mail from: %w", err)
	}
	for _, r := range rcpts {
		if err := c.Rcpt(r); err != nil {
			return fmt.Errorf("recipient %s: %w", r, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("sending message: %w", err)
	}
	if _, err := w.Write(mailBody(from, rcpts, m)); err != nil {
		return fmt.Errorf("sending message: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("sending message: %w", err)
	}
	return c.Quit()
}

func mailBody(from string, to []string, m Message) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMIME-Version: 1.0\r\n", from, strings.Join(to, ", "),
		m.Subject, m.Time.Format(time.RFC1123Z))
	b.WriteString("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	for _, line := range strings.Split(m.Text, "\n") { // net/smtp's data writer escapes leading dots
		b.WriteString(line + "\r\n")
	}
	return b.Bytes()
}

// TestEmail sends a test message now and returns the outcome (no retry).
func (n *Notifier) TestEmail(ctx context.Context) error {
	v := n.set.Values()
	if v.Get(schema.SMTPHost) == "" {
		return schema.Invalid(schema.SMTPHost, "set the mail server first")
	}
	rcpts, err := schema.ListRecipients(ctx, n.st)
	if err != nil {
		return err
	}
	if len(rcpts) == 0 {
		return schema.Invalid("recipients", "add a recipient first")
	}
	return n.mail(ctx, v, rcpts, Message{Event: EventTest, Subject: "Active Defense test message",
		Text: "This is a test message from Active Defense.", Time: time.Now().UTC()})
}
