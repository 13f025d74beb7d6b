package web

import (
	"fmt"
	"hash/fnv"
	"html/template"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cairn-forge/cairn/forge"
	"github.com/cairn-forge/cairn/markup"
)

// funcs are the helpers the templates call.
func (h *Handler) funcs() template.FuncMap {
	return template.FuncMap{
		"asset":    h.assets.url,
		"ago":      ago,
		"date":     func(t time.Time) string { return t.UTC().Format("Jan 2, 2006") },
		"short":    shortSHA,
		"purl":     markup.EscapePath,
		"seg":      url.PathEscape,
		"bytes":    humanBytes,
		"plural":   plural,
		"add":      func(a, b int) int { return a + b },
		"initial":  initial,
		"avatar":   avatarClass,
		"hasScope": slices.Contains[[]string],
		"percent":  func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) },
		"dict":     dict,
		"msgBody":  messageBody,
		"assigned": func(users []forge.User, id int64) bool {
			for _, u := range users {
				if u.ID == id {
					return true
				}
			}
			return false
		},
		"derefInt": func(p *int) int {
			if p == nil {
				return 0
			}
			return *p
		},
	}
}

// ago shows a time as "3 hours ago", with the exact time in its datetime and title.
func ago(t time.Time) template.HTML {
	if t.IsZero() {
		return ""
	}
	d := time.Since(t)
	var s string
	switch {
	case d < 0:
		s = "just now"
	case d < time.Minute:
		s = "just now"
	case d < time.Hour:
		s = plural(int(d/time.Minute), "minute") + " ago"
	case d < 24*time.Hour:
		s = plural(int(d/time.Hour), "hour") + " ago"
	case d < 30*24*time.Hour:
		s = plural(int(d/(24*time.Hour)), "day") + " ago"
	case d < 365*24*time.Hour:
		s = plural(int(d/(30*24*time.Hour)), "month") + " ago"
	default:
		s = plural(int(d/(365*24*time.Hour)), "year") + " ago"
	}
	u := t.UTC()
	return template.HTML(fmt.Sprintf(`<time datetime="%s" title="%s">%s</time>`,
		u.Format(time.RFC3339), u.Format("Jan 2, 2006 15:04 UTC"), s))
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	if strings.HasSuffix(word, "ch") || strings.HasSuffix(word, "s") {
		return strconv.Itoa(n) + " " + word + "es"
	}
	return strconv.Itoa(n) + " " + word + "s"
}

func shortSHA(s any) string {
	v := fmt.Sprint(s)
	if len(v) > 8 {
		return v[:8]
	}
	return v
}

func humanBytes(n int64) string {
	switch {
	case n < 1024:
		return strconv.FormatInt(n, 10) + " B"
	case n < 1024*1024:
		return strconv.FormatFloat(float64(n)/1024, 'f', 1, 64) + " KiB"
	case n < 1024*1024*1024:
		return strconv.FormatFloat(float64(n)/(1024*1024), 'f', 1, 64) + " MiB"
	}
	return strconv.FormatFloat(float64(n)/(1024*1024*1024), 'f', 1, 64) + " GiB"
}

// initial is the letter an avatar shows.
func initial(name string) string {
	r, _ := utf8.DecodeRuneInString(strings.TrimSpace(name))
	if r == utf8.RuneError {
		return "?"
	}
	return string(unicode.ToUpper(r))
}

// avatarClass gives each name one of eight avatar colours.
func avatarClass(name string) string {
	f := fnv.New32a()
	_, _ = f.Write([]byte(name))
	return "av" + strconv.Itoa(int(f.Sum32()%8))
}

// dict builds a map from key and value pairs, to hand several values to a template.
func dict(kv ...any) map[string]any {
	m := make(map[string]any, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		if k, ok := kv[i].(string); ok {
			m[k] = kv[i+1]
		}
	}
	return m
}

// messageBody is a commit message without its title line (and the blank line after it).
func messageBody(msg string) string {
	_, body, _ := strings.Cut(strings.TrimLeft(msg, "\n"), "\n")
	return strings.TrimSpace(body)
}
