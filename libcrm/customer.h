/* customer.h: the customer directory: finding, creating and merging
 * customers, their tags and consents. */
#ifndef CRM_CUSTOMER_H
#define CRM_CUSTOMER_H

#include <stddef.h>
#include <stdint.h>

struct crm_db;

/*
 * A customer. String members are NULL when unknown. When libcrm returns a
 * customer, it owns nothing: the caller frees it with crm_customer_free().
 * When the caller passes one in, libcrm only reads it.
 */
struct crm_customer {
	int64_t id;
	char *ref;          /* the business's own customer number */
	char *first_name;
	char *last_name;
	char *company;
	char *email;        /* lower-cased */
	char *phone;        /* normalised, E.164 where possible */
	char *street;
	char *postal_code;
	char *city;
	char *country;
	char *notes;
	char *attrs;        /* JSON object of extra fields, "{}" when none */
	int64_t created_at;
	int64_t updated_at;
	int64_t erased_at;  /* when crm-forget erased it, or 0 */
};

/* The text fields of struct crm_customer, by name, in output order. */
struct crm_field {
	const char *name;       /* column name: "ref", "first_name", ... */
	size_t offset;          /* offsetof(struct crm_customer, member) */
};
extern const struct crm_field crm_customer_fields[];
extern const size_t crm_customer_nfields;

/* crm_customer_str: the address of the char * member for field i. */
char **crm_customer_str(struct crm_customer *c, size_t i);

/* crm_customer_field: index of the field called name, or -1. Accepts the
 * short aliases "first", "last", "zip", "postcode". */
int crm_customer_field(const char *name);

/* crm_customer_free: free c and its strings; NULL is a no-op. */
void crm_customer_free(struct crm_customer *c);

/* crm_customer_clear: free the strings of c (not c) and zero it. */
void crm_customer_clear(struct crm_customer *c);

/*
 * crm_customer_resolve: find the id of the customer key names: "#42" is an
 * id, a key with '@' an email (compared normalised), anything else a ref.
 * Returns 1 with *id set, 0 when there is none (message on db, code
 * CRM_ENOUSER), -1 on error. An erased customer (crm-forget) can only be
 * named by id, and then fails with CRM_EDATA unless crm_db_see_erased().
 */
int crm_customer_resolve(struct crm_db *db, const char *key, int64_t *id);

/*
 * A cache of resolved keys, for batches that look up many customers while
 * no customer's ref, email or existence changes (crm-log -). It holds at
 * most max keys (then it stops adding), so its memory is bounded by the
 * number of distinct customers, not by the input. crm_keycache_new returns
 * NULL when out of memory; crm_keycache_free(NULL) is a no-op.
 */
struct crm_keycache;
struct crm_keycache *crm_keycache_new(size_t max);
void crm_keycache_free(struct crm_keycache *kc);

/* crm_customer_resolve_cached: crm_customer_resolve through the cache. */
int crm_customer_resolve_cached(struct crm_db *db, struct crm_keycache *kc,
    const char *key, int64_t *id);

/* crm_customer_get: load customer id into a new struct. Returns 1 with *out
 * set (caller frees), 0 if there is none, -1 on error. */
int crm_customer_get(struct crm_db *db, int64_t id, struct crm_customer **out);

/*
 * crm_customer_match: id of the customer with c's ref, else c's email;
 * 1 with *id set, 0 if none, -1 on error. When the ref and the email belong
 * to two different customers it fails with CRM_EDATA ("ambiguous").
 */
int crm_customer_match(struct crm_db *db, const struct crm_customer *c,
    int64_t *id);

/*
 * crm_customer_create: insert c (values already normalised: see
 * crm_customer_normalise), set c->id, created_at, updated_at, and audit it.
 * A ref or email that exists already fails with CRM_EDATA naming the
 * customer who has it. Returns 0 or -1.
 */
int crm_customer_create(struct crm_db *db, struct crm_customer *c);

/*
 * crm_customer_merge: update customer id with the non-NULL fields of c
 * (an empty string clears a field; attrs is merged key by key with
 * json_patch semantics), bump updated_at and audit the old and new values.
 * *changed is set to 1 if anything changed (may be NULL).
 * A ref or email taken by another customer fails with CRM_EDATA.
 */
int crm_customer_merge(struct crm_db *db, int64_t id,
    const struct crm_customer *c, int *changed);

/*
 * crm_customer_normalise: check and normalise c in place: email lower-cased
 * and validated, phone normalised (default country crm_default_cc()),
 * attrs a JSON object, every field text that crm_text_check() accepts
 * (notes and attrs multiline). Empty strings become NULL. On failure
 * returns -1 with a message on db (CRM_EDATA) naming the field and, unless
 * the text was refused as such, the value.
 */
int crm_customer_normalise(struct crm_db *db, struct crm_customer *c);

/* crm_json_patch: the JSON object a patched with b (RFC 7396, as SQLite's
 * json_patch) in a new string the caller frees, or NULL on error. */
char *crm_json_patch(struct crm_db *db, const char *a, const char *b);

/* crm_tag_add: tag customer id (idempotent). Tags are trimmed, lower-case,
 * non-empty, without ','. Returns 0 or -1. */
int crm_tag_add(struct crm_db *db, int64_t id, const char *tag);

/* crm_tag_remove: remove tag (trimmed, lower-case, as crm_tag_add
 * stores it) from customer id and audit it ("tag.remove"); a tag the
 * customer does not have is no error. *removed (may be NULL) is set to 1
 * when it was there. Returns 0 or -1. */
int crm_tag_remove(struct crm_db *db, int64_t id, const char *tag,
    int *removed);

/* One entry of a customer's history (crm_customer_history); borrowed. */
struct crm_change {
	int64_t at;
	const char *user;
	const char *command;    /* the command line, or its program alone */
	const char *action;     /* customer.update, event.edit, tag.remove ... */
	int64_t event_id;       /* 0 for none */
	const char *detail;     /* JSON: old and new values, or NULL */
};

/*
 * crm_customer_history: call fn for each audit entry about customer id,
 * oldest first: what was created and changed, by whom, when, with which
 * command, with the old and new values. A non-zero return from fn stops
 * and is returned. Returns 0 when done, or -1.
 */
int crm_customer_history(struct crm_db *db, int64_t id,
    int (*fn)(const struct crm_change *c, void *arg), void *arg);

/* crm_tags: the customer's tags joined with ',' in a new string (caller
 * frees; "" when none), or NULL on error. */
char *crm_tags(struct crm_db *db, int64_t id);

/* The consent channels. */
extern const char *const crm_consent_channels[];

/*
 * crm_consent_set: record that customer id granted (1) or withdrew (0)
 * consent for channel (one of crm_consent_channels) at time at, from source
 * (e.g. "crm-add", a file name). History is kept; the latest record counts.
 * Returns 0 or -1 (CRM_EDATA for an unknown channel).
 */
int crm_consent_set(struct crm_db *db, int64_t id, const char *channel,
    int granted, int64_t at, const char *source);

/* crm_consents: the current consents as "newsletter=yes,post=no" in a new
 * string (caller frees; "" when none), or NULL on error. */
char *crm_consents(struct crm_db *db, int64_t id);

#endif
