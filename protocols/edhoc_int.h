/* edhoc_int.h: encodings shared by edhoc.c and edhoc_cred.c (not a public interface). */
#ifndef SB_EDHOC_INT_H
#define SB_EDHOC_INT_H

#include "cbor.h"
#include "edhoc.h"

void sb_edhoc_put_cid(sb_cbor_w *w, const uint8_t *cid, size_t len);
int sb_edhoc_get_cid(sb_cbor_r *r, uint8_t *cid, size_t *len);
/* ID_CRED_x as a map (in MAC contexts and Sig_structure) and compact (in plaintexts). */
void sb_edhoc_put_id_cred(sb_cbor_w *w, const sb_edhoc_cred *c);
void sb_edhoc_put_id_cred_compact(sb_cbor_w *w, const sb_edhoc_cred *c);
int sb_edhoc_get_id_cred(sb_cbor_r *r, int *type, uint8_t id[8], size_t *id_len);
/* CRED_x as it enters transcript hashes and MAC contexts. */
void sb_edhoc_put_cred(sb_cbor_w *w, const sb_edhoc_cred *c);

#endif
