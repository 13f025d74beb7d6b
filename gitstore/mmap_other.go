//go:build !unix

package gitstore

import "os"

// mapFile is not available on this platform: packs are read with ReadAt.
func mapFile(*os.File, int64) ([]byte, bool) { return nil, false }

func unmapFile([]byte) {}
