/* Encrypted containers (format v2): libimage's writer and reader (libcrypto) against the
 * bootloader's own AES, CTR and CMAC (target/bootloader/core), tampering of every bit, the
 * ciphertext against every 16-byte window of the plaintext, key files, and the CLI
 * (keygen, pack --key, info --key). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "aes.h"
#include "cmac.h"
#include "f0boot/image.h"
#include "f0boot/le.h"
#include <zlib.h>

static uint32_t f0b_crc32_for_test(const uint8_t *p, unsigned n)
{
    return (uint32_t)crc32(0L, p, n);
}

static const uint8_t KEY[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                                0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
static const uint8_t NONCE[8] = {1, 2, 3, 4, 5, 6, 7, 8};

static uint8_t *readall(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *b = NULL;
    long n;
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    rewind(f);
    b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = 0;
    fclose(f);
    if (len)
        *len = (size_t)n;
    return b;
}

/* The plain container of tests/data's app.elf and its encryption under KEY/NONCE. */
struct pair {
    uint8_t *plain, *enc;
    size_t plen, elen;
};

static void make_pair(struct pair *p)
{
    struct f0b_image img;
    struct f0b_lint lint;
    struct f0b_pack_opts o = {0};
    struct f0b_img_error err;
    size_t n;
    uint8_t *elf = readall(DATA_DIR "/app.elf", &n);

    f0b_image_init(&img);
    assert_int_equal(f0b_image_read(elf, n, 0, 0, &img, &err), 0);
    o.part = f0b_part_by_name("stm32f030xc");
    f0b_lint_run(&img, o.part, &lint);
    o.vt_len = lint.vt_len;
    o.version = (struct f0b_version){1, 2, 3, 4};
    assert_int_equal(f0b_container_build(&img, &o, &p->plain, &p->plen, NULL, &err), 0);
    assert_int_equal(f0b_container_encrypt(p->plain, p->plen, KEY, NONCE, &p->enc, &p->elen, NULL,
                                           &err),
                     0);
    f0b_image_free(&img);
    free(elf);
}

static void free_pair(struct pair *p)
{
    free(p->plain);
    free(p->enc);
}

/* Structure, MACs and decryption round trip. */
static void t_roundtrip(void **state)
{
    struct pair p;
    struct f0b_img_hdr h;
    struct f0b_container_check chk;
    struct f0b_img_error err;
    uint8_t *dec = NULL;
    (void)state;
    make_pair(&p);
    assert_int_equal(p.elen, p.plen + 16);
    assert_int_equal(f0b_container_verify(p.enc, p.elen, &h, &chk, &err), 0);
    assert_true(chk.encrypted);
    assert_int_equal(h.hdr_version, 2);
    assert_memory_equal(h.nonce, NONCE, 8);
    assert_string_equal(h.part_name, "");
    assert_int_equal(f0b_container_decrypt(p.enc, p.elen, KEY, &dec, &chk, &err), 0);
    assert_true(chk.mac_checked && chk.hdr_mac_ok && chk.tag_ok && chk.payload_crc_ok);
    assert_memory_equal(dec, p.plain + 64, p.plen - 64);
    /* Everything but version, payload_crc, nonce/hdr_mac and hdr_crc is the plain header. */
    assert_memory_equal(p.enc + 8, p.plain + 8, 12);
    assert_memory_equal(p.enc + 24, p.plain + 24, 12);
    assert_memory_equal(p.enc + 52, p.plain + 52, 8);
    free(dec);
    free_pair(&p);
}

/* The bootloader's own AES/CTR/CMAC read the host's container the same way: hdr_mac, the
 * tag, the encrypted payload CRC and the payload. */
