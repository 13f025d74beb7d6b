package forge

import (
	"context"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/forge/model"
)

// AuditEvent is one entry of the security audit log.
type AuditEvent = model.AuditEvent

// audit records a security event. A failure to record is logged, not returned: the action it
// describes has already happened. Details may come from a request (the login of a failed
// sign-in): they are stored as text, cut at limitAuditDetails.
func (s *Service) audit(ctx context.Context, a *Actor, action, targetType string, targetID int64, details string) {
	details = truncateTitle(storableText(details), limitAuditDetails)
	e := AuditEvent{CreatedAt: s.Now(), Action: action, TargetType: targetType, TargetID: targetID, Details: details}
	if a != nil {
		e.IP = a.IP
		e.ActorID = a.UserID()
		if a.Sudoer != nil {
			e.ActorID = a.Sudoer.ID
			e.Details += " (sudo as " + a.User.Username + ")"
		}
	}
	if err := db.InsertAuditEvent(ctx, s.db.Writer(), e); err != nil {
		s.log.Error("audit log write failed", "action", action, "err", err)
	}
}

// ListAuditEvents returns the audit log, newest first, to administrators.
func (s *Instance) ListAuditEvents(ctx context.Context, a *Actor, pg Page) ([]AuditEvent, int, error) {
	if err := a.requireAdmin(NeedRead); err != nil {
		return nil, 0, err
	}
	return db.ListAuditEvents(ctx, s.db.Read, pg.limit(), pg.offset())
}
