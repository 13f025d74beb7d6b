// Command gen writes gitleaks' default rule set as the JSON that package secretscan embeds.
// It is a module of its own, so that gitleaks and its dependencies stay out of cairn's build:
// run "go generate ./forge/secretscan" (which runs this) to refresh rules.json after raising
// the gitleaks version in go.mod here.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime/debug"
	"strings"

	"github.com/spf13/viper"
	"github.com/zricethezav/gitleaks/v8/config"
)

type allowlist struct {
	Description string   `json:"description,omitempty"`
	Condition   string   `json:"condition,omitempty"`
	Paths       []string `json:"paths,omitempty"`
	Regexes     []string `json:"regexes,omitempty"`
	RegexTarget string   `json:"regex_target,omitempty"`
	StopWords   []string `json:"stopwords,omitempty"`
}

type rule struct {
	ID          string      `json:"id"`
	Description string      `json:"description"`
	Regex       string      `json:"regex,omitempty"`
	SecretGroup int         `json:"secret_group,omitempty"`
	Entropy     float64     `json:"entropy,omitempty"`
	Path        string      `json:"path,omitempty"`
	Keywords    []string    `json:"keywords,omitempty"`
	Allowlists  []allowlist `json:"allowlists,omitempty"`
}

type ruleSet struct {
	Source     string      `json:"source"`
	License    string      `json:"license"`
	Allowlists []allowlist `json:"allowlists"`
	Rules      []rule      `json:"rules"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run() error {
	v := viper.New()
	v.SetConfigType("toml")
	if err := v.ReadConfig(strings.NewReader(config.DefaultConfig)); err != nil {
		return err
	}
	var vc config.ViperConfig
	if err := v.Unmarshal(&vc); err != nil {
		return err
	}
	cfg, err := vc.Translate()
	if err != nil {
		return err
	}
	out := ruleSet{Source: "github.com/zricethezav/gitleaks/v8 " + version() + " config/gitleaks.toml",
		License: "MIT, Copyright (c) 2019 Zachary Rice"}
	for _, a := range cfg.Allowlists {
		out.Allowlists = append(out.Allowlists, convert(a))
	}
	for _, id := range cfg.OrderedRules {
		r := cfg.Rules[id]
		if r.SkipReport || len(r.RequiredRules) > 0 {
			return fmt.Errorf("rule %s: composite and unreported rules are not supported", id)
		}
		o := rule{ID: r.RuleID, Description: r.Description, SecretGroup: r.SecretGroup,
			Entropy: r.Entropy, Keywords: r.Keywords}
		if r.Regex != nil {
			o.Regex = r.Regex.String()
		}
		if r.Path != nil {
			o.Path = r.Path.String()
		}
		for _, a := range r.Allowlists {
			o.Allowlists = append(o.Allowlists, convert(a))
		}
		out.Rules = append(out.Rules, o)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	return enc.Encode(out)
}

func convert(a *config.Allowlist) allowlist {
	if len(a.Commits) > 0 {
		fmt.Fprintf(os.Stderr, "gen: allowlist %q: commits are dropped\n", a.Description)
	}
	o := allowlist{Description: a.Description, RegexTarget: a.RegexTarget, StopWords: a.StopWords}
	if a.MatchCondition == config.AllowlistMatchAnd {
		o.Condition = "AND"
	}
	for _, p := range a.Paths {
		o.Paths = append(o.Paths, p.String())
	}
	for _, r := range a.Regexes {
		o.Regexes = append(o.Regexes, r.String())
	}
	return o
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/zricethezav/gitleaks/v8" {
				return d.Version
			}
		}
	}
	return "(unknown version)"
}