static void t_firmware_agrees(void **state)
{
    struct pair p;
    struct f0b_aes a = {0};
    struct f0b_cmac c;
    uint8_t tag[16], ctr0[16] = {0}, crcb[4];
    (void)state;
    make_pair(&p);
    f0b_aes_init(&a, KEY);
    f0b_cmac_init(&c, &a);
    f0b_cmac_update(&c, p.enc, 44);
    f0b_cmac_update(&c, p.enc + 52, 8);
    f0b_cmac_final(&c, tag);
    assert_memory_equal(tag, p.enc + 44, 8);
    f0b_cmac_init(&c, &a);
    f0b_cmac_update(&c, p.enc, (uint32_t)p.elen - 16);
    f0b_cmac_final(&c, tag);
    assert_memory_equal(tag, p.enc + p.elen - 16, 16);
    memcpy(ctr0, NONCE, 8);
    memcpy(crcb, p.enc + 20, 4);
    f0b_aes_ctr(&a, ctr0, 0, crcb, 4);
    assert_memory_equal(crcb, p.plain + 20, 4);
    f0b_aes_ctr(&a, ctr0, 16, p.enc + 64, (uint32_t)p.plen - 64);
    assert_memory_equal(p.enc + 64, p.plain + 64, p.plen - 64);
    free_pair(&p);
}

/* No 16-byte window of the plaintext payload appears anywhere in the encrypted file. */
static void t_no_plaintext_window(void **state)
{
    struct pair p;
    size_t n;
    (void)state;
    make_pair(&p);
    n = p.plen - 64;
    assert_true(n >= 1000);
    for (size_t i = 0; i + 16 <= n; i++)
        assert_null(memmem(p.enc, p.elen, p.plain + 64 + i, 16));
    /* the search can find what is there: the plain container holds every window */
    assert_non_null(memmem(p.plain, p.plen, p.plain + 64 + n / 2, 16));
    free_pair(&p);
}

/* One bit changed anywhere (header, ciphertext, tag): refused. */
static void t_every_bit(void **state)
{
    struct pair p;
    struct f0b_container_check chk;
    struct f0b_img_error err;
    (void)state;
    make_pair(&p);
    for (size_t i = 0; i < p.elen; i++) {
        for (unsigned b = 0; b < 8; b++) {
            p.enc[i] ^= (uint8_t)(1u << b);
            assert_int_not_equal(f0b_container_decrypt(p.enc, p.elen, KEY, NULL, &chk, &err), 0);
            p.enc[i] ^= (uint8_t)(1u << b);
        }
    }
    assert_int_equal(f0b_container_decrypt(p.enc, p.elen, KEY, NULL, &chk, &err), 0);
    free_pair(&p);
}

/* A forger who keeps the header CRC right (recomputes it) still fails the MACs; another
 * key fails them too. */
static void t_forgery_and_other_key(void **state)
{
    struct pair p;
    struct f0b_container_check chk;
    struct f0b_img_error err;
    uint8_t other[16];
    (void)state;
    make_pair(&p);
    memcpy(other, KEY, 16);
    other[15] ^= 1;
    assert_int_equal(f0b_container_decrypt(p.enc, p.elen, other, NULL, &chk, &err),
                     F0B_IMG_ECNT_MAC);
    assert_false(chk.hdr_mac_ok);
    p.enc[28] = 9; /* ver_major 1 -> 9 */
    f0b_put_le32(p.enc + 60, f0b_crc32_for_test(p.enc, 60));
    assert_int_equal(f0b_container_decrypt(p.enc, p.elen, KEY, NULL, &chk, &err), F0B_IMG_ECNT_MAC);
    free_pair(&p);
}

