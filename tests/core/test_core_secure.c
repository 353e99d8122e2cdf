/* The secure update engine (F0B_SECURE: secure.c with update.c and boot.c) over the strict
 * fake flash, with the test key of tests/data/test.key: encrypted images are authenticated
 * before anything is erased (header) and before the commit (tag), decrypted as they are
 * written; plain images, forgeries, another key and older versions are refused. Images are
 * built here with the firmware's own AES/CMAC (test_image_crypt checks those against the
 * host's libcrypto writer). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "aes.h"
#include "cmac.h"
#include "core_util.h"
#include "fake_flash.h"
#include "f0b_hal.h"
#include "secure.h"
#include "f0boot/layout.h"
#include "f0boot/le.h"

#define PART_F030XC 4

static const uint8_t TEST_KEY[16] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                                     0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};
static struct f0b_layout L;

/* An encrypted image: header (v2), ciphertext in payload, tag. plain keeps the plaintext. */
struct enc_img {
    struct test_img t;
    uint8_t *plain;
    uint8_t tag[16];
};

static void enc_make(struct enc_img *e, const uint8_t key[16], uint32_t size, uint32_t seed,
                     uint8_t major)
{
    struct f0b_aes a = {0};
    struct f0b_cmac c;
    uint8_t *h, ctr0[16] = {0}, mac[16];

    test_img_make(&e->t, &L, size, seed);
    h = e->t.hdr;
    e->plain = malloc(size);
    assert_non_null(e->plain);
    memcpy(e->plain, e->t.payload, size);
    f0b_aes_init(&a, key);
    f0b_put_le16(h + F0B_IMG_OFF_HDR_VERSION, F0B_IMG_HDR_VERSION_ENC);
    h[F0B_IMG_OFF_VER_MAJOR] = major;
    for (unsigned i = 0; i < 8; i++)
        h[F0B_IMG_OFF_NONCE + i] = ctr0[i] = (uint8_t)(seed * 31u + i);
    f0b_aes_ctr(&a, ctr0, 0, h + F0B_IMG_OFF_PAYLOAD_CRC, 4);
    f0b_aes_ctr(&a, ctr0, 16, e->t.payload, size);
    f0b_cmac_init(&c, &a);
    f0b_cmac_update(&c, h, 44);
    f0b_cmac_update(&c, h + 52, 8);
    f0b_cmac_final(&c, mac);
    memcpy(h + F0B_IMG_OFF_HDR_MAC, mac, 8);
    test_hdr_fix_crc(h);
    f0b_cmac_init(&c, &a);
    f0b_cmac_update(&c, h, 64);
    f0b_cmac_update(&c, e->t.payload, size);
    f0b_cmac_final(&c, e->tag);
}

static void enc_free(struct enc_img *e)
{
    test_img_free(&e->t);
    free(e->plain);
}

/* BEGIN, DATA in chunk-byte frames (on copies: the engine decrypts in place), END + tag. */
static int update(const struct enc_img *e, uint32_t chunk, const uint8_t *tag, uint32_t taglen)
{
    static struct f0b_update u;
    uint8_t buf[1024];
    uint32_t crc = 0;
    int st;

    f0b_update_init(&u, &L);
    st = f0b_update_begin(&u, e->t.hdr);
    for (uint32_t off = 0; st == F0B_ST_OK && off < e->t.size; off += chunk) {
        uint32_t n = e->t.size - off < chunk ? e->t.size - off : chunk;
        memcpy(buf, e->t.payload + off, n);
        st = f0b_update_write(&u, off, buf, n, 0);
    }
    if (st == F0B_ST_OK)
        st = f0b_sec_end(&u, tag, taglen, &crc);
    if (st == F0B_ST_OK)
        assert_int_equal(crc, f0b_get_le32(e->t.hdr + F0B_IMG_OFF_PAYLOAD_CRC));
    return st;
}

/* The port's option-byte calls (hal.c on the chip; f0sim checks that half end to end in
 * tests/e2e/secure.py): a level and a count of programmings. */
static uint32_t rdp_level_now;
static int rdp_sets, rdp_fail;

uint32_t f0b_hal_rdp_level(void) { return rdp_level_now; }

int f0b_hal_rdp_set_level1(void)
{
    rdp_sets++;
    return rdp_fail ? F0B_ST_FLASH_PROGRAM : F0B_ST_OK;
}

int f0b_hal_flash_erase_with(uint32_t page_addr, void (*work)(void *ctx), void *ctx)
{
    work(ctx); /* the fake erases at once: order does not matter */
    return f0b_hal_flash_erase(page_addr);
}

static int setup(void **state)
{
    (void)state;
    assert_int_equal(f0b_layout_init(&L, PART_F030XC), F0B_ST_OK);
    fake_flash_init(&L);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fake_flash_free();
    return 0;
}

static const uint8_t *flash_at(uint32_t addr) { return f0b_hal_flash_ptr(addr); }

