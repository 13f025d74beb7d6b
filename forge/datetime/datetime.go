// Package datetime reads dates and times written in the many forms people and programs
// send: ISO 8601, RFC 2822, written dates with zone abbreviations, day-month-year, Unix time.
// It refuses what it cannot read unambiguously, and says why.
package datetime

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Formats says, in error messages, which dates and times Parse reads.
const Formats = `ISO 8601 / RFC 3339 ("2022-02-01T14:40:15Z", "2022-02-01 14:40", "2022-02-01"); ` +
	`RFC 2822 / RFC 1123 ("Tue, 01 Feb 2022 14:40:15 -0600"); written dates ("February 1, 2022 at 8:42am CST", ` +
	`"Jan 2, 2021 8:35am EST", "1 Feb 2022 14:40"); day-month-year ("20-12-1990", month first only when the day ` +
	`is over 12); Unix seconds (9 or 10 digits) or milliseconds (13 digits). A time zone is an offset ` +
	`("+05:30", "-0800", "UTC+2") or one of ` + zoneAbbreviationList + `; without one, UTC`

var monthNames = map[string]time.Month{
	"jan":       1,
	"january":   1,
	"feb":       2,
	"february":  2,
	"mar":       3,
	"march":     3,
	"apr":       4,
	"april":     4,
	"may":       5,
	"jun":       6,
	"june":      6,
	"jul":       7,
	"july":      7,
	"aug":       8,
	"august":    8,
	"sep":       9,
	"sept":      9,
	"september": 9,
	"oct":       10,
	"october":   10,
	"nov":       11,
	"november":  11,
	"dec":       12,
	"december":  12,
}

var weekdayNames = map[string]bool{
	"mon":       true,
	"monday":    true,
	"tue":       true,
	"tues":      true,
	"tuesday":   true,
	"wed":       true,
	"wednesday": true,
	"thu":       true,
	"thur":      true,
	"thurs":     true,
	"thursday":  true,
	"fri":       true,
	"friday":    true,
	"sat":       true,
	"saturday":  true,
	"sun":       true,
	"sunday":    true,
}

// maxLength bounds the input: every accepted form is far shorter.
const maxLength = 100

// Years outside these are refused: four-digit years only, so that round trips through ISO 8601
// stay exact.
const (
	minYear = 1000
	maxYear = 9999
)

// Parse reads a date and time in any of the forms of Formats:
//   - ISO 8601 / RFC 3339 with or without a zone, with a 'T' or a space, seconds and fractions
//     optional; a date alone ("2022-02-01", "20220201") is midnight.
//   - RFC 2822 / RFC 1123 and written dates in any order of their parts: "Jan 1, 2021 at
//     5:40pm PST", "Tue, 01 Feb 2022 14:40:15 -0600", "Mon Jan 2 15:04:05 MST 2006"; a
//     weekday is ignored; parenthesised comments are ignored after a zone, as RFC 2822 says.
//   - numeric dates with '-', '/' or '.': year first is year-month-day; otherwise
//     day-month-year ("20-12-1990"), month first only when that is the only reading
//     ("12-20-1990"); "01-02-2021" is ambiguous and refused.
//   - all digits: 9 or 10 digits are Unix seconds, 13 digits Unix milliseconds (JavaScript's
//     Date.now()), 8 digits an ISO basic date; other lengths are refused.
//
// An ISO 8601 time followed by a bare offset ("2022-02-01T14:40:15 05:30") is read as the
// positive offset it was before a form decoder turned its '+' into a space, as it does to
// bodies that curl -d sends unencoded.
//
// Without a zone the time is UTC. A zone is an offset ("+05:30", "-0800", "+05", "UTC-8") or an
// abbreviation of a fixed table (zoneOffsets); unknown and ambiguous abbreviations are refused,
// never guessed. The result is in the zone given (a fixed zone named by its abbreviation), so
// that a caller can echo the wall time it was sent; store it with UTC().
// A failure is an *Error saying why.
func Parse(s string) (time.Time, error) {
	t, err := parse(s)
	if err != nil {
		return time.Time{}, &Error{Input: s, Why: err}
	}
	return t, nil
}

