#include "io.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "util.h"

void sb_io_init(sb_io *io, int fd, sb_transport t, int ctl_fd)
{
    memset(io, 0, sizeof *io);
    io->fd = fd;
    io->ctl_fd = ctl_fd;
    io->transport = t;
    io->phase = SB_PHASE_HANDSHAKE;
}

void sb_io_release(sb_io *io)
{
    free(io->unread);
    io->unread = NULL;
    io->unread_len = 0;
    free(io->marks);
    io->marks = NULL;
    io->nmarks = io->capmarks = 0;
}

void sb_io_set_phase(sb_io *io, sb_phase p)
{
    io->phase = p;
}

int sb_io_fail(sb_io *io, int err, const char *fmt, ...)
{
    if (!io->err[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(io->err, sizeof io->err, fmt, ap);
        va_end(ap);
    }
    return err;
}

static void add_mark(sb_io *io, uint64_t key, size_t len)
{
    if (io->nmarks && io->transport == SB_TRANSPORT_TCP) {
        sb_mark *last = &io->marks[io->nmarks - 1];
        if (last->phase == io->phase && last->key + last->len == key) {
            last->len += (uint32_t)len; /* contiguous bytes of one phase: one mark */
            return;
        }
    }
    if (sb_grow(&io->marks, &io->capmarks, io->nmarks, sizeof *io->marks, 32))
        return; /* the row then shows these bytes as unclassified */
    io->marks[io->nmarks++] = (sb_mark){.key = key, .len = (uint32_t)len, .phase = (uint8_t)io->phase};
}

void sb_io_set_peer(sb_io *io, const struct sockaddr_storage *peer, socklen_t len,
                    sb_dgram_stash *stash)
{
    io->peer = *peer;
    io->peerlen = len;
    io->stash = stash;
}

static int same_addr(const struct sockaddr_storage *a, socklen_t al,
                     const struct sockaddr_storage *b, socklen_t bl)
{
    return al == bl && memcmp(a, b, al) == 0;
}

/* Take the oldest stashed datagram from `peer` (any peer if peer is NULL). */
static int stash_take(sb_dgram_stash *st, const struct sockaddr_storage *peer, socklen_t plen,
                      uint8_t *buf, size_t cap, size_t *got)
{
    for (size_t i = 0; st && i < st->n; i++) {
        if (peer && !same_addr(&st->q[i].from, st->q[i].fromlen, peer, plen)) continue;
        size_t n = st->q[i].len < cap ? st->q[i].len : cap;
        memcpy(buf, st->q[i].data, n);
        *got = st->q[i].len;
        memmove(&st->q[i], &st->q[i + 1], (st->n - i - 1) * sizeof st->q[0]);
        st->n--;
        return 1;
    }
    return 0;
}

static void stash_put(sb_dgram_stash *st, const struct sockaddr_storage *from, socklen_t fl,
                      const uint8_t *buf, size_t len)
{
    if (!st || st->n == SB_STASH_MAX || len > sizeof st->q[0].data) return; /* dropped, as the
                                                                            network might */
    st->q[st->n].from = *from;
    st->q[st->n].fromlen = fl;
    st->q[st->n].len = len;
    memcpy(st->q[st->n].data, buf, len);
    st->n++;
}

static int wait_readable(int fd, int ctl_fd, int64_t deadline_ns)
{
    for (;;) {
        struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = ctl_fd, .events = POLLIN}};
        int r = poll(p, ctl_fd >= 0 ? 2 : 1, sb_ms_left(deadline_ns));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return SB_EIO;
        if (r == 0) return SB_ETIMEOUT;
        if (ctl_fd >= 0 && (p[1].revents & (POLLIN | POLLHUP))) return SB_ESTOP;
        return SB_OK;
    }
}

int sb_io_accept_dgram(int fd, int ctl_fd, sb_dgram_stash *stash, struct sockaddr_storage *peer,
                       socklen_t *len, int64_t deadline_ns)
{
    if (stash->n) {
        *peer = stash->q[0].from;
        *len = stash->q[0].fromlen;
        return SB_OK;
    }
    uint8_t buf[2048];
    for (;;) {
        int rc = wait_readable(fd, ctl_fd, deadline_ns);
        if (rc) return rc;
        struct sockaddr_storage from;
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
        if (n < 0) continue;
        stash_put(stash, &from, fl, buf, (size_t)n);
        *peer = from;
        *len = fl;
        return SB_OK;
    }
}

