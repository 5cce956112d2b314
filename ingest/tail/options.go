package tail

import "time"

// Defaults applied by Open to zero or negative Options fields.
const (
	DefaultMaxLineBytes = 64 << 10
	DefaultPollInterval = 250 * time.Millisecond
	DefaultRotateGrace  = time.Second
	DefaultReadBuffer   = 256 << 10
)

// Options tune a Follower. The zero value is usable: Open replaces zero or
// negative fields with the defaults above.
type Options struct {
	// MaxLineBytes caps the Text of one line; longer lines come back once,
	// cut to this size, with Line.TooLong set.
	MaxLineBytes int
	// PollInterval is how often the follower checks a file for growth,
	// truncation and rotation while it waits at end of file.
	PollInterval time.Duration
	// RotateGrace is how long the old file must stay idle, after the path
	// was seen pointing elsewhere, before the follower moves to the new one.
	RotateGrace time.Duration
	// ReadBuffer is the size of each read and of the initial buffer. The
	// buffer grows up to MaxLineBytes+2 when a line does not fit.
	ReadBuffer int
	// OnEvent, if set, receives events. It is called synchronously from
	// Next, on the caller's goroutine, and must not call the Follower.
	OnEvent func(Event)
}

// withDefaults returns o with the defaults filled in.
func (o Options) withDefaults() Options {
	if o.MaxLineBytes <= 0 {
		o.MaxLineBytes = DefaultMaxLineBytes
	}
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.RotateGrace <= 0 {
		o.RotateGrace = DefaultRotateGrace
	}
	if o.ReadBuffer <= 0 {
		o.ReadBuffer = DefaultReadBuffer
	}
	return o
}

// Position is where to resume: the byte offset just after the last consumed
// line of file File. The zero Position means the start of whatever file the
// path holds.
type Position struct {
	File   FileID
	Offset int64
}

// Line is one complete line of a followed file.
type Line struct {
	// Text is the line without its trailing "\n" and one trailing "\r".
	// It points into the Follower's buffer and is only valid until the
	// next call to Next: callers copy what they keep.
	Text []byte
	// File is the file the line was read from.
	File FileID
	// Start is the offset of the first byte of the line.
	Start int64
	// End is the offset just after the line's '\n': the resume point.
	End int64
	// TooLong reports that the line exceeded Options.MaxLineBytes: Text
	// holds only its first MaxLineBytes bytes, the rest was skipped.
	TooLong bool
}

// Event kinds. They are short stable codes, fit for log fields and metrics.
const (
	// EventWaiting: the path does not exist (yet); the follower polls for it.
	EventWaiting = "waiting"
	// EventOpened: the path's file was opened at offset 0.
	EventOpened = "opened"
	// EventResumed: the start position's file was found and is read from
	// the saved offset (Path names it, which may be a rotated sibling).
	EventResumed = "resumed"
	// EventRotated: the old file was drained and the follower moved to the
	// new file at the path, from offset 0.
	EventRotated = "rotated"
	// EventTruncated: the file shrank below the read offset (copytruncate);
	// reading restarts at 0.
	EventTruncated = "truncated"
	// EventReplaced: same inode, but the first line changed (truncated and
	// refilled); reading restarts at 0.
	EventReplaced = "replaced"
	// EventCheckpointFileMissing: the start position names a file that can
	// no longer be found; its unread lines are lost.
	EventCheckpointFileMissing = "checkpoint_file_missing"
	// EventTooLong: a line exceeded MaxLineBytes and was cut.
	EventTooLong = "too_long"
)

// Event reports something a human may want in the log.
type Event struct {
	Kind   string // one of the Event* constants
	Path   string // the file's path (a rotated sibling for EventResumed)
	File   FileID
	Offset int64  // the offset the event refers to, see Detail
	Detail string // human-readable detail
}
