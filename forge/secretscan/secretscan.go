// Package secretscan finds credentials in text: gitleaks' default rule set (regular
// expressions, keywords, entropy thresholds and allowlists, taken as data from gitleaks'
// config/gitleaks.toml; see rules.json and gen/) plus a rule for cairn's own tokens. A
// finding names the rule and where it is, and shows only the first characters of the secret.
package secretscan

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"sync"
)

//go:generate sh -c "cd gen && go run . > ../rules.json"

//go:embed rules.json
var rulesJSON []byte

// Finding is a secret found in a file.
type Finding struct {
	// RuleID names the rule that matched ("aws-access-token").
	RuleID string
	// Description says what kind of secret it is.
	Description string
	// Line and Column are where the match starts, both from 1.
	Line, Column int
	// Redacted is the start of the secret and its length, never the whole secret.
	Redacted string

	secret     string
	start, end int
}

// Message is the finding as one sentence.
func (f Finding) Message() string {
	return fmt.Sprintf("%s (%s): %s", f.Description, f.RuleID, f.Redacted)
}

// ownRules are cairn's additions to gitleaks' rules.
var ownRules = []ruleData{{
	ID:          "cairn-personal-access-token",
	Description: "cairn personal access token",
	Regex:       `\b(cairn_pat_[A-Za-z0-9]{20,64})\b`,
	Entropy:     3,
	Keywords:    []string{"cairn_pat_"},
}}

type allowlistData struct {
	Condition   string   `json:"condition"`
	Paths       []string `json:"paths"`
	Regexes     []string `json:"regexes"`
	RegexTarget string   `json:"regex_target"`
	StopWords   []string `json:"stopwords"`
}

type ruleData struct {
	ID          string          `json:"id"`
	Description string          `json:"description"`
	Regex       string          `json:"regex"`
	SecretGroup int             `json:"secret_group"`
	Entropy     float64         `json:"entropy"`
	Path        string          `json:"path"`
	Keywords    []string        `json:"keywords"`
	Allowlists  []allowlistData `json:"allowlists"`
}

type ruleSetData struct {
	Source     string          `json:"source"`
	Allowlists []allowlistData `json:"allowlists"`
	Rules      []ruleData      `json:"rules"`
}

// multilinePattern spots regular expressions that can match newlines further than the
// line after their keyword: [\s\S], (?s), \n, [\r\n], negated classes.
var multilinePattern = regexp.MustCompile(`\[\\s\\S|\(\?[a-z]*s|\\n|\\r|\[\^`)

type allowlist struct {
	and       bool
	paths     []*regexp.Regexp
	regexes   []*regexp.Regexp
	target    string
	stopWords []string
}

type rule struct {
	id, description string
	regex           *regexp.Regexp
	// multiline rules may match across lines far from their keywords; they read the whole
	// file. Others read the lines of their keywords (and the line after each).
	multiline   bool
	secretGroup int
	entropy     float64
	path        *regexp.Regexp
	allowlists  []allowlist
}

// Scanner holds a compiled rule set; it is safe for concurrent use.
type Scanner struct {
	// Source names where the rules come from.
	Source string

	rules  []rule
	global []allowlist
	// keywords finds the rules' keywords; byKeyword lists the rules each one triggers, and
	// always the rules without keywords.
	keywords  *keywordMatcher
	byKeyword [][]int
	always    []int
}

var (
	defaultOnce    sync.Once
	defaultScanner *Scanner
)

// Default returns the scanner of the built-in rules, compiled on first use.
func Default() *Scanner {
	defaultOnce.Do(func() {
		s, err := compile(rulesJSON)
		if err != nil {
			panic("secretscan: built-in rules: " + err.Error())
		}
		defaultScanner = s
	})
	return defaultScanner
}

