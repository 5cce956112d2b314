package schema

import "sync"

// Broadcaster tells subscribers that something changed. Notifications
// coalesce: a subscriber that has not read yet gets one, not a queue. The
// zero value is ready to use.
type Broadcaster struct {
	mu   sync.Mutex
	subs map[int]chan struct{}
	next int
}

// Subscribe returns a channel that receives a value after a change, and a
// function ending the subscription.
func (b *Broadcaster) Subscribe() (<-chan struct{}, func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.subs == nil {
		b.subs = map[int]chan struct{}{}
	}
	ch := make(chan struct{}, 1)
	id := b.next
	b.next++
	b.subs[id] = ch
	return ch, func() {
		b.mu.Lock()
		delete(b.subs, id)
		b.mu.Unlock()
	}
}

// Notify tells every subscriber.
func (b *Broadcaster) Notify() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, ch := range b.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}
