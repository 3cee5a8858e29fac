/* sha256.h: SHA-256 (FIPS 180-4), for the checksums crm-import records of
 * the files it imports. */
#ifndef CRM_SHA256_H
#define CRM_SHA256_H

#include <stddef.h>
#include <stdint.h>

/* The hashing state; zero it with crm_sha256_init() before use. */
struct crm_sha256 {
	uint32_t h[8];
	uint64_t len;           /* bytes hashed so far */
	unsigned char buf[64];
	size_t nbuf;
};

/* crm_sha256_init: start a new hash. */
void crm_sha256_init(struct crm_sha256 *s);

/* crm_sha256_add: hash n more bytes of p. */
void crm_sha256_add(struct crm_sha256 *s, const void *p, size_t n);

/* crm_sha256_hex: the digest of what was added, as 64 lower-case hex digits
 * and a NUL into hex. s is finished: init it again before reuse. */
void crm_sha256_hex(struct crm_sha256 *s, char hex[65]);

#endif
