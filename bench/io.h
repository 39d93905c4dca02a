/* io.h: the harness's end of one connection, handed to a stack.
 * Contract: the harness owns the socket (created, connected, closed by bench/role.c); a stack
 * only calls sb_io_send / sb_io_recv. Every byte sent is stamped with the io's current phase
 * (a "mark"): datagrams by content hash, stream bytes by offset, so the capture can be
 * classified by what the endpoints say they sent, never by a time cut. Stacks set the phase
 * with sb_io_set_phase (handshake until their handshake and post-handshake messages are out)
 * and report failures with sb_io_fail, whose first message becomes the row's `error`. */
#ifndef SB_IO_H
#define SB_IO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

typedef enum { SB_PHASE_HANDSHAKE = 0, SB_PHASE_APP = 1, SB_PHASE_TEARDOWN = 2 } sb_phase;
typedef enum { SB_TRANSPORT_UDP = 0, SB_TRANSPORT_TCP = 1 } sb_transport;

typedef struct sb_mark {
    uint64_t key; /* UDP: sb_fnv64 of the datagram; TCP: stream offset of the first byte */
    uint32_t len;
    uint8_t phase;
} sb_mark;

/* Datagrams from other peers that arrived while a UDP server was busy with one session: kept
 * for the next session instead of being dropped (a resumed handshake may start before the
 * previous session's close is processed). Owned by the server, shared by its sessions. */
#define SB_STASH_MAX 16
typedef struct sb_dgram_stash {
    size_t n;
    struct {
        struct sockaddr_storage from;
        socklen_t fromlen;
        size_t len;
        uint8_t data[2048];
    } q[SB_STASH_MAX];
} sb_dgram_stash;

typedef struct sb_io sb_io;
/* A layer that must rewrite what an inner layer sends (EDHOC + OSCORE combined, RFC 9668)
 * installs a transmit hook; the hook sends with sb_io_send_direct. */
typedef int (*sb_io_tx_hook)(void *arg, sb_io *io, const uint8_t *buf, size_t len);

struct sb_io {
    int fd;     /* connected socket, owned by the harness */
    int ctl_fd; /* -1, or a descriptor whose readability means "stop now" */
    sb_transport transport;
    sb_phase phase;
    uint64_t tx_bytes, rx_bytes; /* transport payload counted at the socket */
    uint64_t tx_packets, rx_packets; /* datagrams (UDP) or send/recv calls (TCP) */
    unsigned retransmits; /* security-layer retransmissions (e.g. DTLS flights) */
    sb_mark *marks;
    size_t nmarks, capmarks;
    char err[256]; /* first failure reason */
    /* UDP server: the socket stays unconnected; this session talks to `peer` only. */
    struct sockaddr_storage peer;
    socklen_t peerlen; /* 0: connected socket (send/recv) */
    sb_dgram_stash *stash;
    /* UDP server between exchanges: a datagram from another peer ends this session
     * (SB_ECLOSED), so a standalone server serves its clients one after another. */
    int yield_to_new_peer;
    sb_io_tx_hook tx_hook; /* NULL: none */
    void *tx_hook_arg;
    uint8_t *unread; /* a datagram handed back with sb_io_unread, returned by the next recv */
    size_t unread_len;
};

void sb_io_init(sb_io *io, int fd, sb_transport t, int ctl_fd);
void sb_io_release(sb_io *io); /* frees the marks, not the socket */
/* UDP server: talk to one peer over an unconnected socket, with a stash for the others. */
void sb_io_set_peer(sb_io *io, const struct sockaddr_storage *peer, socklen_t len,
                    sb_dgram_stash *stash);
/* UDP server: wait for the first datagram of a new peer (from the stash or the socket); it
 * stays stashed for the session to read. SB_ETIMEOUT / SB_ESTOP as for recv. */
int sb_io_accept_dgram(int fd, int ctl_fd, sb_dgram_stash *stash, struct sockaddr_storage *peer,
                       socklen_t *len, int64_t deadline_ns);

/* UDP: one datagram. TCP: all of buf (loops over partial writes). Through the tx hook if one
 * is installed; sb_io_send_direct never is. */
int sb_io_send(sb_io *io, const uint8_t *buf, size_t len);
int sb_io_send_direct(sb_io *io, const uint8_t *buf, size_t len);
/* UDP: hand a datagram back (possibly rewritten) so the next sb_io_recv returns it, for a
 * layer that read a message meant for the layer above it. Not counted twice. */
int sb_io_unread(sb_io *io, const uint8_t *buf, size_t len);
/* UDP: one datagram (truncated datagrams are an error). TCP: 1..cap bytes available now.
 * SB_ETIMEOUT at the deadline, SB_ECLOSED on EOF, SB_ESTOP when ctl_fd became readable. */
int sb_io_recv(sb_io *io, uint8_t *buf, size_t cap, size_t *got, int64_t deadline_ns);
void sb_io_set_phase(sb_io *io, sb_phase p);
/* Record why the connection failed (kept if none recorded yet); returns err. */
int sb_io_fail(sb_io *io, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
