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
    if (io->nmarks == io->capmarks) {
        size_t cap = io->capmarks ? io->capmarks * 2 : 32;
        sb_mark *m = realloc(io->marks, cap * sizeof *m);
        if (!m) return; /* the row then shows these bytes as unclassified */
        io->marks = m;
        io->capmarks = cap;
    }
    io->marks[io->nmarks++] = (sb_mark){.key = key, .len = (uint32_t)len, .phase = (uint8_t)io->phase};
}

int sb_io_send(sb_io *io, const uint8_t *buf, size_t len)
{
    if (io->transport == SB_TRANSPORT_UDP) {
        ssize_t n = send(io->fd, buf, len, 0);
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
    for (;;) {
        struct pollfd p[2] = {{.fd = io->fd, .events = POLLIN}, {.fd = io->ctl_fd, .events = POLLIN}};
        int r = poll(p, io->ctl_fd >= 0 ? 2 : 1, sb_ms_left(deadline_ns));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return sb_io_fail(io, SB_EIO, "poll: %s", strerror(errno));
        if (r == 0) return SB_ETIMEOUT;
        if (io->ctl_fd >= 0 && (p[1].revents & (POLLIN | POLLHUP))) return SB_ESTOP;
        ssize_t n = recv(io->fd, buf, cap, io->transport == SB_TRANSPORT_UDP ? MSG_TRUNC : 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (n < 0 && errno == ECONNREFUSED)
            return sb_io_fail(io, SB_ECLOSED, "peer unreachable: connection refused (ICMP)");
        if (n < 0) return sb_io_fail(io, SB_EIO, "recv: %s", strerror(errno));
        if (n == 0 && io->transport == SB_TRANSPORT_TCP) return SB_ECLOSED;
        if ((size_t)n > cap) return sb_io_fail(io, SB_ESPACE, "datagram of %zd bytes truncated", n);
        io->rx_packets++;
        io->rx_bytes += (size_t)n;
        *got = (size_t)n;
        return SB_OK;
    }
}
