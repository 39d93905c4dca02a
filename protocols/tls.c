/* tls.c: CoAP over TLS 1.2 (RFC 5246) and TLS 1.3 (RFC 8446) over TCP, with CoAP's TCP
 * framing (RFC 8323 §3). Ids tls1.2-LIB-AUTH-CIPHER and tls1.3-LIB-AUTH-CIPHER; everything
 * but the list of versions is shared with dtls.c in tls_common.c. */
#include "tls_common.h"

static void tls_enumerate(sb_emit_fn emit, void *arg);

const sb_family sb_family_tls = {.name = "tls", .enumerate = tls_enumerate, SB_TLS_FAMILY_OPS};

static void tls_enumerate(sb_emit_fn emit, void *arg)
{
    sb_tls_enumerate(&sb_family_tls, "tls1.2", emit, arg);
    sb_tls_enumerate(&sb_family_tls, "tls1.3", emit, arg);
}
