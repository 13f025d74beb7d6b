package forge

import (
	"context"
	"database/sql"
	"errors"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/forge/model"
)

// Label is a project's label, which issues and merge requests carry by name.
type Label = model.Label

// DefaultLabelColor is the colour of labels made on the fly, when an issue names a label its
// project does not have yet (GitLab's default).
const DefaultLabelColor = "#6699cc"

// LabelInput carries the fields of a label to create or change; nil means "not given".
type LabelInput struct {
	Name        *string
	Color       *string
	Description *string
	// Priority sets the priority when SetPriority; nil then removes it.
	SetPriority bool
	Priority    *int
}

// LabelListOptions filter a project's labels.
type LabelListOptions struct {
	Search     string
	WithCounts bool
}

// ParseColor reads a label colour: "#RGB", "#RRGGBB" or a CSS colour name, returned as
// "#rrggbb"-style hex as given (names become their hex value); ok is false for anything else.
func ParseColor(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "#") {
		hex := s[1:]
		if len(hex) != 3 && len(hex) != 6 {
			return "", false
		}
		for i := 0; i < len(hex); i++ {
			c := hex[i]
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return "", false
			}
		}
		return s, true
	}
	if hex, ok := cssColors[strings.ToLower(s)]; ok {
		return hex, true
	}
	return "", false
}

// TextColor is the colour of text on a label of colour c: dark on light colours, white
// otherwise, as GitLab picks it.
func TextColor(c string) string {
	hex := strings.TrimPrefix(c, "#")
	if len(hex) == 3 {
		hex = string([]byte{hex[0], hex[0], hex[1], hex[1], hex[2], hex[2]})
	}
	if len(hex) != 6 {
		return "#FFFFFF"
	}
	sum := 0
	for i := 0; i < 6; i += 2 {
		v, _ := strconv.ParseUint(hex[i:i+2], 16, 8)
		sum += int(v)
	}
	if sum > 500 {
		return "#333333"
	}
	return "#FFFFFF"
}

// validateLabelName checks a label name, returning the problem or "".
func validateLabelName(name string) string {
	switch {
	case strings.TrimSpace(name) == "":
		return "can't be blank"
	case textProblem(name, limitName) != "":
		return textProblem(name, limitName)
	case strings.Contains(name, ","):
		// Labels are given to issues as comma-separated lists.
		return "is invalid"
	}
	return ""
}

// applyLabelInput validates in and copies it onto l. Problems are reported under GitLab's
// field names (title for the name).
func applyLabelInput(l *Label, in LabelInput) error {
	fe := FieldErrors{}
	if in.Name != nil {
		l.Name = strings.TrimSpace(*in.Name)
		if msg := validateLabelName(l.Name); msg != "" {
			fe.Add("title", msg)
		}
	}
	if in.Color != nil {
		if c, ok := ParseColor(*in.Color); ok {
			l.Color = c
		} else {
			fe.Add("color", "must be a valid color code")
		}
	}
	if in.Description != nil {
		l.Description = *in.Description
		checkText(fe, "description", l.Description, limitLabelDescription)
	}
	if in.SetPriority {
		l.Priority = in.Priority
		if in.Priority != nil && *in.Priority < 0 {
			fe.Add("priority", "must be greater than or equal to 0")
		}
	}
	return fe.Err()
}

// labelsReadable resolves a project whose labels the actor may read.
func (s *Service) labelsReadable(ctx context.Context, a *Actor, projectRef Ref) (ProjectView, error) {
	return s.Projects.ProjectByRef(ctx, a, projectRef)
}

// labelsWritable resolves a project whose labels the actor may change: reporters and above.
func (s *Service) labelsWritable(ctx context.Context, a *Actor, projectRef Ref) (ProjectView, error) {
	if err := a.requireUser(NeedWrite); err != nil {
		return ProjectView{}, err
	}
	v, err := s.visibleProject(ctx, a, projectRef)
	if err != nil {
		return ProjectView{}, err
	}
	if v.Access < Reporter {
		return ProjectView{}, Forbidden()
	}
	return v, nil
}

