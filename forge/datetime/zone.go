package datetime

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// zoneAbbreviationList is the zone table below, for messages.
const zoneAbbreviationList = "UTC, GMT, Z, WET, WEST, BST, CET, CEST, EET, EEST, MSK, " +
	"EST, EDT, CST, CDT, MST, MDT, PST, PDT, AKST, AKDT, HST, AST, ADT, NST, NDT, " +
	"JST, KST, HKT, SGT, AWST, ACST, ACDT, AEST, AEDT, NZST, NZDT"

// zoneOffsets is the fixed table of time zone abbreviations Parse knows, as offsets
// east of UTC in minutes. Abbreviations are ambiguous world-wide; the table takes the reading
// the seeds use (CST is US Central, as in "February 1, 2022 at 8:42am CST", not China) and
// leaves out the ones with no majority reading (see ambiguousZones).
var zoneOffsets = map[string]int{
	"UTC":  0,
	"UT":   0,
	"GMT":  0,
	"Z":    0,
	"WET":  0,
	"WEST": 60,
	"BST":  60,
	"CET":  60,
	"CEST": 120,
	"EET":  120,
	"EEST": 180,
	"MSK":  180,
	"EST":  -300,
	"EDT":  -240,
	"CST":  -360,
	"CDT":  -300,
	"MST":  -420,
	"MDT":  -360,
	"PST":  -480,
	"PDT":  -420,
	"AKST": -540,
	"AKDT": -480,
	"HST":  -600,
	"AST":  -240,
	"ADT":  -180,
	"NST":  -210,
	"NDT":  -150,
	"JST":  540,
	"KST":  540,
	"HKT":  480,
	"SGT":  480,
	"AWST": 480,
	"ACST": 570,
	"ACDT": 630,
	"AEST": 600,
	"AEDT": 660,
	"NZST": 720,
	"NZDT": 780,
}

// ambiguousZones are abbreviations in common use for several zones; guessing one would store
// a time hours away from the one meant, so they are refused with the readings they have.
var ambiguousZones = map[string]string{
	"IST": "India +05:30, Ireland +01:00 or Israel +02:00",
	"ET":  "EST -05:00 or EDT -04:00", "CT": "CST -06:00 or CDT -05:00",
	"MT": "MST -07:00 or MDT -06:00", "PT": "PST -08:00 or PDT -07:00",
}

// parseZone reads a zone: an abbreviation of the table, an offset ("+05:30", "-0800", "+05"),
// or UTC or GMT followed by an offset ("utc+5", "gmt-08:00"). Input is lower case.
func parseZone(tok string) (*time.Location, error) {
	name := strings.ToUpper(tok)
	if off, ok := zoneOffsets[name]; ok {
		if off == 0 {
			return time.UTC, nil
		}
		return time.FixedZone(name, off*60), nil
	}
	if readings, ok := ambiguousZones[name]; ok {
		return nil, fmt.Errorf("time zone %s is ambiguous (%s); give an offset such as +05:30", name, readings)
	}
	if isLetters(tok) {
		return nil, fmt.Errorf("time zone %q is not one cairn knows; give an offset such as -08:00", name)
	}
	off := tok
	short := false // "UTC+5" may give the hour in one digit
	if strings.HasPrefix(off, "utc") || strings.HasPrefix(off, "gmt") {
		off, short = off[3:], true
	}
	if len(off) < 2 || (off[0] != '+' && off[0] != '-') {
		return nil, fmt.Errorf("%q is not a time zone", tok)
	}
	sign, digits := off[0], off[1:]
	var h, m string
	switch {
	case len(digits) == 5 && digits[2] == ':':
		h, m = digits[:2], digits[3:]
	case short && len(digits) == 4 && digits[1] == ':':
		h, m = digits[:1], digits[2:]
	case len(digits) == 4:
		h, m = digits[:2], digits[2:]
	case len(digits) == 2:
		h, m = digits, "00"
	case short && len(digits) == 1:
		h, m = digits, "00"
	default:
		return nil, fmt.Errorf("%q is not a time zone offset", tok)
	}
	if !allDigits(h) || !allDigits(m) {
		return nil, fmt.Errorf("%q is not a time zone offset", tok)
	}
	hh, _ := strconv.Atoi(h)
	mm, _ := strconv.Atoi(m)
	if hh > 14 || mm > 59 || hh == 14 && mm > 0 {
		return nil, fmt.Errorf("time zone offset %q is out of range", tok)
	}
	secs := (hh*60 + mm) * 60
	if sign == '-' {
		secs = -secs
	}
	if secs == 0 {
		return time.UTC, nil
	}
	return time.FixedZone("", secs), nil
}