/* Install a good image of version major; check it committed and decrypted. */
static void install(struct enc_img *e, uint32_t seed, uint8_t major)
{
    enc_make(e, TEST_KEY, 3000, seed, major);
    assert_int_equal(update(e, 256, e->tag, 16), F0B_ST_OK);
    assert_int_equal(f0b_app_state(&L), F0B_APP_VALID);
    assert_memory_equal(flash_at(L.app_start), e->plain, e->t.size);
}

static void t_good_update(void **state)
{
    struct enc_img e;
    (void)state;
    install(&e, 1, 1);
    /* any frame size, even odd ends, gives the same result */
    enc_free(&e);
    install(&e, 2, 2);
    enc_free(&e);
    enc_make(&e, TEST_KEY, 2999, 3, 3);
    assert_int_equal(update(&e, 1024, e.tag, 16), F0B_ST_OK);
    assert_memory_equal(flash_at(L.app_start), e.plain, e.t.size);
    assert_int_equal(fake_flash_violations(), 0);
    enc_free(&e);
}

/* The record and the installed image are untouched by a refused BEGIN. */
static void expect_begin_refused(const uint8_t *hdr, int want, const uint8_t *rec_before)
{
    static struct f0b_update u;
    uint64_t ops = fake_flash_ops();
    f0b_update_init(&u, &L);
    assert_int_equal(f0b_update_begin(&u, hdr), want);
    assert_int_equal(fake_flash_ops(), ops);
    assert_memory_equal(flash_at(L.record_addr), rec_before, 68);
    assert_int_equal(f0b_app_state(&L), F0B_APP_VALID);
}

/* Every bit of the header flipped (with its CRC made right again, as a forger would): the
 * header MAC (or a header rule) refuses it before anything is erased. */
static void t_header_bits(void **state)
{
    struct enc_img good, e;
    uint8_t rec[68];
    (void)state;
    install(&good, 1, 1);
    memcpy(rec, flash_at(L.record_addr), sizeof rec);
    enc_make(&e, TEST_KEY, 3000, 5, 1);
    for (unsigned i = 0; i < 60; i++) {
        for (unsigned b = 0; b < 8; b++) {
            uint8_t h[64];
            memcpy(h, e.t.hdr, 64);
            h[i] ^= (uint8_t)(1u << b);
            test_hdr_fix_crc(h);
            static struct f0b_update u;
            uint64_t ops = fake_flash_ops();
            f0b_update_init(&u, &L);
            assert_int_not_equal(f0b_update_begin(&u, h), F0B_ST_OK);
            assert_int_equal(fake_flash_ops(), ops);
        }
    }
    assert_memory_equal(flash_at(L.record_addr), rec, sizeof rec);
    assert_int_equal(f0b_app_state(&L), F0B_APP_VALID);
    enc_free(&e);
    enc_free(&good);
}

static void t_other_key_plain_rollback(void **state)
{
    struct enc_img good, e;
    uint8_t rec[68], other[16];
    (void)state;
    install(&good, 1, 5);
    memcpy(rec, flash_at(L.record_addr), sizeof rec);
    memcpy(other, TEST_KEY, 16);
    other[0] ^= 0x80;
    enc_make(&e, other, 3000, 6, 5);
    expect_begin_refused(e.t.hdr, F0B_ST_HDR_MAC, rec);
    enc_free(&e);
    /* plain image */
    struct test_img p;
    test_img_make(&p, &L, 3000, 7);
    expect_begin_refused(p.hdr, F0B_ST_HDR_PLAIN, rec);
    test_img_free(&p);
    /* older version (4 < 5), genuine */
    enc_make(&e, TEST_KEY, 3000, 8, 4);
    expect_begin_refused(e.t.hdr, F0B_ST_ROLLBACK, rec);
    enc_free(&e);
    /* the same version again and a newer one are taken */
    enc_make(&e, TEST_KEY, 3000, 9, 5);
    assert_int_equal(update(&e, 512, e.tag, 16), F0B_ST_OK);
    enc_free(&e);
    enc_free(&good);
}

/* Damaged ciphertext, the CRC-forgery pattern, a wrong or short tag, an END before all the
 * data: never committed, and the next good update works. */
static void t_payload_attacks(void **state)
{
    static const uint8_t pattern[5] = {0x41, 0x06, 0x71, 0xdb, 0x01};
    struct enc_img e;
    (void)state;
    for (int k = 0; k < 4; k++) {
        fake_flash_init(&L);
        enc_make(&e, TEST_KEY, 3000, 10 + (uint32_t)k, 1);
        uint8_t tag[16];
        memcpy(tag, e.tag, 16);
        if (k == 0)
            e.t.payload[1234] ^= 0x10;
        else if (k == 1)
            for (int i = 0; i < 5; i++)
                e.t.payload[700 + i] ^= pattern[i];
        else if (k == 2)
            tag[15] ^= 1;
        int want = k == 3 ? F0B_ST_BAD_LEN : F0B_ST_MAC;
        assert_int_equal(update(&e, 256, tag, k == 3 ? 15 : 16), want);
        assert_int_not_equal(f0b_app_state(&L), F0B_APP_VALID);
        assert_int_not_equal(f0b_get_le32(flash_at(L.record_addr + 64)), F0B_COMMIT_MAGIC);
        enc_free(&e);
        install(&e, 20 + (uint32_t)k, 1);
        enc_free(&e);
    }
    /* END before the last frame */
    static struct f0b_update u;
    uint8_t buf[1024];
    uint32_t crc;
    enc_make(&e, TEST_KEY, 3000, 30, 1);
    f0b_update_init(&u, &L);
    assert_int_equal(f0b_update_begin(&u, e.t.hdr), F0B_ST_OK);
    memcpy(buf, e.t.payload, 1024);
    assert_int_equal(f0b_update_write(&u, 0, buf, 1024, 0), F0B_ST_OK);
    assert_int_equal(f0b_sec_end(&u, e.tag, 16, &crc), F0B_ST_OUT_OF_ORDER);
    /* a SEEK would skip ciphertext the MAC needs: refused */
    memcpy(buf, e.t.payload + 2048, 952);
    assert_int_equal(f0b_update_write(&u, 2048, buf, 952, 1), F0B_ST_OUT_OF_ORDER);
    enc_free(&e);
}

