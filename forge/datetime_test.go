package forge_test

import (
	"strings"
	"testing"

	"github.com/cairn-forge/cairn/forge"
)

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
