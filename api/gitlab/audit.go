package gitlab

import (
	"net/http"

	"github.com/cairn-forge/cairn/api"
)

// AuditEvent is one entry of GET /audit_events, in GitLab's instance audit event shape.
type AuditEvent struct {
	ID         int64          `json:"id"`
	AuthorID   int64          `json:"author_id"`
	EntityID   int64          `json:"entity_id"`
	EntityType string         `json:"entity_type"`
	EventName  string         `json:"event_name"`
	Details    map[string]any `json:"details"`
	CreatedAt  Time           `json:"created_at"`
}

func (h *Handler) listAuditEvents(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	events, total, err := h.forge.Instance.ListAuditEvents(r.Context(), api.Actor(r), pg)
	if err != nil {
		return err
	}
	out := make([]AuditEvent, len(events))
	for i, e := range events {
		out[i] = AuditEvent{
			ID:         e.ID,
			AuthorID:   e.ActorID,
			EntityID:   e.TargetID,
			EntityType: e.TargetType,
			EventName:  e.Action,
			CreatedAt:  Time(e.CreatedAt),
			Details:    map[string]any{"custom_message": e.Details, "ip_address": e.IP, "event_name": e.Action},
		}
	}
	return h.list(w, r, pg, total, out)
}
