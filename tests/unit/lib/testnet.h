/*
 * tests/unit/lib/testnet.h - loopback TCP helpers for socket tests.
 *
 * Listeners bind 127.0.0.1 with a port the kernel chooses, so tests never
 * collide on fixed ports. Every wait is bounded.
 */
#ifndef TESTS_UNIT_LIB_TESTNET_H
#define TESTS_UNIT_LIB_TESTNET_H

/* Listening socket on 127.0.0.1; *port_out gets its port. fd or -1. */
int testnet_listen(int *port_out);
/* Blocking connection to 127.0.0.1:port. fd or -1. */
int testnet_connect(int port);
/* Accept one connection within timeout_ms. fd or -1. */
int testnet_accept(int lfd, int timeout_ms);

#endif
