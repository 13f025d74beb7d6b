package secretscan

// keywordMatcher finds which of a set of lower-case keywords occur in a text, ignoring ASCII
// case, in one pass over it: an Aho-Corasick automaton made a full DFA over an alphabet of
// the bytes the keywords use (every other byte is one class), so that each byte of the text
// costs two table lookups.
type keywordMatcher struct {
	class   [256]uint8
	classes int
	next    []int32 // state*classes + class → state
	out     [][]int // state → keywords ending there (with those of its suffixes)
}

func newKeywordMatcher(keywords []string) *keywordMatcher {
	m := &keywordMatcher{}
	// Class 0 is every byte no keyword holds.
	for _, k := range keywords {
		for i := 0; i < len(k); i++ {
			if c := k[i]; m.class[c] == 0 {
				m.classes++
				m.class[c] = uint8(m.classes)
			}
		}
	}
	m.classes++
	for c := 'A'; c <= 'Z'; c++ {
		m.class[c] = m.class[c+'a'-'A']
	}
	// The trie, with -1 for a missing edge.
	trie := [][]int32{m.newState()}
	m.out = [][]int{nil}
	for ki, k := range keywords {
		s := int32(0)
		for i := 0; i < len(k); i++ {
			c := m.class[k[i]]
			if trie[s][c] < 0 {
				trie = append(trie, m.newState())
				m.out = append(m.out, nil)
				trie[s][c] = int32(len(trie) - 1)
			}
			s = trie[s][c]
		}
		m.out[s] = append(m.out[s], ki)
	}
	// Breadth first, each state's missing edges become those of its failure state, which is
	// complete by then.
	fail := make([]int32, len(trie))
	queue := []int32{}
	for c := range m.classes {
		if t := trie[0][c]; t < 0 {
			trie[0][c] = 0
		} else {
			fail[t] = 0
			queue = append(queue, t)
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		m.out[s] = append(m.out[s], m.out[fail[s]]...)
		for c := range m.classes {
			t := trie[s][c]
			if t < 0 {
				trie[s][c] = trie[fail[s]][c]
				continue
			}
			fail[t] = trie[fail[s]][c]
			queue = append(queue, t)
		}
	}
	m.next = make([]int32, 0, len(trie)*m.classes)
	for _, row := range trie {
		m.next = append(m.next, row...)
	}
	return m
}

func (m *keywordMatcher) newState() []int32 {
	row := make([]int32, m.classes)
	for i := range row {
		row[i] = -1
	}
	return row
}

// each calls fn for each keyword that occurs in text, at least once and perhaps more.
func (m *keywordMatcher) each(text []byte, fn func(keyword int)) {
	var seen []bool
	m.occurrences(text, func(state int32, _ int) bool {
		if seen == nil {
			seen = make([]bool, len(m.out))
		}
		if seen[state] {
			return false
		}
		seen[state] = true
		for _, k := range m.out[state] {
			fn(k)
		}
		return false
	})
}

// at calls fn for every occurrence of every keyword, with the offset just past it.
func (m *keywordMatcher) at(text []byte, fn func(keyword, end int)) {
	m.occurrences(text, func(state int32, end int) bool {
		for _, k := range m.out[state] {
			fn(k, end)
		}
		return false
	})
}

// occurrences runs the automaton over text and calls fn at every position where some
// keyword ends, with the state there; fn returns true to stop.
func (m *keywordMatcher) occurrences(text []byte, fn func(state int32, end int) bool) {
	if len(m.next) == 0 {
		return
	}
	s := int32(0)
	n := int32(m.classes)
	for i, b := range text {
		s = m.next[s*n+int32(m.class[b])]
		if m.out[s] != nil && fn(s, i+1) {
			return
		}
	}
}
