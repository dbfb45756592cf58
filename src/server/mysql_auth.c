/*
 * mysql_auth: password scrambles of mysql_native_password and
 * caching_sha2_password, and the RSA key of caching_sha2 full
 * authentication over a connection without TLS (OpenSSL).
 *
 * Full authentication: the client asks for the key (one byte 0x02), the
 * server answers 0x01 + the PEM SubjectPublicKeyInfo, the client sends
 * RSA-OAEP(password || NUL, XOR-masked with the 20-byte salt repeated).
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "server/mysql_int.h"

static int digest(const EVP_MD *md, const void *a, size_t an, const void *b, size_t bn,
		  uint8_t *out)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = c && EVP_DigestInit_ex(c, md, NULL) &&
		 EVP_DigestUpdate(c, a, an) && (bn == 0 || EVP_DigestUpdate(c, b, bn)) &&
		 EVP_DigestFinal_ex(c, out, NULL);
	EVP_MD_CTX_free(c);
	return ok ? ERR_OK : err_set(ERR_INTERNAL, "digest failed");
}

int my_native_token(const uint8_t salt[20], const char *pw, uint8_t out[20])
{
	uint8_t h1[20], h2[20], h3[20];
	int rc = digest(EVP_sha1(), pw, strlen(pw), NULL, 0, h1);
	if (!rc)
		rc = digest(EVP_sha1(), h1, 20, NULL, 0, h2);
	if (!rc)
		rc = digest(EVP_sha1(), salt, 20, h2, 20, h3);
	for (int i = 0; i < 20 && !rc; i++)
		out[i] = h1[i] ^ h3[i];
	return rc;
}

int my_sha2_token(const uint8_t salt[20], const char *pw, uint8_t out[32])
{
	uint8_t h1[32], h2[32], h3[32];
	int rc = digest(EVP_sha256(), pw, strlen(pw), NULL, 0, h1);
	if (!rc)
		rc = digest(EVP_sha256(), h1, 32, NULL, 0, h2);
	if (!rc)
		rc = digest(EVP_sha256(), h2, 32, salt, 20, h3);
	for (int i = 0; i < 32 && !rc; i++)
		out[i] = h1[i] ^ h3[i];
	return rc;
}

bool my_native_check(const uint8_t salt[20], const char *pw, const uint8_t *tok, size_t n)
{
	if (!*pw)
		return n == 0;
	uint8_t want[20];
	if (n != 20 || my_native_token(salt, pw, want))
		return false;
	return CRYPTO_memcmp(want, tok, 20) == 0;
}

bool my_sha2_check(const uint8_t salt[20], const char *pw, const uint8_t *tok, size_t n)
{
	if (!*pw)
		return n == 0 || (n == 1 && tok[0] == 0);
	uint8_t want[32];
	if (n != 32 || my_sha2_token(salt, pw, want))
		return false;
	return CRYPTO_memcmp(want, tok, 32) == 0;
}

struct my_rsa {
	EVP_PKEY *key;
	char *pem;
	size_t pem_len;
};

int my_rsa_create(struct my_rsa **out)
{
	*out = NULL;
	struct my_rsa *k = mem_calloc(1, sizeof(*k));
	if (!k)
		return ERR_NOMEM;
	int rc = err_set(ERR_INTERNAL, "cannot create the RSA key for caching_sha2_password");
	k->key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (!k->key)
		goto fail;
	BIO *bio = BIO_new(BIO_s_mem());
	if (!bio)
		goto fail;
	if (PEM_write_bio_PUBKEY(bio, k->key) == 1) {
		char *p;
		long n = BIO_get_mem_data(bio, &p);
		if (n > 0 && (k->pem = mem_strndup(p, (size_t)n)))
			k->pem_len = (size_t)n;
	}
	BIO_free(bio);
	if (!k->pem)
		goto fail;
	*out = k;
	return err_set(ERR_OK, NULL);
fail:
	my_rsa_free(k);
	return rc;
}

void my_rsa_free(struct my_rsa *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->key);
	mem_free(k->pem);
	mem_free(k);
}

const char *my_rsa_pem(const struct my_rsa *k, size_t *n)
{
	*n = k->pem_len;
	return k->pem;
}

size_t my_rsa_size(const struct my_rsa *k) { return (size_t)EVP_PKEY_get_size(k->key); }

int my_rsa_password(const struct my_rsa *k, const uint8_t salt[20], const uint8_t *in, size_t n,
		    char *out, size_t outsz)
{
	int rc = err_set(ERR_PROTOCOL, "cannot decrypt the password");
	uint8_t plain[1024];
	size_t pn = sizeof(plain);
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(k->key, NULL);
	if (!c || n != my_rsa_size(k) || EVP_PKEY_decrypt_init(c) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_OAEP_PADDING) <= 0 ||
	    EVP_PKEY_decrypt(c, plain, &pn, in, n) <= 0)
		goto out;
	for (size_t i = 0; i < pn; i++)
		plain[i] ^= salt[i % 20];
	if (pn == 0 || plain[pn - 1] != 0 || pn > outsz)
		goto out;
	memcpy(out, plain, pn); /* includes the NUL */
	rc = err_set(ERR_OK, NULL);
out:
	OPENSSL_cleanse(plain, sizeof(plain));
	EVP_PKEY_CTX_free(c);
	return rc;
}
