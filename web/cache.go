package web

import (
	"container/list"
	"sync"
)

// lru keeps recently used values up to a total size. The pages cache what never changes
// under its key and costs far more to compute than to show: a file's highlighted lines (by
// blob id), a commit's languages (by project and commit id).
type lru[V any] struct {
	mu    sync.Mutex
	limit int
	size  int
	sizer func(V) int
	order *list.List // of *entry[V], most recent first
	byKey map[string]*list.Element
}

type entry[V any] struct {
	key   string
	value V
	size  int
}

// newLRU returns a cache of at most limit in total of sizer's measure.
func newLRU[V any](limit int, sizer func(V) int) *lru[V] {
	return &lru[V]{limit: limit, sizer: sizer, order: list.New(), byKey: map[string]*list.Element{}}
}

func (c *lru[V]) get(key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byKey[key]
	if !ok {
		var zero V
		return zero, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*entry[V]).value, true
}

func (c *lru[V]) put(key string, v V) {
	size := len(key) + c.sizer(v)
	if size > c.limit/4 {
		return // one value must not push out everything else
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byKey[key]; ok {
		return
	}
	c.byKey[key] = c.order.PushFront(&entry[V]{key: key, value: v, size: size})
	c.size += size
	for c.size > c.limit {
		last := c.order.Back()
		old := last.Value.(*entry[V])
		c.order.Remove(last)
		delete(c.byKey, old.key)
		c.size -= old.size
	}
}
