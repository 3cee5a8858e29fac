/* forgotten.h: the marks of forgotten people: keyed hashes (HMAC-SHA256
 * under a random key kept in the database's meta table) of the ref, email
 * and phone of a customer erased with crm-forget, so that the person is
 * recognised when someone adds them again. */
#ifndef CRM_FORGOTTEN_H
#define CRM_FORGOTTEN_H

struct crm_db;

/*
 * crm_forgotten_remember: keep the marks of ref, email and phone (each
 * normalised as stored, or NULL) of a person being forgotten, in the
 * caller's transaction. The key is made on first use. Returns 0 or -1.
 */
int crm_forgotten_remember(struct crm_db *db, const char *ref,
    const char *email, const char *phone);

/*
 * crm_forgotten_check: fail with CRM_EDATA if ref, email or phone
 * (normalised, or NULL) belongs to a forgotten person, saying when they
 * were forgotten. If the handle allows it (crm_db_allow_forgotten), the
 * marks for those values are removed instead and 0 returned: the person
 * came back. Called by crm_customer_create, crm_customer_merge and
 * crm-import before they store a customer. Returns 0 or -1.
 */
int crm_forgotten_check(struct crm_db *db, const char *ref,
    const char *email, const char *phone);

/* crm_db_allow_forgotten: let forgotten people be added again (the
 * --allow-forgotten option). */
void crm_db_allow_forgotten(struct crm_db *db, int allow);

#endif
