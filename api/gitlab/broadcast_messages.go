package gitlab

import (
	"net/http"
	"strconv"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// BroadcastMessage is a broadcast message as GitLab renders it.
type BroadcastMessage struct {
	ID                 int64  `json:"id"`
	Message            string `json:"message"`
	StartsAt           Time   `json:"starts_at"`
	EndsAt             Time   `json:"ends_at"`
	Color              string `json:"color"`
	Font               string `json:"font"`
	Active             bool   `json:"active"`
	TargetAccessLevels []int  `json:"target_access_levels"`
	TargetPath         string `json:"target_path"`
	BroadcastType      string `json:"broadcast_type"`
	Dismissable        bool   `json:"dismissable"`
	Theme              string `json:"theme"`
}

func (h *Handler) broadcastMessage(b forge.BroadcastMessage) BroadcastMessage {
	return BroadcastMessage{
		ID:                 b.ID,
		Message:            b.Message,
		StartsAt:           Time(b.StartsAt),
		EndsAt:             Time(b.EndsAt),
		Color:              b.Color,
		Font:               b.Font,
		Active:             forge.BroadcastActive(b, h.forge.Now()),
		TargetAccessLevels: b.TargetAccessLevels,
		TargetPath:         b.TargetPath,
		BroadcastType:      b.BroadcastType,
		Dismissable:        b.Dismissable,
		Theme:              b.Theme,
	}
}

func (h *Handler) broadcastMessageRoutes(rt *api.Router) {
	rt.Handle("GET", "/broadcast_messages", h.listBroadcastMessages)
	rt.Handle("POST", "/broadcast_messages", h.createBroadcastMessage)
	rt.Handle("GET", "/broadcast_messages/:id", h.getBroadcastMessage)
	rt.Handle("PUT", "/broadcast_messages/:id", h.updateBroadcastMessage)
	rt.Handle("DELETE", "/broadcast_messages/:id", h.deleteBroadcastMessage)
}

func (h *Handler) listBroadcastMessages(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	list, total, err := h.forge.Instance.ListBroadcastMessages(r.Context(), pg)
	if err != nil {
		return err
	}
	out := make([]BroadcastMessage, len(list))
	for i, b := range list {
		out[i] = h.broadcastMessage(b)
	}
	return h.list(w, r, pg, total, out)
}

func broadcastMessageID(p api.Params) (int64, error) {
	id, ok := parseID(p.Get("id"))
	if !ok {
		return 0, forge.NotFound(forge.ResourceBroadcastMessage)
	}
	return id, nil
}

func (h *Handler) getBroadcastMessage(w http.ResponseWriter, r *http.Request, p api.Params) error {
	id, err := broadcastMessageID(p)
	if err != nil {
		return err
	}
	b, err := h.forge.Instance.GetBroadcastMessage(r.Context(), id)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, h.broadcastMessage(b))
}

func broadcastMessageInput(in *api.Input) (forge.BroadcastMessageInput, error) {
	bi := forge.BroadcastMessageInput{
		Message:       in.StringPtr("message"),
		Color:         in.StringPtr("color"),
		Font:          in.StringPtr("font"),
		TargetPath:    in.StringPtr("target_path"),
		BroadcastType: in.StringPtr("broadcast_type"),
		Theme:         in.StringPtr("theme"),
	}
	var err error
	if bi.StartsAt, err = in.Date("starts_at"); err != nil {
		return bi, err
	}
	if bi.EndsAt, err = in.Date("ends_at"); err != nil {
		return bi, err
	}
	if bi.Dismissable, err = in.BoolPtr("dismissable"); err != nil {
		return bi, err
	}
	if in.Has("target_access_levels") {
		levels := []int{}
		vals, _ := in.Strings("target_access_levels")
		for _, v := range vals {
			n, err := strconv.Atoi(v)
			if err != nil {
				return bi, api.InvalidParam("target_access_levels")
			}
			levels = append(levels, n)
		}
		bi.TargetAccessLevels = &levels
	}
	return bi, nil
}

func (h *Handler) createBroadcastMessage(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	if err := require(in, "message"); err != nil {
		return err
	}
	bi, err := broadcastMessageInput(in)
	if err != nil {
		return err
	}
	b, err := h.forge.Instance.CreateBroadcastMessage(r.Context(), api.Actor(r), bi)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusCreated, h.broadcastMessage(b))
}

func (h *Handler) updateBroadcastMessage(w http.ResponseWriter, r *http.Request, p api.Params) error {
	id, err := broadcastMessageID(p)
	if err != nil {
		return err
	}
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	bi, err := broadcastMessageInput(in)
	if err != nil {
		return err
	}
	b, err := h.forge.Instance.UpdateBroadcastMessage(r.Context(), api.Actor(r), id, bi)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, h.broadcastMessage(b))
}

func (h *Handler) deleteBroadcastMessage(w http.ResponseWriter, r *http.Request, p api.Params) error {
	id, err := broadcastMessageID(p)
	if err != nil {
		return err
	}
	if err := h.forge.Instance.DeleteBroadcastMessage(r.Context(), api.Actor(r), id); err != nil {
		return err
	}
	return api.NoContent(w)
}
