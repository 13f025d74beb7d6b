package gitstore

// Changed-path Bloom filters, as git stores them in a commit-graph's BIDX and BDAT chunks
// (bloom.c): one filter per commit of the paths that differ from its first parent, every
// leading directory of a changed path included. A filter never misses a changed path, so
// "not in the filter" proves the commit left the path alone, and a history walk for one
// path skips reading the trees of most commits.

// bloomSettings are a commit-graph's filter parameters. git writes hash version 1 with 7
// hashes of 10 bits per path by default, in every version up to today's.
type bloomSettings struct {
	hashVersion  uint32
	numHashes    uint32
	bitsPerEntry uint32
}

// defaultBloom is what `git commit-graph write --changed-paths` writes.
var defaultBloom = bloomSettings{hashVersion: 1, numHashes: 7, bitsPerEntry: 10}

// bloomMaxChangedPaths is git's limit: a commit that changes more paths (leading
// directories included) gets the one-byte filter with every bit set, "maybe" for all.
const bloomMaxChangedPaths = 512

// bloomKey is the bit positions a path sets, before reduction modulo a filter's size.
type bloomKey []uint32

// newBloomKey hashes path with git's seeds and double hashing.
func newBloomKey(path []byte, s bloomSettings) bloomKey {
	h0 := murmur3(0x293ae76f, path, s.hashVersion)
	h1 := murmur3(0x7e646e2c, path, s.hashVersion)
	k := make(bloomKey, s.numHashes)
	for i := range k {
		k[i] = h0 + uint32(i)*h1
	}
	return k
}

// bloomAdd sets the bits of k in filter.
func bloomAdd(filter []byte, k bloomKey) {
	mod := uint64(len(filter)) * 8
	for _, h := range k {
		pos := uint64(h) % mod
		filter[pos/8] |= 1 << (pos & 7)
	}
}

// bloomContains reports whether filter may hold k; an empty filter answers maybe.
func bloomContains(filter []byte, k bloomKey) bool {
	mod := uint64(len(filter)) * 8
	if mod == 0 {
		return true
	}
	for _, h := range k {
		pos := uint64(h) % mod
		if filter[pos/8]&(1<<(pos&7)) == 0 {
			return false
		}
	}
	return true
}

// murmur3 is the 32-bit MurmurHash3 of data. Version 1 of git's filters reads the bytes
// as C's signed char, so bytes from 0x80 up enter sign-extended; version 2 fixed that.
// Filters are only useful when computed exactly as git computes them.
func murmur3(seed uint32, data []byte, version uint32) uint32 {
	const (
		c1 = 0xcc9e2d51
		c2 = 0x1b873593
		n  = 0xe6546b64
	)
	b := func(c byte) uint32 {
		if version == 1 {
			return uint32(int32(int8(c)))
		}
		return uint32(c)
	}
	h := seed
	nblocks := len(data) / 4
	for i := 0; i < nblocks; i++ {
		k := b(data[4*i]) | b(data[4*i+1])<<8 | b(data[4*i+2])<<16 | b(data[4*i+3])<<24
		k *= c1
		k = k<<15 | k>>17
		k *= c2
		h ^= k
		h = h<<13 | h>>19
		h = h*5 + n
	}
	tail := data[nblocks*4:]
	var k1 uint32
	switch len(tail) {
	case 3:
		k1 ^= b(tail[2]) << 16
		fallthrough
	case 2:
		k1 ^= b(tail[1]) << 8
		fallthrough
	case 1:
		k1 ^= b(tail[0])
		k1 *= c1
		k1 = k1<<15 | k1>>17
		k1 *= c2
		h ^= k1
	}
	h ^= uint32(len(data))
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}

// pathBloomKeys are the keys a walk for path checks: the path and each of its leading
// directories. A commit that changed the path has them all; one missing proves it did not.
func pathBloomKeys(path string, s bloomSettings) []bloomKey {
	keys := []bloomKey{newBloomKey([]byte(path), s)}
	for i := len(path) - 1; i > 0; i-- {
		if path[i] == '/' {
			keys = append(keys, newBloomKey([]byte(path[:i]), s))
		}
	}
	return keys
}

// bloomMaybeChanged reports whether a filter admits that the path of keys changed.
func bloomMaybeChanged(filter []byte, keys []bloomKey) bool {
	for _, k := range keys {
		if !bloomContains(filter, k) {
			return false
		}
	}
	return true
}
