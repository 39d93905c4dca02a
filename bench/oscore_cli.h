/* oscore_cli.h: `secbench oscore protect|unprotect|speed ...`, OSCORE (RFC 8613) on single
 * messages given in hex, for checking vectors by hand. Exit status: 0 ok, 1 the message was
 * rejected (authentication, malformed, unknown kid), 2 bad usage. */
#ifndef SB_OSCORE_CLI_H
#define SB_OSCORE_CLI_H

int sb_oscore_cli(int argc, char **argv); /* argv[0] is "oscore" */
int sb_oscore_speed(int argc, char **argv); /* bench/oscore_speed.c; argv[0] is "speed" */

#endif