static void t_key_parse(void **state)
{
    uint8_t k[16];
    char text[34];
    struct f0b_img_error err;
    (void)state;
    f0b_key_format(KEY, text);
    assert_string_equal(text, "00112233445566778899aabbccddeeff\n");
    assert_int_equal(f0b_key_parse((const uint8_t *)text, 33, k, &err), 0);
    assert_memory_equal(k, KEY, 16);
    assert_int_equal(f0b_key_parse((const uint8_t *)"00112233445566778899AABBCCDDEEFF", 32, k,
                                   &err),
                     0);
    assert_memory_equal(k, KEY, 16);
    static const char *bad[] = {"",
                                "0011",
                                "00112233445566778899aabbccddeef\n",
                                "00112233445566778899aabbccddeeff0\n",
                                "00112233445566778899aabbccddeefg\n",
                                "00112233445566778899aabbccddeeff\n\n",
                                " 00112233445566778899aabbccddeeff"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(f0b_key_parse((const uint8_t *)bad[i], strlen(bad[i]), k, &err),
                         F0B_IMG_EKEY);
}

/* ---- the CLI ---- */

static int run(const char *out, ...)
{
    char *argv[16];
    va_list ap;
    int n = 0, st;
    pid_t pid;
    posix_spawn_file_actions_t fa;

    argv[n++] = (char *)F0BOOT_BIN;
    va_start(ap, out);
    while (n < 15 && (argv[n] = va_arg(ap, char *)) != NULL)
        n++;
    va_end(ap);
    argv[n] = NULL;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    assert_int_equal(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    return WEXITSTATUS(st);
}

static void t_cli(void **state)
{
    char dir[] = "/tmp/f0b_crypt_XXXXXX", key[64], key2[64], img[64], img2[64], out[64];
    struct stat st;
    size_t kn, n1, n2;
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(key, sizeof key, "%s/p.key", dir);
    snprintf(key2, sizeof key2, "%s/q.key", dir);
    snprintf(img, sizeof img, "%s/a.img", dir);
    snprintf(img2, sizeof img2, "%s/b.img", dir);
    snprintf(out, sizeof out, "%s/out.json", dir);

    assert_int_equal(run(NULL, "keygen", "-o", key, (char *)NULL), 0);
    assert_int_equal(stat(key, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    uint8_t *k1 = readall(key, &kn), kb[16];
    assert_int_equal(kn, 33);
    assert_int_equal(f0b_key_parse(k1, kn, kb, NULL), 0);
    /* never overwritten */
    assert_int_equal(run(NULL, "keygen", "-o", key, (char *)NULL), 6);
    uint8_t *k1b = readall(key, NULL);
    assert_memory_equal(k1, k1b, 33);
    assert_int_equal(run(NULL, "keygen", "-o", key2, (char *)NULL), 0);

    assert_int_equal(run(NULL, "pack", DATA_DIR "/app.elf", "-o", img, "--key", key, (char *)NULL),
                     0);
    assert_int_equal(run(NULL, "pack", DATA_DIR "/app.elf", "-o", img2, "--key", key, (char *)NULL),
                     0);
    uint8_t *a = readall(img, &n1), *b = readall(img2, &n2);
    assert_int_equal(n1, n2);
    assert_memory_not_equal(a + 36, b + 36, 8); /* a fresh nonce per image */
    assert_memory_not_equal(a + 64, b + 64, 64);

    assert_int_equal(run(out, "info", img, "--json", (char *)NULL), 0);
    char *j = (char *)readall(out, NULL);
    assert_non_null(strstr(j, "\"encrypted\":true"));
    assert_non_null(strstr(j, "\"mac_checked\":false"));
    free(j);
    assert_int_equal(run(out, "info", img, "--key", key, "--json", (char *)NULL), 0);
    j = (char *)readall(out, NULL);
    assert_non_null(strstr(j, "\"mac_ok\":true"));
    k1[32] = 0;
    assert_null(strstr(j, (char *)k1)); /* the key is never shown */
    free(j);
    assert_int_equal(run(out, "info", img, "--key", key2, "--json", (char *)NULL), 7);
    j = (char *)readall(out, NULL);
    assert_non_null(strstr(j, "\"mac_ok\":false"));
    free(j);
    /* a malformed key file: a usage error, nothing written */
    assert_int_equal(run(NULL, "pack", DATA_DIR "/app.elf", "-o", out, "--key", img, (char *)NULL),
                     2);

    free(a);
    free(b);
    free(k1);
    free(k1b);
    const char *files[] = {key, key2, img, img2, out};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        unlink(files[i]);
    assert_int_equal(rmdir(dir), 0); /* nothing else was left behind */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_roundtrip),
        cmocka_unit_test(t_firmware_agrees),
        cmocka_unit_test(t_no_plaintext_window),
        cmocka_unit_test(t_every_bit),
        cmocka_unit_test(t_forgery_and_other_key),
        cmocka_unit_test(t_key_parse),
        cmocka_unit_test(t_cli),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