int sb_io_send(sb_io *io, const uint8_t *buf, size_t len)
{
    return io->tx_hook ? io->tx_hook(io->tx_hook_arg, io, buf, len)
                       : sb_io_send_direct(io, buf, len);
}

int sb_io_unread(sb_io *io, const uint8_t *buf, size_t len)
{
    if (io->transport != SB_TRANSPORT_UDP || io->unread) return SB_EINVAL;
    io->unread = malloc(len ? len : 1);
    if (!io->unread) return SB_ENOMEM;
    memcpy(io->unread, buf, len);
    io->unread_len = len;
    io->rx_packets--; /* it was counted when first read */
    io->rx_bytes -= len;
    return SB_OK;
}

int sb_io_send_direct(sb_io *io, const uint8_t *buf, size_t len)
{
    if (io->transport == SB_TRANSPORT_UDP) {
        ssize_t n = io->peerlen ? sendto(io->fd, buf, len, 0, (struct sockaddr *)&io->peer,
                                         io->peerlen)
                                : send(io->fd, buf, len, 0);
        if (n != (ssize_t)len)
            return sb_io_fail(io, SB_EIO, "send: %s", n < 0 ? strerror(errno) : "short datagram");
        add_mark(io, sb_fnv64(buf, len), len);
        io->tx_packets++;
        io->tx_bytes += len;
        return SB_OK;
    }
    size_t done = 0;
    while (done < len) {
        ssize_t n = send(io->fd, buf + done, len - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return sb_io_fail(io, errno == EPIPE ? SB_ECLOSED : SB_EIO, "send: %s",
                                     strerror(errno));
        add_mark(io, io->tx_bytes + done, (size_t)n);
        done += (size_t)n;
    }
    io->tx_packets++;
    io->tx_bytes += len;
    return SB_OK;
}

int sb_io_recv(sb_io *io, uint8_t *buf, size_t cap, size_t *got, int64_t deadline_ns)
{
    if (io->unread) {
        size_t n = io->unread_len;
        if (n > cap) return sb_io_fail(io, SB_ESPACE, "datagram of %zu bytes truncated", n);
        memcpy(buf, io->unread, n);
        free(io->unread);
        io->unread = NULL;
        io->rx_packets++;
        io->rx_bytes += n;
        *got = n;
        return SB_OK;
    }
    for (;;) {
        size_t n;
        if (io->peerlen && stash_take(io->stash, &io->peer, io->peerlen, buf, cap, &n)) {
            if (n > cap) return sb_io_fail(io, SB_ESPACE, "datagram of %zu bytes truncated", n);
            io->rx_packets++;
            io->rx_bytes += n;
            *got = n;
            return SB_OK;
        }
        if (io->yield_to_new_peer && io->stash && io->stash->n) return SB_ECLOSED;
        int rc = wait_readable(io->fd, io->ctl_fd, deadline_ns);
        if (rc == SB_EIO) return sb_io_fail(io, SB_EIO, "poll: %s", strerror(errno));
        if (rc) return rc;
        struct sockaddr_storage from;
        socklen_t fl = sizeof from;
        ssize_t r = recvfrom(io->fd, buf, cap,
                             MSG_DONTWAIT | (io->transport == SB_TRANSPORT_UDP ? MSG_TRUNC : 0),
                             (struct sockaddr *)&from, &fl);
        if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (r < 0 && errno == ECONNREFUSED)
            return sb_io_fail(io, SB_ECLOSED, "peer unreachable: connection refused (ICMP)");
        if (r < 0 && errno == ECONNRESET) return SB_ECLOSED;
        if (r < 0) return sb_io_fail(io, SB_EIO, "recv: %s", strerror(errno));
        if (r == 0 && io->transport == SB_TRANSPORT_TCP) return SB_ECLOSED;
        if (io->peerlen && !same_addr(&from, fl, &io->peer, io->peerlen)) {
            stash_put(io->stash, &from, fl, buf, (size_t)r < cap ? (size_t)r : cap);
            if (io->yield_to_new_peer) return SB_ECLOSED;
            continue;
        }
        if ((size_t)r > cap) return sb_io_fail(io, SB_ESPACE, "datagram of %zd bytes truncated", r);
        io->rx_packets++;
        io->rx_bytes += (size_t)r;
        *got = (size_t)r;
        return SB_OK;
    }
}
