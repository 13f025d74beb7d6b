package gitlab

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// Contributor is an entry of GET .../repository/contributors.
type Contributor struct {
	Name      string `json:"name"`
	Email     string `json:"email"`
	Commits   int    `json:"commits"`
	Additions int    `json:"additions"`
	Deletions int    `json:"deletions"`
}

func (h *Handler) listContributors(w http.ResponseWriter, r *http.Request, p api.Params) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	desc, err := sortDesc(r, false)
	if err != nil {
		return err
	}
	orderBy := r.URL.Query().Get("order_by")
	switch orderBy {
	case "", "commits", "name", "email":
	default:
		return &forge.Error{Code: forge.EInvalid, Reason: forge.ReasonInvalidParam,
			Message: "order_by does not have a valid value"}
	}
	list, err := h.forge.Repositories.Contributors(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")),
		orderBy, desc)
	if err != nil {
		return err
	}
	out := make([]Contributor, len(list))
	for i, c := range list {
		out[i] = Contributor(c)
	}
	total := len(out)
	lo := min((pg.Page-1)*pg.PerPage, total)
	return h.list(w, r, pg, total, out[lo:min(lo+pg.PerPage, total)])
}

// languages answers {"Go": 80.5, "Shell": 19.5}, largest share first.
func (h *Handler) languages(w http.ResponseWriter, r *http.Request, p api.Params) error {
	shares, err := h.forge.Repositories.Languages(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")))
	if err != nil {
		return err
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, s := range shares {
		if i > 0 {
			b.WriteByte(',')
		}
		name, _ := json.Marshal(s.Name)
		b.Write(name)
		b.WriteByte(':')
		b.WriteString(strconv.FormatFloat(s.Percent, 'f', -1, 64))
	}
	b.WriteByte('}')
	return api.JSON(w, r, http.StatusOK, json.RawMessage(b.Bytes()))
}
