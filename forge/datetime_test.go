package forge_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cairn-forge/cairn/forge"
)

func TestParseDateTimeReadsEveryDocumentedForm(t *testing.T) {
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
		got, err := forge.ParseDateTime(tt.in)
		if err != nil {
			t.Errorf("ParseDateTime(%q): %v", tt.in, err)
			continue
		}
		if s := got.Format(time.RFC3339Nano); s != tt.want {
			t.Errorf("ParseDateTime(%q) = %s, want %s", tt.in, s, tt.want)
		}
		if name, _ := got.Zone(); tt.zone != "" && name != tt.zone {
			t.Errorf("ParseDateTime(%q) is in zone %q, want %q", tt.in, name, tt.zone)
		}
	}
}

func TestParseDateTimeRefusesWhatItCannotReadUnambiguously(t *testing.T) {
	tests := []struct {
		in, why string
	}{
		{"", "empty"},
		{"   ", "empty"},
		{"01-02-2021", "day-month-year or month-day-year"},
		{"Jan 1, 2021 at 5:40pm XYZ", `time zone "XYZ" is not one cairn knows`},
		{"Jan 1, 2021 at 5:40pm IST", "IST is ambiguous"},
		{"Jan 1, 2021 at 5:40pm PT", "PT is ambiguous"},
		{"Jan 1, 21", "year without four digits"},
		{"Jan 2021", "no day"},
		{"1 2 2021", "two days"},
		{"Feb 30, 2022", "has no day 30"},
		{"2021-02-29", "has no day 29"},
		{"2021-13-01", "month 13"},
		{"32-12-1990", "32 is not a day"},
		{"13-13-1990", "has no month"},
		{"Jan 1, 2021 at 17:40pm", "12-hour clock"},
		{"Jan 1, 2021 at 0:40am", "12-hour clock"},
		{"Jan 1, 2021 24:00", "hour 24"},
		{"Jan 1, 2021 12:60", "minute 60"},
		{"Jan 1, 2021 12:30:60", "second 60"},
		{"Jan 1, 2021 pm", "follows no time"},
		{"Jan Feb 1, 2021", "two months"},
		{"Jan 1, 2021 5:40pm 6:40pm", "two times"},
		{"2022-02-01T14:40:15Z 05:30", "two times"},
		{"Jan 1, 2021 5:40pm PST EST", "two time zones"},
		{"2022-02-01T14:40:15+15:00", "out of range"},
		{"2022-02-01T14:40:15+05:60", "out of range"},
		{"12345", "neither Unix seconds"},
		{"12345678901", "neither Unix seconds"},
		{"0999-01-01", "year 999"},
		{"Jan 1, 2021 (PST)", "only in a comment"},
		{"Jan 1, 2021 (PST", "unmatched"},
		{"tomorrow", "not part of a date"},
		{"2022-02-01T14:40:15.1234567890Z", "fraction"},
		{strings.Repeat("1", 200), "too long"},
		{"Jan 1, 2021 \xff", "UTF-8"},
	}
	for _, tt := range tests {
		_, err := forge.ParseDateTime(tt.in)
		if err == nil {
			t.Errorf("ParseDateTime(%q) succeeded; want an error saying %q", tt.in, tt.why)
			continue
		}
		fe := forge.ErrorOf(err)
		if fe.Code != forge.EInvalid || fe.Reason != forge.ReasonInvalidDateTime {
			t.Errorf("ParseDateTime(%q): %v is not an invalid-datetime error", tt.in, err)
		}
		if !strings.Contains(fe.Message, tt.why) {
			t.Errorf("ParseDateTime(%q) = %q; want it to say %q", tt.in, fe.Message, tt.why)
		}
		if !strings.Contains(fe.Message, "accepted formats: ISO 8601") {
			t.Errorf("ParseDateTime(%q) = %q; want the accepted formats listed", tt.in, fe.Message)
		}
	}
}

// FuzzParseDateTime checks that the parser never panics and that whatever it reads is a
// four-digit-year time that reads back the same from its RFC 3339 form and from a written form
// to the minute.
func FuzzParseDateTime(f *testing.F) {
	for _, s := range []string{"2022-02-01T14:40:15Z", "February 1, 2022 at 8:42am CST", "20-12-1990",
		"Jan 1, 2021 at 5:40pm PST", "Jan 2, 2021 8:35am EST", "May 25, 2021 at 4:20pm", "01-02-2021",
		"1643726415", "1643726415123", "Tue, 01 Feb 2022 14:40:15 -0600", "utc+5:30", "(", "5 pm",
		"2022-02-01T14:40:15.123456789+05:30", "Mon Jan 2 15:04:05 MST 2006", "02-Jan-2006"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := forge.ParseDateTime(s)
		if err != nil {
			if forge.ErrorOf(err).Code != forge.EInvalid {
				t.Fatalf("ParseDateTime(%q): %v is not an invalid error", s, err)
			}
			return
		}
		if y := got.Year(); y < 1000 || y > 9999 {
			// Unix seconds reach past the four-digit-year range only at its edges.
			t.Fatalf("ParseDateTime(%q) = %v: year out of range", s, got)
		}
		iso := got.Format(time.RFC3339Nano)
		back, err := forge.ParseDateTime(iso)
		if err != nil {
			t.Fatalf("ParseDateTime(%q) = %s, which does not read back: %v", s, iso, err)
		}
		_, off1 := got.Zone()
		_, off2 := back.Zone()
		if !back.Equal(got) || off1 != off2 {
			t.Fatalf("ParseDateTime(%q) = %s, which reads back as %s", s, iso, back.Format(time.RFC3339Nano))
		}
		written := got.Format("Jan 2, 2006 at 3:04pm -07:00")
		back, err = forge.ParseDateTime(written)
		if err != nil {
			t.Fatalf("ParseDateTime(%q) = %s, whose written form %q does not read back: %v", s, iso, written, err)
		}
		if !back.Equal(got.Truncate(time.Minute)) {
			t.Fatalf("ParseDateTime(%q) = %s; written as %q it reads back as %s", s, iso, written, back)
		}
	})
}

// Every zone the error message offers is one the parser reads.
func TestEveryListedZoneIsRead(t *testing.T) {
	_, list, ok := strings.Cut(forge.DateTimeFormats, "or one of ")
	list, _, ok2 := strings.Cut(list, ";")
	if !ok || !ok2 {
		t.Fatalf("DateTimeFormats lists no zones: %s", forge.DateTimeFormats)
	}
	zones := strings.Split(list, ", ")
	if len(zones) < 30 {
		t.Fatalf("only %d zones listed: %v", len(zones), zones)
	}
	for _, z := range zones {
		if _, err := forge.ParseDateTime("2021-01-01 12:00 " + z); err != nil {
			t.Errorf("listed zone %s: %v", z, err)
		}
	}
}
