package web

import (
	"container/list"
	"html/template"
	"sync"
)

// highlightCache keeps the highlighted lines of recently shown files, by blob id and name,
// up to a total size: a file's content never changes under its id, and highlighting a long
// file costs far more than showing it.
type highlightCache struct {
	mu    sync.Mutex
	limit int
	size  int
	order *list.List // of *cached, most recent first
	byKey map[string]*list.Element
}

type cached struct {
	key   string
	lines []template.HTML
	size  int
}

func newHighlightCache(limit int) *highlightCache {
	return &highlightCache{limit: limit, order: list.New(), byKey: map[string]*list.Element{}}
}

func (c *highlightCache) get(key string) ([]template.HTML, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byKey[key]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*cached).lines, true
}

func (c *highlightCache) put(key string, lines []template.HTML) {
	size := len(key)
	for _, l := range lines {
		size += len(l) + 16
	}
	if size > c.limit/4 {
		return // one file must not push out everything else
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byKey[key]; ok {
		return
	}
	c.byKey[key] = c.order.PushFront(&cached{key: key, lines: lines, size: size})
	c.size += size
	for c.size > c.limit {
		last := c.order.Back()
		v := last.Value.(*cached)
		c.order.Remove(last)
		delete(c.byKey, v.key)
		c.size -= v.size
	}
}