// Error is what Parse could not read, and why.
type Error struct {
	Input string
	Why   error
}

// Error names the input (cut after maxLength bytes) and says why it was refused.
func (e *Error) Error() string {
	shown := e.Input
	if len(shown) > maxLength {
		shown = shown[:maxLength] + "..."
	}
	return fmt.Sprintf("cannot read %q as a date and time (%v)", shown, e.Why)
}

// Unwrap returns why.
func (e *Error) Unwrap() error { return e.Why }

// dateTime collects the parts of a date and time as they are read.
type dateTime struct {
	year, day    int
	month        time.Month
	hasTime      bool
	hour, minute int
	second, nsec int
	meridiem     string // "am", "pm" or ""
	zone         *time.Location
	weekday      bool
	comment      bool
}

func parse(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return time.Time{}, errors.New("it is empty")
	case len(s) > maxLength:
		return time.Time{}, errors.New("it is too long")
	case !utf8.ValidString(s):
		return time.Time{}, errors.New("it is not UTF-8 text")
	}
	if allDigits(s) {
		return parseDigits(s)
	}
	toks, comment, err := dateTokens(s)
	if err != nil {
		return time.Time{}, err
	}
	dt := dateTime{comment: comment}
	for i := 0; i < len(toks); i++ {
		tok := toks[i]
		// A bare hour followed by am or pm ("5 pm") is a time, not a day.
		if i+1 < len(toks) && meridiemOf(toks[i+1]) != "" && allDigits(tok) && len(tok) <= 2 {
			if err := dt.setTime(tok+":00", false); err != nil {
				return time.Time{}, err
			}
			continue
		}
		if err := dt.read(tok); err != nil {
			return time.Time{}, err
		}
	}
	return dt.build()
}

