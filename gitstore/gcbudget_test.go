package gitstore

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

// peakGarbage runs f and returns the most garbage (heap objects not yet found dead) the heap
// held while it ran, and the live heap then.
func peakGarbage(f func()) (garbage, live uint64) {
	done, out := make(chan struct{}), make(chan [2]uint64)
	go func() {
		s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/heap/objects:bytes"}}
		var most [2]uint64
		for {
			metrics.Read(s)
			if l, o := s[0].Value.Uint64(), s[1].Value.Uint64(); o > l && o-l > most[0] {
				most = [2]uint64{o - l, l}
			}
			select {
			case <-done:
				out <- most
				return
			case <-time.After(200 * time.Microsecond):
			}
		}
	}()
	f()
	close(done)
	most := <-out
	return most[0], most[1]
}

func TestPushAndItsBitmapKeepGarbageWithinBudgetUnderALaxCollector(t *testing.T) {
	src := benchRepo(t, 3000, true)
	packs, _ := filepath.Glob(filepath.Join(src.Path(1), "objects", "pack", "*.pack"))
	pack, err := os.ReadFile(packs[0])
	if err != nil {
		t.Fatal(err)
	}
	refs, err := refStore{dir: src.Path(1)}.list()
	if err != nil {
		t.Fatal(err)
	}
	var req bytes.Buffer
	pw := newPktWriter(&req)
	for i, r := range refs.refs {
		line := "0000000000000000000000000000000000000000 " + r.hash.String() + " " + r.name
		if i == 0 {
			line += "\x00report-status-v2 side-band-64k quiet object-format=sha1"
		}
		_ = pw.line(line)
	}
	_ = pw.flush()
	req.Write(pack)

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
			res, err := st.ReceivePack(context.Background(), id, bytes.NewReader(req.Bytes()), io.Discard, ReceivePackOptions{})
			if err != nil || res.UnpackError != "" || len(res.Applied) != len(refs.refs) {
				t.Fatalf("push: %v %+v", err, res)
			}
			st.WaitBackground() // the bitmap
		})
		t.Logf("push %d: at most %d MiB of garbage beside %d MiB live", id, garbage>>20, live>>20)
		// The budget is max(8 MiB, live/2), checked every 256 objects, which may overshoot it
		// by what 256 small objects take; the lax collector alone lets the garbage reach four
		// times the live heap.
		if budget := max(pushGarbage, bitmapGarbage, live/2); garbage > budget+4<<20 {
			t.Errorf("push %d: %d MiB of garbage, over the budget of %d MiB", id, garbage>>20, budget>>20)
		}
	}
}
