package api

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/cairn-forge/cairn/forge"
)

// Pagination defaults, as GitLab has them.
const (
	DefaultPerPage = 20
	MaxPerPage     = 100
	// maxPage keeps offsets far from overflow.
	maxPage = 1 << 24
)

// ParsePage reads page and per_page: page defaults to 1, per_page to 20 and is capped at 100.
// Values that are not whole numbers are invalid.
func ParsePage(r *http.Request) (forge.Page, error) {
	q := r.URL.Query()
	pg := forge.Page{Page: 1, PerPage: DefaultPerPage}
	for _, f := range []struct {
		name string
		dst  *int
	}{{"page", &pg.Page}, {"per_page", &pg.PerPage}} {
		v := strings.TrimSpace(q.Get(f.name))
		if v == "" {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return forge.Page{}, InvalidParam(f.name)
		}
		if n >= 1 {
			*f.dst = int(min(n, maxPage))
		}
	}
	pg.PerPage = min(pg.PerPage, MaxPerPage)
	return pg, nil
}

// ParsePageStrictly reads page (default 1) and per_page (default 20) as ParsePage does, but
// refuses, instead of quietly correcting, values outside 1..100 for per_page and below 1 for
// page: for dialects whose documents state the bounds.
func ParsePageStrictly(r *http.Request) (forge.Page, error) {
	q := r.URL.Query()
	pg := forge.Page{Page: 1, PerPage: DefaultPerPage}
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 || n > maxPage {
			return pg, &forge.Error{Code: forge.EInvalid, Reason: forge.ReasonInvalidParam, Params: []string{"page"},
				Message: "page must be a whole number of at least 1"}
		}
		pg.Page = n
	}
	if v := q.Get("per_page"); v != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 || n > MaxPerPage {
			return pg, &forge.Error{Code: forge.EInvalid, Reason: forge.ReasonInvalidParam,
				Params:  []string{"per_page"},
				Message: "per_page must be a whole number from 1 to " + strconv.Itoa(MaxPerPage)}
		}
		pg.PerPage = n
	}
	return pg, nil
}

// InvalidParam is the error of a parameter whose value cannot be read.
func InvalidParam(name string) *forge.Error {
	return &forge.Error{Code: forge.EInvalid, Reason: forge.ReasonInvalidParam, Params: []string{name},
		Message: name + " is invalid"}
}

// InvalidValue is the error of a parameter whose value is none of those it may take.
func InvalidValue(name string) *forge.Error {
	return &forge.Error{Code: forge.EInvalid, Reason: forge.ReasonInvalidParam, Params: []string{name},
		Message: name + " does not have a valid value"}
}

// SetPageHeaders writes the pagination headers of one page of total items: Link (first,
// prev, next, last, absolute, keeping every query parameter but page), X-Total,
// X-Total-Pages, X-Per-Page, X-Page, X-Next-Page, X-Prev-Page.
func (c *Core) SetPageHeaders(w http.ResponseWriter, r *http.Request, pg forge.Page, total int) {
	pages := max(1, (total+pg.PerPage-1)/pg.PerPage)
	h := w.Header()
	h.Set("X-Total", strconv.Itoa(total))
	h.Set("X-Total-Pages", strconv.Itoa(pages))
	h.Set("X-Per-Page", strconv.Itoa(pg.PerPage))
	h.Set("X-Page", strconv.Itoa(pg.Page))
	next, prev := "", ""
	if pg.Page < pages {
		next = strconv.Itoa(pg.Page + 1)
	}
	if pg.Page > 1 {
		prev = strconv.Itoa(min(pg.Page-1, pages))
	}
	h.Set("X-Next-Page", next)
	h.Set("X-Prev-Page", prev)

	base := c.requestURL(r)
	q := r.URL.Query()
	q.Set("per_page", strconv.Itoa(pg.PerPage))
	link := func(page int, rel string) string {
		q.Set("page", strconv.Itoa(page))
		// Commas are escaped so that clients splitting Link on ',' keep each URL whole.
		return "<" + base + "?" + strings.ReplaceAll(q.Encode(), ",", "%2C") + `>; rel="` + rel + `"`
	}
	var links []string
	if prev != "" {
		links = append(links, link(min(pg.Page-1, pages), "prev"))
	}
	if next != "" {
		links = append(links, link(pg.Page+1, "next"))
	}
	links = append(links, link(1, "first"), link(pages, "last"))
	h.Set("Link", strings.Join(links, ", "))
}

// requestURL is the absolute URL of the request's path on the external base.
func (c *Core) requestURL(r *http.Request) string {
	return c.BaseURL + Prefix(r) + r.URL.Path
}

// URL joins the external base URL and an escaped path.
func (c *Core) URL(path string) string { return c.BaseURL + path }

// PathEscape escapes one path segment, '/' included.
func PathEscape(s string) string { return url.PathEscape(s) }