// dateTokens splits s into words: on spaces and commas, an ISO 8601 'T' between date and time,
// '-' inside "02-Jan-2006", and "UTC" or "GMT" joined to an offset that follows it. Comments in
// parentheses are dropped; comment reports whether there were any.
func dateTokens(s string) (toks []string, comment bool, err error) {
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch {
		case r == '(':
			depth++
			comment = true
			b.WriteByte(' ')
		case r == ')':
			if depth == 0 {
				return nil, false, errors.New("it has an unmatched ')'")
			}
			depth--
		case depth > 0:
		case r == ',' || unicode.IsSpace(r):
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	if depth != 0 {
		return nil, false, errors.New("it has an unmatched '('")
	}
	fields := strings.Fields(b.String())
	for i := 0; i < len(fields); i++ {
		f := strings.ToLower(fields[i])
		switch {
		case len(f) > 11 && isNumericDate(f[:10]) && f[10] == 't':
			clock := f[11:]
			// A form-encoded body sent raw (curl -d) turns the '+' of "14:40:15+05:30" into a
			// space; an ISO 8601 time without a zone followed by a bare offset had it.
			if i+1 < len(fields) && !strings.ContainsAny(clock, "z+-") && isBareOffset(fields[i+1]) {
				clock += "+" + fields[i+1]
				i++
			}
			toks = append(toks, f[:10], clock)
		case strings.Contains(f, "-") && hasLetter(f) && !strings.Contains(f, ":") && f[0] != '+' && f[0] != '-' &&
			!strings.HasPrefix(f, "utc") && !strings.HasPrefix(f, "gmt"):
			// "02-Jan-2006"
			for _, part := range strings.Split(f, "-") {
				if part == "" {
					return nil, false, fmt.Errorf("%q is not part of a date", f)
				}
				toks = append(toks, part)
			}
		default:
			toks = append(toks, f)
		}
	}
	for i := 0; i+1 < len(toks); i++ {
		switch {
		case (toks[i] == "utc" || toks[i] == "gmt") && (toks[i+1][0] == '+' || toks[i+1][0] == '-'):
			// "UTC +5" and "GMT -08:00" are one zone.
			toks[i] += toks[i+1]
		case strings.Contains(toks[i], ":") && strings.Trim(toks[i], "0123456789:.") == "" &&
			len(toks[i+1]) == 5 && isBareOffset(toks[i+1]):
			// "14:40:15 05:30" is "14:40:15+05:30" after a form decoder (see above).
			toks[i] += "+" + toks[i+1]
		default:
			continue
		}
		toks = append(toks[:i+1], toks[i+2:]...)
	}
	return toks, comment, nil
}

// read interprets one token.
func (dt *dateTime) read(tok string) error {
	word := strings.TrimSuffix(tok, ".")
	switch {
	case tok == "":
		return errors.New("it has an empty part")
	case tok == "on" || tok == "the" || tok == "of":
		return nil
	case tok == "at":
		if dt.hasTime {
			return errors.New(`"at" comes after the time`)
		}
		return nil
	case meridiemOf(tok) != "":
		if !dt.hasTime || dt.meridiem != "" {
			return fmt.Errorf("%q follows no time", tok)
		}
		dt.meridiem = meridiemOf(tok)
		return dt.checkMeridiem()
	case weekdayNames[word]:
		if dt.weekday {
			return errors.New("it names two weekdays")
		}
		dt.weekday = true
		return nil
	case monthNames[word] != 0:
		if dt.month != 0 {
			return errors.New("it names two months")
		}
		dt.month = monthNames[word]
		return nil
	case tok[0] == '+' || tok[0] == '-' || strings.HasPrefix(tok, "utc") || strings.HasPrefix(tok, "gmt") ||
		isLetters(tok) && len(tok) <= 5:
		loc, err := parseZone(tok)
		if err != nil {
			return err
		}
		return dt.setZone(loc)
	case strings.Contains(tok, ":"):
		return dt.setTime(tok, true)
	case len(tok) >= 3 && allDigits(tok[:len(tok)-2]) && meridiemOf(tok[len(tok)-2:]) != "" && len(tok) <= 4:
		// "5pm"
		if err := dt.setTime(tok[:len(tok)-2]+":00", false); err != nil {
			return err
		}
		dt.meridiem = meridiemOf(tok[len(tok)-2:])
		return dt.checkMeridiem()
	case isNumericDate(tok):
		return dt.setNumericDate(tok)
	}
	if n, ok := ordinal(tok); ok {
		return dt.setDay(n)
	}
	if allDigits(tok) {
		n, _ := strconv.Atoi(tok)
		switch len(tok) {
		case 4:
			if dt.year != 0 {
				return errors.New("it names two years")
			}
			dt.year = n
			return nil
		case 1, 2:
			return dt.setDay(n)
		}
		return fmt.Errorf("%q is neither a day nor a four-digit year", tok)
	}
	return fmt.Errorf("%q is not part of a date", tok)
}

func (dt *dateTime) setDay(n int) error {
	if dt.day != 0 {
		return errors.New("it names two days, or a year without four digits")
	}
	if n < 1 || n > 31 {
		return fmt.Errorf("%d is not a day of a month", n)
	}
	dt.day = n
	return nil
}

func (dt *dateTime) setZone(loc *time.Location) error {
	if dt.zone != nil {
		return errors.New("it names two time zones")
	}
	dt.zone = loc
	return nil
}

func (dt *dateTime) checkMeridiem() error {
	if dt.hour < 1 || dt.hour > 12 {
		return fmt.Errorf("hour %d is not on a 12-hour clock", dt.hour)
	}
	return nil
}

// setTime reads "h:mm", "hh:mm:ss", "hh:mm:ss.fff", optionally followed by "am"/"pm" and by a
// zone ("z", "+05:30", "-0800") when glued is set.
func (dt *dateTime) setTime(tok string, glued bool) error {
	if dt.hasTime {
		return errors.New("it names two times")
	}
	dt.hasTime = true
	rest := tok
	num := func(min, max int, what string) (int, error) {
		i := 0
		for i < len(rest) && i < 2 && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i < min {
			return 0, fmt.Errorf("%q is not a time", tok)
		}
		n, _ := strconv.Atoi(rest[:i])
		rest = rest[i:]
		if n > max {
			return 0, fmt.Errorf("%s %d is out of range", what, n)
		}
		return n, nil
	}
	var err error
	if dt.hour, err = num(1, 23, "hour"); err != nil {
		return err
	}
	if !strings.HasPrefix(rest, ":") {
		return fmt.Errorf("%q is not a time", tok)
	}
	rest = rest[1:]
	if dt.minute, err = num(2, 59, "minute"); err != nil {
		return err
	}
	if strings.HasPrefix(rest, ":") {
		rest = rest[1:]
		if dt.second, err = num(2, 59, "second"); err != nil {
			return err
		}
		if len(rest) > 0 && rest[0] == '.' {
			i := 1
			for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
				i++
			}
			frac := rest[1:i]
			if frac == "" || len(frac) > 9 {
				return fmt.Errorf("%q has a fraction of a second cairn cannot read", tok)
			}
			n, _ := strconv.Atoi(frac + strings.Repeat("0", 9-len(frac)))
			dt.nsec = n
			rest = rest[i:]
		}
	}
	if rest == "" {
		return nil
	}
	if !glued {
		return fmt.Errorf("%q is not a time", tok)
	}
	for _, m := range []string{"am", "pm", "a.m.", "p.m."} {
		if strings.HasPrefix(rest, m) {
			dt.meridiem = meridiemOf(m)
			if err := dt.checkMeridiem(); err != nil {
				return err
			}
			rest = rest[len(m):]
			break
		}
	}
	if rest == "" {
		return nil
	}
	if rest != "z" && rest[0] != '+' && rest[0] != '-' {
		return fmt.Errorf("%q is not a time", tok)
	}
	loc, err := parseZone(rest)
	if err != nil {
		return err
	}
	return dt.setZone(loc)
}

