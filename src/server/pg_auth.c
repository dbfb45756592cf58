/*
 * pg_auth: md5 password responses and the server side of SCRAM-SHA-256
 * (RFC 5802 / RFC 7677, no channel binding), with OpenSSL.
 *
 * SCRAM exchange:
 *   client-first  gs2-header ("n,," or "y,,") client-first-bare ("n=,r=CNONCE")
 *   server-first  "r=CNONCE SNONCE,s=BASE64(salt),i=ITERATIONS"
 *   client-final  "c=BASE64(gs2-header),r=NONCE,p=BASE64(ClientProof)"
 *   server-final  "v=BASE64(ServerSignature)"
 * SaltedPassword = PBKDF2-HMAC-SHA256(password, salt, i);
 * ClientKey = HMAC(SaltedPassword, "Client Key"); StoredKey = SHA256(ClientKey);
 * AuthMessage = client-first-bare "," server-first "," client-final-without-proof;
 * ClientProof = ClientKey XOR HMAC(StoredKey, AuthMessage);
 * ServerSignature = HMAC(HMAC(SaltedPassword, "Server Key"), AuthMessage).
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "server/pg_int.h"

int pg_b64_encode(const uint8_t *p, size_t n, char *out, size_t outsz)
{
	if (outsz < 4 * ((n + 2) / 3) + 1)
		return err_set(ERR_LIMIT, "base64 buffer too small");
	EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return ERR_OK;
}

int pg_b64_decode(const char *s, size_t n, uint8_t *out, size_t outsz)
{
	if (n % 4 != 0 || outsz < n / 4 * 3)
		return -1;
	int len = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n);
	if (len < 0)
		return -1;
	/* EVP_DecodeBlock counts padding as zero bytes */
	if (n >= 1 && s[n - 1] == '=')
		len--;
	if (n >= 2 && s[n - 2] == '=')
		len--;
	return len;
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[p[i] >> 4];
		out[2 * i + 1] = hx[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static int md5_of(const void *a, size_t an, const void *b, size_t bn, uint8_t out[16])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = c && EVP_DigestInit_ex(c, EVP_md5(), NULL) && EVP_DigestUpdate(c, a, an) &&
		 EVP_DigestUpdate(c, b, bn) && EVP_DigestFinal_ex(c, out, NULL);
	EVP_MD_CTX_free(c);
	return ok ? ERR_OK : err_set(ERR_INTERNAL, "md5 failed");
}

int pg_md5_response(const char *user, const char *pw, const uint8_t salt[4], char out[36])
{
	uint8_t d[16];
	char h[33];
	int rc = md5_of(pw, strlen(pw), user, strlen(user), d);
	if (rc)
		return rc;
	hex(d, 16, h);
	if ((rc = md5_of(h, 32, salt, 4, d)))
		return rc;
	memcpy(out, "md5", 3);
	hex(d, 16, out + 3);
	return ERR_OK;
}

static int hmac(const uint8_t *key, size_t kn, const void *msg, size_t mn, uint8_t out[32])
{
	unsigned int len = 32;
	return HMAC(EVP_sha256(), key, (int)kn, msg, mn, out, &len) ? ERR_OK
								     : err_set(ERR_INTERNAL, "hmac failed");
}

/* Value of attribute `a` ("r", "s", ...) in a comma-separated SCRAM message. */
static int attr(const char *msg, size_t n, char a, const char **v, size_t *vn)
{
	size_t i = 0;
	while (i < n) {
		size_t e = i;
		while (e < n && msg[e] != ',')
			e++;
		if (e - i >= 2 && msg[i] == a && msg[i + 1] == '=') {
			*v = msg + i + 2;
			*vn = e - i - 2;
			return 1;
		}
		i = e + 1;
	}
	return 0;
}

