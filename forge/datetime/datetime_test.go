package datetime_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cairn-forge/cairn/forge/datetime"
)

func TestParseReadsEveryDocumentedForm(t *testing.T) {
	tests := []struct {
		in   string
		want string // RFC 3339, with the offset the input gave
		zone string // the zone's name, when the input named one
	}{
		// The seed's examples.
		{"2022-02-01T14:40:15Z", "2022-02-01T14:40:15Z", "UTC"},
		{"February 1, 2022 at 8:42am CST", "2022-02-01T08:42:00-06:00", "CST"},
		{"20-12-1990", "1990-12-20T00:00:00Z", "UTC"},
		{"Jan 1, 2021 at 5:40pm PST", "2021-01-01T17:40:00-08:00", "PST"},
		{"Jan 2, 2021 8:35am EST", "2021-01-02T08:35:00-05:00", "EST"},
		{"May 25, 2021 at 4:20pm", "2021-05-25T16:20:00Z", "UTC"},
		// ISO 8601 / RFC 3339.
		{"2022-02-01", "2022-02-01T00:00:00Z", "UTC"},
		{"20220201", "2022-02-01T00:00:00Z", "UTC"},
		{"2022-02-01T14:40:15", "2022-02-01T14:40:15Z", "UTC"},
		{"2022-02-01 14:40", "2022-02-01T14:40:00Z", "UTC"},
		{"2022-02-01t14:40:15z", "2022-02-01T14:40:15Z", "UTC"},
		{"2022-02-01T14:40:15.123456789+05:30", "2022-02-01T14:40:15.123456789+05:30", ""},
		{"2022-02-01T14:40:15.5-0800", "2022-02-01T14:40:15.5-08:00", ""},
		{"2022-02-01T14:40:15+05", "2022-02-01T14:40:15+05:00", ""},
		{"2022-02-01T14:40:15-00:00", "2022-02-01T14:40:15Z", "UTC"},
		{"2022-02-01 14:40:15 +0530", "2022-02-01T14:40:15+05:30", ""},
		// The '+' of an offset that curl -d sent unencoded, decoded as a space.
		{"2022-02-01T14:40:15 05:30", "2022-02-01T14:40:15+05:30", ""},
		{"2022-02-01T14:40:15.5 0530", "2022-02-01T14:40:15.5+05:30", ""},
		{"2022-02-01 14:40:15 05:30", "2022-02-01T14:40:15+05:30", ""},
		{"2022/02/01 14:40", "2022-02-01T14:40:00Z", "UTC"},
		{"2022.2.1", "2022-02-01T00:00:00Z", "UTC"},
		// RFC 2822 / 1123 and Go's own layouts.
		{"Tue, 01 Feb 2022 14:40:15 -0600", "2022-02-01T14:40:15-06:00", ""},
		{"Tue, 01 Feb 2022 14:40:15 GMT", "2022-02-01T14:40:15Z", "UTC"},
		{"01 Feb 2022 14:40 +0100 (CET)", "2022-02-01T14:40:00+01:00", ""},
		{"Mon Jan  2 15:04:05 2006", "2006-01-02T15:04:05Z", "UTC"},
		{"Mon Jan 2 15:04:05 MST 2006", "2006-01-02T15:04:05-07:00", "MST"},
		{"Monday, 02-Jan-2006 15:04:05 PDT", "2006-01-02T15:04:05-07:00", "PDT"},
		// Written dates.
		{"1 Feb 2022 14:40", "2022-02-01T14:40:00Z", "UTC"},
		{"February 1st, 2022 at 12:00am", "2022-02-01T00:00:00Z", "UTC"},
		{"the 1st of February 2022 at 12pm", "2022-02-01T12:00:00Z", "UTC"},
		{"Feb. 1, 2022 5 pm JST", "2022-02-01T17:00:00+09:00", "JST"},
		{"Sept 9, 2022 9:05 p.m. AEST", "2022-09-09T21:05:00+10:00", "AEST"},
		{"jan 1 2021 17:40:59 utc+5:30", "2021-01-01T17:40:59+05:30", ""},
		{"Jan 1 2021 17:40 GMT -8", "2021-01-01T17:40:00-08:00", ""},
		{"Jan 1, 2021 at 5:40pm BST", "2021-01-01T17:40:00+01:00", "BST"},
		{"Feb 29, 2024", "2024-02-29T00:00:00Z", "UTC"},
		// Day-month-year, and month first only when it is the only reading.
		{"12-20-1990", "1990-12-20T00:00:00Z", "UTC"},
		{"20/12/1990 08:00", "1990-12-20T08:00:00Z", "UTC"},
		{"5.5.2021", "2021-05-05T00:00:00Z", "UTC"},
		{"31.01.2021", "2021-01-31T00:00:00Z", "UTC"},
		// Unix time.
		{"1643726415", "2022-02-01T14:40:15Z", "UTC"},
		{"999999999", "2001-09-09T01:46:39Z", "UTC"},
		{"1643726415123", "2022-02-01T14:40:15.123Z", "UTC"},
	}
	for _, tt := range tests {
		got, err := datetime.Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if s := got.Format(time.RFC3339Nano); s != tt.want {
			t.Errorf("Parse(%q) = %s, want %s", tt.in, s, tt.want)
		}
		if name, _ := got.Zone(); tt.zone != "" && name != tt.zone {
			t.Errorf("Parse(%q) is in zone %q, want %q", tt.in, name, tt.zone)
		}
	}
}