/* Power cut at every flash operation of an encrypted update over an installed one (before
 * the operation and in its middle): the next boot runs a whole image (the old one, or the
 * new one once committed) or stays in the bootloader, never anything else; and the next
 * update is taken. */
static jmp_buf power;

/* A boot that would start an application starts a whole one: old or new, byte for byte. */
static void check_whole(const struct enc_img *old, const struct enc_img *img, uint64_t n, int kind)
{
    if (f0b_app_state(&L) != F0B_APP_VALID)
        return;
    const uint8_t *rec = flash_at(L.record_addr);
    const struct enc_img *which = memcmp(rec, old->t.hdr, 64) == 0   ? old
                                  : memcmp(rec, img->t.hdr, 64) == 0 ? img
                                                                     : NULL;
    if (!which || memcmp(flash_at(L.app_start), which->plain, which->t.size) != 0)
        fail_msg("cut %llu kind %d: VALID but not a whole image", (unsigned long long)n, kind);
}

static void t_powercut(void **state)
{
    struct enc_img old, img;
    uint64_t total;
    (void)state;
    enc_make(&old, TEST_KEY, 3000, 40, 1);
    enc_make(&img, TEST_KEY, 5000, 41, 2);
    fake_flash_init(&L);
    assert_int_equal(update(&old, 1024, old.tag, 16), F0B_ST_OK);
    uint64_t before = fake_flash_ops();
    assert_int_equal(update(&img, 1024, img.tag, 16), F0B_ST_OK);
    total = fake_flash_ops() - before;
    for (int kind = FAKE_CUT_BEFORE; kind <= FAKE_CUT_TORN; kind++) {
        for (volatile uint64_t n = 0; n < total; n++) {
            fake_flash_init(&L);
            assert_int_equal(update(&old, 1024, old.tag, 16), F0B_ST_OK);
            if (setjmp(power) == 0) {
                fake_flash_arm_cut(n, (enum fake_cut)kind, &power, (uint32_t)n * 17u + 3u);
                update(&img, 1024, img.tag, 16);
                fail_msg("cut %llu did not fire", (unsigned long long)n);
            }
            fake_flash_disarm();
            check_whole(&old, &img, n, kind);
            assert_int_equal(update(&img, 1024, img.tag, 16), F0B_ST_OK);
            assert_memory_equal(flash_at(L.app_start), img.plain, img.t.size);
            assert_int_equal(fake_flash_violations(), 0);
        }
    }
    enc_free(&old);
    enc_free(&img);
}

/* PROTECT: level 1 only, programmed once, a reload asked only when something changed. */
static void t_protect(void **state)
{
    const uint8_t one = 1, two = 2;
    int load = 7;
    (void)state;
    rdp_level_now = 0;
    rdp_sets = rdp_fail = 0;
    assert_int_equal(f0b_sec_protect(&two, 1, &load), F0B_ST_BAD_ARG);
    assert_int_equal(load, 0);
    assert_int_equal(f0b_sec_protect(&one, 0, &load), F0B_ST_BAD_LEN);
    assert_int_equal(rdp_sets, 0);
    rdp_fail = 1;
    assert_int_equal(f0b_sec_protect(&one, 1, &load), F0B_ST_FLASH_PROGRAM);
    assert_int_equal(load, 0);
    rdp_fail = 0;
    assert_int_equal(f0b_sec_protect(&one, 1, &load), F0B_ST_OK);
    assert_int_equal(load, 1);
    assert_int_equal(rdp_sets, 2);
    rdp_level_now = 1; /* after the reload: nothing to do */
    assert_int_equal(f0b_sec_protect(&one, 1, &load), F0B_ST_OK);
    assert_int_equal(load, 0);
    assert_int_equal(rdp_sets, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(t_good_update, setup, teardown),
        cmocka_unit_test_setup_teardown(t_header_bits, setup, teardown),
        cmocka_unit_test_setup_teardown(t_other_key_plain_rollback, setup, teardown),
        cmocka_unit_test_setup_teardown(t_payload_attacks, setup, teardown),
        cmocka_unit_test(t_protect),
        cmocka_unit_test_setup_teardown(t_powercut, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
