/* test-sha256.c: SHA-256 against FIPS 180-4 vectors, HMAC-SHA256 against
 * RFC 4231, and incremental hashing in odd pieces. */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "sha256.h"

static const char *hex_of(const char *msg, size_t n)
{
	static char hex[65];
	unsigned char d[32];
	struct crm_sha256 s;

	crm_sha256_init(&s);
	crm_sha256_update(&s, msg, n);
	crm_sha256_final(&s, d);
	crm_sha256_hex(d, hex);
	return hex;
}

int main(void)
{
	static char million[1000000];
	unsigned char d[32], key[131];
	char hex[65];
	struct crm_sha256 s;
	size_t i;

	is_str(hex_of("", 0),
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "empty message");
	is_str(hex_of("abc", 3),
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	    "abc");
	is_str(hex_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56),
	    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
	    "two blocks, 56 bytes");
	memset(million, 'a', sizeof(million));
	is_str(hex_of(million, sizeof(million)),
	    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
	    "a million a");
	crm_sha256_init(&s);
	for (i = 0; i < sizeof(million); i += 997)
		crm_sha256_update(&s, million + i,
		    sizeof(million) - i < 997 ? sizeof(million) - i : 997);
	crm_sha256_final(&s, d);
	crm_sha256_hex(d, hex);
	is_str(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
	    "a million a in pieces of 997");

	/* RFC 4231 test cases 1, 2 and 6 */
	memset(key, 0x0b, 20);
	crm_hmac_sha256(key, 20, "Hi There", 8, d);
	crm_sha256_hex(d, hex);
	is_str(hex, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
	    "HMAC RFC 4231 case 1");
	crm_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, d);
	crm_sha256_hex(d, hex);
	is_str(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
	    "HMAC RFC 4231 case 2");
	memset(key, 0xaa, sizeof(key));
	crm_hmac_sha256(key, sizeof(key),
	    "Test Using Larger Than Block-Size Key - Hash Key First", 54, d);
	crm_sha256_hex(d, hex);
	is_str(hex, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
	    "HMAC RFC 4231 case 6 (key longer than a block)");
	return done();
}