// FuzzParse checks that the parser never panics and that whatever it reads is a
// four-digit-year time that reads back the same from its RFC 3339 form and from a written form
// to the minute.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"2022-02-01T14:40:15Z", "February 1, 2022 at 8:42am CST", "20-12-1990",
		"Jan 1, 2021 at 5:40pm PST", "Jan 2, 2021 8:35am EST", "May 25, 2021 at 4:20pm", "01-02-2021",
		"1643726415", "1643726415123", "Tue, 01 Feb 2022 14:40:15 -0600", "utc+5:30", "(", "5 pm",
		"2022-02-01T14:40:15.123456789+05:30", "Mon Jan 2 15:04:05 MST 2006", "02-Jan-2006"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := datetime.Parse(s)
		if err != nil {
			var de *datetime.Error
			if !errors.As(err, &de) || de.Input != s {
				t.Fatalf("Parse(%q): %v is not a *datetime.Error of the input", s, err)
			}
			return
		}
		if y := got.Year(); y < 1000 || y > 9999 {
			// Unix seconds reach past the four-digit-year range only at its edges.
			t.Fatalf("Parse(%q) = %v: year out of range", s, got)
		}
		iso := got.Format(time.RFC3339Nano)
		back, err := datetime.Parse(iso)
		if err != nil {
			t.Fatalf("Parse(%q) = %s, which does not read back: %v", s, iso, err)
		}
		_, off1 := got.Zone()
		_, off2 := back.Zone()
		if !back.Equal(got) || off1 != off2 {
			t.Fatalf("Parse(%q) = %s, which reads back as %s", s, iso, back.Format(time.RFC3339Nano))
		}
		written := got.Format("Jan 2, 2006 at 3:04pm -07:00")
		back, err = datetime.Parse(written)
		if err != nil {
			t.Fatalf("Parse(%q) = %s, whose written form %q does not read back: %v", s, iso, written, err)
		}
		if !back.Equal(got.Truncate(time.Minute)) {
			t.Fatalf("Parse(%q) = %s; written as %q it reads back as %s", s, iso, written, back)
		}
	})
}

// Every zone the error message offers is one the parser reads.
func TestEveryListedZoneIsRead(t *testing.T) {
	_, list, ok := strings.Cut(datetime.Formats, "or one of ")
	list, _, ok2 := strings.Cut(list, ";")
	if !ok || !ok2 {
		t.Fatalf("Formats lists no zones: %s", datetime.Formats)
	}
	zones := strings.Split(list, ", ")
	if len(zones) < 30 {
		t.Fatalf("only %d zones listed: %v", len(zones), zones)
	}
	for _, z := range zones {
		if _, err := datetime.Parse("2021-01-01 12:00 " + z); err != nil {
			t.Errorf("listed zone %s: %v", z, err)
		}
	}
}
