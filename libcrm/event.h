/* event.h: what happened with a customer over time: purchases, returns,
 * complaints, service requests, callbacks, mail, reviews, campaigns. */
#ifndef CRM_EVENT_H
#define CRM_EVENT_H

#include <stdint.h>

#include "value.h"              /* CRM_NONE */

struct crm_db;

/*
 * An event. Strings are NULL when absent. Events returned by libcrm are
 * owned by the caller (crm_event_free); events passed in are only read.
 */
struct crm_event {
	int64_t id;
	int64_t customer_id;
	int64_t at;             /* Unix seconds */
	char *kind;             /* one of crm_kinds */
	char *channel;
	int64_t amount_cents;   /* what was paid; CRM_NONE if absent */
	int64_t discount_cents; /* taken off the price, >= 0 (the price before
	                           it was amount + discount); CRM_NONE if not
	                           known */
	char *currency;         /* ISO 4217, "EUR" */
	int64_t quantity;       /* CRM_NONE if absent */
	char *product;
	char *category;
	int64_t rating;         /* 1..5, CRM_NONE if absent */
	char *subject;
	char *body;
	char *ref;              /* order, ticket or campaign id */
	char *status;           /* "open", "closed" or NULL */
	int64_t due_at;         /* CRM_NONE if absent */
	int64_t closed_at;      /* CRM_NONE if open or not closable */
	char *source;           /* command or file that recorded it */
	int64_t created_at;
};

/* The kinds, NULL-terminated, and the ones that can be open or closed. */
extern const char *const crm_kinds[];

/* crm_kind_valid: 1 if kind is one of crm_kinds. */
int crm_kind_valid(const char *kind);

/* crm_kind_closable: 1 for complaint, service and callback. */
int crm_kind_closable(const char *kind);

/* crm_kind_list: the kinds as one "purchase, return, ..." string. Static. */
const char *crm_kind_list(void);

/* crm_event_init: set every member of ev to absent (NULL / CRM_NONE). */
void crm_event_init(struct crm_event *ev);

/* crm_event_free: free ev and its strings; NULL is a no-op. */
void crm_event_free(struct crm_event *ev);

/*
 * crm_event_check: validate ev before it is stored: a known kind, a rating
 * in 1..5, a status open/closed only for closable kinds (a closable kind
 * without status becomes open on insert), a currency of three letters,
 * text that crm_text_check() accepts (subject and body multiline; source
 * not checked), a discount that is not negative (it may exceed the amount:
 * the amount is what was paid after it).
 * Returns 0, or -1 with CRM_EDATA and a message saying what is accepted.
 */
int crm_event_check(struct crm_db *db, const struct crm_event *ev);

/*
 * crm_event_insert: store ev (checked with crm_event_check) and set ev->id.
 * The statement is prepared once per handle, so inserting many events inside
 * one transaction is fast. Does not audit (see crm_audit). Returns 0 or -1.
 */
int crm_event_insert(struct crm_db *db, struct crm_event *ev);

/* crm_event_get: load event id. 1 with *out set (caller frees), 0 if none
 * (CRM_EDATA message), -1 on error. */
int crm_event_get(struct crm_db *db, int64_t id, struct crm_event **out);

/*
 * crm_event_close: close open complaint/service/callback id at time at,
 * appending note (may be NULL) to its body, and audit it. An event that is
 * not closable or already closed fails with CRM_EDATA. Returns 0 or -1.
 */
int crm_event_close(struct crm_db *db, int64_t id, int64_t at,
    const char *note);

/* The integer fields crm_event_edit can clear (strings are cleared with
 * ""). */
#define CRM_EV_AMOUNT   0x01
#define CRM_EV_DISCOUNT 0x02
#define CRM_EV_QUANTITY 0x04
#define CRM_EV_RATING   0x08
#define CRM_EV_DUE      0x10

/*
 * crm_event_edit: correct event id: each string of ch that is not NULL
 * replaces the stored one ("" clears it; kind too, which cannot be
 * cleared), each of at, amount_cents, discount_cents, quantity, rating
 * and due_at that is not CRM_NONE replaces its value, and the fields in
 * clear (CRM_EV_*) are cleared; customer_id, source and the times of
 * creation and closing of ch are not read. The result is checked as
 * crm_event_check does; a status changed to closed closes the event now,
 * to open reopens it. When something changed, it is audited
 * ("event.edit", the old and new value of each field changed) and the
 * kept aggregates are marked stale (crm_stats_invalidate). Events of an
 * erased customer cannot be changed. *changed (may be NULL) is set to 1
 * when something changed. Call inside a transaction. Returns 0, or -1:
 * CRM_EDATA for no such event, an erased customer, an invalid result.
 */
int crm_event_edit(struct crm_db *db, int64_t id, const struct crm_event *ch,
    unsigned clear, int *changed);

/*
 * crm_event_delete: delete event id, for reason (may be NULL). Its import
 * key, when it came from crm-import, goes to deleted_events, so that the
 * same row imported again is not stored again. Audited ("event.delete",
 * the reason and every old value); the kept aggregates are marked stale.
 * Events of an erased customer cannot be deleted. Call inside a
 * transaction. Returns 0, or -1 (CRM_EDATA: no such event, an erased
 * customer).
 */
int crm_event_delete(struct crm_db *db, int64_t id, const char *reason);

/*
 * crm_event_each: call fn for every event of customer id (all customers if
 * id is 0), newest first. fn's event is borrowed for the call; a non-zero
 * return from fn stops the walk and is returned. Returns 0 when done, or -1.
 */
int crm_event_each(struct crm_db *db, int64_t customer_id,
    int (*fn)(const struct crm_event *ev, void *arg), void *arg);

/*
 * crm_event_range: like crm_event_each, for the events with lo <= id <= hi,
 * in id order (what one batch stored). Returns 0, fn's non-zero, or -1.
 */
int crm_event_range(struct crm_db *db, int64_t lo, int64_t hi,
    int (*fn)(const struct crm_event *ev, void *arg), void *arg);

/*
 * crm_event_find: the id of customer_id's newest event of kind with this
 * ref (an order, ticket or Message-ID). 1 with *id set, 0 if none, -1 on
 * error.
 */
int crm_event_find(struct crm_db *db, int64_t customer_id, const char *kind,
    const char *ref, int64_t *id);

#endif
