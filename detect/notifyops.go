package detect

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/activedefense/activedefense/schema"
)

// ListWebhooks returns the webhooks, their URLs shown as scheme and host
// only: an incoming-webhook URL (Slack, Mattermost) is itself a secret, so
// it is stored encrypted and never shown whole.
func (s *Service) ListWebhooks(ctx context.Context) ([]schema.Webhook, error) {
	hs, err := schema.ListWebhooks(ctx, s.st)
	for i := range hs {
		hs[i].Secret = ""
		hs[i].URL = redactedURL(s.set.Keyring(), hs[i].URL)
	}
	return hs, err
}

// redactedURL shows a stored (sealed) webhook URL as scheme://host/….
func redactedURL(k *schema.Keyring, stored string) string {
	raw, err := k.Open(stored)
	if err != nil || !strings.HasPrefix(stored, "enc1:") {
		raw = stored
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "(unreadable)"
	}
	return u.Scheme + "://" + u.Host + "/…"
}

// AddWebhook adds or replaces a webhook.
func (s *Service) AddWebhook(ctx context.Context, actor schema.Actor, req schema.WebhookAdd) (schema.Webhook, error) {
	w := schema.Webhook{Name: strings.TrimSpace(req.Name), URL: strings.TrimSpace(req.URL), Created: s.now()}
	if !schema.ValidName(w.Name) {
		return w, schema.Invalid("name", "use 1-64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit")
	}
	u, err := url.Parse(w.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || len(w.URL) > 2048 {
		return w, schema.Invalid("url", "must be an http or https URL with a host")
	}
	if len(req.Secret) > 256 || strings.ContainsAny(req.Secret, "\r\n\x00") {
		return w, schema.Invalid("secret", "must be one line of at most 256 bytes")
	}
	sealed, err := s.set.Keyring().Seal(req.Secret)
	if err != nil {
		return w, schema.Invalid("secret", "%v", err)
	}
	w.Secret, w.HasKey = sealed, sealed != ""
	plain := w.URL
	if w.URL, err = s.set.Keyring().Seal(plain); err != nil {
		return w, schema.Invalid("url", "%v", err)
	}
	if err := schema.PutWebhook(ctx, s.st, w, false); err != nil {
		return w, err
	}
	w.Secret, w.URL = "", redactedURL(nil, plain)
	return w, schema.PutAudit(ctx, s.st, actor.Event(schema.AuditAdd, "webhook "+w.Name, u.Scheme+"://"+u.Host))
}

// RemoveWebhook removes a webhook.
func (s *Service) RemoveWebhook(ctx context.Context, actor schema.Actor, name string) error {
	hs, err := schema.ListWebhooks(ctx, s.st)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(hs, func(h schema.Webhook) bool { return h.Name == name })
	if i < 0 {
		return fmt.Errorf("webhook %s: %w", name, schema.ErrNotFound)
	}
	if err := schema.PutWebhook(ctx, s.st, hs[i], true); err != nil {
		return err
	}
	return schema.PutAudit(ctx, s.st, actor.Event(schema.AuditRemove, "webhook "+name, ""))
}

// ListRecipients returns the e-mail recipients.
func (s *Service) ListRecipients(ctx context.Context) ([]string, error) {
	return schema.ListRecipients(ctx, s.st)
}

// AddRecipient adds an e-mail recipient.
func (s *Service) AddRecipient(ctx context.Context, actor schema.Actor, email string) (string, error) {
	e, err := schema.NormalizeEmail("email", email)
	if err != nil {
		return "", err
	}
	if err := schema.PutRecipient(ctx, s.st, e, false); err != nil {
		return "", err
	}
	return e, schema.PutAudit(ctx, s.st, actor.Event(schema.AuditAdd, "recipient "+e, ""))
}

// RemoveRecipient removes an e-mail recipient.
func (s *Service) RemoveRecipient(ctx context.Context, actor schema.Actor, email string) error {
	rs, err := schema.ListRecipients(ctx, s.st)
	if err != nil {
		return err
	}
	if !slices.Contains(rs, strings.TrimSpace(email)) {
		return fmt.Errorf("recipient %s: %w", email, schema.ErrNotFound)
	}
	if err := schema.PutRecipient(ctx, s.st, strings.TrimSpace(email), true); err != nil {
		return err
	}
	return schema.PutAudit(ctx, s.st, actor.Event(schema.AuditRemove, "recipient "+email, ""))
}

// TestEmail sends a test message to the recipients now.
func (s *Service) TestEmail(ctx context.Context) error { return s.notify.TestEmail(ctx) }