func compile(data []byte) (*Scanner, error) {
	var set ruleSetData
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, err
	}
	s := &Scanner{Source: set.Source}
	var err error
	if s.global, err = compileAllowlists(set.Allowlists); err != nil {
		return nil, err
	}
	kwIndex := map[string]int{}
	var kws []string
	for _, rd := range append(set.Rules, ownRules...) {
		r := rule{id: rd.ID, description: rd.Description, secretGroup: rd.SecretGroup, entropy: rd.Entropy}
		if rd.Regex != "" {
			if r.regex, err = regexp.Compile(rd.Regex); err != nil {
				return nil, fmt.Errorf("rule %s: %w", rd.ID, err)
			}
			r.multiline = len(rd.Keywords) == 0 || multilinePattern.MatchString(rd.Regex)
		}
		if rd.Path != "" {
			if r.path, err = regexp.Compile(rd.Path); err != nil {
				return nil, fmt.Errorf("rule %s: %w", rd.ID, err)
			}
		}
		if r.allowlists, err = compileAllowlists(rd.Allowlists); err != nil {
			return nil, fmt.Errorf("rule %s: %w", rd.ID, err)
		}
		i := len(s.rules)
		s.rules = append(s.rules, r)
		if len(rd.Keywords) == 0 {
			s.always = append(s.always, i)
			continue
		}
		for _, k := range rd.Keywords {
			k = strings.ToLower(k)
			j, ok := kwIndex[k]
			if !ok {
				j = len(kws)
				kwIndex[k] = j
				kws = append(kws, k)
				s.byKeyword = append(s.byKeyword, nil)
			}
			s.byKeyword[j] = append(s.byKeyword[j], i)
		}
	}
	s.keywords = newKeywordMatcher(kws)
	return s, nil
}

func compileAllowlists(in []allowlistData) ([]allowlist, error) {
	var out []allowlist
	for _, ad := range in {
		a := allowlist{and: ad.Condition == "AND", target: ad.RegexTarget}
		for _, p := range ad.Paths {
			re, err := regexp.Compile(p)
			if err != nil {
				return nil, err
			}
			a.paths = append(a.paths, re)
		}
		for _, p := range ad.Regexes {
			re, err := regexp.Compile(p)
			if err != nil {
				return nil, err
			}
			a.regexes = append(a.regexes, re)
		}
		for _, w := range ad.StopWords {
			a.stopWords = append(a.stopWords, strings.ToLower(w))
		}
		out = append(out, a)
	}
	return out, nil
}

