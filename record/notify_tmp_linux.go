package record

import (
	"context"
	"fmt"
)

func availableNotify() error {
	return fmt.Errorf("%w: notify backend not written yet", ErrUnavailable)
}

func runNotify(ctx context.Context, argv []string, o Options, r *Recording) error {
	return availableNotify()
}