// setNumericDate reads "2022-02-01", "2022/2/1", "20-12-1990" or "12.20.1990".
func (dt *dateTime) setNumericDate(tok string) error {
	if dt.year != 0 || dt.month != 0 || dt.day != 0 {
		return errors.New("it names two dates")
	}
	sep := tok[strings.IndexAny(tok, "-/.")]
	parts := strings.Split(tok, string(sep))
	a, _ := strconv.Atoi(parts[0])
	b, _ := strconv.Atoi(parts[1])
	c, _ := strconv.Atoi(parts[2])
	if len(parts[0]) == 4 {
		if b < 1 || b > 12 {
			return fmt.Errorf("month %d is out of range", b)
		}
		dt.year, dt.month, dt.day = a, time.Month(b), c
		return dt.setDayChecked()
	}
	dt.year = c
	switch {
	case a > 12 && b >= 1 && b <= 12:
		dt.day, dt.month = a, time.Month(b)
	case b > 12 && a >= 1 && a <= 12:
		dt.month, dt.day = time.Month(a), b
	case a == b && a >= 1 && a <= 12:
		dt.month, dt.day = time.Month(a), b
	case a >= 1 && a <= 12 && b >= 1 && b <= 12:
		return fmt.Errorf(
			"%q could be day-month-year or month-day-year; write the year first (%04d-%02d-%02d) or the month as a word",
			tok, c, b, a)
	default:
		return fmt.Errorf("%q has no month", tok)
	}
	return dt.setDayChecked()
}

func (dt *dateTime) setDayChecked() error {
	if dt.day < 1 || dt.day > 31 {
		return fmt.Errorf("%d is not a day of a month", dt.day)
	}
	return nil
}

