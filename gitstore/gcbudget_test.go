package gitstore

import (
	"bytes"
	"context"
	"io"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
)

// peakGarbage runs f and returns the most garbage (heap objects not yet found dead) the heap
// held while it ran, and the live heap then.
func peakGarbage(f func()) (garbage, live uint64) {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/heap/objects:bytes"}}
	sampleWhile(f, func() {
		metrics.Read(s)
		if l, o := s[0].Value.Uint64(), s[1].Value.Uint64(); o > l && o-l > garbage {
			garbage, live = o-l, l
		}
	})
	return garbage, live
}

func TestPushAndItsBitmapKeepGarbageWithinBudgetUnderALaxCollector(t *testing.T) {
	req, refs := mirrorPush(t, benchRepo(t, 3000, true))

	// As cairn serve runs: the heap may grow to five times what is live between collections,
	// and a server holds some (its caches, other requests).
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	ballast := make([]byte, 16<<20)
	defer runtime.KeepAlive(ballast)
	st, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for id := int64(1); id <= 3; id++ {
		if err := st.Create(id, InitOptions{}); err != nil {
			t.Fatal(err)
		}
		runtime.GC() // so that what is live when it starts is known as such
		garbage, live := peakGarbage(func() {
			res, err := st.ReceivePack(context.Background(), id, bytes.NewReader(req), io.Discard, ReceivePackOptions{})
			if err != nil || res.UnpackError != "" || len(res.Applied) != refs {
				t.Fatalf("push: %v %+v", err, res)
			}
			st.WaitBackground() // the bitmap and the commit-graph
		})
		t.Logf("push %d: at most %d MiB of garbage beside %d MiB live", id, garbage>>20, live>>20)
		// The budget is max(8 MiB, live/2), checked every 256 objects, which may overshoot it
		// by what 256 small objects take; the lax collector alone lets the garbage reach four
		// times the live heap.
		if budget := max(pushGarbage, bitmapGarbage, commitGraphGarbage, live/2); garbage > budget+4<<20 {
			t.Errorf("push %d: %d MiB of garbage, over the budget of %d MiB", id, garbage>>20, budget>>20)
		}
	}
}
