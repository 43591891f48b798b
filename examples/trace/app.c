/* SPDX-License-Identifier: Apache-2.0 */
/*
 * app.c: an ordinary program to trace: work() takes a time that grows with its argument, and
 * is_allowed() answers no to uid 1000. Nothing in it knows about userbpf.
 * Output: "sum N" and "access denied" (exit 3) or "access granted" (exit 0).
 */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) long work(long n)
{
	volatile long acc = 0;

	for (long i = 0; i < n * 1000; i++)
		acc += i ^ n;
	return acc & 0xff;
}

__attribute__((noinline)) int is_allowed(int uid)
{
	static const int admins[] = { 0, 4242 };

	for (unsigned i = 0; i < sizeof(admins) / sizeof(admins[0]); i++)
		if (admins[i] == uid && getenv("APP_ADMINS_WELCOME"))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	long calls = argc > 1 ? atol(argv[1]) : 200, sum = 0;

	for (long i = 0; i < calls; i++)
		sum += work(i % 64);
	printf("sum %ld\n", sum);
	if (is_allowed(1000)) {
		printf("access granted\n");
		return 0;
	}
	printf("access denied\n");
	return 3;
}