// build checks the parts and assembles the time.
func (dt *dateTime) build() (time.Time, error) {
	switch {
	case dt.year == 0 && dt.month == 0 && dt.day == 0:
		return time.Time{}, errors.New("it has no date")
	case dt.year == 0:
		return time.Time{}, errors.New("it has no four-digit year")
	case dt.month == 0:
		return time.Time{}, errors.New("it has no month")
	case dt.day == 0:
		return time.Time{}, errors.New("it has no day")
	case dt.year < minYear || dt.year > maxYear:
		return time.Time{}, fmt.Errorf("year %d is out of range", dt.year)
	case dt.comment && dt.zone == nil:
		return time.Time{}, errors.New("its time zone is only in a comment; give it outside the parentheses")
	}
	if dt.day > DaysIn(dt.month, dt.year) {
		return time.Time{}, fmt.Errorf("%s %d has no day %d", dt.month, dt.year, dt.day)
	}
	hour := dt.hour
	switch dt.meridiem {
	case "am":
		if hour == 12 {
			hour = 0
		}
	case "pm":
		if hour != 12 {
			hour += 12
		}
	}
	loc := dt.zone
	if loc == nil {
		loc = time.UTC
	}
	return time.Date(dt.year, dt.month, dt.day, hour, dt.minute, dt.second, dt.nsec, loc), nil
}

// parseDigits reads an input of digits only: Unix seconds or milliseconds, or a basic date.
func parseDigits(s string) (time.Time, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	switch {
	case err != nil:
		return time.Time{}, fmt.Errorf("%q is not a number cairn can read", s)
	case len(s) == 8:
		dt := dateTime{}
		if err := dt.setNumericDate(s[:4] + "-" + s[4:6] + "-" + s[6:]); err != nil {
			return time.Time{}, err
		}
		return dt.build()
	case len(s) == 9 || len(s) == 10:
		return time.Unix(n, 0).UTC(), nil
	case len(s) == 13:
		return time.UnixMilli(n).UTC(), nil
	}
	return time.Time{}, fmt.Errorf(
		"a number of %d digits is neither Unix seconds (9 or 10 digits) nor milliseconds (13)", len(s))
}

// meridiemOf returns "am" or "pm" for the ways of writing them, "" otherwise.
func meridiemOf(tok string) string {
	switch tok {
	case "am", "a.m.", "a.m":
		return "am"
	case "pm", "p.m.", "p.m":
		return "pm"
	}
	return ""
}

// ordinal reads "1st", "2nd", "23rd", "25th".
func ordinal(tok string) (int, bool) {
	if len(tok) < 3 || len(tok) > 4 {
		return 0, false
	}
	num, suffix := tok[:len(tok)-2], tok[len(tok)-2:]
	if !allDigits(num) {
		return 0, false
	}
	switch suffix {
	case "st", "nd", "rd", "th":
		n, _ := strconv.Atoi(num)
		return n, true
	}
	return 0, false
}

// isNumericDate reports whether tok is three groups of digits separated by one of '-', '/',
// '.' used twice, one of the outer groups of four digits and the others of one or two.
func isNumericDate(tok string) bool {
	i := strings.IndexAny(tok, "-/.")
	if i < 0 {
		return false
	}
	parts := strings.Split(tok, tok[i:i+1])
	if len(parts) != 3 {
		return false
	}
	for _, p := range parts {
		if !allDigits(p) {
			return false
		}
	}
	short := func(p string) bool { return len(p) == 1 || len(p) == 2 }
	return len(parts[0]) == 4 && short(parts[1]) && short(parts[2]) ||
		short(parts[0]) && short(parts[1]) && len(parts[2]) == 4
}

// isBareOffset reports whether s is an offset without its sign: "05:30" or "0530".
func isBareOffset(s string) bool {
	return len(s) == 5 && s[2] == ':' && allDigits(s[:2]) && allDigits(s[3:]) || len(s) == 4 && allDigits(s)
}

// DaysIn is the number of days of month m in year.
func DaysIn(m time.Month, year int) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isLetters(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return true
}

func hasLetter(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'a' && s[i] <= 'z' {
			return true
		}
	}
	return false
}
