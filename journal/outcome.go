package journal

import (
	"errors"
	"net/http"

	guapocado "github.com/guapocado/guapocado-go"
)

// ErrKeyExpired is the dead-letter error of an intent that may already
// have reached the platform and is older than the platform keeps
// idempotency keys (WithKeyRetention): sending it again could charge it
// twice, so it is not sent; reconcile it by hand.
var ErrKeyExpired = errors.New("journal: intent older than the platform's idempotency-key retention after an attempt that may have reached it; not resent")

// refused reports whether err is a definite refusal of the platform: the
// request cannot succeed by being repeated with the same key (insufficient
// balance, unknown meter, invalid customer or amount, a key reused with a
// different request). Everything else (ErrOutcomeUnknown, 5xx, 429 of a
// limiter, transport failures, a refused API key, which is the deployment's
// problem and not the intent's) is retried with the same key.
func refused(err error) bool {
	if errors.Is(err, guapocado.ErrOutcomeUnknown) {
		return false
	}
	var ve *guapocado.ValidationError
	if errors.As(err, &ve) {
		return true
	}
	if errors.Is(err, guapocado.ErrInsufficientBalance) || errors.Is(err, guapocado.ErrNotFound) ||
		errors.Is(err, guapocado.ErrInvalidRequest) || errors.Is(err, guapocado.ErrForbidden) {
		return true
	}
	var e *guapocado.Error
	return errors.As(err, &e) && (e.StatusCode == http.StatusConflict || e.StatusCode == http.StatusUnprocessableEntity)
}