// findLabel finds a project's label by id or, failing that, by name, as GitLab does.
func (s *Service) findLabel(ctx context.Context, q db.Querier, projectID int64, ref Ref) (Label, error) {
	if id, ok := ref.ID(); ok {
		l, err := db.LabelByID(ctx, q, projectID, id)
		if err == nil || !errors.Is(err, db.ErrNotFound) {
			return l, err
		}
	}
	l, err := db.LabelByName(ctx, q, projectID, ref.String())
	return l, notFoundAs(err, ResourceLabel)
}

// ListLabels lists a project's labels by name.
func (s *Issuables) ListLabels(ctx context.Context, a *Actor, projectRef Ref, o LabelListOptions,
	pg Page) ([]Label, int, error) {
	v, err := s.labelsReadable(ctx, a, projectRef)
	if err != nil {
		return nil, 0, err
	}
	return db.ListLabels(ctx, s.db.Read, db.LabelFilter{ProjectID: v.ID, Search: o.Search, WithCounts: o.WithCounts,
		Limit: pg.limit(), Offset: pg.offset()})
}

// GetLabel returns a project's label by id or name.
func (s *Issuables) GetLabel(ctx context.Context, a *Actor, projectRef Ref, labelRef Ref) (Label, error) {
	v, err := s.labelsReadable(ctx, a, projectRef)
	if err != nil {
		return Label{}, err
	}
	return s.findLabel(ctx, s.db.Read, v.ID, labelRef)
}

// CreateLabel adds a label to a project; reporters and above may. The name and colour are
// required; a name the project has is a conflict.
func (s *Issuables) CreateLabel(ctx context.Context, a *Actor, projectRef Ref, in LabelInput) (Label, error) {
	v, err := s.labelsWritable(ctx, a, projectRef)
	if err != nil {
		return Label{}, err
	}
	var missing []string
	if in.Name == nil {
		missing = append(missing, "name")
	}
	if in.Color == nil {
		missing = append(missing, "color")
	}
	if len(missing) > 0 {
		return Label{}, Missing(missing...)
	}
	now := s.Now()
	l := Label{ProjectID: v.ID, CreatedAt: now, UpdatedAt: now}
	if err := applyLabelInput(&l, in); err != nil {
		return Label{}, err
	}
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		id, err := db.InsertLabel(ctx, tx, l)
		if errors.Is(err, db.ErrConstraint) {
			return Conflictf("Label already exists")
		}
		l.ID = id
		return err
	})
	return l, err
}

// UpdateLabel changes a project's label (by id or name); reporters and above may. Name is
// the new name.
func (s *Issuables) UpdateLabel(ctx context.Context, a *Actor, projectRef Ref, labelRef Ref,
	in LabelInput) (Label, error) {
	v, err := s.labelsWritable(ctx, a, projectRef)
	if err != nil {
		return Label{}, err
	}
	var l Label
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		var err error
		if l, err = s.findLabel(ctx, tx, v.ID, labelRef); err != nil {
			return err
		}
		if err := applyLabelInput(&l, in); err != nil {
			return err
		}
		l.UpdatedAt = s.Now()
		err = db.UpdateLabel(ctx, tx, l)
		if errors.Is(err, db.ErrConstraint) {
			return FieldErrors{"title": {"has already been taken"}}.Err()
		}
		return err
	})
	return l, err
}

// DeleteLabel removes a project's label (by id or name) from the project and from everything
// that carries it; reporters and above may. A label that is not there is not found, as on
// GitLab, with ReasonNothingToDelete.
func (s *Issuables) DeleteLabel(ctx context.Context, a *Actor, projectRef Ref, labelRef Ref) error {
	v, err := s.labelsWritable(ctx, a, projectRef)
	if err != nil {
		return err
	}
	return s.db.Write(ctx, func(tx *sql.Tx) error {
		l, err := s.findLabel(ctx, tx, v.ID, labelRef)
		if ErrorCode(err) == ENotFound {
			return nothingToDelete(ResourceLabel)
		}
		if err != nil {
			return err
		}
		return db.DeleteLabel(ctx, tx, l.ID)
	})
}

// normalizeLabelNames trims names, drops blanks and repeats, and checks each; the result is
// sorted, as GitLab lists an issue's labels.
func normalizeLabelNames(names []string) ([]string, error) {
	seen := map[string]bool{}
	out := []string{}
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" || seen[n] {
			continue
		}
		if msg := validateLabelName(n); msg != "" {
			return nil, FieldErrors{"labels": {msg}}.Err()
		}
		seen[n] = true
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}

