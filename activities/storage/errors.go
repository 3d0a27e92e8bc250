package storage

import (
	"context"
	"errors"
	"io/fs"
	"net/http"

	"github.com/minio/minio-go/v7"
	"go.temporal.io/sdk/temporal"
)

// Application error types, for workflows that branch on them.
const (
	ErrTypeInvalidSlug    = "InvalidSlug"
	ErrTypeInvalidKey     = "StorageInvalidKey"
	ErrTypeNotConfigured  = "StorageNotConfigured"
	ErrTypeAccessDenied   = "StorageAccessDenied"
	ErrTypeBucketNotFound = "StorageBucketNotFound"
	// Anything a later attempt may fix: network errors, 5xx, throttling.
	ErrTypeUnavailable = "StorageUnavailable"
)

// classify says whether retrying a failed store call can help: no retry
// repairs a bad key, grants a permission or creates the bucket.
func classify(err error) error {
	var resp minio.ErrorResponse
	errors.As(err, &resp) // zero when it is not an S3 error
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err // cancellation and timeouts must reach the SDK as such
	case errors.Is(err, ErrInvalidKey):
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalidKey, err)
	case errors.Is(err, fs.ErrPermission), resp.StatusCode == http.StatusForbidden,
		resp.StatusCode == http.StatusUnauthorized, resp.Code == "AccessDenied",
		resp.Code == "InvalidAccessKeyId", resp.Code == "SignatureDoesNotMatch":
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeAccessDenied, err)
	case resp.Code == "NoSuchBucket":
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeBucketNotFound, err)
	default:
		return temporal.NewApplicationErrorWithCause(err.Error(), ErrTypeUnavailable, err)
	}
}
