/* test-util.c: crm_fmt_fixed of libcrm/util.c prints exactly what
 * snprintf's "%.*f" prints. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "tap.h"

/* same: crm_fmt_fixed and snprintf agree on v with d decimals. */
static int same(double v, int d)
{
	char a[CRM_FIXBUF], b[CRM_FIXBUF];

	crm_fmt_fixed(a, v, d);
	snprintf(b, sizeof(b), "%.*f", d, v);
	if (strcmp(a, b) != 0) {
		printf("#   %.17g with %d decimals: %s, snprintf %s\n", v, d, a, b);
		return 0;
	}
	return 1;
}

int main(void)
{
	static const double edge[] = { 0, -0.0, 0.5, 1.5, 2.5, 0.125, 0.375,
	    2.675, 1.005, 0.00005, 0.99995, 0.999995, 9.99995, 999999999.5,
	    1e9, 1e9 - 1, 1e12, 123456.789, -1, -0.00001, 1e-300, 5e-324,
	    INFINITY, -INFINITY, NAN };
	uint64_t seed = 88172645463325252u;
	size_t i, bad = 0, n = 0;
	int d;

	for (i = 0; i < sizeof(edge) / sizeof(edge[0]); i++)
		for (d = 0; d <= 6; d++, n++)
			bad += !same(edge[i], d);
	ok(bad == 0, "%zu edge values and decimals 0-6: as snprintf", n);
	/* random values of every scale, and values near ties */
	for (bad = 0, n = 0, i = 0; i < 300000; i++) {
		double u, v;

		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		u = (double)(seed >> 11) / 9007199254740992.0;
		d = (int)(seed % 7);
		switch (i % 3) {
		case 0:
			v = u * pow(10, (double)(seed % 12) - 3);
			break;
		case 1:         /* k + 1/2 units of the last digit, give or take */
			v = (floor(u * 1e6) + 0.5) / pow(10, d) +
			    (double)((int)(seed % 5) - 2) * 1e-12;
			break;
		default:        /* a few cents, a probability */
			v = floor(u * 1e6) / 100;
			break;
		}
		bad += !same(v, d);
		n++;
	}
	ok(bad == 0, "%zu random values: as snprintf", n);
	return done();
}
