package forge

import (
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A textLimit is the most a stored text field may hold.
type textLimit struct {
	max int
	// bytes counts bytes (git's names, URLs); otherwise characters are counted, as GitLab does.
	bytes bool
}

// The limits of the text cairn stores from requests, one table for every create and update
// path: GitLab's own figure (its model validations and column sizes) wherever GitLab has one.
var (
	// Names: of users, groups, projects, labels, environments, tokens and topics; usernames,
	// emails, paths and defect keys.
	limitName = textLimit{max: 255}
	// Titles of issues and merge requests, names of releases.
	limitTitle = textLimit{max: 255}
	// Descriptions of issues, merge requests, releases and defects: GitLab's 1 megabyte
	// (Issuable::DESCRIPTION_LENGTH_MAX).
	limitDescription = textLimit{max: 1 << 20}
	// Note bodies: GitLab's Note::MAX_NOTE_LENGTH.
	limitNote = textLimit{max: 1_000_000}
	// A group's description (GitLab's Namespace::Detail), a user's bio and a token's
	// description.
	limitShortDescription = textLimit{max: 255}
	// A project's and a label's description.
	limitProjectDescription = textLimit{max: 2000}
	limitLabelDescription   = textLimit{max: 2000}
	// An environment's description.
	limitEnvironmentDescription = textLimit{max: 10000}
	// URLs (an environment's).
	limitURL = textLimit{max: 255}
	// The names of branches, tags and protection rules, and refs: the 255 bytes of GitLab's
	// columns.
	limitRef = textLimit{max: 255, bytes: true}
	// The name and email of a commit's author.
	limitIdentity = textLimit{max: 255}
	// Paths of files written through the API: a file name at most NAME_MAX and a path at
	// most PATH_MAX bytes, what the file systems of those who check them out take.
	limitFileName = textLimit{max: 255, bytes: true}
	limitFilePath = textLimit{max: 4096, bytes: true}
	// The title of a push event: the first line of the tip's message, cut as GitLab's
	// PushEventPayloadService cuts it.
	limitPushTitle = textLimit{max: 70}
	// The details of an audit event, which may quote a request (a failed sign-in's login):
	// cut there.
	limitAuditDetails = textLimit{max: 1024}
)

// exceeds reports whether s is longer than l allows.
func (l textLimit) exceeds(s string) bool {
	if l.bytes {
		return len(s) > l.max
	}
	// Counting runes is linear: skip it for what cannot be too long.
	return len(s) > l.max && utf8.RuneCountInString(s) > l.max
}

// tooLong is GitLab's message for a value over l.
func (l textLimit) tooLong() string {
	unit := "characters"
	if l.bytes {
		unit = "bytes"
	}
	return "is too long (maximum is " + strconv.Itoa(l.max) + " " + unit + ")"
}

// Malformed returns why s cannot be stored as text (ReasonInvalidUTF8 or ReasonNullByte) and
// how a field holding it is described ("must be valid UTF-8"), or "" when it can.
func Malformed(s string) (reason, problem string) {
	switch {
	case !utf8.ValidString(s):
		return ReasonInvalidUTF8, malformedProblems[ReasonInvalidUTF8]
	case strings.IndexByte(s, 0) >= 0:
		return ReasonNullByte, malformedProblems[ReasonNullByte]
	}
	return "", ""
}

var malformedProblems = map[string]string{
	ReasonInvalidUTF8: "must be valid UTF-8",
	ReasonNullByte:    "cannot contain null bytes",
}

// MalformedField is the error of a request's field holding text that cannot be stored, for
// reason (ReasonInvalidUTF8 or ReasonNullByte). Dialects answer it with 400, naming the field.
func MalformedField(field, reason string) *Error {
	return &Error{Code: EInvalid, Reason: reason, Params: []string{field}, Message: field +
		" " + malformedProblems[reason]}
}

// textProblem returns what is wrong with s as a field limited by l, or "".
func textProblem(s string, l textLimit) string {
	if _, problem := Malformed(s); problem != "" {
		return problem
	}
	if l.exceeds(s) {
		return l.tooLong()
	}
	return ""
}

// checkText records in fe what is wrong with s as field, limited by l; it reports whether
// nothing was.
func checkText(fe FieldErrors, field, s string, l textLimit) bool {
	if problem := textProblem(s, l); problem != "" {
		fe.Add(field, problem)
		return false
	}
	return true
}

// truncateTitle cuts a title to l as Rails' String#truncate does: a title over l keeps its
// first l-3 characters and ends in "...".
func truncateTitle(s string, l textLimit) string {
	if !l.exceeds(s) {
		return s
	}
	n := 0
	for i := range s {
		if n == l.max-3 {
			return s[:i] + "..."
		}
		n++
	}
	return s
}

// pushTitle is the title of a push event from its tip's message: the first line, without
// surrounding blanks, cut at limitPushTitle, as GitLab's PushEventPayloadService makes it.
func pushTitle(message string) string {
	line, _, _ := strings.Cut(message, "\n")
	return truncateTitle(storableText(strings.TrimSpace(line)), limitPushTitle)
}

// storableText makes text from elsewhere (a pushed commit, a request quoted in a log) fit to
// be stored: bytes that are not UTF-8 become U+FFFD and NUL bytes are dropped.
func storableText(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}

// checkWebURL records in fe what is wrong with s as field holding a link people follow: an
// absolute http or https URL within limitURL, as GitLab's AddressableUrlValidator wants it.
func checkWebURL(fe FieldErrors, field, s string) {
	u, err := url.Parse(s)
	switch {
	case textProblem(s, limitURL) != "":
		fe.Add(field, textProblem(s, limitURL))
	case err != nil || u.Host == "":
		fe.Add(field, "must be a valid URL")
	case u.Scheme != "http" && u.Scheme != "https":
		fe.Add(field, "is blocked: Only allowed schemes are http, https")
	}
}
