/* sha256.h: SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), for file
 * checksums and the keyed hashes that remember forgotten customers. */
#ifndef CRM_SHA256_H
#define CRM_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct crm_sha256 {
	uint32_t h[8];
	uint64_t len;           /* bytes hashed so far */
	unsigned char buf[64];
	size_t nbuf;
};

/* Incremental use: init, update as often as needed, final (32 bytes). */
void crm_sha256_init(struct crm_sha256 *s);
void crm_sha256_update(struct crm_sha256 *s, const void *p, size_t n);
void crm_sha256_final(struct crm_sha256 *s, unsigned char out[32]);

/* crm_sha256_hex: 64 lower-case hex digits and a NUL into hex[65]. */
void crm_sha256_hex(const unsigned char d[32], char hex[65]);

/* crm_hmac_sha256: HMAC-SHA256 of msg under key, into out[32]. */
void crm_hmac_sha256(const void *key, size_t keylen, const void *msg,
    size_t msglen, unsigned char out[32]);

#endif
