package forge

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxPathLength bounds usernames and namespace and project paths, as GitLab does.
const MaxPathLength = 255

// reservedTopLevel are names a user or top-level group may not take, because cairn's own
// routes live there: GitLab's list (Gitlab::PathRegex's top-level routes) and cairn's own.
// "user" is not among them, as it is not on GitLab: the routes of the signed-in user are
// under /-/ and /api.
var reservedTopLevel = map[string]bool{
	"-":            true,
	".well-known":  true,
	"admin":        true,
	"api":          true,
	"assets":       true,
	"dashboard":    true,
	"explore":      true,
	"groups":       true,
	"health":       true,
	"help":         true,
	"login":        true,
	"logout":       true,
	"metrics":      true,
	"new":          true,
	"oauth":        true,
	"profile":      true,
	"projects":     true,
	"public":       true,
	"readyz":       true,
	"search":       true,
	"settings":     true,
	"sign_in":      true,
	"sign_up":      true,
	"static":       true,
	"users":        true,
	"v1":           true,
	"v2":           true,
	"v3":           true,
	"v4":           true,
	"uploads":      true,
	"favicon.ico":  true,
	"favicon.png":  true,
	"robots.txt":   true,
	"files":        true,
	"import":       true,
	"jwt":          true,
	"s":            true,
	"snippets":     true,
	"sitemap":      true,
	"sitemap.xml":  true,
	"unsubscribes": true,
	"health_check": true,
	"404.html":     true,
	"422.html":     true,
	"500.html":     true,
	"502.html":     true,
	"503.html":     true,
	"deploy.html":  true,
}

// ValidatePath checks a username or a namespace or project path segment: letters, digits,
// '_', '-' and '.'; starting with a letter, digit or '_' (or '.' past the first character);
// not ending in '.', '.git' or '.atom'; no "..". It returns the problem, or "" when valid.
func ValidatePath(p string) string {
	switch {
	case p == "":
		return "can't be blank"
	case len(p) > MaxPathLength:
		return "is too long (maximum is 255 characters)"
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'
		if !ok {
			return "can contain only letters, digits, '_', '-' and '.'"
		}
	}
	lower := strings.ToLower(p)
	switch {
	case p[0] == '-' || p[0] == '.':
		return "must start with a letter, digit or '_'"
	case p[len(p)-1] == '.':
		return "cannot end with '.'"
	case strings.HasSuffix(lower, ".git") || strings.HasSuffix(lower, ".atom"):
		return "cannot end in '.git' or '.atom'"
	case strings.Contains(p, ".."):
		return "cannot contain consecutive dots"
	}
	return ""
}

// ValidateTopLevelPath is ValidatePath plus the names reserved for cairn's routes.
func ValidateTopLevelPath(p string) string {
	if msg := ValidatePath(p); msg != "" {
		return msg
	}
	if reservedTopLevel[strings.ToLower(p)] {
		return p + " is a reserved name"
	}
	return ""
}

// ValidateName checks a project or group display name: letters (any script), digits, emoji,
// '_', '.', '+', '-', spaces and (for groups) parentheses, starting with a letter, digit,
// emoji or '_'. It returns the problem, or "" when valid.
func ValidateName(name string, group bool) string {
	switch {
	case strings.TrimSpace(name) == "":
		return "can't be blank"
	case !utf8.ValidString(name):
		return "must be valid UTF-8"
	case utf8.RuneCountInString(name) > MaxPathLength:
		return "is too long (maximum is 255 characters)"
	}
	for i, r := range name {
		word := unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || isEmoji(r)
		if i == 0 {
			if !word {
				return "must start with a letter, digit, emoji, or '_'"
			}
			continue
		}
		if word || r == '.' || r == '+' || r == ' ' || unicode.Is(unicode.Pd, r) || group && (r == '(' || r == ')') {
			continue
		}
		return "can contain only letters, digits, emoji, '_', '.', '+', dashes, or spaces"
	}
	return ""
}

func isEmoji(r rune) bool { return r >= 0x00A9 && r <= 0x1F9FF && unicode.IsSymbol(r) }

// latinFolds spells accented Latin letters in ASCII, as GitLab's paths from names do
// ("Café Über" → "cafe-uber").
var latinFolds = strings.NewReplacer(
	"à", "a", "á", "a", "â", "a", "ã", "a", "ä", "a", "å", "a", "ā", "a", "ă", "a", "ą", "a", "æ", "ae",
	"ç", "c", "ć", "c", "č", "c", "ĉ", "c", "ċ", "c", "ď", "d", "đ", "d", "ð", "d",
	"è", "e", "é", "e", "ê", "e", "ë", "e", "ē", "e", "ĕ", "e", "ė", "e", "ę", "e", "ě", "e",
	"ĝ", "g", "ğ", "g", "ġ", "g", "ģ", "g", "ĥ", "h", "ħ", "h",
	"ì", "i", "í", "i", "î", "i", "ï", "i", "ĩ", "i", "ī", "i", "ĭ", "i", "į", "i", "ı", "i", "i\u0307", "i",
	"ĵ", "j", "ķ", "k", "ĺ", "l", "ļ", "l", "ľ", "l", "ŀ", "l", "ł", "l",
	"ñ", "n", "ń", "n", "ņ", "n", "ň", "n", "ò", "o", "ó", "o", "ô", "o", "õ", "o", "ö", "o", "ø", "o",
	"ō", "o", "ŏ", "o", "ő", "o", "œ", "oe", "ŕ", "r", "ŗ", "r", "ř", "r",
	"ś", "s", "ŝ", "s", "ş", "s", "š", "s", "ß", "ss", "ţ", "t", "ť", "t", "ŧ", "t", "þ", "th",
	"ù", "u", "ú", "u", "û", "u", "ü", "u", "ũ", "u", "ū", "u", "ŭ", "u", "ů", "u", "ű", "u", "ų", "u",
	"ŵ", "w", "ý", "y", "ÿ", "y", "ŷ", "y", "ź", "z", "ż", "z", "ž", "z",
)

// Slug derives a path from a name: lower case, accented Latin letters without their
// accents, runs of other characters become '-', no leading or trailing separators. It
// returns "" when nothing usable is left.
func Slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range latinFolds.Replace(strings.ToLower(name)) {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '.'
		if !ok {
			dash = b.Len() > 0
			continue
		}
		if dash {
			b.WriteByte('-')
			dash = false
		}
		b.WriteRune(r)
	}
	s := strings.Trim(b.String(), "-.")
	for strings.Contains(s, "..") {
		s = strings.ReplaceAll(s, "..", ".")
	}
	for _, suffix := range []string{".git", ".atom"} {
		s = strings.TrimSuffix(s, suffix)
	}
	s = strings.Trim(s, "-.")
	if len(s) > MaxPathLength {
		s = strings.Trim(s[:MaxPathLength], "-.")
	}
	return s
}

// ValidVisibility reports whether v names a visibility level.
func ValidVisibility(v string) bool { return v == Private || v == Internal || v == Public }

// visibilityRank orders visibility levels from most to least closed.
func visibilityRank(v string) int {
	switch v {
	case Public:
		return 2
	case Internal:
		return 1
	}
	return 0
}