int pg_scram_first(struct pg_scram *s, const char *pw, const uint8_t *salt, size_t nsalt,
		   int iters, const char *server_nonce, const uint8_t *msg, size_t n)
{
	memset(s, 0, sizeof(*s));
	const char *m = (const char *)msg;
	/* gs2 header: cbind-flag "," [authzid] "," */
	if (n < 3 || (m[0] != 'n' && m[0] != 'y') || m[1] != ',')
		return err_set(ERR_PROTOCOL, "malformed SCRAM client-first message");
	const char *c2 = memchr(m + 2, ',', n - 2);
	if (!c2)
		return err_set(ERR_PROTOCOL, "malformed SCRAM client-first message");
	size_t gs2 = (size_t)(c2 - m) + 1;
	if (gs2 >= sizeof(s->gs2))
		return err_set(ERR_PROTOCOL, "SCRAM authzid not supported");
	memcpy(s->gs2, m, gs2);
	size_t bare = n - gs2;
	if (bare >= sizeof(s->client_first_bare))
		return err_set(ERR_PROTOCOL, "SCRAM client-first message too long");
	memcpy(s->client_first_bare, m + gs2, bare);
	const char *cn;
	size_t cnn;
	if (!attr(s->client_first_bare, bare, 'r', &cn, &cnn) || cnn == 0 ||
	    cnn + strlen(server_nonce) >= sizeof(s->nonce))
		return err_set(ERR_PROTOCOL, "SCRAM client nonce missing or too long");
	memcpy(s->nonce, cn, cnn);
	strcat(s->nonce, server_nonce);
	char salt64[64];
	int rc = pg_b64_encode(salt, nsalt, salt64, sizeof(salt64));
	if (rc)
		return rc;
	snprintf(s->server_first, sizeof(s->server_first), "r=%s,s=%s,i=%d", s->nonce, salt64,
		 iters);
	if (PKCS5_PBKDF2_HMAC(pw, (int)strlen(pw), salt, (int)nsalt, iters, EVP_sha256(), 32,
			      s->salted) != 1)
		return err_set(ERR_INTERNAL, "PBKDF2 failed");
	return ERR_OK;
}

int pg_scram_final(struct pg_scram *s, const uint8_t *msg, size_t n, char *out, size_t outsz)
{
	const char *m = (const char *)msg;
	const char *v;
	size_t vn;
	/* channel binding must echo the gs2 header */
	char gs2_64[32];
	if (pg_b64_encode((const uint8_t *)s->gs2, strlen(s->gs2), gs2_64, sizeof(gs2_64)) ||
	    !attr(m, n, 'c', &v, &vn) || vn != strlen(gs2_64) || memcmp(v, gs2_64, vn))
		return err_set(ERR_PROTOCOL, "SCRAM channel binding mismatch");
	if (!attr(m, n, 'r', &v, &vn) || vn != strlen(s->nonce) || memcmp(v, s->nonce, vn))
		return err_set(ERR_PROTOCOL, "SCRAM nonce mismatch");
	if (!attr(m, n, 'p', &v, &vn) || v - m < 3 || v[-3] != ',')
		return err_set(ERR_PROTOCOL, "SCRAM proof missing");
	uint8_t proof[64];
	int pn = pg_b64_decode(v, vn, proof, sizeof(proof));
	if (pn != 32)
		return err_set(ERR_BAD_INPUT, "SCRAM proof malformed");
	/* client-final-without-proof ends before ",p=" */
	size_t without = (size_t)(v - 3 - m);
	char auth[1600];
	int an = snprintf(auth, sizeof(auth), "%s,%s,%.*s", s->client_first_bare, s->server_first,
			  (int)without, m);
	if (an < 0 || (size_t)an >= sizeof(auth))
		return err_set(ERR_PROTOCOL, "SCRAM messages too long");
	uint8_t ckey[32], stored[32], csig[32], skey[32], ssig[32];
	int rc = hmac(s->salted, 32, "Client Key", 10, ckey);
	unsigned int sl = 32;
	if (!rc && !EVP_Digest(ckey, 32, stored, &sl, EVP_sha256(), NULL))
		rc = err_set(ERR_INTERNAL, "sha256 failed");
	if (!rc)
		rc = hmac(stored, 32, auth, (size_t)an, csig);
	if (rc)
		return rc;
	uint8_t want[32];
	for (int i = 0; i < 32; i++)
		want[i] = ckey[i] ^ csig[i];
	if (CRYPTO_memcmp(want, proof, 32) != 0)
		return err_set(ERR_BAD_INPUT, "SCRAM proof mismatch");
	if ((rc = hmac(s->salted, 32, "Server Key", 10, skey)) ||
	    (rc = hmac(skey, 32, auth, (size_t)an, ssig)))
		return rc;
	char sig64[64];
	if ((rc = pg_b64_encode(ssig, 32, sig64, sizeof(sig64))))
		return rc;
	if ((size_t)snprintf(out, outsz, "v=%s", sig64) >= outsz)
		return err_set(ERR_LIMIT, "buffer too small");
	return ERR_OK;
}
