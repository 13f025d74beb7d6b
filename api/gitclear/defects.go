package gitclear

import (
	"net/http"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// defectTimeLayout is how response_detail shows a defect's detection time.
const defectTimeLayout = "Jan 2, 2006 3:04pm"

// recordDefect is POST /critical_defects: create or update a critical defect by its key, and
// record a fix released for it. The seed's parameters: defect_key and resource_path
// (required), detected_at or detected_now (required to create), description, severity,
// fix_released_at, fix_released_now and fix_released_sha (a fix, on a repository path only).
// 201 when the defect is new, 200 when it was updated.
func (h *Handler) recordDefect(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	p, err := readParams(r)
	if err != nil {
		return err
	}
	in := forge.DefectInput{}
	in.Key, _ = p.text("defect_key")
	in.ResourcePath, _ = p.text("resource_path")
	if d, ok := p.text("description"); ok {
		in.Description = &d
	}
	in.Severity = p.integer("severity")
	in.DetectedAt = p.dateTime("detected_at")
	in.DetectedNow = p.flag("detected_now")
	in.FixReleasedAt = p.dateTime("fix_released_at")
	in.FixReleasedNow = p.flag("fix_released_now")
	in.FixSHA, _ = p.text("fix_released_sha")
	if p.err != nil {
		return p.err
	}
	rec, created, err := h.forge.Delivery.RecordDefect(r.Context(), api.Actor(r), in)
	if err != nil {
		return err
	}
	detected := showTime(rec.DetectedAt, in.DetectedAt, defectTimeLayout)
	if created {
		return success(w, r, http.StatusCreated, actionDefectCreated,
			"Successfully ensured creation of defect release at "+detected)
	}
	return success(w, r, http.StatusOK, actionDefectUpdated,
		"Successfully ensured update of defect release at "+detected)
}
