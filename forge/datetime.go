package forge

import (
	"time"

	"github.com/cairn-forge/cairn/forge/datetime"
)

// DateTimeFormats says, in error messages, which dates and times ParseDateTime reads.
const DateTimeFormats = datetime.Formats

// ParseDateTime reads a date and time as datetime.Parse does, as GitClear's API takes them.
// Failures are invalid errors whose message says why and lists the accepted formats.
func ParseDateTime(s string) (time.Time, error) {
	t, err := datetime.Parse(s)
	if err != nil {
		return time.Time{}, &Error{Code: EInvalid, Reason: ReasonInvalidDateTime,
			Message: err.Error() + "; accepted formats: " + DateTimeFormats}
	}
	return t, nil
}
