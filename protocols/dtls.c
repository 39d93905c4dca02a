/* dtls.c: CoAP over DTLS 1.2 (RFC 6347, profiled for IoT by RFC 7925) over UDP, one CoAP
 * message per record per datagram (RFC 7252 §9). Ids dtls1.2-LIB-AUTH-CIPHER; dtls1.3-* ids
 * are listed as unavailable unless a library found at build time has DTLS 1.3 (RFC 9147).
 * Everything but the list of versions is shared with tls.c in tls_common.c. */
#include "tls_common.h"

static void dtls_enumerate(sb_emit_fn emit, void *arg);

const sb_family sb_family_dtls = {.name = "dtls", .enumerate = dtls_enumerate, SB_TLS_FAMILY_OPS};

static void dtls_enumerate(sb_emit_fn emit, void *arg)
{
    sb_tls_enumerate(&sb_family_dtls, "dtls1.2", emit, arg);
    sb_tls_enumerate(&sb_family_dtls, "dtls1.3", emit, arg);
}
