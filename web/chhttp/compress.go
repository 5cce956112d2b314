package chhttp

import (
	"fmt"
	"sync"

	"github.com/ClickHouse/ch-go/compress"
)

// frameSize is the uncompressed size of one frame, as ClickHouse's
// max_compress_block_size.
const frameSize = 1 << 20

// writers pools one compress.Writer per method.
var writers = func() map[compress.Method]*sync.Pool {
	p := map[compress.Method]*sync.Pool{}
	for _, m := range []compress.Method{compress.None, compress.LZ4, compress.ZSTD} {
		p[m] = &sync.Pool{New: func() any { return compress.NewWriter(compress.LevelZero, m) }}
	}
	return p
}()

// frame wraps out in ClickHouse's compressed-block framing (what compress=1
// asks for): blocks of a CityHash128 checksum, a method byte, the
// compressed and raw sizes, and the payload. Empty output stays empty.
func frame(out []byte, m compress.Method) ([]byte, error) {
	pool := writers[m]
	if pool == nil {
		pool = writers[compress.LZ4]
	}
	w := pool.Get().(*compress.Writer)
	defer pool.Put(w)
	var b []byte
	for len(out) > 0 {
		chunk := out[:min(len(out), frameSize)]
		if err := w.Compress(chunk); err != nil {
			return nil, fmt.Errorf("compressing response: %w", err)
		}
		b = append(b, w.Data...)
		out = out[len(chunk):]
	}
	return b, nil
}
