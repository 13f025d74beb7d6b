package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Upload is a row of uploads: a file given to a model (an attachment of a project, the
// avatar of a project, group or user), whose bytes are stored by their SHA-256.
type Upload struct {
	ID          int64
	ModelKind   string
	ModelID     int64
	Purpose     string
	Secret      string
	Filename    string
	SHA256      string
	Size        int64
	ContentType string
	UploadedBy  int64
	CreatedAt   time.Time
}

const uploadColumns = `id, model_kind, model_id, purpose, secret, filename, sha256, size, content_type,
	COALESCE(uploaded_by, 0), created_at`

func scanUpload(row interface{ Scan(...any) error }) (Upload, error) {
	var u Upload
	var created int64
	if err := row.Scan(&u.ID, &u.ModelKind, &u.ModelID, &u.Purpose, &u.Secret, &u.Filename, &u.SHA256, &u.Size,
		&u.ContentType, &u.UploadedBy, &created); err != nil {
		return Upload{}, wrap(err)
	}
	u.CreatedAt = fromMS(created)
	return u, nil
}

// InsertUpload adds u and returns its id.
func InsertUpload(ctx context.Context, tx *sql.Tx, u Upload) (int64, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO uploads (model_kind, model_id, purpose, secret, filename, sha256,
		size, content_type, uploaded_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ModelKind, u.ModelID, u.Purpose, u.Secret, u.Filename, u.SHA256, u.Size, u.ContentType,
		nullID(u.UploadedBy), ms(u.CreatedAt))
	if err != nil {
		return 0, fmt.Errorf("insert upload: %w", wrap(err))
	}
	return res.LastInsertId()
}

// AttachmentBySecret returns the attachment of project under secret.
func AttachmentBySecret(ctx context.Context, q Querier, project int64, secret string) (Upload, error) {
	return scanUpload(q.QueryRowContext(ctx, "SELECT "+uploadColumns+` FROM uploads
		WHERE secret = ? AND model_kind = 'project' AND model_id = ? AND purpose = 'attachment'`, secret, project))
}

// Avatar returns the current avatar of a model.
func Avatar(ctx context.Context, q Querier, kind string, id int64) (Upload, error) {
	return scanUpload(q.QueryRowContext(ctx, "SELECT "+uploadColumns+` FROM uploads
		WHERE model_kind = ? AND model_id = ? AND purpose = 'avatar' ORDER BY id DESC LIMIT 1`, kind, id))
}

// RemoveAvatars removes every avatar of a model.
func RemoveAvatars(ctx context.Context, tx *sql.Tx, kind string, id int64) error {
	_, err := tx.ExecContext(ctx,
		"DELETE FROM uploads WHERE model_kind = ? AND model_id = ? AND purpose = 'avatar'", kind, id)
	return wrap(err)
}
