/* find.h: finding customers by what people remember of them: words of
 * their names however spelled, the last digits of a phone number, the
 * start of an email address or a ref. */
#ifndef CRM_FIND_H
#define CRM_FIND_H

#include <stddef.h>
#include <stdint.h>

struct crm_db;

/*
 * crm_find: the customers (never erased ones) matching every word of the
 * texts args[0..nargs-1], best first. The texts are split into words at
 * white space; adjacent words of only digits and + / - ( ) . are one
 * phone number ("030 1234567"). A word matches a customer when
 *  - its folded words (crm_fold_each: case, accents, ae/oe/ue, ß/ss) are
 *    each the start of a folded word of the first or last name, company
 *    or city ("mü", "Mueller", "MULLER" find Müller; "Weiss" Weiß), or
 *  - it has at least 4 digits and only phone characters, and the
 *    customer's phone number ends with it (normalised first as
 *    crm_parse_phone does: "030/1234567" is +49301234567), or
 *  - lower-cased it is the start of the email address, or, starting with
 *    '@', part of its domain ("@example.de"), or
 *  - it is the start of the ref (as typed or in capitals).
 * Rank: a whole word ranks above the start of one; a ref, an email or a
 * whole phone number above a name; a last name above a first name above a
 * company above a city; the spelling as typed above another; then by
 * name and id.
 * Returns 0 with *ids (caller frees; NULL when *n is 0) and *n set, or -1:
 * CRM_EDATA for text that is not UTF-8 or has no word. At most limit
 * customers when limit > 0.
 */
int crm_find(struct crm_db *db, char *const *args, size_t nargs,
    size_t limit, int64_t **ids, size_t *n);

/*
 * crm_find_phone: the customer whose phone number is text (normalised as
 * crm_parse_phone does). 1 with *id set; 0 when text is no phone number
 * or nobody has it (CRM_ENOUSER), or when several have it (CRM_EDATA,
 * saying so); -1 on error.
 */
int crm_find_phone(struct crm_db *db, const char *text, int64_t *id);

#endif
