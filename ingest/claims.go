package ingest

import (
	"context"
	"sync"

	"github.com/activedefense/activedefense/ingest/tail"
)

// files records which (device, file) pairs are being read in this process,
// so that the follower and an import never read the same file for the same
// device at once: each starts where the other stopped (fileProgress). It is
// one per process, like the files it guards; imports reach a running
// server's process through its control socket.
var files claims

// claims is a set of held (device, file) pairs.
type claims struct {
	mu   sync.Mutex
	held []*claim
}

// claim is one held pair; done is closed when it is released.
type claim struct {
	device string
	id     tail.FileID
	owner  string
	done   chan struct{}
}

// find returns the claim that holds device's file id, or nil.
func (cs *claims) find(device string, id tail.FileID) *claim {
	for _, c := range cs.held {
		if c.device == device && sameFile(c.id, id) {
			return c
		}
	}
	return nil
}

// tryHold claims device's file id for owner; if another owner holds it, it
// returns nil and that claim's done channel and owner.
func (cs *claims) tryHold(device string, id tail.FileID, owner string) (*claim, <-chan struct{}, string) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if c := cs.find(device, id); c != nil {
		return nil, c.done, c.owner
	}
	c := &claim{device: device, id: id, owner: owner, done: make(chan struct{})}
	cs.held = append(cs.held, c)
	return c, nil, ""
}

// hold claims device's file id for owner, waiting while someone else holds
// it, until ctx is done.
func (cs *claims) hold(ctx context.Context, device string, id tail.FileID, owner string) (*claim, error) {
	for {
		c, released, _ := cs.tryHold(device, id, owner)
		if c != nil {
			return c, nil
		}
		select {
		case <-released:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// update records the file's identity as now known (its first line read, or
// its current device number); a nil c is a no-op.
func (cs *claims) update(c *claim, id tail.FileID) {
	if c == nil {
		return
	}
	cs.mu.Lock()
	c.id = id
	cs.mu.Unlock()
}

// release gives c up; a nil c is a no-op.
func (cs *claims) release(c *claim) {
	if c == nil {
		return
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for i, h := range cs.held {
		if h == c {
			cs.held = append(cs.held[:i], cs.held[i+1:]...)
			close(c.done)
			return
		}
	}
}
