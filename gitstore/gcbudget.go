package gitstore

import (
	"runtime"
	"runtime/metrics"
	"sync/atomic"
)

// gcBudget bounds the garbage a heavy job (indexing a push, writing a bitmap) lets pile up.
// cairn serve lets the heap grow to five times what is live between collections (tuneGC in
// serve.go), which suits requests that each allocate a little; a push or a bitmap of a large
// history allocates gigabytes in all, so under that setting the process would grow by four
// times its live heap in garbage. The job checks now and then and runs a collection when the
// heap holds more garbage than half of what is live, and at least least bytes: the job then
// runs as if under GOGC=50, the rest of the server as configured.
type gcBudget struct {
	least uint64
	busy  atomic.Bool
}

// check collects garbage when there is more than the budget; safe for concurrent use, one
// caller collecting while the others go on.
func (b *gcBudget) check() {
	s := [2]metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s[:])
	live, objects := s[0].Value.Uint64(), s[1].Value.Uint64()
	if objects <= live || objects-live <= max(b.least, live/2) {
		return
	}
	if b.busy.CompareAndSwap(false, true) {
		runtime.GC()
		b.busy.Store(false)
	}
}
