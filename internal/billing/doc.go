// Package billing prices a tenant's month: plan base fees, included
// quantities and per-unit overage, all in integer minor units of an ISO 4217
// currency. It does no I/O; the billing activities feed it subscriptions and
// usage read from the control-plane store and persist what it returns.
//
// # Periods and days
//
// A period is a calendar month in UTC, [first day 00:00, first day of the
// next month 00:00). Proration is by whole UTC days: a day is billed to the
// subscription that was in force at any moment of it, and when several were
// (a plan change that day), to the one that started last. So joining at
// 15:00 on the 10th pays for the 10th, an upgrade on the 15th bills the 15th
// at the new plan, and leaving at noon on the 20th still pays for the 20th.
// Every day of the period is billed at most once. Consecutive days of the same
// plan form one Segment.
//
// # Rounding
//
// A plan's base price and each included quantity are prorated as
// value × segment days / period days, rounded half-up to a whole minor unit
// (or whole unit of quantity): 49900 × 14/30 = 23286.67 → 23287, and
// 15 × 1/30 = 0.5 → 1. The product is computed in 128 bits, so it is exact
// for every int64 input. A full month is never rounded (days = period days),
// but the prorated parts of a month with a plan change need not add up to
// either plan's full price. Overage is an exact integer product
// (billable quantity × unit price); overflow is an error, never a wrap.
//
// # Usage
//
// Usage is attributed to the segment containing the day it occurred on; usage
// on a day no subscription covered (before joining, after leaving, in a gap)
// goes to the last segment that started before it, or to the first segment if
// it precedes them all. Each segment then prices its own usage against its
// prorated included quantities at its plan's overage rate. The tenant-days
// metric is derived from the segments (days billed), never from events.
//
// Total equals subtotal: taxes and discounts are not modelled yet.
package billing
