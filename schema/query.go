package schema

import (
	"context"
	"fmt"
)

// Querier is the read side of a Store.
type Querier interface {
	Query(ctx context.Context, query string, params Params) (Rows, error)
}

// QueryRow runs query and scans its first row into dest. It returns
// ErrNoRows when the result is empty.
func QueryRow(ctx context.Context, q Querier, query string, params Params, dest ...any) error {
	rows, err := q.Query(ctx, query, params)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return ErrNoRows
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	return rows.Close()
}

// QueryEach runs query and calls fn for every row; fn scans the row itself.
func QueryEach(ctx context.Context, q Querier, query string, params Params, fn func(Rows) error) error {
	rows, err := q.Query(ctx, query, params)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return rows.Close()
}

// Count runs a query returning one unsigned number.
func Count(ctx context.Context, q Querier, query string, params Params) (uint64, error) {
	var n uint64
	if err := QueryRow(ctx, q, query, params, &n); err != nil {
		return 0, fmt.Errorf("counting: %w", err)
	}
	return n, nil
}