func anyMatch(res []*regexp.Regexp, s string) bool {
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

func (a allowlist) containsStopWord(secret string) bool {
	lower := strings.ToLower(secret)
	for _, w := range a.stopWords {
		if strings.Contains(lower, w) {
			return true
		}
	}
	return false
}

// pathAllowed reports whether an allowlist excuses a whole file by its path: one with the OR
// condition whose paths match, or one with AND whose only criterion is its paths.
func pathAllowed(lists []allowlist, path string) bool {
	for _, a := range lists {
		if len(a.paths) == 0 || !anyMatch(a.paths, path) {
			continue
		}
		if !a.and || len(a.regexes) == 0 && len(a.stopWords) == 0 {
			return true
		}
	}
	return false
}

// findingAllowed reports whether an allowlist excuses one match, as gitleaks decides it.
func findingAllowed(lists []allowlist, path, secret, match, line string) bool {
	for _, a := range lists {
		target := secret
		switch a.target {
		case "match":
			target = match
		case "line":
			target = line
		}
		regexOK := anyMatch(a.regexes, target)
		stopOK := a.containsStopWord(secret)
		if !a.and {
			if regexOK || stopOK {
				return true
			}
			continue
		}
		ok := true
		if len(a.paths) > 0 {
			ok = ok && anyMatch(a.paths, path)
		}
		if len(a.regexes) > 0 {
			ok = ok && regexOK
		}
		if len(a.stopWords) > 0 {
			ok = ok && stopOK
		}
		if ok {
			return true
		}
	}
	return false
}

// SkipsPath reports whether files at path are not scanned at all (gitleaks' global
// allowlist: images, fonts, lock files, vendored dependencies...).
func (s *Scanner) SkipsPath(path string) bool { return pathAllowed(s.global, path) }

// allowMarker on a line excuses what is found on it, as in gitleaks.
const allowMarker = "gitleaks:allow"

// Scan returns the secrets in content, the file at path, in the order they appear.
//
// A rule is tried only where one of its keywords is: on the lines holding one and the line
// after each (gitleaks' rules put the keyword in the match), or on the whole file for the
// few rules that match across lines. Go's regular expressions run on short inputs with a
// backtracker many times faster than their automaton on a whole file, and most lines of a
// file hold no keyword at all.
func (s *Scanner) Scan(path string, content []byte) []Finding {
	if s.SkipsPath(path) {
		return nil
	}
	// at[i] lists where rule i's keywords end, nil for rules not triggered.
	var at [][]int
	mark := func(i, end int) {
		if at == nil {
			at = make([][]int, len(s.rules))
		}
		at[i] = append(at[i], end)
	}
	for _, i := range s.always {
		mark(i, 0)
	}
	s.keywords.at(content, func(k, end int) {
		for _, i := range s.byKeyword[k] {
			mark(i, end)
		}
	})
	if at == nil {
		return nil
	}
	var out []Finding
	lines := lineIndex{content: content}
	for i, ends := range at {
		if ends == nil {
			continue
		}
		r := &s.rules[i]
		if pathAllowed(r.allowlists, path) {
			continue
		}
		if r.path != nil && !r.path.MatchString(path) {
			continue
		}
		if r.regex == nil {
			if r.path != nil {
				out = append(out, Finding{RuleID: r.id, Description: r.description, Line: 1, Column: 1,
					Redacted: "the whole file"})
			}
			continue
		}
		if r.multiline {
			out = s.scanRegion(r, path, content, 0, len(content), &lines, out)
			continue
		}
		for _, rg := range keywordRegions(content, ends) {
			out = s.scanRegion(r, path, content, rg[0], rg[1], &lines, out)
		}
	}
	out = dropOverlaps(out)
	out = dropGeneric(out)
	sortFindings(out)
	return out
}

// maxRegion bounds how far regions of neighbouring keyword lines are merged.
const maxRegion = 1 << 10

// keywordRegions turns keyword positions (offsets past them) into the spans to scan: the
// line holding each and the line after it, merged while they overlap and stay short.
func keywordRegions(content []byte, ends []int) [][2]int {
	sortInts(ends)
	var out [][2]int
	for _, e := range ends {
		start := bytes.LastIndexByte(content[:max(e-1, 0)], '\n') + 1
		end := len(content)
		if i := bytes.IndexByte(content[e:], '\n'); i >= 0 {
			end = e + i + 1
			if j := bytes.IndexByte(content[end:], '\n'); j >= 0 {
				end += j + 1
			} else {
				end = len(content)
			}
		}
		if n := len(out); n > 0 && start <= out[n-1][1] && end-out[n-1][0] <= maxRegion {
			out[n-1][1] = max(out[n-1][1], end)
			continue
		}
		if n := len(out); n > 0 && end <= out[n-1][1] {
			continue
		}
		out = append(out, [2]int{start, end})
	}
	return out
}

func sortInts(a []int) {
	for i := 1; i < len(a); i++ {
		if a[i] >= a[i-1] {
			continue
		}
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// dropOverlaps keeps, of one rule's matches that overlap (found in overlapping regions),
// the first.
func dropOverlaps(in []Finding) []Finding {
	sortFindings(in)
	out := in[:0]
	for _, f := range in {
		if n := len(out); n > 0 && out[n-1].RuleID == f.RuleID && out[n-1].start <= f.start && f.start < out[n-1].end {
			continue
		}
		out = append(out, f)
	}
	return out
}

// dropGeneric leaves out a generic rule's finding where a specific rule found the same
// secret on the same line, as gitleaks does.
func dropGeneric(in []Finding) []Finding {
	out := in[:0]
	for _, f := range in {
		keep := true
		if strings.Contains(f.RuleID, "generic") {
			for _, g := range in {
				if g.Line == f.Line && !strings.Contains(g.RuleID, "generic") && strings.Contains(g.secret, f.secret) {
					keep = false
					break
				}
			}
		}
		if keep {
			out = append(out, f)
		}
	}
	return out
}

// scanRegion applies rule r to content[from:to].
func (s *Scanner) scanRegion(r *rule, path string, content []byte, from, to int, lines *lineIndex,
	out []Finding) []Finding {
	region := content[from:to]
	for _, loc := range r.regex.FindAllSubmatchIndex(region, -1) {
		for k := range loc {
			if loc[k] >= 0 {
				loc[k] += from
			}
		}
		start, end := loc[0], loc[1]
		// As gitleaks does, a match's trailing newlines are not part of it.
		for end > start && content[end-1] == '\n' {
			end--
		}
		match := string(content[start:end])
		secret := match
		if len(loc) >= 4 {
			if r.secretGroup > 0 {
				if 2*r.secretGroup+1 < len(loc) && loc[2*r.secretGroup] >= 0 {
					secret = string(content[loc[2*r.secretGroup]:loc[2*r.secretGroup+1]])
				}
			} else {
				for g := 1; 2*g+1 < len(loc); g++ {
					if loc[2*g] >= 0 && loc[2*g+1] > loc[2*g] {
						secret = string(content[loc[2*g]:loc[2*g+1]])
						break
					}
				}
			}
		}
		if r.entropy != 0 && entropy(secret) <= r.entropy {
			continue
		}
		lineNo, lineStart := lines.at(start)
		lineEnd := bytes.IndexByte(content[end:], '\n')
		if lineEnd < 0 {
			lineEnd = len(content)
		} else {
			lineEnd += end
		}
		line := string(content[lineStart:lineEnd])
		if strings.Contains(line, allowMarker) ||
			findingAllowed(s.global, path, secret, match, line) ||
			findingAllowed(r.allowlists, path, secret, match, line) {
			continue
		}
		out = append(out, Finding{
			RuleID:      r.id,
			Description: r.description,
			Line:        lineNo,
			Column:      start - lineStart + 1,
			Redacted:    Redact(secret),
			secret:      secret,
			start:       start,
			end:         end,
		})
	}
	return out
}

// Redact shows the first characters of a secret and its length: enough to tell which one
// it is, not enough to use it.
func Redact(secret string) string {
	n := len(secret)
	keep := min(4, n/4)
	return fmt.Sprintf("%s… (%d characters)", secret[:keep], n)
}

// entropy is the Shannon entropy of s in bits per character, as gitleaks computes it.
func entropy(s string) float64 {
	if s == "" {
		return 0
	}
	counts := map[rune]int{}
	for _, c := range s {
		counts[c]++
	}
	var h float64
	inv := 1 / float64(len(s))
	for _, n := range counts {
		f := float64(n) * inv
		h -= f * math.Log2(f)
	}
	return h
}

// lineIndex turns byte offsets into line numbers, counting newlines once for offsets that
// come in increasing order (one rule's matches) and again from the start otherwise.
type lineIndex struct {
	content        []byte
	offset, line   int
	lastLineOffset int
}

func (l *lineIndex) at(off int) (line, lineStart int) {
	if off < l.offset || l.line == 0 {
		l.offset, l.line, l.lastLineOffset = 0, 1, 0
	}
	for {
		i := bytes.IndexByte(l.content[l.offset:off], '\n')
		if i < 0 {
			break
		}
		l.offset += i + 1
		l.line++
		l.lastLineOffset = l.offset
	}
	l.offset = off
	return l.line, l.lastLineOffset
}

func sortFindings(f []Finding) {
	sort.SliceStable(f, func(i, j int) bool {
		a, b := f[i], f[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		if a.RuleID != b.RuleID {
			return a.RuleID < b.RuleID
		}
		return a.end > b.end
	})
}
