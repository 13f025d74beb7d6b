package forge

import (
	"regexp"
	"strings"
	"unicode"

	"github.com/cairn-forge/cairn/gitstore"
)

// The rules for what people write into repositories: the names of branches and tags, the
// paths of files, and the names, emails and messages of commits and tags. Every door that
// writes (the API of each dialect, git push, merges, pages) checks with these, so that no
// door takes what another refuses.

// Kinds of references people name.
const (
	refBranch = "refs/heads/"
	refTag    = "refs/tags/"
)

// hexBranch is a branch name GitLab refuses: a full commit id, alone or as the first
// component (git would take it for the commit).
var hexBranch = regexp.MustCompile(`^[0-9a-fA-F]{40}(-/|/|$)`)

// shaTag is a tag name GitLab refuses: one starting with a full SHA-1 or SHA-256 id.
var shaTag = regexp.MustCompile(`^[0-9a-fA-F]{40}`)

// ValidateBranchName checks the name of a branch to create, given by name ("feature/x", not
// "refs/heads/feature/x"), and returns the problem, or "" when it is valid.
func ValidateBranchName(name string) string { return validateRefName(name, refBranch, false) }

// ValidateTagName checks the name of a tag to create, as ValidateBranchName does.
func ValidateTagName(name string) string { return validateRefName(name, refTag, false) }

// ValidateProtectedName checks the name of a branch protection rule: a branch name in which
// '*' matches any run of characters.
func ValidateProtectedName(name string) string { return validateRefName(name, refBranch, true) }

// validateRefName is git's check-ref-format with GitLab's rules on top (Gitlab::GitRefValidator
// and the push checks): no leading '-', not HEAD, no "refs/" prefix (the name is given without
// it), no branch named by a commit id and no tag starting with one; at most 255 bytes of UTF-8.
func validateRefName(name, prefix string, wildcards bool) string {
	if problem := textProblem(name, limitRef); problem != "" {
		return problem
	}
	switch {
	case strings.TrimSpace(name) == "":
		return "can't be blank"
	case name == "HEAD" || name == "@":
		return "is reserved: git reads it as HEAD"
	case strings.HasPrefix(name, "-"):
		return "cannot start with '-'"
	case strings.HasPrefix(name, "refs/"):
		return "cannot start with 'refs/'"
	case prefix == refBranch && hexBranch.MatchString(name):
		return "cannot be a 40-character hexadecimal name"
	case prefix == refTag && shaTag.MatchString(name):
		return "cannot start with a 40-character hexadecimal name"
	}
	full := prefix + name
	if wildcards {
		full = strings.ReplaceAll(full, "*", "x")
	}
	if !gitstore.CheckRefFormat(full) {
		return "is not a valid git reference name"
	}
	return ""
}

// validateRefText checks a ref given to name something that may already exist (a
// deployment's ref, which may also be a commit id): git's rules and the length of GitLab's
// columns, without the rules for new names.
func validateRefText(ref string) string {
	if problem := textProblem(ref, limitRef); problem != "" {
		return problem
	}
	if !gitstore.CheckRefFormat(refBranch + ref) {
		return "is not a valid git reference name"
	}
	return ""
}

// ValidateFilePath checks the path of a file to write and returns it without leading and
// trailing slashes. Beyond git's own rules (no empty, "." or ".." component, nothing git
// takes for .git), a path is UTF-8 of at most 4096 bytes whose components hold at most 255
// bytes, no control characters (newlines, tabs, escapes) and not only blanks. It returns the
// problem, or "" when the path is valid.
func ValidateFilePath(p string) (string, string) {
	if _, problem := Malformed(p); problem != "" {
		return "", problem
	}
	clean := strings.Trim(p, "/")
	switch {
	case clean == "":
		return "", "can't be blank"
	case limitFilePath.exceeds(clean):
		return "", limitFilePath.tooLong()
	}
	for _, name := range strings.Split(clean, "/") {
		switch {
		case !gitstore.EntryNameAllowed(name):
			return "", "should be a valid file path"
		case limitFileName.exceeds(name):
			return "", "has a name that " + limitFileName.tooLong()
		case strings.TrimSpace(name) == "":
			return "", "has a name of blanks only"
		case strings.IndexFunc(name, unicode.IsControl) >= 0:
			return "", "cannot contain control characters"
		}
	}
	return clean, ""
}

// validateIdentity checks a name or email given for a commit: git's rule (no '<', '>' or
// newline, which would end the field or forge the ones after it) and no other control
// characters, in UTF-8 of at most 255 characters. It returns the problem, or "".
func validateIdentity(s string) string {
	if problem := textProblem(s, limitIdentity); problem != "" {
		return problem
	}
	switch {
	case !gitstore.IdentityWritable(s):
		return "cannot contain '<', '>' or newlines"
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return "cannot contain control characters"
	}
	return ""
}

// validateMessage checks the message of a commit or tag: UTF-8 without NUL bytes, as git
// commit requires. It returns the problem, or "".
func validateMessage(s string) string {
	_, problem := Malformed(s)
	return problem
}

// checkMessage is validateMessage as the error of field, or nil.
func checkMessage(field, s string) error {
	if problem := validateMessage(s); problem != "" {
		return invalidField(field, problem)
	}
	return nil
}

// invalidField is the 400 of a parameter whose value a rule refuses, naming it.
func invalidField(field, problem string) *Error {
	return &Error{Code: EInvalid, Params: []string{field}, Message: field + " " + problem}
}

// gitIdentity makes a name or email of a profile fit for a commit: without what git cannot
// write in a signature ('<', '>', control characters), as Gitaly sanitizes signatures.
func gitIdentity(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '<' || r == '>' || unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
	return strings.TrimSpace(s)
}
