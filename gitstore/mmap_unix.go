//go:build unix

package gitstore

import (
	"os"
	"syscall"
)

// mapFile maps a pack read-only, so entries are read without a system call each, the way C
// git reads packs. ok is false when the file cannot be mapped; callers then use ReadAt.
func mapFile(f *os.File, size int64) (data []byte, ok bool) {
	if size <= 0 || int64(int(size)) != size {
		return nil, false
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, false
	}
	return b, true
}

func unmapFile(b []byte) { _ = syscall.Munmap(b) }