// setTargetLabels puts exactly the labels named names (normalized) on an issue or merge
// request, making those the project lacks with the default colour, as GitLab does; fresh
// says the target carries none yet. It returns the names.
func (s *Service) setTargetLabels(ctx context.Context, tx *sql.Tx, projectID int64, typ string,
	targetID int64, names []string, fresh bool, now time.Time) ([]string, error) {
	if !fresh {
		if err := db.ClearTargetLabels(ctx, tx, typ, targetID); err != nil {
			return nil, err
		}
	}
	if len(names) == 0 {
		return []string{}, nil
	}
	if err := db.EnsureLabels(ctx, tx, projectID, names, DefaultLabelColor, now); err != nil {
		return nil, err
	}
	return names, db.LinkLabels(ctx, tx, projectID, typ, targetID, names)
}

// changeSet returns names with add added and remove removed, sorted.
func changeSet(names, add, remove []string) []string {
	set := map[string]bool{}
	for _, n := range names {
		set[n] = true
	}
	for _, n := range add {
		set[n] = true
	}
	for _, n := range remove {
		delete(set, n)
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

var plainLabelName = regexp.MustCompile(`^[\w\-.?&]+$`)

// labelReference is how GitLab writes a label in text: ~name, or ~"two words".
func labelReference(name string) string {
	if plainLabelName.MatchString(name) {
		return "~" + name
	}
	return `~"` + name + `"`
}

// labelChangeNote is the system note of a change of labels: "added ~a ~b labels and
// removed ~c label".
func labelChangeNote(added, removed []string) string {
	part := func(verb string, names []string) string {
		refs := make([]string, len(names))
		for i, n := range names {
			refs[i] = labelReference(n)
		}
		noun := " label"
		if len(names) > 1 {
			noun = " labels"
		}
		return verb + " " + strings.Join(refs, " ") + noun
	}
	var parts []string
	if len(added) > 0 {
		parts = append(parts, part("added", added))
	}
	if len(removed) > 0 {
		parts = append(parts, part("removed", removed))
	}
	return strings.Join(parts, " and ")
}

// cssColors are the CSS colour names GitLab accepts for labels, with their values.
var cssColors = map[string]string{
	"aliceblue":            "#f0f8ff",
	"antiquewhite":         "#faebd7",
	"aqua":                 "#00ffff",
	"aquamarine":           "#7fffd4",
	"azure":                "#f0ffff",
	"beige":                "#f5f5dc",
	"bisque":               "#ffe4c4",
	"black":                "#000000",
	"blanchedalmond":       "#ffebcd",
	"blue":                 "#0000ff",
	"blueviolet":           "#8a2be2",
	"brown":                "#a52a2a",
	"burlywood":            "#deb887",
	"cadetblue":            "#5f9ea0",
	"chartreuse":           "#7fff00",
	"chocolate":            "#d2691e",
	"coral":                "#ff7f50",
	"cornflowerblue":       "#6495ed",
	"cornsilk":             "#fff8dc",
	"crimson":              "#dc143c",
	"cyan":                 "#00ffff",
	"darkblue":             "#00008b",
	"darkcyan":             "#008b8b",
	"darkgoldenrod":        "#b8860b",
	"darkgray":             "#a9a9a9",
	"darkgreen":            "#006400",
	"darkgrey":             "#a9a9a9",
	"darkkhaki":            "#bdb76b",
	"darkmagenta":          "#8b008b",
	"darkolivegreen":       "#556b2f",
	"darkorange":           "#ff8c00",
	"darkorchid":           "#9932cc",
	"darkred":              "#8b0000",
	"darksalmon":           "#e9967a",
	"darkseagreen":         "#8fbc8f",
	"darkslateblue":        "#483d8b",
	"darkslategray":        "#2f4f4f",
	"darkslategrey":        "#2f4f4f",
	"darkturquoise":        "#00ced1",
	"darkviolet":           "#9400d3",
	"deeppink":             "#ff1493",
	"deepskyblue":          "#00bfff",
	"dimgray":              "#696969",
	"dimgrey":              "#696969",
	"dodgerblue":           "#1e90ff",
	"firebrick":            "#b22222",
	"floralwhite":          "#fffaf0",
	"forestgreen":          "#228b22",
	"fuchsia":              "#ff00ff",
	"gainsboro":            "#dcdcdc",
	"ghostwhite":           "#f8f8ff",
	"gold":                 "#ffd700",
	"goldenrod":            "#daa520",
	"gray":                 "#808080",
	"green":                "#008000",
	"greenyellow":          "#adff2f",
	"grey":                 "#808080",
	"honeydew":             "#f0fff0",
	"hotpink":              "#ff69b4",
	"indianred":            "#cd5c5c",
	"indigo":               "#4b0082",
	"ivory":                "#fffff0",
	"khaki":                "#f0e68c",
	"lavender":             "#e6e6fa",
	"lavenderblush":        "#fff0f5",
	"lawngreen":            "#7cfc00",
	"lemonchiffon":         "#fffacd",
	"lightblue":            "#add8e6",
	"lightcoral":           "#f08080",
	"lightcyan":            "#e0ffff",
	"lightgoldenrodyellow": "#fafad2",
	"lightgray":            "#d3d3d3",
	"lightgreen":           "#90ee90",
	"lightgrey":            "#d3d3d3",
	"lightpink":            "#ffb6c1",
	"lightsalmon":          "#ffa07a",
	"lightseagreen":        "#20b2aa",
	"lightskyblue":         "#87cefa",
	"lightslategray":       "#778899",
	"lightslategrey":       "#778899",
	"lightsteelblue":       "#b0c4de",
	"lightyellow":          "#ffffe0",
	"lime":                 "#00ff00",
	"limegreen":            "#32cd32",
	"linen":                "#faf0e6",
	"magenta":              "#ff00ff",
	"maroon":               "#800000",
	"mediumaquamarine":     "#66cdaa",
	"mediumblue":           "#0000cd",
	"mediumorchid":         "#ba55d3",
	"mediumpurple":         "#9370db",
	"mediumseagreen":       "#3cb371",
	"mediumslateblue":      "#7b68ee",
	"mediumspringgreen":    "#00fa9a",
	"mediumturquoise":      "#48d1cc",
	"mediumvioletred":      "#c71585",
	"midnightblue":         "#191970",
	"mintcream":            "#f5fffa",
	"mistyrose":            "#ffe4e1",
	"moccasin":             "#ffe4b5",
	"navajowhite":          "#ffdead",
	"navy":                 "#000080",
	"oldlace":              "#fdf5e6",
	"olive":                "#808000",
	"olivedrab":            "#6b8e23",
	"orange":               "#ffa500",
	"orangered":            "#ff4500",
	"orchid":               "#da70d6",
	"palegoldenrod":        "#eee8aa",
	"palegreen":            "#98fb98",
	"paleturquoise":        "#afeeee",
	"palevioletred":        "#db7093",
	"papayawhip":           "#ffefd5",
	"peachpuff":            "#ffdab9",
	"peru":                 "#cd853f",
	"pink":                 "#ffc0cb",
	"plum":                 "#dda0dd",
	"powderblue":           "#b0e0e6",
	"purple":               "#800080",
	"rebeccapurple":        "#663399",
	"red":                  "#ff0000",
	"rosybrown":            "#bc8f8f",
	"royalblue":            "#4169e1",
	"saddlebrown":          "#8b4513",
	"salmon":               "#fa8072",
	"sandybrown":           "#f4a460",
	"seagreen":             "#2e8b57",
	"seashell":             "#fff5ee",
	"sienna":               "#a0522d",
	"silver":               "#c0c0c0",
	"skyblue":              "#87ceeb",
	"slateblue":            "#6a5acd",
	"slategray":            "#708090",
	"slategrey":            "#708090",
	"snow":                 "#fffafa",
	"springgreen":          "#00ff7f",
	"steelblue":            "#4682b4",
	"tan":                  "#d2b48c",
	"teal":                 "#008080",
	"thistle":              "#d8bfd8",
	"tomato":               "#ff6347",
	"turquoise":            "#40e0d0",
	"violet":               "#ee82ee",
	"wheat":                "#f5deb3",
	"white":                "#ffffff",
	"whitesmoke":           "#f5f5f5",
	"yellow":               "#ffff00",
	"yellowgreen":          "#9acd32",
}
