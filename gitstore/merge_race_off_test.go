//go:build !race

package gitstore

// raceDetector is set when the tests run with the race detector, which makes timings
// meaningless.
const raceDetector = false
