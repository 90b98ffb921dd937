package store

import (
	"context"
	"fmt"
	"time"
)

// TakeCall reserves a call of method at now if its sliding hour and day
// budgets and any pause allow it. The method's row is locked for the
// whole check, so nodes sharing the store never overspend together.
func (s *sqlStore) TakeCall(ctx context.Context, method string, now time.Time, perHour, perDay int) (bool, time.Time, error) {
	t := ms(now)
	var next int64
	err := s.b.write(ctx, func(tx q) error {
		next = 0
		paused, err := lockMethod(ctx, tx, s.d, method)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `DELETE FROM api_calls WHERE method = ? AND at <= ?`, method, t-day); err != nil {
			return fmt.Errorf("pruning calls: %w", err)
		}
		if paused > t {
			next = paused
		}
		for _, w := range []struct{ span, max int64 }{{hour, int64(perHour)}, {day, int64(perDay)}} {
			free, err := freeAt(ctx, tx, method, t, w.span, w.max)
			if err != nil {
				return err
			}
			next = max(next, free)
		}
		if next > 0 {
			return nil
		}
		_, err = tx.exec(ctx, `INSERT INTO api_calls (method, at) VALUES (?, ?)`, method, t)
		return err
	})
	if err != nil {
		return false, time.Time{}, fmt.Errorf("taking a call of %s: %w", method, err)
	}
	if next > 0 {
		return false, fromMS(next), nil
	}
	return true, time.Time{}, nil
}

const (
	hour = int64(time.Hour / time.Millisecond)
	day  = 24 * hour
)

// lockMethod makes sure method has its row, locks it and returns its pause.
func lockMethod(ctx context.Context, tx q, d dialect, method string) (int64, error) {
	_, err := tx.exec(ctx, `INSERT INTO api_methods (method) VALUES (?) ON CONFLICT (method) DO NOTHING`, method)
	if err != nil {
		return 0, fmt.Errorf("adding method: %w", err)
	}
	var paused int64
	err = tx.row(ctx, `SELECT paused_until FROM api_methods WHERE method = ?`+d.forUpdate, method).Scan(&paused)
	if err != nil {
		return 0, fmt.Errorf("locking method: %w", err)
	}
	return paused, nil
}

// freeAt returns 0 if fewer than allowed calls fall in the span before t
// (allowed <= 0 is no limit), else the time the window has room again.
func freeAt(ctx context.Context, tx q, method string, t, span, allowed int64) (int64, error) {
	if allowed <= 0 {
		return 0, nil
	}
	var n int64
	err := tx.row(ctx, `SELECT COUNT(*) FROM api_calls WHERE method = ? AND at > ?`, method, t-span).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("counting calls: %w", err)
	}
	if n < allowed {
		return 0, nil
	}
	var at int64
	err = tx.row(ctx, `SELECT at FROM api_calls WHERE method = ? AND at > ? ORDER BY at LIMIT 1 OFFSET ?`,
		method, t-span, n-allowed).Scan(&at)
	if err != nil {
		return 0, fmt.Errorf("finding oldest call: %w", err)
	}
	return at + span, nil
}

// PauseMethod stops calls of method until the given time; a pause in force
// that ends later is kept.
func (s *sqlStore) PauseMethod(ctx context.Context, method string, until time.Time) error {
	return s.b.write(ctx, func(tx q) error {
		_, err := tx.exec(ctx, `INSERT INTO api_methods (method, paused_until) VALUES (?, ?)
			ON CONFLICT (method) DO UPDATE SET paused_until = CASE
			WHEN api_methods.paused_until < excluded.paused_until THEN excluded.paused_until
			ELSE api_methods.paused_until END`, method, ms(until))
		if err != nil {
			return fmt.Errorf("pausing %s: %w", method, err)
		}
		return nil
	})
}
