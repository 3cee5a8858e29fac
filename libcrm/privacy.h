/* privacy.h: what the law asks of a customer database: erasing a person
 * while keeping the statistics right, remembering that they were erased,
 * and handing a person everything held about them. */
#ifndef CRM_PRIVACY_H
#define CRM_PRIVACY_H

#include <stdint.h>

struct crm_db;
struct crm_buf;

/* What crm_customer_forget() erased (or, in a dry run, would erase). */
struct crm_forget_stats {
	int fields;             /* personal fields of the card with a value */
	int64_t events;         /* events whose free text goes */
	int64_t tags;
	int64_t consents;       /* consent history entries */
	int64_t audit;          /* audit entries whose details go */
	int64_t changes;        /* import undo records */
};

/*
 * crm_customer_forget: erase customer id inside the caller's transaction:
 * ref, names, company, email, phone, address, notes and attrs are cleared;
 * events stay (kind, time, amount, category, product, channel, rating) but
 * lose their subject and body (and mail their Message-ID); tags, consent
 * history, predictions and import undo records are deleted; audit entries
 * keep what and when but lose their details and command arguments. Keyed
 * hashes (HMAC-SHA256 under a random key kept in the database) of the
 * ref, email and phone are kept (forgotten.h) so crm_forgotten_check()
 * recognises the person. An audit entry records the erasure and reason
 * (may be NULL), not the erased data.
 * With dry_run nothing is changed. Fills *st (may be NULL). A customer
 * erased already fails with CRM_EDATA. Returns 0 or -1.
 * The handle writes with secure_delete, so the freed bytes are zeroed; call
 * crm_db_checkpoint() after committing to clear the WAL as well.
 */
int crm_customer_forget(struct crm_db *db, int64_t id, const char *reason,
    int dry_run, struct crm_forget_stats *st);

/* crm_db_see_erased: let crm_customer_resolve find erased customers (for
 * showing them; nothing may be recorded for them). */
void crm_db_see_erased(struct crm_db *db, int see);

/* crm_db_checkpoint: copy the WAL into the database and truncate it, so
 * no old page versions remain in the WAL file. Returns 0 or -1 (busy
 * readers: CRM_ETEMPFAIL). */
int crm_db_checkpoint(struct crm_db *db);

/*
 * crm_subject_access: append to json the members (each preceded by ',')
 * "consent_history", "prediction", "audit" and "import_changes": every row
 * of those tables about customer id, as JSON, times as ISO 8601 text.
 * Together with the card and the events this is everything held about the
 * person. Also "segments" (the saved segments the person is in now),
 * "erased_at" (null unless erased) and "report_segments" (the RFM segment
 * the latest nightly report found, and since which report). Returns 0 or -1.
 */
int crm_subject_access(struct crm_db *db, int64_t id, struct crm_buf *json);

#endif
